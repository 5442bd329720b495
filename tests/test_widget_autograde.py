"""Learners answer the editor exercises (ch1, ch7, ch8, ch9, ch12) in the Pod editor; nbgrader grades exactly that.

The editor cell of each released notebook is run in the learner's folder (so
`editor_for_answer` builds a real `PodEditor`), fields are set as a learner
would set them (the Pod in ch1, probes in ch7, resources in ch8, the
securityContext in ch9), the answer is saved, the folder goes through
nbgrader's own release / submit / collect exchange, and `nbgrader autograde`
must grade the saved YAML (byte for byte) with the points the exercise gives it.
"""

from __future__ import annotations

import getpass
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest

from course.answers import answer_path
from course.widgets import PodEditor
from course.widgets.editors import CONTAINER_SECTIONS
from graders import pipeline

pytestmark = pytest.mark.slow

Edit = Callable[[PodEditor], None]


@dataclass(frozen=True)
class EditorExercise:
    """One exercise answered in the Pod editor, and what each kind of learner does in it."""

    assignment: str
    prefix: str  # grade ids: <prefix>-editor, <prefix>-answer, <prefix>-test
    answer: str  # the answer file's name, without .answer.yaml
    editor_var: str  # the variable the editor cell leaves the editor in
    focus: str | None  # the container section the editor opens on
    learners: dict[str, tuple[Edit, float]]  # learner -> (what they do in the editor, points awarded)

    def cell(self, kind: str) -> str:
        return f"{self.prefix}-{kind}"


def _untouched(ed: PodEditor) -> None:
    """Ran the editor cell and pressed Save without changing anything."""


# -- ch1: a first Pod --------------------------------------------------------------------------
def _ch1_complete(ed: PodEditor) -> None:
    ed.name.value = "hello"
    ed.labels.value = "app=hello"
    c = ed.containers.items[0]
    c.name.value = "web"
    c.image.value = "nginx:1.22"
    c.ports.add().port.value = "80"


def _ch1_forgot_tag_and_port(ed: PodEditor) -> None:
    ed.name.value = "hello"
    ed.labels.value = "app=hello"
    ed.containers.items[0].name.value = "web"


# -- ch7: readiness and liveness probes (ProbeEditor) ------------------------------------------
def _ch7_probes(ed: PodEditor, port: str) -> None:
    ed.name.value = "shop-web"
    c = ed.containers.items[0]
    c.ports.items[0].name.value = "http"
    for kind, path, period, failures in (("readiness", "/ready", "2", "2"), ("liveness", "/healthz", "3", "3")):
        probe = c.probes[kind]
        probe.enabled.value = True
        probe.type.value = "httpGet"
        probe.path.value, probe.port.value = path, port
        probe.timings["periodSeconds"].value = period
        probe.timings["failureThreshold"].value = failures


def _ch7_complete(ed: PodEditor) -> None:
    _ch7_probes(ed, "http")


def _ch7_ports_by_number(ed: PodEditor) -> None:
    _ch7_probes(ed, "8080")


# -- ch8: a Guaranteed payments Pod (ResourcesEditor) ------------------------------------------
def _ch8_app_and_migrate(ed: PodEditor) -> None:
    ed.name.value = "payments"
    ed.containers.items[0].resources.req_cpu.number.value = "500"  # the starter's unit is m: 500m
    migrate = ed.init_containers.items[0].resources
    migrate.lim_cpu.unit.value = "m"
    migrate.lim_cpu.number.value = "100"
    migrate.lim_mem.number.value = "32"  # Mi, the dropdown's first unit


def _ch8_complete(ed: PodEditor) -> None:
    _ch8_app_and_migrate(ed)
    proxy = ed.init_containers.items[1].resources
    proxy.lim_cpu.unit.value = "m"
    proxy.lim_cpu.number.value = "50"
    proxy.lim_mem.number.value = "32"


# -- ch9: port 80 without root (SecurityContextEditor) -----------------------------------------
def _ch9_no_seccomp(ed: PodEditor) -> None:
    ed.name.value = "edge"
    sc = ed.containers.items[0].security
    sc.run_as_non_root.value = True
    sc.run_as_user.value = "101"
    sc.allow_escalation.value = False
    sc.cap_drop.value = "ALL"
    sc.cap_add.value = "NET_BIND_SERVICE"


def _ch9_complete(ed: PodEditor) -> None:
    _ch9_no_seccomp(ed)
    ed.containers.items[0].security.seccomp.value = "RuntimeDefault"


# -- ch12: the capstone, pasted into the editor's load-from-YAML box ------------------------------
def _ch12_loaded_from_yaml(ed: PodEditor) -> None:
    from test_graders_ch12 import STOREFRONT

    ed.yaml_input.value = STOREFRONT
    ed.load_button.click()


EXERCISES = {
    "ch1": EditorExercise("ch1", "ch1-first-pod", "first-pod", "first_pod_editor", None, {
        "complete": (_ch1_complete, 6.0),
        "forgot-tag-and-port": (_ch1_forgot_tag_and_port, 4.0),
        "starter-only": (_untouched, 0.0),
    }),
    "ch7": EditorExercise("ch7", "ch7-web-probes", "ch7-web-probes", "web_probes_editor", "probes", {
        "complete": (_ch7_complete, 7.0),
        "ports-by-number": (_ch7_ports_by_number, 6.0),
        "starter-only": (_untouched, 0.0),
    }),
    "ch8": EditorExercise("ch8", "ch8-guaranteed", "ch8-guaranteed-pod", "guaranteed_editor", "resources", {
        "complete": (_ch8_complete, 6.0),
        "sidecar-keeps-requests-only": (_ch8_app_and_migrate, 4.0),
        "starter-only": (_untouched, 0.0),
    }),
    "ch9": EditorExercise("ch9", "ch9-port80", "ch9-port80-pod", "port80_editor", "securityContext", {
        "complete": (_ch9_complete, 5.0),
        "forgot-seccomp": (_ch9_no_seccomp, 4.0),
        "starter-only": (_untouched, 0.0),
    }),
    "ch12": EditorExercise("ch12", "ch12-storefront", "ch12-storefront", "storefront_editor", None, {
        "complete": (_ch12_loaded_from_yaml, 26.0),
        "starter-only": (_untouched, 0.0),
    }),
}
CASES = [(a, learner) for a, ex in EXERCISES.items() for learner in ex.learners]
_GRADED: dict[str, dict[str, Any]] = {}


@pytest.fixture(scope="module", autouse=True)
def _no_cluster() -> Iterator[None]:
    """Live cells take their no-cluster path even where a cluster is up, and a skipped one scores 0,

    so that every cell but the exercise's own test cell must score 0 for these learners.
    """
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PODCOURSE_LIVE", "auto")
        mp.setenv("PODCOURSE_LIVE_SKIPPED", "zero")
        mp.setenv("KUBECONFIG", os.devnull)
        yield


def _cell(nb: Any, cell_id: str) -> Any:
    for c in nb.cells:
        if c.get("id") == cell_id or c.metadata.get("nbgrader", {}).get("grade_id") == cell_id:
            return c
    raise KeyError(cell_id)


def _stdout(cell: Any) -> str:
    return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")


def _grade(ex: EditorExercise, base: Path) -> dict[str, Any]:
    """Every learner edits, saves and submits; the instructor collects and autogrades once."""
    assignment = ex.assignment
    course = pipeline.temp_course(base / "course")
    release = pipeline.generate(course, assignment)
    release_nb = pipeline.notebooks_of(release)[0]
    editor_source = _cell(nbformat.read(release_nb, as_version=4), ex.cell("editor")).source
    saved: dict[str, str] = {}
    before = Path.cwd()
    old_env = os.environ.pop("NBGRADER_EXECUTION", None)
    try:
        for learner, (edit, _) in ex.learners.items():
            folder = base / "learners" / learner / assignment
            shutil.copytree(release, folder)
            os.chdir(folder)
            scope: dict[str, Any] = {}
            exec(compile(editor_source, "editor-cell", "exec"), scope)  # the learner runs the editor cell
            ed = scope[ex.editor_var]
            assert isinstance(ed, PodEditor) and ed.answer == ex.answer
            if ex.focus is not None:
                opened = {c.sections.selected_index for c in [*ed.containers.items, *ed.init_containers.items]}
                assert opened == {CONTAINER_SECTIONS.index(ex.focus)}, f"the editor does not open on {ex.focus}"
            edit(ed)
            assert not any("editor hit a problem" in str(o) for o in ed.panel.errors.outputs)
            assert ed.save() == answer_path(ex.answer, folder)
            saved[learner] = ed.yaml
    finally:
        os.chdir(before)
        if old_env is not None:
            os.environ["NBGRADER_EXECUTION"] = old_env
    # The real exchange: release, each learner submits their folder, the instructor collects.
    exchange = ["--Exchange.root=" + str(course / ".nbgrader" / "exchange"), "--CourseDirectory.course_id=pod-course"]
    pipeline.nbgrader("release_assignment", assignment, "--force", course=course)
    user = getpass.getuser()
    for learner in ex.learners:
        pipeline.nbgrader("submit", assignment, *exchange, course=base / "learners" / learner)
        pipeline.nbgrader("collect", assignment, "--update", course=course)
        # collect files every submission under the OS user; keep each learner's apart.
        got = course / ".nbgrader" / "submitted" / user / assignment
        assert (got / f"{ex.answer}.answer.yaml").is_file(), "the answer file was not collected"
        shutil.move(str(got.parent), str(course / ".nbgrader" / "submitted" / learner))
    pipeline.autograde(course, assignment)
    return {"course": course, "saved": saved, "nb": release_nb.name, "scores": pipeline.scores(course, assignment)}


def graded(assignment: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if assignment not in _GRADED:
        _GRADED[assignment] = _grade(EXERCISES[assignment], tmp_path_factory.mktemp(f"widget-autograde-{assignment}"))
    return _GRADED[assignment]


@pytest.mark.parametrize(("assignment", "learner"), CASES, ids=[f"{a}-{learner}" for a, learner in CASES])
def test_autograde_grades_the_yaml_the_editor_saved(assignment: str, learner: str,
                                                    tmp_path_factory: pytest.TempPathFactory) -> None:
    """Does autograde read back exactly the YAML the learner saved with the Pod editor, and score it?"""
    ex, got = EXERCISES[assignment], graded(assignment, tmp_path_factory)
    course: Path = got["course"]
    nb = nbformat.read(course / ".nbgrader" / "autograded" / learner / assignment / got["nb"], as_version=4)
    assert _stdout(_cell(nb, ex.cell("answer"))) == got["saved"][learner] + "\n"
    cells = got["scores"][learner].cells
    test_cell = ex.cell("test")
    assert cells[test_cell].score == ex.learners[learner][1]
    assert {gid: c.score for gid, c in cells.items() if gid != test_cell} == dict.fromkeys(
        [g for g in cells if g != test_cell], 0.0)


@pytest.mark.parametrize("assignment", sorted(EXERCISES))
def test_editor_builds_no_widgets_while_grading(assignment: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Under NBGRADER_EXECUTION does the editor cell show the saved answer's stand-in, with no widget?"""
    ex, got = EXERCISES[assignment], graded(assignment, tmp_path_factory)
    course: Path = got["course"]
    nb = nbformat.read(course / ".nbgrader" / "autograded" / "complete" / assignment / got["nb"], as_version=4)
    outputs = _cell(nb, ex.cell("editor")).outputs
    data = [o.get("data", {}) for o in outputs if o.output_type in ("execute_result", "display_data")]
    assert data, "the editor cell showed nothing"
    assert all("application/vnd.jupyter.widget-view+json" not in d for d in data)
    assert any("not shown while grading" in d.get("text/plain", "") for d in data)
