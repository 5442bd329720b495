"""Unit tests for graders.ch11 (troubleshooting: diagnosis table, repair a Pod, crash investigation)."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from grader_support import UNREADABLE, assert_graceful, case, edit, failed, graded_points, score, solution_body

from graders import ch11

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = REPO / "solutions" / "ch11" / "ch11-troubleshooting.ipynb"

FIXED_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
  - name: web
    image: nginx:1.22
    ports:
    - name: http
      containerPort: 80
    resources:
      requests:
        cpu: 100m
        memory: 64Mi
    readinessProbe:
      httpGet:
        path: /
        port: 80
      periodSeconds: 2
  - name: heartbeat
    image: busybox:1.35
    command: ["sh", "-c", "echo heartbeat started; sleep 3600"]
"""

DIAGNOSIS: dict[str, dict[str, str]] = {
    "A": {"cause": "insufficient-resources", "field": "spec.containers[0].resources.requests.memory"},
    "B": {"cause": "image-not-found", "field": "spec.containers[0].image"},
    "C": {"cause": "readiness-probe", "field": "spec.containers[0].readinessProbe.httpGet.port"},
    "D": {"cause": "port-conflict", "field": "spec.containers[1].args"},
    "E": {"cause": "missing-configmap", "field": "spec.volumes[0].configMap.name"},
    "F": {"cause": "missing-secret", "field": "spec.containers[0].env[0].valueFrom.secretKeyRef.name"},
    "G": {"cause": "untolerated-taint", "field": "spec.tolerations"},
}

CRASH: dict[str, Any] = {"container": "renderer", "phase": "Running", "waiting_reason": "CrashLoopBackOff",
                         "reason": "OOMKilled", "exit_code": 137, "signal": "SIGKILL",
                         "field": "spec.containers[1].resources.limits.memory"}

REFERENCE: dict[str, Any] = {"ch11.diagnosis": DIAGNOSIS, "ch11.fix_pod": FIXED_POD, "ch11.crash": CRASH}


def row(table: dict[str, Any], key: str, **changes: Any) -> dict[str, Any]:
    """A copy of a nested answer table with one row (or one key) changed."""
    out = json.loads(json.dumps(table))
    if key in out and isinstance(out[key], dict):
        out[key].update(changes)
    else:
        out[key] = changes["value"]
    return out


# ---------------------------------------------------------------------------
# Every exercise
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("exercise", ch11.EXERCISES, ids=lambda e: e.id)
def test_reference_answer_full_marks(exercise: Any) -> None:
    """Does each reference answer earn every point, hidden cases included?"""
    points, messages = score(exercise, REFERENCE[exercise.id])
    assert points == exercise.max_points, messages


@pytest.mark.parametrize("exercise", ch11.EXERCISES, ids=lambda e: e.id)
def test_solution_notebook_answer_earns_full_marks(exercise: Any) -> None:
    """Does the solution notebook's own answer for each exercise earn full marks?"""
    body = solution_body(NOTEBOOK, exercise.answer_name)
    answer: Any = body if exercise.id == "ch11.fix_pod" else ast.literal_eval("{" + body + "}")
    assert score(exercise, answer)[0] == exercise.max_points


def test_points_match_the_notebook() -> None:
    """Are the exercises worth what the chapter announces (14 + 6 + 7 static, 3 live) and what its cells say?"""
    assert [e.max_points for e in ch11.EXERCISES] == [14, 6, 7]
    assert ch11.fix_live.max_points == 3
    points = graded_points(NOTEBOOK)
    assert points == {"ch11-diagnosis-test": 14, "ch11-fix-test": 6, "ch11-fix-live": 3, "ch11-crash-test": 7}


def test_visible_cases_are_a_strict_subset() -> None:
    """Does every exercise keep some cases hidden, so trial and error against the self-check is not enough?"""
    for ex in ch11.EXERCISES:
        assert 0 < ex.visible_points < ex.max_points, ex.id


def test_the_given_broken_pod_earns_nothing() -> None:
    """Does handing in the broken Pod unchanged earn zero, each fault named with its symptom?"""
    points, text = score(ch11.fix_pod, ch11.BROKEN_POD)
    assert points == 0
    for says in ("still the broken Pod as given", "ErrImagePull", "exits 127", "Insufficient memory",
                 "connection refused"):
        assert says in text


@pytest.mark.parametrize("exercise", ch11.EXERCISES, ids=lambda e: e.id)
@pytest.mark.parametrize("answer", UNREADABLE)
def test_empty_or_garbage_earns_zero(exercise: Any, answer: Any) -> None:
    """Does an untouched placeholder or unreadable answer earn zero without raising?"""
    assert score(exercise, answer)[0] == 0


HOSTILE = [
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
    {"apiVersion": "v1", "kind": "Pod", "metadata": "web", "spec": {"containers": [None, 3, {"name": 7}]}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "labels": {"app": "web"}}, "spec": {
        "containers": [{"name": "web", "image": ["nginx"], "resources": {"requests": "64Mi"},
                        "readinessProbe": {"httpGet": []}},
                       {"name": "heartbeat", "command": "sleep", "args": [None, 3]}]}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "labels": {"app": "web"}}, "spec": {
        "containers": [{"name": "web", "image": "nginx:1.22", "ports": [{"containerPort": True}],
                        "resources": {"requests": {"cpu": {}, "memory": [1]}},
                        "readinessProbe": {"tcpSocket": {"port": None}}},
                       {"name": "heartbeat", "image": 5, "command": ["sh", "-c", "'unclosed"]}]}},
    "apiVersion: v1\nkind: Pod\n---\nkind: Pod\n",
    "a: " + "[" * 200 + "]" * 200,
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: big\n  annotations:\n    x: " + "y" * (1 << 20) + "\n",
    {"A": None, "B": [1, 2], "C": ("x",), "D": {"cause": {"x": 1}, "field": 3}, 5: "x",
     "E": {"cause": "taint", "field": "x" * 100000}, "F": {"CAUSE": ["oom"], "Field": None},
     "container": ["renderer"], "phase": {"x": 1}, "exit_code": 137.5, "signal": True, "field": "[[[[",
     "reason": None},
]


@pytest.mark.parametrize("exercise", ch11.EXERCISES, ids=lambda e: e.id)
@pytest.mark.parametrize("answer", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_answers_never_raise(exercise: Any, answer: Any) -> None:
    """Do non-Pod kinds, wrong types and huge inputs give a low score and a sentence, never an exception?"""
    assert_graceful(exercise, answer)


# ---------------------------------------------------------------------------
# Exercise 1: read the symptoms
# ---------------------------------------------------------------------------

DIAGNOSIS_ALTERNATIVES = {
    "synonyms-and-dotted-indexes": {
        "A": {"cause": "Insufficient memory", "field": ".spec.containers.0.resources.requests.memory"},
        "B": {"cause": "ImagePullBackOff", "field": "containers[0].image"},
        "C": {"cause": "readiness probe", "field": "spec.containers[0].readinessProbe"},
        "D": {"cause": "address already in use", "field": "spec.containers.1.args"},
        "E": {"cause": "configmap not found", "field": "spec.volumes[0].configMap"},
        "F": {"cause": "secret not found", "field": "spec.containers[0].env[0].valueFrom.secretKeyRef"},
        "G": {"cause": "missing toleration", "field": "spec.tolerations[0]"},
    },
    "names-instead-of-indexes": {
        "A": {"cause": "insufficient_resources", "field": "spec.containers[name=api].resources.requests.memory"},
        "B": {"cause": "wrong tag", "field": "Pod.spec.containers[web].image"},
        "C": {"cause": "READINESS-PROBE", "field": "spec.containers[orders].readinessProbe.httpGet.port"},
        "D": {"cause": "port clash", "field": "spec.containers[name=metrics].args"},
        "E": {"cause": "Missing ConfigMap", "field": "spec.volumes[name=config].configMap.name"},
        "F": {"cause": "missing secret",
              "field": "spec.containers[worker].env[DB_PASSWORD].valueFrom.secretKeyRef.name"},
        "G": {"cause": "taint", "field": "spec.tolerations"},
    },
    "pairs-and-lower-keys": {
        "a": ("insufficient memory", "`spec.containers[0].resources.requests.memory`"),
        "b ": ("errimagepull", "spec.containers[0].image"),
        "c": ("readinessprobe", " spec . containers[0].readinessProbe.httpGet.port "),
        "d": ("port-conflict", "$.spec.containers[1].args"),
        "e": ("missing config map", "spec.volumes.0.configMap.name"),
        "f": ("missing-secret", "spec.containers.0.env.0.valueFrom.secretKeyRef.name"),
        "g": ("untolerated taint", "spec.tolerations"),
    },
}


@pytest.mark.parametrize("answer", DIAGNOSIS_ALTERNATIVES.values(), ids=DIAGNOSIS_ALTERNATIVES.keys())
def test_diagnosis_equivalent_answers(answer: dict[str, Any]) -> None:
    """Do synonyms, `containers.0`, `containers[name=x]`, `$.`/`Pod.` prefixes and pairs earn 14/14?"""
    points, text = score(ch11.diagnosis, answer)
    assert points == 14, text


DIAGNOSIS_MISTAKES = [
    ("A-limit-not-request", row(DIAGNOSIS, "A", field="spec.containers[0].resources.limits.memory"),
     {"excerpt A: the field to change"}, "lower the container's memory request"),
    ("A-oom-for-pending", row(DIAGNOSIS, "A", cause="oom-killed"), {"excerpt A: the cause"},
     "the cause is insufficient-resources, not oom-killed"),
    ("B-unknown-cause", row(DIAGNOSIS, "B", cause="network"), {"excerpt B: the cause"}, "is not one of the choices"),
    ("C-liveness", row(DIAGNOSIS, "C", cause="liveness-probe"), {"excerpt C: the cause"},
     "Running with 0/1 READY and no restarts"),
    ("D-wrong-container", row(DIAGNOSIS, "D", field="spec.containers[0].ports"), {"excerpt D: the field to change"},
     "share one network namespace"),
    ("E-mount-path", row(DIAGNOSIS, "E", field="spec.containers[0].volumeMounts[0].mountPath"),
     {"excerpt E: the field to change"}, "fix the name in the volume"),
    ("F-configmap", row(DIAGNOSIS, "F", cause="missing-configmap"), {"excerpt F: the cause"},
     "refers to a Secret that is not there"),
    ("G-node-selector", row(DIAGNOSIS, "G", field="spec.nodeSelector"), {"excerpt G: the field to change"},
     "add a toleration"),
    ("G-missing", {k: v for k, v in DIAGNOSIS.items() if k != "G"},
     {"excerpt G: the cause", "excerpt G: the field to change"}, "excerpt G has no answer"),
    ("A-no-field", row(DIAGNOSIS, "A", field=""), {"excerpt A: the field to change"}, "names no field to change"),
]


@pytest.mark.parametrize(("answer", "fails", "says"), [m[1:] for m in DIAGNOSIS_MISTAKES],
                         ids=[m[0] for m in DIAGNOSIS_MISTAKES])
def test_diagnosis_each_requirement(answer: dict[str, Any], fails: set[str], says: str) -> None:
    """Does each wrong cause or field lose exactly its own point, with the reason the excerpt shows?"""
    assert failed(ch11.diagnosis, answer) == fails
    got, text = score(ch11.diagnosis, answer)
    assert says in text
    assert got == 14 - len(fails)


@pytest.mark.parametrize(("written", "want"), [
    (".spec.containers.0.image", "spec.containers[0].image"),
    ("containers[name=web].image", "spec.containers[web].image"),
    ("Pod.spec.tolerations", "spec.tolerations"),
    ("spec.volumes[0].configMap.name", "spec.volumes[0].configmap.name"),
    ("", None), (None, None), (3, None),
])
def test_field_paths_are_read_in_one_spelling(written: Any, want: str | None) -> None:
    """Is a field path written with dots, names or a `Pod.` prefix read as one API path?"""
    assert ch11.norm_field(written) == want


def test_every_excerpt_uses_the_real_wording() -> None:
    """Do the excerpts carry the messages real clusters print (scheduler, kubelet, runtime)?"""
    text = "\n".join(r.excerpt for r in ch11.ROWS.values())
    for says in ("0/1 nodes are available: 1 Insufficient memory.", "had untolerated taint {dedicated: gpu}",
                 "Back-off pulling image", "Readiness probe failed: Get", "connect: connection refused",
                 "bind: address already in use", 'configmap "proxy-conf" not found',
                 'Error: secret "db-credentials" not found', "CreateContainerConfigError"):
        assert says in text


# ---------------------------------------------------------------------------
# Exercise 2: repair the broken Pod
# ---------------------------------------------------------------------------

FIX_ALTERNATIVES = {
    "named-port-exec-sleep-registry": FIXED_POD.replace("port: 80\n", "port: http\n")
    .replace('command: ["sh", "-c", "echo heartbeat started; sleep 3600"]',
             'command: ["sh", "-c", "echo heartbeat started; exec sleep 3600"]')
    .replace("image: nginx:1.22", "image: docker.io/library/nginx:1.22"),
    "tcp-probe-plain-sleep-bytes": FIXED_POD.replace("      httpGet:\n        path: /\n        port: 80\n",
                                                     "      tcpSocket:\n        port: 80\n")
    .replace('command: ["sh", "-c", "echo heartbeat started; sleep 3600"]', 'command: ["sleep", "infinity"]')
    .replace("memory: 64Mi", "memory: '67108864'"),
    "loop-limits-index-html": FIXED_POD.replace("        memory: 64Mi\n",
                                                "        memory: 128Mi\n      limits:\n        memory: 256Mi\n")
    .replace("path: /\n", "path: /index.html\n")
    .replace('command: ["sh", "-c", "echo heartbeat started; sleep 3600"]',
             'command: ["sh", "-c"]\n    args: ["while true; do echo beat; sleep 30; done"]'),
    "tail-dev-null-containers-swapped": yaml.safe_dump({**yaml.safe_load(FIXED_POD), "spec": {"containers": [
        {"name": "heartbeat", "image": "busybox:1.35", "command": ["tail", "-f", "/dev/null"]},
        yaml.safe_load(FIXED_POD)["spec"]["containers"][0]]}}, sort_keys=False),
}


@pytest.mark.parametrize("answer", FIX_ALTERNATIVES.values(), ids=FIX_ALTERNATIVES.keys())
def test_fix_equivalent_answers(answer: str) -> None:
    """Do named ports, tcpSocket, `exec sleep`, `sleep infinity`, loops, limits and byte quantities earn 6/6?"""
    points, text = score(ch11.fix_pod, answer)
    assert points == 6, text


KEPT = case(ch11.fix_pod, "one Pod named web")
IMAGE = case(ch11.fix_pod, "web's image")
COMMAND = case(ch11.fix_pod, "heartbeat runs")
MEMORY = case(ch11.fix_pod, "web's memory request")
PROBE = case(ch11.fix_pod, "web's readinessProbe")
CLEAN = case(ch11.fix_pod, "the checker reports")
WEB = "spec.containers.0"

FIX_MISTAKES = [
    ("renamed", edit(FIXED_POD, "metadata.name", "web-fixed"), {KEPT}, "keep `name: web`"),
    ("label-dropped", edit(FIXED_POD, "metadata.labels", delete=True), {KEPT}, "the label app: web is gone"),
    ("heartbeat-removed", edit(FIXED_POD, "spec.containers", [yaml.safe_load(FIXED_POD)["spec"]["containers"][0]]),
     {KEPT, COMMAND}, "keep exactly web and heartbeat"),
    ("cpu-changed", edit(FIXED_POD, f"{WEB}.resources.requests.cpu", "1"), {KEPT}, "nothing was wrong with 100m"),
    ("tag-still-wrong", edit(FIXED_POD, f"{WEB}.image", "nginx:1.222"), {IMAGE}, "no such tag exists"),
    ("other-tag", edit(FIXED_POD, f"{WEB}.image", "nginx:1.27"), {IMAGE}, "preloads only nginx:1.22"),
    ("typo-kept", edit(FIXED_POD, "spec.containers.1.command", ["sh", "-c", "echo heartbeat started; sleeep 3600"]),
     {COMMAND}, "sh: sleeep: not found"),
    ("exits-soon", edit(FIXED_POD, "spec.containers.1.command", ["sh", "-c", "echo heartbeat started; sleep 5"]),
     {COMMAND}, "ends within the hour"),
    ("no-command", edit(FIXED_POD, "spec.containers.1.command", delete=True), {COMMAND}, "has no command left"),
    ("memory-still-huge", edit(FIXED_POD, f"{WEB}.resources.requests.memory", "64Gi"), {MEMORY},
     "1 Insufficient memory."),
    ("memory-request-removed", edit(FIXED_POD, f"{WEB}.resources.requests.memory", delete=True), {MEMORY},
     "has no memory request any more"),
    ("memory-tiny", edit(FIXED_POD, f"{WEB}.resources.requests.memory", "1Mi"), {MEMORY}, "less than nginx uses"),
    ("probe-port-still-8080", edit(FIXED_POD, f"{WEB}.readinessProbe.httpGet.port", 8080), {PROBE},
     "checks port 8080, but nginx listens on 80"),
    ("probe-deleted", edit(FIXED_POD, f"{WEB}.readinessProbe", delete=True), {PROBE}, "hides the symptom"),
    ("probe-path", edit(FIXED_POD, f"{WEB}.readinessProbe.httpGet.path", "/healthz"), {PROBE},
     "which the default nginx site does not serve"),
    ("checker-error", edit(FIXED_POD, f"{WEB}.ports", [{"name": "http", "containerPort": 80},
                                                        {"containerPort": 70000}]), {CLEAN},
     "must be between 1 and 65535"),
]


@pytest.mark.parametrize(("answer", "fails", "says"), [m[1:] for m in FIX_MISTAKES], ids=[m[0] for m in FIX_MISTAKES])
def test_fix_each_requirement(answer: str, fails: set[str], says: str) -> None:
    """Does each fault left in (or each part not kept) fail exactly its own case, with what to change?"""
    assert failed(ch11.fix_pod, answer) == fails
    got, text = score(ch11.fix_pod, answer)
    assert says in text
    assert got == 6 - len(fails)


def test_one_fault_fixed_earns_that_fault_and_keeping() -> None:
    """With only the image fixed, are the keep case, the image case and no-errors the only points?"""
    answer = ch11.BROKEN_POD.replace("nginx:1.222", "nginx:1.22")
    assert failed(ch11.fix_pod, answer) == {COMMAND, MEMORY, PROBE}


# ---------------------------------------------------------------------------
# Exercise 3: the crash investigation
# ---------------------------------------------------------------------------

CRASH_ALTERNATIVES = {
    "lower-case-and-strings": {"container": "Renderer", "phase": "running", "waiting_reason": "crashloopbackoff",
                               "reason": "oomkilled", "exit_code": "137", "signal": "signal 9",
                               "field": ".spec.containers.1.resources.limits.memory"},
    "index-and-named-path": {"Container": "spec.containers[1]", "Phase": "Running",
                             "waiting reason": "CrashLoopBackOff", "reason": "OOM killed", "exit-code": 137,
                             "signal": "9", "field": "spec.containers[name=renderer].resources.limits.memory"},
    "spelled-out": {"container": "renderer", "phase": "Running", "waiting_reason": "CrashLoopBackOff",
                    "reason": "out of memory", "exit_code": 137, "signal": "killed by SIGKILL",
                    "field": "containers[renderer].resources.limits.memory"},
}


@pytest.mark.parametrize("answer", CRASH_ALTERNATIVES.values(), ids=CRASH_ALTERNATIVES.keys())
def test_crash_equivalent_answers(answer: dict[str, Any]) -> None:
    """Do case, strings for numbers, key spellings, signal wordings and path variants earn 7/7?"""
    points, text = score(ch11.crash, answer)
    assert points == 7, text


CRASH_MISTAKES = [
    ("api-blamed", "container", "api", "the one that restarts is renderer"),
    ("phase-is-crashloop", "phase", "CrashLoopBackOff", "CrashLoopBackOff is not a phase"),
    ("phase-failed", "phase", "Failed", "the phase is Running, not failed"),
    ("waiting-oom", "waiting_reason", "OOMKilled", "state.waiting.reason is CrashLoopBackOff"),
    ("reason-error", "reason", "Error", "lastState.terminated.reason says OOMKilled"),
    ("exit-1", "exit_code", 1, "exitCode is 137"),
    ("sigterm", "signal", "SIGTERM", "137 - 128 = 9, SIGKILL"),
    ("request-only", "field", "spec.containers[1].resources.requests.memory", "the OOM kill comes from the limit"),
    ("api-limit", "field", "spec.containers[0].resources.limits.memory", "would not stop the OOM kills"),
]


@pytest.mark.parametrize(("key", "value", "says"), [m[1:] for m in CRASH_MISTAKES], ids=[m[0] for m in CRASH_MISTAKES])
def test_crash_each_requirement(key: str, value: Any, says: str) -> None:
    """Does each wrong answer lose exactly its own point, with the explanation it needs?"""
    answer = {**CRASH, key: value}
    assert failed(ch11.crash, answer) == {ch11._CRASH_NAMES[key]}
    got, text = score(ch11.crash, answer)
    assert says in text and got == 6


def test_crash_missing_key_says_which() -> None:
    """Does a missing key fail only its case, naming the key to add?"""
    answer = {k: v for k, v in CRASH.items() if k != "signal"}
    got, text = score(ch11.crash, answer)
    assert got == 6 and "signal has no answer" in text


def test_crash_excerpt_is_realistic() -> None:
    """Does the status excerpt parse as YAML with OOMKilled / 137 in lastState and CrashLoopBackOff in state?"""
    body = ch11.CRASH_STATUS.split("\n", 1)[1].split("\n$ ", 1)[0]
    status = yaml.safe_load(body)["status"]
    renderer = status["containerStatuses"][1]
    assert status["phase"] == "Running"
    assert renderer["lastState"]["terminated"] == {**renderer["lastState"]["terminated"], "exitCode": 137,
                                                   "reason": "OOMKilled"}
    assert renderer["state"]["waiting"]["reason"] == "CrashLoopBackOff"
