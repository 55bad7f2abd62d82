# Functions and constants of the persistence rules, kept apart from the rule files
# (`snakemake --lint`: rule files hold rules only).

import urllib.parse

PP = config["persistence"]

PP_SOURCES = PP["sources"]

# The models each kind of Persistent Personas job opens (common.smk's ModelJob).
PP_MODEL_JOB = ModelJob(lambda w: [w.model])

PP_JUDGE_JOB = ModelJob(lambda w: [w.judge])

# source -> (checksum manifest name, {input name: upstream path}); upstream paths at the commit.
PERSISTENCE_FILES = {
    "persistent_personas": (
        "persistent-personas",
        {
            "roles": "data/roles.json",
            "interview": "data/interview.json",
            "instructions": "data/instructions.json",
            # the released human validation samples (judge_human_agreement)
            "human_fidelity": "data/sampled_ratings.csv",
            "human_bfi": "data/sampled_bfi_ratings.csv",
            "human_xstest": "data/sampled_xstest_ratings.csv",
            "human_rolebench_general": "data/sampled_instruction_general_ratings.csv",
            "human_rolebench_role_specific": "data/sampled_instruction_role_specific_ratings.csv",
        },
    ),
    "incharacter": (
        "incharacter",
        {"bfi": "data/questionnaires/BFI.json", "labels": "data/characters_labels.json"},
    ),
    "ifbench": ("ifbench", {"ifbench": "data/IFBench_test.jsonl"}),
    "xstest": ("xstest", {"xstest": "xstest_prompts.csv"}),
}

ROLEBENCH_ROLE_SPECIFIC = "instructions-eng/role-specific-{role}.jsonl"

ROLEBENCH_GENERAL = "rolebench-eng/instruction-generalization/general/test.jsonl"


PP_PROTOCOL_CHECKSUMS = "resources/checksums/persistent-personas-protocol.sha256"


def persistence_protocol():
    """The steps' `protocol` block (personascope.protocol.load_pack): the local pack absolute."""
    source = dict(PP["protocol"])
    if source.get("local"):
        source["local"] = str(local_input(source["local"]))
    return source


def persistence_protocol_files():
    """Inputs of every step that sends protocol text: a changed pack or checksum reruns them."""
    files = [str(Path(workflow.basedir) / PP_PROTOCOL_CHECKSUMS)]
    if PP["protocol"].get("local"):
        files.append(persistence_protocol()["local"])
    return files


def check_persistence_config():
    require_registered({"persistence.models": PP["models"], "persistence.judge": [PP["judge"]]})
    too_far = [k for k in PP["checkpoints"] if k > PP["rounds"]]
    if too_far:
        raise ConfigError(
            f"config persistence.checkpoints: {too_far} exceed persistence.rounds = "
            f"{PP['rounds']} (a checkpoint is a number of dialogue rounds)"
        )


exit_on_user_error(check_persistence_config)


def persistence_source_file(source, name):
    """The path of one pinned input: the local copy if configured, else the download target."""
    entry = PP_SOURCES[source]
    upstream = PERSISTENCE_FILES[source][1][name]
    if entry.get("local"):
        path = local_input(entry["local"]) / Path(upstream).name
        if not path.is_file():
            raise WorkflowError(
                f"config persistence.sources.{source}.local: {path} not found (expected the "
                f"pinned {upstream}; set local to null to download it)"
            )
        return str(path)
    return paths.PERSISTENCE_DOWNLOAD.format(
        source=source, commit=entry["commit"], file=Path(upstream).name
    )


def persistence_manifest(source):
    name = PERSISTENCE_FILES[source][0]
    commit = PP_SOURCES[source]["commit"]
    manifest = Path(workflow.basedir) / paths.PERSISTENCE_MANIFEST.format(name=name, commit=commit)
    if not manifest.is_file():
        raise WorkflowError(
            f"config persistence.sources.{source}.commit: no checksum manifest {manifest}; "
            f"pinning a new commit needs a new manifest"
        )
    return str(manifest)


def rolebench_files():
    """RoleBench files by role (+ general), or {} when no RoleBench source is configured."""
    rb = PP_SOURCES.get("rolebench") or {}
    if not (rb.get("local") or rb.get("revision")):
        return {}
    roles = [r for r in PP["roles"] if r != "empty"]

    def where(rel):
        if rb.get("local"):
            path = local_input(rb["local"]) / rel
            if not path.is_file():
                raise WorkflowError(
                    f"config persistence.sources.rolebench.local: {path} not found (expected "
                    f"the RoleBench repository layout, {rel})"
                )
            return str(path)
        return paths.PERSISTENCE_DOWNLOAD.format(
            source="rolebench", commit=rb["revision"], file="__".join(Path(rel).parts)
        )

    return {
        "role_specific": {r: where(ROLEBENCH_ROLE_SPECIFIC.format(role=r)) for r in roles},
        "general": where(ROLEBENCH_GENERAL),
    }


def persistence_input_files():
    out = {}
    for source, (_, files) in PERSISTENCE_FILES.items():
        for name in files:
            out[name] = persistence_source_file(source, name)
    return out


def persistence_checks():
    return [
        {"name": name, "manifest": persistence_manifest(source), "path": upstream}
        for source, (_, files) in PERSISTENCE_FILES.items()
        for name, upstream in files.items()
    ]


def persistence_checks_of(*names):
    """Checksum checks of some pinned inputs (by input name), for a job that reads them directly."""
    return [check for check in persistence_checks() if check["name"] in names]


def rolebench_manifest():
    """RoleBench's sha256 manifest: `manifest:` if given, else the committed one of `revision`.
    RoleBench files are read only when verified, like every other pinned input."""
    rb = PP_SOURCES.get("rolebench") or {}
    if rb.get("manifest"):
        manifest = local_input(rb["manifest"])
    elif rb.get("revision"):
        manifest = Path(workflow.basedir) / paths.PERSISTENCE_MANIFEST.format(
            name="rolebench", commit=rb["revision"]
        )
    else:
        raise WorkflowError(
            "config persistence.sources.rolebench: `local` without `revision` or `manifest`; "
            "RoleBench files are read only when checksum-verified: set `manifest` to a sha256 "
            "manifest ('<sha256>  <path in the RoleBench repository>' lines) of the copy"
        )
    # A pinned revision without a committed manifest (config/paper.yaml's, until RoleBench has
    # been fetched once on a networked machine) still plans: the inputs job that reads the files
    # refuses them, naming the manifest, so no unverified RoleBench file is ever read.
    return str(manifest)


def rolebench_checks():
    """{file, manifest, path} of every RoleBench file the inputs job reads ([] without RoleBench)."""
    rb = rolebench_files()
    if not rb:
        return []
    manifest = rolebench_manifest()
    rels = {
        **{r: ROLEBENCH_ROLE_SPECIFIC.format(role=r) for r in rb["role_specific"]},
        "general": ROLEBENCH_GENERAL,
    }
    files = {**rb["role_specific"], "general": rb["general"]}
    return [{"file": files[k], "manifest": manifest, "path": rels[k]} for k in rels]


def persistence_download_sha256(wildcards):
    """The pinned digest of a downloaded file, so a truncated or altered body is never kept."""
    if wildcards.source == "rolebench":
        rb = PP_SOURCES["rolebench"]
        if not (rb.get("manifest") or rb.get("revision")):
            return ""
        manifest = Path(rolebench_manifest())
        if not manifest.is_file():
            return ""  # downloaded unverified; the inputs job then refuses it (no manifest)
        rel = Path(*wildcards.file.split("__")).as_posix()
    else:
        manifest = Path(persistence_manifest(wildcards.source))
        rel = next(
            p
            for p in PERSISTENCE_FILES[wildcards.source][1].values()
            if Path(p).name == wildcards.file
        )
    for line in manifest.read_text(encoding="utf-8").splitlines():
        parts = line.split(maxsplit=1)
        if len(parts) == 2 and parts[1].strip() == rel:
            return f"--sha256 {parts[0]}"
    return ""


def rolebench_inputs():
    rb = rolebench_files()
    if not rb:
        return []
    return [*rb["role_specific"].values(), rb["general"]]


def persistence_download_url(wildcards):
    if wildcards.source == "rolebench":
        rel = Path(*wildcards.file.split("__")).as_posix()
        # role names hold spaces ("HAL 9000"): quote the path part of the URL
        return PP_SOURCES["rolebench"]["url"].format(
            revision=wildcards.commit, path=urllib.parse.quote(rel)
        )
    entry = PP_SOURCES[wildcards.source]
    upstream = next(
        p for p in PERSISTENCE_FILES[wildcards.source][1].values() if Path(p).name == wildcards.file
    )
    return entry["url"].format(commit=wildcards.commit, path=upstream)


# --- Persistent Personas --- (issue #5) judge jobs per judge x model, IFBench verifiers per
# model, and the ratings table every statistic and figure of the study reads.
def persistence_judge_spec(w):
    return {
        "judge": w.judge,
        "model": w.model,
        "max_input_tokens": PP["judge_max_input_tokens"],
        "truncation": PP["judge_truncation"],
        "system_prompt": PP["judge_system_prompt"],
        "published_quirks": PP["published_quirks"],
        "seed": PP["seed"],
        "protocol": persistence_protocol(),
        "sampling": PP["sampling"]["judge"],
        "judge_mode": PP["judge_mode"],
    }


def persistence_judge_path(template, stage):
    return template.format(judge="{judge}", model="{model}", stage=stage)


def persistence_rating_inputs():
    judgments = [
        persistence_judge_path(paths.PERSISTENCE_JUDGMENTS, stage).format(judge=PP["judge"], model=m)
        for m in PP["models"]
        for stage in paths.PERSISTENCE_JUDGE_STAGES
    ]
    ifbench = (
        [paths.PERSISTENCE_IFBENCH.format(model=m) for m in PP["models"]]
        if "ifbench" in PP["datasets"]
        else []
    )
    return {"judgments": judgments, "ifbench": ifbench}


def persistence_targets():
    """Part A's targets (the protocol sheet, the ratings table); statistics and figures add
    theirs."""
    return [
        paths.PERSISTENCE_PROTOCOL_JSON,
        paths.PERSISTENCE_PROTOCOL_MD,
        paths.PERSISTENCE_PROTOCOL_EXAMPLES,
        paths.PERSISTENCE_RATINGS,
        paths.PERSISTENCE_FAILURE_REPORT,
        paths.PERSISTENCE_JUDGE_HUMAN_AGREEMENT,
        *[paths.PERSISTENCE_JUDGE_REPORT.format(ext=ext) for ext in ("json", "md")],
    ]


HUMAN_INPUTS = ("roles", "bfi", *(f"human_{t}" for t in (
    "fidelity", "bfi", "xstest", "rolebench_general", "rolebench_role_specific")))


def persistence_human_inputs():
    files = persistence_input_files()
    return {name: files[name] for name in HUMAN_INPUTS}


def persistence_human_spec(w):
    return {
        "judge": w.judge,
        "samples": PP["human_validation"]["samples"],
        "seed": PP["seed"],
        "system_prompt": PP["judge_system_prompt"],
        "protocol": persistence_protocol(),
        "sampling": PP["sampling"]["judge"],
        "checks": [c for c in persistence_checks() if c["name"] in HUMAN_INPUTS],
        "judge_mode": PP["judge_mode"],
    }


def persistence_sheet_spec():
    """Everything the protocol sheet states: the study's config and its models' entries."""
    keys = ("judge", "rounds", "checkpoints", "dialogue_types", "orders", "datasets",
            "items_per_dataset", "sampling", "judge_max_input_tokens", "judge_truncation",
            "judge_system_prompt", "published_quirks", "judge_mode")
    return {
        **{k: PP[k] for k in keys},
        "models_run": PP["models"],
        "models": registry_subset(*PP["models"], PP["judge"]),
        "protocol": persistence_protocol(),
    }


# --- Persistent Personas --- statistics (issue #5 part B): from one ratings table (the workflow's
# own, or config persistence.ratings_table) to 0-100 observations, bootstrap tables, MixedLM tables.
PP_STATS = PP["statistics"]


def persistence_ratings_table():
    """A given ratings table replaces the generated one: then no model or judge job runs."""
    return PP["ratings_table"] or paths.PERSISTENCE_RATINGS


def persistence_size_registry():
    """family / size_class / params_b: the cost regressions' sizes. Of the study's models; of every
    registered model when a given ratings table may name others."""
    keep = ("family", "size_class", "params_b")
    names = config["models"] if PP["ratings_table"] else PP["models"]
    return {n: {k: config["models"][n].get(k) for k in keep} for n in names}


# --- Persistent Personas --- figures (issue #5 part B): one job per figure, each rebuildable
# alone: `snakemake results/persistence/figures/<name>.pdf`. A dataset without ratings gets a
# "no data for <dataset>" panel and a footnote, never a failed job.
def persistence_figure_inputs(wildcards):
    sources = paths.PERSISTENCE_FIGURES[wildcards.name]
    return {
        "coverage": paths.PERSISTENCE_COVERAGE,
        **{s: paths.persistence_figure_source(s) for s in sources},
    }


def persistence_analysis_targets():
    """Part B's targets: every Persistent Personas table and figure."""
    return [
        *[paths.persistence_table(name, ext)
          for name, exts in paths.PERSISTENCE_TABLES.items() for ext in exts],
        *[paths.persistence_figure(name, ext)
          for name in paths.PERSISTENCE_FIGURES for ext in ("pdf", "png")],
    ]
