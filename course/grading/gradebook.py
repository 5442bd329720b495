"""nbgrader gradebooks for parallel grading: private snapshots, serial merges, comparisons.

Each grading worker autogrades one student into its own copy of the gradebook, so no two
processes ever write the same SQLite file. The parent then copies what autograde decided
(submission timestamp, every grade's auto score and review flag, every comment's auto
comment, the late penalty) into the real gradebook through nbgrader's `Gradebook` API, one
merge at a time under `merge_lock`, which also orders merges of overlapping `grade` runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

# How long a merge waits for another process holding the SQLite file (milliseconds).
BUSY_TIMEOUT_MS = 30_000


def sqlite_path(db_url: str) -> Path:
    """The file behind a `sqlite:///...` URL; ValueError for any other database."""
    prefix = "sqlite:///"
    if not db_url.startswith(prefix):
        raise ValueError(f"pod-course grade works with an SQLite gradebook only, not {db_url!r}")
    return Path(db_url[len(prefix):].split("?", 1)[0])


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@contextlib.contextmanager
def merge_lock(lock_file: Path) -> Iterator[None]:
    """An exclusive lock on `lock_file` (created if needed), held for the `with` block."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def snapshot(db: Path, dest: Path) -> None:
    """A consistent copy of the gradebook `db` at `dest` (SQLite's online backup)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(db, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        out = sqlite3.connect(dest)
        try:
            src.backup(out)
        finally:
            out.close()
    finally:
        src.close()


@contextlib.contextmanager
def _open(db_url: str, course_id: str) -> Iterator[Any]:
    """nbgrader's Gradebook on `db_url`, waiting for a lock held by another process instead of failing."""
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    sep = "&" if "?" in db_url else "?"
    with warnings.catch_warnings():
        # nbgrader's add_submission makes SQLAlchemy warn about its autoflush; the rows are written all the same.
        warnings.simplefilter("ignore", SAWarning)
        with Gradebook(f"{db_url}{sep}timeout={BUSY_TIMEOUT_MS / 1000:g}", course_id=course_id) as gb:
            yield gb


def assignment_exists(db_url: str, course_id: str, assignment: str) -> bool:
    from nbgrader.api import MissingEntry

    if not sqlite_path(db_url).exists():
        return False
    with _open(db_url, course_id) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            return False
    return True


@dataclass
class NotebookLayout:
    """What the gradebook knows of one notebook of an assignment."""

    name: str
    grade_cells: dict[str, float]  # grade_id -> max points
    cell_ids: set[str]  # every nbgrader cell id (grade, solution, task, locked source cells)


def layout(db_url: str, course_id: str, assignment: str) -> list[NotebookLayout]:
    """The notebooks of `assignment` and their nbgrader cells."""
    out: list[NotebookLayout] = []
    with _open(db_url, course_id) as gb:
        for nb in gb.find_assignment(assignment).notebooks:
            grades = {c.name: float(c.max_score) for c in nb.grade_cells}
            grades.update({c.name: float(c.max_score) for c in nb.task_cells})
            ids = {c.name for c in nb.source_cells} | set(grades) | {c.name for c in nb.solution_cells}
            out.append(NotebookLayout(nb.name, grades, ids))
    return out


def other_assignments(db_url: str, course_id: str, assignment: str) -> dict[str, dict[str, set[str]]]:
    """Every other assignment in the gradebook: assignment -> notebook name -> its nbgrader cell ids."""
    out: dict[str, dict[str, set[str]]] = {}
    with _open(db_url, course_id) as gb:
        for a in gb.assignments:
            if a.name == assignment:
                continue
            out[a.name] = {nb.name: {c.name for c in nb.source_cells} | {c.name for c in nb.grade_cells}
                           for nb in a.notebooks}
    return out


@dataclass
class NotebookResult:
    """What autograde decided for one submitted notebook."""

    late_penalty: float | None
    grades: dict[str, tuple[float | None, bool]] = field(default_factory=dict)  # name -> (auto, needs manual)
    comments: dict[str, str | None] = field(default_factory=dict)  # name -> auto comment


@dataclass
class SubmissionResult:
    timestamp: datetime | None
    notebooks: dict[str, NotebookResult] = field(default_factory=dict)


def read_submission(db_url: str, course_id: str, assignment: str, student: str) -> SubmissionResult:
    """Read back what autograde wrote for one student (from a worker's private gradebook)."""
    with _open(db_url, course_id) as gb:
        sub = gb.find_submission(assignment, student)
        result = SubmissionResult(sub.timestamp)
        for nb in sub.notebooks:
            result.notebooks[nb.name] = NotebookResult(
                nb.late_submission_penalty,
                {g.name: (g.auto_score, bool(g.needs_manual_grade)) for g in nb.grades},
                {c.name: c.auto_comment for c in nb.comments},
            )
    return result


def merge_submission(db_url: str, course_id: str, assignment: str, student: str, result: SubmissionResult) -> None:
    """Write one student's autograde result into the real gradebook (call under `merge_lock`)."""
    with _open(db_url, course_id) as gb:
        gb.update_or_create_student(student)
        sub = gb.update_or_create_submission(assignment, student, timestamp=result.timestamp)
        for nb in sub.notebooks:
            got = result.notebooks.get(nb.name)
            if got is None:
                continue
            nb.late_submission_penalty = got.late_penalty
            for g in nb.grades:
                if g.name in got.grades:
                    g.auto_score, g.needs_manual_grade = got.grades[g.name]
            for c in nb.comments:
                if c.name in got.comments:
                    c.auto_comment = got.comments[c.name]
        gb.db.commit()


def record_failure(db_url: str, course_id: str, assignment: str, student: str, timestamp: datetime | None) -> None:
    """A submission that could not be graded: every cell 0 points, flagged for review in the formgrader."""
    with _open(db_url, course_id) as gb:
        gb.update_or_create_student(student)
        sub = gb.update_or_create_submission(assignment, student, timestamp=timestamp)
        for nb in sub.notebooks:
            nb.late_submission_penalty = None
            for g in nb.grades:
                g.auto_score = 0.0
                g.needs_manual_grade = True
            for c in nb.comments:
                c.auto_comment = None
        gb.db.commit()


@dataclass
class CellGrade:
    score: float | None  # manual score if an instructor gave one, else the auto score
    max_score: float


def student_grades(db_url: str, course_id: str, assignment: str, student: str) -> dict[str, CellGrade]:
    """grade_id -> score and max for one student's submission in the real gradebook."""
    out: dict[str, CellGrade] = {}
    with _open(db_url, course_id) as gb:
        sub = gb.find_submission(assignment, student)
        for nb in sub.notebooks:
            for g in nb.grades:
                score = g.manual_score if g.manual_score is not None else g.auto_score
                out[g.name] = CellGrade(score, float(g.max_score))
    return out


def dump(db_url: str, course_id: str, assignment: str) -> dict[str, Any]:
    """Everything autograde decides for an assignment, per student, notebook and cell (for comparisons)."""
    out: dict[str, Any] = {}
    with _open(db_url, course_id) as gb:
        for sub in gb.assignment_submissions(assignment):
            nbs: dict[str, Any] = {}
            for nb in sub.notebooks:
                nbs[nb.name] = {
                    "late_penalty": nb.late_submission_penalty,
                    "flagged": nb.flagged,
                    "grades": {g.name: {"auto": g.auto_score, "manual": g.manual_score, "extra": g.extra_credit,
                                        "needs_manual": g.needs_manual_grade, "max": g.max_score}
                               for g in nb.grades},
                    "comments": {c.name: {"auto": c.auto_comment, "manual": c.manual_comment} for c in nb.comments},
                }
            if sub.student.id in out:
                raise AssertionError(f"two submissions of {assignment} for {sub.student.id}")
            out[sub.student.id] = {"timestamp": sub.timestamp, "notebooks": nbs}
    return out
