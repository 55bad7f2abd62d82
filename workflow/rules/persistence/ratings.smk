rule persistence_ratings:
    input:
        **persistence_rating_inputs(),
    output:
        ratings=paths.PERSISTENCE_RATINGS,
        failures=paths.PERSISTENCE_FAILURES,
        report=paths.PERSISTENCE_FAILURE_REPORT,
    params:
        **step_params(),
    log:
        paths.log("persistence", "ratings"),
    container:
        config["containers"]["cpu"]
    shell:
        run_step("persistence.ratings.collect")
