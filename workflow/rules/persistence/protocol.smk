# The protocol sheet: what would run, from the config and the data tables alone (no model
# call). Its files sit at the top of results/persistence/ (protocol.json, .md, _examples.jsonl).
rule persistence_protocol_sheet:
    input:
        roles=paths.persistence_data("roles"),
        scripts=paths.persistence_data("scripts"),
        benchmark_items=paths.persistence_data("benchmark_items"),
        protocol=persistence_protocol_files(),
    output:
        json=paths.PERSISTENCE_PROTOCOL_JSON,
        md=reported(paths.PERSISTENCE_PROTOCOL_MD, "persistence", "Documents"),
        examples=paths.PERSISTENCE_PROTOCOL_EXAMPLES,
    params:
        **step_params(persistence_sheet_spec()),
    log:
        paths.log("persistence", "protocol"),
    container:
        config["containers"]["cpu"]
    shell:
        run_step("persistence.protocol.sheet")
