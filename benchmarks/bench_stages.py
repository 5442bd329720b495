"""Per-stage cost of the static checker over the real corpus: where the time of one check goes.

Prints medians per document for loading (with positions), schema, validation, QoS, PSS and lints,
plus the one-off cost of loading a schema version and evaluating all PSS conformance fixtures.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import yaml  # noqa: E402

from course.checker import lints, loader, pss, qos, schema, validation  # noqa: E402
from course.checker.model import POD_SPEC_PATHS, Options, PodView, dig  # noqa: E402

SHARED = Path(os.environ.get("POD_COURSE_SHARED", REPO.parent / "shared"))


def median_us(fn: Callable[[Any], Any], items: list[Any], repeat: int = 3) -> float:
    best = [float("inf")] * len(items)
    for _ in range(repeat):
        for i, it in enumerate(items):
            t0 = time.perf_counter()
            fn(it)
            best[i] = min(best[i], time.perf_counter() - t0)
    return statistics.median(best) * 1e6


def main() -> int:
    files = [p for p in sorted((SHARED / "corpus" / "manifests").rglob("*")) if p.suffix in (".yaml", ".yml")]
    if not files:
        print(f"corpus not found under {SHARED}")
        return 1
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in files]
    docs = [d for t in texts for d in loader.load_documents(t) if isinstance(d.data, dict)]
    opts = Options(preset="all")
    pods = []
    for d in docs:
        kind = d.data.get("kind")
        path = POD_SPEC_PATHS.get(kind) if isinstance(kind, str) else None
        if path and isinstance(dig(d.data, *map(str, path)), dict):
            pods.append(PodView(doc=d.data, kind=kind, spec_path=path, options=opts, positions=d.positions))

    schema._CACHE.clear()
    t0 = time.perf_counter()
    schema.load(schema.DEFAULT)
    load_ms = (time.perf_counter() - t0) * 1e3

    print(f"{len(files)} files, {len(docs)} documents, {len(pods)} pod specs")
    print(f"schema version load (cold, once per process): {load_ms:.1f} ms")
    print(f"loader (parse + positions)  {median_us(loader.load_documents, texts):8.1f} us/file")
    def check_schema(d: loader.Document) -> object:
        return schema.check_schema(d.data, d.positions, "1.37")

    print(f"schema                      {median_us(check_schema, docs):8.1f} us/doc")
    print(f"validation                  {median_us(lambda p: list(validation.check_pod(p)), pods):8.1f} us/pod")
    print(f"qos                         {median_us(lambda p: qos.qos_class(p.spec), pods):8.1f} us/pod")
    print(f"pss                         {median_us(lambda p: pss.evaluate(p, 'latest'), pods):8.1f} us/pod")
    print(f"lints (all on)              {median_us(lambda p: list(lints.check_pod(p)), pods):8.1f} us/pod")

    index = SHARED / "conformance" / "pss" / "INDEX.tsv"
    if index.is_file():
        rows = [line.split("\t") for line in index.read_text().splitlines()[1:]]
        fixtures = []
        for row in rows:
            data = yaml.load((index.parent / row[0]).read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            fixtures.append((data.get("spec") or {}, data.get("metadata") or {}, row[2]))
        t0 = time.perf_counter()
        for spec, meta, version in fixtures:
            pss.evaluate_spec(spec, meta, version)
        print(f"PSS conformance: {len(fixtures)} fixtures evaluated in {(time.perf_counter() - t0) * 1e3:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
