# The plan (issue #17): requests, tokens, GPU-hours and API cost of this config, before it runs;
# not part of `rule all`. `snakemake results/plan/plan.md` (or `python -m personascope plan`).
rule plan:
    output:
        json=paths.PLAN_JSON,
        md=paths.PLAN_MD,
    params:
        **step_params(lambda w: {"config": config, "measured": False}),
    log:
        paths.log("plan"),
    container:
        config["containers"]["cpu"]
    shell:
        run_step("plan.report.write")
