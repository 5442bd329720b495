"""The one version pin: the Kubernetes the checker, kind's node image and the local engine agree on.

A learner's self-check, the graded check and the course cluster must judge a Pod by the same
release, so every default below is derived from `KUBERNETES`. The runtime pieces of the local
engine are the ones kind's base image ships for that release (kind v0.33.0,
`images/base/Dockerfile`), so what learners meet on kind is what CI tests.

Why 1.37: upstream supports 1.35, 1.36 and 1.37 as of late 2026 (1.34 reached its end of life in
October 2026); the 1.37 kubelet still runs on a cgroup v1 host when `failCgroupV1: false` is set
(KEP-5573 deprecates v1, it does not yet remove it), which these CI machines need.
"""

from __future__ import annotations

#: The Kubernetes release of the course cluster (kind node image and local engine).
KUBERNETES = "v1.37.0"
#: "1.37": the checker's default schema and validation version.
KUBERNETES_MINOR = ".".join(KUBERNETES.lstrip("v").split(".")[:2])
#: The Pod Security Standards policy version that `latest` means on that API server.
PSS_VERSION = f"v{KUBERNETES_MINOR}"

#: kind release and its node image for KUBERNETES (kind's own default, pinned by digest).
KIND = "v0.33.0"
KIND_NODE_IMAGE = (
    "kindest/node:v1.37.0@sha256:a1ed56cfb0e7b93589bdf97c8cd566405a265939e3620fc4f5de89adff580ae5"
)

#: What kind's base image ships beside the Kubernetes binaries (kind v0.33.0).
CONTAINERD = "v2.3.4"
RUNC = "v1.4.3"
CNI_PLUGINS = "v1.9.1"
CRICTL = "v1.36.0"
#: etcd and pause as kubeadm v1.37 pins them (cmd/kubeadm/app/constants).
ETCD = "v3.7.0"
PAUSE_IMAGE = "registry.k8s.io/pause:3.10.2"
