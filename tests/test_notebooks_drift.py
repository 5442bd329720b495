"""The committed student release must be exactly what `make notebooks` generates."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from graders import pipeline

pytestmark = pytest.mark.slow


def test_committed_release_matches_fresh_generation(tmp_path: Path) -> None:
    """Is notebooks/ identical (ignoring volatile metadata) to a fresh generation from solutions/?"""
    assert pipeline.release_drift(work=tmp_path) == []


def test_drift_is_detected(tmp_path: Path) -> None:
    """Does editing a solution notebook without regenerating get reported as drift?"""
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copy2(pipeline.ROOT / "nbgrader_config.py", root)
    shutil.copytree(pipeline.ROOT / "solutions", root / "solutions")
    shutil.copytree(pipeline.ROOT / "notebooks", root / "notebooks")
    a = pipeline.assignments(root)[0]
    nb_path = pipeline.notebooks_of(root / "solutions" / a)[0]
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells[0].source += "\n\nAn edit nobody released."
    nbformat.write(nb, nb_path)
    problems = pipeline.release_drift(root, work=tmp_path / "work")
    assert problems == [f"notebooks/{a}/{nb_path.name} differs from a fresh generation"]


def test_volatile_metadata_is_ignored(tmp_path: Path) -> None:
    """Do outputs, execution counts and kernel display names leave a release comparable-equal?"""
    a = pipeline.assignments()[0]
    src = pipeline.notebooks_of(pipeline.ROOT / "notebooks" / a)[0]
    nb = nbformat.read(src, as_version=4)
    nb.metadata["kernelspec"]["display_name"] = "Python 3.12 (somebody's laptop)"
    nb.metadata["language_info"] = {"name": "python", "version": "3.12.1"}
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.execution_count = 7
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\n")]
    out = tmp_path / src.name
    nbformat.write(nb, out)
    assert pipeline.comparable(out) == pipeline.comparable(src)
    nb.cells[0].source += "!"
    nbformat.write(nb, out)
    assert pipeline.comparable(out) != pipeline.comparable(src)


def test_release_is_byte_for_byte_reproducible(tmp_path: Path) -> None:
    """Does running `make notebooks` twice write byte-identical notebooks and keep learners' answer files?"""
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copy2(pipeline.ROOT / "nbgrader_config.py", root)
    a = pipeline.assignments()[0]
    shutil.copytree(pipeline.ROOT / "solutions" / a, root / "solutions" / a,
                    ignore=shutil.ignore_patterns(pipeline.ANSWER_FILES))
    assert pipeline.release(root, work=tmp_path / "w1") == [a]
    first = {p.relative_to(root): p.read_bytes() for p in (root / "notebooks").rglob("*") if p.is_file()}
    mine = root / "notebooks" / a / "first-pod.answer.yaml"
    mine.write_text("kind: Pod\n")
    assert pipeline.release(root, work=tmp_path / "w2") == []
    second = {p.relative_to(root): p.read_bytes() for p in (root / "notebooks").rglob("*") if p.is_file()}
    assert second.pop(mine.relative_to(root)) == b"kind: Pod\n"
    assert first == second
