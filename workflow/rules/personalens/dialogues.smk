# Dialogue simulation: one job per assistant model x setting x shard, all dialogues of the shard
# advanced round-synchronously (one engine batch per side per round).
rule personalens_dialogues:
    input:
        sample=paths.PERSONALENS_SAMPLE,
        **release_inputs(),
    output:
        dialogues=paths.PERSONALENS_DIALOGUES,
        usage=paths.PERSONALENS_DIALOGUE_USAGE,
    params:
        **step_params(
            lambda w: {
                "assistant": w.model,
                "user_agent": PL["user_agent"],
                "setting": w.setting,
                "shard": int(w.shard),
                "n_shards": PL["shards"],
                "turn_caps": PL["turn_caps"],
                "history_format": PL["history_format"],
                "sampling": {k: PL["sampling"][k] for k in ("user", "assistant", "assistant_top_p")},
                "protocol": PL["protocol"],
            },
            PL_DIALOGUE_JOB,
        ),
    log:
        paths.log("personalens", "dialogues", "{model}", "{setting}", "shard-{shard}"),
    threads: MODEL_JOB_THREADS
    resources:
        **PL_DIALOGUE_JOB.resources,
    container:
        PL_DIALOGUE_JOB.container
    shell:
        run_step("personalens.dialogues.simulate")
