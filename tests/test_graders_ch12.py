"""Unit tests for graders.ch12 (the capstone storefront Pod), graded requirement by requirement."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from graders import ch12

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = REPO / "solutions" / "ch12" / "ch12-capstone.ipynb"

STOREFRONT = """
apiVersion: v1
kind: Pod
metadata:
  name: storefront
  namespace: shop
  labels:
    app: storefront
spec:
  automountServiceAccountToken: false
  securityContext:
    runAsNonRoot: true
    runAsUser: 10001
    runAsGroup: 10001
    seccompProfile:
      type: RuntimeDefault
  volumes:
  - name: config
    emptyDir: {}
  - name: logs
    emptyDir: {}
  - name: tmp
    emptyDir: {}
  initContainers:
  - name: fetch-config
    image: busybox:1.35
    command: ["sh", "-c", "wget -q -O /config/app.conf http://config-server.shop.svc/storefront/app.conf"]
    volumeMounts:
    - name: config
      mountPath: /config
    resources:
      limits:
        cpu: 100m
        memory: 32Mi
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities:
        drop: ["ALL"]
  - name: log-shipper
    image: busybox:1.35
    restartPolicy: Always
    command: ["sh", "-c", "tail -n+1 -F /logs/access.log"]
    volumeMounts:
    - name: logs
      mountPath: /logs
      readOnly: true
    resources:
      limits:
        cpu: 100m
        memory: 32Mi
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities:
        drop: ["ALL"]
  containers:
  - name: web
    image: ghcr.io/example/storefront:3.4.1
    ports:
    - name: http
      containerPort: 8080
    volumeMounts:
    - name: config
      mountPath: /etc/storefront
      readOnly: true
    - name: logs
      mountPath: /var/log/storefront
    - name: tmp
      mountPath: /tmp
    startupProbe:
      httpGet:
        path: /healthz
        port: http
      periodSeconds: 5
      failureThreshold: 18
    readinessProbe:
      httpGet:
        path: /ready
        port: http
      periodSeconds: 2
      failureThreshold: 2
    livenessProbe:
      httpGet:
        path: /healthz
        port: http
      periodSeconds: 10
      failureThreshold: 3
    resources:
      limits:
        cpu: 500m
        memory: 384Mi
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities:
        drop: ["ALL"]
  - name: metrics
    image: ghcr.io/example/storefront-exporter:0.4.2
    args: ["--scrape-url=http://localhost:8080/status", "--listen=:9100"]
    ports:
    - name: metrics
      containerPort: 9100
    resources:
      limits:
        cpu: 100m
        memory: 32Mi
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities:
        drop: ["ALL"]
"""

FETCH, SHIPPER = "spec.initContainers.0", "spec.initContainers.1"
WEB, METRICS = "spec.containers.0", "spec.containers.1"


def edit(text: str, path: str, value: Any = None, *, delete: bool = False) -> str:
    """The manifest with one field (dotted path, list indexes as numbers) set or deleted."""
    doc = yaml.safe_load(text)
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node = doc
    for p in parents:
        node = node[p]
    if delete:
        del node[last]
    else:
        node[last] = value
    return yaml.safe_dump(doc, sort_keys=False)


def edits(text: str, *changes: tuple[Any, ...]) -> str:
    for change in changes:
        path, *value = change
        text = edit(text, path, delete=True) if value == ["DELETE"] else edit(text, path, *value)
    return text


def score(answer: Any) -> tuple[float, list[Any]]:
    points, results, _ = ch12.storefront.grade(answer, hidden=True)
    return points, results


def case(start: str) -> Any:
    (got,) = [c for c in ch12.storefront.cases if c.name.startswith(start)]
    return got


def test_reference_full_marks() -> None:
    """Does the reference storefront Pod earn all 26 points, hidden cases included?"""
    points, results = score(STOREFRONT)
    assert points == ch12.storefront.max_points == 26, [m for r in results for m in r.messages]


def test_notebook_solution_is_the_reference() -> None:
    """Is the solution notebook's default answer this file's reference, so both are tested?"""
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    (cell,) = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "ch12-storefront-answer"]
    source = "".join(cell["source"])
    body = source.split("### BEGIN SOLUTION\n", 1)[1].split("### END SOLUTION", 1)[0]
    assert yaml.safe_load(body) == yaml.safe_load(STOREFRONT)


def test_untouched_starter_earns_nothing() -> None:
    """Does the editor's starter, saved unchanged, earn 0 on every requirement?"""
    points, results = score(ch12.STARTER)
    assert points == 0 and not any(r.passed for r in results)


HOSTILE: list[Any] = [
    None, "", "   ", "::: not yaml", "42", "[]", 42, 3.5, True, [], {}, {"spec": 5}, ["a", "b"],
    "apiVersion: v1\nkind: Pod\n", "kind: Pod\nspec: {containers: [1, null, {name: web}]}",
    "apiVersion: v1\nkind: Pod\nmetadata: {name: storefront}\nspec: {containers: {web: 1}, initContainers: 7}",
    "apiVersion: v1\nkind: Pod\nmetadata: {name: storefront}\nspec:\n  containers:\n  - name: web\n"
    "    readinessProbe: {exec: {command: 5}, periodSeconds: x}\n    resources: {limits: {memory: lots}}\n"
    "    volumeMounts: [{name: 3, mountPath: [1]}]\n    securityContext: 7\n  securityContext: [1]\n",
    STOREFRONT + "---\napiVersion: v1\nkind: Service\n",
    edits(STOREFRONT, (WEB + ".startupProbe", {"httpGet": {"path": 5, "port": {"a": 1}}, "periodSeconds": True})),
    edits(STOREFRONT, ("spec.resources", {"limits": {"memory": [1]}, "requests": "x"})),
]


@pytest.mark.parametrize("answer", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_answers_never_raise(answer: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """Does any answer, however strange, get a score and a report, never an exception or stderr?"""
    got = ch12.storefront(answer, hidden=True)
    out = capsys.readouterr()
    assert 0 <= float(got) <= ch12.storefront.max_points
    assert "could not run" not in out.out and out.err == ""


def _pod_level(text: str) -> str:
    doc = yaml.safe_load(text)
    for fld in ("initContainers", "containers"):
        for c in doc["spec"][fld]:
            c.pop("resources")
    doc["spec"]["resources"] = {"requests": {"cpu": "1", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}}
    return yaml.safe_dump(doc, sort_keys=False)


def _per_container_security(text: str) -> str:
    doc = yaml.safe_load(text)
    psc = doc["spec"].pop("securityContext")
    for fld in ("initContainers", "containers"):
        for c in doc["spec"][fld]:
            c["securityContext"].update(psc)
    return yaml.safe_dump(doc, sort_keys=False)


def _metrics_as_sidecar_first(text: str) -> str:
    doc = yaml.safe_load(text)
    metrics = doc["spec"]["containers"].pop(1)
    metrics["restartPolicy"] = "Always"
    fetch, shipper = doc["spec"]["initContainers"]
    doc["spec"]["initContainers"] = [shipper, metrics, fetch]
    return yaml.safe_dump(doc, sort_keys=False)


def _exec(path: str) -> dict[str, Any]:
    return {"command": ["wget", "-q", "-O", "/dev/null", f"http://localhost:8080{path}"]}


ALTERNATIVES: dict[str, str] = {
    "security-per-container": _per_container_security(STOREFRONT),
    "requests-equal-limits-in-other-spellings": edits(
        STOREFRONT,
        (WEB + ".resources", {"requests": {"cpu": "0.5", "memory": "402653184"},
                              "limits": {"cpu": "500m", "memory": "384Mi"}}),
        (METRICS + ".resources", {"requests": {"cpu": 0.1, "memory": "32Mi"}, "limits": {"cpu": "100m",
                                                                                       "memory": 33554432}})),
    "pod-level-resources": _pod_level(STOREFRONT),
    "exec-probes": edits(
        STOREFRONT,
        (WEB + ".readinessProbe", {"exec": _exec("/ready"), "periodSeconds": 1, "failureThreshold": 3}),
        (WEB + ".livenessProbe", {"exec": {"command": ["sh", "-c", "wget -q -O- http://127.0.0.1:8080/healthz"]},
                                  "periodSeconds": 15, "failureThreshold": 3, "timeoutSeconds": 5}),
        (WEB + ".startupProbe", {"exec": _exec("/healthz"), "periodSeconds": 2, "failureThreshold": 50})),
    "registry-qualified-images-and-port-numbers": edits(
        STOREFRONT, (FETCH + ".image", "docker.io/library/busybox:1.35"), (SHIPPER + ".image", "busybox:1.35@sha256:"
                                                                           + "a" * 64),
        (WEB + ".readinessProbe.httpGet.port", 8080), (WEB + ".livenessProbe.httpGet.port", 8080),
        (WEB + ".startupProbe.httpGet.port", 8080), ("metadata.namespace", "DELETE")),
    "metrics-as-native-sidecar-and-init-order-swapped": _metrics_as_sidecar_first(STOREFRONT),
    "seccomp-and-no-privilege-escalation-spelled-out": edits(
        STOREFRONT, ("spec.securityContext.seccompProfile", {"type": "RuntimeDefault"}),
        ("spec.securityContext.fsGroup", 10001), (WEB + ".securityContext.runAsNonRoot", True),
        (WEB + ".startupProbe.timeoutSeconds", 3), (WEB + ".readinessProbe.timeoutSeconds", 2)),
}


@pytest.mark.parametrize("answer", list(ALTERNATIVES.values()), ids=list(ALTERNATIVES))
def test_equivalent_answers_full_marks(answer: str) -> None:
    """Does every equivalent correct storefront Pod earn all 26 points?"""
    points, results = score(answer)
    assert points == 26, [f"{r.case.name}: {r.messages}" for r in results if not r.passed]


# requirement (case name start) -> (a Pod that misses only it, text its message must contain)
MISSES: dict[str, tuple[str, str]] = {
    "one Pod named": (edits(STOREFRONT, ("metadata.labels", {"tier": "web"})), "selects nothing"),
    "fetch-config is a plain": (edits(STOREFRONT, (FETCH + ".restartPolicy", "Always")),
                                "spec.initContainers[0].restartPolicy: fetch-config is a native sidecar"),
    "web keeps": (edits(STOREFRONT, (WEB + ".volumeMounts.0.readOnly", "DELETE")),
                  "web mounts its configuration read-write"),
    "log-shipper is a native": (edits(STOREFRONT, (SHIPPER + ".restartPolicy", "DELETE")),
                                "`tail -F` never exits, so web would never start"),
    "web logs into": (edits(STOREFRONT, (SHIPPER + ".volumeMounts.0.readOnly", False)),
                      "log-shipper mounts web's logs read-write"),
    "metrics runs": (edits(STOREFRONT, (METRICS + ".ports", "DELETE")), "does not declare port 9100"),
    "readinessProbe": (edits(STOREFRONT, (WEB + ".readinessProbe.failureThreshold", 3)),
                       "3 x 2s + timeoutSeconds 1s = 7s, more than the 6s budget"),
    "livenessProbe": (edits(STOREFRONT, (WEB + ".livenessProbe.periodSeconds", 5)),
                      "3 x 5s = 15s of failures; a stall shorter than 30s must never restart it"),
    "startupProbe": (edits(STOREFRONT, (WEB + ".startupProbe.failureThreshold", 10)),
                     "initialDelaySeconds 0 + 10 x 5s = 50s to start, less than the 90s"),
    "the API server would record": (edits(STOREFRONT, (WEB + ".resources.requests", {"cpu": "250m"})),
                                    "status.qosClass: Burstable, not Guaranteed"),
    "the whole Pod gets": (edits(STOREFRONT, (WEB + ".resources.limits.memory", "512Mi")),
                           "the Pod may use 576Mi of memory, more than the 512Mi budget"),
    "every container gets at least": (edits(STOREFRONT, (WEB + ".resources.limits.memory", "128Mi")),
                                      "web may use at most 128Mi of memory, less than the 256Mi it needs"),
    "Pod Security": (edits(STOREFRONT, (WEB + ".securityContext.capabilities", "DELETE")),
                     "the shop namespace enforces restricted and would reject it"),
    "every container runs as user": (edits(STOREFRONT, ("spec.securityContext.runAsUser", 1000)),
                                     "fetch-config runs as user 1000; the brief runs every container as 10001"),
    "every root filesystem": (edits(STOREFRONT, (METRICS + ".securityContext.readOnlyRootFilesystem", False)),
                              "spec.containers[1].securityContext.readOnlyRootFilesystem: metrics's root filesystem"),
    "no ServiceAccount token": (edits(STOREFRONT, ("spec.automountServiceAccountToken", "DELETE")),
                                "Set `automountServiceAccountToken: false`"),
    "the checker reports no errors": (edits(STOREFRONT, (METRICS + ".ports.0.name", "prometheus-metrics")),
                                      "spec.containers[1].ports[0].name"),
}


def test_every_requirement_has_a_miss() -> None:
    """Is there a wrong answer for every requirement of the exercise?"""
    assert {case(k).name for k in MISSES} == {c.name for c in ch12.storefront.cases}


@pytest.mark.parametrize(("start", "answer", "says"), [(k, *v) for k, v in MISSES.items()], ids=list(MISSES))
def test_each_miss_loses_exactly_its_points(start: str, answer: str, says: str) -> None:
    """Does a Pod that misses one requirement lose exactly that requirement's points, with its message?"""
    points, results = score(answer)
    wanted = case(start)
    failed = [r for r in results if not r.passed]
    assert [r.case.name for r in failed] == [wanted.name], [f"{r.case.name}: {r.messages}" for r in failed]
    assert points == ch12.storefront.max_points - wanted.points
    assert says in "\n".join(failed[0].messages)


@pytest.mark.parametrize(("probe", "value", "says"), [
    ("readinessProbe", {"tcpSocket": {"port": 8080}}, "tcpSocket only proves that something listens"),
    ("readinessProbe", {"httpGet": {"path": "/healthz", "port": "http"}}, "checks '/healthz', not /ready"),
    ("livenessProbe", {"httpGet": {"path": "/healthz", "port": "metrics"}}, "checks port None"),
    ("livenessProbe", {"exec": {"command": ["cat", "/tmp/healthy"]}}, "fetches no http://localhost URL"),
    ("startupProbe", {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10, "failureThreshold": 9},
     "periodSeconds is 10s"),
    ("startupProbe", {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 5, "failureThreshold": 30},
     "later than 120s"),
    ("livenessProbe", {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 20, "failureThreshold": 3},
     "later than the 60s budget"),
    ("readinessProbe", {"httpGet": {"path": "/ready", "port": "http"}, "periodSeconds": 3, "failureThreshold": 1},
     "after 1 failure"),
])
def test_probe_mistakes_are_named(probe: str, value: dict[str, Any], says: str) -> None:
    """Does each classic probe mistake fail its probe's requirement with a message naming the mistake?"""
    _, results = score(edit(STOREFRONT, f"{WEB}.{probe}", value))
    (r,) = [r for r in results if r.case.name.startswith(probe)]
    assert not r.passed and says in r.messages[0]


def test_report_ends_with_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    """Does the report end with how many requirements are met and which to change next?"""
    ch12.storefront(edits(STOREFRONT, ("spec.automountServiceAccountToken", "DELETE")))
    out = capsys.readouterr().out.splitlines()
    visible = sum(1 for c in ch12.storefront.cases if not c.hidden)
    assert out[-2] == f"  Summary: {visible - 1} of {visible} requirements met."
    assert out[-1] == "  Change next: no ServiceAccount token is mounted."


def test_empty_answer_says_where_the_answer_comes_from(capsys: pytest.CaptureFixture[str]) -> None:
    """Does an empty answer get one message and the editor intro, without a summary?"""
    assert float(ch12.storefront(None)) == 0
    out = capsys.readouterr().out
    assert "STOREFRONT is still empty" in out and "editor" in out and "Summary" not in out
