"""Each submission's kernel under bubblewrap: the learner's code sees only a throw-away copy of its own files.

Only the notebook's kernel ever runs a learner's code. nbgrader's side of grading (reading the
notebook, restoring the test cells from the gradebook, the trusted re-grade, writing scores)
runs in a worker forked from `pod-course grade` with nbgrader and the graders imported already,
and treats what the kernel sends as data. So the sandbox wraps the kernel alone: the worker starts
it through `JailedKernelManager`, which runs

    bwrap [a read-only system, interpreter, venv and the course's code; the kernel's own folder] -- \
        python -m ipykernel_launcher -f CONNECTION_FILE

The kernel's working folder (the autograded copy of the submission, at its usual path) is a
throw-away copy the worker never reads back; it and a private /tmp are the only writable places.
The real gradebook and every copy of it, solutions/, other submissions, the configuration, the
private overlay and the worker's own files are not in the sandbox at all; the interpreter, the venv,
course/ and graders/ are read-only. The kernel talks to the worker over ZMQ's `ipc` transport
(Unix sockets in a folder both see), so it has a network namespace of its own with only loopback,
also when live checks are on: the worker's trusted re-grade runs them, not the kernel. Own pid, IPC
and UTS namespaces, no capabilities, a new session: nothing it starts outlives it. Resource limits
(address space, processes, file size) are rlimits the worker sets on itself before anything runs,
inherited by the kernel.

Before nbgrader sees a submission, `prepare` copies it (without symlinks) and `sanitise`s the copy:
duplicate or unknown grade ids and impossible schema versions cost only that cell, and a notebook
with far more cells than the release is refused.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager

from course.grading.worker import Job
from graders import private

BWRAP = "bwrap"
MEMORY_BYTES = 4 * 2**30  # address space per process (worker, kernel)
FILE_BYTES = 256 * 2**20  # largest file a process may write
EXTRA_PROCESSES = 256  # processes on top of what the grading user already runs
MAX_CELLS = (2, 20)  # refuse a notebook with more than 2x the release's cells + 20
SCHEMA_VERSION = 3


class Refused(Exception):
    """A submission that is not graded at all (the reason is the message)."""


@functools.cache
def probe() -> str | None:
    """None when bwrap can run a trivial command in a sandbox like ours, else why not."""
    exe = shutil.which(BWRAP)
    if not exe:
        return "bubblewrap (bwrap) is not installed; install the Debian package bubblewrap"
    cmd = [exe, *_system_mounts(), "--unshare-all", "--die-with-parent", "--", "/bin/true"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap could not start ({exc})"
    if proc.returncode != 0:
        first = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[0]
        return f"bwrap does not work here ({first[:200]})"
    return None


def _system_mounts() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc", "--dev", "/dev", "--proc", "/proc",
            "--tmpfs", "/tmp"]
    for name in ("bin", "lib", "lib64", "sbin", "lib32"):
        p = Path("/") / name
        if p.is_symlink():
            args += ["--symlink", os.readlink(p), str(p)]
        elif p.is_dir():
            args += ["--ro-bind", str(p), str(p)]
    return args


def _code_dirs() -> list[Path]:
    """What a kernel imports: the interpreter, the venv, the course's own packages (all bound read-only)."""
    import course
    import graders

    dirs = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), Path(sys.prefix),
            Path(course.__file__).resolve().parent, Path(graders.__file__).resolve().parent}
    return sorted(d for d in dirs if not str(d).startswith("/usr/"))


@dataclass
class Jail:
    """Where one submission's kernels run: their own folder and the sockets they share with the worker."""

    files: Path  # the kernel's writable working folder on the host (a copy, never read back)
    runtime: Path  # connection file and ipc sockets, bound at the same path inside (short: a Unix socket path)
    hide: list[str] = field(default_factory=list)  # folders inside bound ones to cover with an empty tmpfs

    def to_dict(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Jail:
        return cls(Path(data["files"]), Path(data["runtime"]), list(data.get("hide", [])))


def hidden_paths() -> list[str]:
    """What must stay out of the kernel's sight although it lies under a folder the kernel needs (an overlay
    installed as a package in the venv, or kept inside graders/)."""
    overlay = private.current()
    if overlay is not None and any(d == overlay.root or d in overlay.root.parents for d in _code_dirs()):
        return [str(overlay.root)]
    return []


def kernel_command(argv: list[str], jail: Jail, cwd: Path | None) -> list[str]:
    """The bwrap command line that runs the kernel command `argv` (its `-f` connection file in jail.runtime)
    with `cwd` (the notebook's folder) backed by jail.files."""
    args = [shutil.which(BWRAP) or BWRAP, *_system_mounts()]
    # Everything else (the home folder, /work, the course, the job's gradebook copy) is simply not there.
    for d in _code_dirs():
        args += ["--ro-bind", str(d), str(d)]
    for d in jail.hide:
        args += ["--tmpfs", d]
    here = str(cwd) if cwd is not None else str(jail.files)
    args += ["--bind", str(jail.files), here, "--bind", str(jail.runtime), str(jail.runtime)]
    # No network, live checks included: a live cell's cluster run is made by the worker's trusted re-grade
    # (graders.live skips it inside an autograded kernel), so the kernel needs neither the API server nor a
    # kubeconfig. A fresh network namespace has only lo; the kernel's ipc sockets work across it.
    args += ["--unshare-user-try", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
             "--unshare-net"]
    # JPY_PARENT_PID names a host pid the kernel cannot see; inside, its parent is bwrap's pid 1, which
    # ipykernel takes as "no parent to watch" (--die-with-parent and the pid namespace end it instead).
    args += ["--unsetenv", private.ENV, "--setenv", "JPY_PARENT_PID", "1",
             "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--chdir", here,
             "--setenv", "HOME", "/tmp", "--setenv", "JUPYTER_RUNTIME_DIR", "/tmp/jupyter-runtime",
             "--setenv", "IPYTHONDIR", "/tmp/ipython", "--setenv", "TMPDIR", "/tmp", "--", *argv]
    return args


JAIL: Jail | None = None  # set in a sandboxed worker before nbgrader starts its kernels


class JailedKernelManager(AsyncKernelManager):
    """nbclient's kernel manager with the kernel started under bwrap (`kernel_command`), talking over ipc
    sockets in the jail's runtime folder and interrupted by message (a signal cannot reach into the sandbox)."""

    def __init__(self, **kwargs: Any) -> None:
        jail = JAIL
        if jail is None:
            raise RuntimeError("JailedKernelManager needs course.grading.sandbox.JAIL")
        kwargs.setdefault("transport", "ipc")
        super().__init__(**kwargs)
        self.transport = "ipc"
        self.connection_file = str(jail.runtime / f"kernel-{os.urandom(4).hex()}.json")
        self.ip = self.connection_file[: -len(".json")] + "-ipc"

    @property
    def kernel_spec(self) -> Any:
        spec = super().kernel_spec
        if spec is not None:
            spec.interrupt_mode = "message"  # ipykernel raises KeyboardInterrupt in itself on interrupt_request
        return spec

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        assert JAIL is not None
        cmd = super().format_kernel_cmd(extra_arguments)
        launch = self._launch_args if isinstance(self._launch_args, dict) else {}
        cwd = Path(launch["cwd"]).resolve() if launch.get("cwd") else None
        if not JAIL.files.exists():  # the first kernel of this submission: the folder as nbgrader made it
            if cwd is not None and cwd.is_dir():
                shutil.copytree(cwd, JAIL.files, symlinks=True)
            else:
                JAIL.files.mkdir(parents=True)
        return kernel_command(cmd, JAIL, cwd)


def _user_processes() -> int:
    uid, n = os.getuid(), 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                n += entry.stat().st_uid == uid
            except OSError:
                continue
    return n


def limits() -> dict[int, int]:
    """The rlimits every sandboxed process starts with."""
    return {resource.RLIMIT_AS: MEMORY_BYTES, resource.RLIMIT_FSIZE: FILE_BYTES,
            resource.RLIMIT_NPROC: _user_processes() + EXTRA_PROCESSES, resource.RLIMIT_CORE: 0}


# ---------------------------------------------------------------------------
# What the sandbox holds
# ---------------------------------------------------------------------------


def sanitise(nb: Any, known: set[str], release_cells: int) -> list[str]:
    """Fix one submitted notebook in place: what was changed, one line each; Refused if it is absurd."""
    most = MAX_CELLS[0] * release_cells + MAX_CELLS[1]
    cells = nb.get("cells") or []
    if len(cells) > most:
        raise Refused(f"it has {len(cells)} cells, far more than the release's {release_cells} (at most {most})")
    ids = {_grade_id(c) for c in cells}
    if not ids & known:  # another chapter's notebook, or none of ours: left whole for the worker to name
        return []
    notes: list[str] = []
    seen: set[str] = set()
    kept = []
    for i, cell in enumerate(cells):
        meta = cell.get("metadata", {}).get("nbgrader")
        if not isinstance(meta, dict) or not meta:
            kept.append(cell)
            continue
        gid = meta.get("grade_id")
        if not isinstance(gid, str) or gid not in known:
            cell["metadata"].pop("nbgrader")
            notes.append(f"cell {i + 1}: unknown grade id {gid!r}, graded as a plain cell")
        elif gid in seen:
            notes.append(f"cell {i + 1}: a second cell with grade id {gid!r}, dropped")
            continue
        else:
            seen.add(gid)
            if meta.get("schema_version") != SCHEMA_VERSION:
                meta["schema_version"] = SCHEMA_VERSION
                notes.append(f"cell {i + 1}: nbgrader schema version set to {SCHEMA_VERSION}")
        kept.append(cell)
    nb["cells"] = kept
    return notes


def _grade_id(cell: Any) -> Any:
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
    return nbg.get("grade_id") if isinstance(nbg, dict) else None


def _release_cells(course: Any, assignment: str, name: str) -> int:
    for folder in (course.coursedir.release_directory, course.coursedir.source_directory):
        path = Path(course.coursedir.format_path(folder, ".", assignment)) / f"{name}.ipynb"
        if path.is_file():
            try:
                return len(json.loads(path.read_bytes()).get("cells", []))
            except (OSError, ValueError):
                continue
    return 0


def prepare(course: Any, assignment: str, student: str, job_dir: Path, base_db: Path) -> tuple[Job, list[str]]:
    """A private copy of the gradebook and a sanitised copy of one submission in `job_dir`: (the job, notes)."""
    from course.grading import gradebook as gbk

    job = Job(Path(course.root), course.course_id, assignment, student,
              job_dir / "submitted" / student / assignment, job_dir / "gradebook.db", job_dir / "autograded",
              job_dir / "result.json")
    shutil.copyfile(base_db, job.db)
    notes = copy_submission(course.submission(student, assignment), job.submission)
    layouts = {nb.name: nb for nb in gbk.layout(gbk.sqlite_url(base_db), course.course_id, assignment)}
    for path in sorted(job.submission.glob("*.ipynb")):
        if path.stem not in layouts or not path.is_file():
            continue
        try:
            nb = json.loads(path.read_bytes())
        except ValueError:
            continue  # the worker reports it
        if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
            continue
        try:
            fixed = sanitise(nb, layouts[path.stem].cell_ids, _release_cells(course, assignment, path.stem))
        except Refused as exc:
            raise Refused(f"{path.name}: {exc}") from None
        except (AttributeError, TypeError, KeyError):
            continue  # not a notebook nbformat reads: the worker reports it
        if fixed:
            notes += [f"{path.name} {n}" for n in fixed]
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (job_dir / "job.json").write_text(job.to_json(), encoding="utf-8")
    return job, notes


def copy_submission(src: Path, dest: Path) -> list[str]:
    """Copy a hand-in without following symlinks (a link to solutions/ must not bring them along): notes."""
    notes: list[str] = []
    dest.mkdir(parents=True)
    if not src.is_dir():
        return notes
    for dirpath, dirnames, filenames in os.walk(src):
        here = Path(dirpath)
        rel = here.relative_to(src)
        dirnames[:] = [d for d in sorted(dirnames) if d not in (".ipynb_checkpoints", "__pycache__")]
        for name in [*dirnames, *filenames]:
            p = here / name
            if p.is_symlink():
                notes.append(f"{(rel / name).as_posix()}: a symbolic link, left out")
                if name in dirnames:
                    dirnames.remove(name)
            elif name in dirnames:
                (dest / rel / name).mkdir()
            elif p.is_file():
                shutil.copy2(p, dest / rel / name)
    return notes


def not_dumpable() -> None:
    """Keep processes of the same user from reading this one's memory through /proc/PID/mem
    (prctl PR_SET_DUMPABLE 0; a kernel, a new program, is dumpable again). Best effort: Linux only."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE
    except (OSError, AttributeError):
        pass


def enter(limits_: Mapping[int, int]) -> None:
    """In a sandboxed worker, before nbgrader runs: the rlimits (inherited by its kernels) and no memory dumps."""
    for which, value in limits_.items():
        _, hard = resource.getrlimit(which)
        soft = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (soft, soft))
    not_dumpable()
