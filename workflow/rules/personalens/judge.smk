# LLM-as-judge: one job per dialogue file; raw text, parsed value and parse status per item.
rule personalens_judge:
    input:
        dialogues=paths.PERSONALENS_DIALOGUES,
        sample=paths.PERSONALENS_SAMPLE,
        **release_inputs(),
    output:
        judgments=paths.PERSONALENS_JUDGMENTS,
        usage=paths.PERSONALENS_JUDGE_USAGE,
    params:
        **step_params(
            lambda w: {
                "judge": w.judge,
                "sampling": PL["sampling"]["judge"],
                "judge_mode": PL["judge_mode"],
                "dimensions": PL["judge_dimensions"],
                "protocol": PL["protocol"],
                "published_quirks": PL["published_quirks"],
            },
            PL_JUDGE_JOB,
        ),
    log:
        paths.log("personalens", "judge", "{judge}", "{model}", "{setting}", "shard-{shard}"),
    threads: MODEL_JOB_THREADS
    resources:
        **PL_JUDGE_JOB.resources,
    container:
        PL_JUDGE_JOB.container
    shell:
        run_step("personalens.judge.dialogues")


# The judge report: how the judges answered (statuses, re-asks, constrained rates, scores).
rule personalens_judge_report:
    input:
        judgments=personalens_judgments(),
        **({"agreement": paths.personalens_result_table("agreement", "csv")}
           if PL["human_ratings"] else {}),
    output:
        json=paths.PERSONALENS_JUDGE_REPORT.format(ext="json"),
        md=reported(paths.PERSONALENS_JUDGE_REPORT.format(ext="md"), "personalens", "Documents"),
    params:
        **step_params(lambda w: {"judge_mode": PL["judge_mode"]}),
    log:
        paths.log("personalens", "judge", "report"),
    container:
        config["containers"]["cpu"]
    shell:
        run_step("personalens.judge.report")
