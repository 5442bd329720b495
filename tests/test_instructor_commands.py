"""The instructor guide's commands work as written, without the virtualenv activated.

`docs/instructor-guide.md` says to run `.venv/bin/nbgrader ...` from the repository root, and
`python tools/release.py --check` to find drift. Both used to fail for a new instructor: nbgrader
runs `alembic` as a program when it creates the gradebook (not on PATH without activation), and
the release script imported nbgrader from whatever Python ran it.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from graders import pipeline

VENV_BIN = Path(sys.executable).parent
BARE_PATH = os.pathsep.join(p for p in ("/usr/local/bin", "/usr/bin", "/bin") if Path(p).is_dir())


def _bare_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = BARE_PATH
    return env


def test_nbgrader_creates_the_gradebook_without_an_activated_venv(tmp_path: Path) -> None:
    """Does `.venv/bin/nbgrader db student add` create a complete gradebook when alembic is not on PATH?"""
    course = pipeline.temp_course(tmp_path / "course")
    proc = subprocess.run([str(VENV_BIN / "nbgrader"), "db", "student", "add", "ada"], cwd=course, env=_bare_env(),
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with sqlite3.connect(course / ".nbgrader" / "gradebook.db") as db:
        (version,) = db.execute("select version_num from alembic_version").fetchone()
        students = [r[0] for r in db.execute("select id from student")]
    assert version and students == ["ada"]


@pytest.mark.skipif(not Path("/usr/bin/python3").is_file(), reason="no system Python at /usr/bin/python3")
def test_release_script_runs_with_the_system_python() -> None:
    """Does `python3 tools/release.py` with the system Python hand over to the course virtualenv, not fail?"""
    proc = subprocess.run(["/usr/bin/python3", str(pipeline.ROOT / "tools" / "release.py"), "--help"],
                          cwd=pipeline.ROOT, env=_bare_env(), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "--check" in proc.stdout and "ModuleNotFoundError" not in proc.stderr


# The guide's workflow, in its order, as the commands it shows (run with the venv's binaries).
WALKTHROUGH = [
    ("python", "tools/release.py", "ch1"),  # what `make notebooks` runs, for one chapter
    ("nbgrader", "release_assignment", "ch1"),
    ("nbgrader", "autograde", "ch1"),
    ("pod-course", "grade", "ch1", "--live", "off", "--force"),
    ("pod-course", "feedback", "ch1"),
    ("nbgrader", "release_feedback", "ch1"),
    ("pod-course", "export", "--to", "csv"),
    ("pod-course", "stats", "ch1"),
]
IN_GUIDE = {  # how the guide writes each step
    "tools/release.py": "make notebooks",
    "release_assignment": "nbgrader release_assignment ch1",
    "autograde": "nbgrader autograde ch1",
    "grade": "pod-course grade ch1 --live off",
    "feedback": "pod-course feedback ch1",
    "release_feedback": "nbgrader release_feedback ch1",
    "export": "pod-course export --to csv",
    "stats": "pod-course stats ch1",
}


def _fresh_copy(dest: Path) -> Path:
    """The repository as a clone would have it: every tracked (and new, not ignored) file, nothing else."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=pipeline.ROOT,
                            capture_output=True, text=True, check=True).stdout.split("\0")
    for rel in filter(None, listed):
        src = pipeline.ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            (dest / rel).write_bytes(src.read_bytes())
    return dest


@pytest.mark.slow
def test_the_guides_workflow_runs_step_by_step_on_a_fresh_clone(tmp_path: Path) -> None:
    """Does the guide's workflow (generate, release, collect, grade, feedback, export, stats) work as written?"""
    guide = (pipeline.ROOT / "docs" / "instructor-guide.md").read_text(encoding="utf-8")
    for step in WALKTHROUGH:
        assert IN_GUIDE[step[1]] in guide, f"the guide no longer shows {IN_GUIDE[step[1]]!r}"
    course = _fresh_copy(tmp_path / "clone")
    env = {**_bare_env(), "PODCOURSE_LIVE": "off", "KUBECONFIG": os.devnull}
    # 3. Collect: the learner's whole chapter folder, copied in by hand (here: the untouched release).
    submitted = course / ".nbgrader" / "submitted" / "ada" / "ch1"
    for i, step in enumerate(WALKTHROUGH):
        if step[1] == "autograde":
            submitted.mkdir(parents=True)
            for nb in (course / "notebooks" / "ch1").glob("*.ipynb"):
                (submitted / nb.name).write_bytes(nb.read_bytes())
        exe = sys.executable if step[0] == "python" else str(VENV_BIN / step[0])
        proc = subprocess.run([exe, *step[1:]], cwd=course, env=env, capture_output=True, text=True, timeout=600,
                              check=False)
        assert proc.returncode == 0, f"step {i + 1} {' '.join(step)}:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    assert (course / ".nbgrader" / "exchange" / "pod-course" / "outbound" / "ch1").is_dir()
    assert sorted((course / ".nbgrader" / "feedback" / "ada" / "ch1").glob("*.html"))
    assert sorted((course / ".nbgrader" / "exchange" / "pod-course" / "feedback").glob("*.html"))
    with sqlite3.connect(course / ".nbgrader" / "gradebook.db") as db:
        graded = db.execute("select count(*) from submitted_assignment").fetchone()[0]
    assert graded == 1
    exports = sorted((course / ".nbgrader" / "exports").rglob("*.csv")) or sorted(course.glob("*.csv"))
    assert exports, sorted(str(p.relative_to(course)) for p in course.rglob("*.csv"))
