# results/personagym/answers/{model}: the persona agent's one-turn answers.


rule personagym_answers:
    input:
        questions=paths.PERSONAGYM_QUESTIONS,
        **personagym_pins(),
    output:
        answers=paths.PERSONAGYM_ANSWERS,
        usage=paths.PERSONAGYM_ANSWER_USAGE,
    params:
        **step_params(
            lambda w: {
                "model": w.model,
                "sampling": PG["sampling"]["answer"],
                "published_quirks": PG["published_quirks"],
                **personagym_sources(),
            },
            PG_ANSWERS_JOB,
        ),
    log:
        paths.log("personagym", "answers", "{model}"),
    threads: MODEL_JOB_THREADS
    resources:
        **PG_ANSWERS_JOB.resources,
    container:
        PG_ANSWERS_JOB.container
    shell:
        run_step("personagym.answers.answer")
