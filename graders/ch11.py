"""Chapter 11, troubleshooting Pods: graders for its three exercises and its live check.

The diagnosis table and the crash investigation are reading exercises: each row is a cause from a
fixed list and a field in API path notation, read forgivingly (synonyms, `containers.0` or
`containers[0]` or `containers[name=web]`). The repair exercise reads the fixed Pod as the kubelet and
the scheduler would: one case per fault, and the rest of the manifest kept. The live check
(`fix_live`) runs the learner's repaired Pod in a sandbox, then the given broken one beside it.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

from graders import live
from graders.answers import Answer
from graders.core import (
    Case,
    Exercise,
    Fail,
    container_named,
    declares_port,
    dicts,
    errors,
    image_is,
    is_pod,
    pod,
    probe_port,
    quantity,
    same_image,
    seconds_of,
    shell_words,
    short_repr,
    spec_of,
    words,
)

DOCS = "https://kubernetes.io/docs/tasks/debug/debug-application/debug-pods/"

# ---------------------------------------------------------------------------
# Reading answers: causes and field paths
# ---------------------------------------------------------------------------

CAUSES: dict[str, tuple[str, ...]] = {
    "insufficient-resources": ("insufficient-resources", "insufficient resources", "insufficient memory",
                               "insufficient cpu", "requests too large", "requests too big", "resources",
                               "unschedulable requests", "not enough memory", "not enough resources"),
    "untolerated-taint": ("untolerated-taint", "untolerated taint", "taint", "taints", "node taint",
                          "missing toleration", "no toleration", "toleration"),
    "unbound-pvc": ("unbound-pvc", "unbound pvc", "pvc", "unbound persistentvolumeclaim", "persistentvolumeclaim"),
    "image-not-found": ("image-not-found", "image not found", "wrong image", "bad image", "image tag",
                        "image typo", "bad tag", "wrong tag", "imagepullbackoff", "errimagepull", "image pull"),
    "command-not-found": ("command-not-found", "command not found", "bad command", "wrong command",
                          "missing binary", "executable not found"),
    "oom-killed": ("oom-killed", "oomkilled", "oom", "out of memory", "memory limit", "oom kill"),
    "readiness-probe": ("readiness-probe", "readiness probe", "readiness", "failing readiness probe",
                        "readiness probe failing", "readinessprobe"),
    "liveness-probe": ("liveness-probe", "liveness probe", "liveness", "failing liveness probe",
                       "livenessprobe"),
    "port-conflict": ("port-conflict", "port conflict", "port clash", "address already in use", "port in use",
                      "same port", "port collision"),
    "missing-configmap": ("missing-configmap", "missing configmap", "configmap not found", "configmap missing",
                          "no configmap", "missing config map"),
    "missing-secret": ("missing-secret", "missing secret", "secret not found", "secret missing", "no secret"),
    "podsecurity": ("podsecurity", "pod security", "podsecurity rejection", "pod security admission", "psa",
                    "pss", "forbidden", "podsecurity-rejected"),
}
CHOICES = ", ".join(f'"{c}"' for c in CAUSES)


def _clean(text: str) -> str:
    return " ".join(text.strip().lower().replace("_", " ").split())


_CAUSE = words({k: {_clean(w) for w in v} | {_clean(k)} for k, v in CAUSES.items()}, clean=_clean)

_INDEXED = re.compile(r"\.(\d+)(?=\.|$)")
_NAMED = re.compile(r"\[(?:name\s*=\s*)?[\"']?([A-Za-z0-9][A-Za-z0-9._-]*)[\"']?\]")


def norm_field(value: Any, names: Mapping[str, int] | None = None) -> str | None:
    """A field path as written (`.spec.containers.0.image`, `containers[name=web].image`, `Pod.spec...`)
    in one spelling: `spec.containers[0].image`, lower case; None when it is not a path."""
    if not isinstance(value, str) or not value.strip() or len(value) > 300:
        return None
    text = "".join(value.split()).strip("`'\"")
    text = text.removeprefix("$").lstrip(".")
    for head in ("pod.", "pods.", "kind:pod."):
        if text.lower().startswith(head):
            text = text[len(head):]
    text = _INDEXED.sub(lambda m: f"[{m.group(1)}]", text)

    def by_name(m: re.Match[str]) -> str:
        got = m.group(1)
        if got.isdigit():
            return f"[{got}]"
        folded = {k.lower(): v for k, v in (names or {}).items()}
        if got.lower() in folded:
            return f"[{folded[got.lower()]}]"
        return f"[{got}]"

    text = _NAMED.sub(by_name, text)
    if text.startswith(("containers", "volumes", "tolerations", "initcontainers", "initContainers")):
        text = "spec." + text
    return text.lower()


def field_matches(value: Any, accepted: Sequence[str], names: Mapping[str, int] | None = None, *,
                  below: bool = False) -> bool:
    """The written path is one of `accepted` (or, with `below`, inside one of them)."""
    got = norm_field(value, names)
    if got is None:
        return False
    for want in accepted:
        w = want.lower()
        if got == w or (below and got.startswith((w + ".", w + "["))):
            return True
    return False


def _table(answer: Answer, example: str) -> dict[str, Any]:
    data = answer.data
    if not isinstance(data, dict):
        raise Fail(f"{answer.name} must be a dict such as {example}.")
    return {str(k).strip().upper(): v for k, v in data.items()}


def _fold(row: Any) -> dict[str, Any]:
    if isinstance(row, dict):
        return {str(k).strip().lower(): v for k, v in row.items()}
    if isinstance(row, (list, tuple)) and len(row) == 2:
        return {"cause": row[0], "field": row[1]}
    return {}


# ---------------------------------------------------------------------------
# Exercise 1: name the cause and the field to change
# ---------------------------------------------------------------------------


class Row:
    """One excerpt of the diagnosis table: what the learner reads, the cause, the fields that fix it."""

    def __init__(self, excerpt: str, cause: str, fields: Sequence[str], why: str, *,
                 names: Mapping[str, int] | None = None, below: bool = False) -> None:
        self.excerpt, self.cause, self.fields, self.why = excerpt, cause, tuple(fields), why
        self.names, self.below = dict(names or {}), below


ROWS: dict[str, Row] = {
    "A": Row("""\
$ kubectl get pod api
NAME   READY   STATUS    RESTARTS   AGE
api    0/1     Pending   0          4m12s
$ kubectl events --for pod/api
LAST SEEN   TYPE      REASON             OBJECT    MESSAGE
4m12s       Warning   FailedScheduling   Pod/api   0/1 nodes are available: 1 Insufficient memory. preemption: \
0/1 nodes are available: 1 No preemption victims found for incoming pod.
(the Pod's only container, api, requests memory: 24Gi; the node has 7.6Gi allocatable)""",
             "insufficient-resources", ["spec.containers[0].resources.requests.memory"],
             "the scheduler finds no node with 24Gi of unreserved memory; lower the container's memory request "
             "(a limit alone does not block scheduling).", names={"api": 0}),
    "B": Row("""\
$ kubectl get pod web
NAME   READY   STATUS             RESTARTS   AGE
web    0/1     ImagePullBackOff   0          2m3s
$ kubectl describe pod web | tail -4
  Warning  Failed     95s (x4 over 2m3s)  kubelet  Failed to pull image "nginx:1.27.O": rpc error: code = NotFound \
desc = failed to pull and unpack image "docker.io/library/nginx:1.27.O": failed to resolve reference \
"docker.io/library/nginx:1.27.O": docker.io/library/nginx:1.27.O: not found
  Warning  Failed     95s (x4 over 2m3s)  kubelet  Error: ErrImagePull
  Normal   BackOff    8s (x9 over 2m2s)   kubelet  Back-off pulling image "nginx:1.27.O"
  Warning  Failed     8s (x9 over 2m2s)   kubelet  Error: ImagePullBackOff""",
             "image-not-found", ["spec.containers[0].image"],
             "the registry has no tag 1.27.O (a letter O for a zero); correct the image reference.", names={"web": 0}),
    "C": Row("""\
$ kubectl get pod orders
NAME     READY   STATUS    RESTARTS   AGE
orders   0/1     Running   0          3m
$ kubectl events --for pod/orders
LAST SEEN           TYPE      REASON      OBJECT       MESSAGE
2s (x18 over 3m)    Warning   Unhealthy   Pod/orders   Readiness probe failed: Get "http://10.244.0.17:8080/ready": \
dial tcp 10.244.0.17:8080: connect: connection refused
(the app logs "listening on :8000"; the probe is httpGet {path: /ready, port: 8080})""",
             "readiness-probe", ["spec.containers[0].readinessProbe.httpGet.port",
                                 "spec.containers[0].readinessProbe"],
             "Running with 0/1 READY and no restarts is a readiness probe that fails; it knocks on 8080 while the "
             "app listens on 8000, so point the probe at the app's port.", names={"orders": 0}),
    "D": Row("""\
$ kubectl get pod shop
NAME   READY   STATUS             RESTARTS      AGE
shop   1/2     CrashLoopBackOff   4 (30s ago)   2m40s
$ kubectl logs shop -c metrics --previous
2026/12/03 09:12:44 starting exporter on :8080
2026/12/03 09:12:44 listen tcp :8080: bind: address already in use
(containers: [0] app listens on 8080; [1] metrics has args: ["--listen=:8080"])""",
             "port-conflict", ["spec.containers[1].args"],
             "the containers of a Pod share one network namespace, and app already holds port 8080; give metrics "
             "another port in its --listen argument.", names={"app": 0, "metrics": 1}),
    "E": Row("""\
$ kubectl get pod proxy
NAME    READY   STATUS              RESTARTS   AGE
proxy   0/1     ContainerCreating   0          5m
$ kubectl events --for pod/proxy
LAST SEEN            TYPE      REASON        OBJECT      MESSAGE
40s (x11 over 5m)    Warning   FailedMount   Pod/proxy   MountVolume.SetUp failed for volume "config" : configmap \
"proxy-conf" not found
$ kubectl get configmaps
NAME               DATA   AGE
kube-root-ca.crt   1      9d
proxy-config       1      9d
(volumes: [0] {name: config, configMap: {name: proxy-conf}})""",
             "missing-configmap", ["spec.volumes[0].configMap.name", "spec.volumes[0].configMap"],
             "the volume names a ConfigMap proxy-conf that does not exist (the one there is proxy-config); the "
             "kubelet retries the mount until it appears, so fix the name in the volume.", names={"config": 0}),
    "F": Row("""\
$ kubectl get pod worker
NAME     READY   STATUS                       RESTARTS   AGE
worker   0/1     CreateContainerConfigError   0          1m
$ kubectl describe pod worker | tail -2
  Normal   Pulled   12s (x7 over 1m)  kubelet  Container image "ghcr.io/example/worker:3.1" already present on machine
  Warning  Failed   12s (x7 over 1m)  kubelet  Error: secret "db-credentials" not found
(env: [0] {name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db-credentials, key: password}}};
 kubectl get secrets lists db-creds)""",
             "missing-secret", ["spec.containers[0].env[0].valueFrom.secretKeyRef.name",
                                "spec.containers[0].env[0].valueFrom.secretKeyRef"],
             "the container's env refers to a Secret that is not there, so the kubelet cannot build the "
             "container's environment and never starts it; name the Secret that exists (db-creds).",
             names={"worker": 0, "db_password": 0}),
    "G": Row("""\
$ kubectl get pod trainer -o wide
NAME      READY   STATUS    RESTARTS   AGE   IP       NODE     NOMINATED NODE   READINESS GATES
trainer   0/1     Pending   0          7m    <none>   <none>   <none>           <none>
$ kubectl events --for pod/trainer
LAST SEEN   TYPE      REASON             OBJECT        MESSAGE
7m          Warning   FailedScheduling   Pod/trainer   0/1 nodes are available: 1 node(s) had untolerated taint \
{dedicated: gpu}. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.""",
             "untolerated-taint", ["spec.tolerations"],
             "the only node carries the taint dedicated=gpu and the Pod does not tolerate it; add a toleration "
             "(key dedicated, value gpu, effect NoSchedule) to the Pod.", below=True),
}
_DIAG_EXAMPLE = '{"A": {"cause": "...", "field": "spec...."}, ...}'


def _diag_row(answer: Answer, letter: str) -> dict[str, Any]:
    table = _table(answer, _DIAG_EXAMPLE)
    if letter not in table:
        raise Fail(f"excerpt {letter} has no answer.", hint=f'Add "{letter}": {{"cause": one of {CHOICES}, '
                   '"field": "spec...."}.')
    row = _fold(table[letter])
    if not row:
        raise Fail(f"excerpt {letter}: {short_repr(table[letter])} is not {{\"cause\": ..., \"field\": ...}}.")
    return row


def _cause(letter: str) -> Any:
    r = ROWS[letter]

    def test(answer: Answer) -> Any:
        got_raw = _diag_row(answer, letter).get("cause")
        got = _CAUSE(got_raw)
        if got is None:
            return Fail(f"excerpt {letter}: cause {short_repr(got_raw)} is not one of the choices.",
                        hint=f"Write one of {CHOICES}.")
        if got != r.cause:
            return Fail(f"excerpt {letter}: the cause is {r.cause}, not {got}: {r.why}")
        return True

    return test


def _field(letter: str) -> Any:
    r = ROWS[letter]

    def test(answer: Answer) -> Any:
        got = _diag_row(answer, letter).get("field")
        if norm_field(got) is None:
            return Fail(f"excerpt {letter} names no field to change.",
                        hint=f'Add "field": "{r.fields[0]}"-style API path notation.'.replace(r.fields[0], "spec..."))
        if field_matches(got, r.fields, r.names, below=r.below):
            return True
        return Fail(f"excerpt {letter}: changing {short_repr(got)} does not fix it: {r.why}",
                    hint="Name the field in API path notation, e.g. spec.containers[0].image.")

    return test


diagnosis = Exercise(
    id="ch11.diagnosis",
    title="Exercise 1 - read the symptoms",
    answer_name="DIAGNOSIS",
    cases=[c for letter in ROWS for c in (
        Case(f"excerpt {letter}: the cause", 1, _cause(letter), hidden=letter not in ("A", "B")),
        Case(f"excerpt {letter}: the field to change", 1, _field(letter), hidden=letter not in ("A", "B")),
    )],
)

# ---------------------------------------------------------------------------
# Exercise 2: repair a broken Pod
# ---------------------------------------------------------------------------

WEB, HEARTBEAT = "web", "heartbeat"
WEB_IMAGE, HEARTBEAT_IMAGE, BAD_IMAGE = "nginx:1.22", "busybox:1.35", "nginx:1.222"
MAX_MEMORY, MIN_MEMORY = "512Mi", "16Mi"

BROKEN_POD = f"""\
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
  - name: web
    image: {BAD_IMAGE}
    ports:
    - name: http
      containerPort: 80
    resources:
      requests:
        cpu: 100m
        memory: 64Gi
    readinessProbe:
      httpGet:
        path: /
        port: 8080
      periodSeconds: 2
  - name: heartbeat
    image: {HEARTBEAT_IMAGE}
    command: ["sh", "-c", "echo heartbeat started; sleeep 3600"]
"""


def _web(doc: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return container_named(doc, WEB)


def _beat(doc: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return container_named(doc, HEARTBEAT)


def _requests_memory(c: Mapping[str, Any]) -> Any:
    res = c.get("resources")
    req = res.get("requests") if isinstance(res, dict) else None
    return req.get("memory") if isinstance(req, dict) else None


def _program_words(c: Mapping[str, Any]) -> list[str]:
    got = shell_words(c)
    if len(got) >= 2 and got[0].rsplit("/", 1)[-1] in ("sh", "ash", "bash", "dash") and got[1] == "-c":
        got = got[2:]
    return got


def _keeps_running(ws: Sequence[str]) -> bool:
    """The words end in something that runs for an hour or more: `sleep N`, `tail -f /dev/null`, a loop."""
    text = " ".join(ws)
    for k, w in enumerate(ws):
        if w.rsplit("/", 1)[-1] == "sleep" and k + 1 < len(ws):
            arg = ws[k + 1]
            if arg.lower() in ("infinity", "inf"):
                return True
            secs = seconds_of(arg)
            if secs is not None and secs >= 3600:
                return True
    if re.search(r"\btail\s+(-f|-F|--follow)\s+/dev/null\b", text):
        return True
    return bool(re.search(r"\bwhile\s+(true|:)\s*;?\s*do\b.*\bsleep\b.*\bdone\b", text))


def _fixed_count(doc: dict[str, Any]) -> int:
    n = 0
    with_web = [c for c in dicts(spec_of(doc).get("containers")) if c.get("name") == WEB]
    with_beat = [c for c in dicts(spec_of(doc).get("containers")) if c.get("name") == HEARTBEAT]
    for c in with_web[:1]:
        n += c.get("image") != BAD_IMAGE
        n += _requests_memory(c) != "64Gi"
        probe = c.get("readinessProbe")
        n += not (isinstance(probe, dict) and isinstance(probe.get("httpGet"), dict)
                  and probe["httpGet"].get("port") == 8080)
    for c in with_beat[:1]:
        n += "sleeep" not in _program_words(c)
    return n


def _not_the_given(answer: Answer) -> None:
    if _fixed_count(pod(answer)) == 0:
        raise Fail("this is still the broken Pod as given: none of its faults is fixed.",
                   hint="Read the symptoms in the task, then change the fields that cause them.")


def _web_kept(answer: Answer) -> Any:
    verdict = is_pod(answer)
    if verdict is not True:
        return verdict if isinstance(verdict, Fail) else Fail(str(verdict))
    doc = pod(answer)
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    if meta.get("name") != "web":
        return Fail(f"the Pod is named {short_repr(meta.get('name'))}; keep `name: web`.", path="metadata.name")
    labels = meta.get("labels") if isinstance(meta.get("labels"), dict) else {}
    if labels.get("app") != "web":
        return Fail("the label app: web is gone; a Service selects the Pod by it.", path="metadata.labels",
                    hint="Keep `labels: {app: web}`.")
    names = [c.get("name") for c in dicts(spec_of(doc).get("containers"))]
    if sorted(n for n in names if isinstance(n, str)) != [HEARTBEAT, WEB] or len(names) != 2:
        return Fail(f"the Pod's containers are {short_repr(names)}; keep exactly web and heartbeat (fix them, do "
                    "not remove them).", path="spec.containers")
    i, web = _web(doc)
    if not image_is(web.get("image"), "nginx") and web.get("image") != BAD_IMAGE:
        return Fail(f"web runs {short_repr(web.get('image'))}; it is an nginx server, only its tag is wrong.",
                    path=f"spec.containers[{i}].image", hint=f"Use `image: {WEB_IMAGE}`.")
    if not declares_port(web, 80):
        return Fail("web no longer declares containerPort 80.", path=f"spec.containers[{i}].ports",
                    hint="Keep `ports: [{name: http, containerPort: 80}]`.")
    res = web.get("resources") if isinstance(web.get("resources"), dict) else {}
    req = res.get("requests") if isinstance(res.get("requests"), dict) else {}
    if quantity(req.get("cpu")) != quantity("100m"):
        return Fail(f"web's cpu request is {short_repr(req.get('cpu'))}; nothing was wrong with 100m.",
                    path=f"spec.containers[{i}].resources.requests.cpu", hint="Keep `cpu: 100m`.")
    j, beat = _beat(doc)
    if not same_image(beat.get("image"), HEARTBEAT_IMAGE):
        return Fail(f"heartbeat runs {short_repr(beat.get('image'))}; keep {HEARTBEAT_IMAGE}.",
                    path=f"spec.containers[{j}].image", hint=f"Set `image: {HEARTBEAT_IMAGE}` again.")
    _not_the_given(answer)
    return True


def _image_fixed(answer: Answer) -> Any:
    i, web = _web(pod(answer))
    got = web.get("image")
    if same_image(got, WEB_IMAGE):
        return True
    if got == BAD_IMAGE:
        return Fail(f"web still runs {BAD_IMAGE}: no such tag exists, so the kubelet reports ErrImagePull, then "
                    "ImagePullBackOff, and retries with a growing delay.", path=f"spec.containers[{i}].image",
                    hint=f"Correct the tag: `image: {WEB_IMAGE}` (the version the course cluster preloads).")
    return Fail(f"web runs {short_repr(got)}; the course cluster has no registry and preloads only {WEB_IMAGE}, "
                "so any other tag ends in ImagePullBackOff there.", path=f"spec.containers[{i}].image",
                hint=f"Use `image: {WEB_IMAGE}`.")


def _command_fixed(answer: Answer) -> Any:
    j, beat = _beat(pod(answer))
    where = f"spec.containers[{j}].command"
    ws = _program_words(beat)
    if "sleeep" in ws:
        return Fail("heartbeat still runs `sleeep`, which busybox does not have: the shell prints "
                    "`sh: sleeep: not found` and exits 127, and the kubelet restarts it into CrashLoopBackOff.",
                    path=where, hint="Spell the program `sleep`: `sh -c 'echo heartbeat started; sleep 3600'`.")
    if not ws:
        return Fail("heartbeat has no command left, so it runs busybox's default shell, which exits at once "
                    "without a terminal (Completed, then CrashLoopBackOff).", path=where,
                    hint='Use `command: ["sh", "-c", "echo heartbeat started; sleep 3600"]`.')
    if not _keeps_running(ws):
        return Fail(f"heartbeat runs `{' '.join(ws)}`, which ends within the hour; a container of a Pod with "
                    "restartPolicy Always that exits is restarted, and soon backs off.", path=where,
                    hint="Keep it running: `sleep 3600` as in the given command.")
    return True


def _memory_fits(answer: Answer) -> Any:
    i, web = _web(pod(answer))
    where = f"spec.containers[{i}].resources.requests.memory"
    got = _requests_memory(web)
    q = quantity(got)
    if got is None:
        return Fail("web has no memory request any more. Pending went away, but the scheduler now reserves nothing "
                    "for nginx; the task asks for a request that fits.", path=where,
                    hint="Set `memory: 64Mi` (the unit was the typo: Gi for Mi).")
    if q is None:
        return Fail(f"web's memory request {short_repr(got)} is not a quantity.", path=where,
                    hint="Write it like `64Mi`.")
    if q > quantity(MAX_MEMORY):
        return Fail(f"web requests {got} of memory; the course node cannot offer that much, so the Pod stays "
                    "Pending with FailedScheduling `0/1 nodes are available: 1 Insufficient memory.`", path=where,
                    hint=f"Request at most {MAX_MEMORY}; nginx needs about 64Mi.")
    if q < quantity(MIN_MEMORY):
        return Fail(f"web requests only {got} of memory, less than nginx uses; the request is the reservation "
                    "the scheduler makes for it.", path=where, hint="Use `memory: 64Mi`.")
    res = web.get("resources") if isinstance(web.get("resources"), dict) else {}
    lim = res.get("limits") if isinstance(res.get("limits"), dict) else {}
    if "memory" in lim and quantity(lim.get("memory")) is not None and quantity(lim["memory"]) < q:
        return Fail("web's memory limit is below its request, which the API server refuses.",
                    path=f"spec.containers[{i}].resources.limits.memory", hint="Make the limit at least the request.")
    return True


def _readiness_fixed(answer: Answer) -> Any:
    i, web = _web(pod(answer))
    where = f"spec.containers[{i}].readinessProbe"
    probe = web.get("readinessProbe")
    if not isinstance(probe, dict):
        return Fail("web has no readinessProbe any more. Deleting a failing probe hides the symptom: the Pod "
                    "would be Ready even while nginx cannot serve.", path=f"spec.containers[{i}]",
                    hint="Keep the probe and point it at nginx's port: `port: 80` (or `port: http`).")
    handler = next((h for h in ("httpGet", "tcpSocket") if isinstance(probe.get(h), dict)), None)
    if handler is None:
        return Fail("web's readinessProbe is no longer an httpGet (or tcpSocket) check of nginx's port.",
                    path=where, hint="Keep `httpGet: {path: /, port: 80}`.")
    port = probe_port(web, probe[handler].get("port"))
    if port != 80:
        return Fail(f"web's readinessProbe checks port {short_repr(port)}, but nginx listens on 80: every check "
                    "is refused, so the Pod runs with READY 0/1 and Unhealthy events (`Readiness probe failed: "
                    "... connect: connection refused`).", path=f"{where}.{handler}.port",
                    hint="Set `port: 80`, or the port's name `http`.")
    if handler == "httpGet" and probe["httpGet"].get("path", "/") not in ("/", "/index.html"):
        return Fail(f"web's readinessProbe asks for {short_repr(probe['httpGet'].get('path'))}, which the "
                    "default nginx site does not serve (404 counts as a failure).", path=f"{where}.httpGet.path",
                    hint="Keep `path: /`.")
    return True


def _fix_no_errors(answer: Answer) -> Any:
    _not_the_given(answer)
    return errors(answer)


fix_pod = Exercise(
    id="ch11.fix_pod",
    title="Exercise 2 - repair the broken Pod",
    answer_name="FIXED_POD",
    cases=[
        Case("one Pod named web (label app: web) with web and heartbeat kept, and a fault fixed", 1, _web_kept),
        Case(f"web's image is {WEB_IMAGE} (the tag typo fixed)", 1, _image_fixed),
        Case("heartbeat runs a program that exists and keeps running", 1, _command_fixed),
        Case(f"web's memory request fits the node (at most {MAX_MEMORY})", 1, _memory_fits, hidden=True),
        Case("web's readinessProbe checks nginx's port 80", 1, _readiness_fixed, hidden=True),
        Case("the checker reports no errors", 1, _fix_no_errors, hidden=True),
    ],
)

# ---------------------------------------------------------------------------
# Exercise 3: a CrashLoopBackOff investigation
# ---------------------------------------------------------------------------

CRASH_STATUS = """\
$ kubectl get pod report -o yaml     # status, cut to the containers
status:
  phase: Running
  conditions:
  - type: Ready
    status: "False"
    reason: ContainersNotReady
    message: 'containers with unready status: [renderer]'
  containerStatuses:
  - name: api
    image: ghcr.io/example/report-api:2.0
    ready: true
    restartCount: 0
    started: true
    state:
      running:
        startedAt: "2026-12-03T08:01:12Z"
  - name: renderer
    image: ghcr.io/example/renderer:4.2
    ready: false
    restartCount: 6
    started: false
    lastState:
      terminated:
        exitCode: 137
        reason: OOMKilled
        startedAt: "2026-12-03T08:14:40Z"
        finishedAt: "2026-12-03T08:15:02Z"
    state:
      waiting:
        reason: CrashLoopBackOff
        message: back-off 5m0s restarting failed container=renderer pod=report_default(2f6b...)

$ kubectl logs report -c renderer --previous
08:14:40 renderer 4.2 starting, memory limit 256Mi
08:14:41 loading templates (312 files)
08:14:58 rendering monthly report: 18204 pages
$ kubectl get pod report -o jsonpath='{.spec.containers[1].resources}'
{"limits":{"memory":"256Mi"},"requests":{"cpu":"250m","memory":"256Mi"}}
"""

_CRASH_EXAMPLE = '{"container": "...", "phase": "...", ...}'
_SIGKILL = {"sigkill", "kill", "9", "signal 9", "sig 9", "sigkill (9)", "sigkill 9", "killed", "kill -9",
            "128+9", "128 + 9", "signal 9 (sigkill)", "killed by sigkill", "killed by signal 9"}
_PHASES = ("pending", "running", "succeeded", "failed", "unknown")

# key -> (what is asked, the test of the value, why, when wrong)
CRASH_KEYS = ("container", "phase", "waiting_reason", "reason", "exit_code", "signal", "field")


def _crash(answer: Answer, key: str) -> Any:
    data = answer.data
    if not isinstance(data, dict):
        raise Fail(f"{answer.name} must be a dict such as {_CRASH_EXAMPLE}.")
    table = {str(k).strip().lower().replace(" ", "_").replace("-", "_"): v for k, v in data.items()}
    if key not in table or table[key] in (None, ""):
        raise Fail(f"{key} has no answer.", hint=f'Add "{key}": ... (see the task).')
    return table[key]


def _text(value: Any) -> str:
    return _clean(str(value)) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""


def _crash_container(answer: Answer) -> Any:
    got = _text(_crash(answer, "container"))
    if got in ("renderer", "containers[1]", "spec.containers[1]", "1"):
        return True
    return Fail(f"container is {short_repr(got)}; the one that restarts is renderer (restartCount 6, ready false); "
                "api has run since 08:01 without a restart.")


def _crash_phase(answer: Answer) -> Any:
    got = _text(_crash(answer, "phase"))
    if got == "running":
        return True
    if got == "crashloopbackoff":
        return Fail("CrashLoopBackOff is not a phase: it is the waiting reason of one container (what the "
                    "STATUS column shows). The Pod's phase is status.phase, Running: api still runs.")
    if got in _PHASES:
        return Fail(f"the phase is Running, not {got}: at least one container (api) is running, and the Pod is "
                    "not finished.")
    return Fail(f"phase {short_repr(got)} is not one of the five phases (Pending, Running, Succeeded, Failed, "
                "Unknown); read status.phase.")


def _crash_waiting(answer: Answer) -> Any:
    got = _text(_crash(answer, "waiting_reason"))
    if got == "crashloopbackoff":
        return True
    return Fail(f"waiting_reason is {short_repr(got)}; renderer's state.waiting.reason is CrashLoopBackOff: the "
                "kubelet is waiting out the back-off delay before it restarts the container again.")


def _crash_reason(answer: Answer) -> Any:
    got = _text(_crash(answer, "reason"))
    if got in ("oomkilled", "oom killed", "oom", "oom-killed", "out of memory"):
        return True
    return Fail(f"reason is {short_repr(got)}; lastState.terminated.reason says OOMKilled: the kernel killed "
                "renderer for going past its memory limit. (The log just stops: a killed process prints nothing.)")


def _crash_exit(answer: Answer) -> Any:
    value = _crash(answer, "exit_code")
    got = _text(value)
    if got == "137":
        return True
    return Fail(f"exit_code is {short_repr(value)}; lastState.terminated.exitCode is 137, the last run's exit "
                "code (state is waiting and has none).")


def _crash_signal(answer: Answer) -> Any:
    got = _text(_crash(answer, "signal"))
    if got in _SIGKILL or got.replace(" ", "") in {w.replace(" ", "") for w in _SIGKILL}:
        return True
    return Fail(f"signal is {short_repr(got)}; an exit code above 128 means killed by signal (code - 128): "
                "137 - 128 = 9, SIGKILL, which the kernel's OOM killer sends and no program can catch.")


def _crash_field(answer: Answer) -> Any:
    got = _crash(answer, "field")
    names = {"renderer": 1, "api": 0}
    if field_matches(got, ["spec.containers[1].resources.limits.memory"], names):
        return True
    if field_matches(got, ["spec.containers[1].resources.requests.memory"], names):
        return Fail("raising only the request changes what the scheduler reserves, not when the kernel kills: "
                    "the OOM kill comes from the limit.", path="spec.containers[1].resources.limits.memory",
                    hint="Raise renderer's memory limit (and its request with it).")
    return Fail(f"changing {short_repr(got)} would not stop the OOM kills: renderer needs more memory than its "
                "256Mi limit.", hint="Name spec.containers[1].resources.limits.memory.")


_CRASH_TESTS = {"container": _crash_container, "phase": _crash_phase, "waiting_reason": _crash_waiting,
                "reason": _crash_reason, "exit_code": _crash_exit, "signal": _crash_signal, "field": _crash_field}
_CRASH_NAMES = {
    "container": "the container that fails", "phase": "the Pod's phase", "waiting_reason": "the waiting reason",
    "reason": "why the last run ended", "exit_code": "the last exit code", "signal": "what the exit code means",
    "field": "the field to change"}

crash = Exercise(
    id="ch11.crash",
    title="Exercise 3 - why does renderer keep restarting?",
    answer_name="CRASH",
    cases=[Case(_CRASH_NAMES[k], 1, _CRASH_TESTS[k], hidden=k not in ("container", "phase", "reason"))
           for k in CRASH_KEYS],
)

# ---------------------------------------------------------------------------
# Live check: the repaired Pod becomes Ready; the given broken one, beside it, does not
# ---------------------------------------------------------------------------

BROKEN_NAME = "web-broken"


def _plan_fix(answer: Answer) -> live.Plan:
    doc = live.runnable(answer)
    for name in (WEB, HEARTBEAT):
        if live.find_container(doc, name) is None:
            raise Fail(f"there is no container named {name!r}, so there is nothing to check.", path="spec",
                       hint=f"Keep the {name} container of the given Pod.")
    live.others_must_be_course_images(doc, ())
    return live.Plan(doc, ["web and heartbeat run your images and commands as written (both are course images)."])


def _both_keep_running(handle: Any, report: Any, plan: live.Plan) -> list[str]:
    """Ready once is not enough: heartbeat may exit a moment later, or the probe may start failing."""
    from course.cluster import live as cluster

    time.sleep(live.TIMING["settle"])
    with contextlib.suppress(Exception):
        report = cluster.summarize(cluster.read_pod(handle.api, handle.namespace, handle.name), handle.namespace)
    out = []
    for name in (WEB, HEARTBEAT):
        c = report.container(name)
        if c is None:
            out.append(f"the cluster reports no status for container {name!r}.")
        elif c.state != "running" or not c.ready or c.restart_count:
            detail = f"{c.state}{' (' + c.reason + ')' if c.reason else ''}, restarted {c.restart_count} time(s)"
            out.append(live.exec_failure(
                c.spec_path, f'Container "{name}" does not stay running and ready: it is {detail}.',
                f"Read `kubectl logs {handle.name} -c {name} --previous` and `kubectl events --for pod/"
                f"{handle.name}`."))
    return out


def _broken_stays_unready(handle: Any, report: Any, plan: live.Plan) -> list[str]:
    """The given Pod, created beside the learner's, is not Ready: the faults were real on this cluster."""
    import yaml

    from course.cluster import live as cluster

    broken = yaml.safe_load(BROKEN_POD)
    broken["metadata"]["name"] = BROKEN_NAME
    created, _ = cluster.apply(broken, api=handle.api, namespace=handle.namespace)
    if created is None:
        return []  # refused outright is not Ready either
    time.sleep(live.TIMING["settle"])
    try:
        got = cluster.read_pod(handle.api, handle.namespace, BROKEN_NAME)
    except Exception:
        return []
    status = got.get("status") if isinstance(got.get("status"), dict) else {}
    ready = [c for c in dicts(status.get("conditions")) if c.get("type") == "Ready"]
    if ready and ready[0].get("status") == "True":
        return [live.exec_failure(("spec",), "the given broken Pod became Ready on this cluster too, so its faults "
                                  "did not show here and this check proves nothing.",
                                  "Tell your instructor: the course cluster should refuse it.")]
    return []


fix_live = live.live_exercise(
    "ch11.fix_live", "Live check - the repaired Pod becomes Ready", "FIXED_POD", _plan_fix, "ch11-web",
    [("the Pod is admitted, scheduled and becomes Ready on the cluster", 1, None),
     ("web and heartbeat stay running and ready, without restarts", 1, _both_keep_running),
     ("the given broken Pod, created beside it, does not become Ready", 1, _broken_stays_unready)],
    until="Ready", limit_range=False,
)

EXERCISES: Sequence[Exercise] = (diagnosis, fix_pod, crash)
# Where the live cell goes: (exercise, answer variable, the static test cell it follows).
LIVE_CELLS = [(fix_live, "FIXED_POD", "ch11-fix-test")]
