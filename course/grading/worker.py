"""One submission in one process: nbgrader's autograde for a single student, into private files.

`course.grading.grade` starts one worker per submission: forked with the imports done
(`forked_main`), or as `python -m course.grading.worker JOB.json` in a fresh interpreter.
The job names the course, assignment and student, the submission (the course's own folder, or a
sanitised copy), a private copy of the gradebook and a private autograded folder; the worker writes
nothing else, and in sandbox mode starts every kernel under bwrap (`course.grading.sandbox`), so
the learner's code never runs with the worker's rights. It reports in `result` (JSON):
`{"ok": true}` or `{"ok": false, "reason": "...", "detail": "..."}`.

Before nbgrader runs anything it checks the hand-in itself: every notebook must be valid
notebook JSON, at least one notebook of the assignment must be there, and it must hold the
assignment's graded cells (not another chapter's notebook under this chapter's name).
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __name__ == "__main__":
    # A fresh worker (exec mode) imports nbgrader, whose nbformat imports jsonschema, which
    # imports rfc3987_syntax when it is installed, only for the "iri" string formats that no notebook schema
    # uses; it builds a parser at import, 0.9 s of a worker's 3.6 s on these machines. Without it jsonschema
    # simply has no "iri" checker (it guards that import).
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

KERNEL_DIED = ("DeadKernelError", "Kernel died", "UnresponsiveKernelError", "kernel became unresponsive")


@dataclass
class Job:
    course: Path
    course_id: str
    assignment: str
    student: str
    submission: Path  # submitted/<student>/<assignment>/
    db: Path  # this worker's own copy of the gradebook
    out: Path  # this worker's autograded root (autograded/<student>/<assignment>/ is made below it)
    result: Path

    @classmethod
    def load(cls, path: Path) -> Job:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(Path(data["course"]), data["course_id"], data["assignment"], data["student"],
                   Path(data["submission"]), Path(data["db"]), Path(data["out"]), Path(data["result"]))

    def to_json(self) -> str:
        return json.dumps({k: str(v) for k, v in vars(self).items()}, indent=1)


def check_hand_in(job: Job) -> str | None:
    """Why this submission cannot be graded at all, or None when nbgrader should run it."""
    import nbformat

    from course.grading.gradebook import layout, other_assignments, sqlite_url

    url = sqlite_url(job.db)
    expected = {nb.name: nb for nb in layout(url, job.course_id, job.assignment)}
    if not job.submission.is_dir():
        return f"no submission folder {job.submission}"
    handed = sorted(p for p in job.submission.glob("*.ipynb") if p.is_file())
    others = other_assignments(url, job.course_id, job.assignment)
    read: dict[str, Any] = {}
    for path in handed:
        try:
            json.loads(path.read_bytes())
        except ValueError as exc:
            where = f" at line {exc.lineno}, column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
            return f"{path.name} is not a valid notebook file: its JSON is cut off or malformed{where}"
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return f"{path.name} is not a valid notebook file ({first[:160]})"
        if not isinstance(nb.get("cells"), list):
            return f"{path.name} is not a valid notebook file (it has no cells)"
        read[path.stem] = nb
    ours = [name for name in read if name in expected]
    if not ours:
        want = ", ".join(f"{n}.ipynb" for n in sorted(expected)) or "(none)"
        found = [f"{n}.ipynb" + (f" (a notebook of {owner})" if (owner := _owner_by_name(n, others)) else "")
                 for n in sorted(read)]
        tail = f"; found {', '.join(found)}" if found else ""
        return f"no notebook of {job.assignment} was handed in (expected {want}){tail}"
    for name in ours:
        want = expected[name]
        if not want.grade_cells:
            continue
        ids = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in read[name].cells}
        if ids & set(want.grade_cells):
            continue
        owner = _owner_by_cells(ids, others)
        if owner:
            return f"{name}.ipynb is a notebook of {owner} handed in under {job.assignment}'s name"
        return (f"{name}.ipynb holds none of {job.assignment}'s graded cells "
                "(a new notebook, or the graded cells were deleted)")
    return None


def _owner_by_name(name: str, others: dict[str, dict[str, set[str]]]) -> str:
    return next((a for a, nbs in sorted(others.items()) if name in nbs), "")


def _owner_by_cells(ids: set[Any], others: dict[str, dict[str, set[str]]]) -> str:
    best, hits = "", 0
    for a, nbs in sorted(others.items()):
        n = max((len(ids & cells) for cells in nbs.values()), default=0)
        if n > hits:
            best, hits = a, n
    return best


def autograde(job: Job) -> dict[str, Any]:
    """nbgrader's own autograde (NbGraderAPI) for one student, with the course's nbgrader_config.py."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(job.course)).load_config()
    config.CourseDirectory.db_url = f"sqlite:///{job.db}"
    config.CourseDirectory.autograded_directory = str(job.out)
    # <submitted>/<student>/<assignment>: the course's own folder, or the job's sanitised copy (sandbox)
    config.CourseDirectory.submitted_directory = str(job.submission.parents[1])
    from course.grading import sandbox

    if sandbox.JAIL is not None:  # sandboxed: every kernel of this submission starts under bwrap
        config.Execute.kernel_manager_class = sandbox.JailedKernelManager
    # Every output is in once the last cell ran: end the kernel at once rather than wait for it to exit.
    config.Execute.shutdown_kernel = "immediate"
    coursedir = CourseDirectory(config=config)
    api = NbGraderAPI(coursedir=coursedir, config=config)
    return api.autograde(job.assignment, job.student, force=True, create=True)


EXCEPTION_LINE = re.compile(r"^(?:[\w.]+\.)?(\w+(?:Error|Exception|Exit)): (.*)$")


def failure_reason(outcome: dict[str, Any]) -> str:
    """What went wrong, in one line, from nbgrader's captured log and traceback."""
    text = f"{outcome.get('log', '')}\n{outcome.get('error', '')}"
    if any(marker in text for marker in KERNEL_DIED):
        return "the notebook's kernel died while it ran (out of memory, or the code ended its own process)"
    found = [m for m in (EXCEPTION_LINE.match(ln.strip()) for ln in text.splitlines()) if m]
    real = [m for m in found if m.group(1) != "NbGraderException"] or found
    if real:
        return f"nbgrader could not grade it: {real[0].group(1)}: {real[0].group(2)}"[:300]
    return "nbgrader could not grade it (see the log)"


def _stop_children(signum: int, _frame: Any) -> None:
    """On SIGTERM (the parent's timeout) kill the kernels this worker started, then exit."""
    me, own_group = os.getpid(), os.getpgid(0)
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid != me:
                continue
            pid = int(entry.name)
            group = os.getpgid(pid)
            if group != own_group:
                os.killpg(group, signal.SIGKILL)  # a kernel runs in a session of its own
            os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            continue
    os._exit(128 + signum)


MAX_OUTPUT_CHARS = 200_000  # per output of an autograded notebook (a cell printing 50 MB is cut)


def limit_outputs(folder: Path) -> None:
    """Cut every output text longer than MAX_OUTPUT_CHARS in the autograded notebooks (after scoring)."""
    for path in folder.rglob("*.ipynb") if folder.is_dir() else ():
        try:
            nb = json.loads(path.read_bytes())
        except (OSError, ValueError):
            continue
        cut = False
        for cell in nb.get("cells", []):
            for out in cell.get("outputs", []) or []:
                for key, value in [("text", out.get("text")), *((f"data:{k}", v) for k, v in
                                                                (out.get("data") or {}).items())]:
                    text = "".join(value) if isinstance(value, list) else value
                    if isinstance(text, str) and len(text) > MAX_OUTPUT_CHARS:
                        short = text[:MAX_OUTPUT_CHARS] + f"\n... [{len(text) - MAX_OUTPUT_CHARS} characters cut]\n"
                        if key == "text":
                            out["text"] = short
                        else:
                            out["data"][key[5:]] = short
                        cut = True
        if cut:  # nbgrader leaves the file read-only: write a new one in its place, with the same mode
            tmp = path.with_name(f".{path.name}.cut")
            tmp.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            os.chmod(tmp, path.stat().st_mode & 0o777)
            os.replace(tmp, path)


def run(job: Job) -> dict[str, Any]:
    try:
        problem = check_hand_in(job)
        if problem:
            return {"ok": False, "reason": problem, "detail": ""}
        outcome = autograde(job)
    except Exception as exc:
        return {"ok": False, "reason": f"grading stopped: {type(exc).__name__}: {exc}"[:300],
                "detail": traceback.format_exc()}
    if outcome.get("success"):
        limit_outputs(job.out)
    if not outcome.get("success"):
        detail = f"{outcome.get('log', '')}\n{outcome.get('error', '')}"
        return {"ok": False, "reason": failure_reason(outcome), "detail": detail[-20_000:]}
    return {"ok": True}


# Imported once before forking workers (by `grade` itself on Linux, else by a fork server), so each process
# starts with nbgrader, nbformat and the graders already loaded instead of importing them again.
PRELOAD = ["nbgrader.apps", "nbgrader.api", "nbgrader.preprocessors", "nbformat", "nbclient", "jupyter_client",
           "traitlets.config.loader", "graders.nbgrader_ext", "course.grading.gradebook"]


def _finish(job: Job, result: dict[str, Any]) -> None:
    tmp = job.result.with_suffix(".tmp")
    tmp.write_text(json.dumps(result), encoding="utf-8")
    os.replace(tmp, job.result)


def forked_main(job_file: str, cwd: str, env: dict[str, str], log: str, jail: dict[str, Any] | None = None,
                limits: dict[int, int] | None = None) -> None:
    """The body of a forked worker: the same as `main`, in a process forked from the preloaded server.
    With `jail` (`course.grading.sandbox.Jail`), the submission's kernels run sandboxed, under `limits`."""
    os.setsid()  # its own process group, so the parent can stop it and nothing else
    if jail is not None:
        from course.grading import sandbox

        sandbox.enter(limits or {})
        sandbox.JAIL = sandbox.Jail.from_dict(jail)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    signal.signal(signal.SIGTERM, _stop_children)
    job = Job.load(Path(job_file))
    _finish(job, run(job))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m course.grading.worker JOB.json (started by `pod-course grade`)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _stop_children)
    job = Job.load(Path(args[0]))
    _finish(job, run(job))
    return 0


if __name__ == "__main__":
    sys.exit(main())
