"""`pod-course`: a thin command line over the library's plain functions.

Exit codes: 0 no error findings, 1 at least one error finding, 2 the command
itself could not run (bad flag, unreadable path, unknown version or preset).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO

if TYPE_CHECKING:  # pragma: no cover
    from course.checker.model import Result

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
# Read one byte past the loader's 1 MiB limit so an oversized stdin is reported, not truncated.
STDIN_LIMIT = (1 << 20) + 1


class UsageError(Exception):
    """The command could not run; exit status 2."""


def _manifest_paths(arg: str) -> Iterator[tuple[str, Path | None]]:
    """(source as shown, path) for one PATH argument; `-` is stdin (path None)."""
    if arg == "-":
        yield "-", None
        return
    p = Path(arg)
    if p.is_dir():
        found = sorted(
            q for q in p.rglob("*") if q.suffix.lower() in MANIFEST_SUFFIXES and q.is_file()
        )
        if not found:
            raise UsageError(f"{arg}: no *.yaml, *.yml or *.json files below this directory")
        for q in found:
            yield str(q), q
        return
    if not p.exists():
        raise UsageError(f"{arg}: no such file or directory")
    yield arg, p


def run_check(
    paths: Sequence[str],
    *,
    fmt: str = "text",
    k8s_version: str | None = None,
    pss_version: str = "latest",
    preset: str = "default",
    disable: Sequence[str] = (),
    stdin: BinaryIO | None = None,
    out: TextIO | None = None,
) -> int:
    """Check manifests and print a report; returns the exit status."""
    from course.checker import engine, loader, presets, pss, schema
    from course.checker.model import DEFAULT_K8S_VERSION, Options

    out = out or sys.stdout
    try:
        k8s = k8s_version or DEFAULT_K8S_VERSION
        schema.check_version(k8s)
        pss_v = pss.check_version(pss_version)
        options = Options(
            k8s_version=k8s.removeprefix("v"),
            pss_version=pss_v,
            preset=preset,
            disabled=frozenset(disable),
        )
        presets.enabled_lints(options)  # raises ValueError naming the valid presets
        results: list[Result] = []
        for arg in paths:
            for source, path in _manifest_paths(arg):
                if path is None:
                    data = (stdin or sys.stdin.buffer).read(STDIN_LIMIT)
                    docs = loader.load_documents(data, source)
                else:
                    try:
                        docs = loader.load_file(path, source)
                    except OSError as exc:
                        raise UsageError(f"{source}: cannot read: {exc.strerror or exc}") from exc
                results.extend(engine.check_document(d, options) for d in docs)
    except (UsageError, ValueError) as exc:
        print(f"pod-course: error: {exc}", file=sys.stderr)
        return 2
    if fmt == "json":
        json.dump({"results": [r.to_dict() for r in results]}, out, indent=2)
        out.write("\n")
    else:
        out.write(format_text(results))
    return 1 if any(not r.valid for r in results) else 0


def format_text(results: Sequence[Result]) -> str:
    """A compiler-style report: one line per finding, its hint, then a summary per document."""
    lines: list[str] = []
    for r in results:
        for f in r.findings:
            loc = r.source
            if f.line is not None:
                loc += f":{f.line}:{f.column}"
            where = f"{f.path}: " if f.path else ""
            lines.append(f"{loc}: {f.severity}: {where}{f.message} ({f.rule})")
            if f.hint:
                lines.append(f"    hint: {f.hint}")
        lines.append(summary_line(r))
    return "\n".join(lines) + ("\n" if lines else "")


def summary_line(r: Result) -> str:
    counts = {s: sum(1 for f in r.findings if f.severity == s) for s in ("error", "warning", "info")}
    what = f"{r.kind or '?'}/{r.name or '?'}"
    parts = [
        f"{counts['error']} error{'s' * (counts['error'] != 1)}",
        f"{counts['warning']} warning{'s' * (counts['warning'] != 1)}",
    ]
    tail = ""
    if r.qos_class:
        tail += f"; QoS {r.qos_class}"
    if r.pod_security:
        tail += f"; PSS {r.pod_security.level} ({r.pod_security.version})"
    verdict = "valid" if r.valid else "INVALID"
    return f"{r.source}[{r.index}] {what}: {verdict}, {', '.join(parts)}{tail}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pod-course", description="Hands-on Kubernetes Pods course: checker and tools."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="check Pod manifests (and workload pod templates)")
    check.add_argument("paths", nargs="+", metavar="PATH", help="file, directory, or - for stdin")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--pss-version", default="latest", help="latest or v1.N (default: latest)")
    check.add_argument("--k8s-version", default=None, help="Kubernetes schema version 1.N")
    check.add_argument("--preset", default="default", help="lint preset, e.g. ch7 or all")
    check.add_argument(
        "--disable", action="append", default=[], metavar="RULE", help="switch a lint off (repeatable)"
    )

    cluster = sub.add_parser("cluster", help="manage the course cluster (kind, or the local engine)")
    cluster.add_argument("action", choices=("up", "down", "status", "load-images", "build"))
    cluster.add_argument(
        "--engine", choices=("kind", "local"), default=None,
        help="kind (default for up: nodes in Docker) or local (root on Linux, no Docker: upstream components "
        "built from source as processes); down/status/load-images use the one that is up",
    )
    cluster.add_argument("--name", default="pod-course", help="kind cluster name (default: pod-course)")
    cluster.add_argument("--pull", action="store_true",
                         help="kind only: pull the published images instead of building the Debian stand-ins")

    grade = sub.add_parser(
        "grade", help="autograde every collected submission of an assignment, several at once",
        description="Autograde submitted/<student>/ASSIGNMENT/ for every student with nbgrader, one worker "
        "process per submission, and print a summary table. Exit status: 0 all graded, 1 some submissions "
        "failed (named in the table, scored 0), 2 grading could not start.",
    )
    grade.add_argument("assignment", metavar="ASSIGNMENT", help="assignment id, e.g. ch1")
    grade.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                       help="submissions graded at once (default: the number of CPU cores)")
    grade.add_argument("--student", action="append", default=[], metavar="ID",
                       help="grade only this student (repeatable)")
    grade.add_argument("--live", choices=("auto", "required", "off"), default="auto",
                       help="live cells: auto (default) and required grade them on the course cluster and refuse "
                       "to start without one; off grades them as not graded (0 points)")
    grade.add_argument("--timeout", type=float, default=600.0, metavar="S",
                       help="stop a submission after S seconds; it scores 0 (default: 600)")
    grade.add_argument("--force", action="store_true",
                       help="grade every submission again, also those unchanged since the last grade")
    grade.add_argument("--quiet", "-q", action="store_true", help="print only the summary table")
    grade.add_argument("--course", default=".", metavar="DIR",
                       help="the course folder holding nbgrader_config.py (default: the current folder)")

    course_help = "the course folder holding nbgrader_config.py (default: the current folder)"
    feedback = sub.add_parser(
        "feedback", help="write per-student feedback HTML for an autograded assignment",
        description="Write feedback/<student>/ASSIGNMENT/*.html for every autograded submission with nbgrader's "
        "generate_feedback: each check's title, points and message, never the hidden tests or the solutions. "
        "Exit status: 0 all written, 1 some submissions have no feedback (named), 2 could not run.",
    )
    feedback.add_argument("assignment", metavar="ASSIGNMENT", help="assignment id, e.g. ch1")
    feedback.add_argument("--student", action="append", default=[], metavar="ID",
                          help="only this student (repeatable)")
    feedback.add_argument("--max-output", type=int, default=8192, metavar="BYTES",
                          help="output kept per learner cell; the rest is cut with a note (default: 8192)")
    feedback.add_argument("--course", default=".", metavar="DIR", help=course_help)

    export = sub.add_parser(
        "export", help="export the gradebook as CSV, or for import into Canvas or Moodle",
        description="Write the gradebook (one assignment, or every assignment) as a plain CSV (student, assignment, "
        "score, max) or in the grade import layout of Canvas or Moodle. Default file: "
        ".nbgrader/exports/<ASSIGNMENT or course>-<grades|canvas|moodle>.csv.",
    )
    export.add_argument("assignment", nargs="?", default=None, metavar="ASSIGNMENT",
                        help="assignment id, e.g. ch1 (default: the whole course)")
    export.add_argument("--to", choices=("csv", "canvas", "moodle"), default="csv", help="format (default: csv)")
    export.add_argument("--out", default=None, metavar="FILE", help="where to write it")
    export.add_argument("--canvas-id", action="append", default=[], metavar="ASSIGNMENT=ID",
                        help="Canvas assignment id, so the column reads `ch1 (12345)` (repeatable)")
    export.add_argument("--course", default=".", metavar="DIR", help=course_help)

    stats = sub.add_parser(
        "stats", help="class statistics of a graded assignment, per exercise and per check",
        description="Print how many students earned full marks on each exercise and passed each check; "
        "--html also writes a small report with bar charts.",
    )
    stats.add_argument("assignment", metavar="ASSIGNMENT", help="assignment id, e.g. ch1")
    stats.add_argument("--html", default=None, metavar="FILE", help="also write an HTML report here")
    stats.add_argument("--course", default=".", metavar="DIR", help=course_help)

    rules = sub.add_parser("rules", help="list every rule with its summary")
    rules.add_argument("--format", choices=("text", "json"), default="text")
    return parser


def run_rules(fmt: str, out: TextIO | None = None) -> int:
    from course.findings import all_rules

    out = out or sys.stdout
    rules = sorted(all_rules().values(), key=lambda r: (r.category, r.id))
    if fmt == "json":
        json.dump(
            [
                {"id": r.id, "severity": r.severity, "category": r.category, "summary": r.summary,
                 "hint": r.hint, "docs": r.docs}
                for r in rules
            ],
            out,
            indent=2,
        )
        out.write("\n")
        return 0
    for r in rules:
        out.write(f"{r.id:32} {r.severity:8} {r.category:10} {r.summary}\n")
    return 0


def _engine(action: str, engine: str | None) -> str:
    """The engine an action means: the one named, else for `up` kind, else the local one if it exists."""
    if engine:
        return engine
    if action in ("up", "build"):
        return "kind" if action == "up" else "local"
    from course.cluster.local import engine as local

    return "local" if local.state_dir().exists() else "kind"


def run_cluster(action: str, *, name: str = "pod-course", engine: str | None = None, pull: bool = False) -> int:
    """`pod-course cluster ACTION`: 0 on success, 1 when the cluster is not usable, 2 when a tool is missing."""
    from course.cluster import kind
    from course.cluster.errors import ClusterError
    from course.cluster.local import engine as local

    def say(line: str) -> None:
        print(line, flush=True)

    which = _engine(action, engine)
    try:
        if which == "local":
            if action == "build":
                from course.cluster.local import build, images

                build.build_all(say=say)
                images.build_all(say=say)
                print(f"binaries and images are in {build.cache_root()}")
                return 0
            if action == "up":
                local.up(say=say)
                print(local.status())
                return 0
            if action == "down":
                removed = local.down(say=say)
                left = local.leftovers()
                if left:
                    print("left behind: " + "; ".join(left), file=sys.stderr)
                    return 1
                print("removed" if removed else "no local cluster")
                return 0
            if action == "load-images":
                loaded = local.load_images(say=say)
                print(f"loaded {len(loaded)} image(s)")
                return 0
            lst = local.status()
            print(lst)
            return 0 if lst.ok else 1
        if action == "build":
            print("`build` prepares the local engine: use `pod-course cluster build --engine local`.", file=sys.stderr)
            return 2
        if action == "up":
            kind.up(name=name, say=say, pull=pull)
            print(kind.status(name=name))
            return 0
        if action == "down":
            print("deleted" if kind.down(name=name, say=say) else f"no kind cluster named {name!r}")
            return 0
        if action == "load-images":
            loaded = kind.load_images(name=name, say=say, pull=pull)
            print(f"loaded {len(loaded)} image(s)")
            return 0
        st = kind.status(name=name)
        print(st)
        return 0 if st.ok else 1
    except ClusterError as exc:
        print(f"pod-course: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            return run_check(
                args.paths,
                fmt=args.format,
                k8s_version=args.k8s_version,
                pss_version=args.pss_version,
                preset=args.preset,
                disable=args.disable,
            )
        if args.command == "rules":
            return run_rules(args.format)
        if args.command == "cluster":
            return run_cluster(args.action, name=args.name, engine=args.engine, pull=args.pull)
        if args.command == "grade":
            from course.grading import grade

            return grade.main(args.assignment, course_root=Path(args.course), jobs=args.jobs, students=args.student,
                              live=args.live, timeout=args.timeout, force=args.force, quiet=args.quiet)
        if args.command == "feedback":
            from course.grading import feedback

            return feedback.main(args.assignment, course_root=Path(args.course), students=args.student,
                                 cell_bytes=args.max_output)
        if args.command == "export":
            from course.grading import export

            return export.main(args.assignment, fmt=args.to, out=Path(args.out) if args.out else None,
                               course_root=Path(args.course), canvas_ids=args.canvas_id)
        if args.command == "stats":
            from course.grading import stats

            return stats.main(args.assignment, course_root=Path(args.course),
                              html_file=Path(args.html) if args.html else None)
    except BrokenPipeError:  # `pod-course check ... | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        return 130
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
