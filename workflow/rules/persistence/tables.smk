rule persistence_checkpoint_tables:
    input:
        observations=paths.PERSISTENCE_OBSERVATIONS,
        coverage=paths.PERSISTENCE_COVERAGE,
    output:
        means_csv=report_table(paths.persistence_table("checkpoint_means", "csv"), "persistence"),
        means_tex=paths.persistence_table("checkpoint_means", "tex"),
        differences_csv=report_table(
            paths.persistence_table("checkpoint_differences", "csv"), "persistence"
        ),
        differences_tex=paths.persistence_table("checkpoint_differences", "tex"),
    params:
        **step_params({k: PP_STATS[k] for k in ("resamples", "seed", "bootstrap_unit")}),
    log:
        paths.log("persistence", "stats", "checkpoints"),
    container:
        config["containers"]["cpu"]
    shell:
        run_step("persistence.tables.checkpoints")


rule persistence_cost_tables:
    input:
        observations=paths.PERSISTENCE_OBSERVATIONS,
    output:
        length_csv=report_table(
            paths.persistence_table("length_cost_per_model", "csv"), "persistence"
        ),
        personalization_csv=report_table(
            paths.persistence_table("personalization_cost_per_model", "csv"), "persistence"
        ),
        type_difference_csv=report_table(
            paths.persistence_table("type_difference_per_model", "csv"), "persistence"
        ),
    params:
        **step_params({k: PP_STATS[k] for k in ("bar_resamples", "seed", "bootstrap_unit")}),
    log:
        paths.log("persistence", "stats", "costs"),
    container:
        config["containers"]["cpu"]
    shell:
        run_step("persistence.tables.costs")


rule persistence_cost_regressions:
    input:
        observations=paths.PERSISTENCE_OBSERVATIONS,
        coverage=paths.PERSISTENCE_COVERAGE,
    output:
        length_csv=report_table(
            paths.persistence_table("length_cost_regression", "csv"), "persistence"
        ),
        length_tex=paths.persistence_table("length_cost_regression", "tex"),
        length_notes=report_table(
            paths.persistence_table("length_cost_regression_fits", "csv"), "persistence"
        ),
        personalization_csv=report_table(
            paths.persistence_table("personalization_cost_regression", "csv"), "persistence"
        ),
        personalization_tex=paths.persistence_table("personalization_cost_regression", "tex"),
        personalization_notes=report_table(
            paths.persistence_table("personalization_cost_regression_fits", "csv"), "persistence"
        ),
    params:
        **step_params(lambda w: {"registry": persistence_size_registry()}),
    log:
        paths.log("persistence", "stats", "cost_regressions"),
    container:
        config["containers"]["cpu"]
    shell:
        run_step("persistence.tables.cost_regressions")


rule persistence_mixed_models:
    input:
        observations=paths.PERSISTENCE_OBSERVATIONS,
        coverage=paths.PERSISTENCE_COVERAGE,
    output:
        length_effect_csv=report_table(
            paths.persistence_table("mixed_length_effect", "csv"), "persistence"
        ),
        length_effect_tex=paths.persistence_table("mixed_length_effect", "tex"),
        persona_effect_csv=report_table(
            paths.persistence_table("mixed_persona_effect", "csv"), "persistence"
        ),
        persona_effect_tex=paths.persistence_table("mixed_persona_effect", "tex"),
    params:
        **step_params(),
    log:
        paths.log("persistence", "stats", "mixed_models"),
    container:
        config["containers"]["cpu"]
    shell:
        run_step("persistence.tables.mixed_models")


# The judge against the released human ratings (the paper's judge validation).
rule persistence_judge_human_agreement:
    input:
        judgments=paths.PERSISTENCE_HUMAN_JUDGMENTS.format(judge=PP["judge"]),
    output:
        csv=paths.PERSISTENCE_JUDGE_HUMAN_AGREEMENT,
    params:
        **step_params(),
    log:
        paths.log("persistence", "tables", "judge_human_agreement"),
    container:
        config["containers"]["cpu"]
    shell:
        run_step("persistence.tables.judge_human_agreement")
