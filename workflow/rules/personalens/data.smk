# Inputs: pinned upstream downloads (or local copies from config), verified against committed
# checksums, normalized into Parquet tables.
rule download_personalens:
    output:
        paths.PERSONALENS_ARCHIVE,
    params:
        url=PL_DATA["url"],
    log:
        paths.log("data", "download_personalens_{commit}"),
    container:
        config["containers"]["cpu"]
    shell:
        f"{PYTHON} -m personascope.download {{params.url:q}} {{output:q}} > {{log:q}} 2>&1"


rule personalens_release:
    input:
        archive=personalens_archive(),
        manifest=personalens_manifest(),
    output:
        **{t: paths.personalens_release_table(t) for t in paths.PERSONALENS_RELEASE_TABLES},
    params:
        **step_params(),
    log:
        paths.log("data", "personalens_release"),
    container:
        config["containers"]["cpu"]
    shell:
        run_step("personalens.data.release")


rule personalens_regenerate:
    input:
        **{t: paths.personalens_release_table(t)
           for t in ("profiles", "affinities", "interactions", "scenarios", "preference_schema")},
    output:
        **{t: paths.PERSONALENS_REGENERATED.format(table=t)
           for t in paths.PERSONALENS_REGENERATED_TABLES},
        log=paths.PERSONALENS_REGENERATED.format(table="generation_log"),
    params:
        **step_params(
            {
                **{k: v for k, v in PL_REGEN.items() if k != "enabled"},
                "model": PL_REGEN_MODEL,
            },
            PL_REGENERATE_JOB,
        ),
    log:
        paths.log("data", "personalens_regenerate"),
    threads: MODEL_JOB_THREADS
    resources:
        **PL_REGENERATE_JOB.resources,
    container:
        PL_REGENERATE_JOB.container
    shell:
        run_step("personalens.data.regenerate")


rule personalens_sample:
    input:
        scenarios=personalens_input("scenarios"),
        **named_samples_input(),
    output:
        sample=paths.PERSONALENS_SAMPLE,
    params:
        **step_params(sample_spec()),
    log:
        paths.log("data", "personalens_sample"),
    container:
        config["containers"]["cpu"]
    shell:
        run_step("personalens.data.sample")
