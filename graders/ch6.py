"""Chapter 6, lifecycle: init containers and sidecars. Graders for its four exercises and its live check.

Manifest cases read the Pod as data and quote the static checker's findings as `check_text`
shows them (a `dependsOn` is the checker's `unknown-field` with its Docker Compose hint), so a
self-check and the graded feedback agree. The live check (`orders_live`) runs the converted
Compose Pod on the course cluster and reads back the order in which its containers started.
"""

from __future__ import annotations

import itertools
import reprlib
import shlex
import time
from typing import Any

from graders import live
from graders.answers import Answer
from graders.core import (
    Case,
    Exercise,
    Fail,
    checker_clean,
    errors,
    find_container,
    findings,
    handler_port,
    is_pod,
    kept,
    mount_of,
    need_container,
    not_empty_dir,
    pod,
    pod_named,
    same_path,
    seconds_of,
    shell_words,
    short_repr,
    table_row,
)
from graders.core import dicts as _items
from graders.core import spec_of as _spec

DOCS = "https://kubernetes.io/docs/concepts/workloads/pods/"
INIT_DOCS = DOCS + "init-containers/"
SIDECAR_DOCS = DOCS + "sidecar-containers/"
LIFECYCLE_DOCS = DOCS + "pod-lifecycle/"
HOOK_DOCS = "https://kubernetes.io/docs/concepts/containers/container-lifecycle-hooks/"

# Fields a Compose file has and a Pod does not; the checker reports each as `unknown-field`.
COMPOSE_FIELDS = ("dependsOn", "depends_on", "sidecarContainers")

# ---------------------------------------------------------------------------
# Reading Pods safely (answers may hold anything at any key)
# ---------------------------------------------------------------------------


def _find(doc: dict[str, Any], name: str) -> tuple[str, int, dict[str, Any]] | None:
    """(field, index, container) for an init container or container called `name`."""
    return find_container(doc, name, ("initContainers", "containers"))


def _need(doc: dict[str, Any], name: str, hint: str) -> tuple[str, int, dict[str, Any]]:
    return need_container(doc, name, hint, ("initContainers", "containers"))


def _is_sidecar(c: dict[str, Any]) -> bool:
    return c.get("restartPolicy") == "Always"


_mount = mount_of


# ---------------------------------------------------------------------------
# Exercise 1: predict phase and container state
# ---------------------------------------------------------------------------

PHASES = ("Pending", "Running", "Succeeded", "Failed", "Unknown")
# Every way a learner may name a container state (case, spaces and punctuation folded) -> "state: reason".
_STATE_WORDS: dict[str, str] = {
    "waitingcontainercreating": "waiting: ContainerCreating", "containercreating": "waiting: ContainerCreating",
    "waitingpodinitializing": "waiting: PodInitializing", "podinitializing": "waiting: PodInitializing",
    "waitingimagepullbackoff": "waiting: ImagePullBackOff", "imagepullbackoff": "waiting: ImagePullBackOff",
    # The kubelet alternates ErrImagePull (a pull just failed) and ImagePullBackOff (waiting to retry).
    "waitingerrimagepull": "waiting: ImagePullBackOff", "errimagepull": "waiting: ImagePullBackOff",
    "waitingcrashloopbackoff": "waiting: CrashLoopBackOff", "crashloopbackoff": "waiting: CrashLoopBackOff",
    "running": "running",
    "terminatedcompleted": "terminated: Completed", "completed": "terminated: Completed",
    "terminatederror": "terminated: Error", "error": "terminated: Error",
    "terminatedoomkilled": "terminated: OOMKilled", "oomkilled": "terminated: OOMKilled",
    "none": "none", "nostatus": "none", "nostate": "none", "nocontainerstatus": "none", "nostatusyet": "none",
    "na": "none", "null": "none", "nothing": "none", "": "none",
}
# Written where the phase goes: what kubectl's STATUS column shows, which is not a phase.
_NOT_PHASES = ("containercreating", "podinitializing", "imagepullbackoff", "errimagepull", "crashloopbackoff",
               "completed", "error", "oomkilled", "terminating", "scheduling", "unschedulable", "init")


def _fold(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


STATE_CHOICES = ('"waiting: ContainerCreating"', '"waiting: PodInitializing"', '"waiting: ImagePullBackOff"',
                 '"waiting: CrashLoopBackOff"', '"running"', '"terminated: Completed"', '"terminated: Error"',
                 '"terminated: OOMKilled"', '"none"')


def read_status(value: Any) -> tuple[str, str] | None:
    """("Pending", "waiting: ImagePullBackOff") from a pair or a string "Pending / waiting: ImagePullBackOff"."""
    if isinstance(value, str):
        for sep in ("/", ",", ";", "|"):
            if sep in value:
                value = value.split(sep, 1)
                break
        else:
            return None
    if isinstance(value, (list, tuple)) and len(value) == 2 and value[1] is None:
        value = (value[0], "none")
    if not isinstance(value, (list, tuple)) or len(value) != 2 or not all(isinstance(v, str) for v in value):
        return None
    phase = next((p for p in PHASES if p.lower() == value[0].strip().lower()), None)
    state = _STATE_WORDS.get(_fold(value[1]))
    if phase is None or state is None:
        return None
    return phase, state


# letter -> (phase, state of the container asked about, why), explained only for rows a learner gets wrong.
STATUS: dict[str, tuple[str, str, str]] = {
    "A": ("Pending", "waiting: ImagePullBackOff",
          "the image cannot be pulled, so the container never started and the Pod stays Pending; the kubelet "
          "retries the pull with a growing back-off (ErrImagePull, then ImagePullBackOff)."),
    "B": ("Running", "waiting: CrashLoopBackOff",
          "with restartPolicy Always the kubelet keeps restarting the container, waiting longer each time; the "
          "phase stays Running because the Pod has started containers and will restart them. CrashLoopBackOff "
          "is the waiting reason, not a phase."),
    "C": ("Succeeded", "terminated: Completed",
          "every container exited 0 and restartPolicy Never restarts nothing: the Pod Succeeded."),
    "D": ("Failed", "terminated: Error",
          "the only container exited non-zero and restartPolicy Never will not restart it, so the Pod Failed; "
          "the terminated state keeps exitCode 3 and the reason Error."),
    "E": ("Pending", "waiting: PodInitializing",
          "a Pod stays Pending until every init container has finished; meanwhile the app container waits "
          "with reason PodInitializing (kubectl shows Init:0/1 in its STATUS column)."),
    "F": ("Pending", "waiting: CrashLoopBackOff",
          "a failing init container is restarted with back-off (restartPolicy Always), and the Pod stays Pending "
          "because initialisation never finishes; kubectl shows Init:CrashLoopBackOff."),
    "G": ("Failed", "terminated: OOMKilled",
          "the kernel killed the process for exceeding its memory limit; restartPolicy Never does not restart "
          "it, so the Pod Failed with the container terminated, reason OOMKilled (exit code 137)."),
    "H": ("Pending", "none",
          "no node fits the Pod, so it is never bound to a node: PodScheduled is False (reason Unschedulable), no "
          "kubelet has seen the Pod, and there are no container statuses at all."),
    "I": ("Pending", "waiting: ContainerCreating",
          "the kubelet runs postStart right after starting the container and does not report the container as "
          "running until the hook returns; until then it is still waiting (ContainerCreating) and the Pod Pending."),
}


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxstring = 2, 4, 4, 40
_UNREADABLE = 'is not a (phase, container state) pair such as ("Pending", "waiting: ContainerCreating")'


def _not_a_phase(value: Any) -> str:
    """The misconception when a kubectl STATUS word (CrashLoopBackOff, ...) stands where the phase goes."""
    if isinstance(value, str):
        value = value.replace(",", "/").replace(";", "/").replace("|", "/").split("/")
    first = value[0] if isinstance(value, (list, tuple)) and value else None
    if not isinstance(first, str) or not _fold(first).startswith(_NOT_PHASES):
        return ""
    return (f" {first.strip()!r} is what kubectl's STATUS column shows (a container's waiting or terminated reason, or "
            "kubectl's own summary), not a phase: status.phase is one of " + ", ".join(PHASES) + ".")


def _predict(letter: str) -> Any:
    phase, state, why = STATUS[letter]
    row = table_row(letter, (phase, state), why, read=read_status, noun="situation",
                    choices='("<phase>", "<state>"), e.g. ("Pending", "waiting: ContainerCreating")',
                    unreadable=_UNREADABLE, example='{"A": ("Pending", "waiting: ContainerCreating"), ...}',
                    wrong="{label} is {want}, not {got}")

    def test(answer: Answer) -> Any:
        # An unreadable list or mapping is quoted shortened: a YAML alias bomb must not be printed in full.
        data = answer.data
        if isinstance(data, dict):
            for key, value in data.items():
                unreadable = isinstance(value, (list, dict, str)) and read_status(value) is None
                if str(key).strip().upper() == letter and unreadable:
                    return Fail(f"situation {letter}: {_SHORT.repr(value)} {_UNREADABLE}.{_not_a_phase(value)}")
        return row(answer)

    return test


predict_status = Exercise(
    id="ch6.predict_status",
    title="Exercise 1 - phase and container state",
    answer_name="STATUS",
    cases=[Case(f"situation {letter}", 1, _predict(letter), hidden=letter not in ("A", "B")) for letter in STATUS],
)

# ---------------------------------------------------------------------------
# Exercise 2: from Compose's dependsOn to init containers and a native sidecar
# ---------------------------------------------------------------------------

PROXY, MIGRATE, APP = "db-proxy", "migrate", "app"
PROXY_PORT = 5432

COMPOSE_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: orders
spec:
  containers:
  - name: db-proxy
    image: ghcr.io/example/db-proxy:2.1.0
    args: ["--listen=127.0.0.1:5432", "orders-db.example.internal:5432"]
    ports:
    - containerPort: 5432
  - name: migrate
    image: ghcr.io/example/orders-migrate:3.2.0
    args: ["migrate", "up"]
    env:
    - name: DATABASE_URL
      value: postgres://orders@localhost:5432/orders
    dependsOn:
    - db-proxy
  - name: app
    image: ghcr.io/example/orders:3.2.0
    env:
    - name: DATABASE_URL
      value: postgres://orders@localhost:5432/orders
    ports:
    - containerPort: 8080
    dependsOn:
      db-proxy:
        condition: service_healthy
      migrate:
        condition: service_completed_successfully
"""


def _given(name: str) -> dict[str, Any]:
    """A container of the Compose-style Pod the exercise starts from."""
    import yaml

    return next(c for c in yaml.safe_load(COMPOSE_POD)["spec"]["containers"] if c["name"] == name)


def _no_compose_fields(answer: Answer) -> Any:
    """The Pod's name, the three containers kept as given, then the checker's unknown-field findings for
    dependsOn and friends."""
    verdict = pod_named("orders")(answer)
    if verdict is not True:
        return verdict
    compose = [f for f in findings(answer, "unknown-field") if f.path.rsplit(".", 1)[-1] in COMPOSE_FIELDS]
    doc = pod(answer)
    for name in (PROXY, MIGRATE, APP):
        got = _find(doc, name)
        if got is None:
            continue  # the placement cases say where a missing container belongs
        fld, i, c = got
        changed = kept(c, _given(name), f"spec.{fld}[{i}]")
        if changed is not None:
            return [*compose, f"{changed.path}: {changed.message} Moving a container changes where it is declared, "
                    f"not what it runs.\n    -> {changed.hint}"]
    return compose


def _app_only_regular(answer: Answer) -> Any:
    doc = pod(answer)
    fld, i, _ = _need(doc, APP, "Keep the app container `app` in spec.containers.")
    if fld != "containers":
        return Fail("app is an init container; the application itself belongs in spec.containers.",
                    path=f"spec.initContainers[{i}]", hint="Move app to spec.containers.")
    for j, c in enumerate(_items(_spec(doc).get("containers"))):
        name = c.get("name")
        if name == PROXY:
            return Fail("db-proxy is still a regular container. Regular containers start only after every init "
                        "container has finished, so migrate would run before the proxy exists.",
                        path=f"spec.containers[{j}]",
                        hint="Move db-proxy to spec.initContainers with `restartPolicy: Always` (a native sidecar). "
                        f"See {SIDECAR_DOCS}")
        if name == MIGRATE:
            return Fail("migrate is still a regular container: it would start next to app, not before it, and "
                        "with restartPolicy Always the kubelet would restart it every time it exits 0.",
                        path=f"spec.containers[{j}]",
                        hint=f"Move migrate to spec.initContainers (without restartPolicy). See {INIT_DOCS}")
    return True


def _migrate_runs_to_completion(answer: Answer) -> Any:
    doc = pod(answer)
    fld, i, c = _need(doc, MIGRATE, "Add an init container `migrate` (the migration job).")
    if fld != "initContainers":
        return Fail("migrate is a regular container, so app does not wait for the migration to finish.",
                    path=f"spec.containers[{i}]", hint=f"Move migrate to spec.initContainers. See {INIT_DOCS}")
    if _is_sidecar(c):
        return Fail("migrate has `restartPolicy: Always`, which makes it a sidecar: app would start as soon as it "
                    "has started, not after the migration has finished, and it would be restarted after exiting.",
                    path=f"spec.initContainers[{i}].restartPolicy",
                    hint="Remove restartPolicy from migrate so it runs once, to completion, before app starts.")
    return True


def _proxy_is_sidecar(answer: Answer) -> Any:
    doc = pod(answer)
    fld, i, c = _need(doc, PROXY, "Add db-proxy as an init container with `restartPolicy: Always`.")
    if fld == "containers":
        extra = (" Its `restartPolicy: Always` there only overrides the Pod's restart policy for a regular container; "
                 "it does not make a sidecar." if _is_sidecar(c) else "")
        return Fail("db-proxy is a regular container: it starts only after migrate has finished, so the migration "
                    "finds no database at localhost:5432." + extra, path=f"spec.containers[{i}]",
                    hint="Move db-proxy to spec.initContainers and give it `restartPolicy: Always`. "
                    f"See {SIDECAR_DOCS}")
    if not _is_sidecar(c):
        return Fail("db-proxy is a plain init container: the kubelet waits for it to exit before starting migrate, "
                    "and a proxy never exits, so the Pod would hang in Init:0/2.",
                    path=f"spec.initContainers[{i}].restartPolicy",
                    hint="Set `restartPolicy: Always` on db-proxy: it then keeps running next to the others.")
    return True


def _proxy_first(answer: Answer) -> Any:
    doc = pod(answer)
    _need(doc, PROXY, "Add db-proxy as the first init container.")
    _need(doc, MIGRATE, "Add migrate as an init container after db-proxy.")
    names = [c.get("name") for c in _items(_spec(doc).get("initContainers"))]
    if PROXY not in names or MIGRATE not in names:
        return Fail("db-proxy and migrate are not both init containers, so there is no start-up order between "
                    "them yet.", path="spec.initContainers",
                    hint="List db-proxy, then migrate, under spec.initContainers.")
    if names.index(PROXY) > names.index(MIGRATE):
        return Fail("migrate comes before db-proxy: init containers start in the order they are listed, so the "
                    "migration would run before the proxy exists.", path="spec.initContainers",
                    hint="List db-proxy first, then migrate.")
    return True


def _probe_port(c: dict[str, Any], probe: dict[str, Any]) -> Any:
    """The port a tcpSocket, httpGet or grpc probe knocks on, with named ports resolved; for an exec probe
    the port its command names (5432 when it runs `pg_isready`, PostgreSQL's default); None otherwise."""
    ex = probe.get("exec")
    if isinstance(ex, dict):
        words = shell_words({"command": ex.get("command"), "env": c.get("env")})
        if any(w.rsplit("/", 1)[-1] == "pg_isready" for w in words):
            return PROXY_PORT
        text = " ".join(words)
        return PROXY_PORT if str(PROXY_PORT) in text else "none named in its command"
    return handler_port(c, probe)


def _proxy_startup_probe(answer: Answer) -> Any:
    doc = pod(answer)
    fld, i, c = _need(doc, PROXY, "Add db-proxy as an init container with `restartPolicy: Always`.")
    where = f"spec.{fld}[{i}]"
    probe = c.get("startupProbe")
    if not isinstance(probe, dict):
        also = (" A readinessProbe does not hold back the next init container; only a startupProbe does."
                if isinstance(c.get("readinessProbe"), dict) else "")
        return Fail("db-proxy has no startupProbe, so the kubelet starts migrate as soon as the proxy's process has "
                    "started, possibly before it accepts connections." + also, path=where,
                    hint=f"Add `startupProbe: {{tcpSocket: {{port: {PROXY_PORT}}}, periodSeconds: 1, "
                    f"failureThreshold: 30}}`. See {SIDECAR_DOCS}")
    port = _probe_port(c, probe)
    if port not in (None, PROXY_PORT):
        return Fail(f"db-proxy's startupProbe checks port {port!r}, but the proxy listens on {PROXY_PORT}.",
                    path=f"{where}.startupProbe", hint=f"Probe port {PROXY_PORT}.")
    for handler in ("httpGet", "grpc"):
        if isinstance(probe.get(handler), dict):
            return Fail(f"db-proxy's startupProbe uses {handler}, but the proxy speaks the PostgreSQL protocol, not "
                        f"{'HTTP' if handler == 'httpGet' else 'gRPC health checking'}: the probe would never succeed "
                        "and migrate would never start.", path=f"{where}.startupProbe.{handler}",
                        hint=f"Use `tcpSocket: {{port: {PROXY_PORT}}}`, which only checks that the port accepts "
                        "connections.")
    return True


compose_to_init = Exercise(
    id="ch6.compose_to_init",
    title="Exercise 2 - from dependsOn to init containers and a native sidecar",
    answer_name="ORDERS_POD",
    cases=[
        Case("one Pod named orders, its containers' images, args, env and ports kept, with no dependsOn or other "
             "Compose-only field", 1, _no_compose_fields),
        Case("app is the only regular container", 1, _app_only_regular),
        Case("migrate is a plain init container that runs to completion before app", 1, _migrate_runs_to_completion),
        Case("db-proxy is a native sidecar (init container with restartPolicy: Always)", 1, _proxy_is_sidecar,
             hidden=True),
        Case("db-proxy is declared before migrate", 1, _proxy_first, hidden=True),
        Case(f"db-proxy has a startupProbe on port {PROXY_PORT}", 1, _proxy_startup_probe, hidden=True),
        Case("the checker reports no errors", 1, checker_clean, hidden=True),
    ],
)

# ---------------------------------------------------------------------------
# Exercise 3: a batch Pod whose log shipper lets it complete
# ---------------------------------------------------------------------------

REPORT, SHIPPER, LOGS = "report", "log-shipper", "logs"
REPORT_DIR, SHIPPER_DIR = "/var/log/report", "/logs"
BATCH_IMAGE = "busybox:1.35"
REPORT_ARGS = ["sh", "-c", "for i in 1 2 3; do echo step $i done >> /var/log/report/report.log; sleep 2; done"]
SHIPPER_ARGS = ["sh", "-c", "tail -n+1 -F /logs/report.log"]


def _runs_as_given(c: dict[str, Any], where: str, args: list[str]) -> Fail | None:
    """busybox has no ENTRYPOINT, so the given words may sit in command, args, or both."""
    return kept(c, {"name": c.get("name"), "image": BATCH_IMAGE, "args": args}, where, entrypoint=False)


def _report_never(answer: Answer) -> Any:
    verdict = pod_named("nightly-report")(answer)
    if verdict is not True:
        return verdict
    rp = _spec(pod(answer)).get("restartPolicy")
    if rp is None:
        return Fail("the Pod has no restartPolicy, so it is Always: the kubelet would restart report after it exits "
                    "and the Pod would never finish.", path="spec.restartPolicy",
                    hint=f"Set `restartPolicy: Never` under spec. See {LIFECYCLE_DOCS}#restart-policy")
    if rp != "Never":
        return Fail(f"restartPolicy is {rp!r}; this batch Pod runs the report once, and a failed run is left for "
                    "its Job to retry with a new Pod.", path="spec.restartPolicy", hint="Set `restartPolicy: Never`.")
    return True


def _report_writes(answer: Answer) -> Any:
    doc = pod(answer)
    hint = f"Give report a volumeMounts entry `{{name: {LOGS}, mountPath: {REPORT_DIR}}}`."
    fld, i, c = _need(doc, REPORT, "Add the regular container `report`.")
    if fld != "containers":
        return Fail("report is an init container; the work the Pod exists for belongs in spec.containers.",
                    path=f"spec.initContainers[{i}]", hint="Move report to spec.containers.")
    got = _mount(c, LOGS)
    if got is None:
        return Fail(f"report does not mount the {LOGS} volume.", path=f"spec.containers[{i}].volumeMounts", hint=hint)
    k, m = got
    where = f"spec.containers[{i}].volumeMounts[{k}]"
    if not same_path(m.get("mountPath"), REPORT_DIR):
        return Fail(f"report mounts {LOGS} at {m.get('mountPath')!r}, but it writes its log to {REPORT_DIR}.",
                    path=f"{where}.mountPath", hint=f"Use `mountPath: {REPORT_DIR}`.")
    if m.get("readOnly") is True:
        return Fail("report mounts logs read-only, so it cannot write its log.", path=f"{where}.readOnly",
                    hint="Remove `readOnly: true` from report's mount.")
    return _runs_as_given(c, f"spec.containers[{i}]", REPORT_ARGS) or True


def _shipper_lets_it_finish(answer: Answer) -> Any:
    doc = pod(answer)
    fld, i, c = _need(doc, SHIPPER, "Add log-shipper under spec.initContainers with `restartPolicy: Always`.")
    if fld == "containers":
        return Fail("log-shipper is a regular container. `tail -F` never exits, so after report is done the Pod "
                    "stays Running forever instead of reaching Succeeded (and its Job never completes).",
                    path=f"spec.containers[{i}]",
                    hint=f"Move log-shipper to spec.initContainers with `restartPolicy: Always`: the kubelet stops a "
                    f"native sidecar once the regular containers have finished. See {SIDECAR_DOCS}")
    if not _is_sidecar(c):
        return Fail("log-shipper is a plain init container: report cannot start until it exits, and `tail -F` "
                    "never exits, so the Pod hangs in Init:0/1.", path=f"spec.initContainers[{i}].restartPolicy",
                    hint="Set `restartPolicy: Always` on log-shipper to make it a native sidecar.")
    return _runs_as_given(c, f"spec.{fld}[{i}]", SHIPPER_ARGS) or True


def _shipper_read_only(answer: Answer) -> Any:
    doc = pod(answer)
    fld, i, c = _need(doc, SHIPPER, "Add log-shipper under spec.initContainers.")
    got = _mount(c, LOGS)
    if got is None:
        return Fail(f"log-shipper does not mount the {LOGS} volume, so it has nothing to ship.",
                    path=f"spec.{fld}[{i}].volumeMounts",
                    hint=f"Add `{{name: {LOGS}, mountPath: /logs, readOnly: true}}` to its volumeMounts.")
    k, m = got
    if m.get("readOnly") is not True:
        return Fail("log-shipper could write to (and so truncate or delete) the log it only reads.",
                    path=f"spec.{fld}[{i}].volumeMounts[{k}]", hint="Add `readOnly: true` to log-shipper's mount.")
    if not same_path(m.get("mountPath"), SHIPPER_DIR):
        return Fail(f"log-shipper mounts {LOGS} at {short_repr(m.get('mountPath'))}, but its `tail -F` reads "
                    f"{SHIPPER_DIR}/report.log.", path=f"spec.{fld}[{i}].volumeMounts[{k}].mountPath",
                    hint=f"Use `mountPath: {SHIPPER_DIR}`.")
    return True


def _logs_empty_dir(answer: Answer) -> Any:
    return not_empty_dir(pod(answer), LOGS, "scratch space shared by a Pod's containers is.") or True


batch_sidecar = Exercise(
    id="ch6.batch_sidecar",
    title="Exercise 3 - a batch Pod with a log-shipping sidecar",
    answer_name="REPORT_POD",
    cases=[
        Case("one Pod named nightly-report with restartPolicy: Never", 1, _report_never),
        Case(f"report is a regular container running the given {BATCH_IMAGE} script, writing to logs at "
             f"{REPORT_DIR}", 1, _report_writes),
        Case(f"log-shipper runs the given {BATCH_IMAGE} command as a native sidecar, so the Pod can still complete",
             1, _shipper_lets_it_finish),
        Case(f"log-shipper mounts logs read-only at {SHIPPER_DIR}", 1, _shipper_read_only, hidden=True),
        Case("logs is an emptyDir volume", 1, _logs_empty_dir, hidden=True),
        Case("the checker reports no errors", 1, checker_clean, hidden=True),
    ],
)

# ---------------------------------------------------------------------------
# Exercise 4: a graceful shutdown with preStop and terminationGracePeriodSeconds
# ---------------------------------------------------------------------------

STOREFRONT = """\
apiVersion: v1
kind: Pod
metadata:
  name: storefront
  labels:
    app: storefront
spec:
  containers:
  - name: web
    image: nginx:1.22
    ports:
    - containerPort: 80
"""
HOOK_WAIT, DRAIN = 5, 30


def _web(answer: Answer) -> tuple[int, dict[str, Any]]:
    doc = pod(answer)
    for i, c in enumerate(_items(_spec(doc).get("containers"))):
        if c.get("name") == "web":
            return i, c
    raise Fail("there is no container named 'web'.", path="spec.containers", hint="Keep the web container.")


def _pre_stop(answer: Answer) -> tuple[str, dict[str, Any]]:
    verdict = is_pod(answer)
    if isinstance(verdict, Fail):
        raise verdict
    i, c = _web(answer)
    where = f"spec.containers[{i}].lifecycle"
    if isinstance(_spec(pod(answer)).get("lifecycle"), dict):
        raise Fail("lifecycle sits under spec, where the API server does not know it; hooks belong to a container.",
                   path="spec.lifecycle", hint="Move `lifecycle:` into the web container.")
    lc = c.get("lifecycle")
    hook = lc.get("preStop") if isinstance(lc, dict) else None
    if not isinstance(hook, dict):
        started = isinstance(lc, dict) and isinstance(lc.get("postStart"), dict)
        msg = ("web has a postStart hook but no preStop hook; postStart runs after the container starts, preStop "
               "before it is stopped." if started else "web has no preStop hook.")
        raise Fail(msg, path=where, hint=f"Add `lifecycle: {{preStop: {{sleep: {{seconds: {HOOK_WAIT}}}}}}}` to web. "
                   f"See {HOOK_DOCS}")
    return f"{where}.preStop", hook


_SIGNALS_NGINX = ("nginx", "kill", "killall", "pkill")


def _hook_seconds(hook: dict[str, Any]) -> float | None:
    """How long the hook waits before anything signals nginx: a sleep handler's seconds, or the first
    `sleep N` of an exec command (`sleep 5`, `sleep 5s`, `/bin/sleep "5"`); -1 when the command signals
    nginx (`nginx -s quit`, `kill`) before it sleeps."""
    sleep = hook.get("sleep")
    if isinstance(sleep, dict):
        s = sleep.get("seconds")
        return float(s) if isinstance(s, (int, float)) and not isinstance(s, bool) else None
    ex = hook.get("exec")
    cmd = ex.get("command") if isinstance(ex, dict) else None
    if isinstance(cmd, list) and all(isinstance(p, str) for p in cmd):
        words = shell_words({"command": cmd})
        for k, (a, b) in enumerate(itertools.pairwise(words)):
            if a.rsplit("/", 1)[-1] == "sleep" and seconds_of(b) is not None:
                return -1.0 if any(w.rsplit("/", 1)[-1] in _SIGNALS_NGINX for w in words[:k]) else seconds_of(b)
    return None


def _keeps_storefront(answer: Answer) -> Fail | None:
    """The Pod the task gives: its name, its Service's label, and web's image and port."""
    doc = pod(answer)
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    if meta.get("name") != "storefront":
        return Fail(f"the Pod is named {short_repr(meta.get('name'))}; the task changes the storefront Pod.",
                    path="metadata.name", hint="Keep `name: storefront`.")
    labels = meta.get("labels") if isinstance(meta.get("labels"), dict) else {}
    if labels.get("app") != "storefront":
        return Fail("the Pod lost its label app: storefront, so its Service no longer selects it: no traffic reaches "
                    "it at all, gracefully or not.", path="metadata.labels", hint="Keep `labels: {app: storefront}`.")
    i, c = _web(answer)
    return kept(c, {"name": "web", "image": "nginx:1.22", "ports": [{"containerPort": 80}]}, f"spec.containers[{i}]")


def _has_pre_stop(answer: Answer) -> Any:
    _pre_stop(answer)
    return _keeps_storefront(answer) or True


def _hook_waits(answer: Answer) -> Any:
    where, hook = _pre_stop(answer)
    seconds = _hook_seconds(hook)
    if seconds == -1:
        return Fail("web's preStop hook signals nginx before it sleeps, so nginx stops taking connections while "
                    "load balancers still send it requests.", path=where,
                    hint=f"Sleep first and leave the signal to the kubelet: `preStop: {{sleep: {{seconds: "
                    f"{HOOK_WAIT}}}}}`.")
    if seconds is None:
        return Fail("web's preStop hook does not wait a fixed time.", path=where,
                    hint=f"Use the sleep handler: `preStop: {{sleep: {{seconds: {HOOK_WAIT}}}}}`.")
    if seconds != HOOK_WAIT:
        return Fail(f"web's preStop hook waits {seconds:g}s; the task asks for {HOOK_WAIT}s, long enough for "
                    "endpoints to drop the Pod and short enough not to delay every rollout.", path=where,
                    hint=f"Wait {HOOK_WAIT} seconds.")
    return True


def _hook_and_no_errors(answer: Answer) -> Any:
    """No checker error, once there is a hook at all: the unchanged starter earns nothing."""
    _pre_stop(answer)
    return errors(answer)


def _grace_fits(answer: Answer) -> Any:
    _, hook = _pre_stop(answer)
    seconds = _hook_seconds(hook)
    seconds = seconds if seconds is not None and seconds > 0 else HOOK_WAIT
    grace = _spec(pod(answer)).get("terminationGracePeriodSeconds")
    need = seconds + DRAIN
    if grace is None:
        return Fail(f"terminationGracePeriodSeconds is not set, so it is 30: the grace period starts before the "
                    f"preStop hook, leaving nginx only {30 - seconds:g}s after its {seconds:g}s wait.",
                    path="spec.terminationGracePeriodSeconds",
                    hint=f"Set `terminationGracePeriodSeconds: {need:g}` (the hook's wait plus {DRAIN}s to drain).")
    if not isinstance(grace, int) or isinstance(grace, bool) or grace < need:
        return Fail(f"terminationGracePeriodSeconds is {grace!r}; it covers the preStop hook too, so it must be at "
                    f"least {seconds:g} + {DRAIN} = {need:g} for {DRAIN}s of draining before SIGKILL.",
                    path="spec.terminationGracePeriodSeconds", hint=f"Set it to {need:g} or a little more.")
    return True


graceful_stop = Exercise(
    id="ch6.graceful_stop",
    title="Exercise 4 - a graceful shutdown",
    answer_name="STOREFRONT_POD",
    cases=[
        Case("the storefront Pod keeps its label and web (nginx:1.22, port 80), and web has a preStop hook", 1,
             _has_pre_stop),
        Case(f"the hook waits {HOOK_WAIT} seconds before nginx is signalled", 1, _hook_waits),
        Case(f"terminationGracePeriodSeconds covers the hook plus {DRAIN}s of draining", 1, _grace_fits, hidden=True),
        Case("the checker reports no errors", 1, _hook_and_no_errors, hidden=True),
    ],
)

# ---------------------------------------------------------------------------
# Live check: the converted Pod starts in order, and db-proxy keeps running next to app
# ---------------------------------------------------------------------------

ORDER_VOLUME, ORDER_DIR = "podcourse-order", "/podcourse"
ORDER_FILE = f"{ORDER_DIR}/order"
APP_PORT = 8080


def _port_of(c: dict[str, Any], default: int) -> int:
    for p in _items(c.get("ports")):
        port = p.get("containerPort")
        if isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536:
            return port
    return default


def _record(name: str) -> str:
    return f"echo {shlex.quote(name)} >> {ORDER_FILE}"


def _server(name: str, port: int) -> str:
    return (f"{_record(name)}; mkdir -p /tmp/www && echo {shlex.quote(name + ' (live stand-in)')} > "
            f"/tmp/www/index.html && exec httpd -f -p {port} -h /tmp/www")


def _plan_orders(answer: Answer) -> live.Plan:
    doc = live.runnable(answer)
    for name in (PROXY, MIGRATE, APP):
        if live.find_container(doc, name) is None:
            raise Fail(f"there is no container named {name!r}, so there is nothing to watch.", path="spec",
                       hint=f"Add the {name} container the exercise asks for.")
    fld, i, proxy = live.find_container(doc, PROXY) or ("", 0, {})
    if fld == "initContainers" and not _is_sidecar(proxy):
        raise Fail("db-proxy is a plain init container. A proxy never exits, and the kubelet starts the next init "
                   "container only after the previous one has exited, so this Pod would wait in Init:0/2 forever.",
                   path=f"spec.initContainers[{i}].restartPolicy",
                   hint="Set `restartPolicy: Always` on db-proxy (a native sidecar), then run this cell again.")
    spec = doc["spec"]
    if not isinstance(spec.get("volumes"), list):
        spec["volumes"] = []
    spec["volumes"].append({"name": ORDER_VOLUME, "emptyDir": {}})
    proxy_port = _port_of(proxy, PROXY_PORT)
    notes: list[str] = []
    for f in ("initContainers", "containers"):
        for c in _items(spec.get(f)):
            name = c.get("name")
            if name not in (PROXY, MIGRATE, APP):
                continue
            image = c.get("image")
            if name == PROXY:
                probe = isinstance(c.get("startupProbe"), dict)
                live.stand_in(c, "busybox:1.35", _server(PROXY, proxy_port))
                if probe:
                    c["startupProbe"] = {"tcpSocket": {"port": proxy_port}, "periodSeconds": 1, "failureThreshold": 30}
                notes.append(f"db-proxy runs a stand-in for {image!r}: busybox httpd listening on port {proxy_port}"
                             + (", with a startupProbe on that port." if probe else "."))
            elif name == MIGRATE:
                live.stand_in(c, "busybox:1.35", f"{_record(MIGRATE)}; sleep 1")
                notes.append(f"migrate runs a stand-in for {image!r}: it records its start and exits 0 a second later.")
            else:
                live.stand_in(c, "busybox:1.35", _server(APP, _port_of(c, APP_PORT)))
                notes.append(f"app runs a stand-in for {image!r}: busybox httpd on port {_port_of(c, APP_PORT)}.")
    live.others_must_be_course_images(doc, (PROXY, MIGRATE, APP))
    for f in ("initContainers", "containers"):
        for c in _items(spec.get(f)):
            mounts = c.get("volumeMounts") if isinstance(c.get("volumeMounts"), list) else []
            c["volumeMounts"] = [*mounts, {"name": ORDER_VOLUME, "mountPath": ORDER_DIR}]
    notes.append(f"every container mounts an extra emptyDir at {ORDER_DIR}; each stand-in appends its name to "
                 f"{ORDER_FILE} when it starts.")
    inits = [c.get("name") for c in _items(spec.get("initContainers"))]
    return live.Plan(doc, notes, facts={"inits": inits, "proxy": (fld, i)})


def _first_seen(lines: list[str]) -> list[str]:
    out: list[str] = []
    for ln in lines:
        if ln and ln not in out:
            out.append(ln)
    return out


def _started_in_order(handle: Any, report: Any, plan: live.Plan) -> list[str]:
    """Read the order file from app: db-proxy, then migrate, then app (and the init containers as declared)."""
    res = live.retry(lambda: handle.exec(APP, ["cat", ORDER_FILE]), lambda r: r.ok and APP in r.stdout.split())
    if not res.ok:
        return [live.exec_failure(("spec", "containers"), f"app could not read {ORDER_FILE}: {live.output(res)}.",
                                  "Keep app a regular container of this Pod.")]
    seen = _first_seen([ln.strip() for ln in res.stdout.splitlines()])
    shown = " -> ".join(seen) or "nothing"
    declared = [n for n in plan.facts["inits"] if n in seen]
    if [n for n in seen if n in declared] != declared:
        return [live.exec_failure(("spec", "initContainers"), f"the containers started in the order {shown}, not in "
                                  f"the order spec.initContainers lists them ({', '.join(declared)}).",
                                  "Init containers start one at a time, in the order they are listed.")]
    missing = [n for n in (PROXY, MIGRATE, APP) if n not in seen]
    if missing:
        return [live.exec_failure(("spec",), f"{', '.join(missing)} never recorded a start (order: {shown}).",
                                  "Check that every container of the exercise is part of the Pod.")]
    if seen.index(PROXY) > seen.index(MIGRATE):
        return [live.exec_failure(("spec", *plan.facts["proxy"]),
                                  f"migrate started before db-proxy (order: {shown}): a real migration would have "
                                  f"found no database at localhost:{PROXY_PORT}.",
                                  "Make db-proxy the first entry of spec.initContainers, with "
                                  "`restartPolicy: Always`.")]
    if seen.index(MIGRATE) > seen.index(APP):
        return [live.exec_failure(("spec", "containers"),
                                  f"app started before migrate (order: {shown}): it could serve requests against a "
                                  "database that is not migrated yet.",
                                  "Make migrate an init container, after db-proxy.")]
    return []


def _sidecar_alongside(handle: Any, report: Any, plan: live.Plan) -> list[str]:
    """The Pod's status: db-proxy is an init container that has started and keeps running, next to app."""
    time.sleep(live.TIMING["settle"])
    status = live.pod_status(handle, report)
    regular = {s.get("name"): s for s in _items(status.get("containerStatuses"))}
    fld, i = plan.facts["proxy"]
    failed = live.sidecar_running(status, PROXY, ("spec", fld, i), APP,
                                  "it is a regular container, started after migrate")
    if failed:
        return failed
    app = regular.get(APP)
    app_state = app.get("state") if isinstance(app, dict) and isinstance(app.get("state"), dict) else {}
    if "running" not in app_state:
        return [live.exec_failure(("spec", "containers"), "app is not running next to db-proxy.",
                                  "Read `kubectl describe pod` for why app stopped.")]
    return []


orders_live = live.live_exercise(
    "ch6.orders_live", "Live check - init order and a native sidecar", "ORDERS_POD", _plan_orders, "ch6-orders",
    [("the Pod is admitted and becomes Ready on the cluster", 1, None),
     ("db-proxy, then migrate, then app started, in the order spec.initContainers declares", 1, _started_in_order),
     ("db-proxy is a native sidecar: started and still running, without restarts, next to app", 1,
      _sidecar_alongside)],
    until="Ready",
)

EXERCISES = (predict_status, compose_to_init, batch_sidecar, graceful_stop)
# Where the live cell goes: (exercise, answer variable, the static test cell it follows).
LIVE_CELLS = [(orders_live, "ORDERS_POD", "ch6-orders-test")]
