# --- Persistent Personas --- inputs and dialogue-conditioned benchmarks (issue #5).
# Inputs: pinned upstream files (or local copies from config), verified against committed
# checksums, normalized into Parquet. Conditioned benchmarks: one job per model, every role x
# dialogue type x checkpoint x item, prefixes adjacent; prompts over the context are reported.
rule persistence_download:
    output:
        paths.PERSISTENCE_DOWNLOAD,
    params:
        url=persistence_download_url,
    log:
        paths.log("data", "persistence_download", "{source}", "{commit}", "{file}"),
    container:
        config["containers"]["cpu"]
    shell:
        "python -m personascope.download {params.url:q} {output:q} > {log:q} 2>&1"


rule persistence_inputs:
    input:
        **persistence_input_files(),
        manifests=sorted({persistence_manifest(s) for s in PERSISTENCE_FILES}),
        rolebench=rolebench_inputs(),
    output:
        **{t: paths.persistence_data(t) for t in paths.PERSISTENCE_DATA_TABLES},
    params:
        spec=as_json(
            {
                "checks": persistence_checks(),
                "roles": PP["roles"],
                "datasets": PP["datasets"],
                "items_per_dataset": PP["items_per_dataset"],
                "seed": PP["seed"],
                "shuffle_seed": PP["shuffle_seed"],
                "rolebench_files": rolebench_files(),
            }
        ),
    log:
        paths.log("persistence", "inputs"),
    container:
        config["containers"]["cpu"]
    shell:
        step("persistence.inputs", [*persistence_input_files()], paths.PERSISTENCE_DATA_TABLES)


rule persistence_conditioned:
    input:
        dialogues=paths.PERSISTENCE_DIALOGUES,
        roles=paths.persistence_data("roles"),
        benchmark_items=paths.persistence_data("benchmark_items"),
    output:
        responses=paths.PERSISTENCE_CONDITIONED,
        overflow=paths.PERSISTENCE_OVERFLOW,
        usage=paths.PERSISTENCE_CONDITIONED_USAGE,
    params:
        spec=lambda w: as_json(
            {
                "model": w.model,
                "dialogue_types": PP["dialogue_types"],
                "checkpoints": PP["checkpoints"],
                "context_tokens": PP["context_tokens"],
                "sampling": PP["sampling"]["conditioned"],
                "models": registry_subset(w.model),
                "cache_dir": config["cache_dir"],
            }
        ),
    log:
        paths.log("persistence", "conditioned", "{model}"),
    threads: MODEL_JOB_THREADS
    resources:
        **job_resources(lambda w: [w.model]),
    container:
        job_container(lambda w: [w.model])
    shell:
        step("persistence.conditioned", ["dialogues", "roles", "benchmark_items"],
             ["responses", "overflow", "usage"])
