"""The live checks against a real kind cluster (`pytest -m kind`); skipped when none is reachable.

The normal suite runs the same paths against an API double; this tier proves the double's
shapes match a real API server, kubelet and exec websocket.
"""

from __future__ import annotations

import pytest

from course.cluster import builders, live, probes
from course.cluster.sandbox import Sandbox, sweep_stale

pytestmark = pytest.mark.cluster

SLOW = {"timeout": 120.0, "poll": 1.0}


@pytest.fixture(scope="module")
def api(cluster):
    return cluster


def busybox(name="web", command=("sleep", "3600"), **kw):
    return builders.pod_template(name, "busybox:1.35", command=list(command), **kw)


def test_restricted_pod_becomes_ready(api):
    """Does a restricted-compliant Pod become Ready with its QoS class read from the cluster?"""
    res = live.check_pod(busybox(), api=api, slug="kind-ok", **SLOW)
    assert res.status == "passed", str(res)
    assert res.report.outcome == "ready" and res.report.qos_class == "Guaranteed"  # LimitRange defaults


def test_best_effort_without_limit_range(api):
    """Does a sandbox without a LimitRange keep a resource-less Pod BestEffort?"""
    res = live.check_pod(busybox(), api=api, slug="kind-qos", limit_range=False, **SLOW)
    assert res.status == "passed", str(res)
    assert res.report.qos_class == "BestEffort"


@pytest.mark.parametrize(
    "pod, pss, until, rules",
    [
        (
            builders.pod_template("web", "busybox:no-such-tag-1999", command=["sleep", "3600"]),
            "restricted",
            "Ready",
            ["live-image-pull"],
        ),
        (busybox(command=["sh", "-c", "exit 1"]), "restricted", "Ready", ["live-crash-loop"]),
        (
            builders.pod_template(
                "web",
                "python:3.11-slim",
                command=["python", "-c", "x = bytearray(512 * 2**20)"],
                resources={"limits": {"memory": "64Mi"}},
            ),
            "restricted",
            "Ready",
            ["live-oom-killed"],
        ),
        (busybox(command=["sh", "-c", "exit 3"], restart_policy="Never"), "restricted", "Completed", ["live-failed"]),
        (builders.pod_template("web", "nginx:1.22", restricted=False), "restricted", "Ready", ["live-forbidden-pss"]),
    ],
    ids=["image-pull", "crash-loop", "oom", "failed", "pss-403"],
)
def test_failure_modes(api, pod, pss, until, rules):
    """Does each failure mode on a real cluster give the same rule as against the double?"""
    res = live.check_pod(pod, api=api, slug="kind-fail", pss_level=pss, until=until, **SLOW)
    assert res.status == "failed"
    assert [f.rule for f in res.findings][: len(rules)] == rules, str(res)
    if rules == ["live-forbidden-pss"]:
        assert 'violates PodSecurity "restricted:latest"' in res.findings[0].message


def test_readiness_probe_failure_times_out(api):
    """Does a never-ready Pod report the kubelet's Unhealthy event and a timeout?"""
    pod = busybox()
    pod["spec"]["containers"][0]["readinessProbe"] = {"exec": {"command": ["false"]}, "periodSeconds": 1}
    res = live.check_pod(pod, api=api, slug="kind-probe", timeout=20, poll=1)
    assert {f.rule for f in res.findings} >= {"live-probe-failed", "live-timeout"}, str(res)


def test_invalid_and_conflict(api):
    """Do 422 causes map to field paths and a second create give AlreadyExists?"""
    with Sandbox(api, "kind-api") as box:
        bad = busybox()
        bad["spec"]["containers"][0]["ports"] = [{"containerPort": 70000}]
        found = box.dry_run(bad)
        assert ("live-invalid", "spec.containers[0].ports[0].containerPort") in [(f.rule, f.path) for f in found]
        assert live.apply(busybox(), api=api, namespace=box.name)[1] == []
        again = live.apply(busybox(), api=api, namespace=box.name)[1]
        assert [f.rule for f in again] == ["live-already-exists"]


def test_exec_helpers(api):
    """Do the exec helpers see the real container's UID, read-only root, shared files and HTTP?"""
    pod = busybox()
    c = pod["spec"]["containers"][0]
    c["securityContext"]["readOnlyRootFilesystem"] = True
    c["command"] = ["sh", "-c", "mkdir -p /www && echo hello > /www/index.html && httpd -f -p 8080 -h /www"]
    c["volumeMounts"] = [{"name": "www", "mountPath": "/www"}]
    pod["spec"]["volumes"] = [{"name": "www", "emptyDir": {}}]
    seen = {}

    def behaviour(handle):
        seen["uid"] = probes.user_id(handle, "app")
        seen["ro"] = probes.write_fails(handle, "app", "/probe")
        seen["file"] = probes.file_visible(handle, "app", "/www/index.html")
        seen["http"] = probes.http_get_from(handle, "app", "http://localhost:8080/index.html").stdout
        seen["procs"] = probes.processes_seen(handle, "app")
        return []

    res = live.check_pod(pod, api=api, slug="kind-exec", until="Running", behaviour=behaviour, **SLOW)
    assert res.status == "passed", str(res)
    assert seen["uid"] == 65534 and seen["ro"] is True and seen["file"] is True
    assert seen["http"].strip() == "hello" and "httpd" in seen["procs"]


def test_sweep_leaves_fresh_sandboxes(api):
    """Does a sweep with a long max_age leave a just-created sandbox alone?"""
    with Sandbox(api, "kind-sweep") as box:
        assert box.name not in sweep_stale(api, 3600)
