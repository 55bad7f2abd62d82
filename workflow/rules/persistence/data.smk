# --- Persistent Personas --- inputs and dialogue-conditioned benchmarks (issue #5).
# Inputs: pinned upstream files (or local copies from config), verified against committed
# checksums, normalized into Parquet. Conditioned benchmarks: one job per model, every role x
# dialogue type x checkpoint x item, prefixes adjacent; prompts over the context are reported.
rule persistence_download:
    output:
        paths.PERSISTENCE_DOWNLOAD,
    params:
        url=persistence_download_url,
        sha256=persistence_download_sha256,
    log:
        paths.log("data", "persistence_download", "{source}", "{commit}", "{file}"),
    container:
        config["containers"]["cpu"]
    shell:
        f"{PYTHON} -m personascope.download {{params.url:q}} {{output:q}} {{params.sha256}} "
        "> {log:q} 2>&1"


rule persistence_inputs:
    input:
        **persistence_input_files(),
        manifests=sorted({persistence_manifest(s) for s in PERSISTENCE_FILES}),
        rolebench=rolebench_inputs(),
        protocol=persistence_protocol_files(),
    output:
        **{t: paths.persistence_data(t) for t in paths.PERSISTENCE_DATA_TABLES},
    params:
        **step_params(
            {
                "checks": persistence_checks(),
                "roles": PP["roles"],
                "datasets": PP["datasets"],
                "items_per_dataset": PP["items_per_dataset"],
                "seed": PP["seed"],
                "shuffle_seed": PP["shuffle_seed"],
                "rolebench_files": rolebench_files(),
                "protocol": persistence_protocol(),
                "rolebench_checks": rolebench_checks(),
            }
        ),
    log:
        paths.log("persistence", "inputs"),
    container:
        config["containers"]["cpu"]
    shell:
        run_step("persistence.data.normalize")
