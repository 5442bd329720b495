"""Build the compact per-version schemas the checker ships in `course/data/schemas/`.

The source is the strict JSON schema set bundled with the `kubernetes-validate` package
(a test-only dependency). The output keeps only what `course.checker.schema` walks, so the
runtime never needs that package or `jsonschema`, and loading one version stays cheap.

Output, one gzipped JSON file per version (`v1.NN.json.gz`):

    {"version": "1.37",
     "kinds": {"apps/v1": {"Deployment": "apps.v1.Deployment", ...}, ...},
     "defs": {"core.v1.Container": NODE, ...}}

A NODE is either a definition name (a reference) or a mapping with a type code `t`:

    "o" object: "p" properties {name: NODE}, "r" required names; or "a" NODE for maps
    "a" list: "i" item NODE
    "s" string ("f" format such as "byte" or "date-time", "e" allowed values)
    "i" integer ("f" "int32"/"int64"), "n" number, "b" boolean
    "ios" int-or-string, "q" quantity (string or number), "*" anything

Usage: .venv/bin/python tools/build_schemas.py [--versions 1.30-1.37]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "course" / "data" / "schemas"
PREFIXES = (
    "io.k8s.api.",
    "io.k8s.apimachinery.pkg.apis.",
    "io.k8s.apimachinery.pkg.",
    "io.k8s.kube-aggregator.pkg.apis.",
    "io.k8s.apiextensions-apiserver.pkg.apis.",
)
INT_OR_STRING = "util.intstr.IntOrString"
QUANTITY = "api.resource.Quantity"

# The published OpenAPI carries no `enum` for these fields, but the API server accepts only
# these values (pkg/apis/core/validation: NotSupported errors). "" means unset (defaulted),
# so it stays allowed. Keys are (definition, property).
CLOSED_VALUES: dict[tuple[str, str], list[str]] = {
    ("core.v1.Container", "imagePullPolicy"): ["Always", "IfNotPresent", "Never"],
    ("core.v1.EphemeralContainer", "imagePullPolicy"): ["Always", "IfNotPresent", "Never"],
    ("core.v1.Container", "terminationMessagePolicy"): ["File", "FallbackToLogsOnError"],
    ("core.v1.EphemeralContainer", "terminationMessagePolicy"): ["File", "FallbackToLogsOnError"],
    ("core.v1.ContainerPort", "protocol"): ["TCP", "UDP", "SCTP"],
    ("core.v1.PodSpec", "restartPolicy"): ["Always", "OnFailure", "Never"],
    ("core.v1.PodSpec", "dnsPolicy"): ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
}


def short(name: str) -> str:
    for p in PREFIXES:
        if name.startswith(p):
            return name[len(p) :]
    return name


def ref_name(ref: str) -> str:
    return short(ref.rsplit("/", 1)[-1])


def type_of(schema: dict[str, Any]) -> str | None:
    t = schema.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), None)
    return t


def compact(schema: Any, owner: str = "", prop: str = "") -> Any:
    """One schema node in the compact form (see the module docstring)."""
    if not isinstance(schema, dict):
        return "*"
    if "$ref" in schema:
        return ref_name(schema["$ref"])
    t = type_of(schema)
    node: dict[str, Any]
    if t == "object":
        props = schema.get("properties")
        if props:
            node = {"t": "o", "p": {k: compact(v, owner, k) for k, v in props.items()}}
            if schema.get("required"):
                node["r"] = list(schema["required"])
            extra = schema.get("additionalProperties", False)
            if isinstance(extra, dict):
                node["a"] = compact(extra)
            elif extra is not False:
                node["a"] = "*"
            return node
        extra = schema.get("additionalProperties")
        return {"t": "o", "a": compact(extra) if isinstance(extra, dict) else "*"}
    if t == "array":
        return {"t": "a", "i": compact(schema.get("items"))}
    if t in ("string", "integer", "number", "boolean"):
        node = {"t": t[0]}
        if schema.get("format") in ("int32", "int64", "byte", "date-time"):
            node["f"] = schema["format"]
        enum = schema.get("enum") or CLOSED_VALUES.get((owner, prop))
        if enum and prop not in ("apiVersion", "kind"):
            node["e"] = list(enum)
        return node
    return "*"


def definition(name: str, schema: dict[str, Any]) -> Any:
    if name == INT_OR_STRING:
        return {"t": "ios"}
    if name == QUANTITY:
        return {"t": "q"}
    return compact(schema, owner=name)


def build(version: str, source: Path) -> dict[str, Any]:
    raw = json.loads((source / "_definitions.json").read_text())["$defs"]
    defs: dict[str, Any] = {}
    kinds: dict[str, dict[str, str]] = {}
    for full, schema in sorted(raw.items()):
        name = short(full)
        if name in defs:
            raise SystemExit(f"short name clash: {name}")
        defs[name] = definition(name, schema)
        gvks = schema.get("x-kubernetes-group-version-kind") or []
        if len(gvks) != 1:  # DeleteOptions/WatchEvent list every group: not documents
            continue
        g = gvks[0]
        api_version = f"{g['group']}/{g['version']}" if g["group"] else g["version"]
        kinds.setdefault(api_version, {})[g["kind"]] = name
    missing = [k for k in CLOSED_VALUES if k[0] in defs and k[1] not in defs[k[0]].get("p", {})]
    if missing:
        raise SystemExit(f"{version}: CLOSED_VALUES names unknown fields: {missing}")
    return {"version": version, "kinds": kinds, "defs": defs}


def source_dir(version: str) -> Path:
    import kubernetes_validate

    base = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    return base / f"v{version}.0-local-strict"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--versions", default="1.30-1.37", help="inclusive minor range, e.g. 1.30-1.37")
    args = ap.parse_args(argv)
    lo, hi = (int(v.split(".")[1]) for v in args.versions.split("-"))
    OUT.mkdir(parents=True, exist_ok=True)
    total = 0
    for minor in range(lo, hi + 1):
        version = f"1.{minor}"
        data = build(version, source_dir(version))
        text = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
        out = OUT / f"v{version}.json.gz"
        # mtime=0 keeps the bytes reproducible, so a rebuild shows no diff.
        out.write_bytes(gzip.compress(text, compresslevel=9, mtime=0))
        size = out.stat().st_size
        total += size
        print(f"{out.relative_to(ROOT)}: {len(data['defs'])} definitions, {len(text)} B json, {size} B gz")
    print(f"total {total} B")
    return 0


if __name__ == "__main__":
    sys.exit(main())
