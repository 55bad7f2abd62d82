rule persistence_observations:
    input:
        ratings=persistence_ratings_table(),
        bfi=persistence_source_file("incharacter", "bfi"),
        labels=paths.persistence_data("bfi_labels"),
        roles=persistence_source_file("persistent_personas", "roles"),
        manifests=[persistence_manifest(s) for s in ("incharacter", "persistent_personas")],
    output:
        observations=paths.PERSISTENCE_OBSERVATIONS,
        coverage=paths.PERSISTENCE_COVERAGE,
    params:
        **step_params(
            {
                "bfi_reverse_keying": PP_STATS["bfi_reverse_keying"],
                "checks": persistence_checks_of("bfi", "roles"),
            }
        ),
    log:
        paths.log("persistence", "stats", "observations"),
    container:
        config["containers"]["cpu"]
    shell:
        run_step("persistence.stats.observations")
