# Functions and constants of the personalens rules, kept apart from the rule files
# (`snakemake --lint`: rule files hold rules only).

PL = config["personalens"]

PL_DATA = config["data"]["personalens"]


def personalens_archive():
    if PL_DATA["local"]:
        archive = local_input(PL_DATA["local"])
        if not archive.is_file():
            raise WorkflowError(
                f"config data.personalens.local: PersonaLens archive not found at {archive} "
                f"(expected the release .tar.gz; set it to null to download {PL_DATA['url']})"
            )
        return str(archive)
    return paths.PERSONALENS_ARCHIVE.format(commit=PL_DATA["commit"])


def personalens_manifest():
    manifest = Path(workflow.basedir) / paths.PERSONALENS_MANIFEST.format(commit=PL_DATA["commit"])
    if not manifest.is_file():
        raise WorkflowError(
            f"config data.personalens.commit: no checksum manifest {manifest} for commit "
            f"{PL_DATA['commit']}; pinning a new commit needs a new manifest"
        )
    return str(manifest)


SAMPLE_KEYS = ("users", "kinds", "task_ids", "domains", "tasks_per_user", "seed")


# --- PersonaLens, issue #4: optional regeneration + dataset statistics ------------------------
PL_REGEN = PL["regenerate"]

PL_REGEN_ON = PL_REGEN["enabled"]

# null: the user agent writes the regenerated inputs
PL_REGEN_MODEL = PL_REGEN["model"] or PL["user_agent"]

# The models each kind of PersonaLens job opens (common.smk's ModelJob).
PL_DIALOGUE_JOB = ModelJob(lambda w: [w.model, PL["user_agent"]])

PL_JUDGE_JOB = ModelJob(lambda w: [w.judge])

PL_REGENERATE_JOB = ModelJob(lambda w: [PL_REGEN_MODEL])


def personalens_input(table):
    """The persona table the dialogues use: the release's, or its LLM-regenerated version
    when config personalens.regenerate.enabled is true (the release stays the default)."""
    if PL_REGEN_ON and table in paths.PERSONALENS_REGENERATED_TABLES:
        return paths.PERSONALENS_REGENERATED.format(table=table)
    return paths.personalens_release_table(table)


def release_inputs():
    return {t: personalens_input(t) for t in ("profiles", "affinities", "interactions")}

def personalens_judgments():
    return expand(
        paths.PERSONALENS_JUDGMENTS,
        judge=PL["judge"],
        model=PL["assistants"],
        setting=PL["settings"],
        shard=range(PL["shards"]),
    )


def personalens_dialogue_files():
    return expand(
        paths.PERSONALENS_DIALOGUES,
        model=PL["assistants"],
        setting=PL["settings"],
        shard=range(PL["shards"]),
    )


def alternatives(names):
    return "|".join(names)


def personalens_targets():
    tables = [
        *paths.PERSONALENS_DATASET_TABLES,
        *paths.PERSONALENS_JUDGE_TABLES,
        *paths.PERSONALENS_DIALOGUE_TABLES,
    ]
    if PL["human_ratings"]:
        tables.append("agreement")
    return [
        *[paths.personalens_result_table(n, ext) for n in tables for ext in ("csv", "tex")],
        *[paths.personalens_figure(n, ext) for n in paths.PERSONALENS_FIGURES
          for ext in ("pdf", "png")],
        *[paths.PERSONALENS_JUDGE_REPORT.format(ext=ext) for ext in ("json", "md")],
    ]
