# Dialogue simulation: one job per assistant model x setting x shard, all dialogues of the shard
# advanced round-synchronously (one engine batch per side per round).
PL = config["personalens"]


wildcard_constraints:
    model=r"[^/]+",
    setting=r"[^/]+",
    shard=r"\d+",
    judge=r"[^/]+",


def release_inputs():
    return {t: paths.personalens_release_table(t) for t in ("profiles", "affinities", "interactions")}


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
    container:
        config["containers"]["cpu"]
    shell:
        step("personalens.dialogues", ["sample", "profiles", "affinities", "interactions"],
             ["dialogues", "usage"])
