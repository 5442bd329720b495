"""The API server as the static checker's oracle.

Every case (a Pod or a workload with a pod template) is submitted to the course cluster's API
server with a server-side dry-run (`dryRun=All`, `fieldValidation=Strict`, as kubectl's default
`--validate=strict` does) and checked by `course.checker`; the two verdicts are compared on four
aspects:

- verdict: accepted by the server vs. no error from the checker;
- fields: the field paths of the server's 422 causes vs. the paths of the checker's errors;
- pss: the strictest of privileged/baseline/restricted whose enforcing namespace admits the
  Pod, vs. the checker's Pod Security level (policy `latest`);
- qos: the `status.qosClass` the server stores vs. the checker's QoS class.

The cases come from the shared corpus of real manifests, the PASS/FAIL examples of the rule
registry, and systematic mutations of a few valid Pods (`mutation_cases`). Used by
`tests/cluster/test_oracle.py` (which fails on a disagreement not listed in
`tests/cluster/oracle_known.yaml`), `benchmarks/bench_oracle.py`, and
`python tools/oracle.py --report` (the table in docs/oracle.md).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import copy
import csv
import json
import re
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from course.checker import engine  # noqa: E402
from course.checker.model import POD_SPEC_PATHS  # noqa: E402

LEVELS = ("privileged", "baseline", "restricted")
_PLURALS = {
    "Pod": ("", "v1", "pods"),
    "PodTemplate": ("", "v1", "podtemplates"),
    "ReplicationController": ("", "v1", "replicationcontrollers"),
    "Deployment": ("apps", "v1", "deployments"),
    "ReplicaSet": ("apps", "v1", "replicasets"),
    "StatefulSet": ("apps", "v1", "statefulsets"),
    "DaemonSet": ("apps", "v1", "daemonsets"),
    "Job": ("batch", "v1", "jobs"),
    "CronJob": ("batch", "v1", "cronjobs"),
}


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------


@dataclass
class Case:
    id: str
    doc: dict[str, Any]
    origin: str  # corpus | rule | mutation


def _submittable(doc: Any) -> bool:
    return (isinstance(doc, dict) and doc.get("kind") in _PLURALS
            and isinstance(doc.get("apiVersion"), str))


def corpus_cases(shared: Path) -> list[Case]:
    """Every pod-bearing document of the shared corpus that PyYAML can read."""
    index = shared / "corpus" / "INDEX.tsv"
    out: list[Case] = []
    with index.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            path = shared / "corpus" / row["path"]
            try:
                docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
            except yaml.YAMLError:
                continue
            n = 0
            for doc in docs:
                items = doc.get("items") if isinstance(doc, dict) and doc.get("kind") == "List" else [doc]
                for item in items if isinstance(items, list) else []:
                    if _submittable(item):
                        rel = row["path"].removeprefix("manifests/")
                        out.append(Case(f"corpus:{rel}#{n}", item, "corpus"))
                    n += 1
    return out


def rule_cases() -> list[Case]:
    """The PASS and FAIL example of every registered rule that is a Pod or workload."""
    import course.cluster.rules  # noqa: F401  (registers the live rules)
    from course.findings import all_rules

    out = []
    for rule in sorted(all_rules().values(), key=lambda r: r.id):
        for which, text in (("pass", rule.passing), ("fail", rule.failing)):
            try:
                docs = list(yaml.safe_load_all(text or ""))
            except yaml.YAMLError:
                continue
            for i, doc in enumerate(docs):
                if _submittable(doc):
                    out.append(Case(f"rule:{rule.id}:{which}#{i}", doc, "rule"))
    return out


# --- mutations --------------------------------------------------------------------------

_IMG = "busybox:1.35"


def _c(name: str, **kw: Any) -> dict[str, Any]:
    return {"name": name, "image": _IMG, "command": ["sleep", "3600"], **kw}


def bases() -> dict[str, dict[str, Any]]:
    """Valid Pods, each using a different part of the API, for the mutations to start from."""
    web = {
        "name": "web", "image": "nginx:1.22",
        "ports": [{"name": "http", "containerPort": 80, "protocol": "TCP"}],
        "env": [{"name": "MODE", "value": "prod"}, {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath":
                                                                                                "status.podIP"}}}],
        "readinessProbe": {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 5, "failureThreshold": 3},
        "livenessProbe": {"tcpSocket": {"port": 80}, "initialDelaySeconds": 5, "timeoutSeconds": 2},
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}},
        "volumeMounts": [{"name": "cache", "mountPath": "/var/cache/nginx"}],
        "imagePullPolicy": "IfNotPresent",
    }
    restricted_sc = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                     "capabilities": {"drop": ["ALL"]}}
    return {
        "plain": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "plain", "labels": {"app": "plain"}},
                  "spec": {"containers": [_c("app")]}},
        "web": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
                "spec": {"containers": [web], "volumes": [{"name": "cache", "emptyDir": {"sizeLimit": "64Mi"}}],
                         "terminationGracePeriodSeconds": 30, "restartPolicy": "Always"}},
        "restricted": {
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "hardened"},
            "spec": {
                "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 2000,
                                    "seccompProfile": {"type": "RuntimeDefault"}},
                "automountServiceAccountToken": False,
                "containers": [_c("app", securityContext=restricted_sc,
                                  volumeMounts=[{"name": "tmp", "mountPath": "/tmp"}],
                                  resources={"requests": {"cpu": "50m", "memory": "32Mi"},
                                             "limits": {"memory": "32Mi"}})],
                "volumes": [{"name": "tmp", "emptyDir": {}}],
            },
        },
        "sidecar": {
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "orders"},
            "spec": {
                "shareProcessNamespace": True,
                "initContainers": [
                    _c("migrate", command=["sh", "-c", "echo migrated"]),
                    _c("shipper", restartPolicy="Always",
                       startupProbe={"exec": {"command": ["true"]}, "periodSeconds": 1, "failureThreshold": 30},
                       volumeMounts=[{"name": "logs", "mountPath": "/logs", "readOnly": True}]),
                ],
                "containers": [_c("app", volumeMounts=[{"name": "logs", "mountPath": "/logs"}],
                                  lifecycle={"preStop": {"sleep": {"seconds": 5}}})],
                "volumes": [{"name": "logs", "emptyDir": {}}],
            },
        },
        "burstable": {
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "mixed", "annotations": {"note": "x"}},
            "spec": {
                "containers": [
                    _c("app", resources={"requests": {"cpu": "250m", "memory": "128Mi"}},
                       env=[{"name": "LIMIT", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory",
                                                                                  "containerName": "app"}}}],
                       volumeMounts=[{"name": "cfg", "mountPath": "/etc/app", "readOnly": True},
                                     {"name": "all", "mountPath": "/projected"}]),
                    _c("helper", ports=[{"containerPort": 9000}],
                       readinessProbe={"exec": {"command": ["cat", "/tmp/ready"]}, "successThreshold": 2}),
                ],
                "volumes": [
                    {"name": "cfg", "configMap": {"name": "app-config", "optional": True,
                                                  "items": [{"key": "app.conf", "path": "app.conf"}]}},
                    {"name": "all", "projected": {"sources": [
                        {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}},
                        {"downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath":
                                                                                  "metadata.labels"}}]}}]}},
                ],
                "dnsPolicy": "ClusterFirst",
                "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "course", "effect": "NoSchedule"}],
                "nodeSelector": {"kubernetes.io/os": "linux"},
            },
        },
        "deployment": {
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [copy.deepcopy(web)],
                                           "volumes": [{"name": "cache", "emptyDir": {}}]}}},
        },
    }


def _leaves(obj: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _leaves(v, (*path, i))
    else:
        yield path, obj


def _nodes(obj: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every dict and list below `obj` (with its path), the root excluded."""
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for k, v in items:
        if isinstance(v, dict | list):
            yield (*path, k), v
            yield from _nodes(v, (*path, k))


def _fmt(path: Sequence[Any]) -> str:
    out = ""
    for seg in path:
        out += f"[{seg}]" if isinstance(seg, int) else (f".{seg}" if out else str(seg))
    return out


def _set(doc: dict[str, Any], path: Sequence[Any], value: Any) -> dict[str, Any]:
    new = copy.deepcopy(doc)
    cur: Any = new
    for seg in path[:-1]:
        cur = cur[seg]
    cur[path[-1]] = value
    return new


def _delete(doc: dict[str, Any], path: Sequence[Any]) -> dict[str, Any]:
    new = copy.deepcopy(doc)
    cur: Any = new
    for seg in path[:-1]:
        cur = cur[seg]
    del cur[path[-1]]
    return new


_SCALAR_OPS: dict[str, Callable[[Any], Any]] = {
    "str": lambda v: str(v) if not isinstance(v, str) else 123,
    "neg": lambda v: -1,
    "zero": lambda v: 0,
    "huge": lambda v: 2**31,
    "empty": lambda v: "",
    "upper": lambda v: "Bad_Value",
    "long": lambda v: "x" * 300,
    "yes": lambda v: "yes",
    "null": lambda v: None,
}


def _scalar_ops(value: Any) -> list[str]:
    if isinstance(value, bool):
        return ["str", "yes", "null"]
    if isinstance(value, int):
        return ["str", "neg", "zero", "huge", "null"]
    if isinstance(value, str):
        return ["str", "empty", "upper", "long", "null"]
    return []


def _targeted(base: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Hand-picked mistakes of the chapters' topics, on the first container of a Pod base."""
    if base.get("kind") != "Pod":
        return
    c0 = ("spec", "containers", 0)

    def sc(**kw: Any) -> dict[str, Any]:
        cur = copy.deepcopy(base["spec"]["containers"][0].get("securityContext") or {})
        cur.update(kw)
        return _set(base, (*c0, "securityContext"), cur)

    def psc(**kw: Any) -> dict[str, Any]:
        cur = copy.deepcopy(base["spec"].get("securityContext") or {})
        cur.update(kw)
        return _set(base, ("spec", "securityContext"), cur)

    def spec(**kw: Any) -> dict[str, Any]:
        new = copy.deepcopy(base)
        new["spec"].update(kw)
        return new

    def res(requests: Any = None, limits: Any = None) -> dict[str, Any]:
        r: dict[str, Any] = {}
        if requests is not None:
            r["requests"] = requests
        if limits is not None:
            r["limits"] = limits
        return _set(base, (*c0, "resources"), r)

    # security
    yield "privileged", sc(privileged=True)
    yield "privileged-no-escalation", sc(privileged=True, allowPrivilegeEscalation=False)
    for cap in ("NET_ADMIN", "SYS_ADMIN", "NET_RAW", "CHOWN", "ALL", "NET_BIND_SERVICE", "CAP_NET_ADMIN", "SYS_TIME",
                "KILL", "AUDIT_WRITE", "net_admin"):
        yield f"cap-add-{cap}", sc(capabilities={"add": [cap]})
        yield f"cap-add-{cap}-drop-all", sc(capabilities={"drop": ["ALL"], "add": [cap]})
    yield "cap-drop-net-raw", sc(capabilities={"drop": ["NET_RAW"]})
    yield "run-as-root", sc(runAsUser=0)
    yield "run-as-root-nonroot", sc(runAsUser=0, runAsNonRoot=True)
    yield "pod-run-as-root", psc(runAsUser=0)
    yield "nonroot-false", sc(runAsNonRoot=False)
    yield "group-only", psc(runAsGroup=3000)
    yield "escalation-true", sc(allowPrivilegeEscalation=True)
    for t in ("Unconfined", "RuntimeDefault", "Localhost", "Bogus"):
        yield f"seccomp-{t}", sc(seccompProfile={"type": t})
        yield f"pod-seccomp-{t}", psc(seccompProfile={"type": t})
    yield "seccomp-localhost-profile", sc(seccompProfile={"type": "Localhost", "localhostProfile": "p.json"})
    yield "seccomp-runtime-with-profile", sc(seccompProfile={"type": "RuntimeDefault", "localhostProfile": "p.json"})
    for t in ("Unconfined", "RuntimeDefault", "Localhost"):
        yield f"apparmor-{t}", sc(appArmorProfile={"type": t})
    yield "apparmor-localhost-profile", sc(appArmorProfile={"type": "Localhost", "localhostProfile": "k8s-x"})
    yield "proc-unmasked", sc(procMount="Unmasked")
    yield "proc-unmasked-userns", spec(hostUsers=False, containers=[
        {**base["spec"]["containers"][0], "securityContext": {
            **(base["spec"]["containers"][0].get("securityContext") or {}), "procMount": "Unmasked"}}])
    yield "host-users-false", spec(hostUsers=False)
    for hn in ("hostNetwork", "hostPID", "hostIPC"):
        yield f"{hn}", spec(**{hn: True})
    yield "host-port", _set(base, (*c0, "ports"), [{"containerPort": 8080, "hostPort": 8080}])
    yield "host-path", spec(volumes=[*base["spec"].get("volumes", []), {"name": "host", "hostPath": {"path": "/etc"}}])
    for s in ("kernel.shm_rmid_forced", "net.ipv4.ip_unprivileged_port_start", "kernel.msgmax", "net.core.somaxconn",
              "net.ipv4.ping_group_range", "vm.swappiness"):
        yield f"sysctl-{s}", psc(sysctls=[{"name": s, "value": "0"}])
    yield "selinux-type", sc(seLinuxOptions={"type": "container_t"})
    yield "selinux-bad-type", sc(seLinuxOptions={"type": "spc_t"})
    yield "selinux-user", sc(seLinuxOptions={"user": "system_u"})
    yield "windows-hostprocess", sc(windowsOptions={"hostProcess": True})
    yield "readonly-root-false", sc(readOnlyRootFilesystem=False)
    # resources and QoS
    yield "req-gt-limit", res({"cpu": "500m", "memory": "64Mi"}, {"cpu": "250m", "memory": "64Mi"})
    yield "mem-req-gt-limit", res({"memory": "128Mi"}, {"memory": "64Mi"})
    yield "limits-only", res(None, {"cpu": "200m", "memory": "64Mi"})
    yield "limits-only-mem", res(None, {"memory": "64Mi"})
    yield "requests-only", res({"cpu": "200m", "memory": "64Mi"})
    yield "guaranteed", res({"cpu": "1", "memory": "1Gi"}, {"cpu": "1000m", "memory": "1024Mi"})
    yield "guaranteed-units", res({"cpu": "0.5", "memory": "1Gi"}, {"cpu": "500m", "memory": "1073741824"})
    for q in ("1GB", "0.5Gi", "-1", "1e3", "100m", "64mi", "1.5", "abc", "", "1Ki", "0"):
        yield f"mem-{q or 'empty'}", res({"memory": q})
        yield f"cpu-{q or 'empty'}", res({"cpu": q})
    yield "cpu-int", res({"cpu": 1})
    yield "mem-int", res({"memory": 67108864})
    yield "gpu-unequal", res({"nvidia.com/gpu": "1"}, {"nvidia.com/gpu": "2"})
    yield "gpu-limit-only", res(None, {"nvidia.com/gpu": "1"})
    yield "gpu-request-only", res({"nvidia.com/gpu": "1"})
    yield "unknown-resource", res({"gpu": "1"})
    yield "hugepages-alone", res({"hugepages-2Mi": "2Mi"}, {"hugepages-2Mi": "2Mi"})
    yield "hugepages-with-mem", res({"hugepages-2Mi": "2Mi", "memory": "64Mi"}, {"hugepages-2Mi": "2Mi",
                                                                                   "memory": "64Mi"})
    yield "ephemeral", res({"ephemeral-storage": "1Gi"}, {"ephemeral-storage": "2Gi"})
    yield "pod-resources", spec(resources={"requests": {"cpu": "500m", "memory": "256Mi"},
                                           "limits": {"cpu": "500m", "memory": "256Mi"}})
    yield "pod-resources-burstable", spec(resources={"requests": {"cpu": "500m"}})
    yield "pod-resources-gpu", spec(resources={"limits": {"nvidia.com/gpu": "1"}})
    yield "pod-resources-lt-container", spec(resources={"limits": {"memory": "1Mi"}})
    # probes
    probe = (*c0, "livenessProbe")
    yield "probe-two-handlers", _set(base, probe, {"exec": {"command": ["true"]}, "tcpSocket": {"port": 80}})
    yield "probe-no-handler", _set(base, probe, {"periodSeconds": 5})
    yield "probe-liveness-success-2", _set(base, probe, {"exec": {"command": ["true"]}, "successThreshold": 2})
    yield "probe-period-0", _set(base, probe, {"exec": {"command": ["true"]}, "periodSeconds": 0})
    yield "probe-timeout-neg", _set(base, probe, {"exec": {"command": ["true"]}, "timeoutSeconds": -1})
    yield "probe-grace", _set(base, probe, {"exec": {"command": ["true"]}, "terminationGracePeriodSeconds": 10})
    yield "probe-grace-0", _set(base, probe, {"exec": {"command": ["true"]}, "terminationGracePeriodSeconds": 0})
    yield "probe-grpc", _set(base, probe, {"grpc": {"port": 9090}})
    yield "probe-grpc-named", _set(base, probe, {"grpc": {"port": "grpc"}})
    yield "probe-http-port-0", _set(base, probe, {"httpGet": {"port": 0}})
    yield "probe-http-named-missing", _set(base, probe, {"httpGet": {"port": "nope"}})
    yield "probe-http-named-long", _set(base, probe, {"httpGet": {"port": "a-very-long-port-name"}})
    yield "probe-http-path-rel", _set(base, probe, {"httpGet": {"port": 80, "path": "healthz"}})
    yield "probe-http-scheme", _set(base, probe, {"httpGet": {"port": 80, "scheme": "https"}})
    yield "probe-http-host", _set(base, probe, {"httpGet": {"port": 80, "host": "127.0.0.1"}})
    yield "probe-http-header", _set(base, probe, {"httpGet": {"port": 80, "httpHeaders": [{"name": "X A",
                                                                                          "value": "1"}]}})
    yield "probe-exec-empty", _set(base, probe, {"exec": {"command": []}})
    yield "probe-tcp-string", _set(base, probe, {"tcpSocket": {"port": "80"}})
    yield "startup-success-2", _set(base, (*c0, "startupProbe"), {"exec": {"command": ["true"]},
                                                                   "successThreshold": 2})
    yield "readiness-success-2", _set(base, (*c0, "readinessProbe"), {"exec": {"command": ["true"]},
                                                                       "successThreshold": 2})
    # restart policies and lifecycle
    for rp in ("Always", "OnFailure", "Never", "always", "Sometimes"):
        yield f"pod-restart-{rp}", spec(restartPolicy=rp)
        yield f"container-restart-{rp}", _set(base, (*c0, "restartPolicy"), rp)
    yield "init-sidecar-probe", spec(initContainers=[_c("side", restartPolicy="Always",
                                                        readinessProbe={"exec": {"command": ["true"]}})])
    yield "init-probe", spec(initContainers=[_c("init", readinessProbe={"exec": {"command": ["true"]}})])
    yield "init-lifecycle", spec(initContainers=[_c("init", lifecycle={"preStop": {"exec": {"command": ["x"]}}})])
    yield "prestop-sleep-0", _set(base, (*c0, "lifecycle"), {"preStop": {"sleep": {"seconds": 0}}})
    yield "prestop-sleep-neg", _set(base, (*c0, "lifecycle"), {"preStop": {"sleep": {"seconds": -1}}})
    yield "prestop-sleep-long", _set(base, (*c0, "lifecycle"), {"preStop": {"sleep": {"seconds": 600}}})
    yield "poststart-http", _set(base, (*c0, "lifecycle"), {"postStart": {"httpGet": {"port": 80}}})
    yield "lifecycle-empty-hook", _set(base, (*c0, "lifecycle"), {"preStop": {}})
    yield "stop-signal", _set(base, (*c0, "lifecycle"), {"stopSignal": "SIGUSR1"})
    yield "grace-neg", spec(terminationGracePeriodSeconds=-5)
    yield "deadline-0", spec(activeDeadlineSeconds=0)
    # names and duplicates
    for name in ("Web", "web_1", "a" * 64, "web.1", "-web", "web-", "1web", "web" * 21):
        yield f"pod-name-{name[:12]}", _set(base, ("metadata", "name"), name)
        yield f"container-name-{name[:12]}", _set(base, (*c0, "name"), name)
    for pname in ("HTTP", "a-very-long-name", "80", "web-", "w--b", "h_t"):
        yield f"port-name-{pname}", _set(base, (*c0, "ports"), [{"name": pname, "containerPort": 8080}])
    yield "port-dup", _set(base, (*c0, "ports"), [{"containerPort": 8080}, {"containerPort": 8080}])
    yield "port-dup-udp", _set(base, (*c0, "ports"), [{"containerPort": 53}, {"containerPort": 53, "protocol": "UDP"}])
    yield "port-dup-name", _set(base, (*c0, "ports"), [{"name": "a", "containerPort": 1}, {"name": "a",
                                                                                         "containerPort": 2}])
    yield "port-protocol-tcp", _set(base, (*c0, "ports"), [{"containerPort": 8080, "protocol": "tcp"}])
    yield "port-protocol-http", _set(base, (*c0, "ports"), [{"containerPort": 8080, "protocol": "HTTP"}])
    yield "port-sctp", _set(base, (*c0, "ports"), [{"containerPort": 8080, "protocol": "SCTP"}])
    yield "port-hostip", _set(base, (*c0, "ports"), [{"containerPort": 8080, "hostIP": "127.0.0.1"}])
    yield "dup-container", spec(containers=[*base["spec"]["containers"], copy.deepcopy(base["spec"]["containers"][0])])
    yield "dup-init-regular", spec(initContainers=[copy.deepcopy(base["spec"]["containers"][0])])
    yield "dup-volume", spec(volumes=[{"name": "v", "emptyDir": {}}, {"name": "v", "emptyDir": {}}])
    yield "volume-two-sources", spec(volumes=[{"name": "v", "emptyDir": {}, "configMap": {"name": "x"}}])
    yield "volume-no-source", spec(volumes=[{"name": "v"}])
    yield "mount-missing-volume", _set(base, (*c0, "volumeMounts"), [{"name": "nope", "mountPath": "/x"}])
    yield "mount-dup-path", spec(volumes=[{"name": "v", "emptyDir": {}}], containers=[{
        **base["spec"]["containers"][0], "volumeMounts": [{"name": "v", "mountPath": "/x"},
                                                            {"name": "v", "mountPath": "/x"}]}])
    yield "mount-relative", spec(volumes=[{"name": "v", "emptyDir": {}}], containers=[{
        **base["spec"]["containers"][0], "volumeMounts": [{"name": "v", "mountPath": "x"}]}])
    yield "mount-subpath-abs", spec(volumes=[{"name": "v", "emptyDir": {}}], containers=[{
        **base["spec"]["containers"][0], "volumeMounts": [{"name": "v", "mountPath": "/x", "subPath": "/a"}]}])
    yield "mount-subpath-dotdot", spec(volumes=[{"name": "v", "emptyDir": {}}], containers=[{
        **base["spec"]["containers"][0], "volumeMounts": [{"name": "v", "mountPath": "/x", "subPath": "../a"}]}])
    yield "mount-subpath-both", spec(volumes=[{"name": "v", "emptyDir": {}}], containers=[{
        **base["spec"]["containers"][0], "volumeMounts": [{"name": "v", "mountPath": "/x", "subPath": "a",
                                                            "subPathExpr": "$(A)"}]}])
    yield "mount-rro", spec(volumes=[{"name": "v", "emptyDir": {}}], containers=[{
        **base["spec"]["containers"][0], "volumeMounts": [{"name": "v", "mountPath": "/x",
                                                            "recursiveReadOnly": "Enabled"}]}])
    yield "mount-propagation", spec(volumes=[{"name": "v", "emptyDir": {}}], containers=[{
        **base["spec"]["containers"][0], "volumeMounts": [{"name": "v", "mountPath": "/x",
                                                            "mountPropagation": "Bidirectional"}]}])
    yield "emptydir-medium", spec(volumes=[{"name": "v", "emptyDir": {"medium": "Disk"}}])
    yield "emptydir-memory", spec(volumes=[{"name": "v", "emptyDir": {"medium": "Memory", "sizeLimit": "1Gi"}}])
    yield "emptydir-size-neg", spec(volumes=[{"name": "v", "emptyDir": {"sizeLimit": "-1"}}])
    yield "configmap-no-name", spec(volumes=[{"name": "v", "configMap": {}}])
    yield "configmap-mode", spec(volumes=[{"name": "v", "configMap": {"name": "c", "defaultMode": 999}}])
    yield "configmap-item-abs", spec(volumes=[{"name": "v", "configMap": {"name": "c", "items": [
        {"key": "a", "path": "/abs"}]}}])
    yield "secret-no-name", spec(volumes=[{"name": "v", "secret": {}}])
    yield "projected-token-short", spec(volumes=[{"name": "v", "projected": {"sources": [
        {"serviceAccountToken": {"path": "t", "expirationSeconds": 60}}]}}])
    yield "pvc-no-claim", spec(volumes=[{"name": "v", "persistentVolumeClaim": {}}])
    yield "image-volume", spec(volumes=[{"name": "v", "image": {"reference": "busybox:1.35"}}])
    # env
    for ename in ("MY VAR", "1VAR", "my-var", "MY.VAR", "", "MY=VAR", "ÄVAR"):
        yield f"env-name-{ename or 'empty'}", _set(base, (*c0, "env"), [{"name": ename, "value": "x"}])
    yield "env-value-and-from", _set(base, (*c0, "env"), [{"name": "A", "value": "x", "valueFrom": {"fieldRef": {
        "fieldPath": "metadata.name"}}}])
    yield "env-fieldref-bad", _set(base, (*c0, "env"), [{"name": "A", "valueFrom": {"fieldRef": {
        "fieldPath": "spec.bogus"}}}])
    yield "env-resource-bad", _set(base, (*c0, "env"), [{"name": "A", "valueFrom": {"resourceFieldRef": {
        "resource": "limits.gpu"}}}])
    yield "env-cm-no-key", _set(base, (*c0, "env"), [{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "c"}}}])
    yield "envfrom-prefix", _set(base, (*c0, "envFrom"), [{"prefix": "1-", "configMapRef": {"name": "c"}}])
    yield "envfrom-empty", _set(base, (*c0, "envFrom"), [{}])
    yield "env-dup", _set(base, (*c0, "env"), [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}])
    # images and pull policy
    for img in ("", "nginx:", "NGINX:1.22", "nginx:1.22 ", "docker.io/library/nginx:1.22",
                "nginx@sha256:abc", "localhost:5000/app:v1", "nginx:latest"):
        yield f"image-{img or 'empty'}", _set(base, (*c0, "image"), img)
    for pp in ("Always", "Never", "IfNotPresent", "always", "Sometimes"):
        yield f"pull-{pp}", _set(base, (*c0, "imagePullPolicy"), pp)
    # scheduling and DNS
    for dp in ("ClusterFirst", "Default", "None", "ClusterFirstWithHostNet", "clusterfirst"):
        yield f"dns-{dp}", spec(dnsPolicy=dp)
    yield "dns-none-config", spec(dnsPolicy="None", dnsConfig={"nameservers": ["1.1.1.1"]})
    yield "dns-bad-ns", spec(dnsConfig={"nameservers": ["not-an-ip"]})
    yield "dns-options", spec(dnsConfig={"options": [{"name": "ndots", "value": "2"}]})
    yield "host-aliases", spec(hostAliases=[{"ip": "10.0.0.1", "hostnames": ["db"]}])
    yield "host-aliases-bad", spec(hostAliases=[{"ip": "nope", "hostnames": ["Bad_Host"]}])
    yield "node-selector-bad", spec(nodeSelector={"bad key!": "x"})
    yield "node-selector-long", spec(nodeSelector={"a" * 70: "x"})
    yield "toleration-exists-value", spec(tolerations=[{"key": "k", "operator": "Exists", "value": "v"}])
    yield "toleration-bad-op", spec(tolerations=[{"key": "k", "operator": "In", "value": "v"}])
    yield "toleration-bad-effect", spec(tolerations=[{"key": "k", "value": "v", "effect": "Never"}])
    yield "toleration-seconds", spec(tolerations=[{"key": "k", "operator": "Exists", "effect": "NoSchedule",
                                                    "tolerationSeconds": 10}])
    yield "affinity-empty-terms", spec(affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": []}}})
    yield "priority-neg", spec(priority=-5)
    yield "hostname-bad", spec(hostname="Bad_Name")
    yield "subdomain-bad", spec(subdomain="Bad_Name")
    yield "share-pid-hostpid", spec(shareProcessNamespace=True, hostPID=True)
    yield "sa-name-bad", spec(serviceAccountName="Bad_Name")
    yield "os-windows", spec(os={"name": "windows"})
    yield "os-windows-sc", spec(os={"name": "windows"}, securityContext={"runAsUser": 1000})
    yield "ephemeral-at-create", spec(ephemeralContainers=[{"name": "debug", "image": _IMG}])
    yield "scheduling-gate", spec(schedulingGates=[{"name": "example.com/gate"}])
    yield "readiness-gate", spec(readinessGates=[{"conditionType": "example.com/ready"}])
    yield "readiness-gate-bad", spec(readinessGates=[{"conditionType": "Bad Type"}])
    yield "working-dir-rel", _set(base, (*c0, "workingDir"), "rel/dir")
    yield "termination-msg-policy", _set(base, (*c0, "terminationMessagePolicy"), "Always")
    yield "stdin-once", _set(base, (*c0, "stdinOnce"), True)
    yield "labels-bad", _set(base, ("metadata", "labels"), {"bad key!": "x"})
    yield "labels-value-long", _set(base, ("metadata", "labels"), {"app": "x" * 64})
    yield "annotations-bad", _set(base, ("metadata", "annotations"), {"bad key!": "x"})


def mutation_cases() -> list[Case]:
    """Systematic mistakes on the bases: every leaf retyped or pushed out of range, every list and
    map duplicated, emptied, retyped or given an unknown field, plus hand-picked topic mistakes."""
    out: list[Case] = []
    for bname, base in bases().items():
        out.append(Case(f"mut:{bname}:base", copy.deepcopy(base), "mutation"))
        for path, value in _leaves(base):
            if path[:1] in (("apiVersion",), ("kind",)):
                continue
            for op in _scalar_ops(value):
                out.append(Case(f"mut:{bname}:{_fmt(path)}:{op}", _set(base, path, _SCALAR_OPS[op](value)),
                                "mutation"))
            out.append(Case(f"mut:{bname}:{_fmt(path)}:delete", _delete(base, path), "mutation"))
        for path, node in _nodes(base):
            if isinstance(node, list):
                if node:
                    out.append(Case(f"mut:{bname}:{_fmt(path)}:dup", _set(base, path, [*node, copy.deepcopy(
                        node[0])]), "mutation"))
                out.append(Case(f"mut:{bname}:{_fmt(path)}:empty-list", _set(base, path, []), "mutation"))
                out.append(Case(f"mut:{bname}:{_fmt(path)}:as-map", _set(base, path, {"a": 1}), "mutation"))
            else:
                out.append(Case(f"mut:{bname}:{_fmt(path)}:unknown-field", _set(base, path, {**node, "bogusField": 1}),
                                "mutation"))
                out.append(Case(f"mut:{bname}:{_fmt(path)}:as-list", _set(base, path, [node]), "mutation"))
                out.append(Case(f"mut:{bname}:{_fmt(path)}:as-string", _set(base, path, "x"), "mutation"))
        for name, doc in _targeted(base):
            out.append(Case(f"mut:{bname}:{name}", doc, "mutation"))
    seen: set[str] = set()
    unique = []
    for case in out:
        if case.id not in seen:
            seen.add(case.id)
            unique.append(case)
    return unique


def all_cases(shared: Path | None) -> list[Case]:
    cases = rule_cases() + mutation_cases()
    if shared is not None and (shared / "corpus" / "INDEX.tsv").is_file():
        cases = corpus_cases(shared) + cases
    return cases


# ---------------------------------------------------------------------------
# Verdicts
# ---------------------------------------------------------------------------


@dataclass
class Verdict:
    accepted: bool
    fields: frozenset[str] = frozenset()
    qos: str | None = None
    pss: str | None = None
    code: int = 0
    message: str = ""
    environment: bool = False  # refused for a reason outside the object (missing ServiceAccount, ...)
    seconds: float = 0.0
    rules: frozenset[str] = frozenset()


def pod_of(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The Pod a document would run: itself, or a Pod built from its pod template."""
    kind = doc.get("kind")
    if kind == "Pod":
        return doc
    path = POD_SPEC_PATHS.get(kind or "")
    if path is None:
        return None
    cur: Any = doc
    for seg in path[:-1]:
        cur = cur.get(seg) if isinstance(cur, dict) else None
    if not isinstance(cur, dict) or not isinstance(cur.get("spec"), dict):
        return None
    meta = copy.deepcopy(cur.get("metadata")) if isinstance(cur.get("metadata"), dict) else {}
    meta["name"] = "from-template"
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": copy.deepcopy(cur["spec"])}


def check(doc: dict[str, Any]) -> Verdict:
    """The static checker's verdict (policy `latest`, the course's Kubernetes version)."""
    start = time.perf_counter()
    doc = copy.deepcopy(doc)
    meta = doc.get("metadata")
    if isinstance(meta, dict):  # the server is sent the object without them (Server._post)
        meta.pop("namespace", None)
        meta.pop("resourceVersion", None)
    res = engine.check_object(doc, preset="none")
    errors = res.errors
    pss = res.pod_security.level if res.pod_security else None
    return Verdict(not errors, frozenset(f.path for f in errors), res.qos_class, pss,
                   seconds=time.perf_counter() - start, rules=frozenset(f.rule for f in errors))


_UNKNOWN = re.compile(r'unknown field "([^"]+)"')
_DUPLICATE = re.compile(r'duplicate field "([^"]+)"')
_ENV_REASONS = ("serviceaccount", "service account", "priorityclass", "runtimeclass", "not found",
                "no matches for kind", "could not find the requested resource")


def _namespace_doc(name: str, level: str) -> dict[str, Any]:
    labels = {"pod-course.io/oracle": "true"}
    if level != "privileged":
        labels["pod-security.kubernetes.io/enforce"] = level
        labels["pod-security.kubernetes.io/enforce-version"] = "latest"
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


class Server:
    """Dry-run submissions to the course cluster, one namespace per Pod Security level."""

    def __init__(self, api: Any) -> None:
        self.api = api
        suffix = uuid.uuid4().hex[:6]
        self.namespaces = {level: f"podcourse-oracle-{level}-{suffix}" for level in LEVELS}

    def __enter__(self) -> Server:
        from kubernetes import client

        core = client.CoreV1Api(self.api)
        for level, ns in self.namespaces.items():
            core.create_namespace(_namespace_doc(ns, level))
        deadline = time.monotonic() + 60
        for ns in self.namespaces.values():
            while time.monotonic() < deadline:
                try:
                    core.read_namespaced_service_account("default", ns)
                    break
                except client.ApiException:
                    time.sleep(0.2)
        return self

    def __exit__(self, *exc: Any) -> None:
        from kubernetes import client

        core = client.CoreV1Api(self.api)
        for ns in self.namespaces.values():
            with contextlib.suppress(client.ApiException):
                core.delete_namespace(ns)

    def _post(self, doc: dict[str, Any], level: str) -> tuple[int, dict[str, Any]]:
        from kubernetes import client

        group, version, plural = _PLURALS[doc["kind"]]
        base = f"/api/{version}" if not group else f"/apis/{group}/{version}"
        ns = self.namespaces[level]
        body = copy.deepcopy(doc)
        meta = body.get("metadata")
        if isinstance(meta, dict):
            meta.pop("namespace", None)
            meta.pop("resourceVersion", None)
        try:
            method, url, headers, data, _ = self.api.param_serialize(
                "POST", f"{base}/namespaces/{ns}/{plural}",
                query_params=[("dryRun", "All"), ("fieldValidation", "Strict")],
                header_params={"Content-Type": "application/json", "Accept": "application/json"},
                body=body, auth_settings=["BearerToken"])
            resp = self.api.call_api(method, url, header_params=headers, body=data, _request_timeout=(5, 30))
            raw = resp.read() if hasattr(resp, "read") else resp.data
            return resp.status, json.loads(raw or b"{}")
        except client.ApiException as exc:
            try:
                payload = json.loads(exc.body or "{}")
            except (ValueError, TypeError):
                payload = {"message": str(exc.body)}
            return exc.status or 0, payload if isinstance(payload, dict) else {}

    def verdict(self, doc: dict[str, Any]) -> Verdict:
        start = time.perf_counter()
        if doc.get("apiVersion") not in _api_versions(doc.get("kind")):
            return Verdict(False, code=404, message=f"{doc.get('apiVersion')} {doc.get('kind')} is not served",
                           environment=True, seconds=time.perf_counter() - start)
        code, body = self._post(doc, "privileged")
        out = Verdict(200 <= code < 300, code=code, message=str(body.get("message", ""))[:500])
        if out.accepted:
            if doc.get("kind") == "Pod":
                out.qos = (body.get("status") or {}).get("qosClass")
        else:
            fields = set()
            details = body.get("details") if isinstance(body.get("details"), dict) else {}
            for cause in details.get("causes") or []:
                if isinstance(cause, dict) and cause.get("field"):
                    fields.add(str(cause["field"]))
            fields.update(_UNKNOWN.findall(out.message))
            fields.update(_DUPLICATE.findall(out.message))
            out.fields = frozenset(fields)
            low = out.message.lower()
            out.environment = code in (403, 404) or (code not in (400, 422) and any(r in low for r in _ENV_REASONS))
        pod = pod_of(doc)
        if pod is not None and (out.accepted or doc.get("kind") != "Pod"):
            if doc.get("kind") != "Pod":
                code_p, body_p = self._post(pod, "privileged")
                if not 200 <= code_p < 300:
                    out.seconds = time.perf_counter() - start
                    return out
                out.qos = (body_p.get("status") or {}).get("qosClass")
            level = "privileged"
            for candidate in ("baseline", "restricted"):
                code_l, _ = self._post(pod, candidate)
                if 200 <= code_l < 300:
                    level = candidate
                else:
                    break
            out.pss = level
        out.seconds = time.perf_counter() - start
        return out


def _api_versions(kind: Any) -> tuple[str, ...]:
    group, version, _ = _PLURALS.get(kind, ("", "", ""))
    return (f"{group}/{version}" if group else version,)


# ---------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------


@dataclass
class Outcome:
    case: Case
    server: Verdict
    checker: Verdict
    disagreements: list[tuple[str, str]] = field(default_factory=list)  # (aspect, detail)


def _norm(path: str) -> str:
    return path.replace('"', "")


def compare(case: Case, server: Verdict, checker: Verdict) -> list[tuple[str, str]]:
    """What the checker got wrong, by aspect, taking the server as right."""
    out: list[tuple[str, str]] = []
    if server.environment and not server.accepted:
        return out  # nothing the object itself decides (a missing ServiceAccount, an unserved API)
    if server.accepted != checker.accepted:
        if server.accepted:
            out.append(("verdict", f"checker rejects what the server accepts: {sorted(checker.rules)} at "
                                   f"{sorted(checker.fields)}"))
        else:
            out.append(("verdict", f"checker accepts what the server rejects ({server.code}): {server.message}"))
        return out
    if not server.accepted and server.code == 422 and server.fields:
        s = {_norm(f) for f in server.fields}
        c = {_norm(f) for f in checker.fields}
        if s != c:
            out.append(("fields", f"server {sorted(s)} vs checker {sorted(c)}"))
    if server.qos is not None and checker.qos is not None and server.qos != checker.qos:
        out.append(("qos", f"server {server.qos} vs checker {checker.qos}"))
    if server.pss is not None and checker.pss is not None and server.pss != checker.pss:
        out.append(("pss", f"server {server.pss} vs checker {checker.pss}"))
    return out


def run(api: Any, cases: Sequence[Case], *, jobs: int = 6) -> list[Outcome]:
    """Submit every case and check it; outcomes in case order."""
    with Server(api) as server:
        def one(case: Case) -> Outcome:
            s = server.verdict(case.doc)
            c = check(case.doc)
            return Outcome(case, s, c, compare(case, s, c))

        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            return list(pool.map(one, cases))


@dataclass
class Table:
    rows: dict[str, Counter[str]]

    def text(self) -> str:
        aspects = ("verdict", "fields", "pss", "qos")
        head = "| origin | cases | server accepts | server rejects | not comparable | " + " | ".join(
            f"{a} agree" for a in aspects) + " |"
        lines = [head, "|" + "---|" * (5 + len(aspects))]
        for origin, c in self.rows.items():
            cells = [origin, str(c["cases"]), str(c["accepted"]), str(c["rejected"]), str(c["environment"])]
            for a in aspects:
                total = c[f"{a}:total"]
                cells.append(f"{total - c[f'{a}:disagree']}/{total}" if total else "-")
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)


def table(outcomes: Sequence[Outcome]) -> Table:
    rows: dict[str, Counter[str]] = {}
    for o in outcomes:
        for origin in (o.case.origin, "all"):
            c = rows.setdefault(origin, Counter())
            c["cases"] += 1
            if o.server.environment and not o.server.accepted:
                c["environment"] += 1
                continue
            c["accepted" if o.server.accepted else "rejected"] += 1
            c["verdict:total"] += 1
            bad = {a for a, _ in o.disagreements}
            c["verdict:disagree"] += "verdict" in bad
            if "verdict" in bad:
                continue
            if not o.server.accepted and o.server.code == 422 and o.server.fields:
                c["fields:total"] += 1
                c["fields:disagree"] += "fields" in bad
            if o.server.pss is not None and o.checker.pss is not None:
                c["pss:total"] += 1
                c["pss:disagree"] += "pss" in bad
            if o.server.qos is not None and o.checker.qos is not None:
                c["qos:total"] += 1
                c["qos:disagree"] += "qos" in bad
    order = ["corpus", "rule", "mutation", "all"]
    return Table({k: rows[k] for k in order if k in rows})


def known(path: Path) -> dict[tuple[str, str], str]:
    """(case id, aspect) -> the reason the disagreement stays, from oracle_known.yaml."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return {(d["case"], d["aspect"]): d["reason"] for d in data}


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    from course.cluster.client import connect

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", default=str(REPO.parent / "shared"))
    ap.add_argument("--jobs", type=int, default=6)
    ap.add_argument("--show", action="store_true", help="print every disagreement")
    args = ap.parse_args(argv)
    cases = all_cases(Path(args.shared))
    started = time.monotonic()
    outcomes = run(connect(), cases, jobs=args.jobs)
    print(table(outcomes).text())
    print(f"\n{len(cases)} cases in {time.monotonic() - started:.0f}s")
    if args.show:
        for o in outcomes:
            for aspect, detail in o.disagreements:
                print(f"{o.case.id}\t{aspect}\t{detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
