"""Unit tests for graders.ch10 (ambassador, adapter, one Pod or two, a TLS sidecar): the static exercises."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
import yaml
from grader_support import BOMB, UNREADABLE, assert_graceful, case, edit, failed, graded_points, score, solution_body

from graders import ch10

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = REPO / "solutions" / "ch10" / "ch10-design-patterns.ipynb"

SHOP_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: shop
spec:
  initContainers:
  - name: db-ambassador
    image: busybox:1.35
    restartPolicy: Always
    command: ["nc", "-ll", "-p", "5432", "-e", "nc", "shop-db.prod.example.internal", "5432"]
    ports:
    - containerPort: 5432
    startupProbe:
      tcpSocket:
        port: 5432
      periodSeconds: 1
      failureThreshold: 30
  containers:
  - name: app
    image: ghcr.io/example/shop:2.3.0
    env:
    - name: DATABASE_URL
      value: postgres://shop@localhost:5432/shop
    ports:
    - containerPort: 8080
"""

BILLING_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: billing
spec:
  volumes:
  - name: status
    emptyDir: {}
  containers:
  - name: billing
    image: ghcr.io/example/billing:5.1.0
    ports:
    - containerPort: 8080
    volumeMounts:
    - name: status
      mountPath: /var/run/billing
  - name: metrics-adapter
    image: ghcr.io/example/kv-exporter:0.9
    args: ["--input=/status/status.txt", "--listen=:9100", "--prefix=billing_"]
    ports:
    - name: metrics
      containerPort: 9100
    volumeMounts:
    - name: status
      mountPath: /status
      readOnly: true
"""

COLOCATION: dict[str, dict[str, str]] = {
    "A": {"together": "yes", "reason": "the shipper reads the server's log files from a shared emptyDir volume"},
    "B": {"together": "no", "reason": "the frontend scales to many replicas, the database is one stateful instance"},
    "C": {"together": "yes", "reason": "the proxy reaches the app on localhost, so plaintext never leaves the Pod"},
    "D": {"together": "no", "reason": "very different resource profiles: 8Gi of memory for a nightly batch job"},
    "E": {"together": "no", "reason": "security boundary: the public shop must not share the admin credentials"},
    "F": {"together": "no", "reason": "blast radius: the plugin's crashes and OOM kills would hit checkout"},
    "G": {"together": "yes", "reason": "the app connects to the ambassador on localhost, one per app replica"},
}

API_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: api
spec:
  volumes:
  - name: tls
    secret:
      secretName: api-tls
  - name: proxy-config
    configMap:
      name: api-proxy
  initContainers:
  - name: tls-proxy
    image: nginx:1.22
    restartPolicy: Always
    ports:
    - name: https
      containerPort: 8443
    volumeMounts:
    - name: tls
      mountPath: /etc/nginx/tls
      readOnly: true
    - name: proxy-config
      mountPath: /etc/nginx/conf.d
      readOnly: true
  containers:
  - name: app
    image: ghcr.io/example/api:1.8.0
    args: ["--listen=127.0.0.1:8080"]
"""

REFERENCE: dict[str, Any] = {"ch10.ambassador": SHOP_POD, "ch10.adapter": BILLING_POD,
                             "ch10.colocation": COLOCATION, "ch10.tls_proxy": API_POD}


def move(text: str, src: str, dst: str, *, policy: str | None = None) -> str:
    """The first container of `src` (initContainers/containers) moved to the front of `dst`."""
    doc = yaml.safe_load(text)
    c = doc["spec"][src].pop(0)
    if not doc["spec"][src]:
        del doc["spec"][src]
    c.pop("restartPolicy", None)
    if policy:
        c["restartPolicy"] = policy
    doc["spec"].setdefault(dst, []).insert(0, c)
    return yaml.safe_dump(doc, sort_keys=False)


# ---------------------------------------------------------------------------
# Every exercise
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("exercise", ch10.EXERCISES, ids=lambda e: e.id)
def test_reference_answer_full_marks(exercise: Any) -> None:
    """Does each reference answer earn every point, hidden cases included?"""
    points, messages = score(exercise, REFERENCE[exercise.id])
    assert points == exercise.max_points, messages


@pytest.mark.parametrize("exercise", ch10.EXERCISES, ids=lambda e: e.id)
def test_solution_notebook_answer_earns_full_marks(exercise: Any) -> None:
    """Does the solution notebook's own answer for each exercise earn full marks?"""
    body = solution_body(NOTEBOOK, exercise.answer_name)
    answer: Any = body if exercise.id != "ch10.colocation" else ast.literal_eval("{" + body + "}")
    assert score(exercise, answer)[0] == exercise.max_points


def test_points_match_the_notebook() -> None:
    """Are the exercises worth what the chapter announces (7 + 8 + 14 + 9 static, 3 + 3 live) and what its cells say?"""
    assert [e.max_points for e in ch10.EXERCISES] == [7, 8, 14, 9]
    assert ch10.ambassador_live.max_points == ch10.adapter_live.max_points == 3
    points = graded_points(NOTEBOOK)
    assert points == {"ch10-shop-test": 7, "ch10-shop-live": 3, "ch10-billing-test": 8, "ch10-billing-live": 3,
                      "ch10-colocation-test": 14, "ch10-api-test": 9}


def test_visible_cases_are_a_strict_subset() -> None:
    """Does every exercise keep some cases hidden, so trial and error against the self-check is not enough?"""
    for ex in ch10.EXERCISES:
        assert 0 < ex.visible_points < ex.max_points, ex.id


@pytest.mark.parametrize(("exercise", "given"), [(ch10.ambassador, ch10.SHOP_POD), (ch10.adapter, ch10.BILLING_POD),
                                                (ch10.tls_proxy, ch10.API_POD)], ids=["shop", "billing", "api"])
def test_the_given_manifest_earns_nothing(exercise: Any, given: str) -> None:
    """Does handing in the Pod the exercise starts from, unchanged, earn zero?"""
    assert score(exercise, given)[0] == 0


@pytest.mark.parametrize("exercise", ch10.EXERCISES, ids=lambda e: e.id)
@pytest.mark.parametrize("answer", UNREADABLE)
def test_empty_or_garbage_earns_zero(exercise: Any, answer: Any) -> None:
    """Does an untouched placeholder or unreadable answer earn zero without raising?"""
    assert score(exercise, answer)[0] == 0


HOSTILE = [
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: shop}\n",
    "apiVersion: v1\nkind: Service\nmetadata: {name: billing}\n",
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "shop"}, "spec": {"initContainers": "db-ambassador"}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": "shop", "spec": {"containers": [None, 3, {"name": 7}],
                                                                   "initContainers": [{"name": None}]}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "shop"}, "spec": {
        "initContainers": [{"name": "db-ambassador", "command": "nc", "startupProbe": {"tcpSocket": []},
                            "env": [{"name": "X", "value": 5}]}],
        "containers": [{"name": "app", "env": [{"name": "DATABASE_URL", "value": "postgres://[::1"}]}]}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "billing"}, "spec": {
        "volumes": {"status": {}}, "containers": [
            {"name": "billing", "volumeMounts": [{"name": "status", "mountPath": None}]},
            {"name": "metrics-adapter", "args": ["--input", "--listen"], "ports": [{"containerPort": True}],
             "volumeMounts": [{"name": "status", "mountPath": ["/status"]}]}]}},
    {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [{"name": "app", "env": [
        {"name": "DATABASE_URL", "value": "postgres://shop@localhost:99999/shop"}]}]}},
    "apiVersion: v1\nkind: Pod\n---\nkind: Pod\n",
    BOMB,
    "a: " + "[" * 200 + "]" * 200,
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: big\n  annotations:\n    x: " + "y" * (1 << 20) + "\n",
    {"A": None, "B": [1, 2], "C": ("yes",), "D": {"together": {"x": 1}, "reason": 3}, 5: "x",
     "E": {"together": "yes", "reason": "x" * 100000}, "F": {"TOGETHER": "no", "Reason": ["crash"]}},
]


@pytest.mark.parametrize("exercise", ch10.EXERCISES, ids=lambda e: e.id)
@pytest.mark.parametrize("answer", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_answers_never_raise(exercise: Any, answer: Any) -> None:
    """Do non-Pod kinds, wrong types, bombs and huge inputs give a low score and a sentence, never an exception?"""
    assert_graceful(exercise, answer)


# ---------------------------------------------------------------------------
# Exercise 1: an ambassador for the database
# ---------------------------------------------------------------------------

SHOP_ALTERNATIVES = {
    "sh-c-exec-registry-image": SHOP_POD.replace("image: busybox:1.35", "image: docker.io/library/busybox:1.35")
    .replace('command: ["nc", "-ll", "-p", "5432", "-e", "nc", "shop-db.prod.example.internal", "5432"]',
             'command: ["sh", "-c", "exec nc -ll -p 5432 -e nc shop-db.prod.example.internal 5432"]'),
    "loopback-ip-and-var": SHOP_POD.replace(
        "    - name: DATABASE_URL\n      value: postgres://shop@localhost:5432/shop",
        "    - name: DB_HOST\n      value: 127.0.0.1\n    - name: DATABASE_URL\n"
        "      value: postgres://shop@$(DB_HOST):5432/shop"),
    "args-named-port-no-url-port": SHOP_POD.replace("command:", "args:")
    .replace("    - containerPort: 5432\n", "    - name: postgres\n      containerPort: 5432\n")
    .replace("        port: 5432\n", "        port: postgres\n")
    .replace("postgres://shop@localhost:5432/shop", "postgresql://shop@localhost/shop"),
    "exec-probe-and-ipv6": SHOP_POD.replace(
        "      tcpSocket:\n        port: 5432\n", '      exec:\n        command: ["nc", "-z", "127.0.0.1", "5432"]\n')
    .replace("@localhost:5432", "@[::1]:5432"),
}


@pytest.mark.parametrize("answer", SHOP_ALTERNATIVES.values(), ids=SHOP_ALTERNATIVES.keys())
def test_ambassador_equivalent_answers(answer: str) -> None:
    """Do registry-qualified images, `sh -c exec`, `$(VAR)`, 127.0.0.1/::1, named ports and exec probes earn 7/7?"""
    points, text = score(ch10.ambassador, answer)
    assert points == 7, text


KEPT = case(ch10.ambassador, "one Pod named shop")
LOCAL = case(ch10.ambassador, "app reaches its database")
RUNS = case(ch10.ambassador, "db-ambassador runs")
SIDECAR = case(ch10.ambassador, "db-ambassador is a native sidecar")
PROBE = case(ch10.ambassador, "db-ambassador has a startupProbe")
CLEAN = case(ch10.ambassador, "the checker reports")
URL = "spec.containers.0.env.0.value"

SHOP_MISTAKES = [
    ("pod-name", edit(SHOP_POD, "metadata.name", "checkout"), {KEPT}, "the Pod is named 'checkout'"),
    ("app-image", edit(SHOP_POD, "spec.containers.0.image", "ghcr.io/example/shop:2.4.0"), {KEPT},
     "the task keeps 'ghcr.io/example/shop:2.3.0'"),
    ("app-port", edit(SHOP_POD, "spec.containers.0.ports", [{"containerPort": 80}]), {KEPT},
     "no longer declares containerPort 8080"),
    ("remote-host", edit(SHOP_POD, URL, "postgres://shop@shop-db.prod.example.internal:5432/shop"), {LOCAL},
     "past the ambassador"),
    ("container-name-host", edit(SHOP_POD, URL, "postgres://shop@db-ambassador:5432/shop"), {LOCAL},
     "container names are not host names"),
    ("wrong-port", edit(SHOP_POD, URL, "postgres://shop@localhost:5433/shop"), {LOCAL},
     "uses port 5433, but db-ambassador listens on 5432"),
    ("database-renamed", edit(SHOP_POD, URL, "postgres://admin@localhost:5432/postgres"), {LOCAL},
     "only the host changes"),
    ("no-url", edit(SHOP_POD, "spec.containers.0.env", delete=True), {LOCAL}, "has no DATABASE_URL"),
    ("ambassador-image", edit(SHOP_POD, "spec.initContainers.0.image", "nginx:1.22"), {RUNS},
     "db-ambassador runs 'nginx:1.22'"),
    ("forwards-elsewhere", edit(SHOP_POD, "spec.initContainers.0.command",
                                ["nc", "-ll", "-p", "5432", "-e", "nc", "localhost", "5432"]), {RUNS},
     "not the forwarder the task gives"),
    ("regular-container", move(SHOP_POD, "initContainers", "containers"), {SIDECAR}, "is a regular container"),
    ("plain-init-no-probe", edit(move(SHOP_POD, "initContainers", "initContainers"),
                                 "spec.initContainers.0.startupProbe", delete=True), {SIDECAR, PROBE},
     "the Pod would hang in Init:0/1"),
    ("plain-init-with-probe", move(SHOP_POD, "initContainers", "initContainers"), {SIDECAR, CLEAN},
     "init-container-probe"),
    ("no-probe", edit(SHOP_POD, "spec.initContainers.0.startupProbe", delete=True), {PROBE}, "has no startupProbe"),
    ("readiness-instead", yaml.safe_dump({**yaml.safe_load(SHOP_POD)}).replace("startupProbe", "readinessProbe"),
     {PROBE}, "A readinessProbe does not hold app back"),
    ("http-probe", edit(SHOP_POD, "spec.initContainers.0.startupProbe", {"httpGet": {"port": 5432}}), {PROBE},
     "speaks HTTP or gRPC"),
    ("probe-wrong-port", edit(SHOP_POD, "spec.initContainers.0.startupProbe", {"tcpSocket": {"port": 8080}}),
     {PROBE}, "checks port 8080, but it listens on 5432"),
    ("checker-error", edit(SHOP_POD, "spec.initContainers.0.ports", [{"containerPort": 70000}]), {CLEAN},
     "must be between 1 and 65535"),
]


@pytest.mark.parametrize(("answer", "fails", "says"), [m[1:] for m in SHOP_MISTAKES], ids=[m[0] for m in SHOP_MISTAKES])
def test_ambassador_each_requirement(answer: str, fails: set[str], says: str) -> None:
    """Does each missed requirement fail exactly its own case(s), with a message saying what to change?"""
    assert failed(ch10.ambassador, answer) == fails
    got, text = score(ch10.ambassador, answer)
    assert says in text
    assert got == 7 - sum(c.points for c in ch10.ambassador.cases if c.name in fails)


def test_remote_host_loses_exactly_two_points() -> None:
    """Is the stated core of the pattern, the app on localhost, worth its 2 points and nothing more?"""
    assert score(ch10.ambassador, edit(SHOP_POD, URL, ch10.SHOP_POD.split("value: ")[1].split("\n")[0]))[0] == 5


# ---------------------------------------------------------------------------
# Exercise 2: an adapter for Prometheus
# ---------------------------------------------------------------------------

def adapter_as_sidecar() -> str:
    """The adapter as a native sidecar, with `--flag value` arguments and slashes to spare."""
    doc = yaml.safe_load(BILLING_POD)
    adapter = doc["spec"]["containers"].pop(1)
    adapter.update(restartPolicy="Always",
                   args=["--input", "/status//status.txt", "--listen", ":9100", "--prefix", "billing_"],
                   volumeMounts=[{"name": "status", "mountPath": "/status/", "readOnly": True}])
    doc["spec"]["initContainers"] = [adapter]
    return yaml.safe_dump(doc, sort_keys=False)


def adapter_first() -> str:
    """The adapter listed before billing, so that `move` can take it to initContainers."""
    doc = yaml.safe_load(BILLING_POD)
    doc["spec"]["containers"].reverse()
    return yaml.safe_dump(doc, sort_keys=False)


BILLING_ALTERNATIVES = {
    "native-sidecar-trailing-slash-space-flags": adapter_as_sidecar(),
    "env-var-and-all-addresses": BILLING_POD.replace(
        '    args: ["--input=/status/status.txt", "--listen=:9100", "--prefix=billing_"]\n',
        "    env:\n    - name: STATUS_DIR\n      value: /status\n"
        '    args: ["--input=$(STATUS_DIR)/status.txt", "--listen=0.0.0.0:9100", "--prefix=billing_"]\n'),
    "same-path-digest-trailing-slash": BILLING_POD.replace("mountPath: /var/run/billing\n",
                                                           "mountPath: /var/run/billing/\n")
    .replace("mountPath: /status\n", "mountPath: /var/run/billing\n")
    .replace("--input=/status/status.txt", "--input=/var/run/billing/status.txt")
    .replace("image: ghcr.io/example/kv-exporter:0.9", "image: ghcr.io/example/kv-exporter:0.9@sha256:" + "a" * 64),
}


@pytest.mark.parametrize("answer", BILLING_ALTERNATIVES.values(), ids=BILLING_ALTERNATIVES.keys())
def test_adapter_equivalent_answers(answer: str) -> None:
    """Do a native sidecar, space-separated flags, `$(VAR)`, 0.0.0.0, trailing slashes and digests earn 8/8?"""
    points, text = score(ch10.adapter, answer)
    assert points == 8, text


B_KEPT = case(ch10.adapter, "one Pod named billing")
B_VOLUME = case(ch10.adapter, "status is an emptyDir")
B_RUNS = case(ch10.adapter, "metrics-adapter runs")
B_INPUT = case(ch10.adapter, "metrics-adapter's --input")
B_SERVES = case(ch10.adapter, "metrics-adapter serves")
B_RO = case(ch10.adapter, "metrics-adapter mounts")
B_PORT = case(ch10.adapter, "metrics-adapter declares")
B_CLEAN = case(ch10.adapter, "the checker reports")
ARGS = "spec.containers.1.args"

BILLING_MISTAKES = [
    ("pod-name", edit(BILLING_POD, "metadata.name", "billing-v2"), {B_KEPT}, "the Pod is named 'billing-v2'"),
    ("app-image", edit(BILLING_POD, "spec.containers.0.image", "ghcr.io/example/billing:6.0.0"), {B_KEPT},
     "the task keeps 'ghcr.io/example/billing:5.1.0'"),
    ("host-path", edit(BILLING_POD, "spec.volumes.0", {"name": "status", "hostPath": {"path": "/tmp/status"}}),
     {B_VOLUME}, "is not an emptyDir"),
    ("app-mount-elsewhere", edit(BILLING_POD, "spec.containers.0.volumeMounts.0.mountPath", "/data"), {B_VOLUME},
     "but it writes /var/run/billing/status.txt"),
    ("app-read-only", edit(BILLING_POD, "spec.containers.0.volumeMounts.0.readOnly", True), {B_VOLUME},
     "cannot write its status file"),
    ("adapter-image", edit(BILLING_POD, "spec.containers.1.image", "prom/statsd-exporter:v0.26.0"), {B_RUNS},
     "the task's exporter is ghcr.io/example/kv-exporter:0.9"),
    ("plain-init", move(adapter_first(), "containers", "initContainers"),
     {B_RUNS}, "billing would never start"),
    ("input-as-billing-sees-it", edit(BILLING_POD, ARGS, ["--input=/var/run/billing/status.txt", "--listen=:9100",
                                                          "--prefix=billing_"]), {B_INPUT},
     "is where billing sees the volume"),
    ("no-input", edit(BILLING_POD, ARGS, ["--listen=:9100", "--prefix=billing_"]), {B_INPUT}, "has no --input"),
    ("loopback-only", edit(BILLING_POD, ARGS, ["--input=/status/status.txt", "--listen=127.0.0.1:9100",
                                               "--prefix=billing_"]), {B_SERVES},
     "Prometheus scrapes from another Pod"),
    ("wrong-port", edit(BILLING_POD, ARGS, ["--input=/status/status.txt", "--listen=:9090", "--prefix=billing_"]),
     {B_SERVES}, "the task serves the metrics on port 9100"),
    ("no-prefix", edit(BILLING_POD, ARGS, ["--input=/status/status.txt", "--listen=:9100"]), {B_SERVES},
     "metrics-adapter has no --prefix"),
    ("writable-mount", edit(BILLING_POD, "spec.containers.1.volumeMounts.0.readOnly", delete=True), {B_RO},
     "could write to (and so corrupt)"),
    ("no-port", edit(BILLING_POD, "spec.containers.1.ports", delete=True), {B_PORT},
     "does not declare containerPort 9100"),
    ("unnamed-port", edit(BILLING_POD, "spec.containers.1.ports", [{"containerPort": 9100}]), {B_PORT},
     "has no name `metrics`"),
    ("checker-error", edit(BILLING_POD, "spec.containers.1.resources",
                           {"requests": {"memory": "128Mi"}, "limits": {"memory": "64Mi"}}), {B_CLEAN},
     "must be less than or equal to memory limit"),
]


@pytest.mark.parametrize(("answer", "fails", "says"), [m[1:] for m in BILLING_MISTAKES],
                         ids=[m[0] for m in BILLING_MISTAKES])
def test_adapter_each_requirement(answer: str, fails: set[str], says: str) -> None:
    """Does each missed requirement fail exactly its own case, with a message saying what to change?"""
    assert failed(ch10.adapter, answer) == fails
    got, text = score(ch10.adapter, answer)
    assert says in text
    assert got == 8 - len(fails)


# ---------------------------------------------------------------------------
# Exercise 3: one Pod or two
# ---------------------------------------------------------------------------

COLOCATION_ALTERNATIVES = {
    "tuples-booleans-lowercase-keys": {k.lower(): (v["together"] == "yes", v["reason"]) for k, v in COLOCATION.items()},
    "together-apart-words": {
        "A": {"together": "together", "reason": "the shipper needs the server's files on a shared disk"},
        "B": {"together": "apart", "reason": "a StatefulSet for the database, a Deployment for the frontend"},
        "C": {"together": "same pod", "reason": "the plain text traffic must stay on the loopback interface"},
        "D": {"together": "separate", "reason": "run the report as a CronJob with its own memory request"},
        "E": {"together": "separate pods", "reason": "the admin token must not be reachable from the public shop"},
        "F": {"together": "two pods", "reason": "keep the checkout up when the plugin fails"},
        "G": {"together": "Together", "reason": "one ambassador per instance of the app, reached on 127.0.0.1"},
    },
    "yes-no-capitals-and-keys": {
        " a ": {"Together": "Y", "Reason": "a volume is the only way the shipper sees the log"},
        "B": {"TOGETHER": "No", "REASON": "they need different replica counts"},
        "C": {"together": "yes", "reason": "the proxy and app share one network namespace"},
        "D": {"together": "no", "reason": "8Gi for 20 minutes: a very different resource profile"},
        "E": {"together": "no", "reason": "different privileges: keep the RBAC-heavy tool away from the shop"},
        "F": {"together": "no", "reason": "an unstable plugin would bring down checkout with its OOM kills"},
        "G": {"together": "yes", "reason": "the app only talks to localhost:6379"},
    },
}


@pytest.mark.parametrize("answer", COLOCATION_ALTERNATIVES.values(), ids=COLOCATION_ALTERNATIVES.keys())
def test_colocation_equivalent_answers(answer: dict[Any, Any]) -> None:
    """Do tuples, booleans, together/apart words, any key case and synonyms for each factor earn 14/14?"""
    points, text = score(ch10.colocation, answer)
    assert points == 14, text


# letter -> a reason that names only a factor that does not decide that scenario
WRONG_FACTOR = {
    "A": "they need about the same memory",  # files or scaling decide
    "B": "the frontend reaches the database on localhost",
    "C": "the proxy needs more cpu than the app",
    "D": "they share files",
    "E": "the admin tool crashes often",
    "F": "they share a volume",
    "G": "the ambassador needs a lot of memory",
}


@pytest.mark.parametrize("letter", list(ch10.SCENARIOS))
def test_colocation_wrong_verdict_costs_one_point(letter: str) -> None:
    """Does flipping one verdict cost exactly that scenario's verdict point, with why it goes the other way?"""
    flipped = {**COLOCATION, letter: {**COLOCATION[letter],
                                      "together": "no" if COLOCATION[letter]["together"] == "yes" else "yes"}}
    assert failed(ch10.colocation, flipped) == {f"scenario {letter}: together or apart"}
    got, text = score(ch10.colocation, flipped)
    assert got == 13 and ch10.SCENARIOS[letter][3] in text


@pytest.mark.parametrize("letter", list(ch10.SCENARIOS))
def test_colocation_wrong_factor_costs_one_point(letter: str) -> None:
    """Does a reason naming the wrong factor cost exactly that scenario's reason point, naming the right one?"""
    answer = {**COLOCATION, letter: {**COLOCATION[letter], "reason": WRONG_FACTOR[letter]}}
    assert failed(ch10.colocation, answer) == {f"scenario {letter}: the deciding factor"}
    got, text = score(ch10.colocation, answer)
    assert got == 13 and "but what decides here is" in text


@pytest.mark.parametrize(("reason", "says"), [
    ("", "has no reason"), (None, "has no reason"), (42, "has no reason"),
    ("because that is how it is done", "names none of the factors"),
])
def test_colocation_missing_or_vague_reason(reason: Any, says: str) -> None:
    """Is an empty, non-text or vague reason refused with a sentence, costing only the reason point?"""
    answer = {**COLOCATION, "A": {"together": "yes", "reason": reason}}
    got, text = score(ch10.colocation, answer)
    assert got == 13 and says in text


@pytest.mark.parametrize(("row", "says"), [
    ({"together": "maybe", "reason": "shared files"}, "write yes (one Pod) or no"),
    ("yes", "is not {\"together\": ..., \"reason\": ...}"),
])
def test_colocation_unreadable_row(row: Any, says: str) -> None:
    """Is an unreadable verdict or row reported for that scenario alone?"""
    got, text = score(ch10.colocation, {**COLOCATION, "A": row})
    assert says in text and got in (12, 13)


def test_colocation_missing_row() -> None:
    """Does a missing scenario cost its 2 points and say which key to add?"""
    got, text = score(ch10.colocation, {k: v for k, v in COLOCATION.items() if k != "E"})
    assert got == 12 and "scenario E has no answer" in text and 'Add "E"' in text


def test_a_reason_with_a_right_and_a_wrong_factor_passes() -> None:
    """Is a reason that names the deciding factor accepted even if it also mentions another one?"""
    answer = {**COLOCATION, "B": {"together": "no", "reason": "they scale differently and need different memory"}}
    assert score(ch10.colocation, answer)[0] == 14


def test_factor_words_belong_to_one_factor_each() -> None:
    """Is every keyword in one factor only, so that a reason can always be told it names the wrong factor?"""
    seen: dict[str, str] = {}
    for factor, names in ch10.FACTORS.items():
        for w in names:
            assert w not in seen, f"{w!r} is in {seen.get(w)} and {factor}"
            seen[w] = factor


def test_factor_words_match_whole_words_only() -> None:
    """Does a factor word match as a whole word ("ram" not inside "program"), ignoring case?"""
    assert ch10._factors_named("the program is small") == []
    assert ch10._factors_named("Needs more RAM") == ["resources"]


# ---------------------------------------------------------------------------
# Exercise 4: a sidecar that terminates TLS
# ---------------------------------------------------------------------------


def api_regular_proxy() -> str:
    """tls-proxy as a regular container, registry-qualified, no readOnly (a Secret volume is read-only anyway)."""
    doc = yaml.safe_load(API_POD)
    proxy = doc["spec"].pop("initContainers")[0]
    proxy.pop("restartPolicy")
    proxy["image"] = "docker.io/library/nginx:1.22"
    proxy["volumeMounts"] = [{"name": "tls", "mountPath": "/etc/nginx/tls/"},
                             {"name": "proxy-config", "mountPath": "/etc/nginx/conf.d/"}]
    doc["spec"]["containers"].append(proxy)
    doc["spec"]["containers"][0]["args"] = ["--listen", "localhost:8080"]
    return yaml.safe_dump(doc, sort_keys=False)


def api_items_and_sub_path() -> str:
    """Both keys listed as items, the config as a subPath file, and the address from $(LISTEN)."""
    doc = yaml.safe_load(API_POD)
    doc["spec"]["volumes"][0]["secret"]["items"] = [{"key": "tls.key", "path": "tls.key"},
                                                    {"key": "tls.crt", "path": "tls.crt"}]
    doc["spec"]["initContainers"][0]["volumeMounts"][1] = {"name": "proxy-config", "subPath": "default.conf",
                                                           "mountPath": "/etc/nginx/conf.d/default.conf"}
    app = doc["spec"]["containers"][0]
    app["env"] = [{"name": "LISTEN", "value": "127.0.0.1:8080"}]
    app["args"] = ["--listen=$(LISTEN)"]
    return yaml.safe_dump(doc, sort_keys=False)


def api_projected_and_renamed() -> str:
    """The Secret through a projected volume, the config renamed to api.conf by items, one file per subPath key."""
    doc = yaml.safe_load(API_POD)
    doc["spec"]["volumes"] = [
        {"name": "certs", "projected": {"sources": [{"secret": {"name": "api-tls"}}]}},
        {"name": "proxy-config", "configMap": {"name": "api-proxy", "items": [{"key": "default.conf",
                                                                               "path": "api.conf"}]}}]
    doc["spec"]["initContainers"][0]["volumeMounts"] = [
        {"name": "certs", "mountPath": "/etc/nginx/tls/tls.crt", "subPath": "tls.crt"},
        {"name": "certs", "mountPath": "/etc/nginx/tls/tls.key", "subPath": "tls.key"},
        {"name": "proxy-config", "mountPath": "/etc/nginx/conf.d"}]
    doc["spec"]["containers"][0]["command"] = ["sh", "-c", "exec /api --listen=127.0.0.1:8080"]
    del doc["spec"]["containers"][0]["args"]
    return yaml.safe_dump(doc, sort_keys=False)


API_ALTERNATIVES = {
    "regular-container-registry-image-trailing-slashes": api_regular_proxy(),
    "items-subpath-config-and-var": api_items_and_sub_path(),
    "projected-secret-renamed-config-sh-c": api_projected_and_renamed(),
}


@pytest.mark.parametrize("answer", API_ALTERNATIVES.values(), ids=API_ALTERNATIVES.keys())
def test_tls_proxy_equivalent_answers(answer: str) -> None:
    """Do a regular-container proxy, registry images, items, subPath files, projected Secrets and $(VAR) earn 9/9?"""
    points, text = score(ch10.tls_proxy, answer)
    assert points == 9, text


T_KEPT = case(ch10.tls_proxy, "one Pod named api")
T_LOOP = case(ch10.tls_proxy, "app listens on 127.0.0.1")
T_RUNS = case(ch10.tls_proxy, "tls-proxy runs")
T_CERT = case(ch10.tls_proxy, "tls-proxy finds the Secret")
T_CONF = case(ch10.tls_proxy, "tls-proxy finds the ConfigMap")
T_PORT = case(ch10.tls_proxy, "tls-proxy declares")
T_APP_PORTS = case(ch10.tls_proxy, "app declares no port")
T_KEY = case(ch10.tls_proxy, "app has no access")
T_CLEAN = case(ch10.tls_proxy, "the checker reports")
PROXY_MOUNTS = "spec.initContainers.0.volumeMounts"
LISTEN = "spec.containers.0.args"

API_MISTAKES = [
    ("pod-name", edit(API_POD, "metadata.name", "api-v2"), {T_KEPT}, "the Pod is named 'api-v2'"),
    ("app-image", edit(API_POD, "spec.containers.0.image", "ghcr.io/example/api:2.0.0"), {T_KEPT},
     "the task keeps 'ghcr.io/example/api:1.8.0'"),
    ("listen-everywhere", edit(API_POD, LISTEN, ["--listen=:8080"]), {T_LOOP},
     "anyone who can reach the Pod IP can send plain HTTP to port 8080 and skip the proxy"),
    ("listen-all-ipv4", edit(API_POD, LISTEN, ["--listen=0.0.0.0:8080"]), {T_LOOP}, "skip the proxy"),
    ("listen-on-proxy-port", edit(API_POD, LISTEN, ["--listen=127.0.0.1:8443"]), {T_LOOP},
     "'address already in use'"),
    ("listen-other-port", edit(API_POD, LISTEN, ["--listen=127.0.0.1:9000"]), {T_LOOP},
     "the proxy's configuration forwards to 127.0.0.1:8080"),
    ("listen-ipv6-loopback", edit(API_POD, LISTEN, ["--listen=[::1]:8080"]), {T_LOOP}, "IPv4"),
    ("no-listen", edit(API_POD, LISTEN, delete=True), {T_LOOP}, "app has no --listen argument"),
    ("proxy-image", edit(API_POD, "spec.initContainers.0.image", "envoyproxy/envoy:v1.30.1"), {T_RUNS},
     "the task's proxy is nginx:1.22"),
    ("plain-init", edit(API_POD, "spec.initContainers.0.restartPolicy", delete=True), {T_RUNS},
     "app would never start"),
    ("cert-elsewhere", edit(API_POD, f"{PROXY_MOUNTS}.0.mountPath", "/etc/nginx/ssl"), {T_CERT},
     "nginx reads /etc/nginx/tls/tls.crt and /etc/nginx/tls/tls.key, but your mounts put tls.crt at "
     "/etc/nginx/ssl/tls.crt"),
    ("key-left-out", edit(API_POD, "spec.volumes.0.secret.items", [{"key": "tls.crt", "path": "tls.crt"}]), {T_CERT},
     "tls.key at no path (not in items)"),
    ("secret-as-configmap", edit(API_POD, "spec.volumes.0", {"name": "tls", "configMap": {"name": "api-tls"}}),
     {T_CERT}, "a volume names api-tls as a ConfigMap; it is a Secret"),
    ("secret-not-mounted", edit(API_POD, PROXY_MOUNTS, [{"name": "proxy-config", "mountPath": "/etc/nginx/conf.d"}]),
     {T_CERT}, "tls-proxy does not mount the volume holding the Secret api-tls (tls)"),
    ("config-hides-nginx", edit(API_POD, f"{PROXY_MOUNTS}.1.mountPath", "/etc/nginx"), {T_CONF},
     "hides the image's own /etc/nginx/nginx.conf"),
    ("config-file-path-without-subpath", edit(API_POD, f"{PROXY_MOUNTS}.1.mountPath", "/etc/nginx/conf.d/default.conf"),
     {T_CONF}, "is a directory: the file lands at /etc/nginx/conf.d/default.conf/default.conf"),
    ("config-elsewhere", edit(API_POD, f"{PROXY_MOUNTS}.1.mountPath", "/config"), {T_CONF},
     "your mounts put default.conf at /config/default.conf"),
    ("port-443", edit(API_POD, "spec.initContainers.0.ports", [{"name": "https", "containerPort": 443}]), {T_PORT},
     "does not declare containerPort 8443, where its configuration listens (it declares 443)"),
    ("port-unnamed", edit(API_POD, "spec.initContainers.0.ports", [{"containerPort": 8443}]), {T_PORT},
     "has no name `https`"),
    ("app-keeps-its-port", edit(API_POD, "spec.containers.0.ports", [{"containerPort": 8080}]), {T_APP_PORTS},
     "app still declares containerPort 8080"),
    ("app-mounts-the-key", edit(API_POD, "spec.containers.0.volumeMounts", [{"name": "tls", "mountPath": "/tls"}]),
     {T_KEY}, "app mounts the Secret api-tls ('tls' at /tls)"),
    ("app-env-from-secret", edit(API_POD, "spec.containers.0.envFrom", [{"secretRef": {"name": "api-tls"}}]),
     {T_KEY}, "app takes the Secret api-tls as environment variables"),
    ("app-key-variable", edit(API_POD, "spec.containers.0.env", [
        {"name": "TLS_KEY", "valueFrom": {"secretKeyRef": {"name": "api-tls", "key": "tls.key"}}}]),
     {T_KEY}, "app reads the Secret api-tls into $TLS_KEY"),
    ("checker-error", edit(API_POD, "spec.containers.0.volumeMounts", [{"name": "cache", "mountPath": "/cache"}]),
     {T_CLEAN}, "cache"),
]


@pytest.mark.parametrize(("answer", "fails", "says"), [m[1:] for m in API_MISTAKES], ids=[m[0] for m in API_MISTAKES])
def test_tls_proxy_each_requirement(answer: str, fails: set[str], says: str) -> None:
    """Does each missed requirement of the TLS sidecar fail only its own case, with a message saying what to change?"""
    assert failed(ch10.tls_proxy, answer) == fails
    got, text = score(ch10.tls_proxy, answer)
    assert says in text, text
    assert got == 9 - len(fails)


def test_tls_proxy_without_the_sidecar_earns_nothing() -> None:
    """Does the given app, fixed to listen on loopback but with no tls-proxy, still earn nothing?"""
    answer = edit(edit(ch10.API_POD, LISTEN, ["--listen=127.0.0.1:8080"]), "spec.containers.0.ports", delete=True)
    points, text = score(ch10.tls_proxy, answer)
    assert points == 0 and "no container or init container named 'tls-proxy'" in text


def test_tls_proxy_regular_container_with_restart_policy() -> None:
    """Is `restartPolicy: Always` on a regular proxy container named as not making it a sidecar?"""
    answer = move(API_POD, "initContainers", "containers", policy="Always")
    assert T_RUNS in failed(ch10.tls_proxy, answer)
    assert "does not make it a sidecar" in score(ch10.tls_proxy, answer)[1]
