"""Unit tests for graders.ch4 (sharing storage) and the chapter 4 pipeline demo."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from grader_support import edit, failed, failed_list, score

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

NATIVE = ("log-shipper is a native sidecar (init container with restartPolicy: Always) running busybox:1.35 "
          "that follows /logs/app.log")
WEB_SUBPATH = "web (nginx:1.22, port 80) mounts only nginx.conf at /etc/nginx/nginx.conf (subPath)"
RENDERER = "render-config is an init container (busybox:1.35) that writes nginx.conf into config at /work"
REST_KEPT = "the rest is kept: name, containers, images, volumes, resizer's memory limit, uploader's mount"
TMPFS = "cache stays in RAM with a sizeLimit of at most half of resizer's memory limit"

SURVIVES = {"A": "kept", "B": "lost", "C": "lost", "D": "kept", "E": "lost", "F": "kept", "G": "lost", "H": "lost"}


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
     {"log-shipper mounts logs read-only at /logs"}, "Add `readOnly: true` to log-shipper"),
    ("shipper-plain-init", edit(LOG_POD, "spec.initContainers.0.restartPolicy", delete=True),
     {NATIVE}, "it would have to exit"),
    ("app-read-only", edit(LOG_POD, "spec.containers.0.volumeMounts.0.readOnly", True),
     {"app keeps its image and command and writes to logs at /var/log/app"}, "cannot write its log files"),
    ("app-wrong-path", edit(LOG_POD, "spec.containers.0.volumeMounts.0.mountPath", "/logs"),
     {"app keeps its image and command and writes to logs at /var/log/app"}, "Use `mountPath: /var/log/app`"),
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
    assert failed(ch4.log_collection, answer) == fails
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
     {WEB_SUBPATH}, "hiding mime.types"),
    ("no-subpath", edit(CONFIG_POD, f"{MOUNT}.subPath", delete=True),
     {WEB_SUBPATH}, "Add `subPath: nginx.conf`"),
    ("wrong-subpath", edit(CONFIG_POD, f"{MOUNT}.subPath", "conf/nginx.conf"),
     {WEB_SUBPATH}, "Set `subPath: nginx.conf`"),
    ("absolute-subpath", edit(CONFIG_POD, f"{MOUNT}.subPath", "/nginx.conf"),
     {WEB_SUBPATH,
      "the Pod mounts its volumes and the checker reports no errors"}, "subpath-invalid"),
    ("web-writable", edit(CONFIG_POD, f"{MOUNT}.readOnly", delete=True),
     {"web's mount of config is read-only"}, "only render-config should write"),
    ("renderer-sidecar", edit(CONFIG_POD, "spec.initContainers.0.restartPolicy", "Always"),
     {RENDERER}, "makes it a sidecar"),
    ("renderer-read-only", edit(CONFIG_POD, "spec.initContainers.0.volumeMounts.0.readOnly", True),
     {RENDERER}, "cannot write the file"),
]


@pytest.mark.parametrize(("answer", "fails", "says"), [c[1:] for c in CONFIG_CASES],
                         ids=[c[0] for c in CONFIG_CASES])
def test_config_distribution_mistakes(answer: str, fails: set[str], says: str) -> None:
    """Does each config-distribution mistake fail exactly its cases, with a message saying what to change?"""
    assert failed(ch4.config_distribution, answer) == fails
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
      TMPFS}, "empty-dir-memory-no-limit"),
    ("moved-to-disk", edit(FIXED_POD, f"{CACHE}.emptyDir", {"sizeLimit": "64Mi"}),
     {TMPFS}, "keep `medium: Memory`"),
    ("limit-too-big", edit(FIXED_POD, f"{CACHE}.emptyDir.sizeLimit", "256Mi"),
     {TMPFS}, "at most half of 256Mi"),
    ("limit-not-quantity", edit(FIXED_POD, f"{CACHE}.emptyDir.sizeLimit", "lots"),
     {TMPFS, "the checker reports no errors",
      "every volumeMount names a volume the Pod defines"},  # an invalid volume is unknown to its mounts
     "is not a quantity"),
    ("uploads-moved", edit(FIXED_POD, "spec.containers.0.volumeMounts.0.mountPath", "/uploads"),
     {"no two mounts of one container share a mountPath"}, "it looks for them in /data"),
    ("uploader-mount-deleted", edit(FIXED_POD, "spec.containers.1.volumeMounts", delete=True),
     {REST_KEPT}, "Keep uploader's mount"),
    ("cache-mount-deleted", edit(FIXED_POD, "spec.containers.0.volumeMounts.1", {"name": "uploads",
                                                                                   "mountPath": "/more"}),
     {"every volumeMount names a volume the Pod defines"}, "instead of deleting the mount"),
]


@pytest.mark.parametrize(("answer", "fails", "says"), [c[1:] for c in FIX_CASES], ids=[c[0] for c in FIX_CASES])
def test_fix_mounts_mistakes(answer: str, fails: set[str], says: str) -> None:
    """Does each incomplete or over-eager fix fail exactly its cases, quoting the checker where it applies?"""
    assert failed(ch4.fix_mounts, answer) == fails
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


# ---------------------------------------------------------------------------
# Requirement tables: equally correct answers earn full marks; breaking one stated
# requirement loses exactly the cases that grade it, with a message naming the fix.
# ---------------------------------------------------------------------------

DIGEST = "sha256:" + "e" * 64
LOG_APP = "app keeps its image and command and writes to logs at /var/log/app"
LOG_RO = "log-shipper mounts logs read-only at /logs"

LOG_ALTERNATIVES = [
    LOG_POD.replace("mountPath: /logs,", "mountPath: /logs/,").replace("mountPath: /var/log/app}",
                                                                      "mountPath: /var/log/app/}"),
    LOG_POD.replace('args: ["sh", "-c", "tail -n+1 -F /logs/app.log"]',
                    'command: ["tail", "-n", "+1", "-F", "/logs/app.log"]')
    .replace("    image: busybox:1.35\n    restartPolicy",
             "    image: docker.io/library/busybox:1.35\n    restartPolicy"),
    LOG_POD.replace('args: ["sh", "-c", "tail -n+1 -F /logs/app.log"]',
                    'env: [{name: DIR, value: /logs}]\n    args: ["sh", "-c", "tail -n+1 -F $(DIR)/app.log"]'),
    edit(LOG_POD, "spec.volumes.0.emptyDir", {"sizeLimit": "500Mi"}),
]
LOG_BREAKS = [
    ("app-image", LOG_POD.replace("  - name: app\n    image: busybox:1.35", "  - name: app\n    image: alpine:3.20"),
     {LOG_APP}, "Keep `image: busybox:1.35`"),
    ("app-command", edit(LOG_POD, "spec.containers.0.args", ["sleep", "infinity"]), {LOG_APP},
     "no longer runs the starter's command"),
    ("shipper-image", LOG_POD.replace("    image: busybox:1.35\n    restartPolicy",
                                      f"    image: busybox@{DIGEST}\n    restartPolicy"), {NATIVE},
     "Use `image: busybox:1.35`"),
    ("shipper-args", edit(LOG_POD, "spec.initContainers.0.args", ["sh", "-c", "tail -F /logs/other.log"]), {NATIVE},
     "does not follow /logs/app.log"),
    ("shipper-path", edit(LOG_POD, "spec.initContainers.0.volumeMounts.0.mountPath", "/var/log"), {LOG_RO},
     "Use `mountPath: /logs`"),
]


@pytest.mark.parametrize("answer", LOG_ALTERNATIVES)
def test_log_collection_alternatives(answer: str) -> None:
    """Does every equally correct log Pod (trailing slashes, command form, registry, $(VAR), sizeLimit) pass?"""
    points, messages = score(ch4.log_collection, answer)
    assert points == ch4.log_collection.max_points, messages


@pytest.mark.parametrize(("answer", "fails", "says"), [b[1:] for b in LOG_BREAKS], ids=[b[0] for b in LOG_BREAKS])
def test_log_collection_requirements(answer: str, fails: set[str], says: str) -> None:
    """Does breaking one more requirement of the log Pod lose exactly its case, with a message naming the fix?"""
    assert failed(ch4.log_collection, answer) == fails
    points, text = score(ch4.log_collection, answer)
    assert points == ch4.log_collection.max_points - len(fails) and says in text


CONFIG_ALTERNATIVES = [
    CONFIG_POD.replace("echo 'events {}' > /work/nginx.conf", "cd /work && printf 'events {}\\n' > nginx.conf"),
    CONFIG_POD.replace('command: ["sh", "-c", "echo \'events {}\' > /work/nginx.conf"]',
                       'env: [{name: OUT, value: /work}]\n    command: ["sh", "-c", "echo x | tee $(OUT)/nginx.conf"]'),
    CONFIG_POD.replace("subPath: nginx.conf", "subPath: ./nginx.conf").replace("mountPath: /work}",
                                                                               "mountPath: /work/}"),
    CONFIG_POD.replace("image: nginx:1.22", "image: docker.io/library/nginx:1.22@" + DIGEST),
]
CONFIG_BREAKS = [
    ("writes-nothing", edit(CONFIG_POD, "spec.initContainers.0.command", ["sh", "-c", "true"]), {RENDERER},
     "never writes /work/nginx.conf"),
    ("no-command", edit(CONFIG_POD, "spec.initContainers.0.command", delete=True), {RENDERER},
     "the image's default command"),
    ("reads-only", edit(CONFIG_POD, "spec.initContainers.0.command", ["cat", "/work/nginx.conf"]), {RENDERER},
     "never writes"),
    ("wrong-file", edit(CONFIG_POD, "spec.initContainers.0.command", ["sh", "-c", "echo x > /work/default.conf"]),
     {RENDERER}, "never writes /work/nginx.conf"),
    ("renderer-path", edit(CONFIG_POD, "spec.initContainers.0.volumeMounts.0.mountPath", "/out"), {RENDERER},
     "Use `mountPath: /work`"),
    ("renderer-image", CONFIG_POD.replace("image: busybox:1.35", "image: alpine:3.20"), {RENDERER},
     "Use `image: busybox:1.35`"),
    ("web-image", CONFIG_POD.replace("image: nginx:1.22", "image: nginx:1.27"), {WEB_SUBPATH},
     "Use `image: nginx:1.22`"),
    ("web-port", edit(CONFIG_POD, "spec.containers.0.ports", delete=True), {WEB_SUBPATH}, "does not declare port 80"),
    ("web-port-quoted", edit(CONFIG_POD, "spec.containers.0.ports.0.containerPort", "80"),
     {WEB_SUBPATH, "the Pod mounts its volumes and the checker reports no errors"}, "must be an integer"),
]


@pytest.mark.parametrize("answer", CONFIG_ALTERNATIVES)
def test_config_distribution_alternatives(answer: str) -> None:
    """Does every equally correct config Pod (cd + relative name, tee and $(VAR), ./subPath, digest) pass?"""
    points, messages = score(ch4.config_distribution, answer)
    assert points == ch4.config_distribution.max_points, messages


@pytest.mark.parametrize(("answer", "fails", "says"), [b[1:] for b in CONFIG_BREAKS],
                         ids=[b[0] for b in CONFIG_BREAKS])
def test_config_distribution_requirements(answer: str, fails: set[str], says: str) -> None:
    """Does an init container that writes nothing, or any other broken requirement, lose exactly its case?"""
    assert failed(ch4.config_distribution, answer) == fails
    points, text = score(ch4.config_distribution, answer)
    assert points == ch4.config_distribution.max_points - len(fails) and says in text


FIX_ALTERNATIVES = [
    FIXED_POD.replace("sizeLimit: 64Mi", "sizeLimit: 128Mi").replace("mountPath: /data", "mountPath: /data/"),
    FIXED_POD.replace("sizeLimit: 64Mi", 'sizeLimit: "67108864"').replace("memory: 256Mi", "memory: 268435456"),
    FIXED_POD.replace("mountPath: /cache", "mountPath: /var/cache/resizer").replace(
        "image: ghcr.io/example/uploader:0.9.2", f"image: ghcr.io/example/uploader:0.9.2@{DIGEST}"),
]
FIX_BREAKS = [
    ("limit-raised", FIXED_POD.replace("memory: 256Mi", "memory: 1Gi"), {REST_KEPT}, "Keep `memory: 256Mi`"),
    ("renamed", FIXED_POD.replace("name: thumbnailer", "name: thumbs"), {REST_KEPT}, "Set `name: thumbnailer`"),
    ("image-changed", FIXED_POD.replace("resizer:1.4.0", "resizer:1.5.0"), {REST_KEPT}, "Keep `image: ghcr.io"),
    ("half-exceeded", FIXED_POD.replace("sizeLimit: 64Mi", "sizeLimit: 200Mi"), {TMPFS}, "at most half of 256Mi"),
]


@pytest.mark.parametrize("answer", FIX_ALTERNATIVES)
def test_fix_mounts_alternatives(answer: str) -> None:
    """Does every equally correct fix (128Mi, quantities as bytes, another cache path, digest) earn full marks?"""
    points, messages = score(ch4.fix_mounts, answer)
    assert points == ch4.fix_mounts.max_points, messages


@pytest.mark.parametrize(("answer", "fails", "says"), [b[1:] for b in FIX_BREAKS], ids=[b[0] for b in FIX_BREAKS])
def test_fix_mounts_requirements(answer: str, fails: set[str], says: str) -> None:
    """Does changing what the task says to keep lose exactly the keep case, naming what to restore?"""
    assert failed(ch4.fix_mounts, answer) == fails
    points, text = score(ch4.fix_mounts, answer)
    assert points == ch4.fix_mounts.max_points - len(fails) and says in text


@pytest.mark.parametrize("answer", [
    {k: {"kept": "Kept", "lost": "LOST"}[v] for k, v in SURVIVES.items()},
    {k: {"kept": "yes", "lost": "no"}[v] for k, v in SURVIVES.items()},
    {f" {k.lower()}": {"kept": "stays", "lost": "wiped"}[v] for k, v in SURVIVES.items()},
])
def test_lifetime_alternatives(answer: dict[str, Any]) -> None:
    """Are any case, yes/no words and synonyms read as the same predictions?"""
    assert score(ch4.lifetime, answer)[0] == 8


@pytest.mark.parametrize("letter", sorted(SURVIVES))
def test_lifetime_each_situation(letter: str) -> None:
    """Does one wrong prediction lose exactly its point and explain that situation?"""
    answer = {**SURVIVES, letter: {"kept": "lost", "lost": "kept"}[SURVIVES[letter]]}
    assert failed_list(ch4.lifetime, answer) == [f"situation {letter}"]
    points, text = score(ch4.lifetime, answer)
    assert points == 7 and ch4.LIFETIME[letter][1] in text
