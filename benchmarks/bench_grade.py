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


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, proc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="submissions in the class (default 40)")
    parser.add_argument("--chapter", default="ch6")
    parser.add_argument("--jobs", default="", help="grade --jobs, or several separated by commas "
                        "(default: the number of cores)")
    parser.add_argument("--exec", action="store_true", help="also time fresh-interpreter workers")
    args = parser.parse_args(argv)

    import sample_class

    env = g.worker_env(LIVE_OFF)
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
        modes = [("sandbox", {"PODCOURSE_GRADE_WORKERS": "sandbox"}), ("fork", {"PODCOURSE_GRADE_WORKERS": "fork"})]
        if args.exec:
            modes.append(("exec", {"PODCOURSE_GRADE_WORKERS": "exec"}))
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
        print(f"\n{'run':42} {'wall':>8} {'per submission':>15} {'vs serial':>10}  gradebook")
        for name, (secs, course) in runs.items():
            got = gbk.dump(gbk.sqlite_url(course / ".nbgrader" / "gradebook.db"), "pod-course", args.chapter)
            same = "same as serial" if got == want else "DIFFERS from serial"
            print(f"{name:42} {secs:7.1f}s {secs / args.n:14.2f}s {base_secs / secs:9.2f}x  {same}")
            summary = course / ".nbgrader" / "grading" / args.chapter / "summary.json"
            if summary.exists():
                rows = json.loads(summary.read_text())["students"]
                busy = sum(r["seconds"] for r in rows)
                print(f"{'':42} worker time {busy / len(rows):.2f}s per submission, "
                      f"{sum(r['status'] == 'failed' for r in rows)} failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
