# Figures (PDF + PNG), each rebuildable alone: `snakemake results/personalens/figures/<name>.pdf`.
rule personalens_figure:
    input:
        table=paths.PERSONALENS_RESULT_TABLE.replace("{ext}", "csv"),
    output:
        pdf=paths.PERSONALENS_FIGURE.replace("{ext}", "pdf"),
        png=paths.PERSONALENS_FIGURE.replace("{ext}", "png"),
    wildcard_constraints:
        name=alternatives(paths.PERSONALENS_FIGURES),
    params:
        spec=lambda w: as_json({"name": w.name, "figure_setting": PL.get("figure_setting")}),
    log:
        paths.log("personalens", "figures", "{name}"),
    container:
        config["containers"]["cpu"]
    shell:
        step("personalens.figure", ["table"], ["pdf", "png"])


rule persistence_figure:
    input:
        unpack(persistence_figure_inputs),
    output:
        pdf=paths.PERSISTENCE_FIGURE.replace("{ext}", "pdf"),
        png=paths.PERSISTENCE_FIGURE.replace("{ext}", "png"),
    wildcard_constraints:
        name=alternatives(paths.PERSISTENCE_FIGURES),
    params:
        spec=lambda w: as_json({"name": w.name}),
        inputs=lambda w: " ".join(
            f"-i {k} {v}" for k, v in persistence_figure_inputs(w).items()
        ),
    log:
        paths.log("persistence", "figures", "{name}"),
    container:
        config["containers"]["cpu"]
    shell:
        f"{PYTHON} -m personascope persistence.figure {{params.inputs}} "
        "-o pdf {output.pdf:q} -o png {output.png:q} -p {params.spec:q} > {log:q} 2>&1"
