"""The chapter 10 live checks (an ambassador, an adapter) against the Kubernetes API double.

The double serves the API over real HTTP with a scripted kubelet: each test lists the statuses
successive GETs of the Pod return, and answers the grader's exec into `app`: a `wget` of the host
and port of DATABASE_URL, which answers with the stand-in database's page only when it goes to the
ambassador on localhost.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from grader_support import assert_passes, assert_refused, live_results, pod_status, policies, uncontacted, unreachable
from grader_support import container_status as cs
from kube_double import NAMESPACES, PODS, double  # noqa: F401  (the API double fixture)
from test_graders_ch10 import BILLING_POD, SHOP_POD, edit, move

from graders import ch10, live

NAME = "shop"
URL = "spec.containers.0.env.0.value"

# ---------------------------------------------------------------- realistic statuses

RUN = {"running": {"startedAt": "2026-01-01T12:00:05Z"}}


def starting() -> dict[str, Any]:
    """db-ambassador started, its startupProbe not yet passed; app waits."""
    return pod_status("Pending", False, [cs("db-ambassador", RUN, started=False)],
                      [cs("app", {"waiting": {"reason": "PodInitializing"}}),
                       cs(ch10.UPSTREAM, {"waiting": {"reason": "PodInitializing"}})],
                      initialized=False, qos="BestEffort")


def ready(restarts: int = 0) -> dict[str, Any]:
    return pod_status("Running", True, [cs("db-ambassador", RUN, ready=True, started=True, restarts=restarts)],
                      [cs("app", RUN, ready=True), cs(ch10.UPSTREAM, RUN, ready=True)], qos="BestEffort")


def ready_ambassador_regular() -> dict[str, Any]:
    return pod_status("Running", True, [], [cs("db-ambassador", RUN, ready=True), cs("app", RUN, ready=True),
                                            cs(ch10.UPSTREAM, RUN, ready=True)], qos="BestEffort")


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
    double.script_pod(NAME, statuses, through_ambassador)


def grade(answer: Any = SHOP_POD) -> tuple[float, list[tuple[bool, list[str]]]]:
    return live_results(ch10.ambassador_live, answer)


# ---------------------------------------------------------------- success


def test_reference_passes(double, capfd):  # noqa: F811
    """Does the reference Pod earn 3/3 when it starts, becomes Ready and app reaches the database via localhost?"""
    setup(double, [starting(), ready()])
    assert ch10.ambassador_live.max_points == 3
    assert_passes(double, capfd, grade(), ch10.ambassador_live.max_points,
                  "Live check - the app reaches its database through the ambassador: 3/3 points")


def test_sent_pod_forwards_to_the_stand_in_database(double, capfd):  # noqa: F811
    """Is the sent Pod the learner's structure, with the ambassador forwarding to an added stand-in database?"""
    setup(double, [ready()])
    grade()
    ns = next(r.data for r in double.requests("post", NAMESPACES))
    assert ns["metadata"]["name"].startswith("podcourse-ch10-shop-")
    posts = double.requests("post", PODS)
    assert double.dry_runs() == ["All", None]
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
    answer = edit(move(SHOP_POD, "initContainers", "initContainers"), "spec.initContainers.0.startupProbe",
                  delete=True)
    got, out = uncontacted(monkeypatch, capfd, ch10.ambassador_live, answer)
    assert got == 0
    assert "wait in Init:0/1 forever" in out.out and "spec.initContainers[0].restartPolicy" in out.out
    assert out.err == ""


# ---------------------------------------------------------------- API errors


def test_api_refusal(double, capfd):  # noqa: F811
    """Does a refusal of the API server (403 Pod Security) fail the run case with its message, creating nothing?"""
    text = 'pods "shop" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true)'
    assert_refused(double, capfd, grade, text)


# ---------------------------------------------------------------- policies and answers that cannot run


@pytest.mark.parametrize(("policy", "points", "text"), policies(3))
def test_policy_without_cluster(monkeypatch, capfd, policy, points, text):
    """Does a missing cluster pass with a notice (auto, off) or fail with the reason (required)?"""
    got, out = unreachable(monkeypatch, capfd, ch10.ambassador_live, SHOP_POD, policy)
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
    got, out = uncontacted(monkeypatch, capfd, ch10.ambassador_live, answer)
    assert got == 0
    assert text in out.out and out.err == ""


def test_declared_as_a_live_cell():
    """Are both live exercises declared in LIVE_CELLS after their static cells, so live.cells() finds them?"""
    got = {c.grade_id: c for c in live.cells() if c.chapter == "ch10"}
    assert set(got) == {"ch10-shop-live", "ch10-billing-live"}
    shop, billing = got["ch10-shop-live"], got["ch10-billing-live"]
    assert shop.exercise is ch10.ambassador_live and shop.var == "SHOP_POD"
    assert billing.exercise is ch10.adapter_live and billing.var == "BILLING_POD"
    for cell in (shop, billing):
        assert cell.exercise.until == "Ready" and cell.exercise.pss_level == "baseline"
    assert yaml.safe_load(SHOP_POD)["metadata"]["name"] == NAME


# ================================================================ the adapter: billing's status as metrics
# The double's kubelet keeps one status file: billing's writes land in it (unless billing cannot write),
# and GET localhost:9100/metrics from billing answers with the file translated, the way the stand-in
# exporter would with the reference arguments. Each test bends one part of that.

BILLING = "billing"
STATUS = "/var/run/billing/status.txt"


def billing_ready() -> dict[str, Any]:
    return pod_status("Running", True, [], [cs("billing", RUN, ready=True), cs("metrics-adapter", RUN, ready=True)],
                      qos="BestEffort")


class Kubelet:
    """What the billing Pod's containers see; `prefix`, `stale`, `refuse`, `billing_ro`, `adapter_rw` bend it."""

    def __init__(self, *, prefix: str = "billing_", stale: bool = False, refuse: bool = False,
                 billing_ro: bool = False, adapter_rw: bool = False) -> None:
        self.prefix, self.stale, self.refuse = prefix, stale, refuse
        self.billing_ro, self.adapter_rw = billing_ro, adapter_rw
        self.status = "queue_depth=17\ninvoices_sent_total=1024\n"
        self.served: str | None = None
        self.writes: list[str] = []

    def __call__(self, container: str, command: list[str]) -> tuple[str, str, int]:
        script = command[2] if command[:2] == ["sh", "-c"] else ""
        if container == "billing" and f"mv -f /var/run/billing/.status.txt.tmp {STATUS}" in script:
            if self.billing_ro:
                return ("", "sh: can't create /var/run/billing/.status.txt.tmp: Read-only file system\n", 1)
            self.writes.append(script)
            self.status = "".join(f"{m.group(1)}\n" for m in re.finditer(r"echo (\w+=\d+) >>", script))
            return ("", "", 0)
        if container == "billing" and "wget" in script and "http://localhost:9100/metrics" in script:
            if self.refuse:
                return ("", "wget: can't connect to remote host (127.0.0.1): Connection refused\n"
                            "sh: curl: not found\n", 127)
            if self.served is None or not self.stale:
                self.served = "".join(f"# TYPE {self.prefix}{k} gauge\n{self.prefix}{k} {v}\n"
                                      for k, v in (ln.split("=", 1) for ln in self.status.splitlines()))
            return (self.served, "", 0)
        if container == "metrics-adapter" and script.startswith("echo x > /status/"):
            if self.adapter_rw:
                return ("", "", 0)
            return ("", "sh: can't create /status/.podcourse-write-probe: Read-only file system\n", 1)
        return ("", f'container "{container}" cannot run {command}\n', 126)


def setup_billing(double: Any, kubelet: Kubelet | None = None) -> Kubelet:  # noqa: F811
    kubelet = kubelet or Kubelet()
    double.script_pod(BILLING, [billing_ready()])
    double.kmock.exec_handlers[BILLING] = kubelet
    return kubelet


def grade_billing(answer: Any = BILLING_POD) -> tuple[float, list[tuple[bool, list[str]]]]:
    return live_results(ch10.adapter_live, answer)


def test_adapter_reference_passes(double, capfd):  # noqa: F811
    """Does the reference billing Pod earn 3/3 when its metrics follow two rewrites of the status file?"""
    kubelet = setup_billing(double)
    points, cases = grade_billing()
    out = capfd.readouterr()
    assert points == ch10.adapter_live.max_points == 3, out.out
    assert all(ok for ok, _ in cases) and out.err == ""
    assert len(kubelet.writes) == 2 and kubelet.writes[0] != kubelet.writes[1]
    assert "Live check - the adapter serves billing's status as Prometheus metrics: 3/3 points" in out.out
    assert double.namespaces() == {}


def test_adapter_sent_pod_keeps_the_learners_mounts_and_arguments(double, capfd):  # noqa: F811
    """Is the sent Pod the learner's, with only the two images and commands replaced, and the notes saying so?"""
    setup_billing(double)
    grade_billing()
    ns = next(r.data for r in double.requests("post", NAMESPACES))
    assert ns["metadata"]["name"].startswith("podcourse-ch10-billing-")
    spec = double.requests("post", PODS)[-1].data["spec"]
    billing, adapter = spec["containers"]
    assert {billing["image"], adapter["image"]} == {"busybox:1.35"} and "args" not in adapter
    assert billing["volumeMounts"] == [{"name": "status", "mountPath": "/var/run/billing"}]
    assert adapter["volumeMounts"] == [{"name": "status", "mountPath": "/status", "readOnly": True}]
    assert adapter["ports"] == [{"name": "metrics", "containerPort": 9100}]
    script = adapter["command"][-1]
    assert "src=/status/status.txt; pre=billing_;" in script and script.endswith("exec httpd -f -p 9100 -h /tmp/www")
    assert spec["volumes"] == [{"name": "status", "emptyDir": {}}]
    out = capfd.readouterr().out
    assert "your arguments (--input=/status/status.txt --listen=:9100 --prefix=billing_)" in out


@pytest.mark.parametrize(("listen", "httpd"), [(":9100", "-p 9100 "), ("0.0.0.0:9100", "-p 9100 "),
                                               ("[::]:9100", "-p 9100 "), ("127.0.0.1:9100", "-p 127.0.0.1:9100 "),
                                               ("localhost:9100", "-p 127.0.0.1:9100 ")])
def test_adapter_stand_in_listens_where_the_learner_says(listen, httpd):
    """Does the stand-in exporter bind the address and port of the learner's --listen (every address: port only)?"""
    assert httpd in ch10._exporter_script("/status/status.txt", listen, "billing_")


def test_adapter_without_listen_serves_nothing(double):  # noqa: F811
    """Without --listen, does the stand-in serve nothing, so the fetch fails with the fix (instead of guessing)?"""
    kubelet = setup_billing(double, Kubelet(refuse=True))
    answer = edit(BILLING_POD, "spec.containers.1.args", ["--input=/status/status.txt", "--prefix=billing_"])
    points, cases = grade_billing(answer)
    assert "httpd" not in double.requests("post", PODS)[-1].data["spec"]["containers"][1]["command"][-1]
    assert points == 2 and cases[2][0] and kubelet.writes
    (msg,) = cases[1][1]
    assert "Connection refused" in msg and "--listen=None" in msg and "`--listen=:9100`" in msg


@pytest.mark.parametrize(("kubelet", "says"), [
    (Kubelet(prefix="bill_"), "serves bill_invoices_sent_total, bill_queue_depth, but the task names every metric "
                              "billing_<key>"),
    (Kubelet(stale=True), "did not follow billing's status file"),
    (Kubelet(prefix=""), "serves invoices_sent_total, queue_depth"),
    (Kubelet(refuse=True), "got no answer: wget: can't connect to remote host (127.0.0.1): Connection refused"),
    (Kubelet(billing_ro=True), "billing could not write its status file /var/run/billing/status.txt: sh: can't "
                               "create /var/run/billing/.status.txt.tmp: Read-only file system"),
], ids=["prefix", "stale", "no-prefix", "refused", "billing-read-only"])
def test_adapter_metrics_failures(double, kubelet, says):  # noqa: F811
    """When the metrics do not follow what billing writes, does only that case fail, with what was seen and the fix?"""
    setup_billing(double, kubelet)
    points, cases = grade_billing()
    assert points == 2 and cases[0][0] and cases[2][0]
    (msg,) = cases[1][1]
    assert says in msg and "curl: not found" not in msg and "(live-exec-failed)" in msg


def test_adapter_reading_the_wrong_file(double):  # noqa: F811
    """When --input names a file the adapter cannot read, does the message quote the exporter and name the cause?"""
    kubelet = Kubelet()
    setup_billing(double, kubelet)
    kubelet.stale, kubelet.served = True, "# kv-exporter stand-in: cannot read --input=/var/run/billing/status.txt\n"
    points, cases = grade_billing(edit(BILLING_POD, "spec.containers.1.args", [
        "--input=/var/run/billing/status.txt", "--listen=:9100", "--prefix=billing_"]))
    (msg,) = cases[1][1]
    assert points == 2 and "it says: # kv-exporter stand-in: cannot read --input=/var/run/billing/status.txt" in msg
    assert "the adapter at its own mountPath" in msg


def test_adapter_writable_mount(double):  # noqa: F811
    """With the adapter's mount writable, does the Pod still serve metrics but lose the read-only point?"""
    setup_billing(double, Kubelet(adapter_rw=True))
    points, cases = grade_billing(edit(BILLING_POD, "spec.containers.1.volumeMounts.0.readOnly", delete=True))
    assert points == 2 and cases[1][0]
    (msg,) = cases[2][1]
    assert msg.startswith("spec.containers[1].volumeMounts[0]:") and "could write /status/.podcourse-write-probe" in msg
    assert "Add `readOnly: true`" in msg


def test_adapter_without_a_status_mount(double):  # noqa: F811
    """With no mount of status in the adapter, does the read-only case say so instead of probing a path?"""
    setup_billing(double, Kubelet(stale=True))
    points, cases = grade_billing(edit(BILLING_POD, "spec.containers.1.volumeMounts", delete=True))
    assert points <= 2 and "metrics-adapter does not mount status" in cases[2][1][0]


def test_adapter_plain_init_fails_without_a_cluster(monkeypatch, capfd):
    """Is a plain-init adapter (billing would wait in Init:0/1 forever) refused before anything is sent?"""
    doc = yaml.safe_load(BILLING_POD)
    doc["spec"]["initContainers"] = [doc["spec"]["containers"].pop(1)]
    got, out = uncontacted(monkeypatch, capfd, ch10.adapter_live, yaml.safe_dump(doc))
    assert got == 0
    assert "Init:0/1 forever" in out.out and "spec.initContainers[0].restartPolicy" in out.out and out.err == ""


@pytest.mark.parametrize(("policy", "points", "text"), policies(3))
def test_adapter_policy_without_cluster(monkeypatch, capfd, policy, points, text):
    """Does a missing cluster give the adapter check a notice (auto, off) or a failure with the reason (required)?"""
    got, out = unreachable(monkeypatch, capfd, ch10.adapter_live, BILLING_POD, policy)
    assert got == points and text in out.out and out.err == ""


def test_adapter_skipped_scores_zero_when_grading_without_a_cluster(monkeypatch, capfd):
    """When grading skips live checks (PODCOURSE_LIVE_SKIPPED=zero), is the adapter check 0 and "not graded"?"""
    monkeypatch.setenv("PODCOURSE_LIVE", "off")
    monkeypatch.setenv(live.SKIPPED_ENV, "zero")
    assert float(ch10.adapter_live(BILLING_POD)) == 0
    out = capfd.readouterr().out
    assert "not graded" in out and "[PASS]" not in out


@pytest.mark.parametrize(("answer", "text"), [
    (None, "BILLING_POD is still empty"),
    (ch10.BILLING_POD, "no container named 'metrics-adapter'"),
    (BILLING_POD + "  - {name: cache, image: redis:7}\n", "container 'cache' uses 'redis:7'"),
    ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: billing}\n", "not a Pod manifest"),
    ("spec: [", "BILLING_POD"),
])
def test_adapter_unrunnable_answers_fail_without_a_cluster(monkeypatch, capfd, answer, text):
    """Does an adapter answer that cannot run earn 0 even when auto would skip, saying what to change?"""
    got, out = uncontacted(monkeypatch, capfd, ch10.adapter_live, answer)
    assert got == 0
    assert text in out.out and out.err == ""
