"""Generate the student notebooks (`notebooks/<assignment>/`) from `solutions/`.

Usage: python tools/release.py [--check] [ch1 ...]

Without arguments every assignment is regenerated with `nbgrader
generate_assignment` and normalised (no outputs, no volatile metadata) so the
committed release is reproducible. `--check` changes nothing and exits 1 when
the committed release has drifted from the solutions.
"""

from __future__ import annotations

import argparse
import sys

from graders import pipeline


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
