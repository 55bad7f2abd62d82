# results/personagym/examples/: score examples per question (one call per task group).


rule personagym_examples:
    input:
        questions=paths.PERSONAGYM_QUESTIONS,
        **personagym_pins(),
    output:
        examples=paths.PERSONAGYM_EXAMPLES,
        usage=paths.PERSONAGYM_EXAMPLE_USAGE,
    params:
        **step_params(
            lambda w: {
                "examples_model": PG["examples_model"],
                "group_size": PG["group_size"],
                "published_quirks": PG["published_quirks"],
                "helper_system": PG["helper_system"],
                "sampling": PG["sampling"]["examples"],
                **personagym_sources(),
            },
            PG_EXAMPLES_JOB,
        ),
    log:
        paths.log("personagym", "examples"),
    threads: MODEL_JOB_THREADS
    resources:
        **PG_EXAMPLES_JOB.resources,
    container:
        PG_EXAMPLES_JOB.container
    shell:
        run_step("personagym.examples.generate_examples")
