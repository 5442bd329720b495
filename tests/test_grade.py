"""`pod-course grade`: a class graded in parallel ends where serial `nbgrader autograde` ends.

One small class of one chapter (honest students from the demo class plus every kind of broken
hand-in in `tools/sample_class.BROKEN`) is built once in a throw-away course; a pristine copy
of it is graded serially with the real `nbgrader autograde`, another with `grade`, and the
gradebooks and autograded notebooks are compared cell by cell. Live cells are graded with
`--live off` (no cluster here), so they score 0 as "not graded" in both.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest

from course.grading import grade as g
from course.grading import gradebook as gbk
from graders import pipeline

sys.path.insert(0, str(pipeline.ROOT / "tools"))
import sample_class

pytestmark = pytest.mark.slow

# A chapter with a live cell, and another chapter for wrong-notebook hand-ins.
CHAPTER, OTHER = os.environ.get("POD_COURSE_GRADE_TEST_CHAPTERS", "ch6,ch9").split(",")
HONEST = 4
# Broken hand-in -> words the summary must use for it (the endless loop has its own test).
BROKEN_REASONS = {
    "invalid-json": "is not a valid notebook file",
    "kernel-death": "kernel died",
    "no-notebook": f"no notebook of {CHAPTER} was handed in",
    "other-chapter": f"is a notebook of {OTHER} handed in under {CHAPTER}'s name",
    "other-chapter-name": f"(a notebook of {OTHER})",
}
LIVE_ENV = {"PODCOURSE_LIVE": "off", "PODCOURSE_LIVE_SKIPPED": "zero", "KUBECONFIG": os.devnull}


@dataclass
class Klass:
    pristine: Path  # the class handed in, never graded: copy it before grading
    honest: list[str]
    broken: list[str]

    def copy(self, dest: Path) -> Path:
        shutil.copytree(self.pristine, dest, symlinks=True)
        return dest


@pytest.fixture(scope="module", autouse=True)
def _no_cluster() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        for k, v in LIVE_ENV.items():
            mp.setenv(k, v)
        yield


@pytest.fixture(scope="module")
def klass(tmp_path_factory: pytest.TempPathFactory) -> Klass:
    course = sample_class.make_course(tmp_path_factory.mktemp("class") / "course", CHAPTER, OTHER)
    honest = sample_class.hand_in(course, CHAPTER, HONEST)
    for kind in BROKEN_REASONS:
        sample_class.broken(course, CHAPTER, kind, kind, other=OTHER)
    return Klass(course, honest, list(BROKEN_REASONS))


def _serial(course: Path) -> subprocess.CompletedProcess[str]:
    env = g.worker_env(LIVE_ENV)
    return subprocess.run([sys.executable, "-m", "nbgrader", "autograde", CHAPTER, "--force"], cwd=course, env=env,
                          capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def serial(klass: Klass, tmp_path_factory: pytest.TempPathFactory) -> Path:
    course = klass.copy(tmp_path_factory.mktemp("serial") / "course")
    _serial(course)  # exits 1: nbgrader reports the broken submissions as errors
    return course


@dataclass
class Parallel:
    course: Path
    summary: g.Summary
    output: str


@pytest.fixture(scope="module")
def parallel(klass: Klass, tmp_path_factory: pytest.TempPathFactory) -> Parallel:
    course = klass.copy(tmp_path_factory.mktemp("parallel") / "course")
    out = io.StringIO()
    summary = g.grade(CHAPTER, course_root=course, jobs=2, live="off", timeout=300, out=out)
    return Parallel(course, summary, out.getvalue())


def _db(course: Path) -> str:
    return gbk.sqlite_url(course / ".nbgrader" / "gradebook.db")


def _dump(course: Path) -> dict[str, Any]:
    return gbk.dump(_db(course), "pod-course", CHAPTER)


def _outputs(path: Path) -> list[Any]:
    """Each cell's source and outputs, with stdout chunks joined (how a kernel splits a stream is timing)."""
    cells = []
    for cell in nbformat.read(path, as_version=4).cells:
        outs: list[dict[str, Any]] = []
        for o in cell.get("outputs", []):
            o = {k: v for k, v in o.items() if k != "execution_count"}
            if outs and o.get("output_type") == "stream" and outs[-1].get("output_type") == "stream" \
                    and outs[-1].get("name") == o.get("name"):
                outs[-1] = {**outs[-1], "text": outs[-1]["text"] + o["text"]}
            else:
                outs.append(o)
        cells.append((cell.cell_type, cell.source, outs))
    return cells


def _outcome(summary: g.Summary, student: str) -> g.Outcome:
    return next(o for o in summary.outcomes if o.student == student)


# ---------------------------------------------------------------------------


def test_parallel_gradebook_equals_serial_cell_by_cell(klass: Klass, serial: Path, parallel: Parallel) -> None:
    """Does parallel grading leave every honest student's grades, comments and penalties as serial autograde does?"""
    want, got = _dump(serial), _dump(parallel.course)
    for student in klass.honest:
        assert got[student] == want[student], student
        for cells in got[student]["notebooks"].values():
            assert all(c["auto"] is not None for c in cells["grades"].values()), student


def test_parallel_autograded_notebooks_equal_serial(klass: Klass, serial: Path, parallel: Parallel) -> None:
    """Are the autograded notebooks (sources and outputs of every cell) the ones serial autograde writes?"""
    for student in klass.honest:
        ours = sorted((parallel.course / ".nbgrader" / "autograded" / student / CHAPTER).glob("*.ipynb"))
        theirs = sorted((serial / ".nbgrader" / "autograded" / student / CHAPTER).glob("*.ipynb"))
        assert [p.name for p in ours] == [p.name for p in theirs] != []
        for a, b in zip(ours, theirs, strict=True):
            assert _outputs(a) == _outputs(b), f"{student}/{a.name}"


@pytest.mark.parametrize(("student", "words"), sorted(BROKEN_REASONS.items()))
def test_broken_submission_is_named_and_scores_zero(student: str, words: str, klass: Klass, serial: Path,
                                                     parallel: Parallel) -> None:
    """Is each broken hand-in reported with its reason, scored 0 in every cell, without stopping the others?"""
    o = _outcome(parallel.summary, student)
    assert o.status == "failed" and words in o.reason, o.reason
    assert o.score == 0 and o.max_score > 0
    cells = _dump(parallel.course)[student]["notebooks"]
    assert {c["auto"] for nb in cells.values() for c in nb["grades"].values()} == {0.0}
    assert not (parallel.course / ".nbgrader" / "autograded" / student / CHAPTER).exists()
    assert Path(o.log).is_file()
    # Serial nbgrader never gave it points either.
    theirs = _dump(serial).get(student, {"notebooks": {}})["notebooks"]
    assert not any(c["auto"] for nb in theirs.values() for c in nb["grades"].values())
    assert all(_outcome(parallel.summary, s).status == "graded" for s in klass.honest)


def test_live_off_marks_live_cells_not_graded(klass: Klass, parallel: Parallel) -> None:
    """With --live off, does every live cell score 0 and show as "not graded", and the summary say so?"""
    live = g.live_cell_ids()
    ref = _outcome(parallel.summary, klass.honest[0])  # the reference answers
    ours = [gid for gid in ref.cells if gid in live]
    assert ours, f"{CHAPTER} has no live cell"
    assert ref.not_graded == ours and not ref.cells_failed
    assert all(ref.cells[gid][0] == 0 for gid in ours)
    assert ref.score == ref.max_score - sum(ref.cells[gid][1] or 0 for gid in ours)
    (nb_path,) = (parallel.course / ".nbgrader" / "autograded" / ref.student / CHAPTER).glob("*.ipynb")
    shown = [o.get("text", "") for c in nbformat.read(nb_path, as_version=4).cells
             if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") in ours for o in c.get("outputs", [])]
    assert any("not graded" in t and "SKIP" in t for t in shown), shown
    table = g.format_table(parallel.summary)
    assert "live not graded" in table and "FAILED: " in table
    data = json.loads(parallel.summary.path.read_text()) if parallel.summary.path else {}
    assert data["live"] == "off" and data["counts"] == {"graded": HONEST, "failed": len(BROKEN_REASONS),
                                                         "unchanged": 0}
    assert {row["student"] for row in data["students"]} == set(klass.honest) | set(klass.broken)


def test_progress_prints_one_line_per_submission_when_not_a_terminal(klass: Klass, parallel: Parallel) -> None:
    """Without a terminal, is there one progress line per finished submission, with done/failed/running counts?"""
    lines = [ln for ln in parallel.output.splitlines() if ln.startswith("[")]
    total = HONEST + len(BROKEN_REASONS)
    assert len(lines) == total and "\r" not in parallel.output
    assert lines[-1].startswith(f"[{total}/{total}]") and "failed" in lines[-1] and "running" in lines[-1]


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_updates_one_line_on_a_terminal() -> None:
    """On a terminal, is progress one line rewritten with \\r, with the time left once something finished?"""
    out = _Tty()
    bar = g.Progress("chX", 3, out)
    bar.tick(2)
    bar.finished(g.Outcome("a", "graded", 1, 2, seconds=1.0), 2)
    bar.finished(g.Outcome("b", "failed", reason="x"), 1)
    bar.close()
    text = out.getvalue()
    assert text.count("\r") >= 3 and text.endswith("\n") and text.count("\n") == 1
    assert "2/3 done, 1 failed, 1 running, about" in text and "left" in text


def test_endless_loop_is_stopped_and_leaves_no_kernel(parallel: Parallel) -> None:
    """Is a submission that never finishes stopped at --timeout, scored 0, with its kernel gone?"""
    sample_class.broken(parallel.course, CHAPTER, "endless-loop", "endless-loop")
    summary = g.grade(CHAPTER, course_root=parallel.course, jobs=1, students=["endless-loop"], live="off",
                      timeout=8, progress=False)
    (o,) = summary.outcomes
    assert o.status == "failed" and "stopped after 8s" in o.reason and o.score == 0
    scratch = str(parallel.course / ".nbgrader" / "grading")
    deadline = time.monotonic() + 10
    while _kernels_below(scratch) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _kernels_below(scratch) == []


def _kernels_below(folder: str) -> list[int]:
    """Processes (kernels) whose working directory was inside `folder`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cwd = os.readlink(entry / "cwd")
            except OSError:
                continue
            if cwd.startswith(folder):
                found.append(int(entry.name))
    return found


def test_rerun_grades_only_what_changed(klass: Klass, parallel: Parallel) -> None:
    """Does a second run skip unchanged submissions, re-grade a changed one, and --force re-grade them all?"""
    honest = klass.honest
    again = g.grade(CHAPTER, course_root=parallel.course, jobs=2, students=honest, live="off", progress=False)
    assert {o.student: o.status for o in again.outcomes} == dict.fromkeys(honest, "unchanged")
    assert [o.score for o in again.outcomes] == [_outcome(parallel.summary, s).score for s in honest]
    before = _dump(parallel.course)
    sample_class.honest(parallel.course, CHAPTER, honest[1], "reference")
    changed = g.grade(CHAPTER, course_root=parallel.course, jobs=2, students=honest, live="off", progress=False)
    status = {o.student: o.status for o in changed.outcomes}
    assert status == {**dict.fromkeys(honest, "unchanged"), honest[1]: "graded"}
    assert _outcome(changed, honest[1]).score == _outcome(parallel.summary, honest[0]).score
    assert _dump(parallel.course)[honest[0]] == before[honest[0]]
    forced = g.grade(CHAPTER, course_root=parallel.course, jobs=2, students=honest[:2], live="off", force=True,
                     progress=False)
    assert [o.status for o in forced.outcomes] == ["graded", "graded"]


def test_overlapping_runs_leave_one_consistent_gradebook(klass: Klass, serial: Path, tmp_path: Path) -> None:
    """Do two `pod-course grade` runs at once on one course finish cleanly, with one correct grade per cell?"""
    course = klass.copy(tmp_path / "course")
    students = [a for s in klass.honest[:3] for a in ("--student", s)]
    cmd = [str(Path(sys.executable).parent / "pod-course"), "grade", CHAPTER, "--live", "off", "--force",
           "--jobs", "2", *students]
    env = g.worker_env(LIVE_ENV)
    runs = [subprocess.Popen([*cmd, *extra], cwd=course, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for extra in ([], ["--quiet"])]
    outs = [r.communicate(timeout=300) for r in runs]
    for r, (stdout, stderr) in zip(runs, outs, strict=True):
        assert r.returncode == 0, stdout + stderr
        assert "database is locked" not in stdout + stderr
    assert outs[1][0].startswith("student "), "--quiet prints only the table"
    want, got = _dump(serial), _dump(course)  # dump raises on a doubled submission
    assert sorted(got) == sorted(klass.honest[:3])
    for s in klass.honest[:3]:
        assert got[s] == want[s], s


def test_grade_refuses_to_start_without_a_cluster_unless_live_off(klass: Klass, capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a reachable cluster, does grade refuse to start (exit 2) and say how to grade with --live off?"""
    monkeypatch.setenv("KUBECONFIG", os.devnull)
    for live in ("auto", "required"):
        assert g.main(CHAPTER, course_root=klass.pristine, live=live) == 2
        err = capsys.readouterr().err
        assert "no course cluster is reachable" in err and "--live off" in err
    assert not (klass.pristine / ".nbgrader" / "grading" / CHAPTER).exists()


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"assignment": "ch99"}, "ch99 is neither in the gradebook"),
    ({"students": ["nobody"]}, f"no submission of {CHAPTER} from nobody"),
    ({"jobs": 0}, "--jobs must be at least 1"),
])
def test_grade_says_why_it_cannot_start(kwargs: dict[str, Any], words: str, klass: Klass,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Does a bad assignment, student or job count stop grade with exit 2 and a plain reason?"""
    args = {"assignment": CHAPTER, "course_root": klass.pristine, "live": "off", **kwargs}
    assert g.main(args.pop("assignment"), **args) == 2
    assert words in capsys.readouterr().err


def test_grade_registers_an_assignment_the_gradebook_lacks(klass: Klass, tmp_path: Path) -> None:
    """With a gradebook that lacks the assignment, does grade register it itself and leave notebooks/ untouched?"""
    course = klass.copy(tmp_path / "course")
    (course / ".nbgrader" / "gradebook.db").unlink()
    release = {p: p.read_bytes() for p in (course / "notebooks").rglob("*") if p.is_file()}
    summary = g.grade(CHAPTER, course_root=course, students=[klass.honest[0]], live="off", progress=False,
                      out=io.StringIO())
    assert [o.status for o in summary.outcomes] == ["graded"]
    assert summary.outcomes[0].max_score > 0
    assert {p: p.read_bytes() for p in (course / "notebooks").rglob("*") if p.is_file()} == release


@pytest.mark.parametrize(("cores", "jobs"), [(1, 2), (2, 3), (4, 6), (8, 12)])
def test_default_jobs_keep_every_core_busy(cores: int, jobs: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Does grade run half again as many submissions as cores by default (a worker waits on its kernel a third of
    the time)?"""
    monkeypatch.setattr(g, "cores", lambda: cores)
    assert g.default_jobs() == jobs


def test_precompile_leaves_bytecode_for_every_course_module() -> None:
    """After grade's precompile, does every module of course/ and graders/ have current bytecode a read-only
    kernel can load instead of compiling it again?"""
    import importlib.util

    g.precompile()
    stale = []
    for pkg in ("course", "graders"):
        for src in (pipeline.ROOT / pkg).rglob("*.py"):
            pyc = Path(importlib.util.cache_from_source(str(src)))
            if not pyc.is_file() or pyc.stat().st_mtime < src.stat().st_mtime:
                stale.append(str(src.relative_to(pipeline.ROOT)))
    assert stale == []
