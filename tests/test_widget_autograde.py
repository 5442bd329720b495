"""A learner answers chapter 1's first exercise with the Pod editor; nbgrader grades exactly that.

The editor cell of the released notebook is run in the learner's folder (so
`editor_for_answer` builds a real `PodEditor`), fields are set as a learner
would set them, the answer is saved, the folder goes through nbgrader's own
release / submit / collect exchange, and `nbgrader autograde` must grade the
saved YAML (byte for byte) with the points the exercise gives it.
"""

from __future__ import annotations

import getpass
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest

from course.answers import answer_path
from course.widgets import PodEditor
from graders import pipeline

pytestmark = pytest.mark.slow

ASSIGNMENT = "ch1"
ANSWER = "first-pod"
ANSWER_CELL = "ch1-first-pod-answer"
TEST_CELL = "ch1-first-pod-test"
EDITOR_CELL = "ch1-first-pod-editor"


def _complete(ed: PodEditor) -> None:
    ed.name.value = "hello"
    ed.labels.value = "app=hello"
    c = ed.containers.items[0]
    c.name.value = "web"
    c.image.value = "nginx:1.22"
    c.ports.add().port.value = "80"


def _forgot_tag_and_port(ed: PodEditor) -> None:
    ed.name.value = "hello"
    ed.labels.value = "app=hello"
    ed.containers.items[0].name.value = "web"


def _untouched(ed: PodEditor) -> None:
    """Ran the editor cell and pressed Save without changing anything."""


# learner -> (what they do in the editor, points the exercise must award)
LEARNERS: dict[str, tuple[Callable[[PodEditor], None], float]] = {
    "complete": (_complete, 6.0),
    "forgot-tag-and-port": (_forgot_tag_and_port, 4.0),
    "starter-only": (_untouched, 0.0),
}


def _cell(nb: Any, cell_id: str) -> Any:
    for c in nb.cells:
        if c.get("id") == cell_id or c.metadata.get("nbgrader", {}).get("grade_id") == cell_id:
            return c
    raise KeyError(cell_id)


def _stdout(cell: Any) -> str:
    return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every learner edits, saves and submits; the instructor collects and autogrades once."""
    base = tmp_path_factory.mktemp("widget-autograde")
    course = pipeline.temp_course(base / "course")
    release = pipeline.generate(course, ASSIGNMENT)
    release_nb = pipeline.notebooks_of(release)[0]
    editor_source = _cell(nbformat.read(release_nb, as_version=4), EDITOR_CELL).source
    saved: dict[str, str] = {}
    before = Path.cwd()
    old_env = os.environ.pop("NBGRADER_EXECUTION", None)
    try:
        for learner, (edit, _) in LEARNERS.items():
            folder = base / "learners" / learner / ASSIGNMENT
            shutil.copytree(release, folder)
            os.chdir(folder)
            scope: dict[str, Any] = {}
            exec(compile(editor_source, "editor-cell", "exec"), scope)  # the learner runs the editor cell
            ed = scope["first_pod_editor"]
            assert isinstance(ed, PodEditor) and ed.answer == ANSWER
            edit(ed)
            assert ed.save() == answer_path(ANSWER, folder)
            saved[learner] = ed.yaml
    finally:
        os.chdir(before)
        if old_env is not None:
            os.environ["NBGRADER_EXECUTION"] = old_env
    # The real exchange: release, each learner submits their folder, the instructor collects.
    exchange = ["--Exchange.root=" + str(course / ".nbgrader" / "exchange"), "--CourseDirectory.course_id=pod-course"]
    pipeline.nbgrader("release_assignment", ASSIGNMENT, "--force", course=course)
    students: dict[str, str] = {}
    user = getpass.getuser()
    for learner in LEARNERS:
        pipeline.nbgrader("submit", ASSIGNMENT, *exchange, course=base / "learners" / learner)
        pipeline.nbgrader("collect", ASSIGNMENT, "--update", course=course)
        # collect files every submission under the OS user; keep each learner's apart.
        got = course / ".nbgrader" / "submitted" / user / ASSIGNMENT
        assert (got / f"{ANSWER}.answer.yaml").is_file(), "the answer file was not collected"
        dest = course / ".nbgrader" / "submitted" / learner
        shutil.move(str(got.parent), str(dest))
        students[learner] = learner
    pipeline.autograde(course, ASSIGNMENT)
    return {"course": course, "saved": saved, "nb": release_nb.name,
            "scores": pipeline.scores(course, ASSIGNMENT)}


@pytest.mark.parametrize("learner", sorted(LEARNERS))
def test_autograde_grades_the_yaml_the_editor_saved(learner: str, graded: dict[str, Any]) -> None:
    """Does autograde read back exactly the YAML the learner saved with the Pod editor, and score it?"""
    course: Path = graded["course"]
    nb = nbformat.read(course / ".nbgrader" / "autograded" / learner / ASSIGNMENT / graded["nb"], as_version=4)
    assert _stdout(_cell(nb, ANSWER_CELL)) == graded["saved"][learner] + "\n"
    cells = graded["scores"][learner].cells
    assert cells[TEST_CELL].score == LEARNERS[learner][1]
    assert {gid: c.score for gid, c in cells.items() if gid != TEST_CELL} == dict.fromkeys(
        [g for g in cells if g != TEST_CELL], 0.0)


def test_editor_builds_no_widgets_while_grading(graded: dict[str, Any]) -> None:
    """Under NBGRADER_EXECUTION does the editor cell show the saved answer's stand-in, with no widget?"""
    course: Path = graded["course"]
    nb = nbformat.read(course / ".nbgrader" / "autograded" / "complete" / ASSIGNMENT / graded["nb"], as_version=4)
    outputs = _cell(nb, EDITOR_CELL).outputs
    data = [o.get("data", {}) for o in outputs if o.output_type in ("execute_result", "display_data")]
    assert data, "the editor cell showed nothing"
    assert all("application/vnd.jupyter.widget-view+json" not in d for d in data)
    assert any("not shown while grading" in d.get("text/plain", "") for d in data)
