"""Unit tests for graders.ch5, its lab runner (graders.ch5lab) and the in-container probes (graders.ch5tool)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from typing import Any

import pytest
from grader_support import failed, score

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
    command:
    - sh
    - -c
    - |
      last=$(cat /config/*.conf | md5sum)
      while sleep 10; do
        now=$(cat /config/*.conf | md5sum)
        if [ "$now" != "$last" ]; then pkill -HUP -o nginx; last=$now; fi
      done
    volumeMounts:
    - name: config
      mountPath: /config
  volumes:
  - name: config
    configMap:
      name: web-config
"""
RELOADER_COMMAND = RELOAD_POD[RELOAD_POD.index("    command:\n"):RELOAD_POD.index("      done\n") + len("      done\n")]

DIAGNOSIS = {"reloader_can_signal_web": False, "namespace_signals_need": "pid", "pss_level": "baseline",
             "pss_check": "hostNamespaces", "path": "spec.hostIPC"}

PREDICTION = {key: want for key, (want, _) in ch5.LAB_TRUTH.items()}


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


# Equally right tables earn every point; each row (a stated requirement), wrong alone, costs its own point.
MECHANISM_ALTERNATIVES = [
    ("namespace-words", {**MECHANISMS, "sysv_message_queue": "IPC namespace", "sysv_shared_memory": "ipc",
                         "unix_socket_abstract": "network namespace", "tcp_localhost": "net",
                         "signal": "PID namespace"}),
    ("punctuation-and-case", {k.upper(): f" `{v.upper()}`. " for k, v in MECHANISMS.items()}),
    ("booleans-and-yes", {**MECHANISMS, "sysv_semaphore": True, "posix_message_queue": "yes",
                          "posix_shared_memory": "true"}),
    ("volume-words", {**MECHANISMS, "unix_socket_path": "shared_volume", "named_pipe": "a shared emptyDir volume"}),
    ("field-written-out", {**MECHANISMS, "signal": "shareProcessNamespace=true"}),
    ("nothing-needed", {**MECHANISMS, "tcp_localhost": "nothing needed", "unix_socket_abstract": "by default"}),
]


@pytest.mark.parametrize(("name", "answer"), MECHANISM_ALTERNATIVES, ids=[a[0] for a in MECHANISM_ALTERNATIVES])
def test_choose_mechanism_alternatives(name: str, answer: dict[str, Any]) -> None:
    """Do namespace names, booleans, other case and punctuation for the four choices earn full marks?"""
    got, text = score(ch5.choose_mechanism, answer)
    assert got == 10, text


MECHANISM_BREAKS = [
    ("sysv_message_queue", "never", "System V message queues belong to the IPC namespace"),
    ("sysv_shared_memory", "shared volume", "shared memory segments (shmget) belong to the IPC namespace"),
    ("sysv_semaphore", "shareProcessNamespace", "semaphore sets belong to the IPC namespace"),
    ("posix_message_queue", "shared volume", "POSIX message queues (mq_open) live in the mqueue filesystem"),
    ("posix_shared_memory", "shared volume", "containerd and CRI-O mount the sandbox's one /dev/shm"),
    ("unix_socket_path", "always", "mount namespaces are never shared"),
    ("unix_socket_abstract", "shared volume", "belong to the network namespace"),
    ("tcp_localhost", "never", "127.0.0.1 is the same loopback"),
    ("named_pipe", "always", "a FIFO (mkfifo) is a file"),
    ("signal", "always", "share a PID namespace: `shareProcessNamespace: true`"),
]


@pytest.mark.parametrize(("key", "value", "says"), MECHANISM_BREAKS, ids=[b[0] for b in MECHANISM_BREAKS])
def test_choose_mechanism_each_row_alone(key: str, value: str, says: str) -> None:
    """Does one wrong row cost exactly that row's point, naming the right choice and why?"""
    answer = {**MECHANISMS, key: value}
    got, text = score(ch5.choose_mechanism, answer)
    assert failed(ch5.choose_mechanism, answer) == {f"row {key}"}
    assert got == 9 and f"{key} is {MECHANISMS[key]!r}, not {value!r}" in text and says in text


@pytest.mark.parametrize("value", ["none", "maybe", "sometimes", "", None, 3])
def test_choose_mechanism_unclear_words_are_not_guessed(value: Any) -> None:
    """Is a word that could mean two choices (or none) quoted back rather than read as one of them?"""
    got, text = score(ch5.choose_mechanism, {**MECHANISMS, "tcp_localhost": value})
    assert got == 9 and "tcp_localhost: " in text and "is not one of" in text


# ---------------------------------------------------------------------------
# Exercise 3: the SIGHUP reloader
# ---------------------------------------------------------------------------


def _reloader_sc(sc: str) -> str:
    return edit(RELOAD_POD, "  - name: reloader\n", "  - name: reloader\n    securityContext:\n" + sc)


@pytest.mark.parametrize(("manifest", "points", "message"), [
    (RELOAD_POD, 10, ""),
    (edit(RELOAD_POD, "  shareProcessNamespace: true\n", ""), 9, "separate PID namespaces"),
    (edit(RELOAD_POD, "  shareProcessNamespace: true\n", "  hostPID: true\n"), 8, "node's PID namespace"),
    (edit(RELOAD_POD, "  shareProcessNamespace: true\n", "  hostIPC: true\n"), 8, "Remove hostIPC"),
    (edit(RELOAD_POD, "shareProcessNamespace: true", 'shareProcessNamespace: "true"'), 8, "without quotes"),
    (_reloader_sc("      runAsUser: 1000\n"), 9, "kill fails with EPERM"),
    (_reloader_sc("      runAsUser: 1000\n      capabilities:\n        add: [KILL]\n"), 9, "no ambient capabilities"),
    # Same UID needs no capability at all; root signalling another user needs CAP_KILL.
    (_reloader_sc("      capabilities:\n        drop: [ALL]\n"), 10, ""),
    (edit(_reloader_sc("      capabilities:\n        drop: [ALL]\n"), "  - name: web\n",
          "  - name: web\n    securityContext:\n      runAsUser: 101\n"), 9, "drops CAP_KILL"),
    (_reloader_sc("      capabilities:\n        drop: [ALL]\n        add: [KILL]\n"), 10, ""),
    (_reloader_sc("      runAsUser: 0\n"), 10, ""),
    (edit(RELOAD_POD, "spec:\n", "spec:\n  securityContext:\n    runAsUser: 101\n"), 10, ""),
    (edit(RELOAD_POD, "  - name: web\n", "  - name: web\n    securityContext:\n      runAsUser: 101\n"), 10, ""),
    (edit(RELOAD_POD, "pkill -HUP -o nginx", "pkill nginx"), 9, "never sends SIGHUP"),
    (edit(RELOAD_POD, "pkill -HUP -o nginx", "kill -s HUP $(pidof nginx)"), 10, ""),
    # With a shared PID namespace PID 1 is pause, not nginx.
    (edit(RELOAD_POD, "pkill -HUP -o nginx", "kill -1 1"), 9, "PID 1 is the Pod's pause process"),
    (edit(RELOAD_POD, RELOADER_COMMAND, ""), 8, "has no command"),
    (edit(RELOAD_POD, "    - name: config\n      mountPath: /config\n", ""), 9,
     "reloader does not mount the web-config volume"),
    (edit(RELOAD_POD, "  - name: reloader\n", "  - name: sidecar\n"), 5, "no container named 'reloader'"),
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
    assert got == 8
    assert "spec.containers[0].shareProcessNamespace" in text and "Pod-level field" in text


# Equally right Pods earn every point; each stated requirement, broken alone, costs its own point.
STAT_LOOP = """    command:
    - sh
    - -c
    - |
      last=$(stat -L -c %Y $CONF/..data)
      while sleep 5; do
        now=$(stat -L -c %Y $CONF/..data)
        [ "$now" = "$last" ] || { killall -HUP nginx; last=$now; }
      done
    env:
    - name: CONF
      value: /config
"""
NATIVE_RELOADER = """
apiVersion: v1
kind: Pod
metadata:
  name: web-reload
spec:
  shareProcessNamespace: true
  initContainers:
  - name: reloader
    image: busybox:1.35
    restartPolicy: Always
""" + RELOADER_COMMAND + """    volumeMounts:
    - name: config
      mountPath: /config
  containers:
  - name: web
    image: nginx:1.22
    volumeMounts:
    - name: config
      mountPath: /etc/nginx/conf.d
  volumes:
  - name: config
    configMap:
      name: web-config
"""
RELOAD_ALTERNATIVES = [
    ("registry-qualified-images", edit(edit(RELOAD_POD, "image: nginx:1.22", "image: docker.io/library/nginx:1.22"),
                                       "image: busybox:1.35", "image: docker.io/library/busybox:1.35")),
    ("native-sidecar-reloader", NATIVE_RELOADER),
    ("projected-volume", edit(RELOAD_POD, "    configMap:\n      name: web-config\n",
                              "    projected:\n      sources:\n      - configMap:\n          name: web-config\n")),
    ("trailing-slash", edit(RELOAD_POD, "mountPath: /etc/nginx/conf.d", "mountPath: /etc/nginx/conf.d/")),
    ("second-volume-same-configmap", edit(edit(RELOAD_POD, "    - name: config\n      mountPath: /config\n",
                                               "    - name: watched\n      mountPath: /config\n"),
                                          "  volumes:\n", "  volumes:\n  - name: watched\n    configMap:\n"
                                                          "      name: web-config\n")),
    ("stat-loop-killall-and-env", edit(RELOAD_POD, RELOADER_COMMAND, STAT_LOOP)),
    ("args-not-command-and-sha256", edit(edit(RELOAD_POD, "    command:\n", "    args:\n"), "md5sum", "sha256sum")),
    # Same UID as nginx's master (root): no capability is needed, so dropping them all still works.
    ("reloader-drops-all-capabilities", _reloader_sc("      capabilities:\n        drop: [ALL]\n")),
]


@pytest.mark.parametrize(("name", "manifest"), RELOAD_ALTERNATIVES, ids=[a[0] for a in RELOAD_ALTERNATIVES])
def test_reload_pod_alternatives(name: str, manifest: str) -> None:
    """Do registry-qualified images, a native-sidecar reloader, a projected volume, another change test earn 10?"""
    got, text = score(ch5.reload_pod, manifest)
    assert got == 10, text


ONE_SHOT = RELOADER_COMMAND.replace("      while sleep 10; do\n", "      sleep 60\n").replace("      done\n", "")
UNCONDITIONAL = """    command: ["sh", "-c", "while sleep 10; do pkill -HUP -o nginx; done"]\n"""
RELOAD_BREAKS = [
    ("name", edit(RELOAD_POD, "name: web-reload", "name: web-reloader"), "the Pod is named web-reload",
     "the Pod is named 'web-reloader'"),
    ("web-image", edit(RELOAD_POD, "image: nginx:1.22", "image: nginx:1.25"),
     "web runs nginx:1.22 and reloader busybox:1.35", "web runs 'nginx:1.25'; the task gives it nginx:1.22"),
    ("reloader-image", edit(RELOAD_POD, "image: busybox:1.35", "image: busybox:1.36"),
     "web runs nginx:1.22 and reloader busybox:1.35", "spec.containers[1].image: reloader runs 'busybox:1.36'"),
    ("share-pid", edit(RELOAD_POD, "  shareProcessNamespace: true\n", ""), "the containers share one PID namespace",
     "spec.shareProcessNamespace: the containers have separate PID namespaces"),
    ("host-network", edit(RELOAD_POD, "spec:\n", "spec:\n  hostNetwork: true\n"),
     "nothing is shared with the node (no host namespaces, no hostPath)", "Remove hostNetwork"),
    ("host-path", edit(RELOAD_POD, "  volumes:\n", "  volumes:\n  - name: logs\n    hostPath:\n      path: /var/log\n"),
     "nothing is shared with the node (no host namespaces, no hostPath)", "volume 'logs' is a hostPath"),
    ("other-user", _reloader_sc("      runAsUser: 1000\n"), "reloader is allowed to signal nginx (same user)",
     "spec.containers[1].securityContext: reloader runs as UID 1000"),
    ("sigterm", edit(RELOAD_POD, "pkill -HUP -o nginx", "pkill -o nginx"), "reloader sends SIGHUP to nginx's master",
     "never sends SIGHUP"),
    ("pid-1", edit(RELOAD_POD, "pkill -HUP -o nginx", "kill -HUP 1"), "reloader sends SIGHUP to nginx's master",
     "PID 1 is the Pod's pause process"),
    ("no-loop", edit(RELOAD_POD, RELOADER_COMMAND, ONE_SHOT),
     "reloader checks in a loop and signals only when the files change", "has no loop (while, until or for)"),
    ("every-round", edit(RELOAD_POD, RELOADER_COMMAND, UNCONDITIONAL),
     "reloader checks in a loop and signals only when the files change", "whether or not the files changed"),
    ("configmap-name", edit(RELOAD_POD, "name: web-config", "name: nginx-config"),
     "the ConfigMap web-config is mounted in web at /etc/nginx/conf.d and in reloader", "not web-config"),
    ("web-mount-path", edit(RELOAD_POD, "mountPath: /etc/nginx/conf.d", "mountPath: /etc/nginx"),
     "the ConfigMap web-config is mounted in web at /etc/nginx/conf.d and in reloader",
     "spec.containers[0].volumeMounts[0].mountPath: web mounts the web-config volume at '/etc/nginx'"),
    ("web-sub-path", edit(RELOAD_POD, "mountPath: /etc/nginx/conf.d\n",
                          "mountPath: /etc/nginx/conf.d/default.conf\n      subPath: default.conf\n"),
     "the ConfigMap web-config is mounted in web at /etc/nginx/conf.d and in reloader",
     "web mounts the web-config volume at '/etc/nginx/conf.d/default.conf'"),
    ("reloader-unmounted", edit(RELOAD_POD, "    - name: config\n      mountPath: /config\n", ""),
     "the ConfigMap web-config is mounted in web at /etc/nginx/conf.d and in reloader",
     "spec.containers[1].volumeMounts: reloader does not mount the web-config volume"),
    ("reloader-sub-path", edit(RELOAD_POD, "      mountPath: /config\n",
                               "      mountPath: /config/default.conf\n      subPath: default.conf\n"),
     "the ConfigMap web-config is mounted in web at /etc/nginx/conf.d and in reloader", "would never signal"),
    ("checker-error", edit(RELOAD_POD, "    image: nginx:1.22\n",
                           "    image: nginx:1.22\n    ports:\n    - containerPort: 80\n      protocol: tcp\n"),
     "the checker reports no errors", "protocol"),
]


@pytest.mark.parametrize(("name", "manifest", "case", "says"), RELOAD_BREAKS, ids=[b[0] for b in RELOAD_BREAKS])
def test_reload_pod_each_requirement(name: str, manifest: str, case: str, says: str) -> None:
    """Does breaking one stated requirement cost exactly its case's point, with a message naming the field?"""
    got, text = score(ch5.reload_pod, manifest)
    assert failed(ch5.reload_pod, manifest) == {case}, text
    assert got == 9 and says in text, text


def test_reload_pod_web_sub_path_at_the_directory() -> None:
    """Is a subPath mount at /etc/nginx/conf.d itself refused because the kubelet never updates it?"""
    manifest = edit(RELOAD_POD, "mountPath: /etc/nginx/conf.d\n", "mountPath: /etc/nginx/conf.d\n      subPath: conf\n")
    got, text = score(ch5.reload_pod, manifest)
    assert got == 9 and "spec.containers[0].volumeMounts[0].subPath" in text and "never updated" in text


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


# Equally right diagnoses earn every point; each item, wrong alone, costs its own point.
DIAGNOSIS_ALTERNATIVES = [
    ("words-and-case", {"reloader_can_signal_web": "No", "namespace_signals_need": "PID namespace",
                        "pss_level": "Baseline", "pss_check": "host namespaces", "path": "spec.hostIPC"}),
    ("written-out", {"reloader_can_signal_web": "cannot", "namespace_signals_need": "the pid",
                     "pss_level": "baseline level", "pss_check": "hostNamespaces check", "path": ".spec.hostIPC"}),
    ("code-marks", {"reloader_can_signal_web": "false", "namespace_signals_need": "`pid`", "pss_level": "`baseline`",
                    "pss_check": "`hostNamespaces`", "path": "`spec.hostIPC`"}),
    ("synonyms", {"reloader_can_signal_web": "can't", "namespace_signals_need": "process",
                  "pss_level": "BASELINE", "pss_check": "host_namespaces", "path": "spec.hostIPC: true"}),
    ("upper-keys", {k.upper(): v for k, v in DIAGNOSIS.items()}),
]


@pytest.mark.parametrize(("name", "answer"), DIAGNOSIS_ALTERNATIVES, ids=[a[0] for a in DIAGNOSIS_ALTERNATIVES])
def test_hostipc_diagnosis_alternatives(name: str, answer: dict[str, Any]) -> None:
    """Do words for False, "PID namespace", spaced and marked-up names and a path with its value earn 5?"""
    got, text = score(ch5.hostipc_diagnosis, answer)
    assert got == 5, text


DIAGNOSIS_BREAKS = [
    ("reloader_can_signal_web", "yes", "hostIPC changes only the IPC namespace"),
    ("namespace_signals_need", "ipc", "the IPC namespace covers System V objects and POSIX message queues"),
    ("namespace_signals_need", "net", "in its own PID namespace"),
    ("pss_level", "restricted", "the Baseline level already forbids sharing any host namespace"),
    ("pss_level", "privileged", "the Baseline level already forbids"),
    ("pss_check", "hostIPC", "the Pod Security admission check that covers hostNetwork, hostPID and hostIPC"),
    ("path", "spec.containers[0].hostIPC", "path is 'spec.hostIPC'"),
    ("path", "hostIPC", "written from the top of the Pod"),
]


@pytest.mark.parametrize(("key", "value", "says"), DIAGNOSIS_BREAKS, ids=[f"{b[0]}-{b[1]}" for b in DIAGNOSIS_BREAKS])
def test_hostipc_diagnosis_each_item_alone(key: str, value: Any, says: str) -> None:
    """Does one wrong item cost exactly its point, with the reason (the misconception named)?"""
    answer = {**DIAGNOSIS, key: value}
    got, text = score(ch5.hostipc_diagnosis, answer)
    assert failed(ch5.hostipc_diagnosis, answer) == {key}
    assert got == 4 and says in text, text


@pytest.mark.parametrize("value", ["maybe", 0, ["no"]])
def test_hostipc_unreadable_yes_no(value: Any) -> None:
    """Is a value that is neither True nor False quoted back with how to write it?"""
    got, text = score(ch5.hostipc_diagnosis, {**DIAGNOSIS, "reloader_can_signal_web": value})
    assert got == 4 and "is not True or False" in text and "Write True or False" in text


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
    # Signalling the first PID is wrong in both runs: in the default one it signals the sidecar's own probe.
    (queue_experiment, _first_pid, 9, "target is 1, but the app's process is PID 2"),
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
    ({**PREDICTION, "sidecar_sees_app_by_default": "maybe"}, 10, "write True or False"),
    ({**PREDICTION, "sidecar_sees_app_by_default": "yes"}, 10, "prediction sidecar_sees_app_by_default is False"),
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
    (["kill", "999999999", "1"], "signal", "SIGHUP"),
    (["kill", "999999999", "sighup"], "signal", "SIGHUP"),
    (["receive", "0x7ffffff1"], "key", "0x7ffffff1"),
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


# ---------------------------------------------------------------------------
# Exercise 5: equally right experiments and predictions earn every point; each requirement, broken alone, costs
# its own point (a broken artifact shape also costs the case that reads that artifact)
# ---------------------------------------------------------------------------


def _signal_by_other_means(lab: Any) -> dict[str, Any]:
    """Picks the one process that is neither pause nor itself, and sends SIGHUP by its full name as uid 0."""
    app = lab.pod.start("app", "wait-signal", 3)
    ps = lab.pod.run("sidecar", "ps")
    others = [p["pid"] for p in ps["processes"] if not p["self"] and p["cmd"] != "pause"]
    target = others[0] if others else None
    kill = lab.pod.run("sidecar", "kill", target, "SIGHUP", 0) if target is not None else None
    return {"ps": ps, "target": target, "kill": kill, "app": app.result()}


def _signal_by_number(lab: Any) -> dict[str, Any]:
    """kill -1 (HUP by number), with the target written as a string."""
    app = lab.pod.start("app", "wait-signal", 3)
    ps = lab.pod.run("sidecar", "ps")
    target = next((str(p["pid"]) for p in ps["processes"] if "wait-signal" in p["cmd"]), None)
    kill = lab.pod.run("sidecar", "kill", target, 1) if target is not None else None
    return {"ps": ps, "target": target, "kill": kill, "app": app.result()}


def _queue_by_number(lab: Any) -> dict[str, Any]:
    """The key as a number for the readers (msgget sees the same key) and other container names."""
    key = int(lab.key, 0)
    return {"app": lab.pod.run("writer", "send", lab.key, lab.message),
            "sidecar": lab.pod.run("reader", "receive", key),
            "other_pod": lab.other.run("stranger", "receive", key),
            "node": lab.node.run("host", "receive", key)}


WORD_PREDICTION = {k: {True: "yes", False: "no"}[v] for k, v in PREDICTION.items()}
LAB_ALTERNATIVES = [
    ("predictions-as-words", WORD_PREDICTION, queue_experiment, signal_experiment),
    ("predictions-as-strings", {k: str(v) for k, v in PREDICTION.items()}, queue_experiment, signal_experiment),
    ("signal-by-other-means", PREDICTION, queue_experiment, _signal_by_other_means),
    ("signal-by-number", PREDICTION, queue_experiment, _signal_by_number),
    ("queue-key-as-number", PREDICTION, _queue_by_number, signal_experiment),
]


@pytest.mark.parametrize(("name", "prediction", "queue", "signal"), LAB_ALTERNATIVES,
                         ids=[a[0] for a in LAB_ALTERNATIVES])
def test_lab_alternatives(replay: None, name: str, prediction: dict[str, Any], queue: Any, signal: Any) -> None:
    """Do yes/no predictions, SIGHUP by name or number, another way to pick the PID and a numeric key earn 11?"""
    answer = lab_answer(queue, signal)
    answer["prediction"] = prediction
    got, text = score(ch5.namespaces_lab, answer)
    assert got == 11, text


def _other_key(lab: Any) -> dict[str, Any]:
    out = queue_experiment(lab)
    out["other_pod"] = lab.other.run("client", "receive", "0x1234")
    return out


def _other_message(lab: Any) -> dict[str, Any]:
    """Sends a text of its own instead of lab.message."""
    return {"app": lab.pod.run("app", "send", lab.key, "hello"),
            "sidecar": lab.pod.run("sidecar", "receive", lab.key),
            "other_pod": lab.other.run("client", "receive", lab.key),
            "node": lab.node.run("shell", "receive", lab.key)}


def _no_node(lab: Any) -> dict[str, Any]:
    out = queue_experiment(lab)
    out["node"] = lab.node.run("shell", "send", lab.key, "x")
    return out


def _term(lab: Any) -> dict[str, Any]:
    app = lab.pod.start("app", "wait-signal", 3)
    ps = lab.pod.run("sidecar", "ps")
    target = next((p["pid"] for p in ps["processes"] if "wait-signal" in p["cmd"]), None)
    kill = lab.pod.run("sidecar", "kill", target, "TERM") if target is not None else None
    return {"ps": ps, "target": target, "kill": kill, "app": app.result()}


def _kill_anyway(lab: Any) -> dict[str, Any]:
    app = lab.pod.start("app", "wait-signal", 3)
    ps = lab.pod.run("sidecar", "ps")
    target = next((p["pid"] for p in ps["processes"] if "wait-signal" in p["cmd"]), None)
    kill = lab.pod.run("sidecar", "kill", target if target is not None else 1, "HUP")
    return {"ps": ps, "target": target, "kill": kill, "app": app.result()}


def _sentinel(lab: Any) -> dict[str, Any]:
    out = signal_experiment(lab)
    return {**out, "target": -1} if out["target"] is None else out


QUEUE_SHAPE = "the queue experiment returned app, sidecar, other_pod and node results"
QUEUE_SHARED = "the queue the app made is read, with its message, by the sidecar"
QUEUE_ISOLATED = "another Pod and the node cannot find the queue"
SIGNALS_SHARED = "with shareProcessNamespace the sidecar finds the app and its SIGHUP arrives"
SIGNALS_DEFAULT = "by default the sidecar cannot see the app and no signal arrives"
LAB_BREAKS = [
    *[(f"predict-{key}", {**PREDICTION, key: not want}, queue_experiment, signal_experiment,
       {f"prediction: {key}"}, f"prediction {key} is {want}") for key, want in PREDICTION.items()],
    ("sidecar-in-other-pod", PREDICTION, _swap_places, signal_experiment, {QUEUE_SHARED},
     "the sidecar did not find the queue (ENOENT)"),
    ("other-message", PREDICTION, _other_message, signal_experiment, {QUEUE_SHARED}, "not the lab's message"),
    ("other-pod-wrong-key", PREDICTION, _other_key, signal_experiment, {QUEUE_ISOLATED},
     "other_pod looked for key '0x1234'"),
    ("node-made-a-queue", PREDICTION, _node_makes_queue, signal_experiment, {QUEUE_ISOLATED}, "node found a queue"),
    ("node-sends", PREDICTION, _no_node, signal_experiment, {QUEUE_SHAPE, QUEUE_ISOLATED},
     "'node' is {'tool': 'send'"),
    ("sigterm", PREDICTION, queue_experiment, _term, {SIGNALS_SHARED}, "it should send HUP to the target"),
    ("kill-when-nothing-found", PREDICTION, queue_experiment, _kill_anyway, {SIGNALS_DEFAULT},
     "yet target is None and kill {'tool': 'kill'"),
    ("target-sentinel", PREDICTION, queue_experiment, _sentinel, {SIGNALS_DEFAULT}, "yet target is -1"),
]


@pytest.mark.parametrize(("name", "prediction", "queue", "signal", "cases", "says"), LAB_BREAKS,
                         ids=[b[0] for b in LAB_BREAKS])
def test_lab_each_requirement(replay: None, name: str, prediction: dict[str, Any], queue: Any, signal: Any,
                              cases: set[str], says: str) -> None:
    """Does breaking one stated requirement cost exactly its case(s), with a message that points at the bug?"""
    answer = lab_answer(queue, signal)
    answer["prediction"] = prediction
    got, text = score(ch5.namespaces_lab, answer)
    assert failed(ch5.namespaces_lab, answer) == cases, text
    assert got == 11 - len(cases) and says in text, text


@live
@pytest.mark.parametrize(("queue", "signal", "cases"), [
    (_queue_by_number, _signal_by_number, set()),
    (_other_key, _kill_anyway, {"another Pod and the node cannot find the queue",
                                "by default the sidecar cannot see the app and no signal arrives"}),
], ids=["alternatives", "breaks"])
def test_live_lab_agrees_with_the_replay(queue: Any, signal: Any, cases: set[str]) -> None:
    """Do an alternative and two broken experiments grade the same live as on the recording?"""
    answer = lab_answer(queue, signal)
    assert {answer[r]["source"] for r in ("queue", "signals_default", "signals_shared")} == {"live"}
    assert failed(ch5.namespaces_lab, answer) == cases, score(ch5.namespaces_lab, answer)[1]
