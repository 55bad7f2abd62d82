#!/usr/bin/env bash
# A real single-node SLURM cluster for the tests and CI: Debian's slurm-wlm + munge, one node that
# declares one H100 GPU (gres type h100) without having one, so GPU-sized jobs are scheduled for real.
#
#   tests/cluster/slurm_cluster.sh install   apt-get install slurm-wlm munge (if missing)
#   tests/cluster/slurm_cluster.sh up        write the config, start munged, slurmctld, slurmd
#   tests/cluster/slurm_cluster.sh down      stop the daemons this script started
#   tests/cluster/slurm_cluster.sh env       print `export SLURM_CONF=...` for a shell
#
# The config goes to /etc/slurm (slurm.conf, gres.conf), where every client finds it: the SLURM
# executor's job step drops SLURM_* variables such as SLURM_CONF before its `srun`, so a config
# elsewhere is not seen inside jobs. An /etc/slurm/slurm.conf this script did not write is never
# overwritten. State and logs live in $PERSONASCOPE_SLURM_DIR (default /tmp/personascope-slurm).
# Needs root (munged runs as user munge, the SLURM daemons and jobs as root).
set -euo pipefail

STATE=${PERSONASCOPE_SLURM_DIR:-/tmp/personascope-slurm}
CONF_DIR=/etc/slurm
CONF=$CONF_DIR/slurm.conf
MARKER="# Written by tests/cluster/slurm_cluster.sh: a single-node test cluster."
HOST=$(hostname -s)

log() { echo "slurm_cluster: $*" >&2; }

install() {
    if command -v slurmctld >/dev/null && command -v slurmd >/dev/null \
        && command -v munged >/dev/null && command -v sbatch >/dev/null; then
        log "slurm-wlm and munge already installed"
        return
    fi
    log "installing slurm-wlm and munge (apt-get)"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge
}

write_config() {
    mkdir -p "$STATE/ctld" "$STATE/spool" "$CONF_DIR"
    if [ -e "$CONF" ] && ! grep -qxF "$MARKER" "$CONF"; then
        log "$CONF exists and was not written by this script; not touching it"
        exit 1
    fi
    local cpus mem
    cpus=$(nproc)
    # Leave the OS 1 GiB; jobs ask for memory (mem_mb) and SLURM checks it against RealMemory.
    mem=$(($(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) - 1024))
    cat >"$CONF" <<EOF
$MARKER
ClusterName=personascope
# Loopback addresses: CI containers' host names need not resolve.
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups in a container: track processes by parent pid, bind nothing.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
# No slurmdbd: job state comes from slurmctld, which keeps finished jobs MinJobAge seconds;
# the profile's squeue status checks need this to exceed 3 x the status-check interval.
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$STATE/jobcomp.log
MinJobAge=600
GresTypes=gpu
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem Gres=gpu:h100:1 State=UNKNOWN
# The partition names of profiles/slurm/partitions.yaml, both on this node: the profile's automatic
# partition choice sends CPU jobs to "cpu" and GPU jobs to "gpu".
PartitionName=cpu Nodes=ALL Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=ALL MaxTime=INFINITE State=UP
EOF
    # A GPU declared without a device: File=/dev/null satisfies slurmd, AutoDetect=off skips NVML.
    cat >"$CONF_DIR/gres.conf" <<EOF
AutoDetect=off
NodeName=$HOST Name=gpu Type=h100 File=/dev/null
EOF
}

start_munge() {
    if pgrep -u munge -x munged >/dev/null; then
        return
    fi
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge /etc/munge
    chmod 0755 /run/munge
    if [ ! -s /etc/munge/munge.key ]; then
        if command -v mungekey >/dev/null; then mungekey --create --force; else
            dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; fi
    fi
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
    runuser -u munge -- /usr/sbin/munged
}

wait_idle() {
    for _ in $(seq 1 60); do
        if SLURM_CONF=$CONF sinfo -h -N -o '%T' 2>/dev/null | grep -qx idle; then
            return 0
        fi
        sleep 0.5
    done
    log "node did not become idle; sinfo says:"
    SLURM_CONF=$CONF sinfo -N -l >&2 || true
    tail -n 30 "$STATE/slurmctld.log" "$STATE/slurmd.log" >&2 || true
    return 1
}

up() {
    install
    if [ -s "$STATE/slurmctld.pid" ] && kill -0 "$(cat "$STATE/slurmctld.pid")" 2>/dev/null; then
        log "already running (state in $STATE)"
        wait_idle
        return
    fi
    write_config
    start_munge
    export SLURM_CONF=$CONF
    # -i: ignore (stale) saved state from an earlier run of this script.
    /usr/sbin/slurmctld -i
    /usr/sbin/slurmd
    wait_idle
    log "up: node $HOST idle with gres gpu:h100:1 (SLURM_CONF=$CONF)"
}

stop_pidfile() {
    local pidfile=$1
    if [ -s "$pidfile" ]; then
        local pid
        pid=$(cat "$pidfile")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        rm -f "$pidfile"
    fi
}

down() {
    stop_pidfile "$STATE/slurmd.pid"
    stop_pidfile "$STATE/slurmctld.pid"
    # munged is left running: it is a system service other SLURM users on this host may share.
    log "down"
}

case "${1:-}" in
    install) install ;;
    up) up ;;
    down) down ;;
    env) echo "export SLURM_CONF=$CONF" ;;
    *) echo "usage: $0 install|up|down|env" >&2; exit 2 ;;
esac
