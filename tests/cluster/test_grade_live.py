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


# Run before the first answer: the kernel tries to reach the API server and to read a kubeconfig.
REACH = '''
import os, pathlib, socket
for host, port in [(HOST, PORT)]:
    try:
        socket.create_connection((host, port), timeout=3).close(); print("CONNECTED", host, port)
    except Exception as exc:
        print("BLOCKED", type(exc).__name__)
for p in [os.environ.get("KUBECONFIG", ""), *KUBECONFIGS, str(pathlib.Path.home() / ".kube" / "config")]:
    try:
        pathlib.Path(p).read_text(); print("READ", p)
    except Exception as exc:
        print("BLOCKED", type(exc).__name__)
'''


def _reach_cluster(course: Path, api: Any) -> None:
    """A submission whose kernel tries the API server and the kubeconfig, then gives the reference answers."""
    import os
    from urllib.parse import urlsplit

    import nbformat

    from course.cluster.local.engine import kubeconfig_path

    url = urlsplit(api.configuration.host)
    configs = [p for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p] + [str(kubeconfig_path())]
    code = f"HOST, PORT = {url.hostname!r}, {url.port or 443}\nKUBECONFIGS = {configs!r}\n{REACH}"
    (rel, sol), = sample_class._pairs(course, CHAPTER)
    first = next(iter(pipeline.answer_cells(nbformat.read(rel, as_version=4))))
    nb = pipeline.build_submission(rel, sol, base="solution", patches={f"before:{first}": code})
    pipeline.submit(course, "x-reach-cluster", CHAPTER, {rel.stem: nb})


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
    _reach_cluster(course, cluster)
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
    assert [o.status for o in summary.outcomes] == ["graded"] * 4, [(o.student, o.reason) for o in summary.outcomes]
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


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed (CI installs it)")
def test_kernel_reaches_no_cluster_while_its_live_cell_is_graded(graded: tuple[g.Summary, list[str]]) -> None:
    """Can a sandboxed kernel neither connect to the API server nor read a kubeconfig, while the worker's trusted
    re-grade still runs that submission's live cell on the cluster for full points?"""
    import nbformat

    summary, _ = graded
    o, ada = _outcome(summary, "x-reach-cluster"), _outcome(summary, "ada")
    assert o.status == "graded" and (o.score, o.cells) == (ada.score, ada.cells), o
    (path,) = (Path(summary.path).parents[2] / "autograded" / "x-reach-cluster" / CHAPTER).glob("*.ipynb")
    text = "\n".join(str(out.get("text", "")) for c in nbformat.read(path, as_version=4).cells
                     for out in c.get("outputs", []))
    lines = text.splitlines()
    assert not [ln for ln in lines if ln.startswith(("CONNECTED", "READ "))], text[:2000]
    assert sum(ln.startswith("BLOCKED") for ln in lines) >= 3, text[:2000]
