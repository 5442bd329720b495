"""The pre-commit hook in .pre-commit-hooks.yaml, installed by pre-commit itself from a snapshot of this checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What `pip install .` needs, plus the hook manifest; taken from the working tree, committed or not.
SNAPSHOT = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "course", "graders")

GOOD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    image: nginx:1.22
"""
BAD = GOOD + "    ports:\n    - containerPort: 70000\n"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git"),
]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
            *args,
        ],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def snapshot(dest: Path) -> str:
    """Commit the working tree's files (tracked and new, not ignored) to a fresh repository; its HEAD."""
    listed = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *SNAPSHOT)
    for rel in filter(None, listed.split("\0")):
        src = ROOT / rel
        if src.is_file():  # deleted but still in the index: skip
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "snapshot")
    return git(dest, "rev-parse", "HEAD").strip()


def test_hook_passes_good_and_fails_bad_manifest(tmp_path: Path) -> None:
    """Does pre-commit install the pod-course-check hook and pass a good Pod but fail a bad one with its finding?"""
    hooks, work = tmp_path / "hook-repo", tmp_path / "work"
    hooks.mkdir()
    work.mkdir()
    rev = snapshot(hooks)
    (work / "good.yaml").write_text(GOOD)
    (work / "bad.yaml").write_text(BAD)
    (work / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {hooks}\n  rev: {rev}\n  hooks:\n  - id: pod-course-check\n"
    )
    git(work, "init", "-q")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "manifests")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT", "VIRTUAL_ENV"))}
    env.update(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), PRE_COMMIT_COLOR="never", GIT_CONFIG_NOSYSTEM="1")

    def run(*files: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "run", "--files", *files],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=540,
        )

    good = run("good.yaml")  # the first run builds the hook's environment with pip
    assert good.returncode == 0, good.stdout + good.stderr
    assert "pod-course check" in good.stdout and "Passed" in good.stdout

    bad = run("bad.yaml")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout
    assert "bad.yaml:10:7: error: spec.containers[0].ports[0].containerPort: Invalid value: 70000" in bad.stdout
    assert "(port-range)" in bad.stdout and "hint: Use a port number from 1 to 65535." in bad.stdout
