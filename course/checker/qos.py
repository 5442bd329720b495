"""The Pod's QoS class, as the API server stores it in `status.qosClass`.

Mirrors upstream `ComputePodQOS` after API defaulting (requests default to
limits per container; pod-level requests/limits default from containers as
`defaults.pod_level` describes), with
the PodLevelResources feature on: only cpu and memory count, zero and invalid
values count as unset, and requests and limits are compared as sums over all
regular and init containers. Ephemeral containers cannot set resources and are
ignored, as upstream does.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from course.checker import defaults
from course.checker.quantity import QuantityError, parse_quantity

GUARANTEED = "Guaranteed"
BURSTABLE = "Burstable"
BEST_EFFORT = "BestEffort"

_QOS = ("cpu", "memory")

# A resource list after parsing: None marks a value the API server would reject
# (validation reports it); the key still exists, which matters for defaulting.
Res = dict[str, Fraction | None]


def _value(v: Any) -> Fraction | None:
    try:
        return parse_quantity(v)
    except (QuantityError, ValueError, OverflowError, ZeroDivisionError):
        return None


def _res(value: Any) -> Res | None:
    """Parsed resource list, or None when the field is absent or not a mapping."""
    if not isinstance(value, dict):
        return None
    return {k: _value(v) for k, v in value.items() if isinstance(k, str)}


class _Container:
    __slots__ = ("label", "limits", "raw_requests", "requests", "sidecar")

    def __init__(self, label: str, c: dict[str, Any], sidecar: bool) -> None:
        self.label = label
        self.sidecar = sidecar
        resources = c.get("resources")
        resources = resources if isinstance(resources, dict) else {}
        self.raw_requests = _res(resources.get("requests")) or {}
        limits = _res(resources.get("limits"))
        self.limits: Res = limits or {}
        # API defaulting: a limit without a request of the same name becomes the request.
        requests = dict(self.raw_requests)
        if limits is not None:
            for k, v in limits.items():
                requests.setdefault(k, v)
        self.requests = requests


def _containers(spec: dict[str, Any]) -> tuple[list[_Container], list[_Container]]:
    regular: list[_Container] = []
    init: list[_Container] = []
    for fld, out in (("containers", regular), ("initContainers", init)):
        items = spec.get(fld)
        if not isinstance(items, list):
            continue
        for i, c in enumerate(items):
            if not isinstance(c, dict):
                continue
            name = c.get("name")
            label = f"{'init container' if out is init else 'container'} "
            label += f'"{name}"' if isinstance(name, str) and name else f"#{i}"
            out.append(_Container(label, c, out is init and c.get("restartPolicy") == "Always"))
    return regular, init


def _add(total: dict[str, Fraction], items: Res) -> None:
    for k, v in items.items():
        if v is not None:
            total[k] = total.get(k, Fraction(0)) + v


def _pod_level(spec: dict[str, Any]) -> tuple[Res, Res] | None:
    """Pod-level requests and limits after the server's create-time defaulting, or None when
    they don't decide QoS (no spec.resources entries, or none for cpu, memory or hugepages)."""
    pl = defaults.pod_level(spec)
    if pl is None:
        return None
    requests: Res = {k: v for k, (v, _) in pl.requests.items()}
    limits: Res = {k: v for k, (v, _) in pl.limits.items()}
    if not any(defaults.pod_level_supported(k) for k in (*requests, *limits)):
        return None
    return requests, limits


def _positive(items: Res) -> dict[str, Fraction]:
    return {k: v for k, v in items.items() if k in _QOS and v is not None and v > 0}


def _classify(spec: Any) -> tuple[str, list[str]]:
    if not isinstance(spec, dict):
        return BEST_EFFORT, ["the pod spec is not a mapping, so no container sets any resources"]
    regular, init = _containers(spec)
    why: list[str] = []
    req_sum: dict[str, Fraction] = {}
    lim_sum: dict[str, Fraction] = {}
    guaranteed = True
    pod_level = _pod_level(spec)
    if pod_level is not None:
        requests, limits = pod_level
        why.append("spec.resources sets pod-level resources, so they decide the QoS class, not containers")
        _add(req_sum, _positive(requests))
        _add(lim_sum, _positive(limits))
        if limits:
            for r in _QOS:
                if r not in lim_sum:
                    guaranteed = False
                    why.append(f"the pod has no {r} limit in spec.resources.limits")
    else:
        for c in regular + init:
            req = _positive(c.requests)
            lim = _positive(c.limits)
            _add(req_sum, req)
            _add(lim_sum, lim)
            for r in _QOS:
                if r not in lim:
                    guaranteed = False
                    why.append(f"{c.label} has no {r} limit")
                elif r in req and req[r] != lim[r]:
                    why.append(f"{c.label} has a {r} request that differs from its {r} limit")
    if not req_sum and not lim_sum:
        return BEST_EFFORT, ["no container sets a cpu or memory request or limit"]
    filled = defaults.pod_level(spec).filled if pod_level is not None else {}  # type: ignore[union-attr]
    for r, v in req_sum.items():
        if lim_sum.get(r) != v:
            guaranteed = False
            if pod_level is not None and filled.get(("requests", r)) == "the containers' total requests":
                why.append(f"spec.resources.requests.{r} is unset, so the API server fills it in with the containers' "
                           f"total {r} requests, not with the pod-level {r} limit")
            elif pod_level is not None:
                why.append(f"the pod-level {r} request differs from the pod-level {r} limit")
            elif not any(r in w for w in why):
                why.append(f"the {r} requests do not add up to the {r} limits")
    if guaranteed and len(req_sum) == len(lim_sum):
        if pod_level is not None:
            return GUARANTEED, [why[0], "the pod-level cpu and memory requests equal the pod-level limits"]
        return GUARANTEED, ["every container sets cpu and memory limits, and every request equals its limit"]
    if not why:
        missing = sorted(set(lim_sum) - set(req_sum))
        why.extend(f"a {r} limit is set but its request is 0" for r in missing)
    return BURSTABLE, why


def qos_class(spec: dict[str, Any]) -> str:
    """`Guaranteed`, `Burstable` or `BestEffort`, as the API server would record it."""
    return _classify(spec)[0]


def explain_qos(spec: dict[str, Any]) -> list[str]:
    """Plain-English reasons for the class, e.g. `container "app" has no memory limit`."""
    return _classify(spec)[1]
