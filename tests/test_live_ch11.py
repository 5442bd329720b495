"""The chapter 11 live check (the repaired Pod becomes Ready, the broken one does not) against the API double.

The double serves the API over real HTTP with a scripted kubelet: each test lists the statuses successive
GETs of the learner's Pod return, and of the given broken Pod the grader creates beside it.
"""

from __future__ import annotations

from typing import Any

import kmock
import pytest
from grader_support import assert_passes, assert_refused, live_results, pod_status, policies, uncontacted, unreachable
from grader_support import container_status as cs
from kube_double import NAMESPACES, PODS, double  # noqa: F401  (the API double fixture)
from test_graders_ch11 import FIXED_POD, edit

from graders import ch11, live

NAME = "web"
LIMITRANGES = kmock.resource("", "v1", "limitranges")
QUOTAS = kmock.resource("", "v1", "resourcequotas")

# ---------------------------------------------------------------- realistic statuses

RUN = {"running": {"startedAt": "2026-12-03T09:00:05Z"}}


def ready(restarts: int = 0) -> dict[str, Any]:
    return pod_status("Running", True, None, [cs("web", RUN, ready=True, image="nginx:1.22"),
                                              cs("heartbeat", RUN, ready=True, restarts=restarts)])


def heartbeat_crashing() -> dict[str, Any]:
    """heartbeat ran `sleeep`: sh exits 127 and the kubelet backs off."""
    last = {"exitCode": 127, "reason": "Error"}
    return pod_status("Running", False, None, [
        cs("web", RUN, ready=True, image="nginx:1.22"),
        cs("heartbeat", {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 10s restarting failed "
                                     "container=heartbeat pod=web_ns(uid)"}}, restarts=2, last=last)])


def unschedulable() -> dict[str, Any]:
    """What the scheduler writes for the given Pod's 64Gi request."""
    return {"phase": "Pending", "qosClass": "Burstable", "conditions": [{
        "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
        "message": "0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No "
                   "preemption victims found for incoming pod."}]}


def setup(double: Any, statuses: list[dict[str, Any]], broken: list[dict[str, Any]] | None = None) -> None:  # noqa: F811
    double.script_pod(NAME, statuses)
    double.script_pod(ch11.BROKEN_NAME, broken or [unschedulable()])


def grade(answer: Any = FIXED_POD) -> tuple[float, list[tuple[bool, list[str]]]]:
    return live_results(ch11.fix_live, answer)


# ---------------------------------------------------------------- success


def test_reference_passes(double, capfd):  # noqa: F811
    """Does the repaired Pod earn 3/3 when it becomes Ready and stays so, the broken one staying Pending?"""
    setup(double, [ready()])
    assert ch11.fix_live.max_points == 3
    assert_passes(double, capfd, grade(), ch11.fix_live.max_points,
                  "Live check - the repaired Pod becomes Ready: 3/3 points")


def test_sent_pods_are_the_learners_and_the_given_one(double):  # noqa: F811
    """Is the learner's Pod sent as written (dry-run, then create), and then the broken Pod renamed web-broken?"""
    setup(double, [ready()])
    grade()
    ns = next(r.data for r in double.requests("post", NAMESPACES))
    assert ns["metadata"]["name"].startswith("podcourse-ch11-web-")
    posts = double.requests("post", PODS)
    assert [(r.data["metadata"]["name"], r.params.get("dryRun")) for r in posts] == [
        ("web", "All"), ("web", None), (ch11.BROKEN_NAME, None)]
    web, beat = posts[1].data["spec"]["containers"]
    assert web["image"] == "nginx:1.22" and web["readinessProbe"]["httpGet"]["port"] == 80
    assert beat["command"] == ["sh", "-c", "echo heartbeat started; sleep 3600"]
    broken = posts[2].data["spec"]["containers"]
    assert broken[0]["image"] == ch11.BAD_IMAGE and broken[0]["resources"]["requests"]["memory"] == "64Gi"


def test_no_limit_range_in_the_sandbox(double):  # noqa: F811
    """Is the sandbox made without a LimitRange, so its defaults cannot refuse the broken Pod before scheduling?"""
    setup(double, [ready()])
    grade()
    assert double.requests("post", LIMITRANGES) == []
    assert len(double.requests("post", QUOTAS)) == 1


# ---------------------------------------------------------------- the chapter's failure modes


def test_heartbeat_crashing_is_not_ready(double):  # noqa: F811
    """With the 127 typo left in, does the run case fail on the container's CrashLoopBackOff (0 points)?"""
    setup(double, [heartbeat_crashing()])
    answer = edit(FIXED_POD, "spec.containers.1.command", ["sh", "-c", "echo heartbeat started; sleeep 3600"])
    points, cases = grade(answer)
    assert points == 0
    assert "exit code 127" in cases[0][1][0] and "(live-crash-loop)" in cases[0][1][0]
    assert cases[1] == (False, [live.NOT_RUN]) and cases[2] == (False, [live.NOT_RUN])


def test_heartbeat_restarting_after_ready(double):  # noqa: F811
    """Is a heartbeat that was Ready once but restarted since reported, losing only the stay-running point?"""
    setup(double, [ready(), ready(restarts=1)])
    answer = edit(FIXED_POD, "spec.containers.1.command", ["sh", "-c", "echo heartbeat started; sleep 2"])
    points, cases = grade(answer)
    assert points == 2 and cases[2][0]
    assert 'Container "heartbeat" does not stay running and ready' in cases[1][1][0]
    assert "restarted 1 time(s)" in cases[1][1][0] and "--previous" in cases[1][1][0]


def test_broken_pod_ready_is_reported(double):  # noqa: F811
    """If the broken Pod became Ready on this cluster, is the contrast point lost, with a note for the instructor?"""
    setup(double, [ready()], broken=[ready()])
    points, cases = grade()
    assert points == 2 and "became Ready on this cluster too" in cases[2][1][0]


def test_broken_pod_refused_counts_as_not_ready(double, monkeypatch):  # noqa: F811
    """Is a broken Pod the API server refuses outright (e.g. by a quota) also not Ready, and nothing else sent?"""
    from course.cluster import live as cluster
    from course.findings import make_finding

    setup(double, [ready()])
    real = cluster.apply
    refused: list[str] = []

    def apply(pod: dict[str, Any], **kwargs: Any) -> Any:
        if pod["metadata"]["name"] == ch11.BROKEN_NAME:
            refused.append(pod["metadata"]["name"])
            return None, [make_finding("live-api-error", (), "exceeded quota: requests.memory=64Gi")]
        return real(pod, **kwargs)

    monkeypatch.setattr(cluster, "apply", apply)
    points, _ = grade()
    assert points == 3 and refused == [ch11.BROKEN_NAME]
    assert [r.data["metadata"]["name"] for r in double.requests("post", PODS)] == ["web", "web"]


def test_timeout_while_pending(double, capfd):  # noqa: F811
    """Does a repaired Pod that still cannot be scheduled fail with a timeout instead of hanging?"""
    setup(double, [unschedulable()])
    points, cases = grade(edit(FIXED_POD, "spec.containers.0.resources.requests.memory", "64Gi"))
    assert points == 0 and cases[1] == (False, [live.NOT_RUN])
    assert capfd.readouterr().err == "" and double.namespaces() == {}


# ---------------------------------------------------------------- API errors


def test_api_refusal(double, capfd):  # noqa: F811
    """Does a refusal of the API server (403 Pod Security) fail the run case with its message, creating nothing?"""
    text = 'pods "web" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true)'
    assert_refused(double, capfd, grade, text)


# ---------------------------------------------------------------- policies and answers that cannot run


@pytest.mark.parametrize(("policy", "points", "text"), policies(3))
def test_policy_without_cluster(monkeypatch, capfd, policy, points, text):
    """Does a missing cluster pass with a notice (auto, off) or fail with the reason (required)?"""
    got, out = unreachable(monkeypatch, capfd, ch11.fix_live, FIXED_POD, policy)
    assert got == points and text in out.out and out.err == ""


NOT_RUNNABLE = [
    (None, "FIXED_POD is still empty"),
    (edit(FIXED_POD, "spec.containers", [{"name": "web", "image": "nginx:1.22"}]), "no container named 'heartbeat'"),
    (edit(FIXED_POD, "spec.containers.0.ports", [{"containerPort": 70000}]), "the API server would refuse"),
    (FIXED_POD + "  - {name: cache, image: redis:7}\n", "container 'cache' uses 'redis:7'"),
    ("apiVersion: v1\nkind: Service\nmetadata: {name: web}\n", "not a Pod manifest"),
]


@pytest.mark.parametrize(("answer", "text"), NOT_RUNNABLE)
def test_unrunnable_answers_fail_without_a_cluster(monkeypatch, capfd, answer, text):
    """Does an answer that cannot run earn 0 even when auto would skip, saying what to change?"""
    got, out = uncontacted(monkeypatch, capfd, ch11.fix_live, answer)
    assert got == 0
    assert text in out.out and out.err == ""


def test_declared_as_a_live_cell():
    """Is the live exercise declared in LIVE_CELLS after the static fix cell, so live.cells() finds it?"""
    (cell,) = [c for c in live.cells() if c.chapter == "ch11"]
    assert cell.exercise is ch11.fix_live and cell.var == "FIXED_POD" and cell.grade_id == "ch11-fix-live"
    assert cell.exercise.until == "Ready" and cell.exercise.limit_range is False
