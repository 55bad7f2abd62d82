# Inputs: pinned upstream downloads (or local copies from config), verified against committed
# checksums, normalized into Parquet tables.
PL_DATA = config["data"]["personalens"]


def personalens_archive():
    if PL_DATA["local"]:
        archive = Path(PL_DATA["local"])
        if not archive.is_file():
            raise WorkflowError(
                f"config data.personalens.local: PersonaLens archive not found at {archive} "
                f"(expected the release .tar.gz; set it to null to download {PL_DATA['url']})"
            )
        return str(archive)
    return paths.PERSONALENS_ARCHIVE.format(commit=PL_DATA["commit"])


def personalens_manifest():
    manifest = Path(workflow.basedir) / paths.PERSONALENS_MANIFEST.format(commit=PL_DATA["commit"])
    if not manifest.is_file():
        raise WorkflowError(
            f"config data.personalens.commit: no checksum manifest {manifest} for commit "
            f"{PL_DATA['commit']}; pinning a new commit needs a new manifest"
        )
    return str(manifest)


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
        "python -m personascope.download {params.url:q} {output:q} > {log:q} 2>&1"


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


SAMPLE_KEYS = ("users", "kinds", "task_ids", "domains", "tasks_per_user", "seed")


rule personalens_sample:
    input:
        scenarios=paths.personalens_release_table("scenarios"),
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
