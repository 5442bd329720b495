"""Chapter 3's networking lab: HTTP on localhost and port clashes inside real pod sandboxes.

The learner writes an experiment against a small `Lab` API (pods, and in them
containers that serve, fetch or bind a port). `run_lab` runs it on live
`course.sandbox.PodSandbox`es when this machine can build them. Where it cannot,
the same experiment runs against a replay that follows the same rule (one
network namespace per pod) and answers with outcomes recorded on a Linux
machine, marked `"source": "recorded"`. Either way the lab itself writes down
every action and its outcome; that trace, not the learner's return value, is
what the grader reads. Every wait is bounded and every pod is torn down.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graders.ch2lab import last_json_object, support

PY = sys.executable
MAX_PODS = 4
MAX_CONTAINERS = 16

# A tiny HTTP server bound to 127.0.0.1 only. It reports the bind result as one JSON
# line, then serves until the sandbox is torn down (or an alarm, as a last resort).
SERVE = """
import errno, http.server, json, signal, sys
port, name = int(sys.argv[1]), sys.argv[2]
class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("hello from " + name + "\\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
try:
    server = http.server.HTTPServer(("127.0.0.1", port), Hello)
except OSError as exc:
    print(json.dumps({"result": errno.errorcode.get(exc.errno, str(exc.errno))}), flush=True)
    sys.exit(1)
print(json.dumps({"result": "listening"}), flush=True)
signal.alarm(60)
server.serve_forever()
"""

# Binds a TCP port on 127.0.0.1 and holds it; prints "bound" or the errno name.
BIND = """
import errno, json, signal, socket, sys, time
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
    s.listen()
except OSError as exc:
    print(json.dumps({"result": errno.errorcode.get(exc.errno, str(exc.errno))}), flush=True)
    sys.exit(1)
print(json.dumps({"result": "bound"}), flush=True)
signal.alarm(60)
time.sleep(60)
"""

# One HTTP GET with a short timeout; prints {"reachable", "status", "body", "error"}.
FETCH = """
import json, sys, urllib.request
res = {"reachable": False, "status": None, "body": None, "error": None}
try:
    with urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2])) as r:
        res.update(reachable=True, status=r.status, body=r.read(200).decode(errors="replace").strip())
except Exception as exc:
    res["error"] = type(getattr(exc, "reason", exc)).__name__
print(json.dumps(res))
"""


class LabError(Exception):
    """A mistake in how the experiment used the lab; the message says what to change."""


def _port(port: Any) -> int:
    if isinstance(port, bool) or not isinstance(port, int) or not 1024 <= port <= 65535:
        raise LabError(f"port {port!r} is not a usable port; pass lab.port (an int between 1024 and 65535).")
    return port


def _host_port_free(port: int) -> bool:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def pick_port() -> int:
    """A port nothing listens on in the notebook's own namespace, so "outside cannot reach it" is fair."""
    for port in (8080, 18080, 28080, 38080, 48080):
        if _host_port_free(port):
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch_text(result: dict[str, Any]) -> str:
    """A fetch outcome as a learner reads it: `HTTP 200: hello from web` or `refused (...)`."""
    if result.get("reachable"):
        body = f": {result['body']}" if result.get("body") else ""
        return f"HTTP {result.get('status')}{body}"
    return f"failed ({result.get('error') or 'no answer'})"


# ---------------------------------------------------------------------------
# The API the learner's experiment uses (one implementation, two back ends)
# ---------------------------------------------------------------------------


@dataclass
class LabPod:
    """A pod in the lab. Each method starts a new container with the name you give it."""

    name: str
    lab: Lab
    _names: set[str] = field(default_factory=set)
    _sandbox: Any = None

    def _new(self, container: Any) -> str:
        if not isinstance(container, str) or not container:
            raise LabError(f"container name {container!r} must be a non-empty string such as 'sidecar'.")
        if container in self._names:
            raise LabError(f"pod {self.name!r} already has a container named {container!r}; "
                           "container names are unique within a pod: pick another name.")
        if self.lab.containers >= MAX_CONTAINERS:
            raise LabError(f"the lab allows at most {MAX_CONTAINERS} containers per run.")
        self.lab._check_time()
        self._names.add(container)
        self.lab.containers += 1
        return container

    def serve(self, container: str, port: int) -> str:
        """Start `container` serving HTTP on 127.0.0.1:`port`; returns "listening" or why not."""
        name, port = self._new(container), _port(port)
        result = self.lab.backend.serve(self, name, port)
        self.lab.record(self.name, name, "serve", port, {"result": result})
        return result

    def bind(self, container: str, port: int) -> str:
        """Start `container` holding TCP `port` on 127.0.0.1; returns "bound" or the error (EADDRINUSE)."""
        name, port = self._new(container), _port(port)
        result = self.lab.backend.bind(self, name, port)
        self.lab.record(self.name, name, "bind", port, {"result": result})
        return result

    def fetch(self, container: str, port: int) -> str:
        """Run `container` once: an HTTP GET of http://127.0.0.1:`port`/; returns what came back."""
        name, port = self._new(container), _port(port)
        got = self.lab.backend.fetch(self, name, port)
        self.lab.record(self.name, name, "fetch", port, got)
        return fetch_text(got)


class Lab:
    """What an experiment receives: `lab.port`, `lab.pod(name)` and `lab.fetch_here(port)`."""

    def __init__(self, backend: Any, port: int, budget: float) -> None:
        self.backend = backend
        self.port = port
        self.source: str = backend.source
        self.events: list[dict[str, Any]] = []
        self.containers = 0
        self._pods: dict[str, LabPod] = {}
        self._deadline = time.monotonic() + budget

    def _check_time(self) -> None:
        if time.monotonic() > self._deadline:
            raise LabError("the experiment ran out of time; it should only start a few containers.")

    def pod(self, name: str) -> LabPod:
        """A new pod (its own network namespace) called `name`; at most four per run."""
        if not isinstance(name, str) or not name:
            raise LabError(f"pod name {name!r} must be a non-empty string such as 'web-pod'.")
        if name in self._pods:
            raise LabError(f"there is already a pod named {name!r}; use the object lab.pod() returned, "
                           "or pick another name for a second pod.")
        if len(self._pods) >= MAX_PODS:
            raise LabError(f"the lab allows at most {MAX_PODS} pods per run.")
        self._check_time()
        p = LabPod(name, self)
        p._sandbox = self.backend.new_pod(name)
        self._pods[name] = p
        return p

    def fetch_here(self, port: int) -> str:
        """An HTTP GET of http://127.0.0.1:`port`/ from the notebook kernel itself, outside every pod."""
        port = _port(port)
        self._check_time()
        got = self.backend.fetch_here(port)
        self.record(None, None, "fetch", port, got)
        return fetch_text(got)

    def record(self, pod: str | None, container: str | None, action: str, port: int,
               outcome: dict[str, Any]) -> None:
        self.events.append({"pod": pod, "container": container, "action": action, "port": port, **outcome})


# ---------------------------------------------------------------------------
# Live back end: real namespaces
# ---------------------------------------------------------------------------


class LiveBackend:
    source = "live"

    def __init__(self, stack: contextlib.ExitStack, timeout: float) -> None:
        self.stack = stack
        self.timeout = timeout

    def new_pod(self, name: str) -> Any:
        from course.sandbox import PodSandbox

        try:
            return self.stack.enter_context(PodSandbox(hostname=name[:63], timeout=self.timeout))
        except Exception as exc:  # whatever broke, the replay takes over
            raise BackendFailure(f"{type(exc).__name__}: {exc}") from exc

    def _start(self, pod: LabPod, container: str, argv: list[str]) -> Any:
        try:
            return pod._sandbox.run(container, argv, mount_ns=False)
        except Exception as exc:
            raise BackendFailure(f"{type(exc).__name__}: {exc}") from exc

    def _hold(self, pod: LabPod, container: str, argv: list[str]) -> str:
        """Start a long-running container and wait (bounded) for the one line it prints."""
        c = self._start(pod, container, argv)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            out = last_json_object(c.logs()[0])
            if out:
                return str(out.get("result"))
            if c.poll() is not None:
                out = last_json_object(c.logs()[0])
                return str(out.get("result", f"exited with status {c.poll()}"))
            time.sleep(0.01)
        return "no answer in time"

    def serve(self, pod: LabPod, container: str, port: int) -> str:
        return self._hold(pod, container, [PY, "-c", SERVE, str(port), container])

    def bind(self, pod: LabPod, container: str, port: int) -> str:
        return self._hold(pod, container, [PY, "-c", BIND, str(port)])

    def fetch(self, pod: LabPod, container: str, port: int) -> dict[str, Any]:
        import subprocess

        url = f"http://127.0.0.1:{port}/"
        c = self._start(pod, container, [PY, "-c", FETCH, url, "1"])
        try:
            c.wait(self.timeout)
        except subprocess.TimeoutExpired:
            c.stop(grace=0.1)
            return {"reachable": False, "status": None, "body": None, "error": "timeout"}
        got = last_json_object(c.logs()[0])
        return {k: got.get(k) for k in ("reachable", "status", "body", "error")} if got else \
            {"reachable": False, "status": None, "body": None, "error": "no output"}

    def fetch_here(self, port: int) -> dict[str, Any]:
        import urllib.request

        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
                return {"reachable": True, "status": r.status, "body": r.read(200).decode(errors="replace").strip(),
                        "error": None}
        except Exception as exc:  # any failure is an observation
            return {"reachable": False, "status": None, "body": None,
                    "error": type(getattr(exc, "reason", exc)).__name__}


# ---------------------------------------------------------------------------
# Replay back end: one network namespace per pod, outcomes from a recording
# ---------------------------------------------------------------------------

# Used only if the sandbox helper's recording cannot be read.
_FALLBACK = {
    "network": {"port": 8080, "same_pod": {"reachable": True, "status": 200, "error": None},
                "other_pod": {"reachable": False, "status": None, "error": "ConnectionRefusedError"},
                "host": {"reachable": False, "status": None, "error": "ConnectionRefusedError"}},
    "port_clash": {"port": 8080, "same_pod": {"first": "bound", "second": "EADDRINUSE"},
                   "separate_pods": {"first": "bound", "second": "bound"}},
}


def recorded_observations() -> dict[str, Any]:
    """The `network` and `port_clash` observations recorded by `python -m course.sandbox.recorded`."""
    try:
        from course.sandbox.recorded import load_recorded

        obs = load_recorded()["observations"]
        return {"network": obs["network"], "port_clash": obs["port_clash"]}
    except Exception:  # the built-in copy of the same recording
        return _FALLBACK


class ReplayBackend:
    """Which socket is open where is tracked per pod; what a call returns comes from the recording."""

    source = "recorded"

    def __init__(self) -> None:
        rec = recorded_observations()
        self.net, self.clash = rec["network"], rec["port_clash"]
        self.listening: dict[str, dict[int, str]] = {}  # pod -> port -> container holding it

    def new_pod(self, name: str) -> Any:
        self.listening[name] = {}
        return None

    def _hold(self, pod: LabPod, container: str, port: int, ok: str) -> str:
        held = self.listening[pod.name]
        if port in held:
            return str(self.clash["same_pod"]["second"])
        held[port] = container
        return ok

    def serve(self, pod: LabPod, container: str, port: int) -> str:
        return self._hold(pod, container, port, "listening")

    def bind(self, pod: LabPod, container: str, port: int) -> str:
        return self._hold(pod, container, port, str(self.clash["same_pod"]["first"]))

    def fetch(self, pod: LabPod, container: str, port: int) -> dict[str, Any]:
        owner = self.listening[pod.name].get(port)
        if owner is not None:
            got = dict(self.net["same_pod"])
            got["body"] = f"hello from {owner}"
        else:
            got = dict(self.net["other_pod"])
            got["body"] = None
        return {k: got.get(k) for k in ("reachable", "status", "body", "error")}

    def fetch_here(self, port: int) -> dict[str, Any]:
        got = dict(self.net["host"])
        return {"reachable": bool(got.get("reachable")), "status": got.get("status"), "body": None,
                "error": got.get("error")}


# ---------------------------------------------------------------------------
# Running an experiment
# ---------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    from graders.answers import to_payload

    return to_payload(value)


class BackendFailure(Exception):
    """The live sandbox itself failed (not the learner's code): the run falls back to the replay."""


def _attempt(experiment: Callable[[Lab], Any], lab: Lab) -> dict[str, Any]:
    try:
        returned = experiment(lab)
    except LabError as exc:
        return {"error": str(exc)}
    except BackendFailure:
        raise
    except Exception as exc:  # the learner's code may fail in any way
        return {"error": f"the experiment raised {type(exc).__name__}: {exc}"}
    return {"returned": _plain(returned)}


def run_lab(experiment: Callable[[Lab], Any], *, timeout: float = 5.0, budget: float = 20.0,
            live: bool | None = None) -> dict[str, Any]:
    """Run `experiment(lab)` on live pods (or the replay), tear everything down, return the trace.

    The result is {"source": "live" | "recorded", "port", "events": [...], "returned" or
    "error", and "why_recorded" for a replay}. Never raises (except KeyboardInterrupt).
    `live=False` forces the replay (tests, and a learner who wants to compare).
    """
    if not callable(experiment):
        return {"source": "none", "port": None, "events": [],
                "error": f"run_lab needs your experiment function, not {type(experiment).__name__}."}
    can, reason = support()
    if live is False:
        can, reason = False, "the replay was asked for"
    if can:
        port = pick_port()
        try:
            with contextlib.ExitStack() as stack:
                lab = Lab(LiveBackend(stack, timeout), port, budget)
                got = _attempt(experiment, lab)
            return {"source": "live", "port": port, "events": lab.events, **got}
        except BackendFailure as exc:
            reason = f"the live sandbox failed ({type(exc).__name__}: {exc})"
    backend = ReplayBackend()
    lab = Lab(backend, int(backend.net.get("port", 8080)), budget)
    got = _attempt(experiment, lab)
    return {"source": "recorded", "why_recorded": reason, "port": lab.port, "events": lab.events, **got}


def show(run: dict[str, Any]) -> None:
    """Print a lab run as a short table: where each container ran and what it got."""
    if run.get("source") == "recorded":
        print(f"(replayed from a recording: {run.get('why_recorded', 'no live namespaces')})")
    for e in run.get("events") or []:
        where = f"{e.get('pod')}/{e.get('container')}" if e.get("pod") else "notebook kernel (outside)"
        if e.get("action") == "fetch":
            outcome = fetch_text(e)
        else:
            outcome = str(e.get("result"))
        print(f"  {where:<28} {e.get('action'):<6} port {e.get('port')}: {outcome}")
    if run.get("error"):
        print(f"  stopped: {run['error']}")
