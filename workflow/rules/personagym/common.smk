# Functions of the PersonaGym rules, kept apart from the rule files (the linter wants those to
# hold only rules). One stage per file: workflow/rules/personagym/<stage>.smk.

PG = config["personagym"]


def check_personagym_config():
    named = {
        "personagym.models": PG["models"],
        "personagym.judges": list(PG["judges"].values()),
        "personagym.examples_model": [PG["examples_model"]],
        "personagym.questions_model": [PG["questions_model"]],
        "personagym.published_runs": [m for m in PG["published_runs"].values() if m],
    }
    require_registered(named)
    if sorted(PG["judges"]) != sorted(paths.PERSONAGYM_JUDGE_SLOTS):
        raise ConfigError(
            f"config personagym.judges: expected the slots {list(paths.PERSONAGYM_JUDGE_SLOTS)} "
            f"(the two judges), got {sorted(PG['judges'])}"
        )


exit_on_user_error(check_personagym_config)

# the models each kind of job opens (registry entries, cache, SLURM resources, image)
PG_QUESTIONS_JOB = ModelJob(lambda w: [PG["questions_model"]])
PG_ANSWERS_JOB = ModelJob(lambda w: [w.model])
PG_EXAMPLES_JOB = ModelJob(lambda w: [PG["examples_model"]])
PG_GRADING_JOB = ModelJob(lambda w: [PG["judges"][w.slot]])


def personagym_sources():
    """What every text-using step reads: the pack and data folders (absolute) and the pins."""
    protocol = {**PG["protocol"]}
    if protocol.get("local"):
        protocol["local"] = str(local_input(protocol["local"]))
    data = {**PG["data"], "local": str(local_input(PG["data"]["local"]))}
    return {"protocol": protocol, "data": data}


def personagym_pins():
    """Inputs that rerun a step when a pinned text or data checksum changes."""
    return {
        "protocol_checksums": local_input("resources/checksums/personagym-protocol.sha256"),
        "data_checksums": local_input(
            f"resources/checksums/personagym-{PG['data']['commit']}.sha256"
        ),
    }


def personagym_grading_files(model):
    return [
        paths.PERSONAGYM_GRADING.format(slot=slot, model=model)
        for slot in paths.PERSONAGYM_JUDGE_SLOTS
    ]


def personagym_registry():
    """Registry entries the tables and figure describe: ours and the published runs'."""
    names = [*PG["models"], *(m for m in PG["published_runs"].values() if m)]
    return registry_subset(*names)


def personagym_targets():
    return [
        paths.PERSONAGYM_PROTOCOL_JSON,
        paths.PERSONAGYM_PROTOCOL_MD,
        paths.PERSONAGYM_PROTOCOL_EXAMPLES,
        *(paths.PERSONAGYM_JUDGE_REPORT.format(ext=ext) for ext in ("json", "md")),
        *(paths.personagym_table(name) for name in paths.PERSONAGYM_TABLES),
        *(
            paths.personagym_figure(name, ext)
            for name in paths.PERSONAGYM_FIGURES
            for ext in ("pdf", "png")
        ),
    ]
