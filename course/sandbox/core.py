"""A pod sandbox built from real Linux namespaces: a pause process plus containers that join it.

The namespace work happens in `_shim.py`, a separate stdlib-only process, so the
notebook kernel itself never changes namespace and a crashed cell cannot leave it
stranded inside one.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

SHIM = str(Path(__file__).with_name("_shim.py"))
NAMESPACES = ("net", "ipc", "uts", "pid", "mnt", "user", "cgroup")
SHARED_MOUNT = "/mnt/pod/shared"
PRIVATE_MOUNT = "/mnt/pod/private"
ENV_SWITCH = "PODCOURSE_SANDBOX"

Mode = Literal["root", "userns"]


class SandboxError(RuntimeError):
    """The sandbox could not do what was asked; the message says why in plain words."""


@dataclass(frozen=True)
class Support:
    available: bool
    mode: Mode | None
    reason: str


def _probe(mode: Mode, timeout: float = 5.0) -> str | None:
    """Return None if every namespace step works in `mode`, else the error text."""
    argv = [sys.executable, "-I", "-S", SHIM, "probe"] + (["--userns"] if mode == "userns" else [])
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if done.returncode == 0:
        return None
    return done.stderr.strip() or f"probe exited with status {done.returncode}"


@lru_cache(maxsize=8)
def _support_for(setting: str, euid: int) -> Support:
    if setting == "off":
        return Support(False, None, f"disabled by {ENV_SWITCH}=off")
    if not sys.platform.startswith("linux"):
        return Support(False, None, "Linux namespaces are needed and this is not Linux")
    if not Path("/proc/self/ns/net").exists():
        return Support(False, None, "this kernel does not expose /proc/self/ns")
    wanted: list[Mode] = []
    if setting in ("root", "auto") and euid == 0:
        wanted.append("root")
    if setting in ("userns", "auto"):
        wanted.append("userns")
    if not wanted:
        return Support(False, None, f"{ENV_SWITCH}=root was asked for but this process is not root")
    errors = []
    for mode in wanted:
        err = _probe(mode)
        if err is None:
            how = "running as root" if mode == "root" else "unprivileged user namespaces work"
            return Support(True, mode, how)
        errors.append(f"{mode}: {err}")
    return Support(False, None, "cannot create namespaces here (" + "; ".join(errors) + ")")


def sandbox_support(setting: str | None = None) -> Support:
    """Can this machine build pod sandboxes, and how (as root or inside a user namespace)?

    `setting` (or the PODCOURSE_SANDBOX variable) is one of auto, root, userns, off.
    """
    chosen = (setting or os.environ.get(ENV_SWITCH) or "auto").strip().lower()
    if chosen not in ("auto", "root", "userns", "off"):
        return Support(False, None, f"unknown {ENV_SWITCH} value {chosen!r}; use auto, root, userns or off")
    return _support_for(chosen, os.geteuid())


def ns_links(pid: int | str = "self") -> dict[str, str]:
    """The namespace identities of a process, e.g. {"net": "net:[4026532...]"}; missing ones left out."""
    out = {}
    for ns in NAMESPACES:
        with contextlib.suppress(OSError):
            out[ns] = os.readlink(f"/proc/{pid}/ns/{ns}")
    return out


def pid_alive(pid: int) -> bool:
    """Is `pid` a live process (zombies count as dead)?"""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _pids() -> Iterator[int]:
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            yield int(entry)


def pids_in_namespace(link: str, kind: str = "net") -> list[int]:
    """Host pids of the live processes whose `kind` namespace is `link`."""
    found = []
    for pid in _pids():
        try:
            if os.readlink(f"/proc/{pid}/ns/{kind}") == link and pid_alive(pid):
                found.append(pid)
        except OSError:
            continue
    return found


TMP_PREFIX = "pod-sandbox-"
OWNER_FILE = ".owner"


def _start_time(pid: int) -> str | None:
    """The kernel's start time of `pid`; together with the pid it names one process for good."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _sweep_stale_dirs() -> list[str]:
    """Remove temp dirs left by sandboxes whose creating process was killed before it could clean up."""
    removed = []
    base = Path(tempfile.gettempdir())
    for d in base.glob(TMP_PREFIX + "*"):
        try:
            if d.stat().st_uid != os.geteuid():
                continue
            pid_text, start = (d / OWNER_FILE).read_text().split()
            owner = int(pid_text)
        except (OSError, ValueError):
            continue
        if _start_time(owner) != start:
            shutil.rmtree(d, ignore_errors=True)
            removed.append(str(d))
    return removed


def _read_report(fd: int, deadline: float) -> list[str]:
    """Read the shim's ready pipe until EOF or the deadline."""
    buf = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise SandboxError("timed out waiting for the sandbox process to start")
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            return buf.decode(errors="replace").splitlines()
        buf += chunk


def _spawn_shim(args: list[str], timeout: float, **popen: object) -> tuple[subprocess.Popen, int]:
    """Start the shim in its own session and wait until it reports; return (popen, running pid)."""
    rfd, wfd = os.pipe()
    argv = [sys.executable, "-I", "-S", SHIM, *args[:1], "--ready-fd", str(wfd),
            "--parent", str(os.getpid()), *args[1:]]
    try:
        proc = subprocess.Popen(argv, pass_fds=(wfd,), start_new_session=True, **popen)  # type: ignore[call-overload]
    finally:
        os.close(wfd)
    try:
        lines = _read_report(rfd, time.monotonic() + timeout)
    except BaseException:
        _kill_group(proc.pid)
        _reap(proc, 1.0)
        raise
    finally:
        os.close(rfd)
    pid = None
    for line in lines:
        if line.startswith("err "):
            _kill_group(proc.pid)
            _reap(proc, 1.0)
            raise SandboxError(line[4:])
        if line.startswith("pid "):
            pid = int(line[4:])
    if pid is None:
        _reap(proc, 1.0)
        raise SandboxError(f"sandbox process exited early with status {proc.returncode}")
    return proc, pid


def _kill_group(pgid: int, sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _reap(proc: subprocess.Popen, timeout: float) -> int | None:
    try:
        return proc.wait(timeout=max(timeout, 0.0))
    except subprocess.TimeoutExpired:
        return None


@dataclass
class Container:
    """One process started inside a sandbox; `pid` is its host pid, `proc` its launcher."""

    name: str
    argv: list[str]
    proc: subprocess.Popen
    pid: int
    log_dir: Path
    private_dir: str
    shared_dir: str
    namespaces_at_start: dict[str, str] = field(default_factory=dict)

    def poll(self) -> int | None:
        return self.proc.poll()

    def running(self) -> bool:
        return self.proc.poll() is None and pid_alive(self.pid)

    def wait(self, timeout: float) -> int:
        """Wait at most `timeout` seconds; raises subprocess.TimeoutExpired rather than hang."""
        return self.proc.wait(timeout=timeout)

    def stop(self, grace: float = 0.5) -> int | None:
        """SIGTERM the container's process group, SIGKILL whatever is left after `grace`."""
        if self.proc.returncode is None:  # unreaped, so its pid (= process group) is still ours
            _kill_group(self.proc.pid, signal.SIGTERM)
            if _reap(self.proc, grace) is None:
                _kill_group(self.proc.pid)
                _reap(self.proc, 2.0)
        return self.proc.returncode

    def logs(self) -> tuple[str, str]:
        """(stdout, stderr) so far, decoded leniently."""
        return tuple(  # type: ignore[return-value]
            (self.log_dir / part).read_text(errors="replace") if (self.log_dir / part).exists() else ""
            for part in ("stdout", "stderr")
        )


class _State:
    """Everything teardown needs, kept apart from PodSandbox so a finalizer can hold it."""

    def __init__(self) -> None:
        self.pause_proc: subprocess.Popen | None = None
        self.pause_pid: int | None = None
        self.links: dict[str, str] = {}
        self.containers: list[Container] = []
        self.tmp: str | None = None
        self.ns_fds: list[int] = []
        self.closed = False


POD_KINDS = ("net", "ipc", "uts")


def _sweepable(links: Mapping[str, str]) -> dict[str, str]:
    """The pod namespaces that are provably not our own, so killing their members cannot hit the host.

    If a pause process ever ended up sharing one of our namespaces, sweeping by it would
    SIGKILL every process on the machine; such a namespace is never swept.
    """
    own = ns_links("self")
    return {k: v for k, v in links.items() if k in POD_KINDS and own.get(k) and v != own[k]}


def _protected() -> set[int]:
    return {1, os.getpid(), os.getppid()}


def _teardown(state: _State, grace: float = 0.1) -> list[int]:
    """Kill every process of the sandbox and remove its files; return pids still alive (ideally [])."""
    if state.closed:
        return []
    state.closed = True
    # Only pids verified to be in our namespaces now: an old container pid may since have been reused.
    sweep = _sweepable(state.links)
    known = set(pids_in_namespace(sweep["net"], "net")) - _protected() if "net" in sweep else set()
    # A launcher we have not reaped yet cannot have its pid reused, so signalling its group is safe;
    # members of groups whose leader is already reaped are found by the namespace sweep below.
    unreaped = [c for c in state.containers if c.proc.returncode is None]
    for c in unreaped:
        _kill_group(c.proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for c in unreaped:
        _reap(c.proc, deadline - time.monotonic())
    for c in unreaped:
        if c.proc.returncode is None:
            _kill_group(c.proc.pid)
    if state.pause_proc is not None and state.pause_proc.returncode is None:
        _kill_group(state.pause_proc.pid)
    for c in state.containers:
        _reap(c.proc, 2.0)
    if state.pause_proc is not None:
        _reap(state.pause_proc, 2.0)
    # Anything that escaped its process group (setsid, double fork) still sits in our namespaces.
    left: list[int] = []
    deadline = time.monotonic() + 2.0
    while sweep and time.monotonic() < deadline:
        left = sorted({p for kind, link in sweep.items() for p in pids_in_namespace(link, kind)} - _protected())
        if not left:
            break
        for p in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(p, signal.SIGKILL)
        time.sleep(0.02)
    # A killed process drops its namespaces before it finishes exiting; wait for the exit itself.
    while time.monotonic() < deadline and any(pid_alive(p) for p in known):
        time.sleep(0.01)
    left = sorted(set(left) | {p for p in known if pid_alive(p)})
    for fd in state.ns_fds:
        with contextlib.suppress(OSError):
            os.close(fd)
    state.ns_fds = []
    if state.tmp:
        shutil.rmtree(state.tmp, ignore_errors=True)
    return left


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[list[bool]]:
    """Hold Ctrl-C off until teardown has finished, then re-raise it, so cleanup is never cut short."""
    if threading.current_thread() is not threading.main_thread():
        yield [False]
        return
    hit = [False]

    def note(_signum: int, _frame: object) -> None:
        hit[0] = True

    try:
        old = signal.signal(signal.SIGINT, note)
    except ValueError:
        yield hit
        return
    try:
        yield hit
    finally:
        signal.signal(signal.SIGINT, old)
    if hit[0]:
        raise KeyboardInterrupt


class PodSandbox:
    """A pod: a pause process holding net/ipc/uts (and optionally pid) namespaces, plus containers.

    Use it as a context manager; everything it started is killed on exit, on an exception,
    on Ctrl-C, when it is garbage collected, at interpreter exit, and (through
    PR_SET_PDEATHSIG) when the Python process that created it dies. Create it on the
    thread that will keep running: PDEATHSIG fires when the creating *thread* ends.
    """

    def __init__(self, *, share_pid: bool = False, hostname: str = "pod", mode: Mode | None = None,
                 timeout: float = 5.0) -> None:
        self.share_pid = share_pid
        self.hostname = hostname
        self.timeout = timeout
        self._mode = mode
        self._state = _State()
        self._by_name: dict[str, Container] = {}
        self._finalizer: weakref.finalize | None = None

    # lifecycle -------------------------------------------------------------------------------
    def start(self) -> PodSandbox:
        if self._finalizer is not None:
            raise SandboxError("this sandbox was already started; create a new PodSandbox")
        mode = self._mode
        if mode is None:
            support = sandbox_support()
            if not support.available:
                raise SandboxError(f"pod sandboxes are not available here: {support.reason}")
            mode = support.mode
        self.mode: Mode = mode  # type: ignore[assignment]
        st = self._state
        self._finalizer = weakref.finalize(self, _teardown, st)
        _sweep_stale_dirs()
        st.tmp = tempfile.mkdtemp(prefix=TMP_PREFIX)
        os.chmod(st.tmp, 0o755)
        Path(st.tmp, OWNER_FILE).write_text(f"{os.getpid()} {_start_time(os.getpid())}\n")
        self.shared_dir = Path(st.tmp, "shared")
        self.shared_dir.mkdir()
        self.shared_dir.chmod(0o777)
        args = ["pause", "--hostname", self.hostname]
        args += ["--userns"] if mode == "userns" else []
        args += ["--pid"] if self.share_pid else []
        try:
            st.pause_proc, st.pause_pid = _spawn_shim(args, self.timeout, stdin=subprocess.DEVNULL,
                                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            st.links = ns_links(st.pause_pid)
            # Holding the namespaces open ourselves means their inode numbers cannot be reused
            # by someone else's namespace before teardown sweeps by them.
            st.ns_fds = [os.open(f"/proc/{st.pause_pid}/ns/{k}", os.O_RDONLY | os.O_CLOEXEC)
                         for k in ("net", "ipc", "uts")]
            if ns_links(st.pause_pid) != st.links:
                raise SandboxError("the pause process changed while starting; try again")
            if set(_sweepable(st.links)) != set(POD_KINDS):
                same = sorted(set(POD_KINDS) - set(_sweepable(st.links)))
                st.links = {}
                raise SandboxError(f"the pause process did not get its own {', '.join(same)} namespace")
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> list[int]:
        """Tear everything down; returns host pids that refused to die (should be empty)."""
        with _sigint_deferred():
            left = _teardown(self._state)
            if self._finalizer is not None:
                self._finalizer.detach()
        return left

    def __enter__(self) -> PodSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # facts -----------------------------------------------------------------------------------
    @property
    def pause_pid(self) -> int:
        if self._state.pause_pid is None:
            raise SandboxError("the sandbox is not started")
        return self._state.pause_pid

    @property
    def closed(self) -> bool:
        return self._state.closed

    def namespaces(self) -> dict[str, str]:
        """The pause process's namespaces as recorded at start (they stay valid while anything holds them)."""
        return dict(self._state.links)

    def container(self, name: str) -> Container:
        try:
            return self._by_name[name]
        except KeyError:
            raise SandboxError(f"no container named {name!r} in this sandbox") from None

    def container_namespaces(self, name: str) -> dict[str, str]:
        """Namespaces of a container's process (live if it runs, else as it started)."""
        c = self.container(name)
        live = ns_links(c.pid) if c.running() else {}
        return live or dict(c.namespaces_at_start)

    def members(self) -> list[int]:
        """Host pids of every live process in this sandbox's network namespace."""
        sweep = _sweepable(self._state.links)
        return pids_in_namespace(sweep["net"], "net") if "net" in sweep else []

    # containers ------------------------------------------------------------------------------
    def run(self, name: str, argv: Sequence[str], *, mount_ns: bool = True, env: Mapping[str, str] | None = None,
            cwd: str | None = None, via: int | None = None) -> Container:
        """Start `argv` as container `name` in the background and return once it has been exec'd.

        With `mount_ns` the container gets its own mount namespace: a private tmpfs at
        /mnt/pod/private, the pod's shared directory at /mnt/pod/shared (an emptyDir),
        and a /proc that shows its pid namespace. Without it the two paths are plain
        host directories, nothing is hidden, and /proc still lists host processes. Without
        `share_pid` and with `mount_ns`, the container gets a pid namespace of its
        own (Kubernetes' default). `via` joins through another host pid instead of the pause.
        """
        st = self._state
        if st.closed or st.pause_pid is None:
            raise SandboxError("the sandbox is not running")
        if not isinstance(name, str) or not name:
            raise SandboxError(f"container name {name!r} must be a non-empty string")
        if name in self._by_name and self._by_name[name].running():
            raise SandboxError(f"container {name!r} is already running in this sandbox; stop it first")
        argv = [str(a) for a in argv]
        if not argv:
            raise SandboxError("a container needs a command")
        target = via if via is not None else st.pause_pid
        if not Path(f"/proc/{target}/ns/net").exists() or not pid_alive(target):
            raise SandboxError(f"process {target} holding the pod's namespaces is gone; nothing to join")
        log_dir = Path(st.tmp or "", "logs", f"{name}-{len(st.containers)}")
        log_dir.mkdir(parents=True)
        args = ["enter", "--target", str(target)]
        args += ["--userns"] if self.mode == "userns" else []
        if self.share_pid:
            args += ["--join-pid"]
        if mount_ns:
            args += ["--mount", "--volumes", "--shared", str(self.shared_dir)]
            args += ["--proc"] if self.share_pid else ["--new-pid", "--proc"]
            private, shared = PRIVATE_MOUNT, SHARED_MOUNT
        else:
            host_private = Path(st.tmp or "", "private", name)
            host_private.mkdir(parents=True, exist_ok=True)
            private, shared = str(host_private), str(self.shared_dir)
        if cwd:
            args += ["--cwd", cwd]
        full_env = dict(os.environ)
        full_env.update({"POD_CONTAINER": name, "POD_SHARED_DIR": shared, "POD_PRIVATE_DIR": private})
        full_env.update(env or {})
        with open(log_dir / "stdout", "wb") as out, open(log_dir / "stderr", "wb") as err:
            proc, pid = _spawn_shim([*args, "--", *argv], self.timeout, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=err, env=full_env)
        c = Container(name, argv, proc, pid, log_dir, private, shared)
        st.containers.append(c)
        self._by_name[name] = c
        c.namespaces_at_start = ns_links(pid)
        return c

    def exec(self, name: str, argv: Sequence[str], *, timeout: float = 10.0, mount_ns: bool = True,
             env: Mapping[str, str] | None = None, cwd: str | None = None, via: int | None = None
             ) -> subprocess.CompletedProcess[str]:
        """Run `argv` as container `name` to completion (at most `timeout` seconds, then TimeoutExpired)."""
        c = self.run(name, argv, mount_ns=mount_ns, env=env, cwd=cwd, via=via)
        try:
            code = c.wait(timeout)
        except subprocess.TimeoutExpired:
            c.stop(grace=0.1)
            raise
        out, err = c.logs()
        return subprocess.CompletedProcess(c.argv, code, out, err)

    def kill_pause(self, timeout: float = 2.0) -> bool:
        """SIGKILL the pause process, as if it crashed; True once it is gone."""
        pid = self.pause_pid
        if ns_links(pid).get("net") == self._state.links.get("net"):  # still our pause, not a reused pid
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + timeout
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        if self._state.pause_proc is not None:
            _reap(self._state.pause_proc, max(deadline - time.monotonic(), 0.1))
        return not pid_alive(pid)


def wait_until(check: Callable[[], object], timeout: float, interval: float = 0.02) -> bool:
    """Poll `check()` until it is truthy or `timeout` passes; never blocks longer."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
