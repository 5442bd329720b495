"""Serial `nbgrader autograde` against `pod-course grade` on one sample class, in the same run.

Usage: python benchmarks/bench_grade.py [--n 40] [--chapter ch6] [--jobs N[,M...]] [--exec]

Builds a throw-away course with N submissions of one chapter (the demo class repeated:
reference answers, realistic mistakes, the untouched release, a cheat; see
tools/sample_class.py), copies it twice, and grades one copy with
`nbgrader autograde CH --force` and the other with `pod-course grade CH --force --live off`
(both as an instructor runs them, from the command line, live checks off). Prints both wall
times, their ratio, the cost per submission, and checks that both gradebooks agree cell by
cell. `--exec` also times grade with a fresh interpreter per submission instead of forked
workers.
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


CPU: dict[float, float] = {}  # wall time of a run -> CPU seconds the whole machine was busy during it


def _busy() -> float:
    """Seconds of CPU time the machine has spent busy (all cores: /proc/stat, in USER_HZ ticks)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    before = _busy()
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    secs = time.perf_counter() - start
    CPU[secs] = _busy() - before
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
            cpu = CPU.get(secs, 0.0) / args.n
            print(f"{name:42} {secs:7.1f}s {secs / args.n:14.2f}s {cpu:11.2f}s {base_secs / secs:9.2f}x  {same}")
            summary = course / ".nbgrader" / "grading" / args.chapter / "summary.json"
            if summary.exists():
                rows = json.loads(summary.read_text())["students"]
                busy = sum(r["seconds"] for r in rows)
                print(f"{'':42} worker time {busy / len(rows):.2f}s per submission, "
                      f"{sum(r['status'] == 'failed' for r in rows)} failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
