"""Best-practice lints: valid Pods that will still surprise or hurt a learner.

Each lint is a small generator registered with its `Rule`; `check_pod` runs
them all and the engine drops the ones the preset switches off. Lints never
report what validation already rejects, and never raise on wrong types.
"""

from __future__ import annotations

import contextlib
import decimal
import re
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

from course.checker.model import PodView, dig, mapping, sequence
from course.checker.quantity import QuantityError, parse_quantity, suffix_of
from course.checker.validation._names import port_name as port_name_errors
from course.findings import DOCS, Finding, Key, Path, Rule, register

LintFn = Callable[[PodView], Iterator[Finding]]
LINTS: dict[str, LintFn] = {}

_SEC = DOCS + "tasks/configure-pod-container/security-context/"
_PROBES = DOCS + "tasks/configure-pod-container/configure-liveness-readiness-startup-probes/"
_RES = DOCS + "concepts/configuration/manage-resources-containers/"


def _pod(containers: str, spec_extra: str = "", *, kind_meta: str = "") -> str:
    """A complete Pod manifest for rule examples; `containers` is the YAML list body."""
    return (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: demo\n"
        + kind_meta
        + "spec:\n"
        + spec_extra
        + "  containers:\n"
        + containers
    )


_APP = "  - name: app\n    image: nginx:1.22\n"


def lint(rule: Rule) -> Callable[[LintFn], LintFn]:
    """Register `rule` (category lint) and the function that checks it."""
    if rule.category != "lint":
        raise ValueError(f"lint {rule.id} must have category 'lint'")
    register(rule)

    def deco(fn: LintFn) -> LintFn:
        LINTS[rule.id] = fn
        return fn

    return deco


def check_pod(pod: PodView) -> Iterator[Finding]:
    """Every lint's findings; the engine filters out lints the options disable."""
    for fn in LINTS.values():
        yield from fn(pod)


_PREFIX = {"m": "milli", "u": "micro", "n": "nano"}

# --- helpers -----------------------------------------------------------------------------


def _label(fld: str, i: int, c: dict[str, Any]) -> str:
    kind = {"initContainers": "init container", "ephemeralContainers": "ephemeral container"}.get(fld, "container")
    name = c.get("name")
    return f'{kind} "{name}"' if isinstance(name, str) and name else f"{kind} #{i}"


def _workload_containers(pod: PodView) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """Init and regular containers (ephemeral debug containers are left alone)."""
    for fld, i, c in pod.containers():
        if fld != "ephemeralContainers":
            yield fld, i, c


def _is_sidecar(c: dict[str, Any]) -> bool:
    return c.get("restartPolicy") == "Always"


def _runs_to_completion(pod: PodView) -> bool:
    return pod.kind in ("Job", "CronJob") or pod.spec.get("restartPolicy") in ("Never", "OnFailure")


def _is_windows(pod: PodView) -> bool:
    return dig(pod.spec, "os", "name") == "windows"


def _int(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _deepest(pod: PodView, base: Path, obj: dict[str, Any], *keys: str) -> Path:
    """Path of the deepest of `keys` present below `obj` (at `base`): the parent that exists."""
    path = base
    cur: Any = obj
    for k in keys:
        if not isinstance(cur, dict) or k not in cur:
            break
        path = (*path, k)
        cur = cur[k]
    return path


def _qty(v: Any) -> Fraction | None:
    try:
        return parse_quantity(v)
    except (QuantityError, ValueError, OverflowError, ZeroDivisionError):
        return None


def _number_text(v: Any) -> str:
    """The number part of a quantity as written, for suggestions like `128Mi`."""
    text = str(v).strip()
    m = re.match(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", text)
    return m.group(0) if m else text


def _resource_lists(pod: PodView) -> Iterator[tuple[Path, str, dict[str, Any]]]:
    """(path, whose, requests-or-limits mapping) for every container and the pod level."""
    res = pod.spec.get("resources")
    if isinstance(res, dict):
        for part in ("requests", "limits"):
            items = res.get(part)
            if isinstance(items, dict):
                yield pod.at("resources", part), "the Pod", items
    for fld, i, c in _workload_containers(pod):
        res = c.get("resources")
        if not isinstance(res, dict):
            continue
        for part in ("requests", "limits"):
            items = res.get(part)
            if isinstance(items, dict):
                yield pod.at(fld, i, "resources", part), _label(fld, i, c), items


def _pod_level(pod: PodView, part: str, name: str) -> bool:
    return dig(pod.spec, "resources", part, name) is not None


def _sc(c: dict[str, Any]) -> dict[str, Any]:
    return mapping(c.get("securityContext"))


# --- images ----------------------------------------------------------------------------------


@lint(
    Rule(
        id="image-tag-latest",
        severity="warning",
        category="lint",
        summary="The image has no tag or uses ':latest', so what runs can change without notice.",
        hint="Pin a version tag (nginx:1.22) or a digest (nginx@sha256:...), so every node runs the same "
        "image and a rollout is an explicit change.",
        docs=DOCS + "concepts/containers/images/#image-names",
        passing=_pod(_APP),
        failing=_pod("  - name: app\n    image: nginx\n"),
        description="Without a tag the runtime pulls ':latest'; two nodes can end up running different "
        "code, and a restart may silently upgrade.",
    )
)
def _image_tag(pod: PodView) -> Iterator[Finding]:
    for fld, i, c in pod.containers():
        image = c.get("image")
        if not isinstance(image, str) or not image.strip() or "@" in image:
            continue
        last = image.strip().rsplit("/", 1)[-1]
        if ":" not in last:
            msg = f"{_label(fld, i, c)}: image {image!r} has no tag, so ':latest' is pulled"
        elif last.rsplit(":", 1)[1] == "latest":
            msg = f"{_label(fld, i, c)}: image {image!r} uses the ':latest' tag, which can change any time"
        else:
            continue
        yield pod.finding("image-tag-latest", pod.at(fld, i, "image"), msg)


# --- probes ----------------------------------------------------------------------------------


@lint(
    Rule(
        id="probe-readiness-missing",
        severity="warning",
        category="lint",
        summary="A container that listens on a port has no readinessProbe.",
        hint="Add a readinessProbe (httpGet, tcpSocket, grpc or exec) so Services send traffic "
        "only once the container can answer.",
        docs=_PROBES,
        passing=_pod(
            _APP + "    ports:\n    - containerPort: 80\n    readinessProbe:\n      httpGet: {path: /, port: 80}\n"
        ),
        failing=_pod(_APP + "    ports:\n    - containerPort: 80\n"),
        description="Without a readiness probe a Pod counts as ready as soon as its containers "
        "start, so a Service may route requests to an app that is still booting.",
    )
)
def _readiness(pod: PodView) -> Iterator[Finding]:
    if _runs_to_completion(pod):
        return
    for i, c in enumerate(sequence(pod.spec.get("containers"))):
        if not isinstance(c, dict) or not sequence(c.get("ports")) or "readinessProbe" in c:
            continue
        yield pod.finding(
            "probe-readiness-missing",
            pod.at("containers", i),
            f"{_label('containers', i, c)} declares ports but has no readinessProbe, "
            "so it receives traffic before it is ready",
        )


@lint(
    Rule(
        id="probe-liveness-missing",
        severity="info",
        category="lint",
        summary="A long-running container has no livenessProbe.",
        hint="Add a livenessProbe that fails only when the process is stuck (not when a dependency "
        "is down), so the kubelet restarts a hung container.",
        docs=_PROBES,
        passing=_pod(_APP + "    livenessProbe:\n      tcpSocket: {port: 80}\n"),
        failing=_pod(_APP),
        description="The kubelet restarts a container only when its process exits; a process that "
        "hangs but stays alive is restarted only if a liveness probe notices.",
    )
)
def _liveness(pod: PodView) -> Iterator[Finding]:
    if _runs_to_completion(pod):
        return
    for i, c in enumerate(sequence(pod.spec.get("containers"))):
        if not isinstance(c, dict) or "livenessProbe" in c:
            continue
        yield pod.finding(
            "probe-liveness-missing",
            pod.at("containers", i),
            f"{_label('containers', i, c)} has no livenessProbe, so a hung process is never restarted",
        )


_NAMED_PORT_EFFECT = {
    "startupProbe": "the container never counts as started: it never becomes Ready and its liveness and "
    "readiness probes never run",
    "readinessProbe": "the container never becomes Ready and no Service sends it traffic",
    "livenessProbe": "the probe never fails and a hung container is never restarted",
    "postStart": "the hook fails and the container is killed (FailedPostStartHook)",
    "preStop": "the hook fails (FailedPreStopHook) and the container stops without it",
}
_SIDECAR_STARTUP_EFFECT = "the sidecar never counts as started and the init and app containers after it never start"


def _named_port_handlers(c: dict[str, Any]) -> Iterator[tuple[tuple[str, ...], str, str]]:
    """(path below the container, what, effect key) of each probe or hook port given by name.

    Probes resolve httpGet and tcpSocket ports by name; hooks only httpGet (the kubelet runs no
    tcpSocket hook at all). gRPC ports are numbers only.
    """
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        for kind in ("httpGet", "tcpSocket"):
            port = dig(c, probe, kind, "port")
            if isinstance(port, str):
                yield (probe, kind, "port"), port, probe
    for hook in ("postStart", "preStop"):
        port = dig(c, "lifecycle", hook, "httpGet", "port")
        if isinstance(port, str):
            yield ("lifecycle", hook, "httpGet", "port"), port, hook


@lint(
    Rule(
        id="named-port-unknown",
        severity="warning",
        category="lint",
        summary="A probe or lifecycle hook names a port that its container does not declare.",
        hint="Declare the port with that name in this container (ports: [{name: http, containerPort: 8080}]) "
        "or give the number; a probe or hook looks a port name up only in its own container's ports.",
        docs=_PROBES + "#use-a-named-port",
        passing=_pod(
            _APP + "    ports:\n    - {name: http, containerPort: 80}\n"
            "    livenessProbe:\n      httpGet: {path: /, port: http}\n"
        ),
        failing=_pod(
            _APP + "    ports:\n    - containerPort: 80\n    livenessProbe:\n      httpGet: {path: /, port: http}\n"
        ),
        description="The API server accepts any well-formed port name, but the kubelet resolves it in the "
        "container's own ports list. When no port there has the name, every probe errors (the course "
        "cluster's v1.37 kubelet records `Warning Unhealthy: Liveness probe errored and resulted in unknown "
        'state: port "http" not found`) and the kubelet throws the result '
        "away instead of counting a failure: a readiness probe stays at its initial not-ready, a liveness "
        "probe never restarts the container, a startup probe never lets the container count as started. "
        "A postStart httpGet hook fails, so the container is killed; a preStop hook fails and is skipped.",
    )
)
def _named_port_unknown(pod: PodView) -> Iterator[Finding]:
    running = [(f, i, c) for f, i, c in _workload_containers(pod) if f == "containers" or _is_sidecar(c)]
    declared: list[tuple[str, set[str]]] = []
    for fld, i, c in running:
        names = {n for p in sequence(c.get("ports")) if isinstance(n := mapping(p).get("name"), str) and n}
        declared.append((_label(fld, i, c), names))
    for (fld, i, c), (label, own) in zip(running, declared, strict=True):
        for rel, port, what in _named_port_handlers(c):
            # Not a valid port name at all: validation reports it (handler-field).
            if port in own or port_name_errors(port):
                continue
            import difflib  # only when there is something to report

            guess = difflib.get_close_matches(port, sorted(own), n=1, cutoff=0.6)
            if guess:
                shown = f' (did you mean "{guess[0]}"?)'
            elif own:
                shown = " (its port names: " + ", ".join(f'"{n}"' for n in sorted(own)) + ")"
            else:
                shown = " (it names none of its ports)"
            others = [lbl for lbl, names in declared if lbl != label and port in names]
            if others:
                shown += f"; {others[0]} declares it, but each container looks names up in its own ports only"
            sidecar_startup = fld == "initContainers" and what == "startupProbe"
            effect = _SIDECAR_STARTUP_EFFECT if sidecar_startup else _NAMED_PORT_EFFECT[what]
            yield pod.finding(
                "named-port-unknown",
                pod.at(fld, i, *rel),
                f'{label}: {".".join(rel)} "{port}" names no port of this container{shown}; '
                f"the kubelet cannot resolve it, so {effect}",
            )


# --- resources -------------------------------------------------------------------------------


@lint(
    Rule(
        id="resources-requests-missing",
        severity="warning",
        category="lint",
        summary="A container sets no cpu or memory request.",
        hint="Set resources.requests.cpu and resources.requests.memory to what the container "
        "normally uses; the scheduler places Pods by their requests.",
        docs=_RES,
        passing=_pod(_APP + "    resources:\n      requests: {cpu: 100m, memory: 64Mi}\n"),
        failing=_pod(_APP + "    resources:\n      requests: {cpu: 100m}\n"),
        description="Without requests the scheduler assumes the container needs nothing, so nodes "
        "get overpacked, and the Pod is the first to be evicted under memory pressure.",
    )
)
def _requests(pod: PodView) -> Iterator[Finding]:
    for fld, i, c in _workload_containers(pod):
        res = mapping(c.get("resources"))
        requests = mapping(res.get("requests"))
        limits = mapping(res.get("limits"))
        # A limit without a request is defaulted into the request by the API server.
        missing = [
            r for r in ("cpu", "memory") if r not in requests and r not in limits and not _pod_level(pod, "requests", r)
        ]
        if missing:
            what = " and ".join(missing)
            add = " and ".join(f"resources.requests.{r}" for r in missing)
            yield pod.finding(
                "resources-requests-missing",
                _deepest(pod, pod.at(fld, i), c, "resources", "requests"),
                f"{_label(fld, i, c)} sets no {what} request (add {add})",
            )


@lint(
    Rule(
        id="resources-limits-missing",
        severity="warning",
        category="lint",
        summary="A container sets no memory limit.",
        hint="Set resources.limits.memory: a container above its limit is OOM-killed alone, "
        "instead of pushing the whole node into memory pressure.",
        docs=_RES,
        passing=_pod(
            _APP + "    resources:\n      requests: {cpu: 100m, memory: 64Mi}\n      limits: {memory: 64Mi}\n"
        ),
        failing=_pod(_APP + "    resources:\n      requests: {cpu: 100m, memory: 64Mi}\n"),
        description="CPU limits are optional (CPU is throttled, never killed), but memory cannot be "
        "taken back: an unlimited container can starve its neighbours.",
    )
)
def _limits(pod: PodView) -> Iterator[Finding]:
    if _pod_level(pod, "limits", "memory"):
        return
    for fld, i, c in _workload_containers(pod):
        limits = dig(c, "resources", "limits")
        if isinstance(limits, dict) and "memory" in limits:
            continue
        yield pod.finding(
            "resources-limits-missing",
            _deepest(pod, pod.at(fld, i), c, "resources", "limits"),
            f"{_label(fld, i, c)} has no memory limit (add resources.limits.memory)",
        )


@lint(
    Rule(
        id="memory-millibytes",
        severity="warning",
        category="lint",
        summary="A memory quantity uses 'm' (milli), which means thousandths of a byte.",
        hint="Use Mi or Gi for memory (128Mi, 1Gi); 'm' means milli and is meant for CPU.",
        docs=_RES + "#meaning-of-memory",
        passing=_pod(_APP + "    resources:\n      limits: {memory: 128Mi}\n"),
        failing=_pod(_APP + "    resources:\n      limits: {memory: 128m}\n"),
        description="memory: 128m is 0.128 bytes, not 128 megabytes; the API accepts it, and the "
        "container cannot start or is killed at once.",
    )
)
def _millibytes(pod: PodView) -> Iterator[Finding]:
    for path, whose, items in _resource_lists(pod):
        v = items.get("memory")
        suffix = suffix_of(v)
        value = _qty(v)
        if suffix not in ("m", "u", "n") or value is None:
            continue
        num = _number_text(v)
        yield pod.finding(
            "memory-millibytes",
            (*path, Key("memory")),
            f"{whose}: memory {v} means {float(value):.9g} bytes ('{suffix}' means {_PREFIX[suffix]}, not mega); "
            f"did you mean {num}Mi?",
        )


@lint(
    Rule(
        id="memory-no-unit",
        severity="warning",
        category="lint",
        summary="A memory quantity has no unit and is under 1Mi, so it is counted in bytes.",
        hint="Add a unit: memory: 256Mi or 1Gi. A plain number is bytes.",
        docs=_RES + "#meaning-of-memory",
        passing=_pod(_APP + "    resources:\n      limits: {memory: 256Mi}\n"),
        failing=_pod(_APP + "    resources:\n      limits: {memory: 256}\n"),
        description="memory: 256 is 256 bytes; no container runs in that, so the Pod fails to start.",
    )
)
def _memory_no_unit(pod: PodView) -> Iterator[Finding]:
    for path, whose, items in _resource_lists(pod):
        v = items.get("memory")
        if isinstance(v, bool) or suffix_of(v) not in ("", "e"):
            continue
        q = _qty(v)
        if q is None or not 0 < q < 2**20:
            continue
        yield pod.finding(
            "memory-no-unit",
            (*path, Key("memory")),
            f"{whose}: memory {v} means {_number_text(v)} bytes; did you mean {_number_text(v)}Mi?",
        )


@lint(
    Rule(
        id="cpu-units",
        severity="warning",
        category="lint",
        summary="A cpu quantity looks like the wrong unit (a memory suffix, or hundreds of cores).",
        hint="CPU is counted in cores: 1 or 0.5, or millicores: 500m. Mi/Gi are memory units.",
        docs=_RES + "#meaning-of-cpu",
        passing=_pod(_APP + "    resources:\n      requests: {cpu: 500m}\n"),
        failing=_pod(_APP + "    resources:\n      requests: {cpu: 500Mi}\n"),
        description="cpu: 500Mi is about 524 million cores and cpu: 1000 is a thousand cores; "
        "no node has that, so the Pod stays Pending.",
    )
)
def _cpu_units(pod: PodView) -> Iterator[Finding]:
    for path, whose, items in _resource_lists(pod):
        v = items.get("cpu")
        if isinstance(v, bool):
            continue
        q = _qty(v)
        if q is None or q <= 0:
            continue
        suffix = suffix_of(v)
        num = _number_text(v)
        if suffix.endswith("i") or suffix in ("k", "M", "G", "T", "P", "E"):
            meant = f"{num}m (millicores)"
            if "." in num:  # `0.5Gi`: half a core was meant, and `0.5m` is no amount
                with contextlib.suppress(ArithmeticError, ValueError):
                    meant = f"{num} cores ({decimal.Decimal(num) * 1000:f}".rstrip("0").rstrip(".") + "m)"
            msg = f"{whose}: cpu {v} uses {suffix!r}, a size unit; did you mean {meant}?"
        elif suffix in ("", "e") and q >= 100:
            msg = f"{whose}: cpu {v} asks for {num} whole cores; did you mean {num}m (millicores)?"
        else:
            continue
        yield pod.finding("cpu-units", (*path, Key("cpu")), msg)


# --- security --------------------------------------------------------------------------------


@lint(
    Rule(
        id="privileged-container",
        severity="warning",
        category="lint",
        summary="A container runs privileged, with almost full access to the node.",
        hint="Remove securityContext.privileged (or set it to false); add only the capabilities "
        "the app needs with capabilities.add.",
        docs=_SEC,
        passing=_pod(_APP + "    securityContext:\n      privileged: false\n"),
        failing=_pod(_APP + "    securityContext:\n      privileged: true\n"),
        description="A privileged container sees every host device and can escape to the node.",
    )
)
def _privileged(pod: PodView) -> Iterator[Finding]:
    for fld, i, c in pod.containers():
        if _sc(c).get("privileged") is True:
            yield pod.finding(
                "privileged-container",
                pod.at(fld, i, "securityContext", "privileged"),
                f"{_label(fld, i, c)} is privileged: it can reach every device on the node",
            )


@lint(
    Rule(
        id="run-as-root",
        severity="warning",
        category="lint",
        summary="A container may run as root (runAsUser 0, or runAsNonRoot not set).",
        hint="Set securityContext.runAsNonRoot: true (and a non-zero runAsUser if the image defaults to root).",
        docs=_SEC,
        default_enabled=False,
        passing=_pod(_APP + "    securityContext:\n      runAsNonRoot: true\n      runAsUser: 101\n"),
        failing=_pod(_APP),
        description="Most images run as root unless told otherwise; root in a container is one "
        "kernel bug away from root on the node.",
    )
)
def _run_as_root(pod: PodView) -> Iterator[Finding]:
    if _is_windows(pod):
        return
    psc = mapping(pod.spec.get("securityContext"))
    pod_user = _int(psc.get("runAsUser"))
    pod_root_reported = False
    for fld, i, c in _workload_containers(pod):
        sc = _sc(c)
        label = _label(fld, i, c)
        if _int(sc.get("runAsUser")) is not None:
            user, from_pod = _int(sc["runAsUser"]), False
        else:
            user, from_pod = pod_user, True
        nonroot = sc["runAsNonRoot"] if isinstance(sc.get("runAsNonRoot"), bool) else psc.get("runAsNonRoot")
        if user == 0 and from_pod:
            if not pod_root_reported:
                pod_root_reported = True
                yield pod.finding(
                    "run-as-root",
                    pod.at("securityContext", "runAsUser"),
                    "the Pod runs its containers as root (securityContext.runAsUser: 0)",
                )
        elif user == 0:
            yield pod.finding(
                "run-as-root",
                pod.at(fld, i, "securityContext", "runAsUser"),
                f"{label} runs as root (securityContext.runAsUser: 0)",
            )
        elif nonroot is not True and not (user is not None and user > 0):
            yield pod.finding(
                "run-as-root",
                _deepest(pod, pod.at(fld, i), c, "securityContext", "runAsNonRoot"),
                f"{label} may run as root: set securityContext.runAsNonRoot: true",
            )


@lint(
    Rule(
        id="run-as-group-without-user",
        severity="warning",
        category="lint",
        summary="The Pod sets securityContext.runAsGroup without runAsUser, so containerd cannot create its sandbox.",
        hint="Set spec.securityContext.runAsUser (a non-zero UID) beside runAsGroup, or move runAsGroup into "
        "the containers that set runAsUser.",
        docs=_SEC,
        passing=_pod(_APP, "  securityContext:\n    runAsUser: 1000\n    runAsGroup: 1000\n"),
        failing=_pod(_APP, "  securityContext:\n    runAsGroup: 1000\n"),
        description="The API server accepts it, but the CRI says a runtime must refuse a group without a "
        "user, and the pause container gets the pod-level settings: the Pod stays ContainerCreating "
        'with FailedCreatePodSandBox "user group ... is specified without user" (containerd 2.x, '
        "seen on the course cluster).",
    )
)
def _group_without_user(pod: PodView) -> Iterator[Finding]:
    if _is_windows(pod):
        return
    psc = mapping(pod.spec.get("securityContext"))
    if _int(psc.get("runAsGroup")) is not None and _int(psc.get("runAsUser")) is None:
        yield pod.finding(
            "run-as-group-without-user",
            pod.at("securityContext", "runAsGroup"),
            f"spec.securityContext sets runAsGroup: {psc['runAsGroup']} but no runAsUser; the container "
            'runtime refuses to create the Pod sandbox ("user group is specified without user")',
        )


@lint(
    Rule(
        id="writable-root-filesystem",
        severity="info",
        category="lint",
        summary="A container can write to its root filesystem.",
        hint="Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the app "
        "must write (e.g. /tmp).",
        docs=_SEC,
        default_enabled=False,
        passing=_pod(_APP + "    securityContext:\n      readOnlyRootFilesystem: true\n"),
        failing=_pod(_APP),
        description="A read-only root filesystem stops an attacker from changing binaries, and "
        "makes every place the app writes explicit.",
    )
)
def _writable_root(pod: PodView) -> Iterator[Finding]:
    if _is_windows(pod):
        return
    for fld, i, c in _workload_containers(pod):
        if _sc(c).get("readOnlyRootFilesystem") is True:
            continue
        yield pod.finding(
            "writable-root-filesystem",
            _deepest(pod, pod.at(fld, i), c, "securityContext", "readOnlyRootFilesystem"),
            f"{_label(fld, i, c)} can write to its root filesystem: set securityContext.readOnlyRootFilesystem: true",
        )


@lint(
    Rule(
        id="capabilities-not-dropped",
        severity="info",
        category="lint",
        summary="A container keeps the default Linux capabilities (no drop: [ALL]).",
        hint="Set securityContext.capabilities.drop: [ALL] and add back only what the app needs "
        "(e.g. add: [NET_BIND_SERVICE]).",
        docs=_SEC + "#set-capabilities-for-a-container",
        default_enabled=False,
        passing=_pod(_APP + "    securityContext:\n      capabilities:\n        drop: [ALL]\n"),
        failing=_pod(_APP + "    securityContext:\n      capabilities:\n        drop: [NET_RAW]\n"),
        description="The runtime grants a default set of capabilities such as CHOWN and SETUID; "
        "dropping them all is what the restricted Pod Security Standard requires.",
    )
)
def _caps(pod: PodView) -> Iterator[Finding]:
    if _is_windows(pod):
        return
    for fld, i, c in _workload_containers(pod):
        drop = dig(c, "securityContext", "capabilities", "drop")
        if isinstance(drop, list) and "ALL" in drop:
            continue
        yield pod.finding(
            "capabilities-not-dropped",
            _deepest(pod, pod.at(fld, i), c, "securityContext", "capabilities", "drop"),
            f"{_label(fld, i, c)} does not drop Linux capabilities: set securityContext.capabilities.drop: [ALL]",
        )


@lint(
    Rule(
        id="privilege-escalation-allowed",
        severity="info",
        category="lint",
        summary="A container does not set allowPrivilegeEscalation: false.",
        hint="Set securityContext.allowPrivilegeEscalation: false so setuid binaries cannot gain "
        "more privileges than the process started with.",
        docs=_SEC,
        default_enabled=False,
        passing=_pod(_APP + "    securityContext:\n      allowPrivilegeEscalation: false\n"),
        failing=_pod(_APP + "    securityContext:\n      allowPrivilegeEscalation: true\n"),
        description="Unless it is set to false, a process can gain privileges via setuid binaries.",
    )
)
def _escalation(pod: PodView) -> Iterator[Finding]:
    if _is_windows(pod):
        return
    for fld, i, c in _workload_containers(pod):
        value = _sc(c).get("allowPrivilegeEscalation")
        if value is False:
            continue
        label = _label(fld, i, c)
        msg = (
            f"{label} explicitly allows privilege escalation"
            if value is True
            else f"{label} allows privilege escalation by default: set securityContext.allowPrivilegeEscalation: false"
        )
        yield pod.finding(
            "privilege-escalation-allowed",
            _deepest(pod, pod.at(fld, i), c, "securityContext", "allowPrivilegeEscalation"),
            msg,
        )


@lint(
    Rule(
        id="host-namespaces",
        severity="warning",
        category="lint",
        summary="The Pod shares the node's network, process or IPC namespace.",
        hint="Remove hostNetwork, hostPID and hostIPC unless this is a node agent; a Service "
        "or a hostPort-free design usually does the job.",
        docs=DOCS + "concepts/security/pod-security-standards/",
        passing=_pod(_APP),
        failing=_pod(_APP, "  hostNetwork: true\n"),
        description="These Pods see and can interfere with everything on the node: its network "
        "interfaces, every process, or its shared memory.",
    )
)
def _host_namespaces(pod: PodView) -> Iterator[Finding]:
    what = {"hostNetwork": "network", "hostPID": "process (PID)", "hostIPC": "IPC"}
    for fld, ns in what.items():
        if pod.spec.get(fld) is True:
            yield pod.finding(
                "host-namespaces",
                pod.at(fld),
                f"{fld}: true puts the Pod in the node's {ns} namespace instead of its own",
            )


@lint(
    Rule(
        id="host-path-volume",
        severity="warning",
        category="lint",
        summary="A volume mounts a directory of the node (hostPath).",
        hint="Use an emptyDir for scratch space, a configMap/secret for files, or a "
        "PersistentVolumeClaim for data that must survive the Pod.",
        docs=DOCS + "concepts/storage/volumes/#hostpath",
        passing=_pod(
            _APP + "    volumeMounts:\n    - {name: data, mountPath: /data}\n",
            "  volumes:\n  - name: data\n    emptyDir: {}\n",
        ),
        failing=_pod(
            _APP + "    volumeMounts:\n    - {name: data, mountPath: /data}\n",
            "  volumes:\n  - name: data\n    hostPath: {path: /var/data}\n",
        ),
        description="hostPath ties the Pod to one node's disk and can expose host files; data "
        "does not follow the Pod when it is rescheduled.",
    )
)
def _host_path(pod: PodView) -> Iterator[Finding]:
    for i, v in enumerate(sequence(pod.spec.get("volumes"))):
        hp = mapping(v).get("hostPath")
        if not isinstance(hp, dict):
            continue
        where = hp.get("path")
        name = mapping(v).get("name")
        label = f'volume "{name}"' if isinstance(name, str) and name else f"volume #{i}"
        shown = f" {where}" if isinstance(where, str) else ""
        yield pod.finding(
            "host-path-volume",
            pod.at("volumes", i, "hostPath"),
            f"{label} mounts the node's directory{shown}: the data stays on that one node",
        )


@lint(
    Rule(
        id="host-port",
        severity="warning",
        category="lint",
        summary="A container port is bound to a port of the node (hostPort).",
        hint="Remove hostPort and expose the Pod with a Service (NodePort or LoadBalancer if it "
        "must be reached from outside).",
        docs=DOCS + "concepts/configuration/overview/#services",
        passing=_pod(_APP + "    ports:\n    - containerPort: 80\n"),
        failing=_pod(_APP + "    ports:\n    - containerPort: 80\n      hostPort: 8080\n"),
        description="Only one Pod per node can hold a given hostPort, which limits scheduling.",
    )
)
def _host_port(pod: PodView) -> Iterator[Finding]:
    if pod.spec.get("hostNetwork") is True:  # host-namespaces already covers it
        return
    for fld, i, c in _workload_containers(pod):
        for j, p in enumerate(sequence(c.get("ports"))):
            hp = _int(mapping(p).get("hostPort"))
            if hp:
                yield pod.finding(
                    "host-port",
                    pod.at(fld, i, "ports", j, "hostPort"),
                    f"{_label(fld, i, c)} binds port {hp} on the node: only one such Pod fits per node",
                )


@lint(
    Rule(
        id="container-port-clash",
        severity="warning",
        category="lint",
        summary="Two containers of one Pod declare the same port, but they share one network namespace.",
        hint="Give each container its own port: containers in a Pod share an IP, so only one "
        "process can listen on a given port.",
        docs=DOCS + "concepts/workloads/pods/#pod-networking",
        passing=_pod(
            _APP + "    ports:\n    - containerPort: 80\n"
            "  - name: metrics\n    image: nginx:1.22\n    ports:\n    - containerPort: 9090\n"
        ),
        failing=_pod(
            _APP + "    ports:\n    - containerPort: 80\n"
            "  - name: proxy\n    image: nginx:1.22\n    ports:\n    - containerPort: 80\n"
        ),
        description="Containers in a Pod share localhost and the Pod IP; the second one to bind "
        "the port fails with 'address already in use'.",
    )
)
def _port_clash(pod: PodView) -> Iterator[Finding]:
    # Sidecars (restartable init containers) run alongside the app; plain init containers do not.
    seen: dict[tuple[int, str], tuple[str, Any]] = {}
    running = [(f, i, c) for f, i, c in _workload_containers(pod) if f == "containers" or _is_sidecar(c)]
    for fld, i, c in running:
        mine: set[tuple[int, str]] = set()
        for j, p in enumerate(sequence(c.get("ports"))):
            p = mapping(p)
            port = _int(p.get("containerPort"))
            proto = p.get("protocol", "TCP")
            if port is None or not isinstance(proto, str):
                continue
            key = (port, proto)
            mine.add(key)
            owner = seen.get(key)
            if owner is not None and owner[0] != f"{fld}/{i}":
                yield pod.finding(
                    "container-port-clash",
                    pod.at(fld, i, "ports", j, "containerPort"),
                    f"{_label(fld, i, c)} declares port {port}/{proto}, like {owner[1]}: they share "
                    "one network namespace, so only one can listen on it",
                )
        for key in mine:
            seen.setdefault(key, (f"{fld}/{i}", _label(fld, i, c)))


_SECRET_WORDS = {"PASSWORD", "PASSWD", "TOKEN", "SECRET", "APIKEY", "CREDENTIALS", "CREDENTIAL"}
_SECRET_PAIRS = {"APIKEY", "ACCESSKEY", "SECRETKEY", "PRIVATEKEY", "AUTHTOKEN"}
_FLAG_VALUES = {"true", "false", "yes", "no", "on", "off", "0", "1"}
_NOT_SECRET_SUFFIX = {"FILE", "PATH", "DIR", "NAME", "REF", "URL", "HOST", "PORT", "ENABLED", "TTL"}


def _secret_name(name: str) -> bool:
    parts = [p for p in re.split(r"[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])", name) if p]
    parts = [p.upper() for p in parts]
    if not parts or parts[-1] in _NOT_SECRET_SUFFIX:
        return False
    if parts[-1] in _SECRET_WORDS:
        return True
    return len(parts) >= 2 and parts[-2] + parts[-1] in _SECRET_PAIRS


@lint(
    Rule(
        id="env-secret-literal",
        severity="warning",
        category="lint",
        summary="An environment variable that looks like a secret has its value written in the manifest.",
        hint="Store the value in a Secret and use valueFrom.secretKeyRef, so it is not in Git or "
        "visible to everyone who can read the Pod.",
        docs=DOCS + "concepts/configuration/secret/#using-secrets-as-environment-variables",
        passing=_pod(
            _APP + "    env:\n    - name: DB_PASSWORD\n      valueFrom:\n"
            "        secretKeyRef: {name: db, key: password}\n"
        ),
        failing=_pod(_APP + "    env:\n    - name: DB_PASSWORD\n      value: hunter2\n"),
        description="Anyone who can read the Pod (or the repository) can read a literal value.",
    )
)
def _env_secret(pod: PodView) -> Iterator[Finding]:
    for fld, i, c in pod.containers():
        for j, e in enumerate(sequence(c.get("env"))):
            e = mapping(e)
            name, value = e.get("name"), e.get("value")
            if not isinstance(name, str) or not isinstance(value, str) or not value.strip():
                continue
            # Flags such as MYSQL_ALLOW_EMPTY_PASSWORD: "yes" hold no secret.
            if value.startswith("$(") or value.strip().lower() in _FLAG_VALUES or not _secret_name(name):
                continue
            yield pod.finding(
                "env-secret-literal",
                pod.at(fld, i, "env", j, "value"),
                f"{_label(fld, i, c)}: {name} holds a literal value; load it from a Secret with valueFrom.secretKeyRef",
            )


# --- volumes and workload shape -------------------------------------------------------------


@lint(
    Rule(
        id="empty-dir-memory-no-limit",
        severity="warning",
        category="lint",
        summary="A memory-backed emptyDir (medium: Memory) has no sizeLimit.",
        hint="Set emptyDir.sizeLimit (e.g. 64Mi), and keep the containers' memory limits large "
        "enough for the files they write there.",
        docs=DOCS + "concepts/storage/volumes/#emptydir",
        passing=_pod(
            _APP + "    volumeMounts:\n    - {name: cache, mountPath: /cache}\n",
            "  volumes:\n  - name: cache\n    emptyDir: {medium: Memory, sizeLimit: 64Mi}\n",
        ),
        failing=_pod(
            _APP + "    volumeMounts:\n    - {name: cache, mountPath: /cache}\n",
            "  volumes:\n  - name: cache\n    emptyDir: {medium: Memory}\n",
        ),
        description="Files in a tmpfs emptyDir live in RAM and count as the container's memory "
        "use; without a size limit they can grow until the container is OOM-killed.",
    )
)
def _empty_dir_memory(pod: PodView) -> Iterator[Finding]:
    for i, v in enumerate(sequence(pod.spec.get("volumes"))):
        ed = mapping(v).get("emptyDir")
        if not isinstance(ed, dict) or ed.get("medium") != "Memory" or ed.get("sizeLimit") is not None:
            continue
        name = mapping(v).get("name")
        label = f'volume "{name}"' if isinstance(name, str) and name else f"volume #{i}"
        yield pod.finding(
            "empty-dir-memory-no-limit",
            pod.at("volumes", i, "emptyDir"),
            f"{label} keeps its files in RAM with no sizeLimit: they count against memory "
            "and can get the container OOM-killed",
        )


@lint(
    Rule(
        id="naked-pod",
        severity="info",
        category="lint",
        summary="A bare Pod is not recreated if it is deleted or its node fails.",
        hint="Run long-lived apps with a Deployment (or a Job for run-to-completion work); it "
        "creates and replaces the Pods for you.",
        docs=DOCS + "concepts/configuration/overview/#naked-pods-vs-replicasets-deployments-and-jobs",
        default_enabled=False,
        passing="apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: demo\nspec:\n"
        "  selector:\n    matchLabels: {app: demo}\n  template:\n    metadata:\n"
        "      labels: {app: demo}\n    spec:\n      containers:\n"
        "      - name: app\n        image: nginx:1.22\n",
        failing=_pod(_APP),
        description="Nothing watches a bare Pod: after a node failure or an eviction it is gone.",
    )
)
def _naked_pod(pod: PodView) -> Iterator[Finding]:
    if pod.kind == "Pod" and pod.spec_path == ("spec",):
        yield pod.finding(
            "naked-pod",
            ("kind",),
            "this is a bare Pod: nothing recreates it if it is deleted or its node fails",
        )


@lint(
    Rule(
        id="automount-service-account-token",
        severity="info",
        category="lint",
        summary="The Pod mounts a ServiceAccount API token it may not need.",
        hint="Set spec.automountServiceAccountToken: false unless the app calls the Kubernetes API.",
        docs=DOCS + "tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting",
        default_enabled=False,
        passing=_pod(_APP, "  automountServiceAccountToken: false\n"),
        failing=_pod(_APP),
        description="Every container can then read a token that talks to the API server; an "
        "attacker in the container gets it too.",
    )
)
def _automount(pod: PodView) -> Iterator[Finding]:
    value = pod.spec.get("automountServiceAccountToken")
    if value is False:
        return
    path = pod.at("automountServiceAccountToken") if value is True else pod.spec_path
    yield pod.finding(
        "automount-service-account-token",
        path,
        "the Pod mounts an API token in every container (unless its ServiceAccount opts out); "
        "set automountServiceAccountToken: false if the app does not call the API",
    )
