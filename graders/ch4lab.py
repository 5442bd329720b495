"""Chapter 4's storage demo: a producer/consumer pipeline over a pod's shared directory.

With Linux namespaces available it runs on a real `course.sandbox.PodSandbox`
(each container has its own mount namespace; only the pod's shared directory,
its emptyDir, is seen by all of them). Elsewhere, and while nbgrader grades, it
returns `RECORDED`, output captured from a live run, and says so.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

PY = sys.executable

# Writes numbered jobs into the shared inbox and a note into its own private directory.
PRODUCER = """
import os, pathlib
inbox = pathlib.Path(os.environ["POD_SHARED_DIR"], "inbox"); inbox.mkdir(exist_ok=True)
for n in (1, 2, 3):
    (inbox / f"job-{n}.txt").write_text(f"resize image {n}")
pathlib.Path(os.environ["POD_PRIVATE_DIR"], "note.txt").write_text("only in my own filesystem")
"""

# Turns each job into a result file and reports what it could see.
CONSUMER = """
import json, os, pathlib
shared = pathlib.Path(os.environ["POD_SHARED_DIR"])
out = shared / "done"; out.mkdir(exist_ok=True)
jobs = sorted(p.name for p in (shared / "inbox").glob("*.txt"))
for name in jobs:
    (out / name).write_text((shared / "inbox" / name).read_text().upper())
print(json.dumps({"jobs_seen": jobs,
                  "private_note_seen": pathlib.Path(os.environ["POD_PRIVATE_DIR"], "note.txt").exists()}))
"""

# The producer again, as the kubelet would restart it: a new process, a new private filesystem.
RESTARTED = """
import json, os, pathlib
shared, private = pathlib.Path(os.environ["POD_SHARED_DIR"]), pathlib.Path(os.environ["POD_PRIVATE_DIR"])
print(json.dumps({"shared_files": sorted(str(p.relative_to(shared)) for p in shared.rglob("*.txt")),
                  "private_note_still_there": (private / "note.txt").exists()}))
"""

RECORDED: dict[str, Any] = {
    "source": "recorded",
    "consumer": {"jobs_seen": ["job-1.txt", "job-2.txt", "job-3.txt"], "private_note_seen": False},
    "after_restart": {
        "shared_files": ["done/job-1.txt", "done/job-2.txt", "done/job-3.txt",
                         "inbox/job-1.txt", "inbox/job-2.txt", "inbox/job-3.txt"],
        "private_note_still_there": False,
    },
    "shared_dir_exists_after_pod_deleted": False,
}


def _last_json(stdout: str) -> dict[str, Any]:
    for line in reversed(stdout.splitlines()):
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict):
            return data
    return {"error": stdout.strip()[-200:] or "no output"}


def lab_support() -> Any:
    """Whether to run the labs live; never while nbgrader grades, where they would only cost time."""
    from course.sandbox import Support, sandbox_support

    if os.environ.get("NBGRADER_EXECUTION"):
        return Support(False, None, "skipped while nbgrader grades the notebook; the labs run live while you work")
    return sandbox_support()


def pipeline_demo() -> dict[str, Any]:
    """Run producer, consumer and a restarted producer in one pod, then delete the pod.

    Returns what each container saw, plus "source" ("live" or "recorded") and,
    for a recording, "reason".
    """
    from course.sandbox import PodSandbox, SandboxError

    support = lab_support()
    if not support.available:
        return {**RECORDED, "reason": f"showing a recording: {support.reason}"}
    try:
        with PodSandbox(hostname="pipeline") as pod:
            pod.exec("producer", [PY, "-c", PRODUCER], timeout=10)
            consumer = _last_json(pod.exec("consumer", [PY, "-c", CONSUMER], timeout=10).stdout)
            again = _last_json(pod.exec("producer-restarted", [PY, "-c", RESTARTED], timeout=10).stdout)
            shared = Path(pod.shared_dir)
        return {"source": "live", "consumer": consumer, "after_restart": again,
                "shared_dir_exists_after_pod_deleted": shared.exists()}
    except (SandboxError, OSError) as exc:
        return {**RECORDED, "reason": f"showing a recording: the live sandbox failed ({exc})"}
