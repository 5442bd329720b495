"""The chapter 12 live check (the storefront Pod in a restricted sandbox) against the Kubernetes API double.

The double serves the API over real HTTP with a scripted kubelet: each test lists the statuses successive
GETs of the Pod return, and answers the grader's execs: `cat` of app.conf in web, `cat` of the access
log in log-shipper, and the write probe that a read-only mount refuses.
"""

from __future__ import annotations

from typing import Any

import pytest
from grader_support import container_status as cs
from grader_support import live_results, pod_status, policies, uncontacted, unreachable
from kube_double import NAMESPACES, PODS, double  # noqa: F401  (the API double fixture)
from test_graders_ch12 import FETCH, SHIPPER, STOREFRONT, WEB, edit, edits

from graders import ch12, live

NAME = "storefront"
RUN = {"running": {"startedAt": "2026-01-01T12:00:05Z"}}
DONE = {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": "2026-01-01T12:00:01Z",
                       "finishedAt": "2026-01-01T12:00:02Z"}}


def ready(*, qos: str = "Guaranteed", restarts: int = 0, web_started: str = "2026-01-01T12:00:05Z",
          shipper_regular: bool = False) -> dict[str, Any]:
    web = cs("web", {"running": {"startedAt": web_started}}, ready=True)
    shipper = cs("log-shipper", RUN, ready=True, started=True, restarts=restarts)
    inits = [cs("fetch-config", DONE)] + ([] if shipper_regular else [shipper])
    regular = [web, cs("metrics", RUN, ready=True)] + ([shipper] if shipper_regular else [])
    return pod_status("Running", True, inits, regular, qos=qos)


def starting() -> dict[str, Any]:
    return pod_status("Running", False, [cs("fetch-config", DONE), cs("log-shipper", RUN, started=True)],
                      [cs("web", RUN, started=False), cs("metrics", RUN, ready=True)], qos="Guaranteed")


def kubelet(*, config: bool = True, log_lines: bool = True, writable: bool = False) -> Any:
    def run(container: str, command: list[str]) -> tuple[str, str, int]:
        if container == "web" and command == ["cat", "/etc/storefront/app.conf"]:
            return (ch12.CONF_TEXT + "\n", "", 0) if config else ("", "cat: can't open: No such file\n", 1)
        if container == "log-shipper" and command == ["cat", "/logs/access.log"]:
            return ("Thu Jan  1 12:00:06 UTC 2026 GET / 200\n", "", 0) if log_lines else ("", "", 0)
        if container == "log-shipper" and command[:2] == ["sh", "-c"] and "podcourse-write-probe" in command[2]:
            return ("", "", 0) if writable else ("", "sh: can't create: Read-only file system\n", 1)
        return ("", f"unexpected {container} {command}\n", 126)

    return run


def setup(double: Any, statuses: list[dict[str, Any]], **kw: Any) -> None:  # noqa: F811
    double.script_pod(NAME, statuses, kubelet(**kw))


def grade(answer: Any = STOREFRONT) -> tuple[float, list[tuple[bool, list[str]]]]:
    return live_results(ch12.storefront_live, answer)


def test_reference_passes(double, capfd):  # noqa: F811
    """Does the reference Pod earn 4/4 when it is admitted, initialises, becomes Ready and is Guaranteed?"""
    setup(double, [starting(), ready()])
    points, _ = grade()
    out = capfd.readouterr()
    assert points == ch12.storefront_live.max_points == 4, out.out
    assert out.err == "" and double.namespaces() == {}


def test_sent_pod_keeps_the_learners_structure(double):  # noqa: F811
    """Is the sent Pod the learner's (security, resources, probes, mounts) with busybox stand-ins, and no namespace?"""
    setup(double, [ready()])
    grade()
    ns = next(r.data for r in double.requests("post", NAMESPACES))
    assert ns["metadata"]["name"].startswith("podcourse-ch12-storefront-")
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    sent = double.requests("post", PODS)[-1].data
    assert "namespace" not in sent["metadata"]
    spec = sent["spec"]
    assert spec["automountServiceAccountToken"] is False and spec["securityContext"]["runAsUser"] == 10001
    fetch, shipper = spec["initContainers"]
    web, metrics = spec["containers"]
    assert fetch["command"][-1] == f"echo '{ch12.CONF_TEXT}' > /config/app.conf"
    assert shipper["command"] == ch12.SHIPPER_COMMAND and shipper["restartPolicy"] == "Always"
    assert web["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    assert web["startupProbe"]["failureThreshold"] == 18
    assert "/tmp/.podcourse-www" in web["command"][-1] and "/var/log/storefront/access.log" in web["command"][-1]
    assert web["resources"] == {"limits": {"cpu": "500m", "memory": "384Mi"}}
    assert metrics["command"][-1] == "exec httpd -f -p 9100 -h /etc"
    assert {c["image"] for c in [fetch, shipper, web, metrics]} == {"busybox:1.35"}


def test_exec_probes_become_the_get_they_make(double):  # noqa: F811
    """Is an exec probe that fetches a localhost URL sent as the httpGet it stands for, timings kept?"""
    setup(double, [ready()])
    probe = {"exec": {"command": ["wget", "-q", "-O-", "http://localhost:8080/ready"]}, "periodSeconds": 1,
             "failureThreshold": 3}
    grade(edit(STOREFRONT, WEB + ".readinessProbe", probe))
    web = double.requests("post", PODS)[-1].data["spec"]["containers"][0]
    assert web["readinessProbe"] == {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 1,
                                     "failureThreshold": 3}


@pytest.mark.parametrize(("statuses", "kw", "index", "says"), [
    ([ready()], {"config": False}, 1, "web cannot read /etc/storefront/app.conf"),
    ([ready(web_started="2026-01-01T12:00:01Z")], {}, 1, "before fetch-config finished"),
    ([ready(shipper_regular=True)], {}, 2, "a regular container, not a native sidecar"),
    ([ready(), ready(restarts=2)], {}, 2, "restarted 2 time(s)"),
    ([ready()], {"log_lines": False}, 2, "cannot read web's log at /logs/access.log"),
    ([ready()], {"writable": True}, 2, "log-shipper could write into web's logs"),
    ([ready(qos="Burstable")], {}, 3, "recorded 'Burstable', not 'Guaranteed'"),
])
def test_each_behaviour_fails_alone(double, statuses, kw, index, says):  # noqa: F811
    """Does each misbehaviour cost exactly its own point, with a message saying what happened?"""
    setup(double, statuses, **kw)
    points, cases = grade()
    assert points == 3, cases
    assert [ok for ok, _ in cases] == [i != index for i in range(4)]
    assert says in cases[index][1][0]


def test_timeout_while_starting(double, capfd):  # noqa: F811
    """Does a Pod that never becomes Ready fail with a timeout, the behaviour checks not run?"""
    setup(double, [starting()])
    points, cases = grade()
    assert points == 0 and "(live-timeout)" in cases[0][1][0]
    assert all(c == (False, [live.NOT_RUN]) for c in cases[1:])
    assert capfd.readouterr().err == "" and double.namespaces() == {}


NOT_RUNNABLE = [
    (None, "STOREFRONT is still empty"),
    (ch12.STARTER, "the API server would refuse"),
    (edit(STOREFRONT, SHIPPER + ".restartPolicy", delete=True), "wait in Init forever"),
    (edit(STOREFRONT, FETCH + ".restartPolicy", "Always"), "fetch-config is not a plain init container"),
    (edits(STOREFRONT, (WEB + ".volumeMounts", [{"name": "tmp", "mountPath": "/tmp"}])), "mount no volume in common"),
    (edit(STOREFRONT, SHIPPER + ".image", "alpine:3.19"), "which the course cluster does not have"),
]


@pytest.mark.parametrize(("answer", "text"), NOT_RUNNABLE)
def test_unrunnable_answers_fail_without_a_cluster(monkeypatch, capfd, answer, text):
    """Does an answer that cannot run earn 0 even when auto would skip, saying what to change?"""
    got, out = uncontacted(monkeypatch, capfd, ch12.storefront_live, answer)
    assert got == 0
    assert text in out.out and out.err == ""


@pytest.mark.parametrize(("policy", "points", "text"), policies(4, off=False))
def test_policy_without_cluster(monkeypatch, capfd, policy, points, text):
    """Does a missing cluster pass with a notice (auto) or fail with the reason (required)?"""
    got, out = unreachable(monkeypatch, capfd, ch12.storefront_live, STOREFRONT, policy)
    assert got == points and text in out.out and out.err == ""


def test_declared_as_a_live_cell():
    """Is the live exercise declared after the static test cell, enforcing restricted without a LimitRange?"""
    (cell,) = [c for c in live.cells() if c.chapter == "ch12"]
    assert cell.exercise is ch12.storefront_live and cell.var == "STOREFRONT"
    assert cell.grade_id == "ch12-storefront-live"
    assert cell.exercise.pss_level == "restricted" and cell.exercise.limit_range is False
