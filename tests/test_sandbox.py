"""Tests for the namespaces lab (course.sandbox): real namespaces here, recordings where there are none."""

from __future__ import annotations

import gc
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from course.sandbox import PodSandbox, SandboxError, ns_links, pid_alive, sandbox_support
from course.sandbox import core as sandbox_core
from course.sandbox.observe import OBSERVATIONS
from course.sandbox.recorded import RECORDED, load_recorded, observe

LIVE = sandbox_support()
live = pytest.mark.skipif(not LIVE.available, reason=f"no namespaces here: {LIVE.reason}")
PY = sys.executable
REPO = Path(__file__).resolve().parents[1]
MAX_USERNS = Path("/proc/sys/user/max_user_namespaces")
USERNS_ALLOWED = not (MAX_USERNS.exists() and MAX_USERNS.read_text().strip() == "0")


# What every observation must show, applied both to a live run and to the recorded file.
def check_network(d: dict[str, Any]) -> None:
    assert d["same_pod"]["reachable"] is True and d["same_pod"]["status"] == 200
    assert d["other_pod"]["reachable"] is False and d["other_pod"]["error"] == "ConnectionRefusedError"
    assert d["host"]["reachable"] is False and d["host"]["error"] == "ConnectionRefusedError"


def check_ipc(d: dict[str, Any]) -> None:
    assert d["writer"]["created"] is True
    assert d["same_pod"] == {"visible": True, "message": "hello from writer"}
    assert d["other_pod"] == {"visible": False, "error": "ENOENT"}
    assert d["host"] == {"visible": False, "error": "ENOENT"}


def check_namespaces(d: dict[str, Any]) -> None:
    assert d["share_pid"] is False
    assert {"net", "ipc", "uts"} <= set(d["same_as_pause"])
    assert set(d["own_per_container"]) == {"pid", "mnt"}
    assert not {"net", "ipc", "uts", "pid", "mnt"} & set(d["same_as_host"])


def check_namespaces_shared_pid(d: dict[str, Any]) -> None:
    assert d["share_pid"] is True
    assert {"net", "ipc", "uts", "pid"} <= set(d["same_as_pause"])
    assert d["own_per_container"] == ["mnt"]
    assert d["pause"]["pid"] != d["host"]["pid"]


def check_hostname(d: dict[str, Any]) -> None:
    assert d["containers"] == {"app": "web-pod", "sidecar": "web-pod"}
    assert d["host_differs"] is True


def check_pid_sharing(d: dict[str, Any]) -> None:
    shared, alone = d["shared"], d["not_shared"]
    assert shared["sees_web"] and shared["signalled"] and shared["web_exited"]
    assert shared["web_host_pid_differs"] is True
    assert shared["sidecar_sees"][0]["pid"] == 1 and shared["sidecar_sees"][0]["cmd"].startswith("pause")
    for view in (shared, alone):
        assert [p["cmd"].startswith("pause") for p in view["sidecar_sees"] if p["me"]] == [False]
    assert not alone["sees_web"] and not alone["web_exited"]
    assert [p["pid"] for p in alone["sidecar_sees"]] == [1] and alone["sidecar_sees"][0]["me"]


def check_pause_death(d: dict[str, Any]) -> None:
    with_pid, without = d["with_pid_namespace"], d["without_pid_namespace"]
    assert with_pid["all_members_killed"] is True and with_pid["alive_after"] == []
    assert with_pid["members_before"] >= 3
    assert without["web_still_running"] and without["netns_unchanged"] and without["still_serves_inside_netns"]
    assert without["pause_alive"] is False and "gone" in without["join_via_pause_error"]


def check_port_clash(d: dict[str, Any]) -> None:
    assert d["same_pod"] == {"first": "bound", "second": "EADDRINUSE"}
    assert d["separate_pods"] == {"first": "bound", "second": "bound"}


def check_volumes(d: dict[str, Any]) -> None:
    assert d["writer_ok"] and d["reader_sees_shared"] is True and d["reader_sees_private"] is False
    assert d["shared_files_on_host"] == ["note.txt"]


CHECKS = {
    "network": check_network,
    "ipc": check_ipc,
    "namespaces": check_namespaces,
    "namespaces_shared_pid": check_namespaces_shared_pid,
    "hostname": check_hostname,
    "pid_sharing": check_pid_sharing,
    "pause_death": check_pause_death,
    "port_clash": check_port_clash,
    "volumes": check_volumes,
}


@pytest.mark.skipif(os.environ.get("PODCOURSE_REQUIRE_SANDBOX") != "1", reason="live sandboxes not required here")
def test_live_sandbox_required() -> None:
    """Where CI sets PODCOURSE_REQUIRE_SANDBOX=1, are live namespaces really available?"""
    assert LIVE.available, LIVE.reason


def test_every_observation_has_a_check() -> None:
    """Is every observation the lab offers covered by a check here?"""
    assert set(CHECKS) == set(OBSERVATIONS)


@live
@pytest.mark.parametrize("name", sorted(CHECKS))
def test_live_observation(name: str) -> None:
    """Does the live experiment show what the chapter claims about namespaces?"""
    CHECKS[name](OBSERVATIONS[name]())


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_recorded_observation(name: str) -> None:
    """Does the shipped recording show the same facts a live run shows?"""
    CHECKS[name](load_recorded()["observations"][name])


# --- capability detection and the recorded fallback ------------------------------------------

@pytest.mark.parametrize(("setting", "available", "reason_part"), [
    ("off", False, "PODCOURSE_SANDBOX=off"),
    ("OFF", False, "PODCOURSE_SANDBOX=off"),
    ("sometimes", False, "unknown PODCOURSE_SANDBOX"),
])
def test_support_switch(monkeypatch: pytest.MonkeyPatch, setting: str, available: bool, reason_part: str) -> None:
    """Does PODCOURSE_SANDBOX turn the live lab off with a plain reason?"""
    monkeypatch.setenv("PODCOURSE_SANDBOX", setting)
    s = sandbox_support()
    assert (s.available, s.mode) == (available, None)
    assert reason_part in s.reason


@live
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
@pytest.mark.parametrize(("setting", "mode"), [("auto", "root"), ("root", "root"), ("userns", "userns")])
def test_support_modes_as_root(setting: str, mode: str) -> None:
    """Does root get root mode by default and user-namespace mode when asked?"""
    if mode == "userns" and not USERNS_ALLOWED:
        pytest.skip("user namespaces are switched off on this kernel")
    s = sandbox_support(setting)
    assert (s.available, s.mode) == (True, mode)


def test_off_uses_recording(monkeypatch: pytest.MonkeyPatch) -> None:
    """With sandboxes off, does every observation come from the recording and say so?"""
    monkeypatch.setenv("PODCOURSE_SANDBOX", "off")
    for name in OBSERVATIONS:
        got = observe(name)
        assert got["source"] == "recorded"
        assert "not available here" in got["reason"] and "PODCOURSE_SANDBOX=off" in got["reason"]
        CHECKS[name](got["data"])
    with pytest.raises(SandboxError, match="not available here"):
        PodSandbox().start()


def test_recording_is_plain_json() -> None:
    """Is the recording valid JSON with its provenance and no host paths in it?"""
    text = RECORDED.read_text()
    doc = json.loads(text)
    assert {"recorded_at", "kernel", "mode"} <= set(doc["meta"])
    assert str(REPO) not in text and "/tmp/" not in text


def test_unknown_observation_is_refused() -> None:
    """Does asking for an observation that does not exist fail with the list of real ones?"""
    with pytest.raises(KeyError, match="network"):
        observe("nope")


@live
def test_observe_runs_live_when_available() -> None:
    """When sandboxes work, does observe() run the experiment instead of replaying it?"""
    got = observe("hostname")
    assert got["source"] == "live"
    check_hostname(got["data"])


# --- teardown ---------------------------------------------------------------------------------

def mountinfo() -> list[str]:
    return sorted(Path("/proc/self/mountinfo").read_text().splitlines())


def snapshot(pod: PodSandbox) -> tuple[list[int], Path]:
    pids = sorted(set(pod.members()) | {c.pid for c in pod._state.containers} | {pod.pause_pid})
    return pids, Path(pod._state.tmp or "")


class Boom(Exception):
    pass


def leave_normally(pod: PodSandbox) -> None:
    pass


def raise_error(pod: PodSandbox) -> None:
    raise Boom


def raise_interrupt(pod: PodSandbox) -> None:
    raise KeyboardInterrupt


def send_sigint(pod: PodSandbox) -> None:
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(1)  # the default handler raises KeyboardInterrupt here


@live
@pytest.mark.parametrize(("share_pid", "ending", "raises"), [
    (False, leave_normally, None),
    (True, leave_normally, None),
    (False, raise_error, Boom),
    (True, raise_interrupt, KeyboardInterrupt),
    (False, send_sigint, KeyboardInterrupt),
])
def test_teardown_leaves_nothing(share_pid: bool, ending: Any, raises: type[BaseException] | None) -> None:
    """However the with-block ends, are all processes, mounts and temp files gone afterwards?"""
    before = mountinfo()
    seen: dict[str, Any] = {}
    try:
        with PodSandbox(share_pid=share_pid) as pod:
            pod.run("web", [PY, "-m", "http.server", "0", "--bind", "127.0.0.1"])
            pod.run("side", ["sleep", "30"], mount_ns=False)
            pod.run("mounted", ["sleep", "30"])
            seen["pids"], seen["tmp"] = snapshot(pod)
            assert len(seen["pids"]) >= 4 and all(pid_alive(p) for p in seen["pids"])
            ending(pod)
    except BaseException as exc:
        assert raises is not None and isinstance(exc, raises), exc
    else:
        assert raises is None
    assert [p for p in seen["pids"] if pid_alive(p)] == []
    assert not seen["tmp"].exists()
    assert pod.closed and pod.members() == []
    assert mountinfo() == before


@live
def test_teardown_catches_escaped_process() -> None:
    """Is a process that left its process group (setsid, double fork) still killed at teardown?"""
    daemonize = ("import os\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
                 "        os.execvp('sleep', ['sleep', '30'])\n    os._exit(0)\nos.wait()")
    with PodSandbox() as pod:
        pod.exec("escape", [PY, "-c", daemonize], timeout=5, mount_ns=False)
        shim = pod.container("escape").proc.pid
        escaped = [p for p in pod.members() if p != pod.pause_pid]
        assert escaped, "the escaped sleep should still be in the pod's network namespace"
        assert all(os.getpgid(p) not in (shim, pod.pause_pid) for p in escaped)
        left = pod.close()
    assert left == [] and not any(pid_alive(p) for p in escaped)


@live
def test_ctrl_c_during_teardown_is_deferred(monkeypatch: pytest.MonkeyPatch) -> None:
    """Does a Ctrl-C that lands mid-teardown wait until cleanup is done, then still interrupt?"""
    real = sandbox_core._teardown

    def interrupted(state: Any, grace: float = 0.1) -> list[int]:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)
        return real(state, grace)

    monkeypatch.setattr(sandbox_core, "_teardown", interrupted)
    with pytest.raises(KeyboardInterrupt), PodSandbox() as pod:
        pod.run("a", ["sleep", "30"])
        pids, tmp = snapshot(pod)
    assert pod.closed and not any(pid_alive(p) for p in pids) and not tmp.exists()


@live
def test_garbage_collection_tears_down() -> None:
    """If a started sandbox is dropped without close(), does the finalizer kill its processes?"""
    pod = PodSandbox().start()
    pod.run("a", ["sleep", "30"])
    pids, tmp = snapshot(pod)
    del pod
    gc.collect()
    assert not any(pid_alive(p) for p in pids) and not tmp.exists()


def test_teardown_never_sweeps_our_own_namespaces(monkeypatch: pytest.MonkeyPatch) -> None:
    """If the recorded pod namespaces were the host's own, would teardown refuse to kill anything?"""
    kills: list[int] = []
    monkeypatch.setattr(os, "kill", lambda pid, sig: kills.append(pid))
    state = sandbox_core._State()
    state.links = ns_links("self")
    assert sandbox_core._teardown(state) == []
    assert kills == []


@live
def test_pause_without_its_own_namespace_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """If the pause fails to get a private ipc namespace, does start() refuse instead of going on?"""
    shim = Path(sandbox_core.SHIM).read_text().replace("unshare(flags)", "unshare(flags & ~CLONE_NEWIPC)")
    assert "flags & ~CLONE_NEWIPC" in shim
    (tmp_path / "_shim.py").write_text(shim)
    monkeypatch.setattr(sandbox_core, "SHIM", str(tmp_path / "_shim.py"))
    kills: list[int] = []
    monkeypatch.setattr(os, "kill", lambda pid, sig: kills.append(pid))
    pod = PodSandbox(mode=LIVE.mode)
    with pytest.raises(SandboxError, match="own ipc namespace"):
        pod.start()
    assert pod.closed and kills == []


@live
def test_pdeathsig_kills_sandbox_with_its_creator() -> None:
    """If the Python process that built the sandbox is SIGKILLed, does the sandbox die with it?"""
    code = textwrap.dedent(f"""
        import json, os, signal, sys
        sys.path.insert(0, {str(REPO)!r})
        from course.sandbox import PodSandbox
        pods = []  # keep every sandbox referenced, or its finalizer would clean it up early
        for share in (False, True):
            pod = PodSandbox(share_pid=share).start()
            pods.append(pod)
            pod.run("a", ["sleep", "30"])
            pod.run("b", ["sleep", "30"], mount_ns=False)
            print(json.dumps([pod._state.tmp, pod.members()]), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    done = subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=20, check=False)
    reports = [json.loads(line) for line in done.stdout.splitlines()]
    pids = [p for _, members in reports for p in members]
    dirs = [Path(tmp) for tmp, _ in reports]
    assert done.returncode == -signal.SIGKILL and len(pids) >= 8, done.stderr
    assert sandbox_core.wait_until(lambda: not any(pid_alive(p) for p in pids), 3.0)
    # Nobody was left to delete the temp dirs; the next sandbox (ours or anyone's) sweeps them.
    with PodSandbox():
        assert not any(d.exists() for d in dirs)


def test_stale_dirs_are_swept_only_when_owner_is_gone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Are temp dirs of killed creators removed while a live creator's dir is kept?"""
    monkeypatch.setattr(sandbox_core.tempfile, "gettempdir", lambda: str(tmp_path))
    me = f"{os.getpid()} {sandbox_core._start_time(os.getpid())}"
    dead = subprocess.Popen(["true"])
    dead.wait()
    cases = {"alive": me, "dead": f"{dead.pid} 1", "reused": f"{os.getpid()} 1", "garbled": "x"}
    for name, owner in cases.items():
        (tmp_path / f"{sandbox_core.TMP_PREFIX}{name}").mkdir()
        (tmp_path / f"{sandbox_core.TMP_PREFIX}{name}" / sandbox_core.OWNER_FILE).write_text(owner)
    removed = sorted(Path(p).name for p in sandbox_core._sweep_stale_dirs())
    assert removed == [sandbox_core.TMP_PREFIX + "dead", sandbox_core.TMP_PREFIX + "reused"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [sandbox_core.TMP_PREFIX + "alive",
                                                           sandbox_core.TMP_PREFIX + "garbled"]


# --- containers -------------------------------------------------------------------------------

@live
def test_exec_is_bounded() -> None:
    """Does exec give up at its timeout and kill the command instead of hanging the notebook?"""
    with PodSandbox() as pod:
        t0 = time.monotonic()
        with pytest.raises(subprocess.TimeoutExpired):
            pod.exec("slow", ["sleep", "30"], timeout=0.3)
        assert time.monotonic() - t0 < 2
        assert not pod.container("slow").running()


@live
@pytest.mark.parametrize(("argv", "kwargs", "message"), [
    (["definitely-not-a-command-xyz"], {}, "ENOENT"),
    ([], {}, "needs a command"),
    (["true"], {"cwd": "/no/such/dir"}, "ENOENT"),
])
def test_bad_container_is_reported(argv: list[str], kwargs: dict[str, Any], message: str) -> None:
    """Does a container that cannot start raise a SandboxError saying why?"""
    with PodSandbox() as pod, pytest.raises(SandboxError, match=message):
        pod.run("bad", argv, **kwargs)


@live
def test_names_and_lifecycle_are_checked() -> None:
    """Is a running container's name refused, an exited one's reusable, and use after close refused?"""
    with PodSandbox() as pod:
        pod.run("a", ["sleep", "30"])
        with pytest.raises(SandboxError, match="already running"):
            pod.run("a", ["true"])
        pod.container("a").stop(grace=0.1)
        assert pod.exec("a", ["echo", "again"], timeout=5).stdout == "again\n"
        with pytest.raises(SandboxError, match="non-empty"):
            pod.run("", ["true"])
    with pytest.raises(SandboxError, match="not running"):
        pod.run("b", ["true"])


@live
@pytest.mark.parametrize("share_pid", [False, True])
def test_container_sees_pod_view(share_pid: bool) -> None:
    """Inside a container, are hostname, loopback, volumes and PID 1 what a pod would give?"""
    script = ("cat /proc/sys/kernel/hostname; cat /sys/class/net/lo/operstate; ls /mnt/pod; echo $POD_SHARED_DIR; "
              "cat /proc/1/cmdline | tr '\\0' ' '")
    with PodSandbox(share_pid=share_pid, hostname="web-pod") as pod:
        out = pod.exec("c", ["sh", "-c", script], timeout=5)
        assert out.returncode == 0, out.stderr
        lines = out.stdout.splitlines()
        assert lines[:5] == ["web-pod", "unknown", "private", "shared", "/mnt/pod/shared"]
        assert ("_shim.py pause" in lines[5]) is share_pid
        assert pod.namespaces()["net"] != ns_links()["net"]


@live
@pytest.mark.skipif(not USERNS_ALLOWED, reason="user namespaces are switched off on this kernel")
def test_userns_mode_as_root() -> None:
    """Does the user-namespace mode work, mapping root inside to the caller outside?"""
    with PodSandbox(mode="userns", share_pid=True, hostname="u-pod") as pod:
        out = pod.exec("c", ["sh", "-c", "id -u; cat /proc/sys/kernel/hostname; cat /proc/self/uid_map"], timeout=5)
        assert out.stdout.split()[:5] == ["0", "u-pod", "0", str(os.getuid()), "1"]
        assert pod.namespaces()["user"] != ns_links()["user"]


def nobody_python() -> str | None:
    """A Python the nobody user can run (the venv may sit under a private home directory)."""
    if os.geteuid() != 0 or not shutil.which("runuser"):
        return None
    for candidate in (PY, "/usr/bin/python3"):
        ok = subprocess.run(["runuser", "-u", "nobody", "--", candidate, "-c", "import sys"],
                            capture_output=True, timeout=10, check=False)
        if ok.returncode == 0:
            return candidate
    return None


@live
def test_unprivileged_user_gets_userns_mode() -> None:
    """As an ordinary user, does the lab fall back to user namespaces, or report truthfully why not?"""
    python = nobody_python()
    if python is None:
        pytest.skip("no Python runnable as nobody")
    code = textwrap.dedent(f"""
        import json, sys
        sys.path.insert(0, {str(REPO)!r})
        from course.sandbox import PodSandbox, sandbox_support
        s = sandbox_support()
        out = {{"available": s.available, "mode": s.mode, "reason": s.reason}}
        if s.available:
            with PodSandbox(share_pid=True, hostname="nobody-pod") as pod:
                script = "id -u; cat /proc/sys/kernel/hostname; ls /proc | grep -c '^[0-9]'"
                r = pod.exec("c", ["sh", "-c", script], timeout=5)
                out["inside"] = r.stdout.split()
                out["members_during"] = len(pod.members())
            out["members_after"] = len(pod.members())
        print(json.dumps(out))
    """)
    done = subprocess.run(["runuser", "-u", "nobody", "--", python, "-c", code], cwd="/",
                          capture_output=True, text=True, timeout=30, check=False)
    out = json.loads(done.stdout.splitlines()[-1]) if done.stdout else {"stderr": done.stderr}
    if not USERNS_ALLOWED:
        assert out["available"] is False and out["mode"] is None
        return
    assert (out["available"], out["mode"]) == (True, "userns"), out
    assert out["inside"][:2] == ["0", "nobody-pod"] and int(out["inside"][2]) <= 5
    assert out["members_during"] >= 2 and out["members_after"] == 0
