"""The whole nbgrader pipeline, for every assignment under solutions/.

One temporary course per assignment is generated, handed a class of
submissions (the reference answers, the untouched release, and every scenario
in tests/submissions/<assignment>.yaml, cheats included), autograded once with
the real `nbgrader` CLI, and given feedback. The tests then read the gradebook
and the feedback HTML. New chapters are covered as soon as their solutions
folder exists.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from graders import pipeline

pytestmark = pytest.mark.slow

ASSIGNMENTS = pipeline.assignments()
SOLUTION_NOTEBOOKS = [nb for a in ASSIGNMENTS for nb in pipeline.notebooks_of(pipeline.ROOT / "solutions" / a)]
SCENARIOS = [(a, s) for a in ASSIGNMENTS for s in pipeline.scenarios(a)]


@pytest.fixture(scope="module", autouse=True)
def _no_cluster() -> Iterator[None]:
    """Live cells take their no-cluster path (auto: skip notice) even where a cluster is up; tests/kind runs them."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PODCOURSE_LIVE", "auto")
        mp.setenv("KUBECONFIG", os.devnull)
        yield


@dataclass
class Graded:
    course: Path
    assignment: str
    points: dict[str, dict[str, float]]  # notebook -> grade_id -> points
    scores: dict[str, pipeline.StudentScores]
    feedback: dict[str, str]  # student -> text of all feedback pages (tags stripped, unescaped)
    hidden_code: list[str]  # lines of hidden test code in the solutions
    seconds_per_notebook: float


_CACHE: dict[str, Graded] = {}

# Cheats applied to every assignment's untouched release: each must still earn zero.
GENERIC_CHEATS = {
    "generic-cheat-graders": """
import importlib, pkgutil, graders
from graders.core import Exercise
for info in pkgutil.iter_modules(graders.__path__):
    if info.name.startswith("ch"):
        module = importlib.import_module("graders." + info.name)
        for key, value in list(vars(module).items()):
            if isinstance(value, Exercise):
                setattr(module, key, lambda *args, **kwargs: 100)
Exercise.__call__ = lambda self, *args, **kwargs: 100
""",
    "generic-cheat-transformer": """
get_ipython().input_transformers_cleanup.append(lambda lines: ["100\\n"])
""",
}


def _text(page: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))


def _hidden_lines(nb_path: Path) -> list[str]:
    lines: list[str] = []
    for cell in nbformat.read(nb_path, as_version=4).cells:
        inside = False
        for line in cell.source.splitlines():
            if "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "END HIDDEN TESTS" in line:
                inside = False
            elif inside and line.strip():
                lines.append(line.strip())
    return lines


def graded(assignment: str, tmp_path_factory: pytest.TempPathFactory) -> Graded:
    if assignment in _CACHE:
        return _CACHE[assignment]
    course = pipeline.temp_course(tmp_path_factory.mktemp(f"course-{assignment}"))
    release = pipeline.generate(course, assignment)
    sol_dir = course / "solutions" / assignment
    pairs = {nb.stem: (release / nb.name, nb) for nb in pipeline.notebooks_of(sol_dir)}
    points = {name: pipeline.grade_cells(nbformat.read(sol, as_version=4)) for name, (_, sol) in pairs.items()}

    def submit(student: str, base: str, patches: dict[str, str], only: str | None = None,
               files: dict[str, str] | None = None) -> None:
        nbs = {}
        for name, (rel, sol) in pairs.items():
            mine = patches if (only in (None, name)) else {}
            nbs[name] = pipeline.build_submission(rel, sol, base=base, patches=mine)
        pipeline.submit(course, student, assignment, nbs, files=files)

    submit("reference", "solution", {})
    submit("untouched", "release", {})
    for s in pipeline.scenarios(assignment):
        submit(s.name, s.base, s.patches, s.notebook, s.files)
    for student, code in GENERIC_CHEATS.items():
        nbs = {}
        for name, (rel, sol) in pairs.items():
            first = next(iter(pipeline.answer_cells(nbformat.read(rel, as_version=4))))
            nbs[name] = pipeline.build_submission(rel, sol, base="release", patches={f"before:{first}": code})
        pipeline.submit(course, student, assignment, nbs)
    start = time.perf_counter()
    pipeline.autograde(course, assignment)
    elapsed = time.perf_counter() - start
    n_notebooks = (2 + len(GENERIC_CHEATS) + len(pipeline.scenarios(assignment))) * len(pairs)
    fb_root = pipeline.feedback(course, assignment)
    feedback = {
        student.name: "\n".join(_text(p) for p in sorted((student / assignment).glob("*.html")))
        for student in fb_root.iterdir()
    }
    result = Graded(
        course=course,
        assignment=assignment,
        points=points,
        scores=pipeline.scores(course, assignment),
        feedback=feedback,
        hidden_code=[line for _, sol in pairs.values() for line in _hidden_lines(sol)],
        seconds_per_notebook=elapsed / n_notebooks,
    )
    _CACHE[assignment] = result
    return result


def _cells(g: Graded, student: str) -> dict[str, float | None]:
    return {gid: c.score for gid, c in g.scores[student].cells.items()}


@pytest.mark.parametrize("nb_path", SOLUTION_NOTEBOOKS, ids=lambda p: p.stem)
def test_solution_notebook_executes_cleanly(nb_path: Path, tmp_path: Path) -> None:
    """Does every solution notebook run top to bottom with no error and nothing on stderr?"""
    # Run in a copy: editors save answer files beside the notebook, and solutions/ must stay clean.
    work = tmp_path / nb_path.parent.name
    shutil.copytree(nb_path.parent, work, ignore=shutil.ignore_patterns(pipeline.ANSWER_FILES, ".ipynb_checkpoints"))
    nb = nbformat.read(work / nb_path.name, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(work)}}).execute()
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            assert out.output_type != "error", f"cell {i}: {out.get('ename')}: {out.get('evalue')}"
            assert not (out.output_type == "stream" and out.name == "stderr"), f"cell {i} wrote: {out.text}"


def test_no_editor_answer_files_in_solutions() -> None:
    """Is solutions/ free of Pod-editor answer files, which would be released and overwrite students' answers?"""
    assert pipeline.stray_answer_files() == []


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_hides_solutions_and_hidden_tests(assignment: str) -> None:
    """Does the committed release contain no solution and no hidden test code?"""
    for nb_path in pipeline.notebooks_of(pipeline.ROOT / "notebooks" / assignment):
        text = nb_path.read_text()
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
        sol = pipeline.ROOT / "solutions" / assignment / nb_path.name
        for line in _hidden_lines(sol):
            assert line not in text, f"hidden test line leaked into the release: {line}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_answers_get_full_marks(assignment: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Does autograding the reference answers give every test cell its full points?"""
    g = graded(assignment, tmp_path_factory)
    want = {gid: pts for cells in g.points.values() for gid, pts in cells.items()}
    assert want, "an assignment needs at least one autograded test cell"
    assert _cells(g, "reference") == want


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_release_gets_zero(assignment: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Does handing in the release untouched earn zero in every test cell?"""
    g = graded(assignment, tmp_path_factory)
    assert set(_cells(g, "untouched").values()) == {0.0}


@pytest.mark.parametrize(("assignment", "scenario"), SCENARIOS, ids=[f"{a}-{s.name}" for a, s in SCENARIOS])
def test_scenario_earns_expected_points(
    assignment: str, scenario: pipeline.Scenario, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Does each realistic (or cheating) submission earn exactly its expected points and feedback?"""
    g = graded(assignment, tmp_path_factory)
    expected: dict[str, float] = {}
    for name, cells in g.points.items():
        if scenario.notebook in (None, name):
            expected.update(scenario.expected(cells))
        else:
            expected.update(cells)
    assert _cells(g, scenario.name) == expected
    for text in scenario.feedback:
        assert text in g.feedback[scenario.name], f"feedback lacks {text!r}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_feedback_never_shows_hidden_tests(assignment: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Does no student's feedback page contain hidden test code or a raw traceback?"""
    g = graded(assignment, tmp_path_factory)
    assert g.feedback, "no feedback was generated"
    for student, text in g.feedback.items():
        assert "HIDDEN TESTS" not in text, student
        for line in g.hidden_code:
            assert line not in text, f"{student}: hidden line {line!r} shown"
        assert "Traceback (most recent call last)" not in text, student




@pytest.mark.parametrize("assignment", ASSIGNMENTS)
@pytest.mark.parametrize("student", sorted(GENERIC_CHEATS))
def test_generic_cheats_earn_nothing(assignment: str, student: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Does an empty submission that redefines the graders or rewrites test cells still earn zero?"""
    g = graded(assignment, tmp_path_factory)
    assert set(_cells(g, student).values()) == {0.0}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_validate_button_passes_reference_and_fails_untouched(
    assignment: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Does nbgrader's Validate (the learner's button) pass the reference answers and fail the untouched release?"""
    g = graded(assignment, tmp_path_factory)
    release = g.course / "notebooks" / assignment
    for sol in pipeline.notebooks_of(g.course / "solutions" / assignment):
        for base, verdict in (("solution", "Success! Your notebook passes all the tests."),
                              ("release", "VALIDATION FAILED")):
            folder = g.course / "validate" / base
            folder.mkdir(parents=True, exist_ok=True)
            nb = pipeline.build_submission(release / sol.name, sol, base=base)
            nbformat.write(nb, folder / sol.name)
            out = pipeline.nbgrader("validate", str(folder / sol.name), course=g.course)
            assert verdict in out, f"{base}: {out[-2000:]}"
