"""Unit tests for graders.ch5, its lab runner (graders.ch5lab) and the in-container probes (graders.ch5tool)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from typing import Any

import pytest

from graders import ch5, ch5lab, ch5tool

SOCKET_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: app-with-helper
spec:
  containers:
  - name: app
    image: registry.example.com/shop/api:2.3
    volumeMounts:
    - name: sockets
      mountPath: /run/app
  - name: helper
    image: registry.example.com/shop/metrics-helper:1.0
    env:
    - name: APP_SOCKET
      value: /sockets/app.sock
    volumeMounts:
    - name: sockets
      mountPath: /sockets
  volumes:
  - name: sockets
    emptyDir: {}
"""

MECHANISMS = {
    "sysv_message_queue": "always", "sysv_shared_memory": "always", "sysv_semaphore": "always",
    "posix_message_queue": "always", "posix_shared_memory": "always", "unix_socket_path": "shared volume",
    "unix_socket_abstract": "always", "tcp_localhost": "always", "named_pipe": "shared volume",
    "signal": "shareProcessNamespace",
}

RELOAD_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: web-reload
spec:
  shareProcessNamespace: true
  containers:
  - name: web
    image: nginx:1.22
    volumeMounts:
    - name: config
      mountPath: /etc/nginx/conf.d
  - name: reloader
    image: busybox:1.35
    command: ["sh", "-c", "while sleep 10; do pkill -HUP -o nginx; done"]
    volumeMounts:
    - name: config
      mountPath: /config
  volumes:
  - name: config
    configMap:
      name: web-config
"""

DIAGNOSIS = {"reloader_can_signal_web": False, "namespace_signals_need": "pid", "pss_level": "baseline",
             "pss_check": "hostNamespaces", "path": "spec.hostIPC"}

PREDICTION = {key: want for key, (want, _) in ch5.LAB_TRUTH.items()}


def score(exercise: Any, answer: Any) -> tuple[float, str]:
    points, results, _ = exercise.grade(answer, hidden=True)
    return points, "\n".join(m for r in results for m in r.messages)


def edit(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new)


# ---------------------------------------------------------------------------
# Exercise 1: the Unix socket Pod
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("manifest", "points", "message"), [
    (SOCKET_POD, 7, ""),
    (edit(SOCKET_POD, "value: /sockets/app.sock", "value: /run/app/app.sock"), 6, "own filesystem"),
    (edit(SOCKET_POD, "value: /sockets/app.sock", "value: /sockets/helper.sock"), 6, "connect() would fail"),
    (edit(SOCKET_POD, "value: /sockets/app.sock", "value: sockets/app.sock"), 6, "must be an absolute path"),
    (edit(SOCKET_POD, "    - name: APP_SOCKET\n      value: /sockets/app.sock\n",
          "    - name: OTHER\n      value: x\n"), 6, "has no APP_SOCKET variable"),
    (edit(SOCKET_POD, "      mountPath: /sockets\n", "      mountPath: /sockets\n      subPath: s\n"), 6,
     "connect() would fail"),
    # The same file reached through matching subPaths in both containers is fine.
    (edit(edit(SOCKET_POD, "      mountPath: /sockets\n", "      mountPath: /sockets\n      subPath: s\n"),
          "      mountPath: /run/app\n", "      mountPath: /run/app\n      subPath: s\n"), 7, ""),
    # Mounting the volume at /run in the app puts the socket at app/app.sock inside it.
    (edit(SOCKET_POD, "      mountPath: /run/app\n", "      mountPath: /run\n"), 6, "'app/app.sock'"),
    (edit(edit(SOCKET_POD, "      mountPath: /run/app\n", "      mountPath: /run\n"),
          "value: /sockets/app.sock", "value: /sockets/app/app.sock"), 7, ""),
    (edit(SOCKET_POD, "      mountPath: /run/app\n", "      mountPath: /run/app\n      readOnly: true\n"), 6,
     "EROFS"),
    (edit(SOCKET_POD, "    emptyDir: {}", "    emptyDir:\n      medium: Memory"), 7, ""),
    (edit(SOCKET_POD, "    emptyDir: {}", "    hostPath:\n      path: /var/run/shop"), 4, "is a hostPath"),
    (edit(SOCKET_POD, "spec:\n", "spec:\n  hostIPC: true\n"), 6, "Remove hostIPC"),
    (edit(SOCKET_POD, "metrics-helper:1.0", "metrics-helper"), 6, "names no version"),
    (edit(SOCKET_POD, "name: app-with-helper", "name: app"), 6, "the Pod is named 'app'"),
    (edit(SOCKET_POD, "  - name: helper\n", "  - name: sidecar\n"), 5, "there is no container named 'helper'"),
    (edit(SOCKET_POD, "    - name: sockets\n      mountPath: /sockets\n",
          "    - name: sockz\n      mountPath: /sockets\n"), 4, "no valid volume of this name"),
])
def test_socket_pod(manifest: str, points: float, message: str) -> None:
    """Does each realistic socket-sharing mistake lose the right points with a message saying what to change?"""
    got, text = score(ch5.socket_pod, manifest)
    assert got == points, text
    assert message in text


HELPER = "".join([
    "  - name: helper\n    image: registry.example.com/shop/metrics-helper:1.0\n    env:\n",
    "    - name: APP_SOCKET\n      value: /sockets/app.sock\n",
    "    volumeMounts:\n    - name: sockets\n      mountPath: /sockets\n",
])
SOCKET_ALTERNATIVES = [
    ("trailing-slash", edit(SOCKET_POD, "      mountPath: /sockets\n", "      mountPath: /sockets/\n")),
    ("dot-in-path", edit(SOCKET_POD, "value: /sockets/app.sock", "value: /sockets/./app.sock")),
    ("helper-native-sidecar", SOCKET_POD.replace(HELPER, "").replace(
        "spec:\n", "spec:\n  initContainers:\n" + HELPER.replace("    env:", "    restartPolicy: Always\n    env:"))),
    ("image-digest", edit(SOCKET_POD, "metrics-helper:1.0", "metrics-helper:1.0@sha256:" + "a" * 64)),
    ("var-expansion", edit(SOCKET_POD, "    - name: APP_SOCKET\n      value: /sockets/app.sock\n",
                           "    - name: SOCK_DIR\n      value: /sockets\n    - name: APP_SOCKET\n"
                           "      value: $(SOCK_DIR)/app.sock\n")),
    # connect() needs no write access to the mount: a read-only mount of the socket's directory is enough.
    ("helper-read-only", edit(SOCKET_POD, "      mountPath: /sockets\n",
                              "      mountPath: /sockets\n      readOnly: true\n")),
]


@pytest.mark.parametrize("answer", [a for _, a in SOCKET_ALTERNATIVES], ids=[n for n, _ in SOCKET_ALTERNATIVES])
def test_socket_pod_equivalent_answers(answer: str) -> None:
    """Does every equally right socket Pod (native sidecar, $(VAR), trailing slash, digest) get full marks?"""
    got, text = score(ch5.socket_pod, answer)
    assert got == ch5.socket_pod.max_points, text


@pytest.mark.parametrize("answer", [None, "", "   ", [], 7, "x: [", "- a\n- b\n", {"kind": 3, "spec": []},
                                    {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": "app"}},
                                    {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [
                                        {"name": "app", "volumeMounts": [{"name": 1, "mountPath": 2}]},
                                        {"name": "helper", "env": [None, {"name": "APP_SOCKET", "value": 5}]}],
                                        "volumes": "x"}}])
def test_socket_pod_hostile_answers(answer: Any) -> None:
    """Do strange answers to the socket exercise earn a low score and a sentence, never an exception?"""
    got, text = score(ch5.socket_pod, answer)
    assert got <= 2
    assert text


# ---------------------------------------------------------------------------
# Exercise 2: the mechanism table
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "points", "message"), [
    ({}, 10, ""),
    ({"posix_shared_memory": "shared volume"}, 9, "containerd and CRI-O mount the sandbox's one /dev/shm"),
    ({"unix_socket_abstract": "shared volume"}, 9, "belong to the network namespace"),
    ({"unix_socket_path": "always"}, 9, "mount namespaces are never shared"),
    ({"signal": "always"}, 9, "shareProcessNamespace: true"),
    ({"named_pipe": "never"}, 9, "named_pipe is 'shared volume', not 'never'"),
    ({"sysv_semaphore": "shareProcessNamespace"}, 9, "semaphore sets belong to the IPC namespace"),
    ({"signal": "shared PID namespace", "unix_socket_path": "emptyDir", "tcp_localhost": True}, 10, ""),
    ({"signal": "Share-Process-Namespace"}, 10, ""),
    ({"tcp_localhost": "maybe"}, 9, "is not one of"),
])
def test_choose_mechanism(change: dict[str, Any], points: float, message: str) -> None:
    """Does each wrong row cost exactly its point, and are common spellings of the right answer accepted?"""
    got, text = score(ch5.choose_mechanism, {**MECHANISMS, **change})
    assert got == points, text
    assert message in text


@pytest.mark.parametrize(("answer", "points", "message"), [
    ({"signal": "shareProcessNamespace"}, 1, "sysv_message_queue has no answer"),
    ("signal: shareProcessNamespace\nnamed_pipe: shared volume\n", 2, "has no answer"),
    ({k.upper(): v for k, v in MECHANISMS.items()}, 10, ""),
    (["always"], 0, "must be a dict"),
    ({}, 0, "still empty"),
])
def test_choose_mechanism_shapes(answer: Any, points: float, message: str) -> None:
    """Do partial, YAML, upper-case, wrongly shaped and empty tables earn what they should without raising?"""
    got, text = score(ch5.choose_mechanism, answer)
    assert got == points, text
    assert message in text


# ---------------------------------------------------------------------------
# Exercise 3: the SIGHUP reloader
# ---------------------------------------------------------------------------


def _reloader_sc(sc: str) -> str:
    return edit(RELOAD_POD, "  - name: reloader\n", "  - name: reloader\n    securityContext:\n" + sc)


@pytest.mark.parametrize(("manifest", "points", "message"), [
    (RELOAD_POD, 7, ""),
    (edit(RELOAD_POD, "  shareProcessNamespace: true\n", ""), 6, "separate PID namespaces"),
    (edit(RELOAD_POD, "  shareProcessNamespace: true\n", "  hostPID: true\n"), 5, "node's PID namespace"),
    (edit(RELOAD_POD, "  shareProcessNamespace: true\n", "  hostIPC: true\n"), 5, "Remove hostIPC"),
    (edit(RELOAD_POD, "shareProcessNamespace: true", 'shareProcessNamespace: "true"'), 5, "without quotes"),
    (_reloader_sc("      runAsUser: 1000\n"), 6, "kill fails with EPERM"),
    (_reloader_sc("      runAsUser: 1000\n      capabilities:\n        add: [KILL]\n"), 6, "no ambient capabilities"),
    # Same UID needs no capability at all; root signalling another user needs CAP_KILL.
    (_reloader_sc("      capabilities:\n        drop: [ALL]\n"), 7, ""),
    (edit(_reloader_sc("      capabilities:\n        drop: [ALL]\n"), "  - name: web\n",
          "  - name: web\n    securityContext:\n      runAsUser: 101\n"), 6, "drops CAP_KILL"),
    (_reloader_sc("      capabilities:\n        drop: [ALL]\n        add: [KILL]\n"), 7, ""),
    (_reloader_sc("      runAsUser: 0\n"), 7, ""),
    (edit(RELOAD_POD, "spec:\n", "spec:\n  securityContext:\n    runAsUser: 101\n"), 7, ""),
    (edit(RELOAD_POD, "  - name: web\n", "  - name: web\n    securityContext:\n      runAsUser: 101\n"), 7, ""),
    (edit(RELOAD_POD, "pkill -HUP -o nginx", "pkill nginx"), 6, "never sends SIGHUP"),
    (edit(RELOAD_POD, "pkill -HUP -o nginx", "kill -s HUP $(pidof nginx)"), 7, ""),
    (edit(RELOAD_POD, "pkill -HUP -o nginx", "kill -1 1"), 7, ""),
    (edit(RELOAD_POD, '    command: ["sh", "-c", "while sleep 10; do pkill -HUP -o nginx; done"]\n', ""), 6,
     "has no command"),
    (edit(RELOAD_POD, "    - name: config\n      mountPath: /config\n", ""), 6, "no configMap volume"),
    (edit(RELOAD_POD, "  - name: reloader\n", "  - name: sidecar\n"), 4, "no container named 'reloader'"),
])
def test_reload_pod(manifest: str, points: float, message: str) -> None:
    """Does each realistic reloader mistake (PID sharing, users, capabilities, signal) lose the right points?"""
    got, text = score(ch5.reload_pod, manifest)
    assert got == points, text
    assert message in text


def test_reload_pod_misplaced_flag() -> None:
    """Is shareProcessNamespace written inside a container reported at the container's path?"""
    manifest = edit(edit(RELOAD_POD, "  shareProcessNamespace: true\n", ""), "    image: nginx:1.22\n",
                    "    image: nginx:1.22\n    shareProcessNamespace: true\n")
    got, text = score(ch5.reload_pod, manifest)
    assert got == 5
    assert "spec.containers[0].shareProcessNamespace" in text and "Pod-level field" in text


# ---------------------------------------------------------------------------
# Exercise 4: the hostIPC diagnosis
# ---------------------------------------------------------------------------


def test_hostipc_truth_comes_from_the_checker() -> None:
    """Is the diagnosis graded against the checker's own Pod Security verdict on the shown manifest?"""
    from course import check_text

    result = next(iter(check_text(ch5.HOSTIPC_POD)))
    found = [(v.level, v.check) for v in result.pod_security.violations if v.path == "spec.hostIPC"]
    assert found == [("baseline", "hostNamespaces")]
    assert ch5.hostipc_truth()["pss_check"] == "hostNamespaces"
    assert ch5.hostipc_truth()["pod_level"] == "privileged"


@pytest.mark.parametrize(("change", "points", "message"), [
    ({}, 5, ""),
    ({"reloader_can_signal_web": True}, 4, "signals need to see the target's PID"),
    ({"namespace_signals_need": "ipc"}, 4, "namespace_signals_need is \"pid\""),
    ({"namespace_signals_need": "PID namespace"}, 5, ""),
    ({"pss_level": "restricted"}, 4, "the Baseline level already forbids"),
    ({"pss_level": "Baseline"}, 5, ""),
    ({"pss_check": "hostIPC"}, 4, "pss_check is 'hostNamespaces'"),
    ({"pss_check": "hostnamespaces"}, 5, ""),
    ({"path": "hostIPC"}, 4, "path is 'spec.hostIPC'"),
    ({"reloader_can_signal_web": "no"}, 5, ""),
    ({"pss_level": None}, 4, "pss_level has no answer"),
])
def test_hostipc_diagnosis(change: dict[str, Any], points: float, message: str) -> None:
    """Does each wrong diagnosis item cost one point with the reason, and are harmless spellings accepted?"""
    got, text = score(ch5.hostipc_diagnosis, {**DIAGNOSIS, **change})
    assert got == points, text
    assert message in text


# ---------------------------------------------------------------------------
# Exercise 5: the lab, graded from artifacts (replayed here so the test needs no namespaces)
# ---------------------------------------------------------------------------


def queue_experiment(lab: Any) -> dict[str, Any]:
    return {"app": lab.pod.run("app", "send", lab.key, lab.message),
            "sidecar": lab.pod.run("sidecar", "receive", lab.key),
            "other_pod": lab.other.run("client", "receive", lab.key),
            "node": lab.node.run("shell", "receive", lab.key)}


def signal_experiment(lab: Any) -> dict[str, Any]:
    app = lab.pod.start("app", "wait-signal", 3)
    ps = lab.pod.run("sidecar", "ps")
    target = next((p["pid"] for p in ps["processes"] if "wait-signal" in p["cmd"]), None)
    kill = lab.pod.run("sidecar", "kill", target, "HUP") if target is not None else None
    return {"ps": ps, "target": target, "kill": kill, "app": app.result()}


def lab_answer(queue: Any = queue_experiment, signal: Any = signal_experiment) -> dict[str, Any]:
    return {"prediction": dict(PREDICTION), "queue": ch5lab.run_queue_lab(queue),
            "signals_default": ch5lab.run_signal_lab(signal, share_pid=False),
            "signals_shared": ch5lab.run_signal_lab(signal, share_pid=True)}


@pytest.fixture
def replay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODCOURSE_SANDBOX", "off")


def test_replayed_reference_lab_gets_full_marks(replay: None) -> None:
    """Does the reference experiment, run against the recording, earn every lab point and say it was recorded?"""
    answer = lab_answer()
    assert {answer[r]["source"] for r in ("queue", "signals_default", "signals_shared")} == {"recorded"}
    got, text = score(ch5.namespaces_lab, answer)
    assert got == 11, text


def _swap_places(lab: Any) -> dict[str, Any]:
    out = queue_experiment(lab)
    out["sidecar"] = lab.other.run("sidecar", "receive", lab.key)
    return out


def _node_makes_queue(lab: Any) -> dict[str, Any]:
    lab.node.run("shell", "send", lab.key, "node")
    return queue_experiment(lab)


def _first_pid(lab: Any) -> dict[str, Any]:
    app = lab.pod.start("app", "wait-signal", 3)
    ps = lab.pod.run("sidecar", "ps")
    target = ps["processes"][0]["pid"]
    return {"ps": ps, "target": target, "kill": lab.pod.run("sidecar", "kill", target, "HUP"), "app": app.result()}


def _as_nobody(lab: Any) -> dict[str, Any]:
    app = lab.pod.start("app", "wait-signal", 3)
    ps = lab.pod.run("sidecar", "ps")
    target = next((p["pid"] for p in ps["processes"] if "wait-signal" in p["cmd"]), None)
    kill = lab.pod.run("sidecar", "kill", target, "HUP", 65534) if target is not None else None
    return {"ps": ps, "target": target, "kill": kill, "app": app.result()}


def _raises(lab: Any) -> dict[str, Any]:
    raise ValueError("boom")


@pytest.mark.parametrize(("queue", "signal", "points", "message"), [
    (_swap_places, signal_experiment, 10, "the sidecar did not find the queue (ENOENT)"),
    (_node_makes_queue, signal_experiment, 10, "node found a queue"),
    (queue_experiment, _first_pid, 10, "target is 1, but the app's process is PID 2"),
    (queue_experiment, _as_nobody, 10, "'error': 'EPERM'"),
    (_raises, signal_experiment, 8, "the experiment raised ValueError: boom"),
    (queue_experiment, lambda lab: None, 9, "the experiment returned None"),
    (lambda lab: {"app": 1}, signal_experiment, 8, "'app' is 1, not the result of a 'send' probe"),
])
def test_lab_catches_buggy_experiments(replay: None, queue: Any, signal: Any, points: float, message: str) -> None:
    """Does each buggy experiment lose exactly the artifact checks it breaks, with a message that points at the bug?"""
    got, text = score(ch5.namespaces_lab, lab_answer(queue, signal))
    assert got == points, text
    assert message in text


@pytest.mark.parametrize(("prediction", "points", "message"), [
    ({**PREDICTION, "node_reads_queue": True}, 10, "prediction node_reads_queue is False"),
    ({**PREDICTION, "sidecar_sees_app_by_default": "yes"}, 10, "write True or False"),
    ({}, 5, "LAB_PREDICTION is empty"),
    ({"sidecar_reads_queue": True}, 6, "prediction other_pod_reads_queue has no answer"),
])
def test_lab_predictions(replay: None, prediction: dict[str, Any], points: float, message: str) -> None:
    """Does each wrong or missing prediction cost its point while the artifacts still count?"""
    answer = lab_answer()
    answer["prediction"] = prediction
    got, text = score(ch5.namespaces_lab, answer)
    assert got == points, text
    assert message in text


def test_lab_forged_artifacts_are_checked(replay: None) -> None:
    """Is a hand-edited artifact in which every place finds the queue graded on its merits, not trusted?"""
    answer = copy.deepcopy(lab_answer())
    for place in ("other_pod", "node"):
        answer["queue"]["observed"][place] = {"tool": "receive", "found": True, "message": "x"}
    answer["signals_default"]["observed"]["app"]["got"] = "SIGHUP"
    got, text = score(ch5.namespaces_lab, answer)
    assert got == 9
    assert "other_pod found a queue" in text and "nothing in another PID namespace" in text


@pytest.mark.parametrize("answer", [None, [], "x", {"prediction": [], "queue": 3},
                                    {"prediction": PREDICTION, "queue": {"observed": {"app": []}},
                                     "signals_shared": {"observed": {"ps": {"processes": "x"}}}}])
def test_lab_hostile_answers(answer: Any) -> None:
    """Do strange lab answers earn a sentence per check and never an exception?"""
    got, text = score(ch5.namespaces_lab, answer)
    assert got <= 6
    assert text


def test_replay_kill_semantics(replay: None) -> None:
    """Does the replay refuse a signal from another user and to an unknown PID, like the kernel does?"""
    with ch5lab.lab_places(share_pid=True) as (lab, source, _):
        assert source == "recorded"
        app = lab.pod.start("app", "wait-signal", 3)
        assert lab.pod.run("sidecar", "kill", 2, "HUP", 65534)["error"] == "EPERM"
        assert lab.pod.run("sidecar", "kill", 42, "HUP")["error"] == "ESRCH"
        assert lab.other.run("x", "kill", 2, "HUP")["error"] == "ESRCH"
        assert app.result()["got"] is None
        assert lab.pod.run("sidecar", "kill", 2, "HUP")["ok"] is True
        assert app.result()["got"] == "SIGHUP"


def test_recording_has_every_demo() -> None:
    """Does the shipped recording hold every demonstration with the outcomes the chapter's text describes?"""
    rec = ch5lab.recording()
    assert set(rec["demos"]) == set(ch5lab.DEMOS)
    queues = rec["demos"]["queues"]
    for row in queues.values():
        assert row["sidecar"]["found"] is True
        assert row["other Pod"]["found"] is False and row["node"]["found"] is False
    sockets = rec["demos"]["sockets"]
    assert {label: r["sidecar"]["connected"] for label, r in sockets.items()} == {
        "abstract @app.sock": True, "file in the app's own filesystem": False, "file in a shared emptyDir": True}
    assert not any(r["other Pod"]["connected"] for r in sockets.values())
    signals = rec["demos"]["signals"]
    assert signals["as uid 65534"]["error"] == "EPERM" and signals["app"]["got"] == "SIGHUP"


# ---------------------------------------------------------------------------
# Probes and the live lab
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("argv", "key", "value"), [
    (["nope"], "error", None),
    (["receive", "not-a-number"], "error", None),
    (["kill", "999999999", "HUP"], "error", "ESRCH"),
    (["unix-connect", "@pod-course-nothing-listens-here"], "error", "ECONNREFUSED"),
    (["ps"], "tool", "ps"),
])
def test_probe_reports_instead_of_crashing(argv: list[str], key: str, value: Any) -> None:
    """Does every probe print one JSON result, even for bad arguments, instead of a traceback?"""
    done = subprocess.run([sys.executable, "-I", "-S", str(ch5lab.TOOL), *argv], capture_output=True, text=True,
                          timeout=10, check=False)
    assert done.stderr == ""
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert key in result
    if value is not None:
        assert result[key] == value


def test_probe_tools_are_documented() -> None:
    """Does the probe script's docstring list every tool it offers?"""
    for tool in ch5tool.TOOLS:
        assert tool in (ch5tool.__doc__ or "")


LIVE, WHY = ch5lab.support()
live = pytest.mark.skipif(not LIVE, reason=f"no namespaces here: {WHY}")


@live
def test_live_reference_lab_gets_full_marks() -> None:
    """On a machine with namespaces, does the reference lab run live and earn every point?"""
    answer = lab_answer()
    assert {answer[r]["source"] for r in ("queue", "signals_default", "signals_shared")} == {"live"}
    got, text = score(ch5.namespaces_lab, answer)
    assert got == 11, text


@live
def test_live_lab_tears_down_after_a_crash() -> None:
    """When the experiment raises halfway, are the lab's containers gone by the time the call returns?"""
    from course.sandbox import pids_in_namespace

    seen: dict[str, Any] = {}

    def crash(lab: Any) -> None:
        lab.pod.start("app", "wait-signal", 30)
        seen["net"] = lab.pod._sb.namespaces()["net"]
        raise RuntimeError("halfway")

    got = ch5lab.run_signal_lab(crash, share_pid=True)
    assert "halfway" in got["error"]
    assert pids_in_namespace(seen["net"], "net") == []
