"""Generate the student notebooks (`notebooks/<assignment>/`) from `solutions/`.

Usage: python tools/release.py [--check] [ch1 ...]

Without arguments every assignment is regenerated with `nbgrader
generate_assignment` and normalised (no outputs, no volatile metadata) so the
committed release is reproducible. `--check` changes nothing and exits 1 when
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
