rule persistence_judge_dialogues:
    input:
        dialogues=paths.PERSISTENCE_DIALOGUES,
        roles=paths.persistence_data("roles"),
    output:
        judgments=persistence_judge_path(paths.PERSISTENCE_JUDGMENTS, "dialogues"),
        usage=persistence_judge_path(paths.PERSISTENCE_JUDGE_USAGE, "dialogues"),
    params:
        **step_params(persistence_judge_spec, PP_JUDGE_JOB),
    log:
        paths.log("persistence", "judge", "{judge}", "{model}", "dialogues"),
    threads: MODEL_JOB_THREADS
    resources:
        **PP_JUDGE_JOB.resources,
    container:
        PP_JUDGE_JOB.container
    shell:
        run_step("persistence.judge.dialogues")


rule persistence_judge_conditioned:
    input:
        responses=paths.PERSISTENCE_CONDITIONED,
        roles=paths.persistence_data("roles"),
    output:
        judgments=persistence_judge_path(paths.PERSISTENCE_JUDGMENTS, "conditioned"),
        usage=persistence_judge_path(paths.PERSISTENCE_JUDGE_USAGE, "conditioned"),
    params:
        **step_params(persistence_judge_spec, PP_JUDGE_JOB),
    log:
        paths.log("persistence", "judge", "{judge}", "{model}", "conditioned"),
    threads: MODEL_JOB_THREADS
    resources:
        **PP_JUDGE_JOB.resources,
    container:
        PP_JUDGE_JOB.container
    shell:
        run_step("persistence.judge.conditioned")


# The judge report: how the judge answered (statuses, re-asks, constrained rates, scores).
rule persistence_judge_report:
    input:
        judgments=persistence_rating_inputs()["judgments"],
    output:
        json=paths.PERSISTENCE_JUDGE_REPORT.format(ext="json"),
        md=reported(paths.PERSISTENCE_JUDGE_REPORT.format(ext="md"), "persistence", "Documents"),
    params:
        **step_params(lambda w: {"judge_mode": PP["judge_mode"]}),
    log:
        paths.log("persistence", "judge", "report"),
    container:
        config["containers"]["cpu"]
    shell:
        run_step("persistence.judge.report")
