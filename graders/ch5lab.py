"""Chapter 5's IPC lab: run the learner's experiments on live pod sandboxes, or on a replay.

The learner writes experiments against a small interface: `lab.pod`, `lab.other` (a
second Pod) and `lab.node` (the notebook's own namespaces, standing in for the node),
each with `run(container, tool, *args)` (a probe from `ch5tool.py`, run to completion
and returned as a dict) and, for pods, `start(container, tool, *args)` (a probe left
running; `.result()` collects it). Live, each container is a process in a
`course.sandbox.PodSandbox`. Where Linux namespaces are not available the same
experiment runs against a replay that answers every probe the lab uses from a
recording made on a Linux machine, so the learner's code still runs and still decides
what ends up in the artifact, which is marked `"source": "recorded"`. Every wait is
bounded and every sandbox is torn down before a lab call returns.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from graders.ch2lab import support
from graders.ch5tool import signal_name

TOOL = Path(__file__).with_name("ch5tool.py")
RECORDING = Path(__file__).with_name("ch5_recording.json")
PLACES = ("app", "sidecar", "other_pod", "node")
PROBE_TIMEOUT = 5.0


def tool_argv(tool: str, *args: Any) -> list[str]:
    return [sys.executable, "-I", "-S", str(TOOL), tool, *(str(a) for a in args)]


def last_json(text: str) -> dict[str, Any]:
    """The last JSON object a probe printed (its result), or an error record."""
    for line in reversed((text or "").splitlines()):
        with contextlib.suppress(ValueError):
            value = json.loads(line)
            if isinstance(value, dict) and "ready" not in value:
                return value
    return {"error": "the probe printed no result"}


@lru_cache(maxsize=1)
def recording() -> dict[str, Any]:
    """Observations recorded on a Linux machine, shipped with the course."""
    return json.loads(RECORDING.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------
# Live places
# ---------------------------------------------------------------------------


class LiveBackground:
    """A probe left running in a container; `result()` waits a little, then stops it and reads its answer."""

    def __init__(self, container: Any) -> None:
        self._c = container

    def result(self, wait: float = 0.5) -> dict[str, Any]:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._c.wait(wait)
        self._c.stop(grace=0.5)
        return last_json(self._c.logs()[0])


class LivePod:
    """One Pod of the lab: run probes in its containers (a new container name makes a new container)."""

    def __init__(self, sandbox: Any, label: str) -> None:
        self._sb = sandbox
        self.label = label
        self._n = 0

    def _name(self, container: str) -> str:
        """The container name, or a numbered one while a probe of that name is still running."""
        try:
            busy = self._sb.container(container).running()
        except Exception:
            busy = False
        if not busy:
            return container
        self._n += 1
        return f"{container}-{self._n}"

    def run(self, container: str, tool: str, *args: Any) -> dict[str, Any]:
        try:
            done = self._sb.exec(self._name(container), tool_argv(tool, *args), timeout=PROBE_TIMEOUT)
        except subprocess.TimeoutExpired:
            return {"tool": tool, "error": f"timed out after {PROBE_TIMEOUT:g} s"}
        return last_json(done.stdout)

    def start(self, container: str, tool: str, *args: Any) -> LiveBackground:
        c = self._sb.run(self._name(container), tool_argv(tool, *args))
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline and '"ready"' not in c.logs()[0] and c.running():
            time.sleep(0.01)
        return LiveBackground(c)


class LiveNode:
    """The notebook's own namespaces: what a process on the node, outside every Pod, sees."""

    label = "node"

    def run(self, container: str, tool: str, *args: Any) -> dict[str, Any]:
        try:
            done = subprocess.run(tool_argv(tool, *args), capture_output=True, text=True, timeout=PROBE_TIMEOUT,
                                  check=False, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return {"tool": tool, "error": f"timed out after {PROBE_TIMEOUT:g} s"}
        return last_json(done.stdout)


# ---------------------------------------------------------------------------
# Replay: the same interface, answered from the recording
# ---------------------------------------------------------------------------


@dataclass
class _ReplayProc:
    pid: int
    cmd: str
    uid: int = 0
    got: str | None = None


@dataclass
class _World:
    """Kernel state the replay models: queues per IPC namespace, processes per PID namespace."""

    share_pid: bool
    errors: dict[str, str]
    queues: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    procs: list[_ReplayProc] = field(default_factory=list)

    def next_pid(self) -> int:
        return 2 + len(self.procs) if self.share_pid else 1


class ReplayBackground:
    def __init__(self, proc: _ReplayProc) -> None:
        self._p = proc

    def result(self, wait: float = 0.5) -> dict[str, Any]:
        return {"tool": "wait-signal", "pid_inside": self._p.pid, "uid": self._p.uid, "got": self._p.got}


class ReplayPlace:
    """Answers probes like a live pod (or the node) would, from the recording's facts."""

    def __init__(self, world: _World, label: str) -> None:
        self._w = world
        self.label = label

    def run(self, container: str, tool: str, *args: Any) -> dict[str, Any]:
        w, a = self._w, [str(x) for x in args]
        try:
            if tool == "send":
                w.queues.setdefault((self.label, int(a[0], 0)), []).append(a[1])
                return {"tool": "send", "ok": True, "key": a[0]}
            if tool == "receive":  # msgget reads the key as C does: 0x5ca1ab1e and 1554098974 are one key
                q = w.queues.get((self.label, int(a[0], 0)))
                if q is None:
                    return {"tool": "receive", "key": a[0], "found": False, "error": w.errors["missing_queue"]}
                if not q:
                    return {"tool": "receive", "key": a[0], "found": True, "message": None,
                            "error": w.errors["empty_queue"]}
                return {"tool": "receive", "key": a[0], "found": True, "message": q.pop(0)}
            shared = self.label == "pod" and w.share_pid
            if tool == "ps":
                if not shared:  # its own PID namespace: the probe is PID 1 and alone
                    return {"tool": "ps", "processes": [{"pid": 1, "cmd": "ch5tool ps", "self": True}]}
                rows = [{"pid": 1, "cmd": "pause", "self": False}]
                rows += [{"pid": p.pid, "cmd": p.cmd, "self": False} for p in w.procs]
                return {"tool": "ps", "processes": [*rows, {"pid": 2 + len(w.procs), "cmd": "ch5tool ps",
                                                            "self": True}]}
            if tool == "kill":
                res: dict[str, Any] = {"tool": "kill", "pid": int(a[0]),
                                       "signal": signal_name(a[1])}
                visible = w.procs if shared else []
                target = next((p for p in visible if p.pid == int(a[0])), None)
                if len(a) > 2:
                    res["uid"] = int(a[2])
                if target is None and int(a[0]) == (2 + len(w.procs) if shared else 1):
                    return {**res, "ok": True}  # the probe signalled itself
                if target is None:
                    return {**res, "ok": False, "error": w.errors["no_such_process"]}
                if len(a) > 2 and int(a[2]) not in (0, target.uid):
                    return {**res, "ok": False, "error": w.errors["not_permitted"]}
                if target.got is None and res["signal"] in ("SIGHUP", "SIGTERM"):
                    target.got = res["signal"]
                return {**res, "ok": True}
        except (IndexError, ValueError) as exc:
            return {"tool": tool, "error": f"{type(exc).__name__}: {exc}"}
        return {"tool": tool, "error": f"the recording has no answer for {tool!r} in this lab"}

    def start(self, container: str, tool: str, *args: Any) -> ReplayBackground:
        if self.label != "pod" or tool != "wait-signal":
            raise RuntimeError(f"the recording has no answer for starting {tool!r} here")
        proc = _ReplayProc(self._w.next_pid(), "ch5tool wait-signal " + " ".join(str(x) for x in args))
        if self._w.share_pid:
            self._w.procs.append(proc)
        return ReplayBackground(proc)


# ---------------------------------------------------------------------------
# The lab handed to the learner's experiments
# ---------------------------------------------------------------------------


@dataclass
class Lab:
    """What an experiment receives: two Pods, the node, and the queue key and message to use."""

    pod: Any
    other: Any
    node: Any
    key: str
    message: str
    share_pid: bool = False


def _fresh_key() -> str:
    """A queue key no queue on this node uses, so "the node cannot see it" is a fair test."""
    node = LiveNode()
    for _ in range(20):
        key = hex(random.randrange(0x10000, 0x7FFFFFFF))
        if node.run("node", "receive", key).get("found") is False:
            return key
    return hex(random.randrange(0x10000, 0x7FFFFFFF))


@contextlib.contextmanager
def lab_places(share_pid: bool = False) -> Iterator[tuple[Lab, str, str]]:
    """Yield (lab, source, why): live sandboxes when possible, else the replay; always torn down."""
    live, why = support()
    message = f"hello from app {random.randrange(1000, 9999)}"
    if live:
        yielded = False
        try:
            from course.sandbox import PodSandbox

            with PodSandbox(share_pid=share_pid, hostname="ipc-pod") as pod, \
                    PodSandbox(hostname="other-pod") as other:
                lab = Lab(LivePod(pod, "pod"), LivePod(other, "other"), LiveNode(), _fresh_key(), message, share_pid)
                yielded = True
                yield lab, "live", why
            return
        except Exception as exc:
            if yielded:
                raise
            why = f"the live sandbox failed ({type(exc).__name__}: {exc})"
    world = _World(share_pid, dict(recording()["errors"]))
    yield (Lab(ReplayPlace(world, "pod"), ReplayPlace(world, "other"), ReplayPlace(world, "node"),
               recording()["key"], message, share_pid), "recorded", why)


class _LearnerError(Exception):
    """Carries an exception from the learner's code past the live/replay fallback."""


def _plain(value: Any) -> Any:
    from graders.answers import to_payload

    return to_payload(value)


def _run(experiment: Callable[[Lab], Any], share_pid: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    try:
        with lab_places(share_pid) as (lab, source, why):
            out = {"source": source, "share_pid": share_pid, "message": lab.message, "key": lab.key}
            if source == "recorded":
                out["why_recorded"] = why
            try:
                got = experiment(lab)
            except Exception as exc:
                raise _LearnerError(f"{type(exc).__name__}: {exc}") from exc
            if got is None:
                out["error"] = "the experiment returned None; make it return the dict of results."
            else:
                out["observed"] = _plain(got)
    except _LearnerError as exc:
        out["error"] = f"the experiment raised {exc}"
    except Exception as exc:
        out.setdefault("source", "none")
        out["error"] = f"the lab could not run ({type(exc).__name__}: {exc})"
    return out


def run_queue_lab(experiment: Callable[[Lab], Any]) -> dict[str, Any]:
    """Run `experiment(lab)` once; returns {"source", "message", "observed" or "error", ...}. Never raises."""
    return _run(experiment, share_pid=False)


def run_signal_lab(experiment: Callable[[Lab], Any], share_pid: bool) -> dict[str, Any]:
    """Run `experiment(lab)` in a Pod with or without a shared PID namespace. Never raises."""
    return _run(experiment, share_pid=share_pid)


# ---------------------------------------------------------------------------
# Demonstrations shown in the chapter (not graded)
# ---------------------------------------------------------------------------


def _queues_live() -> dict[str, Any]:
    from course.sandbox import PodSandbox

    key = _fresh_key()
    name = f"course-{random.randrange(10**6, 10**7)}"
    with PodSandbox(hostname="ipc-pod") as sb, PodSandbox(hostname="other-pod") as ob:
        pod, other, node = LivePod(sb, "pod"), LivePod(ob, "other"), LiveNode()
        made = {"System V message queue": pod.run("app", "send", key, "sysv hello"),
                "POSIX message queue": pod.run("app", "mq-send", name, "posix hello")}
        rows = {}
        probes = (("System V message queue", "receive", key), ("POSIX message queue", "mq-receive", name))
        for mech, tool, arg in probes:
            rows[mech] = {"created in app": made[mech].get("ok"),
                          "sidecar": pod.run("sidecar", tool, arg),
                          "other Pod": other.run("client", tool, arg),
                          "node": node.run("node", tool, arg)}
    return rows


def _sockets_live() -> dict[str, Any]:
    from course.sandbox import PRIVATE_MOUNT, SHARED_MOUNT, PodSandbox

    rows: dict[str, Any] = {}
    with PodSandbox(hostname="sock-pod") as sb, PodSandbox(hostname="other-pod") as ob:
        pod, other = LivePod(sb, "pod"), LivePod(ob, "other")
        cases = (("abstract @app.sock", "@app.sock"),
                 ("file in the app's own filesystem", f"{PRIVATE_MOUNT}/app.sock"),
                 ("file in a shared emptyDir", f"{SHARED_MOUNT}/app.sock"))
        servers = [pod.start("app", "unix-listen", addr, 2) for _, addr in cases]
        for (label, addr), _server in zip(cases, servers, strict=True):
            rows[label] = {"address": addr, "sidecar": pod.run("sidecar", "unix-connect", addr),
                           "other Pod": other.run("client", "unix-connect", addr)}
        for s in servers:
            s.result(0)
    return rows


def _signals_live() -> dict[str, Any]:
    from course.sandbox import PodSandbox

    with PodSandbox(share_pid=True, hostname="sig-pod") as sb:
        pod = LivePod(sb, "pod")
        app = pod.start("app", "wait-signal", 3)
        ps = pod.run("sidecar", "ps")
        target = next((p["pid"] for p in ps.get("processes", []) if "wait-signal" in p.get("cmd", "")), None)
        as_nobody = pod.run("sidecar", "kill", target, "HUP", 65534) if target else None
        as_same_uid = pod.run("sidecar", "kill", target, "HUP") if target else None
        got = app.result()
    return {"ps": ps, "as uid 65534": as_nobody, "as uid 0 (same as the app)": as_same_uid, "app": got}


DEMOS: dict[str, Callable[[], dict[str, Any]]] = {
    "queues": _queues_live, "sockets": _sockets_live, "signals": _signals_live,
}


def demo(name: str) -> dict[str, Any]:
    """A chapter demonstration, live when possible; {"source", "why", "data"}.

    While nbgrader executes a notebook the demonstrations replay their recording:
    they are not graded, and skipping their sandboxes keeps autograding fast.
    """
    live, why = support()
    if os.environ.get("NBGRADER_EXECUTION"):
        live, why = False, "demonstrations are replayed while the notebook is being graded"
    if live:
        try:
            return {"source": "live", "why": why, "data": DEMOS[name]()}
        except Exception as exc:
            why = f"the live sandbox failed ({type(exc).__name__}: {exc})"
    return {"source": "recorded", "why": why, "data": recording()["demos"][name]}


def record() -> dict[str, Any]:  # pragma: no cover - run by hand on a Linux machine that can build sandboxes
    """Capture a fresh recording: python -c 'from graders.ch5lab import record; record()'."""
    live, why = support()
    if not live:
        raise RuntimeError(f"recording needs live sandboxes: {why}")
    data = {
        "key": "0x5ca1ab1e",
        "errors": {"missing_queue": "ENOENT", "empty_queue": "ENOMSG", "no_such_process": "ESRCH",
                   "not_permitted": "EPERM"},
        "demos": {name: fn() for name, fn in DEMOS.items()},
        "recorded_on": {"kernel": os.uname().release, "python": sys.version.split()[0]},
    }
    RECORDING.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    recording.cache_clear()
    return data
