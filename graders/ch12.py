"""Chapter 12, the capstone: one Pod that meets every requirement of the course, graded requirement by requirement.

The learner writes the whole `storefront` Pod from a brief. Each requirement is one case with its own points
and a message naming the field to change; the cases reuse what the chapters taught the checker and the
graders: the QoS class and the Pod Security level come from the checker, probe timings are read with
chapter 7's arithmetic (`failure_window`, `startup_budget`), the memory the Pod reserves with chapter 8's
aggregation (regular containers and sidecars add up, a plain init container runs beside the sidecars
started before it). The report ends with a summary: how many requirements are met and which to change.
The live check runs the Pod in a sandbox that enforces `restricted`, with busybox stand-ins for the images
the course cluster does not have.

Exercises 2 and 3 take that Pod into production: a change request (a TLS proxy joins the Pod) and an incident
review (an OOM kill read from `kubectl` output, then fixed). Each grades its new requirement and, in groups,
every storefront case again (`earlier`), so a change that breaks the brief loses exactly those points.
"""

from __future__ import annotations

import json
import re
import shlex
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

from graders import live
from graders.answers import Answer, load_answer
from graders.ch7 import failure_window, resolve_port, setting, startup_budget
from graders.ch9 import pod_security, violation_text
from graders.ch11 import field_matches
from graders.core import (
    Case,
    CaseResult,
    CaseTest,
    Exercise,
    Fail,
    _outcome,
    declares_port,
    dicts,
    errors,
    find_container,
    is_pod,
    kept,
    mount_of,
    need_container,
    norm_path,
    pod,
    same_image,
    same_path,
    shell_words,
    short_repr,
    spec_of,
    words,
    writes_file,
)

PSS_DOCS = "https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted"
QOS_DOCS = "https://kubernetes.io/docs/concepts/workloads/pods/pod-qos/"
PROBE_DOCS = "https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/"
SIDECAR_DOCS = "https://kubernetes.io/docs/concepts/workloads/pods/sidecar-containers/"
MI = 2**20

POD_NAME, NAMESPACE, APP_LABEL = "storefront", "shop", "storefront"
FETCH, WEB, SHIPPER, METRICS = "fetch-config", "web", "log-shipper", "metrics"
BUSYBOX = "busybox:1.35"
WEB_IMAGE = "ghcr.io/example/storefront:3.4.1"
METRICS_IMAGE = "ghcr.io/example/storefront-exporter:0.4.2"
FETCH_COMMAND = ["sh", "-c", "wget -q -O /config/app.conf http://config-server.shop.svc/storefront/app.conf"]
SHIPPER_COMMAND = ["sh", "-c", "tail -n+1 -F /logs/access.log"]
METRICS_ARGS = ["--scrape-url=http://localhost:8080/status", "--listen=:9100"]
WEB_PORT, METRICS_PORT = 8080, 9100
CONFIG_DIR, LOG_DIR, TMP_DIR = "/etc/storefront", "/var/log/storefront", "/tmp"
CONFIG_FILE, LOG_FILE = "app.conf", "access.log"
UID = 10001

# The latency budget of the brief, in seconds.
READY_WITHIN = 6  # out of the Service within 6 s of web hanging
READY_MIN_FAILURES = 2  # one slow answer must not take web out
LIVE_NOT_BEFORE = 30  # a stall shorter than this must never restart web
LIVE_WITHIN = 60  # a real hang is restarted within 60 s
START_UP_TO = 90  # a cold start may take this long
START_GIVE_UP = 120  # a start still hanging after this long is restarted
START_NOTICE = 5  # once web answers, it is noticed as started within 5 s

POD_MEMORY = 512 * MI  # the whole Pod, at most
MEMORY_NEEDS = {WEB: 256 * MI, METRICS: 32 * MI, SHIPPER: 32 * MI, FETCH: 32 * MI}

READY_PATH, HEALTH_PATH = "/ready", "/healthz"
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")

# The editor's starting point: the wrong name (a checker error) and web alone, so it earns nothing as it is.
STARTER = f"""\
apiVersion: v1
kind: Pod
metadata:
  name: Storefront
spec:
  containers:
  - name: web
    image: {WEB_IMAGE}
    ports:
    - containerPort: {WEB_PORT}
"""


# ---------------------------------------------------------------------------
# Reading the answer
# ---------------------------------------------------------------------------


_need = need_container


def _web(doc: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    fld, i, c = _need(doc, WEB, f"Add the app container `{WEB}` ({WEB_IMAGE}).")
    if fld != "containers":
        raise Fail("web is an init container; the application belongs in spec.containers.",
                   path=f"spec.{fld}[{i}]", hint="Move web to spec.containers.")
    return f"spec.containers[{i}]", c


def _all_containers(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    spec = spec_of(doc)
    return [(f"spec.{fld}[{i}]", c) for fld in ("initContainers", "containers") for i, c in
            enumerate(dicts(spec.get(fld)))]


def _volume(doc: dict[str, Any], name: Any) -> dict[str, Any] | None:
    return next((v for v in dicts(spec_of(doc).get("volumes")) if v.get("name") == name), None)


def _is_empty_dir(doc: dict[str, Any], name: Any) -> bool:
    v = _volume(doc, name)
    return v is not None and isinstance(v.get("emptyDir"), dict)


def _mount_at(c: Mapping[str, Any], path: str) -> dict[str, Any] | None:
    """The volumeMount of `c` whose mountPath is `path` (slashes normalised)."""
    return next((m for m in dicts(c.get("volumeMounts")) if same_path(m.get("mountPath"), path)), None)


def _pod_named(answer: Answer) -> Any:
    verdict = is_pod(answer)
    if verdict is not True:
        return verdict
    meta = pod(answer).get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    if meta.get("name") != POD_NAME:
        return Fail(f"the Pod is named {short_repr(meta.get('name'))}.", path="metadata.name",
                    hint=f"Set `name: {POD_NAME}`.")
    if meta.get("namespace") not in (None, NAMESPACE):
        return Fail(f"the Pod is in namespace {short_repr(meta.get('namespace'))}; the brief runs it in {NAMESPACE}, "
                    "the namespace that enforces restricted.", path="metadata.namespace",
                    hint=f"Set `namespace: {NAMESPACE}` or leave it out and apply with `-n {NAMESPACE}`.")
    labels = meta.get("labels") if isinstance(meta.get("labels"), dict) else {}
    if labels.get("app") != APP_LABEL:
        return Fail(f"the Pod has no label app: {APP_LABEL}, so the storefront Service selects nothing.",
                    path="metadata.labels", hint=f"Add `labels: {{app: {APP_LABEL}}}`.")
    return True


# ---------------------------------------------------------------------------
# Structure: the init container, web, the sidecar, the adapter
# ---------------------------------------------------------------------------


def _fetch_first(answer: Answer) -> Any:
    doc = pod(answer)
    fld, i, c = _need(doc, FETCH, f"Add an init container `{FETCH}` running {BUSYBOX}.")
    where = f"spec.{fld}[{i}]"
    if fld == "containers":
        return Fail("fetch-config is a regular container: it starts together with web, so web may read app.conf "
                    "before it exists.", path=where, hint="Move fetch-config to spec.initContainers.")
    if c.get("restartPolicy") == "Always":
        return Fail("fetch-config is a native sidecar (restartPolicy: Always): it would be restarted each time it "
                    "exits, and web would start without waiting for it to finish.", path=f"{where}.restartPolicy",
                    hint="Remove `restartPolicy` from fetch-config: a plain init container runs to completion first.")
    if not same_image(c.get("image"), BUSYBOX):
        return Fail(f"fetch-config runs {short_repr(c.get('image'))}; the brief uses {BUSYBOX}.",
                    path=f"{where}.image", hint=f"Set `image: {BUSYBOX}`.")
    written = [m for m in dicts(c.get("volumeMounts")) if isinstance(m.get("mountPath"), str)
               and writes_file(c, m["mountPath"].rstrip("/") + "/" + CONFIG_FILE)]
    if not written:
        return Fail(f"fetch-config does not write {CONFIG_FILE} into a volume it mounts, so the file stays in its "
                    "own filesystem and web never sees it.", path=f"{where}.volumeMounts",
                    hint="Mount the config emptyDir at /config in fetch-config and keep its command "
                         f"`{shlex.join(FETCH_COMMAND)}`.")
    m = written[0]
    if not _is_empty_dir(doc, m.get("name")):
        return Fail(f"fetch-config writes into volume {short_repr(m.get('name'))}, which is not an emptyDir.",
                    path="spec.volumes", hint=f"Declare `{{name: {m.get('name')}, emptyDir: {{}}}}`.")
    if m.get("readOnly") is True:
        return Fail("fetch-config mounts the config volume read-only, so it cannot write app.conf.",
                    path=f"{where}.volumeMounts", hint="Drop `readOnly: true` from fetch-config's mount.")
    _, web = _web(doc)
    if mount_of(web, m.get("name")) is None:
        return Fail(f"web does not mount {m.get('name')}, the volume fetch-config writes app.conf into.",
                    path="spec.containers", hint=f"Mount it in web at {CONFIG_DIR} (read-only).")
    return True


def _web_kept(answer: Answer) -> Any:
    doc = pod(answer)
    where, c = _web(doc)
    changed = kept(c, {"name": WEB, "image": WEB_IMAGE, "ports": [{"containerPort": WEB_PORT}]}, where)
    if changed is not None:
        return changed
    for j, p in enumerate(dicts(c.get("ports"))):
        if p.get("containerPort") == WEB_PORT and p.get("name") != "http":
            named = "has no name" if p.get("name") is None else f"is named {short_repr(p.get('name'))}"
            return Fail(f"port {WEB_PORT} {named}.", path=f"{where}.ports[{j}].name",
                        hint="Name it `http`: the Service and the probes refer to it by that name.")
    m = _mount_at(c, CONFIG_DIR)
    fetch = find_container(doc, FETCH, ("initContainers", "containers"))
    if m is None:
        return Fail(f"web reads its configuration from {CONFIG_DIR}/{CONFIG_FILE}, but mounts nothing there.",
                    path=f"{where}.volumeMounts", hint=f"Mount the config emptyDir at {CONFIG_DIR}, read-only.")
    if fetch is not None and mount_of(fetch[2], m.get("name")) is None:
        return Fail(f"web mounts {short_repr(m.get('name'))} at {CONFIG_DIR}, but fetch-config does not write into "
                    "that volume.", path=f"{where}.volumeMounts",
                    hint="Mount the same emptyDir in fetch-config (at /config) and in web.")
    if m.get("readOnly") is not True:
        return Fail("web mounts its configuration read-write; it only reads it.", path=f"{where}.volumeMounts",
                    hint=f"Add `readOnly: true` to web's mount at {CONFIG_DIR}.")
    return True


def _sidecar(answer: Answer) -> Any:
    doc = pod(answer)
    fld, i, c = _need(doc, SHIPPER, f"Add an init container `{SHIPPER}` with `restartPolicy: Always`.")
    where = f"spec.{fld}[{i}]"
    if fld == "containers":
        return Fail("log-shipper is a regular container: it may start after web has written its first lines, and "
                    "it may be stopped before web, losing the last ones.", path=where,
                    hint=f"Move log-shipper to spec.initContainers with `restartPolicy: Always`. See {SIDECAR_DOCS}")
    if c.get("restartPolicy") != "Always":
        return Fail("log-shipper is a plain init container: `tail -F` never exits, so web would never start "
                    "(the Pod waits in Init).", path=f"{where}.restartPolicy",
                    hint="Set `restartPolicy: Always` on log-shipper (a native sidecar).")
    changed = kept(c, {"name": SHIPPER, "image": BUSYBOX, "command": SHIPPER_COMMAND}, where, entrypoint=False)
    return changed if changed is not None else True


def _logs_shared(answer: Answer) -> Any:
    doc = pod(answer)
    where, web = _web(doc)
    m = _mount_at(web, LOG_DIR)
    if m is None or m.get("readOnly") is True:
        return Fail(f"web writes {LOG_DIR}/{LOG_FILE}, but has no writable volume mounted at {LOG_DIR}.",
                    path=f"{where}.volumeMounts", hint=f"Mount a `logs` emptyDir at {LOG_DIR} in web.")
    if not _is_empty_dir(doc, m.get("name")):
        return Fail(f"web's log volume {short_repr(m.get('name'))} is not an emptyDir.", path="spec.volumes",
                    hint=f"Declare `{{name: {m.get('name')}, emptyDir: {{}}}}`.")
    fld, i, shipper = _need(doc, SHIPPER, f"Add the `{SHIPPER}` sidecar.")
    got = mount_of(shipper, m.get("name"))
    swhere = f"spec.{fld}[{i}].volumeMounts"
    if got is None:
        return Fail(f"log-shipper does not mount {m.get('name')}, the volume web writes its log into.", path=swhere,
                    hint="Mount it at /logs in log-shipper, with `readOnly: true`.")
    k, sm = got
    if not same_path(sm.get("mountPath"), "/logs"):
        return Fail(f"log-shipper mounts the logs at {short_repr(sm.get('mountPath'))}, but tails /logs/access.log.",
                    path=f"{swhere}[{k}].mountPath", hint="Use `mountPath: /logs`.")
    if sm.get("readOnly") is not True:
        return Fail("log-shipper mounts web's logs read-write; it only reads them, and a bug in it could truncate "
                    "them.", path=f"{swhere}[{k}]", hint="Add `readOnly: true` to log-shipper's mount.")
    return True


def _metrics(answer: Answer) -> Any:
    doc = pod(answer)
    fld, i, c = _need(doc, METRICS, f"Add a container `{METRICS}` running {METRICS_IMAGE}.")
    where = f"spec.{fld}[{i}]"
    if fld == "initContainers" and c.get("restartPolicy") != "Always":
        return Fail("metrics is a plain init container: it serves forever, so web would never start.", path=where,
                    hint="Make metrics a regular container (or a native sidecar).")
    changed = kept(c, {"name": METRICS, "image": METRICS_IMAGE, "args": METRICS_ARGS}, where)
    if changed is not None:
        return changed
    if not declares_port(c, METRICS_PORT):
        return Fail(f"metrics does not declare port {METRICS_PORT}, so Prometheus' Pod discovery cannot find it.",
                    path=f"{where}.ports", hint=f"Add `ports: [{{name: metrics, containerPort: {METRICS_PORT}}}]`.")
    return True


# ---------------------------------------------------------------------------
# Probes: what each one checks, and its timings against the latency budget
# ---------------------------------------------------------------------------

_URL = re.compile(r"^https?://(?P<host>\[[^\]]*\]|[^/:]+)(?::(?P<port>\d+))?(?P<path>/[^\s?#]*)?")


def probe_target(c: dict[str, Any], probe: dict[str, Any]) -> tuple[str, int | None] | str:
    """(path, port) an HTTP check of the probe asks for, or a sentence saying why it checks no HTTP path.

    An `exec` probe counts when it fetches a URL on localhost (`wget -q -O- http://localhost:8080/ready`),
    because it checks the same thing the kubelet's own GET would."""
    get = probe.get("httpGet")
    if isinstance(get, dict):
        path = get.get("path") if isinstance(get.get("path"), str) else "/"
        return path, resolve_port(c, get.get("port"))
    ex = probe.get("exec")
    if isinstance(ex, dict):
        for word in shell_words({"command": ex.get("command"), "env": c.get("env")}):
            m = _URL.match(word.strip("'\""))
            if m and m.group("host") in LOCAL_HOSTS:
                port = int(m.group("port")) if m.group("port") else 80
                return m.group("path") or "/", port
        return "its exec command fetches no http://localhost URL"
    if isinstance(probe.get("tcpSocket"), dict):
        return "tcpSocket only proves that something listens on the port"
    if isinstance(probe.get("grpc"), dict):
        return "grpc asks the gRPC health service, which web does not serve"
    return "it has no handler"


def _web_probe(answer: Answer, kind: str, want_path: str) -> tuple[str, dict[str, Any]]:
    where, c = _web(pod(answer))
    hint = f"Add `{kind}: {{httpGet: {{path: {want_path}, port: http}}}}` to web, with the timings of the brief."
    p = c.get(kind)
    if not isinstance(p, dict):
        raise Fail(f"web has no {kind}.", path=where, hint=hint)
    target = probe_target(c, p)
    if isinstance(target, str):
        raise Fail(f"web's {kind} does not GET {want_path}: {target}.", path=f"{where}.{kind}", hint=hint)
    path, port = target
    if path.split("?", 1)[0] != want_path:
        raise Fail(f"web's {kind} checks {path!r}, not {want_path}.", path=f"{where}.{kind}",
                   hint=f"Check `{want_path}`.")
    if port != WEB_PORT:
        raise Fail(f"web's {kind} checks port {short_repr(port)}, but web listens on {WEB_PORT} (named http).",
                   path=f"{where}.{kind}", hint="Use `port: http`.")
    return f"{where}.{kind}", p


def _sum(p: dict[str, Any]) -> str:
    return (f"{setting(p, 'failureThreshold')} x {setting(p, 'periodSeconds')}s + timeoutSeconds "
            f"{setting(p, 'timeoutSeconds')}s = {failure_window(p) + setting(p, 'timeoutSeconds')}s")


def _readiness(answer: Answer) -> Any:
    where, p = _web_probe(answer, "readinessProbe", READY_PATH)
    failures = setting(p, "failureThreshold")
    if failures < READY_MIN_FAILURES:
        return Fail(f"the readinessProbe takes web out of the Service after {failures} failure: one slow answer is "
                    "enough.", path=f"{where}.failureThreshold",
                    hint=f"Use `failureThreshold: {READY_MIN_FAILURES}` or more, with a shorter period.")
    worst = failure_window(p) + setting(p, "timeoutSeconds")
    if worst > READY_WITHIN:
        return Fail(f"a hung web leaves the Service only after {_sum(p)}, more than the {READY_WITHIN}s budget.",
                    path=where, hint="E.g. `periodSeconds: 2, failureThreshold: 2, timeoutSeconds: 1` (5s). "
                    f"See {PROBE_DOCS}")
    return True


def _liveness(answer: Answer) -> Any:
    where, p = _web_probe(answer, "livenessProbe", HEALTH_PATH)
    if failure_window(p) < LIVE_NOT_BEFORE:
        return Fail(f"the livenessProbe restarts web after {setting(p, 'failureThreshold')} x "
                    f"{setting(p, 'periodSeconds')}s = {failure_window(p)}s of failures; a stall shorter than "
                    f"{LIVE_NOT_BEFORE}s must never restart it.", path=where,
                    hint=f"Make failureThreshold x periodSeconds at least {LIVE_NOT_BEFORE}, e.g. "
                    "`periodSeconds: 10, failureThreshold: 3`.")
    worst = failure_window(p) + setting(p, "timeoutSeconds")
    if worst > LIVE_WITHIN:
        return Fail(f"a hung web is restarted only after {_sum(p)}, later than the {LIVE_WITHIN}s budget.",
                    path=where, hint=f"Keep failureThreshold x periodSeconds + timeoutSeconds at most {LIVE_WITHIN}.")
    return True


def _startup(answer: Answer) -> Any:
    where, p = _web_probe(answer, "startupProbe", HEALTH_PATH)
    budget = startup_budget(p)
    arithmetic = (f"initialDelaySeconds {setting(p, 'initialDelaySeconds')} + {setting(p, 'failureThreshold')} x "
                  f"{setting(p, 'periodSeconds')}s = {budget}s")
    if budget < START_UP_TO:
        return Fail(f"the startupProbe gives web {arithmetic} to start, less than the {START_UP_TO}s a cold start may "
                    "take: a slow start is killed and restarted, again and again.", path=where,
                    hint=f"E.g. `periodSeconds: 5, failureThreshold: 18` ({START_UP_TO}s).")
    if budget + setting(p, "timeoutSeconds") > START_GIVE_UP:
        return Fail(f"a start that hangs is given up only after {arithmetic} + timeoutSeconds "
                    f"{setting(p, 'timeoutSeconds')}s, later than {START_GIVE_UP}s.", path=where,
                    hint=f"Keep initialDelaySeconds + failureThreshold x periodSeconds + timeoutSeconds at most "
                    f"{START_GIVE_UP}.")
    for fld in ("periodSeconds", "initialDelaySeconds"):
        if setting(p, fld) > START_NOTICE:
            return Fail(f"the startupProbe's {fld} is {setting(p, fld)}s, so web may serve for that long before it "
                        f"is noticed as started; the brief allows {START_NOTICE}s.", path=f"{where}.{fld}",
                        hint=f"Keep {fld} at most {START_NOTICE} and raise failureThreshold instead.")
    return True


# ---------------------------------------------------------------------------
# Resources: Guaranteed, within the memory budget, enough for each container
# ---------------------------------------------------------------------------


def _mem(v: Fraction) -> str:
    return f"{int(v // MI)}Mi" if v % MI == 0 else f"{float(v):,.0f} bytes"


def _guaranteed(answer: Answer) -> Any:
    from course.checker.qos import explain_qos

    doc = pod(answer)
    _need(doc, METRICS, f"Add every container of the brief first (`{METRICS}` is missing).")
    got = getattr(answer.result, "qos_class", None)
    if got == "Guaranteed":
        return True
    why = "; ".join(explain_qos(spec_of(doc))) or "no container sets resources"
    return Fail(f"the API server would record status.qosClass: {got}, not Guaranteed ({why}).", path="spec",
                hint="Give every container, fetch-config and log-shipper included, cpu and memory limits with "
                f"requests equal to them (or pod-level spec.resources with requests equal to limits). See {QOS_DOCS}")


def pod_memory(doc: dict[str, Any]) -> tuple[Fraction | None, str]:
    """The memory limit the whole Pod gets, and where it comes from: spec.resources, or the containers' limits
    aggregated as the scheduler aggregates requests (None when some container has no memory limit)."""
    from course.checker import defaults

    spec = spec_of(doc)
    pl = defaults.pod_level(spec)
    if pl is not None and "memory" in pl.limits:
        return pl.limits["memory"][0], "spec.resources.limits.memory"
    if any("memory" not in defaults.container_limits(c) for _, c in _all_containers(doc)):
        return None, "spec"
    got = defaults.aggregate(spec, defaults.container_limits)
    return (got["memory"][0] if "memory" in got else None), "spec"


def _memory_budget(answer: Answer) -> Any:
    doc = pod(answer)
    _need(doc, METRICS, f"Add every container of the brief first (`{METRICS}` is missing).")
    got, where = pod_memory(doc)
    if got is None:
        return Fail("some container has no memory limit, so the Pod's memory is not bounded at all.", path="spec",
                    hint="Give every container a memory limit (or set spec.resources.limits.memory).")
    if got > POD_MEMORY:
        return Fail(f"the Pod may use {_mem(got)} of memory, more than the {_mem(Fraction(POD_MEMORY))} budget "
                    "(regular containers and sidecars add up; a plain init container counts beside the sidecars "
                    "started before it).", path=where, hint=f"Bring the total to {_mem(Fraction(POD_MEMORY))} or less.")
    return True


def needs_met(needs: Mapping[str, int], together: Mapping[str, int] | None = None) -> CaseTest:
    """A case test: each container of `needs` may use at least that much memory, and a pod-level memory limit
    covers `together` (what every container needs), aggregated as the scheduler aggregates."""
    together = needs if together is None else together
    return lambda answer: _needs_met_for(answer, needs, together)


def _needs_met_for(answer: Answer, needs: Mapping[str, int], together: Mapping[str, int]) -> Any:
    from course.checker import defaults

    doc = pod(answer)
    pl = defaults.pod_level(spec_of(doc))
    pod_limit = pl.limits["memory"][0] if pl is not None and "memory" in pl.limits else None
    for name, need in needs.items():
        fld, i, c = _need(doc, name, f"Add the `{name}` container of the brief.")
        own = defaults.container_limits(c).get("memory")
        cap = own[0] if own is not None else pod_limit
        if cap is not None and pod_limit is not None:
            cap = min(cap, pod_limit)
        if cap is None:
            return Fail(f"{name} has no memory limit.", path=f"spec.{fld}[{i}].resources.limits",
                        hint=f"Give {name} at least {_mem(Fraction(need))}.")
        if cap < need:
            return Fail(f"{name} may use at most {_mem(cap)} of memory, less than the {_mem(Fraction(need))} it needs: "
                        "it would be OOM-killed.", path=f"spec.{fld}[{i}].resources.limits.memory",
                        hint=f"Give {name} at least {_mem(Fraction(need))} (request and limit).")
    if pod_limit is not None:
        shares = {name: Fraction(need) for name, need in together.items()}
        spec = {"initContainers": [], "containers": []}
        for fld in ("initContainers", "containers"):
            for c in dicts(spec_of(doc).get(fld)):
                copy_ = {k: v for k, v in c.items() if k != "resources"}
                if c.get("name") in shares:
                    copy_["resources"] = {"limits": {"memory": str(int(shares[c["name"]]))}}
                spec[fld].append(copy_)
        total = defaults.aggregate(spec, defaults.container_limits).get("memory")
        if total is not None and pod_limit < total[0]:
            return Fail(f"the Pod's memory limit {_mem(pod_limit)} is less than the {_mem(total[0])} its containers "
                        "need together.", path="spec.resources.limits.memory",
                        hint=f"Set it to at least {_mem(total[0])}.")
    return True


_needs_met = needs_met(MEMORY_NEEDS)


# ---------------------------------------------------------------------------
# Security: restricted, as UID 10001, read-only root filesystems, no token
# ---------------------------------------------------------------------------


def _restricted(answer: Answer) -> Any:
    from course.checker.pss import allows

    doc = pod(answer)
    _need(doc, METRICS, f"Add every container of the brief first (`{METRICS}` is missing).")
    result = pod_security(doc)
    if allows(result, "restricted"):
        return True
    lines = [f"the Pod meets only {result.level}; the {NAMESPACE} namespace enforces restricted and would reject it:"]
    lines += ["  " + violation_text(v) for v in result.violations]
    return Fail("\n".join(lines), hint=f"Every field restricted asks for is listed in {PSS_DOCS}")


def _psc(doc: dict[str, Any]) -> dict[str, Any]:
    sc = spec_of(doc).get("securityContext")
    return sc if isinstance(sc, dict) else {}


def _csc(c: Mapping[str, Any]) -> dict[str, Any]:
    sc = c.get("securityContext")
    return sc if isinstance(sc, dict) else {}


def _uid(answer: Answer) -> Any:
    doc = pod(answer)
    _need(doc, METRICS, f"Add every container of the brief first (`{METRICS}` is missing).")
    for where, c in _all_containers(doc):
        got = _csc(c).get("runAsUser", _psc(doc).get("runAsUser"))
        if got != UID or isinstance(got, bool):
            shown = ("sets no runAsUser, so it runs as its image's user (root for busybox)" if got is None
                     else f"runs as user {short_repr(got)}")
            return Fail(f"{c.get('name')} {shown}; the brief runs every container as {UID}.",
                        path=f"{where}.securityContext.runAsUser",
                        hint=f"Set `runAsUser: {UID}` in spec.securityContext (for every container at once).")
    return True


def _read_only_roots(answer: Answer) -> Any:
    doc = pod(answer)
    _need(doc, METRICS, f"Add every container of the brief first (`{METRICS}` is missing).")
    if "readOnlyRootFilesystem" in _psc(doc):
        return Fail("readOnlyRootFilesystem exists only in a container's securityContext; the Pod's is ignored.",
                    path="spec.securityContext.readOnlyRootFilesystem",
                    hint="Move it into each container's securityContext.")
    for where, c in _all_containers(doc):
        if _csc(c).get("readOnlyRootFilesystem") is not True:
            return Fail(f"{c.get('name')}'s root filesystem is writable.",
                        path=f"{where}.securityContext.readOnlyRootFilesystem",
                        hint="Set `readOnlyRootFilesystem: true` in every container's securityContext.")
    where, web = _web(doc)
    m = _mount_at(web, TMP_DIR)
    if m is None or m.get("readOnly") is True or not _is_empty_dir(doc, m.get("name")):
        return Fail(f"web writes temporary files under {TMP_DIR}, which a read-only root filesystem refuses.",
                    path=f"{where}.volumeMounts", hint=f"Mount an emptyDir (e.g. `tmp`) at {TMP_DIR} in web.")
    return True


def _no_token(answer: Answer) -> Any:
    doc = pod(answer)
    got = spec_of(doc).get("automountServiceAccountToken")
    if got is not False:
        return Fail("the kubelet mounts a ServiceAccount token into every container, and nothing in this Pod calls "
                    "the Kubernetes API.", path="spec.automountServiceAccountToken",
                    hint="Set `automountServiceAccountToken: false` in the Pod's spec.")
    return True


def _clean(answer: Answer) -> Any:
    _need(pod(answer), METRICS, f"Add every container of the brief first (`{METRICS}` is missing).")
    return errors(answer)


# ---------------------------------------------------------------------------
# The exercise, with a summary at the end of its report
# ---------------------------------------------------------------------------


@dataclass
class Capstone(Exercise):
    """An exercise whose report ends with one summary: how many requirements are met, and what to change."""

    def report(self, results: Sequence[CaseResult], *, hidden: bool) -> str:
        text = super().report(results, hidden=hidden)
        if not results or (all(not r.passed for r in results) and len({tuple(r.messages) for r in results}) == 1):
            return text
        met = [r for r in results if r.passed]
        todo = [r for r in results if not r.passed]
        lines = [text, f"  Summary: {len(met)} of {len(results)} requirements met."]
        if todo:
            lines.append("  Change next: " + "; ".join(r.case.name for r in todo) + ".")
        else:
            lines.append("  Every requirement checked here is met.")
        return "\n".join(lines)


storefront = Capstone(
    id="ch12.storefront",
    title="Capstone - one Pod, every requirement",
    answer_name="STOREFRONT",
    intro="Build the Pod in the editor (or paste YAML into its load from YAML box), then run this cell again.",
    cases=[
        Case(f"one Pod named {POD_NAME}, labelled app: {APP_LABEL}", 1, _pod_named),
        Case(f"{FETCH} is a plain init container that writes {CONFIG_FILE} into an emptyDir web mounts", 2,
             _fetch_first),
        Case(f"web keeps {WEB_IMAGE}, port {WEB_PORT} named http, and reads its config read-only at {CONFIG_DIR}", 2,
             _web_kept),
        Case(f"{SHIPPER} is a native sidecar running the given tail", 2, _sidecar),
        Case(f"web logs into an emptyDir at {LOG_DIR}, which {SHIPPER} mounts read-only at /logs", 1, _logs_shared),
        Case(f"{METRICS} runs {METRICS_IMAGE} with the given args and declares port {METRICS_PORT}", 1, _metrics),
        Case(f"readinessProbe: GET {READY_PATH}, out of the Service within {READY_WITHIN}s", 2, _readiness),
        Case(f"livenessProbe: GET {HEALTH_PATH}, restarts no sooner than {LIVE_NOT_BEFORE}s and within "
             f"{LIVE_WITHIN}s", 2, _liveness),
        Case(f"startupProbe: GET {HEALTH_PATH}, {START_UP_TO}s to start, given up by {START_GIVE_UP}s, noticed "
             f"within {START_NOTICE}s", 2, _startup),
        Case("the API server would record status.qosClass: Guaranteed", 2, _guaranteed),
        Case(f"the whole Pod gets at most {POD_MEMORY // MI}Mi of memory", 2, _memory_budget),
        Case("every container gets at least the memory the brief says it needs", 1, _needs_met, hidden=True),
        Case("Pod Security: the Pod meets restricted", 2, _restricted),
        Case(f"every container runs as user {UID}", 1, _uid),
        Case(f"every root filesystem is read-only, and web has an emptyDir at {TMP_DIR}", 1, _read_only_roots),
        Case("no ServiceAccount token is mounted", 1, _no_token),
        Case("the checker reports no errors", 1, _clean, hidden=True),
    ],
)

# ---------------------------------------------------------------------------
# Earlier requirements, reused: a change or a fix must not break what the brief already asked
# ---------------------------------------------------------------------------


def earlier(*tests: CaseTest, first: CaseTest | None = None) -> CaseTest:
    """A case test passing when every storefront case whose test is among `tests` passes on the answer;
    its message lists each earlier requirement that no longer holds, with that case's own message.

    `first` must pass before any of them counts: keeping the brief earns nothing while the change itself
    is not there (an unchanged Exercise 1 Pod keeps everything)."""
    cases = [c for c in storefront.cases if c.test in tests]

    def test(answer: Answer) -> Any:
        if first is not None:
            verdict = first(answer)
            if verdict is not None and verdict is not True:
                return verdict
        lines = []
        for c in cases:
            passed, messages = _outcome(c, answer)
            if not passed:
                lines.append(f"no longer met: {c.name}")
                lines += ["  " + part for m in messages for part in m.splitlines()]
        return "\n".join(lines) if lines else True

    return test


# (case name, points, the storefront tests it groups, hidden): every storefront case is in exactly one group.
EARLIER: Sequence[tuple[str, float, tuple[CaseTest, ...], bool]] = (
    ("still met: the Pod, fetch-config first, web, log-shipper as native sidecar, the shared logs, metrics", 2,
     (_pod_named, _fetch_first, _web_kept, _sidecar, _logs_shared, _metrics), False),
    ("still met: web's three probes within the latency budget", 1, (_readiness, _liveness, _startup), False),
    (f"still met: Guaranteed, the whole Pod within {POD_MEMORY // MI}Mi", 2, (_guaranteed, _memory_budget), False),
    (f"still met: restricted, user {UID}, read-only root filesystems, no token", 2,
     (_restricted, _uid, _read_only_roots, _no_token), False),
    ("still met: every container's memory need, and no checker errors", 1, (_needs_met, _clean), True),
)

# ---------------------------------------------------------------------------
# Exercise 2 - a change request: a TLS-terminating proxy joins the Pod
# ---------------------------------------------------------------------------

TLS = "tls-proxy"
TLS_IMAGE = "ghcr.io/example/tls-proxy:1.8.2"
TLS_PORT, TLS_PORT_NAME = 8443, "https"
TLS_DIR, TLS_SECRET = "/etc/tls", "storefront-tls"
TLS_KEYS = ("tls.crt", "tls.key")
TLS_ARGS = [f"--listen=:{TLS_PORT}", f"--upstream=http://localhost:{WEB_PORT}", f"--cert={TLS_DIR}/tls.crt",
            f"--key={TLS_DIR}/tls.key"]
TLS_MEMORY = 96 * MI
SECRET_DOCS = "https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-files-from-a-pod"


def _proxy(doc: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    fld, i, c = _need(doc, TLS, f"Add the container `{TLS}` ({TLS_IMAGE}) beside web.")
    where = f"spec.{fld}[{i}]"
    if fld == "initContainers" and c.get("restartPolicy") != "Always":
        raise Fail(f"{TLS} is a plain init container: it serves forever and never exits, so web would never start "
                   "(the Pod waits in Init).", path=where,
                   hint="Make it a regular container in spec.containers, or a native sidecar "
                        "(`restartPolicy: Always`).")
    return where, c


def _proxy_runs(answer: Answer) -> Any:
    where, c = _proxy(pod(answer))
    changed = kept(c, {"name": TLS, "image": TLS_IMAGE, "args": TLS_ARGS}, where)
    return changed if changed is not None else True


def _proxy_port(answer: Answer) -> Any:
    where, c = _proxy(pod(answer))
    if not declares_port(c, TLS_PORT):
        return Fail(f"{TLS} does not declare port {TLS_PORT}, where it listens (--listen=:{TLS_PORT}).",
                    path=f"{where}.ports",
                    hint=f"Add `ports: [{{name: {TLS_PORT_NAME}, containerPort: {TLS_PORT}}}]`.")
    for j, p in enumerate(dicts(c.get("ports"))):
        if p.get("containerPort") == TLS_PORT and p.get("name") != TLS_PORT_NAME:
            named = "has no name" if p.get("name") is None else f"is named {short_repr(p.get('name'))}"
            return Fail(f"port {TLS_PORT} {named}; the Service's targetPort is the name {TLS_PORT_NAME}.",
                        path=f"{where}.ports[{j}].name", hint=f"Name it `{TLS_PORT_NAME}`.")
    return True


def _secret_of(v: Mapping[str, Any]) -> tuple[Any, Any] | None:
    """(Secret name, items) when the volume projects a Secret (a `secret` volume or a `projected` source)."""
    if isinstance(v.get("secret"), dict):
        return v["secret"].get("secretName"), v["secret"].get("items")
    projected = v.get("projected")
    if isinstance(projected, dict):
        for s in dicts(projected.get("sources")):
            if isinstance(s.get("secret"), dict):
                return s["secret"].get("name"), s["secret"].get("items")
    return None


def _is_tls_volume(doc: dict[str, Any], name: Any) -> bool:
    v = _volume(doc, name)
    got = _secret_of(v) if v is not None else None
    return got is not None and got[0] == TLS_SECRET


def _proxy_certs(answer: Answer) -> Any:
    doc = pod(answer)
    where, c = _proxy(doc)
    m = _mount_at(c, TLS_DIR)
    if m is None:
        other = next((x for x in dicts(c.get("volumeMounts")) if _is_tls_volume(doc, x.get("name"))), None)
        if other is not None:
            return Fail(f"{TLS} mounts the Secret at {short_repr(other.get('mountPath'))}, but its args read "
                        f"{TLS_DIR}/tls.crt and {TLS_DIR}/tls.key.", path=f"{where}.volumeMounts",
                        hint=f"Use `mountPath: {TLS_DIR}`.")
        return Fail(f"{TLS} mounts nothing at {TLS_DIR}, so it finds no certificate and exits.",
                    path=f"{where}.volumeMounts", hint=f"Add a volume `{{name: tls, secret: {{secretName: "
                    f"{TLS_SECRET}}}}}` and mount it at {TLS_DIR} in {TLS}. See {SECRET_DOCS}")
    v = _volume(doc, m.get("name"))
    if v is None:
        return Fail(f"{TLS} mounts volume {short_repr(m.get('name'))}, which spec.volumes does not declare.",
                    path="spec.volumes",
                    hint=f"Declare `{{name: {m.get('name')}, secret: {{secretName: {TLS_SECRET}}}}}`.")
    got = _secret_of(v)
    if got is None:
        kind = next((k for k in v if k != "name"), "no source")
        return Fail(f"the volume at {TLS_DIR} is {kind}, not the Secret {TLS_SECRET} that holds the certificate.",
                    path="spec.volumes", hint=f"Use `secret: {{secretName: {TLS_SECRET}}}`.")
    secret, items = got
    if secret != TLS_SECRET:
        return Fail(f"the volume at {TLS_DIR} projects the Secret {short_repr(secret)}; the certificate is in "
                    f"{TLS_SECRET}.", path="spec.volumes", hint=f"Set `secretName: {TLS_SECRET}`.")
    if isinstance(items, list) and items:
        paths = {x["key"]: norm_path(x.get("path")) for x in dicts(items) if isinstance(x.get("key"), str)}
        missing = [k for k in TLS_KEYS if paths.get(k) != k]
        if missing:
            return Fail(f"the volume's items do not project {' and '.join(missing)} as {TLS_DIR}/{missing[0]}: with "
                        "items, only the keys listed appear, at the paths given.", path="spec.volumes",
                        hint="Drop `items`, or list `{key: tls.crt, path: tls.crt}` and `{key: tls.key, path: "
                        "tls.key}`.")
    if m.get("subPath") or m.get("subPathExpr"):
        return Fail(f"{TLS} mounts the Secret with a subPath; a subPath mount never receives the Secret's updates, "
                    "so the renewed certificate would not reach the proxy.", path=f"{where}.volumeMounts",
                    hint=f"Mount the whole volume at {TLS_DIR}, without subPath.")
    return True


def _key_only_in_proxy(answer: Answer) -> Any:
    doc = pod(answer)
    _proxy(doc)
    for where, c in _all_containers(doc):
        if c.get("name") == TLS:
            continue
        for k, m in enumerate(dicts(c.get("volumeMounts"))):
            if _is_tls_volume(doc, m.get("name")):
                return Fail(f"{c.get('name')} mounts the Secret {TLS_SECRET} too, so a bug in it could leak the "
                            "private key; only the proxy terminates TLS.", path=f"{where}.volumeMounts[{k}]",
                            hint=f"Mount the Secret in {TLS} alone.")
        refs = [e.get("valueFrom", {}).get("secretKeyRef", {}).get("name") for e in dicts(c.get("env"))
                if isinstance(e.get("valueFrom"), dict) and isinstance(e["valueFrom"].get("secretKeyRef"), dict)]
        refs += [e["secretRef"].get("name") for e in dicts(c.get("envFrom")) if isinstance(e.get("secretRef"), dict)]
        if TLS_SECRET in refs:
            return Fail(f"{c.get('name')} reads the Secret {TLS_SECRET} into its environment; only the proxy "
                        "needs the key.", path=f"{where}.env", hint=f"Remove the reference to {TLS_SECRET}.")
    return True


def _changed(answer: Answer) -> Any:
    if find_container(pod(answer), TLS, ("containers", "initContainers")) is None:
        return Fail(f"there is no {TLS} yet; these points are for making the change without breaking the brief.",
                    path="spec", hint=f"Add {TLS} first.")
    return True


change = Capstone(
    id="ch12.change",
    title="Exercise 2 - a change request: TLS in the Pod",
    answer_name="STOREFRONT_TLS",
    intro="Copy your storefront Pod from Exercise 1 into the string and make the change.",
    cases=[
        Case(f"{TLS} runs {TLS_IMAGE} with the given args, beside web (a container or a native sidecar)", 2,
             _proxy_runs),
        Case(f"{TLS} declares port {TLS_PORT} named {TLS_PORT_NAME}", 1, _proxy_port),
        Case(f"{TLS} reads the Secret {TLS_SECRET} at {TLS_DIR}, renewals included", 2, _proxy_certs),
        Case(f"only {TLS} can read the TLS key", 1, _key_only_in_proxy, hidden=True),
        Case(f"{TLS} gets at least {TLS_MEMORY // MI}Mi of memory", 1,
             needs_met({TLS: TLS_MEMORY}, {**MEMORY_NEEDS, TLS: TLS_MEMORY}), hidden=True),
        *[Case(name, points, earlier(*tests, first=_changed), hidden=hidden)
          for name, points, tests, hidden in EARLIER],
    ],
)

# ---------------------------------------------------------------------------
# Exercise 3 - an incident review: diagnose from describe, events and logs, then fix the Pod
# ---------------------------------------------------------------------------

WEB_PEAK = 440 * MI  # what web needs since the catalogue grew
KILLED_AT = 384 * MI  # web's memory limit in the incident report
INCIDENT_CAUSES: dict[str, tuple[str, ...]] = {
    "oom-killed": ("oom-killed", "oomkilled", "oom killed", "oom", "out of memory", "out-of-memory",
                   "memory limit", "oom kill"),
    "liveness-probe": ("liveness-probe", "liveness probe", "liveness", "livenessprobe", "failing liveness probe"),
    "startup-probe": ("startup-probe", "startup probe", "startup", "startupprobe", "slow start"),
    "readiness-probe": ("readiness-probe", "readiness probe", "readiness", "readinessprobe", "503"),
    "evicted": ("evicted", "eviction", "node-pressure eviction", "node pressure", "memory pressure"),
    "missing-config": ("missing-config", "missing config", "config missing", "no config", "fetch-config"),
}
INCIDENT_CHOICES = ", ".join(f'"{c}"' for c in INCIDENT_CAUSES)
_INCIDENT_CAUSE = words({k: {" ".join(w.split()) for w in v} for k, v in INCIDENT_CAUSES.items()},
                        clean=lambda t: " ".join(t.strip().lower().replace("_", " ").split()))
_DECIDING = "web's Last State: Terminated, Reason: OOMKilled"
_WHY_NOT = {
    "liveness-probe": "a liveness restart follows `Liveness probe failed` warnings, of which there are none, and ends "
                      "with Last State Reason Error (exit code 143, or 137 once the grace period runs out); here the "
                      "Last State says OOMKilled",
    "startup-probe": "the readiness probe failed with 503s, and readiness is probed only after the startup probe has "
                     "succeeded; the few startup failures (connection refused before web listens) stayed below its "
                     "failureThreshold, and web then ran for over a minute",
    "readiness-probe": "a failing readiness probe never restarts a container, it only takes the Pod out of the "
                       "Service's endpoints; the 503s are web warming its caches after each restart",
    "evicted": "an evicted Pod ends in phase Failed with reason Evicted and is not restarted; this Pod is Running "
               "and its web container restarts in place",
    "missing-config": "fetch-config completed and web logged that it loaded its config; the log stops while the "
                      "cache grows",
}
_EVIDENCE_WORDS = ("oomkilled", "oom-killed", "oom killed", "oom", "out of memory", "out-of-memory", "memory limit",
                   "limit of memory", "oom killer")
_INCIDENT_EXAMPLE = '{"cause": "...", "evidence": "...", "field": "spec....", "pod": """apiVersion: v1 ..."""}'


def _incident(answer: Answer, key: str) -> Any:
    data = answer.data
    if not isinstance(data, dict):
        raise Fail(f"{answer.name} must be a dict such as {_INCIDENT_EXAMPLE}.")
    table = {str(k).strip().lower(): v for k, v in data.items()}
    if "pod" not in table and ("kind" in table or "spec" in table):
        raise Fail(f"{answer.name} holds a manifest; it is a dict of four answers, the fixed Pod under \"pod\".",
                   hint=f"Write {_INCIDENT_EXAMPLE}.")
    got = table.get(key)
    if got is None or (isinstance(got, str) and not got.strip()):
        raise Fail(f"{key} has no answer.", hint=f'Add "{key}": ... (see the task).')
    return got


def _incident_cause(answer: Answer) -> Any:
    raw = _incident(answer, "cause")
    got = _INCIDENT_CAUSE(raw)
    if got is None:
        return Fail(f"cause {short_repr(raw)} is not one of the choices.", hint=f"Write one of {INCIDENT_CHOICES}.")
    if got != "oom-killed":
        return Fail(f"the cause is oom-killed, not {got}: {_WHY_NOT[got]}. The deciding line is {_DECIDING}.")
    return True


def _incident_evidence(answer: Answer) -> Any:
    raw = _incident(answer, "evidence")
    if not isinstance(raw, str) or len(raw) > 400:
        return Fail("evidence must be one line of text.", hint=f'E.g. "evidence": "{_DECIDING}".')
    text = " ".join(raw.lower().split())
    if any(w in text for w in _EVIDENCE_WORDS):
        return True
    if "137" in text or "sigkill" in text:
        return Fail("exit code 137 only says SIGKILL (128 + 9); the kubelet's kill after a failed liveness probe "
                    f"can end with it too. The deciding line is {_DECIDING}: the kernel killed web at its memory "
                    "limit.")
    if "503" in text or "readiness" in text or "back-off" in text or "backoff" in text:
        return Fail("readiness failures and the back-off are what follows each crash, not its cause; a readiness "
                    f"probe never restarts anything. The deciding line is {_DECIDING}.")
    return Fail(f"this evidence does not decide between the causes; quote the line that does: {_DECIDING}.")


def _incident_field(answer: Answer) -> Any:
    got = _incident(answer, "field")
    names = {WEB: 0, METRICS: 1}
    if field_matches(got, ["spec.containers[0].resources.limits.memory", "spec.resources.limits.memory"], names):
        return True
    if field_matches(got, ["spec.containers[0].resources.limits", "spec.containers[0].resources",
                           "spec.resources.limits", "spec.resources"], names):
        return Fail(f"{short_repr(got)} holds the field, but name the one entry that decides when the kernel kills.",
                    hint="Name spec.containers[0].resources.limits.memory.")
    if field_matches(got, ["spec.containers[0].resources.requests.memory"], names):
        return Fail("the request is what the scheduler reserves; the kernel kills at the limit, so raising the "
                    "request alone (it may not exceed the limit anyway) changes nothing.",
                    hint="Name spec.containers[0].resources.limits.memory (and raise the request with it).")
    return Fail(f"changing {short_repr(got)} would not stop the OOM kills: web needs more memory than its 384Mi "
                "limit.", hint="Name the field in API path notation, e.g. spec.containers[0].resources.limits.memory.")


@lru_cache(maxsize=8)
def _pod_answer(payload: str) -> Answer:
    return load_answer(json.loads(payload), name="the Pod in INCIDENT")


def _fixed(answer: Answer) -> Answer:
    got = _pod_answer(json.dumps(_incident(answer, "pod")))
    if not got.ok:
        raise Fail(got.problem or "the Pod could not be read.")
    return got


def _on_fixed(test: CaseTest) -> CaseTest:
    """`test` applied to the fixed Pod the answer holds under "pod"."""
    return lambda answer: test(_fixed(answer))


def _fixed_at_all(answer: Answer) -> Any:
    """web may use more than the limit it was killed at (the keeping points need a fix to keep the brief in)."""
    from course.checker import defaults

    doc = pod(answer)
    where, web = _web(doc)
    pl = defaults.pod_level(spec_of(doc))
    own = defaults.container_limits(web).get("memory")
    caps = [x[0] for x in (own, pl.limits.get("memory") if pl is not None else None) if x is not None]
    if caps and min(caps) <= KILLED_AT:
        return Fail(f"web may still use only {_mem(min(caps))}, the limit it was OOM-killed at: nothing is fixed yet, "
                    "so these points for keeping the brief do not count.", path=f"{where}.resources.limits.memory",
                    hint=f"Raise web's memory limit (and request) to at least {WEB_PEAK // MI}Mi first.")
    return True


incident = Capstone(
    id="ch12.incident",
    title="Exercise 3 - an incident review: web keeps restarting",
    answer_name="INCIDENT",
    cases=[
        Case("the cause", 2, _incident_cause, hidden=True),
        Case("the evidence that decides it", 1, _incident_evidence, hidden=True),
        Case("the field to change", 1, _incident_field),
        Case(f"the fixed Pod: web may use at least {WEB_PEAK // MI}Mi of memory", 2,
             _on_fixed(needs_met({WEB: WEB_PEAK}, {**MEMORY_NEEDS, WEB: WEB_PEAK}))),
        *[Case(f"the fixed Pod: {name.removeprefix('still met: ')}", points,
               _on_fixed(earlier(*tests, first=_fixed_at_all)), hidden=hidden)
          for name, points, tests, hidden in EARLIER],
    ],
)


# ---------------------------------------------------------------------------
# Live check: admitted under restricted, init first, Ready, the sidecar beside web, Guaranteed
# ---------------------------------------------------------------------------

CONF_TEXT = "# storefront configuration (live stand-in)"


def _shared(a: Mapping[str, Any], b: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(volume, mountPath in a, mountPath in b) of the first volume both mount."""
    for m in dicts(a.get("volumeMounts")):
        got = mount_of(b, m.get("name"))
        if got is not None and isinstance(m.get("mountPath"), str) and isinstance(got[1].get("mountPath"), str):
            return str(m.get("name")), m["mountPath"].rstrip("/") or "/", got[1]["mountPath"].rstrip("/") or "/"
    return None


def _http_probe(c: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    """The probe as an httpGet on the stand-in (an exec probe's URL fetch becomes the GET it makes)."""
    target = probe_target(c, p)
    if isinstance(p.get("httpGet"), dict) or isinstance(target, str):
        return p
    keep = {k: v for k, v in p.items() if k not in ("exec", "httpGet", "tcpSocket", "grpc")}
    return {"httpGet": {"path": target[0], "port": target[1]}, **keep}


def _writable_dir(doc: dict[str, Any], c: Mapping[str, Any], avoid: Sequence[str]) -> str | None:
    for m in dicts(c.get("volumeMounts")):
        if (m.get("readOnly") is not True and m.get("name") not in avoid and isinstance(m.get("mountPath"), str)
                and _is_empty_dir(doc, m.get("name"))):
            return m["mountPath"].rstrip("/")
    return None


def _plan(answer: Answer) -> live.Plan:
    doc = live.runnable(answer)
    found = {n: live.find_container(doc, n) for n in (FETCH, WEB, SHIPPER, METRICS)}
    for name, got in found.items():
        if got is None:
            raise Fail(f"there is no container named {name!r}, so this is not the brief's Pod.", path="spec",
                       hint=f"Add the {name} container the brief asks for.")
    (ffld, fi, fetch), (wfld, wi, web) = found[FETCH] or ("", 0, {}), found[WEB] or ("", 0, {})
    (sfld, si, shipper), (_, _, metrics) = found[SHIPPER] or ("", 0, {}), found[METRICS] or ("", 0, {})
    if ffld != "initContainers" or fetch.get("restartPolicy") == "Always":
        raise Fail("fetch-config is not a plain init container, so nothing makes web wait for its config.",
                   path=f"spec.{ffld}[{fi}]", hint="Make fetch-config a plain init container (no restartPolicy).")
    if sfld == "initContainers" and shipper.get("restartPolicy") != "Always":
        raise Fail("log-shipper is a plain init container; `tail -F` never exits, so the Pod would wait in Init "
                   "forever.", path=f"spec.initContainers[{si}].restartPolicy",
                   hint="Set `restartPolicy: Always` on log-shipper, then run this cell again.")
    if wfld != "containers":
        raise Fail("web is not a regular container.", path=f"spec.{wfld}[{wi}]", hint="Move web to spec.containers.")
    config = _shared(fetch, web)
    logs = _shared(web, shipper)
    if config is None or logs is None:
        which = "fetch-config and web" if config is None else "web and log-shipper"
        raise Fail(f"{which} mount no volume in common, so nothing can pass between them.",
                   path=f"spec.containers[{wi}].volumeMounts", hint="Mount the brief's emptyDirs in both containers.")
    www = _writable_dir(doc, web, (config[0], logs[0])) or logs[1]
    docroot = f"{www}/.podcourse-www"
    log = f"{logs[1]}/{LOG_FILE}"
    web_script = (f"mkdir -p {shlex.quote(docroot)} && for f in ready healthz status; do echo ok > "
                  f"{shlex.quote(docroot)}/$f; done || exit 1; (while true; do echo \"$(date) GET / 200\" >> "
                  f"{shlex.quote(log)}; sleep 2; done) & exec httpd -f -p {WEB_PORT} -h {shlex.quote(docroot)}")
    probes = {k: _http_probe(web, web[k]) for k in ("startupProbe", "readinessProbe", "livenessProbe")
              if isinstance(web.get(k), dict)}
    notes = [f"web runs a stand-in for {web.get('image')!r}: busybox httpd on port {WEB_PORT} answering "
             f"{READY_PATH} and {HEALTH_PATH}, appending a line to {log} every 2 seconds; your probes are kept.",
             f"fetch-config writes a stand-in {CONFIG_FILE} (the config server does not exist here).",
             f"metrics runs a stand-in for {metrics.get('image')!r}: busybox httpd on port {METRICS_PORT}."]
    live.stand_in(web, BUSYBOX, web_script)
    web.update(probes)
    live.stand_in(fetch, BUSYBOX, f"echo {shlex.quote(CONF_TEXT)} > {shlex.quote(config[1] + '/' + CONFIG_FILE)}")
    live.stand_in(metrics, BUSYBOX, f"exec httpd -f -p {METRICS_PORT} -h /etc")
    live.others_must_be_course_images(doc, (FETCH, WEB, METRICS))
    return live.Plan(doc, notes, facts={"web": wi, "fetch": fi, "shipper": (sfld, si), "config": config[2],
                                        "logs": logs[2]})


def _init_first(handle: Any, report: Any, plan: live.Plan) -> list[str]:
    """fetch-config exited 0 before web started, and web reads the file it wrote."""
    status = live.pod_status(handle, report)
    inits = {s.get("name"): s for s in dicts(status.get("initContainerStatuses"))}
    regular = {s.get("name"): s for s in dicts(status.get("containerStatuses"))}
    where = ("spec", "initContainers", plan.facts["fetch"])
    state = (inits.get(FETCH) or {}).get("state")
    done = state.get("terminated") if isinstance(state, dict) else None
    if not isinstance(done, dict) or done.get("exitCode") != 0:
        return [live.exec_failure(where, f"fetch-config has not completed with exit code 0 (its state: "
                                  f"{short_repr(state)}).", "Read `kubectl logs storefront -c fetch-config`.")]
    web_state = (regular.get(WEB) or {}).get("state")
    running = web_state.get("running") if isinstance(web_state, dict) else None
    started = running.get("startedAt") if isinstance(running, dict) else None
    finished = done.get("finishedAt")
    if isinstance(started, str) and isinstance(finished, str) and started < finished:
        return [live.exec_failure(where, f"web started at {started}, before fetch-config finished at {finished}.",
                                  "Keep fetch-config a plain init container.")]
    path = f"{plan.facts['config']}/{CONFIG_FILE}"
    res = live.retry(lambda: handle.exec(WEB, ["cat", path]), lambda r: r.ok and CONF_TEXT in r.stdout, attempts=2)
    if res.ok and CONF_TEXT in res.stdout:
        return []
    return [live.exec_failure(("spec", "containers", plan.facts["web"], "volumeMounts"),
                              f"web cannot read {path}: {live.output(res)}.",
                              "Mount the volume fetch-config writes into in web as well.")]


def _sidecar_beside_web(handle: Any, report: Any, plan: live.Plan) -> list[str]:
    """log-shipper keeps running as a native sidecar, sees web's log, and cannot write there."""
    from course.cluster.probes import write_fails

    time.sleep(live.TIMING["settle"])
    status = live.pod_status(handle, report)
    fld, i = plan.facts["shipper"]
    where = ("spec", fld, i)
    failed = live.sidecar_running(status, SHIPPER, where, WEB)
    if failed:
        return failed
    log = f"{plan.facts['logs']}/{LOG_FILE}"
    seen = live.retry(lambda: handle.exec(SHIPPER, ["cat", log]), lambda r: r.ok and "GET" in r.stdout)
    if not (seen.ok and "GET" in seen.stdout):
        return [live.exec_failure((*where, "volumeMounts"), f"log-shipper cannot read web's log at {log}: "
                                  f"{live.output(seen)}.", "Mount web's logs emptyDir in log-shipper at /logs.")]
    if not write_fails(handle, SHIPPER, f"{plan.facts['logs']}/.podcourse-write-probe"):
        return [live.exec_failure((*where, "volumeMounts"), "log-shipper could write into web's logs.",
                                  "Add `readOnly: true` to log-shipper's mount.")]
    return []


def _qos_recorded(handle: Any, report: Any, plan: live.Plan) -> list[str]:
    got = report.qos_class
    if got == "Guaranteed":
        return []
    return [live.exec_failure(("status", "qosClass"), f"the API server recorded {got or 'no class'!r}, not "
                              "'Guaranteed'.", "Every container needs cpu and memory limits equal to its requests.")]


storefront_live = live.live_exercise(
    "ch12.storefront_live", "Live check - the storefront Pod in a restricted namespace", "STOREFRONT", _plan,
    "ch12-storefront",
    [("the Pod is admitted by a namespace enforcing restricted and becomes Ready", 1, None),
     ("fetch-config completed before web started, and web reads the app.conf it wrote", 1, _init_first),
     ("log-shipper runs beside web as a native sidecar, reads its log and cannot write there", 1, _sidecar_beside_web),
     ("the API server recorded status.qosClass: Guaranteed", 1, _qos_recorded)],
    until="Ready", pss_level="restricted", limit_range=False,
)

EXERCISES: Sequence[Exercise] = (storefront, change, incident)
LIVE_CELLS = [(storefront_live, "STOREFRONT", "ch12-storefront-test")]
