"""The chapter 6 live check (init order and a native sidecar) against the Kubernetes API double.

The double serves the API over real HTTP with a scripted kubelet: each test lists the statuses
successive GETs of the Pod return, and answers the grader's exec into `app` (reading the file
on which the stand-ins record the order they started in).
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from grader_support import assert_passes, live_results, pod_status, policies, uncontacted, unreachable
from grader_support import container_status as cs
from kube_double import NAMESPACES, PODS, double, status  # noqa: F401  (the API double fixture)
from test_graders_ch6 import move_proxy_to_containers

from graders import ch6, live

NAME = "orders"
ORDERS_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: orders
spec:
  initContainers:
  - name: db-proxy
    image: ghcr.io/example/db-proxy:2.1.0
    restartPolicy: Always
    args: ["--listen=127.0.0.1:5432", "orders-db.example.internal:5432"]
    ports:
    - containerPort: 5432
    startupProbe:
      tcpSocket:
        port: 5432
      periodSeconds: 1
      failureThreshold: 30
  - name: migrate
    image: ghcr.io/example/orders-migrate:3.2.0
    args: ["migrate", "up"]
  containers:
  - name: app
    image: ghcr.io/example/orders:3.2.0
    ports:
    - containerPort: 8080
"""


def proxy_as_regular_container(text: str = ORDERS_POD) -> str:
    """The Compose habit: db-proxy a regular container next to app (the API server accepts it)."""
    return move_proxy_to_containers(text)


# ---------------------------------------------------------------- realistic statuses

RUN = {"running": {"startedAt": "2026-01-01T12:00:05Z"}}
DONE = {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": "2026-01-01T12:00:03Z",
                       "finishedAt": "2026-01-01T12:00:04Z"}}


def initializing() -> dict[str, Any]:
    """db-proxy started, migrate running, app waiting for initialisation to finish."""
    return pod_status("Pending", False, [cs("db-proxy", RUN, ready=True), cs("migrate", RUN)],
                      [cs("app", {"waiting": {"reason": "PodInitializing"}})], initialized=False)


def ready(proxy_restarts: int = 0) -> dict[str, Any]:
    return pod_status("Running", True, [cs("db-proxy", RUN, ready=True, restarts=proxy_restarts),
                                        cs("migrate", DONE)], [cs("app", RUN, ready=True)])


def ready_proxy_regular() -> dict[str, Any]:
    """The Compose habit on a real cluster: Ready, but db-proxy is a regular container started after migrate."""
    return pod_status("Running", True, [cs("migrate", DONE)],
                      [cs("db-proxy", RUN, ready=True), cs("app", RUN, ready=True)])


def migrate_crash_loop() -> dict[str, Any]:
    wait = {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 20s restarting failed container"}}
    last = {"exitCode": 1, "reason": "Error"}
    return pod_status("Pending", False, [cs("db-proxy", RUN, ready=True), cs("migrate", wait, restarts=2, last=last)],
                      [cs("app", {"waiting": {"reason": "PodInitializing"}})], initialized=False)


def proxy_pull_backoff() -> dict[str, Any]:
    wait = {"waiting": {"reason": "ImagePullBackOff", "message": 'Back-off pulling image "busybox:1.35"'}}
    return pod_status("Pending", False, [cs("db-proxy", wait), cs("migrate", {"waiting": {"reason":
                                                                                           "PodInitializing"}})],
                      [cs("app", {"waiting": {"reason": "PodInitializing"}})], initialized=False)


# ---------------------------------------------------------------- exec

ORDER = "db-proxy\nmigrate\napp\n"


def exec_with(order: str, *, code: int = 0) -> Any:
    def handler(container: str, command: list[str]) -> tuple[str, str, int]:
        if container == "app" and command == ["cat", ch6.ORDER_FILE]:
            if code:
                return ("", f"cat: can't open '{ch6.ORDER_FILE}': No such file or directory\n", code)
            return (order, "", 0)
        return ("", f'container "{container}" cannot run {command}\n', 126)

    return handler


def setup(double: Any, statuses: list[dict[str, Any]], order: str = ORDER, code: int = 0) -> None:  # noqa: F811
    double.script_pod(NAME, statuses, exec_with(order, code=code))


def grade(answer: Any = ORDERS_POD) -> tuple[float, list[tuple[bool, list[str]]]]:
    return live_results(ch6.orders_live, answer)


# ---------------------------------------------------------------- success


def test_reference_passes(double, capfd):  # noqa: F811
    """Does the reference Pod earn 3/3 when it initialises, becomes Ready and started in order?"""
    setup(double, [initializing(), ready()])
    assert ch6.orders_live.max_points == 3
    assert_passes(double, capfd, grade(), ch6.orders_live.max_points,
                  "Live check - init order and a native sidecar: 3/3 points")


def test_sent_pod_keeps_the_structure_and_runs_stand_ins(double, capfd):  # noqa: F811
    """Is the sent Pod the learner's structure, with busybox stand-ins and the order volume, after a dry-run?"""
    setup(double, [ready()])
    grade()
    ns = next(r.data for r in double.requests("post", NAMESPACES))
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
    assert ns["metadata"]["name"].startswith("podcourse-ch6-orders-")
    posts = double.requests("post", PODS)
    assert double.dry_runs() == ["All", None]
    spec = posts[1].data["spec"]
    assert [c["name"] for c in spec["initContainers"]] == ["db-proxy", "migrate"]
    assert [c["name"] for c in spec["containers"]] == ["app"]
    proxy, migrate = spec["initContainers"]
    assert proxy["restartPolicy"] == "Always" and "restartPolicy" not in migrate
    assert proxy["startupProbe"] == {"tcpSocket": {"port": 5432}, "periodSeconds": 1, "failureThreshold": 30}
    assert "httpd -f -p 5432" in proxy["command"][-1] and "httpd -f -p 8080" in spec["containers"][0]["command"][-1]
    every = [*spec["initContainers"], *spec["containers"]]
    assert {c["image"] for c in every} == {"busybox:1.35"}
    assert all({"name": ch6.ORDER_VOLUME, "mountPath": ch6.ORDER_DIR} in c["volumeMounts"] for c in every)
    assert all(f"echo {c['name']} >> {ch6.ORDER_FILE}" in c["command"][-1] for c in every)
    assert {"name": ch6.ORDER_VOLUME, "emptyDir": {}} in spec["volumes"]
    out = capfd.readouterr().out
    assert "db-proxy runs a stand-in for 'ghcr.io/example/db-proxy:2.1.0'" in out


def test_no_startup_probe_is_not_invented(double):  # noqa: F811
    """Without a startupProbe in the answer, does the stand-in proxy run without one (as the learner wrote it)?"""
    setup(double, [ready()])
    doc = yaml.safe_load(ORDERS_POD)
    del doc["spec"]["initContainers"][0]["startupProbe"]
    grade(yaml.safe_dump(doc))
    assert "startupProbe" not in double.requests("post", PODS)[-1].data["spec"]["initContainers"][0]


def test_repeated_lines_count_once(double):  # noqa: F811
    """If migrate was retried and recorded itself twice, is the order still read from first starts?"""
    setup(double, [ready()], order="db-proxy\nmigrate\nmigrate\napp\n")
    assert grade()[0] == 3


# ---------------------------------------------------------------- the chapter's failure modes


def test_proxy_as_regular_container_loses_both_behaviours(double):  # noqa: F811
    """With db-proxy beside app (the Compose habit), does a Ready Pod still lose both behaviour points?"""
    setup(double, [ready_proxy_regular()], order="migrate\ndb-proxy\napp\n")
    points, cases = grade(proxy_as_regular_container())
    assert points == 1 and cases[0][0]
    (order_msg,) = cases[1][1]
    assert "migrate started before db-proxy (order: migrate -> db-proxy -> app)" in order_msg
    assert "found no database at localhost:5432" in order_msg and "(live-exec-failed)" in order_msg
    assert order_msg.startswith("spec.containers[0]:")
    (sidecar_msg,) = cases[2][1]
    assert "containerStatuses, not its initContainerStatuses" in sidecar_msg


def test_app_before_migrate(double):  # noqa: F811
    """If app recorded its start before migrate, does the order case say app could serve an unmigrated database?"""
    setup(double, [ready()], order="db-proxy\napp\nmigrate\n")
    doc = yaml.safe_load(ORDERS_POD)
    doc["spec"]["containers"].insert(0, doc["spec"]["initContainers"].pop(1))
    points, cases = grade(yaml.safe_dump(doc))
    assert points == 2 and "app started before migrate" in cases[1][1][0]


def test_order_not_as_declared(double):  # noqa: F811
    """Does an order file contradicting the declared init order fail the order case, naming both orders?"""
    setup(double, [ready()], order="migrate\ndb-proxy\napp\n")
    points, cases = grade()
    assert points == 2
    assert "not in the order spec.initContainers lists them (db-proxy, migrate)" in cases[1][1][0]


def test_sidecar_restarted(double):  # noqa: F811
    """Is a db-proxy that was Ready once but has restarted since reported as not running alongside app?"""
    setup(double, [ready(), ready(proxy_restarts=2)])
    points, cases = grade()
    assert points == 2 and not cases[2][0]
    assert "restarted 2 time(s)" in cases[2][1][0] and "kubectl logs -c db-proxy --previous" in cases[2][1][0]


def test_order_file_unreadable(double):  # noqa: F811
    """If app cannot read the order file, does the order case fail with cat's error instead of raising?"""
    setup(double, [ready()], code=1)
    points, cases = grade()
    assert points == 2 and "app could not read /podcourse/order" in cases[1][1][0]
    assert "No such file or directory" in cases[1][1][0]


def test_migrate_crash_loop(double, capfd):  # noqa: F811
    """Does an init container in CrashLoopBackOff fail the run case with its exit code and skip the behaviours?"""
    setup(double, [initializing(), migrate_crash_loop()])
    points, cases = grade()
    assert points == 0
    assert 'Container "migrate" is in CrashLoopBackOff: it exited with exit code 1' in cases[0][1][0]
    assert "spec.initContainers[1]" in cases[0][1][0]
    assert cases[1] == (False, [live.NOT_RUN]) and cases[2] == (False, [live.NOT_RUN])
    assert capfd.readouterr().err == ""


def test_image_pull_backoff(double):  # noqa: F811
    """Does an image the node cannot pull fail the run case with the kubelet's reason?"""
    setup(double, [proxy_pull_backoff()])
    points, cases = grade()
    assert points == 0 and "ImagePullBackOff" in cases[0][1][0] and "(live-image-pull)" in cases[0][1][0]


def test_timeout_stuck_initialising(double, capfd):  # noqa: F811
    """Does a Pod that never finishes initialising fail with a timeout instead of hanging the cell?"""
    setup(double, [initializing()])
    points, cases = grade()
    assert points == 0 and "was not ready after 0.6s" in cases[0][1][0] and "(live-timeout)" in cases[0][1][0]
    assert capfd.readouterr().err == ""
    assert double.namespaces() == {}


def test_plain_init_proxy_fails_without_a_cluster(monkeypatch, capfd):
    """Is a plain-init db-proxy (stuck in Init:0/2 forever) refused before anything is sent, even in auto?"""
    doc = yaml.safe_load(ORDERS_POD)
    for key in ("restartPolicy", "startupProbe"):
        del doc["spec"]["initContainers"][0][key]
    answer = yaml.safe_dump(doc)
    got, out = uncontacted(monkeypatch, capfd, ch6.orders_live, answer)
    assert got == 0
    assert "wait in Init:0/2 forever" in out.out and "spec.initContainers[0].restartPolicy" in out.out
    assert out.err == ""


# ---------------------------------------------------------------- API errors

PSS = 'pods "orders" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostPID=true)'
INVALID = status(422, "Invalid", 'Pod "orders" is invalid: spec.containers[0].restartPolicy: Forbidden: may not '
                 "be set for non-init containers", name="orders", kind="Pod",
                 causes=[{"reason": "FieldValueForbidden", "field": "spec.containers[0].restartPolicy",
                          "message": "Forbidden: may not be set for non-init containers"}])
API_ERRORS = [
    ("pss-403", status(403, "Forbidden", PSS), "live-forbidden-pss", PSS),
    ("exists-409", status(409, "AlreadyExists", 'pods "orders" already exists', name="orders", kind="pods"),
     "live-already-exists", 'pods "orders" already exists'),
    ("invalid-422", INVALID, "live-invalid", "may not be set for non-init containers"),
]


@pytest.mark.parametrize(("case", "error", "rule", "text"), API_ERRORS, ids=[e[0] for e in API_ERRORS])
def test_api_errors(double, capfd, case, error, rule, text):  # noqa: F811
    """Does each refusal of the API server (403 Pod Security, 409, 422) fail the run case with its message?"""
    double.refuse_dry_run(error)
    points, cases = grade()
    assert points == 0
    assert text in cases[0][1][0] and f"({rule})" in cases[0][1][0]
    assert double.dry_runs() == ["All"]  # never created
    assert double.namespaces() == {}
    assert capfd.readouterr().err == ""


# ---------------------------------------------------------------- policies and answers that cannot run


@pytest.mark.parametrize(("policy", "points", "text"), policies(3))
def test_policy_without_cluster(monkeypatch, capfd, policy, points, text):
    """Does a missing cluster pass with a notice (auto, off) or fail with the reason (required)?"""
    got, out = unreachable(monkeypatch, capfd, ch6.orders_live, ORDERS_POD, policy)
    assert got == points and text in out.out and out.err == ""


def test_off_sends_nothing(double, monkeypatch):  # noqa: F811
    """Does PODCOURSE_LIVE=off grade without a single request to the API server?"""
    monkeypatch.setenv("PODCOURSE_LIVE", "off")
    assert float(ch6.orders_live(ORDERS_POD)) == 3
    assert double.kmock._requests == []


NOT_RUNNABLE = [
    (None, "ORDERS_POD is still empty"),
    (ch6.COMPOSE_POD, "the API server would refuse this Pod"),
    (ORDERS_POD.replace("name: migrate", "name: migrations"), "no container named 'migrate'"),
    (ORDERS_POD + "  - {name: cache, image: redis:7}\n", "container 'cache' uses 'redis:7'"),
    ("apiVersion: v1\nkind: Service\nmetadata: {name: orders}\n", "not a Pod manifest"),
]


@pytest.mark.parametrize(("answer", "text"), NOT_RUNNABLE)
def test_unrunnable_answers_fail_without_a_cluster(monkeypatch, capfd, answer, text):
    """Does an answer that cannot run earn 0 even when auto would skip, saying what to change?"""
    got, out = uncontacted(monkeypatch, capfd, ch6.orders_live, answer)
    assert got == 0
    assert text in out.out and out.err == ""


def test_declared_as_a_live_cell():
    """Is the live exercise declared in LIVE_CELLS after the static orders cell, so live.cells() finds it?"""
    (cell,) = [c for c in live.cells() if c.chapter == "ch6"]
    assert cell.exercise is ch6.orders_live and cell.var == "ORDERS_POD" and cell.grade_id == "ch6-orders-live"
    assert cell.exercise.until == "Ready" and cell.exercise.pss_level == "baseline"
