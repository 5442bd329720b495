"""Each submission's grading under bubblewrap: its kernel sees only a throw-away copy of that submission.

`pod-course grade` (worker mode `sandbox`, the default where `bwrap` works) runs each worker as

    bwrap [a read-only system, venv and the course's code; the job folder as the course root] -- \
        python -m course.grading.worker JOB.json

The job folder (`<run>/job-N/root/`) holds exactly what nbgrader's autograde reads for one
student: `nbgrader_config.py`, a private copy of the gradebook (solution cells blanked), the
non-notebook files of `source/<assignment>/` that autograde copies next to the notebooks, and a
sanitised copy of that one submission. It is mounted at the course root's own path, so the
config's paths still hold, and it is the only writable place besides a private /tmp. The real
gradebook, solutions/, every other submission, graders/ and the venv are either not in the
sandbox at all or read-only. Without `--live` the sandbox has no network; with live checks it
shares the host's network (the course cluster's API server must be reachable). Resource limits
(address space, processes, file size) are rlimits set before bwrap starts, inherited by
the worker and the kernel; bwrap's own pid namespace ends every process when the worker ends.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from course.grading.worker import Job
from graders import private

BWRAP = "bwrap"
MEMORY_BYTES = 4 * 2**30  # address space per process (worker, kernel)
FILE_BYTES = 256 * 2**20  # largest file a process may write
EXTRA_PROCESSES = 256  # processes on top of what the grading user already runs
JOB = ".job"  # inside the job root: job.json, gradebook, autograded output, result
PRIVATE = "private"  # in JOB: a copy of the private overlay's hidden cases, deleted by the worker before grading
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
    """What the worker and the kernel import: the interpreter, the venv, the course's own packages."""
    import course
    import graders

    dirs = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), Path(sys.prefix),
            Path(course.__file__).resolve().parent, Path(graders.__file__).resolve().parent}
    return sorted(d for d in dirs if not str(d).startswith("/usr/"))


def command(job_file: Path, course_root: Path, job_root: Path, *, network: bool) -> list[str]:
    """The bwrap command line that runs the worker on `job_file` (a path inside the sandbox)."""
    args = [shutil.which(BWRAP) or BWRAP, *_system_mounts()]
    # Everything else (the home folder, /work, other courses) is simply not there. A course
    # under /tmp sits in the private /tmp.
    args += ["--bind", str(job_root), str(course_root)]
    for child in sorted(job_root.iterdir()):  # config and source files: read-only; only .job/ takes writes
        if child.name != JOB:
            args += ["--ro-bind", str(child), str(course_root / child.name)]
    for d in _code_dirs():
        args += ["--ro-bind", str(d), str(d)]
    if network:
        for f in kube_files():
            args += ["--ro-bind", str(f), str(f)]
        if not os.environ.get("KUBECONFIG") and (Path.home() / ".kube" / "config").is_file():
            args += ["--setenv", "KUBECONFIG", str(Path.home() / ".kube" / "config")]  # HOME is /tmp inside
    args += ["--unshare-user-try", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    if not network:
        args += ["--unshare-net"]  # a fresh namespace with only lo (up): the kernel's ZMQ still works
    # The private overlay's hidden cases come as a copy in the job folder (see `prepare`), never the original.
    if (job_root / JOB / PRIVATE).is_dir():
        args += ["--setenv", private.ENV, str(course_root / JOB / PRIVATE)]
    else:
        args += ["--unsetenv", private.ENV]
    args += ["--die-with-parent", "--new-session", "--cap-drop", "ALL", "--chdir", str(course_root),
             "--setenv", "HOME", "/tmp", "--setenv", "JUPYTER_RUNTIME_DIR", "/tmp/jupyter-runtime",
             "--setenv", "IPYTHONDIR", "/tmp/ipython", "--setenv", "TMPDIR", "/tmp",
             "--", sys.executable, "-m", "course.grading.worker", str(job_file)]
    return args


KUBE_FILE_KEYS = ("certificate-authority", "client-certificate", "client-key", "tokenFile")


def kube_files() -> list[Path]:
    """The kubeconfig files live checks may read (and the certificate files they name), for live grading."""
    from course.cluster.local.engine import kubeconfig_path

    env = [p for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    configs = [Path(p) for p in env] or [Path.home() / ".kube" / "config"]
    configs += [Path(p) for p in [os.environ.get("PODCOURSE_KUBECONFIG", "")] if p] + [kubeconfig_path()]
    found: set[Path] = set()
    for cfg in configs:
        if not cfg.is_file() or not os.access(cfg, os.R_OK) or str(cfg).startswith("/dev/"):
            continue
        found.add(cfg)
        try:
            import yaml

            doc = yaml.safe_load(cfg.read_text(encoding="utf-8")) or {}
        except Exception:  # not YAML: bind the file alone
            continue
        for section in ("clusters", "users"):
            for entry in doc.get(section) or []:
                inner = (entry or {}).get("cluster" if section == "clusters" else "user") or {}
                for key in KUBE_FILE_KEYS:
                    ref = inner.get(key)
                    if isinstance(ref, str) and ref:
                        path = Path(ref) if Path(ref).is_absolute() else cfg.parent / ref
                        if path.is_file():
                            found.add(path)
    return sorted(found)


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


def preexec(values: Mapping[int, int]) -> Any:
    def apply() -> None:
        os.setsid()
        for which, value in values.items():
            _, hard = resource.getrlimit(which)
            soft = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(which, (soft, soft))
    return apply


# ---------------------------------------------------------------------------
# What the sandbox holds
# ---------------------------------------------------------------------------


def blank_solutions(db: Path) -> None:
    """Remove the reference answers (unlocked solution cells) from a private gradebook copy; autograde
    never copies them into a submission, so grading does not need them, and the kernel can read the file."""
    con = sqlite3.connect(db)
    try:
        con.execute("UPDATE source_cell SET source = '' WHERE locked = 0 AND EXISTS (SELECT 1 FROM solution_cells s "
                    "JOIN base_cell b ON b.id = s.id "
                    "WHERE b.name = source_cell.name AND b.notebook_id = source_cell.notebook_id)")
        con.commit()
    finally:
        con.close()


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


def prepare(course: Any, assignment: str, student: str, job_dir: Path, base_db: Path) -> tuple[Job, Job, list[str]]:
    """Fill `job_dir/root` for one student: (the job as the worker sees it, the same job on the host, notes)."""
    from course.grading import gradebook as gbk

    root = job_dir / "root"
    inside_root = Path(course.root)

    def host(p: Path) -> Path:
        return root / p.relative_to(inside_root)

    jobs = inside_root / JOB
    inside = Job(inside_root, course.course_id, assignment, student, course.submission(student, assignment),
                 jobs / "gradebook.db", jobs / "autograded", jobs / "result.json")
    outside = Job(inside_root, course.course_id, assignment, student, host(inside.submission), host(inside.db),
                  host(inside.out), host(inside.result))
    (root / JOB).mkdir(parents=True)
    shutil.copy2(inside_root / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copyfile(base_db, outside.db)
    blank_solutions(outside.db)
    real_db = Path(gbk.sqlite_path(course.db_url))
    if inside_root in real_db.parents:
        host(real_db).parent.mkdir(parents=True, exist_ok=True)
    source = Path(course.coursedir.format_path(course.coursedir.source_directory, ".", assignment))
    if source.is_dir():  # autograde copies the source's other files (data, images) next to the notebooks
        # Private solutions (outside the course) stand in the course's own solutions/ folder inside.
        dest = host(source) if inside_root in source.parents else root / "solutions" / assignment
        dest.mkdir(parents=True)
        for p in source.rglob("*"):
            rel = p.relative_to(source)
            if p.is_file() and p.suffix != ".ipynb" and not any(part.startswith(".") or part == "__pycache__"
                                                                 for part in rel.parts):
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(p, dest / rel)
    shutil.copytree(course.submission(student, assignment), outside.submission, symlinks=False,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
                    ignore_dangling_symlinks=True)
    notes: list[str] = []
    layouts = {nb.name: nb for nb in gbk.layout(gbk.sqlite_url(base_db), course.course_id, assignment)}
    for path in sorted(outside.submission.glob("*.ipynb")):
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
    copy_overlay(root / JOB / PRIVATE)
    (root / JOB / "job.json").write_text(inside.to_json(), encoding="utf-8")
    return inside, outside, notes


def copy_overlay(dest: Path) -> None:
    """The private overlay's hidden-case modules, for the worker alone: it loads them, then deletes the copy
    (`consume_overlay`) before any kernel starts. Its solutions are never copied: grading does not need them."""
    overlay = private.current()
    if overlay is None:
        return
    (dest / "hidden").mkdir(parents=True)
    for f in overlay.files():
        shutil.copy2(f, dest / "hidden" / f.name)


def consume_overlay(job_root: Path) -> None:
    """In the worker, before nbgrader runs: load the overlay copy for good, then remove it and its variable,
    so the learner's kernel (started later, with this environment) can neither find nor read it."""
    copy = job_root / JOB / PRIVATE
    if not copy.is_dir():
        return
    try:
        private.pin()
    finally:
        shutil.rmtree(copy, ignore_errors=True)
        os.environ.pop(private.ENV, None)
    not_dumpable()


def not_dumpable() -> None:
    """Keep processes of the same user (the kernel) from reading this one's memory through /proc/PID/mem
    (prctl PR_SET_DUMPABLE 0; the kernel, a new program, is dumpable again). Best effort: Linux only."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE
    except (OSError, AttributeError):
        pass
