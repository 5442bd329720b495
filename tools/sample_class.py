"""A sample class for `pod-course grade`: N submissions of one chapter, some of them broken.

Honest submissions cycle through the demo class (`tools/demo.py`: the reference answers,
students making the mistakes of `tests/submissions/<chN>.yaml`, the untouched release, a
cheat); `BROKEN` lists hand-ins that cannot be graded at all. Used by tests/test_grade.py and
benchmarks/bench_grade.py; every course it builds is a throw-away copy (`pipeline.temp_course`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

from graders import pipeline

sys.path.insert(0, str(Path(__file__).resolve().parent))
import demo

# Code put before the first answer cell of a broken submission.
KERNEL_DEATH = "import os\nos._exit(1)  # the kernel process ends at once\n"
ENDLESS_LOOP = "while True:\n    pass\n"

BROKEN = {
    "invalid-json": "one notebook file is cut off half-way (not valid JSON)",
    "kernel-death": "a cell ends the kernel's process",
    "endless-loop": "a cell never finishes",
    "no-notebook": "the folder holds only an editor answer file, no notebook",
    "other-chapter": "the notebook of another chapter, under this chapter's notebook name",
    "other-chapter-name": "only the notebook of another chapter, under its own name",
}


def make_course(dest: Path, assignment: str, other: str | None = None) -> Path:
    """A throw-away course in `dest` with `assignment` (and `other`, for wrong-chapter hand-ins) generated."""
    course = pipeline.temp_course(dest)
    for a in (assignment, other):
        if a:
            pipeline.generate(course, a)
    return course


def _pairs(course: Path, assignment: str) -> list[tuple[Path, Path]]:
    release = course / "notebooks" / assignment
    return [(release / nb.name, nb) for nb in pipeline.notebooks_of(course / "solutions" / assignment)]


def honest(course: Path, assignment: str, student: str, how: str | int) -> None:
    """Hand in one submission the way a demo student `how` would (see `demo.CLASS`)."""
    base, patches, files = demo.plan(assignment, how)
    nbs = {}
    for rel, sol in _pairs(course, assignment):
        answer_ids = list(pipeline.answer_cells(nbformat.read(rel, as_version=4)))
        mine = {k: v for k, v in patches.items() if k.split(":", 1)[-1] in answer_ids}
        if "before:*" in patches and answer_ids:
            mine[f"before:{answer_ids[0]}"] = patches["before:*"]
        nbs[rel.stem] = pipeline.build_submission(rel, sol, base=base, patches=mine)
    pipeline.submit(course, student, assignment, nbs, files=files)


def hand_in(course: Path, assignment: str, n: int, prefix: str = "s") -> list[str]:
    """`n` honest submissions `s001`, `s002`, ... cycling through the demo class; returns the student ids."""
    kinds = list(demo.CLASS.values())
    students = [f"{prefix}{i + 1:03d}" for i in range(n)]
    for i, student in enumerate(students):
        honest(course, assignment, student, kinds[i % len(kinds)])
    return students


def broken(course: Path, assignment: str, student: str, kind: str, other: str | None = None) -> None:
    """Hand in one submission of kind `kind` (a key of `BROKEN`); `other` names the wrong chapter."""
    pairs = _pairs(course, assignment)
    if kind in ("kernel-death", "endless-loop"):
        code = KERNEL_DEATH if kind == "kernel-death" else ENDLESS_LOOP
        nbs = {}
        for rel, sol in pairs:
            first = next(iter(pipeline.answer_cells(nbformat.read(rel, as_version=4))))
            nbs[rel.stem] = pipeline.build_submission(rel, sol, base="solution", patches={f"before:{first}": code})
        pipeline.submit(course, student, assignment, nbs)
    elif kind == "invalid-json":
        honest(course, assignment, student, "reference")
        for rel, _ in pairs:
            path = course / ".nbgrader" / "submitted" / student / assignment / rel.name
            text = path.read_text(encoding="utf-8")
            path.write_text(text[: len(text) // 2], encoding="utf-8")
    elif kind == "no-notebook":
        folder = pipeline.submit(course, student, assignment, {})
        (folder / "first-pod.answer.yaml").write_text("apiVersion: v1\nkind: Pod\n", encoding="utf-8")
    elif kind in ("other-chapter", "other-chapter-name"):
        if not other:
            raise ValueError(f"{kind} needs the other chapter")
        theirs = _pairs(course, other)
        nbs = {}
        for i, (rel, sol) in enumerate(theirs):
            name = pairs[min(i, len(pairs) - 1)][0].stem if kind == "other-chapter" else rel.stem
            nbs[name] = pipeline.build_submission(rel, sol, base="solution")
        pipeline.submit(course, student, assignment, nbs)
    else:
        raise KeyError(f"unknown kind of broken submission {kind!r}; one of {', '.join(BROKEN)}")
