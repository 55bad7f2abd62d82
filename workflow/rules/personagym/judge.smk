# results/personagym/judge/report.{json,md}: how the two judges answered, and how they agree.


rule personagym_judge_report:
    input:
        grading=[f for m in PG["models"] for f in personagym_grading_files(m)],
    output:
        json=paths.PERSONAGYM_JUDGE_REPORT.format(ext="json"),
        md=reported(paths.PERSONAGYM_JUDGE_REPORT.format(ext="md"), "personagym", "Documents"),
    params:
        **step_params(lambda w: {"judge_mode": PG["judge_mode"]}),
    log:
        paths.log("personagym", "judge", "report"),
    container:
        config["containers"]["cpu"]
    shell:
        run_step("personagym.judge.report")
