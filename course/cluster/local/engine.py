"""The local engine: a single-node Kubernetes of upstream components as processes on this host.

`up` builds (or reuses) the binaries, creates certificates and a kubeconfig of its own, and
starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler, containerd (runc, CNI
bridge) and the kubelet, recording every pid; `down` stops what `up` started and removes every
mount, network device, cgroup and file it made. It needs root on Linux and no Docker.

Everything lives in three places: the binary cache (`course.cluster.local.build`), the state
directory ($PODCOURSE_LOCAL_DIR, default /var/lib/pod-course/local) and the runtime directory
(sockets and container state, <state>/run unless $PODCOURSE_LOCAL_RUN is set). The node and the
API server listen on the address of the cluster's own bridge, so nothing is exposed on the
host's network and the cluster works without one.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from course import versions
from course.cluster.errors import ClusterError
from course.cluster.local import build, images, pki

Say = Callable[[str], None]

CONTEXT = "pod-course-local"
NODE = "pod-course-node"
BRIDGE = "pcbr0"
POD_CIDR = "10.244.0.0/24"
SERVICE_CIDR = "10.96.0.0/16"
CNI_NETWORK = "pod-course-local"
CGROUP_PARENT = "pod-course"
#: Ports on the bridge address (API, kubelet) and on loopback (the rest), away from the defaults
#: so a real node on the same host is never disturbed.
PORTS = {"api": 16443, "etcd": 12379, "etcd-peer": 12380, "kubelet": 16250, "kubelet-healthz": 16248,
         "controller-manager": 16257, "scheduler": 16259}
ORDER = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "containerd", "dns", "kubelet")


def _quiet(_: str) -> None:
    pass


def state_dir() -> Path:
    return Path(os.environ.get("PODCOURSE_LOCAL_DIR") or "/var/lib/pod-course/local")


def run_dir() -> Path:
    env = os.environ.get("PODCOURSE_LOCAL_RUN")
    return Path(env) if env else state_dir() / "run"


def kubeconfig_path() -> Path:
    """The local cluster's admin kubeconfig (never the user's ~/.kube/config)."""
    return state_dir() / "kubeconfig"


def node_ip() -> str:
    return str(next(ipaddress.ip_network(POD_CIDR).hosts()))


def api_url() -> str:
    return f"https://{node_ip()}:{PORTS['api']}"


# ---------------------------------------------------------------------------
# Recorded processes
# ---------------------------------------------------------------------------


@dataclass
class Proc:
    name: str
    pid: int
    exe: str
    start: str  # /proc/<pid>/stat field 22, so a reused pid is never mistaken for ours

    def alive(self) -> bool:
        return _start_time(self.pid) == self.start


@dataclass
class State:
    processes: list[Proc] = field(default_factory=list)
    created: list[str] = field(default_factory=list)  # what up made that down must remove

    @classmethod
    def load(cls) -> State:
        path = state_dir() / "state.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        return cls([Proc(**p) for p in data.get("processes", [])], list(data.get("created", [])))

    def save(self) -> None:
        path = state_dir() / "state.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"processes": [vars(p) for p in self.processes], "created": self.created},
                                  indent=1), encoding="utf-8")
        tmp.replace(path)


def _start_time(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]


def _spawn(state: State, name: str, argv: Sequence[str], env: dict[str, str] | None = None) -> Proc:
    logs = state_dir() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / f"{name}.log", "ab") as log:
        proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, close_fds=True, env=env or _env(), cwd=state_dir())
    rec = Proc(name, proc.pid, str(argv[0]), _start_time(proc.pid))
    state.processes = [p for p in state.processes if p.name != name] + [rec]
    state.save()
    return rec


def _env() -> dict[str, str]:
    bins = [str(build.bin_dir(c)) for c in build.components()]
    return {"PATH": os.pathsep.join([*bins, "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin",
                                     "/bin"]), "HOME": str(state_dir()), "LANG": "C"}


def _log_tail(name: str, lines: int = 8) -> str:
    try:
        text = (state_dir() / "logs" / f"{name}.log").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def _wait(what: str, ok: Callable[[], bool], timeout: float, proc: Proc | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ok():
            return
        if proc is not None and not proc.alive():
            raise ClusterError(f"{proc.name} exited while starting. Its log ends:\n{_log_tail(proc.name)}",
                               f"Read {state_dir() / 'logs' / (proc.name + '.log')}, then `pod-course cluster down "
                               "--engine local` and retry.")
        time.sleep(0.25)
    name = proc.name if proc else what
    raise ClusterError(f"{what} did not happen within {timeout:g}s. The log of {name} ends:\n{_log_tail(name)}",
                       "Run `pod-course cluster down --engine local` and retry; the logs are in "
                       f"{state_dir() / 'logs'}.")


def _stop(proc: Proc, grace: float = 10.0) -> None:
    if not proc.alive():
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and proc.alive():
        time.sleep(0.1)
    if proc.alive():
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        for _ in range(50):
            if not proc.alive():
                break
            time.sleep(0.1)


# ---------------------------------------------------------------------------
# Preconditions and host changes
# ---------------------------------------------------------------------------


def preflight() -> None:
    """Linux, root, the tools `up` calls; else a ClusterError saying what is missing."""
    if os.uname().sysname != "Linux":
        raise ClusterError("The local engine runs Kubernetes as processes on a Linux host; this is not Linux.",
                           "Use kind instead: `pod-course cluster up` (needs Docker).")
    if os.geteuid() != 0:
        raise ClusterError("The local engine needs root (it creates cgroups, mounts and a network bridge).",
                           "Run it as root (`sudo .venv/bin/pod-course cluster up --engine local`), or use kind.")
    for tool in ("ip", "mount", "umount"):
        if shutil.which(tool) is None:
            raise ClusterError(f"`{tool}` is not installed.", "Install iproute2 and util-linux.")
    if not Path("/sys/fs/cgroup/memory").is_dir() and not Path("/sys/fs/cgroup/cgroup.controllers").is_file():
        raise ClusterError("No usable cgroup hierarchy under /sys/fs/cgroup.", "Mount cgroups (v1 or v2).")


def _cgroup_v1_dirs() -> list[Path]:
    """The course's cgroup in every v1 hierarchy (or the one v2 directory)."""
    root = Path("/sys/fs/cgroup")
    if (root / "cgroup.controllers").is_file():
        return [root / CGROUP_PARENT]
    out = []
    for d in sorted(root.iterdir()):
        if d.is_dir() and not d.is_symlink() and d.name != "unified" and (d / "cgroup.procs").exists():
            out.append(d / CGROUP_PARENT)
    unified = root / "unified"
    if (unified / "cgroup.procs").exists():
        out.append(unified / CGROUP_PARENT)
    return out


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30, check=False)
    if check and proc.returncode != 0:
        raise ClusterError(f"`ip {' '.join(args)}` failed: {proc.stderr.strip()}", "Check that you are root.")
    return proc


def _make_bridge(state: State) -> None:
    if _ip("link", "show", BRIDGE, check=False).returncode != 0:
        _ip("link", "add", BRIDGE, "type", "bridge")
        state.created.append(f"link:{BRIDGE}")
        state.save()
    prefix = ipaddress.ip_network(POD_CIDR).prefixlen
    if node_ip() not in _ip("-4", "addr", "show", BRIDGE).stdout:
        _ip("addr", "add", f"{node_ip()}/{prefix}", "dev", BRIDGE)
    _ip("link", "set", BRIDGE, "up")
    with contextlib.suppress(OSError):
        Path("/proc/sys/net/ipv4/ip_forward").write_text("1")


# ---------------------------------------------------------------------------
# Configuration files
# ---------------------------------------------------------------------------


def _bins() -> dict[str, Path]:
    return {c.name: build.bin_dir(c) for c in build.components()}


def _containerd_config(bins: dict[str, Path]) -> str:
    s, r = state_dir(), run_dir()
    return f"""version = 3
root = "{s}/containerd/root"
state = "{r}/containerd"

[grpc]
  address = "{r}/containerd.sock"

[ttrpc]
  address = "{r}/containerd.sock.ttrpc"

[plugins]
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = "overlayfs"
    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = "{versions.PAUSE_IMAGE}"

  [plugins.'io.containerd.cri.v1.runtime']
    tolerate_missing_hugetlb_controller = true
    restrict_oom_score_adj = {"true" if not can_lower_oom_score_adj() else "false"}
    disable_hugetlb_controller = true
    netns_mounts_under_state_dir = true
    enable_unprivileged_ports = true
    enable_unprivileged_icmp = true
    enable_cdi = false
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = "runc"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
          BinaryName = "{bins['runc']}/runc"
          Root = "{r}/runc"
          SystemdCgroup = false
    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = ["{bins['cni-plugins']}"]
      conf_dir = "{s}/cni/net.d"
      max_conf_num = 1

  [plugins.'io.containerd.grpc.v1.cri']
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"

  [plugins.'io.containerd.internal.v1.opt']
    path = "{s}/containerd/opt"
"""


def can_lower_oom_score_adj() -> bool:
    """Whether this host lets root lower oom_score_adj (CAP_SYS_RESOURCE).

    Some sandboxes (these CI machines among them) drop that capability even for root. Then
    containerd must clamp the kubelet's negative scores (Guaranteed Pods, the pause container)
    to its own, as kind does for rootless nodes, or no Pod sandbox can start.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) & (1 << 24))
    except (OSError, ValueError):
        pass
    return True


def _cni_config() -> str:
    return json.dumps({
        "cniVersion": "1.0.0",
        "name": CNI_NETWORK,
        "plugins": [
            {
                "type": "bridge", "bridge": BRIDGE, "isGateway": True, "ipMasq": False, "hairpinMode": True,
                "ipam": {"type": "host-local", "ranges": [[{"subnet": POD_CIDR, "gateway": node_ip()}]],
                         "routes": [{"dst": "0.0.0.0/0"}], "dataDir": str(state_dir() / "cni" / "ipam")},
            },
        ],
    }, indent=1)


def _kubelet_config() -> str:
    s, pk = state_dir(), state_dir() / "pki"
    doc = {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "address": node_ip(),
        "port": PORTS["kubelet"],
        "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": PORTS["kubelet-healthz"],
        "tlsCertFile": str(pk / "kubelet.crt"),
        "tlsPrivateKeyFile": str(pk / "kubelet.key"),
        "authentication": {"anonymous": {"enabled": False}, "webhook": {"enabled": True},
                           "x509": {"clientCAFile": str(pk / "ca.crt")}},
        "authorization": {"mode": "Webhook"},
        "cgroupDriver": "cgroupfs",
        "cgroupRoot": f"/{CGROUP_PARENT}",
        # These machines (and many CI hosts) still run cgroup v1; from 1.35 the kubelet refuses it
        # unless told otherwise (KEP-5573).
        "failCgroupV1": False,
        "failSwapOn": False,
        "containerRuntimeEndpoint": f"unix://{run_dir()}/containerd.sock",
        "podLogsDir": str(s / "pod-logs"),
        "resolvConf": "/etc/resolv.conf",
        # The engine's own DNS responder (course.cluster.local.dns) on the bridge address: like
        # kind's CoreDNS it answers an unknown name at once with NXDOMAIN.
        "clusterDNS": [node_ip()],
        "clusterDomain": "cluster.local",
        "staticPodPath": "",
        "serializeImagePulls": False,
        # The course images are loaded by hand and cannot be pulled again: never collect them.
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        "evictionHard": {"memory.available": "100Mi", "nodefs.available": "1%", "imagefs.available": "1%",
                         "nodefs.inodesFree": "1%"},
        "maxPods": 110,
        "rotateCertificates": False,
        "serverTLSBootstrap": False,
        "shutdownGracePeriod": "0s",
        "syncFrequency": "10s",
        "nodeStatusReportFrequency": "10s",
    }
    return json.dumps(doc, indent=1)


def _write_configs(bins: dict[str, Path]) -> None:
    s = state_dir()
    for d in ("pki", "etcd", "containerd", "cni/net.d", "kubelet", "pod-logs", "logs"):
        (s / d).mkdir(parents=True, exist_ok=True)
    run_dir().mkdir(parents=True, exist_ok=True)
    (s / "containerd" / "config.toml").write_text(_containerd_config(bins), encoding="utf-8")
    (s / "cni" / "net.d" / "10-pod-course.conflist").write_text(_cni_config(), encoding="utf-8")
    (s / "kubelet" / "config.yaml").write_text(_kubelet_config(), encoding="utf-8")
    pk = s / "pki"
    if not (pk / "ca.crt").is_file():
        pki.control_plane(pk, node=NODE, node_ips=[node_ip()], service_ip=str(
            next(ipaddress.ip_network(SERVICE_CIDR).hosts())))
    for name, user, ident in (("kubeconfig", "pod-course-admin", "admin"),
                              ("controller-manager.kubeconfig", "system:kube-controller-manager",
                               "controller-manager"),
                              ("scheduler.kubeconfig", "system:kube-scheduler", "scheduler"),
                              ("kubelet.kubeconfig", f"system:node:{NODE}", "kubelet-client")):
        pki.kubeconfig(s / name, server=api_url(), ca=pk / "ca.crt", cert=pk / f"{ident}.crt",
                       key=pk / f"{ident}.key", context=CONTEXT, user=user)


# ---------------------------------------------------------------------------
# Health
# ---------------------------------------------------------------------------


def _tls_context() -> ssl.SSLContext:
    pk = state_dir() / "pki"
    ctx = ssl.create_default_context(cafile=str(pk / "ca.crt"))
    ctx.load_cert_chain(str(pk / "admin.crt"), str(pk / "admin.key"))
    return ctx


def api_get(path: str, timeout: float = 5.0) -> tuple[int, str]:
    """(HTTP status, body) of a GET on the local API server as the admin; (0, why) when it does not answer."""
    try:
        with urllib.request.urlopen(api_url() + path, timeout=timeout, context=_tls_context()) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")
    except (OSError, ssl.SSLError, ValueError) as exc:
        return 0, str(exc)


def _port_open(host: str, port: int) -> bool:
    import socket

    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


def _node_ready() -> bool:
    code, body = api_get(f"/api/v1/nodes/{NODE}")
    if code != 200:
        return False
    with contextlib.suppress(ValueError):
        for cond in json.loads(body).get("status", {}).get("conditions", []):
            if cond.get("type") == "Ready":
                return cond.get("status") == "True"
    return False


def _default_service_account() -> bool:
    return api_get("/api/v1/namespaces/default/serviceaccounts/default")[0] == 200


# ---------------------------------------------------------------------------
# up / down / status
# ---------------------------------------------------------------------------


def running() -> bool:
    """True when the recorded processes of a local cluster are all alive."""
    st = State.load()
    names = {p.name for p in st.processes if p.alive()}
    return all(n in names for n in ORDER)


def up(*, images_to_load: Sequence[str] | None = None, say: Say = _quiet, timeout: float = 180.0) -> None:
    """Build or reuse the binaries and images, start every component, wait for a Ready node."""
    preflight()
    if running():
        say("the local cluster is already running; reusing it")
        load_images(images_to_load, say=say)
        return
    bins = build.build_all(say=say)
    archives = images.build_all(images_to_load, say=say)
    if State.load().processes:
        say("cleaning up what a previous run left behind")
        down(say=say)
    started = time.monotonic()
    s = state_dir()
    s.mkdir(parents=True, exist_ok=True)
    s.chmod(0o700)
    state = State.load()
    state.created = sorted(set(state.created) | {f"dir:{s}", f"dir:{run_dir()}"})
    _make_bridge(state)
    for d in _cgroup_v1_dirs():
        if not d.exists():
            d.mkdir()
            state.created.append(f"cgroup:{d}")
    state.save()
    _write_configs(bins)
    pk, k8s = s / "pki", bins["kubernetes"]
    try:
        etcd = _spawn(state, "etcd", [
            f"{bins['etcd']}/etcd", "--name=pod-course", f"--data-dir={s}/etcd/data",
            f"--listen-client-urls=https://127.0.0.1:{PORTS['etcd']}",
            f"--advertise-client-urls=https://127.0.0.1:{PORTS['etcd']}",
            f"--listen-peer-urls=http://127.0.0.1:{PORTS['etcd-peer']}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{PORTS['etcd-peer']}",
            f"--initial-cluster=pod-course=http://127.0.0.1:{PORTS['etcd-peer']}",
            f"--cert-file={pk}/etcd.crt", f"--key-file={pk}/etcd.key", f"--trusted-ca-file={pk}/ca.crt",
            "--client-cert-auth", "--listen-metrics-urls=", "--log-level=warn",
            # A throw-away course cluster: speed over durability.
            "--unsafe-no-fsync", "--snapshot-count=10000",
        ])
        _wait("etcd accepting connections", lambda: _port_open("127.0.0.1", PORTS["etcd"]), 60, etcd)
        say("etcd is up")
        api = _spawn(state, "kube-apiserver", [
            f"{k8s}/kube-apiserver", f"--etcd-servers=https://127.0.0.1:{PORTS['etcd']}",
            f"--etcd-cafile={pk}/ca.crt", f"--etcd-certfile={pk}/etcd.crt", f"--etcd-keyfile={pk}/etcd.key",
            f"--bind-address={node_ip()}", f"--advertise-address={node_ip()}", f"--secure-port={PORTS['api']}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            f"--client-ca-file={pk}/ca.crt", f"--tls-cert-file={pk}/apiserver.crt",
            f"--tls-private-key-file={pk}/apiserver.key",
            f"--kubelet-client-certificate={pk}/apiserver-kubelet-client.crt",
            f"--kubelet-client-key={pk}/apiserver-kubelet-client.key",
            f"--kubelet-certificate-authority={pk}/ca.crt", "--kubelet-preferred-address-types=InternalIP",
            f"--service-account-key-file={pk}/sa.pub", f"--service-account-signing-key-file={pk}/sa.key",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction",
            "--allow-privileged=true", "--profiling=false", "--v=1",
        ])
        _wait("the API server answering /readyz", lambda: api_get("/readyz")[0] == 200, timeout, api)
        say("kube-apiserver is up")
        _spawn(state, "kube-controller-manager", [
            f"{k8s}/kube-controller-manager", f"--kubeconfig={s}/controller-manager.kubeconfig",
            f"--authentication-kubeconfig={s}/controller-manager.kubeconfig",
            f"--authorization-kubeconfig={s}/controller-manager.kubeconfig",
            f"--service-account-private-key-file={pk}/sa.key", f"--root-ca-file={pk}/ca.crt",
            f"--cluster-signing-cert-file={pk}/ca.crt", f"--cluster-signing-key-file={pk}/ca.key",
            "--use-service-account-credentials=true", "--leader-elect=false",
            f"--service-cluster-ip-range={SERVICE_CIDR}", "--bind-address=127.0.0.1",
            f"--secure-port={PORTS['controller-manager']}", "--profiling=false", "--v=1",
        ])
        _spawn(state, "kube-scheduler", [
            f"{k8s}/kube-scheduler", f"--kubeconfig={s}/scheduler.kubeconfig",
            f"--authentication-kubeconfig={s}/scheduler.kubeconfig",
            f"--authorization-kubeconfig={s}/scheduler.kubeconfig", "--leader-elect=false",
            "--bind-address=127.0.0.1", f"--secure-port={PORTS['scheduler']}", "--profiling=false", "--v=1",
        ])
        ctrd = _spawn(state, "containerd", [f"{bins['containerd']}/containerd",
                                            f"--config={s}/containerd/config.toml", "--log-level=warn"])
        sock = run_dir() / "containerd.sock"
        _wait("containerd's socket", lambda: sock.is_socket() and _ctr(["version"], check=False) == 0, 60, ctrd)
        say("containerd is up")
        for name, archive in archives.items():
            _import(name, archive)
        say(f"loaded images: {', '.join(archives)}")
        dns = _spawn(state, "dns", [sys.executable, "-m", "course.cluster.local.dns", node_ip(), "53"],
                     env={**_env(), "PYTHONPATH": str(Path(__file__).resolve().parents[3])})
        _wait("the DNS responder", lambda: _port_open(node_ip(), 53), 30, dns)
        kubelet = _spawn(state, "kubelet", [
            f"{k8s}/kubelet", f"--config={s}/kubelet/config.yaml", f"--kubeconfig={s}/kubelet.kubeconfig",
            f"--root-dir={s}/kubelet", f"--hostname-override={NODE}", f"--node-ip={node_ip()}", "--v=1",
        ])
        _wait(f"node {NODE} Ready", _node_ready, timeout, kubelet)
        _wait("the default service account", _default_service_account, 60)
    except BaseException:
        say("start-up failed; stopping what was started")
        with contextlib.suppress(Exception):
            _stop_processes(State.load(), say)
        raise
    say(f"local cluster ready in {time.monotonic() - started:.0f}s (context {CONTEXT}, kubeconfig "
        f"{kubeconfig_path()})")


def _ctr(args: Sequence[str], check: bool = True, timeout: float = 120.0) -> int:
    ctr = build.bin_dir(build.component("containerd")) / "ctr"
    proc = subprocess.run([str(ctr), "--address", str(run_dir() / "containerd.sock"), "--namespace", "k8s.io",
                           *args], capture_output=True, text=True, timeout=timeout, check=False, env=_env())
    if check and proc.returncode != 0:
        raise ClusterError(f"`ctr {' '.join(args)}` failed: {proc.stderr.strip()}",
                           "Check containerd's log in the local engine's logs directory.")
    return proc.returncode


def _import(name: str, archive: Path) -> None:
    _ctr(["images", "import", str(archive)], timeout=300)
    _ctr(["images", "label", images.qualify(name), "io.cri-containerd.pinned=pinned"], check=False)


def load_images(names: Sequence[str] | None = None, *, say: Say = _quiet) -> list[str]:
    """Build (or reuse) the course images and import them into the running local cluster."""
    if not running():
        raise ClusterError("The local cluster is not running.", "Start it with `pod-course cluster up --engine local`.")
    archives = images.build_all(names, say=say)
    for name, archive in archives.items():
        _import(name, archive)
        say(f"loaded {name}")
    return [n for n in archives if n != versions.PAUSE_IMAGE]


def loaded_images() -> set[str]:
    """Names (as the chapters write them) of the images containerd has, from `ctr images ls -q`."""
    ctr = build.bin_dir(build.component("containerd")) / "ctr"
    proc = subprocess.run([str(ctr), "--address", str(run_dir() / "containerd.sock"), "--namespace", "k8s.io",
                           "images", "ls", "-q"], capture_output=True, text=True, timeout=30, check=False)
    out = set()
    for ref in proc.stdout.split():
        out.add(ref.removeprefix("docker.io/library/").removeprefix("docker.io/"))
    return out


def _crictl(args: Sequence[str], timeout: float = 120.0) -> None:
    crictl = build.bin_dir(build.component("crictl")) / "crictl"
    if not crictl.exists():
        return
    subprocess.run([str(crictl), "--runtime-endpoint", f"unix://{run_dir()}/containerd.sock", "--timeout", "60s",
                    *args], capture_output=True, text=True, timeout=timeout, check=False)


def _stop_processes(state: State, say: Say) -> None:
    by_name = {p.name: p for p in state.processes}
    kubelet = by_name.get("kubelet")
    if kubelet:
        _stop(kubelet)
    ctrd = by_name.get("containerd")
    if ctrd and ctrd.alive():
        say("removing every Pod sandbox")
        _crictl(["rmp", "--all", "--force"])
    for name in reversed(ORDER):
        proc = by_name.get(name)
        if proc:
            _stop(proc)
    for pid in _stray_pids():
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _stray_pids() -> list[int]:
    """Processes down must not leave: container processes in our cgroups and shims of our containerd."""
    pids: set[int] = set()
    for d in _cgroup_v1_dirs():
        if d.exists():
            for procs in d.rglob("cgroup.procs"):
                with contextlib.suppress(OSError, ValueError):
                    pids.update(int(x) for x in procs.read_text().split())
    ours = [str(build.bin_dir(c)) for c in build.components()]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            exe = os.readlink(entry / "exe")
            if any(exe.startswith(o + "/") for o in ours):
                pids.add(int(entry.name))
    pids.discard(os.getpid())
    return sorted(pids)


def _our_mounts() -> list[str]:
    """Mount points under the state and runtime directories, deepest first."""
    roots = [str(state_dir()), str(run_dir())]
    out = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            point = line.split()[4].replace("\\040", " ")
            if any(point == r or point.startswith(r + "/") for r in roots):
                out.append(point)
    return sorted(set(out), key=lambda p: (-p.count("/"), p))


def _remove_cgroup(d: Path) -> None:
    if not d.exists():
        return
    for sub in sorted((p for p in d.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        with contextlib.suppress(OSError):
            sub.rmdir()
    with contextlib.suppress(OSError):
        d.rmdir()


def down(*, say: Say = _quiet) -> bool:
    """Stop every recorded process and remove every mount, device, cgroup and file; False if nothing was there."""
    state = State.load()
    s = state_dir()
    if not state.processes and not s.exists() and not leftovers():
        say("no local cluster")
        return False
    preflight()
    say("stopping the local cluster")
    _stop_processes(state, say)
    for point in _our_mounts():
        subprocess.run(["umount", "--lazy", point], capture_output=True, timeout=30, check=False)
    if _ip("link", "show", BRIDGE, check=False).returncode == 0:
        _ip("link", "del", BRIDGE, check=False)
    for link in _veths_on_bridge():
        _ip("link", "del", link, check=False)
    for d in _cgroup_v1_dirs():
        _remove_cgroup(d)
    for link in Path("/var/log/containers").glob("*.log") if Path("/var/log/containers").is_dir() else []:
        with contextlib.suppress(OSError):
            if link.is_symlink() and os.readlink(link).startswith(str(s) + "/"):
                link.unlink()
    cni_cache = Path("/var/lib/cni/results")
    for f in cni_cache.glob(f"{CNI_NETWORK}-*") if cni_cache.is_dir() else []:
        f.unlink(missing_ok=True)
    shutil.rmtree(run_dir(), ignore_errors=True)
    shutil.rmtree(s, ignore_errors=True)
    say("local cluster removed")
    return True


def _veths_on_bridge() -> list[str]:
    proc = _ip("-o", "link", "show", "master", BRIDGE, check=False)
    return [line.split(":")[1].strip().split("@")[0] for line in proc.stdout.splitlines() if ":" in line]


def leftovers() -> list[str]:
    """Everything of a local cluster still on this host (empty after a clean `down`)."""
    out = [f"process {p} ({Path(f'/proc/{p}/exe').resolve()})" for p in _stray_pids()]
    out += [f"process {p.name} (pid {p.pid})" for p in State.load().processes if p.alive()]
    out += [f"mount {m}" for m in _our_mounts()]
    if shutil.which("ip") and _ip("link", "show", BRIDGE, check=False).returncode == 0:
        out.append(f"network device {BRIDGE}")
    out += [f"cgroup {d}" for d in _cgroup_v1_dirs() if d.exists()]
    out += [f"directory {d}" for d in (state_dir(), run_dir()) if d.exists()]
    return out


@dataclass
class LocalStatus:
    running: dict[str, bool] = field(default_factory=dict)
    reachable: bool = False
    node_ready: bool = False
    version: str = ""
    images_loaded: list[str] = field(default_factory=list)
    images_missing: list[str] = field(default_factory=list)
    problem: str = ""
    hint: str = ""

    @property
    def ok(self) -> bool:
        return self.reachable and self.node_ready and not self.images_missing

    def __str__(self) -> str:
        procs = ", ".join(f"{n} {'up' if ok else 'DOWN'}" for n, ok in self.running.items()) or "none"
        lines = [
            "engine:           local (processes on this host)",
            f"components:       {procs}",
            f"API reachable:    {'yes' if self.reachable else 'no'}" + (f" ({api_url()})" if self.reachable else ""),
            f"Kubernetes:       {self.version or '-'}",
            f"node Ready:       {'yes' if self.node_ready else 'no'} ({NODE})",
            f"context:          {CONTEXT} in {kubeconfig_path()}",
            f"images loaded:    {', '.join(self.images_loaded) or '-'}",
        ]
        if self.images_missing:
            lines.append(f"images missing:   {', '.join(self.images_missing)}")
        if self.problem:
            lines.append(f"problem: {self.problem}")
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)


def status(wanted: Sequence[str] | None = None) -> LocalStatus:
    """What runs and what answers, without raising."""
    st = LocalStatus()
    state = State.load()
    st.running = {n: any(p.name == n and p.alive() for p in state.processes) for n in ORDER}
    if not state.processes:
        st.problem = "no local cluster has been started"
        st.hint = "Start it with `pod-course cluster up --engine local`."
        return st
    code, body = api_get("/version")
    st.reachable = code == 200
    if st.reachable:
        with contextlib.suppress(ValueError):
            st.version = json.loads(body).get("gitVersion", "")
        st.node_ready = _node_ready()
    names = list(wanted) if wanted is not None else images.course_image_names()
    if st.running.get("containerd"):
        have = loaded_images()
        st.images_loaded = [n for n in names if n in have]
        st.images_missing = [n for n in names if n not in have]
    if not all(st.running.values()):
        st.problem = "some components are not running"
        st.hint = "Restart with `pod-course cluster down --engine local` then `up --engine local`."
    elif st.images_missing:
        st.hint = "Load them with `pod-course cluster load-images`."
    return st


@contextlib.contextmanager
def cluster(say: Say = _quiet) -> Iterator[None]:
    """A local cluster for the duration of a block, always torn down afterwards."""
    up(say=say)
    try:
        yield
    finally:
        down(say=say)
