"""Process-side half of the pod sandbox: run as a script, never imported by the course.

It is a standalone stdlib-only script (run with ``python -I -S``) because namespace
calls such as setns(CLONE_NEWUSER) need a single-threaded process that has not yet
imported anything heavy, and because Python 3.11 has no os.unshare/os.setns.

Modes:
  probe   create every namespace the sandbox needs, then exit 0 (capability check)
  pause   create and hold net/ipc/uts (+pid) namespaces, bring lo up, sleep until signalled
  enter   join a pause process's namespaces, optionally build a private mount ns, exec argv

Each mode reports on --ready-fd: a line "pid N" with the host pid of the process
that ends up running, or "err MESSAGE"; end-of-file means set-up is over (the fd is
close-on-exec, so EOF from "enter" means the command was exec'd).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import errno
import fcntl
import os
import signal
import socket
import struct
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
NS_FLAGS = {"user": CLONE_NEWUSER, "net": CLONE_NEWNET, "ipc": CLONE_NEWIPC, "uts": CLONE_NEWUTS,
            "pid": CLONE_NEWPID, "mnt": CLONE_NEWNS}

MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
PR_SET_PDEATHSIG = 1
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1

VOLUME_ROOT = "/mnt/pod"

_libc = ctypes.CDLL(None, use_errno=True)


class ShimError(Exception):
    pass


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise ShimError(f"{what}: {errno.errorcode.get(err, err)} ({os.strerror(err)})")


def unshare(flags: int) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def setns(fd: int, flag: int, name: str) -> None:
    _check(_libc.setns(ctypes.c_int(fd), ctypes.c_int(flag)), f"setns({name})")


def mount(src: str, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    ret = _libc.mount(src.encode(), target.encode(), fstype.encode() if fstype else None,
                      ctypes.c_ulong(flags), data.encode() if data else None)
    _check(ret, f"mount {target}")


def die_with_parent(expected_parent: int) -> None:
    """Arm PR_SET_PDEATHSIG, then close the race where the parent died before arming."""
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
    if expected_parent and os.getppid() != expected_parent:
        os._exit(1)


def sethostname(name: str) -> None:
    raw = name.encode()
    _check(_libc.sethostname(raw, ctypes.c_size_t(len(raw))), "sethostname")


def loopback_up() -> None:
    """A new net namespace starts with lo DOWN; flip IFF_UP with ioctl so iproute2 is not needed."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        req = struct.pack("16sh22x", b"lo", 0)
        flags = struct.unpack("16sh22x", fcntl.ioctl(s.fileno(), SIOCGIFFLAGS, req))[1]
        fcntl.ioctl(s.fileno(), SIOCSIFFLAGS, struct.pack("16sh22x", b"lo", flags | IFF_UP))


def map_root(uid: int, gid: int) -> None:
    """Become root of a fresh user namespace, mapped to the caller's own uid/gid."""
    unshare(CLONE_NEWUSER)
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"0 {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"0 {gid} 1")


def describe(exc: BaseException, with_file: bool = True) -> str:
    """One line with the errno name first, so callers and tests can match on it."""
    if isinstance(exc, OSError) and exc.errno:
        text = f"{errno.errorcode.get(exc.errno, exc.errno)} ({exc.strerror})"
        return f"{text}: {exc.filename}" if with_file and exc.filename else text
    return str(exc)


class Reporter:
    def __init__(self, fd: int) -> None:
        self.fd = fd
        if fd >= 0:
            os.set_inheritable(fd, False)

    def send(self, line: str) -> None:
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.write(self.fd, (line + "\n").encode())

    def close(self) -> None:
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1


def wait_and_mirror(child: int) -> None:
    """Stay as the child's parent, pass termination signals on, exit with its status."""

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except InterruptedError:
            continue
        except ChildProcessError:
            os._exit(1)
    if os.WIFSIGNALED(status):
        os._exit(128 + os.WTERMSIG(status))
    os._exit(os.WEXITSTATUS(status))


def pause_forever() -> None:
    """What the pause container does: nothing, except reap orphans when it is PID 1."""

    def stop(_signum: int, _frame: object) -> None:
        os._exit(0)

    def reap(_signum: int, _frame: object) -> None:
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGCHLD, reap)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.chdir("/")
    while True:
        signal.pause()


def cmd_pause(a: argparse.Namespace) -> None:
    rep = Reporter(a.ready_fd)
    try:
        die_with_parent(a.parent)
        if a.userns:
            map_root(os.getuid(), os.getgid())
        flags = CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | (CLONE_NEWPID if a.pid else 0)
        unshare(flags)
        sethostname(a.hostname)
        loopback_up()
    except (ShimError, OSError) as exc:
        rep.send(f"err {describe(exc)}")
        os._exit(1)
    if not a.pid:
        rep.send(f"pid {os.getpid()}")
        rep.close()
        pause_forever()
    child = os.fork()
    if child == 0:
        die_with_parent(0)  # getppid() is 0 here: the parent lives outside our new pid namespace
        rep.close()
        pause_forever()
    rep.send(f"pid {child}")
    rep.close()
    wait_and_mirror(child)


def setup_mounts(a: argparse.Namespace) -> None:
    """Give the container its own view: /proc of its pid ns, a private tmpfs, the shared dir."""
    if a.proc:
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    if a.volumes:
        root = os.path.dirname(VOLUME_ROOT)
        mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=755")
        os.makedirs(VOLUME_ROOT + "/private")
        os.makedirs(VOLUME_ROOT + "/shared")
        mount(a.shared, VOLUME_ROOT + "/shared", None, MS_BIND)


def cmd_enter(a: argparse.Namespace) -> None:
    rep = Reporter(a.ready_fd)
    try:
        die_with_parent(a.parent)
        order = (["user"] if a.userns else []) + ["net", "ipc", "uts"] + (["pid"] if a.join_pid else [])
        fds = {ns: os.open(f"/proc/{a.target}/ns/{ns}", os.O_RDONLY | os.O_CLOEXEC) for ns in order}
        for ns in order:
            setns(fds[ns], NS_FLAGS[ns], ns)
            os.close(fds[ns])
        if a.mount:
            unshare(CLONE_NEWNS)
            mount("none", "/", None, MS_REC | MS_PRIVATE)
        if a.new_pid:
            unshare(CLONE_NEWPID)
    except (ShimError, OSError) as exc:
        rep.send(f"err {describe(exc)}")
        os._exit(1)
    forks = a.join_pid or a.new_pid
    me = os.getpid()
    child = os.fork() if forks else 0
    if child:
        rep.send(f"pid {child}")
        rep.close()
        wait_and_mirror(child)
    try:
        if forks:
            die_with_parent(0)  # the parent is outside this pid namespace, so getppid() says 0
        else:
            rep.send(f"pid {me}")
        if a.mount:
            setup_mounts(a)
        if a.cwd:
            os.chdir(a.cwd)
    except (ShimError, OSError) as exc:
        rep.send(f"err {describe(exc)}")
        os._exit(126)
    try:
        os.execvp(a.argv[0], a.argv)
    except OSError as exc:
        rep.send(f"err cannot run {a.argv[0]!r}: {describe(exc, with_file=False)}")
        os._exit(127)


def cmd_probe(a: argparse.Namespace) -> None:
    """Exercise every privileged step in a throwaway child so the caller learns what works."""
    try:
        if a.userns:
            map_root(os.getuid(), os.getgid())
        unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS)
        mount("none", "/", None, MS_REC | MS_PRIVATE)
        sethostname("probe")
        loopback_up()
        child = os.fork()
        if child == 0:
            try:
                mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
                mount("tmpfs", os.path.dirname(VOLUME_ROOT), "tmpfs", MS_NOSUID | MS_NODEV, "size=1m")
            except (ShimError, OSError) as exc:
                print(f"{exc}", file=sys.stderr)
                os._exit(3)
            os._exit(0)
        _, status = os.waitpid(child, 0)
        os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 4)
    except (ShimError, OSError) as exc:
        print(f"{exc}", file=sys.stderr)
        os._exit(2)


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="_shim")
    p.add_argument("mode", choices=["probe", "pause", "enter"])
    p.add_argument("--ready-fd", type=int, default=-1)
    p.add_argument("--parent", type=int, default=0)
    p.add_argument("--userns", action="store_true")
    p.add_argument("--pid", action="store_true")
    p.add_argument("--hostname", default="pod")
    p.add_argument("--target", type=int, default=0)
    p.add_argument("--join-pid", action="store_true")
    p.add_argument("--new-pid", action="store_true")
    p.add_argument("--mount", action="store_true")
    p.add_argument("--proc", action="store_true")
    p.add_argument("--volumes", action="store_true")
    p.add_argument("--shared", default="")
    p.add_argument("--cwd", default="")
    cut = argv.index("--") if "--" in argv else len(argv)
    a = p.parse_args(argv[:cut])
    a.argv = argv[cut + 1:]
    {"probe": cmd_probe, "pause": cmd_pause, "enter": cmd_enter}[a.mode](a)


if __name__ == "__main__":
    main(sys.argv[1:])
