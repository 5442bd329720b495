"""Experiments the namespaces chapters run, each returning plain JSON-able data to show or grade.

Every function builds its own sandboxes and tears them down before returning, and
every wait is bounded, so a notebook cell can call one and never hang.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import random
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

from course.sandbox.core import PodSandbox, SandboxError, ns_links, pid_alive, wait_until

PY = sys.executable

# Small programs run inside the containers. They print one JSON line so results stay data.
HTTP_CLIENT = """
import json, sys, time, urllib.request
url, deadline = sys.argv[1], time.monotonic() + float(sys.argv[2])
res = {"reachable": False, "status": None, "error": None}
while True:
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            res.update(reachable=True, status=r.status, error=None)
            break
    except Exception as exc:
        res["error"] = type(getattr(exc, "reason", exc)).__name__
    if time.monotonic() > deadline:
        break
    time.sleep(0.05)
print(json.dumps(res))
"""

MSGQ = """
import ctypes, errno, json, sys
libc = ctypes.CDLL(None, use_errno=True)
key, action = int(sys.argv[1]), sys.argv[2]
class Msg(ctypes.Structure):
    _fields_ = [("mtype", ctypes.c_long), ("mtext", ctypes.c_char * 64)]
if action == "create":
    qid = libc.msgget(key, 0o1600)
    m = Msg(1, b"hello from " + sys.argv[3].encode())
    libc.msgsnd(qid, ctypes.byref(m), 64, 0)
    print(json.dumps({"created": qid >= 0, "qid": qid}))
else:
    qid = libc.msgget(key, 0)
    if qid < 0:
        print(json.dumps({"visible": False, "error": errno.errorcode[ctypes.get_errno()]}))
    else:
        m = Msg()
        n = libc.msgrcv(qid, ctypes.byref(m), 64, 0, 0o4000)
        print(json.dumps({"visible": True, "message": m.mtext.decode() if n >= 0 else None}))
"""

PS = """
import json, os, signal, sys, time
me = os.getpid()
procs = []
for d in sorted(os.listdir("/proc"), key=lambda s: (len(s), s)):
    if d.isdigit():
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                args = f.read().decode(errors="replace").split("\\0")
        except OSError:
            continue
        args = ["<script>" if i and args[i - 1] == "-c" else a for i, a in enumerate(args)]
        cmd = " ".join(args).strip()
        if "pause" in args and any(a.endswith("_shim.py") for a in args):
            cmd = "pause (holds the pod's namespaces)"
        cmd = cmd.replace(sys.executable, "python")
        procs.append({"pid": int(d), "cmd": cmd, "me": int(d) == me})
target = [p["pid"] for p in procs if sys.argv[1] in p["cmd"] and not p["me"]]
for p in procs:
    p["cmd"] = p["cmd"][:60]
signalled = None
if target and sys.argv[2] == "kill":
    os.kill(target[0], signal.SIGTERM)
    signalled = target[0]
print(json.dumps({"processes": procs, "target_pid": target[0] if target else None, "signalled": signalled}))
"""

BIND = """
import errno, json, socket, sys, time
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
    s.listen()
    print(json.dumps({"result": "bound"}), flush=True)
except OSError as exc:
    print(json.dumps({"result": errno.errorcode.get(exc.errno, str(exc.errno))}), flush=True)
    sys.exit(0)
if sys.argv[2] == "hold":
    time.sleep(float(sys.argv[3]))
"""

SLEEPER = "import sys, time; time.sleep(float(sys.argv[1]))"


def _json_out(done: Any) -> dict[str, Any]:
    """Last JSON line a container printed, or an error record if it printed none."""
    for line in reversed((done.stdout or "").splitlines()):
        try:
            return json.loads(line)
        except ValueError:
            continue
    return {"error": "no output", "returncode": done.returncode, "stderr": (done.stderr or "")[-400:]}


def _host_port_free(port: int) -> bool:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def _pick_port(preferred: int = 8080) -> int:
    """A port nothing on the host listens on, so "the host cannot reach it" is a fair test."""
    for port in (preferred, 18080, 28080, 38080):
        if _host_port_free(port):
            return port
    return 40000 + random.randrange(20000)


def _host_fetch(url: str) -> dict[str, Any]:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            return {"reachable": True, "status": r.status, "error": None}
    except Exception as exc:
        return {"reachable": False, "status": None, "error": type(getattr(exc, "reason", exc)).__name__}


def _wait_listening(pod: PodSandbox, name: str, port: int, timeout: float = 5.0) -> None:
    """Block (bounded) until `name` inside `pod` accepts connections on `port`."""
    probe = ("import socket,sys,time\nd=time.monotonic()+float(sys.argv[2])\n"
             "while time.monotonic()<d:\n"
             "    try:\n        socket.create_connection(('127.0.0.1',int(sys.argv[1])),0.2).close(); sys.exit(0)\n"
             "    except OSError: time.sleep(0.03)\nsys.exit(1)")
    done = pod.exec(f"{name}-ready-{time.monotonic_ns()}", [PY, "-c", probe, str(port), str(timeout)],
                    timeout=timeout + 2, mount_ns=False)
    if done.returncode != 0:
        raise SandboxError(f"{name} did not start listening on port {port}")


def _web(pod: PodSandbox, port: int) -> None:
    pod.run("web", [PY, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", "/"],
            mount_ns=False)
    _wait_listening(pod, "web", port)


def observe_network(port: int = 8080) -> dict[str, Any]:
    """One container serves HTTP on 127.0.0.1; who else can reach it?"""
    port = _pick_port(port)
    url = f"http://127.0.0.1:{port}/"
    with PodSandbox(hostname="web-pod") as pod, PodSandbox(hostname="other-pod") as other:
        _web(pod, port)
        same = _json_out(pod.exec("sidecar", [PY, "-c", HTTP_CLIENT, url, "3"], timeout=8))
        elsewhere = _json_out(other.exec("client", [PY, "-c", HTTP_CLIENT, url, "0.3"], timeout=8))
        host = _host_fetch(url)
    return {"port": port, "url": url, "same_pod": same, "other_pod": elsewhere, "host": host}


def _host_msgq(key: int) -> dict[str, Any]:
    libc = ctypes.CDLL(None, use_errno=True)
    qid = libc.msgget(key, 0)
    if qid < 0:
        return {"visible": False, "error": errno.errorcode.get(ctypes.get_errno(), "?")}
    return {"visible": True, "message": None}


def observe_ipc() -> dict[str, Any]:
    """A System V message queue made in one container: who can open it and read its message?"""
    key = random.randrange(0x10000, 0x7FFFFFFF)
    while _host_msgq(key)["visible"]:
        key = random.randrange(0x10000, 0x7FFFFFFF)
    with PodSandbox(hostname="ipc-pod") as pod, PodSandbox(hostname="other-pod") as other:
        made = _json_out(pod.exec("writer", [PY, "-c", MSGQ, str(key), "create", "writer"], timeout=5))
        same = _json_out(pod.exec("reader", [PY, "-c", MSGQ, str(key), "open"], timeout=5))
        elsewhere = _json_out(other.exec("reader", [PY, "-c", MSGQ, str(key), "open"], timeout=5))
        host = _host_msgq(key)
    return {"key": hex(key), "writer": made, "same_pod": same, "other_pod": elsewhere, "host": host,
            "writer_exited_before_read": True}


def _compare(host: dict[str, str], pause: dict[str, str], a: dict[str, str], b: dict[str, str]
             ) -> dict[str, list[str]]:
    kinds = [k for k in ("net", "ipc", "uts", "pid", "mnt", "user", "cgroup") if k in a and k in b]
    return {
        "shared_by_containers": [k for k in kinds if a[k] == b[k]],
        "own_per_container": [k for k in kinds if a[k] != b[k]],
        "same_as_pause": [k for k in kinds if a[k] == b[k] == pause.get(k)],
        "same_as_host": [k for k in kinds if a[k] == b[k] == host.get(k)],
    }


def observe_namespaces(share_pid: bool = False) -> dict[str, Any]:
    """Which /proc/PID/ns links do two containers share with each other, the pause and the host?"""
    with PodSandbox(share_pid=share_pid, hostname="ns-pod") as pod:
        for name in ("app", "sidecar"):
            pod.run(name, [PY, "-c", SLEEPER, "10"])
        host = ns_links("self")
        pause = pod.namespaces()
        a, b = pod.container_namespaces("app"), pod.container_namespaces("sidecar")
    return {"share_pid": share_pid, "host": host, "pause": pause, "containers": {"app": a, "sidecar": b},
            **_compare(host, pause, a, b)}


def observe_hostname() -> dict[str, Any]:
    """Do containers of one pod see the pod's hostname, and does the host keep its own?"""
    with PodSandbox(hostname="web-pod") as pod:
        seen = {n: pod.exec(n, [PY, "-c", "import socket; print(socket.gethostname())"], timeout=5).stdout.strip()
                for n in ("app", "sidecar")}
    return {"pod_hostname": "web-pod", "containers": seen, "host_differs": socket.gethostname() != "web-pod"}


def _pid_view(share_pid: bool) -> dict[str, Any]:
    marker = f"web-marker-{os.getpid()}"
    with PodSandbox(share_pid=share_pid, hostname="pid-pod") as pod:
        web = pod.run("web", [PY, "-c", SLEEPER, "10", marker])
        seen = _json_out(pod.exec("sidecar", [PY, "-c", PS, marker, "kill"], timeout=5))
        exited = wait_until(lambda: not web.running(), 2.0) if seen.get("signalled") else not web.running()
    return {"share_pid": share_pid, "sidecar_sees": seen.get("processes", []),
            "sees_web": seen.get("target_pid") is not None, "web_pid_inside": seen.get("target_pid"),
            "signalled": seen.get("signalled") is not None, "web_exited": exited,
            "web_host_pid_differs": seen.get("target_pid") not in (None, web.pid)}


def observe_pid_sharing() -> dict[str, Any]:
    """With and without a shared pid namespace, can a sidecar see and signal the app's process?"""
    return {"shared": _pid_view(True), "not_shared": _pid_view(False)}


def observe_pause_death() -> dict[str, Any]:
    """What happens to the containers when the pause process dies, with and without a pid namespace?

    Without one, the namespaces outlive the pause because web still holds them (and so
    does the PodSandbox object, which keeps them open to clean up safely). Kubernetes
    would notice the dead sandbox, kill the containers and start a new pod sandbox.
    """
    out: dict[str, Any] = {}
    with PodSandbox(share_pid=True, hostname="pid-pod") as pod:
        workers = [pod.run(n, [PY, "-c", SLEEPER, "10"]) for n in ("app", "sidecar")]
        before = len(pod.members())
        t0 = time.monotonic()
        pod.kill_pause()
        gone = wait_until(lambda: not any(w.running() for w in workers), 3.0)
        out["with_pid_namespace"] = {"members_before": before, "all_members_killed": gone,
                                     "seconds": round(time.monotonic() - t0, 3),
                                     "alive_after": [w.name for w in workers if w.running()]}
    port = _pick_port(8080)
    with PodSandbox(share_pid=False, hostname="web-pod") as pod:
        _web(pod, port)
        web = pod.container("web")
        net_before = pod.container_namespaces("web")["net"]
        pod.kill_pause()
        time.sleep(0.1)
        try:
            pod.exec("late", ["true"], timeout=3)
            join_error = None
        except SandboxError as exc:
            join_error = str(exc)
        alive = web.running()
        net_after = ns_links(web.pid).get("net")
        # The namespace still exists because web holds it: join through web instead of the pause.
        served = _json_out(pod.exec("sidecar", [PY, "-c", HTTP_CLIENT, f"http://127.0.0.1:{port}/", "2"],
                                    timeout=6, via=web.pid)) if alive else {"reachable": False}
        out["without_pid_namespace"] = {"web_still_running": alive, "netns_unchanged": net_after == net_before,
                                        "still_serves_inside_netns": served.get("reachable", False),
                                        "join_via_pause_error": join_error,
                                        "pause_alive": pid_alive(pod.pause_pid)}
    return out


def observe_port_clash(port: int = 8080) -> dict[str, Any]:
    """Two containers bind the same port: in one pod, and in two separate pods."""
    def holder(pod: PodSandbox, name: str) -> dict[str, Any]:
        c = pod.run(name, [PY, "-c", BIND, str(port), "hold", "10"])
        wait_until(lambda: '"result"' in c.logs()[0] or not c.running(), 5.0)
        return _json_out(type("D", (), {"stdout": c.logs()[0], "stderr": c.logs()[1], "returncode": c.poll()}))

    with PodSandbox(hostname="one-pod") as pod:
        first = holder(pod, "a")
        second = _json_out(pod.exec("b", [PY, "-c", BIND, str(port), "once"], timeout=5))
    with PodSandbox(hostname="pod-1") as p1, PodSandbox(hostname="pod-2") as p2:
        one, two = holder(p1, "a"), holder(p2, "a")
    return {"port": port, "same_pod": {"first": first.get("result"), "second": second.get("result")},
            "separate_pods": {"first": one.get("result"), "second": two.get("result")}}


def observe_volumes() -> dict[str, Any]:
    """A file written to the shared emptyDir and to a private directory: who sees which?"""
    write = "import os; [open(os.path.join(os.environ[v], 'note.txt'), 'w').write(v) " \
            "for v in ('POD_SHARED_DIR', 'POD_PRIVATE_DIR')]"
    read = "import json, os; print(json.dumps({v: os.path.exists(os.path.join(os.environ[v], 'note.txt')) " \
           "for v in ('POD_SHARED_DIR', 'POD_PRIVATE_DIR')}))"
    with PodSandbox(hostname="vol-pod") as pod:
        w = pod.exec("writer", [PY, "-c", write], timeout=5)
        seen = _json_out(pod.exec("reader", [PY, "-c", read], timeout=5))
        on_host = sorted(p.name for p in pod.shared_dir.iterdir())
    return {"writer_ok": w.returncode == 0, "reader_sees_shared": seen.get("POD_SHARED_DIR"),
            "reader_sees_private": seen.get("POD_PRIVATE_DIR"), "shared_files_on_host": on_host}


OBSERVATIONS: dict[str, Callable[[], dict[str, Any]]] = {
    "network": observe_network,
    "ipc": observe_ipc,
    "namespaces": observe_namespaces,
    "namespaces_shared_pid": lambda: observe_namespaces(share_pid=True),
    "hostname": observe_hostname,
    "pid_sharing": observe_pid_sharing,
    "pause_death": observe_pause_death,
    "port_clash": observe_port_clash,
    "volumes": observe_volumes,
}
