# results/personagym/grading/{slot}/{model}: one judge's grades of one model's answers.


rule personagym_grading:
    input:
        answers=paths.PERSONAGYM_ANSWERS,
        examples=paths.PERSONAGYM_EXAMPLES,
        **personagym_pins(),
    output:
        grading=paths.PERSONAGYM_GRADING,
        usage=paths.PERSONAGYM_GRADING_USAGE,
    wildcard_constraints:
        slot="|".join(paths.PERSONAGYM_JUDGE_SLOTS),
    params:
        **step_params(
            lambda w: {
                "judge": PG["judges"][w.slot],
                "judge_slot": w.slot,
                "judge_mode": PG["judge_mode"],
                "group_size": PG["group_size"],
                "published_quirks": PG["published_quirks"],
                "sampling": PG["sampling"][w.slot],
                **personagym_sources(),
            },
            PG_GRADING_JOB,
        ),
    log:
        paths.log("personagym", "grading", "{slot}", "{model}"),
    threads: MODEL_JOB_THREADS
    resources:
        **PG_GRADING_JOB.resources,
    container:
        PG_GRADING_JOB.container
    shell:
        run_step("personagym.grading.grade")
