# results/personagym/questions/: the frozen benchmark questions, or LLM-generated ones.


rule personagym_questions:
    input:
        **personagym_pins(),
    output:
        questions=paths.PERSONAGYM_QUESTIONS,
        attempts=paths.PERSONAGYM_QUESTION_ATTEMPTS,
        usage=paths.PERSONAGYM_QUESTION_USAGE,
    params:
        **step_params(
            lambda w: {
                "mode": PG["mode"],
                "personas": PG["personas"],
                "questions_per_task": PG["questions_per_task"],
                "num_questions": PG["generation"]["num_questions"],
                "attempts": PG["generation"]["attempts"],
                "questions_model": PG["questions_model"],
                "helper_system": PG["helper_system"],
                "sampling": PG["sampling"]["questions"],
                **personagym_sources(),
            },
            PG_QUESTIONS_JOB,
        ),
    log:
        paths.log("personagym", "questions"),
    threads: MODEL_JOB_THREADS
    resources:
        **PG_QUESTIONS_JOB.resources,
    container:
        PG_QUESTIONS_JOB.container
    shell:
        run_step("personagym.questions.build")
