"""The chapters' live grade cells against a real kind cluster (`pytest -m kind`).

The solution notebooks must earn full marks on their live cells with PODCOURSE_LIVE=required
(run in a kernel as a learner would, and through nbgrader autograde with its trusted
re-grade), the untouched releases must earn nothing, and typical mistakes must lose the
behaviour point for the reason the chapter teaches. Skipped when no course cluster answers.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from cluster_support import solution_answer

from graders import live, pipeline

pytestmark = pytest.mark.cluster

REPO = Path(__file__).resolve().parents[2]
LIVE_SUFFIX = "-live"


def live_cells(nb) -> dict[str, float]:
    """grade_id -> points of the live grade cells of a notebook."""
    return {gid: pts for gid, pts in pipeline.grade_cells(nb).items() if gid.endswith(LIVE_SUFFIX)}


def chapters_with_live_cells() -> list[str]:
    out = []
    for a in pipeline.assignments():
        for nb_path in pipeline.notebooks_of(REPO / "solutions" / a):
            if live_cells(nbformat.read(nb_path, as_version=4)):
                out.append(a)
                break
    return out


CHAPTERS = chapters_with_live_cells()


# ---------------------------------------------------------------- each exercise, directly


@pytest.mark.parametrize("cell", live.cells(), ids=lambda c: c.grade_id)
def test_reference_answer_earns_full_live_marks(required, capfd, cell):
    """Does each chapter's reference answer run and behave on the real cluster (full live marks)?"""
    exercise = cell.exercise
    score = exercise(solution_answer(cell.chapter, cell.var))
    out = capfd.readouterr()
    assert float(score) == exercise.max_points, out.out
    assert out.err == ""


WRONG = [
    ("ch3", "PROXY_POD", ("http://localhost:8080", "http://app:8080"), 1, "bad address 'app:8080'"),
    ("ch4", "LOG_POD", ("      readOnly: true\n", ""), 1, "could write"),
    ("ch5", "RELOAD_POD", ("  shareProcessNamespace: true\n", ""), 1, "PID namespace of its own"),
    ("ch1", "WEB_WITH_LOGS", ('"tail -F /logs/access.log"', '"exit 1"'), 0, "CrashLoopBackOff"),
]


@pytest.mark.parametrize("chapter, var, change, points, text", WRONG, ids=[w[0] for w in WRONG])
def test_typical_mistakes_lose_the_behaviour_point(required, capfd, chapter, var, change, points, text):
    """Does each chapter's classic mistake fail on the real cluster for the reason the chapter teaches?"""
    exercise = live.CELLS[chapter][0]
    answer = solution_answer(chapter, var)
    assert change[0] in answer, f"the reference answer changed; update this case ({change[0]!r})"
    score = exercise(answer.replace(change[0], change[1]))
    out = capfd.readouterr()
    assert float(score) == points and text in out.out, out.out


# ---------------------------------------------------------------- whole notebooks


def _execute(nb_path: Path, work: Path) -> object:
    from nbclient import NotebookClient

    shutil.copytree(nb_path.parent, work, ignore=shutil.ignore_patterns(pipeline.ANSWER_FILES, ".ipynb_checkpoints"))
    nb = nbformat.read(work / nb_path.name, as_version=4)
    NotebookClient(nb, timeout=180, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(work)}}).execute()
    return nb


def _cell_scores(nb) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        if not gid.endswith(LIVE_SUFFIX):
            continue
        out[gid] = None
        for o in cell.get("outputs", []):
            assert not (o.output_type == "stream" and o.name == "stderr"), f"{gid} wrote to stderr: {o.text}"
            if o.output_type == "execute_result":
                out[gid] = float(o.data["text/plain"])
    return out


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solution_notebook_live_cells_pass_in_a_kernel(required, tmp_path, chapter):
    """Run as a learner would (a kernel, PODCOURSE_LIVE=required): do the solution's live cells score full?"""
    for nb_path in pipeline.notebooks_of(REPO / "solutions" / chapter):
        want = live_cells(nbformat.read(nb_path, as_version=4))
        if want:
            assert _cell_scores(_execute(nb_path, tmp_path / nb_path.stem)) == want


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_untouched_release_live_cells_fail_in_a_kernel(required, tmp_path, chapter):
    """Does the released notebook, run untouched against the cluster, earn nothing in its live cells?"""
    for nb_path in pipeline.notebooks_of(REPO / "notebooks" / chapter):
        want = live_cells(nbformat.read(nb_path, as_version=4))
        if want:
            got = _cell_scores(_execute(nb_path, tmp_path / nb_path.stem))
            assert got == dict.fromkeys(want, 0.0)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_autograde_with_cluster_required(required, tmp_path_factory, chapter):
    """Through nbgrader autograde (trusted re-grade) with the cluster: reference full marks, untouched zero?"""
    course = pipeline.temp_course(tmp_path_factory.mktemp(f"kind-{chapter}"))
    release = pipeline.generate(course, chapter)
    sol_dir = course / "solutions" / chapter
    pairs = {nb.stem: (release / nb.name, nb) for nb in pipeline.notebooks_of(sol_dir)}
    for student, base in (("reference", "solution"), ("untouched", "release")):
        nbs = {name: pipeline.build_submission(rel, sol, base=base) for name, (rel, sol) in pairs.items()}
        pipeline.submit(course, student, chapter, nbs)
    pipeline.autograde(course, chapter)
    scores = pipeline.scores(course, chapter)
    want = {gid: pts for _, sol in pairs.values() for gid, pts in live_cells(nbformat.read(sol, as_version=4)).items()}
    got = {s: {g: c.score for g, c in scores[s].cells.items() if g in want} for s in ("reference", "untouched")}
    assert got["reference"] == want, json.dumps(got)
    assert got["untouched"] == dict.fromkeys(want, 0.0)
