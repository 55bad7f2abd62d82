# One job per model: every role x dialogue type x order, scripted user, round-synchronous.
rule persistence_dialogues:
    input:
        roles=paths.persistence_data("roles"),
        scripts=paths.persistence_data("scripts"),
    output:
        dialogues=paths.PERSISTENCE_DIALOGUES,
        usage=paths.PERSISTENCE_DIALOGUE_USAGE,
    params:
        **step_params(
            lambda w: {
                "model": w.model,
                "dialogue_types": PP["dialogue_types"],
                "orders": PP["orders"],
                "rounds": PP["rounds"],
                "sampling": PP["sampling"]["dialogue"],
            },
            PP_MODEL_JOB,
        ),
    log:
        paths.log("persistence", "dialogues", "{model}"),
    threads: MODEL_JOB_THREADS
    resources:
        **PP_MODEL_JOB.resources,
    container:
        PP_MODEL_JOB.container
    shell:
        run_step("persistence.dialogues.simulate")
