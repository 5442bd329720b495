"""nbgrader glue: re-grade every exercise cell outside the learner's kernel.

During autograde the learner's notebook runs in a kernel the learner's own
cells control: they can redefine a grader, patch `graders` in `sys.modules`,
replace the answer loader or even rewrite what a cell prints. So the score a
test cell shows in that kernel is not trusted. After execution, this
preprocessor (running in the nbgrader process, where no learner code ever ran)
reads each grade cell's *source*, which nbgrader has already restored from the
gradebook, finds the exercise it calls, takes only the answer *data* the cell
emitted (`PAYLOAD_MIME`) and grades that again with the graders imported
before any submission was executed. The cell's outputs are replaced by that
report and score. Forged answer data is just another answer: it is graded on
its merits. A grade cell that calls no known exercise scores 0 (fail closed).
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import io
import pkgutil
from contextlib import redirect_stdout
from typing import Any

from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbformat.notebooknode import NotebookNode
from nbformat.v4 import new_output
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    Execute,
    IgnorePattern,
    LimitOutput,
    NbGraderPreprocessor,
    SaveAutoGrades,
)

import graders
from graders import private
from graders.core import PAYLOAD_MIME, STUDENT_BUILD, Exercise, student_build

# Library warnings and kernel chatter that must not zero a test cell.
STDERR_NOISE = r"(?:\w*Warning\b|warnings\.warn|Matplotlib is building the font cache)"


def chapter_modules() -> dict[str, Any]:
    """Import every `graders.chN` module (and `graders.live`) now, before any submission runs."""
    mods: dict[str, Any] = {}
    for info in pkgutil.iter_modules(graders.__path__):
        if (info.name.startswith("ch") and info.name[2:].isdigit()) or info.name == "live":
            mods[info.name] = importlib.import_module(f"graders.{info.name}")
    # The checker too, so a submission rewriting files on disk changes nothing; if it
    # fails here, grading still works and imports it lazily later.
    with contextlib.suppress(Exception):
        importlib.import_module("course.checker.engine")
    return mods


_CHAPTERS = chapter_modules()
try:  # the instructor's private hidden cases, loaded (and checked) before any submission runs
    private.check_ids()
except private.OverlayError as exc:
    # Every nbgrader command of the course loads this module: stop with the reason, not a traceback.
    raise SystemExit(f"pod-course: {exc}") from None


def exercise_call(source: str) -> tuple[Exercise, bool] | None:
    """The exercise the cell's last grader call targets, and its `hidden=` flag.

    Only statically evident calls count (`from graders import ch1` then
    `ch1.first_pod(X, hidden=True)`), because the source is the trusted part.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    aliases: dict[str, str] = {}
    direct: dict[str, Exercise] = {}  # `from graders.ch1 import first_pod [as x]`
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "graders":
            for a in node.names:
                aliases[a.asname or a.name] = a.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("graders."):
            mod = _CHAPTERS.get(node.module.split(".", 1)[1])
            for a in node.names:
                ex = getattr(mod, a.name, None)
                if isinstance(ex, Exercise):
                    direct[a.asname or a.name] = ex
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("graders.") and a.asname:
                    aliases[a.asname] = a.name.split(".", 1)[1]
    found: tuple[Exercise, bool] | None = None
    last = (-1, -1)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name) and node.func.id in direct:
            ex = direct[node.func.id]
        elif isinstance(node.func, ast.Attribute):
            ex = _attribute_exercise(node.func, aliases)
        else:
            continue
        if ex is None:
            continue
        hidden = any(
            k.arg == "hidden" and isinstance(k.value, ast.Constant) and k.value.value is True
            for k in node.keywords
        )
        if (node.lineno, node.col_offset) > last:
            last = (node.lineno, node.col_offset)
            found = (ex, hidden)
    return found


def _attribute_exercise(func: ast.Attribute, aliases: dict[str, str]) -> Exercise | None:
    """`ch1.first_pod` or `graders.ch1.first_pod`, when that names a known exercise."""
    base = func.value
    if isinstance(base, ast.Name) and base.id in aliases:
        mod_name = aliases[base.id]
    elif isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name) and base.value.id == "graders":
        mod_name = base.attr
    else:
        return None
    ex = getattr(_CHAPTERS.get(mod_name), func.attr, None)
    return ex if isinstance(ex, Exercise) else None


def _payload(cell: NotebookNode, exercise_id: str) -> tuple[bool, Any]:
    got: tuple[bool, Any] = (False, None)
    for out in cell.get("outputs", []):
        data = out.get("data") if out.get("output_type") in ("execute_result", "display_data") else None
        blob = data.get(PAYLOAD_MIME) if isinstance(data, dict) else None
        if isinstance(blob, dict) and blob.get("exercise") == exercise_id:
            got = (True, blob.get("answer"))
    return got


def _kernel_error(cell: NotebookNode) -> str:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return f"{out.get('ename', 'Error')}: {out.get('evalue', '')}".strip()
    return ""


class TrustedRegrade(NbGraderPreprocessor):
    """Replace each exercise cell's outputs with a score computed outside the kernel."""

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int) -> tuple[NotebookNode, Any]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") != "code" or not meta.get("grade"):
            return cell, resources
        target = exercise_call(cell.source)
        if target is None:
            # Fail closed: a score computed only inside the learner's kernel is never trusted.
            self.log.warning("grade cell %s calls no known exercise; it scores 0", meta.get("grade_id"))
            cell.outputs = [
                new_output("stream", name="stdout",
                           text="This test cell calls no grader exercise, so it cannot be graded: 0 points.\n"),
                new_output("execute_result", data={"text/plain": "0.0"}, execution_count=cell.get("execution_count")),
            ]
            return cell, resources
        exercise, hidden = target
        if hidden and student_build():  # fail the whole run loudly rather than under-grade a class
            raise RuntimeError(f"pod-course: {STUDENT_BUILD}")
        found, answer = _payload(cell, exercise.id)
        buf = io.StringIO()
        with redirect_stdout(buf):
            if not found:
                err = _kernel_error(cell)
                why = f" This cell raised {err}." if err else ""
                print(f"{exercise.title}: 0 points")
                print(f"  No answer reached the grader.{why} Check that the cell defining "
                      f"{exercise.answer_name} runs without errors, then run the notebook top to bottom.")
                score = 0.0
            else:
                score = float(exercise(answer, hidden=hidden))
        count = cell.get("execution_count")
        cell.outputs = [
            new_output("stream", name="stdout", text=buf.getvalue()),
            new_output("execute_result", data={"text/plain": repr(score)}, execution_count=count),
        ]
        return cell, resources


AUTOGRADE_PREPROCESSORS = [
    Execute,
    IgnorePattern,
    TrustedRegrade,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]
