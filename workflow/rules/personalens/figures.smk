# Figures (PDF + PNG), each rebuildable alone: `snakemake results/personalens/figures/<name>.pdf`.
rule personalens_figure:
    input:
        table=paths.PERSONALENS_RESULT_TABLE.replace("{ext}", "csv"),
    output:
        pdf=paths.PERSONALENS_FIGURE.replace("{ext}", "pdf"),
        png=report_figure(paths.PERSONALENS_FIGURE.replace("{ext}", "png"), "personalens"),
    wildcard_constraints:
        name=alternatives(paths.PERSONALENS_FIGURES),
    params:
        **step_params(lambda w: {"name": w.name, **PL_FOCUS}),
    log:
        paths.log("personalens", "figures", "{name}"),
    container:
        config["containers"]["cpu"]
    shell:
        run_step("personalens.figures.figure")
