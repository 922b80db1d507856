# The configuration, checked before any rule runs, and how a rule hands its values to a step.
import json
import os
import shlex
import sys

import yaml
from snakemake.utils import validate

SCHEMA = os.path.join(workflow.basedir, "workflow", "schemas", "config.schema.yaml")
RUN_MARKER = "results/STALE.txt"  # present while results/ may not match the inputs

# Rules run `python -m analysis`: the Python of the environment Snakemake runs in (so
# `.venv/bin/snakemake` works without activating .venv), unless a conda env is used.
envvars: "PATH"
_search_path = os.environ["PATH"]
os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), _search_path])


def _schema_node(node, root):
    """Follow $ref pointers within the schema."""
    while "$ref" in node:
        node = root["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _types(node, root):
    node = _schema_node(node, root)
    types = {node["type"]} if isinstance(node.get("type"), str) else set(node.get("type", ()))
    if "enum" in node:
        types.add("string")
    for option in node.get("oneOf", []) + node.get("anyOf", []):
        types |= _types(option, root)
    return types


def coerce_to_schema(value, node, root):
    """Numbers, booleans and nulls that arrive as text, typed as the schema says.

    `--config key=...` gives nested values as text (`--config bootstrap='{n: 50}'` gives
    n = '50'), and YAML 1.1 reads 1.0e25 (no sign in the exponent) as text."""
    node = _schema_node(node, root)
    if isinstance(value, dict):
        properties = node.get("properties", {})
        extra = node.get("additionalProperties")
        return {key: coerce_to_schema(item, properties.get(key, extra if isinstance(extra, dict)
                                                           else {}), root)
                for key, item in value.items()}
    if isinstance(value, list):
        options = [_schema_node(o, root) for o in node.get("oneOf", [])] or [node]
        array = next((o for o in options if o.get("type") == "array"), {})
        prefix = array.get("prefixItems", [])
        return [coerce_to_schema(item, prefix[k] if k < len(prefix) else array.get("items", {}),
                                 root) for k, item in enumerate(value)]
    if not isinstance(value, str):
        return value
    types = _types(node, root)
    if "null" in types and value in ("null", "~", "None"):
        return None
    if "string" in types or not types:
        return value
    if "boolean" in types and value.lower() in ("true", "false"):
        return value.lower() == "true"
    for kind, parse in (("integer", int), ("number", float)):
        if kind in types:
            try:
                return parse(value)
            except ValueError:
                pass
    return value


with open(SCHEMA) as handle:
    _schema = yaml.safe_load(handle)
config.update(coerce_to_schema(dict(config), _schema, _schema))
validate(config, SCHEMA)


def cli(**options) -> str:
    """Command-line options for a step: key=value becomes `--key value` (underscores as
    dashes); lists give several values, True/False `--key`/`--no-key`, None `--key none`,
    dicts and lists of lists JSON. Options come sorted by name, so the order of keys in the
    configuration does not matter. A rule passes this string as one of its `params`, so a
    change of any value it holds reruns the rule's jobs."""
    words = []
    for key, value in sorted(options.items()):
        name = key.replace("_", "-")
        flag = f"--{name}"
        if isinstance(value, bool):
            words.append(flag if value else f"--no-{name}")
        elif value is None:
            words += [flag, "none"]
        elif isinstance(value, dict) or (isinstance(value, list)
                                         and any(isinstance(v, (list, dict)) for v in value)):
            words += [flag, json.dumps(value, sort_keys=True)]
        elif isinstance(value, list):
            words += [flag, *map(str, value)]
        else:
            words += [flag, str(value)]
    return " ".join(shlex.quote(word) for word in words)


onstart:
    os.makedirs(os.path.dirname(RUN_MARKER), exist_ok=True)
    with open(RUN_MARKER, "w") as handle:
        handle.write("A run of the workflow started and has not finished successfully: files "
                     "in results/ may come from an earlier run and need not match the current "
                     "data and configuration.\nRerun `snakemake --cores N` (add "
                     "--rerun-incomplete after an interruption).\n")


onsuccess:
    if os.path.exists(RUN_MARKER):
        os.remove(RUN_MARKER)


onerror:
    with open(RUN_MARKER, "a") as handle:
        handle.write("The last run failed: see the log of the failed job under logs/ and "
                     f"Snakemake's log {', '.join(map(str, log if isinstance(log, list) else [log]))}.\n")
