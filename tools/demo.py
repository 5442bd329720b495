"""Instructor demo: grade a small synthetic class end to end with nbgrader.

Usage: python tools/demo.py [--out demo-out] [ch1 ...]

Builds a course copy in `<out>/course`, releases every chapter that has a
committed release in notebooks/ (or the ones named), hands in one
notebook per student per chapter (answers built from the same scenario tables
the tests use: tests/submissions/<assignment>.yaml), autogrades, exports
`<out>/grades.csv`, copies the feedback HTML to `<out>/feedback/`, and prints
a score table.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import nbformat

from graders import pipeline

# name -> how they work: "reference", "untouched", "cheat", or an index into the
# assignment's non-cheating scenarios (merged with later ones where cells differ).
CLASS: dict[str, str | int] = {
    "ada": "reference",
    "ben": 0,
    "chen": 1,
    "dara": 2,
    "emeka": 3,
    "farah": "untouched",
    "gus": "cheat",
}


GENERIC_CHEAT = """
import graders, importlib, pkgutil
from graders.core import Exercise
for info in pkgutil.iter_modules(graders.__path__):
    module = importlib.import_module("graders." + info.name)
    for key, value in list(vars(module).items()):
        if isinstance(value, Exercise):
            setattr(module, key, lambda *args, **kwargs: 100)
"""


def plan(assignment: str, how: str | int) -> tuple[str, dict[str, str], dict[str, str]]:
    """The base, cell patches and extra files (editor answers) one student hands in for one assignment."""
    if how == "reference":
        return "solution", {}, {}
    if how == "untouched":
        return "release", {}, {}
    table = pipeline.scenarios(assignment)
    if how == "cheat":
        # An empty notebook plus a cheat: the chapter's own, or one that replaces every grader.
        cheats = [s for s in table if s.name.startswith("cheat") and s.base == "release"]
        if cheats:
            return "release", dict(cheats[0].patches), dict(cheats[0].files)
        return "release", {"before:*": GENERIC_CHEAT}, {}
    honest = [s for s in table if not s.name.startswith("cheat")]
    if not honest:
        return "solution", {}, {}
    patches: dict[str, str] = {}
    files: dict[str, str] = {}
    # Every student makes two or three different mistakes, spread over the table.
    for s in honest[int(how) % len(honest)::4]:
        if not set(s.patches) & set(patches) and not set(s.files) & set(files):
            patches.update(s.patches)
            files.update(s.files)
    return "solution", patches, files


def released(root: Path = pipeline.ROOT) -> list[str]:
    """Chapters with a committed student release (`notebooks/<ch>/`) and a solutions folder."""
    return [a for a in pipeline.assignments(root) if pipeline.notebooks_of(root / "notebooks" / a)]


def grade_chapter(course: Path, a: str) -> dict[str, tuple[float, float]]:
    """Release, hand in the whole class, autograde and write feedback; student -> (points, possible)."""
    t0 = time.perf_counter()
    release = pipeline.generate(course, a)
    pairs = [(release / nb.name, nb) for nb in pipeline.notebooks_of(course / "solutions" / a)]
    for student, how in CLASS.items():
        base, patches, files = plan(a, how)
        nbs = {}
        for rel, sol in pairs:
            answer_ids = list(pipeline.answer_cells(nbformat.read(rel, as_version=4)))
            mine = {k: v for k, v in patches.items() if k.split(":", 1)[-1] in answer_ids}
            if "before:*" in patches and answer_ids:
                mine[f"before:{answer_ids[0]}"] = patches["before:*"]
            nbs[rel.stem] = pipeline.build_submission(rel, sol, base=base, patches=mine)
        pipeline.submit(course, student, a, nbs, files=files)
    t1 = time.perf_counter()
    pipeline.autograde(course, a)
    t2 = time.perf_counter()
    pipeline.feedback(course, a)
    n = len(CLASS) * len(pairs)
    print(f"{a}: released and handed in ({t1 - t0:.1f}s), autograded {n} notebooks "
          f"({(t2 - t1) / n:.1f}s each)", flush=True)
    return {student: (sc.total, sum(c.max_score for c in sc.cells.values()))
            for student, sc in pipeline.scores(course, a).items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="chapters to grade (default: every released chapter)")
    parser.add_argument("--out", default=str(pipeline.ROOT / "demo-out"))
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    if (out / "course").exists():
        shutil.rmtree(out / "course")
    course = pipeline.temp_course(out / "course")
    wanted = args.assignments or released()
    if not wanted:
        print("no released chapter: run `make notebooks` first")
        return 1
    totals: dict[str, dict[str, tuple[float, float]]] = {s: {} for s in CLASS}
    failed: list[str] = []
    for a in wanted:
        try:
            per = grade_chapter(course, a)
        except Exception as exc:  # one broken chapter must not hide the others' results
            failed.append(a)
            print(f"{a}: FAILED ({type(exc).__name__}): {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}",
                  flush=True)
            continue
        for student, got in per.items():
            totals.setdefault(student, {})[a] = got
    pipeline.nbgrader("export", "--to", str(out / "grades.csv"), course=course)
    if (out / "feedback").exists():
        shutil.rmtree(out / "feedback")
    fb = course / ".nbgrader" / "feedback"
    if fb.exists():
        shutil.copytree(fb, out / "feedback")

    width = max(len(a) for a in wanted) + 8
    print()
    print("student  " + "".join(f"{a:>{width}}" for a in wanted) + f"{'total':>{width}}")
    for student, per in totals.items():
        got = sum(v[0] for v in per.values())
        possible = sum(v[1] for v in per.values())
        cells = "".join(f"{f'{per[a][0]:g}/{per[a][1]:g}':>{width}}" if a in per else f"{'-':>{width}}"
                        for a in wanted)
        print(f"{student:<9}{cells}{f'{got:g}/{possible:g}':>{width}}")
    print(f"\ngrades: {out / 'grades.csv'}\nfeedback: {out / 'feedback'}/<student>/<assignment>/*.html")
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
