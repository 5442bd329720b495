"""Whole-process `pod-course check --format json` versus `kubernetes-validate --strict`, side by side.

Copies the corpus manifests in ../shared/corpus three times into a temporary folder (the files
PyYAML can parse, as kubernetes-validate stops at the first file it cannot), then runs each tool
as one process over all of those files, a few times in turn, and prints ms per document for both
and the ratio: wall time (best and median run) and CPU time (median; user + system, workers
included), the steadier figure on a busy machine. Target (issue 14): pod-course at least 40x
faster than kubernetes-validate, JSON output included. `--jobs 2` is timed as well.

Run with `make bench` (or `.venv/bin/python benchmarks/bench_cli.py`); figures go into the closing
notes, never into timed test assertions. BENCH_REPEAT sets the number of runs per tool (default 3).
Both tools run with their bytecode cached in the temporary folder, as an installed copy would
(BENCH_BYTECODE=0 keeps the environment's PYTHONDONTWRITEBYTECODE).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("POD_COURSE_SHARED", REPO.parent / "shared"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
COPIES = 3
TARGET = 40.0
K8S = "1.37.0"


def tool(name: str) -> str:
    """The console script next to this interpreter (the venv's), else the one on PATH."""
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found next to {sys.executable} or on PATH")
    return found


def parseable_manifests(root: Path) -> list[tuple[Path, int]]:
    """(file, documents) for each corpus file PyYAML reads, counting documents as kubernetes-validate does."""
    out = []
    for p in sorted(root.rglob("*")):
        if p.suffix not in (".yaml", ".yml") or not p.is_file():
            continue
        try:
            docs = [d for d in yaml.load_all(p.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) if d]
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        out.append((p, len(docs)))
    return out


def tool_env(cache: str) -> dict[str, str]:
    """The environment for both tools: bytecode cached (in `cache`), as in an installed copy, unless BENCH_BYTECODE=0.

    An editable install under PYTHONDONTWRITEBYTECODE=1 compiles every module on each start.
    """
    env = dict(os.environ)
    if os.environ.get("BENCH_BYTECODE", "1") != "0":
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = cache
    return env


def timed(
    argv: list[str], *, capture: bool, env: dict[str, str]
) -> tuple[float, float, subprocess.CompletedProcess[bytes]]:
    """Wall time and CPU time (user + system, with its worker processes) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(
        argv, stdout=subprocess.PIPE if capture else subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), proc


def main() -> int:
    corpus = SHARED / "corpus" / "manifests"
    manifests = parseable_manifests(corpus)
    if not manifests:
        print(f"corpus not found under {corpus}")
        return 1
    kv, pc = tool("kubernetes-validate"), tool("pod-course")
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        files: list[str] = []
        for copy in range(COPIES):
            for p, _ in manifests:
                dest = Path(tmp, str(copy), p.relative_to(corpus))
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(p, dest)
                files.append(str(dest))
        ndocs = COPIES * sum(n for _, n in manifests)
        env = tool_env(str(Path(tmp, "pycache")))
        print(
            f"documents: {ndocs} in {len(files)} files ({len(manifests)} corpus files x {COPIES}), "
            f"best and median of {REPEAT} runs per tool"
        )

        commands = {
            "kubernetes-validate --strict": [kv, "--strict", "-k", K8S, *files],
            "pod-course check --format json": [pc, "check", "--format", "json", *files],
            "pod-course check --format json -j 2": [pc, "check", "--format", "json", "--jobs", "2", *files],
        }
        # Once, untimed (this also writes the bytecode cache): pod-course reports every document.
        for label in list(commands)[1:]:
            _, _, proc = timed(commands[label], capture=True, env=env)
            n = len(json.loads(proc.stdout)["results"])
            if n != ndocs:
                print(f"{label} reported {n} of {ndocs} documents (exit {proc.returncode})")
                return 1

        times: dict[str, list[float]] = {label: [] for label in commands}
        cpu: dict[str, list[float]] = {label: [] for label in commands}
        for _ in range(REPEAT):  # in turn, so background load hits every tool alike
            for label, argv in commands.items():
                kv_run = label.startswith("kubernetes")
                took, used, proc = timed(argv, capture=kv_run, env=env)
                times[label].append(took)
                cpu[label].append(used)
                if kv_run:  # one INFO/ERROR/WARN line per document: it really validated all of them
                    out = proc.stdout.decode().splitlines()
                    seen = sum(1 for line in out if line.startswith(("INFO ", "ERROR ", "WARN ")))
                    if seen != ndocs:
                        print(f"kubernetes-validate reported {seen} of {ndocs} documents (exit {proc.returncode}):")
                        print(proc.stderr.decode()[-2000:])
                        return 1

    def per_doc(ts: list[float]) -> tuple[float, float]:
        return min(ts) * 1e3 / ndocs, statistics.median(ts) * 1e3 / ndocs

    kv_label = "kubernetes-validate --strict"
    theirs_best, theirs_med = per_doc(times[kv_label])
    theirs_cpu = per_doc(cpu[kv_label])[1]
    for label, ts in times.items():
        best, med = per_doc(ts)
        med_cpu = per_doc(cpu[label])[1]
        line = f"{label:37} wall best {best:7.3f} median {med:7.3f} ms/doc ({min(ts):5.2f} s), cpu {med_cpu:7.3f}"
        if label != kv_label:
            ratios = (theirs_best / best, theirs_med / med, theirs_cpu / med_cpu)
            line += "  ratio {:5.1f}x best {:5.1f}x median {:5.1f}x cpu".format(*ratios)
        print(line)
    print(f"target: pod-course at least {TARGET:.0f}x faster than kubernetes-validate (whole process, JSON output)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
