rule persistence_observations:
    input:
        ratings=persistence_ratings_table(),
        bfi=persistence_source_file("incharacter", "bfi"),
        labels=paths.persistence_data("bfi_labels"),
    output:
        observations=paths.PERSISTENCE_OBSERVATIONS,
        coverage=paths.PERSISTENCE_COVERAGE,
    params:
        **step_params({"bfi_reverse_keying": PP_STATS["bfi_reverse_keying"]}),
    log:
        paths.log("persistence", "stats", "observations"),
    container:
        config["containers"]["cpu"]
    shell:
        run_step("persistence.stats.observations")
