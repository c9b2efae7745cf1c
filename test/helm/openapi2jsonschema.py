#!/usr/bin/env python3
"""Converts Kubernetes' swagger.json into kubeconform's schema layout, offline and dependency-free.

One file per kind, named like kubeconform's default template `{kind}{-group}-{version}.json`
(group = first label of the API group, omitted for the core group), e.g. deployment-apps-v1.json,
service-v1.json. Each file is standalone: the definitions it references are copied under
`definitions` so recursive types (JSONSchemaProps) need no inlining. Objects with properties get
`additionalProperties: false` (strict: a misspelt field fails), and int-or-string fields accept both.

Usage: openapi2jsonschema.py SWAGGER_JSON OUT_DIR
"""
import json
import sys
from pathlib import Path

REF = "#/definitions/"


def fix(node):
    """Rewrites one schema node in place for JSON-schema draft 4 validation of manifests."""
    if isinstance(node, list):
        for item in node:
            fix(item)
        return
    if not isinstance(node, dict):
        return
    if node.get("format") == "int-or-string":
        node.pop("type", None)
        node.pop("format", None)
        node["oneOf"] = [{"type": "string"}, {"type": "integer"}]
    if node.get("x-kubernetes-preserve-unknown-fields"):
        node.pop("additionalProperties", None)
    elif "properties" in node and "additionalProperties" not in node:
        node["additionalProperties"] = False
    for key, value in list(node.items()):
        if key == "properties" and isinstance(value, dict):
            for prop in value.values():
                fix(prop)
        elif isinstance(value, (dict, list)) and key not in ("enum", "required"):
            fix(value)


def refs(node, found):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF):
            found.add(ref[len(REF):])
        for value in node.values():
            refs(value, found)
    elif isinstance(node, list):
        for item in node:
            refs(item, found)


def closure(name, definitions):
    seen, todo = set(), [name]
    while todo:
        current = todo.pop()
        if current in seen or current not in definitions:
            continue
        seen.add(current)
        found = set()
        refs(definitions[current], found)
        todo.extend(found - seen)
    return seen


def main(swagger_path, out_dir):
    definitions = json.loads(Path(swagger_path).read_text())["definitions"]
    for schema in definitions.values():
        fix(schema)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for name, schema in definitions.items():
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            group = gvk["group"].split(".")[0]
            suffix = f"-{group}-{gvk['version']}" if group else f"-{gvk['version']}"
            filename = f"{gvk['kind'].lower()}{suffix}.json"
            needed = closure(name, definitions) - {name}
            document = {
                "$schema": "http://json-schema.org/draft-04/schema#",
                **schema,
                "definitions": {dep: definitions[dep] for dep in sorted(needed)},
            }
            (out / filename).write_text(json.dumps(document, separators=(",", ":")))
            written += 1
    print(f"openapi2jsonschema: wrote {written} schemas to {out}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
