"""The namespaces lab: build a pod sandbox by hand from Linux namespaces and watch what it shares."""

from course.sandbox.core import (
    PRIVATE_MOUNT,
    SHARED_MOUNT,
    Container,
    PodSandbox,
    SandboxError,
    Support,
    ns_links,
    pid_alive,
    pids_in_namespace,
    sandbox_support,
)
from course.sandbox.observe import OBSERVATIONS
from course.sandbox.recorded import load_recorded, observe

__all__ = [
    "OBSERVATIONS",
    "PRIVATE_MOUNT",
    "SHARED_MOUNT",
    "Container",
    "PodSandbox",
    "SandboxError",
    "Support",
    "load_recorded",
    "ns_links",
    "observe",
    "pid_alive",
    "pids_in_namespace",
    "sandbox_support",
]
