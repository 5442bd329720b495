"""Resource requests and limits: names, quantities, requests against limits, pod-level resources.

Containers' requests default to their limits, so a resource with only a limit
is never "above" anything; extended resources (`example.com/gpu`) and hugepages
cannot be overcommitted, so their requests must equal their limits.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from course.checker.model import mapping, sequence
from course.checker.quantity import QuantityError, parse_quantity
from course.checker.validation import _names as names
from course.checker.validation._messages import forbidden, invalid, not_supported, required
from course.checker.validation._quantity import canonical
from course.findings import Key, Path

if TYPE_CHECKING:
    from course.checker.validation._check import Checker

__all__ = ["QuantityError", "container_resources", "parse_quantity", "pod_resources"]

CONTAINER_STANDARD = frozenset({"cpu", "memory", "ephemeral-storage"})
STANDARD = frozenset(
    {
        "cpu",
        "memory",
        "ephemeral-storage",
        "requests.cpu",
        "requests.memory",
        "requests.ephemeral-storage",
        "limits.cpu",
        "limits.memory",
        "limits.ephemeral-storage",
        "pods",
        "services",
        "replicationcontrollers",
        "resourcequotas",
        "secrets",
        "configmaps",
        "persistentvolumeclaims",
        "storage",
        "requests.storage",
        "services.nodeports",
        "services.loadbalancers",
    }
)
INTEGER_STANDARD = frozenset(
    {
        "pods",
        "services",
        "replicationcontrollers",
        "resourcequotas",
        "secrets",
        "configmaps",
        "persistentvolumeclaims",
        "services.nodeports",
        "services.loadbalancers",
    }
)
HUGEPAGES = "hugepages-"
Parsed = dict[str, tuple[Fraction, object]]


def _native(name: str) -> bool:
    return "/" not in name or "kubernetes.io/" in name


def _extended(name: str) -> bool:
    if _native(name) or name.startswith("requests."):
        return False
    return not names.qualified_name("requests." + name)


def _hugepages(name: str) -> bool:
    return name.startswith(HUGEPAGES)


def _overcommit(name: str) -> bool:
    return _native(name) and not _hugepages(name)


def _integer(name: str) -> bool:
    return name in INTEGER_STANDARD or _extended(name)


def _resource_name_errors(name: str) -> list[str]:
    errs = names.qualified_name(name)
    if errs:
        return errs
    if (
        "/" not in name
        and name not in STANDARD
        and not _hugepages(name)
        and not name.startswith(("requests.hugepages-", "limits.hugepages-"))
    ):
        return ["must be a standard resource type or fully qualified"]
    return []


def _container_name_errors(name: str) -> list[str]:
    errs = _resource_name_errors(name)
    if "/" not in name:
        if name not in CONTAINER_STANDARD and not _hugepages(name):
            errs.append("must be a standard resource for containers (cpu, memory, ephemeral-storage, hugepages-<size>)")
    elif not _native(name) and not _extended(name):
        errs.append("doesn't follow extended resource name standard")
    return errs


def _parse_list(ck: Checker, rl: Any, path: Path, *, pod_level: bool) -> Parsed:
    """Check the names and quantities of one requests/limits map; return the valid ones."""
    out: Parsed = {}
    for name, q in mapping(rl).items():
        if not isinstance(name, str):
            continue
        qpath = (*path, Key(name))
        if pod_level and name == "pids":
            pass  # pod-level PID limits (newer releases); left to the cluster
        elif pod_level:
            errs = _resource_name_errors(name)
            for msg in errs:
                ck.add("pod-resource-name", ck.at(*qpath), invalid(name, msg))
            if not errs and name not in ("cpu", "memory") and not _hugepages(name):
                ck.add(
                    "pod-resource-name",
                    ck.at(*qpath),
                    not_supported(name, ("cpu", "memory")) + ": pod-level resources support only cpu and memory",
                )
        else:
            for msg in _container_name_errors(name):
                ck.add("resource-name", ck.at(*qpath), invalid(name, msg))
        if q is None or isinstance(q, (bool, list, dict)):
            continue  # a type error: the schema stage reports it
        try:
            value = parse_quantity(q)
        except QuantityError as exc:
            ck.add("resource-quantity", ck.at(*qpath), invalid(q, str(exc)))
            continue
        shown = canonical(value, q)
        if value < 0:
            ck.add("resource-negative", ck.at(*qpath), invalid(shown, "must be greater than or equal to 0"))
        if _integer(name) and math.ceil(value * 1000) % 1000 != 0:
            ck.add(
                "resource-integer",
                ck.at(*qpath),
                invalid(shown, f"must be an integer ({name} is counted in whole devices)"),
            )
        if _hugepages(name):
            try:
                page = parse_quantity(name[len(HUGEPAGES) :])
            except QuantityError:
                page = Fraction(0)
            whole = math.ceil(value)
            if page <= 0 or whole % page != 0:
                ck.add(
                    "hugepages-resource",
                    ck.at(*qpath),
                    invalid(shown, f"{shown} is not positive integer multiple of {name}"),
                )
        out[name] = (value, q)
    return out


def _compare(ck: Checker, requests: Parsed, limits: Parsed, base: Path) -> None:
    """Requests must not exceed limits; non-overcommitable ones must equal them."""
    for name, (rq, rw) in requests.items():
        if name in limits:
            lq, lw = limits[name]
            if rq != lq and not _overcommit(name):
                ck.add(
                    "requests-must-equal-limits",
                    ck.at(*base, "requests"),
                    invalid(canonical(rq, rw), f"must be equal to {name} limit of {canonical(lq, lw)}"),
                )
            elif rq > lq:
                ck.add(
                    "requests-above-limits",
                    ck.at(*base, "requests"),
                    invalid(canonical(rq, rw), f"must be less than or equal to {name} limit of {canonical(lq, lw)}"),
                )
        elif not _overcommit(name):
            ck.add(
                "requests-must-equal-limits",
                ck.at(*base, "limits"),
                required(f"Limit must be set for non overcommitable resources (set limits[{name}] to the request)"),
            )


def container_resources(ck: Checker, c: dict[str, Any], where: Path) -> None:
    r = c.get("resources")
    if not isinstance(r, dict):
        return
    base = (*where, "resources")
    limits = _parse_list(ck, r.get("limits"), (*base, "limits"), pod_level=False)
    requests = _parse_list(ck, r.get("requests"), (*base, "requests"), pod_level=False)
    _compare(ck, requests, limits, base)
    names_used = [n for n in (*mapping(r.get("limits")), *mapping(r.get("requests"))) if isinstance(n, str)]
    if any(_hugepages(n) for n in names_used) and not any(n in ("cpu", "memory") for n in names_used):
        ck.add("hugepages-resource", ck.at(*base), forbidden("HugePages require cpu or memory"))


def _container_requests(c: Any) -> Parsed:
    """A container's requests after defaulting (limits fill in missing requests)."""
    r = mapping(mapping(c).get("resources"))
    out: Parsed = {}
    for key in ("limits", "requests"):
        for name, q in mapping(r.get(key)).items():
            if not isinstance(name, str) or q is None or isinstance(q, (bool, list, dict)):
                continue
            try:
                out[name] = (parse_quantity(q), q)
            except QuantityError:
                continue
    return out


def _aggregate(spec: dict[str, Any]) -> Parsed:
    """What the containers of a pod request in total: regular plus sidecars, or the largest init step."""
    total: dict[str, Fraction] = {}
    shown: dict[str, object] = {}

    def add(into: dict[str, Fraction], reqs: Parsed) -> None:
        for n, (v, w) in reqs.items():
            into[n] = into.get(n, Fraction(0)) + v
            shown.setdefault(n, w)

    for c in sequence(spec.get("containers")):
        add(total, _container_requests(c))
    sidecars: dict[str, Fraction] = {}
    init_peak: dict[str, Fraction] = {}
    for c in sequence(spec.get("initContainers")):
        reqs = _container_requests(c)
        if mapping(c).get("restartPolicy") == "Always":
            add(total, reqs)
            add(sidecars, reqs)
            continue
        step = dict(sidecars)
        add(step, reqs)
        for n, v in step.items():
            init_peak[n] = max(init_peak.get(n, Fraction(0)), v)
    for n, v in init_peak.items():
        total[n] = max(total.get(n, Fraction(0)), v)
    return {n: (v, shown.get(n, "")) for n, v in total.items()}


def pod_resources(ck: Checker) -> None:
    """spec.resources (pod-level, beta and on by default since 1.34)."""
    if ck.version < (1, 34):
        return
    r = ck.spec.get("resources")
    if not isinstance(r, dict):
        return
    base: Path = ("resources",)
    limits = _parse_list(ck, r.get("limits"), (*base, "limits"), pod_level=True)
    requests = _parse_list(ck, r.get("requests"), (*base, "requests"), pod_level=True)
    _compare(ck, requests, limits, base)
    effective = {**limits, **requests}
    for name, (agg, aw) in _aggregate(ck.spec).items():
        if name in effective and agg > effective[name][0]:
            pv, pw = effective[name]
            ck.add(
                "pod-resources-consistency",
                ck.at(*base, "requests", Key(name)),
                invalid(
                    canonical(pv, pw),
                    f"must be greater than or equal to aggregate container requests of {canonical(agg, aw)}",
                ),
            )
    for i, c in enumerate(sequence(ck.spec.get("containers"))):
        climits = mapping(mapping(mapping(c).get("resources")).get("limits"))
        for name, q in climits.items():
            if name not in limits or q is None or isinstance(q, (bool, list, dict)):
                continue
            try:
                v = parse_quantity(q)
            except QuantityError:
                continue
            pv, pw = limits[name]
            if v > pv:
                # The server's own path for this error puts the resource name before `limits`.
                ck.add(
                    "pod-resources-consistency",
                    ck.at(*base, "containers", i, Key(name), "limits"),
                    invalid(canonical(v, q), f"must be less than or equal to pod limits of {canonical(pv, pw)}"),
                )
