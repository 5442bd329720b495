"""Build the local engine's binaries from upstream Go modules, once per version, into a cache.

Each component is one Go module at one version (`course.versions`). It is built the way a
consumer of the module would: a throw-away wrapper module that requires it, with the module's
own local-path `replace` directives (Kubernetes' staging repositories, etcd's sibling modules)
pointed at the published modules of the same release. The result goes to
`<cache>/<component>-<version>/`, with a `BUILT` stamp written last, so an interrupted build is
never mistaken for a finished one and a finished one is never rebuilt.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from course import versions
from course.cluster.errors import ClusterError

Say = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def cache_root() -> Path:
    """Where built binaries live: $PODCOURSE_CACHE, else $XDG_CACHE_HOME/pod-course, else ~/.cache."""
    env = os.environ.get("PODCOURSE_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(base) / "pod-course"


@dataclass(frozen=True)
class Component:
    """One Go module built into a set of binaries."""

    name: str
    module: str
    version: str
    packages: tuple[str, ...]  # relative to the module root ("." for the root package)
    names: tuple[str, ...] = ()  # the binaries' names, when not the package's own (etcd's root package)
    companion: str = ""  # version for the module's local-path replaces ("" = same as version)
    cgo: bool = False
    tags: tuple[str, ...] = ()
    ldflags: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()  # what the build needs from the system (for the error message)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.name}-{self.version}"

    def import_paths(self) -> list[str]:
        return [self.module if p == "." else f"{self.module}/{p}" for p in self.packages]

    def go_names(self) -> list[str]:
        """The names `go build -o DIR/` gives: the last path element, skipping a major-version suffix."""
        out = []
        for path in self.import_paths():
            parts = path.split("/")
            out.append(parts[-2] if re.fullmatch(r"v[0-9]+", parts[-1]) and len(parts) > 1 else parts[-1])
        return out

    def binaries(self) -> list[str]:
        return list(self.names) or self.go_names()


def _k8s_ldflags(version: str) -> tuple[str, ...]:
    major, minor = version.lstrip("v").split(".")[:2]
    pkg = "k8s.io/component-base/version"
    return (
        f"-X {pkg}.gitVersion={version}",
        f"-X {pkg}.gitMajor={major}",
        f"-X {pkg}.gitMinor={minor}",
        f"-X {pkg}.gitTreeState=clean",
        f"-X {pkg}.buildDate=1970-01-01T00:00:00Z",
    )


def components() -> list[Component]:
    """The local engine's components at the pinned versions."""
    k8s = versions.KUBERNETES
    k8s_staging = "v0." + ".".join(k8s.lstrip("v").split(".")[1:])  # v1.37.0 -> v0.37.0
    return [
        Component(
            "kubernetes", "k8s.io/kubernetes", k8s,
            tuple(f"cmd/{c}" for c in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet",
                                        "kubectl")),
            companion=k8s_staging, ldflags=_k8s_ldflags(k8s),
        ),
        Component(
            "etcd", "go.etcd.io/etcd/server/v3", versions.ETCD, (".",), names=("etcd",),
        ),
        Component(
            "containerd", "github.com/containerd/containerd/v2", versions.CONTAINERD,
            ("cmd/containerd", "cmd/containerd-shim-runc-v2", "cmd/ctr"),
            tags=("no_aufs", "no_zfs", "no_btrfs", "no_devmapper"),
            ldflags=(f"-X github.com/containerd/containerd/v2/version.Version={versions.CONTAINERD}",),
        ),
        Component(
            "runc", "github.com/opencontainers/runc", versions.RUNC, (".",),
            cgo=True, tags=("seccomp",),
            ldflags=(f"-X main.version={versions.RUNC.lstrip('v')}",),
            needs=("gcc", "pkg-config", "libseccomp-dev"),
        ),
        Component(
            "cni-plugins", "github.com/containernetworking/plugins", versions.CNI_PLUGINS,
            ("plugins/main/bridge", "plugins/main/loopback", "plugins/ipam/host-local"),
            ldflags=(f"-X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion="
                     f"{versions.CNI_PLUGINS}",),
        ),
        Component(
            "crictl", "sigs.k8s.io/cri-tools", versions.CRICTL, ("cmd/crictl",),
            ldflags=(f"-X sigs.k8s.io/cri-tools/pkg/version.Version={versions.CRICTL}",),
        ),
    ]


def component(name: str) -> Component:
    for c in components():
        if c.name == name:
            return c
    raise KeyError(name)


def bin_dir(comp: Component, root: Path | None = None) -> Path:
    return (root or cache_root()) / comp.key


def is_built(comp: Component, root: Path | None = None) -> bool:
    d = bin_dir(comp, root)
    return (d / "BUILT").is_file() and all((d / b).is_file() for b in comp.binaries())


def _go() -> str:
    exe = shutil.which("go")
    if exe is None:
        raise ClusterError(
            "The local engine builds Kubernetes from source and needs Go, which is not on PATH.",
            "Install Go 1.26 or newer (https://go.dev/doc/install), then retry `pod-course cluster up --engine local`.",
        )
    return exe


def _run_go(args: Sequence[str], cwd: Path, env: dict[str, str], timeout: float, what: str) -> None:
    try:
        proc = subprocess.run(
            [_go(), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
            stdin=subprocess.DEVNULL, check=False,
        )
    except subprocess.TimeoutExpired:
        raise ClusterError(f"{what} did not finish within {timeout:g}s.",
                           "Retry; a first build of Kubernetes takes 15-30 minutes on 2 cores.") from None
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise ClusterError(f"{what} failed:\n{tail}",
                           "Check the Go module proxy is reachable (GOPROXY) and the build tools are installed.")


_LOCAL_REPLACE = re.compile(r"^\s*(\S+)\s*=>\s*(\.\.?/\S*)\s*$")


def local_replaces(go_mod: str) -> list[str]:
    """The modules a go.mod replaces with a local path (`k8s.io/api => ./staging/src/k8s.io/api`)."""
    out: list[str] = []
    in_block = False
    for raw in go_mod.splitlines():
        line = raw.split("//", 1)[0].rstrip()
        if line.startswith("replace ("):
            in_block = True
            continue
        if in_block and line.strip() == ")":
            in_block = False
            continue
        if line.startswith("replace "):
            line = line[len("replace "):]
        elif not in_block:
            continue
        m = _LOCAL_REPLACE.match(line)
        if m:
            out.append(m.group(1))
    return out


def wrapper_go_mod(comp: Component, module_go_mod: str) -> str:
    """The go.mod of the wrapper module that builds `comp`."""
    lines = ["module podcourse.local/build", "", "go 1.26.0", "", f"require {comp.module} {comp.version}", ""]
    replaces = local_replaces(module_go_mod)
    if replaces:
        companion = comp.companion or comp.version
        lines.append("replace (")
        lines += [f"\t{mod} => {mod} {companion}" for mod in replaces]
        lines.append(")")
    return "\n".join(lines) + "\n"


def _module_go_mod(comp: Component, env: dict[str, str], work: Path, timeout: float) -> str:
    out = subprocess.run(
        [_go(), "mod", "download", "-json", f"{comp.module}@{comp.version}"], cwd=work, env=env,
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False,
    )
    try:
        info = json.loads(out.stdout)
    except ValueError:
        info = {}
    if out.returncode != 0 or not info.get("GoMod"):
        detail = (out.stderr or out.stdout).strip().splitlines()
        raise ClusterError(f"Cannot download {comp.module}@{comp.version}: {detail[-1] if detail else 'no output'}",
                           "Check that the Go module proxy is reachable (`go env GOPROXY`).")
    return Path(info["GoMod"]).read_text(encoding="utf-8")


def build(comp: Component, *, root: Path | None = None, say: Say = _quiet, timeout: float = 5400.0) -> Path:
    """Build `comp` into the cache unless it is already there; the directory of its binaries."""
    dest = bin_dir(comp, root)
    if is_built(comp, root):
        return dest
    env = dict(os.environ)
    env.update({"GOTOOLCHAIN": "local", "GOFLAGS": "-buildvcs=false -mod=mod", "GOWORK": "off",
                "CGO_ENABLED": "1" if comp.cgo else "0"})
    env.update(comp.env)
    if comp.cgo:
        missing = [t for t in ("gcc", "pkg-config") if shutil.which(t) is None]
        if missing:
            raise ClusterError(f"Building {comp.name} needs a C toolchain: {', '.join(missing)} not found.",
                               f"Install {', '.join(comp.needs)} (Debian: apt-get install {' '.join(comp.needs)}).")
    started = time.monotonic()
    say(f"building {comp.name} {comp.version} from {comp.module} (once; cached in {dest})")
    with tempfile.TemporaryDirectory(prefix=f"podcourse-build-{comp.name}-") as tmp:
        work = Path(tmp)
        (work / "go.mod").write_text(wrapper_go_mod(comp, _module_go_mod(comp, env, work, 600)), encoding="utf-8")
        imports = "\n".join(f'\t_ "{path}"' for path in comp.import_paths())
        (work / "tools.go").write_text(f"//go:build tools\n\npackage tools\n\nimport (\n{imports}\n)\n",
                                       encoding="utf-8")
        _run_go(["mod", "tidy"], work, env, 900, f"Resolving the modules of {comp.name}")
        staging = dest.with_name(dest.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        args = ["build", "-trimpath", "-ldflags", " ".join(("-s", "-w", *comp.ldflags)), "-o", str(staging) + "/"]
        if comp.tags:
            args += ["-tags", ",".join(comp.tags)]
        _run_go([*args, *comp.import_paths()], work, env, timeout, f"Building {comp.name} {comp.version}")
        for built, want in zip(comp.go_names(), comp.binaries(), strict=True):
            if built != want:
                (staging / built).rename(staging / want)
        (staging / "BUILT").write_text(
            json.dumps({"module": comp.module, "version": comp.version, "seconds": round(time.monotonic() - started)}),
            encoding="utf-8",
        )
        shutil.rmtree(dest, ignore_errors=True)
        staging.rename(dest)
    say(f"built {comp.name} in {time.monotonic() - started:.0f}s")
    return dest


def build_all(*, root: Path | None = None, say: Say = _quiet) -> dict[str, Path]:
    """Every component built (or found in the cache): name -> directory of its binaries."""
    return {c.name: build(c, root=root, say=say) for c in components()}
