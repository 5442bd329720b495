"""The course cluster's lifecycle: plain functions the `pod-course cluster` CLI wraps.

Everything shells out to `docker`, `kind` and `kubectl` with timeouts, and every failure is a
`ClusterError` that says what to install or run. Only the kind cluster named `pod-course`
(context `kind-pod-course`) is touched unless the caller names another one.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from course.cluster.client import COURSE_CLUSTER, COURSE_CONTEXT
from course.cluster.errors import ClusterError

HERE = Path(__file__).resolve().parent
KIND_CONFIG = HERE / "kind-config.yaml"
IMAGES_FILE = HERE / "images.txt"

_INSTALL = {
    "docker": "Install Docker (https://docs.docker.com/get-docker/) or Podman, and start it.",
    "kind": "Install kind (https://kind.sigs.k8s.io/docs/user/quick-start/#installation), e.g. "
    "`go install sigs.k8s.io/kind@v0.33.0` or `brew install kind`.",
    "kubectl": "Install kubectl (https://kubernetes.io/docs/tasks/tools/).",
}

Say = Callable[[str], None]


def _quiet_say(_: str) -> None:
    pass


def _run(args: Sequence[str], timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run a tool; a missing tool or a hang becomes a `ClusterError` naming the fix."""
    tool = args[0]
    exe = shutil.which(tool)
    if exe is None:
        raise ClusterError(f"`{tool}` is not installed (not found on PATH).", _INSTALL.get(tool, ""))
    try:
        return subprocess.run(
            [exe, *args[1:]], capture_output=True, text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        raise ClusterError(
            f"`{' '.join(args)}` did not finish within {timeout:g}s.",
            "Check that Docker is running and not out of disk space (`docker system df`).",
        ) from None
    except OSError as exc:
        raise ClusterError(f"Cannot run `{tool}`: {exc}.", _INSTALL.get(tool, "")) from None


def _must(args: Sequence[str], timeout: float, hint: str) -> str:
    proc = _run(args, timeout)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise ClusterError(f"`{' '.join(args)}` failed: {detail[-1] if detail else f'exit {proc.returncode}'}", hint)
    return proc.stdout


def check_docker() -> None:
    """Docker must be installed and its daemon running: kind's nodes are containers."""
    proc = _run(["docker", "info", "--format", "{{.ServerVersion}}"], timeout=20)
    if proc.returncode != 0:
        raise ClusterError(
            "Docker is installed but not running (the docker daemon did not answer).",
            "Start Docker Desktop, or `sudo systemctl start docker` on Linux, then retry.",
        )


def clusters() -> list[str]:
    out = _must(["kind", "get", "clusters"], 30, "Check the kind installation with `kind version`.")
    return [line.strip() for line in out.splitlines() if line.strip() and not line.startswith("No kind clusters")]


def current_context() -> str:
    """kubectl's current context, or '' when none is set."""
    proc = _run(["kubectl", "config", "current-context"], timeout=10)
    return proc.stdout.strip() if proc.returncode == 0 else ""


def require_course_context(context: str | None = None) -> str:
    """The context to use: the one the user named, else the current one only if it is the course's."""
    if context:
        return context
    current = current_context()
    if current != COURSE_CONTEXT:
        raise ClusterError(
            f"The current kubectl context is {current or '(none)'!r}, not the course cluster {COURSE_CONTEXT!r}.",
            f"Run `kubectl config use-context {COURSE_CONTEXT}` (or `pod-course cluster up`), "
            "or name the context you mean explicitly.",
        )
    return current


def api_reachable(context: str = COURSE_CONTEXT, timeout: float = 10.0) -> str | None:
    """None if the API server answers /readyz through `context`, else kubectl's complaint."""
    proc = _run(
        ["kubectl", "--context", context, "get", "--raw", "/readyz", f"--request-timeout={int(timeout)}s"],
        timeout=timeout + 5,
    )
    if proc.returncode == 0:
        return None
    lines = (proc.stderr or proc.stdout).strip().splitlines()
    return lines[-1] if lines else f"kubectl exited {proc.returncode}"


def course_images(path: Path = IMAGES_FILE) -> list[str]:
    """The images to preload, from images.txt (comments and blank lines ignored)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return out


def up(
    *,
    name: str = COURSE_CLUSTER,
    config: Path = KIND_CONFIG,
    images: Sequence[str] | None = None,
    wait_seconds: int = 180,
    say: Say = _quiet_say,
    pull: bool = False,
) -> None:
    """Create the course cluster (if absent), wait for its nodes, and preload the course images."""
    _run(["kind", "version"], timeout=10)  # missing kind -> install hint before Docker checks
    check_docker()
    context = f"kind-{name}"
    if name in clusters():
        say(f"kind cluster {name!r} already exists; reusing it")
    else:
        say(f"creating kind cluster {name!r} (takes a minute or two)")
        _must(
            ["kind", "create", "cluster", "--name", name, "--config", str(config), "--wait", f"{wait_seconds}s"],
            wait_seconds + 240,
            "Read kind's message above; `kind delete cluster --name pod-course` and retry often fixes a "
            "half-created cluster.",
        )
    say("waiting for nodes to be Ready")
    _must(
        [
            "kubectl",
            "--context",
            context,
            "wait",
            "--for=condition=Ready",
            "nodes",
            "--all",
            f"--timeout={wait_seconds}s",
        ],
        wait_seconds + 30,
        "The nodes did not become Ready; see `kubectl --context kind-pod-course describe nodes`.",
    )
    why = api_reachable(context)
    if why is not None:
        raise ClusterError(f"The API server of {context} is not reachable: {why}", "Run `pod-course cluster status`.")
    load_images(images, name=name, say=say, pull=pull)


def down(*, name: str = COURSE_CLUSTER, say: Say = _quiet_say) -> bool:
    """Delete the course kind cluster; False if there was none. Other clusters are never touched."""
    check_docker()
    if name not in clusters():
        say(f"no kind cluster named {name!r}")
        return False
    say(f"deleting kind cluster {name!r}")
    _must(["kind", "delete", "cluster", "--name", name], 300, "Retry; `docker ps` shows the node containers.")
    return True


def can_build_images() -> bool:
    """Whether this host can build the Debian stand-ins (Debian's apt and dpkg-deb, and Go for pause)."""
    return all(shutil.which(t) for t in ("apt-get", "apt-cache", "dpkg-deb"))


def load_images(
    images: Sequence[str] | None = None, *, name: str = COURSE_CLUSTER, say: Say = _quiet_say, pull: bool = False
) -> list[str]:
    """Load the course images into every node, so exercises start without a registry.

    On a Debian-like host the stand-ins are built from Debian packages (the same images the local
    engine runs); elsewhere, or with `pull`, the published images of the same names are pulled
    with Docker first.
    """
    wanted = list(images) if images is not None else course_images()
    if name not in clusters():
        raise ClusterError(f"There is no kind cluster named {name!r}.", "Create it with `pod-course cluster up`.")
    if not pull and can_build_images():
        from course.cluster.local import images as stand_ins

        for image, archive in stand_ins.build_all(wanted, say=say).items():
            if image not in wanted:
                continue  # kind's node image has its own pause image
            say(f"loading {image} (Debian stand-in) into {name}")
            _must(["kind", "load", "image-archive", str(archive), "--name", name], 600,
                  "Check there is free disk space, then retry `pod-course cluster load-images`.")
        return wanted
    for image in wanted:
        if _run(["docker", "image", "inspect", image], timeout=30).returncode != 0:
            say(f"pulling {image}")
            _must(["docker", "pull", image], 600, f"Check the image name and your network: `docker pull {image}`.")
        say(f"loading {image} into {name}")
        _must(
            ["kind", "load", "docker-image", image, "--name", name],
            600,
            "Check there is free disk space, then retry `pod-course cluster load-images`.",
        )
    return wanted


@dataclass
class ClusterStatus:
    docker: bool = False
    kind: bool = False
    cluster_exists: bool = False
    current_context: str = ""
    reachable: bool = False
    problem: str = ""
    hint: str = ""
    images_loaded: list[str] = field(default_factory=list)
    images_missing: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.reachable and not self.images_missing

    def __str__(self) -> str:
        lines = [
            f"docker running:   {'yes' if self.docker else 'no'}",
            f"kind installed:   {'yes' if self.kind else 'no'}",
            f"cluster exists:   {'yes' if self.cluster_exists else 'no'} ({COURSE_CLUSTER})",
            f"current context:  {self.current_context or '(none)'}"
            + ("" if self.current_context == COURSE_CONTEXT else f"  (course context is {COURSE_CONTEXT})"),
            f"API reachable:    {'yes' if self.reachable else 'no'}",
            f"images loaded:    {', '.join(self.images_loaded) or '-'}",
        ]
        if self.images_missing:
            lines.append(f"images missing:   {', '.join(self.images_missing)}")
        if self.problem:
            lines.append(f"problem: {self.problem}")
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)


def _node_images(name: str) -> set[str]:
    """Images present on every node, as `crictl` reports them (docker.io/library/ prefixes dropped)."""
    nodes = [n for n in _must(["kind", "get", "nodes", "--name", name], 30, "").split() if n]
    common: set[str] | None = None
    for node in nodes:
        out = _must(["docker", "exec", node, "crictl", "images", "-o", "json"], 60, "")
        try:
            data = json.loads(out)
        except ValueError:
            data = {}
        tags: set[str] = set()
        for img in data.get("images") or [] if isinstance(data, dict) else []:
            for tag in img.get("repoTags") or [] if isinstance(img, dict) else []:
                if isinstance(tag, str):
                    tags.add(tag.removeprefix("docker.io/library/").removeprefix("docker.io/"))
        common = tags if common is None else common & tags
    return common or set()


def status(*, name: str = COURSE_CLUSTER, images: Sequence[str] | None = None) -> ClusterStatus:
    """What works and what does not, without raising: for `pod-course cluster status`."""
    st = ClusterStatus()
    try:
        _run(["kind", "version"], timeout=10)
        st.kind = True
        check_docker()
        st.docker = True
        st.cluster_exists = name in clusters()
        if not st.cluster_exists:
            raise ClusterError(f"There is no kind cluster named {name!r}.", "Create it with `pod-course cluster up`.")
        if shutil.which("kubectl"):
            st.current_context = current_context()
        why = api_reachable(f"kind-{name}")
        if why is not None:
            raise ClusterError(
                f"The API server is not reachable: {why}",
                "Restart the node containers (`docker start pod-course-control-plane "
                "pod-course-worker`) or recreate with `pod-course cluster down` then `up`.",
            )
        st.reachable = True
        wanted = list(images) if images is not None else course_images()
        have = _node_images(name)
        st.images_loaded = [i for i in wanted if i in have]
        st.images_missing = [i for i in wanted if i not in have]
        if st.images_missing:
            st.hint = "Load them with `pod-course cluster load-images`."
    except ClusterError as exc:
        st.problem, st.hint = exc.message, exc.hint
    return st
