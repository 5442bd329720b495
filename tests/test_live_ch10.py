"""The chapter 10 live check (an ambassador in front of the database) against the Kubernetes API double.

The double serves the API over real HTTP with a scripted kubelet: each test lists the statuses
successive GETs of the Pod return, and answers the grader's exec into `app`: a `wget` of the host
and port of DATABASE_URL, which answers with the stand-in database's page only when it goes to the
ambassador on localhost.
"""

from __future__ import annotations

from typing import Any

import kmock
import pytest
import yaml
from kube_double import NAMESPACES, PODS, status
from test_graders_ch10 import SHOP_POD, edit, move
from test_live_graders import DEAD, double  # noqa: F401  (the API double fixture)

from course.cluster.client import client_at
from graders import ch10, live

NAME = "shop"
URL = "spec.containers.0.env.0.value"

# ---------------------------------------------------------------- realistic statuses

RUN = {"running": {"startedAt": "2026-01-01T12:00:05Z"}}


def cs(name: str, state: dict[str, Any], *, ready: bool = False, started: bool | None = None,
       restarts: int = 0) -> dict[str, Any]:
    return {"name": name, "image": "busybox:1.35", "imageID": "", "ready": ready, "restartCount": restarts,
            "started": ready if started is None else started, "state": state}


def pod_status(phase: str, ready: bool, inits: list[dict[str, Any]], regular: list[dict[str, Any]],
               initialized: bool = True) -> dict[str, Any]:
    conds = [{"type": "PodScheduled", "status": "True"}, {"type": "PodReadyToStartContainers", "status": "True"},
             {"type": "Initialized", "status": "True" if initialized else "False"},
             {"type": "ContainersReady", "status": "True" if ready else "False"},
             {"type": "Ready", "status": "True" if ready else "False"}]
    return {"phase": phase, "conditions": conds, "qosClass": "BestEffort", "initContainerStatuses": inits,
            "containerStatuses": regular}


def starting() -> dict[str, Any]:
    """db-ambassador started, its startupProbe not yet passed; app waits."""
    return pod_status("Pending", False, [cs("db-ambassador", RUN, started=False)],
                      [cs("app", {"waiting": {"reason": "PodInitializing"}}),
                       cs(ch10.UPSTREAM, {"waiting": {"reason": "PodInitializing"}})], initialized=False)


def ready(restarts: int = 0) -> dict[str, Any]:
    return pod_status("Running", True, [cs("db-ambassador", RUN, ready=True, started=True, restarts=restarts)],
                      [cs("app", RUN, ready=True), cs(ch10.UPSTREAM, RUN, ready=True)])


def ready_ambassador_regular() -> dict[str, Any]:
    return pod_status("Running", True, [], [cs("db-ambassador", RUN, ready=True), cs("app", RUN, ready=True),
                                            cs(ch10.UPSTREAM, RUN, ready=True)])


# ---------------------------------------------------------------- exec


def through_ambassador(container: str, command: list[str]) -> tuple[str, str, int]:
    """What app sees: only localhost:5432 (the ambassador, forwarding to the stand-in database) answers."""
    if container != "app" or command[:2] != ["sh", "-c"] or "wget" not in command[2]:
        return ("", f'container "{container}" cannot run {command}\n', 126)
    if "http://localhost:5432/ " in command[2] or "http://127.0.0.1:5432/ " in command[2]:
        return (ch10.UPSTREAM_PAGE + "\n", "", 0)
    if ch10.DB_HOST in command[2] or "db-ambassador" in command[2]:
        host = ch10.DB_HOST if ch10.DB_HOST in command[2] else "db-ambassador"
        return ("", f"wget: bad address '{host}:5432'\nsh: curl: not found\n", 127)
    return ("", "wget: can't connect to remote host (127.0.0.1): Connection refused\nsh: curl: not found\n", 127)


def setup(double: Any, statuses: list[dict[str, Any]]) -> None:  # noqa: F811
    double.script_pod(NAME, statuses)
    double.kmock.exec_handlers[NAME] = through_ambassador


def grade(answer: Any = SHOP_POD) -> tuple[float, list[tuple[bool, list[str]]]]:
    score = ch10.ambassador_live(answer)
    return float(score), [(r.passed, r.messages) for r in score.results]


# ---------------------------------------------------------------- success


def test_reference_passes(double, capfd):  # noqa: F811
    """Does the reference Pod earn 3/3 when it starts, becomes Ready and app reaches the database via localhost?"""
    setup(double, [starting(), ready()])
    points, cases = grade()
    out = capfd.readouterr()
    assert points == ch10.ambassador_live.max_points == 3, out.out
    assert all(ok for ok, _ in cases)
    assert out.err == ""
    assert "Live check - the app reaches its database through the ambassador: 3/3 points" in out.out
    assert double.namespaces() == {}


def test_sent_pod_forwards_to_the_stand_in_database(double, capfd):  # noqa: F811
    """Is the sent Pod the learner's structure, with the ambassador forwarding to an added stand-in database?"""
    setup(double, [ready()])
    grade()
    ns = next(r.data for r in double.requests("post", NAMESPACES))
    assert ns["metadata"]["name"].startswith("podcourse-ch10-shop-")
    posts = double.requests("post", PODS)
    assert [r.params.get("dryRun") for r in posts] == ["All", None]
    spec = posts[1].data["spec"]
    (amb,) = spec["initContainers"]
    assert amb["name"] == "db-ambassador" and amb["restartPolicy"] == "Always"
    assert amb["command"] == ["sh", "-c", f"exec nc -ll -p 5432 -e nc 127.0.0.1 {ch10.UPSTREAM_PORT}"]
    assert amb["startupProbe"] == {"tcpSocket": {"port": 5432}, "periodSeconds": 1, "failureThreshold": 30}
    assert [c["name"] for c in spec["containers"]] == ["app", ch10.UPSTREAM]
    app, db = spec["containers"]
    assert {"name": "DATABASE_URL", "value": "postgres://shop@localhost:5432/shop"} in app["env"]
    assert f"httpd -f -p 127.0.0.1:{ch10.UPSTREAM_PORT}" in db["command"][-1]
    assert {c["image"] for c in [amb, app, db]} == {"busybox:1.35"}
    out = capfd.readouterr().out
    assert f"instead of {ch10.DB_HOST}:5432" in out


def test_listening_port_comes_from_the_learners_command(double):  # noqa: F811
    """Does the stand-in ambassador listen where the learner's nc listens, and is no startupProbe invented?"""
    setup(double, [ready()])
    answer = edit(edit(SHOP_POD, "spec.initContainers.0.command",
                       ["sh", "-c", "exec nc -ll -p 6432 -e nc shop-db.prod.example.internal 5432"]),
                  "spec.initContainers.0.startupProbe", delete=True)
    points, cases = grade(edit(answer, URL, "postgres://shop@localhost:6432/shop"))
    amb = double.requests("post", PODS)[-1].data["spec"]["initContainers"][0]
    assert amb["command"][-1] == f"exec nc -ll -p 6432 -e nc 127.0.0.1 {ch10.UPSTREAM_PORT}"
    assert "startupProbe" not in amb
    assert points == 2 and "http://localhost:6432/" in cases[1][1][0]  # the double answers only on 5432


# ---------------------------------------------------------------- the chapter's failure modes


@pytest.mark.parametrize(("url", "says"), [
    ("postgres://shop@shop-db.prod.example.internal:5432/shop", "bad address 'shop-db.prod.example.internal:5432'"),
    ("postgres://shop@db-ambassador:5432/shop", "bad address 'db-ambassador:5432'"),
    ("postgres://shop@localhost:5433/shop", "Connection refused"),
])
def test_app_not_using_the_ambassador(double, url, says):  # noqa: F811
    """When DATABASE_URL bypasses the ambassador, does the reach case fail with wget's error and the fix?"""
    setup(double, [ready()])
    points, cases = grade(edit(SHOP_POD, URL, url))
    assert points == 2 and cases[0][0] and cases[2][0]
    (msg,) = cases[1][1]
    assert says in msg and "curl: not found" not in msg
    assert msg.startswith("spec.containers[0].env:") and "(live-exec-failed)" in msg
    assert "Point DATABASE_URL at localhost:5432" in msg


def test_url_without_host(double):  # noqa: F811
    """Is a DATABASE_URL with no host reported without an exec, instead of fetching nonsense?"""
    setup(double, [ready()])
    points, cases = grade(edit(SHOP_POD, URL, "postgres:///shop"))
    assert points == 2 and "names no host to connect to" in cases[1][1][0]


def test_ambassador_as_regular_container(double):  # noqa: F811
    """With db-ambassador a regular container, does a Ready Pod that forwards still lose the sidecar point?"""
    setup(double, [ready_ambassador_regular()])
    answer = edit(move(SHOP_POD, "initContainers", "containers"), "spec.containers.0.startupProbe", delete=True)
    points, cases = grade(answer)
    assert points == 2 and cases[1][0]
    assert "containerStatuses, not its initContainerStatuses" in cases[2][1][0]


def test_ambassador_restarted(double):  # noqa: F811
    """Is an ambassador that was Ready once but restarted since reported as not running alongside app?"""
    setup(double, [ready(), ready(restarts=3)])
    points, cases = grade()
    assert points == 2 and "restarted 3 time(s)" in cases[2][1][0]


def test_timeout_while_starting(double, capfd):  # noqa: F811
    """Does a Pod whose ambassador never passes its startupProbe fail with a timeout instead of hanging?"""
    setup(double, [starting()])
    points, cases = grade()
    assert points == 0 and "(live-timeout)" in cases[0][1][0]
    assert cases[1] == (False, [live.NOT_RUN]) and cases[2] == (False, [live.NOT_RUN])
    assert capfd.readouterr().err == "" and double.namespaces() == {}


def test_plain_init_ambassador_fails_without_a_cluster(monkeypatch, capfd):
    """Is a plain-init ambassador (stuck in Init:0/1 forever) refused before anything is sent, even in auto?"""
    monkeypatch.delenv("PODCOURSE_LIVE", raising=False)
    monkeypatch.setattr(live, "CONNECT", lambda: pytest.fail("a cluster was contacted"))
    answer = edit(move(SHOP_POD, "initContainers", "initContainers"), "spec.initContainers.0.startupProbe",
                  delete=True)
    assert float(ch10.ambassador_live(answer)) == 0
    out = capfd.readouterr()
    assert "wait in Init:0/1 forever" in out.out and "spec.initContainers[0].restartPolicy" in out.out
    assert out.err == ""


# ---------------------------------------------------------------- API errors


def test_api_refusal(double, capfd):  # noqa: F811
    """Does a refusal of the API server (403 Pod Security) fail the run case with its message, creating nothing?"""
    text = 'pods "shop" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true)'
    double.kmock["post", kmock.resource("v1/pods"), kmock.params(dryRun="All")] << status(403, "Forbidden", text)
    points, cases = grade()
    assert points == 0 and text in cases[0][1][0] and "(live-forbidden-pss)" in cases[0][1][0]
    assert [r.params.get("dryRun") for r in double.requests("post", PODS)] == ["All"]
    assert double.namespaces() == {} and capfd.readouterr().err == ""


# ---------------------------------------------------------------- policies and answers that cannot run


@pytest.mark.parametrize(("policy", "points", "text"), [
    ("auto", 3, "live check skipped: no cluster"), ("required", 0, "live check failed: no cluster"),
    ("off", 3, "live check off (PODCOURSE_LIVE=off)")])
def test_policy_without_cluster(monkeypatch, capfd, policy, points, text):
    """Does a missing cluster pass with a notice (auto, off) or fail with the reason (required)?"""
    monkeypatch.setenv("PODCOURSE_LIVE", policy)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setattr(live, "CONNECT", lambda: client_at(DEAD))
    got = float(ch10.ambassador_live(SHOP_POD))
    out = capfd.readouterr()
    assert got == points and text in out.out and out.err == ""


NOT_RUNNABLE = [
    (None, "SHOP_POD is still empty"),
    (ch10.SHOP_POD, "no container named 'db-ambassador'"),
    (edit(SHOP_POD, "spec.initContainers.0.ports", [{"containerPort": 70000}]), "the API server would refuse"),
    (SHOP_POD + "  - {name: cache, image: redis:7}\n", "container 'cache' uses 'redis:7'"),
    ("apiVersion: v1\nkind: Service\nmetadata: {name: shop}\n", "not a Pod manifest"),
]


@pytest.mark.parametrize(("answer", "text"), NOT_RUNNABLE)
def test_unrunnable_answers_fail_without_a_cluster(monkeypatch, capfd, answer, text):
    """Does an answer that cannot run earn 0 even when auto would skip, saying what to change?"""
    monkeypatch.delenv("PODCOURSE_LIVE", raising=False)
    monkeypatch.setattr(live, "CONNECT", lambda: pytest.fail("a cluster was contacted"))
    assert float(ch10.ambassador_live(answer)) == 0
    out = capfd.readouterr()
    assert text in out.out and out.err == ""


def test_declared_as_a_live_cell():
    """Is the live exercise declared in LIVE_CELLS after the static shop cell, so live.cells() finds it?"""
    (cell,) = [c for c in live.cells() if c.chapter == "ch10"]
    assert cell.exercise is ch10.ambassador_live and cell.var == "SHOP_POD" and cell.grade_id == "ch10-shop-live"
    assert cell.exercise.until == "Ready" and cell.exercise.pss_level == "baseline"
    assert yaml.safe_load(SHOP_POD)["metadata"]["name"] == NAME
