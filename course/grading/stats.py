"""`pod-course stats`: how a class did, per exercise (grade cell) and per check.

Per exercise the scores come from nbgrader's gradebook: how many students earned full marks,
some points or none, and the mean. Per check they come from the autograded notebooks: each
test cell's report (see `graders.core.Exercise.report`) prints one `[PASS]`, `[FAIL]` or
`[SKIP]` line per check, two spaces in, as `  [PASS] name (points/possible)`. A report with no
such lines (the answer could not be read at all, or no answer reached the grader) counts as a
failure of every check that cell showed for the rest of the class.

The result prints as two tables and, on request, as a small HTML page with bar charts
(matplotlib, Agg, embedded as base64 PNG).
"""

from __future__ import annotations

import base64
import html
import io
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from course.grading import gradebook as gbk
from course.grading.grade import Course, GradeError, load_course

NUM = r"[0-9]+(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?"
CHECK_LINE = re.compile(rf"^  \[(?P<mark>PASS|FAIL|SKIP)\] (?P<name>.+) \((?P<got>{NUM})/(?P<points>{NUM})"
                        r"(?:, not checked)?\)$")
TITLE_LINE = re.compile(rf"^(?P<title>\S.*): (?P<got>{NUM})/(?P<max>{NUM}) points$")
LABEL_WIDTH = 60  # characters of a check's name in the table and the chart


@dataclass
class CheckStat:
    name: str
    points: float
    passed: int = 0
    failed: int = 0
    skipped: int = 0  # not checked (a live check graded with --live off)

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.skipped


@dataclass
class ExerciseStat:
    grade_id: str
    title: str
    points: float
    scores: list[float] = field(default_factory=list)  # one per student with a grade
    checks: list[CheckStat] = field(default_factory=list)
    read: int = 0  # students whose autograded notebook showed this cell

    @property
    def students(self) -> int:
        return len(self.scores)

    @property
    def full(self) -> int:
        return sum(1 for s in self.scores if self.points and s >= self.points - 1e-9)

    @property
    def zero(self) -> int:
        return sum(1 for s in self.scores if s <= 1e-9)

    @property
    def partial(self) -> int:
        return self.students - self.full - self.zero

    @property
    def mean(self) -> float | None:
        return sum(self.scores) / len(self.scores) if self.scores else None


@dataclass
class ClassStats:
    assignment: str
    students: list[str]  # with a submission in the gradebook
    notebooks_read: int  # students whose autograded notebooks were read
    exercises: list[ExerciseStat]


def _grade_cells(course: Course, assignment: str) -> list[tuple[str, float]]:
    """(grade_id, points) of every autograded test cell, in the source notebooks' order."""
    import nbformat

    cd = course.coursedir
    folder = Path(cd.format_path(cd.source_directory, ".", assignment))
    out: list[tuple[str, float]] = []
    for path in sorted(folder.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("grade") and not meta.get("solution") and meta.get("grade_id"):
                out.append((meta["grade_id"], float(meta.get("points", 0) or 0)))
    return out


def _gradebook_scores(course: Course, assignment: str) -> dict[str, dict[str, tuple[float, float]]]:
    """student -> grade_id -> (score, max) for every submission of `assignment`."""
    out: dict[str, dict[str, tuple[float, float]]] = {}
    with gbk._open(course.db_url, course.course_id) as gb:
        for sub in gb.assignment_submissions(assignment):
            cells = out.setdefault(sub.student.id, {})
            for nb in sub.notebooks:
                for g in nb.grades:
                    cells[g.name] = (float(g.score or 0.0), float(g.max_score or 0.0))
    return out


def read_reports(folder: Path) -> dict[str, str]:
    """grade_id -> the stdout a test cell printed, from the autograded notebooks in `folder`."""
    import nbformat

    out: dict[str, str] = {}
    for path in sorted(folder.glob("*.ipynb")):
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:
            continue
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell.get("cell_type") != "code" or not meta.get("grade") or not meta.get("grade_id"):
                continue
            out[meta["grade_id"]] = "".join(str(o.get("text", "")) for o in cell.get("outputs", [])
                                            if o.get("output_type") == "stream" and o.get("name") == "stdout")
    return out


def parse_report(text: str) -> tuple[str, list[tuple[str, str, float]]]:
    """(title, [(mark, check name, points)]) of one test cell's report."""
    title = ""
    checks: list[tuple[str, str, float]] = []
    for line in text.splitlines():
        if not title and (m := TITLE_LINE.match(line)):
            title = m.group("title")
            continue
        if m := CHECK_LINE.match(line):
            checks.append((m.group("mark"), m.group("name"), float(m.group("points"))))
    return title, checks


def compute(assignment: str, *, course_root: Path = Path(".")) -> ClassStats:
    """The class statistics of `assignment` from the gradebook and the autograded notebooks."""
    course = load_course(course_root)
    if not gbk.assignment_exists(course.db_url, course.course_id, assignment):
        raise GradeError(f"{assignment} is not in the gradebook ({course.db})")
    cells = _grade_cells(course, assignment)
    scores = _gradebook_scores(course, assignment)
    if not scores:
        raise GradeError(f"no graded submissions of {assignment}: run `pod-course grade {assignment}` first")
    stats = {gid: ExerciseStat(gid, gid, pts) for gid, pts in cells}
    for per in scores.values():
        for gid, (score, max_score) in per.items():
            ex = stats.setdefault(gid, ExerciseStat(gid, gid, max_score))
            ex.scores.append(score)
    students = sorted(scores)
    # Per check: every student's marks, then students whose report showed no check count as failing them all.
    marks: dict[str, dict[str, list[tuple[str, str, float]]]] = {gid: {} for gid in stats}
    read = 0
    for student in students:
        reports = read_reports(course.autograded(student, assignment))
        if not reports:
            continue
        read += 1
        for gid, text in reports.items():
            if gid not in stats:
                continue
            title, checks = parse_report(text)
            if title and stats[gid].title == gid:
                stats[gid].title = title
            stats[gid].read += 1
            marks[gid][student] = checks
    for gid, ex in stats.items():
        by_name: dict[str, CheckStat] = {}
        for checks in marks[gid].values():
            for _, name, pts in checks:
                by_name.setdefault(name, CheckStat(name, pts))
        for checks in marks[gid].values():
            seen = {name: mark for mark, name, _ in checks}
            for name, check in by_name.items():
                mark = seen.get(name, "FAIL")
                if mark == "PASS":
                    check.passed += 1
                elif mark == "SKIP":
                    check.skipped += 1
                else:
                    check.failed += 1
        ex.checks = list(by_name.values())
    return ClassStats(assignment, students, read, list(stats.values()))


# ---------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}".rstrip("0").rstrip(".")


def _short(text: str, width: int = LABEL_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _table(rows: Sequence[Sequence[str]], right: Sequence[bool]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(row, widths, right, strict=True)).rstrip()
            for row in rows]


def format_table(stats: ClassStats) -> str:
    """Two plain tables: the exercises, then every check."""
    n = len(stats.students)
    lines = [f"{stats.assignment}: {n} student(s) graded, {stats.notebooks_read} autograded notebook(s) read", ""]
    rows = [("exercise", "title", "points", "full marks", "partial", "zero", "mean")]
    for ex in stats.exercises:
        rows.append((ex.grade_id, _short(ex.title, 48), _num(ex.points), f"{ex.full}/{ex.students}",
                     str(ex.partial), str(ex.zero), _num(ex.mean)))
    lines += _table(rows, (False, False, True, True, True, True, True))
    rows2 = [("exercise", "check", "points", "passed", "failed", "skipped")]
    for ex in stats.exercises:
        for c in ex.checks:
            rows2.append((ex.grade_id, _short(c.name), _num(c.points), f"{c.passed}/{c.total}", str(c.failed),
                          str(c.skipped)))
    if len(rows2) > 1:
        lines += ["", *_table(rows2, (False, False, True, True, True, True))]
    return "\n".join(lines) + "\n"


def _png(fig: Any) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def charts(stats: ClassStats) -> list[tuple[str, str]]:
    """(title, base64 PNG): students per exercise by result, and students passing each check."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    out: list[tuple[str, str]] = []
    exs = stats.exercises
    if exs:
        fig = Figure(figsize=(8, 0.5 * len(exs) + 1.2))
        ax = fig.add_subplot()
        labels = [_short(f"{e.grade_id}: {e.title}" if e.title != e.grade_id else e.grade_id, 50) for e in exs]
        y = list(range(len(exs)))[::-1]
        full = [e.full for e in exs]
        part = [e.partial for e in exs]
        zero = [e.zero for e in exs]
        ax.barh(y, full, color="#2e7d32", label="full marks")
        ax.barh(y, part, left=full, color="#f9a825", label="some points")
        ax.barh(y, zero, left=[f + p for f, p in zip(full, part, strict=True)], color="#c62828", label="no points")
        ax.set_yticks(y, labels)
        ax.set_xlabel("students")
        ax.set_xlim(0, max(1, len(stats.students)))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3, fontsize="small", frameon=False)
        out.append(("Students per exercise", _png(fig)))
    checks = [(e, c) for e in exs for c in e.checks]
    if checks:
        fig = Figure(figsize=(8, 0.28 * len(checks) + 1.2))
        ax = fig.add_subplot()
        y = list(range(len(checks)))[::-1]
        palette = ["#1565c0", "#6a1b9a", "#00838f", "#ef6c00", "#4e342e", "#37474f"]
        colors = [palette[exs.index(e) % len(palette)] for e, _ in checks]
        ax.barh(y, [c.passed for _, c in checks], color=colors)
        ax.set_yticks(y, [_short(c.name, 50) for _, c in checks], fontsize="small")
        ax.set_xlabel("students who passed")
        ax.set_xlim(0, max(1, max(c.total for _, c in checks)))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        shown = [e for e in exs if e.checks]
        ax.legend(handles=[Patch(color=palette[exs.index(e) % len(palette)], label=e.grade_id) for e in shown],
                  loc="upper center", bbox_to_anchor=(0.5, -0.6 / fig.get_figheight()), ncol=3, fontsize="small",
                  frameon=False)
        out.append(("Students passing each check", _png(fig)))
    return out


def to_html(stats: ClassStats) -> str:
    """A self-contained page: the charts and both tables."""
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        f"<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{esc(stats.assignment)}: class statistics</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}td.n{text-align:right}"
        "img{max-width:100%}</style></head><body>",
        f"<h1>{esc(stats.assignment)}: class statistics</h1>",
        f"<p>{len(stats.students)} student(s) graded; checks read from {stats.notebooks_read} autograded "
        f"notebook(s). Generated {datetime.now(UTC).isoformat(timespec='seconds')}.</p>",
    ]
    for title, png in charts(stats):
        parts.append(f"<h2>{esc(title)}</h2><img alt=\"{esc(title)}\" src=\"data:image/png;base64,{png}\">")
    parts.append("<h2>Exercises</h2><table><tr><th>exercise</th><th>title</th><th>points</th><th>full marks</th>"
                 "<th>some points</th><th>no points</th><th>mean</th></tr>")
    for ex in stats.exercises:
        parts.append(f"<tr><td>{esc(ex.grade_id)}</td><td>{esc(ex.title)}</td><td class=n>{_num(ex.points)}</td>"
                     f"<td class=n>{ex.full}/{ex.students}</td><td class=n>{ex.partial}</td>"
                     f"<td class=n>{ex.zero}</td><td class=n>{_num(ex.mean)}</td></tr>")
    parts.append("</table><h2>Checks</h2><table><tr><th>exercise</th><th>check</th><th>points</th><th>passed</th>"
                 "<th>failed</th><th>not checked</th></tr>")
    for ex in stats.exercises:
        for c in ex.checks:
            parts.append(f"<tr><td>{esc(ex.grade_id)}</td><td>{esc(c.name)}</td><td class=n>{_num(c.points)}</td>"
                         f"<td class=n>{c.passed}/{c.total}</td><td class=n>{c.failed}</td>"
                         f"<td class=n>{c.skipped}</td></tr>")
    parts.append("</table></body></html>")
    return "\n".join(parts) + "\n"


def main(assignment: str, *, course_root: Path = Path("."), html_file: Path | None = None,
         out: TextIO | None = None) -> int:
    """`pod-course stats`: 0 printed (and written), 2 could not run."""
    out = out or sys.stdout
    try:
        stats = compute(assignment, course_root=course_root)
    except GradeError as exc:
        print(f"pod-course stats: {exc}", file=sys.stderr)
        return 2
    out.write(format_table(stats))
    if html_file is not None:
        html_file = Path(html_file)
        html_file.parent.mkdir(parents=True, exist_ok=True)
        html_file.write_text(to_html(stats), encoding="utf-8")
        out.write(f"\nreport: {html_file}\n")
    return 0
