# Figures (PDF + PNG), each rebuildable alone: `snakemake results/personalens/figures/<name>.pdf`.
rule personalens_main_figure:
    input:
        table=paths.personalens_result_table("main_results", "csv"),
    output:
        pdf=paths.personalens_figure("main_results", "pdf"),
        png=paths.personalens_figure("main_results", "png"),
    log:
        paths.log("personalens", "main_figure"),
    container:
        config["containers"]["cpu"]
    shell:
        step("personalens.main_figure", ["table"], ["pdf", "png"], params=False)


def personalens_targets():
    return [
        paths.personalens_result_table("main_results", "csv"),
        paths.personalens_result_table("main_results", "tex"),
        paths.personalens_figure("main_results", "pdf"),
        paths.personalens_figure("main_results", "png"),
    ]
