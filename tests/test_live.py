"""Live checks against a Kubernetes API double (kmock over real HTTP), and the kind tooling
against fake docker/kind/kubectl executables. No cluster and no Docker needed."""

from __future__ import annotations

import asyncio
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import kmock
import pytest
import yaml
from kube_double import NAMESPACES, PODS, running_double, status

from course.cluster import builders, kind, live, probes
from course.cluster.client import client_at
from course.cluster.errors import ClusterError
from course.cluster.sandbox import Sandbox, sweep_stale

FAST = {"timeout": 0.6, "poll": 0.02, "stable": 0.0}
NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def double():
    with running_double() as d:
        yield d


@pytest.fixture
def api(double):
    return client_at(double.url)


@pytest.fixture(autouse=True)
def _live_auto(monkeypatch):
    monkeypatch.delenv("PODCOURSE_LIVE", raising=False)


def web_pod(**kw):
    return builders.pod_template("web", "nginx:1.22", **kw)


# ---------------------------------------------------------------- realistic Pod statuses


def _cs(state, ready=False, restarts=0, last=None):
    cs = {
        "name": "app",
        "image": "nginx:1.22",
        "imageID": "",
        "ready": ready,
        "restartCount": restarts,
        "started": ready,
        "state": state,
    }
    if last is not None:
        cs["lastState"] = {"terminated": last}
    return cs


def _conds(ready):
    val = "True" if ready else "False"
    out = [{"type": "PodScheduled", "status": "True"}, {"type": "Initialized", "status": "True"}]
    for t in ("ContainersReady", "Ready"):
        c = {"type": t, "status": val}
        if not ready:
            c.update(reason="ContainersNotReady", message="containers with unready status: [app]")
        out.append(c)
    return out


def pending(reason="ContainerCreating", message=""):
    w = {"reason": reason, **({"message": message} if message else {})}
    return {
        "phase": "Pending",
        "conditions": _conds(False),
        "qosClass": "Burstable",
        "containerStatuses": [_cs({"waiting": w})],
    }


def running(ready=True, qos="Burstable", restarts=0):
    return {
        "phase": "Running",
        "conditions": _conds(ready),
        "qosClass": qos,
        "containerStatuses": [_cs({"running": {"startedAt": "2026-01-01T12:00:01Z"}}, ready, restarts)],
    }


def crashloop(last_reason="Error", code=1):
    last = {
        "exitCode": code,
        "reason": last_reason,
        "startedAt": "2026-01-01T12:00:01Z",
        "finishedAt": "2026-01-01T12:00:02Z",
    }
    w = {"reason": "CrashLoopBackOff", "message": "back-off 10s restarting failed container=app pod=web"}
    return {
        "phase": "Running",
        "conditions": _conds(False),
        "qosClass": "Burstable",
        "containerStatuses": [_cs({"waiting": w}, restarts=3, last=last)],
    }


def failed(code=3):
    term = {"exitCode": code, "reason": "Error", "startedAt": "2026-01-01T12:00:01Z"}
    return {
        "phase": "Failed",
        "conditions": _conds(False),
        "qosClass": "Burstable",
        "containerStatuses": [_cs({"terminated": term})],
    }


def succeeded():
    term = {"exitCode": 0, "reason": "Completed"}
    return {
        "phase": "Succeeded",
        "conditions": _conds(False),
        "qosClass": "BestEffort",
        "containerStatuses": [_cs({"terminated": term})],
    }


PULL_MSG = 'Back-off pulling image "nginx:no-such-tag": ErrImagePull: not found'
PSS_MSG = (
    'pods "web" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false '
    '(container "app" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities '
    '(container "app" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or '
    'container "app" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "app" '
    'must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")'
)


# ---------------------------------------------------------------- import cost and builders


def test_import_does_not_load_kubernetes():
    """Does `import course.cluster` (and every submodule) leave the kubernetes client unimported?"""
    code = (
        "import sys, course.cluster, course.cluster.live, course.cluster.sandbox, course.cluster.kind, "
        "course.cluster.probes; print('kubernetes' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    "slug, expected_start",
    [
        ("Ch3 Probes!", "podcourse-ch3-probes-"),
        ("x" * 200, "podcourse-" + "x" * 46 + "-"),
        (None, "podcourse-check-"),
        (123, "podcourse-check-"),
        ("---", "podcourse-check-"),
        ("ポッド", "podcourse-check-"),
    ],
)
def test_sandbox_names_are_valid_dns_labels(slug, expected_start):
    """Is every generated sandbox name a unique DNS label of at most 63 characters with our prefix?"""
    names = {builders.sandbox_name(slug) for _ in range(20)}
    assert len(names) > 15
    for n in names:
        assert n.startswith(expected_start) and len(n) <= 63
        assert all(ch.isdigit() or ("a" <= ch <= "z") or ch == "-" for ch in n)


@pytest.mark.parametrize(
    "level, enforce",
    [("restricted", "restricted"), ("baseline", "baseline"), (None, None)],
)
def test_namespace_manifest_labels(level, enforce):
    """Does the sandbox namespace carry the cleanup label, creation time and the asked PSS level?"""
    ns = builders.namespace_manifest("podcourse-a-b", "a", NOW, level)
    labels = ns["metadata"]["labels"]
    assert labels[builders.SANDBOX_LABEL] == "true"
    assert ns["metadata"]["annotations"][builders.CREATED_ANNOTATION] == "2026-01-01T12:00:00+00:00"
    assert labels.get("pod-security.kubernetes.io/enforce") == enforce
    if enforce:
        assert labels["pod-security.kubernetes.io/enforce-version"] == "latest"


def test_unknown_pss_level_is_refused():
    """Is a misspelt Pod Security level rejected instead of silently enforcing nothing?"""
    with pytest.raises(ValueError, match="restrictd"):
        builders.namespace_manifest("n", "s", NOW, "restrictd")


@pytest.mark.parametrize(
    "compute, keys",
    [(True, {"pods", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"}), (False, {"pods"})],
)
def test_quota_caps_compute_only_when_asked(compute, keys):
    """Does the quota cap compute only when a LimitRange supplies defaults (BestEffort pods stay possible)?"""
    assert set(builders.resource_quota_manifest(compute=compute)["spec"]["hard"]) == keys


# ---------------------------------------------------------------- policy


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, "auto"),
        ("auto", "auto"),
        ("required", "required"),
        ("OFF", "off"),
        (" off ", "off"),
        ("requried", "auto"),
        ("", "auto"),
    ],
)
def test_live_policy_from_env(monkeypatch, value, expected):
    """Does PODCOURSE_LIVE select the policy, with unknown values falling back to auto?"""
    if value is not None:
        monkeypatch.setenv("PODCOURSE_LIVE", value)
    assert live.live_policy() == expected


DEAD = "http://127.0.0.1:9"


@pytest.mark.parametrize(
    "policy, status_, passed, rule",
    [
        ("auto", "skipped", True, "live-skipped"),
        ("required", "failed", False, "live-unreachable"),
        ("off", "skipped", True, None),
    ],
)
def test_policy_without_cluster(monkeypatch, capfd, policy, status_, passed, rule):
    """Does a missing cluster skip (auto/off) or fail loudly (required), printing nothing to stderr?"""
    monkeypatch.setenv("PODCOURSE_LIVE", policy)
    res = live.check_pod(web_pod(), api=client_at(DEAD), **FAST)
    assert (res.status, res.passed) == (status_, passed)
    assert [f.rule for f in res.findings] == ([rule] if rule else [])
    if policy == "auto":
        assert res.notice == live.SKIP_NOTICE
    assert capfd.readouterr().err == ""


def test_off_policy_sends_no_request(monkeypatch, double, api):
    """Does PODCOURSE_LIVE=off skip without contacting the API server at all?"""
    monkeypatch.setenv("PODCOURSE_LIVE", "off")
    assert live.check_pod(web_pod(), api=api).skipped
    assert double.kmock._requests == []


# ---------------------------------------------------------------- success path


def test_success_reads_ready_and_qos(double, api):
    """Does a Pod that goes Pending -> Running -> Ready pass, with its QoS class and progress reported?"""
    double.script_pod("web", [pending(), running(ready=False), running(qos="Guaranteed")])
    lines: list[str] = []
    res = live.check_pod(web_pod(), api=api, progress=lines.append, slug="ch1", **FAST)
    assert res.status == "passed" and res.findings == []
    assert res.report.outcome == "ready" and res.report.qos_class == "Guaranteed"
    assert res.report.conditions["Ready"] == "True"
    assert res.report.container("app").state == "running"
    assert "Pending (ContainerCreating)" in lines[0] and "Running" in lines[-1]
    assert res.namespace.startswith("podcourse-ch1-")
    created = double.requests("post", PODS)
    assert [r.params.get("dryRun") for r in created] == ["All", None]
    assert double.requests("delete", NAMESPACES)[0].name == res.namespace
    assert double.namespaces() == {}


def test_sandbox_creates_quota_and_limits(double, api):
    """Does the sandbox create its namespace with PSS labels, a ResourceQuota and a LimitRange first?"""
    with Sandbox(api, "quota", pss_level="restricted") as box:
        ns = double.namespaces()[box.name]
        assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
        kinds = [r.data["kind"] for r in double.requests("post") if r.resource != NAMESPACES]
        assert kinds == ["ResourceQuota", "LimitRange"]
    with Sandbox(api, "qos", limit_range=False) as box:
        posted = [r.data for r in double.requests("post") if r.namespace == box.name]
        assert [p["kind"] for p in posted] == ["ResourceQuota"]
        assert posted[0]["spec"]["hard"] == {"pods": "4"}


def test_pod_that_exits_when_it_should_stay_up(double, api):
    """Does a Pod that completes while a Ready Pod was expected fail with a message saying so?"""
    double.script_pod("web", [succeeded()])
    with Sandbox(api, "exit") as box:
        assert box.apply(web_pod())[1] == []
        report, found = box.wait("web", **FAST)
    assert report.outcome == "failed" and [f.rule for f in found] == ["live-failed"]
    assert "completed instead of staying up" in found[0].message


@pytest.mark.parametrize(
    "until, statuses, outcome",
    [("Completed", [pending(), succeeded()], "completed"), ("Running", [running(ready=False)], "running")],
)
def test_other_targets(double, api, until, statuses, outcome):
    """Do run-to-completion and merely-running targets pass on Succeeded and Running?"""
    double.script_pod("web", statuses)
    res = live.check_pod(web_pod(restart_policy="Never"), api=api, until=until, **FAST)
    assert (res.status, res.report.outcome) == ("passed", outcome)


# ---------------------------------------------------------------- pod failure modes


FAILURES = [
    (
        "image-pull-backoff",
        [pending(), pending("ImagePullBackOff", PULL_MSG)],
        [],
        [("live-image-pull", "spec.containers[0].image")],
    ),
    (
        "err-image-pull",
        [pending("ErrImagePull", "rpc error: not found")],
        [],
        [("live-image-pull", "spec.containers[0].image")],
    ),
    ("crash-loop", [running(ready=False), crashloop()], [], [("live-crash-loop", "spec.containers[0]")]),
    (
        "oom-killed",
        [crashloop("OOMKilled", 137)],
        [],
        [("live-oom-killed", "spec.containers[0].resources.limits[memory]")],
    ),
    (
        "config-error",
        [pending("CreateContainerConfigError", 'configmap "missing" not found')],
        [],
        [("live-container-error", "spec.containers[0]")],
    ),
    ("failed-pod", [failed(3)], [], [("live-failed", "status.phase")]),
    (
        "readiness-probe",
        [running(ready=False)],
        [("Warning", "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 404")],
        [("live-probe-failed", "spec.containers[0]"), ("live-timeout", "status.phase")],
    ),
    (
        "liveness-crash",
        [crashloop()],
        [("Warning", "Unhealthy", 'Liveness probe failed: Get "http://10.244.1.5:8080/": connection refused')],
        [("live-crash-loop", "spec.containers[0]"), ("live-probe-failed", "spec.containers[0]")],
    ),
    ("pending-timeout", [pending()], [], [("live-timeout", "status.phase")]),
    (
        "unschedulable",
        [{"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]}],
        [("Warning", "FailedScheduling", "0/2 nodes are available: 2 Insufficient cpu.")],
        [("live-unschedulable", "spec"), ("live-timeout", "status.phase")],
    ),
]


@pytest.mark.parametrize("case, statuses, events, expected", FAILURES, ids=[c[0] for c in FAILURES])
def test_pod_failure_modes(double, api, capfd, case, statuses, events, expected):
    """Does each way a Pod can fail become the right finding at the right path, with cleanup and no stderr?"""
    double.script_pod("web", statuses)
    if events:
        double.events_for("web", events)
    res = live.check_pod(web_pod(), api=api, **FAST)
    assert res.status == "failed"
    assert [(f.rule, f.path) for f in res.findings] == expected
    assert all(f.hint for f in res.findings)
    if events:
        assert events[0][2] in res.findings[-2 if expected[-1][0] == "live-timeout" else -1].message
    assert double.namespaces() == {}
    assert capfd.readouterr().err == ""


def test_ready_for_a_moment_then_crashing_is_not_ready(double, api):
    """A container that exits at once is Ready for a moment on a real kubelet: is that caught as a crash loop?"""
    double.script_pod("web", [running(ready=True), running(ready=True), crashloop()])
    res = live.check_pod(web_pod(), api=api, timeout=5, poll=0.02, stable=0.2)
    assert res.status == "failed" and [f.rule for f in res.findings] == ["live-crash-loop"]


def test_ready_that_holds_passes_after_the_stable_window(double, api):
    """Does a Pod that stays Ready pass once the stable window has passed, well before the timeout?"""
    double.script_pod("web", [running(ready=True)])
    res = live.check_pod(web_pod(), api=api, timeout=10, poll=0.02, stable=0.2)
    assert res.status == "passed" and 0.2 <= res.report.elapsed < 5


SANDBOX_MSG = ('Failed to create pod sandbox: rpc error: code = Unknown desc = failed to start sandbox "ab12": '
               'failed to generate sandbox container spec options: failed to generate user string: '
               'user group "1000" is specified without user')
MOUNT_MSG = 'MountVolume.SetUp failed for volume "cfg" : configmap "app-config" not found'


@pytest.mark.parametrize(
    ("reason", "message", "rule", "path", "shown"),
    [
        ("FailedCreatePodSandBox", SANDBOX_MSG, "live-sandbox-failed", "spec.securityContext",
         'failed to start sandbox "ab12": failed to generate sandbox container spec options: failed to generate '
         'user string: user group "1000" is specified without user'),
        ("FailedMount", MOUNT_MSG, "live-volume-failed", "spec.volumes", MOUNT_MSG),
    ],
    ids=["sandbox", "mount"],
)
def test_stuck_in_container_creating_ends_early_with_the_kubelets_reason(double, api, reason, message, rule, path,
                                                                         shown):
    """Does a Pod the kubelet keeps failing to set up end the wait early, quoting the runtime without gRPC noise?"""
    double.script_pod("web", [pending()])
    double.events_for("web", [("Warning", reason, message), ("Warning", reason, message)])
    res = live.check_pod(web_pod(), api=api, timeout=30, poll=0.02, stable=0.0)
    assert res.status == "failed" and res.report.outcome == "failed" and res.elapsed < 10
    assert [(f.rule, f.path) for f in res.findings] == [(rule, path)]
    assert res.findings[0].message == f"Kubelet: {shown}"


def test_terminal_failures_do_not_wait_for_timeout(double, api):
    """Does an image pull failure end the wait at once instead of running out the clock?"""
    double.script_pod("web", [pending("ImagePullBackOff", PULL_MSG)])
    res = live.check_pod(web_pod(), api=api, timeout=30, poll=0.02)
    assert res.report.outcome == "failed" and res.elapsed < 5


def test_oom_message_names_container_and_restarts(double, api):
    """Does the OOMKilled finding say which container and how often it restarted?"""
    double.script_pod("web", [crashloop("OOMKilled", 137)])
    (finding,) = live.check_pod(web_pod(), api=api, **FAST).findings
    assert finding.message == 'Container "app" was OOMKilled (out of memory) after 3 restart(s).'


# ---------------------------------------------------------------- API errors


API_ERRORS = [
    ("pss-403", status(403, "Forbidden", PSS_MSG, name="web", kind="pods"), [("live-forbidden-pss", "", PSS_MSG)]),
    (
        "quota-403",
        status(
            403,
            "Forbidden",
            'pods "web" is forbidden: exceeded quota: podcourse-quota, requested: '
            "limits.memory=4Gi, used: limits.memory=0, limited: limits.memory=1Gi",
            name="web",
            kind="pods",
        ),
        [("live-forbidden", "", "exceeded quota")],
    ),
    (
        "exists-409",
        status(409, "AlreadyExists", 'pods "web" already exists', name="web", kind="pods"),
        [("live-already-exists", "metadata.name", 'pods "web" already exists')],
    ),
    (
        "invalid-422",
        status(
            422,
            "Invalid",
            'Pod "web" is invalid: [spec.containers[0].image: Required value, '
            "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive]",
            name="web",
            kind="Pod",
            causes=[
                {"reason": "FieldValueRequired", "message": "Required value", "field": "spec.containers[0].image"},
                {
                    "reason": "FieldValueInvalid",
                    "message": "Invalid value: 70000: must be between 1 and 65535, inclusive",
                    "field": "spec.containers[0].ports[0].containerPort",
                },
            ],
        ),
        [
            ("live-invalid", "spec.containers[0].image", "Required value"),
            ("live-invalid", "spec.containers[0].ports[0].containerPort", "must be between 1 and 65535"),
        ],
    ),
    (
        "server-500",
        status(500, "InternalError", "Internal error occurred: etcdserver: request timed out"),
        [("live-api-error", "", "etcdserver: request timed out")],
    ),
]


@pytest.mark.parametrize("case, error, expected", API_ERRORS, ids=[c[0] for c in API_ERRORS])
def test_api_errors_become_findings(double, api, capfd, case, error, expected):
    """Does each API error (403/409/422/500) on dry-run show the server's message with our hint, once per cause?"""
    double.kmock["post", kmock.resource("v1/pods"), kmock.params(dryRun="All")] << error
    res = live.check_pod(web_pod(), api=api, **FAST)
    assert res.status == "failed"
    assert [(f.rule, f.path) for f in res.findings] == [(r, p) for r, p, _ in expected]
    for f, (_, _, text) in zip(res.findings, expected, strict=True):
        assert text in f.message and f.message.startswith("API server")
        assert f.hint and "kubernetes.io/docs" in f.hint
    assert [r.params.get("dryRun") for r in double.requests("post", PODS)] == ["All"]  # never created
    assert double.namespaces() == {}
    assert capfd.readouterr().err == ""


def test_dry_run_persists_nothing(double, api):
    """Does a passing server-side dry-run leave no Pod behind and send dryRun=All?"""
    with Sandbox(api, "dry") as box:
        assert box.dry_run(web_pod()) == []
        assert double.pods_in(box.name) == []
        assert double.requests("post", PODS)[0].params == {"dryRun": "All"}


def test_real_conflict_after_create(double, api):
    """Does creating the same Pod twice give the API's AlreadyExists message?"""
    with Sandbox(api, "twice") as box:
        assert live.apply(web_pod(), api=api, namespace=box.name)[1] == []
        _, found = live.apply(web_pod(), api=api, namespace=box.name)
        assert [(f.rule, f.message) for f in found] == [
            ("live-already-exists", 'API server: pods "web" already exists')
        ]


def test_slow_api_is_a_timeout_finding(double, api, monkeypatch):
    """Does an API server that stops answering mid-wait give an unreachable finding, not a traceback?"""
    monkeypatch.setattr(live, "REQUEST_TIMEOUT", (1.0, 0.3))
    double.kmock["get", kmock.resource("v1/pods")] << (lambda: asyncio.sleep(1.5))
    res = live.check_pod(web_pod(), api=api, **FAST)
    assert [f.rule for f in res.findings] == ["live-unreachable"]
    assert "did not answer in time" in res.findings[0].message


def test_pod_vanishing_mid_wait(double, api):
    """Does a Pod deleted by someone else during the wait give the API's NotFound message?"""
    double.kmock["get", kmock.resource("v1/pods"), kmock.name("web")] << status(
        404, "NotFound", 'pods "web" not found', name="web", kind="pods"
    )
    res = live.check_pod(web_pod(), api=api, **FAST)
    assert [(f.rule, f.message) for f in res.findings] == [
        ("live-api-error", 'API server (404 NotFound): pods "web" not found')
    ]


# ---------------------------------------------------------------- cleanup


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
def test_namespace_deleted_even_on_exceptions(double, api, exc):
    """Is the sandbox namespace deleted when the body raises, including on Ctrl-C (which still propagates)?"""
    with pytest.raises(type(exc)), Sandbox(api, "boom") as box:
        raise exc
    assert [r.name for r in double.requests("delete", NAMESPACES)] == [box.name]
    assert double.namespaces() == {}


def test_namespace_deleted_when_setup_fails(double, api):
    """Is the namespace deleted when creating its ResourceQuota is refused?"""
    double.kmock["post", kmock.resource("v1/resourcequotas")] << status(403, "Forbidden", "quota create refused")
    with pytest.raises(ClusterError, match="quota create refused"), Sandbox(api, "q"):
        pass
    assert len(double.requests("delete", NAMESPACES)) == 1 and double.namespaces() == {}


def test_behaviour_callback_error_still_cleans_up(double, api):
    """Does a crashing behaviour check become a finding while the namespace is still deleted?"""
    double.script_pod("web", [running()])

    def broken(_pod):
        raise ValueError("grader bug")

    res = live.check_pod(web_pod(), api=api, behaviour=broken, **FAST)
    assert [f.rule for f in res.findings] == ["live-api-error"] and "grader bug" in res.findings[0].message
    assert double.namespaces() == {}


def _ns(name, *, sandbox=True, created=None, phase="Active", annotation=True):
    meta = {"name": name, "labels": {builders.SANDBOX_LABEL: "true"} if sandbox else {"team": "x"}}
    if created is not None:
        meta["creationTimestamp"] = created.strftime("%Y-%m-%dT%H:%M:%SZ")
        if annotation:
            meta["annotations"] = {builders.CREATED_ANNOTATION: created.isoformat()}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta, "status": {"phase": phase}}


def test_sweep_deletes_only_stale_sandboxes(double, api):
    """Does the sweep delete only labelled sandboxes older than max_age, leaving others and terminating ones?"""
    old, new = NOW - timedelta(hours=3), NOW - timedelta(minutes=5)
    for body in [
        _ns("podcourse-old-aaaaa", created=old),
        _ns("podcourse-old-noannot", created=old, annotation=False),
        _ns("podcourse-new-bbbbb", created=new),
        _ns("team-prod", sandbox=False, created=old),
        _ns("podcourse-dying-ccccc", created=old, phase="Terminating"),
        _ns("podcourse-notime-ddddd"),
    ]:
        double.add_namespace(body)
    double.kmock.objects[NAMESPACES, None, "garbage"] = {"metadata": "garbage"}
    gone = sweep_stale(api, timedelta(hours=1), now=NOW)
    assert sorted(gone) == ["podcourse-old-aaaaa", "podcourse-old-noannot"]
    assert double.requests("get", NAMESPACES)[0].params["labelSelector"] == "pod-course.io/sandbox=true"
    assert set(double.namespaces()) == {
        "podcourse-new-bbbbb",
        "team-prod",
        "podcourse-dying-ccccc",
        "podcourse-notime-ddddd",
        "garbage",
    }


def test_sweep_without_cluster_is_clear(monkeypatch):
    """Does sweeping with no cluster raise a ClusterError with a hint rather than a urllib3 error?"""
    with pytest.raises(ClusterError) as info:
        sweep_stale(client_at(DEAD), 60)
    assert info.value.hint


# ---------------------------------------------------------------- exec (websocket) and behaviour


def fake_container(container, command):
    script = command[-1] if command[:2] == ["sh", "-c"] else " ".join(command)
    table = {
        "id -u": ("65534\n", "", 0),
        "test -e /shared/index.html": ("", "", 0),
        "test -e /missing": ("", "", 1),
    }
    if script in table:
        return table[script]
    if script.startswith("echo x > "):
        return ("", "sh: can't create /probe-write: Read-only file system\n", 1)
    if script.startswith("for p in /proc"):
        return ("pause\nnginx\nsh\n", "", 0)
    if script.startswith(("wget", "timeout 3 wget")):
        return ("<h1>Welcome to nginx!</h1>\n", "", 0) if "localhost" in script else ("", "wget: bad address\n", 1)
    return ("", f"sh: {script}: not found\n", 127)


@pytest.mark.parametrize(
    "helper, args, expected",
    [
        (probes.user_id, ("app",), 65534),
        (probes.file_visible, ("app", "/shared/index.html"), True),
        (probes.file_visible, ("app", "/missing"), False),
        (probes.write_fails, ("app",), True),
        (probes.processes_seen, ("app",), ["pause", "nginx", "sh"]),
        (
            lambda p, c: probes.http_get_from(p, c, "http://localhost:80/").stdout,
            ("app",),
            "<h1>Welcome to nginx!</h1>\n",
        ),
        (lambda p, c: probes.http_get_from(p, c, "http://nowhere/").ok, ("app",), False),
    ],
)
def test_exec_helpers_over_websocket(double, api, helper, args, expected):
    """Do the behavioural helpers read the right answer from a real websocket exec (v4.channel.k8s.io)?"""
    double.kmock.exec_handlers["web"] = fake_container
    pod = probes.PodHandle(api, "ns", "web", timeout=5)
    assert helper(pod, *args) == expected
    (req,) = [r for r in double.kmock._requests if r.subresource == "exec"]
    assert req.params["container"] == "app"


def test_exec_failures_are_values(double, api):
    """Does exec into a missing pod or an unreachable server give an ExecResult, not an exception?"""
    missing = probes.PodHandle(api, "ns", "ghost", timeout=5).exec("app", ["true"])
    assert (missing.exit_code, missing.stderr) == (126, 'container "app" not found\n')
    dead = probes.PodHandle(client_at(DEAD), "ns", "web", timeout=1).exec("app", ["true"])
    assert dead.exit_code is None and dead.error


def test_behaviour_findings_join_the_result(double, api):
    """Do findings from a behaviour check (via exec) fail an otherwise healthy Pod?"""
    from course.findings import make_finding

    double.script_pod("web", [running()])
    double.kmock.exec_handlers["web"] = fake_container

    def must_be_root(pod):
        uid = probes.user_id(pod, "app")
        if uid != 0:
            yield make_finding(
                "live-exec-failed",
                ("spec", "containers", 0, "securityContext", "runAsUser"),
                f"The container runs as UID {uid}, not 0.",
            )

    res = live.check_pod(web_pod(), api=api, behaviour=must_be_root, **FAST)
    assert [(f.rule, f.path) for f in res.findings] == [
        ("live-exec-failed", "spec.containers[0].securityContext.runAsUser")
    ]


# ---------------------------------------------------------------- robustness and the pool


@pytest.mark.parametrize(
    "pod_status",
    [
        None,
        "Running",
        [],
        {"phase": 3, "containerStatuses": "x"},
        {"containerStatuses": [None, 1, {"state": []}]},
        {"containerStatuses": [{"name": "app", "state": {"waiting": None}, "restartCount": "many"}]},
        {"conditions": [{"type": None}, "x"], "qosClass": ["a"]},
    ],
)
def test_hostile_status_never_raises(pod_status):
    """Do summarize/diagnose survive a Pod status with wrong types everywhere?"""
    report = live.summarize({"metadata": [], "spec": {"containers": "x"}, "status": pod_status})
    assert isinstance(live.diagnose(report), list)


def test_pool_runs_checks_concurrently_in_order(double, api):
    """Does run_many return one result per submission, in order, turning a crashing job into a failure?"""
    double.script_pod("web", [running()])

    def boom():
        raise RuntimeError("bad submission loader")

    jobs = [
        lambda: live.check_pod(web_pod(), api=api, **FAST),
        boom,
        lambda: live.check_pod(web_pod(), api=api, **FAST),
    ]
    results = live.run_many(jobs, max_workers=2)
    assert [r.status for r in results] == ["passed", "failed", "passed"]
    assert len({r.namespace for r in results if r.namespace}) == 2
    assert double.namespaces() == {}


# ---------------------------------------------------------------- kind tooling (fake executables)


FAKES = {
    "docker_ok": 'case "$1" in info) echo 27.3.1;; image) exit 0;; '
    'exec) echo \'{"images":[{"repoTags":["docker.io/library/busybox:1.35"]},'
    '{"repoTags":["docker.io/library/nginx:1.22"]}]}\';; *) exit 0;; esac',
    "docker_down": 'echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock" >&2; exit 1',
    "docker_no_images": 'case "$1" in info) echo 27.3.1;; image) exit 1;; *) exit 0;; esac',
    "kind_none": 'S="@DIR@/kind.state"; case "$1 $2" in "create cluster") : > "$S";; '
    '"get clusters") if [ -e "$S" ]; then echo pod-course; else echo "No kind clusters found."; fi;; esac; exit 0',
    "kind_course": 'case "$1 $2" in "get clusters") echo pod-course; echo other;; '
    '"get nodes") echo pod-course-control-plane; echo pod-course-worker;; esac; exit 0',
    "kubectl_course": 'case "$1" in config) echo kind-pod-course;; esac; exit 0',
    "kubectl_other": 'case "$1" in config) echo prod-admin;; esac; exit 0',
    "kubectl_unreachable": 'case "$1" in config) echo kind-pod-course;; '
    '*) echo "The connection to the server 127.0.0.1:40000 was refused" >&2; exit 1;; esac',
}


@pytest.fixture
def fakebin(tmp_path, monkeypatch):
    """Install fake tools: fakebin(docker='docker_ok', ...) -> path of the call log."""
    log = tmp_path / "calls.log"

    def install(**tools):
        for tool, body in tools.items():
            script = tmp_path / tool
            text = FAKES.get(body, body).replace("@DIR@", str(tmp_path))
            script.write_text(f'#!/bin/sh\necho "{tool} $*" >> "{log}"\n{text}\n')
            script.chmod(script.stat().st_mode | stat.S_IEXEC)
        monkeypatch.setenv("PATH", str(tmp_path))
        return log

    return install


def calls(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


@pytest.mark.parametrize(
    "tools, fn, match, hint",
    [
        ({}, kind.up, "`kind` is not installed", "kind.sigs.k8s.io"),
        ({"kind": "kind_none"}, kind.up, "`docker` is not installed", "docs.docker.com"),
        ({"kind": "kind_none", "docker": "docker_down"}, kind.up, "not running", "start docker"),
        ({"kind": "kind_none", "docker": "docker_down"}, kind.down, "not running", "start docker"),
        ({"kind": "kind_none", "docker": "docker_ok"}, kind.load_images, "no kind cluster", "cluster up"),
        ({"kind": "kind_course", "docker": "docker_ok"}, kind.up, "`kubectl` is not installed", "kubernetes.io"),
        (
            {"kind": "kind_course", "docker": "docker_ok", "kubectl": "kubectl_unreachable"},
            kind.up,
            "was refused",
            "describe nodes",
        ),
    ],
)
def test_tooling_errors_say_what_to_do(fakebin, tools, fn, match, hint):
    """Does each missing or broken tool give a ClusterError whose hint says what to install or run?"""
    fakebin(**tools)
    with pytest.raises(ClusterError, match=match) as info:
        fn()
    assert hint in info.value.hint.lower() or hint in info.value.hint


def test_up_creates_waits_and_loads(fakebin):
    """Does `up` create the cluster from the committed config, wait for nodes and load every course image?"""
    log = fakebin(kind="kind_none", docker="docker_ok", kubectl="kubectl_course")
    said: list[str] = []
    kind.up(say=said.append)
    seen = calls(log)
    create = next(c for c in seen if c.startswith("kind create"))
    assert f"--name pod-course --config {kind.KIND_CONFIG}" in create
    assert any(c.startswith("kubectl --context kind-pod-course wait --for=condition=Ready nodes --all") for c in seen)
    loads = [c for c in seen if c.startswith("kind load docker-image")]
    assert loads == [f"kind load docker-image {i} --name pod-course" for i in kind.course_images()]
    assert not any(c.startswith("docker pull") for c in seen)
    assert said[0].startswith("creating kind cluster")


def test_up_reuses_existing_cluster_and_pulls_missing_images(fakebin):
    """Does `up` reuse an existing course cluster and pull images the local Docker lacks before loading?"""
    log = fakebin(kind="kind_course", docker="docker_no_images", kubectl="kubectl_course")
    kind.up(images=["busybox:1.35"])
    seen = calls(log)
    assert not any(c.startswith("kind create") for c in seen)
    assert seen.index("docker pull busybox:1.35") < seen.index("kind load docker-image busybox:1.35 --name pod-course")


def test_kind_loads_the_debian_stand_ins_where_they_can_be_built(fakebin, monkeypatch, tmp_path):
    """Where Debian's tools are there, does kind get the built stand-in archives (no docker pull)?"""
    from course.cluster.local import images as stand_ins

    log = fakebin(kind="kind_course", docker="docker_ok", kubectl="kubectl_course")
    monkeypatch.setattr(kind, "can_build_images", lambda: True)
    archives = {"registry.k8s.io/pause:3.10.2": tmp_path / "pause.tar",
                **{i: tmp_path / f"{i.replace(':', '_')}.tar" for i in kind.course_images()}}
    monkeypatch.setattr(stand_ins, "build_all", lambda names, say=None: archives)
    assert kind.load_images() == kind.course_images()
    loads = [c for c in calls(log) if c.startswith("kind load")]
    assert loads == [f"kind load image-archive {archives[i]} --name pod-course" for i in kind.course_images()]
    assert not any(c.startswith("docker pull") for c in calls(log))


@pytest.mark.parametrize("kind_fake, deleted", [("kind_course", True), ("kind_none", False)])
def test_down_only_deletes_the_course_cluster(fakebin, kind_fake, deleted):
    """Does `down` delete only the pod-course cluster, and do nothing when it is absent?"""
    log = fakebin(kind=kind_fake, docker="docker_ok")
    assert kind.down() is deleted
    deletes = [c for c in calls(log) if c.startswith("kind delete")]
    assert deletes == (["kind delete cluster --name pod-course"] if deleted else [])


@pytest.mark.parametrize(
    "kubectl_fake, context, reachable, problem",
    [
        ("kubectl_course", "kind-pod-course", True, ""),
        ("kubectl_other", "prod-admin", True, ""),
        ("kubectl_unreachable", "kind-pod-course", False, "not reachable"),
    ],
)
def test_status_reports_context_reachability_and_images(fakebin, kubectl_fake, context, reachable, problem):
    """Does `status` report the current context, reachability, and which course images the nodes hold?"""
    log = fakebin(kind="kind_course", docker="docker_ok", kubectl=kubectl_fake)
    st = kind.status(images=["busybox:1.35", "nginx:1.22", "python:3.11-slim"])
    assert (st.current_context, st.reachable) == (context, reachable)
    assert problem in st.problem
    if reachable:
        assert st.images_loaded == ["busybox:1.35", "nginx:1.22"] and st.images_missing == ["python:3.11-slim"]
        assert "load-images" in st.hint and "python:3.11-slim" in str(st)
    assert not any(c.split()[1:2] in (["delete"], ["create"]) for c in calls(log))


def test_status_never_raises_without_tools(fakebin):
    """Does `status` describe a machine with no tools instead of raising?"""
    fakebin()
    st = kind.status()
    assert not st.kind and "kind" in st.problem and st.hint


@pytest.mark.parametrize(
    "kubectl_fake, explicit, ok",
    [("kubectl_course", None, True), ("kubectl_other", None, False), ("kubectl_other", "prod-admin", True)],
)
def test_other_contexts_need_to_be_named(fakebin, kubectl_fake, explicit, ok):
    """Is a non-course current context refused unless the user names it explicitly?"""
    fakebin(kubectl=kubectl_fake)
    if ok:
        assert kind.require_course_context(explicit) == (explicit or "kind-pod-course")
    else:
        with pytest.raises(ClusterError, match="prod-admin") as info:
            kind.require_course_context(explicit)
        assert "use-context kind-pod-course" in info.value.hint


def test_hung_tool_times_out(fakebin):
    """Does a tool that hangs end in a ClusterError after the timeout?"""
    fakebin(kind="exec /bin/sleep 5")
    with pytest.raises(ClusterError, match="did not finish"):
        kind._run(["kind", "get", "clusters"], timeout=0.3)


def test_kind_config_is_pinned():
    """Does the committed kind config pin one control-plane and one worker to a digest-pinned node image?"""
    cfg = yaml.safe_load(kind.KIND_CONFIG.read_text())
    assert cfg["kind"] == "Cluster" and cfg["name"] == "pod-course"
    assert [n["role"] for n in cfg["nodes"]] == ["control-plane", "worker"]
    for node in cfg["nodes"]:
        repo, _, digest = node["image"].partition("@sha256:")
        assert repo.startswith("kindest/node:v1.") and len(digest) == 64


def test_images_file_parses():
    """Does images.txt list pinned (tagged) images and skip comments?"""
    images = kind.course_images()
    assert images and all(":" in i and not i.startswith("#") for i in images)
