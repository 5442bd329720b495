"""Chapter 5's IPC probes: a stdlib-only script the lab runs inside its "containers".

Run as `python -I -S ch5tool.py TOOL ARGS...`; each tool prints one JSON line (the last
line of output is the result) and never raises, so a failed probe is data, not a crash.

  send KEY TEXT          create a System V message queue with KEY and put TEXT in it
  receive KEY            open the queue with KEY (no create) and take one message
  mq-send NAME TEXT      the same with a POSIX message queue (/NAME)
  mq-receive NAME        open the POSIX queue /NAME (no create) and take one message
  ps                     list the processes this container can see in /proc
  kill PID SIG [UID]     send signal SIG (HUP, TERM, ...) to PID, first switching to UID if given
  wait-signal SECONDS    print "ready", then wait at most SECONDS for SIGHUP (SIGTERM ends the wait)
  unix-listen ADDR SECS  listen on a Unix socket (a path, or @name for an abstract one); answer one client
  unix-connect ADDR      connect to a Unix socket and read its greeting
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import signal
import socket
import sys

IPC_CREAT = 0o1000
IPC_NOWAIT = 0o4000
MSG_SIZE = 128


def _err(code: int) -> str:
    return errno.errorcode.get(code, str(code))


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


class _Msg(ctypes.Structure):
    _fields_ = [("mtype", ctypes.c_long), ("mtext", ctypes.c_char * MSG_SIZE)]


def send(key: str, text: str) -> dict:
    libc = _libc()
    qid = libc.msgget(ctypes.c_int(int(key, 0)), ctypes.c_int(IPC_CREAT | 0o600))
    if qid < 0:
        return {"tool": "send", "ok": False, "error": _err(ctypes.get_errno())}
    msg = _Msg(1, text.encode()[: MSG_SIZE - 1])
    if libc.msgsnd(qid, ctypes.byref(msg), ctypes.c_size_t(MSG_SIZE), 0) != 0:
        return {"tool": "send", "ok": False, "error": _err(ctypes.get_errno())}
    return {"tool": "send", "ok": True, "key": key}


def receive(key: str) -> dict:
    libc = _libc()
    qid = libc.msgget(ctypes.c_int(int(key, 0)), ctypes.c_int(0))
    if qid < 0:
        return {"tool": "receive", "key": key, "found": False, "error": _err(ctypes.get_errno())}
    msg = _Msg()
    n = libc.msgrcv(qid, ctypes.byref(msg), ctypes.c_size_t(MSG_SIZE), ctypes.c_long(0), IPC_NOWAIT)
    if n < 0:
        return {"tool": "receive", "key": key, "found": True, "message": None, "error": _err(ctypes.get_errno())}
    return {"tool": "receive", "key": key, "found": True, "message": msg.mtext.decode(errors="replace")}


class _MqAttr(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_long), ("maxmsg", ctypes.c_long), ("msgsize", ctypes.c_long),
                ("curmsgs", ctypes.c_long), ("pad", ctypes.c_long * 4)]


def _mq_open(name: str, create: bool) -> tuple[int, int]:
    libc = _libc()
    libc.mq_open.restype = ctypes.c_int
    flags = os.O_RDWR | os.O_NONBLOCK | (os.O_CREAT if create else 0)
    if create:
        attr = _MqAttr(0, 4, MSG_SIZE, 0)
        fd = libc.mq_open(("/" + name).encode(), ctypes.c_int(flags), ctypes.c_uint(0o600), ctypes.byref(attr))
    else:
        fd = libc.mq_open(("/" + name).encode(), ctypes.c_int(flags))
    return fd, ctypes.get_errno()


def mq_send(name: str, text: str) -> dict:
    fd, code = _mq_open(name, create=True)
    if fd < 0:
        return {"tool": "mq-send", "ok": False, "error": _err(code)}
    data = text.encode()[:MSG_SIZE]
    ok = _libc().mq_send(fd, data, ctypes.c_size_t(len(data)), ctypes.c_uint(0)) == 0
    return {"tool": "mq-send", "ok": ok, "name": "/" + name}


def mq_receive(name: str) -> dict:
    fd, code = _mq_open(name, create=False)
    if fd < 0:
        return {"tool": "mq-receive", "found": False, "error": _err(code)}
    buf = ctypes.create_string_buffer(MSG_SIZE)
    n = _libc().mq_receive(fd, buf, ctypes.c_size_t(MSG_SIZE), None)
    return {"tool": "mq-receive", "found": True, "message": buf.raw[:n].decode(errors="replace") if n >= 0 else None}


def ps() -> dict:
    me = os.getpid()
    procs = []
    for entry in sorted((d for d in os.listdir("/proc") if d.isdigit()), key=int):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
        except OSError:
            continue
        if any(a.endswith("_shim.py") for a in argv) and "pause" in argv:
            cmd = "pause"
        elif any(a.endswith("ch5tool.py") for a in argv):
            cmd = "ch5tool " + " ".join(argv[argv.index(next(a for a in argv if a.endswith("ch5tool.py"))) + 1:])
        else:
            cmd = " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(argv))[:60]
        procs.append({"pid": int(entry), "cmd": cmd, "self": int(entry) == me})
    return {"tool": "ps", "processes": procs}


def signal_name(sig: object) -> str:
    """The signal's name as `kill -l` lists it with SIG: "HUP", "hup", "SIGHUP" and 1 are all SIGHUP."""
    text = str(sig).strip().upper().removeprefix("SIG")
    if text.isdigit():
        try:
            return signal.Signals(int(text)).name
        except ValueError:
            pass
    return "SIG" + text


def kill(pid: str, sig: str, uid: str | None = None) -> dict:
    res: dict = {"tool": "kill", "pid": int(pid), "signal": signal_name(sig)}
    if uid is not None:
        try:
            os.setgid(int(uid))
            os.setuid(int(uid))
        except OSError as exc:
            return {**res, "ok": False, "error": "cannot switch to uid " + uid + ": " + _err(exc.errno or 0)}
        res["uid"] = os.getuid()
    try:
        os.kill(int(pid), getattr(signal, res["signal"]))
    except OSError as exc:
        return {**res, "ok": False, "error": _err(exc.errno or 0)}
    return {**res, "ok": True}


def wait_signal(seconds: str) -> dict:
    wanted = {signal.SIGHUP, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, wanted)
    print(json.dumps({"ready": True, "pid_inside": os.getpid()}), flush=True)
    info = signal.sigtimedwait(wanted, float(seconds))
    # SIGTERM is how the lab stops a probe that is still waiting: it means "no SIGHUP came".
    got = "SIGHUP" if info is not None and info.si_signo == signal.SIGHUP else None
    return {"tool": "wait-signal", "pid_inside": os.getpid(), "uid": os.getuid(), "got": got}


def _address(addr: str) -> str | bytes:
    return b"\0" + addr[1:].encode() if addr.startswith("@") else addr


def unix_listen(addr: str, seconds: str) -> dict:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.bind(_address(addr))
        s.listen(1)
    except OSError as exc:
        return {"tool": "unix-listen", "listening": False, "error": _err(exc.errno or 0)}
    print(json.dumps({"ready": True}), flush=True)
    s.settimeout(float(seconds))
    served = 0
    try:
        while True:
            conn, _ = s.accept()
            conn.sendall(b"hello from " + os.environ.get("POD_CONTAINER", "?").encode())
            conn.close()
            served += 1
    except OSError:
        pass
    return {"tool": "unix-listen", "listening": True, "served": served}


def unix_connect(addr: str) -> dict:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect(_address(addr))
        reply = s.recv(100).decode(errors="replace")
    except OSError as exc:
        return {"tool": "unix-connect", "connected": False, "error": _err(exc.errno or 0)}
    return {"tool": "unix-connect", "connected": True, "reply": reply}


TOOLS = {"send": send, "receive": receive, "mq-send": mq_send, "mq-receive": mq_receive, "ps": ps, "kill": kill,
         "wait-signal": wait_signal, "unix-listen": unix_listen, "unix-connect": unix_connect}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in TOOLS:
        print(json.dumps({"error": f"unknown tool {argv[:1]}; choose from {', '.join(TOOLS)}"}))
        return 2
    try:
        result = TOOLS[argv[0]](*argv[1:])
    except Exception as exc:  # a probe reports, it never crashes
        result = {"tool": argv[0], "error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
