"""Pod Security Standards: which level (privileged, baseline, restricted) a pod meets.

The checks, their policy versions, the restricted overrides and the Windows and
user-namespace exemptions follow k8s.io/pod-security-admission `policy/check_*.go`.
The result lives in `Result.pod_security`, not in the findings.

Differences from the admission plugin, all deliberate:

- Every failed check is reported, one `Violation` per offending field, at both
  levels, so a learner sees the whole road to `restricted` at once.
- The level is monotonic: `restricted` also needs every baseline check to pass.
- Overridden pairs: the baseline check always runs (it decides `baseline`)
  and is reported once, at level baseline, never again under restricted. At
  restricted its override (`capabilities_restricted`, `seccompProfile_restricted`,
  `restrictedVolumes`, `procMount_restricted`) runs in its place and is reported
  at level restricted. When both fail on one field (a hostPath volume, an added
  NET_RAW, seccomp Unconfined), the field gets one violation per level: the
  baseline one says why the pod is not baseline, the restricted one says what
  restricted asks for there.
- Raw YAML is read before API defaulting, so a volume with no known source
  counts as the emptyDir the API server would make it.
- Wrong types never raise: a field that must hold an allowed value fails unless
  it holds exactly that value; a field that is forbidden when true fails only on
  a real `true`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from course.checker.model import PodSecurity, PodView, Violation, mapping, sequence
from course.findings import Key, Path, format_path

MAX_MINOR = 37
LATEST = f"v1.{MAX_MINOR}"
POLICY_VERSIONS: list[str] = [f"v1.{n}" for n in range(MAX_MINOR + 1)]
LEVELS = ("privileged", "baseline", "restricted")

_VERSION_RE = re.compile(r"v?1\.(\d{1,3})")


def check_version(version: Any) -> str:
    """Normalise a policy version ("latest", "v1.30" or "1.30") to "v1.N", or raise ValueError."""
    if not isinstance(version, str):
        raise ValueError(f"Pod Security Standards version must be a string like 'v1.30', not {version!r}")
    text = version.strip().lower()
    if text == "latest":
        return LATEST
    m = _VERSION_RE.fullmatch(text)
    if m is None:
        raise ValueError(
            f"unknown Pod Security Standards version {version!r}: use 'latest' or 'v1.N' "
            f"with N from 0 to {MAX_MINOR} (for example 'v1.30')"
        )
    minor = int(m.group(1))
    if minor > MAX_MINOR:
        raise ValueError(
            f"Pod Security Standards version {version!r} is newer than the newest known policy "
            f"{LATEST}; use 'latest' or a version from v1.0 to {LATEST}"
        )
    return f"v1.{minor}"


# ---------------------------------------------------------------------------
# The pod as the checks see it


@dataclass
class _Ctr:
    path: Path  # absolute path of the container
    label: str  # 'container "app"'
    name: str | None
    sc: dict[str, Any]  # its securityContext (empty when absent or not a mapping)
    raw: dict[str, Any]


class _Pod:
    """The parts of a pod every check reads, computed once per evaluation."""

    def __init__(self, spec: Any, meta: Any, spec_path: Path, meta_path: Path, minor: int) -> None:
        self.spec = mapping(spec)
        self.meta = mapping(meta)
        self.spec_path = spec_path
        self.meta_path = meta_path
        self.minor = minor
        self.psc = mapping(self.spec.get("securityContext"))
        self.windows = mapping(self.spec.get("os")).get("name") == "windows"
        self.user_namespaced = self.spec.get("hostUsers") is False
        ann = self.meta.get("annotations")
        self.annotations = {k: v for k, v in ann.items() if isinstance(k, str)} if isinstance(ann, dict) else {}
        self.containers: list[_Ctr] = []
        for fld in ("initContainers", "containers", "ephemeralContainers"):
            for i, c in enumerate(sequence(self.spec.get(fld))):
                if not isinstance(c, dict):
                    continue
                name = c.get("name")
                name = name if isinstance(name, str) else None
                label = f'container "{name}"' if name is not None else f"{fld}[{i}]"
                self.containers.append(_Ctr((*spec_path, fld, i), label, name, mapping(c.get("securityContext")), c))

    def at(self, *rel: str | int) -> Path:
        return (*self.spec_path, *rel)

    def psc_path(self, *rel: str | int) -> Path:
        return (*self.spec_path, "securityContext", *rel)


def _sc(c: _Ctr, *rel: str | int) -> Path:
    return (*c.path, "securityContext", *rel)


def _q(value: Any) -> str:
    """A value for a message, as YAML would show it; bounded, because input may be hostile."""
    if isinstance(value, str):
        return f'"{value}"' if len(value) <= 100 else f'"{value[:100]}..."'
    if value is None:
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if -(10**18) < value < 10**18 else "a huge number"
    if isinstance(value, float):
        return repr(value) if abs(value) < 1e18 else "a huge number"
    return f"a {type(value).__name__}"


Hit = tuple[Path, str]
CheckFn = Callable[[_Pod], list[Hit]]


# ---------------------------------------------------------------------------
# Baseline checks


def _privileged(p: _Pod) -> list[Hit]:
    return [
        (
            _sc(c, "privileged"),
            f"{c.label} must not set securityContext.privileged=true "
            "(privileged containers can do almost anything the host can)",
        )
        for c in p.containers
        if c.sc.get("privileged") is True
    ]


def _host_namespaces(p: _Pod) -> list[Hit]:
    return [
        (p.at(f), f"the pod must not share host namespaces: remove {f}=true")
        for f in ("hostNetwork", "hostPID", "hostIPC")
        if p.spec.get(f) is True
    ]


def _volumes(p: _Pod) -> list[tuple[int, str, dict[str, Any]]]:
    out = []
    for i, v in enumerate(sequence(p.spec.get("volumes"))):
        if isinstance(v, dict):
            name = v.get("name")
            out.append((i, f'"{name}"' if isinstance(name, str) else f"#{i}", v))
    return out


def _host_path_volumes(p: _Pod) -> list[Hit]:
    return [
        (
            p.at("volumes", i, "hostPath"),
            f"volume {name} must not be a hostPath volume (it mounts a directory of the node into the pod)",
        )
        for i, name, v in _volumes(p)
        if v.get("hostPath") is not None
    ]


def _host_ports(p: _Pod) -> list[Hit]:
    hits = []
    for c in p.containers:
        for j, port in enumerate(sequence(c.raw.get("ports"))):
            hp = mapping(port).get("hostPort")
            if hp is not None and hp != 0:
                hits.append(
                    (
                        (*c.path, "ports", j, "hostPort"),
                        f"{c.label} must not use hostPort {_q(hp)} (leave hostPort unset or 0)",
                    )
                )
    return hits


_DEFAULT_CAPS = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)


def _cap_adds(c: _Ctr) -> list[tuple[int, Any]]:
    return list(enumerate(sequence(mapping(c.sc.get("capabilities")).get("add"))))


def _capabilities_baseline(p: _Pod) -> list[Hit]:
    return [
        (
            _sc(c, "capabilities", "add", j),
            f"{c.label} must not add {_q(cap)} to "
            "securityContext.capabilities.add (only the runtime's default capabilities are allowed)",
        )
        for c in p.containers
        for j, cap in _cap_adds(c)
        if not (isinstance(cap, str) and cap in _DEFAULT_CAPS)
    ]


_APPARMOR_PREFIX = "container.apparmor.security.beta.kubernetes.io/"
_APPARMOR_TYPES = ("RuntimeDefault", "Localhost")


def _apparmor_profile(p: _Pod) -> list[Hit]:
    hits: list[Hit] = []
    for k, v in p.annotations.items():
        if not k.startswith(_APPARMOR_PREFIX):
            continue
        val = "" if v is None else v
        if isinstance(val, str) and (val in ("", "runtime/default") or val.startswith("localhost/")):
            continue
        hits.append(
            (
                (*p.meta_path, "annotations", Key(k)),
                f"forbidden AppArmor profile {_q(val)} in annotation {k}: use runtime/default or localhost/<profile>",
            )
        )
    sources: list[tuple[str, Path, Any]] = [("the pod", p.psc_path("appArmorProfile"), p.psc.get("appArmorProfile"))]
    sources += [(c.label, _sc(c, "appArmorProfile"), c.sc.get("appArmorProfile")) for c in p.containers]
    for who, path, prof in sources:
        if isinstance(prof, dict) and prof.get("type") not in _APPARMOR_TYPES:
            hits.append(
                (
                    (*path, "type"),
                    f"forbidden AppArmor profile: {who} must not set securityContext.appArmorProfile.type "
                    f"to {_q(prof.get('type'))} (use RuntimeDefault or Localhost)",
                )
            )
    return hits


_SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t"})
_SELINUX_TYPES_1_31 = _SELINUX_TYPES | {"container_engine_t"}


def _selinux_options(p: _Pod) -> list[Hit]:
    allowed = _SELINUX_TYPES_1_31 if p.minor >= 31 else _SELINUX_TYPES
    sources: list[tuple[str, Path, Any]] = [("the pod", p.psc_path("seLinuxOptions"), p.psc.get("seLinuxOptions"))]
    sources += [(c.label, _sc(c, "seLinuxOptions"), c.sc.get("seLinuxOptions")) for c in p.containers]
    hits: list[Hit] = []
    for who, path, opts in sources:
        if not isinstance(opts, dict):
            continue
        t = opts.get("type")
        t = "" if t is None else t
        if not (isinstance(t, str) and t in allowed):
            hits.append(
                (
                    (*path, "type"),
                    f"{who} set forbidden securityContext.seLinuxOptions: "
                    f"type {_q(t)} (allowed: {', '.join(sorted(x for x in allowed if x))} or unset)",
                )
            )
        for fld in ("user", "role"):
            v = opts.get(fld)
            if v is not None and v != "":
                hits.append(((*path, fld), f"{who} set forbidden securityContext.seLinuxOptions: {fld} may not be set"))
    return hits


def _proc_mount_hits(p: _Pod) -> list[Hit]:
    return [
        (
            _sc(c, "procMount"),
            f"{c.label} must not set securityContext.procMount to "
            f"{_q(c.sc.get('procMount'))} (only Default is allowed)",
        )
        for c in p.containers
        if c.sc.get("procMount") is not None and c.sc.get("procMount") != "Default"
    ]


def _proc_mount_restricted(p: _Pod) -> list[Hit]:
    """Unlike baseline procMount, restricted keeps the rule for user-namespaced pods."""
    return [
        (path, msg.replace("(only Default is allowed)", "(restricted allows only Default, even with hostUsers: false)"))
        for path, msg in _proc_mount_hits(p)
    ]


def _proc_mount(p: _Pod) -> list[Hit]:
    if p.minor >= 35 and p.user_namespaced:
        return []
    return _proc_mount_hits(p)


_SECCOMP_POD_ANN = "seccomp.security.alpha.kubernetes.io/pod"
_SECCOMP_CTR_ANN = "container.seccomp.security.alpha.kubernetes.io/"
_SECCOMP_TYPES = ("RuntimeDefault", "Localhost")


def _seccomp_annotation_ok(v: Any) -> bool:
    return isinstance(v, str) and (v in ("runtime/default", "docker/default") or v.startswith("localhost/"))


def _seccomp_sources(p: _Pod) -> list[tuple[str, Path, Any, _Ctr | None]]:
    out: list[tuple[str, Path, Any, _Ctr | None]] = [
        ("the pod", p.psc_path("seccompProfile"), p.psc.get("seccompProfile"), None)
    ]
    out += [(c.label, _sc(c, "seccompProfile"), c.sc.get("seccompProfile"), c) for c in p.containers]
    return out


def _bad_seccomp(prof: Any) -> bool:
    return prof is not None and mapping(prof).get("type") not in _SECCOMP_TYPES


def _seccomp_type_hit(who: str, path: Path, prof: Any) -> Hit:
    return (
        (*path, "type"),
        f"{who} must not set securityContext.seccompProfile.type to "
        f"{_q(mapping(prof).get('type'))} (use RuntimeDefault or Localhost)",
    )


def _seccomp_baseline(p: _Pod) -> list[Hit]:
    if p.minor < 19:
        hits: list[Hit] = []
        keys = [_SECCOMP_POD_ANN] + [_SECCOMP_CTR_ANN + c.name for c in p.containers if c.name is not None]
        for k in dict.fromkeys(keys):
            if k in p.annotations and not _seccomp_annotation_ok(p.annotations[k]):
                hits.append(
                    (
                        (*p.meta_path, "annotations", Key(k)),
                        f"forbidden seccompProfile annotation {k}={_q(p.annotations[k])}: use "
                        "runtime/default, docker/default or localhost/<profile>",
                    )
                )
        return hits
    return [_seccomp_type_hit(who, path, prof) for who, path, prof, _ in _seccomp_sources(p) if _bad_seccomp(prof)]


def _sysctl_names(minor: int) -> frozenset[str]:
    names = {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start",
    }
    if minor >= 27:
        names.add("net.ipv4.ip_local_reserved_ports")
    if minor >= 29:
        names |= {
            "net.ipv4.tcp_keepalive_time",
            "net.ipv4.tcp_fin_timeout",
            "net.ipv4.tcp_keepalive_intvl",
            "net.ipv4.tcp_keepalive_probes",
        }
    if minor >= 32:
        names |= {"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"}
    if minor >= 37:
        names |= {"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"}
    return frozenset(names)


_SYSCTLS = [_sysctl_names(m) for m in range(MAX_MINOR + 1)]


def _sysctls(p: _Pod) -> list[Hit]:
    allowed = _SYSCTLS[p.minor]
    hits = []
    for i, s in enumerate(sequence(p.psc.get("sysctls"))):
        if not isinstance(s, dict):
            continue
        name = s.get("name")
        if not (isinstance(name, str) and name in allowed):
            hits.append(
                (
                    p.psc_path("sysctls", i, "name"),
                    f"forbidden sysctl {_q(name)}: only namespaced, node-safe sysctls are allowed",
                )
            )
    return hits


def _windows_host_process(p: _Pod) -> list[Hit]:
    sources = [("the pod", p.psc_path("windowsOptions"), p.psc.get("windowsOptions"))]
    sources += [(c.label, _sc(c, "windowsOptions"), c.sc.get("windowsOptions")) for c in p.containers]
    return [
        ((*path, "hostProcess"), f"{who} must not set securityContext.windowsOptions.hostProcess=true")
        for who, path, wo in sources
        if mapping(wo).get("hostProcess") is True
    ]


def _host_probes_and_lifecycle(p: _Pod) -> list[Hit]:
    hits: list[Hit] = []
    for c in p.containers:
        handlers: list[tuple[Path, Any]] = [
            ((*c.path, probe), c.raw.get(probe)) for probe in ("livenessProbe", "readinessProbe", "startupProbe")
        ]
        life = mapping(c.raw.get("lifecycle"))
        handlers += [((*c.path, "lifecycle", h), life.get(h)) for h in ("postStart", "preStop")]
        for path, handler in handlers:
            for action in ("httpGet", "tcpSocket"):
                host = mapping(mapping(handler).get(action)).get("host")
                if host is not None and host != "":
                    where = format_path(path[len(c.path) :])
                    hits.append(
                        (
                            (*path, action, "host"),
                            f"{c.label} must not use probe or lifecycle host "
                            f"{_q(host)} in {where}.{action}.host (leave host unset)",
                        )
                    )
    return hits


# ---------------------------------------------------------------------------
# Restricted checks

_ALLOWED_VOLUMES = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "image",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)
_OTHER_VOLUMES = (
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
)


def _restricted_volumes(p: _Pod) -> list[Hit]:
    hits: list[Hit] = []
    for i, name, v in _volumes(p):
        if any(v.get(k) is not None for k in _ALLOWED_VOLUMES):
            continue
        bad = [k for k in _OTHER_VOLUMES if v.get(k) is not None]
        if not bad:  # no known source: the API server defaults it to emptyDir
            continue
        hits.append(
            (
                p.at("volumes", i, bad[0]),
                f"volume {name} uses {', '.join(bad)}, one of the restricted volume types: use "
                "configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, "
                "projected or secret",
            )
        )
    return hits


def _run_as_non_root(p: _Pod) -> list[Hit]:
    if p.minor >= 35 and p.user_namespaced:
        return []
    pod_val = p.psc.get("runAsNonRoot")
    hits: list[Hit] = []
    if pod_val is not None and pod_val is not True:
        hits.append(
            (
                p.psc_path("runAsNonRoot"),
                f"the pod must not set securityContext.runAsNonRoot={_q(pod_val)} (set it to true)",
            )
        )
    for c in p.containers:
        v = c.sc.get("runAsNonRoot")
        if v is True:
            continue
        if v is not None:
            hits.append(
                (
                    _sc(c, "runAsNonRoot"),
                    f"{c.label} must not set securityContext.runAsNonRoot={_q(v)} (set it to true)",
                )
            )
        elif pod_val is None:  # with a bad pod value the pod-level fix covers this container
            hits.append((_sc(c, "runAsNonRoot"), f"pod or {c.label} must set securityContext.runAsNonRoot=true"))
    return hits


def _allow_privilege_escalation(p: _Pod) -> list[Hit]:
    if p.minor >= 25 and p.windows:
        return []
    return [
        (
            _sc(c, "allowPrivilegeEscalation"),
            f"{c.label} must set securityContext.allowPrivilegeEscalation=false"
            + (
                ""
                if c.sc.get("allowPrivilegeEscalation") is None
                else f", not {_q(c.sc.get('allowPrivilegeEscalation'))}"
            ),
        )
        for c in p.containers
        if c.sc.get("allowPrivilegeEscalation") is not False
    ]


def _seccomp_restricted(p: _Pod) -> list[Hit]:
    if p.minor >= 25 and p.windows:
        return []
    hits: list[Hit] = []
    pod_prof = p.psc.get("seccompProfile")
    for who, path, prof, ctr in _seccomp_sources(p):
        if _bad_seccomp(prof):
            bad = _q(mapping(prof).get("type"))
            msg = f'restricted needs seccompProfile.type "RuntimeDefault" or "Localhost", but {who} sets {bad}'
            hits.append(((*path, "type"), msg))
        elif ctr is not None and prof is None and pod_prof is None:
            hits.append(
                (
                    (*path, "type"),
                    f'pod or {who} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"',
                )
            )
    return hits


def _capabilities_restricted(p: _Pod) -> list[Hit]:
    if p.minor >= 25 and p.windows:
        return []
    hits: list[Hit] = []
    for c in p.containers:
        drop = sequence(mapping(c.sc.get("capabilities")).get("drop"))
        if "ALL" not in drop:
            hits.append(
                (
                    _sc(c, "capabilities", "drop"),
                    f'{c.label} has unrestricted capabilities: it must set securityContext.capabilities.drop=["ALL"]',
                )
            )
        hits += [
            (
                _sc(c, "capabilities", "add", j),
                f"{c.label} has unrestricted capabilities: it must not add "
                f"{_q(cap)} to securityContext.capabilities.add (only NET_BIND_SERVICE may be added)",
            )
            for j, cap in _cap_adds(c)
            if cap != "NET_BIND_SERVICE"
        ]
    return hits


def _is_zero(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v == 0


def _run_as_user(p: _Pod) -> list[Hit]:
    if p.minor >= 35 and p.user_namespaced:
        return []
    hits: list[Hit] = []
    if _is_zero(p.psc.get("runAsUser")):
        hits.append((p.psc_path("runAsUser"), "the pod must not set securityContext.runAsUser=0 (root)"))
    hits += [
        (_sc(c, "runAsUser"), f"{c.label} must not set securityContext.runAsUser=0 (root)")
        for c in p.containers
        if _is_zero(c.sc.get("runAsUser"))
    ]
    return hits


# ---------------------------------------------------------------------------
# The registry


@dataclass(frozen=True)
class _Check:
    id: str
    level: str
    since: int  # first policy minor version (v1.N) where the check applies
    fn: CheckFn
    overrides: str | None = None  # restricted only: the baseline check it replaces


_CHECKS: tuple[_Check, ...] = (
    _Check("privileged", "baseline", 0, _privileged),
    _Check("hostNamespaces", "baseline", 0, _host_namespaces),
    _Check("hostPathVolumes", "baseline", 0, _host_path_volumes),
    _Check("hostPorts", "baseline", 0, _host_ports),
    _Check("capabilities_baseline", "baseline", 0, _capabilities_baseline),
    _Check("appArmorProfile", "baseline", 0, _apparmor_profile),
    _Check("seLinuxOptions", "baseline", 0, _selinux_options),
    _Check("procMount", "baseline", 0, _proc_mount),
    _Check("seccompProfile_baseline", "baseline", 0, _seccomp_baseline),
    _Check("sysctls", "baseline", 0, _sysctls),
    _Check("windowsHostProcess", "baseline", 0, _windows_host_process),
    _Check("hostProbesAndHostLifecycle", "baseline", 34, _host_probes_and_lifecycle),
    _Check("restrictedVolumes", "restricted", 0, _restricted_volumes, "hostPathVolumes"),
    _Check("runAsNonRoot", "restricted", 0, _run_as_non_root),
    _Check("allowPrivilegeEscalation", "restricted", 8, _allow_privilege_escalation),
    _Check("seccompProfile_restricted", "restricted", 19, _seccomp_restricted, "seccompProfile_baseline"),
    _Check("capabilities_restricted", "restricted", 22, _capabilities_restricted, "capabilities_baseline"),
    _Check("runAsUser", "restricted", 23, _run_as_user),
    _Check("procMount_restricted", "restricted", 35, _proc_mount_restricted, "procMount"),
)

CHECK_IDS: tuple[str, ...] = tuple(c.id for c in _CHECKS)
# Restricted check id -> the baseline check it replaces at the restricted level.
OVERRIDES: dict[str, str] = {c.id: c.overrides for c in _CHECKS if c.overrides}


def _evaluate(spec: Any, meta: Any, spec_path: Path, meta_path: Path, version: str) -> PodSecurity:
    resolved = check_version(version)
    minor = int(resolved[3:])
    pod = _Pod(spec, meta, spec_path, meta_path, minor)
    baseline: list[Violation] = []
    restricted: list[Violation] = []
    for chk in _CHECKS:
        if minor < chk.since:
            continue
        hits = chk.fn(pod)
        if not hits:
            continue
        out = baseline if chk.level == "baseline" else restricted
        out.extend(Violation(chk.level, chk.id, format_path(path), msg) for path, msg in hits)
    if baseline:
        level = "privileged"
    elif restricted:
        level = "baseline"
    else:
        level = "restricted"
    return PodSecurity(version=resolved, level=level, violations=baseline + restricted)


def evaluate(pod: PodView, version: str = "latest") -> PodSecurity:
    """The strictest level `pod` meets at `version`, and every failed check on the way to restricted."""
    return _evaluate(pod.spec, pod.metadata, tuple(pod.spec_path), tuple(pod.meta_path), version)


def evaluate_spec(spec: dict[str, Any], metadata: dict[str, Any], version: str = "latest") -> PodSecurity:
    """`evaluate` for a bare pod spec and metadata; paths start at `spec.` and `metadata.`."""
    return _evaluate(spec, metadata, ("spec",), ("metadata",), version)


def allows(result: PodSecurity, level: str) -> bool:
    """Whether a result meets `level` ("privileged", "baseline" or "restricted")."""
    return LEVELS.index(result.level) >= LEVELS.index(level)
