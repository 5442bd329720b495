"""Behavioural checks by running commands inside a container (kubectl exec).

Exec travels over a websocket (`kubernetes.stream.stream`). The transport is a plain callable
so tests and other front ends can substitute it; the default one is `websocket_exec`.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from course.cluster.client import fresh_copy, quiet


@dataclass(frozen=True)
class ExecResult:
    stdout: str
    stderr: str
    exit_code: int | None  # None: the command could not be run at all (see `error`)
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


Transport = Callable[[Any, str, str, str, list[str], float], ExecResult]


def websocket_exec(
    api: Any, namespace: str, pod: str, container: str, command: list[str], timeout: float
) -> ExecResult:
    """Run `command` in one container over the API server's exec websocket."""
    from kubernetes import client
    from kubernetes.stream import stream

    own = fresh_copy(api)  # stream() patches the client it is given; keep shared clients untouched
    try:
        with quiet():
            ws = stream(
                client.CoreV1Api(own).connect_get_namespaced_pod_exec,
                pod,
                namespace,
                container=container,
                command=command,
                stdin=False,
                stdout=True,
                stderr=True,
                tty=False,
                _preload_content=False,
                _request_timeout=timeout,
            )
            try:
                ws.run_forever(timeout=timeout)
                if ws.is_open():
                    # Still running (or a background child holds its output open): take what arrived
                    # without waiting, since read_stdout() with no timeout blocks until more comes.
                    out, err = ws.read_stdout(timeout=0), ws.read_stderr(timeout=0)
                    return ExecResult(out, err, None, f"the command did not finish within {timeout:g}s")
                out, err = ws.read_stdout(), ws.read_stderr()
                return ExecResult(out, err, _exit_code(ws.read_channel(3)))
            finally:
                ws.close()
    except client.ApiException as exc:
        return ExecResult("", "", None, str(exc.reason or exc.status))
    except Exception as exc:
        return ExecResult("", "", None, str(exc) or type(exc).__name__)
    finally:
        own.close()


def _exit_code(error_channel: str) -> int | None:
    """Exit status from the exec error channel: a v1 Status, with the code as an ExitCode cause."""
    try:
        status = json.loads(error_channel) if error_channel else {}
    except ValueError:
        return None
    if not isinstance(status, dict):
        return None
    if status.get("status") == "Success":
        return 0
    details = status.get("details") if isinstance(status.get("details"), dict) else {}
    for cause in details.get("causes") or []:
        if isinstance(cause, dict) and cause.get("reason") == "ExitCode":
            try:
                return int(cause.get("message"))
            except (TypeError, ValueError):
                return None
    return None


@dataclass
class PodHandle:
    """A running Pod that behavioural checks can exec into."""

    api: Any
    namespace: str
    name: str
    transport: Transport = websocket_exec
    timeout: float = 10.0

    def exec(self, container: str, command: list[str]) -> ExecResult:
        return self.transport(self.api, self.namespace, self.name, container, list(command), self.timeout)

    def sh(self, container: str, script: str) -> ExecResult:
        return self.exec(container, ["sh", "-c", script])


def http_get_from(pod: PodHandle, container: str, url: str, timeout: int = 3) -> ExecResult:
    """Fetch `url` from inside `container` (busybox wget, else curl): proves pod networking.

    The time limit is `timeout`'s, not `wget -T`: Debian's BusyBox 1.35 (the course image)
    crashes with SIGSEGV whenever -T is given.
    """
    q = shlex.quote(url)
    t = int(timeout)
    return pod.sh(container, f"timeout {t} wget -q -O - {q} || curl -fsS --max-time {t} {q}")


def file_visible(pod: PodHandle, container: str, path: str) -> bool:
    """Whether `path` exists in `container` (e.g. a shared emptyDir or a mounted ConfigMap)."""
    return pod.exec(container, ["test", "-e", path]).exit_code == 0


def processes_seen(pod: PodHandle, container: str) -> list[str]:
    """Process names `container` can see: more than its own when shareProcessNamespace is on."""
    res = pod.sh(container, "for p in /proc/[0-9]*; do cat $p/comm 2>/dev/null; done")
    return [line.strip() for line in res.stdout.splitlines() if line.strip()] if res.ok else []


def user_id(pod: PodHandle, container: str) -> int | None:
    """The UID the container's processes run as (runAsUser / runAsNonRoot exercises)."""
    res = pod.exec(container, ["id", "-u"])
    try:
        return int(res.stdout.strip()) if res.ok else None
    except ValueError:
        return None


def write_fails(pod: PodHandle, container: str, path: str = "/probe-write") -> bool:
    """Whether writing `path` fails (readOnlyRootFilesystem exercises); False if exec itself failed."""
    res = pod.sh(container, f"echo x > {shlex.quote(path)}")
    return res.exit_code not in (0, None)
