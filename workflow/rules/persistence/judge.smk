rule persistence_judge_dialogues:
    input:
        dialogues=paths.PERSISTENCE_DIALOGUES,
        roles=paths.persistence_data("roles"),
        protocol=persistence_protocol_files(),
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
        benchmark_items=paths.persistence_data("benchmark_items"),
        protocol=persistence_protocol_files(),
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


# Judge validation: the configured judge on upstream's released human-rated samples
# (persistence.human_validation.samples per task; null = all 50); compared in tables.smk.
rule persistence_judge_human_samples:
    input:
        **persistence_human_inputs(),
        protocol=persistence_protocol_files(),
    output:
        judgments=paths.PERSISTENCE_HUMAN_JUDGMENTS,
        usage=paths.PERSISTENCE_HUMAN_USAGE,
    params:
        **step_params(persistence_human_spec, PP_JUDGE_JOB),
    log:
        paths.log("persistence", "judge", "{judge}", "human_samples"),
    threads: MODEL_JOB_THREADS
    resources:
        **PP_JUDGE_JOB.resources,
    container:
        PP_JUDGE_JOB.container
    shell:
        run_step("persistence.judge.human_samples")
