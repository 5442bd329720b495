"""Generate the student notebooks (`notebooks/<assignment>/`) from `solutions/`.

Usage: python tools/release.py [--check] [--no-gradebook] [ch1 ...]

Without arguments every assignment is regenerated with `nbgrader
generate_assignment` and normalised (no outputs, no volatile metadata) so the
committed release is reproducible; each is then registered in the course's own
gradebook (`.nbgrader/gradebook.db`), so `nbgrader autograde chN` finds it
(`--no-gradebook` skips that). `--check` changes nothing and exits 1 when
the committed release has drifted from the solutions.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
try:
    import nbformat  # noqa: F401  (nbgrader and nbformat come with the course's virtualenv)
except ImportError:  # run with a Python that lacks them, e.g. `python3 tools/release.py --check`
    VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
    if VENV_PYTHON.is_file() and Path(sys.executable).resolve() != VENV_PYTHON.resolve():
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), __file__, *sys.argv[1:]])
    sys.exit("tools/release.py needs the course's virtualenv: run `make notebooks` (or `make test` once) first.")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from graders import pipeline  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    parser.add_argument("--check", action="store_true", help="only report drift; exit 1 if any")
    parser.add_argument("--no-gradebook", action="store_true",
                        help="do not register the assignments in the course's own gradebook")
    args = parser.parse_args(argv)
    if args.check:
        problems = pipeline.release_drift()
        for p in problems:
            print(p)
        if problems:
            print("run `make notebooks` and commit the result")
        return 1 if problems else 0
    changed = pipeline.release(only=args.assignments or None)
    names = ", ".join(args.assignments or pipeline.assignments())
    print(f"released {names}; changed: {', '.join(changed) or 'nothing'}")
    if not args.no_gradebook:
        return register(args.assignments or pipeline.assignments())
    return 0


def register(assignments: list[str]) -> int:
    """Teach the repository's own gradebook each assignment (notebooks, grade cells, checksums).

    The release above is generated in a throw-away course, so without this `nbgrader autograde chN`
    at the root would refuse with "No assignment with ID 'chN' exists in the database".
    """
    from course.grading.grade import GradeError, load_course, register_assignment

    try:
        course = load_course(ROOT)
        for a in assignments:
            register_assignment(course, a)
    except GradeError as exc:
        print(f"tools/release.py: {exc}", file=sys.stderr)
        return 1
    print(f"registered in {course.db}: {', '.join(assignments)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
