# results/personagym/scores/{model}: task scores and PersonaScore per persona.


rule personagym_scores:
    input:
        grading=lambda w: personagym_grading_files(w.model),
        **personagym_pins(),
    output:
        tasks=paths.PERSONAGYM_TASK_SCORES,
        personas=paths.PERSONAGYM_PERSONA_SCORES,
    params:
        **step_params(
            lambda w: {
                "model": w.model,
                "data": personagym_sources()["data"],
                "published_quirks": PG["published_quirks"],
            }
        ),
    log:
        paths.log("personagym", "scores", "{model}"),
    container:
        config["containers"]["cpu"]
    shell:
        run_step("personagym.scores.score")
