# results/personagym/protocol.{json,md}, protocol_examples.jsonl: what would run (issue #15).


rule personagym_protocol:
    input:
        **personagym_pins(),
    output:
        json=paths.PERSONAGYM_PROTOCOL_JSON,
        md=reported(paths.PERSONAGYM_PROTOCOL_MD, "personagym", "Documents"),
        examples=paths.PERSONAGYM_PROTOCOL_EXAMPLES,
    params:
        **step_params(
            lambda w: {
                "mode": PG["mode"],
                "personas": PG["personas"],
                "questions_per_task": PG["questions_per_task"],
                "group_size": PG["group_size"],
                "models_under_test": PG["models"],
                "judges": PG["judges"],
                "examples_model": PG["examples_model"],
                "questions_model": PG["questions_model"],
                "judge_mode": PG["judge_mode"],
                "published_quirks": PG["published_quirks"],
                "helper_system": PG["helper_system"],
                "sampling": PG["sampling"],
                "registry": registry_subset(
                    *PG["models"],
                    *PG["judges"].values(),
                    PG["examples_model"],
                    PG["questions_model"],
                ),
                **personagym_sources(),
            }
        ),
    log:
        paths.log("personagym", "protocol"),
    container:
        config["containers"]["cpu"]
    shell:
        run_step("personagym.protocol.sheet")
