#!/usr/bin/env python3
"""Extracts one Kubernetes version's strict JSON schemas from the kubernetes-validate wheel for kubeconform.

usage: k8s-schemas.py WHEEL VERSION OUT_DIR      (VERSION as v1.37.0)

The wheel ships, per version, a folder <VERSION>-local-strict/ of per-kind schemas named as kubeconform looks them
up (deployment-apps-v1.json, ...). Each names itself with an https `$id` and points into the shared
_definitions.json with absolute `$ref`s ("/api/_definitions.json#/..."), which kubeconform would resolve against
kubernetes.io and fetch. This writes them to OUT_DIR/<VERSION>-local-strict/ with the `$id` dropped and those
references made relative, so kubeconform reads _definitions.json from the same folder and needs no network.
Only the standard library is used.
"""

import json
import os
import sys
import zipfile

SHARED_DEFINITIONS = "/api/_definitions.json#"


def localize(node):
    """The schema with every `$id` removed and every reference into the shared definitions made relative."""
    if isinstance(node, dict):
        local = {}
        for key, value in node.items():
            if key == "$id":
                continue
            if key == "$ref" and isinstance(value, str) and value.startswith(SHARED_DEFINITIONS):
                value = "_definitions.json#" + value[len(SHARED_DEFINITIONS) :]
            local[key] = localize(value)
        return local
    if isinstance(node, list):
        return [localize(item) for item in node]
    return node


def main(wheel_path, version, out_dir):
    folder = f"{version}-local-strict"
    prefix = f"kubernetes_validate/kubernetes-json-schema/{folder}/"
    destination = os.path.join(out_dir, folder)
    os.makedirs(destination, exist_ok=True)
    written = 0
    with zipfile.ZipFile(wheel_path) as wheel:
        for name in wheel.namelist():
            if not name.startswith(prefix) or not name.endswith(".json"):
                continue
            schema = localize(json.loads(wheel.read(name)))
            with open(os.path.join(destination, os.path.basename(name)), "w", encoding="utf-8") as out:
                json.dump(schema, out, separators=(",", ":"))
            written += 1
    if written == 0:
        sys.exit(f"k8s-schemas.py: {wheel_path} has no schemas for {version}")
    print(f"{written} schemas for {version} in {destination}")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
