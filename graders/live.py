"""Live grade cells: run the learner's Pod on the course cluster and watch it behave.

A static test cell proves a manifest is well formed; a live cell proves what the chapter
claims about it: both containers run (ch1), the sidecar reaches the app on localhost (ch3),
a read-only consumer sees the producer's files and cannot write (ch4), a shared PID
namespace shows the other container's processes (ch5).

`PODCOURSE_LIVE` decides what a missing cluster means (`course.cluster.live.live_policy`):
`auto` passes with the notice "live check skipped: no cluster", `required` fails, `off`
skips without contacting anything. An answer that cannot be run at all (empty, not a Pod,
checker errors, missing the containers the check needs) fails even without a cluster, so an
untouched notebook never earns live points.

The chapters' example images (`ghcr.io/example/...`) do not exist, and the cluster has only
the course images (`course/cluster/images.txt`). Such containers run as stand-ins built
from course images that play the same part (a server on the app's port, a shell that
tails the log); everything else in the Pod is the learner's, and the report lists each
substitution.

Like every grader, a live cell prints to stdout only and never raises.
"""

from __future__ import annotations

import contextlib
import copy
import os
import secrets
import shlex
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from graders.answers import Answer, load_answer, to_payload
from graders.core import (
    Case,
    CaseResult,
    Exercise,
    Fail,
    container_named,
    errors,
    finding_text,
    pod,
    running_container,
)

# Test hooks: how to reach the cluster, and how long to wait. Tests point CONNECT at an API
# double and shrink TIMING; nothing else should change them.
CONNECT: Callable[[], Any] | None = None
TIMING: dict[str, float] = {"timeout": 40.0, "poll": 1.0, "settle": 2.0, "retry": 1.0, "exec": 10.0, "stable": 3.0}
PSS_LEVEL = "baseline"  # nginx and busybox run as root; baseline still refuses host namespaces

NOT_RUN = "not checked: the live run did not get this far (see above)."
# `pod-course grade --live off` sets this in its grading workers: a live check that was not run
# then earns nothing and says "not graded", instead of being given its points (what a skip means
# for a learner working without a cluster).
SKIPPED_ENV = "PODCOURSE_LIVE_SKIPPED"  # "zero": a skipped live check scores 0
NOT_GRADED = "not graded"


def skipped_scores_zero() -> bool:
    """True when a skipped live check must score 0 (`PODCOURSE_LIVE_SKIPPED=zero`)."""
    return os.environ.get(SKIPPED_ENV, "").strip().lower() == "zero"


# ---------------------------------------------------------------------------
# What is sent to the cluster
# ---------------------------------------------------------------------------


@dataclass
class Plan:
    """The Pod to run (the learner's, with stand-ins where needed) and what the check needs."""

    pod: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    config_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)


# A behaviour check: (handle, report, plan) -> failure messages (empty: passed).
Behaviour = Callable[[Any, Any, Plan], list[str]]


def course_images() -> list[str]:
    """The images preloaded into the course cluster."""
    try:
        from course.cluster.kind import course_images as read

        return read()
    except Exception:
        return ["busybox:1.35", "nginx:1.22", "python:3.11-slim"]


def _repository(image: Any) -> str:
    """`docker.io/library/nginx:1.22` -> `nginx`; empty for anything that is not an image name."""
    if not isinstance(image, str) or not image.strip():
        return ""
    name = image.strip().split("@", 1)[0]
    head, _, last = name.rpartition("/")
    repo = f"{head}/{last.split(':', 1)[0]}" if head else last.split(":", 1)[0]
    for prefix in ("docker.io/library/", "index.docker.io/library/", "library/", "docker.io/"):
        if repo.startswith(prefix):
            repo = repo[len(prefix):]
            break
    return repo.lower()


def course_image_for(image: Any) -> str | None:
    """The course image of the same repository (`nginx:1.25` -> `nginx:1.22`), or None."""
    repo = _repository(image)
    return next((c for c in course_images() if _repository(c) == repo), None) if repo else None


def _mounts(c: dict[str, Any]) -> list[dict[str, Any]]:
    items = c.get("volumeMounts")
    return [m for m in items if isinstance(m, dict)] if isinstance(items, list) else []


def _find(doc: dict[str, Any], name: str) -> tuple[str, int, dict[str, Any]] | None:
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    for fld in ("containers", "initContainers"):
        items = spec.get(fld)
        for i, c in enumerate(items if isinstance(items, list) else []):
            if isinstance(c, dict) and c.get("name") == name:
                return fld, i, c
    return None


def _env(c: dict[str, Any], name: str) -> Any:
    env = c.get("env")
    for e in env if isinstance(env, list) else []:
        if isinstance(e, dict) and e.get("name") == name:
            return e.get("value")
    return None


def _runnable(answer: Answer) -> dict[str, Any]:
    """The learner's Pod, if a cluster could run it at all; otherwise `Fail` saying why not."""
    doc = pod(answer)
    if doc.get("kind") != "Pod" or doc.get("apiVersion") != "v1":
        raise Fail("this is not a Pod manifest (apiVersion: v1, kind: Pod), so there is nothing to run.",
                   hint="Fix the answer until the test cell above passes its first checks.")
    found = errors(answer)
    if found:
        raise Fail("the API server would refuse this Pod, so it cannot run:\n" + finding_text(found[0]),
                   hint="Fix the checker errors the test cell above lists, then run this cell again.")
    return copy.deepcopy(doc)


def _stand_in(c: dict[str, Any], image: str, script: str) -> None:
    """Turn container `c` into a course-image stand-in running `script`; keep names, env, ports, mounts."""
    c["image"] = image
    c["command"] = ["sh", "-c", script]
    c.pop("args", None)
    for key in ("livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "workingDir"):
        c.pop(key, None)  # they describe the real program, which is not running


def _course_or_stand_in(c: dict[str, Any], role: str, image: str, script: str, notes: list[str]) -> None:
    """Keep a course image, move another tag of a course image to the course tag, else a stand-in."""
    got = c.get("image")
    same = course_image_for(got)
    if same is not None:
        if got != same:
            c["image"] = same
            notes.append(f"{c.get('name')} runs {same} instead of {got} (the course cluster preloads only {same}).")
        return
    _stand_in(c, image, script)
    notes.append(f"{c.get('name')} runs a stand-in for {got!r} ({role}): {image} running `{script}`.")


def _others_must_be_course_images(doc: dict[str, Any], roles: Sequence[str]) -> None:
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    for fld in ("initContainers", "containers"):
        items = spec.get(fld)
        for i, c in enumerate(items if isinstance(items, list) else []):
            if isinstance(c, dict) and c.get("name") not in roles:
                same = course_image_for(c.get("image"))
                if same is None:
                    raise Fail(f"container {c.get('name')!r} uses {c.get('image')!r}, which the course cluster "
                               "does not have.", path=f"spec.{fld}[{i}].image",
                               hint=f"Use one of the course images: {', '.join(course_images())}.")
                c["image"] = same


# ---------------------------------------------------------------------------
# Running a plan (the same steps as course.cluster.live.check_pod, plus ConfigMaps)
# ---------------------------------------------------------------------------


def _kubeconfig_present() -> bool:
    from course.cluster.client import course_target

    target, _ = course_target()
    if target:
        return os.path.isfile(target)
    paths = os.environ.get("KUBECONFIG")
    candidates = paths.split(os.pathsep) if paths else [os.path.expanduser("~/.kube/config")]
    return any(p and os.path.isfile(p) for p in candidates)


def _connect() -> tuple[Any, str | None]:
    """(api client, None) or (None, why the course cluster cannot be reached)."""
    from course.cluster.errors import ClusterError

    try:
        if CONNECT is not None:
            api = CONNECT()
        elif not _kubeconfig_present():
            return None, "no kubeconfig, so no course cluster has been created"
        else:
            from course.cluster.client import connect

            api = connect()
        from course.cluster.client import reachable

        why = reachable(api)
    except ClusterError as exc:
        return None, exc.message.rstrip(".")
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"
    return (api, None) if why is None else (None, why)


def _create_config_maps(api: Any, namespace: str, maps: dict[str, dict[str, str]]) -> list[Any]:
    from kubernetes import client

    from course.cluster.client import REQUEST_TIMEOUT, api_error_findings, quiet

    out: list[Any] = []
    for name, data in maps.items():
        body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}
        try:
            with quiet():
                client.CoreV1Api(api).create_namespaced_config_map(
                    namespace, body, _request_timeout=REQUEST_TIMEOUT, _preload_content=False
                )
        except client.ApiException as exc:
            out += api_error_findings(exc, f"the ConfigMap {name}")
    return out


@dataclass
class Run:
    """One live run: the library's result plus each behaviour's failure messages."""

    result: Any
    behaviour: list[list[str]] = field(default_factory=list)


def run_plan(plan: Plan, behaviours: Sequence[Behaviour], *, slug: str, until: str = "Ready",
             pss_level: str = PSS_LEVEL, limit_range: bool = True) -> Run:
    """Policy, sandbox, ConfigMaps, dry-run, create, wait, behaviours, cleanup; never raises."""
    from course.cluster import live
    from course.cluster.errors import ClusterError
    from course.findings import make_finding

    started = time.monotonic()
    policy = live.live_policy()
    if policy == "off":
        return Run(live.LiveResult("skipped", notice=f"live check off ({live.POLICY_ENV}=off)"))
    api, why = _connect()
    if why is not None:
        from course.cluster.client import unreachable_finding

        if policy == "required":
            return Run(live.LiveResult("failed", [unreachable_finding(why)], notice="live check failed: no cluster"))
        notice = (f"{live.SKIP_NOTICE} ({why}). Start the course cluster with `pod-course cluster up` "
                  "to run it; it counts as passed meanwhile.")
        return Run(live.LiveResult("skipped", notice=notice))

    from course.cluster.probes import PodHandle
    from course.cluster.sandbox import Sandbox

    result = live.LiveResult("failed")
    run = Run(result)
    meta = plan.pod.get("metadata") if isinstance(plan.pod.get("metadata"), dict) else {}
    name = meta.get("name") if isinstance(meta.get("name"), str) else ""
    try:
        with Sandbox(api, slug, pss_level=pss_level, limit_range=limit_range) as box:
            result.namespace = box.name
            result.findings = _create_config_maps(api, box.name, plan.config_maps)
            if not result.findings:
                result.findings = box.dry_run(plan.pod)
            if not result.findings:
                created, result.findings = live.apply(plan.pod, api=api, namespace=box.name)
                if created is not None:
                    meta = created.get("metadata") if isinstance(created.get("metadata"), dict) else {}
                    name = meta.get("name") if isinstance(meta.get("name"), str) else name
                    report, result.findings = live.wait_for_pod(
                        api, box.name, name, until=until, timeout=TIMING["timeout"], poll=TIMING["poll"],  # type: ignore[arg-type]
                        stable=TIMING["stable"],
                    )
                    result.report = report
                    if report.outcome in ("ready", "running", "completed"):
                        handle = PodHandle(api, box.name, name, timeout=TIMING["exec"])
                        run.behaviour = [_safe(b, handle, report, plan) for b in behaviours]
    except ClusterError as exc:
        result.findings = [make_finding("live-api-error", (), exc.message, hint=exc.hint or None)]
    except Exception as exc:
        result.findings.append(make_finding("live-api-error", (), f"The live check stopped: {exc}"))
    result.elapsed = time.monotonic() - started
    result.status = "failed" if any(f.severity == "error" for f in result.findings) else "passed"
    return run


def _safe(check: Behaviour, handle: Any, report: Any, plan: Plan) -> list[str]:
    try:
        return [str(m) for m in check(handle, report, plan)]
    except Exception as exc:
        return [f"this check could not run ({type(exc).__name__}: {exc})."]


def _exec_failure(path: tuple[Any, ...], message: str, hint: str) -> str:
    from course.findings import make_finding

    return finding_text(make_finding("live-exec-failed", path, message, hint=hint))


def pod_status(handle: Any, report: Any) -> dict[str, Any]:
    """The Pod's `status` as the API server has it now (the report's copy if it cannot be read again)."""
    from course.cluster import live

    try:
        got = live.read_pod(handle.api, handle.namespace, handle.name)
    except Exception:
        got = report.pod
    status = got.get("status") if isinstance(got, dict) else None
    return status if isinstance(status, dict) else {}


def sidecar_running(status: Mapping[str, Any], name: str, where: tuple[Any, ...], partner: str,
                    regular_note: str = "a regular container, not a native sidecar") -> list[str]:
    """[] when `name` is a native sidecar that started and keeps running without restarts, else one failure.

    A native sidecar reports in `status.initContainerStatuses`, `started: true`, in state `running`; a
    restart since Ready means it did not keep running beside `partner`.
    """
    inits = {s.get("name"): s for s in status.get("initContainerStatuses") or () if isinstance(s, dict)}
    if name not in inits:
        return [_exec_failure(where, f"{name} appears among the Pod's containerStatuses, not its "
                             f"initContainerStatuses: {regular_note}.",
                             f"Move {name} to spec.initContainers with `restartPolicy: Always`.")]
    s = inits[name]
    state = s.get("state") if isinstance(s.get("state"), dict) else {}
    restarts = s.get("restartCount") if isinstance(s.get("restartCount"), int) else 0
    if "running" not in state or s.get("started") is not True or restarts:
        now = next(iter(state), "unknown")
        return [_exec_failure(where, f"{name} is not running alongside {partner}: its init container status is "
                             f"{now}, started={s.get('started')}, restarted {restarts} time(s).",
                             f"A native sidecar keeps running; read `kubectl logs -c {name} --previous`.")]
    return []


def _retry(fn: Callable[[], Any], ok: Callable[[Any], bool], attempts: int = 4) -> Any:
    """Exec checks right after Ready can race a server still binding its port; try a few times."""
    got = fn()
    for _ in range(attempts - 1):
        if ok(got):
            break
        time.sleep(TIMING["retry"])
        got = fn()
    return got


def _output(res: Any) -> str:
    """The line that says what went wrong (http_get_from's curl fallback adds a useless 'not found')."""
    lines = [ln.strip() for ln in (res.error or res.stderr or res.stdout or "").splitlines() if ln.strip()]
    useful = [ln for ln in lines if not ln.endswith("curl: not found")]
    return (useful or lines or [f"exit code {res.exit_code}"])[0]


# ---------------------------------------------------------------------------
# The exercise type
# ---------------------------------------------------------------------------


def _not_graded_here(answer: Answer) -> Any:
    return Fail("live cases are graded by LiveExercise.grade")


def _in_kernel_autograde() -> bool:
    """True inside the learner's kernel while nbgrader autogrades.

    The trusted re-grade (graders.nbgrader_ext) runs every grade cell again outside the
    kernel, so running the cluster check in the kernel too would only start every Pod twice.
    """
    if os.environ.get("NBGRADER_EXECUTION") != "autograde":
        return False
    try:
        from IPython import get_ipython
    except Exception:
        return False
    return get_ipython() is not None


@dataclass
class LiveExercise(Exercise):
    """A grade cell whose cases come from one live run of the learner's Pod.

    The first case is "the Pod runs"; the others are behaviour checks made by exec once
    it does. A skipped run (no cluster in `auto`, or `off`) gives every case its points, shown
    as SKIP with a notice that says they were not checked (never as PASS).
    """

    plan: Callable[[Answer], Plan] | None = None
    behaviours: Sequence[Behaviour] = ()
    slug: str = "live"
    until: str = "Ready"
    pss_level: str = PSS_LEVEL
    limit_range: bool = True

    def grade(self, value: Any, *, hidden: bool = False) -> tuple[float, list[CaseResult], Any]:
        payload = to_payload(value)
        answer = load_answer(payload, name=self.answer_name)
        cases = list(self.cases)

        def all_fail(message: str) -> tuple[float, list[CaseResult], Any]:
            return 0.0, [CaseResult(c, False, 0.0, [message]) for c in cases], payload

        if not answer.ok:
            return all_fail(answer.problem or "no answer")
        try:
            if self.plan is None:
                raise Fail("this live check has no plan.")
            plan = self.plan(answer)
        except Fail as exc:
            where = f"{exc.path}: " if exc.path else ""
            text = f"{where}{exc.message}"
            return all_fail(f"{text}\n    -> {exc.hint}" if exc.hint else text)
        except Exception as exc:
            return all_fail(f"this check could not read your answer ({type(exc).__name__}: {exc}).")
        if _in_kernel_autograde():
            return all_fail("the live check runs when the notebook is graded, outside this kernel.")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # client-library warnings would land on the cell's stderr
            run = run_plan(plan, self.behaviours, slug=self.slug, until=self.until, pss_level=self.pss_level,
                           limit_range=self.limit_range)
        results = self._results(cases, plan, run)
        return sum(r.awarded for r in results), results, payload

    @staticmethod
    def _results(cases: list[Case], plan: Plan, run: Run) -> list[CaseResult]:
        res = run.result
        notes = [f"note: {n}" for n in plan.notes]
        out: list[CaseResult] = []
        if res.skipped and skipped_scores_zero():
            total = sum(c.points for c in cases)
            explain = (f"{NOT_GRADED}: {res.notice}, so these {total:g} point(s) are not given. Grade again "
                       "with the course cluster up to check them.")
            for i, c in enumerate(cases):
                out.append(CaseResult(c, False, 0.0, [explain, *notes] if i == 0 else [], skipped=True))
        elif res.skipped:
            total = sum(c.points for c in cases)
            explain = (f"{res.notice}: these {total:g} point(s) are given without running your Pod. "
                       "Start the course cluster (`pod-course cluster up`) to check them for real; an "
                       "instructor grading with PODCOURSE_LIVE=required gives them only for a Pod that "
                       "really behaves.")
            for i, c in enumerate(cases):
                out.append(CaseResult(c, True, c.points, [explain, *notes] if i == 0 else [], skipped=True))
        else:
            first_msgs = [finding_text(f) for f in res.findings if f.severity == "error"]
            if not res.passed and res.notice:
                first_msgs.insert(0, res.notice)
            runs = res.passed and res.report is not None
            out.append(CaseResult(cases[0], runs, cases[0].points if runs else 0.0, [*first_msgs, *notes]))
            for j, c in enumerate(cases[1:]):
                if not runs:
                    out.append(CaseResult(c, False, 0.0, [NOT_RUN]))
                    continue
                msgs = run.behaviour[j] if j < len(run.behaviour) else ["this check did not run."]
                out.append(CaseResult(c, not msgs, 0.0 if msgs else c.points, msgs))
        return out


def live_exercise(id_: str, title: str, answer_name: str, plan: Callable[[Answer], Plan], slug: str,
                  cases: Sequence[tuple[str, float, Behaviour | None]], intro: str = "", *,
                  until: str = "Ready", pss_level: str = PSS_LEVEL, limit_range: bool = True) -> LiveExercise:
    """A live grade cell: the first case is "the Pod runs", each later case one behaviour check.

    `until` is what "runs" means (`Ready`, `Running` or `Completed`); `pss_level` is the Pod
    Security level the sandbox namespace enforces (`privileged`, `baseline`, `restricted`);
    `limit_range=False` leaves out the sandbox's LimitRange, whose defaults would change the
    Pod's QoS class (the quota then caps the pod count only).
    """
    return LiveExercise(
        id=id_, title=title, answer_name=answer_name, intro=intro, plan=plan, slug=slug, until=until,
        pss_level=pss_level, limit_range=limit_range,
        cases=[Case(name, pts, _not_graded_here) for name, pts, _ in cases],
        behaviours=[b for _, _, b in cases[1:] if b is not None],
    )


_live = live_exercise


# ---------------------------------------------------------------------------
# Chapter 1: the web server and its log shipper both run
# ---------------------------------------------------------------------------


def _plan_web_with_logs(answer: Answer) -> Plan:
    doc = _runnable(answer)
    _, web = container_named(doc, "web")
    _, shipper = container_named(doc, "log-shipper")
    notes: list[str] = []
    _course_or_stand_in(web, "a web server", "nginx:1.22", "exec nginx -g 'daemon off;'", notes)
    mount = next((m.get("mountPath") for m in _mounts(shipper) if isinstance(m.get("mountPath"), str)), None)
    tail = f"tail -F {shlex.quote(mount.rstrip('/') + '/access.log')}" if mount else "while sleep 3600; do :; done"
    _course_or_stand_in(shipper, "a log shipper", "busybox:1.35", tail, notes)
    _others_must_be_course_images(doc, ("web", "log-shipper"))
    return Plan(doc, notes)


def _both_running(handle: Any, report: Any, plan: Plan) -> list[str]:
    """Ready once is not enough: a shipper that exits a moment later restarts; look again."""
    from course.cluster import live

    time.sleep(TIMING["settle"])
    with contextlib.suppress(Exception):
        report = live.summarize(live.read_pod(handle.api, handle.namespace, handle.name), handle.namespace)
    out = []
    for name in ("web", "log-shipper"):
        c = report.container(name)
        if c is None:
            out.append(f"the cluster reports no status for container {name!r}.")
        elif c.state != "running" or not c.ready or c.restart_count:
            detail = f"{c.state}{' (' + c.reason + ')' if c.reason else ''}, restarted {c.restart_count} time(s)"
            out.append(_exec_failure(
                c.spec_path, f'Container "{name}" does not keep running: it is {detail}.',
                "Its command must keep running (a shipper follows the log with `tail -F`); "
                "read `kubectl logs --previous` for why it stopped."))
    return out


web_with_logs = _live(
    "live.web_with_logs", "Live check - the web server and its log shipper run together", "WEB_WITH_LOGS",
    _plan_web_with_logs, "ch1-web-with-logs",
    [("the Pod is admitted and becomes Ready on the cluster", 1, None),
     ("web and log-shipper are both running and ready, with no restarts", 1, _both_running)],
)

# ---------------------------------------------------------------------------
# Chapter 3: the proxy reaches the app on localhost
# ---------------------------------------------------------------------------

APP_PORT = 8080
APP_PAGE = "orders app (live stand-in)"
_APP_SCRIPT = (f"mkdir -p /tmp/www && echo '{APP_PAGE}' > /tmp/www/index.html && "
               f"exec httpd -f -p {APP_PORT} -h /tmp/www")
_PROXY_SCRIPT = ("mkdir -p /tmp/www && echo 'proxy (live stand-in)' > /tmp/www/index.html && "
                 'exec httpd -f -p "${LISTEN_PORT:-9090}" -h /tmp/www')


def _plan_sidecar(answer: Answer) -> Plan:
    doc = _runnable(answer)
    i, app = container_named(doc, "app")
    j, proxy = container_named(doc, "proxy")
    upstream = _env(proxy, "UPSTREAM")
    if not isinstance(upstream, str) or not upstream.strip():
        raise Fail("the proxy has no UPSTREAM variable, so there is no address to try from it.",
                   path=f"spec.containers[{j}].env", hint="Add `{name: UPSTREAM, value: http://localhost:8080}`.")
    text = upstream.strip() if "://" in upstream else "http://" + upstream.strip()
    try:
        parts = urlsplit(text)
        host, port = parts.hostname, parts.port or 80
    except ValueError:
        host, port = None, None
    if not host:
        raise Fail(f"UPSTREAM {upstream!r} is not a URL.", path=f"spec.containers[{j}].env",
                   hint="Use `http://localhost:8080`.")
    notes = [
        f"app runs a stand-in for {app.get('image')!r}: busybox httpd serving on port {APP_PORT}, "
        "the port the orders app listens on.",
        f"proxy runs a stand-in for {proxy.get('image')!r}: busybox httpd listening on its LISTEN_PORT.",
    ]
    _stand_in(app, "busybox:1.35", _APP_SCRIPT)
    _stand_in(proxy, "busybox:1.35", _PROXY_SCRIPT)
    _others_must_be_course_images(doc, ("app", "proxy"))
    h = f"[{host}]" if ":" in host else host
    return Plan(doc, notes, facts={"url": f"http://{h}:{port}/", "upstream": upstream, "proxy": j, "app": i})


def _proxy_reaches_app(handle: Any, report: Any, plan: Plan) -> list[str]:
    from course.cluster.probes import http_get_from

    url = plan.facts["url"]
    res = _retry(lambda: http_get_from(handle, "proxy", url), lambda r: r.ok and APP_PAGE in r.stdout)
    if res.ok and APP_PAGE in res.stdout:
        return []
    return [_exec_failure(
        ("spec", "containers", plan.facts["proxy"], "env"),
        f"From the proxy container, GET {url} (UPSTREAM={plan.facts['upstream']}) did not reach the app: "
        f"{_output(res)}.",
        "Containers of one Pod share a network namespace: point UPSTREAM at localhost and the app's port "
        f"(http://localhost:{APP_PORT}); container names are not host names.")]


sidecar = _live(
    "live.sidecar", "Live check - the proxy reaches the app on localhost", "PROXY_POD",
    _plan_sidecar, "ch3-sidecar",
    [("the Pod is admitted and becomes Ready on the cluster", 1, None),
     ("from the proxy container, UPSTREAM answers with the app's page", 1, _proxy_reaches_app)],
)

# ---------------------------------------------------------------------------
# Chapter 4: the read-only consumer sees the producer's files and cannot write
# ---------------------------------------------------------------------------

PRODUCER, CONSUMER, SHARED = "app", "log-shipper", "logs"


def _plan_log_collection(answer: Answer) -> Plan:
    doc = _runnable(answer)
    got_app, got_shipper = _find(doc, PRODUCER), _find(doc, CONSUMER)
    if got_app is None or got_shipper is None:
        missing = PRODUCER if got_app is None else CONSUMER
        raise Fail(f"there is no container named {missing!r}, so there is nothing to watch.",
                   path="spec.containers", hint=f"Add the {missing} container the exercise asks for.")
    (_, _, app), (sfld, si, shipper) = got_app, got_shipper
    app_mounts = {m.get("name"): m for m in _mounts(app)}
    ship_mounts = {m.get("name"): m for m in _mounts(shipper)}
    shared = [n for n in (SHARED, *app_mounts) if n in app_mounts and n in ship_mounts]
    if not shared:
        raise Fail(f"{PRODUCER} and {CONSUMER} mount no volume in common, so no file can pass between them.",
                   path=f"spec.{sfld}[{si}].volumeMounts",
                   hint=f"Mount the {SHARED} emptyDir in both containers ({CONSUMER} read-only).")
    vol = shared[0]
    produce, consume = app_mounts[vol].get("mountPath"), ship_mounts[vol].get("mountPath")
    if not (isinstance(produce, str) and isinstance(consume, str)):
        raise Fail(f"a mount of {vol} has no mountPath.", path=f"spec.{sfld}[{si}].volumeMounts")
    notes: list[str] = []
    log = produce.rstrip("/") + "/app.log"
    _course_or_stand_in(app, "the app writing its log", "busybox:1.35",
                        f"while true; do date >> {shlex.quote(log)}; sleep 5; done", notes)
    _course_or_stand_in(shipper, "a log shipper", "busybox:1.35",
                        f"tail -n+1 -F {shlex.quote(consume.rstrip('/') + '/app.log')}", notes)
    _others_must_be_course_images(doc, (PRODUCER, CONSUMER))
    return Plan(doc, notes, facts={"volume": vol, "produce": produce, "consume": consume,
                                   "consumer_path": (f"spec.{sfld}", si)})


def _shared_read_only(handle: Any, report: Any, plan: Plan) -> list[str]:
    from course.cluster.probes import write_fails

    f = plan.facts
    fld, idx = f["consumer_path"]
    where = (*fld.split("."), idx, "volumeMounts")
    probe = f".podcourse-live-{secrets.token_hex(4)}"
    token = secrets.token_hex(8)
    wrote = handle.sh(PRODUCER, f"echo {token} > {shlex.quote(f['produce'].rstrip('/') + '/' + probe)}")
    if not wrote.ok:
        return [_exec_failure(
            where, f"{PRODUCER} could not write into {f['produce']} (the {f['volume']} volume): {_output(wrote)}.",
            f"Mount {f['volume']} read-write in {PRODUCER}: it is the one that writes.")]
    seen = handle.exec(CONSUMER, ["cat", f["consume"].rstrip("/") + "/" + probe])
    out = []
    if not seen.ok or seen.stdout.strip() != token:
        out.append(_exec_failure(
            where, f"{PRODUCER} wrote {f['produce']}/{probe}, but {CONSUMER} cannot read it at "
                   f"{f['consume']}/{probe}: {_output(seen)}.",
            f"Mount the same volume in both containers, without a subPath that points {CONSUMER} elsewhere."))
    target = f["consume"].rstrip("/") + "/.podcourse-write-probe"
    if not write_fails(handle, CONSUMER, target):
        out.append(_exec_failure(
            where, f"{CONSUMER} could write {target}: its mount of {f['volume']} is writable, so it could "
                   "truncate or delete the logs it only has to read.",
            f"Add `readOnly: true` to {CONSUMER}'s volumeMount."))
    return out


log_collection = _live(
    "live.log_collection", "Live check - a read-only log shipper sees the app's files", "LOG_POD",
    _plan_log_collection, "ch4-log-collection",
    [("the Pod is admitted and becomes Ready on the cluster", 1, None),
     ("log-shipper reads a file app writes into the shared emptyDir, and cannot write there itself", 1,
      _shared_read_only)],
)

# ---------------------------------------------------------------------------
# Chapter 5: with a shared PID namespace the reloader sees nginx
# ---------------------------------------------------------------------------

# What the sandbox's web-config ConfigMap holds: enough for nginx to start and serve.
NGINX_CONF = "server {\n  listen 80;\n  location / { return 200 'ok\\n'; }\n}\n"


def _plan_reload(answer: Answer) -> Plan:
    from graders.ch5 import _config_maps_of

    doc = _runnable(answer)
    # Either may be a native sidecar (an init container with restartPolicy Always), as the static grader allows.
    _, _, web = running_container(doc, "web")
    _, k, reloader = running_container(doc, "reloader")
    notes: list[str] = []
    _course_or_stand_in(web, "nginx", "nginx:1.22", "exec nginx -g 'daemon off;'", notes)
    _course_or_stand_in(reloader, "a reloader", "busybox:1.35", "while sleep 10; do :; done", notes)
    _others_must_be_course_images(doc, ("web", "reloader"))
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    maps: dict[str, dict[str, str]] = {}
    for v in spec.get("volumes") if isinstance(spec.get("volumes"), list) else []:
        for name in _config_maps_of(v) if isinstance(v, dict) else ():
            if name:  # a configMap volume or a projected volume's configMap source
                maps[name] = {"default.conf": NGINX_CONF}
    if maps:
        notes.append(f"the sandbox gets ConfigMap(s) {', '.join(sorted(maps))} holding a minimal default.conf.")
    return Plan(doc, notes, config_maps=maps, facts={"reloader": k})


def _reloader_sees_nginx(handle: Any, report: Any, plan: Plan) -> list[str]:
    from course.cluster.probes import processes_seen

    seen = _retry(lambda: processes_seen(handle, "reloader"), lambda names: "nginx" in names, attempts=2)
    if "nginx" in seen:
        return []
    shown = ", ".join(sorted(set(seen))) or "nothing (the command failed)"
    return [_exec_failure(
        ("spec", "shareProcessNamespace"),
        f"reloader's /proc shows only {shown}: it has a PID namespace of its own, so it cannot find nginx's "
        "master process to send it SIGHUP.",
        "Set `shareProcessNamespace: true` under spec, so every container sees every process of the Pod.")]


reload_pod = _live(
    "live.reload_pod", "Live check - the reloader sees nginx's processes", "RELOAD_POD",
    _plan_reload, "ch5-reload-pod",
    [("the Pod is admitted and becomes Ready on the cluster", 1, None),
     ("from reloader, nginx's processes are visible (shared PID namespace)", 1, _reloader_sees_nginx)],
)

EXERCISES = (web_with_logs, sidecar, log_collection, reload_pod)
# Where each live cell goes: chapter -> (exercise, answer variable, the static test cell it follows).
# Chapters from 6 on declare theirs in their own module (`LIVE_CELLS`); `cells()` gathers them all.
CELLS = {
    "ch1": (web_with_logs, "WEB_WITH_LOGS", "ch1-web-with-logs-test"),
    "ch3": (sidecar, "PROXY_POD", "ch3-sidecar-test"),
    "ch4": (log_collection, "LOG_POD", "ch4-log-pod-test"),
    "ch5": (reload_pod, "RELOAD_POD", "ch5-reload-pod-test"),
}


# ---------------------------------------------------------------------------
# Every live cell of the course
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveCell:
    """Where a live grade cell goes: its chapter, exercise, answer variable and static test cell.

    The live cell's grade_id is the static cell's with `-test` replaced by `-live`, and it comes
    right after that cell in the solution notebook.
    """

    chapter: str
    exercise: LiveExercise
    var: str
    after: str

    @property
    def grade_id(self) -> str:
        return self.after.replace("-test", "-live")


def _chapter_number(name: str) -> int:
    return int(name[2:]) if name[2:].isdigit() else 0


def cells() -> list[LiveCell]:
    """All live cells: ch1-ch5 from `CELLS`, later chapters from `graders.chN.LIVE_CELLS`."""
    import importlib
    import pkgutil

    import graders

    out = [LiveCell(ch, ex, var, after) for ch, (ex, var, after) in CELLS.items()]
    for info in pkgutil.iter_modules(graders.__path__):
        if info.name.startswith("ch") and info.name[2:].isdigit() and info.name not in CELLS:
            module = importlib.import_module(f"graders.{info.name}")
            for ex, var, after in getattr(module, "LIVE_CELLS", ()):
                out.append(LiveCell(info.name, ex, var, after))
    return sorted(out, key=lambda c: (_chapter_number(c.chapter), c.after))


def exercises() -> list[LiveExercise]:
    """Every live exercise of the course."""
    return [c.exercise for c in cells()]


# Shared building blocks for the chapters' own live exercises (graders/chN.py).
runnable = _runnable
connect = _connect
stand_in = _stand_in
course_or_stand_in = _course_or_stand_in
others_must_be_course_images = _others_must_be_course_images
exec_failure = _exec_failure
retry = _retry
output = _output
find_container = _find
mounts_of = _mounts
env_value = _env
