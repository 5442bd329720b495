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
    from course.checker.model import Options, Result

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
# Read one byte past the loader's 1 MiB limit so an oversized stdin is reported, not truncated.
STDIN_LIMIT = (1 << 20) + 1
# `--jobs` starts worker processes only for at least this many files; for fewer, starting them costs more.
PARALLEL_MIN_FILES = 8


class UsageError(Exception):
    """The command could not run; exit status 2."""


def _manifest_paths(arg: str) -> Iterator[tuple[str, Path | None]]:
    """(source as shown, path) for one PATH argument; `-` is stdin (path None)."""
    if arg == "-":
        yield "-", None
        return
    p = Path(arg)
    if p.is_dir():
        found = sorted(q for q in p.rglob("*") if q.suffix.lower() in MANIFEST_SUFFIXES and q.is_file())
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
    jobs: int = 1,
    quiet: bool = False,
) -> int:
    """Check manifests and print a report; returns the exit status.

    `jobs` > 1 checks files in that many worker processes (stdin stays in this one); the report is the
    same as a serial run's, in input order. `quiet` prints only error findings in the text format.
    """
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
        items = [item for arg in paths for item in _manifest_paths(arg)]
        results: list[Result] = []
        for source, checked in _check_items(items, options, jobs):
            if checked is None:  # stdin, always read and checked in this process
                data = (stdin or sys.stdin.buffer).read(STDIN_LIMIT)
                checked = [engine.check_document(d, options) for d in loader.load_documents(data, source)]
            elif isinstance(checked, str):
                raise UsageError(f"{source}: cannot read: {checked}")
            results.extend(checked)
    except (UsageError, ValueError) as exc:
        print(f"pod-course: error: {exc}", file=sys.stderr)
        return 2
    if fmt == "json":
        out.write(format_json(results))
    elif fmt in ("sarif", "junit"):
        from course import reports

        out.write(reports.format_sarif(results) if fmt == "sarif" else reports.format_junit(results))
    else:
        out.write(format_text(results, quiet=quiet, files=len(items)))
    return 1 if any(not r.valid for r in results) else 0


def _check_path(item: tuple[str, Path], options: Options) -> list[Result] | str:
    """The results for one file, or why it could not be read (the OSError's text).

    The loaded documents are dropped (`Result.data`): no report needs them, and over many files
    they would only fill memory (and a worker's pipe).
    """
    from course.checker import engine, loader

    source, path = item
    try:
        docs = loader.load_file(path, source)
    except OSError as exc:
        return str(exc.strerror or exc)
    results = [engine.check_document(d, options) for d in docs]
    for r in results:
        r.data = None
    return results


def _check_items(
    items: Sequence[tuple[str, Path | None]], options: Options, jobs: int
) -> Iterator[tuple[str, list[Result] | str | None]]:
    """(source, results or the read error) per item in input order; None for stdin, which the caller reads.

    With jobs > 1 and enough files, files are checked by forked worker processes, several files per task.
    """
    files = [(s, p) for s, p in items if p is not None]
    if jobs > 1 and len(files) >= PARALLEL_MIN_FILES:
        import multiprocessing

        if "fork" in multiprocessing.get_all_start_methods():
            import functools

            workers = min(jobs, len(files))
            chunk = max(1, min(64, len(files) // (workers * 8)))
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                done = pool.imap(functools.partial(_check_path, options=options), files, chunksize=chunk)
                for source, path in items:
                    yield source, (None if path is None else next(done))
            return
    for source, path in items:
        yield source, (None if path is None else _check_path((source, path), options))


def format_json(results: Sequence[Result]) -> str:
    """`{"results": [...]}` with one result per line (json's C encoder; indent=2 would use the slow Python one)."""
    if not results:
        return '{"results": []}\n'
    encode = json.JSONEncoder(check_circular=False).encode  # to_dict() builds trees, never cycles
    return '{"results": [\n' + ",\n".join(encode(r.to_dict()) for r in results) + "\n]}\n"


def format_text(results: Sequence[Result], *, quiet: bool = False, files: int | None = None) -> str:
    """A compiler-style report: one line per finding, its hint, then a summary per document.

    `quiet` keeps only error findings (no per-document summaries). When more than one document or
    file was checked (`files`, default: the distinct sources), a last line sums up everything.
    """
    lines: list[str] = []
    for r in results:
        for f in r.findings:
            if quiet and f.severity != "error":
                continue
            loc = r.source
            if f.line is not None:
                loc += f":{f.line}:{f.column}"
            where = f"{f.path}: " if f.path else ""
            lines.append(f"{loc}: {f.severity}: {where}{f.message} ({f.rule})")
            if f.hint:
                lines.append(f"    hint: {f.hint}")
        if not quiet:
            lines.append(summary_line(r))
    nfiles = len({r.source for r in results}) if files is None else files
    if len(results) > 1 or nfiles > 1:
        lines.append(totals_line(results, nfiles))
    return "\n".join(lines) + ("\n" if lines else "")


def totals_line(results: Sequence[Result], files: int) -> str:
    """One line over every document, e.g. `2328 documents in 1395 files: 12 invalid, 40 errors, 310 warnings`."""
    severities = [f.severity for r in results for f in r.findings]
    invalid = sum(1 for r in results if not r.valid)
    return (
        f"{_plural(len(results), 'document')} in {_plural(files, 'file')}: {invalid} invalid, "
        f"{_plural(severities.count('error'), 'error')}, {_plural(severities.count('warning'), 'warning')}"
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


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


def _jobs(value: str) -> int:
    """`--jobs N`: a count of processes; 0 or `auto` is one per CPU core."""
    if value.strip().lower() == "auto":
        return os.cpu_count() or 1
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of processes or 'auto'") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"{n} is negative; use 1 or more, or 0/auto for one per CPU core")
    return n or os.cpu_count() or 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pod-course", description="Hands-on Kubernetes Pods course: checker and tools."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="check Pod manifests (and workload pod templates)")
    check.add_argument("paths", nargs="+", metavar="PATH", help="file, directory, or - for stdin")
    check.add_argument("--format", choices=("text", "json", "sarif", "junit"), default="text")
    check.add_argument("--pss-version", default="latest", help="latest or v1.N (default: latest)")
    check.add_argument("--k8s-version", default=None, help="Kubernetes schema version 1.N")
    check.add_argument("--preset", default="default", help="lint preset, e.g. ch7 or all")
    check.add_argument("--disable", action="append", default=[], metavar="RULE", help="switch a lint off (repeatable)")
    check.add_argument(
        "--jobs",
        "-j",
        type=_jobs,
        default=1,
        metavar="N",
        help="check files in N processes, report in input order (0 or auto: one per CPU core; default: 1)",
    )
    check.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="text format: print only error findings (and the summary line when several documents are checked)",
    )

    cluster = sub.add_parser("cluster", help="manage the course cluster (kind, or the local engine)")
    cluster.add_argument("action", choices=("up", "down", "status", "load-images", "build"))
    cluster.add_argument(
        "--engine",
        choices=("kind", "local"),
        default=None,
        help="kind (default for up: nodes in Docker) or local (root on Linux, no Docker: upstream components "
        "built from source as processes); down/status/load-images use the one that is up",
    )
    cluster.add_argument("--name", default="pod-course", help="kind cluster name (default: pod-course)")
    cluster.add_argument(
        "--pull",
        action="store_true",
        help="kind only: pull the published images instead of building the Debian stand-ins",
    )

    grade = sub.add_parser(
        "grade",
        help="autograde every collected submission of an assignment, several at once",
        description="Autograde submitted/<student>/ASSIGNMENT/ for every student with nbgrader, one worker "
        "process per submission, and print a summary table. Exit status: 0 all graded, 1 some submissions "
        "failed (named in the table, scored 0), 2 grading could not start.",
    )
    grade.add_argument("assignment", metavar="ASSIGNMENT", help="assignment id, e.g. ch1")
    grade.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=None,
        metavar="N",
        help="submissions graded at once (default: 1.5x the number of CPU cores, which keeps them busy)",
    )
    grade.add_argument(
        "--student", action="append", default=[], metavar="ID", help="grade only this student (repeatable)"
    )
    grade.add_argument(
        "--live",
        choices=("auto", "required", "off"),
        default="auto",
        help="live cells: auto (default) and required grade them on the course cluster and refuse "
        "to start without one; off grades them as not graded (0 points)",
    )
    grade.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        metavar="S",
        help="stop a submission after S seconds; it scores 0 (default: 600)",
    )
    grade.add_argument(
        "--force", action="store_true", help="grade every submission again, also those unchanged since the last grade"
    )
    grade.add_argument("--quiet", "-q", action="store_true", help="print only the summary table")
    grade.add_argument(
        "--course",
        default=".",
        metavar="DIR",
        help="the course folder holding nbgrader_config.py (default: the current folder)",
    )

    course_help = "the course folder holding nbgrader_config.py (default: the current folder)"
    feedback = sub.add_parser(
        "feedback",
        help="write per-student feedback HTML for an autograded assignment",
        description="Write feedback/<student>/ASSIGNMENT/*.html for every autograded submission with nbgrader's "
        "generate_feedback: each check's title, points and message, never the hidden tests or the solutions. "
        "Exit status: 0 all written, 1 some submissions have no feedback (named), 2 could not run.",
    )
    feedback.add_argument("assignment", metavar="ASSIGNMENT", help="assignment id, e.g. ch1")
    feedback.add_argument("--student", action="append", default=[], metavar="ID", help="only this student (repeatable)")
    feedback.add_argument(
        "--max-output",
        type=int,
        default=8192,
        metavar="BYTES",
        help="output kept per learner cell; the rest is cut with a note (default: 8192)",
    )
    feedback.add_argument("--course", default=".", metavar="DIR", help=course_help)

    export = sub.add_parser(
        "export",
        help="export the gradebook as CSV, or for import into Canvas or Moodle",
        description="Write the gradebook (one assignment, or every assignment) as a plain CSV (student, assignment, "
        "score, max) or in the grade import layout of Canvas or Moodle. Default file: "
        ".nbgrader/exports/<ASSIGNMENT or course>-<grades|canvas|moodle>.csv.",
    )
    export.add_argument(
        "assignment",
        nargs="?",
        default=None,
        metavar="ASSIGNMENT",
        help="assignment id, e.g. ch1 (default: the whole course)",
    )
    export.add_argument("--to", choices=("csv", "canvas", "moodle"), default="csv", help="format (default: csv)")
    export.add_argument("--out", default=None, metavar="FILE", help="where to write it")
    export.add_argument(
        "--canvas-id",
        action="append",
        default=[],
        metavar="ASSIGNMENT=ID",
        help="Canvas assignment id, so the column reads `ch1 (12345)` (repeatable)",
    )
    export.add_argument("--course", default=".", metavar="DIR", help=course_help)

    stats = sub.add_parser(
        "stats",
        help="class statistics of a graded assignment, per exercise and per check",
        description="Print how many students earned full marks on each exercise and passed each check; "
        "--html also writes a small report with bar charts.",
    )
    stats.add_argument("assignment", metavar="ASSIGNMENT", help="assignment id, e.g. ch1")
    stats.add_argument("--html", default=None, metavar="FILE", help="also write an HTML report here")
    stats.add_argument("--course", default=".", metavar="DIR", help=course_help)

    student = sub.add_parser(
        "student-release",
        help="write the course as learners get it: no solutions, no hidden checks",
        description="Write OUT: course/, graders/ without any hidden check, notebooks/, binder/, the README and "
        "pyproject.toml; no solutions/, tests/ or instructor docs. Hand learners OUT (a git repository, a Binder, "
        "or `pip wheel OUT`); grade with the full repository. With PODCOURSE_PRIVATE set, the private overlay's "
        "solutions make the notebooks and its hidden checks are counted (not named) in the self-checks.",
    )
    student.add_argument("out", metavar="OUT", help="an empty or new folder")
    student.add_argument("--force", action="store_true", help="replace OUT if it is not empty")
    student.add_argument("--course", default=None, metavar="DIR",
                         help="the full course repository (default: the one this pod-course runs from)")

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
                {
                    "id": r.id,
                    "severity": r.severity,
                    "category": r.category,
                    "summary": r.summary,
                    "hint": r.hint,
                    "docs": r.docs,
                }
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


def _tune_gc() -> None:
    """Fewer cyclic-GC passes for a one-shot `check` (about 5 % of its time over many files).

    Checking allocates many dicts and lists that live until the report is printed, which sets off
    collections that find nothing; the modules' objects are frozen out of them altogether.
    """
    import gc

    gc.freeze()
    gc.set_threshold(20_000, 20, 50)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            if argv is None:  # this process is the command: its objects live until it exits
                _tune_gc()
            return run_check(
                args.paths,
                fmt=args.format,
                k8s_version=args.k8s_version,
                pss_version=args.pss_version,
                preset=args.preset,
                disable=args.disable,
                jobs=args.jobs,
                quiet=args.quiet,
            )
        if args.command == "rules":
            return run_rules(args.format)
        if args.command == "cluster":
            return run_cluster(args.action, name=args.name, engine=args.engine, pull=args.pull)
        if args.command == "grade":
            # jsonschema (through nbformat) builds rfc3987_syntax's grammar at import, 1.7 s here, only for
            # "iri" formats no notebook schema has; see course.grading.worker.
            sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
            from course.grading import grade

            return grade.main(
                args.assignment,
                course_root=Path(args.course),
                jobs=args.jobs,
                students=args.student,
                live=args.live,
                timeout=args.timeout,
                force=args.force,
                quiet=args.quiet,
            )
        if args.command == "feedback":
            from course.grading import feedback

            return feedback.main(
                args.assignment, course_root=Path(args.course), students=args.student, cell_bytes=args.max_output
            )
        if args.command == "export":
            from course.grading import export

            return export.main(
                args.assignment,
                fmt=args.to,
                out=Path(args.out) if args.out else None,
                course_root=Path(args.course),
                canvas_ids=args.canvas_id,
            )
        if args.command == "student-release":
            from course.grading import confidential

            return confidential.main(Path(args.out), course_root=Path(args.course) if args.course else None,
                                     force=args.force)
        if args.command == "stats":
            from course.grading import stats

            return stats.main(
                args.assignment, course_root=Path(args.course), html_file=Path(args.html) if args.html else None
            )
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
