rule persistence_ifbench:
    input:
        responses=paths.PERSISTENCE_CONDITIONED,
        test_set=persistence_source_file("ifbench", "ifbench"),
        manifest=persistence_manifest("ifbench"),
    output:
        scores=paths.PERSISTENCE_IFBENCH,
        report=paths.PERSISTENCE_IFBENCH_REPORT,
    params:
        **step_params(
            {"checks": [dict(c, name="test_set") for c in persistence_checks_of("ifbench")]}
        ),
    log:
        paths.log("persistence", "ifbench", "{model}"),
    container:
        config["containers"]["cpu"]
    shell:
        run_step("persistence.ifbench.score")
