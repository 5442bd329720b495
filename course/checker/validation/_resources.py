"""Resource requests and limits: names, quantities, requests against limits, pod-level resources.

A Pod's containers' requests default to their limits before validation (so a resource with
only a limit is never "above" anything, and a bad limit is reported for the request too), and
so do its pod-level resources (`course.checker.defaults`); pod templates are not defaulted.
Extended resources (`example.com/gpu`) and hugepages cannot be overcommitted, so their requests
must equal their limits. JSON null is the zero quantity.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from course.checker.defaults import (
    aggregate,
    container_limits,
    container_requests,
    parse_list,
    pod_level,
    pod_level_supported,
)
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


def _parse_list(
    ck: Checker, rl: Any, path: Path, *, pod_level: bool, notes: dict[str, str] | None = None
) -> Parsed:
    """Check the names and quantities of one requests/limits map; return the valid ones.

    JSON null decodes as the zero quantity. `notes` adds a word on entries the server filled in.
    """
    out: Parsed = {}
    notes = notes or {}
    for name, q in mapping(rl).items():
        if not isinstance(name, str):
            continue
        qpath = (*path, Key(name))
        note = f" {notes[name]}" if name in notes else ""
        if pod_level:
            errs = _resource_name_errors(name)
            for msg in errs:
                ck.add("pod-resource-name", ck.at(*qpath), invalid(name, msg) + note)
            if not errs and not pod_level_supported(name):
                ck.add(
                    "pod-resource-name",
                    ck.at(*qpath),
                    not_supported(name, ("cpu", "hugepages-", "memory"))
                    + ": pod-level resources support only cpu, memory and hugepages-<size>",
                )
        else:
            for msg in _container_name_errors(name):
                ck.add("resource-name", ck.at(*qpath), invalid(name, msg) + note)
        if q is None:
            q = 0  # null decodes as a zero quantity
        if isinstance(q, (bool, list, dict)):
            continue  # a type error: the schema stage reports it
        try:
            value = parse_quantity(q)
        except QuantityError as exc:
            ck.add("resource-quantity", ck.at(*qpath), invalid(q, str(exc)))
            continue
        shown = canonical(value, q)
        if value < 0:
            ck.add("resource-negative", ck.at(*qpath), invalid(shown, "must be greater than or equal to 0") + note)
        if _integer(name) and math.ceil(value * 1000) % 1000 != 0:
            ck.add(
                "resource-integer",
                ck.at(*qpath),
                invalid(shown, f"must be an integer ({name} is counted in whole devices)") + note,
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
                    invalid(shown, f"{shown} is not positive integer multiple of {name}") + note,
                )
        out[name] = (value, q)
    return out


def _compare(ck: Checker, requests: Parsed, limits: Parsed, base: Path, notes: dict[str, str] | None = None) -> None:
    """Requests must not exceed limits; non-overcommitable ones must equal them."""
    notes = notes or {}
    for name, (rq, rw) in requests.items():
        note = f" {notes[name]}" if name in notes else ""
        if name in limits:
            lq, lw = limits[name]
            if rq != lq and not _overcommit(name):
                ck.add(
                    "requests-must-equal-limits",
                    ck.at(*base, "requests"),
                    invalid(canonical(rq, rw), f"must be equal to {name} limit of {canonical(lq, lw)}") + note,
                )
            elif rq > lq:
                ck.add(
                    "requests-above-limits",
                    ck.at(*base, "requests"),
                    invalid(canonical(rq, rw), f"must be less than or equal to {name} limit of {canonical(lq, lw)}")
                    + note,
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
    raw_requests = mapping(r.get("requests"))
    requests_in = dict(raw_requests)
    notes: dict[str, str] = {}
    if ck.is_pod:
        # A Pod's containers are defaulted before validation: a limit without a request becomes
        # the request, so whatever is wrong with the limit is reported for the request too.
        for name in parse_list(r.get("limits")):
            if name not in requests_in:
                requests_in[name] = mapping(r.get("limits"))[name]
                notes[name] = f"(requests[{name}] is not set, so the API server copies limits[{name}] into it)"
    requests = _parse_list(ck, requests_in, (*base, "requests"), pod_level=False, notes=notes)
    _compare(ck, requests, limits, base)
    names_used = [n for n in (*mapping(r.get("limits")), *raw_requests) if isinstance(n, str)]
    if any(_hugepages(n) for n in names_used) and not any(n in ("cpu", "memory") for n in names_used):
        ck.add("hugepages-resource", ck.at(*base), forbidden("HugePages require cpu or memory"))


def pod_resources(ck: Checker) -> None:
    """spec.resources (pod-level, beta and on by default since 1.34), as the server validates it.

    A Pod's pod-level resources are defaulted first (`defaults.pod_level`); a pod template's are not.
    """
    if ck.version < (1, 34):
        return
    r = ck.spec.get("resources")
    if not isinstance(r, dict):
        return
    base: Path = ("resources",)
    if mapping(ck.spec.get("os")).get("name") == "windows":
        ck.add("windows-pod-fields", ck.at(*base), forbidden("may not be set for a windows pod"))
        return
    _parse_list(ck, r.get("limits"), (*base, "limits"), pod_level=True)
    _parse_list(ck, r.get("requests"), (*base, "requests"), pod_level=True)
    pl = pod_level(ck.spec, defaulted=ck.is_pod, fix_defaulting=ck.version >= (1, 37))
    if pl is None:
        return
    notes = {
        name: f"(spec.resources.{which}[{name}] is not set, so the API server fills it in from {origin})"
        for (which, name), origin in pl.filled.items()
    }
    _compare(ck, pl.requests, pl.limits, base, notes)
    totals = aggregate(ck.spec, lambda c: container_requests(c, defaulted=ck.is_pod))
    for name, (agg, aw) in totals.items():
        if name not in pl.requests:
            continue
        pv, pw = pl.requests[name]
        if agg > pv:
            ck.add(
                "pod-resources-consistency",
                ck.at(*base, "requests", Key(name)),
                invalid(
                    canonical(pv, pw),
                    f"must be greater than or equal to aggregate container requests of {canonical(agg, aw)}",
                ),
            )
    for name, (agg, aw) in aggregate(ck.spec, container_limits).items():
        if _hugepages(name) and name in pl.limits and agg > pl.limits[name][0]:
            pv, pw = pl.limits[name]
            ck.add(
                "pod-resources-consistency",
                ck.at(*base, "limits", Key(name)),
                invalid(
                    canonical(pv, pw),
                    f"must be greater than or equal to aggregate container limits of {canonical(agg, aw)}",
                ),
            )
    for i, c in enumerate(sequence(ck.spec.get("containers"))):
        for name, (v, w) in container_limits(c).items():
            if name not in pl.limits:
                continue
            pv, pw = pl.limits[name]
            if v > pv:
                # The server's own path for this error puts the resource name before `limits`.
                ck.add(
                    "pod-resources-consistency",
                    ck.at(*base, "containers", i, Key(name), "limits"),
                    invalid(canonical(v, w), f"must be less than or equal to pod limits of {canonical(pv, pw)}"),
                )
