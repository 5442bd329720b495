"""Chapter 10, design patterns for multi-container Pods: graders for its three exercises and its live check.

The ambassador and adapter exercises read the Pod as data, the way the kubelet would run it (`$(VAR)`
expanded, `sh -c` scripts split into words, images compared as the runtime resolves them). The
co-location exercise is judgement: a verdict (together or apart) and a one-line reason, checked
against the factor that decides each scenario by keywords. Two live checks run the learner's Pods on the
course cluster: `ambassador_live` fetches, from inside the app container, a page served by a stand-in
database through the learner's ambassador on localhost; `adapter_live` rewrites billing's status file
and fetches localhost:9100/metrics, served by a busybox stand-in exporter that reads the file through the
learner's own mount, --input, --listen and --prefix, so the metrics change only if the Pod is wired right.
"""

from __future__ import annotations

import itertools
import re
import secrets
import shlex
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from graders import live
from graders.answers import Answer
from graders.core import (
    FALSE_WORDS,
    TRUE_WORDS,
    Case,
    Exercise,
    Fail,
    declares_port,
    dicts,
    env_value,
    errors,
    handler_port,
    is_pod,
    kept,
    mount_of,
    need_container,
    norm_path,
    not_empty_dir,
    pod,
    same_image,
    same_path,
    shell_words,
    short_repr,
    spec_of,
    words,
)

DOCS = "https://kubernetes.io/docs/concepts/workloads/pods/"
SIDECAR_DOCS = DOCS + "sidecar-containers/"
INIT_DOCS = DOCS + "init-containers/"


def _named(answer: Answer, name: str) -> Fail | None:
    verdict = is_pod(answer)
    if verdict is not True:
        return verdict if isinstance(verdict, Fail) else Fail(str(verdict))
    meta = pod(answer).get("metadata")
    got = meta.get("name") if isinstance(meta, dict) else None
    if got != name:
        return Fail(f"the Pod is named {short_repr(got)}.", path="metadata.name", hint=f"Set `name: {name}`.")
    return None


def _need(doc: dict[str, Any], name: str, hint: str) -> tuple[str, int, dict[str, Any]]:
    return need_container(doc, name, hint, ("initContainers", "containers"))


def _is_sidecar(c: Mapping[str, Any]) -> bool:
    return c.get("restartPolicy") == "Always"


def _no_errors(helper: str) -> Any:
    """No checker error, once the helper the task adds is there: the given Pod alone earns nothing."""

    def test(answer: Answer) -> Any:
        _need(pod(answer), helper, f"Add the {helper} container the task asks for.")
        return errors(answer)

    return test


def _command_words(c: Mapping[str, Any]) -> list[str]:
    """What the container runs, with a leading `sh -c` and `exec` left out (they run the same program)."""
    got = shell_words(c)
    if len(got) >= 2 and got[0].rsplit("/", 1)[-1] in ("sh", "ash", "bash", "dash") and got[1] == "-c":
        got = got[2:]
    if got[:1] == ["exec"]:
        got = got[1:]
    return got


# ---------------------------------------------------------------------------
# Exercise 1: an ambassador for the app's database connection
# ---------------------------------------------------------------------------

SHOP, APP, AMBASSADOR = "shop", "app", "db-ambassador"
APP_IMAGE, AMBASSADOR_IMAGE = "ghcr.io/example/shop:2.3.0", "busybox:1.35"
APP_PORT, DB_PORT = 8080, 5432
DB_HOST = "shop-db.prod.example.internal"
FORWARD = ["nc", "-ll", "-p", str(DB_PORT), "-e", "nc", DB_HOST, str(DB_PORT)]
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")

SHOP_POD = f"""\
apiVersion: v1
kind: Pod
metadata:
  name: shop
spec:
  containers:
  - name: app
    image: {APP_IMAGE}
    env:
    - name: DATABASE_URL
      value: postgres://shop@{DB_HOST}:{DB_PORT}/shop
    ports:
    - containerPort: {APP_PORT}
"""


def _app_given() -> dict[str, Any]:
    return {"name": APP, "image": APP_IMAGE, "ports": [{"containerPort": APP_PORT}]}


def _regular_app(doc: dict[str, Any], hint: str) -> tuple[int, dict[str, Any]] | Fail:
    """(index, container) of `app` in spec.containers, or the Fail that says it is missing or an init container."""
    fld, i, app = _need(doc, APP, hint)
    if fld != "containers":
        return Fail("app is an init container; the application itself belongs in spec.containers.",
                    path=f"spec.initContainers[{i}]", hint="Move app back to spec.containers.")
    return i, app


def _shop_kept(answer: Answer) -> Any:
    wrong = _named(answer, SHOP)
    if wrong is not None:
        return wrong
    doc = pod(answer)
    got = _regular_app(doc, "Keep the app container of the shop Pod.")
    if isinstance(got, Fail):
        return got
    i, app = got
    changed = kept(app, _app_given(), f"spec.containers[{i}]")
    if changed is not None:
        return changed
    _need(doc, AMBASSADOR, f"Add the ambassador `{AMBASSADOR}` (see the task).")
    return True


def _url_parts(url: str) -> tuple[str | None, int | None, str, str] | None:
    """(host, port, user, path) of a postgres:// URL, or None when it is not one."""
    try:
        parts = urlsplit(url.strip())
        return parts.hostname, parts.port, parts.username or "", parts.path
    except ValueError:
        return None


def _app_uses_localhost(answer: Answer) -> Any:
    doc = pod(answer)
    fld, i, app = _need(doc, APP, "Keep the app container of the shop Pod.")
    where = f"spec.{fld}[{i}].env"
    url = env_value(app, "DATABASE_URL")
    hint = f"Set DATABASE_URL to `postgres://shop@localhost:{DB_PORT}/shop`."
    if url is None:
        return Fail("app has no DATABASE_URL any more, so it does not know where its database is.", path=where,
                    hint=hint)
    parts = _url_parts(url)
    if parts is None or not url.strip().startswith(("postgres://", "postgresql://")):
        return Fail(f"DATABASE_URL {short_repr(url)} is not a postgres:// URL.", path=where, hint=hint)
    host, port, user, path = parts
    if not host:
        return Fail(f"DATABASE_URL {short_repr(url)} names no host.", path=where, hint=hint)
    if host == DB_HOST:
        return Fail(f"app still connects to {DB_HOST} itself, past the ambassador: the ambassador forwards only what "
                    "the app sends to it on localhost.", path=where, hint=hint)
    if host in (AMBASSADOR, f"{SHOP}-{AMBASSADOR}"):
        return Fail(f"DATABASE_URL names the host {host!r}; container names are not host names. The containers of "
                    "a Pod share one network namespace, so app reaches db-ambassador on localhost.", path=where,
                    hint=hint)
    if host not in LOCAL_HOSTS:
        return Fail(f"DATABASE_URL points at {host!r}, not at the ambassador on localhost.", path=where, hint=hint)
    if port not in (None, DB_PORT):
        return Fail(f"DATABASE_URL uses port {port}, but db-ambassador listens on {DB_PORT}.", path=where, hint=hint)
    if user != "shop" or norm_path(path) != "/shop":
        return Fail("DATABASE_URL changed the user or the database name; only the host changes.", path=where,
                    hint=hint)
    return True


def _ambassador_runs(answer: Answer) -> Any:
    doc = pod(answer)
    fld, i, c = _need(doc, AMBASSADOR, f"Add an init container `{AMBASSADOR}` with `restartPolicy: Always`.")
    where = f"spec.{fld}[{i}]"
    if not same_image(c.get("image"), AMBASSADOR_IMAGE):
        return Fail(f"db-ambassador runs {short_repr(c.get('image'))}; the task uses {AMBASSADOR_IMAGE}, whose nc "
                    "can forward connections.", path=f"{where}.image", hint=f"Set `image: {AMBASSADOR_IMAGE}`.")
    got = _command_words(c)
    if got != FORWARD:
        shown = " ".join(shlex.quote(w) for w in got) or "nothing (the image's default shell)"
        return Fail(f"db-ambassador runs `{shown}`, not the forwarder the task gives.", path=f"{where}.command",
                    hint=f"Use `command: {FORWARD}`".replace("'", '"') + ".")
    return True


def _ambassador_is_sidecar(answer: Answer) -> Any:
    doc = pod(answer)
    fld, i, c = _need(doc, AMBASSADOR, f"Add an init container `{AMBASSADOR}` with `restartPolicy: Always`.")
    if fld == "containers":
        return Fail("db-ambassador is a regular container: it starts together with app, so app's first queries may "
                    "find nothing listening on localhost:5432, and in a Job it would keep the Pod from completing.",
                    path=f"spec.containers[{i}]",
                    hint=f"Move db-ambassador to spec.initContainers with `restartPolicy: Always`. See {SIDECAR_DOCS}")
    if not _is_sidecar(c):
        return Fail("db-ambassador is a plain init container: the kubelet waits for it to exit before starting app, "
                    "and `nc -ll` never exits, so the Pod would hang in Init:0/1.",
                    path=f"spec.initContainers[{i}].restartPolicy",
                    hint="Set `restartPolicy: Always` on db-ambassador (a native sidecar).")
    return True


def _probe_port(c: Mapping[str, Any], probe: Mapping[str, Any]) -> Any:
    """The port a probe checks (named ports resolved); for exec, the port its command names, if any."""
    ex = probe.get("exec")
    if isinstance(ex, dict):
        text = " ".join(shell_words({"command": ex.get("command"), "env": c.get("env")}))
        return DB_PORT if re.search(rf"\b{DB_PORT}\b", text) else "none named in its command"
    return handler_port(c, probe)


def _ambassador_startup_probe(answer: Answer) -> Any:
    doc = pod(answer)
    fld, i, c = _need(doc, AMBASSADOR, f"Add an init container `{AMBASSADOR}` with `restartPolicy: Always`.")
    where = f"spec.{fld}[{i}]"
    probe = c.get("startupProbe")
    hint = f"Add `startupProbe: {{tcpSocket: {{port: {DB_PORT}}}, periodSeconds: 1, failureThreshold: 30}}`."
    if not isinstance(probe, dict):
        also = (" A readinessProbe does not hold app back; only a sidecar's startupProbe does."
                if isinstance(c.get("readinessProbe"), dict) else "")
        return Fail("db-ambassador has no startupProbe, so the kubelet starts app as soon as nc's process exists, "
                    "perhaps before it listens." + also, path=where, hint=f"{hint} See {SIDECAR_DOCS}")
    if isinstance(probe.get("httpGet"), dict) or isinstance(probe.get("grpc"), dict):
        return Fail("db-ambassador's startupProbe speaks HTTP or gRPC to a port that forwards the PostgreSQL "
                    "protocol; it would fail, and app would never start.", path=f"{where}.startupProbe",
                    hint=f"Use `tcpSocket: {{port: {DB_PORT}}}`.")
    port = _probe_port(c, probe)
    if port != DB_PORT:
        return Fail(f"db-ambassador's startupProbe checks port {short_repr(port)}, but it listens on {DB_PORT}.",
                    path=f"{where}.startupProbe", hint=hint)
    return True


ambassador = Exercise(
    id="ch10.ambassador",
    title="Exercise 1 - an ambassador for the database",
    answer_name="SHOP_POD",
    cases=[
        Case(f"one Pod named shop with app kept ({APP_IMAGE}, port {APP_PORT}) and a {AMBASSADOR} container", 1,
             _shop_kept),
        Case(f"app reaches its database through the ambassador at localhost:{DB_PORT}", 2, _app_uses_localhost),
        Case(f"{AMBASSADOR} runs {AMBASSADOR_IMAGE} with the given nc forwarder", 1, _ambassador_runs),
        Case(f"{AMBASSADOR} is a native sidecar (init container with restartPolicy: Always)", 1, _ambassador_is_sidecar,
             hidden=True),
        Case(f"{AMBASSADOR} has a startupProbe on port {DB_PORT}", 1, _ambassador_startup_probe, hidden=True),
        Case("the checker reports no errors", 1, _no_errors(AMBASSADOR), hidden=True),
    ],
)

# ---------------------------------------------------------------------------
# Exercise 2: an adapter from the app's status file to Prometheus metrics
# ---------------------------------------------------------------------------

BILLING, ADAPTER, STATUS_VOLUME = "billing", "metrics-adapter", "status"
BILLING_IMAGE, ADAPTER_IMAGE = "ghcr.io/example/billing:5.1.0", "ghcr.io/example/kv-exporter:0.9"
STATUS_DIR, STATUS_FILE = "/var/run/billing", "status.txt"
METRICS_PORT, PREFIX = 9100, "billing_"
ALL_ADDRESSES = ("", "0.0.0.0", "::", "[::]", "*")

BILLING_POD = f"""\
apiVersion: v1
kind: Pod
metadata:
  name: billing
spec:
  containers:
  - name: billing
    image: {BILLING_IMAGE}
    ports:
    - containerPort: 8080
"""


def _adapter_present(doc: dict[str, Any]) -> tuple[str, int, dict[str, Any]]:
    return _need(doc, ADAPTER, f"Add a container `{ADAPTER}` running {ADAPTER_IMAGE}.")


def _billing_kept(answer: Answer) -> Any:
    wrong = _named(answer, BILLING)
    if wrong is not None:
        return wrong
    doc = pod(answer)
    fld, i, c = _need(doc, BILLING, "Keep the billing container.")
    if fld != "containers":
        return Fail("billing is an init container; the application belongs in spec.containers.",
                    path=f"spec.initContainers[{i}]", hint="Move billing back to spec.containers.")
    changed = kept(c, {"name": BILLING, "image": BILLING_IMAGE, "ports": [{"containerPort": 8080}]},
                   f"spec.containers[{i}]")
    if changed is not None:
        return changed
    _adapter_present(doc)
    return True


def _status_volume(doc: dict[str, Any]) -> Fail | None:
    return not_empty_dir(doc, STATUS_VOLUME, "files two containers of a Pod exchange live in one.")


def _billing_writes(answer: Answer) -> Any:
    doc = pod(answer)
    wrong = _status_volume(doc)
    if wrong is not None:
        return wrong
    fld, i, c = _need(doc, BILLING, "Keep the billing container.")
    got = mount_of(c, STATUS_VOLUME)
    hint = f"Give billing `volumeMounts: [{{name: {STATUS_VOLUME}, mountPath: {STATUS_DIR}}}]`."
    if got is None:
        return Fail(f"billing does not mount {STATUS_VOLUME}, so its status file stays in its own filesystem, where "
                    "no other container can read it.", path=f"spec.{fld}[{i}].volumeMounts", hint=hint)
    k, m = got
    where = f"spec.{fld}[{i}].volumeMounts[{k}]"
    if not same_path(m.get("mountPath"), STATUS_DIR):
        return Fail(f"billing mounts {STATUS_VOLUME} at {short_repr(m.get('mountPath'))}, but it writes "
                    f"{STATUS_DIR}/{STATUS_FILE}.", path=f"{where}.mountPath", hint=f"Use `mountPath: {STATUS_DIR}`.")
    if m.get("readOnly") is True:
        return Fail("billing mounts the status volume read-only, so it cannot write its status file.",
                    path=f"{where}.readOnly", hint="Remove `readOnly: true` from billing's mount.")
    if m.get("subPath") or m.get("subPathExpr"):
        return Fail("billing mounts a subPath of the volume, so the adapter would not find the file where the "
                    "volume's root is.", path=where, hint="Mount the whole volume (no subPath).")
    return True


def _flag(c: Mapping[str, Any], name: str) -> str | None:
    """The value of `--name=value` or `--name value` in what the container runs."""
    got = shell_words(c)
    for k, w in enumerate(got):
        if w.startswith(f"--{name}="):
            return w.split("=", 1)[1]
        if w == f"--{name}" and k + 1 < len(got):
            return got[k + 1]
    return None


def _adapter_runs(answer: Answer) -> Any:
    doc = pod(answer)
    fld, i, c = _adapter_present(doc)
    where = f"spec.{fld}[{i}]"
    if not same_image(c.get("image"), ADAPTER_IMAGE):
        return Fail(f"metrics-adapter runs {short_repr(c.get('image'))}; the task's exporter is {ADAPTER_IMAGE}.",
                    path=f"{where}.image", hint=f"Set `image: {ADAPTER_IMAGE}`.")
    if fld == "initContainers" and not _is_sidecar(c):
        return Fail("metrics-adapter is a plain init container: it serves metrics forever, so it never exits, and "
                    "billing would never start.", path=f"{where}.restartPolicy",
                    hint="Make it a regular container, or a native sidecar with `restartPolicy: Always`.")
    if fld == "containers" and c.get("restartPolicy") is not None:
        return Fail("restartPolicy on a regular container does not make it a sidecar.", path=f"{where}.restartPolicy",
                    hint="Remove it, or move the adapter to spec.initContainers.")
    return True


def _adapter_reads_read_only(answer: Answer) -> Any:
    doc = pod(answer)
    fld, i, c = _adapter_present(doc)
    got = mount_of(c, STATUS_VOLUME)
    if got is None:
        return Fail(f"metrics-adapter does not mount {STATUS_VOLUME}, so it cannot see billing's status file.",
                    path=f"spec.{fld}[{i}].volumeMounts",
                    hint=f"Add `{{name: {STATUS_VOLUME}, mountPath: /status, readOnly: true}}`.")
    k, m = got
    if m.get("readOnly") is not True:
        return Fail("metrics-adapter could write to (and so corrupt) the status file it only has to read.",
                    path=f"spec.{fld}[{i}].volumeMounts[{k}]", hint="Add `readOnly: true` to the adapter's mount.")
    return True


def _adapter_input(answer: Answer) -> Any:
    doc = pod(answer)
    fld, i, c = _adapter_present(doc)
    where = f"spec.{fld}[{i}]"
    got = mount_of(c, STATUS_VOLUME)
    if got is None:
        return Fail(f"metrics-adapter does not mount {STATUS_VOLUME}, so no --input path can name billing's file.",
                    path=f"{where}.volumeMounts", hint=f"Mount {STATUS_VOLUME}, then point --input at "
                    f"<mountPath>/{STATUS_FILE}.")
    _, m = got
    mount = norm_path(m.get("mountPath"))
    want = f"{mount.rstrip('/')}/{STATUS_FILE}" if mount else None
    value = _flag(c, "input")
    if value is None:
        return Fail("metrics-adapter has no --input argument, so the exporter does not know which file to read.",
                    path=f"{where}.args", hint=f"Add `--input={want or '<mountPath>/' + STATUS_FILE}` to its args.")
    if want is None or norm_path(value) != want:
        also = (f" {STATUS_DIR} is where billing sees the volume; the adapter sees it at its own mountPath."
                if same_path(value, f"{STATUS_DIR}/{STATUS_FILE}") and not same_path(mount, STATUS_DIR) else "")
        return Fail(f"--input is {short_repr(value)}, but metrics-adapter sees billing's file at {want}." + also,
                    path=f"{where}.args", hint=f"Use `--input={want}`.")
    return True


def _adapter_serves(answer: Answer) -> Any:
    doc = pod(answer)
    fld, i, c = _adapter_present(doc)
    where = f"spec.{fld}[{i}].args"
    listen = _flag(c, "listen")
    hint = f"Add `--listen=:{METRICS_PORT}` to its args."
    if listen is None:
        return Fail("metrics-adapter has no --listen argument.", path=where, hint=hint)
    host, _, port = listen.rpartition(":")
    if port != str(METRICS_PORT):
        return Fail(f"metrics-adapter listens on {listen!r}; the task serves the metrics on port {METRICS_PORT}.",
                    path=where, hint=hint)
    if host not in ALL_ADDRESSES:
        return Fail(f"metrics-adapter listens on {host}:{METRICS_PORT} only. Prometheus scrapes from another Pod, "
                    "through the Pod's IP, so it would never reach an address that only this Pod can use.",
                    path=where, hint=hint)
    prefix = _flag(c, "prefix")
    if prefix != PREFIX:
        got = "has no --prefix" if prefix is None else f"has --prefix={prefix}"
        return Fail(f"metrics-adapter {got}; the task names every metric {PREFIX}<key>.", path=where,
                    hint=f"Add `--prefix={PREFIX}`.")
    return True


def _adapter_port(answer: Answer) -> Any:
    doc = pod(answer)
    fld, i, c = _adapter_present(doc)
    where = f"spec.{fld}[{i}].ports"
    if not declares_port(c, METRICS_PORT):
        return Fail(f"metrics-adapter does not declare containerPort {METRICS_PORT}.", path=where,
                    hint=f"Add `ports: [{{name: metrics, containerPort: {METRICS_PORT}}}]`.")
    named = [p for p in dicts(c.get("ports")) if p.get("containerPort") == METRICS_PORT]
    if not any(p.get("name") == "metrics" for p in named):
        return Fail(f"port {METRICS_PORT} has no name `metrics`, which the scrape configuration selects.", path=where,
                    hint=f"Add `name: metrics` to the {METRICS_PORT} port.")
    return True


adapter = Exercise(
    id="ch10.adapter",
    title="Exercise 2 - an adapter for Prometheus",
    answer_name="BILLING_POD",
    cases=[
        Case(f"one Pod named billing with billing kept ({BILLING_IMAGE}, port 8080) and a {ADAPTER} container", 1,
             _billing_kept),
        Case(f"{STATUS_VOLUME} is an emptyDir that billing mounts writable at {STATUS_DIR}", 1, _billing_writes),
        Case(f"{ADAPTER} runs {ADAPTER_IMAGE} beside billing (a regular container or a native sidecar)", 1,
             _adapter_runs),
        Case(f"{ADAPTER}'s --input names {STATUS_FILE} where it mounts {STATUS_VOLUME}", 1, _adapter_input),
        Case(f"{ADAPTER} serves {PREFIX}* metrics on port {METRICS_PORT} on every address of the Pod", 1,
             _adapter_serves),
        Case(f"{ADAPTER} mounts {STATUS_VOLUME} read-only", 1, _adapter_reads_read_only, hidden=True),
        Case(f"{ADAPTER} declares containerPort {METRICS_PORT} named metrics", 1, _adapter_port, hidden=True),
        Case("the checker reports no errors", 1, _no_errors(ADAPTER), hidden=True),
    ],
)

# ---------------------------------------------------------------------------
# Exercise 3: together or apart? A verdict and the factor that decides it
# ---------------------------------------------------------------------------

# factor -> the words (whole words or phrases, lower case) by which a reason names it. A word may
# belong to one factor only, or a reason could never be told to name the wrong one.
FACTORS: dict[str, tuple[str, ...]] = {
    "files": ("volume", "volumes", "emptydir", "file", "files", "filesystem", "file system", "disk", "directory",
              "mount", "mounts", "storage", "log files", "same files"),
    "localhost": ("localhost", "loopback", "127.0.0.1", "network namespace", "netns", "same ip", "one ip",
                  "pod ip", "plaintext", "plain text", "unencrypted", "cleartext", "leaves the pod", "local port",
                  "same network", "local network", "cross the network", "crosses the network", "on the wire"),
    "scaling": ("scale", "scales", "scaled", "scaling", "replica", "replicas", "horizontal", "hpa", "autoscale",
                "autoscaling", "instances", "one per", "per instance", "per replica", "load"),
    "lifecycle": ("lifecycle", "life cycle", "lifetime", "deploy", "deploys", "deployed", "deployment", "release",
                  "released", "releases", "rollout", "roll out", "upgrade", "upgrades", "upgraded", "version",
                  "versions", "cron", "cronjob", "job", "batch", "nightly", "runs once", "finishes", "completes",
                  "schedule", "scheduled", "stateful", "statefulset", "team", "teams", "owned"),
    "resources": ("resource", "resources", "memory", "ram", "cpu", "gib", "gb", "requests", "limits", "qos",
                  "node size", "bigger node", "heavy"),
    "security": ("security", "secure", "privilege", "privileges", "privileged", "credential", "credentials",
                 "secret", "secrets", "token", "tokens", "permission", "permissions", "rbac", "service account",
                 "serviceaccount", "trust", "trusted", "untrusted", "attack", "attacker", "compromise",
                 "compromised", "cluster-admin", "admin rights", "least privilege", "access"),
    "failure": ("crash", "crashes", "crashing", "failure", "failures", "fail", "fails", "blast radius", "blast",
                "fault", "faults", "oom", "oomkilled", "leak", "leaks", "unstable", "flaky", "take down",
                "takes down", "bring down", "brings down", "outage", "kills", "killed", "evicted", "eviction"),
}
FACTOR_NAMES = {
    "files": "shared files (a volume)", "localhost": "the shared network namespace (localhost)",
    "scaling": "scaling (how many replicas each needs)", "lifecycle": "lifecycle (when each starts, ends, is released)",
    "resources": "the resource profile (CPU and memory)", "security": "the security boundary (credentials, privileges)",
    "failure": "the failure blast radius",
}
_FACTOR_RES = {f: re.compile(r"(?<![a-z0-9])(?:" + "|".join(re.escape(w) for w in sorted(ws, key=len, reverse=True))
                             + r")(?![a-z0-9])") for f, ws in FACTORS.items()}

# letter -> (scenario, together?, the factors a correct reason may name, why)
SCENARIOS: dict[str, tuple[str, bool, tuple[str, ...], str]] = {
    "A": ("a web server and a log shipper that reads the access log files the server writes", True,
          ("files", "scaling"),
          "the shipper only works on the server's log files: in one Pod they share an emptyDir, and the shipper "
          "lives and scales with the server it reads."),
    "B": ("a stateless web frontend with 10 to 40 replicas and the single PostgreSQL database it queries", False,
          ("scaling", "lifecycle"),
          "the frontend scales out with traffic while the database is one stateful instance with its own data and "
          "upgrades: in one Pod every new frontend replica would start another database."),
    "C": ("an app that speaks plain HTTP and a TLS-terminating proxy in front of it; the plain HTTP must never "
          "cross the network", True, ("localhost",),
          "in one Pod the proxy reaches the app on localhost, so the unencrypted traffic never leaves the Pod's "
          "network namespace."),
    "D": ("an order API that needs 200m CPU and 256Mi around the clock, and a report generator that needs 8Gi of "
          "memory for 20 minutes each night", False, ("resources", "lifecycle"),
          "the Pod would reserve 8Gi on its node all day for a 20-minute job; a CronJob runs the report with its "
          "own requests only when it is due."),
    "E": ("a public web shop and an internal admin tool whose ServiceAccount may read every Secret of the cluster",
          False, ("security",),
          "containers of a Pod share its ServiceAccount, network and volumes: one flaw in the public shop would "
          "hand an attacker the admin tool's credentials."),
    "F": ("a checkout service and an experimental recommendation plugin that leaks memory and crashes several "
          "times a day", False, ("failure",),
          "every crash or OOM kill of the plugin would show in the checkout Pod (not Ready, restarts, eviction "
          "pressure); apart, its failures stay its own."),
    "G": ("an app and the ambassador it connects to on localhost:6379 to reach a sharded Redis cluster", True,
          ("localhost", "scaling"),
          "the app opens its connections to localhost, which only a container of its own Pod can answer; one "
          "ambassador per app replica scales with the app."),
}

_TOGETHER = words({True: TRUE_WORDS | {"together", "same pod", "one pod", "co-locate", "colocate", "co-located"},
                   False: FALSE_WORDS | {"apart", "separate", "separate pods", "two pods", "split"}},
                  on_bool=(True, False))
_EXAMPLE = '{"A": {"together": "yes", "reason": "..."}, ...}'


def _factors_named(reason: str) -> list[str]:
    text = " ".join(reason.lower().split())
    return [f for f, rx in _FACTOR_RES.items() if rx.search(text)]


def _row(answer: Answer, letter: str) -> tuple[Any, Any]:
    """(together, reason) of one scenario, as written; `Fail` when the table or the row is unreadable."""
    data = answer.data
    if not isinstance(data, dict):
        raise Fail(f"{answer.name} must be a dict such as {_EXAMPLE}.")
    table = {str(k).strip().upper(): v for k, v in data.items()}
    if letter not in table:
        raise Fail(f"scenario {letter} has no answer.", hint=f'Add "{letter}": {{"together": "yes" or "no", '
                   '"reason": "one line"}.')
    row = table[letter]
    if isinstance(row, dict):
        fold = {str(k).strip().lower(): v for k, v in row.items()}
        return fold.get("together"), fold.get("reason")
    if isinstance(row, (list, tuple)) and len(row) == 2:
        return row[0], row[1]
    raise Fail(f"scenario {letter}: {short_repr(row)} is not {{\"together\": ..., \"reason\": ...}}.")


def _verdict(letter: str) -> Any:
    _, want, _, why = SCENARIOS[letter]

    def test(answer: Answer) -> Any:
        together, _ = _row(answer, letter)
        got = _TOGETHER(together)
        if got is None:
            return Fail(f"scenario {letter}: together is {short_repr(together)}; write yes (one Pod) or no "
                        "(separate Pods).")
        if got != want:
            return Fail(f"scenario {letter} belongs {'in one Pod' if want else 'in separate Pods'}: {why}")
        return True

    return test


def _reason(letter: str) -> Any:
    _, _, accepted, why = SCENARIOS[letter]
    wanted = " or ".join(FACTOR_NAMES[f] for f in accepted)

    def test(answer: Answer) -> Any:
        _, reason = _row(answer, letter)
        if not isinstance(reason, str) or not reason.strip():
            return Fail(f"scenario {letter} has no reason; say in one line which factor decides.",
                        hint=f'Add "reason": "..." naming what decides, e.g. {FACTOR_NAMES[accepted[0]]}.')
        named = _factors_named(reason)
        if any(f in accepted for f in named):
            return True
        if named:
            shown = ", ".join(FACTOR_NAMES[f] for f in named)
            return Fail(f"scenario {letter}: the reason names {shown}, but what decides here is {wanted}: {why}")
        return Fail(f"scenario {letter}: the reason {short_repr(reason)} names none of the factors that decide "
                    f"co-location; here it is {wanted}.")

    return test


colocation = Exercise(
    id="ch10.colocation",
    title="Exercise 3 - one Pod or two?",
    answer_name="COLOCATION",
    cases=[c for letter in SCENARIOS for c in (
        Case(f"scenario {letter}: together or apart", 1, _verdict(letter), hidden=letter not in ("A", "B")),
        Case(f"scenario {letter}: the deciding factor", 1, _reason(letter), hidden=letter not in ("A", "B")),
    )],
)

# ---------------------------------------------------------------------------
# Exercise 4: a sidecar that terminates TLS in front of a plain HTTP app
# ---------------------------------------------------------------------------

API, PROXY = "api", "tls-proxy"
API_IMAGE, PROXY_IMAGE = "ghcr.io/example/api:1.8.0", "nginx:1.22"
API_PORT, HTTPS_PORT = 8080, 8443
TLS_SECRET, PROXY_CONFIG = "api-tls", "api-proxy"
TLS_KEYS, CONFIG_KEY = ("tls.crt", "tls.key"), "default.conf"
TLS_DIR, CONF_DIR = "/etc/nginx/tls", "/etc/nginx/conf.d"
LOOPBACK = ("127.0.0.1", "localhost")

API_POD = f"""\
apiVersion: v1
kind: Pod
metadata:
  name: api
spec:
  containers:
  - name: app
    image: {API_IMAGE}
    args: ["--listen=:{API_PORT}"]
    ports:
    - containerPort: {API_PORT}
"""

# What the ConfigMap api-proxy holds (the task shows it; the Pod only has to mount it where nginx looks).
PROXY_CONF = f"""\
server {{
  listen {HTTPS_PORT} ssl;
  ssl_certificate     {TLS_DIR}/tls.crt;
  ssl_certificate_key {TLS_DIR}/tls.key;
  location / {{
    proxy_pass http://127.0.0.1:{API_PORT};
  }}
}}
"""


def _proxy_present(doc: dict[str, Any]) -> tuple[str, int, dict[str, Any]]:
    return _need(doc, PROXY, f"Add the sidecar `{PROXY}` running {PROXY_IMAGE} (see the task).")


def _api_app(doc: dict[str, Any]) -> tuple[str, int, dict[str, Any]]:
    _proxy_present(doc)
    return _need(doc, APP, "Keep the app container of the api Pod.")


def _api_kept(answer: Answer) -> Any:
    wrong = _named(answer, API)
    if wrong is not None:
        return wrong
    doc = pod(answer)
    got = _regular_app(doc, "Keep the app container of the api Pod.")
    if isinstance(got, Fail):
        return got
    i, app = got
    if not same_image(app.get("image"), API_IMAGE):
        return Fail(f"app's image is {short_repr(app.get('image'))}; the task keeps {API_IMAGE!r}.",
                    path=f"spec.containers[{i}].image", hint=f"Set `image: {API_IMAGE}`.")
    _proxy_present(doc)
    return True


def _app_loopback(answer: Answer) -> Any:
    doc = pod(answer)
    fld, i, app = _api_app(doc)
    where = f"spec.{fld}[{i}].args"
    hint = f"Give app `args: [\"--listen=127.0.0.1:{API_PORT}\"]`."
    listen = _flag(app, "listen")
    if listen is None:
        return Fail("app has no --listen argument, so nothing says it listens on the loopback address only.",
                    path=where, hint=hint)
    host, _, port = listen.strip().rpartition(":")
    host = host.strip("[]")
    if port == str(HTTPS_PORT):
        return Fail(f"app listens on port {HTTPS_PORT}, the proxy's port. The containers of a Pod share one network "
                    "namespace, so app and nginx would both bind it and one would fail with 'address already in "
                    "use'.", path=where, hint=hint)
    if port != str(API_PORT):
        return Fail(f"app listens on {listen!r}, but the proxy's configuration forwards to 127.0.0.1:{API_PORT}.",
                    path=where, hint=hint)
    if host in ALL_ADDRESSES:
        return Fail(f"app listens on every address of the Pod: anyone who can reach the Pod IP can send plain HTTP "
                    f"to port {API_PORT} and skip the proxy.", path=where, hint=hint)
    if host not in LOOPBACK:
        also = " (the proxy forwards to 127.0.0.1, IPv4)" if host == "::1" else ""
        return Fail(f"app listens on {host}:{API_PORT}, not on 127.0.0.1, the only address the proxy uses and no one "
                    f"outside the Pod can reach{also}.", path=where, hint=hint)
    return True


def _proxy_runs(answer: Answer) -> Any:
    doc = pod(answer)
    fld, i, c = _proxy_present(doc)
    where = f"spec.{fld}[{i}]"
    if not same_image(c.get("image"), PROXY_IMAGE):
        return Fail(f"tls-proxy runs {short_repr(c.get('image'))}; the task's proxy is {PROXY_IMAGE}, which reads "
                    f"the configuration in {PROXY_CONFIG}.", path=f"{where}.image", hint=f"Set `image: {PROXY_IMAGE}`.")
    if fld == "initContainers" and not _is_sidecar(c):
        return Fail("tls-proxy is a plain init container: nginx serves until it is stopped, so it never exits, and "
                    "app would never start.", path=f"{where}.restartPolicy",
                    hint="Make it a regular container, or a native sidecar with `restartPolicy: Always`.")
    if fld == "containers" and c.get("restartPolicy") is not None:
        return Fail("restartPolicy on a regular container does not make it a sidecar.", path=f"{where}.restartPolicy",
                    hint="Remove it, or move tls-proxy to spec.initContainers.")
    return True


def _holds(volume: Mapping[str, Any], kind: str, name: str) -> list[Any]:
    """The `items` lists (None: every key) by which a volume projects the Secret or ConfigMap `name`."""
    out: list[Any] = []
    direct = volume.get(kind)
    if isinstance(direct, dict) and direct.get("secretName" if kind == "secret" else "name") == name:
        out.append(direct.get("items"))
    projected = volume.get("projected")
    for src in dicts(projected.get("sources")) if isinstance(projected, dict) else []:
        got = src.get(kind)
        if isinstance(got, dict) and got.get("name") == name:
            out.append(got.get("items"))
    return out


def _key_paths(items: Any, keys: Sequence[str]) -> dict[str, str]:
    """key -> its path inside the volume: every key under its own name, or only those `items` lists."""
    if items is None:
        return {k: k for k in keys}
    out: dict[str, str] = {}
    for it in dicts(items):
        path = norm_path(it.get("path"))
        if it.get("key") in keys and path and not path.startswith("/"):
            out[str(it["key"])] = path
    return out


def _volumes_holding(doc: dict[str, Any], kind: str, name: str) -> list[str]:
    return [str(v.get("name")) for v in dicts(spec_of(doc).get("volumes")) if _holds(v, kind, name)]


def _files_in(doc: dict[str, Any], c: Mapping[str, Any], kind: str, name: str,
              keys: Sequence[str]) -> tuple[dict[str, list[str]], list[tuple[int, dict[str, Any]]]]:
    """Where each key of the Secret or ConfigMap appears in container `c` (subPath mounts included), and
    the mounts that bring it in."""
    vols = {v.get("name"): v for v in dicts(spec_of(doc).get("volumes"))}
    files: dict[str, list[str]] = {k: [] for k in keys}
    used: list[tuple[int, dict[str, Any]]] = []
    for k, m in enumerate(dicts(c.get("volumeMounts"))):
        v = vols.get(m.get("name"))
        paths: dict[str, str] = {}
        for items in _holds(v, kind, name) if isinstance(v, dict) else []:
            paths.update(_key_paths(items, keys))
        mount = norm_path(m.get("mountPath"))
        if not paths or mount is None or m.get("subPathExpr"):
            continue
        used.append((k, m))
        base = mount.rstrip("/")
        sub = norm_path(m.get("subPath")) if isinstance(m.get("subPath"), str) and m["subPath"].strip() else None
        for key, rel in paths.items():
            if sub is None:
                files[key].append(f"{base}/{rel}")
            elif rel == sub:
                files[key].append(mount)
            elif rel.startswith(sub + "/"):
                files[key].append(base + rel[len(sub):])
    return files, used


def _missing_volume(doc: dict[str, Any], kind: str, name: str, fld: str, i: int) -> Fail:
    label = "Secret" if kind == "secret" else "ConfigMap"
    other = "configMap" if kind == "secret" else "secret"
    if not _volumes_holding(doc, kind, name):
        also = ""
        if _volumes_holding(doc, other, name):
            also = f" (a volume names {name} as a {'ConfigMap' if kind == 'secret' else 'Secret'}; it is a {label})"
        key = "secretName" if kind == "secret" else "name"
        return Fail(f"no volume of the Pod holds the {label} {name}{also}.", path="spec.volumes",
                    hint=f"Add `{{name: ..., {kind}: {{{key}: {name}}}}}` to spec.volumes.")
    return Fail(f"tls-proxy does not mount the volume holding the {label} {name} "
                f"({', '.join(_volumes_holding(doc, kind, name))}).", path=f"spec.{fld}[{i}].volumeMounts",
                hint=f"Mount it in tls-proxy at {TLS_DIR if kind == 'secret' else CONF_DIR}.")


def _proxy_has_certificate(answer: Answer) -> Any:
    """tls.crt and tls.key where the configuration reads them. Secret volumes are mounted read-only by the
    kubelet whatever the mount says, so `readOnly: true` is welcome but not required."""
    doc = pod(answer)
    fld, i, c = _proxy_present(doc)
    files, used = _files_in(doc, c, "secret", TLS_SECRET, TLS_KEYS)
    if not used:
        return _missing_volume(doc, "secret", TLS_SECRET, fld, i)
    want = {k: f"{TLS_DIR}/{k}" for k in TLS_KEYS}
    wrong = [k for k in TLS_KEYS if want[k] not in files[k]]
    if wrong:
        seen = "; ".join(f"{k} at {', '.join(files[k]) or 'no path (not in items)'}" for k in wrong)
        k, _ = used[0]
        return Fail(f"nginx reads {' and '.join(want[k] for k in wrong)}, but your mounts put {seen}.",
                    path=f"spec.{fld}[{i}].volumeMounts[{k}]",
                    hint=f"Mount the volume of the Secret {TLS_SECRET} at `mountPath: {TLS_DIR}` (no subPath, "
                         "every key).")
    return True


def _proxy_has_config(answer: Answer) -> Any:
    doc = pod(answer)
    fld, i, c = _proxy_present(doc)
    for k, m in enumerate(dicts(c.get("volumeMounts"))):
        if norm_path(m.get("mountPath")) in ("/", "/etc", "/etc/nginx") and not m.get("subPath"):
            return Fail(f"tls-proxy mounts {m.get('name')!r} at {m.get('mountPath')}, which hides the image's own "
                        "/etc/nginx/nginx.conf and mime.types: nginx would not start.",
                        path=f"spec.{fld}[{i}].volumeMounts[{k}].mountPath",
                        hint=f"Mount the ConfigMap at {CONF_DIR}, which nginx.conf includes (`*.conf`).")
    files, used = _files_in(doc, c, "configMap", PROXY_CONFIG, (CONFIG_KEY,))
    if not used:
        return _missing_volume(doc, "configMap", PROXY_CONFIG, fld, i)
    placed = files[CONFIG_KEY]
    if any(p.rsplit("/", 1)[0] == CONF_DIR and p.endswith(".conf") for p in placed):
        return True
    k, m = used[0]
    where = f"spec.{fld}[{i}].volumeMounts[{k}]"
    if any(p == f"{CONF_DIR}/{CONFIG_KEY}/{CONFIG_KEY}" for p in placed):
        return Fail(f"without subPath, a volume mounted at {CONF_DIR}/{CONFIG_KEY} is a directory: the file lands at "
                    f"{CONF_DIR}/{CONFIG_KEY}/{CONFIG_KEY}, where nginx does not look.", path=where,
                    hint=f"Mount the volume at `{CONF_DIR}`, or add `subPath: {CONFIG_KEY}`.")
    shown = ", ".join(placed) or "no path (not in items)"
    return Fail(f"nginx reads the *.conf files of {CONF_DIR}, but your mounts put {CONFIG_KEY} at {shown}.",
                path=where, hint=f"Mount the volume of the ConfigMap {PROXY_CONFIG} at `mountPath: {CONF_DIR}`.")


def _proxy_port(answer: Answer) -> Any:
    doc = pod(answer)
    fld, i, c = _proxy_present(doc)
    where = f"spec.{fld}[{i}].ports"
    if not declares_port(c, HTTPS_PORT):
        got = sorted({p.get("containerPort") for p in dicts(c.get("ports"))}, key=str)
        also = f" (it declares {', '.join(map(str, got))})" if got else ""
        return Fail(f"tls-proxy does not declare containerPort {HTTPS_PORT}, where its configuration listens{also}.",
                    path=where, hint=f"Add `ports: [{{name: https, containerPort: {HTTPS_PORT}}}]`.")
    if not any(p.get("name") == "https" for p in dicts(c.get("ports")) if p.get("containerPort") == HTTPS_PORT):
        return Fail(f"port {HTTPS_PORT} has no name `https`, which the Service's targetPort names.", path=where,
                    hint=f"Add `name: https` to the {HTTPS_PORT} port.")
    return True


def _app_declares_nothing(answer: Answer) -> Any:
    doc = pod(answer)
    fld, i, app = _api_app(doc)
    got = [p.get("containerPort") for p in dicts(app.get("ports"))]
    if got:
        return Fail(f"app still declares containerPort {', '.join(map(str, got))}. The plain HTTP port is for the "
                    "proxy alone; declared, it invites a Service or a scrape to target it (and it answers only on "
                    "127.0.0.1 anyway).", path=f"spec.{fld}[{i}].ports",
                    hint=f"Remove app's ports; declare only tls-proxy's {HTTPS_PORT}.")
    return True


def _app_without_key(answer: Answer) -> Any:
    doc = pod(answer)
    fld, i, app = _api_app(doc)
    where = f"spec.{fld}[{i}]"
    why = ("only the proxy terminates TLS, so only it needs the private key; in app, any flaw (a path traversal, a "
           "debug endpoint) would leak it.")
    _, used = _files_in(doc, app, "secret", TLS_SECRET, TLS_KEYS)
    if used:
        k, m = used[0]
        return Fail(f"app mounts the Secret {TLS_SECRET} ({m.get('name')!r} at {m.get('mountPath')}): {why}",
                    path=f"{where}.volumeMounts[{k}]", hint="Mount the TLS Secret in tls-proxy only.")
    for j, e in enumerate(dicts(app.get("env"))):
        ref = e.get("valueFrom", {}).get("secretKeyRef") if isinstance(e.get("valueFrom"), dict) else None
        if isinstance(ref, dict) and ref.get("name") == TLS_SECRET:
            return Fail(f"app reads the Secret {TLS_SECRET} into ${e.get('name')}: {why}", path=f"{where}.env[{j}]",
                        hint="Remove the variable; the Secret belongs to tls-proxy.")
    for j, e in enumerate(dicts(app.get("envFrom"))):
        ref = e.get("secretRef")
        if isinstance(ref, dict) and ref.get("name") == TLS_SECRET:
            return Fail(f"app takes the Secret {TLS_SECRET} as environment variables: {why}",
                        path=f"{where}.envFrom[{j}]", hint="Remove it; the Secret belongs to tls-proxy.")
    return True


tls_proxy = Exercise(
    id="ch10.tls_proxy",
    title="Exercise 4 - a sidecar that terminates TLS",
    answer_name="API_POD",
    cases=[
        Case(f"one Pod named api with app ({API_IMAGE}) and a {PROXY} container", 1, _api_kept),
        Case(f"app listens on 127.0.0.1:{API_PORT} only", 1, _app_loopback),
        Case(f"{PROXY} runs {PROXY_IMAGE} beside app (a regular container or a native sidecar)", 1, _proxy_runs),
        Case(f"{PROXY} finds the Secret {TLS_SECRET} at {TLS_DIR}/tls.crt and tls.key", 1, _proxy_has_certificate),
        Case(f"{PROXY} finds the ConfigMap {PROXY_CONFIG} in {CONF_DIR}, with the rest of /etc/nginx kept", 1,
             _proxy_has_config),
        Case(f"{PROXY} declares containerPort {HTTPS_PORT} named https", 1, _proxy_port, hidden=True),
        Case("app declares no port of its own", 1, _app_declares_nothing, hidden=True),
        Case(f"app has no access to the Secret {TLS_SECRET}", 1, _app_without_key, hidden=True),
        Case("the checker reports no errors", 1, _no_errors(PROXY), hidden=True),
    ],
)

# ---------------------------------------------------------------------------
# Live check: from app, localhost:5432 answers with the stand-in database's page, through the ambassador
# ---------------------------------------------------------------------------

UPSTREAM, UPSTREAM_PORT = "podcourse-db", 15432
UPSTREAM_PAGE = "shop-db (live stand-in)"
_UPSTREAM_SCRIPT = (f"mkdir -p /tmp/www && echo {shlex.quote(UPSTREAM_PAGE)} > /tmp/www/index.html && "
                    f"exec httpd -f -p 127.0.0.1:{UPSTREAM_PORT} -h /tmp/www")


def _app_script(port: int) -> str:
    return (f"mkdir -p /tmp/www && echo 'shop app (live stand-in)' > /tmp/www/index.html && "
            f"exec httpd -f -p {port} -h /tmp/www")


def _listen_port(c: Mapping[str, Any]) -> int:
    got = _command_words(c)
    for a, b in itertools.pairwise(got):
        if a == "-p" and b.isdigit() and 0 < int(b) < 65536:
            return int(b)
    return DB_PORT


def _plan_shop(answer: Answer) -> live.Plan:
    doc = live.runnable(answer)
    for name in (APP, AMBASSADOR):
        if live.find_container(doc, name) is None:
            raise Fail(f"there is no container named {name!r}, so there is nothing to check.", path="spec",
                       hint=f"Add the {name} container the exercise asks for.")
    afld, ai, amb = live.find_container(doc, AMBASSADOR) or ("", 0, {})
    if afld == "initContainers" and not _is_sidecar(amb):
        raise Fail("db-ambassador is a plain init container. nc never exits, and app starts only after every plain "
                   "init container has exited, so this Pod would wait in Init:0/1 forever.",
                   path=f"spec.initContainers[{ai}].restartPolicy",
                   hint="Set `restartPolicy: Always` on db-ambassador (a native sidecar), then run this cell again.")
    _, pi, app = live.find_container(doc, APP) or ("", 0, {})
    url = env_value(app, "DATABASE_URL") or ""
    parts = _url_parts(url) if url else None
    host, port = (parts[0], parts[1] or DB_PORT) if parts else (None, DB_PORT)
    listen = _listen_port(amb)
    probe = isinstance(amb.get("startupProbe"), dict)
    notes = [f"app runs a stand-in for {app.get('image')!r}: busybox httpd on port {APP_PORT}, with your env.",
             f"{UPSTREAM}, an extra container, stands in for {DB_HOST}:{DB_PORT} (which the course cluster cannot "
             f"reach): busybox httpd on 127.0.0.1:{UPSTREAM_PORT} answering {UPSTREAM_PAGE!r}.",
             f"db-ambassador forwards port {listen} to {UPSTREAM} on 127.0.0.1:{UPSTREAM_PORT} instead of "
             f"{DB_HOST}:{DB_PORT}, with busybox nc as in your command."]
    live.stand_in(app, "busybox:1.35", _app_script(APP_PORT))
    live.stand_in(amb, "busybox:1.35", f"exec nc -ll -p {listen} -e nc 127.0.0.1 {UPSTREAM_PORT}")
    if probe:
        amb["startupProbe"] = {"tcpSocket": {"port": listen}, "periodSeconds": 1, "failureThreshold": 30}
    live.others_must_be_course_images(doc, (APP, AMBASSADOR))
    spec = doc["spec"]
    spec["containers"].append({"name": UPSTREAM, "image": "busybox:1.35", "command": ["sh", "-c", _UPSTREAM_SCRIPT]})
    h = f"[{host}]" if host and ":" in host else host
    target = f"http://{h}:{port}/" if host else ""
    return live.Plan(doc, notes, facts={"url": target, "database_url": url, "app": pi, "ambassador": (afld, ai)})


def _app_reaches_upstream(handle: Any, report: Any, plan: live.Plan) -> list[str]:
    from course.cluster.probes import http_get_from

    f = plan.facts
    where = ("spec", "containers", f["app"], "env")
    if not f["url"]:
        return [live.exec_failure(where, f"app's DATABASE_URL {f['database_url']!r} names no host to connect to.",
                                  f"Set DATABASE_URL to postgres://shop@localhost:{DB_PORT}/shop.")]
    res = live.retry(lambda: http_get_from(handle, APP, f["url"]), lambda r: r.ok and UPSTREAM_PAGE in r.stdout)
    if res.ok and UPSTREAM_PAGE in res.stdout:
        return []
    return [live.exec_failure(
        where, f"From app, {f['url']} (the host and port of DATABASE_URL) did not answer with the stand-in "
               f"database's page through the ambassador: {live.output(res)}.",
        f"Point DATABASE_URL at localhost:{DB_PORT}, where db-ambassador listens inside the Pod.")]


def _ambassador_alongside(handle: Any, report: Any, plan: live.Plan) -> list[str]:
    """The Pod's status: db-ambassador is an init container that has started and keeps running next to app."""
    time.sleep(live.TIMING["settle"])
    status = live.pod_status(handle, report)
    fld, i = plan.facts["ambassador"]
    return live.sidecar_running(status, AMBASSADOR, ("spec", fld, i), "app",
                                "a regular container, started together with app")


ambassador_live = live.live_exercise(
    "ch10.ambassador_live", "Live check - the app reaches its database through the ambassador", "SHOP_POD",
    _plan_shop, "ch10-shop",
    [("the Pod is admitted and becomes Ready on the cluster", 1, None),
     ("from app, DATABASE_URL's host and port answer with the stand-in database, through db-ambassador", 1,
      _app_reaches_upstream),
     ("db-ambassador is a native sidecar: started and still running, without restarts, next to app", 1,
      _ambassador_alongside)],
    until="Ready",
)

# ---------------------------------------------------------------------------
# Live check: from billing, localhost:9100/metrics serves what billing writes, translated
# ---------------------------------------------------------------------------

STATUS_PATH = f"{STATUS_DIR}/{STATUS_FILE}"
METRICS_URL = f"http://localhost:{METRICS_PORT}/metrics"
KEYS = ("queue_depth", "invoices_sent_total")
_BILLING_SCRIPT = (f"mkdir -p {STATUS_DIR}; printf 'queue_depth=17\\ninvoices_sent_total=1024\\n' > {STATUS_PATH}; "
                   "mkdir -p /tmp/www && echo 'billing (live stand-in)' > /tmp/www/index.html && "
                   "exec httpd -f -p 8080 -h /tmp/www")


def _httpd_listen(listen: str) -> str | None:
    """busybox httpd's `-p` for an exporter's `--listen=[ADDRESS]:PORT` (every address: the port alone)."""
    host, _, port = listen.strip().rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        return None
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "::", "*"):
        return port
    return f"{'127.0.0.1' if host == 'localhost' else host}:{port}" if ":" not in host else f"[{host}]:{port}"


def _exporter_script(src: str | None, listen: str | None, prefix: str | None) -> str:
    """A kv-exporter in busybox sh: every second, `key=value` lines of `src` become Prometheus text in
    /tmp/www/metrics (written aside and renamed, so a scrape never sees half a file), served by httpd."""
    q = shlex.quote
    loop = (f"src={q(src or '')}; pre={q(prefix or '')}; while true; do {{ "
            'if [ -n "$src" ] && [ -r "$src" ]; then while IFS="=" read -r k v; do '
            'case "$k" in ""|"#"*) continue;; esac; '
            'echo "# TYPE ${pre}${k} gauge"; echo "${pre}${k} ${v}"; done < "$src"; '
            'else echo "# kv-exporter stand-in: cannot read --input=${src}"; fi; '
            "} > /tmp/www/.metrics && mv -f /tmp/www/.metrics /tmp/www/metrics; sleep 1; done")
    where = _httpd_listen(listen) if listen else None
    if where is None:
        return f"mkdir -p /tmp/www && {loop}"  # no address to serve on: it translates, but nothing answers
    return f"mkdir -p /tmp/www || exit 1; ( {loop} ) & exec httpd -f -p {q(where)} -h /tmp/www"


def _plan_billing(answer: Answer) -> live.Plan:
    doc = live.runnable(answer)
    for name in (BILLING, ADAPTER):
        if live.find_container(doc, name) is None:
            raise Fail(f"there is no container named {name!r}, so there is nothing to check.", path="spec",
                       hint=f"Add the {name} container the exercise asks for.")
    _, bi, billing = live.find_container(doc, BILLING) or ("", 0, {})
    afld, ai, adapter_ = live.find_container(doc, ADAPTER) or ("", 0, {})
    if afld == "initContainers" and not _is_sidecar(adapter_):
        raise Fail("metrics-adapter is a plain init container. An exporter serves forever and never exits, and "
                   "billing starts only after every plain init container has exited, so this Pod would wait in "
                   "Init:0/1 forever.", path=f"spec.initContainers[{ai}].restartPolicy",
                   hint="Make it a regular container, or set `restartPolicy: Always` (a native sidecar), then run "
                        "this cell again.")
    src, listen, prefix = _flag(adapter_, "input"), _flag(adapter_, "listen"), _flag(adapter_, "prefix")
    mount = mount_of(adapter_, STATUS_VOLUME)
    shown = " ".join(f"--{k}={v}" for k, v in (("input", src), ("listen", listen), ("prefix", prefix)) if v is not None)
    notes = [f"billing runs a stand-in for {billing.get('image')!r}: busybox, writing {STATUS_PATH} (queue_depth=17, "
             "invoices_sent_total=1024) and serving port 8080, with your mounts; the check then rewrites the file "
             "from billing, as billing does every ten seconds.",
             f"metrics-adapter runs a stand-in for {adapter_.get('image')!r}: a busybox script that, every second, "
             f"turns the key=value lines of its --input file into Prometheus text and serves it with httpd at "
             f"/metrics, with your mounts and your arguments ({shown or 'none'})."]
    live.stand_in(billing, "busybox:1.35", _BILLING_SCRIPT)
    live.stand_in(adapter_, "busybox:1.35", _exporter_script(src, listen, prefix))
    live.others_must_be_course_images(doc, (BILLING, ADAPTER))
    return live.Plan(doc, notes, facts={
        "billing": bi, "adapter": (afld, ai), "input": src, "listen": listen, "prefix": prefix,
        "adapter_mount": mount[1].get("mountPath") if mount else None,
        "adapter_mount_index": mount[0] if mount else None,
    })


def _served(text: str) -> dict[str, str]:
    """The samples of a Prometheus text page: name -> value (comments and labels left out)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        got = line.split()
        if len(got) >= 2 and not got[0].startswith("#"):
            out[got[0].split("{", 1)[0]] = got[1]
    return out


def _write_status(handle: Any, values: Mapping[str, int]) -> Any:
    """billing's next status file, written aside and renamed into place."""
    tmp = f"{STATUS_DIR}/.{STATUS_FILE}.tmp"
    lines = "; ".join(f"echo {k}={v} >> {tmp}" for k, v in values.items())
    return handle.sh(BILLING, f"mkdir -p {STATUS_DIR} && rm -f {tmp} && {lines} && mv -f {tmp} {STATUS_PATH}")


def _metrics_follow_status(handle: Any, report: Any, plan: live.Plan) -> list[str]:
    from course.cluster.probes import http_get_from

    f = plan.facts
    afld, ai = f["adapter"]
    args = ("spec", afld, ai, "args")
    want_names = {k: f"{PREFIX}{k}" for k in KEYS}
    rounds = [{k: 100 + secrets.randbelow(900_000) for k in KEYS} for _ in range(2)]
    seen: dict[str, str] = {}
    for n, values in enumerate(rounds):
        wrote = _write_status(handle, values)
        if not wrote.ok:
            return [live.exec_failure(
                ("spec", "containers", f["billing"], "volumeMounts"),
                f"billing could not write its status file {STATUS_PATH}: {live.output(wrote)}.",
                f"Mount {STATUS_VOLUME} in billing at {STATUS_DIR}, writable (billing is the one that writes).")]
        expect = {want_names[k]: str(v) for k, v in values.items()}
        res = live.retry(lambda: http_get_from(handle, BILLING, METRICS_URL),
                         lambda r, e=expect: r.ok and all(_served(r.stdout).get(k) == v for k, v in e.items()),
                         attempts=8)
        if not res.ok:
            return [live.exec_failure(
                args, f"From billing, GET {METRICS_URL} got no answer: {live.output(res)} (metrics-adapter has "
                      f"--listen={f['listen']}).",
                f"Serve the metrics on port {METRICS_PORT} on every address: `--listen=:{METRICS_PORT}`.")]
        got = _served(res.stdout)
        if all(got.get(k) == v for k, v in expect.items()):
            seen = got
            continue
        written = ", ".join(f"{k}={v}" for k, v in values.items())
        if n and all(seen.get(k) == got.get(k) for k in expect):
            return [live.exec_failure(
                args, f"{METRICS_URL} did not follow billing's status file: after billing wrote {written}, it still "
                      f"serves {', '.join(f'{k} {got.get(k)}' for k in expect)}.",
                "The adapter must read the file billing keeps replacing: mount the whole status volume (no subPath "
                "onto the file) and point --input at status.txt in it.")]
        near = sorted(name for name in got if name.endswith(KEYS) and name not in expect)
        if near:
            return [live.exec_failure(
                args, f"{METRICS_URL} serves {', '.join(near)}, but the task names every metric {PREFIX}<key> "
                      f"(billing wrote {written}).", f"Use `--prefix={PREFIX}`.")]
        lines = [ln.strip() for ln in res.stdout.splitlines() if ln.strip()]
        first = next((ln for ln in lines if not ln.startswith("# TYPE")), lines[0] if lines else "an empty page")
        return [live.exec_failure(
            args, f"billing wrote {written} to {STATUS_PATH}, but {METRICS_URL} does not serve it as "
                  f"{', '.join(expect)}; it says: {first}",
            f"--input must name {STATUS_FILE} where metrics-adapter mounts {STATUS_VOLUME} "
            f"(billing sees the volume at {STATUS_DIR}, the adapter at its own mountPath).")]
    return []


def _adapter_cannot_write(handle: Any, report: Any, plan: live.Plan) -> list[str]:
    f = plan.facts
    afld, ai = f["adapter"]
    if f["adapter_mount"] is None:
        return [live.exec_failure(("spec", afld, ai, "volumeMounts"),
                                  f"metrics-adapter does not mount {STATUS_VOLUME}, so it cannot read billing's file.",
                                  f"Mount {STATUS_VOLUME} in metrics-adapter with `readOnly: true`.")]
    where = ("spec", afld, ai, "volumeMounts", f["adapter_mount_index"])
    target = f"{str(f['adapter_mount']).rstrip('/')}/.podcourse-write-probe"
    res = handle.sh(ADAPTER, f"echo x > {shlex.quote(target)}")
    if res.exit_code == 0:
        return [live.exec_failure(
            where, f"metrics-adapter could write {target}: its mount of {STATUS_VOLUME} is writable, so a bug in "
                   "the exporter could truncate or replace the status file billing depends on.",
            "Add `readOnly: true` to metrics-adapter's mount of status.")]
    if res.exit_code is None:
        return [live.exec_failure(where, f"could not run a shell in metrics-adapter: {live.output(res)}.",
                                  "Read `kubectl describe pod` for why the container is not running.")]
    return []


adapter_live = live.live_exercise(
    "ch10.adapter_live", "Live check - the adapter serves billing's status as Prometheus metrics", "BILLING_POD",
    _plan_billing, "ch10-billing",
    [("the Pod is admitted and becomes Ready on the cluster", 1, None),
     (f"from billing, {METRICS_URL} serves {PREFIX}* metrics that follow what billing writes to {STATUS_PATH}", 1,
      _metrics_follow_status),
     (f"metrics-adapter cannot write the {STATUS_VOLUME} volume (its mount is read-only)", 1, _adapter_cannot_write)],
    until="Ready",
)

EXERCISES: Sequence[Exercise] = (ambassador, adapter, colocation, tls_proxy)
# Where the live cells go: (exercise, answer variable, the static test cell it follows).
LIVE_CELLS = [(ambassador_live, "SHOP_POD", "ch10-shop-test"), (adapter_live, "BILLING_POD", "ch10-billing-test")]
