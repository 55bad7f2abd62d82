# Config validation and the helpers every rule file uses. Rules only wire: each calls one step of
# the personascope package (`python -m personascope STEP`), whose code lives in workflow/personascope.
import json
import shlex

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from personascope import paths

SCHEMA_DIR = Path(workflow.basedir) / "config" / "schema"

validate(config, SCHEMA_DIR / "config.schema.yaml")
validate(config["models"], SCHEMA_DIR / "models.schema.yaml")


def check_model_names():
    """Every model a study names must be in the registry: fail before any job runs."""
    known = set(config["models"])
    pl = config["personalens"]
    named = {
        "personalens.assistants": pl["assistants"],
        "personalens.user_agent": [pl["user_agent"]],
        "personalens.judge": [pl["judge"]],
    }
    for key, names in named.items():
        missing = sorted(set(names) - known)
        if missing:
            raise WorkflowError(
                f"config {key}: model(s) {missing} are not in the model registry "
                f"(config/models.yaml knows {sorted(known)})"
            )


check_model_names()


def registry_subset(*names):
    """The registry entries a job needs: its params, so editing one model reruns only its jobs."""
    return {name: config["models"][name] for name in dict.fromkeys(names)}


def step(name, inputs=(), outputs=(), params=True):
    """Shell command for one package step, with named inputs/outputs and JSON params."""
    parts = [f"python -m personascope {name}"]
    parts += [f"-i {key} {{input.{key}:q}}" for key in inputs]
    parts += [f"-o {key} {{output.{key}:q}}" for key in outputs]
    if params:
        parts.append("-p {params.spec:q}")
    return " ".join(parts) + " > {log:q} 2>&1"


def as_json(obj):
    return json.dumps(obj, sort_keys=True)


def all_targets():
    return personalens_targets()
