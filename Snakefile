# personascope: rebuild LLM persona studies end to end. `rule all` = the targets of the active
# config; `snakemake --cores 2` runs the embedded default (config/config.yaml).
from pathlib import Path

from snakemake.utils import min_version

min_version("9.0")


configfile: Path(workflow.basedir) / "config" / "config.yaml"
configfile: Path(workflow.basedir) / "config" / "models.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/personalens/common.smk"
include: "workflow/rules/persistence/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/conditioned.smk"
include: "workflow/rules/dialogues.smk"
include: "workflow/rules/judge.smk"
include: "workflow/rules/stats.smk"
include: "workflow/rules/figures.smk"


rule all:
    input:
        all_targets(),
    default_target: True
