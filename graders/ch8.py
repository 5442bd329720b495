"""Chapter 8, resources and QoS: graders for its four exercises and its live cell (exercise 4).

Manifest cases quote the static checker's findings (unit lints, `requests-above-limits`)
and its QoS computation (`course.checker.qos`, which mirrors upstream `ComputePodQOS`), so
a learner's self-check with `check_text` and the graded feedback agree. Prediction tables
award a point per row and explain only the rows that are wrong.

The live cell runs the learner's Guaranteed Pod with the sandbox's LimitRange turned off
(its defaults would change the QoS class), reads the `status.qosClass` the API server
recorded, then makes the app container allocate memory past its limit and watches the
kubelet report it OOMKilled and restart it.
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from graders import live
from graders.answers import Answer
from graders.core import (
    Case,
    Exercise,
    Fail,
    dicts,
    errors,
    findings,
    is_pod,
    pod,
    same_image,
    short_repr,
    table_row,
    words,
)
from graders.core import find_container as _find
from graders.core import spec_of as _spec

RES_DOCS = "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/"
QOS_DOCS = "https://kubernetes.io/docs/concepts/workloads/pods/pod-qos/"
INIT_DOCS = "https://kubernetes.io/docs/concepts/workloads/pods/init-containers/#resource-sharing-within-containers"

UNIT_LINTS = ("memory-millibytes", "memory-no-unit", "cpu-units")
QOS = ("cpu", "memory")
MI = 2**20

# ---------------------------------------------------------------------------
# Reading Pods safely (answers may hold anything at any key)
# ---------------------------------------------------------------------------


def _qty(value: Any) -> Fraction | None:
    from course.checker.quantity import QuantityError, parse_quantity

    try:
        return parse_quantity(value)
    except (QuantityError, TypeError, ValueError, OverflowError, ZeroDivisionError):
        return None


def _resources(c: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(requests, limits) as written, each a mapping (empty when absent or not a mapping)."""
    res = c.get("resources")
    res = res if isinstance(res, dict) else {}
    req, lim = res.get("requests"), res.get("limits")
    return (req if isinstance(req, dict) else {}), (lim if isinstance(lim, dict) else {})


def _cpu_text(v: Fraction) -> str:
    cores = float(v)
    return f"{cores:g}" if cores.is_integer() else f"{cores * 1000:g}m"


def _mem_text(v: Fraction) -> str:
    if v % MI == 0:
        return f"{int(v // MI)}Mi"
    return f"{float(v):,.0f} bytes"


def _text(resource: str, v: Fraction) -> str:
    return _cpu_text(v) if resource == "cpu" else _mem_text(v)


def _docs(hint: str, url: str = RES_DOCS) -> str:
    return f"{hint} See {url}"


# ---------------------------------------------------------------------------
# Exercise 4: make the payments Pod Guaranteed (and the live cell that runs it)
# ---------------------------------------------------------------------------

PAYMENTS_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: payments
spec:
  initContainers:
  - name: db-migrate
    image: ghcr.io/example/payments-migrate:2.3.1
    args: ["migrate", "--to=latest"]
  - name: proxy
    image: ghcr.io/example/edge-proxy:1.4.0
    restartPolicy: Always
    resources:
      requests:
        cpu: 50m
        memory: 32Mi
  containers:
  - name: app
    image: ghcr.io/example/payments:2.3.1
    resources:
      requests:
        cpu: 250m
        memory: 64Mi
      limits:
        cpu: 500m
        memory: 64Mi
"""

# container -> (field, is a native sidecar, smallest cpu, smallest memory, largest cpu, largest memory)
SIZES: dict[str, tuple[str, bool, Fraction, Fraction, Fraction, Fraction]] = {
    "app": ("containers", False, Fraction(1, 4), Fraction(64 * MI), Fraction(1, 2), Fraction(128 * MI)),
    "proxy": ("initContainers", True, Fraction(1, 20), Fraction(32 * MI), Fraction(1, 2), Fraction(128 * MI)),
    "db-migrate": ("initContainers", False, Fraction(1, 10), Fraction(32 * MI), Fraction(1, 2), Fraction(128 * MI)),
}


def _structure(answer: Answer) -> Any:
    verdict = is_pod(answer)
    if verdict is not True:
        return verdict
    doc = pod(answer)
    meta = doc.get("metadata")
    got = meta.get("name") if isinstance(meta, dict) else None
    if got != "payments":
        return Fail(f"the Pod is named {got!r}.", path="metadata.name", hint="Keep `name: payments`.")
    for name, (fld, sidecar, *_rest) in SIZES.items():
        found = _find(doc, name)
        if found is None:
            return Fail(f"there is no container named {name!r} any more: deleting a container to change the QoS "
                        "class deletes what it does.", path=f"spec.{fld}",
                        hint=f"Keep {name} where it was and give it resources instead.")
        where, i, c = found
        if where != fld:
            return Fail(f"{name} moved to spec.{where}; it belongs in spec.{fld} (moving it changes when it runs, "
                        "and init containers count for the QoS class anyway).", path=f"spec.{where}[{i}]",
                        hint=f"Move {name} back to spec.{fld}.")
        if fld == "initContainers" and (c.get("restartPolicy") == "Always") != sidecar:
            want = "keep `restartPolicy: Always` (it is a native sidecar)" if sidecar else \
                "remove restartPolicy (it must run to completion before the app starts)"
            return Fail(f"{name}'s restartPolicy changed.", path=f"spec.initContainers[{i}].restartPolicy",
                        hint=f"{want[0].upper()}{want[1:]}.")
    return True


def _pod_budget(doc: dict[str, Any]) -> tuple[dict[str, Fraction], dict[str, Fraction]] | None:
    """Pod-level (requests, limits) for cpu and memory after the server's defaulting, when pod-level
    limits for both are set: then they, not the containers, decide the QoS class (section 3)."""
    from course.checker import defaults

    spec = _spec(doc)
    pl = defaults.pod_level(spec) if isinstance(spec, dict) else None
    if pl is None or any(r not in pl.limits for r in QOS):
        return None
    return ({r: pl.requests[r][0] for r in QOS if r in pl.requests}, {r: pl.limits[r][0] for r in QOS})


def _within_budget(name: str, base: str, c: dict[str, Any], budget: tuple[dict[str, Fraction], dict[str, Fraction]],
                   sizes: tuple[Fraction, Fraction, Fraction, Fraction]) -> Any:
    """With pod-level resources a container may use up to the smaller of its own limit and the Pod's."""
    lo_cpu, lo_mem, hi_cpu, hi_mem = sizes
    req, lim = _resources(c)
    _, pod_lim = budget
    for r, lo, hi in (("cpu", lo_cpu, hi_cpu), ("memory", lo_mem, hi_mem)):
        own = _qty(lim[r]) if r in lim else None
        cap = min(pod_lim[r], own) if own is not None else pod_lim[r]
        whose = f"its own {r} limit" if own is not None and own <= pod_lim[r] else f"the Pod's {r} limit"
        if cap < lo:
            where = f"{base}.limits[{r}]" if whose.startswith("its") else f"spec.resources.limits[{r}]"
            return Fail(f"{name} may use at most {_text(r, cap)} of {r} ({whose}), less than the {_text(r, lo)} it "
                        "needs.", path=where, hint=f"Let {name} use at least {_text(r, lo)} of {r}.")
        if cap > hi:
            return Fail(f"{name} may use up to {_text(r, cap)} of {r} ({whose}), more than the {_text(r, hi)} the task "
                        f"allows: with pod-level resources a container without a limit of its own may use the whole "
                        "Pod's limit.", path=f"{base}.limits[{r}]",
                        hint=f"Give {name} its own `limits.{r}` of at most {_text(r, hi)} (a pod-level limit still "
                        "decides the QoS class), or lower the Pod's limit.")
        if r in req and (_qty(req[r]) or Fraction(0)) < lo:
            return Fail(f"{name} requests {req[r]} of {r}, less than the {_text(r, lo)} it needs.",
                        path=f"{base}.requests[{r}]",
                        hint=f"Request at least {_text(r, lo)}, or leave the request out.")
    return True


def _needs_total(doc: dict[str, Any]) -> dict[str, Fraction]:
    """What the containers need together, phase by phase (running total vs. init peak), from the task's table."""
    from course.checker import defaults

    spec = copy.deepcopy(_spec(doc)) if isinstance(_spec(doc), dict) else {}
    for fld in ("initContainers", "containers"):
        for c in spec.get(fld) or []:
            if isinstance(c, dict) and c.get("name") in SIZES:
                _, _, lo_cpu, lo_mem, *_ = SIZES[c["name"]]
                c["resources"] = {"requests": {"cpu": str(float(lo_cpu)), "memory": str(int(lo_mem))}}
            elif isinstance(c, dict):
                c.pop("resources", None)
    got = defaults.aggregate(spec, defaults.container_requests)
    return {r: got[r][0] if r in got else Fraction(0) for r in QOS}


def _equal_and_sized(name: str) -> Callable[[Answer], Any]:
    """The container sets cpu and memory limits, requests equal to them, within the sizes the task gives
    (or, with a pod-level budget, may use what it needs and no more than the task allows)."""

    def test(answer: Answer) -> Any:
        doc = pod(answer)
        fld, _, lo_cpu, lo_mem, hi_cpu, hi_mem = SIZES[name]
        found = _find(doc, name)
        if found is None:
            return Fail(f"there is no container named {name!r}.", path=f"spec.{fld}",
                        hint=f"Keep {name} and give it resources.")
        where, i, c = found
        base = f"spec.{where}[{i}].resources"
        lints = findings(answer, *UNIT_LINTS, path_prefix=base)
        if lints:
            return lints
        budget = _pod_budget(doc)
        if budget is not None:
            return _within_budget(name, base, c, budget, (lo_cpu, lo_mem, hi_cpu, hi_mem))
        req, lim = _resources(c)
        for r in QOS:
            if r not in lim:
                return Fail(f"{name} has no {r} limit, so the Pod cannot be Guaranteed: every container, init "
                            "containers and sidecars included, needs cpu and memory limits.",
                            path=f"{base}.limits", hint=_docs(f"Add `{r}` under {name}'s resources.limits.", QOS_DOCS))
        for r in QOS:
            if r in req and _qty(req[r]) != _qty(lim[r]):
                return Fail(f"{name}'s {r} request ({req[r]}) differs from its {r} limit ({lim[r]}); Guaranteed "
                            "needs them equal.", path=f"{base}.requests[{r}]",
                            hint=_docs("Set the request to the limit, or delete the request: the API server then "
                                       "copies the limit into it.", QOS_DOCS))
        for r, lo, hi in (("cpu", lo_cpu, hi_cpu), ("memory", lo_mem, hi_mem)):
            got = _qty(lim[r])
            if got is None:
                return Fail(f"{name}'s {r} limit {lim[r]!r} is not a quantity.", path=f"{base}.limits[{r}]",
                            hint="Write a quantity such as 250m or 64Mi.")
            if got < lo:
                return Fail(f"{name} gets {_text(r, got)} of {r}, less than the {_text(r, lo)} it needs; a "
                            "Guaranteed container cannot burst above its limit.", path=f"{base}.limits[{r}]",
                            hint=f"Give {name} at least {_text(r, lo)} of {r} (request and limit).")
            if got > hi:
                return Fail(f"{name} gets {_text(r, got)} of {r}, more than the {_text(r, hi)} the task allows: "
                            "the scheduler would reserve it on the node whether or not it is used.",
                            path=f"{base}.limits[{r}]", hint=f"Stay at or below {_text(r, hi)}.")
        return True

    return test


def _guaranteed(answer: Answer) -> Any:
    from course.checker.qos import explain_qos

    pod(answer)
    result = answer.result
    got = getattr(result, "qos_class", None)
    budget = _pod_budget(pod(answer))
    if got == "Guaranteed" and budget is not None:
        need = _needs_total(pod(answer))
        requests, _ = budget
        for r in QOS:
            if requests.get(r, Fraction(0)) < need[r]:
                return Fail(f"the Pod's {r} budget (spec.resources, {_text(r, requests.get(r, Fraction(0)))}) is less "
                            f"than the {_text(r, need[r])} its containers need together (the larger of the running "
                            "total and the init peak, section 3).", path=f"spec.resources.limits[{r}]",
                            hint=f"Set the pod-level {r} request and limit to at least {_text(r, need[r])}.")
    if got == "Guaranteed":
        return True
    why = "; ".join(explain_qos(_spec(pod(answer)))) or "no container sets resources"
    return Fail(f"the API server would record status.qosClass: {got}, not Guaranteed ({why}).", path="spec",
                hint=_docs("Every container, init containers and sidecars included, needs cpu and memory limits "
                           "with requests equal to them.", QOS_DOCS))


def _clean(answer: Answer) -> Any:
    """No checker error and no unit warning, on a Pod (a Service has no resources to get wrong)."""
    verdict = is_pod(answer)
    if verdict is not True:
        return verdict
    return errors(answer) or findings(answer, *UNIT_LINTS)


guaranteed = Exercise(
    id="ch8.guaranteed",
    title="Exercise 4 - make the payments Pod Guaranteed",
    answer_name="GUARANTEED_POD",
    cases=[
        Case("one Pod named payments, with db-migrate (init), proxy (native sidecar) and app", 1, _structure),
        Case("app: cpu and memory limits, requests equal to them, sized as the task says", 1,
             _equal_and_sized("app")),
        Case("the API server would record status.qosClass: Guaranteed", 1, _guaranteed),
        Case("proxy (the sidecar): requests equal limits, sized as the task says", 1, _equal_and_sized("proxy"),
             hidden=True),
        Case("db-migrate (the init container): requests equal limits, sized as the task says", 1,
             _equal_and_sized("db-migrate"), hidden=True),
        Case("the checker reports no errors and no unit mistakes", 1, _clean, hidden=True),
    ],
)

# --- the live cell ---------------------------------------------------------

OOM_TRIGGER = "/tmp/podcourse-oom"
# The app's stand-in idles until the check touches the trigger file, then turns into a process that
# allocates without bound (`tail` keeps the "last lines" of /dev/zero, which has no newline). As PID 1
# it takes the container down with it when the kernel kills it at the cgroup's memory limit. After the
# restart the container's /tmp is new, so the stand-in idles again.
OOM_SCRIPT = (f"trap 'exit 0' TERM; while [ ! -e {OOM_TRIGGER} ]; do sleep 1; done; "
              "exec tail /dev/zero")
SIDECAR_SCRIPT = "trap 'exit 0' TERM; while true; do sleep 1; done"
MIGRATE_SCRIPT = "echo migrated"
# The check refuses to fill more memory than this, whatever limit the answer sets.
OOM_CAP = 256 * MI


def _plan_guaranteed(answer: Answer) -> live.Plan:
    doc = live.runnable(answer)
    notes: list[str] = []
    facts: dict[str, Any] = {}
    for name, script, role in (("db-migrate", MIGRATE_SCRIPT, "a migration that finishes at once"),
                               ("proxy", SIDECAR_SCRIPT, "a sidecar that keeps running"),
                               ("app", OOM_SCRIPT, "an app that, on the check's signal, allocates memory "
                                                   "without bound")):
        found = live.find_container(doc, name)
        if found is None:
            raise Fail(f"there is no container named {name!r}, so this Pod is not the exercise's Pod.",
                       path="spec.containers", hint=f"Keep the {name} container of the payments Pod.")
        fld, i, c = found
        if name == "app":
            if fld != "containers":
                raise Fail("app is not a regular container.", path=f"spec.{fld}[{i}]",
                           hint="Keep app in spec.containers.")
            facts["app"] = i
            facts["memory"] = _resources(c)[1].get("memory")
        notes.append(f"{name} runs a stand-in for {c.get('image')!r} ({role}): busybox:1.35 running `{script}`; "
                     "its resources are yours.")
        live.stand_in(c, "busybox:1.35", script)
    live.others_must_be_course_images(doc, tuple(SIZES))
    return live.Plan(doc, notes, facts=facts)


def _qos_recorded(handle: Any, report: Any, plan: live.Plan) -> list[str]:
    """What the API server wrote into status.qosClass when it admitted the Pod."""
    from course.checker.qos import explain_qos

    got = report.qos_class
    if got == "Guaranteed":
        return []
    why = "; ".join(explain_qos(_spec(plan.pod)))
    hint = _docs("Give every container, init containers and the sidecar included, cpu and memory limits, with "
                 "requests equal to them (or no requests: they default to the limits).", QOS_DOCS)
    return [f"status.qosClass: the API server recorded {got or 'no class'!r}, not 'Guaranteed' ({why}).\n"
            f"    -> {hint}"]


def _oom_at_limit(handle: Any, report: Any, plan: live.Plan) -> list[str]:
    """Touch the trigger; the stand-in allocates past the limit; the kubelet reports OOMKilled and restarts it."""
    from course.cluster import live as cluster

    where = ("spec", "containers", plan.facts["app"], "resources", "limits")
    limit = _qty(plan.facts.get("memory"))
    if limit is None or limit <= 0:
        return [live.exec_failure(where, "app has no memory limit of its own, so nothing but the node's memory "
                                         "would stop it; the check does not fill the node.",
                                  "Set resources.limits.memory on app (64Mi).")]
    if limit > OOM_CAP:
        return [live.exec_failure(where, f"app's memory limit ({plan.facts['memory']}) is above the "
                                         f"{_mem_text(Fraction(OOM_CAP))} this check is willing to fill.",
                                  "Give app the 64Mi the exercise asks for.")]
    before = report.container("app")
    restarts = before.restart_count if before is not None else 0
    fired = handle.sh("app", f"touch {OOM_TRIGGER}")
    if not fired.ok:
        return [live.exec_failure(("spec", "containers", plan.facts["app"]),
                                  f"the check could not signal app to start allocating: {live.output(fired)}.",
                                  "app must keep running; read `kubectl logs` for why it stopped.")]
    seen = None
    attempts = max(1, min(600, int(live.TIMING["timeout"] / max(live.TIMING["poll"], 0.01))))
    for _ in range(attempts):
        time.sleep(live.TIMING["poll"])
        with contextlib.suppress(Exception):
            now = cluster.summarize(cluster.read_pod(handle.api, handle.namespace, handle.name), handle.namespace)
            seen = now.container("app") or seen
        if seen is not None and (
            (seen.last_reason == "OOMKilled" and seen.restart_count > restarts)
            or (seen.state == "terminated" and seen.reason == "OOMKilled")
        ):
            return []
    if seen is None:
        state = "no status for app"
    else:
        last = f", last terminated {seen.last_reason} ({seen.last_exit_code})" if seen.last_reason else ""
        state = f"app {seen.state}{' (' + seen.reason + ')' if seen.reason else ''}, restarted " \
                f"{seen.restart_count} time(s){last}"
    return [live.exec_failure((*where, "memory"),
                              f"app allocated memory past its {plan.facts['memory']} limit, but the cluster never "
                              f"reported it OOMKilled and restarted ({state}).",
                              "A memory limit is enforced by the kernel's cgroup: check that app's "
                              "resources.limits.memory is the limit you meant (64Mi, not 64m or 64).")]


guaranteed_live = live.live_exercise(
    "ch8.guaranteed_live", "Live check - the payments Pod is Guaranteed, and its memory limit is enforced",
    "GUARANTEED_POD", _plan_guaranteed, "ch8-guaranteed",
    [("the Pod is admitted and becomes Ready on the cluster", 1, None),
     ("the API server records status.qosClass: Guaranteed", 1, _qos_recorded),
     ("app allocating past its memory limit is OOMKilled and restarted", 1, _oom_at_limit)],
    limit_range=False,
)

# ---------------------------------------------------------------------------
# Exercise 3: predict the QoS class
# ---------------------------------------------------------------------------

GUARANTEED, BURSTABLE, BEST_EFFORT = "Guaranteed", "Burstable", "BestEffort"

# letter -> (class, why), explained only for the rows a learner gets wrong.
CLASSES: dict[str, tuple[str, str]] = {
    "A": (BEST_EFFORT, "no container sets any cpu or memory request or limit."),
    "B": (GUARANTEED, "a limit without a request is copied into the request by the API server, so requests equal "
                      "limits for both cpu and memory."),
    "C": (BURSTABLE, "it sets resources, but its cpu request (500m) is not equal to its cpu limit (1)."),
    "D": (BURSTABLE, "init containers count: db-migrate sets no limits, so the Pod cannot be Guaranteed, even "
                     "though app alone would be."),
    "E": (BURSTABLE, "one request is enough to leave BestEffort; Guaranteed needs cpu and memory limits on every "
                     "container, and there are none."),
    "F": (BURSTABLE, "the LimitRange admission plugin fills in the missing values before the class is computed: "
                     "limits 500m/256Mi and requests 100m/128Mi, which differ."),
    "G": (GUARANTEED, "pod-level spec.resources decides the class when it sets cpu or memory; pod-level requests "
                      "default to the pod-level limits, so they are equal."),
    "H": (BEST_EFFORT, "only cpu and memory count for the QoS class; ephemeral-storage does not."),
}

_class = words({GUARANTEED: {"guaranteed", "g"}, BURSTABLE: {"burstable", "b"},
                BEST_EFFORT: {"besteffort", "be", "best"}},
               clean=lambda s: s.strip().lower().replace(" ", "").replace("-", "").replace("_", ""))


def _predict(letter: str) -> Any:
    want, why = CLASSES[letter]
    return table_row(letter, want, why, read=_class, noun="Pod", choices='"Guaranteed", "Burstable" or "BestEffort"',
                     unreadable='is not "Guaranteed", "Burstable" or "BestEffort"',
                     example='{"A": "BestEffort", "B": "Guaranteed", ...}', wrong="{label} is {want}, not {got}")


qos_classes = Exercise(
    id="ch8.qos_classes",
    title="Exercise 3 - predict the QoS class",
    answer_name="QOS_CLASSES",
    cases=[Case(f"Pod {letter}", 1, _predict(letter), hidden=letter not in ("A", "B")) for letter in CLASSES],
)

# ---------------------------------------------------------------------------
# Exercise 1: fix the unit mistakes
# ---------------------------------------------------------------------------

BROKEN_UNITS = """\
apiVersion: v1
kind: Pod
metadata:
  name: image-resizer
spec:
  containers:
  - name: resizer
    image: ghcr.io/example/resizer:1.4.0
    resources:
      requests:
        cpu: 500Mi
        memory: 128m
      limits:
        cpu: "1"
        memory: 256
  - name: uploader
    image: ghcr.io/example/uploader:0.9.2
    resources:
      requests:
        cpu: 100
        memory: 64M
      limits:
        memory: 64Mi
"""

# (container, requests|limits, resource) -> (the amount meant, how to write it)
MEANT: dict[tuple[str, str, str], tuple[Fraction, str]] = {
    ("resizer", "requests", "cpu"): (Fraction(1, 2), "500m (or 0.5)"),
    ("resizer", "requests", "memory"): (Fraction(128 * MI), "128Mi"),
    ("resizer", "limits", "cpu"): (Fraction(1), '"1" (or 1000m)'),
    ("resizer", "limits", "memory"): (Fraction(256 * MI), "256Mi"),
    ("uploader", "requests", "cpu"): (Fraction(1, 10), "100m (or 0.1)"),
    ("uploader", "requests", "memory"): (Fraction(64 * MI), "64Mi, equal to its limit"),
    ("uploader", "limits", "memory"): (Fraction(64 * MI), "64Mi"),
}


def _amount(name: str, kind: str, resource: str) -> Callable[[Answer], Any]:
    """The field holds the amount meant; a unit lint at that path is quoted when it fired."""

    def test(answer: Answer) -> Any:
        doc = pod(answer)
        want, said = MEANT[(name, kind, resource)]
        found = _find(doc, name)
        if found is None or found[0] != "containers":
            return Fail(f"there is no container named {name!r} in spec.containers.", path="spec.containers",
                        hint=f"Keep the {name} container and fix its resources.")
        _, i, c = found
        path = f"spec.containers[{i}].resources.{kind}"
        lints = findings(answer, *UNIT_LINTS, path_prefix=f"{path}[{resource}]")
        if lints:
            return lints
        value = (_resources(c)[0] if kind == "requests" else _resources(c)[1]).get(resource)
        if value is None:
            return Fail(f"{name} has no {kind}.{resource} any more.", path=path,
                        hint=f"Keep it, with the amount meant: {said}.")
        got = _qty(value)
        if got == want:
            return True
        where = f"{path}[{resource}]"
        if got is None:
            return Fail(f"{value!r} is not a quantity.", path=where, hint=f"Write {said}.")
        if resource == "memory" and str(value).endswith(("k", "M", "G")) and abs(got - want) < want / 8:
            return Fail(f"{value} is decimal: {float(got):,.0f} bytes, while {_mem_text(want)} is "
                        f"{float(want):,.0f} bytes (M means 10^6, Mi means 2^20).", path=where,
                        hint=_docs(f"Write {_mem_text(want)}.", RES_DOCS + "#meaning-of-memory"))
        return Fail(f"{value} is {_text(resource, got)}, but {name} needs {_text(resource, want)} here.", path=where,
                    hint=_docs(f"Write {said}.", RES_DOCS + f"#meaning-of-{resource}"))

    return test


def _both(*tests: Callable[[Answer], Any]) -> Callable[[Answer], Any]:
    def test(answer: Answer) -> Any:
        for t in tests:
            got = t(answer)
            if got is not True and got is not None and got != []:
                return got
        return True

    return test


UNITS_IMAGES = {"resizer": "ghcr.io/example/resizer:1.4.0", "uploader": "ghcr.io/example/uploader:0.9.2"}


def _uploader_no_cpu_limit(answer: Answer) -> Any:
    """uploader's table row says cpu limit: none; a limit there is a change the task did not ask for."""
    found = _find(pod(answer), "uploader")
    if found is None:
        return True  # the amount cases say the container is missing
    _, i, c = found
    if "cpu" in _resources(c)[1]:
        return Fail("uploader has a cpu limit, but the task gives it none (and says to keep which limits each "
                    "container sets): a cpu limit would throttle its uploads even on an idle node.",
                    path=f"spec.containers[{i}].resources.limits.cpu", hint="Remove uploader's cpu limit.")
    return True


def _only_quantities_changed(doc: dict[str, Any]) -> Fail | None:
    """The Pod's name, its two containers, their images and which requests and limits they set, as given."""
    import yaml

    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    if meta.get("name") != "image-resizer":
        return Fail(f"the Pod is named {short_repr(meta.get('name'))}; the task changes only quantities.",
                    path="metadata.name", hint="Keep `name: image-resizer`.")
    names = [c.get("name") for c in dicts(_spec(doc).get("containers"))]
    extra = [n for n in names if n not in UNITS_IMAGES]
    if extra:
        return Fail(f"the Pod has a container {short_repr(extra[0])} the task does not have.", path="spec.containers",
                    hint="Keep exactly the resizer and uploader containers.")
    given = {c["name"]: c for c in yaml.safe_load(BROKEN_UNITS)["spec"]["containers"]}
    for i, c in enumerate(dicts(_spec(doc).get("containers"))):
        name = c.get("name")
        if not same_image(c.get("image"), UNITS_IMAGES[name]):
            return Fail(f"{name}'s image is {short_repr(c.get('image'))}; only the quantities were wrong.",
                        path=f"spec.containers[{i}].image", hint=f"Keep `image: {UNITS_IMAGES[name]}`.")
        for k, kind in enumerate(("requests", "limits")):
            had = set(_resources(given[name])[k])
            added = sorted(set(_resources(c)[k]) - had - ({"cpu"} if (name, kind) == ("uploader", "limits") else set()))
            if added:
                return Fail(f"{name} now sets {kind}.{added[0]}, which it did not set before; the task keeps which "
                            "requests and limits each container sets.",
                            path=f"spec.containers[{i}].resources.{kind}.{added[0]}",
                            hint=f"Remove {kind}.{added[0]} from {name}.")
    return None


def _units_clean(answer: Answer) -> Any:
    """No checker error (requests-above-limits was one) and no unit warning anywhere, on the Pod's containers;
    and nothing but the quantities changed."""
    doc = pod(answer)
    missing = [n for n in ("resizer", "uploader") if _find(doc, n) is None]
    if missing:
        return Fail(f"there is no container named {missing[0]!r} any more.", path="spec.containers",
                    hint="Keep both containers and fix their quantities.")
    changed = _only_quantities_changed(doc)
    if changed is not None:
        return changed
    return _clean(answer)


fix_units = Exercise(
    id="ch8.fix_units",
    title="Exercise 1 - fix the unit mistakes",
    answer_name="FIXED_UNITS",
    cases=[
        Case("resizer requests half a core of cpu", 1, _amount("resizer", "requests", "cpu")),
        Case("resizer requests 128Mi of memory", 1, _amount("resizer", "requests", "memory")),
        Case("resizer's memory limit is 256Mi, and its cpu limit is still one core", 1,
             _both(_amount("resizer", "limits", "memory"), _amount("resizer", "limits", "cpu"))),
        Case("uploader requests 100m of cpu", 1, _amount("uploader", "requests", "cpu"), hidden=True),
        Case("uploader's memory request equals its 64Mi limit, and it still has no cpu limit", 1,
             _both(_amount("uploader", "requests", "memory"), _amount("uploader", "limits", "memory"),
                   _uploader_no_cpu_limit), hidden=True),
        Case("the checker reports no errors and no unit mistakes, and only the quantities changed", 1, _units_clean,
             hidden=True),
    ],
)

# ---------------------------------------------------------------------------
# Exercise 2: the effective request the scheduler uses
# ---------------------------------------------------------------------------

POD_A = """\
apiVersion: v1
kind: Pod
metadata:
  name: report-builder
spec:
  initContainers:
  - name: fetch-data
    image: busybox:1.35
    resources:
      requests: {cpu: "1", memory: 128Mi}
  - name: unpack
    image: busybox:1.35
    resources:
      requests: {cpu: 250m, memory: 256Mi}
  containers:
  - name: app
    image: python:3.11-slim
    resources:
      requests: {cpu: 500m, memory: 256Mi}
  - name: metrics
    image: busybox:1.35
    resources:
      requests: {cpu: 100m, memory: 64Mi}
"""

POD_B = """\
apiVersion: v1
kind: Pod
metadata:
  name: orders
spec:
  initContainers:
  - name: proxy
    image: nginx:1.22
    restartPolicy: Always
    resources:
      requests: {cpu: 200m, memory: 128Mi}
  - name: migrate
    image: busybox:1.35
    resources:
      requests: {cpu: 500m, memory: 512Mi}
  containers:
  - name: app
    image: python:3.11-slim
    resources:
      limits: {cpu: 600m, memory: 256Mi}
"""

# (Pod, resource) -> why, for a learner whose number is wrong.
EFFECTIVE_WHY: dict[tuple[str, str], str] = {
    ("A", "cpu"): "init containers run one at a time and finish before app and metrics start, so the Pod needs the "
                  "larger of fetch-data's 1 CPU and the app containers' 500m + 100m = 600m: 1 CPU, not a sum of all.",
    ("A", "memory"): "the larger of the biggest init container (unpack, 256Mi) and app + metrics (256Mi + 64Mi = "
                     "320Mi): 320Mi.",
    ("B", "cpu"): "proxy is a native sidecar: it keeps running next to app, so the Pod's running total is "
                  "proxy + app = 200m + 600m (app's limit is copied into its missing request) = 800m, more than "
                  "the init phase's 700m.",
    ("B", "memory"): "proxy starts before migrate and keeps running, so while migrate runs the Pod uses 128Mi + "
                     "512Mi = 640Mi; that peak is larger than proxy + app = 128Mi + 256Mi = 384Mi.",
}


def _effective_request(text: str) -> dict[str, Fraction]:
    """The cpu and memory the scheduler reserves for a Pod manifest (upstream's PodRequests, no overhead)."""
    import yaml

    from course.checker import defaults

    got = defaults.aggregate(_spec(yaml.safe_load(text)), defaults.container_requests)
    return {r: got[r][0] if r in got else Fraction(0) for r in QOS}


def _effective(letter: str, resource: str) -> Callable[[Answer], Any]:
    def test(answer: Answer) -> Any:
        data = answer.data
        example = '{"A": {"cpu": "...", "memory": "..."}, "B": {...}}'
        if not isinstance(data, dict):
            raise Fail(f"write a dict such as {example}.")
        table = {str(k).strip().upper(): v for k, v in data.items()}
        row = table.get(letter)
        if not isinstance(row, dict):
            return Fail(f"Pod {letter} has no answer.", hint=f'Add "{letter}": {{"cpu": "...", "memory": "..."}}.')
        row = {str(k).strip().lower(): v for k, v in row.items()}
        if resource not in row:
            return Fail(f"Pod {letter} has no {resource} value.", hint=f'Add "{resource}" to Pod {letter}.')
        value = row[resource]
        got = _qty(value.strip() if isinstance(value, str) else value)
        if got is None:
            return Fail(f"Pod {letter}'s {resource}: {value!r} is not a quantity.",
                        hint='Write it as Kubernetes does: "750m" or "1.5" for cpu, "256Mi" for memory.')
        want = _effective_request(POD_A if letter == "A" else POD_B)[resource]
        if got == want:
            return True
        if resource == "memory" and isinstance(value, str) and value.strip().endswith(("M", "G")) \
                and abs(got - want) < want / 8:
            return Fail(f"Pod {letter}'s memory: {value} is decimal ({float(got):,.0f} bytes); "
                        f"the requests add up in Mi: {_mem_text(want)}.")
        if resource == "memory" and isinstance(value, int | float) and not isinstance(value, bool) \
                and value * MI == want:
            return Fail(f"Pod {letter}'s memory: a plain number is bytes; write {_mem_text(want)}.")
        return Fail(f"Pod {letter}'s {resource} is {_text(resource, want)}, not {_text(resource, got)}: "
                    f"{EFFECTIVE_WHY[(letter, resource)]}",
                    hint=_docs("Per resource: the larger of (regular containers + sidecars) and the largest init "
                               "container plus the sidecars started before it.", INIT_DOCS))

    return test


effective = Exercise(
    id="ch8.effective",
    title="Exercise 2 - the effective request of a Pod",
    answer_name="EFFECTIVE",
    cases=[
        Case("Pod A: cpu", 1, _effective("A", "cpu")),
        Case("Pod A: memory", 1, _effective("A", "memory")),
        Case("Pod B: cpu", 1, _effective("B", "cpu"), hidden=True),
        Case("Pod B: memory", 1, _effective("B", "memory"), hidden=True),
    ],
)

EXERCISES = (fix_units, effective, qos_classes, guaranteed)
LIVE_CELLS = [(guaranteed_live, "GUARANTEED_POD", "ch8-guaranteed-test")]
