"""Unit tests for graders.ch12 (the capstone storefront Pod), graded requirement by requirement."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from grader_support import edit

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


# ---------------------------------------------------------------------------
# Exercise 2 - the change request (tls-proxy) and Exercise 3 - the incident review
# ---------------------------------------------------------------------------

TLS_PROXY = {
    "name": "tls-proxy", "image": "ghcr.io/example/tls-proxy:1.8.2",
    "args": ["--listen=:8443", "--upstream=http://localhost:8080", "--cert=/etc/tls/tls.crt", "--key=/etc/tls/tls.key"],
    "ports": [{"name": "https", "containerPort": 8443}],
    "volumeMounts": [{"name": "tls", "mountPath": "/etc/tls"}],
    "resources": {"limits": {"cpu": "100m", "memory": "96Mi"}},
    "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                        "capabilities": {"drop": ["ALL"]}},
}
PROXY = "spec.containers.2"


def _with_proxy(text: str, *, web_memory: str = "352Mi") -> str:
    doc = yaml.safe_load(text)
    doc["spec"]["volumes"].append({"name": "tls", "secret": {"secretName": "storefront-tls"}})
    doc["spec"]["containers"][0]["resources"]["limits"]["memory"] = web_memory
    doc["spec"]["containers"].append(json.loads(json.dumps(TLS_PROXY)))
    return yaml.safe_dump(doc, sort_keys=False)


STOREFRONT_TLS = _with_proxy(STOREFRONT)
FIXED = edits(STOREFRONT, (WEB + ".resources.limits.memory", "448Mi"))
INCIDENT: dict[str, Any] = {
    "cause": "oom-killed",
    "evidence": "web's Last State is Terminated, Reason OOMKilled (exit code 137): it went past its 384Mi limit",
    "field": "spec.containers[0].resources.limits.memory",
    "pod": FIXED,
}


def _solution(grade_id: str) -> str:
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    (cell,) = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id]
    return "".join(cell["source"]).split("### BEGIN SOLUTION\n", 1)[1].split("### END SOLUTION", 1)[0]


def grade(exercise: Any, answer: Any) -> tuple[float, list[Any]]:
    points, results, _ = exercise.grade(answer, hidden=True)
    return points, results


def failed(results: list[Any]) -> dict[str, str]:
    return {r.case.name: "\n".join(r.messages) for r in results if not r.passed}


def test_earlier_groups_cover_every_storefront_case_once() -> None:
    """Does every requirement of the original brief sit in exactly one "still met" group, hidden with hidden?"""
    grouped = [t for _, _, tests, _ in ch12.EARLIER for t in tests]
    assert sorted(map(id, grouped)) == sorted(id(c.test) for c in ch12.storefront.cases)
    for _, _, tests, hidden in ch12.EARLIER:
        assert {c.hidden for c in ch12.storefront.cases if c.test in tests} <= {hidden, False}


def test_new_exercises_are_registered_with_their_points() -> None:
    """Are the change request (15) and the incident review (14) in EXERCISES, with points as the notebook says?"""
    assert list(ch12.EXERCISES) == [ch12.storefront, ch12.change, ch12.incident]
    assert (ch12.change.max_points, ch12.incident.max_points) == (15, 14)
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    points = {c["metadata"]["nbgrader"]["grade_id"]: c["metadata"]["nbgrader"].get("points") for c in nb["cells"]
              if c["metadata"].get("nbgrader", {}).get("grade")}
    assert points["ch12-change-test"] == 15 and points["ch12-incident-test"] == 14


def test_notebook_solutions_are_the_references() -> None:
    """Are the notebook's answers to Exercises 2 and 3 this file's references, so both are tested?"""
    assert yaml.safe_load(_solution("ch12-change-answer")) == yaml.safe_load(STOREFRONT_TLS)
    scope: dict[str, Any] = {}
    exec("INCIDENT = {\n" + _solution("ch12-incident-answer") + "}", scope)
    got = scope["INCIDENT"]
    assert {k: v for k, v in got.items() if k != "pod"} == {k: v for k, v in INCIDENT.items() if k != "pod"}
    assert yaml.safe_load(got["pod"]) == yaml.safe_load(FIXED)


@pytest.mark.parametrize(("exercise", "answer"), [("change", STOREFRONT_TLS), ("incident", INCIDENT)])
def test_references_full_marks(exercise: str, answer: Any) -> None:
    """Does each reference answer earn every point, hidden cases included?"""
    ex = getattr(ch12, exercise)
    points, results = grade(ex, answer)
    assert points == ex.max_points, failed(results)


def _proxy_as_sidecar(text: str) -> str:
    doc = yaml.safe_load(text)
    proxy = doc["spec"]["containers"].pop(2)
    proxy["restartPolicy"] = "Always"
    doc["spec"]["initContainers"].insert(0, proxy)
    return yaml.safe_dump(doc, sort_keys=False)


def _pod_level_tls(text: str) -> str:
    doc = yaml.safe_load(_pod_level(text))
    return yaml.safe_dump(doc, sort_keys=False)


CHANGE_ALTERNATIVES: dict[str, str] = {
    "proxy-as-native-sidecar-first": _proxy_as_sidecar(STOREFRONT_TLS),
    "projected-secret-with-items": edits(STOREFRONT_TLS, ("spec.volumes.3", {"name": "tls", "projected": {
        "sources": [{"secret": {"name": "storefront-tls", "items": [{"key": "tls.crt", "path": "tls.crt"},
                                                                    {"key": "tls.key", "path": "./tls.key"}]}}]}})),
    "read-only-mount-trailing-slash-and-byte-quantities": edits(
        STOREFRONT_TLS, (PROXY + ".volumeMounts.0", {"name": "tls", "mountPath": "/etc/tls/", "readOnly": True}),
        (PROXY + ".resources", {"limits": {"cpu": "0.1", "memory": 100663296},
                                "requests": {"cpu": "100m", "memory": "96Mi"}}),
        (PROXY + ".image", "ghcr.io/example/tls-proxy:1.8.2@sha256:" + "b" * 64),
        (WEB + ".resources.limits.memory", "369098752")),
    "pod-level-resources": _pod_level_tls(STOREFRONT_TLS),
}


@pytest.mark.parametrize("answer", list(CHANGE_ALTERNATIVES.values()), ids=list(CHANGE_ALTERNATIVES))
def test_change_equivalent_answers_full_marks(answer: str) -> None:
    """Does every equivalent way to add tls-proxy earn all 15 points?"""
    points, results = grade(ch12.change, answer)
    assert points == 15, failed(results)


# a wrong change -> (points, {failing case name start: text its message must contain})
CHANGE_MISSES: dict[str, tuple[str, float, dict[str, str]]] = {
    "budget-forgotten": (_with_proxy(STOREFRONT, web_memory="384Mi"), 13,
                         {"still met: Guaranteed": "the Pod may use 544Mi of memory, more than the 512Mi budget"}),
    "web-cut-below-its-need": (_with_proxy(STOREFRONT, web_memory="200Mi"), 14,
                               {"still met: every container's memory": "web may use at most 200Mi of memory"}),
    "proxy-without-security": (edits(STOREFRONT_TLS, (PROXY + ".securityContext", "DELETE")), 13,
                               {"still met: restricted": "no longer met: Pod Security: the Pod meets restricted"}),
    "proxy-without-resources": (edits(STOREFRONT_TLS, (PROXY + ".resources", "DELETE")), 12,
                                {"still met: Guaranteed": "status.qosClass: Burstable",
                                 "tls-proxy gets at least": "tls-proxy has no memory limit"}),
    "proxy-as-plain-init-container": (
        edits(_proxy_as_sidecar(STOREFRONT_TLS), (FETCH + ".restartPolicy", "DELETE")), 9,
        {"tls-proxy runs": "tls-proxy is a plain init container", "tls-proxy declares": "never exits",
         "tls-proxy reads": "never exits", "only tls-proxy": "never exits"}),
    "command-instead-of-args": (edits(STOREFRONT_TLS, (PROXY + ".command", ["tls-proxy"])), 13,
                                {"tls-proxy runs": "replaces its image's entrypoint"}),
    "port-unnamed": (edits(STOREFRONT_TLS, (PROXY + ".ports.0.name", "DELETE")), 14,
                     {"tls-proxy declares": "port 8443 has no name"}),
    "secret-as-subpath": (edits(STOREFRONT_TLS, (PROXY + ".volumeMounts.0.subPath", "tls.crt")), 13,
                          {"tls-proxy reads": "never receives the Secret's updates"}),
    "emptydir-instead-of-secret": (edits(STOREFRONT_TLS, ("spec.volumes.3", {"name": "tls", "emptyDir": {}})), 13,
                                   {"tls-proxy reads": "the volume at /etc/tls is emptyDir"}),
    "wrong-secret-name": (edits(STOREFRONT_TLS, ("spec.volumes.3.secret.secretName", "storefront-cert")), 13,
                          {"tls-proxy reads": "projects the Secret 'storefront-cert'"}),
    "items-drop-the-key": (edits(STOREFRONT_TLS, ("spec.volumes.3.secret.items", [{"key": "tls.crt",
                                                                                   "path": "tls.crt"}])), 13,
                           {"tls-proxy reads": "do not project tls.key"}),
    "mounted-elsewhere": (edits(STOREFRONT_TLS, (PROXY + ".volumeMounts.0.mountPath", "/certs")), 13,
                          {"tls-proxy reads": "mounts the Secret at '/certs'"}),
    "key-shared-with-web": (edits(STOREFRONT_TLS, (WEB + ".volumeMounts", [
        {"name": "config", "mountPath": "/etc/storefront", "readOnly": True},
        {"name": "logs", "mountPath": "/var/log/storefront"}, {"name": "tmp", "mountPath": "/tmp"},
        {"name": "tls", "mountPath": "/etc/tls"}])),
                            14, {"only tls-proxy": "web mounts the Secret storefront-tls too"}),
    "unchanged-storefront": (STOREFRONT, 0, {"still met: the Pod": "there is no tls-proxy yet"}),
}


@pytest.mark.parametrize(("answer", "points", "says"), list(CHANGE_MISSES.values()), ids=list(CHANGE_MISSES))
def test_change_misses_lose_their_points(answer: str, points: float, says: dict[str, str]) -> None:
    """Does each realistic wrong change earn the expected partial score, failing exactly the named cases?"""
    got, results = grade(ch12.change, answer)
    fails = failed(results)
    for start, text in says.items():
        (name,) = [n for n in fails if n.startswith(start)] or [f"<{start} passed>"]
        assert text in fails.get(name, ""), fails
    if answer is not STOREFRONT:
        assert len(fails) == len(says), fails
    assert got == points, fails


def _incident(**changes: Any) -> dict[str, Any]:
    return {**INCIDENT, **changes}


INCIDENT_ALTERNATIVES: dict[str, dict[str, Any]] = {
    "words-and-other-notations": _incident(cause="OOMKilled", evidence="Reason: OOMKilled in Last State",
                                           field=".spec.containers[name=web].resources.limits.memory"),
    "out-of-memory-and-dotted-index": _incident(cause="out of memory", evidence="killed for exceeding its memory limit",
                                                field="containers.0.resources.limits.memory"),
    "pod-as-dict-and-bytes": _incident(pod=yaml.safe_load(edits(STOREFRONT, (WEB + ".resources", {
        "limits": {"cpu": "500m", "memory": "469762048"}, "requests": {"cpu": 0.5, "memory": "448Mi"}})))),
    "pod-level-budget": _incident(field="spec.resources.limits.memory", pod=_pod_level(STOREFRONT)),
    "upper-case-keys": {k.upper(): v for k, v in INCIDENT.items()},
}


@pytest.mark.parametrize("answer", list(INCIDENT_ALTERNATIVES.values()), ids=list(INCIDENT_ALTERNATIVES))
def test_incident_equivalent_answers_full_marks(answer: dict[str, Any]) -> None:
    """Does every equivalent diagnosis and fix earn all 14 points?"""
    points, results = grade(ch12.incident, answer)
    assert points == 14, failed(results)


INCIDENT_MISSES: dict[str, tuple[dict[str, Any], float, dict[str, str]]] = {
    "blames-liveness": (_incident(cause="liveness probe"), 12,
                        {"the cause": "follows `Liveness probe failed` warnings, of which there are none"}),
    "blames-readiness": (_incident(cause="readiness-probe"), 12, {"the cause": "never restarts a container"}),
    "blames-eviction": (_incident(cause="evicted"), 12, {"the cause": "phase Failed with reason Evicted"}),
    "unknown-cause": (_incident(cause="gremlins"), 12, {"the cause": "is not one of the choices"}),
    "exit-code-only": (_incident(evidence="exit code 137"), 13, {"the evidence": "only says SIGKILL"}),
    "symptom-as-evidence": (_incident(evidence="Readiness probe failed: HTTP probe failed with statuscode: 503"), 13,
                            {"the evidence": "not its cause"}),
    "request-not-limit": (_incident(field="spec.containers[0].resources.requests.memory"), 13,
                          {"the field to change": "the kernel kills at the limit"}),
    "parent-field": (_incident(field="spec.containers[0].resources.limits"), 13,
                     {"the field to change": "name the one entry that decides when the kernel kills"}),
    "startup-field": (_incident(field="spec.containers[0].startupProbe.failureThreshold"), 13,
                      {"the field to change": "would not stop the OOM kills"}),
    "not-fixed": (_incident(pod=STOREFRONT), 4, {"the fixed Pod: web may use": "less than the 440Mi it needs",
                                                 "the fixed Pod: the Pod": "the limit it was OOM-killed at"}),
    "over-budget": (_incident(pod=edits(STOREFRONT, (WEB + ".resources.limits.memory", "512Mi"))), 12,
                    {"the fixed Pod: Guaranteed": "the Pod may use 576Mi of memory, more than the 512Mi budget"}),
    "counted-the-init-container": (_incident(pod=edits(STOREFRONT, (WEB + ".resources.limits.memory", "416Mi"))), 12,
                                   {"the fixed Pod: web may use": "web may use at most 416Mi of memory"}),
    "raised-only-the-request": (_incident(pod=edits(STOREFRONT, (WEB + ".resources.requests", {"memory": "448Mi"}))),
                                4, {"the fixed Pod: web may use": "384Mi"}),
    "helpers-starved": (_incident(pod=edits(FIXED, (METRICS + ".resources.limits.memory", "16Mi"),
                                            (WEB + ".resources.limits.memory", "464Mi"))), 13,
                        {"the fixed Pod: every container's": "metrics may use at most 16Mi"}),
    "probe-removed-too": (_incident(pod=edits(FIXED, (WEB + ".livenessProbe", "DELETE"))), 13,
                          {"the fixed Pod: web's three probes": "web has no livenessProbe"}),
    "pod-missing": ({k: v for k, v in INCIDENT.items() if k != "pod"}, 4, {"the fixed Pod": "pod has no answer"}),
}


@pytest.mark.parametrize(("answer", "points", "says"), list(INCIDENT_MISSES.values()), ids=list(INCIDENT_MISSES))
def test_incident_misses_lose_their_points(answer: dict[str, Any], points: float, says: dict[str, str]) -> None:
    """Does each realistic wrong diagnosis or fix earn the expected partial score, with a message naming it?"""
    got, results = grade(ch12.incident, answer)
    fails = failed(results)
    for start, text in says.items():
        names = [n for n in fails if n.startswith(start)]
        assert names and all(text in fails[n] for n in names), fails
    assert got == points, fails


NEW_HOSTILE: list[Any] = [
    *HOSTILE, {"cause": 5, "evidence": ["x"], "field": {"a": 1}, "pod": 7}, {"pod": "::: not yaml"},
    {"pod": STOREFRONT + "---\nkind: Service\n", "cause": True, "evidence": "x" * 5000, "field": None},
    {"cause": "oom", "pod": {"kind": "Pod", "spec": []}}, {"pod": {}}, {"pod": ""}, ["cause", "oom"],
    edits(STOREFRONT_TLS, (PROXY + ".volumeMounts", [{"name": 3, "mountPath": {"a": 1}, "subPath": []}]),
          ("spec.volumes.3", {"name": "tls", "secret": "x", "projected": {"sources": [5, {"secret": []}]}})),
    edits(STOREFRONT_TLS, ("spec.volumes.3.secret.items", [5, {"key": ["tls.key"], "path": 7}]),
          (PROXY + ".ports", [{"containerPort": True, "name": 5}]), (PROXY + ".env", [{"valueFrom": 5}, 3])),
]


@pytest.mark.parametrize("exercise", ["change", "incident"])
@pytest.mark.parametrize("answer", NEW_HOSTILE, ids=range(len(NEW_HOSTILE)))
def test_new_exercises_hostile_answers_never_raise(exercise: str, answer: Any,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Does any answer to Exercise 2 or 3, however strange, get a score and messages, never a traceback?"""
    ex = getattr(ch12, exercise)
    got = ex(answer, hidden=True)
    out = capsys.readouterr()
    assert 0 <= float(got) <= ex.max_points
    assert "could not run" not in out.out and "grader failed" not in out.out and out.err == ""


@pytest.mark.parametrize(("exercise", "name"), [("change", "STOREFRONT_TLS"), ("incident", "INCIDENT")])
def test_new_exercises_empty_answer_says_so(exercise: str, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Does the untouched released answer (empty) score 0 with one message saying the answer is empty?"""
    empty: Any = {} if exercise == "incident" else "\n# YOUR ANSWER HERE\n"
    assert float(getattr(ch12, exercise)(empty)) == 0
    out = capsys.readouterr().out
    assert f"{name} is still empty" in out and "Summary" not in out
