"""Chapter 5, IPC inside a Pod: graders for its five graded cells.

Manifest checks quote the static checker's findings as `check_text` shows them, and
the hostIPC diagnosis is graded against the checker's own Pod Security result, so
the feedback and a learner's self-check never disagree. Tables and predictions
award one point per row and explain only the rows that are wrong.
"""

from __future__ import annotations

import posixpath
import signal
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from graders.answers import Answer
from graders.ch1 import named, pinned
from graders.core import (
    FALSE_WORDS,
    TRUE_WORDS,
    Case,
    Exercise,
    Fail,
    checker_clean,
    env_value,
    is_pod,
    lab_data,
    lab_predictions,
    pod,
    running_container,
    running_containers,
    same_image,
    same_path,
    shell_words,
    table_row,
    truth,
    words,
)
from graders.core import spec_of as _spec

# ---------------------------------------------------------------------------
# Small helpers over Pod manifests
# ---------------------------------------------------------------------------


def _list(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _volumes(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in _list(_spec(doc).get("volumes")) if isinstance(v.get("name"), str)}


def _host_sharing(doc: dict[str, Any]) -> Any:
    spec = _spec(doc)
    for flag in ("hostIPC", "hostPID", "hostNetwork"):
        if spec.get(flag) is True:
            return Fail(f"{flag}: true joins a namespace of the whole node; containers of one Pod already share "
                        "what this design needs.", path=f"spec.{flag}", hint=f"Remove {flag}.")
    return None


# ---------------------------------------------------------------------------
# Exercise 1: an app and a helper talking over a filesystem Unix socket
# ---------------------------------------------------------------------------

APP_SOCKET = "/run/app/app.sock"
SOCKET_ENV = "APP_SOCKET"


def _ctr(doc: dict[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    """(field path, container) of a container that runs beside the app: regular, or a native sidecar."""
    fld, i, c = running_container(doc, name)
    return f"spec.{fld}[{i}]", c


def _where(c: dict[str, Any], base: str, path: str, volumes: dict[str, dict[str, Any]]) -> tuple[str, str, bool, str]:
    """(volume name, path inside the volume, read-only?, mount field path) of the mount holding `path`.

    The deepest mountPath that contains `path` wins, as in the container's filesystem.
    """
    best: tuple[int, int, dict[str, Any]] | None = None
    for j, m in enumerate(_list(c.get("volumeMounts"))):
        mp = m.get("mountPath")
        if not isinstance(mp, str) or not mp.startswith("/"):
            continue
        mp = posixpath.normpath(mp)
        if path.startswith(mp.rstrip("/") + "/") and (best is None or len(mp) > best[0]):
            best = (len(mp), j, m)
    where = f"{base}.volumeMounts"
    if best is None:
        raise Fail(f"{path} is not inside any volume mounted in container {c.get('name')!r}, so it lives in that "
                   "container's own filesystem, which no other container can see.", path=where,
                   hint="Mount the shared emptyDir at the socket's directory.")
    _, j, m = best
    where = f"{where}[{j}]"
    if "subPathExpr" in m:
        raise Fail("subPathExpr makes the path inside the volume depend on the environment; this exercise needs a "
                   "fixed path.", path=f"{where}.subPathExpr", hint="Use mountPath (and, if you like, subPath).")
    mp = posixpath.normpath(m["mountPath"])
    rel = path[len(mp.rstrip("/")) + 1:]
    sub = m.get("subPath")
    inside = posixpath.normpath(posixpath.join(sub, rel)) if isinstance(sub, str) and sub else rel
    name = m.get("name")
    if name not in volumes:
        raise Fail(f"the mount at {mp} uses volume {name!r}, which spec.volumes does not define.", path=f"{where}.name",
                   hint="Name a volume from spec.volumes.")
    return str(name), inside, m.get("readOnly") is True, where


def _shared_empty_dir(answer: Answer) -> Any:
    doc = pod(answer)
    volumes = _volumes(doc)
    _, app = _ctr(doc, "app")
    _, helper = _ctr(doc, "helper")
    mounted = [{m.get("name") for m in _list(c.get("volumeMounts"))} for c in (app, helper)]
    both = mounted[0] & mounted[1]
    if not both:
        return Fail("no volume is mounted in both app and helper, so no file (and no socket file) can be seen by both.",
                    path="spec.containers", hint="Add an emptyDir volume and a volumeMount for it in each container.")
    kinds = {n: next((k for k in ("emptyDir", "hostPath", "configMap", "secret", "persistentVolumeClaim")
                      if k in volumes.get(n, {})), None) for n in both}
    if not any(k == "emptyDir" for k in kinds.values()):
        shared = ", ".join(f"{n!r} ({k or 'undefined'})" for n, k in kinds.items())
        return Fail(f"the volume(s) both containers mount, {shared}, are not emptyDir.", path="spec.volumes",
                    hint="Use `emptyDir: {}`: a directory that lives exactly as long as the Pod, on its node, "
                         "and that only this Pod's containers can see.")
    return True


def _app_socket_in_volume(answer: Answer) -> Any:
    doc = pod(answer)
    volumes = _volumes(doc)
    i, app = _ctr(doc, "app")
    name, _, read_only, where = _where(app, i, APP_SOCKET, volumes)
    if "emptyDir" not in volumes[name]:
        return Fail(f"the app's socket {APP_SOCKET} lands in volume {name!r}, which is not an emptyDir.",
                    path=where, hint="Mount the shared emptyDir at /run/app in the app container.")
    if read_only:
        return Fail(f"the app creates {APP_SOCKET}, but its mount is readOnly, so bind() fails with EROFS.",
                    path=f"{where}.readOnly", hint="Remove readOnly from the app's mount.")
    return True


def _helper_finds_socket(answer: Answer) -> Any:
    doc = pod(answer)
    volumes = _volumes(doc)
    i, app = _ctr(doc, "app")
    j, helper = _ctr(doc, "helper")
    env = {e.get("name"): (k, e) for k, e in enumerate(_list(helper.get("env")))}
    if SOCKET_ENV not in env:
        return Fail(f"the helper has no {SOCKET_ENV} variable, so it does not know where the socket is.",
                    path=f"{j}.env",
                    hint=f"Add `env: [{{name: {SOCKET_ENV}, value: <where the helper sees app.sock>}}]`.")
    k, var = env[SOCKET_ENV]
    value = env_value(helper, SOCKET_ENV)  # $(VAR) references expanded, as the kubelet does
    if not isinstance(value, str) or not value.startswith("/"):
        return Fail(f"{SOCKET_ENV} is {var.get('value')!r}; it must be an absolute path.",
                    path=f"{j}.env[{k}].value", hint="Write the full path, e.g. /sockets/app.sock.")
    value = posixpath.normpath(value)
    app_vol, app_inside, _, _ = _where(app, i, APP_SOCKET, volumes)
    vol, inside, _, where = _where(helper, j, value, volumes)
    if vol != app_vol:
        return Fail(f"{SOCKET_ENV}={value} is in volume {vol!r}, but the app creates its socket in volume "
                    f"{app_vol!r}.", path=where, hint="Mount the same emptyDir in both containers.")
    if inside != app_inside:
        return Fail(f"the app's socket is {app_inside!r} inside volume {vol!r}, but {SOCKET_ENV}={value} points at "
                    f"{inside!r} inside it: connect() would fail with ENOENT.",
                    path=f"{j}.env[{k}].value",
                    hint="Make the helper's path end in the same file: its mountPath plus app.sock.")
    return True


def _nothing_from_node(answer: Answer) -> Any:
    doc = pod(answer)
    host = _host_sharing(doc)
    if host is not None:
        return host
    for i, v in enumerate(_list(_spec(doc).get("volumes"))):
        if "hostPath" in v:
            return Fail(f"volume {v.get('name')!r} is a hostPath: a directory of the node, which other Pods on it and "
                        "the node's own processes can reach too.", path=f"spec.volumes[{i}].hostPath",
                        hint="Use an emptyDir for files the containers share.")
    return True


def _node_free_and_pinned(answer: Answer) -> Any:
    first = _nothing_from_node(answer)
    return first if first is not True else _pinned_images(answer)


def _pinned_images(answer: Answer) -> Any:
    doc = pod(answer)
    for fld, i, c in running_containers(doc):
        if not pinned(c.get("image")):
            return Fail(f"image {c.get('image')!r} of container {c.get('name')!r} names no version.",
                        path=f"spec.{fld}[{i}].image", hint="Pin a tag, for example busybox:1.35.")
    return True


socket_pod = Exercise(
    id="ch5.socket_pod",
    title="Exercise 1 - an app and a helper over a Unix socket",
    answer_name="SOCKET_POD",
    cases=[
        Case("it is one Pod manifest (apiVersion v1, kind Pod)", 1, is_pod),
        Case("the checker reports no errors", 1, checker_clean),
        Case("app and helper both mount one emptyDir volume", 1, _shared_empty_dir),
        Case(f"the app's socket {APP_SOCKET} is inside that emptyDir, on a writable mount", 1, _app_socket_in_volume,
             hidden=True),
        Case(f"the helper's {SOCKET_ENV} names the same file as seen from the helper", 1, _helper_finds_socket,
             hidden=True),
        Case("nothing comes from the node (no hostPath, no host namespaces) and images are pinned", 1,
             _node_free_and_pinned, hidden=True),
        Case("the Pod is named app-with-helper", 1, named("app-with-helper"), hidden=True),
    ],
)

# ---------------------------------------------------------------------------
# Exercise 2: choose the mechanism
# ---------------------------------------------------------------------------

ALWAYS, VOLUME, PID, NEVER = "always", "shared volume", "shareProcessNamespace", "never"

MECHANISMS: dict[str, tuple[str, str]] = {
    "sysv_message_queue": (ALWAYS, "System V message queues belong to the IPC namespace, and every container of a "
                                   "Pod joins the sandbox's IPC namespace."),
    "sysv_shared_memory": (ALWAYS, "System V shared memory segments (shmget) belong to the IPC namespace, which the "
                                   "Pod's containers share."),
    "sysv_semaphore": (ALWAYS, "System V semaphore sets belong to the IPC namespace, which the Pod's containers "
                               "share."),
    "posix_message_queue": (ALWAYS, "POSIX message queues (mq_open) live in the mqueue filesystem of the IPC "
                                    "namespace, so they are shared like System V objects."),
    "posix_shared_memory": (ALWAYS, "shm_open creates a file in /dev/shm. That is a tmpfs mount, not part of the IPC "
                                    "namespace, but containerd and CRI-O mount the sandbox's one /dev/shm into every "
                                    "container of the Pod, so the file is shared without any volume."),
    "unix_socket_path": (VOLUME, "a socket bound to a path is a file in the container's filesystem; mount "
                                 "namespaces are never shared, so the other container sees it only through a volume "
                                 "both mount."),
    "unix_socket_abstract": (ALWAYS, "abstract socket names (starting with a NUL byte) belong to the network "
                                     "namespace, which every container of the Pod shares."),
    "tcp_localhost": (ALWAYS, "the containers share one network namespace, so 127.0.0.1 is the same loopback for all "
                              "of them."),
    "named_pipe": (VOLUME, "a FIFO (mkfifo) is a file; like a socket path it is visible to another container only "
                           "inside a shared volume."),
    "signal": (PID, "kill() needs the target's PID, and a container sees other containers' processes only when they "
                    "share a PID namespace: `shareProcessNamespace: true`."),
}


def _choice_words(text: str) -> str:
    """A choice as plain words: case, backticks, quotes, -, _, : and = do not matter, nor a closing full stop."""
    for mark in "`'\"":
        text = text.replace(mark, "")
    text = text.strip().rstrip(".!").lower()
    for mark in "-_:=":
        text = text.replace(mark, " ")
    return " ".join(text.split())


# Every entry is written as _choice_words leaves it (so "can't" is "cant"). "none" is left out: it could
# mean "nothing needed" or "never".
_WORDS = {
    ALWAYS: {"always", "always works", "works always", "works", "shared", "always shared", "yes", "true", "ipc",
             "ipc namespace", "shared ipc namespace", "network", "network namespace", "shared network namespace",
             "net", "net namespace", "pod", "nothing", "nothing extra", "nothing needed", "nothing to add",
             "by default", "default", "out of the box"},
    VOLUME: {"shared volume", "volume", "a volume", "a shared volume", "needs a shared volume", "shared volumes",
             "emptydir", "empty dir", "an emptydir", "shared emptydir", "a shared emptydir", "emptydir volume",
             "shared emptydir volume", "a shared emptydir volume",
             "volume mount", "shared volume mount", "shared mount"},
    PID: {"shareprocessnamespace", "shareprocessnamespace true", "share process namespace",
          "shared process namespace", "process namespace", "shared pid", "shared pid namespace", "share pid",
          "share pid namespace", "pid", "pid namespace"},
    NEVER: {"never", "never works", "no", "false", "impossible", "not possible", "cannot", "cannot work", "cant",
            "does not work", "doesnt work"},
}


_choice = words(_WORDS, on_bool=(ALWAYS, NEVER), clean=_choice_words)


def _mechanism_row(key: str) -> Callable[[Answer], Any]:
    want, why = MECHANISMS[key]
    return table_row(key, want, why, read=_choice,
                     choices='"always", "shared volume", "shareProcessNamespace" or "never"',
                     unreadable='is not one of "always", "shared volume", "shareProcessNamespace", "never"',
                     example='{"sysv_message_queue": "always", ...}', named=True, upper_keys=False)


choose_mechanism = Exercise(
    id="ch5.choose_mechanism",
    title="Exercise 2 - which IPC works between two containers of one Pod?",
    answer_name="MECHANISMS",
    cases=[Case(f"row {key}", 1, _mechanism_row(key),
                hidden=key not in ("sysv_message_queue", "unix_socket_path", "signal"))
           for key in MECHANISMS],
)

# ---------------------------------------------------------------------------
# Exercise 3: a sidecar that sends SIGHUP to reload the app's configuration
# ---------------------------------------------------------------------------


RELOAD_NAME = "web-reload"
WEB_IMAGE, RELOADER_IMAGE = "nginx:1.22", "busybox:1.35"
CONFIG_MAP, CONF_DIR = "web-config", "/etc/nginx/conf.d"


def _share_pid(answer: Answer) -> Any:
    doc = pod(answer)
    spec = _spec(doc)
    for fld, i, c in running_containers(doc):
        if "shareProcessNamespace" in c:
            return Fail(f"shareProcessNamespace sits in container {c.get('name')!r}, where the API server rejects it.",
                        path=f"spec.{fld}[{i}].shareProcessNamespace",
                        hint="It is a Pod-level field: put `shareProcessNamespace: true` under spec.")
    if spec.get("hostPID") is True:
        return Fail("hostPID: true would put the Pod in the node's PID namespace (and the API server refuses it "
                    "together with shareProcessNamespace).", path="spec.hostPID",
                    hint="Remove hostPID and set `shareProcessNamespace: true`.")
    value = spec.get("shareProcessNamespace")
    if value is True:
        return True
    if isinstance(value, str):
        return Fail(f"shareProcessNamespace is the string {value!r}; the field is a boolean.",
                    path="spec.shareProcessNamespace", hint="Write true without quotes.")
    return Fail("the containers have separate PID namespaces, so reloader cannot see nginx's PID to signal it.",
                path="spec.shareProcessNamespace", hint="Set `shareProcessNamespace: true` under spec.")


def _reload_images(answer: Answer) -> Any:
    doc = pod(answer)
    for name, want in (("web", WEB_IMAGE), ("reloader", RELOADER_IMAGE)):
        where, c = _ctr(doc, name)
        if not same_image(c.get("image"), want):
            return Fail(f"{name} runs {c.get('image')!r}; the task gives it {want}.", path=f"{where}.image",
                        hint=f"Set `image: {want}`.")
    return True


def _uid(doc: dict[str, Any], c: dict[str, Any]) -> tuple[int, bool]:
    """(UID the container runs as, was it set explicitly?). nginx and busybox images default to root."""
    for sc in (c.get("securityContext"), _spec(doc).get("securityContext")):
        if isinstance(sc, dict) and isinstance(sc.get("runAsUser"), int) and not isinstance(sc["runAsUser"], bool):
            return sc["runAsUser"], True
    return 0, False


def _caps(c: dict[str, Any], key: str) -> set[str]:
    sc = c.get("securityContext")
    caps = sc.get("capabilities") if isinstance(sc, dict) else None
    items = caps.get(key) if isinstance(caps, dict) else None
    return {str(x).upper().removeprefix("CAP_") for x in items} if isinstance(items, list) else set()


def _can_signal(answer: Answer) -> Any:
    doc = pod(answer)
    _, web = _ctr(doc, "web")
    rel_path, rel = _ctr(doc, "reloader")
    (web_uid, web_set), (rel_uid, _) = _uid(doc, web), _uid(doc, rel)
    where = f"{rel_path}.securityContext"
    if rel_uid == web_uid:
        return True
    web_text = f"UID {web_uid}" + ("" if web_set else " (the image's default user, root)")
    if rel_uid != 0:
        tail = (" Adding KILL under capabilities.add does not help a non-root container: the capability is not "
                "passed on to the process (Kubernetes sets no ambient capabilities)." if "KILL" in _caps(rel, "add")
                else "")
        return Fail(f"reloader runs as UID {rel_uid} and nginx's master as {web_text}: the kernel lets a process "
                    f"signal only processes of its own user unless it holds CAP_KILL, so kill fails with EPERM.{tail}",
                    path=where, hint="Run reloader with the same runAsUser as web (or set it in the Pod-level "
                                     "securityContext so both share it).")
    dropped = _caps(rel, "drop")
    if ({"ALL", "KILL"} & dropped) and "KILL" not in _caps(rel, "add"):
        return Fail(f"reloader runs as root but drops CAP_KILL, and nginx runs as {web_text}: kill fails with EPERM.",
                    path=f"{where}.capabilities", hint="Run both containers as the same user instead.")
    return True


_KILLERS = frozenset({"kill", "pkill", "killall"})
_SIGNALS = frozenset(sig.name.removeprefix("SIG") for sig in signal.Signals)
_SEPARATORS = frozenset({";", "&&", "||", "|", "&", ")", "(", "then", "do", "done", "fi", "else", "`"})


def _kill_calls(words: list[str]) -> list[tuple[str, str | None, list[str]]]:
    """(tool, signal as written or None, operands) of every kill, pkill and killall in a container's words.

    `-HUP`, `-SIGHUP`, `-hup` (busybox reads names in any case), `-1`, `-s HUP` and `--signal HUP` name the
    signal; other options (`pkill -o`, `-f`) are skipped.
    """
    calls: list[tuple[str, str | None, list[str]]] = []
    for k, w in enumerate(words):
        tool = w.rsplit("/", 1)[-1]
        if tool not in _KILLERS:
            continue
        rest: list[str] = []
        for x in words[k + 1:]:
            if x in _SEPARATORS:
                break
            rest.append(x)
        sig: str | None = None
        operands: list[str] = []
        i = 0
        while i < len(rest):
            x = rest[i]
            if x in ("-s", "--signal") and i + 1 < len(rest):
                sig = sig or rest[i + 1]
                i += 2
                continue
            if x.startswith("--signal="):
                sig = sig or x.split("=", 1)[1]
            elif x.startswith("-") and len(x) > 1 and x != "--":
                name = x[1:]
                if sig is None and (name.isdigit() or name.upper().removeprefix("SIG") in _SIGNALS):
                    sig = name
            elif x != "--":
                operands.append(x)
            i += 1
        calls.append((tool, sig, operands))
    return calls


def _is_hup(sig: str | None) -> bool:
    return sig is not None and sig.upper().removeprefix("SIG") in ("HUP", "1")


def _sends_hup(answer: Answer) -> Any:
    doc = pod(answer)
    where, rel = _ctr(doc, "reloader")
    words = shell_words(rel)
    text = " ".join(words)
    if not words:
        return Fail("reloader has no command, so it runs its image's default and never signals nginx.",
                    path=f"{where}.command",
                    hint="Give it a loop that sends SIGHUP to nginx's master, e.g. `kill -HUP <pid>` "
                         "or `pkill -HUP -o nginx`.")
    hups = [c for c in _kill_calls(words) if _is_hup(c[1])]
    if not hups:
        return Fail(f"reloader's command ({text[:80]!r}) never sends SIGHUP; nginx reloads its configuration on "
                    "SIGHUP (kill's default SIGTERM, or SIGKILL, would stop it).", path=f"{where}.command",
                    hint="Use `kill -HUP` (or `pkill -HUP`).")
    if all(tool == "kill" and operands == ["1"] for tool, _, operands in hups):
        return Fail("reloader sends SIGHUP to PID 1, which is not nginx: with shareProcessNamespace: true, PID 1 "
                    "is the Pod's pause process (which ignores SIGHUP), and in a PID namespace of its own it is the "
                    "reloader's own first process.", path=f"{where}.command",
                    hint="Find nginx's master by name: `pkill -HUP -o nginx` (the oldest nginx process is the "
                         "master), or `kill -HUP $(pidof nginx)`.")
    return True


_LOOPS = frozenset({"while", "until", "for"})
_LOOPING_TOOLS = frozenset({"watch", "inotifyd", "inotifywait"})
# Tools that tell a change: checksums, comparisons, file times, inotify, the ConfigMap's ..data link.
_CHANGE_TOOLS = frozenset({"md5sum", "sha1sum", "sha256sum", "sha512sum", "sha3sum", "cksum", "sum", "cmp", "diff",
                           "stat", "inotifyd", "inotifywait", "readlink", "realpath"})
_CHANGE_WORDS = frozenset({"-newer", "-nt", "-ot", "..data"})
_COMPARES = frozenset({"!=", "=", "==", "-ne"})


def _reloads_on_change(answer: Answer) -> Any:
    doc = pod(answer)
    where, rel = _ctr(doc, "reloader")
    words = shell_words(rel)
    if not words:
        return Fail("reloader has no command, so nothing watches the configuration.", path=f"{where}.command",
                    hint="Run a loop that compares a checksum of the files each round and signals nginx when it "
                         "changes.")
    names = {w.rsplit("/", 1)[-1] for w in words}
    if not (names & _LOOPS or names & _LOOPING_TOOLS):
        return Fail("reloader's command has no loop (while, until or for), so it checks at most once and exits "
                    "(under the default restartPolicy, Always, it is then restarted with a growing back-off).",
                    path=f"{where}.command",
                    hint="Wrap the check in a loop, e.g. `while sleep 10; do ...; done`.")
    reads = names & {"cat", "ls", "find", "head", "tail"}
    if not (names & _CHANGE_TOOLS or any(w.endswith("..data") or w in _CHANGE_WORDS for w in words)
            or (reads and names & _COMPARES)):
        return Fail("reloader sends SIGHUP on every round whether or not the files changed: each SIGHUP makes nginx "
                    "re-read its configuration, start new workers and retire the old ones, for nothing. The task "
                    "asks for a signal when the files change.", path=f"{where}.command",
                    hint="Compare a checksum each round, e.g. `now=$(cat /config/*.conf | md5sum)`, and signal only "
                         "when it differs from the last one.")
    return True


def _config_maps_of(volume: dict[str, Any]) -> set[str]:
    """The ConfigMaps a volume takes its files from: a configMap volume or a projected volume's sources."""
    out: set[str] = set()
    cm = volume.get("configMap")
    if isinstance(cm, dict) and isinstance(cm.get("name"), str):
        out.add(cm["name"])
    projected = volume.get("projected")
    sources = projected.get("sources") if isinstance(projected, dict) else None
    for src in _list(sources):
        cm = src.get("configMap")
        if isinstance(cm, dict) and isinstance(cm.get("name"), str):
            out.add(cm["name"])
    return out


_SUBPATH_STALE = ("a ConfigMap mounted with a subPath is never updated by the kubelet, so {who} would never see a "
                  "new version")


def _config_in_both(answer: Answer) -> Any:
    doc = pod(answer)
    volumes = _volumes(doc)
    web_path, web = _ctr(doc, "web")
    rel_path, rel = _ctr(doc, "reloader")
    ours = {n for n, v in volumes.items() if CONFIG_MAP in _config_maps_of(v)}
    if not ours:
        others = sorted({m for v in volumes.values() for m in _config_maps_of(v)})
        what = f"the volumes take ConfigMap(s) {', '.join(others)}, not {CONFIG_MAP}" if others else \
            f"no volume takes its files from the ConfigMap {CONFIG_MAP}"
        return Fail(f"{what}: nginx needs that configuration and reloader has to see it change.", path="spec.volumes",
                    hint=f"Add a volume `configMap: {{name: {CONFIG_MAP}}}` and mount it in both containers.")
    mounts = [(j, m) for j, m in enumerate(_list(web.get("volumeMounts"))) if m.get("name") in ours]
    at = [(j, m) for j, m in mounts if same_path(m.get("mountPath"), CONF_DIR)]
    if not at:
        if mounts:
            j, m = mounts[0]
            return Fail(f"web mounts the {CONFIG_MAP} volume at {m.get('mountPath')!r}, but nginx reads its server "
                        f"blocks from {CONF_DIR}.", path=f"{web_path}.volumeMounts[{j}].mountPath",
                        hint=f"Set `mountPath: {CONF_DIR}`.")
        return Fail(f"web does not mount the {CONFIG_MAP} volume, so nginx never sees that configuration.",
                    path=f"{web_path}.volumeMounts", hint=f"Mount it in web at {CONF_DIR}.")
    j, m = at[0]
    if m.get("subPath") or m.get("subPathExpr"):
        return Fail(_SUBPATH_STALE.format(who="nginx") + ".", path=f"{web_path}.volumeMounts[{j}].subPath",
                    hint="Mount the whole volume at the directory, without subPath.")
    seen = [(k, n) for k, n in enumerate(_list(rel.get("volumeMounts"))) if n.get("name") in ours]
    if not seen:
        return Fail(f"reloader does not mount the {CONFIG_MAP} volume, so it cannot see the files change.",
                    path=f"{rel_path}.volumeMounts",
                    hint="Mount the same volume in reloader too (anywhere, e.g. /config).")
    if all(n.get("subPath") or n.get("subPathExpr") for _, n in seen):
        k, _ = seen[0]
        return Fail(_SUBPATH_STALE.format(who="reloader") + ", and would never signal.",
                    path=f"{rel_path}.volumeMounts[{k}].subPath", hint="Mount the whole volume, without subPath.")
    return True


reload_pod = Exercise(
    id="ch5.reload_pod",
    title="Exercise 3 - a sidecar that makes nginx reload with SIGHUP",
    answer_name="RELOAD_POD",
    cases=[
        Case("it is one Pod manifest (apiVersion v1, kind Pod)", 1, is_pod),
        Case("the checker reports no errors", 1, checker_clean),
        Case("the containers share one PID namespace", 1, _share_pid),
        Case(f"web runs {WEB_IMAGE} and reloader {RELOADER_IMAGE}", 1, _reload_images),
        Case(f"the Pod is named {RELOAD_NAME}", 1, named(RELOAD_NAME), hidden=True),
        Case("nothing is shared with the node (no host namespaces, no hostPath)", 1, _nothing_from_node,
             hidden=True),
        Case("reloader is allowed to signal nginx (same user)", 1, _can_signal, hidden=True),
        Case("reloader sends SIGHUP to nginx's master", 1, _sends_hup, hidden=True),
        Case("reloader checks in a loop and signals only when the files change", 1, _reloads_on_change,
             hidden=True),
        Case(f"the ConfigMap {CONFIG_MAP} is mounted in web at {CONF_DIR} and in reloader", 1, _config_in_both,
             hidden=True),
    ],
)

# ---------------------------------------------------------------------------
# Exercise 4: why hostIPC is not the fix
# ---------------------------------------------------------------------------

HOSTIPC_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web-reload
spec:
  hostIPC: true
  containers:
  - name: web
    image: nginx:1.22
  - name: reloader
    image: busybox:1.35
    command: ["sh", "-c", "while sleep 30; do pkill -HUP -o nginx; done"]
"""


@lru_cache(maxsize=1)
def hostipc_truth() -> dict[str, str]:
    """What the checker's Pod Security evaluation says about HOSTIPC_POD."""
    from course import check_text

    result = next(iter(check_text(HOSTIPC_POD)))
    v = next(v for v in result.pod_security.violations if v.path == "spec.hostIPC")
    return {"pss_level": v.level, "pss_check": v.check, "path": v.path, "pod_level": result.pod_security.level}


DIAGNOSIS_WHY = {
    "reloader_can_signal_web": "hostIPC changes only the IPC namespace (System V objects, POSIX message queues, "
                               "and /dev/shm becomes the node's); signals need to see the target's PID, which takes "
                               "a shared PID namespace.",
    "namespace_signals_need": "a process can only name (and so signal) processes in its own PID namespace or in "
                              "namespaces below it; the IPC namespace covers System V objects and POSIX message "
                              "queues, never PIDs or signals.",
    "pss_level": "the Baseline level already forbids sharing any host namespace; Restricted includes everything "
                 "Baseline forbids.",
    "pss_check": "the Pod Security admission check that covers hostNetwork, hostPID and hostIPC is hostNamespaces.",
    "path": "the violation points at the field that sets it, written from the top of the Pod as the checker "
            "prints it.",
}


def _norm(value: Any) -> str:
    """An answer as plain lower-case words: backticks, quotes, _, - and a leading "the" do not matter."""
    if value is None or isinstance(value, bool):
        return ""
    text = str(value).strip().lower()
    for mark in "`'\"":
        text = text.replace(mark, "")
    return " ".join(text.replace("_", " ").replace("-", " ").split()).removeprefix("the ")


_can_signal_word = words({True: TRUE_WORDS | {"can", "it can", "yes it can"},
                          False: FALSE_WORDS | {"cannot", "can not", "cant", "it cannot", "no it cannot"}},
                         on_bool=(True, False), clean=_norm)
_PID_WORDS = frozenset({"pid", "process", "process id", "processes", "shareprocessnamespace", "clone newpid",
                        "newpid"})


def _bare(text: str, *suffixes: str) -> str:
    for suffix in suffixes:
        text = text.removesuffix(suffix).strip()
    return text


def _field_path(value: Any) -> str:
    """A field path as written: `spec.hostIPC`, `.spec.hostIPC`, `spec.hostIPC: true` all read `spec.hostipc`."""
    text = _norm(value).replace(" ", "")
    for tail in (":true", "=true"):
        text = text.removesuffix(tail)
    return text.lstrip(".").removeprefix("pod.")


def _diagnosis(key: str) -> Callable[[Answer], Any]:
    def test(answer: Answer) -> Any:
        data = answer.data
        if not isinstance(data, dict):
            raise Fail(f"{answer.name} must be the dict shown in the cell.")
        table = {str(k).strip().lower(): v for k, v in data.items()}
        if key not in table or table[key] is None or (isinstance(table[key], str) and _norm(table[key]) in ("", "?")):
            return Fail(f"{key} has no answer.")
        got = table[key]
        truth = hostipc_truth()
        if key == "reloader_can_signal_web":
            read = _can_signal_word(got)
            if read is None:
                return Fail(f"reloader_can_signal_web: {got!r} is not True or False.", hint="Write True or False.")
            ok, want = read is False, "False"
        elif key == "namespace_signals_need":
            ok = _bare(_norm(got), "namespace", "ns") in _PID_WORDS
            want = '"pid"'
        elif key == "pss_level":
            ok = _bare(_norm(got), "level", "profile", "policy", "standard") == truth["pss_level"]
            want = repr(truth["pss_level"])
        elif key == "pss_check":
            ok = _bare(_norm(got), "check").replace(" ", "") == truth["pss_check"].lower()
            want = repr(truth["pss_check"])
        else:
            ok = _field_path(got) == truth["path"].lower()
            want = repr(truth["path"])
        if not ok:
            return Fail(f"{key} is {want}, not {got!r}: {DIAGNOSIS_WHY[key]}")
        return True

    return test


hostipc_diagnosis = Exercise(
    id="ch5.hostipc_diagnosis",
    title="Exercise 4 - why hostIPC is not the fix",
    answer_name="HOSTIPC_DIAGNOSIS",
    cases=[Case(f"{key}", 1, _diagnosis(key), hidden=key not in ("reloader_can_signal_web", "namespace_signals_need"))
           for key in DIAGNOSIS_WHY],
)

# ---------------------------------------------------------------------------
# Exercise 5: the IPC namespaces lab
# ---------------------------------------------------------------------------

LAB_TRUTH: dict[str, tuple[bool, str]] = {
    "sidecar_reads_queue": (True, "app and sidecar are in the Pod's one IPC namespace, so the key finds the same "
                                  "queue."),
    "other_pod_reads_queue": (False, "another Pod has its own IPC namespace; the same key names nothing there."),
    "node_reads_queue": (False, "the node's IPC namespace is not the Pod's (unless the Pod sets hostIPC: true)."),
    "sidecar_sees_app_by_default": (False, "without shareProcessNamespace each container has its own PID namespace "
                                           "and its ps shows only its own processes."),
    "sidecar_sees_app_with_shared_pid": (True, "with shareProcessNamespace every container sees every process of "
                                               "the Pod."),
    "sighup_reaches_app_with_shared_pid": (True, "both run as the same user here, so once the sidecar can see the "
                                                 "app's PID, kill -HUP is allowed."),
}
RUNS = {"queue": "the queue lab run", "signals_default": "the default signal lab run",
        "signals_shared": "the shareProcessNamespace signal lab run"}


def _lab(answer: Answer) -> dict[str, Any]:
    return lab_data(answer, built_by="the lab cell builds")


_true_false = truth()


def _prediction(key: str) -> Callable[[Answer], Any]:
    want, why = LAB_TRUTH[key]

    def test(answer: Answer) -> Any:
        table = lab_predictions(_lab(answer))
        if key not in table:
            return Fail(f"prediction {key} has no answer.", hint=f'Add "{key}": True or False.')
        got = _true_false(table[key])
        if got is None:
            return Fail(f"prediction {key} is {table[key]!r}; write True or False.")
        if got != want:
            return Fail(f"prediction {key} is {want}: {why}")
        return True

    return test


def _observed(answer: Answer, run: str) -> dict[str, Any]:
    result = _lab(answer).get(run)
    label = RUNS[run]
    if not isinstance(result, dict):
        raise Fail(f"{label} is missing; run the lab cells.")
    if "error" in result:
        raise Fail(f"{label} stopped: {result['error']}", hint="Fix the experiment, then run the lab cells again.")
    obs = result.get("observed")
    if not isinstance(obs, dict):
        raise Fail(f"{label} produced {obs!r}, not a dict.")
    return obs


def _probe(obs: dict[str, Any], place: str, tool: str, label: str) -> dict[str, Any]:
    got = obs.get(place)
    if not isinstance(got, dict) or got.get("tool") != tool:
        raise Fail(f"{label}: {place!r} is {got!r}, not the result of a {tool!r} probe.",
                   hint=f'Store what lab...run(..., "{tool}", ...) returned under "{place}".')
    return got


def _queue_shape(answer: Answer) -> Any:
    obs = _observed(answer, "queue")
    _probe(obs, "app", "send", RUNS["queue"])
    for place in ("sidecar", "other_pod", "node"):
        _probe(obs, place, "receive", RUNS["queue"])
    return True


def _queue_shared(answer: Answer) -> Any:
    run = _lab(answer).get("queue")
    obs = _observed(answer, "queue")
    sent = _probe(obs, "app", "send", RUNS["queue"])
    if sent.get("ok") is not True:
        return Fail(f"the app could not create the queue: {sent.get('error')}.")
    got = _probe(obs, "sidecar", "receive", RUNS["queue"])
    message = run.get("message") if isinstance(run, dict) else None
    if got.get("found") is not True:
        return Fail(f"the sidecar did not find the queue ({got.get('error')}). Did the sidecar's receive run in "
                    "lab.pod, with the same key the app used?",
                    hint='Use lab.pod.run("sidecar", "receive", lab.key).')
    if got.get("message") != message:
        return Fail(f"the sidecar read {got.get('message')!r}, not the lab's message {message!r}.",
                    hint="Send lab.message from the app, and let only the sidecar receive it.")
    return True


def _same_key(got: Any, want: Any) -> bool:
    """Queue keys as msgget reads them (0x5ca1ab1e and 1554098974 are one key); unknown counts as the same."""
    if got is None or want is None:
        return True
    try:
        return int(str(got), 0) == int(str(want), 0)
    except ValueError:
        return str(got) == str(want)


def _queue_isolated(answer: Answer) -> Any:
    run = _lab(answer).get("queue")
    obs = _observed(answer, "queue")
    key = run.get("key") if isinstance(run, dict) else None
    for place, where in (("other_pod", "lab.other"), ("node", "lab.node")):
        got = _probe(obs, place, "receive", RUNS["queue"])
        if not _same_key(got.get("key"), key):
            return Fail(f"{place} looked for key {got.get('key')!r}, not the app's key {key!r}: a queue under another "
                        "key is missing anywhere, so this proves nothing about namespaces.",
                        hint=f'Use {where}.run(..., "receive", lab.key).')
        if got.get("found") is not False:
            return Fail(f"{place} found a queue; it should not exist there. Did that receive run in {where}?",
                        hint=f'Use {where}.run(..., "receive", lab.key).')
    return True


def _signal_obs(answer: Answer, run: str) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    obs = _observed(answer, run)
    ps = obs.get("ps")
    app = obs.get("app")
    if not isinstance(ps, dict) or not isinstance(ps.get("processes"), list):
        raise Fail(f"{RUNS[run]}: 'ps' is not the result of the sidecar's ps probe.",
                   hint='Store lab.pod.run("sidecar", "ps") under "ps".')
    if not isinstance(app, dict) or app.get("tool") != "wait-signal":
        raise Fail(f"{RUNS[run]}: 'app' is not the result of the app's wait-signal probe.",
                   hint='Store app.result() (from lab.pod.start("app", "wait-signal", 3)) under "app".')
    return obs, [p for p in ps["processes"] if isinstance(p, dict)], app


def _signals_shared(answer: Answer) -> Any:
    obs, procs, app = _signal_obs(answer, "signals_shared")
    waiting = [p.get("pid") for p in procs if "wait-signal" in str(p.get("cmd"))]
    if not waiting:
        return Fail("with shareProcessNamespace the sidecar's ps should list the app's wait-signal process, and it "
                    "does not. Did ps run in the sidecar of lab.pod after the app was started?")
    if str(obs.get("target")) != str(waiting[0]):
        return Fail(f"target is {obs.get('target')!r}, but the app's process is PID {waiting[0]} in the sidecar's ps.",
                    hint='Pick the PID of the process whose cmd contains "wait-signal".')
    kill = obs.get("kill")
    if not isinstance(kill, dict) or kill.get("ok") is not True or kill.get("signal") != "SIGHUP":
        return Fail(f"the sidecar's kill was {kill!r}; it should send HUP to the target and succeed.",
                    hint='Use lab.pod.run("sidecar", "kill", target, "HUP").')
    if app.get("got") != "SIGHUP" or app.get("pid_inside") != waiting[0]:
        return Fail(f"the app reports {app!r}; it should have received SIGHUP as PID {waiting[0]}.")
    return True


def _signals_default(answer: Answer) -> Any:
    obs, procs, app = _signal_obs(answer, "signals_default")
    if any("wait-signal" in str(p.get("cmd")) for p in procs):
        return Fail("in the default run the sidecar's ps lists the app, which a separate PID namespace hides; "
                    "was this run started with share_pid=False?")
    if app.get("got") is not None:
        return Fail(f"in the default run the app reports {app.get('got')}; nothing in another PID namespace can "
                    "signal it.")
    if obs.get("target") is not None or obs.get("kill") is not None:
        return Fail(f"in the default run the sidecar's ps lists no wait-signal process, yet target is "
                    f"{obs.get('target')!r} and kill {obs.get('kill')!r}: what did it signal? (PID 1 there is the "
                    "sidecar's own probe.)", hint='Pick only a process whose cmd contains "wait-signal": '
                                                  'target None and "kill": None when there is none.')
    return True


namespaces_lab = Exercise(
    id="ch5.ipc_lab",
    title="Exercise 5 - the IPC namespaces lab",
    answer_name="LAB",
    cases=[
        *[Case(f"prediction: {key}", 1, _prediction(key),
               hidden=key not in ("sidecar_reads_queue", "sidecar_sees_app_by_default"))
          for key in LAB_TRUTH],
        Case("the queue experiment returned app, sidecar, other_pod and node results", 1, _queue_shape),
        Case("the queue the app made is read, with its message, by the sidecar", 1, _queue_shared),
        Case("another Pod and the node cannot find the queue", 1, _queue_isolated, hidden=True),
        Case("with shareProcessNamespace the sidecar finds the app and its SIGHUP arrives", 1, _signals_shared,
             hidden=True),
        Case("by default the sidecar cannot see the app and no signal arrives", 1, _signals_default, hidden=True),
    ],
)

EXERCISES = (socket_pod, choose_mechanism, reload_pod, hostipc_diagnosis, namespaces_lab)
