"""The instructor-side nbgrader pipeline as plain functions (release, submit, grade, feedback).

`make notebooks`, `make demo` and the pipeline tests all go through here, so
what the tests prove is what the instructor runs. Grading always happens in a
throw-away copy of the course (`temp_course`): the repository's own
`.nbgrader/` gradebook is never touched by tests or demos.

A submission scenario table (`tests/submissions/<assignment>.yaml`) describes
wrong answers as replacement sources for answer cells, with the points each
test cell should then award; tests and the demo class are both built from it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import yaml

from graders import private

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT_RE = re.compile(r"^ch\d+$")
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
# Answers saved by the Pod editor (course.answers): learner state, never course source.
ANSWER_FILES = "*.answer.yaml"
# Metadata that changes with who ran the notebook, not with what it says.
VOLATILE_NB_META = ("language_info", "widgets", "toc", "varInspector")
VOLATILE_CELL_META = ("execution", "collapsed", "scrolled", "jupyter", "tags_volatile", "ExecuteTime")


def assignments(root: Path = ROOT) -> list[str]:
    """Assignment ids (`ch1`, `ch2`, ...) with a solutions folder, in chapter order."""
    src = private.solutions_dir(root)
    names = [p.name for p in src.iterdir() if p.is_dir() and ASSIGNMENT_RE.match(p.name)] if src.is_dir() else []
    return sorted(names, key=lambda n: int(n[2:]))


def notebooks_of(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # nbgrader shells out to `alembic`; make the interpreter's own scripts findable.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    return env


def nbgrader(*args: str, course: Path) -> str:
    """Run one nbgrader command in `course`; raise with its log when it fails."""
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course, env=_env(), capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout + proc.stderr


def temp_course(dest: Path, root: Path = ROOT) -> Path:
    """A copy of the course (config + solutions) whose gradebook lives in `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(root / "nbgrader_config.py", dest / "nbgrader_config.py")
    if (dest / "solutions").exists():
        shutil.rmtree(dest / "solutions")
    # An answer file left in solutions/ (an instructor ran the editor there) would be released
    # to every student and copied over each student's own answer at autograde: leave it out.
    shutil.copytree(private.solutions_dir(root), dest / "solutions",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", ANSWER_FILES))
    return dest


def stray_answer_files(root: Path = ROOT) -> list[Path]:
    """Editor answer files inside solutions/ (they must never be there; see `temp_course`)."""
    src = private.solutions_dir(root)
    return sorted(src.rglob(ANSWER_FILES)) if src.is_dir() else []


def normalise(path: Path) -> None:
    """Rewrite a notebook without outputs, execution counts or volatile metadata."""
    nb = nbformat.read(path, as_version=4)
    for key in VOLATILE_NB_META:
        nb.metadata.pop(key, None)
    for cell in nb.cells:
        for key in VOLATILE_CELL_META:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.write(nb, path)


def generate(course: Path, assignment: str) -> Path:
    """`nbgrader generate_assignment` in `course`; returns the normalised release folder."""
    nbgrader("generate_assignment", assignment, "--force", course=course)
    out = course / "notebooks" / assignment
    for nb in notebooks_of(out):
        normalise(nb)
    return out


def release(root: Path = ROOT, work: Path | None = None, only: Iterable[str] | None = None) -> list[str]:
    """Regenerate `root/notebooks/<assignment>/` for every assignment; returns what changed."""
    import tempfile

    changed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="pod-course-release-") as tmp:
        course = temp_course(Path(work or tmp), root)
        for a in only or assignments(root):
            fresh = generate(course, a)
            target = root / "notebooks" / a
            before = _release_files(target)
            # Answer files a learner saved while working in notebooks/ are theirs: keep them.
            kept = {p.relative_to(target): p.read_bytes() for p in target.rglob(ANSWER_FILES)} \
                if target.exists() else {}
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(fresh, target)
            for rel, data in kept.items():
                (target / rel).parent.mkdir(parents=True, exist_ok=True)
                (target / rel).write_bytes(data)
            if before != _release_files(target):
                changed.append(a)
    return changed


def _release_files(folder: Path) -> dict[Path, bytes]:
    if not folder.exists():
        return {}
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and not p.match(ANSWER_FILES) and ".ipynb_checkpoints" not in p.parts}


# ---------------------------------------------------------------------------
# Submissions
# ---------------------------------------------------------------------------


def strip_solution_markers(source: str) -> str:
    return "\n".join(line for line in source.split("\n") if line.strip() not in SOLUTION_MARKERS)


def answer_cells(nb: Any) -> dict[str, Any]:
    """grade_id -> cell for every solution (answer) cell."""
    return {
        c.metadata["nbgrader"]["grade_id"]: c
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }


def grade_cells(nb: Any) -> dict[str, float]:
    """grade_id -> points for every autograded test cell."""
    return {
        c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"].get("points", 0))
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")
    }


def build_submission(release_nb: Path, solution_nb: Path, *, base: str = "solution",
                     patches: Mapping[str, str] | None = None) -> Any:
    """The release notebook as a learner would hand it in.

    `base="solution"` fills every answer cell with the reference answer (as a
    learner would type it, without solution markers); `base="release"` leaves
    them untouched. `patches` then replace whole cells by grade_id, or add new
    cells before an answer cell with the key `before:<grade_id>`.
    """
    nb = nbformat.read(release_nb, as_version=4)
    sol = nbformat.read(solution_nb, as_version=4)
    if base == "solution":
        sol_answers = answer_cells(sol)
        for gid, cell in answer_cells(nb).items():
            cell.source = strip_solution_markers(sol_answers[gid].source)
    answers = answer_cells(nb)
    for key, text in (patches or {}).items():
        if key.startswith("before:"):
            gid = key.split(":", 1)[1]
            idx = nb.cells.index(answers[gid])
            nb.cells.insert(idx, nbformat.v4.new_code_cell(text))
        elif key in answers:
            answers[key].source = text
        else:
            raise KeyError(f"no answer cell {key!r} in {release_nb.name}")
    for i, cell in enumerate(nb.cells):  # new cells need ids nbformat accepts
        if "id" not in cell:
            cell.id = f"learner-{i}"
    return nb


def submit(course: Path, student: str, assignment: str, notebooks: Mapping[str, Any],
           files: Mapping[str, str] | None = None) -> Path:
    """Place notebooks where nbgrader collects submissions: `submitted/<student>/<assignment>/`.

    `files` are other files handed in beside them (name -> text), such as the
    `<name>.answer.yaml` a Pod editor saved.
    """
    folder = course / ".nbgrader" / "submitted" / student / assignment
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name, nb in notebooks.items():
        nbformat.write(nb, folder / f"{name}.ipynb")
    for name, text in (files or {}).items():
        if Path(name).name != name:
            raise ValueError(f"submission file {name!r} must be a plain file name")
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "timestamp.txt").write_text("2026-01-01 00:00:00.000000 UTC\n")
    return folder


def autograde(course: Path, assignment: str) -> str:
    return nbgrader("autograde", assignment, "--force", course=course)


def feedback(course: Path, assignment: str) -> Path:
    nbgrader("generate_feedback", assignment, "--force", course=course)
    return course / ".nbgrader" / "feedback"


@dataclass
class CellScore:
    score: float | None
    max_score: float


@dataclass
class StudentScores:
    cells: dict[str, CellScore] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(c.score or 0.0 for c in self.cells.values())


def scores(course: Path, assignment: str) -> dict[str, StudentScores]:
    """student -> per grade cell (auto) scores, straight from the gradebook."""
    from nbgrader.api import Gradebook

    out: dict[str, StudentScores] = {}
    db = f"sqlite:///{course / '.nbgrader' / 'gradebook.db'}"
    with Gradebook(db, course_id="pod-course") as gb:
        for sub in gb.assignment_submissions(assignment):
            st = out.setdefault(sub.student.id, StudentScores())
            for nb in sub.notebooks:
                for g in nb.grades:
                    st.cells[g.name] = CellScore(g.auto_score, g.max_score)
    return out


# ---------------------------------------------------------------------------
# Scenario tables
# ---------------------------------------------------------------------------


@dataclass
class Scenario:
    """One kind of submission and the result it must get."""

    name: str
    description: str
    base: str
    patches: dict[str, str]
    expect: dict[str, float]  # grade_id -> points; unlisted cells: full marks (base solution) or 0
    feedback: list[str] = field(default_factory=list)  # text that must appear in the feedback
    notebook: str | None = None  # which notebook of the assignment (default: the only one)
    files: dict[str, str] = field(default_factory=dict)  # other files handed in, e.g. editor answers

    def expected(self, cells: Mapping[str, float]) -> dict[str, float]:
        default = (lambda pts: pts) if self.base == "solution" else (lambda pts: 0.0)
        return {gid: float(self.expect.get(gid, default(pts))) for gid, pts in cells.items()}


def scenarios(assignment: str, root: Path = ROOT) -> list[Scenario]:
    path = root / "tests" / "submissions" / f"{assignment}.yaml"
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text()) or {}
    return [
        Scenario(
            name=name,
            description=str(spec.get("description", "")),
            base=spec.get("base", "solution"),
            patches=dict(spec.get("patches") or {}),
            expect={k: float(v) for k, v in (spec.get("expect") or {}).items()},
            feedback=list(spec.get("feedback") or []),
            notebook=spec.get("notebook"),
            files={str(k): str(v) for k, v in (spec.get("files") or {}).items()},
        )
        for name, spec in data.items()
    ]


def comparable(path: Path) -> dict[str, Any]:
    """What a release notebook *says*: sources, cell types and nbgrader metadata.

    Outputs, execution counts, kernel display names and other volatile metadata
    are left out, so two generations on different machines compare equal.
    """
    nb = nbformat.read(path, as_version=4)
    meta = {k: v for k, v in nb.metadata.items() if k not in (*VOLATILE_NB_META, "kernelspec")}
    meta["kernel"] = nb.metadata.get("kernelspec", {}).get("name")
    cells = []
    for c in nb.cells:
        cmeta = {k: v for k, v in c.metadata.items() if k not in VOLATILE_CELL_META}
        cells.append({"type": c.cell_type, "source": c.source, "metadata": cmeta})
    return {"metadata": meta, "cells": cells}


def release_drift(root: Path = ROOT, work: Path | None = None) -> list[str]:
    """Differences between `root/notebooks/` and a fresh generation (empty when in sync)."""
    import tempfile

    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="pod-course-drift-") as tmp:
        course = temp_course(Path(work or tmp), root)
        wanted = assignments(root)
        present = sorted(p.name for p in (root / "notebooks").iterdir() if p.is_dir()) \
            if (root / "notebooks").is_dir() else []
        for extra in sorted(set(present) - set(wanted)):
            problems.append(f"notebooks/{extra}/ has no solutions/{extra}/")
        for a in wanted:
            fresh = generate(course, a)
            for nb in notebooks_of(fresh):
                committed = root / "notebooks" / a / nb.name
                if not committed.exists():
                    problems.append(f"notebooks/{a}/{nb.name} is missing")
                elif comparable(committed) != comparable(nb):
                    problems.append(f"notebooks/{a}/{nb.name} differs from a fresh generation")
            for nb in notebooks_of(root / "notebooks" / a):
                if not (fresh / nb.name).exists():
                    problems.append(f"notebooks/{a}/{nb.name} has no solution notebook")
    return problems
