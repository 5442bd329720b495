"""Chapter 8's live cell (graders.ch8.guaranteed_live) against the Kubernetes API double over real HTTP.

The scripted kubelet plays what a real cluster does with the learner's payments Pod: the API
server's `status.qosClass`, and the app container OOMKilled (exit code 137) and restarted after
the check signals it to allocate past its memory limit. Every failure mode the chapter teaches,
API errors, timeouts and the PODCOURSE_LIVE policies run here without a cluster.
"""

from __future__ import annotations

import kmock
import pytest
import yaml
from grader_support import live_results, policies, uncontacted, unreachable
from kube_double import NAMESPACES, PODS, double, status  # noqa: F401  (the API double fixture)
from test_graders_ch8 import GUARANTEED_POD
from test_live_graders import _cs

from graders import ch8, live

NAME = "payments"
LIMITRANGES = kmock.resource("", "v1", "limitranges")
QUOTAS = kmock.resource("", "v1", "resourcequotas")

# The classic mistake: db-migrate has no resources, so the Pod is Burstable.
FORGOT_INIT = GUARANTEED_POD.replace("    resources:\n      limits: {cpu: 100m, memory: 32Mi}\n", "", 1)

RUN = {"running": {"startedAt": "2026-01-01T12:00:01Z"}}
DONE = {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": "2026-01-01T12:00:00Z"}}
OOM = {"exitCode": 137, "reason": "OOMKilled", "startedAt": "2026-01-01T12:00:01Z",
       "finishedAt": "2026-01-01T12:00:09Z"}


def pod_status(qos: str = "Guaranteed", *, ready: bool = True, app: dict | None = None, restarts: int = 0,
               last: dict | None = None, phase: str = "Running") -> dict:
    """What the kubelet reports for the payments Pod: db-migrate done, proxy and app running."""
    conds = [{"type": t, "status": "True" if ready or t in ("PodScheduled", "Initialized") else "False"}
             for t in ("PodScheduled", "Initialized", "ContainersReady", "Ready")]
    return {
        "phase": phase, "conditions": conds, "qosClass": qos,
        "initContainerStatuses": [_cs("db-migrate", DONE), _cs("proxy", RUN, True)],
        "containerStatuses": [_cs("app", app or RUN, ready, restarts, last)],
    }


READY = pod_status()
AFTER_OOM = pod_status(restarts=1, last=OOM)
STILL_RUNNING = pod_status()
OOM_NOT_RESTARTED = pod_status(ready=False, app={"terminated": OOM}, phase="Failed")


def exec_ok(container: str, command: list[str]) -> tuple[str, str, int]:
    """The stand-in app accepts the signal; anything else is not a command the check sends."""
    if container == "app" and command == ["sh", "-c", f"touch {ch8.OOM_TRIGGER}"]:
        return ("", "", 0)
    return ("", f"sh: {command}: not found\n", 127)


def setup(double, statuses: list[dict], handler=exec_ok) -> None:  # noqa: F811
    double.script_pod(NAME, statuses, handler)


def grade(answer: str = GUARANTEED_POD) -> tuple[float, list[tuple[bool, list[str]]]]:
    return live_results(ch8.guaranteed_live, answer)


def execs(double) -> list[list[str]]:  # noqa: F811
    return [r for r in double.requests("get") if "exec" in str(r.url)]


# ---------------------------------------------------------------- success


def test_reference_passes(double, capfd):  # noqa: F811
    """Does the reference Pod earn 3/3 when the API server records Guaranteed and the kubelet reports the OOM kill?"""
    setup(double, [pod_status(ready=False, app={"waiting": {"reason": "ContainerCreating"}}), READY, AFTER_OOM])
    points, cases = grade()
    out = capfd.readouterr()
    assert points == 3 and all(ok for ok, _ in cases), out.out
    assert "3/3 points" in out.out and out.err == ""
    assert len(execs(double)) == 1  # one signal, sent once the Pod was Ready
    assert double.namespaces() == {}


def test_sandbox_has_no_limit_range_and_sends_stand_ins(double):  # noqa: F811
    """Does the sandbox leave out the LimitRange (its defaults change the class) and keep the learner's resources?"""
    setup(double, [READY, AFTER_OOM])
    grade()
    assert double.requests("post", LIMITRANGES) == []
    (quota,) = double.requests("post", QUOTAS)
    assert quota.data["spec"]["hard"] == {"pods": "4"}
    ns = next(r.data for r in double.requests("post", NAMESPACES))
    assert ns["metadata"]["name"].startswith("podcourse-ch8-guaranteed-")
    sent = double.requests("post", PODS)[-1].data["spec"]
    want = yaml.safe_load(GUARANTEED_POD)["spec"]
    for fld in ("initContainers", "containers"):
        for got, mine in zip(sent[fld], want[fld], strict=True):
            assert got["image"] == "busybox:1.35" and got["resources"] == mine["resources"]
            assert "args" not in got
    assert sent["containers"][0]["command"][-1].endswith("exec tail /dev/zero")
    assert sent["initContainers"][1]["restartPolicy"] == "Always"


def test_notes_list_the_stand_ins(double, capfd):  # noqa: F811
    """Does the report say which containers ran as stand-ins and that their resources are the learner's?"""
    setup(double, [READY, AFTER_OOM])
    grade()
    out = capfd.readouterr().out
    for name in ("db-migrate", "proxy", "app"):
        assert f"note: {name} runs a stand-in for 'ghcr.io/example/" in out
    assert out.count("its resources are yours") == 3


def test_oom_without_restart_counts(double):  # noqa: F811
    """With restartPolicy Never, is a container terminated OOMKilled (not restarted) still proof of the limit?"""
    setup(double, [READY, OOM_NOT_RESTARTED])
    assert grade(GUARANTEED_POD.replace("spec:\n", "spec:\n  restartPolicy: Never\n", 1))[0] == 3


# ---------------------------------------------------------------- what the chapter teaches


def test_burstable_loses_the_qos_point(double):  # noqa: F811
    """Does the Pod whose init container sets nothing lose the qosClass point, quoting why it is Burstable?"""
    setup(double, [pod_status("Burstable"), AFTER_OOM])
    points, cases = grade(FORGOT_INIT)
    assert points == 2 and cases[0][0] and not cases[1][0] and cases[2][0]
    (msg,) = cases[1][1]
    assert msg.startswith("status.qosClass: the API server recorded 'Burstable', not 'Guaranteed'")
    assert 'init container "db-migrate" has no cpu limit' in msg and "->" in msg


def test_no_oom_kill_seen(double):  # noqa: F811
    """Does an app that survives past its limit (no OOMKilled, no restart) fail the limit point, not hang?"""
    setup(double, [READY, STILL_RUNNING])
    points, cases = grade()
    assert points == 2 and not cases[2][0]
    (msg,) = cases[2][1]
    assert "never reported it OOMKilled and restarted (app running, restarted 0 time(s))" in msg
    assert "spec.containers[0].resources.limits.memory" in msg and "(live-exec-failed)" in msg


def test_other_crash_is_not_an_oom(double):  # noqa: F811
    """Does a restart for another reason (exit 1, Error) not count as the memory limit at work?"""
    crashed = pod_status(restarts=1, last={"exitCode": 1, "reason": "Error"})
    setup(double, [READY, crashed])
    points, cases = grade()
    assert points == 2 and "last terminated Error (1)" in cases[2][1][0]


def test_signal_refused(double):  # noqa: F811
    """Does a failed exec (the app is not running) fail the limit point with the exec's output?"""

    def gone(container, command):
        return ("", "sh: can't create /tmp/podcourse-oom: Read-only file system\n", 1)

    setup(double, [READY, AFTER_OOM], handler=gone)
    points, cases = grade()
    assert points == 2 and "could not signal app to start allocating: sh: can't create" in cases[2][1][0]


@pytest.mark.parametrize(("limit", "text"), [("1Gi", "above the 256Mi this check is willing to fill"),
                                             (None, "app has no memory limit of its own")])
def test_no_filling_without_a_small_limit(double, limit, text):  # noqa: F811
    """Does the check refuse to fill memory when app has no limit or a large one, and never signal app?"""
    doc = yaml.safe_load(GUARANTEED_POD)
    res = doc["spec"]["containers"][0]["resources"]
    for part in ("requests", "limits"):
        if limit is None:
            res[part].pop("memory")
        else:
            res[part]["memory"] = limit
    setup(double, [READY if limit else pod_status("Burstable"), AFTER_OOM])
    _, cases = grade(yaml.safe_dump(doc))
    assert cases[0][0] and not cases[2][0] and text in cases[2][1][0]
    assert execs(double) == []


def test_oom_kill_before_ready_fails_the_run(double):  # noqa: F811
    """Does an app OOMKilled while the check still waits for Ready fail the run case with live-oom-killed?"""
    looping = pod_status(ready=False, app={"waiting": {"reason": "CrashLoopBackOff"}}, restarts=3, last=OOM)
    setup(double, [looping])
    points, cases = grade()
    assert points == 0
    assert 'Container "app" was OOMKilled (out of memory) after 3 restart(s)' in cases[0][1][0]
    assert "(live-oom-killed)" in cases[0][1][0]
    assert cases[1][1] == [live.NOT_RUN] and cases[2][1] == [live.NOT_RUN]


# ---------------------------------------------------------------- API errors and timeouts

QUOTA_MSG = ('pods "payments" is forbidden: exceeded quota: podcourse-quota, requested: limits.memory=4Gi, '
             "used: limits.memory=0, limited: limits.memory=1Gi")
PSS_MSG = 'pods "payments" is forbidden: violates PodSecurity "baseline:latest": privileged (container "app")'
API_ERRORS = [
    ("pss-403", status(403, "Forbidden", PSS_MSG, name=NAME, kind="pods"), "(live-forbidden-pss)", PSS_MSG),
    ("quota-403", status(403, "Forbidden", QUOTA_MSG, name=NAME, kind="pods"), "(live-forbidden)", "exceeded quota"),
    ("exists-409", status(409, "AlreadyExists", 'pods "payments" already exists', name=NAME, kind="pods"),
     "(live-already-exists)", 'pods "payments" already exists'),
    ("invalid-422", status(422, "Invalid", 'Pod "payments" is invalid: spec.containers[0].resources.requests: '
                           'Invalid value: "1": must be less than or equal to cpu limit of 500m', name=NAME,
                           kind="Pod", causes=[{"reason": "FieldValueInvalid", "field":
                                                "spec.containers[0].resources.requests",
                                                "message": 'Invalid value: "1": must be less than or equal to cpu '
                                                           "limit of 500m"}]),
     "(live-invalid)", "must be less than or equal to cpu limit of 500m"),
]


@pytest.mark.parametrize(("error", "rule", "text"), [e[1:] for e in API_ERRORS], ids=[e[0] for e in API_ERRORS])
def test_api_errors(double, capfd, error, rule, text):  # noqa: F811
    """Does each refusal (403 PSS, 403 quota, 409, 422) fail the run case in the server's words, creating nothing?"""
    double.refuse_dry_run(error)
    points, cases = grade()
    assert points == 0
    assert rule in cases[0][1][0] and text in cases[0][1][0]
    assert double.dry_runs() == ["All"]
    assert double.namespaces() == {}
    assert capfd.readouterr().err == ""


def test_timeout(double, capfd):  # noqa: F811
    """Does a Pod that never gets Ready fail with a timeout finding instead of hanging?"""
    setup(double, [pod_status(ready=False, app={"waiting": {"reason": "ContainerCreating"}}, phase="Pending")])
    points, cases = grade()
    assert points == 0 and "was not ready after 0.6s" in cases[0][1][0] and "(live-timeout)" in cases[0][1][0]
    assert capfd.readouterr().err == ""


def test_exec_hangs(double, monkeypatch):  # noqa: F811
    """Does an exec that never finishes become a failed limit case instead of hanging the cell?"""
    import functools

    from course.cluster import probes

    def hung(api, namespace, pod, container, command, timeout):
        return probes.ExecResult("", "", None, f"the command did not finish within {timeout:g}s")

    monkeypatch.setattr(probes, "PodHandle", functools.partial(probes.PodHandle, transport=hung))
    monkeypatch.setitem(live.TIMING, "exec", 0.3)
    setup(double, [READY, AFTER_OOM])
    points, cases = grade()
    assert points == 2 and "the command did not finish within 0.3s" in cases[2][1][0]


# ---------------------------------------------------------------- policies and answers that cannot run


@pytest.mark.parametrize(("policy", "points", "text"), policies(3))
def test_policy_without_cluster(monkeypatch, capfd, policy, points, text):
    """Does a missing cluster pass with a notice (auto, off) or fail loudly (required)?"""
    got, out = unreachable(monkeypatch, capfd, ch8.guaranteed_live, GUARANTEED_POD, policy)
    assert got == points
    assert text in out.out and out.err == ""


def test_off_sends_nothing(double, monkeypatch):  # noqa: F811
    """Does PODCOURSE_LIVE=off grade without a single request to the API server?"""
    monkeypatch.setenv("PODCOURSE_LIVE", "off")
    assert float(ch8.guaranteed_live(GUARANTEED_POD)) == 3
    assert double.kmock._requests == []


NOT_RUNNABLE = [
    (None, "GUARANTEED_POD is still empty"),
    ("# YOUR ANSWER HERE", "GUARANTEED_POD is still empty"),
    (GUARANTEED_POD.replace("name: db-migrate", "name: migrate"), "there is no container named 'db-migrate'"),
    (GUARANTEED_POD.replace("  - name: app\n", "  - name: web\n"), "there is no container named 'app'"),
    (GUARANTEED_POD.replace("requests: {cpu: 500m, memory: 64Mi}", "requests: {cpu: '1', memory: 64Mi}"),
     "the API server would refuse this Pod"),
    (GUARANTEED_POD + "  - {name: extra, image: redis:7}\n", "container 'extra' uses 'redis:7'"),
    ("apiVersion: v1\nkind: LimitRange\nmetadata: {name: payments}\n", "not a Pod manifest"),
]


@pytest.mark.parametrize(("answer", "text"), NOT_RUNNABLE, ids=range(len(NOT_RUNNABLE)))
def test_unrunnable_answers_fail_without_a_cluster(monkeypatch, capfd, answer, text):
    """Does an answer that cannot run earn 0 even when auto would skip, saying what to change?"""
    got, out = uncontacted(monkeypatch, capfd, ch8.guaranteed_live, answer)
    assert got == 0
    assert text in out.out and out.err == ""


def test_live_cell_is_registered() -> None:
    """Is the live cell found by graders.live.cells() after the static Guaranteed cell?"""
    (cell,) = [c for c in live.cells() if c.chapter == "ch8"]
    assert (cell.exercise, cell.var, cell.grade_id) == (ch8.guaranteed_live, "GUARANTEED_POD", "ch8-guaranteed-live")
