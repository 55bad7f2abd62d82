# Tables: aggregate judge scores into the study's tables (CSV + LaTeX), with bootstrap CIs.
# One rule per kind of input; each table is its own job: `snakemake
# results/personalens/tables/<name>.csv` rebuilds just that table.
rule personalens_judge_table:
    input:
        judgments=personalens_judgments(),
    output:
        csv=paths.PERSONALENS_RESULT_TABLE.replace("{ext}", "csv"),
        tex=paths.PERSONALENS_RESULT_TABLE.replace("{ext}", "tex"),
    wildcard_constraints:
        name=alternatives(paths.PERSONALENS_JUDGE_TABLES),
    params:
        spec=lambda w: as_json(
            {"name": w.name, "turn_level_domains": PL.get("turn_level_domains")}
        ),
    log:
        paths.log("personalens", "tables", "{name}"),
    container:
        config["containers"]["cpu"]
    shell:
        step("personalens.judge_table", ["judgments"], ["csv", "tex"])


rule personalens_dialogue_table:
    input:
        dialogues=personalens_dialogue_files(),
    output:
        csv=paths.PERSONALENS_RESULT_TABLE.replace("{ext}", "csv"),
        tex=paths.PERSONALENS_RESULT_TABLE.replace("{ext}", "tex"),
    wildcard_constraints:
        name=alternatives(paths.PERSONALENS_DIALOGUE_TABLES),
    params:
        spec=lambda w: as_json(
            {"name": w.name, "self_bleu_sample": PL.get("self_bleu_sample", 500)}
        ),
    log:
        paths.log("personalens", "tables", "{name}"),
    container:
        config["containers"]["cpu"]
    shell:
        step("personalens.dialogue_table", ["dialogues"], ["csv", "tex"])


rule persistence_observations:
    input:
        ratings=persistence_ratings_table(),
        bfi=persistence_source_file("incharacter", "bfi"),
        labels=persistence_source_file("incharacter", "labels"),
    output:
        observations=paths.PERSISTENCE_OBSERVATIONS,
        coverage=paths.PERSISTENCE_COVERAGE,
    params:
        spec=as_json({"bfi_reverse_keying": PP_STATS["bfi_reverse_keying"]}),
    log:
        paths.log("persistence", "stats", "observations"),
    container:
        config["containers"]["cpu"]
    shell:
        step("persistence.observations", ["ratings", "bfi", "labels"],
             ["observations", "coverage"])


rule persistence_checkpoint_tables:
    input:
        observations=paths.PERSISTENCE_OBSERVATIONS,
        coverage=paths.PERSISTENCE_COVERAGE,
    output:
        means_csv=paths.persistence_table("checkpoint_means", "csv"),
        means_tex=paths.persistence_table("checkpoint_means", "tex"),
        differences_csv=paths.persistence_table("checkpoint_differences", "csv"),
        differences_tex=paths.persistence_table("checkpoint_differences", "tex"),
    params:
        spec=as_json({k: PP_STATS[k] for k in ("resamples", "seed")}),
    log:
        paths.log("persistence", "stats", "checkpoints"),
    container:
        config["containers"]["cpu"]
    shell:
        step("persistence.checkpoints", ["observations", "coverage"],
             ["means_csv", "means_tex", "differences_csv", "differences_tex"])


rule persistence_cost_tables:
    input:
        observations=paths.PERSISTENCE_OBSERVATIONS,
    output:
        length_csv=paths.persistence_table("length_cost_per_model", "csv"),
        personalization_csv=paths.persistence_table("personalization_cost_per_model", "csv"),
    params:
        spec=as_json({k: PP_STATS[k] for k in ("bar_resamples", "seed")}),
    log:
        paths.log("persistence", "stats", "costs"),
    container:
        config["containers"]["cpu"]
    shell:
        step("persistence.costs", ["observations"], ["length_csv", "personalization_csv"])


rule persistence_cost_regressions:
    input:
        observations=paths.PERSISTENCE_OBSERVATIONS,
        coverage=paths.PERSISTENCE_COVERAGE,
    output:
        length_csv=paths.persistence_table("length_cost_regression", "csv"),
        length_tex=paths.persistence_table("length_cost_regression", "tex"),
        length_notes=paths.persistence_table("length_cost_regression_fits", "csv"),
        personalization_csv=paths.persistence_table("personalization_cost_regression", "csv"),
        personalization_tex=paths.persistence_table("personalization_cost_regression", "tex"),
        personalization_notes=paths.persistence_table(
            "personalization_cost_regression_fits", "csv"
        ),
    params:
        spec=lambda w: as_json({"registry": persistence_size_registry()}),
    log:
        paths.log("persistence", "stats", "cost_regressions"),
    container:
        config["containers"]["cpu"]
    shell:
        step("persistence.cost_regressions", ["observations", "coverage"],
             ["length_csv", "length_tex", "length_notes", "personalization_csv",
              "personalization_tex", "personalization_notes"])


rule persistence_mixed_models:
    input:
        observations=paths.PERSISTENCE_OBSERVATIONS,
        coverage=paths.PERSISTENCE_COVERAGE,
    output:
        length_effect_csv=paths.persistence_table("mixed_length_effect", "csv"),
        length_effect_tex=paths.persistence_table("mixed_length_effect", "tex"),
        persona_effect_csv=paths.persistence_table("mixed_persona_effect", "csv"),
        persona_effect_tex=paths.persistence_table("mixed_persona_effect", "tex"),
    log:
        paths.log("persistence", "stats", "mixed_models"),
    container:
        config["containers"]["cpu"]
    shell:
        step("persistence.mixed_models", ["observations", "coverage"],
             ["length_effect_csv", "length_effect_tex", "persona_effect_csv",
              "persona_effect_tex"], params=False)
