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
    log:
        paths.log("data", "personalens_release"),
    container:
        config["containers"]["cpu"]
    shell:
        step("personalens.release", ["archive", "manifest"], paths.PERSONALENS_RELEASE_TABLES,
             params=False)


rule personalens_regenerate:
    input:
        **{t: paths.personalens_release_table(t)
           for t in ("profiles", "affinities", "interactions", "scenarios", "preference_schema")},
    output:
        **{t: paths.PERSONALENS_REGENERATED.format(table=t)
           for t in paths.PERSONALENS_REGENERATED_TABLES},
        log=paths.PERSONALENS_REGENERATED.format(table="generation_log"),
    params:
        spec=lambda w: as_json(
            {
                **{k: v for k, v in PL_REGEN.items() if k != "enabled"},
                "models": registry_subset(PL_REGEN.get("model", config["personalens"]["user_agent"])),
                "cache_dir": config["cache_dir"],
            }
        ),
    log:
        paths.log("data", "personalens_regenerate"),
    threads: MODEL_JOB_THREADS
    resources:
        **job_resources(lambda w: [PL_REGEN.get("model", config["personalens"]["user_agent"])]),
    container:
        job_container(lambda w: [PL_REGEN.get("model", config["personalens"]["user_agent"])])
    shell:
        step("personalens.regenerate",
             ["profiles", "affinities", "interactions", "scenarios", "preference_schema"],
             [*paths.PERSONALENS_REGENERATED_TABLES, "log"])


# Always over the whole release, whatever sample the dialogues use.
rule personalens_dataset_tables:
    input:
        **{t: paths.personalens_release_table(t)
           for t in ("scenarios", "interests", "profiles", "affinities", "preference_schema")},
    output:
        **{f"{name}_{ext}": paths.personalens_result_table(name, ext)
           for name in paths.PERSONALENS_DATASET_TABLES for ext in ("csv", "tex")},
    log:
        paths.log("personalens", "dataset_tables"),
    container:
        config["containers"]["cpu"]
    shell:
        step("personalens.datastats",
             ["scenarios", "interests", "profiles", "affinities", "preference_schema"],
             [f"{name}_{ext}" for name in paths.PERSONALENS_DATASET_TABLES
              for ext in ("csv", "tex")],
             params=False)


rule personalens_sample:
    input:
        scenarios=personalens_input("scenarios"),
    output:
        sample=paths.PERSONALENS_SAMPLE,
    params:
        spec=as_json({k: config["personalens"][k] for k in SAMPLE_KEYS if k in config["personalens"]}),
    log:
        paths.log("data", "personalens_sample"),
    container:
        config["containers"]["cpu"]
    shell:
        step("personalens.sample", ["scenarios"], ["sample"])
