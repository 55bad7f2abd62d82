# Always over the whole release, whatever sample the dialogues use.
rule personalens_dataset_tables:
    input:
        **{t: paths.personalens_release_table(t)
           for t in ("scenarios", "interests", "profiles", "affinities", "preference_schema")},
    output:
        **{f"{name}_{ext}": report_table(paths.personalens_result_table(name, ext), "personalens")
           for name in paths.PERSONALENS_DATASET_TABLES for ext in ("csv", "tex")},
    params:
        **step_params(),
    log:
        paths.log("personalens", "dataset_tables"),
    container:
        config["containers"]["cpu"]
    shell:
        run_step("personalens.tables.dataset_tables")


# Tables: aggregate judge scores into the study's tables (CSV + LaTeX), with bootstrap CIs.
# One rule per kind of input; each table is its own job: `snakemake
# results/personalens/tables/<name>.csv` rebuilds just that table.
rule personalens_judge_table:
    input:
        judgments=personalens_judgments(),
    output:
        csv=report_table(paths.PERSONALENS_RESULT_TABLE.replace("{ext}", "csv"), "personalens"),
        tex=paths.PERSONALENS_RESULT_TABLE.replace("{ext}", "tex"),
    wildcard_constraints:
        name=alternatives(paths.PERSONALENS_JUDGE_TABLES),
    params:
        **step_params(lambda w: 
            {"name": w.name, "turn_level_domains": PL["turn_level_domains"], **PL_FOCUS}
        ),
    log:
        paths.log("personalens", "tables", "{name}"),
    container:
        config["containers"]["cpu"]
    shell:
        run_step("personalens.tables.judge_table")


rule personalens_dialogue_table:
    input:
        dialogues=personalens_dialogue_files(),
    output:
        csv=report_table(paths.PERSONALENS_RESULT_TABLE.replace("{ext}", "csv"), "personalens"),
        tex=paths.PERSONALENS_RESULT_TABLE.replace("{ext}", "tex"),
    wildcard_constraints:
        name=alternatives(paths.PERSONALENS_DIALOGUE_TABLES),
    params:
        **step_params(lambda w: 
            {"name": w.name, "self_bleu_sample": PL["self_bleu_sample"], **PL_FOCUS}
        ),
    log:
        paths.log("personalens", "tables", "{name}"),
    container:
        config["containers"]["cpu"]
    shell:
        run_step("personalens.tables.dialogue_table")


# Judge-human agreement: only when config personalens.human_ratings names a CSV
# (format: personascope/personalens/agreement.py).
if PL["human_ratings"]:

    rule personalens_agreement:
        input:
            judgments=lambda w: personalens_judgments(),
            ratings=PL["human_ratings"],
        output:
            csv=report_table(paths.personalens_result_table("agreement", "csv"), "personalens"),
            tex=paths.personalens_result_table("agreement", "tex"),
        params:
            **step_params(),
        log:
            paths.log("personalens", "agreement"),
        container:
            config["containers"]["cpu"]
        shell:
            run_step("personalens.tables.agreement")
