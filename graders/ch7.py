"""Chapter 7, probes: graders for its four exercises and its live cell.

Manifest cases read the Pod as data and quote the static checker's findings (the rules
probe-handler-count, probe-success-threshold, probe-timing, init-container-probe and the
lints probe-readiness-missing / probe-liveness-missing), so a self-check with `check_text`
and the graded feedback say the same thing. What the API server accepts but the kubelet
cannot use (a probe port name the container does not declare) is checked here, because no
validation rule can: the name is resolved only when the probe runs.

The live cell runs the web Pod of exercise 1 with a busybox httpd stand-in that serves files,
keeps the learner's probes, and then watches the kubelet act on them: the Pod stays not Ready
until the readiness path answers, and the container is restarted once the liveness path stops
answering.
"""

from __future__ import annotations

import contextlib
import posixpath
import shlex
import time
from typing import Any

from graders import live
from graders.answers import Answer
from graders.core import Case, Exercise, Fail, errors, findings, kept, pod, pod_named, table_row, words
from graders.core import dicts as _items
from graders.core import find_container as _find

DOCS = "https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/"
CONCEPTS = "https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/"

HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
# The API server's defaults (a 0 is defaulted too): periodSeconds 10, timeoutSeconds 1,
# successThreshold 1, failureThreshold 3; initialDelaySeconds 0.
DEFAULTS = {"periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3}

# Rules the fix-it exercise is built on (all from the checker).
HANDLER_COUNT = "probe-handler-count"
SUCCESS_THRESHOLD = "probe-success-threshold"
INIT_PROBE = "init-container-probe"
PROBE_LINTS = ("probe-readiness-missing", "probe-liveness-missing")

# ---------------------------------------------------------------------------
# Reading Pods and probes safely (answers may hold anything at any key)
# ---------------------------------------------------------------------------


def _app(doc: dict[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    """(path, container) of regular container `name`, or `Fail` saying what to add."""
    got = _find(doc, name)
    if got is None:
        raise Fail(f"there is no container named {name!r}.", path="spec.containers",
                   hint=f"Keep the container `name: {name}` the exercise describes.")
    fld, i, c = got
    if fld != "containers":
        raise Fail(f"{name} is an init container; the application belongs in spec.containers.",
                   path=f"spec.{fld}[{i}]", hint=f"Move {name} to spec.containers.")
    return f"spec.containers[{i}]", c


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def setting(probe: dict[str, Any], field: str) -> int:
    """A probe timing field as the API server stores it: unset or 0 becomes the default."""
    got = _int(probe.get(field))
    if field == "initialDelaySeconds":
        return got if got is not None and got > 0 else 0
    return got if got is not None and got > 0 else DEFAULTS[field]


def failure_window(probe: dict[str, Any]) -> int:
    """Seconds of failures in a row before the probe acts: failureThreshold x periodSeconds."""
    return setting(probe, "failureThreshold") * setting(probe, "periodSeconds")


def startup_budget(probe: dict[str, Any]) -> int:
    """How long a startupProbe lets an app start: initialDelaySeconds + failureThreshold x periodSeconds."""
    return setting(probe, "initialDelaySeconds") + failure_window(probe)


def handlers_of(probe: dict[str, Any]) -> list[str]:
    return [h for h in HANDLERS if probe.get(h) is not None]


def resolve_port(c: dict[str, Any], port: Any) -> int | None:
    """The container port a probe's `port` means: a number, or the containerPort of a port with that name."""
    if _int(port) is not None:
        return _int(port)
    if isinstance(port, str):
        for p in _items(c.get("ports")):
            if p.get("name") == port and _int(p.get("containerPort")) is not None:
                return _int(p.get("containerPort"))
    return None


def _declared(c: dict[str, Any]) -> str:
    ports = [f"{p.get('name')}={p.get('containerPort')}" if p.get("name") else str(p.get("containerPort"))
             for p in _items(c.get("ports"))]
    return ", ".join(ports) or "none"


def _probe(path: str, c: dict[str, Any], kind: str, hint: str) -> tuple[str, dict[str, Any]]:
    p = c.get(kind)
    if not isinstance(p, dict):
        raise Fail(f"{c.get('name')} has no {kind}.", path=path, hint=hint)
    return f"{path}.{kind}", p


def _http_get(path: str, c: dict[str, Any], kind: str, want_path: str, want_port: int, hint: str) -> Any:
    """The probe GETs `want_path` on a port that resolves to `want_port` (by number or by name)."""
    where, p = _probe(path, c, kind, hint)
    got = handlers_of(p)
    if got != ["httpGet"] or not isinstance(p.get("httpGet"), dict):
        kinds = " and ".join(got) or "no handler"
        return Fail(f"the {kind} uses {kinds}; this app answers HTTP, and the exercise asks for a GET of {want_path}.",
                    path=where, hint=hint)
    get = p["httpGet"]
    if get.get("path") != want_path:
        return Fail(f"the {kind} GETs {get.get('path')!r}, not {want_path}.", path=f"{where}.httpGet.path",
                    hint=f"Set `path: {want_path}`.")
    port = resolve_port(c, get.get("port"))
    if port != want_port:
        if isinstance(get.get("port"), str) and port is None:
            why = (f"{c.get('name')} declares no port named {get.get('port')!r} (its ports: {_declared(c)}); the API "
                   "server accepts any well-formed name, but the kubelet cannot resolve it, so every probe errors")
            hint = f"{hint} See {DOCS}"
        else:
            why = f"the {kind} probes port {get.get('port')!r}, but the app listens on {want_port}"
        return Fail(f"{why}.", path=f"{where}.httpGet.port", hint=hint)
    return True


# ---------------------------------------------------------------------------
# Exercise 1: readiness and liveness probes for a web Pod (and its live cell)
# ---------------------------------------------------------------------------

WEB_PORT = 8080
READY_PATH = "/ready"
HEALTH_PATH = "/healthz"


def _web_port(answer: Answer) -> Any:
    verdict = pod_named("shop-web")(answer)
    if verdict is not True:
        return verdict
    path, c = _app(pod(answer), "web")
    for j, p in enumerate(_items(c.get("ports"))):
        if _int(p.get("containerPort")) == WEB_PORT:
            if p.get("name") != "http":
                return Fail(f"port {WEB_PORT} is named {p.get('name')!r}.", path=f"{path}.ports[{j}].name",
                            hint="Name it `http`, so the probes can refer to it by name.")
            return True
    return Fail(f"web does not declare port {WEB_PORT} (its ports: {_declared(c)}).", path=f"{path}.ports",
                hint=f"Add `ports: [{{name: http, containerPort: {WEB_PORT}}}]`.")


def _web_readiness(answer: Answer) -> Any:
    path, c = _app(pod(answer), "web")
    return _http_get(path, c, "readinessProbe", READY_PATH, WEB_PORT,
                     f"Add `readinessProbe: {{httpGet: {{path: {READY_PATH}, port: http}}}}` to web.")


def _web_liveness(answer: Answer) -> Any:
    path, c = _app(pod(answer), "web")
    return _http_get(path, c, "livenessProbe", HEALTH_PATH, WEB_PORT,
                     f"Add `livenessProbe: {{httpGet: {{path: {HEALTH_PATH}, port: http}}}}` to web.")


def _by_name(answer: Answer) -> Any:
    path, c = _app(pod(answer), "web")
    for kind in ("readinessProbe", "livenessProbe"):
        p = c.get(kind)
        get = p.get("httpGet") if isinstance(p, dict) else None
        if not isinstance(get, dict):
            return Fail(f"web has no {kind} with an httpGet yet.", path=f"{path}.{kind}",
                        hint="Add both probes first (see the checks above).")
        if get.get("port") != "http":
            return Fail(f"the {kind} gives the port as {get.get('port')!r}.", path=f"{path}.{kind}.httpGet.port",
                        hint="Write `port: http`: when the port number changes, only the ports list needs editing.")
    return True


READY_PERIOD = 2
READY_FAILURES = 2


def _reacts_fast(answer: Answer) -> Any:
    """The readiness timing the task states: every 2 s, out of the Services after 2 failures in a row."""
    path, c = _app(pod(answer), "web")
    ready = c.get("readinessProbe")
    if not isinstance(ready, dict):
        return Fail("web has no readinessProbe yet.", path=f"{path}.readinessProbe",
                    hint="Add the readinessProbe first (see the checks above).")
    where = f"{path}.readinessProbe"
    period, failures = setting(ready, "periodSeconds"), setting(ready, "failureThreshold")
    if period != READY_PERIOD:
        unset = " (unset, so the default 10s)" if _int(ready.get("periodSeconds")) in (None, 0) else ""
        return Fail(f"the readinessProbe checks every {period}s{unset}; the task asks for every {READY_PERIOD} "
                    "seconds.",
                    path=f"{where}.periodSeconds", hint=f"Set `periodSeconds: {READY_PERIOD}` on the readinessProbe.")
    if failures != READY_FAILURES:
        unset = " (unset, so the default 3)" if _int(ready.get("failureThreshold")) in (None, 0) else ""
        return Fail(f"the readinessProbe takes the Pod out of its Services after {failures} failures in a row{unset}; "
                    f"the task asks for {READY_FAILURES}.", path=f"{where}.failureThreshold",
                    hint=f"Set `failureThreshold: {READY_FAILURES}` on the readinessProbe.")
    return True


def _patience(answer: Answer) -> Any:
    """Readiness reacts first; liveness waits for more failures, over a longer window."""
    path, c = _app(pod(answer), "web")
    ready, alive = c.get("readinessProbe"), c.get("livenessProbe")
    if not isinstance(ready, dict) or not isinstance(alive, dict):
        return Fail("web needs both a readinessProbe and a livenessProbe first.", path=path,
                    hint="Add both probes (see the checks above).")
    where = f"{path}.livenessProbe"
    if setting(alive, "failureThreshold") < 3:
        return Fail(f"the livenessProbe restarts web after {setting(alive, 'failureThreshold')} failure(s) in a row, "
                    "so one slow answer (a garbage-collection pause, a burst of traffic) restarts a working app.",
                    path=f"{where}.failureThreshold", hint="Use `failureThreshold: 3` or more.")
    r, a = failure_window(ready), failure_window(alive)
    if a <= r:
        return Fail(f"the livenessProbe gives up after {setting(alive, 'failureThreshold')} x "
                    f"{setting(alive, 'periodSeconds')}s = {a}s, no later than the readinessProbe "
                    f"({setting(ready, 'failureThreshold')} x {setting(ready, 'periodSeconds')}s = {r}s): "
                    "an overloaded app is restarted instead of just being taken out of the Service until it recovers.",
                    path=where, hint="Make the liveness failure window (failureThreshold x periodSeconds) longer than "
                    f"the readiness one, e.g. `periodSeconds: 3, failureThreshold: 3`. See {CONCEPTS}")
    return True


def _web_clean(answer: Answer) -> Any:
    _app(pod(answer), "web")
    return errors(answer) + findings(answer, *PROBE_LINTS)


web_probes = Exercise(
    id="ch7.web_probes",
    title="Exercise 1 - readiness and liveness probes for a web Pod",
    answer_name="WEB_PROBES",
    cases=[
        Case("one Pod named shop-web whose web container declares port 8080 named http", 1, _web_port),
        Case("web has a readinessProbe that GETs /ready on port 8080", 1, _web_readiness),
        Case("the readinessProbe checks every 2 s and acts after 2 failures in a row", 1, _reacts_fast),
        Case("web has a livenessProbe that GETs /healthz on port 8080", 1, _web_liveness),
        Case("both probes refer to the port by its name, http", 1, _by_name, hidden=True),
        Case("the livenessProbe is more patient than the readinessProbe", 1, _patience, hidden=True),
        Case("the checker reports no errors and no missing probes", 1, _web_clean, hidden=True),
    ],
)

# ---------------------------------------------------------------------------
# Exercise 2: a slow starter needs a startupProbe with the right budget
# ---------------------------------------------------------------------------

SLOW_STARTER = """\
apiVersion: v1
kind: Pod
metadata:
  name: ledger
spec:
  containers:
  - name: ledger
    image: ghcr.io/example/ledger:2.3.1
    ports:
    - name: http
      containerPort: 8080
    readinessProbe:
      httpGet:
        path: /ready
        port: http
      periodSeconds: 5
    livenessProbe:
      httpGet:
        path: /healthz
        port: http
      periodSeconds: 10
      failureThreshold: 3
"""

SLOWEST_START = 180  # seconds the ledger may need on a cold start
GIVE_UP = 300  # a start still hanging after this long should be restarted
NOTICE = 10  # the startupProbe should notice the app has started within this many seconds
LIVENESS_WINDOW = 30  # once running, a hung ledger must be restarted within this


def _ledger_liveness(answer: Answer) -> Any:
    """The fixed Pod is still the starter's ledger: image, port and both of its probes' endpoints kept."""
    import yaml

    verdict = pod_named("ledger")(answer)
    if verdict is not True:
        return verdict
    path, c = _app(pod(answer), "ledger")
    given = yaml.safe_load(SLOW_STARTER)["spec"]["containers"][0]
    changed = kept(c, given, path)
    if changed is not None:
        return changed
    for j, p in enumerate(_items(c.get("ports"))):
        if _int(p.get("containerPort")) == WEB_PORT and p.get("name") != "http":
            return Fail(f"port {WEB_PORT} is no longer named http, so the probes' `port: http` points nowhere.",
                        path=f"{path}.ports[{j}].name", hint="Keep `name: http` on port 8080.")
    ready = _http_get(path, c, "readinessProbe", READY_PATH, WEB_PORT,
                      "Keep the starter's readinessProbe (GET /ready on port http): the startupProbe does not "
                      "replace it, it only holds it back until the app has started.")
    if ready is not True:
        return ready
    return _http_get(path, c, "livenessProbe", HEALTH_PATH, WEB_PORT,
                     "Keep the starter's livenessProbe (GET /healthz on port http): it still protects the running app.")


def _startup_probe(answer: Answer) -> Any:
    path, c = _app(pod(answer), "ledger")
    return _http_get(path, c, "startupProbe", HEALTH_PATH, WEB_PORT,
                     f"Add `startupProbe: {{httpGet: {{path: {HEALTH_PATH}, port: http}}, periodSeconds: 5, "
                     "failureThreshold: 36}` to ledger: the same endpoint as the livenessProbe.")


def _startup(answer: Answer) -> tuple[str, dict[str, Any]]:
    path, c = _app(pod(answer), "ledger")
    p = c.get("startupProbe")
    if not isinstance(p, dict):
        raise Fail("ledger has no startupProbe yet.", path=path, hint="Add one (see the checks above).")
    return f"{path}.startupProbe", p


def _arithmetic(p: dict[str, Any]) -> str:
    delay = setting(p, "initialDelaySeconds")
    head = f"{delay}s + " if delay else ""
    return (f"{head}{setting(p, 'failureThreshold')} x {setting(p, 'periodSeconds')}s = {startup_budget(p)}s")


def _budget_covers(answer: Answer) -> Any:
    where, p = _startup(answer)
    if startup_budget(p) < SLOWEST_START:
        return Fail(f"the startupProbe allows {_arithmetic(p)} to start, but a cold start takes up to "
                    f"{SLOWEST_START}s: the kubelet would kill ledger in the middle of a normal start, over and over.",
                    path=where, hint=f"Raise failureThreshold until initialDelaySeconds + failureThreshold x "
                    f"periodSeconds is at least {SLOWEST_START}, e.g. `periodSeconds: 5, failureThreshold: 36`.")
    return True


def _budget_tight(answer: Answer) -> Any:
    where, p = _startup(answer)
    if setting(p, "periodSeconds") > NOTICE:
        return Fail(f"the startupProbe checks every {setting(p, 'periodSeconds')}s, so up to that long passes between "
                    "the app being up and the kubelet starting the other probes (and the Pod becoming Ready).",
                    path=f"{where}.periodSeconds", hint=f"Use `periodSeconds: {NOTICE}` or less (e.g. 5) and raise "
                    "failureThreshold to keep the budget.")
    if startup_budget(p) > GIVE_UP:
        return Fail(f"the startupProbe waits {_arithmetic(p)} before giving up: a start that hangs is noticed only "
                    f"after more than {GIVE_UP}s.", path=where,
                    hint=f"Keep initialDelaySeconds + failureThreshold x periodSeconds between {SLOWEST_START} and "
                    f"{GIVE_UP} seconds.")
    return True


def _liveness_kept_quick(answer: Answer) -> Any:
    _startup(answer)  # judged once the startupProbe is there: the starter itself earns nothing here
    path, c = _app(pod(answer), "ledger")
    p = c.get("livenessProbe")
    if not isinstance(p, dict):
        return Fail("ledger has no livenessProbe any more.", path=path,
                    hint="Keep the starter's livenessProbe; the startupProbe holds it back until the app has started.")
    where = f"{path}.livenessProbe"
    if setting(p, "initialDelaySeconds") > LIVENESS_WINDOW:
        return Fail(f"the livenessProbe now waits initialDelaySeconds: {setting(p, 'initialDelaySeconds')} after "
                    "every start, so a container that hangs early is left hanging that long; and a guessed delay is "
                    "either too short on a slow day or wasted on a fast one.", path=f"{where}.initialDelaySeconds",
                    hint="Remove initialDelaySeconds from the livenessProbe: while the startupProbe has not "
                    "succeeded, the kubelet does not run the livenessProbe at all.")
    if failure_window(p) > LIVENESS_WINDOW:
        return Fail(f"the livenessProbe now tolerates {setting(p, 'failureThreshold')} x {setting(p, 'periodSeconds')}"
                    f"s = {failure_window(p)}s of failures, so a ledger that hangs while serving is restarted only "
                    "after that long.", path=where,
                    hint=f"Keep the starter's liveness timing ({LIVENESS_WINDOW}s at most); the startupProbe is what "
                    "covers the slow start.")
    # "Keep the liveness probe as it is": the same timing as the starter's (defaults as the API server fills them).
    import yaml

    given = yaml.safe_load(SLOW_STARTER)["spec"]["containers"][0]["livenessProbe"]
    for fld in ("periodSeconds", "failureThreshold", "timeoutSeconds", "successThreshold", "initialDelaySeconds"):
        if setting(p, fld) != setting(given, fld):
            return Fail(f"the livenessProbe's {fld} is now {setting(p, fld)}, not {setting(given, fld)}; the task "
                        "keeps the livenessProbe as it is: the startupProbe alone covers the slow start.",
                        path=f"{where}.{fld}", hint=f"Set {fld} back to {setting(given, fld)} (or leave it out where "
                        "that is the default).")
    return True


def _slow_clean(answer: Answer) -> Any:
    _startup(answer)
    return errors(answer)


slow_start = Exercise(
    id="ch7.slow_start",
    title="Exercise 2 - a startupProbe for a slow starter",
    answer_name="SLOW_POD",
    cases=[
        Case("one Pod named ledger whose ledger container keeps its image, port and probes on /ready and /healthz", 1,
             _ledger_liveness),
        Case("ledger has a startupProbe that GETs /healthz on port 8080", 1, _startup_probe),
        Case(f"the startup budget (initialDelaySeconds + failureThreshold x periodSeconds) covers {SLOWEST_START}s",
             1, _budget_covers),
        Case(f"the startupProbe checks at least every {NOTICE}s and gives up within {GIVE_UP}s", 1, _budget_tight,
             hidden=True),
        Case(f"the livenessProbe still restarts a hung ledger within {LIVENESS_WINDOW}s", 1, _liveness_kept_quick,
             hidden=True),
        Case("the checker reports no errors", 1, _slow_clean, hidden=True),
    ],
)

# ---------------------------------------------------------------------------
# Exercise 3: fix a broken probe manifest
# ---------------------------------------------------------------------------

BROKEN_PROBES = """\
apiVersion: v1
kind: Pod
metadata:
  name: checkout
spec:
  initContainers:
  - name: migrate
    image: ghcr.io/example/checkout-migrate:1.8.0
    readinessProbe:
      exec:
        command: ["cat", "/tmp/migrated"]
  containers:
  - name: api
    image: ghcr.io/example/checkout:1.8.0
    ports:
    - name: http
      containerPort: 8080
    readinessProbe:
      httpGet:
        path: /ready
        port: web
      periodSeconds: 5
    livenessProbe:
      httpGet:
        path: /healthz
        port: http
      tcpSocket:
        port: 8080
      periodSeconds: 10
      successThreshold: 3
"""


def _api_liveness(answer: Answer) -> tuple[str, dict[str, Any], dict[str, Any]]:
    path, c = _app(pod(answer), "api")
    p = c.get("livenessProbe")
    if not isinstance(p, dict):
        raise Fail("api has no livenessProbe any more.", path=path,
                   hint="Fix the livenessProbe instead of deleting it: without one, a hung api is never restarted.")
    return f"{path}.livenessProbe", c, p


def _one_handler(answer: Answer) -> Any:
    where, c, p = _api_liveness(answer)
    found = findings(answer, HANDLER_COUNT, path_prefix=where)
    if found:
        return found
    kind = handlers_of(p)[0] if handlers_of(p) else ""
    body = p.get(kind) if kind else None
    port = resolve_port(c, body.get("port")) if isinstance(body, dict) else None
    if kind not in ("httpGet", "tcpSocket") or port != WEB_PORT:
        return Fail(f"the livenessProbe no longer checks api's port {WEB_PORT}.", path=where,
                    hint="Keep one of the two handlers: `httpGet: {path: /healthz, port: http}` (it also proves the "
                    "app answers requests) or `tcpSocket: {port: http}`.")
    return True


def _threshold_one(answer: Answer) -> Any:
    where, _, _ = _api_liveness(answer)
    return findings(answer, SUCCESS_THRESHOLD, path_prefix=where)


def _init_unprobed(answer: Answer) -> Any:
    doc = pod(answer)
    got = _find(doc, "migrate")
    if got is None:
        return Fail("the migrate init container is gone, so api could start before the database schema is migrated.",
                    path="spec.initContainers", hint="Keep migrate and remove only its readinessProbe.")
    fld, i, c = got
    where = f"spec.{fld}[{i}]"
    if fld != "initContainers":
        return Fail("migrate is now a regular container, so it runs alongside api instead of finishing first.",
                    path=where, hint="Keep migrate under spec.initContainers and remove only its readinessProbe.")
    if c.get("restartPolicy") == "Always":
        return Fail("migrate now has `restartPolicy: Always`, which makes it a sidecar: api would start as soon as "
                    "migrate has started, not after the migration has finished, and the kubelet would restart it "
                    "every time it exits.", path=f"{where}.restartPolicy",
                    hint="Remove restartPolicy and the probe: a plain init container runs to completion, and its exit "
                    "code is the only signal the kubelet needs.")
    import yaml

    given = yaml.safe_load(BROKEN_PROBES)["spec"]["initContainers"][0]
    changed = kept(c, given, where)
    if changed is not None:
        return changed
    return findings(answer, INIT_PROBE)


def _readiness_resolves(answer: Answer) -> Any:
    path, c = _app(pod(answer), "api")
    return _http_get(path, c, "readinessProbe", READY_PATH, WEB_PORT,
                     "Use `port: http`, the name api declares for 8080 (or the number 8080).")


def _readiness_kept(answer: Answer) -> Any:
    import yaml

    path, c = _app(pod(answer), "api")
    changed = kept(c, yaml.safe_load(BROKEN_PROBES)["spec"]["containers"][0], path)
    if changed is not None:
        return changed
    p = c.get("readinessProbe")
    if not isinstance(p, dict):
        return Fail("api has no readinessProbe any more, so it receives traffic as soon as it starts.", path=path,
                    hint="Keep the readinessProbe on /ready and fix its port.")
    get = p.get("httpGet")
    if not isinstance(get, dict) or get.get("path") != READY_PATH:
        return Fail("the readinessProbe no longer GETs /ready.", path=f"{path}.readinessProbe",
                    hint=f"Keep `httpGet: {{path: {READY_PATH}, port: http}}`.")
    return True


def _fix_clean(answer: Answer) -> Any:
    _app(pod(answer), "api")
    return errors(answer)


fix_probes = Exercise(
    id="ch7.fix_probes",
    title="Exercise 3 - fix a broken probe manifest",
    answer_name="FIXED_PROBES",
    cases=[
        Case("api's livenessProbe has exactly one handler, still on port 8080", 1, _one_handler),
        Case("api's livenessProbe has successThreshold 1", 1, _threshold_one),
        Case("migrate is still a plain init container with its image, with no probe", 1, _init_unprobed),
        Case("api's readinessProbe names a port that api declares", 1, _readiness_resolves, hidden=True),
        Case("api keeps its image, port 8080 and a readinessProbe on /ready", 1, _readiness_kept, hidden=True),
        Case("the checker reports no errors", 1, _fix_clean, hidden=True),
    ],
)

# ---------------------------------------------------------------------------
# Exercise 4: what does the kubelet do? (predictions)
# ---------------------------------------------------------------------------

RESTART, NOT_READY, NOTHING = "restart", "not ready", "nothing"

# letter -> (right answer, why), explained only for the ones a learner gets wrong.
OUTCOMES: dict[str, tuple[str, str]] = {
    "A": (RESTART, "failureThreshold failures in a row of a livenessProbe make the kubelet kill the container; "
                   "restartPolicy Always then starts it again (restartCount goes up)."),
    "B": (NOT_READY, "a failing readinessProbe only marks the container, and so the Pod, not Ready: the Pod is taken "
                     "out of the Service's endpoints and keeps running. Readiness never restarts anything."),
    "C": (NOTHING, "only failures in a row count: a success before the third failure resets the count, so the "
                   "kubelet does nothing."),
    "D": (NOTHING, "while a startupProbe has not succeeded, the kubelet runs neither the livenessProbe nor the "
                   "readinessProbe; 12 of 30 allowed failures is still within the start-up budget. The Pod has not "
                   "been Ready since the container started and stays so: nothing changes, and /healthz's 500 is "
                   "never even asked for."),
    "E": (RESTART, "a startupProbe that reaches its failureThreshold makes the kubelet kill the container, like a "
                   "failed livenessProbe, and restartPolicy starts it again."),
    "F": (NOT_READY, "the readinessProbe fails in every replica at once, so every Pod leaves the endpoints (the "
                     "Service has nowhere to send traffic) but nothing is restarted."),
    "G": (RESTART, "a livenessProbe that checks a dependency fails in every replica when the dependency is down, so "
                   "the kubelet restarts all of them, again and again, and restarting cannot fix the database: a "
                   "cascading failure. Liveness should check only the process itself."),
    "H": (NOTHING, "the kubelet cannot resolve a port name the container does not declare; the probe errors (a "
                   "warning event says so) and the result is thrown away, so the livenessProbe never fails and "
                   "never protects the container either."),
}



def _plain(text: str) -> str:
    """A choice as words: case, backticks, quotes, -, _ and a closing full stop do not matter."""
    for mark in "`'\"":
        text = text.replace(mark, "")
    text = text.strip().rstrip(".!;").lower().replace("-", " ").replace("_", " ")
    return " ".join(text.split())


# Phrases that could mean two of the choices ("no restart", "keeps running": not ready too) are left out.
_outcome = words({RESTART: {"restart", "restarted", "restarts", "restarting", "kill", "killed", "kills",
                            "killed and restarted", "kill and restart", "kills and restarts", "killed then restarted",
                            "restart container", "restart the container", "restarts the container",
                            "container restarted", "container is restarted", "the container is restarted",
                            "container restart", "restartcount goes up", "restart count goes up"},
                  NOT_READY: {"not ready", "notready", "unready", "ready false", "ready=false", "ready = false",
                              "marked not ready", "pod not ready", "not ready, no restart", "removed",
                              "removed from endpoints", "removed from the endpoints", "removed from service",
                              "removed from the service", "leaves the endpoints", "out of endpoints",
                              "taken out of endpoints", "taken out of the endpoints"},
                  NOTHING: {"nothing", "none", "no change", "no changes", "nothing changes", "nothing happens",
                            "no effect", "no action", "neither", "noop", "no op"}},
                 clean=_plain)


def _predict(letter: str) -> Any:
    want, why = OUTCOMES[letter]
    return table_row(letter, want, why, read=_outcome, noun="situation",
                     choices='"restart", "not ready" or "nothing"',
                     unreadable='is not one of "restart", "not ready" or "nothing"',
                     example='{"A": "restart", "B": "not ready", ...}', wrong="{label}: the answer is {want!r}")


predict = Exercise(
    id="ch7.predict",
    title="Exercise 4 - what does the kubelet do?",
    answer_name="PROBE_OUTCOMES",
    cases=[Case(f"situation {letter}", 1, _predict(letter), hidden=letter not in ("A", "B")) for letter in OUTCOMES],
)

EXERCISES = (web_probes, slow_start, fix_probes, predict)

# ---------------------------------------------------------------------------
# Live cell of exercise 1: readiness gates the Pod, liveness restarts the container
# ---------------------------------------------------------------------------

WEB_ROOT = "/tmp/www"
# Bounded waits of the live check, in seconds, on top of what the learner's probe timing needs
# (tests shrink them): `quiet` is how long to watch a state that must not change, `slack` what
# the kubelet and the API need to report a probe's result, `cap` the longest single wait.
TIMING: dict[str, float] = {"quiet": 4.0, "slack": 10.0, "cap": 60.0}


def _file_for(path: Any) -> str | None:
    """The file under the stand-in's web root that answers GET `path`, or None for `/` and odd paths."""
    if not isinstance(path, str) or not path.startswith("/"):
        return None
    bare = path.split("?", 1)[0].split("#", 1)[0]
    if ".." in bare.split("/"):
        return None
    clean = posixpath.normpath(bare.lstrip("/"))
    return None if clean == "." else f"{WEB_ROOT}/{clean}"


def _http_probe(c: dict[str, Any], kind: str) -> tuple[dict[str, Any], str, int | None] | None:
    p = c.get(kind)
    get = p.get("httpGet") if isinstance(p, dict) else None
    if not isinstance(get, dict):
        return None
    target = _file_for(get.get("path"))
    return (p, target, resolve_port(c, get.get("port"))) if target else None


def _plan_web(answer: Answer) -> live.Plan:
    doc = live.runnable(answer)
    got = _find(doc, "web")
    if got is None or got[0] != "containers":
        raise Fail("there is no container named 'web', so there is nothing to watch.", path="spec.containers",
                   hint="Add the web container the exercise asks for.")
    _, i, web = got
    # Without a usable probe the check still runs: it shows what happens without one.
    ready = _http_probe(web, "readinessProbe") or ({}, WEB_ROOT + READY_PATH, None)
    alive = _http_probe(web, "livenessProbe") or ({}, WEB_ROOT + HEALTH_PATH, None)
    # The stand-in listens where the app does (its declared ports), so a probe on another port fails.
    declared = [_int(p.get("containerPort")) for p in _items(web.get("ports"))]
    listen = sorted({p for p in declared if p})[:2] or [WEB_PORT]
    health = alive[1]
    servers = " & ".join(f"httpd -f -p {p} -h {WEB_ROOT}" for p in listen)
    script = (f"mkdir -p {shlex.quote(posixpath.dirname(health))}; echo ok > {shlex.quote(health)}; "
              f"trap 'exit 0' TERM; {servers} & wait")
    missing = "" if ready[1] == health else f" and {ready[1]} missing"
    notes = [f"web runs a stand-in for {web.get('image')!r}: busybox httpd serving {WEB_ROOT} on port(s) "
             f"{', '.join(map(str, listen))}, with {health} there from the start{missing}; your probes are kept "
             "as you wrote them."]
    web["image"] = "busybox:1.35"
    web["command"] = ["sh", "-c", script]
    for key in ("args", "lifecycle", "workingDir"):
        web.pop(key, None)
    live.others_must_be_course_images(doc, ("web",))
    return live.Plan(doc, notes, facts={"index": i, "ready": ready, "alive": alive})


def _read(handle: Any) -> Any:
    from course.cluster import live as cluster

    return cluster.summarize(cluster.read_pod(handle.api, handle.namespace, handle.name), handle.namespace)


def _kubelet_said(handle: Any, kind: str) -> str:
    """The kubelet's last Unhealthy event about this probe kind, to quote in a failure."""
    from course.cluster import live as cluster

    word = kind.replace("Probe", "").capitalize()
    with contextlib.suppress(Exception):
        events = [e for e in cluster.read_events(handle.api, handle.namespace, handle.name)
                  if e["reason"] == "Unhealthy" and e["message"].startswith(word)]
        if events:
            return f' The kubelet said: "{events[-1]["message"]}".'
    return ""


def _watch(handle: Any, seconds: float, stop: Any) -> tuple[Any, bool]:
    """Re-read the Pod every poll until `stop(report)` or `seconds` pass: (last report, stopped)."""
    deadline = time.monotonic() + max(0.0, seconds)
    while True:
        report = _read(handle)
        if stop(report):
            return report, True
        if time.monotonic() >= deadline:
            return report, False
        time.sleep(min(live.TIMING["poll"], max(0.0, deadline - time.monotonic())))


def _bounded(seconds: float) -> float:
    return min(TIMING["cap"], seconds)


def _restarts(report: Any) -> int:
    c = report.container("web")
    return c.restart_count if c is not None else 0


def _is_ready(report: Any) -> bool:
    c = report.container("web")
    return report.conditions.get("Ready") == "True" or (c is not None and c.ready)


def _readiness_gates(handle: Any, report: Any, plan: live.Plan) -> list[str]:
    probe, target, _ = plan.facts["ready"]
    where = ("spec", "containers", plan.facts["index"], "readinessProbe")
    url = target[len(WEB_ROOT):]
    before = _restarts(_read(handle))
    watch = _bounded(setting(probe, "initialDelaySeconds") + setting(probe, "periodSeconds") + TIMING["quiet"])
    seen, early = _watch(handle, watch, _is_ready)
    if early:
        if not probe:
            why = "it has no readinessProbe that GETs a path, and without one a container is ready as soon as it starts"
        elif target == plan.facts["alive"][1]:
            why = f"its readinessProbe GETs {url}, the path the livenessProbe checks, which answers from the start"
        else:
            why = f"its readiness did not wait for {url}"
        return [live.exec_failure(
            where, f"web became Ready before the check made {url} answer: {why}.",
            f"Give web a readinessProbe that GETs {READY_PATH} on its port (`httpGet: {{path: {READY_PATH}, port: "
            "http}`), the endpoint that answers only once the app can serve.")]
    made = handle.sh("web", f"mkdir -p {shlex.quote(posixpath.dirname(target))} && echo ok > {shlex.quote(target)}")
    if not made.ok:
        return [live.exec_failure(where, f"could not create {target} in web to make {url} answer: "
                                  f"{live.output(made)}.", "The web container must keep running (see above).")]
    wait = _bounded(setting(probe, "initialDelaySeconds") + setting(probe, "periodSeconds")
                    * setting(probe, "successThreshold") + setting(probe, "timeoutSeconds") + TIMING["slack"])
    seen, ok = _watch(handle, wait, lambda r: _is_ready(r) or _restarts(r) > before)
    if _restarts(seen) > before:
        return [live.exec_failure(
            (*where[:-1], "livenessProbe"), "web restarted while the check waited for it to become Ready "
            f"(restartCount {before} -> {_restarts(seen)}), so it never had the chance."
            + _kubelet_said(handle, "livenessProbe"),
            "A failing readinessProbe never restarts a container: the livenessProbe did. Point it at a path and "
            "port web serves (GET /healthz on port http).")]
    if not ok:
        return [live.exec_failure(
            where, f"{url} has answered 200 for {wait:g}s, but web is still not Ready."
            + _kubelet_said(handle, "readinessProbe"),
            "Check the readinessProbe's port: a name must match one of web's `ports[].name`, a number the port "
            "web listens on.")]
    return []


def _liveness_restarts(handle: Any, report: Any, plan: live.Plan) -> list[str]:
    probe, target, _ = plan.facts["alive"]
    where = ("spec", "containers", plan.facts["index"], "livenessProbe")
    url = target[len(WEB_ROOT):]
    before = _restarts(_read(handle))
    seen, moved = _watch(handle, _bounded(TIMING["quiet"]), lambda r: _restarts(r) > before)
    if moved:
        return [live.exec_failure(
            where, f"web restarted on its own before the check made {url} fail (restartCount {before} -> "
            f"{_restarts(seen)}): its livenessProbe fails on a healthy container."
            f"{_kubelet_said(handle, 'livenessProbe')}",
            f"Point the livenessProbe at {HEALTH_PATH} on the port web listens on (`port: http`): a path that "
            "answers whenever the process is healthy, not one that waits for readiness.")]
    before = _restarts(seen)
    broke = handle.sh("web", f"rm -f {shlex.quote(target)}")
    if not broke.ok:
        return [live.exec_failure(where, f"could not remove {target} in web: {live.output(broke)}.",
                                  "The web container must keep running (see above).")]
    wait = _bounded(setting(probe, "periodSeconds") * setting(probe, "failureThreshold")
                    + setting(probe, "timeoutSeconds") + TIMING["slack"])
    seen, ok = _watch(handle, wait, lambda r: _restarts(r) > before)
    if not ok:
        return [live.exec_failure(
            where, f"{url} has answered 404 for {wait:g}s, but the kubelet has not restarted web "
            f"(restartCount is still {before}).",
            f"Give web a livenessProbe that GETs {HEALTH_PATH} on port http; with failureThreshold x periodSeconds "
            f"under {int(TIMING['cap'])}s the restart comes within the check's wait.")]
    return []


web_probes_live = live.live_exercise(
    "ch7.web_probes_live", "Live check - readiness gates the Pod, liveness restarts the container", "WEB_PROBES",
    _plan_web, "ch7-web-probes",
    [("the Pod is admitted and web starts running on the cluster", 1, None),
     ("web stays not Ready until /ready answers, then becomes Ready without a restart", 1, _readiness_gates),
     ("once /healthz stops answering, the kubelet restarts web", 1, _liveness_restarts)],
    until="Running",
)

LIVE_CELLS = [(web_probes_live, "WEB_PROBES", "ch7-web-probes-test")]

