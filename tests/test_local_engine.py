"""The local engine's parts that need no cluster: the version pin, builds, images, configs, DNS, state."""

from __future__ import annotations

import io
import json
import os
import socket
import struct
import tarfile
from pathlib import Path

import pytest
import yaml

from course import versions
from course.checker import model, schema
from course.cluster import kind
from course.cluster.local import build, dns, engine, images

REPO = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- one version pin


def test_checker_kind_and_local_engine_share_one_kubernetes_version():
    """Do the checker's default, kind's node image and the local engine all name the pinned release?"""
    assert model.DEFAULT_K8S_VERSION == versions.KUBERNETES_MINOR == schema.DEFAULT
    nodes = yaml.safe_load(kind.KIND_CONFIG.read_text())["nodes"]
    assert {n["image"] for n in nodes} == {versions.KIND_NODE_IMAGE}
    assert versions.KIND_NODE_IMAGE.startswith(f"kindest/node:{versions.KUBERNETES}@sha256:")
    assert build.component("kubernetes").version == versions.KUBERNETES
    assert f"v{versions.KUBERNETES_MINOR}" == versions.PSS_VERSION


def test_ci_workflow_uses_the_pinned_kind():
    """Does the GitHub workflow create the cluster with the kind release the pin names?"""
    text = (REPO / ".github" / "workflows" / "kind.yml").read_text()
    assert f"version: {versions.KIND}" in text


# ---------------------------------------------------------------- builds


GO_MOD = """module k8s.io/kubernetes

require (
\tk8s.io/api v0.0.0
)

replace (
\tk8s.io/api => ./staging/src/k8s.io/api
\tk8s.io/client-go => ./staging/src/k8s.io/client-go // a comment
\tgithub.com/x/y => github.com/x/y v1.2.3
)

replace go.etcd.io/etcd/api/v3 => ../api
"""


def test_local_path_replaces_are_found():
    """Are only the local-path replace directives (block and single-line) taken from a go.mod?"""
    assert build.local_replaces(GO_MOD) == ["k8s.io/api", "k8s.io/client-go", "go.etcd.io/etcd/api/v3"]


def test_wrapper_module_points_staging_at_published_modules():
    """Does the wrapper go.mod require the module and pin its staging modules at the companion version?"""
    comp = build.component("kubernetes")
    text = build.wrapper_go_mod(comp, GO_MOD)
    assert f"require k8s.io/kubernetes {versions.KUBERNETES}" in text
    assert "\tk8s.io/api => k8s.io/api v0.37.0" in text
    assert "github.com/x/y" not in text


@pytest.mark.parametrize(
    ("name", "binaries"),
    [
        ("kubernetes", ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kubectl"]),
        ("etcd", ["etcd"]),
        ("containerd", ["containerd", "containerd-shim-runc-v2", "ctr"]),
        ("runc", ["runc"]),
        ("cni-plugins", ["bridge", "loopback", "host-local"]),
        ("crictl", ["crictl"]),
    ],
)
def test_each_component_names_its_binaries(name, binaries):
    """Does each component build the binaries the engine starts, under their usual names?"""
    assert build.component(name).binaries() == binaries


def test_major_version_suffix_is_skipped_in_binary_names():
    """Does a root package at `.../server/v3` build as `server` (Go's rule), renamed to etcd?"""
    comp = build.component("etcd")
    assert comp.go_names() == ["server"] and comp.binaries() == ["etcd"]


def test_runtime_versions_match_kinds_base_image():
    """Are containerd, runc, CNI plugins and crictl the versions kind v0.33.0's base image ships?"""
    assert (versions.CONTAINERD, versions.RUNC, versions.CNI_PLUGINS, versions.CRICTL) == (
        "v2.3.4", "v1.4.3", "v1.9.1", "v1.36.0")


def test_half_built_cache_is_not_taken_for_a_built_one(tmp_path):
    """Without its BUILT stamp (an interrupted build), is a component's cache directory rebuilt?"""
    comp = build.component("crictl")
    d = build.bin_dir(comp, tmp_path)
    d.mkdir(parents=True)
    (d / "crictl").write_text("")
    assert not build.is_built(comp, tmp_path)
    (d / "BUILT").write_text("{}")
    assert build.is_built(comp, tmp_path)


def test_cache_root_honours_the_environment(monkeypatch, tmp_path):
    """Is the binary cache $PODCOURSE_CACHE when set, else under $XDG_CACHE_HOME?"""
    monkeypatch.setenv("PODCOURSE_CACHE", str(tmp_path / "c"))
    assert build.cache_root() == tmp_path / "c"
    monkeypatch.delenv("PODCOURSE_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert build.cache_root() == tmp_path / "pod-course"


# ---------------------------------------------------------------- images


def test_images_txt_lists_exactly_the_buildable_images():
    """Is every image the chapters use buildable here, and nothing else listed?"""
    assert kind.course_images() == [s.name for s in images.SPECS]


@pytest.mark.parametrize("spec", images.SPECS, ids=lambda s: s.name)
def test_a_stand_in_claims_only_the_version_it_contains(spec):
    """Does each tag name the version the build checks the program reports (busybox:1.35 -> BusyBox v1.35)?"""
    tag = spec.name.split(":", 1)[1].removesuffix("-slim")
    assert tag in spec.claims


@pytest.mark.parametrize(
    ("name", "ref"),
    [
        ("busybox:1.35", "docker.io/library/busybox:1.35"),
        ("nginx/nginx-prometheus-exporter:1.3.0", "docker.io/nginx/nginx-prometheus-exporter:1.3.0"),
        ("registry.k8s.io/pause:3.10.2", "registry.k8s.io/pause:3.10.2"),
        ("localhost:5000/app:v1", "localhost:5000/app:v1"),
    ],
)
def test_names_are_qualified_as_the_runtime_does(name, ref):
    """Is an image name qualified the way containerd's CRI normalises it?"""
    assert images.qualify(name) == ref


def test_layer_is_deterministic(tmp_path):
    """Do two builds of the same root filesystem give the same layer bytes (sorted, root-owned, mtime 0)?"""
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "sh").write_text("#!x\n")
    (root / "bin" / "ash").symlink_to("sh")
    first = images.layer_tar(root)
    os.utime(root / "bin" / "sh", (1, 1))
    assert images.layer_tar(root) == first
    with tarfile.open(fileobj=io.BytesIO(first)) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == ["bin", "bin/ash", "bin/sh"]
    assert all(m.uid == 0 and m.mtime == 0 for m in members)


def test_archive_is_an_oci_layout_that_docker_and_containerd_read(tmp_path):
    """Does the archive carry an OCI index naming the image, its blobs, and Docker's manifest.json?"""
    root = tmp_path / "root"
    root.mkdir()
    (root / "hello").write_text("hi\n")
    dest = tmp_path / "img.tar"
    images.write_archive(dest, "busybox:1.35", images.layer_tar(root), {"Cmd": ["sh"]}, created_by="test")
    with tarfile.open(dest) as tar:
        index = json.load(tar.extractfile("index.json"))
        docker = json.load(tar.extractfile("manifest.json"))
        names = set(tar.getnames())
        manifest_digest = index["manifests"][0]["digest"].split(":")[1]
        manifest = json.load(tar.extractfile(f"blobs/sha256/{manifest_digest}"))
    ann = index["manifests"][0]["annotations"]
    assert ann["io.containerd.image.name"] == "docker.io/library/busybox:1.35"
    assert docker[0]["RepoTags"] == ["busybox:1.35"]
    assert "oci-layout" in names
    for blob in (manifest["config"], *manifest["layers"]):
        assert f"blobs/sha256/{blob['digest'].split(':')[1]}" in names


# ---------------------------------------------------------------- configuration


def test_kubelet_runs_on_cgroup_v1_with_cgroupfs():
    """Is the kubelet told to accept cgroup v1 (refused by default since 1.35) and to use cgroupfs?"""
    cfg = json.loads(engine._kubelet_config())
    assert cfg["failCgroupV1"] is False and cfg["cgroupDriver"] == "cgroupfs"
    assert cfg["cgroupRoot"] == f"/{engine.CGROUP_PARENT}"
    assert cfg["clusterDNS"] == [engine.node_ip()]
    assert cfg["imageGCHighThresholdPercent"] == 100  # the loaded course images cannot be pulled again


def test_containerd_keeps_its_defaults_learners_meet_on_kind(monkeypatch):
    """Does containerd pin the pause image and keep unprivileged ports open, as kind's containerd 2.x does?"""
    text = engine._containerd_config(engine._bins())
    assert f'sandbox = "{versions.PAUSE_IMAGE}"' in text
    assert "enable_unprivileged_ports = true" in text
    assert "SystemdCgroup = false" in text
    assert "netns_mounts_under_state_dir = true" in text  # so down finds every network namespace mount


def test_cni_bridge_is_the_engine_own_and_needs_no_iptables():
    """Is the CNI network a bridge of the engine's own, with host-local IPAM in the state directory?"""
    cfg = json.loads(engine._cni_config())
    plugin = cfg["plugins"][0]
    assert plugin["type"] == "bridge" and plugin["bridge"] == engine.BRIDGE and plugin["ipMasq"] is False
    assert plugin["ipam"]["dataDir"].startswith(str(engine.state_dir()))


def test_state_lives_where_the_environment_says(monkeypatch, tmp_path):
    """Are the state, runtime directory and kubeconfig under $PODCOURSE_LOCAL_DIR (never ~/.kube)?"""
    monkeypatch.setenv("PODCOURSE_LOCAL_DIR", str(tmp_path))
    monkeypatch.delenv("PODCOURSE_LOCAL_RUN", raising=False)
    assert engine.state_dir() == tmp_path and engine.run_dir() == tmp_path / "run"
    assert engine.kubeconfig_path() == tmp_path / "kubeconfig"


def test_a_reused_pid_is_not_taken_for_ours():
    """Is a recorded process alive only while the same pid has the same start time?"""
    me = engine.Proc("self", os.getpid(), "python", engine._start_time(os.getpid()))
    assert me.alive()
    assert not engine.Proc("self", os.getpid(), "python", "1").alive()
    assert not engine.Proc("gone", 2**22 + 7, "x", "1").alive()


def test_status_without_a_cluster_says_how_to_start_one(monkeypatch, tmp_path):
    """With no local cluster, does status say so and name the command, without raising?"""
    monkeypatch.setenv("PODCOURSE_LOCAL_DIR", str(tmp_path / "none"))
    st = engine.status()
    assert not st.ok and "up --engine local" in st.hint
    assert "engine:           local" in str(st)


def test_course_target_prefers_a_local_engine(monkeypatch, tmp_path):
    """Does the course connect to the local engine's own kubeconfig when it exists, else to kind's context?"""
    from course.cluster import client

    monkeypatch.setenv("PODCOURSE_LOCAL_DIR", str(tmp_path))
    assert client.course_target() == (None, client.COURSE_CONTEXT)
    (tmp_path / "kubeconfig").write_text("{}")
    assert client.course_target() == (str(tmp_path / "kubeconfig"), engine.CONTEXT)
    monkeypatch.setenv("PODCOURSE_CONTEXT", "mine")
    assert client.course_target() == (None, "mine")


# ---------------------------------------------------------------- DNS


def _query(name: str, ident: int = 0x1234) -> bytes:
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + labels + struct.pack("!HH", 1, 1)


def test_dns_answers_nxdomain_for_any_name():
    """Does the engine's DNS answer a lookup at once with NXDOMAIN, echoing the question?"""
    q = _query("app.default.svc.cluster.local")
    reply = dns.answer(q)
    ident, flags, qd, an = struct.unpack("!HHHH", reply[:8])
    assert ident == 0x1234 and flags & 0x8000 and flags & 0xF == dns.NXDOMAIN and qd == 1 and an == 0
    assert reply[12:] == q[12:]


@pytest.mark.parametrize("garbage", [b"", b"\x00" * 5, struct.pack("!HHHHHH", 1, 0x8000, 0, 0, 0, 0)])
def test_dns_ignores_garbage_and_answers(garbage):
    """Are short messages and responses ignored rather than crashing the responder?"""
    assert dns.answer(garbage) is None


def test_dns_serves_over_udp():
    """Does the responder answer a real UDP query on a socket?"""
    import threading

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    threading.Thread(target=dns.serve, args=("127.0.0.1", port), daemon=True).start()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        for _ in range(50):
            s.sendto(_query("nope"), ("127.0.0.1", port))
            try:
                data, _ = s.recvfrom(512)
                break
            except TimeoutError:
                continue
    assert struct.unpack("!H", data[2:4])[0] & 0xF == dns.NXDOMAIN
