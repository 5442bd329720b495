"""What `nbgrader autograde` tells the instructor: no false alarms, and the real ones kept."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from graders import pipeline
from graders.overwrite import released_source

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import sample_class  # noqa: E402

pytestmark = pytest.mark.slow
CHAPTER = "ch1"


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PODCOURSE_LIVE", "off")  # the live cells' run is not what this is about
        mp.setenv("KUBECONFIG", os.devnull)
        yield _graded_log(tmp_path_factory)


def _graded_log(tmp_path_factory: pytest.TempPathFactory) -> str:
    course = sample_class.make_course(tmp_path_factory.mktemp("autograde-log") / "course", CHAPTER)
    sample_class.honest(course, CHAPTER, "untouched", "untouched")
    sample_class.honest(course, CHAPTER, "reference", "reference")
    sample_class.honest(course, CHAPTER, "tamperer", "untouched")
    folder = course / ".nbgrader" / "submitted" / "tamperer" / CHAPTER
    nb_path = next(folder.glob("*.ipynb"))
    nb = nbformat.read(nb_path, as_version=4)
    test_cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "ch1-first-pod-test")
    test_cell.source = "print('full marks, surely')"
    nbformat.write(nb, nb_path)
    return pipeline.autograde(course, CHAPTER)


def test_untouched_test_cells_raise_no_checksum_or_sqlalchemy_warning(log: str) -> None:
    """Do untouched test cells (two whole submissions) log neither checksum warnings nor SQLAlchemy's SAWarning?"""
    assert "Autograding" in log, log[-3000:]
    changed = [ln for ln in log.splitlines() if "has changed!" in ln]
    assert all("ch1-first-pod-test" in ln for ln in changed), changed  # only the tampered cell
    assert "SAWarning" not in log, [ln for ln in log.splitlines() if "SAWarning" in ln][:3]


def test_a_changed_test_cell_is_still_reported(log: str) -> None:
    """Does the one test cell a student rewrote still get nbgrader's checksum warning, once, naming the cell?"""
    changed = [ln for ln in log.splitlines() if "Attribute 'checksum' for cell ch1-first-pod-test has changed!" in ln]
    assert len(changed) == 1, log[-3000:]


def test_released_source_matches_every_locked_release_cell() -> None:
    """Is every locked cell of every release exactly its solution cell minus the hidden tests?"""
    checked = 0
    for sol in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        rel = ROOT / "notebooks" / sol.relative_to(ROOT / "solutions")
        released = {c["metadata"].get("nbgrader", {}).get("grade_id"): c for c in json.loads(rel.read_text())["cells"]}
        for cell in json.loads(sol.read_text())["cells"]:
            meta = cell["metadata"].get("nbgrader", {})
            if meta.get("locked") and meta.get("grade_id"):
                assert released_source("".join(cell["source"])) == "".join(released[meta["grade_id"]]["source"])
                checked += 1
    assert checked > 50
