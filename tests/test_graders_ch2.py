"""Unit tests for graders.ch2 and the chapter 2 lab runner (graders.ch2lab)."""

from __future__ import annotations

import copy
import os
from typing import Any

import pytest
from grader_support import score

from graders import ch2, ch2lab

NS_SOLUTION = {"net": "always", "ipc": "always", "uts": "always", "pid": "shareProcessNamespace",
               "mnt": "never", "user": "always", "cgroup": "never", "time": "always"}

DEBUG_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: web-debug
spec:
  shareProcessNamespace: true
  containers:
  - name: app
    image: nginx:1.22
  - name: debug
    image: busybox:1.35
    command: ["sleep", "infinity"]
"""

PAUSE_SOLUTION = {"A": False, "B": True, "C": False, "D": True, "E": False, "F": False, "G": True, "H": True}

LAB_PREDICTION = {
    "net": ("same", "same", "different"),
    "ipc": ("same", "same", "different"),
    "uts": ("same", "same", "different"),
    "pid": ("different", "same", "different"),
    "mnt": ("different", "different", "different"),
}


def good_observe(pod: Any, proc: str = "/proc") -> dict[str, Any]:
    def read(pid: int) -> dict[str, str]:
        return {k: os.readlink(f"{proc}/{pid}/ns/{k}") for k in ch2lab.LAB_KINDS}

    return {"app": read(pod.container("app").pid), "sidecar": read(pod.container("sidecar").pid),
            "pause": read(pod.pause_pid), "outside": read(os.getpid())}


def recorded_lab() -> dict[str, Any]:
    rec = ch2lab.recording()["lab"]
    return {"prediction": LAB_PREDICTION,
            "default": {"source": "recorded", "share_pid": False, "observed": copy.deepcopy(rec["default"]["links"])},
            "shared_pid": {"source": "recorded", "share_pid": True,
                           "observed": copy.deepcopy(rec["shared_pid"]["links"])}}


# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "points", "message"), [
    ({}, 8, ""),
    ({"pid": "always"}, 7, "pid is 'shareProcessNamespace', not 'always'"),
    ({"mnt": "always", "cgroup": "always"}, 6, "mnt is 'never'"),
    ({"user": "never"}, 7, "hostUsers: false"),
    ({"time": "never"}, 7, "never creates time namespaces"),
    ({"pid": "sometimes", "net": True, "ipc": "yes", "mnt": False}, 8, ""),
    ({"uts": "maybe"}, 7, "is not one of"),
    ({"net": None}, 7, "is not one of"),
])
def test_pod_namespaces(change: dict[str, Any], points: float, message: str) -> None:
    """Does each wrong namespace cost exactly its point, with an explanation naming the right answer?"""
    got, text = score(ch2.pod_namespaces, {**NS_SOLUTION, **change})
    assert got == points
    assert message in text


@pytest.mark.parametrize(("answer", "points", "message"), [
    ({"net": "always"}, 1, "ipc has no answer"),
    ("net: always\nmnt: never\n", 2, "pid has no answer"),
    ([1, 2, 3], 0, "must be a dict"),
    ({}, 0, "still empty"),
    (None, 0, "still empty"),
])
def test_pod_namespaces_shapes(answer: Any, points: float, message: str) -> None:
    """Do partial, YAML, wrongly shaped and empty prediction tables earn what they should without raising?"""
    got, text = score(ch2.pod_namespaces, answer)
    assert got == points
    assert message in text


def _debug(old: str, new: str) -> str:
    assert old in DEBUG_POD
    return DEBUG_POD.replace(old, new)


@pytest.mark.parametrize(("manifest", "points", "message"), [
    (DEBUG_POD, 7, ""),
    (_debug("  shareProcessNamespace: true\n", ""), 6, "Set `shareProcessNamespace: true` under spec"),
    (_debug("  shareProcessNamespace: true\n", "").replace("image: nginx:1.22\n",
                                                           "image: nginx:1.22\n    shareProcessNamespace: true\n"),
     5, "It is a Pod-level field"),
    (_debug("shareProcessNamespace: true", 'shareProcessNamespace: "true"'), 5, "Write true without quotes"),
    (_debug("shareProcessNamespace: true", "hostPID: true"), 5, "hostPID: true puts the Pod in the node's PID"),
    (_debug('    command: ["sleep", "infinity"]\n', ""), 6, "CrashLoopBackOff"),
    (_debug('    command: ["sleep", "infinity"]\n', '    command: ["echo", "hi"]\n'), 6, "exits (soon)"),
    (_debug('    command: ["sleep", "infinity"]\n', "    stdin: true\n    tty: true\n"), 7, ""),
    (_debug("image: nginx:1.22", "image: nginx"), 6, "does not name a version"),
    (_debug("name: web-debug", "name: debug-pod"), 6, "metadata.name: the Pod is named 'debug-pod'"),
    (_debug("name: debug\n", "name: shell\n"), 5, "there is no container named 'debug'"),
    (_debug('    command: ["sleep", "infinity"]\n',
            '    command: ["sleep", "infinity"]\n    securityContext:\n      privileged: true\n'), 6,
     "privileged"),
    (_debug("kind: Pod", "kind: Deployment"), 5, "this exercise asks for a Pod"),
])
def test_debug_sidecar(manifest: str, points: float, message: str) -> None:
    """Does each realistic mistake in the shared-PID Pod lose the right points with a what-to-change message?"""
    got, text = score(ch2.debug_sidecar, manifest)
    assert got == points, text
    assert message in text


def test_debug_sidecar_dict_answer() -> None:
    """Is a manifest written as a Python dict graded like its YAML?"""
    import yaml

    got, _ = score(ch2.debug_sidecar, yaml.safe_load(DEBUG_POD))
    assert got == 7


@pytest.mark.parametrize(("change", "points", "message"), [
    ({}, 8, ""),
    ({"A": True}, 7, "the kubelet decides when containers start"),
    ({"C": True}, 7, "crictl pods"),
    ({"E": True}, 7, "tini"),
    ({"F": True, "H": False}, 6, "a few hundred kilobytes"),
    ({"B": "yes", "C": "no", "D": "true", "E": "myth"}, 8, ""),
    ({"G": "perhaps"}, 7, "neither True nor False"),
])
def test_pause_myths(change: dict[str, Any], points: float, message: str) -> None:
    """Does each misjudged statement about the pause container cost one point and say why?"""
    got, text = score(ch2.pause_myths, {**PAUSE_SOLUTION, **change})
    assert got == points
    assert message in text


def test_pause_myths_lowercase_keys() -> None:
    """Are lowercase letters accepted as statement keys?"""
    got, _ = score(ch2.pause_myths, {k.lower(): v for k, v in PAUSE_SOLUTION.items()})
    assert got == 8


# ---------------------------------------------------------------------------
# The lab


def _lab_with(**changes: Any) -> dict[str, Any]:
    lab = recorded_lab()
    for path, value in changes.items():
        run, role, kind = path.split("__")
        lab[run]["observed"][role][kind] = value
    return lab


def _swap_pid_reading(lab: dict[str, Any]) -> dict[str, Any]:
    # A learner who read the app's pid for the sidecar as well.
    for run in ("default", "shared_pid"):
        lab[run]["observed"]["sidecar"] = dict(lab[run]["observed"]["app"])
    return lab


def _outside_is_app(lab: dict[str, Any]) -> dict[str, Any]:
    for run in ("default", "shared_pid"):
        lab[run]["observed"]["outside"] = dict(lab[run]["observed"]["app"])
    return lab


@pytest.mark.parametrize(("lab", "points", "message"), [
    (recorded_lab(), 10, ""),
    ({**recorded_lab(), "prediction": {**LAB_PREDICTION, "pid": ("same", "same", "different")}}, 9,
     "app vs sidecar: different"),
    ({**recorded_lab(), "prediction": {**LAB_PREDICTION, "mnt": ("same", "same", "different")}}, 9,
     "app vs sidecar with shareProcessNamespace: different"),
    ({**recorded_lab(), "prediction": {k: (True, True, False) for k in LAB_PREDICTION}}, 8, "pid prediction"),
    ({**recorded_lab(), "prediction": {}}, 5, "LAB_PREDICTION is empty"),
    ({**recorded_lab(), "prediction": {**LAB_PREDICTION, "net": "same"}}, 9, "it needs three words"),
    (_swap_pid_reading(recorded_lab()), 8, "probably read the same pid twice"),
    (_outside_is_app(recorded_lab()), 9, "the outside entry must be the notebook kernel's own process"),
    (_lab_with(default__app__net="net:[1]"), 9, "app is not in the pause process's net"),
    (_lab_with(default__app__net="4026532179"), 6, "not a link like 'net:[4026532179]'"),
    (_lab_with(shared_pid__sidecar__pid="pid:[42]"), 9, "pid links of app, sidecar and pause differ"),
    ({**recorded_lab(), "default": {"source": "live", "error": "observe() returned None; make it return"}}, 6,
     "the default lab run stopped: observe() returned None"),
    ({**recorded_lab(), "shared_pid": None}, 6, "the shareProcessNamespace lab run is missing"),
    ([1, 2], 0, "must be the dict the lab cells build"),
])
def test_namespaces_lab(lab: Any, points: float, message: str) -> None:
    """Do wrong predictions and buggy observation code each lose their own points, with a hint at the bug?"""
    got, text = score(ch2.namespaces_lab, lab)
    assert got == points, text
    assert message in text


@pytest.mark.parametrize("share_pid", [False, True])
def test_replay_runs_learner_code(share_pid: bool) -> None:
    """Does the replayed /proc give a learner's os.readlink code exactly the recorded links?"""
    rec = ch2lab.recording()["lab"]["shared_pid" if share_pid else "default"]["links"]
    with ch2lab.replay(share_pid) as (pod, proc):
        got = good_observe(pod, proc)
        assert os.readlink(f"{proc}/self/ns/net") == rec["outside"]["net"]
    assert got == rec
    assert not os.path.exists(proc)


def test_run_lab_recorded_grades_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without namespaces, does the lab replay the recording and still earn full marks for correct code?"""
    monkeypatch.setattr(ch2lab, "support", lambda: (False, "test: no namespaces"))
    lab = {"prediction": LAB_PREDICTION, "default": ch2lab.run_lab(good_observe, False),
           "shared_pid": ch2lab.run_lab(good_observe, True)}
    assert lab["default"]["source"] == "recorded"
    assert lab["default"]["why_recorded"] == "test: no namespaces"
    assert score(ch2.namespaces_lab, lab)[0] == 10


@pytest.mark.parametrize(("observe", "error"), [
    (lambda pod, proc: None, "returned None"),
    (lambda pod, proc: 1 / 0, "observe() raised ZeroDivisionError"),
    (lambda pod, proc: pod.container("web"), "observe() raised KeyError"),
])
def test_run_lab_reports_learner_errors(monkeypatch: pytest.MonkeyPatch, observe: Any, error: str) -> None:
    """Does a broken observe() come back as an error sentence instead of an exception?"""
    monkeypatch.setattr(ch2lab, "support", lambda: (False, "test"))
    got = ch2lab.run_lab(observe)
    assert error in got["error"]


@pytest.mark.skipif(not ch2lab.support()[0], reason="this machine cannot create namespaces")
def test_run_lab_live() -> None:
    """On a machine with namespaces, does the live lab produce an artifact the grader gives full marks?"""
    lab = {"prediction": LAB_PREDICTION, "default": ch2lab.run_lab(good_observe, False),
           "shared_pid": ch2lab.run_lab(good_observe, True)}
    assert lab["default"]["source"] == lab["shared_pid"]["source"] == "live"
    assert score(ch2.namespaces_lab, lab)[0] == 10


@pytest.mark.skipif(not ch2lab.support()[0], reason="this machine cannot create namespaces")
def test_pid_views_live_match_recording() -> None:
    """Does a live run of the PID demo show what the recording shows (visible and killable only when shared)?"""
    live = ch2lab.pid_views()
    assert live["source"] == "live"
    for key in ("not_shared", "shared"):
        rec = ch2lab.recording()["pid_views"][key]
        assert live[key]["signalled"] == rec["signalled"]
        assert live[key]["app_stopped_by_signal"] == rec["app_stopped_by_signal"]


def test_recording_is_consistent_with_the_truth_table() -> None:
    """Does the shipped recording itself satisfy every relationship the lab grader checks?"""
    for run, col in (("default", 0), ("shared_pid", 1)):
        links = ch2lab.recording()["lab"][run]["links"]
        for kind, row in ch2.LAB_TRUTH.items():
            same = links["app"][kind] == links["sidecar"][kind]
            assert same == (row[col] == "same"), (run, kind)
            assert (links["app"][kind] == links["outside"][kind]) == (row[2] == "same"), (run, kind)


# ---------------------------------------------------------------------------
# Requirement tables for the debugging sidecar


def _debug_native_sidecar() -> str:
    import yaml

    doc = yaml.safe_load(DEBUG_POD)
    debug = doc["spec"]["containers"].pop(1)
    doc["spec"]["initContainers"] = [{**debug, "restartPolicy": "Always"}]
    return yaml.safe_dump(doc, sort_keys=False)


DEBUG_ALTERNATIVES = [
    _debug("image: busybox:1.35", "image: docker.io/library/busybox:1.35").replace(
        "image: nginx:1.22", "image: docker.io/library/nginx:1.22"),
    _debug('command: ["sleep", "infinity"]', 'command: ["sh", "-c", "sleep 86400"]'),
    _debug('command: ["sleep", "infinity"]', 'args: ["tail", "-f", "/dev/null"]').replace(
        "image: busybox:1.35", "image: busybox:1.35@sha256:" + "c" * 64),
    _debug_native_sidecar(),
]

S_VALID, S_CLEAN, S_PID, S_NAME = ("it is one Pod manifest (apiVersion v1, kind Pod)", "the checker reports no errors",
                                   "the containers share one PID namespace", "the Pod is named web-debug")
S_TWO, S_UP, S_NODE = ("two containers: app (pinned nginx) and debug (busybox)", "the debug container keeps running",
                       "nothing is shared with the node and nothing is privileged")
DEBUG_BREAKS = [
    ("name", _debug("name: web-debug", "name: debug"), {S_NAME}, "Set `name: web-debug`"),
    ("app-not-nginx", _debug("image: nginx:1.22", "image: httpd:2.4"), {S_TWO}, "use nginx"),
    ("app-unpinned", _debug("image: nginx:1.22", "image: nginx:latest"), {S_TWO}, "does not name a version"),
    ("debug-image", _debug("image: busybox:1.35", "image: alpine:3.20"), {S_TWO}, "Use busybox"),
    ("short-sleep", _debug('command: ["sleep", "infinity"]', 'command: ["sleep", "5"]'), {S_UP}, "exits (soon)"),
    ("no-share", _debug("  shareProcessNamespace: true\n", ""), {S_PID}, "shareProcessNamespace: true"),
    ("host-ipc", _debug("  shareProcessNamespace: true\n", "  shareProcessNamespace: true\n  hostIPC: true\n"),
     {S_NODE}, "Remove hostIPC"),
    ("privileged", _debug('    command: ["sleep", "infinity"]\n',
                          '    command: ["sleep", "infinity"]\n    securityContext: {privileged: true}\n'),
     {S_NODE}, "privileged"),
    ("invalid", _debug("name: debug\n", "name: Debug_Shell\n"), {S_CLEAN, S_TWO, S_UP}, "RFC 1123"),
]


@pytest.mark.parametrize("answer", DEBUG_ALTERNATIVES)
def test_debug_sidecar_alternatives(answer: str) -> None:
    """Does every equally correct shared-PID Pod (registry, digest, other long waits, native sidecar) pass?"""
    got, text = score(ch2.debug_sidecar, answer)
    assert got == ch2.debug_sidecar.max_points, text


@pytest.mark.parametrize(("answer", "names", "says"), [b[1:] for b in DEBUG_BREAKS], ids=[b[0] for b in DEBUG_BREAKS])
def test_debug_sidecar_requirements(answer: str, names: set[str], says: str) -> None:
    """Does breaking one requirement of the shared-PID Pod lose exactly its cases, with a message naming the fix?"""
    points, results, _ = ch2.debug_sidecar.grade(answer, hidden=True)
    text = "\n".join(m for r in results for m in r.messages)
    assert {r.case.name for r in results if not r.passed} == names, text
    assert points == ch2.debug_sidecar.max_points - len(names)
    assert says in text


@pytest.mark.parametrize("answer", [
    {k.upper(): v.upper() for k, v in NS_SOLUTION.items()},
    {k: {"always": "shared", "never": "own"}.get(v, "opt-in") for k, v in NS_SOLUTION.items()},
    {k: {"always": True, "never": False}.get(v, "only with shareProcessNamespace: true")
     for k, v in NS_SOLUTION.items()},
])
def test_pod_namespaces_alternatives(answer: dict[str, Any]) -> None:
    """Are upper case, synonyms and booleans read as the same namespace answers?"""
    assert score(ch2.pod_namespaces, answer)[0] == 8


@pytest.mark.parametrize("kind", sorted(ch2.POD_SHARING))
def test_pod_namespaces_each_row(kind: str) -> None:
    """Does one wrong namespace lose exactly its point and explain that namespace?"""
    wrong = "never" if NS_SOLUTION[kind] != "never" else "always"
    got, text = score(ch2.pod_namespaces, {**NS_SOLUTION, kind: wrong})
    assert got == 7 and ch2.POD_SHARING[kind][1] in text


@pytest.mark.parametrize("answer", [
    {k: "true" if v else "false" for k, v in PAUSE_SOLUTION.items()},
    {k: "yes" if v else "myth" for k, v in PAUSE_SOLUTION.items()},
    {k.lower(): "T" if v else "F" for k, v in PAUSE_SOLUTION.items()},
])
def test_pause_myths_alternatives(answer: dict[str, Any]) -> None:
    """Are true/false written as words, yes/myth and single letters all read as the same verdicts?"""
    assert score(ch2.pause_myths, answer)[0] == 8


@pytest.mark.parametrize("letter", sorted(ch2.PAUSE_STATEMENTS))
def test_pause_myths_each_statement(letter: str) -> None:
    """Does one misjudged statement lose exactly its point and explain it?"""
    got, text = score(ch2.pause_myths, {**PAUSE_SOLUTION, letter: not PAUSE_SOLUTION[letter]})
    assert got == 7 and ch2.PAUSE_STATEMENTS[letter][1] in text
