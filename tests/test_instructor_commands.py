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
