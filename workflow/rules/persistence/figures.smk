rule persistence_figure:
    input:
        unpack(persistence_figure_inputs),
    output:
        pdf=paths.PERSISTENCE_FIGURE.replace("{ext}", "pdf"),
        png=report_figure(paths.PERSISTENCE_FIGURE.replace("{ext}", "png"), "persistence"),
    wildcard_constraints:
        name=alternatives(paths.PERSISTENCE_FIGURES),
    params:
        **step_params(lambda w: {"name": w.name}),
    log:
        paths.log("persistence", "figures", "{name}"),
    container:
        config["containers"]["cpu"]
    shell:
        run_step("persistence.figures.figure")
