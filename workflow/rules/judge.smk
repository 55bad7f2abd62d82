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
        spec=lambda w: as_json(
            {
                "judge": w.judge,
                "sampling": PL["sampling"].get("judge", {}),
                "dimensions": PL.get("judge_dimensions"),
                "turn_level_max_turns": PL.get("turn_level_max_turns"),
                "models": registry_subset(w.judge),
                "cache_dir": config["cache_dir"],
            }
        ),
    log:
        paths.log("personalens", "judge", "{judge}", "{model}", "{setting}", "shard-{shard}"),
    threads: MODEL_JOB_THREADS
    resources:
        **job_resources(lambda w: [w.judge]),
    container:
        job_container(lambda w: [w.judge])
    shell:
        step("personalens.judge", ["dialogues", "sample", "profiles", "affinities", "interactions"],
             ["judgments", "usage"])


# Judge-human agreement: only when config personalens.human_ratings names a CSV
# (format: personascope/personalens/agreement.py).
if PL.get("human_ratings"):

    rule personalens_agreement:
        input:
            judgments=lambda w: personalens_judgments(),
            ratings=PL["human_ratings"],
        output:
            csv=paths.personalens_result_table("agreement", "csv"),
            tex=paths.personalens_result_table("agreement", "tex"),
        log:
            paths.log("personalens", "agreement"),
        container:
            config["containers"]["cpu"]
        shell:
            step("personalens.agreement", ["judgments", "ratings"], ["csv", "tex"], params=False)


rule persistence_judge_dialogues:
    input:
        dialogues=paths.PERSISTENCE_DIALOGUES,
        roles=paths.persistence_data("roles"),
    output:
        judgments=persistence_judge_path(paths.PERSISTENCE_JUDGMENTS, "dialogues"),
        usage=persistence_judge_path(paths.PERSISTENCE_JUDGE_USAGE, "dialogues"),
    params:
        spec=persistence_judge_spec,
    log:
        paths.log("persistence", "judge", "{judge}", "{model}", "dialogues"),
    threads: MODEL_JOB_THREADS
    resources:
        **job_resources(lambda w: [w.judge]),
    container:
        job_container(lambda w: [w.judge])
    shell:
        step("persistence.judge_dialogues", ["dialogues", "roles"], ["judgments", "usage"])


rule persistence_judge_conditioned:
    input:
        responses=paths.PERSISTENCE_CONDITIONED,
        roles=paths.persistence_data("roles"),
    output:
        judgments=persistence_judge_path(paths.PERSISTENCE_JUDGMENTS, "conditioned"),
        usage=persistence_judge_path(paths.PERSISTENCE_JUDGE_USAGE, "conditioned"),
    params:
        spec=persistence_judge_spec,
    log:
        paths.log("persistence", "judge", "{judge}", "{model}", "conditioned"),
    threads: MODEL_JOB_THREADS
    resources:
        **job_resources(lambda w: [w.judge]),
    container:
        job_container(lambda w: [w.judge])
    shell:
        step("persistence.judge_conditioned", ["responses", "roles"], ["judgments", "usage"])


rule persistence_ifbench:
    input:
        responses=paths.PERSISTENCE_CONDITIONED,
        test_set=persistence_source_file("ifbench", "ifbench"),
    output:
        scores=paths.PERSISTENCE_IFBENCH,
        report=paths.PERSISTENCE_IFBENCH_REPORT,
    log:
        paths.log("persistence", "ifbench", "{model}"),
    container:
        config["containers"]["cpu"]
    shell:
        step("persistence.ifbench", ["responses", "test_set"], ["scores", "report"], params=False)


rule persistence_ratings:
    input:
        **persistence_rating_inputs(),
    output:
        ratings=paths.PERSISTENCE_RATINGS,
        failures=paths.PERSISTENCE_FAILURES,
        report=paths.PERSISTENCE_FAILURE_REPORT,
    log:
        paths.log("persistence", "ratings"),
    container:
        config["containers"]["cpu"]
    shell:
        step("persistence.ratings", [k for k, v in persistence_rating_inputs().items() if v],
             ["ratings", "failures", "report"], params=False)
