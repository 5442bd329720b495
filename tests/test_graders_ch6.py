"""Unit tests for graders.ch6 (lifecycle: init containers and sidecars), static exercises."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from grader_support import BOMB, UNREADABLE, assert_graceful, edit, failed, score

from graders import ch6

STATUS = {
    "A": ("Pending", "waiting: ImagePullBackOff"),
    "B": ("Running", "waiting: CrashLoopBackOff"),
    "C": ("Succeeded", "terminated: Completed"),
    "D": ("Failed", "terminated: Error"),
    "E": ("Pending", "waiting: PodInitializing"),
    "F": ("Pending", "waiting: CrashLoopBackOff"),
    "G": ("Failed", "terminated: OOMKilled"),
    "H": ("Pending", "none"),
    "I": ("Pending", "waiting: ContainerCreating"),
}

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
    env:
    - name: DATABASE_URL
      value: postgres://orders@localhost:5432/orders
  containers:
  - name: app
    image: ghcr.io/example/orders:3.2.0
    env:
    - name: DATABASE_URL
      value: postgres://orders@localhost:5432/orders
    ports:
    - containerPort: 8080
"""

REPORT_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: nightly-report
spec:
  restartPolicy: Never
  volumes:
  - name: logs
    emptyDir: {}
  initContainers:
  - name: log-shipper
    image: busybox:1.35
    restartPolicy: Always
    args: ["sh", "-c", "tail -n+1 -F /logs/report.log"]
    volumeMounts:
    - {name: logs, mountPath: /logs, readOnly: true}
  containers:
  - name: report
    image: busybox:1.35
    args: ["sh", "-c", "for i in 1 2 3; do echo step $i done >> /var/log/report/report.log; sleep 2; done"]
    volumeMounts:
    - {name: logs, mountPath: /var/log/report}
"""

STOREFRONT_POD = ch6.STOREFRONT.replace(
    "spec:\n", "spec:\n  terminationGracePeriodSeconds: 35\n"
) + "    lifecycle:\n      preStop:\n        sleep:\n          seconds: 5\n"


ORDERS_KEPT = ("one Pod named orders, its containers' images, args, env and ports kept, with no dependsOn or other "
               "Compose-only field")
REPORT_RUNS = "report is a regular container running the given busybox:1.35 script, writing to logs at /var/log/report"
SHIPPER_SIDECAR = "log-shipper runs the given busybox:1.35 command as a native sidecar, so the Pod can still complete"
SHIPPER_MOUNT = "log-shipper mounts logs read-only at /logs"
STOREFRONT_KEPT = "the storefront Pod keeps its label and web (nginx:1.22, port 80), and web has a preStop hook"


def move_proxy_to_containers(text: str, *, keep_policy: bool = False) -> str:
    """db-proxy moved from initContainers to the front of containers (the Compose habit)."""
    doc = yaml.safe_load(text)
    proxy = doc["spec"]["initContainers"].pop(0)
    if not keep_policy:
        proxy.pop("restartPolicy")
    doc["spec"]["containers"].insert(0, proxy)
    return yaml.safe_dump(doc, sort_keys=False)


# ---------------------------------------------------------------------------
# Reference answers, starters and unreadable answers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exercise", "answer"),
    [(ch6.predict_status, STATUS), (ch6.compose_to_init, ORDERS_POD), (ch6.batch_sidecar, REPORT_POD),
     (ch6.graceful_stop, STOREFRONT_POD)],
    ids=["status", "orders", "report", "shutdown"],
)
def test_reference_answer_full_marks(exercise: Any, answer: Any) -> None:
    """Does each reference answer earn every point, hidden cases included?"""
    points, messages = score(exercise, answer)
    assert points == exercise.max_points, messages


def test_points_match_the_notebook() -> None:
    """Are the exercises worth what the chapter announces (9 + 7 + 6 + 4 static, 3 live)?"""
    assert [e.max_points for e in ch6.EXERCISES] == [9, 7, 6, 4]
    assert ch6.orders_live.max_points == 3


@pytest.mark.parametrize(("exercise", "given"), [(ch6.compose_to_init, ch6.COMPOSE_POD),
                                                 (ch6.graceful_stop, ch6.STOREFRONT)], ids=["compose", "storefront"])
def test_the_given_manifest_earns_nothing(exercise: Any, given: str) -> None:
    """Does handing in the manifest the exercise starts from, unchanged, earn zero?"""
    assert score(exercise, given)[0] == 0


def test_compose_pod_is_flagged_by_the_checker() -> None:
    """Does the checker reject exactly the two dependsOn fields of the Compose-style Pod, with the Compose hint?"""
    from course import check_text

    (result,) = check_text(ch6.COMPOSE_POD, preset="ch6")
    errs = [f for f in result.findings if f.severity == "error"]
    assert [(f.rule, f.path) for f in errs] == [("unknown-field", "spec.containers[1].dependsOn"),
                                                 ("unknown-field", "spec.containers[2].dependsOn")]
    assert all("Docker Compose" in f.hint for f in errs)


@pytest.mark.parametrize("exercise", ch6.EXERCISES, ids=lambda e: e.id)
@pytest.mark.parametrize("answer", UNREADABLE)
def test_empty_or_garbage_earns_zero(exercise: Any, answer: Any) -> None:
    """Does an untouched placeholder or unreadable answer earn zero without raising?"""
    assert score(exercise, answer)[0] == 0


HOSTILE = [
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: orders}\n",
    "apiVersion: v1\nkind: Service\nmetadata: {name: orders}\n",
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "orders"}, "spec": {"initContainers": "db-proxy"}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": "orders", "spec": {"containers": [None, 3, {"name": 7}],
                                                                     "initContainers": [{"name": None}]}},
    {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [{"name": "web", "lifecycle": {"preStop": []}}],
                                                 "terminationGracePeriodSeconds": "forty"}},
    {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [{"name": "web", "lifecycle": {"preStop": {
        "exec": {"command": "sleep 5"}}}}], "restartPolicy": ["Never"], "volumes": {"logs": {}}}},
    {"apiVersion": "v1", "kind": "Pod", "spec": {"initContainers": [{"name": "db-proxy", "startupProbe": {
        "tcpSocket": {"port": "x" * 40}}}], "containers": [{"name": "web", "lifecycle": {"preStop": {
            "sleep": {"seconds": True}}}}]}},
    "apiVersion: v1\nkind: Pod\n---\nkind: Pod\n",
    BOMB,
    "a: " + "[" * 200 + "]" * 200,
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: big\n  annotations:\n    x: " + "y" * (1 << 20) + "\n",
    {"A": None, "B": [1, 2], "C": ("Pending",), "D": {"phase": "Failed"}, 5: "x"},
]


@pytest.mark.parametrize("exercise", ch6.EXERCISES, ids=lambda e: e.id)
@pytest.mark.parametrize("answer", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_answers_never_raise(exercise: Any, answer: Any) -> None:
    """Do non-Pod kinds, wrong types, bombs and huge inputs give a low score and a sentence, never an exception?"""
    assert_graceful(exercise, answer)


# ---------------------------------------------------------------------------
# Exercise 1: phase and container state
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "points", "message"), [
    ({"B": ("Pending", "waiting: CrashLoopBackOff")}, 8, "the phase stays Running"),
    ({"B": ("CrashLoopBackOff", "waiting: CrashLoopBackOff")}, 8, "is not a (phase, container state) pair"),
    ({"E": ("Pending", "waiting: ContainerCreating")}, 8, "PodInitializing"),
    ({"F": ("Running", "waiting: CrashLoopBackOff")}, 8, "Init:CrashLoopBackOff"),
    ({"H": ("Pending", "waiting: ContainerCreating")}, 8, "Unschedulable"),
    ({"I": ("Running", "running")}, 8, "postStart"),
    ({"G": ("Failed", "terminated: Error")}, 8, "OOMKilled (exit code 137)"),
    ({"C": "Succeeded"}, 8, "is not a (phase, container state) pair"),
    ({"A": "Pending / ErrImagePull"}, 9, ""),
    ({"A": ["pending", "ImagePullBackOff"], "H": "Pending, -", "C": "succeeded; Completed"}, 9, ""),
    ({"I": ("Pending", "Waiting : ContainerCreating")}, 9, ""),
])
def test_predict_status(change: dict[str, Any], points: float, message: str) -> None:
    """Does each wrong row cost exactly its point with its reason, and are common spellings accepted?"""
    got, text = score(ch6.predict_status, {**STATUS, **change})
    assert got == points, text
    assert message in text


def test_predict_status_keys_and_missing_rows() -> None:
    """Are lower-case keys accepted, and does a missing row say which key to add?"""
    lower = {k.lower(): v for k, v in STATUS.items()}
    assert score(ch6.predict_status, lower)[0] == 9
    partial = {k: v for k, v in STATUS.items() if k != "D"}
    got, text = score(ch6.predict_status, partial)
    assert got == 8 and 'situation D has no answer' in text and 'Add "D"' in text


def test_every_canonical_state_is_a_choice() -> None:
    """Is every state the table expects one the task lists, and does the reader return it unchanged?"""
    for phase, state, _ in ch6.STATUS.values():
        assert f'"{state}"' in ch6.STATE_CHOICES
        assert ch6.read_status((phase, state)) == (phase, state)


# ---------------------------------------------------------------------------
# Exercise 2: from dependsOn to init containers and a native sidecar
# ---------------------------------------------------------------------------

SWAPPED = yaml.safe_dump({**yaml.safe_load(ORDERS_POD), "spec": {
    **yaml.safe_load(ORDERS_POD)["spec"],
    "initContainers": list(reversed(yaml.safe_load(ORDERS_POD)["spec"]["initContainers"]))}}, sort_keys=False)

SIDECAR_FIELD = yaml.safe_dump({**yaml.safe_load(ORDERS_POD), "spec": {
    "sidecarContainers": [yaml.safe_load(ORDERS_POD)["spec"]["initContainers"][0]],
    "initContainers": [yaml.safe_load(ORDERS_POD)["spec"]["initContainers"][1]],
    "containers": yaml.safe_load(ORDERS_POD)["spec"]["containers"]}}, sort_keys=False)

_SPEC = yaml.safe_load(ORDERS_POD)["spec"]
MIGRATE_REGULAR = yaml.safe_dump({**yaml.safe_load(ORDERS_POD), "spec": {
    "initContainers": _SPEC["initContainers"][:1],
    "containers": [_SPEC["initContainers"][1], *_SPEC["containers"]]}}, sort_keys=False)

NAMED_PORT = edit(edit(ORDERS_POD, "spec.initContainers.0.ports", [{"name": "pg", "containerPort": 5432}]),
                  "spec.initContainers.0.startupProbe.tcpSocket.port", "pg")

ORDERS_CASES = [
    ("dependsOn-left-on-app", edit(ORDERS_POD, "spec.containers.0.dependsOn", ["db-proxy", "migrate"]),
     {ORDERS_KEPT, "the checker reports no errors"},
     "`dependsOn` is Docker Compose syntax"),
    ("proxy-regular-container", move_proxy_to_containers(ORDERS_POD),
     {"app is the only regular container", "db-proxy is a native sidecar (init container with restartPolicy: Always)",
      "db-proxy is declared before migrate"}, "migrate would run before the proxy exists"),
    ("proxy-regular-with-policy", move_proxy_to_containers(ORDERS_POD, keep_policy=True),
     {"app is the only regular container", "db-proxy is a native sidecar (init container with restartPolicy: Always)",
      "db-proxy is declared before migrate"}, "it does not make a sidecar"),
    ("proxy-plain-init", edit(ORDERS_POD, "spec.initContainers.0.restartPolicy", delete=True),
     {"db-proxy is a native sidecar (init container with restartPolicy: Always)", "the checker reports no errors"},
     "hang in Init:0/2"),
    ("proxy-plain-init-no-probe", edit(edit(ORDERS_POD, "spec.initContainers.0.restartPolicy", delete=True),
                                       "spec.initContainers.0.startupProbe", delete=True),
     {"db-proxy is a native sidecar (init container with restartPolicy: Always)",
      "db-proxy has a startupProbe on port 5432"}, "Set `restartPolicy: Always` on db-proxy"),
    ("migrate-first", SWAPPED, {"db-proxy is declared before migrate"}, "migrate comes before db-proxy"),
    ("no-startup-probe", edit(ORDERS_POD, "spec.initContainers.0.startupProbe", delete=True),
     {"db-proxy has a startupProbe on port 5432"}, "possibly before it accepts connections"),
    ("readiness-instead", edit(edit(ORDERS_POD, "spec.initContainers.0.readinessProbe",
                                    {"tcpSocket": {"port": 5432}}), "spec.initContainers.0.startupProbe", delete=True),
     {"db-proxy has a startupProbe on port 5432"}, "A readinessProbe does not hold back"),
    ("probe-wrong-port", edit(ORDERS_POD, "spec.initContainers.0.startupProbe.tcpSocket.port", 8080),
     {"db-proxy has a startupProbe on port 5432"}, "checks port 8080"),
    ("migrate-sidecar", edit(ORDERS_POD, "spec.initContainers.1.restartPolicy", "Always"),
     {"migrate is a plain init container that runs to completion before app"}, "makes it a sidecar"),
    ("migrate-regular", MIGRATE_REGULAR,
     {"app is the only regular container", "migrate is a plain init container that runs to completion before app",
      "db-proxy is declared before migrate"}, "restart it every time it exits 0"),
    ("sidecarContainers-field", SIDECAR_FIELD,
     {ORDERS_KEPT,
      "db-proxy is a native sidecar (init container with restartPolicy: Always)", "db-proxy is declared before migrate",
      "db-proxy has a startupProbe on port 5432", "the checker reports no errors"},
     "There is no `sidecarContainers` field"),
    ("wrong-name", edit(ORDERS_POD, "metadata.name", "orders-pod"),
     {ORDERS_KEPT}, "Set `name: orders`"),
]


@pytest.mark.parametrize(("name", "manifest", "failing", "message"), ORDERS_CASES, ids=[c[0] for c in ORDERS_CASES])
def test_compose_to_init(name: str, manifest: str, failing: set[str], message: str) -> None:
    """Does each way of getting the start-up order wrong fail exactly its cases, saying what to change?"""
    got, text = score(ch6.compose_to_init, manifest)
    assert failed(ch6.compose_to_init, manifest) == failing, text
    assert got == ch6.compose_to_init.max_points - len(failing)
    assert message in text, text


def test_named_startup_probe_port_is_resolved() -> None:
    """Is a startupProbe on a named port that resolves to 5432 accepted?"""
    assert score(ch6.compose_to_init, NAMED_PORT)[0] == 7


# ---------------------------------------------------------------------------
# Exercise 3: a batch Pod with a log-shipping sidecar
# ---------------------------------------------------------------------------


def _shipper_as_regular(text: str) -> str:
    doc = yaml.safe_load(text)
    shipper = doc["spec"].pop("initContainers")[0]
    shipper.pop("restartPolicy")
    doc["spec"]["containers"].append(shipper)
    return yaml.safe_dump(doc, sort_keys=False)


REPORT_CASES = [
    ("no-restart-policy", edit(REPORT_POD, "spec.restartPolicy", delete=True), 5,
     "one Pod named nightly-report with restartPolicy: Never", "so it is Always"),
    ("on-failure", edit(REPORT_POD, "spec.restartPolicy", "OnFailure"), 5,
     "one Pod named nightly-report with restartPolicy: Never", "restartPolicy is 'OnFailure'"),
    ("shipper-regular", _shipper_as_regular(REPORT_POD), 5,
     SHIPPER_SIDECAR, "stays Running forever"),
    ("shipper-plain-init", edit(REPORT_POD, "spec.initContainers.0.restartPolicy", delete=True), 5,
     SHIPPER_SIDECAR, "hangs in Init:0/1"),
    ("shipper-writable", edit(REPORT_POD, "spec.initContainers.0.volumeMounts.0.readOnly", delete=True), 5,
     SHIPPER_MOUNT, "Add `readOnly: true` to log-shipper's mount"),
    ("report-read-only", edit(REPORT_POD, "spec.containers.0.volumeMounts.0.readOnly", True), 5,
     REPORT_RUNS, "cannot write its log"),
    ("report-wrong-path", edit(REPORT_POD, "spec.containers.0.volumeMounts.0.mountPath", "/logs"), 5,
     REPORT_RUNS, "it writes its log to /var/log/report"),
    ("logs-hostpath", edit(REPORT_POD, "spec.volumes.0", {"name": "logs", "hostPath": {"path": "/var/log/r"}}), 5,
     "logs is an emptyDir volume", "is not an emptyDir"),
]


@pytest.mark.parametrize(("name", "manifest", "points", "case", "message"), REPORT_CASES,
                         ids=[c[0] for c in REPORT_CASES])
def test_batch_sidecar(name: str, manifest: str, points: float, case: str, message: str) -> None:
    """Does each batch-Pod mistake cost its point, naming the field and the fix?"""
    got, text = score(ch6.batch_sidecar, manifest)
    assert got == points, text
    assert failed(ch6.batch_sidecar, manifest) == {case}
    assert message in text, text


# ---------------------------------------------------------------------------
# Exercise 4: a graceful shutdown
# ---------------------------------------------------------------------------

EXEC_SLEEP = edit(STOREFRONT_POD, "spec.containers.0.lifecycle.preStop",
                  {"exec": {"command": ["sh", "-c", "sleep 5; nginx -s quit"]}})

SHUTDOWN_CASES = [
    ("exec-sleep", EXEC_SLEEP, 4, ""),
    ("no-grace", edit(STOREFRONT_POD, "spec.terminationGracePeriodSeconds", delete=True), 3, "so it is 30"),
    ("grace-30", edit(STOREFRONT_POD, "spec.terminationGracePeriodSeconds", 30), 3, "at least 5 + 30 = 35"),
    ("grace-string", edit(STOREFRONT_POD, "spec.terminationGracePeriodSeconds", "40"), 2, "is '40'"),
    ("short-sleep", edit(STOREFRONT_POD, "spec.containers.0.lifecycle.preStop.sleep.seconds", 2), 3, "waits 2s"),
    ("long-sleep", edit(STOREFRONT_POD, "spec.containers.0.lifecycle.preStop.sleep.seconds", 45), 1,
     "less than terminationGracePeriodSeconds"),
    ("http-hook", edit(STOREFRONT_POD, "spec.containers.0.lifecycle.preStop", {"httpGet": {"path": "/drain",
                                                                                            "port": 80}}), 3,
     "does not wait a fixed time"),
    ("post-start", STOREFRONT_POD.replace("preStop", "postStart"), 0, "postStart runs after the container starts"),
    ("pod-level", edit(edit(STOREFRONT_POD, "spec.lifecycle", {"preStop": {"sleep": {"seconds": 5}}}),
                       "spec.containers.0.lifecycle", delete=True), 0, "hooks belong to a container"),
]


@pytest.mark.parametrize(("name", "manifest", "points", "message"), SHUTDOWN_CASES, ids=[c[0] for c in SHUTDOWN_CASES])
def test_graceful_stop(name: str, manifest: str, points: float, message: str) -> None:
    """Does each shutdown mistake lose the right points, and is an exec sleep accepted like the sleep handler?"""
    got, text = score(ch6.graceful_stop, manifest)
    assert got == points, text
    assert message in text, text


def test_unreadable_rows_are_quoted_short() -> None:
    """Is a row holding a YAML alias bomb or a mapping quoted in a shortened form, not printed in full?"""
    got, text = score(ch6.predict_status, BOMB)
    assert got == 0 and len(text) < 20_000
    assert "situation I: [[[...], [...], [...], [...], ...]" in text
    got, text = score(ch6.predict_status, {**STATUS, "D": {"phase": "Failed", "state": "terminated: Error"}})
    assert got == 8 and "situation D: {'phase': 'Failed', 'state': 'terminated: Error'} is not a" in text


# ---------------------------------------------------------------------------
# Equally right answers earn every point; each stated requirement, broken alone, costs its own point
# ---------------------------------------------------------------------------

STATUS_ALTERNATIVES = [
    ("punctuation", {**STATUS, "A": ("Pending", "Waiting (ImagePullBackOff)"), "D": "failed | terminated - error"}),
    ("no-status-words", {**STATUS, "H": ("Pending", None), "C": ["succeeded", "Terminated: completed"]}),
    ("bare-reasons", {k.lower(): (p, s.split(": ")[-1]) for k, (p, s) in STATUS.items()}),
    ("n/a", {**STATUS, "H": ("pending", "n/a"), "G": "Failed; OOMKilled"}),
]


@pytest.mark.parametrize(("name", "answer"), STATUS_ALTERNATIVES, ids=[a[0] for a in STATUS_ALTERNATIVES])
def test_predict_status_alternatives(name: str, answer: dict[str, Any]) -> None:
    """Do reasons written with other punctuation, case or a None state earn full marks?"""
    got, text = score(ch6.predict_status, answer)
    assert got == 9, text


STATUS_BREAKS = [
    ("A", ("Pending", "waiting: ContainerCreating"), "the image cannot be pulled"),
    ("B", ("Running", "running"), "CrashLoopBackOff is the waiting reason, not a phase"),
    ("C", ("Succeeded", "terminated: Error"), "every container exited 0"),
    ("D", ("Succeeded", "terminated: Error"), "the Pod Failed"),
    ("E", ("Running", "waiting: PodInitializing"), "a Pod stays Pending until every init container has finished"),
    ("F", ("Pending", "terminated: Error"), "a failing init container is restarted with back-off"),
    ("G", ("Running", "terminated: OOMKilled"), "exceeding its memory limit"),
    ("H", ("Pending", "waiting: ImagePullBackOff"), "no node fits the Pod"),
    ("I", ("Running", "waiting: ContainerCreating"), "until the hook returns"),
    ("B", ("CrashLoopBackOff", "waiting: CrashLoopBackOff"), "is what kubectl's STATUS column shows"),
    ("A", "ImagePullBackOff / waiting: ImagePullBackOff", "not a phase: status.phase is one of Pending, Running"),
]


@pytest.mark.parametrize(("letter", "value", "message"), STATUS_BREAKS, ids=[f"{b[0]}-{i}" for i, b in
                                                                             enumerate(STATUS_BREAKS)])
def test_predict_status_each_row_alone(letter: str, value: Any, message: str) -> None:
    """Does a wrong answer in one situation cost exactly that situation's point, with its reason?"""
    got, text = score(ch6.predict_status, {**STATUS, letter: value})
    assert got == 8, text
    assert failed(ch6.predict_status, {**STATUS, letter: value}) == {f"situation {letter}"}
    assert message in text, text


ENV_VIA_VAR = edit(edit(ORDERS_POD, "spec.containers.0.env", [
    {"name": "DB_HOST", "value": "localhost"},
    {"name": "DATABASE_URL", "value": "postgres://orders@$(DB_HOST):5432/orders"}]),
    "spec.initContainers.1.env", [{"name": "DATABASE_URL", "value": "postgres://orders@localhost:5432/orders"},
                                  {"name": "LOG_LEVEL", "value": "debug"}])

ORDERS_ALTERNATIVES = [
    ("named-probe-port", NAMED_PORT),
    ("env-through-a-variable", ENV_VIA_VAR),
    ("digest-pinned-images", edit(ORDERS_POD, "spec.initContainers.0.image",
                                  "ghcr.io/example/db-proxy:2.1.0@sha256:" + "a" * 64)),
    ("exec-pg-isready", edit(ORDERS_POD, "spec.initContainers.0.startupProbe",
                             {"exec": {"command": ["pg_isready", "-h", "127.0.0.1"]}, "periodSeconds": 1,
                              "failureThreshold": 30})),
    ("exec-nc", edit(ORDERS_POD, "spec.initContainers.0.startupProbe",
                     {"exec": {"command": ["sh", "-c", "nc -z 127.0.0.1 5432"]}, "failureThreshold": 30})),
    ("named-port-and-defaults", edit(ORDERS_POD, "spec.containers.0.ports",
                                     [{"name": "http", "containerPort": 8080, "protocol": "TCP"}])),
]


@pytest.mark.parametrize(("name", "manifest"), ORDERS_ALTERNATIVES, ids=[a[0] for a in ORDERS_ALTERNATIVES])
def test_compose_to_init_alternatives(name: str, manifest: str) -> None:
    """Do a named probe port, `$(VAR)` env, a digest, exec probes and port names earn full marks?"""
    got, text = score(ch6.compose_to_init, manifest)
    assert got == 7, text


ORDERS_KEEP_BREAKS = [
    ("proxy-image", edit(ORDERS_POD, "spec.initContainers.0.image", "ghcr.io/example/db-proxy:2.2.0"),
     "spec.initContainers[0].image: db-proxy's image is 'ghcr.io/example/db-proxy:2.2.0'"),
    ("migrate-image", edit(ORDERS_POD, "spec.initContainers.1.image", "ghcr.io/example/orders:3.2.0"),
     "spec.initContainers[1].image: migrate's image"),
    ("app-image", edit(ORDERS_POD, "spec.containers.0.image", "orders:3.2.0"), "spec.containers[0].image"),
    ("proxy-args", edit(ORDERS_POD, "spec.initContainers.0.args", ["orders-db.example.internal:5432"]),
     "spec.initContainers[0].args: db-proxy no longer runs what the task gives it"),
    ("migrate-command", edit(ORDERS_POD, "spec.initContainers.1.command", ["migrate", "up"]),
     "spec.initContainers[1].command: migrate has a `command`, which replaces its image's entrypoint"),
    ("migrate-env-dropped", edit(ORDERS_POD, "spec.initContainers.1.env", delete=True),
     "spec.initContainers[1].env: migrate's environment variable DATABASE_URL is not set"),
    ("app-env-changed", edit(ORDERS_POD, "spec.containers.0.env.0.value", "postgres://orders@db:5432/orders"),
     "spec.containers[0].env: app's environment variable DATABASE_URL is 'postgres://orders@db:5432/orders'"),
    ("proxy-port-dropped", edit(ORDERS_POD, "spec.initContainers.0.ports", delete=True),
     "spec.initContainers[0].ports: db-proxy no longer declares containerPort 5432/TCP"),
    ("app-port-changed", edit(ORDERS_POD, "spec.containers.0.ports.0.containerPort", 80),
     "spec.containers[0].ports: app no longer declares containerPort 8080/TCP"),
]


@pytest.mark.parametrize(("name", "manifest", "message"), ORDERS_KEEP_BREAKS, ids=[b[0] for b in ORDERS_KEEP_BREAKS])
def test_compose_to_init_keeps_the_containers(name: str, manifest: str, message: str) -> None:
    """Does changing one kept image, args, env or port cost exactly the keep point, naming the field?"""
    got, text = score(ch6.compose_to_init, manifest)
    assert failed(ch6.compose_to_init, manifest) == {ORDERS_KEPT}, text
    assert got == 6 and message in text, text


def test_http_startup_probe_on_the_database_port_fails() -> None:
    """Is an httpGet startupProbe on the PostgreSQL proxy's port refused, saying the proxy does not speak HTTP?"""
    manifest = edit(ORDERS_POD, "spec.initContainers.0.startupProbe", {"httpGet": {"port": 5432}})
    got, text = score(ch6.compose_to_init, manifest)
    assert failed(ch6.compose_to_init, manifest) == {"db-proxy has a startupProbe on port 5432"}, text
    assert got == 6 and "speaks the PostgreSQL protocol, not HTTP" in text


def _report_edit(container: str, change: dict[str, Any]) -> str:
    doc = yaml.safe_load(REPORT_POD)
    field = "initContainers" if container == "log-shipper" else "containers"
    c = doc["spec"][field][0]
    for k, v in change.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return yaml.safe_dump(doc, sort_keys=False)


REPORT_ALTERNATIVES = [
    ("command-instead-of-args", _report_edit("report", {"args": None, "command": ch6.REPORT_ARGS})),
    ("command-and-args-split", _report_edit("log-shipper", {"command": ["sh", "-c"],
                                                            "args": ["tail -n+1 -F /logs/report.log"]})),
    ("registry-qualified", _report_edit("report", {"image": "docker.io/library/busybox:1.35"})),
    ("trailing-slashes", edit(edit(REPORT_POD, "spec.containers.0.volumeMounts.0.mountPath", "/var/log/report/"),
                              "spec.initContainers.0.volumeMounts.0.mountPath", "/logs/")),
    ("shipper-with-startup-probe", _report_edit("log-shipper", {"startupProbe": {
        "exec": {"command": ["test", "-d", "/logs"]}, "periodSeconds": 1}})),
]


@pytest.mark.parametrize(("name", "manifest"), REPORT_ALTERNATIVES, ids=[a[0] for a in REPORT_ALTERNATIVES])
def test_batch_sidecar_alternatives(name: str, manifest: str) -> None:
    """Do command-or-args, a registry-qualified image, trailing slashes and a startupProbe earn full marks?"""
    got, text = score(ch6.batch_sidecar, manifest)
    assert got == 6, text


REPORT_BREAKS = [
    ("report-image", _report_edit("report", {"image": "busybox:1.36"}), REPORT_RUNS,
     "spec.containers[0].image: report's image is 'busybox:1.36'"),
    ("report-args", _report_edit("report", {"args": ["sh", "-c", "echo done >> /var/log/report/report.log"]}),
     REPORT_RUNS, "spec.containers[0].args: report no longer runs what the task gives it"),
    ("shipper-image", _report_edit("log-shipper", {"image": "alpine:3.20"}), SHIPPER_SIDECAR,
     "spec.initContainers[0].image: log-shipper's image is 'alpine:3.20'"),
    ("shipper-args", _report_edit("log-shipper", {"args": ["sh", "-c", "tail -F /logs/report.log"]}),
     SHIPPER_SIDECAR, "spec.initContainers[0].args: log-shipper no longer runs"),
    ("shipper-mount-path", edit(REPORT_POD, "spec.initContainers.0.volumeMounts.0.mountPath", "/var/log/report"),
     SHIPPER_MOUNT, "spec.initContainers[0].volumeMounts[0].mountPath: log-shipper mounts logs at '/var/log/report'"),
    ("not-nightly-report", edit(REPORT_POD, "metadata.name", "report"),
     "one Pod named nightly-report with restartPolicy: Never", "Set `name: nightly-report`"),
]


@pytest.mark.parametrize(("name", "manifest", "case", "message"), REPORT_BREAKS, ids=[b[0] for b in REPORT_BREAKS])
def test_batch_sidecar_each_requirement(name: str, manifest: str, case: str, message: str) -> None:
    """Does changing one given image, command or mount path cost exactly its point, naming the field?"""
    got, text = score(ch6.batch_sidecar, manifest)
    assert failed(ch6.batch_sidecar, manifest) == {case}, text
    assert got == 5 and message in text, text


STOREFRONT_ALTERNATIVES = [
    ("exec-bare-sleep", edit(STOREFRONT_POD, "spec.containers.0.lifecycle.preStop",
                             {"exec": {"command": ["/bin/sleep", "5"]}})),
    ("exec-sleep-with-unit", edit(STOREFRONT_POD, "spec.containers.0.lifecycle.preStop",
                                  {"exec": {"command": ["/bin/sh", "-c", "sleep 5s"]}})),
    ("grace-exactly-35", edit(STOREFRONT_POD, "spec.terminationGracePeriodSeconds", 35)),
    ("registry-qualified", edit(edit(STOREFRONT_POD, "spec.containers.0.image", "docker.io/library/nginx:1.22"),
                                "spec.containers.0.ports.0.name", "http")),
    ("exec-sleep-then-quit", EXEC_SLEEP),
]


@pytest.mark.parametrize(("name", "manifest"), STOREFRONT_ALTERNATIVES, ids=[a[0] for a in STOREFRONT_ALTERNATIVES])
def test_graceful_stop_alternatives(name: str, manifest: str) -> None:
    """Do exec sleeps, a grace period of exactly 35 s and a registry-qualified image earn full marks?"""
    got, text = score(ch6.graceful_stop, manifest)
    assert got == 4, text


STOREFRONT_BREAKS = [
    ("renamed", edit(STOREFRONT_POD, "metadata.name", "shop"), STOREFRONT_KEPT, "metadata.name: the Pod is named"),
    ("label-dropped", edit(STOREFRONT_POD, "metadata.labels", delete=True), STOREFRONT_KEPT,
     "its Service no longer selects it"),
    ("image-changed", edit(STOREFRONT_POD, "spec.containers.0.image", "nginx:latest"), STOREFRONT_KEPT,
     "spec.containers[0].image: web's image is 'nginx:latest'"),
    ("port-dropped", edit(STOREFRONT_POD, "spec.containers.0.ports", delete=True), STOREFRONT_KEPT,
     "spec.containers[0].ports: web no longer declares containerPort 80/TCP"),
    ("sleeps-6", edit(edit(STOREFRONT_POD, "spec.containers.0.lifecycle.preStop.sleep.seconds", 6),
                      "spec.terminationGracePeriodSeconds", 45),
     "the hook waits 5 seconds before nginx is signalled", "waits 6s; the task asks for 5s"),
    ("quits-before-sleeping", edit(STOREFRONT_POD, "spec.containers.0.lifecycle.preStop",
                                   {"exec": {"command": ["sh", "-c", "nginx -s quit; sleep 5"]}}),
     "the hook waits 5 seconds before nginx is signalled", "signals nginx before it sleeps"),
    ("grace-34", edit(STOREFRONT_POD, "spec.terminationGracePeriodSeconds", 34),
     "terminationGracePeriodSeconds covers the hook plus 30s of draining", "it covers the preStop hook too"),
]


@pytest.mark.parametrize(("name", "manifest", "case", "message"), STOREFRONT_BREAKS,
                         ids=[b[0] for b in STOREFRONT_BREAKS])
def test_graceful_stop_each_requirement(name: str, manifest: str, case: str, message: str) -> None:
    """Does breaking one stated requirement of the storefront Pod cost exactly its point, naming the field?"""
    got, text = score(ch6.graceful_stop, manifest)
    assert failed(ch6.graceful_stop, manifest) == {case}, text
    assert got == 3 and message in text, text
