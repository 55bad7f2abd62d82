# Config validation and the helpers every rules file uses. Rules only wire, each calling one step of
# the personascope package (`python -m personascope STEP`), whose code lives in workflow/personascope.
import json
import os
import re
import shlex
import sys

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from personascope import paths
from personascope.config_check import check_config, exit_on_user_error
from personascope.errors import ConfigError

SCHEMA_DIR = Path(workflow.basedir) / "config" / "schema"

# One line per violation (key, problem, allowed values) before Snakemake's own validate, whose
# message carries the whole schema; validate then only fills the schema's defaults. A config
# check's error ends the run with its message alone (exit 2), as the package's commands do.
exit_on_user_error(check_config, config, SCHEMA_DIR)
validate(config, SCHEMA_DIR / "config.schema.yaml")
validate(config["models"], SCHEMA_DIR / "models.schema.yaml")


def require_registered(named):
    """Every model a config key names (key -> names) must be in the registry: the studies'
    checks call this before any job runs."""
    known = set(config["models"])
    for key, names in named.items():
        missing = sorted(set(names) - known)
        if missing:
            raise ConfigError(
                f"config {key}: model(s) {missing} are not in the model registry "
                f"(config/models.yaml knows {sorted(known)})"
            )


def check_model_names():
    """PersonaLens' models (the other studies check theirs in their own common.smk)."""
    if "personalens" not in config:
        return  # a config without the study (the schema requires it when `studies` names it)
    pl = config["personalens"]
    named = {
        "personalens.assistants": pl["assistants"],
        "personalens.user_agent": [pl["user_agent"]],
        "personalens.judge": [pl["judge"]],
        "personalens.regenerate.model": [
            pl["regenerate"]["model"] or pl["user_agent"]
        ],
    }
    require_registered(named)


exit_on_user_error(check_model_names)


def local_input(path):
    """A `local:` input path from config: relative paths are relative to the repository root
    (where the Snakefile is), so `../shared/data` means the same wherever Snakemake runs."""
    path = Path(os.path.expandvars(str(path))).expanduser()
    return path if path.is_absolute() else Path(workflow.basedir) / path


def registry_subset(*names):
    """The registry entries a job needs: its params, so editing one model reruns only its jobs."""
    return {name: config["models"][name] for name in dict.fromkeys(names)}


# Inside an Apptainer image the image's own `python` runs the step; on the host, the interpreter
# that runs Snakemake (so an unactivated virtualenv works too).
IN_CONTAINER = any(
    m.name == "APPTAINER" for m in workflow.deployment_settings.deployment_method
)
PYTHON = "python" if IN_CONTAINER else sys.executable


# Threads of a job that runs a model on the CPU (llama.cpp): all the cores the embedded default has,
# so model jobs run one after another at full speed instead of side by side oversubscribed.
MODEL_JOB_THREADS = 2


def _io_args(wildcards, input, output):
    """`-i NAME PATH... -o NAME PATH...` from the job's own named input/output: a rule names its
    files once, in its `input:`/`output:`, and the step receives exactly those names."""
    parts = []
    for flag, files in (("-i", input), ("-o", output)):
        for name, value in files.items():
            values = value if isinstance(value, list) else [value]
            parts.append(" ".join([flag, name, *(shlex.quote(str(v)) for v in values)]))
    return " ".join(parts)


def step_params(spec=None, job=None):
    """The `params` of a step-running job: the derived file arguments and the step's JSON
    parameters (`spec`: a dict, or a function of the wildcards returning one). A model job passes
    its `ModelJob`: the step then also gets the registry entries of the job's models and the call
    cache (personascope.models.ModelJobParams), so editing one model's entry reruns only its jobs."""

    def as_spec(wildcards):
        value = dict((spec(wildcards) if callable(spec) else spec) or {})
        if job is not None:
            value["models"] = registry_subset(*job.models_of(wildcards))
            value["cache_dir"] = config["cache_dir"]
        return as_json(value)

    return {"io": _io_args, "spec": as_spec}


def run_step(name):
    """Shell command of a job whose `params` are `**step_params(...)`: the package step `name`
    (`<study>.<stage>.<function>`, see personascope/steps.py) on the rule's own files."""
    # The job's thread budget reaches the engines (llama.cpp's n_threads): oversubscribed CPU
    # threads slow llama.cpp down many times over.
    return (
        f"PERSONASCOPE_THREADS={{threads}} {PYTHON} -m personascope {name} {{params.io}} "
        "-p {params.spec:q} > {log:q} 2>&1"
    )


# --- cluster: SLURM resources and images per model (issue #6; see docs/cluster.md) ------------
# A job that opens a model on vLLM runs on GPUs in the vLLM image; local/replay/API models on CPUs
# in the analysis image. A model's registry `resources:` block overrides these defaults.
GPU_ENGINES = {"vllm"}
GPU_JOB_DEFAULTS = {"gpu_model": "h100", "mem_mb": 64000, "cpus_per_task": 8, "runtime": 240}
CPU_JOB_DEFAULTS = {"mem_mb": 4000, "cpus_per_task": 2, "runtime": 120}
RESOURCE_KEYS = ("gpu", "gpu_model", "mem_mb", "cpus_per_task", "runtime", "slurm_partition")


def check_apptainer_args():
    """The profile binds $HF_HOME; unset, Snakemake passes the literal `$HF_HOME` on."""
    args = workflow.deployment_settings.apptainer_args or ""
    unexpanded = sorted(set(re.findall(r"\$\{?\w+", args)))
    if IN_CONTAINER and unexpanded:
        raise ConfigError(
            f"apptainer-args {args!r}: environment "
            f"variable(s) {unexpanded} are not set (profiles/slurm binds the model cache: "
            f"export HF_HOME=/path/to/model-cache; see docs/cluster.md)"
        )


exit_on_user_error(check_apptainer_args)


def model_resources(name):
    """SLURM resources of a job on one model: gpu = tensor parallel size for vLLM, else 0."""
    entry = config["models"][name]
    block = entry.get("resources", {})
    gpus = block.get("gpus")
    if gpus is None:
        tp = entry.get("options", {}).get("tensor_parallel_size", 1)
        gpus = int(tp) if entry["engine"] in GPU_ENGINES else 0
    res = {**(GPU_JOB_DEFAULTS if gpus else CPU_JOB_DEFAULTS), **block, "gpu": gpus}
    res.pop("gpus", None)
    # The partition: the registry's, else the environment's, else none (the profile's
    # partitions.yaml then picks one by the job's GPUs and size).
    env = ["PERSONASCOPE_SLURM_GPU_PARTITION"] if gpus else []
    env.append("PERSONASCOPE_SLURM_PARTITION")
    res["slurm_partition"] = res.pop("partition", None) or next(
        (os.environ[v] for v in env if os.environ.get(v)), None
    )
    if not gpus:
        res.pop("gpu_model", None)  # a gpu_model alone makes the SLURM plugin ask for a GPU
    return res


def job_resources(models_of):
    """`resources:` for a rule whose jobs open the models `models_of(wildcards)` names.

    Several models in one job (an assistant and its user agent): the GPU models among them size
    a GPU job, the largest of each resource; a CPU job takes the largest over all its models.
    Runtime grows with the attempt, so a job retried after a timeout asks for more.
    """

    def combined(wildcards):
        per_model = [model_resources(m) for m in dict.fromkeys(models_of(wildcards))]
        per_model = [r for r in per_model if r["gpu"]] or per_model
        out = {}
        for key in RESOURCE_KEYS:
            values = [r[key] for r in per_model if r.get(key) is not None]
            if key in ("gpu_model", "slurm_partition"):
                out[key] = values[0] if values else None
            else:
                out[key] = max(values) if values else None
        return out

    def resource(key):
        if key == "runtime":
            return lambda wildcards, attempt: combined(wildcards)[key] * attempt
        return lambda wildcards: combined(wildcards)[key]

    return {key: resource(key) for key in RESOURCE_KEYS}


def job_container(models_of):
    """`container:` for the same jobs: the vLLM image when any of their models runs on GPUs."""
    return lambda wildcards: config["containers"][
        "gpu" if any(model_resources(m)["gpu"] for m in models_of(wildcards)) else "cpu"
    ]


class ModelJob:
    """The one way a job declares the models it opens (`models_of(wildcards)` -> names) -
    from it come the step's registry entries and call cache (`step_params(spec, job)`), the SLURM
    resources (`resources: **job.resources`) and the image (`container: job.container`); model
    jobs take `threads: MODEL_JOB_THREADS`."""

    def __init__(self, models_of):
        self.models_of = models_of
        self.resources = job_resources(models_of)
        self.container = job_container(models_of)


def alternatives(names):
    """A wildcard constraint matching exactly `names`."""
    return "|".join(names)


def as_json(obj):
    return json.dumps(obj, sort_keys=True)


# Each study's rule files define its targets; config `studies` picks what `rule all` builds.
STUDY_TARGETS = {
    "personalens": lambda: personalens_targets(),
    # issue #5: part A's ratings table + failure report, part B's statistics and figures
    "persistence": lambda: persistence_targets() + persistence_analysis_targets(),
    # issue #15: protocol sheet, tables and figure (they pull in every stage)
    "personagym": lambda: personagym_targets(),
}


def all_targets():
    """Every study's targets, and its caption template for `snakemake --report`."""
    return [
        target
        for study in config["studies"]
        for target in [*STUDY_TARGETS[study](), paths.REPORT_CAPTION.format(study=study)]
    ]


# --- `snakemake --report` (issue #16): every table and figure registered with `report()` --------
REPORT_CATEGORIES = {
    "personalens": "PersonaLens",
    "persistence": "Persistent Personas",
    "personagym": "PersonaGym",
}


def reported(path, study, kind):
    """An output registered for the report: category = the study, subcategory = `kind`
    (Tables, Figures, Documents); its caption is the study's template (rule report_captions),
    which Snakemake reads from the working directory when it renders the report."""
    return report(
        path,
        caption=str(Path.cwd() / paths.REPORT_CAPTION.format(study=study)),
        category=REPORT_CATEGORIES[study],
        subcategory=kind,
    )


def report_table(path, study):
    """A table's CSV goes into the report (shown as a table); its LaTeX stays beside it."""
    return reported(path, study, "Tables") if str(path).endswith(".csv") else path


def report_figure(path, study):
    """A figure's PNG goes into the report (shown as an image); its PDF stays beside it."""
    return reported(path, study, "Figures") if str(path).endswith(".png") else path
