# Tables: aggregate judge scores into the study's tables (CSV + LaTeX), with bootstrap CIs.
def personalens_judgments():
    return expand(
        paths.PERSONALENS_JUDGMENTS,
        judge=PL["judge"],
        model=PL["assistants"],
        setting=PL["settings"],
        shard=range(PL["shards"]),
    )


rule personalens_main_table:
    input:
        judgments=personalens_judgments(),
    output:
        csv=paths.personalens_result_table("main_results", "csv"),
        tex=paths.personalens_result_table("main_results", "tex"),
    log:
        paths.log("personalens", "main_table"),
    container:
        config["containers"]["cpu"]
    shell:
        step("personalens.main_table", ["judgments"], ["csv", "tex"], params=False)
