"""Resource defaulting the API server applies to a Pod on create, before it validates it.

Two passes matter to the validation and QoS stages:

- per container (`SetDefaults_Pod`, Pods only, not pod templates): a limit without a request
  of the same name becomes the request;
- pod level (`DefaultPodLevelResources` in `PrepareForCreate`, 1.37 with
  PodLevelResourcesFixDefaulting): hugepage limits come up from the containers, missing cpu and
  memory requests become the containers' total requests (then a pod-level limit fills any request
  still missing), and a request without a limit gets one, max(request, containers' total limits),
  when every container sets that limit.

A quantity is kept as (value, what was written), so messages can print it the server's way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from course.checker.model import mapping, sequence
from course.checker.quantity import QuantityError, parse_quantity

Quantity = tuple[Fraction, object]
ResourceList = dict[str, Quantity]
HUGEPAGES = "hugepages-"
# Pod-level resources the API server accepts (with hugepages-<size>), and the ones it may
# default from the containers' requests (those that can be overcommitted).
POD_LEVEL_OVERCOMMIT = ("cpu", "memory")


def pod_level_supported(name: str) -> bool:
    return name in POD_LEVEL_OVERCOMMIT or name.startswith(HUGEPAGES)


def parse_list(value: Any) -> ResourceList:
    """The entries of a requests/limits map that are quantities; JSON null decodes as 0.

    Unreadable values are left out: the server refuses them while decoding, before any
    defaulting, and the validation stage reports them.
    """
    out: ResourceList = {}
    for name, q in mapping(value).items():
        if not isinstance(name, str):
            continue
        if q is None:
            out[name] = (Fraction(0), "0")
            continue
        if isinstance(q, bool | list | dict):
            continue
        try:
            out[name] = (parse_quantity(q), q)
        except (QuantityError, ValueError, OverflowError, ZeroDivisionError):
            continue
    return out


def _resources(c: Any) -> dict[str, Any]:
    return mapping(mapping(c).get("resources"))


def container_limits(c: Any) -> ResourceList:
    return parse_list(_resources(c).get("limits"))


def container_requests(c: Any, *, defaulted: bool = True) -> ResourceList:
    """A container's requests; with `defaulted`, as a Pod stores them (limits fill missing requests)."""
    r = _resources(c)
    out = parse_list(r.get("requests"))
    if defaulted:
        for name, q in parse_list(r.get("limits")).items():
            out.setdefault(name, q)
    return out


def _add(into: ResourceList, items: ResourceList) -> None:
    for name, (v, w) in items.items():
        if name in into:
            into[name] = (into[name][0] + v, into[name][1])  # keeps the first operand's format
        else:
            into[name] = (v, w)


def _max(into: ResourceList, items: ResourceList) -> None:
    for name, q in items.items():
        if name not in into or q[0] > into[name][0]:
            into[name] = q


def aggregate(spec: dict[str, Any], of: Callable[[Any], ResourceList]) -> ResourceList:
    """What the pod's containers add up to (`AggregateContainerRequests`/`...Limits`).

    Regular containers and sidecars (init containers with restartPolicy Always) add up;
    each plain init container runs beside the sidecars started before it, and the pod
    needs the largest of those steps if it exceeds the running total.
    """
    total: ResourceList = {}
    for c in sequence(spec.get("containers")):
        _add(total, of(c))
    sidecars: ResourceList = {}
    init_peak: ResourceList = {}
    for c in sequence(spec.get("initContainers")):
        own = of(c)
        if mapping(c).get("restartPolicy") == "Always":
            _add(total, own)
            _add(sidecars, own)
            step = dict(sidecars)
        else:
            step = dict(own)
            _add(step, sidecars)
        _max(init_peak, step)
    _max(total, init_peak)
    return total


@dataclass
class PodLevel:
    """spec.resources as the server validates it; `filled` says where each defaulted entry came from."""

    requests: ResourceList
    limits: ResourceList
    filled: dict[tuple[str, str], str] = field(default_factory=dict)


def pod_level(spec: dict[str, Any], *, defaulted: bool = True, fix_defaulting: bool = True) -> PodLevel | None:
    """Pod-level requests and limits, defaulted as on Pod create; None without spec.resources entries.

    `fix_defaulting` is 1.37's order (PodLevelResourcesFixDefaulting); without it, as in 1.34-1.36,
    requests are filled in only when the pod sets limits, and limits are never filled in.
    """
    r = spec.get("resources")
    if not isinstance(r, dict):
        return None
    raw_requests, raw_limits = mapping(r.get("requests")), mapping(r.get("limits"))
    if not raw_requests and not raw_limits:
        return None
    out = PodLevel(parse_list(raw_requests), parse_list(raw_limits))
    if not defaulted:
        return out
    requests, limits, filled = out.requests, out.limits, out.filled
    for name, q in aggregate(spec, container_limits).items():
        if name.startswith(HUGEPAGES) and name not in raw_requests and name not in raw_limits:
            limits[name] = q
            filled[("limits", name)] = "the containers' total hugepages limits"
    if not fix_defaulting and not limits:
        return out
    for name, q in aggregate(spec, container_requests).items():
        if name in POD_LEVEL_OVERCOMMIT and name not in raw_requests:
            requests[name] = q
            filled[("requests", name)] = "the containers' total requests"
    for name, q in limits.items():
        if name not in requests and name not in raw_requests and pod_level_supported(name):
            requests[name] = q
            filled[("requests", name)] = f"the pod-level limit ({name})"
    if not fix_defaulting:
        return out
    everyone = [mapping(c) for fld in ("initContainers", "containers") for c in sequence(spec.get(fld))]
    candidates = [
        n
        for n in requests
        if pod_level_supported(n)
        and n not in limits
        and n not in raw_limits
        and all(n in mapping(_resources(c).get("limits")) for c in everyone)
    ]
    if candidates:
        total = aggregate(spec, container_limits)
        for name in candidates:
            if name in total:
                q = total[name]
                if requests[name][0] > q[0]:
                    q = requests[name]
                limits[name] = q
                filled[("limits", name)] = "the larger of the pod-level request and the containers' total limits"
    return out


__all__ = [
    "PodLevel",
    "Quantity",
    "ResourceList",
    "aggregate",
    "container_limits",
    "container_requests",
    "parse_list",
    "pod_level",
    "pod_level_supported",
]
