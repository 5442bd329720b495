"""Full check (load, schema, validation, QoS, PSS, lints) versus kubernetes-validate's schema check.

Runs over every document of ../shared/corpus and prints per-document medians and the ratio.
Target: our full check at least 10x faster per document than kubernetes-validate strict.
Run with `make bench`; figures go into the closing notes, never into timed test assertions.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from course.checker import engine, loader  # noqa: E402
from course.checker.model import Options  # noqa: E402

SHARED = Path(os.environ.get("POD_COURSE_SHARED", REPO.parent / "shared"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))


def corpus_texts() -> list[tuple[str, str]]:
    out = []
    for p in sorted((SHARED / "corpus" / "manifests").rglob("*")):
        if p.suffix in (".yaml", ".yml") and p.is_file():
            out.append((str(p), p.read_text(encoding="utf-8", errors="replace")))
    return out


def split_docs(texts: list[tuple[str, str]]) -> list[tuple[str, str, dict]]:
    """(source, document text, data) for each document that PyYAML can load."""
    docs = []
    for src, text in texts:
        try:
            parts = [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
        except yaml.YAMLError:
            continue
        for d in parts:
            docs.append((src, yaml.safe_dump(d, sort_keys=False), d))
    return docs


def time_each(fn, items) -> list[float]:  # type: ignore[no-untyped-def]
    best: list[float] = [float("inf")] * len(items)
    for _ in range(REPEAT):
        for i, item in enumerate(items):
            t0 = time.perf_counter()
            fn(item)
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


def main() -> int:
    texts = corpus_texts()
    if not texts:
        print(f"corpus not found under {SHARED}")
        return 1
    docs = split_docs(texts)
    opts = Options(preset="all")

    def ours(item: tuple[str, str, dict]) -> None:
        for d in loader.load_documents(item[1], item[0]):
            engine.check_document(d, opts)

    import kubernetes_validate

    def theirs(item: tuple[str, str, dict]) -> None:
        # Invalid documents and unknown kinds raise; both count as a check done.
        with contextlib.suppress(Exception):
            kubernetes_validate.validate(item[2], "1.37.0", strict=True)

    warnings.simplefilter("ignore")
    theirs(docs[0])  # load kubernetes-validate's schema once, outside the timing
    ours(docs[0])
    t_ours = time_each(ours, docs)
    t_theirs = time_each(theirs, docs)
    m_ours = statistics.median(t_ours) * 1e3
    m_theirs = statistics.median(t_theirs) * 1e3
    p95 = sorted(t_ours)[int(len(t_ours) * 0.95)] * 1e3

    # Whole files through the public API, as the CLI runs them.
    t_files = time_each(lambda t: engine.check_text(t[1], t[0], options=opts), texts)

    print(f"documents: {len(docs)} from {len(texts)} files (best of {REPEAT} runs each)")
    print(f"pod-course full check     median {m_ours:8.3f} ms/doc   p95 {p95:.3f} ms")
    print(f"kubernetes-validate strict median {m_theirs:8.3f} ms/doc")
    print(f"ratio (kubernetes-validate / pod-course): {m_theirs / m_ours:.1f}x  (target >= 10x)")
    print(f"whole files via check_text: median {statistics.median(t_files) * 1e3:.3f} ms/file, "
          f"total {sum(t_files) * 1e3:.0f} ms for {len(texts)} files")
    cold_start()
    return 0


def cold_start(runs: int = 10) -> None:
    """Wall time of `pod-course check` on one small file, a fresh interpreter each run."""
    import subprocess
    import tempfile

    pod = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n"
        "spec:\n  containers:\n  - {name: web, image: nginx:1.22}\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as fh:
        fh.write(pod)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "course", "check", fh.name], capture_output=True, check=False)
        times.append(time.perf_counter() - t0)
    os.unlink(fh.name)
    print(f"cold `pod-course check` on one small file: median {statistics.median(times) * 1e3:.0f} ms "
          f"(min {min(times) * 1e3:.0f} ms, {runs} runs)")


if __name__ == "__main__":
    sys.exit(main())
