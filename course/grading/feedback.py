"""`pod-course feedback`: per-student feedback HTML through nbgrader's own `generate_feedback`.

Each autograded submission (`autograded/<student>/<assignment>/`) becomes
`feedback/<student>/<assignment>/<notebook>.html` via `NbGraderAPI.generate_feedback`, with the
preprocessors fixed here rather than left to the configuration: the grades from the gradebook
(`GetGrades`), the hidden tests cut out of every cell (`ClearHiddenTests`), and each cell's
outputs capped (`CapOutputs`) so a submission that prints megabytes does not end up in the page.
The test cells' reports (every check's title, points and message) are the grader's own output
and are kept whole up to a much larger cap.

Afterwards every page is read back as text and checked against the source notebooks: a page
that shows a line of a hidden test, or a solution block the student did not write themselves,
is deleted and reported instead of being handed out.
"""

from __future__ import annotations

import re
import secrets
import shutil
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, TextIO

from course.grading.grade import Course, GradeError, load_course

DEFAULT_CELL_BYTES = 8192  # a learner cell's outputs in the feedback page
DEFAULT_GRADE_CELL_BYTES = 65536  # a test cell's report (the grader's own output)
CAPPED_NOTE = "[pod-course: {left} more of this cell's output left out of the feedback; the cap is {cap} per cell]"
# Shorter hidden lines or solution blocks are not looked for: they would match ordinary words on the page.
MIN_SECRET = 8
HIDDEN_BLOCK = re.compile(r"^[ \t]*#+[ \t]*BEGIN HIDDEN TESTS[^\n]*\n(.*?)^[ \t]*#+[ \t]*END HIDDEN TESTS",
                          re.M | re.S)
SOLUTION_BLOCK = re.compile(r"^[ \t]*#+[ \t]*BEGIN SOLUTION[^\n]*\n(.*?)^[ \t]*#+[ \t]*END SOLUTION", re.M | re.S)


def _size(n: int) -> str:
    return f"{n} bytes" if n < 2048 else f"{n / 1024:.0f} KB"


def _output_bytes(out: Any) -> int:
    """What one output weighs in the page: its text, traceback or rich data."""
    if out.get("output_type") == "stream":
        return len(str(out.get("text", "")).encode("utf-8"))
    if out.get("output_type") == "error":
        return sum(len(str(line).encode("utf-8")) for line in out.get("traceback", [])) + len(
            str(out.get("evalue", "")).encode("utf-8"))
    data = out.get("data") or {}
    return sum(len(str(v).encode("utf-8")) for v in data.values())


def cap_outputs(outputs: list[Any], cap: int) -> tuple[list[Any], int]:
    """The outputs that fit in `cap` bytes (a stream cut at the cap), and how many bytes were left out."""
    from nbformat.v4 import new_output

    kept: list[Any] = []
    used = left = 0
    for out in outputs:
        size = _output_bytes(out)
        if used + size <= cap:
            kept.append(out)
            used += size
            continue
        room = cap - used
        if out.get("output_type") == "stream" and room > 0:
            raw = str(out.get("text", "")).encode("utf-8")
            cut = raw[:room].decode("utf-8", errors="ignore")
            kept.append(new_output("stream", name=out.get("name", "stdout"), text=cut))
            used += room
            left += size - len(cut.encode("utf-8"))
        else:
            left += size
    if left:
        note = CAPPED_NOTE.format(left=_size(left), cap=_size(cap))
        kept.append(new_output("stream", name="stdout", text="\n" + note + "\n"))
    return kept, left


_CAP_CLASS: type | None = None


def _preprocessor_class() -> type:
    """`CapOutputs`, an nbgrader preprocessor (defined on first use: importing nbgrader is slow)."""
    global _CAP_CLASS
    if _CAP_CLASS is None:
        from nbgrader.preprocessors import NbGraderPreprocessor
        from traitlets import Integer

        class CapOutputs(NbGraderPreprocessor):
            """Cap the outputs each cell carries into the feedback page, with a note saying what was left out."""

            max_bytes = Integer(DEFAULT_CELL_BYTES, help="bytes of output kept per learner cell").tag(config=True)
            grade_cell_max_bytes = Integer(DEFAULT_GRADE_CELL_BYTES,
                                           help="bytes of output kept per test cell").tag(config=True)

            def preprocess_cell(self, cell: Any, resources: Any, index: int) -> tuple[Any, Any]:
                if cell.get("cell_type") != "code" or not cell.get("outputs"):
                    return cell, resources
                meta = cell.get("metadata", {}).get("nbgrader", {})
                cap = self.grade_cell_max_bytes if meta.get("grade") else self.max_bytes
                cell.outputs, _ = cap_outputs(list(cell.outputs), cap)
                return cell, resources

        _CAP_CLASS = CapOutputs
    return _CAP_CLASS


# ---------------------------------------------------------------------------
# What must never be in a page
# ---------------------------------------------------------------------------


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def squash(text: str) -> str:
    """Text with every run of whitespace made one space (highlighting splits code into spans)."""
    return " ".join(text.split())


def page_text(html_text: str) -> str:
    """What a page shows, as text: tags dropped, entities decoded, whitespace squashed."""
    parser = _Text()
    parser.feed(html_text)
    parser.close()
    return squash("".join(parser.parts))


def secrets_of(source_notebooks: Iterable[Path]) -> tuple[list[str], list[str]]:
    """(hidden test lines, solution blocks) of the source notebooks, whitespace squashed."""
    import nbformat

    hidden: list[str] = []
    solutions: list[str] = []
    for path in source_notebooks:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            for m in HIDDEN_BLOCK.finditer(cell.source):
                hidden.extend(s for s in (squash(line) for line in m.group(1).splitlines()) if s)
            for m in SOLUTION_BLOCK.finditer(cell.source):
                if squash(m.group(1)):
                    solutions.append(squash(m.group(1)))
    return hidden, solutions


def leaks(page: str, submitted: str, hidden: Sequence[str], solutions: Sequence[str]) -> list[str]:
    """The hidden test lines and solution blocks a page shows that the student did not write themselves."""
    return [s for s in (*hidden, *solutions) if len(s) >= MIN_SECRET and s in page and s not in submitted]


def _submitted_text(folder: Path) -> str:
    """Everything the student wrote: their notebooks' cell sources and their editor answer files."""
    import nbformat

    parts: list[str] = []
    for path in sorted(folder.glob("*.ipynb")):
        try:
            parts.extend(c.source for c in nbformat.read(path, as_version=4).cells)
        except Exception:  # a broken hand-in has no feedback anyway
            continue
    for path in sorted(folder.glob("*.answer.yaml")):  # Pod-editor answers are the student's own text too
        parts.append(path.read_text(encoding="utf-8", errors="replace"))
    return squash("\n".join(parts))


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------


@dataclass
class StudentFeedback:
    student: str
    files: list[Path] = field(default_factory=list)
    capped_cells: int = 0  # cells whose outputs were cut
    problem: str = ""  # why there is no feedback
    copied: bool = False  # not submitted through the exchange: hand the folder back directly

    @property
    def ok(self) -> bool:
        return not self.problem


@dataclass
class FeedbackRun:
    assignment: str
    students: list[StudentFeedback]

    @property
    def failed(self) -> list[StudentFeedback]:
        return [s for s in self.students if not s.ok]


def _config(course: Course, cell_bytes: int, grade_cell_bytes: int) -> Any:
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import ClearHiddenTests, GetGrades
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course.root)).load_config()
    cap = _preprocessor_class()
    config.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, cap, CSSHTMLHeaderPreprocessor]
    config.ClearHiddenTests.enforce_metadata = False
    config.CapOutputs.max_bytes = cell_bytes
    config.CapOutputs.grade_cell_max_bytes = grade_cell_bytes
    return config


def _last_error(result: dict[str, Any]) -> str:
    text = f"{result.get('log', '')}\n{result.get('error', '')}".strip().splitlines()
    lines = [ln.strip() for ln in text if ln.strip()]
    return (lines[-1] if lines else "nbgrader could not write it")[:300]


def _stamp(dest: Path, submitted: Path) -> bool:
    """Give a feedback folder the `timestamp.txt` and `submission_secret.txt` that `nbgrader release_feedback` reads.

    A submission that came through the exchange has both and nbgrader copies them along. One copied
    into `submitted/` by hand has neither, and release_feedback would stop at it, leaving every
    student after it without feedback. Its newest file's time and a fresh secret stand in, so the
    release runs through; such a student cannot fetch the page (they submitted no secret), so the
    instructor hands that folder back directly. True when the folder needed them.
    """
    if not dest.is_dir():
        return False
    stamped = False
    target = dest / "timestamp.txt"
    if not target.exists():
        times = [p.stat().st_mtime for p in submitted.rglob("*") if p.is_file()] if submitted.is_dir() else []
        when = datetime.fromtimestamp(max(times) if times else time.time(), tz=UTC)
        target.write_text(when.strftime("%Y-%m-%d %H:%M:%S.%f %Z"), encoding="utf-8")
        stamped = True
    secret = dest / "submission_secret.txt"
    if not secret.exists():
        secret.write_text(secrets.token_urlsafe(16), encoding="utf-8")
        stamped = True
    return stamped


def generate(assignment: str, *, course_root: Path = Path("."), students: Sequence[str] = (),
             cell_bytes: int = DEFAULT_CELL_BYTES, grade_cell_bytes: int = DEFAULT_GRADE_CELL_BYTES) -> FeedbackRun:
    """Write feedback HTML for every autograded submission of `assignment` (or only `students`)."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    if cell_bytes < 0 or grade_cell_bytes < 0:
        raise GradeError("the output caps must not be negative")
    course = load_course(course_root)
    cd = course.coursedir
    source = sorted(Path(cd.format_path(cd.source_directory, ".", assignment)).glob("*.ipynb"))
    if not source:
        raise GradeError(f"{assignment} has no source notebooks in "
                         f"{cd.format_path(cd.source_directory, '.', assignment)}")
    everyone = course.students(assignment)
    if students:
        unknown = [s for s in students if s not in everyone]
        if unknown:
            raise GradeError(f"no submission of {assignment} from {', '.join(unknown)}")
        everyone = [s for s in everyone if s in set(students)]
    if not everyone:
        raise GradeError(f"no submissions of {assignment} in {course.submission('<student>', assignment)}")
    hidden, solutions = secrets_of(source)
    config = _config(course, cell_bytes, grade_cell_bytes)
    coursedir = CourseDirectory(config=config)
    api = NbGraderAPI(coursedir=coursedir, config=config)
    out: list[StudentFeedback] = []
    for student in everyone:
        row = StudentFeedback(student)
        out.append(row)
        graded = course.autograded(student, assignment)
        dest = Path(cd.format_path(cd.feedback_directory, student, assignment))
        if not sorted(graded.glob("*.ipynb")):
            # A page left from an earlier grade would be handed out as if it were this submission's.
            shutil.rmtree(dest, ignore_errors=True)
            row.problem = "not autograded (run `pod-course grade` first; a failed submission has no feedback)"
            continue
        result = api.generate_feedback(assignment, student, force=True)
        pages = sorted(dest.glob("*.html"))
        if not result.get("success") or not pages:
            row.problem = f"nbgrader generate_feedback failed: {_last_error(result)}"
            continue
        row.copied = _stamp(dest, course.submission(student, assignment))
        mine = _submitted_text(course.submission(student, assignment))
        for page in pages:
            html_text = page.read_text(encoding="utf-8")
            found = leaks(page_text(html_text), mine, hidden, solutions)
            if found:
                page.unlink()
                row.problem = (f"{page.name} showed {len(found)} piece(s) of hidden tests or solutions, so it was "
                               f"deleted; check the feedback preprocessors (first: {found[0][:80]!r})")
                continue
            row.files.append(page)
            row.capped_cells += html_text.count("of this cell's output left out of the feedback")
    return FeedbackRun(assignment, out)


def format_table(run: FeedbackRun) -> str:
    rows = [("student", "pages", "capped cells", "notes")]
    for s in run.students:
        note = f"FAILED: {s.problem}" if s.problem else (str(s.files[0].parent) if s.files else "")
        if s.copied and not s.problem:
            note += " (copied in, not submitted through the exchange: hand this folder back yourself)"
        rows.append((s.student, str(len(s.files)), str(s.capped_cells), note))
    w = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [f"{r[0].ljust(w[0])}  {r[1].rjust(w[1])}  {r[2].rjust(w[2])}  {r[3]}".rstrip() for r in rows]
    done = sum(1 for s in run.students if s.ok)
    lines.append("")
    lines.append(f"{run.assignment}: feedback for {done} of {len(run.students)} student(s)"
                 + (f", {len(run.failed)} without" if run.failed else ""))
    return "\n".join(lines) + "\n"


def main(assignment: str, *, course_root: Path = Path("."), students: Sequence[str] = (),
         cell_bytes: int = DEFAULT_CELL_BYTES, out: TextIO | None = None) -> int:
    """`pod-course feedback`: 0 every submission has feedback, 1 some have none (see the table), 2 could not run."""
    out = out or sys.stdout
    try:
        run = generate(assignment, course_root=course_root, students=students, cell_bytes=cell_bytes)
    except GradeError as exc:
        print(f"pod-course feedback: {exc}", file=sys.stderr)
        return 2
    out.write(format_table(run))
    return 1 if run.failed else 0
