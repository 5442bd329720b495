"""`pod-course grade`: autograde a whole class in parallel, one worker process per submission.

Every collected submission (`submitted/<student>/<assignment>/`) is graded by its own
`python -m course.grading.worker` process: nbgrader's autograde for that one student, into a
private copy of the gradebook and a private autograded folder. The parent merges each result
into the real gradebook through nbgrader's `Gradebook` API, one at a time under a lock file,
so the gradebook ends up as serial `nbgrader autograde ASSIGNMENT` leaves it, and two
overlapping runs cannot corrupt it. A submission that cannot be graded (invalid notebook, a
dead kernel, a timeout, the wrong notebook) scores 0, is flagged for review in the
formgrader and is named in the summary; the others go on.

Re-running grades only the submissions whose files (or the assignment, the graders, the
nbgrader config or the live mode) changed since their last clean grade, unless `force`.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from course.grading import gradebook as gbk
from course.grading.worker import Job
from graders import private

LIVE_MODES = ("auto", "required", "off")
DEFAULT_TIMEOUT = 600.0  # seconds per submission
STATE_VERSION = 1
SUBMISSION_IGNORE = (".ipynb_checkpoints", "__pycache__")


class GradeError(Exception):
    """`grade` cannot start or go on: a plain message for the instructor (exit status 2)."""


# ---------------------------------------------------------------------------
# The course and what to grade
# ---------------------------------------------------------------------------


@dataclass
class Course:
    """The nbgrader course (its `nbgrader_config.py`) a grading run works on."""

    root: Path
    course_id: str
    db_url: str
    coursedir: Any  # nbgrader.coursedir.CourseDirectory

    @property
    def db(self) -> Path:
        return gbk.sqlite_path(self.db_url)

    @property
    def state_dir(self) -> Path:
        """Where grade keeps its lock, per-submission hashes, summaries and worker scratch files."""
        return self.db.parent / "grading"

    @property
    def lock_file(self) -> Path:
        return self.state_dir / "gradebook.lock"

    def submission(self, student: str, assignment: str) -> Path:
        return Path(self.coursedir.format_path(self.coursedir.submitted_directory, student, assignment))

    def autograded(self, student: str, assignment: str) -> Path:
        return Path(self.coursedir.format_path(self.coursedir.autograded_directory, student, assignment))

    def students(self, assignment: str) -> list[str]:
        """Every student with a collected submission of `assignment`, sorted."""
        pattern = self.coursedir.format_path(self.coursedir.submitted_directory, "*", assignment)
        regexp = re.compile(self.coursedir.format_path(self.coursedir.submitted_directory, "(?P<student_id>[^/]+)",
                                                       re.escape(assignment), escape=True) + "$")
        found = (regexp.match(p) for p in glob.glob(pattern) if os.path.isdir(p))
        return sorted(m.group("student_id") for m in found if m)


def load_course(root: Path) -> Course:
    """Read `root/nbgrader_config.py` the way nbgrader does."""
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    root = root.resolve()
    if not (root / "nbgrader_config.py").is_file():
        raise GradeError(f"{root} has no nbgrader_config.py: run pod-course grade from the course folder "
                         "(the repository root) or pass --course DIR.")
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    coursedir = CourseDirectory(config=config)
    try:
        gbk.sqlite_path(coursedir.db_url)
    except ValueError as exc:
        raise GradeError(str(exc)) from exc
    return Course(Path(coursedir.root), coursedir.course_id, coursedir.db_url, coursedir)


def live_environment(mode: str) -> dict[str, str]:
    """The environment that passes the live policy down to the workers; GradeError if it cannot be met.

    `auto` (the default) and `required` both need the course cluster: live points are only
    given for Pods that really ran. `off` grades without a cluster and gives live cells 0
    points, marked "not graded".
    """
    from course.cluster.live import POLICY_ENV
    from graders import live

    if mode not in LIVE_MODES:
        raise GradeError(f"--live must be one of {', '.join(LIVE_MODES)}, not {mode!r}")
    if mode == "off":
        return {POLICY_ENV: "off", live.SKIPPED_ENV: "zero"}
    _, why = live.connect()
    if why is not None:
        raise GradeError(f"no course cluster is reachable ({why}), so live cells cannot be graded. Start it with "
                         "`pod-course cluster up`, or grade without it with `--live off` (live cells then score 0, "
                         "marked \"not graded\").")
    return {POLICY_ENV: "required", live.SKIPPED_ENV: ""}


def live_cell_ids() -> set[str]:
    from graders import live

    return {c.grade_id for c in live.cells()}


def _hash_files(h: Any, root: Path, files: Iterable[Path]) -> None:
    for p in sorted(files):
        h.update(str(p.relative_to(root)).encode() + b"\0")
        h.update(hashlib.sha256(p.read_bytes()).digest())


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return [p for p in folder.rglob("*")
            if p.is_file() and not set(p.relative_to(folder).parts) & set(SUBMISSION_IGNORE)]


def context_hash(course: Course, assignment: str, live: str) -> str:
    """What else decides a grade: the source notebooks, the graders, nbgrader_config.py and the live mode."""
    import graders

    h = hashlib.sha256(f"{STATE_VERSION}\0{assignment}\0{live}\0".encode())
    source = Path(course.coursedir.format_path(course.coursedir.source_directory, ".", assignment))
    _hash_files(h, source, _files(source))
    pkg = Path(graders.__file__).parent
    _hash_files(h, pkg, [p for p in pkg.iterdir() if p.is_file() and p.suffix in (".py", ".json")])
    overlay = private.current()
    if overlay is not None:  # the instructor's private hidden cases decide grades too
        h.update(b"private\0")
        _hash_files(h, overlay.root, overlay.files())
    _hash_files(h, course.root, [course.root / "nbgrader_config.py"])
    return h.hexdigest()


def submission_hash(folder: Path, context: str) -> str:
    h = hashlib.sha256(context.encode())
    _hash_files(h, folder, _files(folder))
    return h.hexdigest()


# ---------------------------------------------------------------------------
# Results and state
# ---------------------------------------------------------------------------


@dataclass
class Outcome:
    """One student's line in the summary."""

    student: str
    status: str  # graded, failed, unchanged (graded in an earlier run, files unchanged)
    score: float = 0.0
    max_score: float = 0.0
    cells_failed: list[str] = field(default_factory=list)  # grade cells below full marks
    not_graded: list[str] = field(default_factory=list)  # live cells not graded (--live off)
    seconds: float = 0.0
    reason: str = ""
    cells: dict[str, list[float | None]] = field(default_factory=dict)  # grade_id -> [score, max]
    graded_at: str = ""
    log: str = ""  # what the worker said, for a failed submission
    hash: str | None = None

    @property
    def failed(self) -> bool:
        return self.status == "failed"


def state_file(course: Course, assignment: str) -> Path:
    return course.state_dir / assignment / "state.json"


def summary_file(course: Course, assignment: str) -> Path:
    return course.state_dir / assignment / "summary.json"


def load_state(course: Course, assignment: str) -> dict[str, Outcome]:
    path = state_file(course, assignment)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if data.get("version") != STATE_VERSION:
        return {}
    out: dict[str, Outcome] = {}
    for sid, row in (data.get("students") or {}).items():
        with contextlib.suppress(TypeError):
            out[sid] = Outcome(**row)
    return out


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _save_outcome(course: Course, assignment: str, outcome: Outcome) -> None:
    """Record one student's result in the state file (call under the lock: read, update, write)."""
    state = load_state(course, assignment)
    state[outcome.student] = outcome
    _write_json(state_file(course, assignment), {"version": STATE_VERSION,
                                                 "students": {s: asdict(o) for s, o in sorted(state.items())}})


def _timestamp(folder: Path) -> datetime | None:
    from nbgrader.utils import parse_utc

    try:
        text = (folder / "timestamp.txt").read_text().strip()
        return parse_utc(text) if text else None
    except (OSError, ValueError, OverflowError):
        return None


def _outcome_from_gradebook(course: Course, assignment: str, student: str, live_off: bool,
                            live_ids: set[str]) -> Outcome:
    grades = gbk.student_grades(course.db_url, course.course_id, assignment, student)
    out = Outcome(student, "graded")
    for gid, g in sorted(grades.items()):
        out.cells[gid] = [g.score, g.max_score]
        out.score += g.score or 0.0
        out.max_score += g.max_score
        if live_off and gid in live_ids:
            out.not_graded.append(gid)
        elif (g.score or 0.0) < g.max_score:
            out.cells_failed.append(gid)
    return out


# ---------------------------------------------------------------------------
# Progress on the terminal
# ---------------------------------------------------------------------------


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


class Progress:
    """One status line: updated in place with \\r on a terminal, one line per finished submission otherwise."""

    def __init__(self, assignment: str, total: int, stream: TextIO, *, enabled: bool = True) -> None:
        self.assignment = assignment
        self.total = total
        self.stream = stream
        self.enabled = enabled and total > 0
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.started = time.monotonic()
        self.done = self.failed = self.running = 0
        self._width = 0
        self._last_draw = 0.0

    def status(self) -> str:
        left = ""
        if 0 < self.done < self.total:
            rate = self.done / max(time.monotonic() - self.started, 1e-6)
            left = f", about {_duration((self.total - self.done) / rate)} left"
        elif self.done == 0 and self.total:
            left = ", estimating time left"
        return (f"grading {self.assignment}: {self.done}/{self.total} done, {self.failed} failed, "
                f"{self.running} running{left}")

    def _draw(self) -> None:
        line = self.status()
        pad = max(0, self._width - len(line))
        self.stream.write("\r" + line + " " * pad)
        self.stream.flush()
        self._width = len(line)
        self._last_draw = time.monotonic()

    def tick(self, running: int) -> None:
        changed = running != self.running
        self.running = running
        if self.enabled and self.tty and (changed or time.monotonic() - self._last_draw >= 1.0):
            self._draw()

    def finished(self, outcome: Outcome, running: int) -> None:
        self.done += 1
        self.failed += outcome.failed
        self.running = running
        if not self.enabled:
            return
        if self.tty:
            self._draw()
            return
        what = f"FAILED: {outcome.reason}" if outcome.failed else f"{outcome.score:g}/{outcome.max_score:g}"
        self.stream.write(f"[{self.done}/{self.total}] {outcome.student}: {what} ({outcome.seconds:.1f}s); "
                          f"{self.status()}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty and self._width:
            self.stream.write("\n")
            self.stream.flush()


# ---------------------------------------------------------------------------
# Workers
# ---------------------------------------------------------------------------


def register_assignment(course: Course, assignment: str) -> None:
    """Teach the gradebook an assignment it does not know (its notebooks and grade cells), the way
    `nbgrader generate_assignment` does, without touching the committed release: the generated
    student version goes to a throw-away folder, since `notebooks/` is written by `make notebooks`."""
    import tempfile

    source = Path(course.coursedir.format_path(course.coursedir.source_directory, ".", assignment))
    if not source.is_dir():
        raise GradeError(f"{assignment} is neither in the gradebook ({course.db}) nor a folder of the course's "
                         f"source ({source}): check the assignment id.")
    with tempfile.TemporaryDirectory(prefix="podcourse-release-") as tmp:
        proc = subprocess.run(
            [sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force",
             f"--CourseDirectory.release_directory={tmp}"],
            cwd=course.root, env=worker_env({}), capture_output=True, text=True, timeout=600, check=False,
        )
    if proc.returncode != 0 or not gbk.assignment_exists(course.db_url, course.course_id, assignment):
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])
        raise GradeError(f"{assignment} is not in the gradebook ({course.db}) and registering it with "
                         f"`nbgrader generate_assignment {assignment}` failed:\n{tail}")


def check_points(course: Course, assignment: str) -> None:
    """GradeError when a test cell is worth fewer points than its exercise's checks add up to, private overlay
    included: nbgrader refuses a score above the cell's points, so every such cell would fail to grade."""
    import nbformat

    from graders.nbgrader_ext import exercise_call

    source = Path(course.coursedir.format_path(course.coursedir.source_directory, ".", assignment))
    for path in sorted(source.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            target = exercise_call(cell.source) if cell.cell_type == "code" and meta.get("grade") else None
            if target is None or not target[1]:
                continue
            points, want = float(meta.get("points", 0)), target[0].max_points
            if want > points:
                raise GradeError(f"{path.name}: test cell {meta.get('grade_id')} is worth {points:g} points, but "
                                 f"{target[0].id}'s checks add up to {want:g} with the private overlay "
                                 f"({private.ENV}): set the cell's points to {want:g} in {source}.")


def worker_command(job_file: Path) -> list[str]:
    """The command that grades one submission in a fresh interpreter (unsandboxed; see `sandbox.kernel_command`)."""
    return [sys.executable, "-m", "course.grading.worker", str(job_file)]


def worker_env(live_env: Mapping[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    # nbgrader shells out to `alembic`; make the interpreter's own scripts findable.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    env.update(live_env)
    return env


class ExecWorker:
    """One submission in a fresh interpreter (`worker_command`): isolated from everything, pays every import."""

    def __init__(self, job_file: Path, cwd: Path, env: Mapping[str, str], log: Path) -> None:
        with log.open("wb") as fh:
            self.proc = subprocess.Popen(worker_command(job_file), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL,
                                         stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.proc.pid

    def poll(self) -> int | None:
        return self.proc.poll()

    def wait(self, timeout: float) -> bool:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True


_FORK_CONTEXT: Any = None


def _fork_context() -> Any:
    """How forked workers start: forked from this process on Linux, which has nbgrader and the graders
    imported already (`worker.PRELOAD`), or from a fork server that imports them once elsewhere."""
    global _FORK_CONTEXT
    if _FORK_CONTEXT is None:
        import importlib
        import multiprocessing

        from course.grading import worker

        if sys.platform == "linux":
            ctx = multiprocessing.get_context("fork")
            for name in worker.PRELOAD:
                importlib.import_module(name)
        else:  # macOS: forking a process that may have touched system frameworks is unsafe
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(worker.PRELOAD)
        _FORK_CONTEXT = ctx
    return _FORK_CONTEXT


class ForkedWorker:
    """One submission in its own process, forked with nbgrader and the graders imported already."""

    def __init__(self, job_file: Path, cwd: Path, env: Mapping[str, str], log: Path) -> None:
        from course.grading import worker

        self.proc = _fork_context().Process(target=worker.forked_main, args=(str(job_file), str(cwd), dict(env),
                                                                              str(log)))
        self.proc.start()
        self.pid = self.proc.pid

    def poll(self) -> int | None:
        return self.proc.exitcode

    def wait(self, timeout: float) -> bool:
        self.proc.join(timeout)
        return self.proc.exitcode is not None


class SandboxWorker(ForkedWorker):
    """A forked worker whose kernels run under bubblewrap (`course.grading.sandbox`), with rlimits."""

    def __init__(self, job_file: Path, cwd: Path, env: Mapping[str, str], log: Path, *, jail: Any) -> None:
        from course.grading import sandbox, worker

        self.proc = _fork_context().Process(target=worker.forked_main, args=(
            str(job_file), str(cwd), dict(env), str(log), jail.to_dict(), sandbox.limits()))
        self.proc.start()
        self.pid = self.proc.pid


class DoneWorker:
    """A submission refused before any process started (its result is written already)."""

    pid = -1

    def poll(self) -> int | None:
        return 0

    def wait(self, timeout: float) -> bool:
        return True


WORKERS: dict[str, Any] = {"fork": ForkedWorker, "exec": ExecWorker, "sandbox": SandboxWorker}
NOT_ISOLATED = "submissions were NOT isolated"


@dataclass
class Running:
    student: str
    job: Job
    proc: ExecWorker | ForkedWorker | SandboxWorker | DoneWorker
    started: float
    hash: str
    context: str
    log: Path
    scratch: list[Path] = field(default_factory=list)  # outside the run folder, removed when it ends


def _stop(proc: ExecWorker | ForkedWorker | SandboxWorker | DoneWorker, grace: float = 5.0) -> None:
    """Stop a worker (it kills its kernels on SIGTERM), then anything left in its process group."""
    if proc.pid <= 0:
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):  # not (yet) the leader of its own group
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(proc.pid, sig)
        if proc.wait(wait):
            return


def _wait_any(running: Iterable[Running], timeout: float) -> None:
    """Return when a worker ends, or after `timeout` seconds (the progress line and --timeout need a tick)."""
    sentinels = [getattr(getattr(r.proc, "proc", None), "sentinel", None) for r in running]
    if sentinels and all(isinstance(x, int) for x in sentinels):
        from multiprocessing.connection import wait

        wait(sentinels, timeout)
    else:  # a fresh interpreter (subprocess) or a refused submission: poll
        time.sleep(min(timeout, 0.05))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sweep_stale_runs(state_dir: Path) -> None:
    """Scratch folders of grading runs whose process is gone (killed hard)."""
    for d in state_dir.glob("run-*"):
        parts = d.name.split("-")
        if len(parts) >= 2 and parts[1].isdigit() and not _pid_alive(int(parts[1])):
            shutil.rmtree(d, ignore_errors=True)


def _replace_tree(src: Path, dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(src, dest)
    except OSError:
        shutil.copytree(src, dest)


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------


@dataclass
class Summary:
    assignment: str
    live: str
    jobs: int
    wall_seconds: float
    outcomes: list[Outcome]
    path: Path | None = None
    isolation: str = ""  # "sandbox", or the warning that the submissions were not isolated

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.failed]

    def to_dict(self) -> dict[str, Any]:
        return {
            "assignment": self.assignment,
            "live": self.live,
            "jobs": self.jobs,
            "wall_seconds": round(self.wall_seconds, 3),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "isolated": self.isolation == "sandbox",
            "isolation": self.isolation,
            "counts": {s: sum(1 for o in self.outcomes if o.status == s) for s in ("graded", "failed", "unchanged")},
            "students": [{k: v for k, v in asdict(o).items() if k != "hash"} for o in self.outcomes],
        }


def cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def default_jobs() -> int:
    """Half again as many submissions as cores: a worker waits for its kernel about a third of its time
    (start-up handshakes, replies), which the extra workers fill (benchmarks/bench_grade.py measures it)."""
    n = cores()
    return n + (n + 1) // 2


def precompile() -> None:
    """Bytecode for the course's own packages, written once by grade: a sandboxed kernel imports them read-only
    and could not save its own, so without this every kernel compiles course/ and graders/ again."""
    import compileall

    import course as course_pkg
    import graders as graders_pkg

    for pkg in (course_pkg, graders_pkg):
        folder = Path(pkg.__file__).resolve().parent
        if os.access(folder, os.W_OK):
            with contextlib.suppress(Exception), contextlib.redirect_stdout(None):
                compileall.compile_dir(folder, quiet=2, workers=1)


def grade(
    assignment: str,
    *,
    course_root: Path = Path("."),
    jobs: int | None = None,
    students: Sequence[str] = (),
    live: str = "auto",
    timeout: float = DEFAULT_TIMEOUT,
    force: bool = False,
    out: TextIO | None = None,
    progress: bool = True,
    workers: str | None = None,
) -> Summary:
    """Grade every collected submission of `assignment` (or only `students`); GradeError if it cannot start.

    Each submission's worker is forked from a process that has imported nbgrader and the graders
    once. `workers="sandbox"` (the default where bubblewrap works) starts its kernels under bwrap,
    seeing only a copy of that submission's own files (`course.grading.sandbox`); `"fork"` (the
    default without bwrap) runs them unconfined; `"exec"` starts a fresh interpreter per submission
    (`worker_command`), about 1 s more each. `PODCOURSE_GRADE_WORKERS` sets the default. Only
    `sandbox` isolates the submissions; the others are graded with a warning in the summary.
    """
    from course.grading import sandbox

    workers = workers or os.environ.get("PODCOURSE_GRADE_WORKERS", "").strip()
    isolation = "sandbox"
    if not workers or workers == "sandbox":
        why = sandbox.probe()
        if why is not None:
            isolation = f"{NOT_ISOLATED}: {why}"
            workers = "fork"
        else:
            workers = "sandbox"
    else:
        isolation = f"{NOT_ISOLATED}: worker mode {workers!r} runs the kernels with the grader's rights"
    out = out or sys.stdout
    started = time.monotonic()
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise GradeError("--jobs must be at least 1")
    if timeout <= 0:
        raise GradeError("--timeout must be a positive number of seconds")
    if workers not in WORKERS:
        raise GradeError(f"workers must be one of {', '.join(WORKERS)}, not {workers!r}")
    from graders.core import STUDENT_BUILD, student_build

    if student_build():
        raise GradeError(STUDENT_BUILD)
    try:  # the instructor's private hidden cases (PODCOURSE_PRIVATE): a broken overlay stops here, not per cell
        private.check_ids()
    except private.OverlayError as exc:
        raise GradeError(str(exc)) from None
    course = load_course(course_root)
    if not gbk.assignment_exists(course.db_url, course.course_id, assignment):
        register_assignment(course, assignment)
    if private.current() is not None:
        check_points(course, assignment)
    live_env = live_environment(live)
    live_mode = "off" if live == "off" else "required"
    everyone = course.students(assignment)
    if students:
        unknown = [s for s in students if s not in everyone]
        if unknown:
            where = course.submission("<student>", assignment)
            raise GradeError(f"no submission of {assignment} from {', '.join(unknown)} (looked for {where})")
        selected = [s for s in everyone if s in set(students)]
    else:
        selected = everyone
    if not selected:
        raise GradeError(f"no submissions of {assignment} to grade in "
                         f"{course.submission('<student>', assignment)}: collect them first "
                         f"(`nbgrader collect {assignment}`, or copy each student's folder there).")

    context = context_hash(course, assignment, live_mode)
    previous = load_state(course, assignment)
    hashes = {s: submission_hash(course.submission(s, assignment), context) for s in selected}
    todo: list[str] = []
    outcomes: dict[str, Outcome] = {}
    for s in selected:
        before = previous.get(s)
        if (not force and before is not None and before.status in ("graded", "unchanged")
                and before.hash == hashes[s] and course.autograded(s, assignment).is_dir()):
            outcomes[s] = Outcome(**{**asdict(before), "status": "unchanged"})
        else:
            todo.append(s)

    live_ids = live_cell_ids() if live_mode == "off" else set()
    if todo and workers in ("fork", "sandbox"):
        _fork_context()
    if todo:
        precompile()
    bar = Progress(assignment, len(todo), out, enabled=progress)
    course.state_dir.mkdir(parents=True, exist_ok=True)
    _sweep_stale_runs(course.state_dir)
    run_dir = course.state_dir / f"run-{os.getpid()}-{secrets.token_hex(3)}"
    run_dir.mkdir(parents=True)
    running: dict[str, Running] = {}
    try:
        if todo:
            base = run_dir / "gradebook.db"
            with gbk.merge_lock(course.lock_file):
                gbk.snapshot(course.db, base)
            env = worker_env(live_env)
            queue = deque(enumerate(todo))
            while queue or running:
                ended: list[tuple[Running, bool]] = []
                for s, r in list(running.items()):
                    if r.proc.poll() is None and time.monotonic() - r.started < timeout:
                        continue
                    timed_out = r.proc.poll() is None
                    if timed_out:
                        _stop(r.proc)
                    del running[s]
                    ended.append((r, timed_out))
                # Refill the free slots first: the next submissions run while the parent merges these.
                while queue and len(running) < jobs:
                    i, s = queue.popleft()
                    running[s] = _start(course, assignment, s, run_dir / f"job-{i}", base, env, hashes[s], context,
                                        WORKERS[workers])
                for r, timed_out in ended:
                    outcome = _finish(course, assignment, r, timed_out, timeout, live_mode == "off", live_ids)
                    outcomes[r.student] = outcome
                    bar.finished(outcome, len(running))
                bar.tick(len(running))
                if running and not ended:
                    _wait_any(running.values(), 0.25)
    finally:
        for r in running.values():  # interrupted: leave no worker or kernel behind
            _stop(r.proc, grace=2.0)
            for d in r.scratch:
                shutil.rmtree(d, ignore_errors=True)
        bar.close()
        shutil.rmtree(run_dir, ignore_errors=True)

    summary = Summary(assignment, live_mode, jobs, time.monotonic() - started, [outcomes[s] for s in selected],
                      isolation=isolation)
    summary.path = summary_file(course, assignment)
    _write_json(summary.path, summary.to_dict())
    return summary


def _start(course: Course, assignment: str, student: str, job_dir: Path, base: Path, env: Mapping[str, str],
           digest: str, context: str, kind: Any) -> Running:
    job_dir.mkdir(parents=True)
    log = job_dir / "worker.log"
    if kind is SandboxWorker:
        from course.grading import sandbox

        try:
            job, notes = sandbox.prepare(course, assignment, student, job_dir, base)
        except sandbox.Refused as exc:
            job = Job(course.root, course.course_id, assignment, student, course.submission(student, assignment),
                      job_dir / "gradebook.db", job_dir / "autograded", job_dir / "result.json")
            job.result.write_text(json.dumps({"ok": False, "reason": f"refused before grading: {exc}"}))
            return Running(student, job, DoneWorker(), time.monotonic(), digest, context, log)
        log.write_text("".join(f"sanitised: {n}\n" for n in notes), encoding="utf-8")
        # The kernel's sockets: a short path (a Unix socket's is at most 107 bytes), removed in _finish.
        runtime = Path(tempfile.mkdtemp(prefix="pod-course-k-"))
        jail = sandbox.Jail(job_dir / "kernel-files", runtime, sandbox.hidden_paths())
        proc = SandboxWorker(job_dir / "job.json", course.root, env, log, jail=jail)
        return Running(student, job, proc, time.monotonic(), digest, context, log, scratch=[runtime])
    db = job_dir / "gradebook.db"
    shutil.copyfile(base, db)
    job = Job(course.root, course.course_id, assignment, student, course.submission(student, assignment), db,
              job_dir / "autograded", job_dir / "result.json")
    (job_dir / "job.json").write_text(job.to_json(), encoding="utf-8")
    proc = kind(job_dir / "job.json", course.root, env, log)
    return Running(student, job, proc, time.monotonic(), digest, context, log)


def _finish(course: Course, assignment: str, r: Running, timed_out: bool, timeout: float, live_off: bool,
            live_ids: set[str]) -> Outcome:
    """Merge one finished worker's result into the real gradebook, or record its failure (under the lock)."""
    seconds = time.monotonic() - r.started
    for d in r.scratch:
        shutil.rmtree(d, ignore_errors=True)
    if timed_out:
        result = {"ok": False, "reason": f"stopped after {timeout:g}s (--timeout): the notebook ran too long, "
                                         "probably an endless loop or a cell waiting for input"}
    else:
        try:
            result = json.loads(r.job.result.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            tail = r.log.read_text(errors="replace").strip().splitlines()[-1:] if r.log.exists() else []
            why = f": {tail[0][:200]}" if tail else ""
            result = {"ok": False, "reason": f"the grading process ended unexpectedly (exit status "
                                             f"{r.proc.poll()}){why}"}
    folder = course.submission(r.student, assignment)
    with gbk.merge_lock(course.lock_file):
        private = r.job.out / r.student / assignment
        if result.get("ok"):
            try:
                got = gbk.read_submission(gbk.sqlite_url(r.job.db), course.course_id, assignment, r.student)
                gbk.merge_submission(course.db_url, course.course_id, assignment, r.student, got)
                if private.is_dir():
                    _replace_tree(private, course.autograded(r.student, assignment))
            except Exception as exc:
                result = {"ok": False, "reason": f"its result could not be saved: {type(exc).__name__}: {exc}"}
        log_file = course.state_dir / assignment / "logs" / f"{r.student}.log"
        if not result.get("ok"):
            log_file.parent.mkdir(parents=True, exist_ok=True)
            worker_log = r.log.read_text(errors="replace") if r.log.exists() else ""
            log_file.write_text(f"{result.get('reason', '')}\n\n{result.get('detail', '')}\n{worker_log}",
                                encoding="utf-8")
        else:
            log_file.unlink(missing_ok=True)
        if not result.get("ok"):
            gbk.record_failure(course.db_url, course.course_id, assignment, r.student, _timestamp(folder))
            shutil.rmtree(course.autograded(r.student, assignment), ignore_errors=True)
        outcome = _outcome_from_gradebook(course, assignment, r.student, live_off, live_ids)
        outcome.seconds = round(seconds, 2)
        outcome.graded_at = datetime.now(UTC).isoformat(timespec="seconds")
        if result.get("ok"):
            # Handed in again while it was being graded: keep this grade, but grade it again next run.
            outcome.hash = r.hash if submission_hash(folder, r.context) == r.hash else None
            if outcome.hash is None:
                outcome.reason = "handed in again while it was graded: run grade again"
        else:
            outcome.status, outcome.reason = "failed", str(result.get("reason") or "unknown error")
            outcome.cells_failed = sorted(outcome.cells)
            outcome.not_graded = []
            outcome.log = str(log_file)
        _save_outcome(course, assignment, outcome)
    return outcome


# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------


def format_table(summary: Summary) -> str:
    """Student, score, max, cells failed, seconds, and what went wrong or was left ungraded."""
    rows = [("student", "score", "max", "cells failed", "seconds", "notes")]
    for o in summary.outcomes:
        notes = []
        if o.failed:
            notes.append(f"FAILED: {o.reason}")
        elif o.reason:
            notes.append(o.reason)
        if o.not_graded:
            pts = sum((o.cells.get(g) or [0, 0])[1] or 0 for g in o.not_graded)
            notes.append(f"live not graded ({len(o.not_graded)} cell{'s' * (len(o.not_graded) != 1)}, {pts:g} pts)")
        if o.status == "unchanged":
            notes.append("unchanged since last grade")
        rows.append((o.student, f"{o.score:g}", f"{o.max_score:g}", "all" if o.failed else str(len(o.cells_failed)),
                     f"{o.seconds:.1f}", "; ".join(notes)))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = []
    for r in rows:
        cells = [r[0].ljust(widths[0])] + [r[i].rjust(widths[i]) for i in range(1, 5)]
        lines.append("  ".join(cells) + ("  " + r[5] if r[5] else ""))
    graded = sum(1 for o in summary.outcomes if o.status == "graded")
    unchanged = sum(1 for o in summary.outcomes if o.status == "unchanged")
    lines.append("")
    lines.append(f"{summary.assignment}: {graded} graded, {len(summary.failed)} failed, {unchanged} unchanged "
                 f"in {_duration(summary.wall_seconds)} with {summary.jobs} job(s); live checks "
                 f"{'off (live cells not graded)' if summary.live == 'off' else 'on the course cluster'}")
    if summary.path:
        lines.append(f"summary: {summary.path}")
    if summary.isolation and summary.isolation != "sandbox":
        lines.append(f"WARNING: {summary.isolation}")
    return "\n".join(lines) + "\n"


def main(assignment: str, *, course_root: Path = Path("."), jobs: int | None = None, students: Sequence[str] = (),
         live: str = "auto", timeout: float = DEFAULT_TIMEOUT, force: bool = False, quiet: bool = False,
         out: TextIO | None = None) -> int:
    """`pod-course grade`: 0 every submission graded, 1 some failed (see the table), 2 could not run."""
    out = out or sys.stdout
    try:
        summary = grade(assignment, course_root=course_root, jobs=jobs, students=students, live=live,
                        timeout=timeout, force=force, out=out, progress=not quiet)
    except GradeError as exc:
        print(f"pod-course grade: {exc}", file=sys.stderr)
        return 2
    if not quiet:
        out.write("\n")
    out.write(format_table(summary))
    return 1 if summary.failed else 0
