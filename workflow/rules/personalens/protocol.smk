# The protocol sheet: the resolved protocol and the exact requests of one scenario, from the
# release and the protocol pack only (no model call), so `snakemake results/personalens/protocol.json`
# shows what a config would run.
rule personalens_protocol:
    input:
        sample=paths.PERSONALENS_SAMPLE,
        scenarios=personalens_input("scenarios"),
        **release_inputs(),
    output:
        sheet=paths.PERSONALENS_PROTOCOL,
        sheet_md=paths.PERSONALENS_PROTOCOL_MD,
        examples=paths.PERSONALENS_PROTOCOL_EXAMPLES,
    params:
        **step_params(protocol_sheet_params()),
    log:
        paths.log("personalens", "protocol"),
    container:
        config["containers"]["cpu"]
    shell:
        run_step("personalens.protocol.sheet")
