"""`pod-course export`: the gradebook as a plain CSV, or as a Canvas or Moodle grade import file.

Scores are read from nbgrader's gradebook (`.nbgrader/gradebook.db`): an assignment's score
is the sum of its cells' scores as nbgrader counts them (a manual score where an instructor gave
one, else the autograde score, plus any extra credit) less any late penalty, never below 0. A
student with no submission of an assignment gets an empty cell, not 0.

* `csv`: one row per student and assignment: `student,assignment,score,max`.
* `canvas`: Canvas's Gradebook import layout: `Student`, `ID`, `SIS User ID`, `SIS Login ID`,
  `Section`, then one column per assignment (`ch1`, or `ch1 (12345)` when the Canvas assignment
  id is known); the second row is `Points Possible` with each assignment's maximum. `Student` is
  "Last, First" when the gradebook has names (else the student id), `ID` the Canvas user id
  nbgrader stores as `lms_user_id` (empty when unknown), `SIS Login ID` the nbgrader student id.
* `moodle`: Moodle's CSV grade import: `ID number` (the nbgrader student id) and
  `Email address`, then one column per grade item (the assignment name); map `ID number` to
  "useridnumber" (or `Email address` to "useremail") and each column to a grade item on import.

Files go where the caller says, by default under `.nbgrader/exports/` in the course.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from course.grading import gradebook as gbk
from course.grading.grade import Course, GradeError, load_course

FORMATS = ("csv", "canvas", "moodle")
CSV_HEADER = ["student", "assignment", "score", "max"]
CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_POINTS_ROW = "Points Possible"
MOODLE_HEADER = ["ID number", "Email address"]


@dataclass
class StudentRow:
    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    lms_user_id: str = ""

    @property
    def display_name(self) -> str:
        if self.last_name and self.first_name:
            return f"{self.last_name}, {self.first_name}"
        return self.last_name or self.first_name or self.id


@dataclass
class Grades:
    """What the exports need from the gradebook."""

    assignments: list[str]
    max_score: dict[str, float]
    students: list[StudentRow]
    scores: dict[tuple[str, str], float] = field(default_factory=dict)  # (student, assignment) -> score

    def score(self, student: str, assignment: str) -> float | None:
        return self.scores.get((student, assignment))


def _chapter_order(name: str) -> list[object]:
    """ch2 before ch10: numbers compared as numbers."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def read_grades(course: Course, assignment: str | None = None) -> Grades:
    """Every student and assignment in the gradebook (or only `assignment`) with their scores."""
    if not course.db.exists():
        raise GradeError(f"there is no gradebook at {course.db}: generate and grade an assignment first")
    with gbk._open(course.db_url, course.course_id) as gb:
        names = sorted((a.name for a in gb.assignments), key=_chapter_order)
        if assignment is not None:
            if assignment not in names:
                known = ", ".join(names) or "none"
                raise GradeError(f"{assignment} is not in the gradebook ({course.db}; assignments: {known})")
            names = [assignment]
        grades = Grades(names, {}, [])
        for s in sorted(gb.students, key=lambda s: s.id):
            grades.students.append(StudentRow(s.id, s.first_name or "", s.last_name or "", s.email or "",
                                              str(s.lms_user_id or "")))
        for name in names:
            a = gb.find_assignment(name)
            grades.max_score[name] = float(a.max_score or 0.0)
            for sub in a.submissions:
                nbs = sub.notebooks
                total = sum(float(nb.score or 0.0) for nb in nbs)
                penalty = sum(float(nb.late_submission_penalty or 0.0) for nb in nbs)
                grades.scores[(sub.student.id, name)] = max(0.0, total - penalty)
    return grades


def number(value: float | None) -> str:
    """A score as a spreadsheet reads it: `26`, `7.5`, `3.33`; empty for no submission."""
    if value is None:
        return ""
    text = f"{round(value, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def canvas_column(assignment: str, canvas_ids: Mapping[str, str]) -> str:
    cid = canvas_ids.get(assignment)
    return f"{assignment} ({cid})" if cid else assignment


def rows(grades: Grades, fmt: str, canvas_ids: Mapping[str, str] | None = None) -> list[list[str]]:
    """The export as rows of cells, header first."""
    if fmt == "csv":
        out = [list(CSV_HEADER)]
        for s in grades.students:
            for a in grades.assignments:
                out.append([s.id, a, number(grades.score(s.id, a)), number(grades.max_score[a])])
        return out
    if fmt == "canvas":
        ids = canvas_ids or {}
        out = [CANVAS_HEADER + [canvas_column(a, ids) for a in grades.assignments],
               [CANVAS_POINTS_ROW, "", "", "", ""] + [number(grades.max_score[a]) for a in grades.assignments]]
        for s in grades.students:
            out.append([s.display_name, s.lms_user_id, "", s.id, ""]
                       + [number(grades.score(s.id, a)) for a in grades.assignments])
        return out
    if fmt == "moodle":
        out = [MOODLE_HEADER + list(grades.assignments)]
        for s in grades.students:
            out.append([s.id, s.email] + [number(grades.score(s.id, a)) for a in grades.assignments])
        return out
    raise GradeError(f"--to must be one of {', '.join(FORMATS)}, not {fmt!r}")


def to_text(table: Sequence[Sequence[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerows(table)
    return buf.getvalue()


def default_path(course: Course, assignment: str | None, fmt: str) -> Path:
    """`.nbgrader/exports/<assignment or course>-<grades|canvas|moodle>.csv` in the course."""
    kind = "grades" if fmt == "csv" else fmt
    return course.db.parent / "exports" / f"{assignment or 'course'}-{kind}.csv"


@dataclass
class Export:
    path: Path
    fmt: str
    assignments: list[str]
    students: int
    submissions: int


def export(assignment: str | None = None, *, fmt: str = "csv", out: Path | None = None,
           course_root: Path = Path("."), canvas_ids: Mapping[str, str] | None = None) -> Export:
    """Write the gradebook (one assignment, or the whole course) in format `fmt`; returns what was written."""
    if fmt not in FORMATS:
        raise GradeError(f"--to must be one of {', '.join(FORMATS)}, not {fmt!r}")
    course = load_course(course_root)
    grades = read_grades(course, assignment)
    unknown = sorted(set(canvas_ids or {}) - set(grades.assignments))
    if unknown and fmt == "canvas":
        raise GradeError(f"--canvas-id names an assignment that is not exported: {', '.join(unknown)}")
    path = Path(out) if out is not None else default_path(course, assignment, fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(to_text(rows(grades, fmt, canvas_ids)), encoding="utf-8")
    tmp.replace(path)
    return Export(path, fmt, grades.assignments, len(grades.students), len(grades.scores))


def parse_canvas_ids(items: Sequence[str]) -> dict[str, str]:
    """`ch1=12345` pairs from the command line."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, cid = item.partition("=")
        if not sep or not name.strip() or not cid.strip().isdigit():
            raise GradeError(f"--canvas-id wants ASSIGNMENT=NUMBER (e.g. ch1=12345), not {item!r}")
        out[name.strip()] = cid.strip()
    return out


def main(assignment: str | None, *, fmt: str = "csv", out: Path | None = None, course_root: Path = Path("."),
         canvas_ids: Sequence[str] = (), stream: TextIO | None = None) -> int:
    """`pod-course export`: 0 written, 2 could not run."""
    stream = stream or sys.stdout
    try:
        done = export(assignment, fmt=fmt, out=out, course_root=course_root, canvas_ids=parse_canvas_ids(canvas_ids))
    except GradeError as exc:
        print(f"pod-course export: {exc}", file=sys.stderr)
        return 2
    what = done.assignments[0] if assignment else f"{len(done.assignments)} assignment(s)"
    stream.write(f"{done.path}: {done.fmt}, {what}, {done.students} student(s), {done.submissions} submission(s)\n")
    return 0
