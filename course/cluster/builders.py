"""Manifests as plain dicts: what a sandbox creates and the pod templates exercises start from.

Plain dicts keep them printable in a notebook, comparable in tests and free of client models.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Any

SANDBOX_LABEL = "pod-course.io/sandbox"
EXERCISE_LABEL = "pod-course.io/exercise"
CREATED_ANNOTATION = "pod-course.io/created-at"
PSS_LEVELS = ("privileged", "baseline", "restricted")
_NS_PREFIX = "podcourse-"
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def slugify(text: object) -> str:
    """A DNS-label-safe slug short enough that prefix + slug + suffix fits in 63 characters."""
    raw = text if isinstance(text, str) else ""
    slug = re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-")[:46].rstrip("-")
    return slug or "check"


def sandbox_name(slug: object) -> str:
    """`podcourse-<slug>-<5 random>`: unique per run, recognisable in `kubectl get ns`."""
    suffix = "".join(secrets.choice(_ALPHABET) for _ in range(5))
    return f"{_NS_PREFIX}{slugify(slug)}-{suffix}"


def namespace_manifest(name: str, slug: str, created: datetime, pss_level: str | None = None) -> dict[str, Any]:
    """The sandbox namespace; its labels drive both cleanup and Pod Security admission."""
    labels = {SANDBOX_LABEL: "true", EXERCISE_LABEL: slugify(slug)}
    if pss_level is not None:
        if pss_level not in PSS_LEVELS:
            raise ValueError(f"unknown Pod Security level {pss_level!r}; use one of {PSS_LEVELS}")
        for mode in ("enforce", "warn", "audit"):
            labels[f"pod-security.kubernetes.io/{mode}"] = pss_level
            labels[f"pod-security.kubernetes.io/{mode}-version"] = "latest"
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": labels,
            "annotations": {CREATED_ANNOTATION: created.isoformat(timespec="seconds")},
        },
    }


def resource_quota_manifest(
    *, pods: int = 4, cpu: str = "1", memory: str = "1Gi", compute: bool = True
) -> dict[str, Any]:
    """Caps what one submission may claim.

    With `compute=False` only the pod count is capped: a compute quota makes the API reject
    pods without requests/limits, which BestEffort (QoS) exercises need to create.
    """
    hard: dict[str, str] = {"pods": str(pods)}
    if compute:
        hard.update({"requests.cpu": cpu, "requests.memory": memory, "limits.cpu": cpu, "limits.memory": memory})
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "podcourse-quota"},
        "spec": {"hard": hard},
    }


def limit_range_manifest(
    *, default_cpu: str = "250m", default_memory: str = "128Mi", max_cpu: str = "1", max_memory: str = "512Mi"
) -> dict[str, Any]:
    """Defaults for containers that state no resources, and a per-container ceiling.

    The defaults change a Pod's QoS class, so QoS exercises run without a LimitRange.
    """
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "podcourse-limits"},
        "spec": {
            "limits": [
                {
                    "type": "Container",
                    "default": {"cpu": default_cpu, "memory": default_memory},
                    "defaultRequest": {"cpu": default_cpu, "memory": default_memory},
                    "max": {"cpu": max_cpu, "memory": max_memory},
                }
            ]
        },
    }


def restricted_security_context() -> dict[str, Any]:
    """A container securityContext that satisfies the `restricted` Pod Security level."""
    return {
        "allowPrivilegeEscalation": False,
        "runAsNonRoot": True,
        "runAsUser": 65534,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def pod_template(
    name: str,
    image: str = "busybox:1.35",
    *,
    command: list[str] | None = None,
    container: str = "app",
    restricted: bool = True,
    resources: dict[str, Any] | None = None,
    restart_policy: str = "Always",
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A one-container Pod; `restricted=True` makes it admissible in a restricted sandbox."""
    c: dict[str, Any] = {"name": container, "image": image}
    if command is not None:
        c["command"] = list(command)
    if restricted:
        c["securityContext"] = restricted_security_context()
    if resources is not None:
        c["resources"] = resources
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": dict(labels or {"app": name})},
        "spec": {"containers": [c], "restartPolicy": restart_policy, "terminationGracePeriodSeconds": 1},
    }
