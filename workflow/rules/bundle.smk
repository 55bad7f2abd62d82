# The exact reproduction bundle (issue #16): `snakemake bundle` after a run packs the source at
# its commit, the resolved config, the call records the DAG's jobs requested and sha256
# manifests into results/bundle/personascope-<digest>.tar.gz (named in results/bundle/latest.json);
# `python -m personascope rebuild BUNDLE` rebuilds it (README "Reproduce from a bundle").
rule bundle:
    input:
        all_targets(),
    output:
        index=paths.BUNDLE_INDEX,
    params:
        **step_params(
            lambda w: {
                "repo": workflow.basedir,
                "config": config,
                "targets": all_targets(),
                "allow_dirty": str(config["bundle"]["allow_dirty"]).lower() == "true",
            }
        ),
    log:
        paths.log("bundle"),
    localrule: True
    container:
        config["containers"]["cpu"]
    shell:
        run_step("bundle.assemble.assemble")
