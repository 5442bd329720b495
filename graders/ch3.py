"""Chapter 3, networking inside a Pod: graders for its four exercises.

Manifest checks quote the static checker's findings exactly as `check_text`
shows them (the port clash is the `container-port-clash` lint). Statement and
prediction items earn one point each and explain only the ones that are wrong.
The lab grader reads the trace `graders.ch3lab.run_lab` wrote; when the run was
a replay (no namespaces on this machine) the outcome checks use the learner's
predictions instead, as the chapter tells the learner.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from graders.answers import Answer
from graders.ch1 import exact_image, named, port_declared
from graders.core import (
    Case,
    Exercise,
    Fail,
    argv,
    checker_clean,
    declares_port,
    env_value,
    findings,
    findings_at,
    is_pod,
    lab_data,
    lab_predictions,
    pod,
    ports_of,
    running_container,
    running_containers,
    table_row,
    truth,
)

CLASH_RULE = "container-port-clash"
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")

# ---------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------


_ports = ports_of
_declares = declares_port
_env = env_value
_words = argv  # command + args, `$(VAR)` expanded as the kubelet does


def _flag(c: dict[str, Any], flag: str) -> str | None:
    """The value of `--flag=value` or `--flag value` (also with one dash) in command/args."""
    words = _words(c)
    bare = flag.lstrip("-")
    for i, w in enumerate(words):
        for dash in ("--", "-"):
            if w.startswith(f"{dash}{bare}="):
                return w.split("=", 1)[1]
            if w == f"{dash}{bare}" and i + 1 < len(words):
                return words[i + 1]
    return None


def _url_host_port(url: Any) -> tuple[str | None, int | None]:
    """(host, port) of a URL or host:port string; port defaults from the scheme."""
    if not isinstance(url, str) or not url.strip():
        return None, None
    text = url.strip()
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None, None
    if port is None:
        port = {"http": 80, "https": 443}.get(parts.scheme)
    host = parts.hostname
    return host, port


def _listen_port(value: Any) -> int | None:
    """The port of a listen address such as `:9113`, `0.0.0.0:9113` or `9113`."""
    if not isinstance(value, str):
        return None
    m = re.search(r"(\d{1,5})\s*$", value.strip())
    return int(m.group(1)) if m else None


def _host_things(doc: dict[str, Any]) -> Any:
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    if spec.get("hostNetwork") is True:
        return Fail("hostNetwork: true puts the Pod in the node's network namespace: its ports then clash with "
                    "everything on the node.", path="spec.hostNetwork", hint="Remove hostNetwork.")
    for fld, i, c in running_containers(doc):
        for j, p in enumerate(_ports(c)):
            if "hostPort" in p:
                return Fail("hostPort binds a port on the node; talking inside the Pod needs none.",
                            path=f"spec.{fld}[{i}].ports[{j}].hostPort",
                            hint="Remove hostPort; other Pods reach this one through a Service.")
    return True


def no_clash(answer: Answer) -> Any:
    """No container-port-clash finding (the learner sees the same finding in check_text)."""
    pod(answer)
    return findings(answer, CLASH_RULE)


# ---------------------------------------------------------------------------
# Exercise 1: an app and its proxy sidecar
# ---------------------------------------------------------------------------

APP_IMAGE = "ghcr.io/example/orders:3.2.0"
PROXY_IMAGE = "ghcr.io/example/edge-proxy:1.4.0"


def _sidecar_containers(answer: Answer) -> Any:
    doc = pod(answer)
    names = sorted(str(c.get("name")) for _, _, c in running_containers(doc))
    if names != ["app", "proxy"]:
        return Fail(f"the containers are {names}; the Pod needs exactly `app` and `proxy`.", path="spec.containers",
                    hint="Put both containers in the one Pod's spec.containers list (the proxy may also be a "
                         "native sidecar).")
    for name, image in (("app", APP_IMAGE), ("proxy", PROXY_IMAGE)):
        fld, i, c = running_container(doc, name)
        got = exact_image(f"spec.{fld}[{i}].image", c.get("image"), image)
        if got is not True:
            return Fail(f"the {name} image is {c.get('image')!r}.", path=f"spec.{fld}[{i}].image",
                        hint=f"Use `image: {image}`.")
    return True


def _sidecar_ports(answer: Answer) -> Any:
    doc = pod(answer)
    got = port_declared(answer, "app", 8080, "Add `ports: [{name: http, containerPort: 8080}]` to app.")
    if got is not True:
        return got
    fld, j, proxy = running_container(doc, "proxy")
    if findings_at(answer, f"spec.{fld}[{j}].ports"):
        return findings_at(answer, f"spec.{fld}[{j}].ports")
    if not _declares(proxy, 9090):
        if _declares(proxy, 8080):
            return Fail("the proxy declares 8080, the app's port; they share one network namespace, so the proxy "
                        "could not listen there.", path=f"spec.{fld}[{j}].ports",
                        hint="The proxy listens on 9090: declare `containerPort: 9090` on it.")
        return Fail("the proxy container does not declare port 9090.", path=f"spec.{fld}[{j}].ports",
                    hint="Add `ports: [{name: proxy, containerPort: 9090}]` to proxy.")
    if findings_at(answer, f"spec.{fld}[{j}].env"):
        return findings_at(answer, f"spec.{fld}[{j}].env")
    listen = _env(proxy, "LISTEN_PORT")
    if listen is None or listen.strip() != "9090":
        return Fail(f"LISTEN_PORT is {listen!r}; declaring containerPort 9090 does not make the proxy listen there, "
                    "its own configuration does.", path=f"spec.{fld}[{j}].env",
                    hint='Set `{name: LISTEN_PORT, value: "9090"}` (env values are strings).')
    return no_clash(answer)


def _upstream_is_localhost(answer: Answer) -> Any:
    doc = pod(answer)
    fld, j, proxy = running_container(doc, "proxy")
    where = f"spec.{fld}[{j}].env"
    value = _env(proxy, "UPSTREAM")
    if value is None:
        return Fail("the proxy has no UPSTREAM variable, so it does not know where the app is.",
                    path=where, hint="Add `{name: UPSTREAM, value: http://localhost:8080}`.")
    host, port = _url_host_port(value)
    if host in ("app", "orders"):
        return Fail(f"UPSTREAM is {value!r}: container names are not host names. That is how Docker Compose services "
                    "find each other; containers of one Pod share a network namespace and reach each other on "
                    "localhost.", path=where, hint="Use `http://localhost:8080`.")
    if host not in LOCAL_HOSTS:
        return Fail(f"UPSTREAM is {value!r}; the app runs in the same Pod, so the proxy reaches it on localhost "
                    "(no DNS name, no Service, no Pod IP that changes when the Pod is recreated).",
                    path=where, hint="Use `http://localhost:8080`.")
    if port != 8080:
        return Fail(f"UPSTREAM points at port {port}, but the app listens on 8080.",
                    path=where, hint="Use `http://localhost:8080`.")
    return True


def _sidecar_host(answer: Answer) -> Any:
    return _host_things(pod(answer))


sidecar = Exercise(
    id="ch3.sidecar",
    title="Exercise 1 - an app and its proxy sidecar",
    answer_name="PROXY_POD",
    cases=[
        Case("it is one Pod manifest (apiVersion v1, kind Pod)", 1, is_pod),
        Case("the checker reports no errors", 1, checker_clean),
        Case("two containers: app and proxy, with the given images", 1, _sidecar_containers),
        Case("the Pod is named orders", 1, named("orders"), hidden=True),
        Case("app on 8080, proxy on 9090, no port clash", 1, _sidecar_ports, hidden=True),
        Case("the proxy reaches the app on localhost:8080", 1, _upstream_is_localhost, hidden=True),
        Case("no hostPort and no hostNetwork", 1, _sidecar_host, hidden=True),
    ],
)

# ---------------------------------------------------------------------------
# Exercise 2: fix the Pod whose containers both listen on 80
# ---------------------------------------------------------------------------

WEB_IMAGE = "nginx:1.22"
EXPORTER_IMAGE = "nginx/nginx-prometheus-exporter:1.3.0"


def _fix_identity(answer: Answer) -> Any:
    got = is_pod(answer)
    got = named("web-metrics")(answer) if got is True else got
    if got is not True:
        return got
    meta = pod(answer).get("metadata")
    labels = meta.get("labels") if isinstance(meta, dict) else None
    if not isinstance(labels, dict) or labels.get("app") != "web":
        return Fail("the Pod lost its label app=web, so the Service in front of it no longer selects it.",
                    path="metadata.labels", hint="Keep `labels: {app: web}`.")
    return True


def _fix_containers(answer: Answer) -> Any:
    doc = pod(answer)
    names = sorted(str(c.get("name")) for _, _, c in running_containers(doc))
    if names != ["exporter", "web"]:
        return Fail(f"the containers are {names}; keep exactly `web` and `exporter` (the fix is a port, not a "
                    "different set of containers).", path="spec.containers")
    for name, image in (("web", WEB_IMAGE), ("exporter", EXPORTER_IMAGE)):
        fld, i, c = running_container(doc, name)
        if exact_image(f"spec.{fld}[{i}].image", c.get("image"), image) is not True:
            return Fail(f"the {name} image changed to {c.get('image')!r}.", path=f"spec.{fld}[{i}].image",
                        hint=f"Keep `image: {image}`.")
    return True


def _clash_gone(answer: Answer) -> Any:
    got = no_clash(answer)
    if got:
        return got
    return checker_clean(answer)


def _web_unchanged(answer: Answer) -> Any:
    doc = pod(answer)
    fld, i, web = running_container(doc, "web")
    bad = findings_at(answer, f"spec.{fld}[{i}].ports")
    if bad:
        return bad
    if not _declares(web, 80):
        return Fail("web no longer declares port 80; nginx still listens there (its configuration says so), and "
                    "the Service in front of this Pod sends traffic to 80.", path=f"spec.{fld}[{i}].ports",
                    hint="Leave web on `containerPort: 80`; move the exporter instead.")
    return True


def _exporter_listens_where_declared(answer: Answer) -> Any:
    doc = pod(answer)
    fld, j, exp = running_container(doc, "exporter")
    listen = _flag(exp, "web.listen-address")
    port = _listen_port(listen) if listen is not None else 9113  # the exporter's default
    bad = findings_at(answer, f"spec.{fld}[{j}].ports")
    if bad:
        return bad
    declared = [p.get("containerPort") for p in _ports(exp)]
    if port == 80:
        return Fail(f"the exporter still listens on port 80 (--web.listen-address={listen}). containerPort is only "
                    "a declaration: changing it does not move the process, so the exporter would still fail with "
                    "'address already in use'.", path=f"spec.{fld}[{j}].args",
                    hint="Change --web.listen-address to :9113 and declare containerPort 9113.")
    if port is None:
        return Fail(f"--web.listen-address is {listen!r}, which names no port.", path=f"spec.{fld}[{j}].args",
                    hint="Use --web.listen-address=:9113.")
    if port != 9113:
        return Fail(f"the exporter listens on {port}; the task keeps it on its usual port, 9113, where the "
                    "Prometheus scrape configuration looks for it.", path=f"spec.{fld}[{j}].args",
                    hint="Use --web.listen-address=:9113 and declare containerPort 9113.")
    if port not in declared:
        return Fail(f"the exporter listens on {port} but declares {declared or 'no port'}; Prometheus finds the "
                    "metrics port through the declaration (and a named port), so keep them in step.",
                    path=f"spec.{fld}[{j}].ports", hint=f"Declare `containerPort: {port}` on the exporter.")
    return True


def _exporter_scrapes_web(answer: Answer) -> Any:
    doc = pod(answer)
    fld, j, exp = running_container(doc, "exporter")
    uri = _flag(exp, "nginx.scrape-uri")
    host, port = _url_host_port(uri)
    if uri is None:
        return Fail("the exporter lost its --nginx.scrape-uri, so it no longer knows where nginx is.",
                    path=f"spec.{fld}[{j}].args", hint="Keep --nginx.scrape-uri=http://localhost:80/stub_status.")
    if host not in LOCAL_HOSTS:
        return Fail(f"the scrape URI is {uri!r}; nginx runs in the same Pod, so the exporter reaches it on localhost.",
                    path=f"spec.{fld}[{j}].args", hint="Use --nginx.scrape-uri=http://localhost:80/stub_status.")
    if port != 80:
        return Fail(f"the scrape URI points at port {port}, but nginx still serves on 80; only the exporter's own "
                    "listening port had to move.", path=f"spec.{fld}[{j}].args",
                    hint="Use --nginx.scrape-uri=http://localhost:80/stub_status.")
    if not urlsplit(uri if "://" in uri else "http://" + uri).path.startswith("/stub_status"):
        return Fail(f"the scrape URI is {uri!r}; nginx serves its status page at /stub_status.",
                    path=f"spec.{fld}[{j}].args", hint="Keep the path /stub_status.")
    return True


def _fix_host(answer: Answer) -> Any:
    return _host_things(pod(answer))


port_fix = Exercise(
    id="ch3.port_fix",
    title="Exercise 2 - two containers on port 80",
    answer_name="FIXED_POD",
    cases=[
        Case("it is one Pod manifest named web-metrics", 1, _fix_identity),
        Case("the port clash is gone and the checker reports no errors", 1, _clash_gone),
        Case("still web (nginx:1.22) and exporter, same images", 1, _fix_containers),
        Case("web still serves on port 80", 1, _web_unchanged, hidden=True),
        Case("the exporter listens on the port it declares, not 80", 1, _exporter_listens_where_declared,
             hidden=True),
        Case("the exporter still scrapes nginx on localhost:80", 1, _exporter_scrapes_web, hidden=True),
        Case("no hostPort and no hostNetwork", 1, _fix_host, hidden=True),
    ],
)

# ---------------------------------------------------------------------------
# Exercise 3: containerPort, hostPort and localhost - true or false?
# ---------------------------------------------------------------------------

PORT_STATEMENTS: dict[str, tuple[bool, str]] = {
    "A": (False, "`ports` is informational. A process that listens on a port is reachable on the Pod's IP whether "
                 "or not the port is listed; only a NetworkPolicy restricts who may connect."),
    "B": (False, "the API server accepts two containers declaring the same containerPort (only duplicate "
                 "hostPort/protocol/hostIP combinations are rejected). The mistake shows up at run time: the second "
                 "process fails with 'address already in use'. The course checker warns about it "
                 "(container-port-clash)."),
    "C": (True, "two entries with the same hostPort, protocol and hostIP in one Pod are a validation error: the "
                "node has only one such port to give."),
    "D": (True, "all containers of a Pod share one network namespace, so localhost is the same loopback interface "
                "for all of them."),
    "E": (True, "127.0.0.1 belongs to the Pod's own network namespace: its containers can connect, other Pods (and "
                "the kubelet's probes, which use the Pod IP) cannot."),
    "F": (False, "containerPort does not bind anything on the node. hostPort is the field that maps a node port to "
                 "the container, and it is rarely the right tool; a Service is."),
    "G": (True, "a port's `name` (an IANA service name such as `http`, at most 15 characters) can be used by "
                "probes in the same container and by a Service's targetPort."),
    "H": (False, "container names are not DNS names. Compose gives each service its own network namespace and a DNS "
                 "name; the containers of a Pod share one network namespace, so a sidecar uses localhost:8080."),
    "I": (True, "the Kubernetes network model gives every Pod its own IP and lets Pods reach each other's IPs "
                "directly, without NAT; the network (CNI) plugin implements it."),
    "J": (True, "each Pod has its own network namespace and IP, so each can listen on 80; the port space is per "
                "Pod, not per node (unless hostNetwork or hostPort is used)."),
}


def _statement(letter: str) -> Callable[[Answer], Any]:
    want, why = PORT_STATEMENTS[letter]
    return table_row(letter, want, why, read=truth(), noun="statement", choices="True or False",
                     unreadable="is neither True nor False", example='{"A": True, "B": False, ...}', named=True,
                     wrong="{label} is " + ("true" if want else "false"))


port_facts = Exercise(
    id="ch3.port_facts",
    title="Exercise 3 - containerPort, hostPort and localhost: true or false?",
    answer_name="PORT_FACTS",
    cases=[Case(f"statement {letter}", 1, _statement(letter), hidden=letter not in ("A", "D"))
           for letter in PORT_STATEMENTS],
)

# ---------------------------------------------------------------------------
# Exercise 4: the networking lab
# ---------------------------------------------------------------------------

REACHABLE, REFUSED, BOUND, IN_USE = "reachable", "refused", "bound", "EADDRINUSE"

# key -> (right answer, why)
LAB_TRUTH: dict[str, tuple[str, str]] = {
    "sidecar": (REACHABLE, "the sidecar is in the server's network namespace, so its 127.0.0.1 is the server's."),
    "other_pod": (REFUSED, "another pod has its own network namespace with its own loopback, where nothing listens "
                           "on that port: the connection is refused."),
    "notebook": (REFUSED, "the notebook kernel runs outside every pod, in the machine's own network namespace; "
                          "nothing listens there."),
    "same_pod_second_bind": (IN_USE, "the two containers share one port space, so the second bind fails with "
                                     "EADDRINUSE ('address already in use')."),
    "separate_pods_second_bind": (BOUND, "each pod has its own network namespace and so its own set of ports."),
}

_WORDS = {
    REACHABLE: {"reachable", "yes", "ok", "200", "connects", "connected", "works", "true"},
    REFUSED: {"refused", "unreachable", "no", "fails", "failed", "connectionrefusederror", "connection refused",
              "false"},
    BOUND: {"bound", "ok", "works", "succeeds", "success", "yes"},
    IN_USE: {"eaddrinuse", "address already in use", "in use", "fails", "failed", "error", "no"},
}


def _norm(value: Any, key: str) -> str | None:
    """The prediction word for `key`, or None when it is not one of the words that key accepts."""
    choices = (REACHABLE, REFUSED) if key in ("sidecar", "other_pod", "notebook") else (BOUND, IN_USE)
    if isinstance(value, bool) and choices[0] == REACHABLE:
        return REACHABLE if value else REFUSED
    if not isinstance(value, str):
        return None
    v = " ".join(value.strip().lower().split())
    for c in choices:
        if v in _WORDS[c] or v == c.lower():
            return c
    return None


_lab = lab_data


def _prediction(answer: Answer, key: str) -> str | None:
    table = _lab(answer).get("prediction")
    if not isinstance(table, dict):
        return None
    row = {str(k).strip().lower(): v for k, v in table.items()}
    return _norm(row.get(key), key)


def _prediction_case(key: str) -> Callable[[Answer], Any]:
    want, why = LAB_TRUTH[key]

    def test(answer: Answer) -> Any:
        table = lab_predictions(_lab(answer))
        row = {str(k).strip().lower(): v for k, v in table.items()}
        if key not in row:
            return Fail(f"there is no prediction for {key!r}.", hint=f'Add "{key}": "{want}" or its opposite.')
        got = _norm(row[key], key)
        if got is None:
            words = '"reachable" or "refused"' if want in (REACHABLE, REFUSED) else '"bound" or "EADDRINUSE"'
            return Fail(f"the prediction for {key!r} is {row[key]!r}; write {words}.")
        if got != want:
            return Fail(f"{key}: the lab shows {want}, not {got}: {why}")
        return True

    return test


def _run(answer: Answer, part: str) -> dict[str, Any]:
    run = _lab(answer).get(part)
    label = "the reachability run" if part == "reach" else "the port-clash run"
    if not isinstance(run, dict):
        raise Fail(f"{label} is missing; run the lab cells.")
    if run.get("error"):
        raise Fail(f"{label} stopped: {run['error']}", hint="Fix the experiment, then run the lab cells again.")
    events = run.get("events")
    if not isinstance(events, list):
        raise Fail(f"{label} has no trace of what ran; build it with run_lab(...), then run the cells again.")
    return run


def _events(run: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [e for e in run.get("events", []) if isinstance(e, dict) and e.get("action") == action]


def _server(run: dict[str, Any]) -> dict[str, Any] | None:
    return next((e for e in _events(run, "serve") if e.get("result") == "listening"), None)


def _reach_structure(answer: Answer) -> Any:
    run = _run(answer, "reach")
    srv = _server(run)
    if srv is None:
        return Fail("no container is listening: the experiment has to start a server first.",
                    hint='Call web_pod.serve("web", lab.port) before the fetches.')
    home, port = srv.get("pod"), srv.get("port")
    fetches = [e for e in _events(run, "fetch") if e.get("port") == port]
    if not any(e.get("pod") == home and e.get("container") != srv.get("container") for e in fetches):
        return Fail(f"no second container of pod {home!r} fetched port {port}.",
                    hint=f'Call .fetch("sidecar", lab.port) on the same pod object that serves ({home!r}).')
    if not any(e.get("pod") not in (None, home) for e in fetches):
        return Fail(f"no container in another pod fetched port {port}.",
                    hint='Create a second pod with lab.pod("other-pod") and fetch from it.')
    if not any(e.get("pod") is None for e in fetches):
        return Fail(f"the notebook kernel never tried port {port}.", hint="Add lab.fetch_here(lab.port).")
    return True


def _recorded_fallback(answer: Answer, keys: tuple[str, ...], what: str) -> Any:
    """On a replay the outcomes are the recording's, so this check uses the learner's predictions."""
    wrong = [k for k in keys if _prediction(answer, k) != LAB_TRUTH[k][0]]
    if wrong:
        return Fail(f"this lab ran from a recording (no namespaces on this machine), so {what} is graded from your "
                    f"predictions, and these are not right yet: {', '.join(wrong)}.",
                    hint="Compare your predictions with the replayed outcomes the lab printed.")
    return True


def _reach_outcome(answer: Answer) -> Any:
    run = _run(answer, "reach")
    if run.get("source") != "live":
        got = _reach_structure(answer)
        if got is not True:
            return got
        return _recorded_fallback(answer, ("sidecar", "other_pod", "notebook"), "who could reach the server")
    srv = _server(run)
    if srv is None:
        return Fail("no container is listening, so there is nothing to observe.",
                    hint='Call web_pod.serve("web", lab.port) first.')
    home, port = srv.get("pod"), srv.get("port")
    fetches = [e for e in _events(run, "fetch") if e.get("port") == port]
    inside = [e for e in fetches if e.get("pod") == home and e.get("container") != srv.get("container")]
    outside = [e for e in fetches if e.get("pod") != home]
    if not inside or not any(e.get("reachable") is True and e.get("status") == 200 for e in inside):
        return Fail(f"no container of pod {home!r} got an HTTP 200 from the server.",
                    hint="Fetch lab.port from a second container of the pod that serves.")
    if not outside:
        return Fail("nothing outside the serving pod tried to connect.",
                    hint="Fetch from a second pod and with lab.fetch_here.")
    if any(e.get("reachable") for e in outside):
        return Fail("something outside the serving pod reached a server bound to 127.0.0.1; that should not happen. "
                    "Did another program on this machine listen on the same port? Run the lab again.")
    return True


def _binds(run: dict[str, Any]) -> list[dict[str, Any]]:
    """Every bind and serve, in the order the experiment made them (which one came first decides the clash)."""
    return [e for e in run.get("events", []) if isinstance(e, dict) and e.get("action") in ("bind", "serve")]


def _first_two_in_one_pod(run: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    seen: dict[tuple[Any, Any], dict[str, Any]] = {}
    for e in _binds(run):
        key = (e.get("pod"), e.get("port"))
        if key in seen and seen[key].get("container") != e.get("container"):
            return seen[key], e
        seen.setdefault(key, e)
    return None


def _two_pods_same_port(run: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    firsts: dict[tuple[Any, Any], dict[str, Any]] = {}
    for e in _binds(run):
        firsts.setdefault((e.get("pod"), e.get("port")), e)
    pods_by_port: dict[Any, list[dict[str, Any]]] = {}
    for (_p, port), e in firsts.items():
        pods_by_port.setdefault(port, []).append(e)
    # Prefer pods that hold only one binder: the "separate pods" half of the experiment.
    for events in pods_by_port.values():
        lonely = [e for e in events if sum(1 for b in _binds(run) if b.get("pod") == e.get("pod")) == 1]
        if len(lonely) >= 2:
            return lonely[0], lonely[1]
    return None


def _clash_structure(answer: Answer) -> Any:
    run = _run(answer, "clash")
    if _first_two_in_one_pod(run) is None:
        return Fail("no pod had two containers bind the same port.",
                    hint='In one pod, call .bind("a", lab.port) and then .bind("b", lab.port).')
    if _two_pods_same_port(run) is None:
        return Fail("no two separate pods each had a container bind the same port.",
                    hint='Create two more pods and call .bind("a", lab.port) once in each.')
    return True


def _clash_outcome(answer: Answer) -> Any:
    run = _run(answer, "clash")
    if run.get("source") != "live":
        got = _clash_structure(answer)
        if got is not True:
            return got
        return _recorded_fallback(answer, ("same_pod_second_bind", "separate_pods_second_bind"), "the port clash")
    pair = _first_two_in_one_pod(run)
    if pair is None:
        return Fail("no pod had two containers bind the same port, so there is no clash to observe.")
    first, second = pair
    if first.get("result") not in ("bound", "listening") or second.get("result") != IN_USE:
        return Fail(f"in pod {first.get('pod')!r} the binds gave {first.get('result')!r} then "
                    f"{second.get('result')!r}, not a success then EADDRINUSE.",
                    hint="Bind the same port twice in one pod, in two containers, the first still running.")
    apart = _two_pods_same_port(run)
    if apart is None:
        return Fail("no two separate pods each bound the port.")
    if any(e.get("result") not in ("bound", "listening") for e in apart):
        return Fail("a bind in a pod of its own failed; each pod has its own ports. Run the lab again.")
    return True


networking_lab = Exercise(
    id="ch3.networking_lab",
    title="Exercise 4 - the networking lab",
    answer_name="LAB",
    cases=[
        *[Case(f"prediction: {key}", 1, _prediction_case(key), hidden=key not in ("sidecar", "same_pod_second_bind"))
          for key in LAB_TRUTH],
        Case("reach: a server, a fetch from its own pod, from another pod and from the notebook", 1,
             _reach_structure),
        Case("clash: two binds in one pod, and one bind in each of two other pods", 1, _clash_structure),
        Case("reach: only the server's own pod got an answer (live run; predictions on a replay)", 1,
             _reach_outcome, hidden=True),
        Case("clash: EADDRINUSE in one pod, both bound in separate pods (live run; predictions on a replay)", 1,
             _clash_outcome, hidden=True),
    ],
)

EXERCISES = (sidecar, port_fix, port_facts, networking_lab)
