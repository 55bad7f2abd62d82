# Functions and constants of the personalens rules, kept apart from the rule files
# (`snakemake --lint`: rule files hold rules only).

from personascope.personalens.templates import assistant_runs
from personascope.protocol import load_pack

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


def sample_spec():
    return {**{k: PL[k] for k in SAMPLE_KEYS}, "samples": PL["protocol"].get("samples")}


def named_samples_input():
    samples = config["personalens"]["protocol"].get("samples")
    return {"samples": str(local_input(samples))} if samples else {}


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

PL_PACK = exit_on_user_error(load_pack, "personalens", PL["protocol"])


def assistant_families():
    families = {}
    for model in PL["assistants"]:
        family = config["models"][model].get("prompt_family")
        if family is None:
            raise ConfigError(
                f"config models.{model}: an assistant of personalens needs prompt_family "
                f"(claude, llama or mistral)"
            )
        families[model] = family
    return families


def assistant_setting_pairs():
    """The (assistant, setting) pairs upstream wrote prompts for (vanilla: Claude family only);
    an assistant in personalens.settings_of runs its own list."""
    unknown = sorted(set(PL["settings_of"]) - set(PL["assistants"]))
    if unknown:
        raise ConfigError(
            f"config personalens.settings_of: {unknown} are not personalens.assistants "
            f"{PL['assistants']}"
        )
    pairs, _ = assistant_runs(
        PL_PACK, PL["assistants"], PL["settings"], PL["settings_of"], assistant_families()
    )
    return pairs


# once: every rule that expands over the runs reads the same pairs
PL_PAIRS = exit_on_user_error(assistant_setting_pairs)


def expand_pairs(pattern, **more):
    return [
        pattern.format(model=model, setting=setting, shard=shard, **more)
        for model, setting in PL_PAIRS
        for shard in range(PL["shards"])
    ]


def personalens_focus():
    """The paper's assistant and setting for its one-run tables and figures, checked against
    what the run holds (a focus the run lacks would give empty tables)."""
    run = {
        "assistants": PL["assistants"],
        "settings": list(dict.fromkeys(
            [*PL["settings"], *(s for own in PL["settings_of"].values() for s in own)]
        )),
    }
    for key, among in (("focus_assistant", "assistants"), ("focus_setting", "settings")):
        if PL[key] is not None and PL[key] not in run[among]:
            raise ConfigError(
                f"config personalens.{key}: {PL[key]!r} is not one of personalens.{among} "
                f"{run[among]} (null = every one)"
            )
    return {"focus_assistant": PL["focus_assistant"], "focus_setting": PL["focus_setting"]}


PL_FOCUS = exit_on_user_error(personalens_focus)


def personalens_judgments():
    return expand_pairs(paths.PERSONALENS_JUDGMENTS, judge=PL["judge"])


def personalens_dialogue_files():
    return expand_pairs(paths.PERSONALENS_DIALOGUES)


def protocol_sheet_params():
    return {
        "protocol": PL["protocol"],
        "users": PL["users"],
        "kinds": PL["kinds"],
        "assistants": PL["assistants"],
        "settings": PL["settings"],
        "settings_of": PL["settings_of"],
        "user_agent": PL["user_agent"],
        "judge": PL["judge"],
        "turn_caps": PL["turn_caps"],
        "history_format": PL["history_format"],
        "sampling": PL["sampling"],
        "published_quirks": PL["published_quirks"],
        "judge_dimensions": PL.get("judge_dimensions"),
        "judge_mode": PL["judge_mode"],
        "models": registry_subset(*PL["assistants"], PL["user_agent"], PL["judge"]),
        "turn_level_domains": PL["turn_level_domains"],
        **PL_FOCUS,
    }


def personalens_targets():
    tables = [
        *paths.PERSONALENS_DATASET_TABLES,
        *paths.PERSONALENS_JUDGE_TABLES,
        *paths.PERSONALENS_DIALOGUE_TABLES,
    ]
    if PL["human_ratings"]:
        tables.append("agreement")
    return [
        paths.PERSONALENS_PROTOCOL,
        *[paths.personalens_result_table(n, ext) for n in tables for ext in ("csv", "tex")],
        *[paths.personalens_figure(n, ext) for n in paths.PERSONALENS_FIGURES
          for ext in ("pdf", "png")],
        *[paths.PERSONALENS_JUDGE_REPORT.format(ext=ext) for ext in ("json", "md")],
    ]
