# Dialogue-conditioned benchmarks: one job per model, every role x dialogue type x checkpoint x
# item, requests ordered so shared prefixes are adjacent; prompts over the context are reported.
rule persistence_conditioned:
    input:
        dialogues=paths.PERSISTENCE_DIALOGUES,
        roles=paths.persistence_data("roles"),
        benchmark_items=paths.persistence_data("benchmark_items"),
    output:
        responses=paths.PERSISTENCE_CONDITIONED,
        overflow=paths.PERSISTENCE_OVERFLOW,
        usage=paths.PERSISTENCE_CONDITIONED_USAGE,
    params:
        **step_params(
            lambda w: {
                "model": w.model,
                "dialogue_types": PP["dialogue_types"],
                "checkpoints": PP["checkpoints"],
                "context_tokens": PP["context_tokens"],
                "sampling": PP["sampling"]["conditioned"],
            },
            PP_MODEL_JOB,
        ),
    log:
        paths.log("persistence", "conditioned", "{model}"),
    threads: MODEL_JOB_THREADS
    resources:
        **PP_MODEL_JOB.resources,
    container:
        PP_MODEL_JOB.container
    shell:
        run_step("persistence.conditioned.respond")
