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


# `snakemake --report results/report.html`: every table and figure is registered with `report()`
# (common.smk `reported`); each study's items share one caption template, written here after the
# study's targets because it quotes the run's parse-failure counts (personascope/report.py).
rule report_captions:
    input:
        targets=lambda w: STUDY_TARGETS[w.study](),
    output:
        caption=paths.REPORT_CAPTION,
    params:
        **step_params(
            lambda w: {
                "study": w.study,
                # PersonaGym names two judges (personagym.judges)
                "judge": config[w.study].get("judge")
                or " and ".join(dict.fromkeys(config[w.study]["judges"].values())),
                # the papers' free judging and protocol, until the schema names a mode
                "judge_mode": config[w.study].get("judge_mode", "free"),
                "published_quirks": bool(config[w.study].get("published_quirks", False)),
            }
        ),
    log:
        paths.log("bundle", "report-{study}"),
    container:
        config["containers"]["cpu"]
    shell:
        run_step("bundle.report.captions")
