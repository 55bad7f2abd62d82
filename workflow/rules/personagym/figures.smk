# results/personagym/figures/: PersonaScore against model size.


rule personagym_figures:
    input:
        persona_score=paths.personagym_table("persona_score"),
        published_comparison=paths.personagym_table("published_comparison"),
    output:
        pdf=paths.personagym_figure("score_vs_capability", "pdf"),
        png=report_figure(paths.personagym_figure("score_vs_capability", "png"), "personagym"),
    params:
        **step_params(
            lambda w: {
                "registry": personagym_registry(),
                "published_quirks": PG["published_quirks"],
            }
        ),
    log:
        paths.log("personagym", "figures"),
    container:
        config["containers"]["cpu"]
    shell:
        run_step("personagym.figures.draw")
