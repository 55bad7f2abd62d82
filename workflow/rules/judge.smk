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
                "models": registry_subset(w.judge),
                "cache_dir": config["cache_dir"],
            }
        ),
    log:
        paths.log("personalens", "judge", "{judge}", "{model}", "{setting}", "shard-{shard}"),
    container:
        config["containers"]["cpu"]
    shell:
        step("personalens.judge", ["dialogues", "sample", "profiles", "affinities", "interactions"],
             ["judgments", "usage"])
