"""Emulate a Binder (repo2docker) build from binder/ alone, in a fresh virtualenv.

The course is copied, a new venv gets only binder/requirements.txt, then
binder/postBuild runs from the copy's root as repo2docker would. Every student
notebook, untouched, must then run top to bottom in that environment (Run All,
no grading environment): placeholders are empty answers, never errors.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from graders import pipeline

pytestmark = pytest.mark.slow

ROOT = pipeline.ROOT
COPY = ["binder", "course", "graders", "notebooks", "pyproject.toml", "README.md", "nbgrader_config.py"]

RUN_NOTEBOOKS = r"""
import json, sys
from pathlib import Path
import nbformat
from nbclient import NotebookClient

failures = []
for path in sorted(Path("notebooks").glob("*/*.ipynb")):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                failures.append(f"{path}: cell {i}: {out.ename}: {out.evalue}")
    print(f"ran {path}", flush=True)
print(json.dumps(failures))
"""


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = 900) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


@pytest.fixture(scope="module")
def binder_env(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    base = tmp_path_factory.mktemp("binder")
    repo = base / "repo"
    repo.mkdir()
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, repo / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info",
                                                                            ".ipynb_checkpoints"))
        elif src.exists():
            shutil.copy2(src, repo / name)
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False, clear=True).create(env_dir)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "JUPYTER_PATH",
                                                              "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR")}
    env["PATH"] = os.pathsep.join([str(env_dir / "bin"), "/usr/bin", "/bin"])
    env["VIRTUAL_ENV"] = str(env_dir)
    env["HOME"] = str(base / "home")
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    py = str(env_dir / "bin" / "python")
    _run([py, "-m", "pip", "install", "-q", "-r", "binder/requirements.txt"], repo, env)
    _run(["bash", "binder/postBuild"], repo, env)
    return repo, env


def test_fresh_venv_is_isolated(binder_env: tuple[Path, dict[str, str]]) -> None:
    """Does the Binder venv import the course from its own copy, not from this checkout?"""
    repo, env = binder_env
    out = _run(["python", "-c", "import course, graders, sys; print(course.__file__); print(sys.prefix)"], repo, env)
    assert str(repo) in out.splitlines()[0]
    assert sys.prefix not in out


def test_nbgrader_validate_is_enabled_and_lab_opens_on_notebooks(binder_env: tuple[Path, dict[str, str]]) -> None:
    """Is the Validate extension on, the instructor ones off, JupyterLab opening on chapter 1, and news off?"""
    repo, env = binder_env
    server = _run(["jupyter", "server", "extension", "list"], repo, env) + subprocess.run(
        ["jupyter", "server", "extension", "list"], cwd=repo, env=env, capture_output=True, text=True, check=False
    ).stderr
    # Each extension appears on a status line ("... enabled") and a validation line ("... OK").
    states: dict[str, set[str]] = {}
    for line in re.sub(r"\x1b\[[0-9;]*m", "", server).splitlines():
        words = line.split()
        if len(words) >= 2 and words[0].startswith("nbgrader.server_extensions."):
            states.setdefault(words[0], set()).add(words[1])
    assert "enabled" in states["nbgrader.server_extensions.validate_assignment"], states
    assert "disabled" in states["nbgrader.server_extensions.formgrader"], states
    assert "enabled" not in states["nbgrader.server_extensions.formgrader"], states
    prefix = _run(["python", "-c", "import sys; print(sys.prefix)"], repo, env).strip()
    cfg = json.loads((Path(prefix) / "etc/jupyter/jupyter_server_config.d/pod-course.json").read_text())
    first = sorted((repo / "notebooks" / "ch1").glob("*.ipynb"))[0].relative_to(repo).as_posix()
    assert cfg["ServerApp"]["default_url"] == cfg["LabApp"]["default_url"] == f"/lab/tree/{first}"
    assert cfg["LabApp"]["news_url"] is None
    overrides = json.loads((Path(prefix) / "share/jupyter/lab/settings/overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"


def test_student_notebooks_run_in_binder(binder_env: tuple[Path, dict[str, str]]) -> None:
    """Does every untouched student notebook run top to bottom without an error, with only the Binder install?"""
    repo, env = binder_env
    out = _run(["python", "-c", RUN_NOTEBOOKS], repo, env)
    assert "ran notebooks/" in out
    assert json.loads(out.strip().splitlines()[-1]) == []
