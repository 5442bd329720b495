"""Live checks: admit, run and observe one Pod in a sandbox, and say what went wrong in words.

Whatever happens (API errors, pods that never start, a vanished cluster) the result is a
`LiveResult` holding findings; nothing is raised at the learner and nothing goes to stderr.
"""

from __future__ import annotations

import concurrent.futures
import copy
import json
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from course.cluster.client import (
    REQUEST_TIMEOUT,
    api_error_findings,
    connect,
    quiet,
    reachable,
    unreachable_finding,
)
from course.cluster.errors import ClusterError
from course.findings import Finding, Key, make_finding

Policy = Literal["auto", "required", "off"]
Target = Literal["Ready", "Running", "Completed"]
Progress = Callable[[str], None]

POLICY_ENV = "PODCOURSE_LIVE"
SKIP_NOTICE = "live check skipped: no cluster"

IMAGE_PULL_REASONS = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"})
CONTAINER_ERROR_REASONS = frozenset(
    {"CreateContainerConfigError", "CreateContainerError", "RunContainerError", "PreCreateHookError"}
)


def live_policy() -> Policy:
    """`PODCOURSE_LIVE`: auto (default; run if the course cluster is up), required, or off.

    An unrecognised value falls back to `auto`, so a typo never fails a learner's notebook.
    """
    value = os.environ.get(POLICY_ENV, "").strip().lower()
    return value if value in ("auto", "required", "off") else "auto"  # type: ignore[return-value]


# ----------------------------------------------------------------------------- results


@dataclass
class ContainerReport:
    name: str
    index: int
    init: bool
    ready: bool
    restart_count: int
    state: str  # waiting / running / terminated / unknown
    reason: str
    message: str
    exit_code: int | None
    last_reason: str
    last_exit_code: int | None

    @property
    def spec_path(self) -> tuple[Any, ...]:
        return ("spec", "initContainers" if self.init else "containers", self.index)


@dataclass
class PodReport:
    """What the cluster said about the Pod when the wait ended."""

    name: str
    namespace: str
    outcome: str  # ready / running / completed / failed / timeout / error
    phase: str = ""
    conditions: dict[str, str] = field(default_factory=dict)
    containers: list[ContainerReport] = field(default_factory=list)
    qos_class: str = ""
    events: list[dict[str, str]] = field(default_factory=list)
    elapsed: float = 0.0
    pod: dict[str, Any] = field(default_factory=dict)

    def container(self, name: str) -> ContainerReport | None:
        return next((c for c in self.containers if c.name == name), None)


@dataclass
class LiveResult:
    """The outcome graders read: passed, failed, or skipped (which counts as passed)."""

    status: Literal["passed", "failed", "skipped"]
    findings: list[Finding] = field(default_factory=list)
    notice: str = ""
    report: PodReport | None = None
    namespace: str = ""
    elapsed: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status != "failed"

    @property
    def skipped(self) -> bool:
        return self.status == "skipped"

    def __str__(self) -> str:
        lines = [self.notice] if self.notice else [f"live check {self.status}"]
        for f in self.findings:
            lines.append(f"{f}\n  {f.hint}")
        return "\n".join(lines)


def _skip(notice: str, finding: Finding | None = None) -> LiveResult:
    return LiveResult("skipped", [finding] if finding else [], notice=notice)


# ----------------------------------------------------------------------------- API calls


def _core(api: Any) -> Any:
    from kubernetes import client

    return client.CoreV1Api(api)


def _prepare(pod: Any) -> dict[str, Any]:
    body = copy.deepcopy(pod) if isinstance(pod, dict) else {}
    meta = body.get("metadata")
    if isinstance(meta, dict):
        meta.pop("namespace", None)  # the sandbox decides; a mismatch would be a 400
    return body


def _call(fn: Callable[[], Any], what: str) -> tuple[Any, list[Finding]]:
    """Run one API call; errors come back as findings instead of exceptions."""
    from kubernetes import client

    try:
        with quiet():
            return fn(), []
    except client.ApiException as exc:
        return None, api_error_findings(exc, what)
    except Exception as exc:  # transport errors: refused, reset, timed out
        from course.cluster.client import _transport_reason

        return None, [unreachable_finding(_transport_reason(exc))]


def dry_run(pod: Any, *, api: Any, namespace: str) -> list[Finding]:
    """Server-side dry-run: validation and admission (Pod Security, quota) without creating.

    The API server is the authority; its `Status.message` is shown with our hint.
    """
    body = _prepare(pod)
    _, found = _call(
        lambda: _core(api).create_namespaced_pod(
            namespace, body, dry_run="All", _request_timeout=REQUEST_TIMEOUT, _preload_content=False
        ),
        "the Pod",
    )
    return found


def apply(pod: Any, *, api: Any, namespace: str) -> tuple[dict[str, Any] | None, list[Finding]]:
    """Create the Pod; returns the created object (a dict) or the findings explaining why not."""
    body = _prepare(pod)
    resp, found = _call(
        lambda: _core(api).create_namespaced_pod(
            namespace, body, _request_timeout=REQUEST_TIMEOUT, _preload_content=False
        ),
        "the Pod",
    )
    return (_json(resp) if resp is not None else None), found


def _json(resp: Any) -> dict[str, Any]:
    try:
        data = json.loads(resp.data)
    except (ValueError, TypeError, AttributeError):
        return {}
    return data if isinstance(data, dict) else {}


def read_pod(api: Any, namespace: str, name: str) -> dict[str, Any]:
    with quiet():
        return _json(
            _core(api).read_namespaced_pod(name, namespace, _request_timeout=REQUEST_TIMEOUT, _preload_content=False)
        )


def read_events(api: Any, namespace: str, name: str) -> list[dict[str, str]]:
    """The Pod's events, oldest first, as {type, reason, message, fieldPath, count}."""
    try:
        with quiet():
            data = _json(
                _core(api).list_namespaced_event(
                    namespace,
                    field_selector=f"involvedObject.name={name}",
                    _request_timeout=REQUEST_TIMEOUT,
                    _preload_content=False,
                )
            )
    except Exception:
        return []  # events only explain; failing to read them must not hide the main finding
    items = data.get("items") if isinstance(data.get("items"), list) else []
    out = []
    for ev in items:
        if not isinstance(ev, dict):
            continue
        inv = ev.get("involvedObject") if isinstance(ev.get("involvedObject"), dict) else {}
        if inv.get("name") not in (None, name):
            continue
        out.append(
            {
                "type": _s(ev.get("type")),
                "reason": _s(ev.get("reason")),
                "message": _s(ev.get("message")),
                "fieldPath": _s(inv.get("fieldPath")),
                "count": str(ev.get("count") if isinstance(ev.get("count"), int) else 1),
            }
        )
    return out


def _s(v: Any) -> str:
    return v if isinstance(v, str) else ""


def _d(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _l(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


# ----------------------------------------------------------------------------- reading status


def summarize(pod: dict[str, Any], namespace: str = "", outcome: str = "") -> PodReport:
    """Read phase, conditions, container states, restarts and QoS class from a Pod dict."""
    meta, spec, status = _d(pod.get("metadata")), _d(pod.get("spec")), _d(pod.get("status"))
    report = PodReport(
        name=_s(meta.get("name")),
        namespace=namespace or _s(meta.get("namespace")),
        outcome=outcome,
        phase=_s(status.get("phase")),
        qos_class=_s(status.get("qosClass")),
        pod=pod,
    )
    for cond in _l(status.get("conditions")):
        if isinstance(cond, dict) and isinstance(cond.get("type"), str):
            report.conditions[cond["type"]] = _s(cond.get("status"))
    for init, spec_key, status_key in (
        (True, "initContainers", "initContainerStatuses"),
        (False, "containers", "containerStatuses"),
    ):
        names = [_s(_d(c).get("name")) for c in _l(spec.get(spec_key))]
        for cs in _l(status.get(status_key)):
            cs = _d(cs)
            name = _s(cs.get("name"))
            state, last = _d(cs.get("state")), _d(_d(cs.get("lastState")).get("terminated"))
            kind = next((k for k in ("waiting", "running", "terminated") if k in state), "unknown")
            detail = _d(state.get(kind))
            code = detail.get("exitCode")
            last_code = last.get("exitCode")
            report.containers.append(
                ContainerReport(
                    name=name,
                    index=names.index(name) if name in names else 0,
                    init=init,
                    ready=cs.get("ready") is True,
                    restart_count=cs.get("restartCount") if isinstance(cs.get("restartCount"), int) else 0,
                    state=kind,
                    reason=_s(detail.get("reason")),
                    message=_s(detail.get("message")),
                    exit_code=code if isinstance(code, int) and not isinstance(code, bool) else None,
                    last_reason=_s(last.get("reason")),
                    last_exit_code=last_code if isinstance(last_code, int) else None,
                )
            )
    return report


def diagnose(report: PodReport) -> list[Finding]:
    """Learner findings for everything wrong that the Pod's status and events show."""
    out: list[Finding] = []
    for c in report.containers:
        where = f'Container "{c.name}"'
        if c.state == "waiting" and c.reason in IMAGE_PULL_REASONS:
            detail = f": {c.message}" if c.message else ""
            out.append(make_finding("live-image-pull", (*c.spec_path, "image"), f"{where}: {c.reason}{detail}"))
        elif "OOMKilled" in (c.last_reason, c.reason if c.state == "terminated" else ""):
            out.append(
                make_finding(
                    "live-oom-killed",
                    (*c.spec_path, "resources", "limits", Key("memory")),
                    f"{where} was OOMKilled (out of memory) after {c.restart_count} restart(s).",
                )
            )
        elif c.state == "waiting" and c.reason == "CrashLoopBackOff":
            code = f" with exit code {c.last_exit_code}" if c.last_exit_code is not None else ""
            out.append(
                make_finding(
                    "live-crash-loop",
                    c.spec_path,
                    f"{where} is in CrashLoopBackOff: it exited{code} and has restarted {c.restart_count} time(s).",
                )
            )
        elif c.state == "waiting" and c.reason in CONTAINER_ERROR_REASONS:
            detail = f": {c.message}" if c.message else ""
            out.append(make_finding("live-container-error", c.spec_path, f"{where}: {c.reason}{detail}"))
    seen: set[str] = set()
    for ev in report.events:
        if ev["reason"] == "Unhealthy" and ev["message"] not in seen:
            seen.add(ev["message"])
            path = _field_path(report, ev["fieldPath"])
            out.append(make_finding("live-probe-failed", path, f"Kubelet: {ev['message']}"))
        elif ev["reason"] == "FailedScheduling" and "FailedScheduling" not in seen:
            seen.add("FailedScheduling")
            out.append(make_finding("live-unschedulable", ("spec",), f"Scheduler: {ev['message']}"))
        elif ev["reason"] in _STUCK_EVENTS and ev["reason"] not in seen and not _started(report):
            seen.add(ev["reason"])
            rule, path = _STUCK_EVENTS[ev["reason"]]
            out.append(make_finding(rule, path, f"Kubelet: {_sandbox_message(ev['message'])}"))
    if report.phase == "Failed" and not any(f.rule != "live-probe-failed" for f in out):
        codes = ", ".join(f'"{c.name}" exited {c.exit_code}' for c in report.containers if c.exit_code not in (None, 0))
        msg = f"The Pod failed ({codes})." if codes else "The Pod failed."
        out.append(make_finding("live-failed", ("status", "phase"), msg))
    return out


#: Events that keep a Pod Pending for good: (rule, path), and how often they must repeat
#: before a wait gives up (the kubelet retries both; a grading sandbox never fixes them).
_STUCK_EVENTS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "FailedCreatePodSandBox": ("live-sandbox-failed", ("spec", "securityContext")),
    "FailedMount": ("live-volume-failed", ("spec", "volumes")),
}
_STUCK_REPEATS = 2


def _started(report: PodReport) -> bool:
    return any(c.state in ("running", "terminated") for c in report.containers)


def _sandbox_message(message: str) -> str:
    """The runtime's own reason, without the gRPC wrapping (`rpc error: code = Unknown desc = ...`)."""
    return message.split(" desc = ", 1)[1] if " desc = " in message else message


def stuck(events: list[dict[str, str]]) -> bool:
    """Whether the events show a sandbox or volume failure the kubelet has already retried."""
    for ev in events:
        if ev["reason"] in _STUCK_EVENTS and ev.get("count", "1").isdigit() and int(ev["count"]) >= _STUCK_REPEATS:
            return True
    return sum(1 for ev in events if ev["reason"] in _STUCK_EVENTS) >= _STUCK_REPEATS


def _field_path(report: PodReport, field_path: str) -> tuple[Any, ...]:
    """`spec.containers{app}` (how events name a container) -> the container's spec path."""
    if "{" in field_path and field_path.endswith("}"):
        base, name = field_path[:-1].split("{", 1)
        for c in report.containers:
            if c.name == name and base.endswith("initContainers") == c.init:
                return c.spec_path
    return ()


#: How long Ready must hold, without a restart, before a check believes it.
STABLE_SECONDS = 3.0


def _terminal(report: PodReport, until: Target) -> str | None:
    """'ok', 'failed' or None (keep waiting) for the target state."""
    if report.phase == "Failed":
        return "failed"
    if report.phase == "Succeeded":
        return "ok" if until == "Completed" else "failed"
    if until == "Ready" and report.conditions.get("Ready") == "True":
        return "ok"
    if until == "Running" and report.phase == "Running":
        return "ok"
    for c in report.containers:
        if c.state == "waiting" and (
            c.reason in IMAGE_PULL_REASONS or c.reason in CONTAINER_ERROR_REASONS or c.reason == "CrashLoopBackOff"
        ):
            return "failed"
        if c.last_reason == "OOMKilled" or (c.state == "terminated" and c.reason == "OOMKilled"):
            return "failed"
    return None


def _describe(report: PodReport) -> str:
    reasons = sorted({c.reason for c in report.containers if c.reason})
    return f"{report.phase or 'Pending'}" + (f" ({', '.join(reasons)})" if reasons else "")


def wait_for_pod(
    api: Any,
    namespace: str,
    name: str,
    *,
    until: Target = "Ready",
    timeout: float = 60.0,
    poll: float = 1.0,
    progress: Progress | None = None,
    stable: float = STABLE_SECONDS,
) -> tuple[PodReport, list[Finding]]:
    """Poll until the Pod reaches `until` or a state it cannot recover from, or time runs out.

    Ready (or Running) counts only once it has held for `stable` seconds without a restart: on a
    real kubelet a container that exits at once is Ready for a moment before it crash-loops.
    """
    start = time.monotonic()
    report = PodReport(name=name, namespace=namespace, outcome="timeout")
    ok_since: float | None = None
    restarts_then = -1
    next_events = 3.0  # a Pod still Pending after this long gets its events read
    while True:
        elapsed = time.monotonic() - start
        pod, found = _call(lambda: read_pod(api, namespace, name), "the Pod")
        if found:
            report.outcome, report.elapsed = "error", elapsed
            return report, found
        report = summarize(pod, namespace)
        report.elapsed = elapsed
        verdict = _terminal(report, until)
        if verdict is None and report.phase == "Pending" and not _started(report) and elapsed >= next_events:
            next_events = elapsed + 3.0
            if stuck(read_events(api, namespace, name)):
                verdict = "failed"
        if verdict == "ok" and until != "Completed" and stable > 0:
            restarts = sum(c.restart_count for c in report.containers)
            if ok_since is None or restarts != restarts_then:
                ok_since, restarts_then = elapsed, restarts
            if elapsed - ok_since < stable and elapsed < timeout:
                verdict = None  # keep watching until it has held
        elif verdict is None:
            ok_since = None
        if progress is not None:
            progress(f"pod {name}: {_describe(report)} after {elapsed:.0f}s")
        if verdict is not None or elapsed >= timeout:
            break
        time.sleep(max(0.0, min(poll, timeout - elapsed)))
    report.events = read_events(api, namespace, name)
    findings = diagnose(report)
    if verdict == "ok":
        report.outcome = {"Ready": "ready", "Running": "running", "Completed": "completed"}[until]
        return report, []  # earlier probe misses (e.g. before the app listened) do not count
    if verdict == "failed":
        report.outcome = "failed"
        if not findings and report.phase == "Succeeded":
            msg = "The Pod's containers exited 0 and it completed instead of staying up; keep the main process running."
            findings = [make_finding("live-failed", ("status", "phase"), msg)]
        elif not findings:
            findings = [make_finding("live-failed", ("status", "phase"), f"The Pod ended {_describe(report)}.")]
        return report, findings
    report.outcome = "timeout"
    goal = {"Ready": "ready", "Running": "running", "Completed": "finished"}[until]
    findings.append(
        make_finding(
            "live-timeout",
            ("status", "phase"),
            f"The Pod was not {goal} after {timeout:g}s; it was {_describe(report)}.",
        )
    )
    return report, findings


def print_progress(text: str) -> None:
    """One self-overwriting status line on stdout (also readable in a notebook cell)."""
    sys.stdout.write(f"\r{text:<70}")
    sys.stdout.flush()


# ----------------------------------------------------------------------------- the whole check

Behaviour = Callable[[Any], Iterable[Finding]]


def check_pod(
    pod: Any,
    *,
    slug: str = "check",
    pss_level: str | None = "restricted",
    until: Target = "Ready",
    timeout: float = 60.0,
    poll: float = 1.0,
    api: Any = None,
    context: str | None = None,
    progress: Progress | None = None,
    behaviour: Behaviour | None = None,
    limit_range: bool = True,
    policy: Policy | None = None,
    stable: float = STABLE_SECONDS,
) -> LiveResult:
    """Dry-run, create, wait for and observe one Pod in a fresh sandbox, then delete it.

    `behaviour(handle)` runs once the Pod is up (exec-based checks, see `course.cluster.probes`)
    and returns extra findings. Policy decides what an absent cluster means.
    """
    from course.cluster.sandbox import Sandbox

    started = time.monotonic()
    policy = policy or live_policy()
    if policy == "off":
        return _skip(f"live check off ({POLICY_ENV}=off)")
    try:
        if api is None:
            api = connect(context)
        why = reachable(api)
    except ClusterError as exc:
        why = exc.message
    if why is not None:
        if policy == "required":
            return LiveResult("failed", [unreachable_finding(why)], notice="live check failed: no cluster")
        return _skip(SKIP_NOTICE, make_finding("live-skipped", (), f"{SKIP_NOTICE} ({why})."))

    name = _s(_d(_d(pod).get("metadata")).get("name"))
    result = LiveResult("failed")
    try:
        with Sandbox(api, slug, pss_level=pss_level, limit_range=limit_range) as box:
            result.namespace = box.name
            result.findings = box.dry_run(pod)
            if not result.findings:
                created, result.findings = apply(pod, api=api, namespace=box.name)
                if created is not None:
                    name = _s(_d(created.get("metadata")).get("name")) or name
                    report, result.findings = wait_for_pod(
                        api, box.name, name, until=until, timeout=timeout, poll=poll, progress=progress,
                        stable=stable,
                    )
                    result.report = report
                    if report.outcome in ("ready", "running", "completed") and behaviour is not None:
                        from course.cluster.probes import PodHandle

                        result.findings += list(behaviour(PodHandle(api, box.name, name)))
    except ClusterError as exc:
        result.findings = [make_finding("live-api-error", (), exc.message, hint=exc.hint or None)]
    except Exception as exc:  # a bug in a behaviour callback must still not reach the learner raw
        result.findings.append(make_finding("live-api-error", (), f"The live check stopped: {exc}"))
    result.elapsed = time.monotonic() - started
    result.status = "failed" if any(f.severity == "error" for f in result.findings) else "passed"
    return result


def run_many(checks: Iterable[Callable[[], LiveResult]], *, max_workers: int = 4) -> list[LiveResult]:
    """Run several checks at once (e.g. a class's submissions); results in input order.

    The pool is bounded because every check holds a pod on the cluster until it ends.
    """
    jobs = list(checks)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, max_workers)) as pool:
        futures = [pool.submit(job) for job in jobs]
        out = []
        for fut in futures:
            try:
                out.append(fut.result())
            except Exception as exc:
                out.append(LiveResult("failed", [make_finding("live-api-error", (), f"The live check stopped: {exc}")]))
        return out
