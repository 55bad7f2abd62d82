"""Tampered and unreadable inputs. The jobs that read pinned files are run as the workflow runs
them: their shell commands come from real `snakemake -n -p` (default config, and with a given
ratings table, and with a local RoleBench), with one input swapped for a tampered copy; each must
stop with the typed error naming the file, whatever path through the DAG leads to it."""

from __future__ import annotations

import gzip
import http.server
import importlib.util
import io
import shlex
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from conftest import absolute_local_paths, run_snakemake, write_config
from personascope.download import download
from personascope.persistence.statistics import RatingsTableError, read_ratings_table
from tally import ACCEPTED, CLEAN, CRASHED, SILENT, expect_clean_error, record

_spec = importlib.util.spec_from_file_location(
    "pp_rolebench_fixture",
    Path(__file__).resolve().parents[1] / "persistence" / "rolebench_fixture.py",
)
_fixture = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(_fixture)  # type: ignore[union-attr]


def shell_commands(workdir: Path, overrides: dict, *targets: str) -> dict[str, list[str]]:
    """step name -> argv of its job, from `snakemake -n -p --forceall` (no job runs)."""
    cfg = write_config(workdir / "dry.yaml", {**absolute_local_paths(), **overrides})
    proc = run_snakemake(workdir, "-n", "-p", "--forceall", *targets, configfile=cfg, timeout=300)
    commands: dict[str, list[str]] = {}
    for line in proc.stdout.splitlines():
        if not line.startswith("Shell command: ") or " -m personascope " not in line:
            continue
        argv = shlex.split(line.removeprefix("Shell command: "))
        argv = argv[: argv.index(">")] if ">" in argv else argv
        argv = [a for a in argv if not a.startswith("PERSONASCOPE_THREADS=")]
        commands.setdefault(argv[argv.index("-m") + 2], argv)
    assert commands, proc.stdout[-3000:]
    return commands


def with_input(argv: list[str], name: str, path: Path) -> list[str]:
    out = list(argv)
    for i in range(len(out) - 2):
        if out[i] == "-i" and out[i + 1] == name:
            out[i + 2] = str(path)
            return out
    raise AssertionError(f"the job has no input {name}: {argv}")


def input_path(argv: list[str], name: str) -> Path:
    return Path(argv[argv.index(name, argv.index("-i")) + 1])


def tampered(original: Path, where: Path) -> Path:
    """The same file with one byte changed (it still parses: a silent edit, not a broken file)."""
    data = bytearray(original.read_bytes())
    index = next(
        i
        for i in range(len(data) // 2, len(data))
        if chr(data[i]).isdigit() or chr(data[i]).isalpha()
    )
    data[index] = ord("7") if chr(data[index]) != "7" else ord("8")
    copy = where / original.name
    copy.write_bytes(bytes(data))
    return copy


def run_job(argv: list[str], workdir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=workdir, capture_output=True, text=True, timeout=300)


def judge_outcome(proc: subprocess.CompletedProcess[str], *fragments: str) -> str:
    text = proc.stderr
    if proc.returncode == 0:
        return record("inputs", SILENT)
    if proc.returncode == 2 and all(f in text for f in fragments) and "Traceback" not in text:
        return record("inputs", CLEAN)
    record("inputs", CRASHED)
    return f"{CRASHED}: rc {proc.returncode}: {text[-1500:]}"


@pytest.fixture(scope="module")
def default_jobs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    return shell_commands(tmp_path_factory.mktemp("dry-default"), {})


GIVEN_TABLE = "model,role,dialogue_type,round,dataset,item,rating\n" + "".join(
    f"m,{role},goal_oriented,{r},xstest_safe,{i},{(i + r) % 2}\n"
    for role in ("Gaston", "empty")
    for r in (0, 2)
    for i in range(3)
)


@pytest.fixture(scope="module")
def given_table_jobs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """The statistics of a given ratings table: a DAG in which no inputs job runs."""
    workdir = tmp_path_factory.mktemp("dry-table")
    table = workdir / "published.csv"
    table.write_text(GIVEN_TABLE, encoding="utf-8")
    overrides = {"persistence": {"ratings_table": str(table)}}
    return shell_commands(workdir, overrides, "results/persistence/stats/observations.parquet")


PINNED = {  # job -> inputs it reads straight from a pinned source
    "persistence.data.normalize": [
        "roles",
        "interview",
        "instructions",
        "bfi",
        "labels",
        "ifbench",
        "xstest",
    ],
    "persistence.stats.observations": ["bfi", "roles"],
    "persistence.ifbench.score": ["test_set"],
}


@pytest.mark.parametrize(
    ("job", "name"), [(job, name) for job, names in PINNED.items() for name in names]
)
def test_a_tampered_pinned_file_stops_the_job_that_reads_it(
    job: str, name: str, default_jobs: dict[str, list[str]], tmp_path: Path
) -> None:
    argv = default_jobs[job]
    bad = tampered(input_path(argv, name), tmp_path)
    outcome = judge_outcome(run_job(with_input(argv, name, bad), tmp_path), str(bad), "sha256")
    assert outcome == CLEAN, outcome


# With a given ratings table the statistics still read InCharacter's files: the labels through the
# data job (its normalized bfi_labels.parquet), BFI.json and roles.json directly.
GIVEN_TABLE_READERS = [
    ("persistence.data.normalize", "labels"),
    ("persistence.stats.observations", "bfi"),
    ("persistence.stats.observations", "roles"),
]


@pytest.mark.parametrize(("job", "name"), GIVEN_TABLE_READERS)
def test_with_a_given_ratings_table_the_labels_are_verified_too(
    job: str, name: str, given_table_jobs: dict[str, list[str]], tmp_path: Path
) -> None:
    argv = given_table_jobs[job]
    bad = tampered(input_path(argv, name), tmp_path)
    outcome = judge_outcome(run_job(with_input(argv, name, bad), tmp_path), str(bad), "sha256")
    assert outcome == CLEAN, outcome


def test_with_a_given_ratings_table_the_pristine_files_pass(
    given_table_jobs: dict[str, list[str]], tmp_path: Path
) -> None:
    data = run_job(given_table_jobs["persistence.data.normalize"], tmp_path)
    assert data.returncode == 0 and "verified labels" in data.stderr, data.stderr[-3000:]
    proc = run_job(given_table_jobs["persistence.stats.observations"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "verified bfi" in proc.stderr and "verified roles" in proc.stderr
    record("inputs", ACCEPTED)


def test_rolebench_files_are_verified_and_never_read_unverified(tmp_path: Path) -> None:
    root = tmp_path / "rolebench"
    _fixture.write_rolebench(root)
    rb = {"local": str(root), "manifest": str(root / "sha256")}
    jobs = shell_commands(tmp_path, {"persistence": {"sources": {"rolebench": rb}}})
    argv = jobs["persistence.data.normalize"]
    target = root / "instructions-eng" / "role-specific-Gaston.jsonl"
    target.write_text(target.read_text().replace("ans 1", "ans 9"))
    outcome = judge_outcome(run_job(argv, tmp_path), str(target), "sha256")
    assert outcome == CLEAN, outcome
    # Without a manifest, a local RoleBench is refused before any job.
    cfg = write_config(
        tmp_path / "nomanifest.yaml",
        {**absolute_local_paths(), "persistence": {"sources": {"rolebench": {"local": str(root)}}}},
    )
    proc = run_snakemake(tmp_path, "-n", configfile=cfg, check=False)
    output = proc.stdout + proc.stderr
    ok = proc.returncode != 0 and "rolebench" in output and "manifest" in output
    record("inputs", CLEAN if ok else SILENT)
    assert ok, output[-2000:]


def test_a_tampered_personalens_archive_stops_the_release_job(
    default_jobs: dict[str, list[str]], tmp_path: Path
) -> None:
    argv = default_jobs["personalens.data.release"]
    original = input_path(argv, "archive")
    bad = tmp_path / original.name
    with tarfile.open(original) as src, tarfile.open(bad, "w:gz") as dst:
        changed = False
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else None
            if (
                data is not None
                and not changed
                and "/data/" in member.name
                and member.name.endswith(".json")
            ):
                data, changed = data.replace(b"1", b"2", 1), True
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
    assert changed
    outcome = judge_outcome(run_job(with_input(argv, "archive", bad), tmp_path), str(bad), "differ")
    assert outcome == CLEAN, outcome


# --- downloads ---------------------------------------------------------------------------------
class LyingServer(http.server.BaseHTTPRequestHandler):
    """Announces `announced` bytes and sends `body` (a truncated transfer, as a proxy may)."""

    body = b""
    announced = 0

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(self.announced))
        self.end_headers()
        self.wfile.write(self.body)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def lying_server() -> Iterator[type[LyingServer]]:
    handler = type("Handler", (LyingServer,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}/file"  # type: ignore[attr-defined]
    yield handler
    server.shutdown()
    server.server_close()


def test_a_truncated_download_is_not_kept(lying_server: type[LyingServer], tmp_path: Path) -> None:
    lying_server.body, lying_server.announced = b"x" * 1000, 1_000_000
    out = tmp_path / "file.json"
    outcome = expect_clean_error(
        "inputs",
        lambda: download(lying_server.url, out, attempts=1),
        "1000",  # type: ignore[attr-defined]
    )
    assert outcome == CLEAN and not out.exists() and not list(tmp_path.iterdir()), outcome


def test_a_download_with_another_digest_is_not_kept(
    lying_server: type[LyingServer], tmp_path: Path
) -> None:
    lying_server.body = b'{"a": 1}'
    lying_server.announced = len(lying_server.body)
    out = tmp_path / "file.json"
    url = lying_server.url  # type: ignore[attr-defined]
    outcome = expect_clean_error(
        "inputs", lambda: download(url, out, attempts=1, sha256="0" * 64), "sha256"
    )
    assert outcome == CLEAN and not out.exists(), outcome
    import hashlib

    download(url, out, attempts=1, sha256=hashlib.sha256(lying_server.body).hexdigest())
    assert out.read_bytes() == lying_server.body
    record("inputs", ACCEPTED)


# --- ratings tables ------------------------------------------------------------------------------
GOOD_ROW = (
    "model,role,dialogue_type,round,dataset,item,rating\nm,Gaston,goal_oriented,0,xstest_safe,1,1\n"
)
KNOWN = ["Gaston", "HAL 9000"]


def parquet_bytes() -> bytes:
    buffer = io.BytesIO()
    pd.read_csv(io.StringIO(GOOD_ROW)).to_parquet(buffer)
    return buffer.getvalue()


RATINGS: dict[str, tuple[str, bytes]] = {
    "0-byte CSV": ("t.csv", b""),
    "UTF-16 CSV": ("t.csv", GOOD_ROW.replace("Gaston", "Gastón").encode("utf-16")),
    "Latin-1 CSV": ("t.csv", GOOD_ROW.replace("Gaston", "Gastón").encode("latin-1")),
    "gzip that is not Parquet": ("t.parquet", gzip.compress(GOOD_ROW.encode())),
    "gzip of garbage": ("t.csv.gz", gzip.compress(b"\x00\x01\x02" * 50)),
    "not gzip at all": ("t.csv.gz", b"plain text, not gzip"),
    "truncated Parquet": ("t.parquet", parquet_bytes()[:60]),
    "empty Parquet file": ("t.parquet", b""),
    "role ' Gaston'": ("t.csv", GOOD_ROW.replace("Gaston", " Gaston").encode()),
    "role 'gaston'": ("t.csv", GOOD_ROW.replace("Gaston", "gaston").encode()),
    "unknown role": ("t.csv", GOOD_ROW.replace("Gaston", "Belle").encode()),
    "header only": ("t.csv", b"model,role\n"),
    "binary noise CSV": ("t.csv", bytes(range(256)) * 4),
}


@pytest.mark.parametrize("kind", list(RATINGS))
def test_an_unreadable_ratings_table_is_a_typed_error_naming_the_file(kind: str, tmp_path: Path):
    name, content = RATINGS[kind]
    path = tmp_path / name
    path.write_bytes(content)
    outcome = expect_clean_error(
        "ratings", lambda: read_ratings_table(path, KNOWN), str(path), errors=RatingsTableError
    )
    assert outcome == CLEAN, f"{kind}: {outcome}"


def test_a_readable_ratings_table_with_known_roles_passes(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(GOOD_ROW.replace("Gaston", "HAL 9000"), encoding="utf-8")
    assert list(read_ratings_table(path, KNOWN)["role"]) == ["HAL 9000"]
    record("ratings", ACCEPTED)


HUMAN_ROW = "dialogue_id,annotator,metric,rating\nd1,ann1,coherence_user,4\n"
HUMAN: dict[str, bytes] = {
    "0-byte CSV": b"",
    "UTF-16 CSV": HUMAN_ROW.replace("ann1", "anné").encode("utf-16"),
    "Latin-1 CSV": HUMAN_ROW.replace("ann1", "anné").encode("latin-1"),
    "gzip bytes": gzip.compress(HUMAN_ROW.encode()),
    "unknown metric": HUMAN_ROW.replace("coherence_user", "fluency").encode(),
    "rating out of range": HUMAN_ROW.replace(",4", ",9").encode(),
    "rated twice": (HUMAN_ROW + "d1,ann1,coherence_user,3\n").encode(),
}


@pytest.mark.parametrize("kind", list(HUMAN))
def test_an_unreadable_human_ratings_file_is_a_typed_error_naming_the_file(
    kind: str, tmp_path: Path
) -> None:
    from personascope.personalens.agreement import HumanRatingsError, read_ratings

    path = tmp_path / "human.csv"
    path.write_bytes(HUMAN[kind])
    outcome = expect_clean_error(
        "ratings", lambda: read_ratings(path), str(path), errors=HumanRatingsError
    )
    assert outcome == CLEAN, f"{kind}: {outcome}"
