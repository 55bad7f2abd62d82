# Dialogue simulation: one job per assistant model x setting x shard, all dialogues of the shard
# advanced round-synchronously (one engine batch per side per round).
wildcard_constraints:
    model=r"[^/]+",
    setting=r"[^/]+",
    shard=r"\d+",
    judge=r"[^/]+",


rule personalens_dialogues:
    input:
        sample=paths.PERSONALENS_SAMPLE,
        **release_inputs(),
    output:
        dialogues=paths.PERSONALENS_DIALOGUES,
        usage=paths.PERSONALENS_DIALOGUE_USAGE,
    params:
        spec=lambda w: as_json(
            {
                "assistant": w.model,
                "user_agent": PL["user_agent"],
                "setting": w.setting,
                "shard": int(w.shard),
                "n_shards": PL["shards"],
                "max_user_turns": PL["max_user_turns"],
                "history_format": PL["history_format"],
                "sampling": {k: PL["sampling"].get(k, {}) for k in ("user", "assistant")},
                "models": registry_subset(w.model, PL["user_agent"]),
                "cache_dir": config["cache_dir"],
            }
        ),
    log:
        paths.log("personalens", "dialogues", "{model}", "{setting}", "shard-{shard}"),
    threads: MODEL_JOB_THREADS
    resources:
        **job_resources(lambda w: [w.model, PL["user_agent"]]),
    container:
        job_container(lambda w: [w.model, PL["user_agent"]])
    shell:
        step("personalens.dialogues", ["sample", "profiles", "affinities", "interactions"],
             ["dialogues", "usage"])


# --- Persistent Personas --- one job per model: every role x dialogue type x order, scripted user,
# round-synchronous (issue #5; rules for its inputs are in conditioned.smk).
rule persistence_dialogues:
    input:
        roles=paths.persistence_data("roles"),
        scripts=paths.persistence_data("scripts"),
    output:
        dialogues=paths.PERSISTENCE_DIALOGUES,
        usage=paths.PERSISTENCE_DIALOGUE_USAGE,
    params:
        spec=lambda w: as_json(
            {
                "model": w.model,
                "dialogue_types": config["persistence"]["dialogue_types"],
                "orders": config["persistence"]["orders"],
                "rounds": config["persistence"]["rounds"],
                "sampling": config["persistence"]["sampling"]["dialogue"],
                "models": registry_subset(w.model),
                "cache_dir": config["cache_dir"],
            }
        ),
    log:
        paths.log("persistence", "dialogues", "{model}"),
    threads: MODEL_JOB_THREADS
    resources:
        **job_resources(lambda w: [w.model]),
    container:
        job_container(lambda w: [w.model])
    shell:
        step("persistence.dialogues", ["roles", "scripts"], ["dialogues", "usage"])
