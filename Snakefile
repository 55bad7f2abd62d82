# personascope: rebuild LLM persona studies end to end. `rule all` = the targets of the active
# config; `snakemake --cores 2` runs the embedded default (config/config.yaml).
from pathlib import Path

from snakemake.utils import min_version

from personascope.config_check import check_yaml_files, exit_on_user_error

min_version("9.0")

# A YAML error in the config files below is reported with its file and line (Snakemake's own
# message names neither); for a --configfile: `python -m personascope.config_check FILE`.
exit_on_user_error(
    check_yaml_files,
    [Path(workflow.basedir) / "config" / n for n in ("config.yaml", "models.yaml")],
)


configfile: Path(workflow.basedir) / "config" / "config.yaml"
configfile: Path(workflow.basedir) / "config" / "models.yaml"


# Wildcards of every study: one path segment each (shards are numbers).
wildcard_constraints:
    model=r"[^/]+",
    setting=r"[^/]+",
    shard=r"\d+",
    judge=r"[^/]+",


include: "workflow/rules/common.smk"
# A study's rules are read only when the config has its section: a config may leave out a study
# it does not run (the schema requires the section of every study `studies` names).
if "personalens" in config:

    include: "workflow/rules/personalens/common.smk"
    include: "workflow/rules/personalens/data.smk"
    include: "workflow/rules/personalens/protocol.smk"
    include: "workflow/rules/personalens/dialogues.smk"
    include: "workflow/rules/personalens/judge.smk"
    include: "workflow/rules/personalens/tables.smk"
    include: "workflow/rules/personalens/figures.smk"


if "persistence" in config:

    include: "workflow/rules/persistence/common.smk"
    include: "workflow/rules/persistence/data.smk"
    include: "workflow/rules/persistence/protocol.smk"
    include: "workflow/rules/persistence/dialogues.smk"
    include: "workflow/rules/persistence/conditioned.smk"
    include: "workflow/rules/persistence/judge.smk"
    include: "workflow/rules/persistence/ifbench.smk"
    include: "workflow/rules/persistence/ratings.smk"
    include: "workflow/rules/persistence/stats.smk"
    include: "workflow/rules/persistence/tables.smk"
    include: "workflow/rules/persistence/figures.smk"


if "personagym" in config:

    include: "workflow/rules/personagym/common.smk"
    include: "workflow/rules/personagym/protocol.smk"
    include: "workflow/rules/personagym/questions.smk"
    include: "workflow/rules/personagym/answers.smk"
    include: "workflow/rules/personagym/examples.smk"
    include: "workflow/rules/personagym/grading.smk"
    include: "workflow/rules/personagym/judge.smk"
    include: "workflow/rules/personagym/scores.smk"
    include: "workflow/rules/personagym/tables.smk"
    include: "workflow/rules/personagym/figures.smk"

# The reproduction bundle and the report wiring (README "Reproduce from a bundle").
include: "workflow/rules/bundle.smk"
# The plan (issue #17): results/plan/, not part of `rule all`.
include: "workflow/rules/plan.smk"


rule all:
    input:
        all_targets(),
    default_target: True
