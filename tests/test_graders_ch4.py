"""Unit tests for graders.ch4 (sharing storage) and the chapter 4 pipeline demo."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from graders import ch4, ch4lab

LOG_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: app-with-shipper
spec:
  volumes:
  - name: logs
    emptyDir: {}
  initContainers:
  - name: log-shipper
    image: busybox:1.35
    restartPolicy: Always
    args: ["sh", "-c", "tail -n+1 -F /logs/app.log"]
    volumeMounts:
    - {name: logs, mountPath: /logs, readOnly: true}
  containers:
  - name: app
    image: busybox:1.35
    args: ["sh", "-c", "while true; do date >> /var/log/app/app.log; sleep 5; done"]
    volumeMounts:
    - {name: logs, mountPath: /var/log/app}
"""

LOG_STARTER = """
apiVersion: v1
kind: Pod
metadata:
  name: my-pod
spec:
  containers:
  - name: app
    image: busybox:1.35
    args: ["sh", "-c", "while true; do date >> /var/log/app/app.log; sleep 5; done"]
"""

CONFIG_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: web-config
spec:
  volumes:
  - name: config
    emptyDir: {}
  initContainers:
  - name: render-config
    image: busybox:1.35
    command: ["sh", "-c", "echo 'events {}' > /work/nginx.conf"]
    volumeMounts:
    - {name: config, mountPath: /work}
  containers:
  - name: web
    image: nginx:1.22
    ports:
    - containerPort: 80
    volumeMounts:
    - {name: config, mountPath: /etc/nginx/nginx.conf, subPath: nginx.conf, readOnly: true}
"""

FIXED_POD = ch4.BROKEN_POD.replace("medium: Memory", "medium: Memory\n      sizeLimit: 64Mi").replace(
    "    - name: cahce\n      mountPath: /data", "    - name: cache\n      mountPath: /cache"
)

SURVIVES = {"A": "kept", "B": "lost", "C": "lost", "D": "kept", "E": "lost", "F": "kept", "G": "lost", "H": "lost"}


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


def score(exercise: Any, answer: Any) -> tuple[float, str]:
    points, results, _ = exercise.grade(answer, hidden=True)
    return points, "\n".join(m for r in results for m in r.messages)


def failed(exercise: Any, answer: Any) -> list[str]:
    _, results, _ = exercise.grade(answer, hidden=True)
    return [r.case.name for r in results if not r.passed]


# ---------------------------------------------------------------------------
# Reference answers and empty answers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exercise", "answer"),
    [(ch4.log_collection, LOG_POD), (ch4.config_distribution, CONFIG_POD), (ch4.fix_mounts, FIXED_POD),
     (ch4.lifetime, SURVIVES)],
    ids=["log", "config", "fix", "lifetime"],
)
def test_reference_answer_full_marks(exercise: Any, answer: Any) -> None:
    """Does each reference answer earn every point, hidden cases included?"""
    points, messages = score(exercise, answer)
    assert points == exercise.max_points, messages


@pytest.mark.parametrize("exercise", ch4.EXERCISES, ids=lambda e: e.id)
@pytest.mark.parametrize("answer", [None, "", "\n# YOUR ANSWER HERE\n", {}, 42, "[1, 2", b"\xff\xfe"])
def test_empty_or_garbage_earns_zero(exercise: Any, answer: Any) -> None:
    """Does an untouched placeholder or unreadable answer earn zero without raising?"""
    assert score(exercise, answer)[0] == 0


def test_editor_starter_earns_zero() -> None:
    """Does the starter Pod the editor saves before any edit earn zero on the log exercise?"""
    assert score(ch4.log_collection, LOG_STARTER)[0] == 0


def test_broken_pod_is_what_the_exercise_says() -> None:
    """Does the broken Pod fire exactly the three volume rules the fix exercise grades?"""
    from course import check_text

    rules = {f.rule for f in check_text(ch4.BROKEN_POD, preset="ch4")[0].findings}
    assert rules == {ch4.UNKNOWN_VOLUME, ch4.DUPLICATE_PATH, ch4.TMPFS_UNBOUNDED}
    assert score(ch4.fix_mounts, ch4.BROKEN_POD)[0] == 1  # only the untouched uploader mount


# ---------------------------------------------------------------------------
# Exercise 1: log collection
# ---------------------------------------------------------------------------

LOG_CASES = [
    ("shipper-writable", edit(LOG_POD, "spec.initContainers.0.volumeMounts.0.readOnly", delete=True),
     {"log-shipper mounts logs read-only"}, "Add `readOnly: true` to log-shipper"),
    ("shipper-plain-init", edit(LOG_POD, "spec.initContainers.0.restartPolicy", delete=True),
     {"log-shipper is a native sidecar (init container with restartPolicy: Always)"}, "it would have to exit"),
    ("app-read-only", edit(LOG_POD, "spec.containers.0.volumeMounts.0.readOnly", True),
     {"app writes to logs at /var/log/app"}, "cannot write its log files"),
    ("app-wrong-path", edit(LOG_POD, "spec.containers.0.volumeMounts.0.mountPath", "/logs"),
     {"app writes to logs at /var/log/app"}, "Use `mountPath: /var/log/app`"),
    ("hostpath-volume", edit(LOG_POD, "spec.volumes.0", {"name": "logs", "hostPath": {"path": "/var/log"}}),
     {"an emptyDir volume named logs"}, "uses hostPath"),
    ("renamed", edit(LOG_POD, "metadata.name", "shipper"), {"one Pod named app-with-shipper"}, "Set `name:"),
    ("volume-typo", edit(LOG_POD, "spec.volumes.0.name", "log"),
     {"an emptyDir volume named logs", "the Pod mounts its volumes and the checker reports no errors"},
     'Not found: "logs"'),
    ("two-sources", edit(LOG_POD, "spec.volumes.0.configMap", {"name": "x"}),
     {"the Pod mounts its volumes and the checker reports no errors"}, "volume-source-count"),
]


@pytest.mark.parametrize(("answer", "fails", "says"), [c[1:] for c in LOG_CASES], ids=[c[0] for c in LOG_CASES])
def test_log_collection_mistakes(answer: str, fails: set[str], says: str) -> None:
    """Does each log-collection mistake fail exactly its cases, with a message saying what to change?"""
    assert set(failed(ch4.log_collection, answer)) == fails
    assert says in score(ch4.log_collection, answer)[1]


def test_shipper_as_regular_container_loses_sidecar_point() -> None:
    """Is a shipper in spec.containers told to become a native sidecar?"""
    doc = yaml.safe_load(LOG_POD)
    shipper = doc["spec"].pop("initContainers")[0]
    shipper.pop("restartPolicy")
    doc["spec"]["containers"].append(shipper)
    points, text = score(ch4.log_collection, yaml.safe_dump(doc))
    assert points == 5
    assert "Move log-shipper to spec.initContainers" in text


def test_log_answer_from_pod_editor_round_trips(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Does the YAML the Pod editor saves for the reference Pod read back and earn full marks?"""
    from course.answers import load_answer_text
    from course.widgets import PodEditor

    monkeypatch.chdir(tmp_path)
    PodEditor(LOG_POD, answer=ch4.LOG_ANSWER).save()  # the learner presses "Save answer"
    saved = load_answer_text(ch4.LOG_ANSWER)
    assert "restartPolicy: Always" in saved
    assert score(ch4.log_collection, saved)[0] == 6


# ---------------------------------------------------------------------------
# Exercise 2: config distribution
# ---------------------------------------------------------------------------

MOUNT = "spec.containers.0.volumeMounts.0"
CONFIG_CASES = [
    ("whole-directory", edit(CONFIG_POD, MOUNT, {"name": "config", "mountPath": "/etc/nginx", "readOnly": True}),
     {"web mounts only nginx.conf at /etc/nginx/nginx.conf (subPath)"}, "hiding mime.types"),
    ("no-subpath", edit(CONFIG_POD, f"{MOUNT}.subPath", delete=True),
     {"web mounts only nginx.conf at /etc/nginx/nginx.conf (subPath)"}, "Add `subPath: nginx.conf`"),
    ("wrong-subpath", edit(CONFIG_POD, f"{MOUNT}.subPath", "conf/nginx.conf"),
     {"web mounts only nginx.conf at /etc/nginx/nginx.conf (subPath)"}, "Set `subPath: nginx.conf`"),
    ("absolute-subpath", edit(CONFIG_POD, f"{MOUNT}.subPath", "/nginx.conf"),
     {"web mounts only nginx.conf at /etc/nginx/nginx.conf (subPath)",
      "the Pod mounts its volumes and the checker reports no errors"}, "subpath-invalid"),
    ("web-writable", edit(CONFIG_POD, f"{MOUNT}.readOnly", delete=True),
     {"web's mount of config is read-only"}, "only render-config should write"),
    ("renderer-sidecar", edit(CONFIG_POD, "spec.initContainers.0.restartPolicy", "Always"),
     {"render-config is an init container that writes to config"}, "makes it a sidecar"),
    ("renderer-read-only", edit(CONFIG_POD, "spec.initContainers.0.volumeMounts.0.readOnly", True),
     {"render-config is an init container that writes to config"}, "cannot write the file"),
]


@pytest.mark.parametrize(("answer", "fails", "says"), [c[1:] for c in CONFIG_CASES],
                         ids=[c[0] for c in CONFIG_CASES])
def test_config_distribution_mistakes(answer: str, fails: set[str], says: str) -> None:
    """Does each config-distribution mistake fail exactly its cases, with a message saying what to change?"""
    assert set(failed(ch4.config_distribution, answer)) == fails
    assert says in score(ch4.config_distribution, answer)[1]


def test_renderer_as_regular_container_fails() -> None:
    """Is a renderer placed in spec.containers told to become an init container?"""
    doc = yaml.safe_load(CONFIG_POD)
    doc["spec"]["containers"].append(doc["spec"].pop("initContainers")[0])
    points, text = score(ch4.config_distribution, yaml.safe_dump(doc))
    assert points == 5
    assert "Move render-config to spec.initContainers" in text


# ---------------------------------------------------------------------------
# Exercise 3: diagnose and fix
# ---------------------------------------------------------------------------

CACHE = "spec.volumes.1"
RESIZER_CACHE = "spec.containers.0.volumeMounts.1"
FIX_CASES = [
    ("typo-left", edit(FIXED_POD, f"{RESIZER_CACHE}.name", "cahce"),
     {"every volumeMount names a volume the Pod defines", "the checker reports no errors"}, "volume-mount-unknown"),
    ("path-clash-left", edit(FIXED_POD, f"{RESIZER_CACHE}.mountPath", "/data"),
     {"no two mounts of one container share a mountPath", "the checker reports no errors"}, "mount-path-duplicate"),
    ("no-size-limit", edit(FIXED_POD, f"{CACHE}.emptyDir", {"medium": "Memory"}),
     {"the memory-backed emptyDir has a sizeLimit",
      "cache stays in RAM with a sizeLimit below resizer's memory limit"}, "empty-dir-memory-no-limit"),
    ("moved-to-disk", edit(FIXED_POD, f"{CACHE}.emptyDir", {"sizeLimit": "64Mi"}),
     {"cache stays in RAM with a sizeLimit below resizer's memory limit"}, "keep `medium: Memory`"),
    ("limit-too-big", edit(FIXED_POD, f"{CACHE}.emptyDir.sizeLimit", "256Mi"),
     {"cache stays in RAM with a sizeLimit below resizer's memory limit"}, "well below 256Mi"),
    ("limit-not-quantity", edit(FIXED_POD, f"{CACHE}.emptyDir.sizeLimit", "lots"),
     {"cache stays in RAM with a sizeLimit below resizer's memory limit", "the checker reports no errors",
      "every volumeMount names a volume the Pod defines"},  # an invalid volume is unknown to its mounts
     "is not a quantity"),
    ("uploads-moved", edit(FIXED_POD, "spec.containers.0.volumeMounts.0.mountPath", "/uploads"),
     {"no two mounts of one container share a mountPath"}, "it looks for them in /data"),
    ("uploader-mount-deleted", edit(FIXED_POD, "spec.containers.1.volumeMounts", delete=True),
     {"uploader keeps its mount of uploads unchanged"}, "Keep uploader's mount"),
    ("cache-mount-deleted", edit(FIXED_POD, "spec.containers.0.volumeMounts.1", {"name": "uploads",
                                                                                   "mountPath": "/more"}),
     {"every volumeMount names a volume the Pod defines"}, "instead of deleting the mount"),
]


@pytest.mark.parametrize(("answer", "fails", "says"), [c[1:] for c in FIX_CASES], ids=[c[0] for c in FIX_CASES])
def test_fix_mounts_mistakes(answer: str, fails: set[str], says: str) -> None:
    """Does each incomplete or over-eager fix fail exactly its cases, quoting the checker where it applies?"""
    assert set(failed(ch4.fix_mounts, answer)) == fails
    assert says in score(ch4.fix_mounts, answer)[1]


def test_fix_feedback_quotes_checker_paths() -> None:
    """Does feedback for the untouched broken Pod quote the checker's field paths and rule ids?"""
    text = score(ch4.fix_mounts, ch4.BROKEN_POD)[1]
    assert "spec.containers[0].volumeMounts[1].name" in text
    assert "spec.containers[0].volumeMounts[1].mountPath" in text
    assert "spec.volumes[1].emptyDir" in text
    assert re.search(r"\(empty-dir-memory-no-limit\)\n\s+-> Set emptyDir.sizeLimit", text)


# ---------------------------------------------------------------------------
# Exercise 4: lifetime predictions
# ---------------------------------------------------------------------------

LIFETIME_CASES = [
    ("all-lost", dict.fromkeys(SURVIVES, "lost"), 5, "situation A: the files are kept"),
    ("all-kept", dict.fromkeys(SURVIVES, "kept"), 3, "situation C: the files are lost"),
    ("booleans-lowercase", {k.lower(): v == "kept" for k, v in SURVIVES.items()}, 8, ""),
    ("synonyms", {k: {"kept": "survives", "lost": "gone"}[v] for k, v in SURVIVES.items()}, 8, ""),
    ("half", {"A": "kept", "B": "lost"}, 2, "situation C has no answer"),
    ("nonsense-value", {**SURVIVES, "H": "maybe"}, 7, "is neither"),
    ("not-a-dict", ["kept", "lost"], 0, "write a dict"),
]


@pytest.mark.parametrize(("answer", "points", "says"), [c[1:] for c in LIFETIME_CASES],
                         ids=[c[0] for c in LIFETIME_CASES])
def test_lifetime_predictions(answer: Any, points: float, says: str) -> None:
    """Does each set of predictions earn one point per right situation and explain the wrong ones?"""
    got, text = score(ch4.lifetime, answer)
    assert got == points
    assert says in text


def test_visible_cases_are_a_strict_subset() -> None:
    """Does every exercise keep some cases hidden, and worth at least three points in total?"""
    for ex in ch4.EXERCISES:
        assert 0 < ex.visible_points < ex.max_points, ex.id
        assert ex.max_points >= 3, ex.id


# ---------------------------------------------------------------------------
# The pipeline demo
# ---------------------------------------------------------------------------


def test_pipeline_demo_matches_its_recording() -> None:
    """Does the live producer/consumer demo (or its fallback) report what the recording says?"""
    run = ch4lab.pipeline_demo()
    assert run["source"] in ("live", "recorded")
    for key in ("consumer", "after_restart", "shared_dir_exists_after_pod_deleted"):
        assert run[key] == ch4lab.RECORDED[key], key


def test_pipeline_demo_falls_back_without_namespaces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without namespaces, does the demo return the recording and say why?"""
    import course.sandbox as sandbox
    from course.sandbox import Support

    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setattr(sandbox, "sandbox_support", lambda: Support(False, None, "not on Linux"))
    run = ch4lab.pipeline_demo()
    assert run["source"] == "recorded"
    assert "not on Linux" in run["reason"]


def test_pipeline_demo_uses_recording_while_grading(monkeypatch: pytest.MonkeyPatch) -> None:
    """While nbgrader grades, does the demo skip the live sandbox and say so?"""
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    run = ch4lab.pipeline_demo()
    assert run["source"] == "recorded"
    assert "while nbgrader grades" in run["reason"]
