"""Grades out: `pod-course feedback`, `export` and `stats` on a small class graded once.

One chapter (ch6, which has a live cell) is handed in by a reference student, a student
making the mistakes of the submission table (copied in without timestamp.txt), an untouched
release whose notebook also prints about 100 KB, and a submission that cannot be graded; a
fifth student is in the gradebook with no submission at all. The class is graded once with
`grade(..., live="off")` in a throw-away course (ch1 is generated too, never graded), then
every test reads that course.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from course.cli import main as cli
from course.grading import export as ex
from course.grading import feedback as fb
from course.grading import grade as g
from course.grading import gradebook as gbk
from course.grading import stats as st
from graders import pipeline

sys.path.insert(0, str(pipeline.ROOT / "tools"))
import sample_class

pytestmark = pytest.mark.slow

CHAPTER, UNGRADED = "ch6", "ch1"
NOTEBOOK = "ch6-lifecycle-init-and-sidecars"
REFERENCE, MISTAKES, UNTOUCHED, BROKEN, ABSENT = "s001", "s002", "s003", "s004", "zoe"
NOISE_WORD = "noise-line-0123456789"
NOISE_CODE = f"print({NOISE_WORD!r} * 5000)  # ~110 KB from one short cell"
LIVE_ENV = {"PODCOURSE_LIVE": "off", "PODCOURSE_LIVE_SKIPPED": "zero", "KUBECONFIG": os.devnull}


@dataclass
class Graded:
    course: Path
    summary: g.Summary
    feedback_status: int
    feedback_out: str

    @property
    def db(self) -> str:
        return gbk.sqlite_url(self.course / ".nbgrader" / "gradebook.db")

    def submitted(self, student: str) -> Path:
        return self.course / ".nbgrader" / "submitted" / student / CHAPTER

    def autograded(self, student: str) -> Path:
        return self.course / ".nbgrader" / "autograded" / student / CHAPTER / f"{NOTEBOOK}.ipynb"

    def page(self, student: str) -> Path:
        return self.course / ".nbgrader" / "feedback" / student / CHAPTER / f"{NOTEBOOK}.html"


@pytest.fixture(scope="module", autouse=True)
def _no_cluster() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        for k, v in LIVE_ENV.items():
            mp.setenv(k, v)
        yield


def _add_noise(folder: Path) -> None:
    path = folder / f"{NOTEBOOK}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = nbformat.v4.new_code_cell(NOISE_CODE)
    cell.id = "learner-noise"
    nb.cells.insert(1, cell)
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Graded:
    from nbgrader.api import Gradebook

    course = sample_class.make_course(tmp_path_factory.mktemp("grades-out") / "course", CHAPTER, UNGRADED)
    sample_class.honest(course, CHAPTER, REFERENCE, "reference")
    sample_class.honest(course, CHAPTER, MISTAKES, 0)
    (course / ".nbgrader" / "submitted" / MISTAKES / CHAPTER / "timestamp.txt").unlink()  # copied in by hand
    sample_class.honest(course, CHAPTER, UNTOUCHED, "untouched")
    _add_noise(course / ".nbgrader" / "submitted" / UNTOUCHED / CHAPTER)
    sample_class.broken(course, CHAPTER, BROKEN, "invalid-json")
    summary = g.grade(CHAPTER, course_root=course, jobs=2, live="off", timeout=300, out=io.StringIO())
    with Gradebook(gbk.sqlite_url(course / ".nbgrader" / "gradebook.db"), course_id="pod-course") as gb:
        gb.update_or_create_student(REFERENCE, first_name="Ada", last_name="Lovelace", email="ada@example.org",
                                    lms_user_id="1001")
        gb.add_student(ABSENT, first_name="Zoe", last_name="Absent", email="zoe@example.org")
    stale = course / ".nbgrader" / "feedback" / BROKEN / CHAPTER / f"{NOTEBOOK}.html"
    stale.parent.mkdir(parents=True)
    stale.write_text("<p>an earlier grade</p>", encoding="utf-8")
    out = io.StringIO()
    old = sys.stdout
    sys.stdout = out
    try:
        status = cli(["feedback", CHAPTER, "--course", str(course)])
    finally:
        sys.stdout = old
    return Graded(course, summary, status, out.getvalue())


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = False

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.skip = tag in ("style", "script")

    def handle_endtag(self, tag: str) -> None:
        self.skip = False

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def _text(html_text: str) -> str:
    parser = _Text()
    parser.feed(html_text)
    return " ".join("".join(parser.parts).split())


def _squash(text: str) -> str:
    return " ".join(text.split())


def _between(begin: str, end: str) -> list[str]:
    """The text between two markers in every cell of the chapter's source notebooks."""
    found = []
    for path in pipeline.notebooks_of(pipeline.ROOT / "solutions" / CHAPTER):
        for cell in nbformat.read(path, as_version=4).cells:
            found += re.findall(rf"{re.escape(begin)}[^\n]*\n(.*?){re.escape(end)}", cell.source, re.S)
    return found


def _reports(path: Path) -> dict[str, str]:
    """grade_id -> the report a test cell printed in an autograded notebook."""
    out = {}
    for cell in nbformat.read(path, as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and cell.cell_type == "code":
            out[meta["grade_id"]] = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
    return out


def _cells(graded: Graded, student: str) -> dict[str, gbk.CellGrade]:
    return gbk.student_grades(graded.db, "pod-course", CHAPTER, student)


def _read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _max(assignment: str) -> float:
    return sum(sum(pipeline.grade_cells(nbformat.read(p, as_version=4)).values())
               for p in pipeline.notebooks_of(pipeline.ROOT / "solutions" / assignment))


def _total(graded: Graded, student: str) -> str:
    return ex.number(sum(c.score or 0.0 for c in _cells(graded, student).values()))


# ---------------------------------------------------------------------------
# feedback
# ---------------------------------------------------------------------------


def test_feedback_written_for_every_graded_submission_and_refused_for_the_broken_one(graded: Graded) -> None:
    """Does feedback write a page per autograded student, also without timestamp.txt, and drop the broken one's?"""
    assert not (graded.submitted(MISTAKES) / "timestamp.txt").exists()
    for student in (REFERENCE, MISTAKES, UNTOUCHED):
        assert graded.page(student).is_file(), graded.feedback_out
    assert not graded.page(BROKEN).exists()  # its page from an earlier grade is gone too
    assert graded.feedback_status == 1
    line = next(ln for ln in graded.feedback_out.splitlines() if ln.startswith(BROKEN))
    assert "not autograded" in line
    assert "feedback for 3 of 4 student(s)" in graded.feedback_out


def test_feedback_shows_every_check_title_points_and_message(graded: Graded) -> None:
    """Does each page carry every test cell's score and its whole report: title, each check's points and messages?"""
    for student in (REFERENCE, MISTAKES, UNTOUCHED):
        page = _text(graded.page(student).read_text(encoding="utf-8"))
        cells = _cells(graded, student)
        for gid, report in _reports(graded.autograded(student)).items():
            assert report.strip(), (student, gid)
            assert _squash(report) in page, (student, gid)
            got = cells[gid]
            assert f"Score: {round(float(got.score or 0), 2)} / {round(got.max_score, 2)}" in page, (student, gid)
    mistakes = _text(graded.page(MISTAKES).read_text(encoding="utf-8"))
    assert "[FAIL]" in mistakes and "[PASS]" in mistakes


def test_feedback_never_shows_hidden_tests_or_solutions_the_student_did_not_write(graded: Graded) -> None:
    """Is no hidden test line, and no solution block the student did not hand in, anywhere on a page?"""
    hidden = [_squash(line) for block in _between("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
              for line in block.splitlines() if line.strip()]
    solutions = [_squash(b) for b in _between("### BEGIN SOLUTION", "### END SOLUTION")]
    assert hidden and solutions
    for student in (REFERENCE, MISTAKES, UNTOUCHED):
        raw = graded.page(student).read_text(encoding="utf-8")
        page = _text(raw)
        handed_in = _squash(" ".join(c.source for c in nbformat.read(graded.submitted(student) / f"{NOTEBOOK}.ipynb",
                                                                      as_version=4).cells))
        for line in hidden:
            assert line not in page and line not in raw, (student, line)
        for block in solutions:
            if block not in handed_in:
                assert block not in page, (student, block[:60])
        assert "BEGIN HIDDEN TESTS" not in raw
    untouched = _text(graded.page(UNTOUCHED).read_text(encoding="utf-8"))
    assert not [b for b in solutions if b in untouched]


def test_feedback_caps_a_cells_output_with_a_note(graded: Graded) -> None:
    """Does a learner cell that prints ~110 KB reach the page cut to the cap, with a note, and grade reports whole?"""
    raw = graded.page(UNTOUCHED).read_text(encoding="utf-8")
    shown = raw.count(NOISE_WORD) - 1  # once in the cell's own (short) source
    assert 10 < shown <= fb.DEFAULT_CELL_BYTES // len(NOISE_WORD)
    assert "of this cell's output left out of the feedback; the cap is 8 KB per cell" in raw
    assert len(raw) < len(graded.page(REFERENCE).read_text(encoding="utf-8")) + 10_000
    row = next(ln for ln in graded.feedback_out.splitlines() if ln.startswith(UNTOUCHED))
    assert row.split()[2] == "1"  # one capped cell


def test_leak_guard_deletes_a_page_that_shows_a_hidden_test(graded: Graded, tmp_path: Path) -> None:
    """Does the guard find a hidden test line on a page, yet accept a solution the student wrote themselves?"""
    hidden, solutions = fb.secrets_of(pipeline.notebooks_of(graded.course / "solutions" / CHAPTER))
    page = fb.page_text(f"<pre>{hidden[0]}</pre><pre>{solutions[0]}</pre>")
    assert fb.leaks(page, "", hidden, solutions) == [hidden[0], solutions[0]]
    assert fb.leaks(page, solutions[0], hidden, solutions) == [hidden[0]]


# ---------------------------------------------------------------------------
# export
# ---------------------------------------------------------------------------


def _export(graded: Graded, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    old = sys.stdout
    sys.stdout = out
    try:
        status = cli(["export", *args, "--course", str(graded.course)])
    finally:
        sys.stdout = old
    return status, out.getvalue()


def test_export_csv_has_one_row_per_student_and_assignment(graded: Graded, tmp_path: Path) -> None:
    """Is the plain CSV `student,assignment,score,max` with a row per student, empty where nothing was handed in?"""
    target = tmp_path / "ch6.csv"
    status, said = _export(graded, CHAPTER, "--out", str(target))
    assert status == 0 and str(target) in said
    top = _max(CHAPTER)
    assert _read_csv(target) == [["student", "assignment", "score", "max"]] + [
        [s, CHAPTER, "" if s == ABSENT else _total(graded, s), ex.number(top)]
        for s in (REFERENCE, MISTAKES, UNTOUCHED, BROKEN, ABSENT)
    ]
    assert _total(graded, REFERENCE) != "0" and _total(graded, UNTOUCHED) == "0" and _total(graded, BROKEN) == "0"


def test_export_canvas_layout(graded: Graded) -> None:
    """Does the Canvas file have the five student columns, a column per assignment, Points Possible, then students?"""
    status, _ = _export(graded, "--to", "canvas", "--canvas-id", f"{CHAPTER}=4242")
    assert status == 0
    rows = _read_csv(graded.course / ".nbgrader" / "exports" / "course-canvas.csv")
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", UNGRADED, f"{CHAPTER} (4242)"]
    assert rows[1] == ["Points Possible", "", "", "", "", ex.number(_max(UNGRADED)), ex.number(_max(CHAPTER))]
    assert rows[2:] == [
        ["Lovelace, Ada", "1001", "", REFERENCE, "", "", _total(graded, REFERENCE)],
        [MISTAKES, "", "", MISTAKES, "", "", _total(graded, MISTAKES)],
        [UNTOUCHED, "", "", UNTOUCHED, "", "", "0"],
        [BROKEN, "", "", BROKEN, "", "", "0"],
        ["Absent, Zoe", "", "", ABSENT, "", "", ""],
    ]


def test_export_canvas_per_assignment_has_only_that_column(graded: Graded, tmp_path: Path) -> None:
    """Does a per-assignment Canvas export carry only that assignment's column, titled by its name?"""
    target = tmp_path / "canvas-ch6.csv"
    assert _export(graded, CHAPTER, "--to", "canvas", "--out", str(target))[0] == 0
    rows = _read_csv(target)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", CHAPTER]
    assert rows[1] == ["Points Possible", "", "", "", "", ex.number(_max(CHAPTER))]
    assert [r[3] for r in rows[2:]] == [REFERENCE, MISTAKES, UNTOUCHED, BROKEN, ABSENT]
    assert all(len(r) == 6 for r in rows)


def test_export_moodle_layout(graded: Graded) -> None:
    """Does the Moodle file have ID number and Email address, then one column per grade item and a row per student?"""
    assert _export(graded, "--to", "moodle")[0] == 0
    rows = _read_csv(graded.course / ".nbgrader" / "exports" / "course-moodle.csv")
    assert rows == [
        ["ID number", "Email address", UNGRADED, CHAPTER],
        [REFERENCE, "ada@example.org", "", _total(graded, REFERENCE)],
        [MISTAKES, "", "", _total(graded, MISTAKES)],
        [UNTOUCHED, "", "", "0"],
        [BROKEN, "", "", "0"],
        [ABSENT, "zoe@example.org", "", ""],
    ]
    assert _export(graded, CHAPTER, "--to", "moodle")[0] == 0
    per = _read_csv(graded.course / ".nbgrader" / "exports" / f"{CHAPTER}-moodle.csv")
    assert per[0] == ["ID number", "Email address", CHAPTER] and len(per) == 6


def test_export_defaults_under_nbgrader_exports_and_refuses_unknown(graded: Graded,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Does export write under .nbgrader/exports/ by default, and exit 2 for an unknown assignment?"""
    assert _export(graded)[0] == 0
    assert (graded.course / ".nbgrader" / "exports" / "course-grades.csv").is_file()
    assert not list(graded.course.glob("*.csv"))
    assert _export(graded, "ch99")[0] == 2
    assert "ch99 is not in the gradebook" in capsys.readouterr().err


# ---------------------------------------------------------------------------
# stats
# ---------------------------------------------------------------------------


def test_stats_per_exercise_match_the_gradebook(graded: Graded) -> None:
    """Are full marks, partial and zero counts per exercise those of the gradebook, the reference full, untouched 0?"""
    stats = st.compute(CHAPTER, course_root=graded.course)
    students = [REFERENCE, MISTAKES, UNTOUCHED, BROKEN]
    assert stats.students == students and stats.notebooks_read == 3
    cells = {s: _cells(graded, s) for s in students}
    wanted = pipeline.grade_cells(nbformat.read(pipeline.notebooks_of(pipeline.ROOT / "solutions" / CHAPTER)[0],
                                                as_version=4))
    assert [e.grade_id for e in stats.exercises] == list(wanted)
    for e in stats.exercises:
        got = [cells[s][e.grade_id].score or 0.0 for s in students]
        assert e.points == wanted[e.grade_id]
        assert e.full == sum(1 for x in got if x == e.points)
        assert e.zero == sum(1 for x in got if x == 0)
        assert e.partial == 4 - e.full - e.zero
        assert e.mean == pytest.approx(sum(got) / 4)
        live = e.grade_id.endswith("-live")
        assert (cells[REFERENCE][e.grade_id].score == e.points) is not live
        assert cells[UNTOUCHED][e.grade_id].score == 0


def test_stats_per_check_match_the_graders_and_the_scores(graded: Graded) -> None:
    """Are the checks each grader's cases, and do the points of the passes add up to the gradebook's scores?"""
    from graders.nbgrader_ext import exercise_call

    stats = st.compute(CHAPTER, course_root=graded.course)
    source = nbformat.read(pipeline.notebooks_of(pipeline.ROOT / "solutions" / CHAPTER)[0], as_version=4)
    calls = {c.metadata["nbgrader"]["grade_id"]: exercise_call(c.source) for c in source.cells
             if c.metadata.get("nbgrader", {}).get("grade")}
    readable = [REFERENCE, MISTAKES, UNTOUCHED]
    for e in stats.exercises:
        exercise, _ = calls[e.grade_id]
        assert [(c.name, c.points) for c in e.checks] == [(c.name, c.points) for c in exercise.cases]
        assert all(c.total == 3 for c in e.checks)
        earned = sum(c.passed * c.points for c in e.checks)
        assert earned == pytest.approx(sum(_cells(graded, s)[e.grade_id].score or 0 for s in readable))
        if e.grade_id.endswith("-live"):
            # --live off: the reference answer's live checks are not checked, the others' fail
            assert [(c.passed, c.skipped) for c in e.checks] == [(0, 1)] * len(e.checks)
        else:
            assert all(c.passed >= 1 and c.skipped == 0 for c in e.checks)  # the reference passes everything
        assert all(c.failed >= 1 for c in e.checks)  # the untouched release fails everything


def test_stats_cli_prints_tables_and_writes_html_with_a_chart(graded: Graded, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Does `pod-course stats --html` print both tables and write a page with embedded PNG bar charts?"""
    report = tmp_path / "stats.html"
    assert cli(["stats", CHAPTER, "--course", str(graded.course), "--html", str(report)]) == 0
    out = capsys.readouterr().out
    assert "ch6: 4 student(s) graded, 3 autograded notebook(s) read" in out
    stats = st.compute(CHAPTER, course_root=graded.course)
    first = stats.exercises[0]
    assert re.search(rf"^{first.grade_id}\s+{re.escape(first.title[:40])}.*\s{first.points:g}\s+{first.full}/4\s", out,
                     re.M)
    check = first.checks[0]
    assert re.search(rf"^{first.grade_id}\s+{re.escape(check.name[:40])}.*\s{check.passed}/3\s", out, re.M)
    page = report.read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64,') == 2
    assert f"<td>{check.name}</td>" in page and first.title in page
    assert cli(["stats", "ch99", "--course", str(graded.course)]) == 2


def test_release_feedback_hands_back_pages_of_copied_submissions_too(graded: Graded, tmp_path: Path) -> None:
    """Does `nbgrader release_feedback` work after `pod-course feedback`, also for a submission copied in by hand?"""
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "nbgrader"), "release_feedback", CHAPTER,
         f"--Exchange.root={exchange}", "--CourseDirectory.course_id=pod-course"],
        cwd=graded.course, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert (graded.page(MISTAKES).parent / "timestamp.txt").is_file()
    released = sorted((exchange / "pod-course" / "feedback").glob("*.html"))
    assert len(released) == 3, (released, done.stderr[-2000:])  # reference, mistakes, untouched
