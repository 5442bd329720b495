"""Live-cluster tooling and checks: kind cluster lifecycle, sandboxes, and live Pod checks.

Importing this package does not import `kubernetes`; each function imports it when called.
"""

from __future__ import annotations

from typing import Any

from course.cluster.errors import ClusterError

_EXPORTS = {
    "LiveResult": "live",
    "PodReport": "live",
    "check_pod": "live",
    "dry_run": "live",
    "apply": "live",
    "wait_for_pod": "live",
    "live_policy": "live",
    "run_many": "live",
    "print_progress": "live",
    "Sandbox": "sandbox",
    "sweep_stale": "sandbox",
    "PodHandle": "probes",
    "ExecResult": "probes",
    "http_get_from": "probes",
    "file_visible": "probes",
    "processes_seen": "probes",
    "user_id": "probes",
    "write_fails": "probes",
    "connect": "client",
    "client_at": "client",
    "up": "kind",
    "down": "kind",
    "status": "kind",
    "load_images": "kind",
}

__all__ = ["ClusterError", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(name)
    import importlib

    return getattr(importlib.import_module(f"course.cluster.{module}"), name)
