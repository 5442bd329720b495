"""Chapter 2's namespaces lab: run the learner's code on a live pod sandbox, or replay a recording.

The live path uses `course.sandbox.PodSandbox`. Where Linux namespaces are not
available (macOS, a locked-down container), the same learner code runs against
a stand-in `/proc` made of symlinks whose targets are links recorded on a Linux
machine, so the notebook still runs, the learner still writes and debugs real
code, and the grader sees the same kind of artifact, marked `"source":
"recorded"`. Every path is bounded in time and tears down what it started.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

LAB_KINDS = ("net", "ipc", "uts", "pid", "mnt")
ROLES = ("app", "sidecar", "pause", "outside")
RECORDING = Path(__file__).with_name("ch2_recording.json")
SLEEP = "import sys, time; time.sleep(float(sys.argv[1]))"

# Lists processes the way `ps` would, from inside a container, then signals the one
# whose command line holds the marker. Prints one JSON line.
PS_AND_KILL = """
import json, os, signal, sys
marker, me, seen, target = sys.argv[1], os.getpid(), [], None
for d in sorted((d for d in os.listdir("/proc") if d.isdigit()), key=int):
    try:
        with open(f"/proc/{d}/cmdline", "rb") as f:
            argv = [a.decode(errors="replace") for a in f.read().split(b"\\0") if a]
    except OSError:
        continue
    if int(d) == me:
        role = "this ps"
    elif marker in argv:
        role, target = "app", int(d)
    elif int(d) == 1:
        role = "pause"
    else:
        role = "other"
    seen.append({"pid": int(d), "role": role})
if target is not None:
    os.kill(target, signal.SIGTERM)
print(json.dumps({"seen": seen, "app_pid_here": target, "signalled": target is not None}))
"""


@lru_cache(maxsize=1)
def recording() -> dict[str, Any]:
    """The observations recorded on a Linux machine, shipped with the course."""
    return json.loads(RECORDING.read_text(encoding="utf-8"))


def support() -> tuple[bool, str]:
    """(can this machine run live pod sandboxes?, why or why not), never raising: no sandbox means replay."""
    try:
        from course.sandbox import sandbox_support

        s = sandbox_support()
        return bool(s.available), str(s.reason)
    except Exception as exc:
        return False, f"the sandbox library could not be loaded ({type(exc).__name__}: {exc})"


# ---------------------------------------------------------------------------
# Replay: a stand-in /proc
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplayContainer:
    name: str
    pid: int


@dataclass(frozen=True)
class ReplayPod:
    """Offers the parts of `PodSandbox` the lab uses: `pause_pid` and `container(name).pid`."""

    pause_pid: int
    pids: dict[str, int]
    share_pid: bool

    def container(self, name: str) -> ReplayContainer:
        if name not in self.pids:
            raise KeyError(f"no container named {name!r} in this sandbox")
        return ReplayContainer(name, self.pids[name])


@contextlib.contextmanager
def replay(share_pid: bool = False) -> Iterator[tuple[ReplayPod, str]]:
    """Yield (pod, proc_root): a fake pod and a directory laid out like /proc, then delete it.

    `<root>/<pid>/ns/<kind>` are symlinks whose targets are the recorded links, so
    `os.readlink` returns exactly what it returned on the recording machine. The
    current process appears under its real pid (and as `self`) with the recorded
    links of the process outside the pod.
    """
    rec = recording()["lab"]["shared_pid" if share_pid else "default"]
    me = os.getpid()
    pids = {role: int(rec["pids"][role]) for role in ("app", "sidecar", "pause")}
    # Recorded pids must not collide with the real pid used for "outside".
    pids = {role: (pid if pid != me else pid + 100_000) for role, pid in pids.items()}
    tmp = tempfile.mkdtemp(prefix="pod-course-proc-")
    try:
        for role, pid in [*pids.items(), ("outside", me)]:
            ns = Path(tmp, str(pid), "ns")
            ns.mkdir(parents=True)
            for kind, link in rec["links"][role].items():
                os.symlink(link, ns / kind)
        os.symlink(str(me), Path(tmp, "self"))
        pod = ReplayPod(pause_pid=pids["pause"], pids={k: v for k, v in pids.items() if k != "pause"},
                        share_pid=share_pid)
        yield pod, tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------
# The lab run
# ---------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    from graders.answers import to_payload

    return to_payload(value)


def _call(observe: Callable[..., Any], pod: Any, proc: str) -> dict[str, Any]:
    """The learner's observe(pod, proc), with any exception turned into a sentence."""
    try:
        got = observe(pod, proc)
    except Exception as exc:
        return {"error": f"observe() raised {type(exc).__name__}: {exc}"}
    if got is None:
        return {"error": "observe() returned None; make it return the dict of observations."}
    return {"observed": _plain(got)}


def run_lab(observe: Callable[..., Any], share_pid: bool = False, *, timeout: float = 5.0) -> dict[str, Any]:
    """Start a pod with containers `app` and `sidecar`, hand it to `observe(pod, proc)`, tear it down.

    Returns {"source": "live" | "recorded", "share_pid": ..., "observed": ...} or,
    when the learner's code failed, "error" instead of "observed". Never raises
    (except KeyboardInterrupt) and never leaves a process behind.
    """
    live, reason = support()
    if live:
        try:
            from course.sandbox import PodSandbox

            with PodSandbox(share_pid=share_pid, hostname="lab-pod", timeout=timeout) as pod:
                for name in ("app", "sidecar"):
                    pod.run(name, [sys.executable, "-c", SLEEP, "20"])
                got = _call(observe, pod, "/proc")
            return {"source": "live", "share_pid": share_pid, **got}
        except Exception as exc:
            reason = f"the live sandbox failed ({type(exc).__name__}: {exc})"
    with replay(share_pid) as (pod, proc):
        got = _call(observe, pod, proc)
    return {"source": "recorded", "share_pid": share_pid, "why_recorded": reason, **got}


# ---------------------------------------------------------------------------
# Demonstrations shown in the chapter (not graded)
# ---------------------------------------------------------------------------


def last_json_object(text: str) -> dict[str, Any]:
    """The last JSON object a probe printed (probes end with their result), or {} when none did."""
    for line in reversed((text or "").splitlines()):
        with contextlib.suppress(ValueError):
            value = json.loads(line)
            if isinstance(value, dict):
                return value
    return {}


def _pid_view_live(share_pid: bool) -> dict[str, Any]:
    from course.sandbox import PodSandbox

    marker = f"app-marker-{os.getpid()}"
    with PodSandbox(share_pid=share_pid, hostname="pid-pod", timeout=5.0) as pod:
        app = pod.run("app", [sys.executable, "-c", SLEEP, "20", marker])
        done = pod.exec("sidecar", [sys.executable, "-c", PS_AND_KILL, marker], timeout=5.0)
        seen = last_json_object(done.stdout)
        with contextlib.suppress(Exception):  # still running is an answer, not an error
            app.wait(2.0 if seen.get("signalled") else 0.2)
        app_exit = app.poll()
    return {"share_pid": share_pid, **seen,
            "app_stopped_by_signal": app_exit is not None and app_exit in (-signal.SIGTERM, 128 + signal.SIGTERM)}


def pid_views() -> dict[str, Any]:
    """Without and with a shared PID namespace: what a sidecar's `ps` shows, and whether `kill` works."""
    live, reason = support()
    if live:
        try:
            return {"source": "live", "not_shared": _pid_view_live(False), "shared": _pid_view_live(True)}
        except Exception as exc:
            reason = f"the live sandbox failed ({type(exc).__name__}: {exc})"
    return {"source": "recorded", "why_recorded": reason, **recording()["pid_views"]}


def hostnames() -> dict[str, Any]:
    """The hostname two containers of one pod see, and the hostname outside it."""
    import socket

    live, reason = support()
    code = "import socket; print(socket.gethostname())"
    if live:
        try:
            from course.sandbox import PodSandbox

            with PodSandbox(hostname="web-pod", timeout=5.0) as pod:
                seen = {n: pod.exec(n, [sys.executable, "-c", code], timeout=5.0).stdout.strip()
                        for n in ("app", "sidecar")}
            return {"source": "live", "containers": seen, "outside": socket.gethostname()}
        except Exception as exc:
            reason = f"the live sandbox failed ({type(exc).__name__}: {exc})"
    return {"source": "recorded", "why_recorded": reason, **recording()["hostnames"]}


def own_links(proc: str = "/proc") -> dict[str, str]:
    """The namespace links of this very process (all eight kinds this kernel has)."""
    out: dict[str, str] = {}
    for kind in ("cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"):
        with contextlib.suppress(OSError):
            out[kind] = os.readlink(f"{proc}/self/ns/{kind}")
    return out


def record() -> dict[str, Any]:  # pragma: no cover - run by hand on a Linux machine as root
    """Capture a fresh recording (python -c 'from graders.ch2lab import record; record()')."""
    def observe(pod: Any, proc: str) -> dict[str, Any]:
        pids = {"app": pod.container("app").pid, "sidecar": pod.container("sidecar").pid,
                "pause": pod.pause_pid, "outside": os.getpid()}
        return {"pids": pids, "links": {role: {k: os.readlink(f"{proc}/{pid}/ns/{k}") for k in LAB_KINDS}
                                        for role, pid in pids.items()}}

    lab = {}
    for key, share in (("default", False), ("shared_pid", True)):
        got = run_lab(observe, share)
        if got.get("source") != "live":
            raise RuntimeError(f"recording needs a live sandbox: {got}")
        lab[key] = got["observed"]
    views = pid_views()
    names = hostnames()
    data = {"lab": lab, "pid_views": {k: views[k] for k in ("not_shared", "shared")},
            "hostnames": {k: names[k] for k in ("containers", "outside")}, "own_links": own_links()}
    RECORDING.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    recording.cache_clear()
    return data
