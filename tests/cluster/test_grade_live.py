"""`pod-course grade --live required` on the course cluster (`pytest -m cluster`).

A small class of chapter 6 (whose live cell starts a three-container Pod and watches its start
order) is graded two submissions at once against the real cluster: the reference answer earns
every point, live ones included, the untouched release earns none, the live cell's points are
really awarded by a run (not given as skipped), and no sandbox namespace is left afterwards.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from course.cluster.builders import SANDBOX_LABEL
from course.grading import grade as g
from graders import pipeline

sys.path.insert(0, str(pipeline.ROOT / "tools"))
import sample_class

pytestmark = pytest.mark.cluster

CHAPTER = "ch6"
LIVE_CELL = "ch6-orders-live"


def _sandboxes(api: Any) -> list[str]:
    from kubernetes import client

    items = client.CoreV1Api(api).list_namespace(label_selector=SANDBOX_LABEL).items
    return [ns.metadata.name for ns in items if ns.status.phase != "Terminating"]


@pytest.fixture(scope="module")
def graded(cluster: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[g.Summary, list[str]]:
    course = sample_class.make_course(tmp_path_factory.mktemp("class") / "course", CHAPTER)
    sample_class.honest(course, CHAPTER, "ada", "reference")
    sample_class.honest(course, CHAPTER, "farah", "untouched")
    sample_class.honest(course, CHAPTER, "ben", 0)
    before = _sandboxes(cluster)
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("NBGRADER_EXECUTION", raising=False)
        mp.setenv("PODCOURSE_LIVE", "required")
        summary = g.grade(CHAPTER, course_root=course, jobs=2, live="required", progress=False)
    return summary, before


def _outcome(summary: g.Summary, student: str) -> g.Outcome:
    return next(o for o in summary.outcomes if o.student == student)


def test_reference_earns_every_point_live_included(graded: tuple[g.Summary, list[str]]) -> None:
    """Does the reference submission earn full marks, its live cell included, when graded on the cluster?"""
    summary, _ = graded
    ada = _outcome(summary, "ada")
    assert ada.status == "graded", ada.reason or ada.log[-2000:]
    assert ada.score == ada.max_score > 0, ada.cells
    score, most = ada.cells[LIVE_CELL]
    assert most and score == most and not ada.not_graded


def test_untouched_release_earns_nothing(graded: tuple[g.Summary, list[str]]) -> None:
    """Does the untouched release score 0, live cell included, instead of being given skipped live points?"""
    summary, _ = graded
    farah = _outcome(summary, "farah")
    assert farah.status == "graded", farah.reason
    assert farah.score == 0, farah.cells


def test_every_submission_is_graded(graded: tuple[g.Summary, list[str]]) -> None:
    """Is every submission of the batch graded, none failed, with the batch's live mode recorded?"""
    summary, _ = graded
    assert [o.status for o in summary.outcomes] == ["graded"] * 3, [(o.student, o.reason) for o in summary.outcomes]
    assert summary.live == "required"


def test_no_sandbox_is_left(cluster: Any, graded: tuple[g.Summary, list[str]]) -> None:
    """Are all the batch's sandbox namespaces gone (or going) once grading ends?"""
    _, before = graded
    left = sorted(set(_sandboxes(cluster)) - set(before))
    assert not left, f"sandbox namespaces left behind: {left}"


def test_summary_is_written(graded: tuple[g.Summary, list[str]]) -> None:
    """Does the summary file of the batch exist beside the gradebook, as the instructor guide says?"""
    summary, _ = graded
    assert Path(summary.path).is_file()


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed (CI installs it)")
def test_live_batch_ran_in_the_sandbox(graded: tuple[g.Summary, list[str]]) -> None:
    """With bubblewrap installed, was the live batch graded in the sandbox (and still reached the cluster)?"""
    summary, _ = graded
    assert summary.isolation == "sandbox", summary.isolation
