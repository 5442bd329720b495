"""Serial `nbgrader autograde` against `pod-course grade` on one sample class, in the same run.

Usage: python benchmarks/bench_grade.py [--n 40] [--chapter ch6] [--jobs N[,M...]] [--modes sandbox,fork] [--exec]

Builds a throw-away course with N submissions of one chapter (the demo class repeated:
reference answers, realistic mistakes, the untouched release, a cheat; see
tools/sample_class.py), copies it, and grades one copy with `nbgrader autograde CH --force`
and the others with `pod-course grade CH --force --live off` (both as an instructor runs them,
from the command line, live checks off), with the course's bytecode compiled first. Prints the
wall times, their ratio, the cost per submission (wall, and the CPU time the whole machine was
busy, per submission), and checks that every gradebook agrees with serial cell by cell.
`--modes` picks grade's worker modes (sandbox, fork; `--exec` adds a fresh interpreter per
submission) and `--jobs` its job counts (default: grade's own default).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tools"))

from course.grading import grade as g  # noqa: E402
from course.grading import gradebook as gbk  # noqa: E402

LIVE_OFF = {"PODCOURSE_LIVE": "off", "PODCOURSE_LIVE_SKIPPED": "zero", "KUBECONFIG": os.devnull}


CPU: dict[float, tuple[float, float]] = {}  # wall time of a run -> (busy CPU seconds, stolen seconds) during it


def _cpu() -> tuple[float, float]:
    """Seconds the machine's cores have been busy, and seconds the hypervisor took from them (/proc/stat)."""
    f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]] + [0] * 8
    tick = os.sysconf("SC_CLK_TCK")
    return (f[0] + f[1] + f[2] + f[5] + f[6]) / tick, f[7] / tick  # user nice system irq softirq; steal


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    before = _cpu()
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    secs = time.perf_counter() - start
    after = _cpu()
    CPU[secs] = (after[0] - before[0], after[1] - before[1])
    return secs, proc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="submissions in the class (default 40)")
    parser.add_argument("--chapter", default="ch6")
    parser.add_argument("--jobs", default="", help="grade --jobs, or several separated by commas "
                        "(default: the number of cores)")
    parser.add_argument("--exec", action="store_true", help="also time fresh-interpreter workers")
    parser.add_argument("--modes", default="sandbox,fork", help="grade's worker modes to time (default sandbox,fork)")
    args = parser.parse_args(argv)

    import sample_class

    env = g.worker_env(LIVE_OFF)
    # Both runs with the course's bytecode compiled, as on a machine without PYTHONDONTWRITEBYTECODE
    # (grade compiles it itself; serial nbgrader's kernels would otherwise compile it every time here).
    g.precompile()
    job_counts = [int(j) for j in args.jobs.split(",") if j.strip()] or [g.default_jobs()]
    with tempfile.TemporaryDirectory(prefix="pod-course-bench-grade-") as tmp:
        t0 = time.perf_counter()
        pristine = sample_class.make_course(Path(tmp) / "pristine", args.chapter)
        students = sample_class.hand_in(pristine, args.chapter, args.n)
        print(f"{args.chapter}: {len(students)} submissions handed in ({time.perf_counter() - t0:.1f}s to set up); "
              f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}", flush=True)

        runs: dict[str, tuple[float, Path]] = {}
        serial = Path(tmp) / "serial"
        shutil.copytree(pristine, serial)
        secs, proc = timed([sys.executable, "-m", "nbgrader", "autograde", args.chapter, "--force"], serial, env)
        if proc.returncode != 0:
            print(f"serial nbgrader autograde failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
            return 1
        runs["nbgrader autograde (serial)"] = (secs, serial)

        cli = str(Path(sys.executable).parent / "pod-course")
        names = [m.strip() for m in args.modes.split(",") if m.strip()] + (["exec"] * args.exec)
        modes = [(m, {"PODCOURSE_GRADE_WORKERS": m}) for m in dict.fromkeys(names)]
        for (mode, extra), jobs in ((m, j) for m in modes for j in job_counts):
            course = Path(tmp) / f"grade-{mode}-{jobs}"
            shutil.copytree(pristine, course)
            secs, proc = timed([cli, "grade", args.chapter, "--live", "off", "--force", "--quiet", "--jobs", str(jobs)],
                               course, {**env, **extra})
            if proc.returncode != 0:
                print(f"pod-course grade ({mode}) failed ({proc.returncode}):\n"
                      f"{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
                return 1
            runs[f"pod-course grade -j {jobs} ({mode} workers)"] = (secs, course)

        base_secs, base_course = runs["nbgrader autograde (serial)"]
        want = gbk.dump(gbk.sqlite_url(base_course / ".nbgrader" / "gradebook.db"), "pod-course", args.chapter)
        print(f"\n{'run':42} {'wall':>8} {'per submission':>15} {'busy CPU/sub':>12} {'vs serial':>10}  gradebook")
        for name, (secs, course) in runs.items():
            got = gbk.dump(gbk.sqlite_url(course / ".nbgrader" / "gradebook.db"), "pod-course", args.chapter)
            same = "same as serial" if got == want else "DIFFERS from serial"
            busy, stolen = CPU.get(secs, (0.0, 0.0))
            print(f"{name:42} {secs:7.1f}s {secs / args.n:14.2f}s {busy / args.n:11.2f}s {base_secs / secs:9.2f}x  "
                  f"{same}" + (f" ({stolen:.1f}s stolen by the hypervisor)" if stolen >= 0.5 else ""))
            summary = course / ".nbgrader" / "grading" / args.chapter / "summary.json"
            if summary.exists():
                rows = json.loads(summary.read_text())["students"]
                busy = sum(r["seconds"] for r in rows)
                print(f"{'':42} worker time {busy / len(rows):.2f}s per submission, "
                      f"{sum(r['status'] == 'failed' for r in rows)} failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
