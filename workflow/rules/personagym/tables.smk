# results/personagym/tables/: PersonaScore, published runs beside ours, agreement, failures.


rule personagym_tables:
    input:
        personas=expand(paths.PERSONAGYM_PERSONA_SCORES, model=PG["models"]),
        grading=[f for m in PG["models"] for f in personagym_grading_files(m)],
        **personagym_pins(),
    output:
        **{
            name: report_table(paths.personagym_table(name), "personagym")
            for name in paths.PERSONAGYM_TABLES
        },
    params:
        **step_params(
            lambda w: {
                "published_runs": PG["published_runs"],
                "published_quirks": PG["published_quirks"],
                "resamples": PG["bootstrap"]["resamples"],
                "seed": PG["bootstrap"]["seed"],
                "data": personagym_sources()["data"],
            }
        ),
    log:
        paths.log("personagym", "tables"),
    container:
        config["containers"]["cpu"]
    shell:
        run_step("personagym.tables.build")
