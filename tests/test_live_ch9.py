"""Chapter 9's live cell (graders.ch9.harden_live) against the Kubernetes API double over real HTTP.

The cell runs the learner's hardened Pod in a namespace that enforces `restricted`, checks from
inside that it runs as a non-root user on a read-only root filesystem, and dry-runs the same Pod
made privileged, which Pod Security admission must refuse. Here the double plays the API server
(403/409/422 answers are scripted the way the real one words them) and a scripted kubelet.
"""

from __future__ import annotations

import functools
from typing import Any

import kmock
import pytest
from grader_support import live_results, policies, uncontacted, unreachable
from kube_double import NAMESPACES, PODS, live_double, status
from test_graders_ch9 import HARDENED_POD
from test_live_graders import crashloop_one, pending_all, running_all

from graders import ch9, live

EXERCISE = ch9.harden_live
NAME = "hello-web"
NAMES = [("web", False)]

# The chapter's classic mistake: restricted admits it (readOnlyRootFilesystem is no part of any level).
WRITABLE_POD = HARDENED_POD.replace("      readOnlyRootFilesystem: true\n", "")

VARIANT_MSG = ('pods "hello-web-privileged" is forbidden: violates PodSecurity "restricted:latest": privileged '
               '(container "web" must not set securityContext.privileged=true)')


def hardened_exec(container: str, command: list[str]) -> tuple[str, str, int]:
    """What web answers when it runs as uid 1000 on a read-only root filesystem."""
    if container != "web":
        return ("", f'container "{container}" not found\n', 126)
    if command == ["id", "-u"]:
        return ("1000\n", "", 0)
    if command[:2] == ["sh", "-c"] and command[2].startswith("echo x > /"):
        target = command[2].split("> ", 1)[1]
        return ("", f"sh: can't create {target}: Read-only file system\n", 1)
    return ("", f"sh: {command}: not found\n", 127)


def refuse_privileged(double: Any, message: str = VARIANT_MSG, code: int = 403, reason: str = "Forbidden",
                      **details: Any) -> None:
    """Pod Security admission as the restricted namespace applies it to the privileged variant."""
    double.kmock["post", kmock.resource("v1/pods"), kmock.params(dryRun="All"),
                 kmock.data({"metadata": {"name": "hello-web-privileged"}})] << status(code, reason, message, **details)


@pytest.fixture
def double(monkeypatch: pytest.MonkeyPatch) -> Any:
    with live_double(monkeypatch) as d:
        yield d


def setup(double: Any, statuses: list[dict[str, Any]], handler: Any = hardened_exec, refuse: bool = True) -> None:
    double.script_pod(NAME, statuses, handler)
    if refuse:
        refuse_privileged(double)


def grade(answer: Any) -> tuple[float, list[tuple[bool, list[str]]]]:
    return live_results(EXERCISE, answer)


# ---------------------------------------------------------------- success


def test_hardened_pod_earns_full_marks(double: Any, capfd: Any) -> None:
    """Does the hardened Pod earn 4/4 when it runs, is not root, cannot write /, and its privileged twin is refused?"""
    setup(double, [pending_all(NAMES), running_all(NAMES)])
    points, cases = grade(HARDENED_POD)
    out = capfd.readouterr()
    assert points == EXERCISE.max_points == 4, out.out
    assert all(passed for passed, _ in cases)
    assert out.err == ""
    assert f"note: the same namespace refused the Pod made privileged (server-side dry-run of hello-web-privileged): " \
           f"API server: {VARIANT_MSG}" in out.out
    assert double.namespaces() == {}


def test_sandbox_enforces_restricted_and_variant_is_a_dry_run(double: Any) -> None:
    """Is the sandbox labelled enforce=restricted, and is the privileged variant only ever dry-run?"""
    setup(double, [running_all(NAMES)])
    EXERCISE(HARDENED_POD)
    ns = next(r.data for r in double.requests("post", NAMESPACES))
    labels = ns["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert labels["pod-security.kubernetes.io/enforce-version"] == "latest"
    assert ns["metadata"]["name"].startswith("podcourse-ch9-harden-")
    posts = double.requests("post", PODS)
    assert [(r.data["metadata"]["name"], r.params.get("dryRun")) for r in posts] == [
        (NAME, "All"), (NAME, None), ("hello-web-privileged", "All")]
    variant = posts[2].data["spec"]["containers"][0]["securityContext"]
    assert variant["privileged"] is True and "allowPrivilegeEscalation" not in variant
    assert posts[1].data["spec"]["containers"][0]["securityContext"].get("privileged") is None
    assert {p["metadata"]["name"] for p in double.pods_in(ns["metadata"]["name"])} <= {NAME}


def test_example_image_runs_as_a_stand_in(double: Any, capfd: Any) -> None:
    """Does a web image the cluster lacks run as a busybox stand-in that keeps the learner's securityContext?"""
    setup(double, [running_all(NAMES)])
    points, _ = grade(HARDENED_POD.replace("image: busybox:1.35", "image: ghcr.io/example/hello:1.0"))
    assert points == 4
    sent = double.requests("post", PODS)[1].data["spec"]["containers"][0]
    assert sent["image"] == "busybox:1.35" and sent["command"] == ["sh", "-c", ch9._STAND_IN]
    assert sent["securityContext"]["readOnlyRootFilesystem"] is True
    assert "web runs a stand-in for 'ghcr.io/example/hello:1.0'" in capfd.readouterr().out


# ---------------------------------------------------------------- what the chapter teaches, on the cluster


def test_writable_root_filesystem_loses_the_write_point(double: Any) -> None:
    """Does a Pod restricted admits but whose root filesystem is writable lose only the write point, and say why?"""

    def writable(container: str, command: list[str]) -> tuple[str, str, int]:
        if command[:2] == ["sh", "-c"]:
            return ("", "", 0)
        return hardened_exec(container, command)

    setup(double, [running_all(NAMES)], handler=writable)
    points, cases = grade(WRITABLE_POD)
    assert points == 3 and cases[0][0] and cases[1][0] and cases[3][0]
    (msg,) = cases[2][1]
    assert msg.startswith("spec.containers[0].securityContext.readOnlyRootFilesystem: web could write /.podcourse-")
    assert "(live-exec-failed)" in msg and "Set `readOnlyRootFilesystem: true`" in msg


def test_permission_denied_is_not_a_read_only_filesystem(double: Any) -> None:
    """Does a write that fails only for lack of permission (uid 1000 on a writable /) still fail the case?"""

    def denied(container: str, command: list[str]) -> tuple[str, str, int]:
        if command[:2] == ["sh", "-c"]:
            return ("", f"sh: can't create {command[2].split('> ', 1)[1]}: Permission denied\n", 1)
        return hardened_exec(container, command)

    setup(double, [running_all(NAMES)], handler=denied)
    points, cases = grade(WRITABLE_POD)
    assert points == 3
    assert "failed only because of file permissions" in cases[2][1][0] and "Permission denied" in cases[2][1][0]


def test_running_as_root_loses_the_user_point(double: Any) -> None:
    """Does `id -u` printing 0 fail the non-root case, pointing at runAsUser?"""

    def root(container: str, command: list[str]) -> tuple[str, str, int]:
        return ("0\n", "", 0) if command == ["id", "-u"] else hardened_exec(container, command)

    setup(double, [running_all(NAMES)], handler=root)
    points, cases = grade(HARDENED_POD)
    assert points == 3 and not cases[1][0]
    assert cases[1][1][0].startswith("spec.securityContext.runAsUser: `id -u` in web prints 0")


def test_run_as_non_root_with_a_root_image(double: Any) -> None:
    """Does the kubelet's CreateContainerConfigError (runAsNonRoot, root image) fail the run case with its words?"""
    msg = "container has runAsNonRoot and image will run as root (pod: \"hello-web_ns(uid)\", container: web)"
    setup(double, [pending_all(NAMES), pending_all(NAMES, "CreateContainerConfigError", msg)])
    answer = HARDENED_POD.replace("    runAsUser: 1000\n", "")
    points, cases = grade(answer)
    assert points == 0
    assert 'Container "web": CreateContainerConfigError: container has runAsNonRoot and image will run as root' \
        in cases[0][1][0] and "(live-container-error)" in cases[0][1][0]
    assert cases[1] == (False, [live.NOT_RUN])


def test_script_that_cannot_write_crash_loops(double: Any) -> None:
    """Does a container that exits at once (its script cannot write on a read-only /) fail as CrashLoopBackOff?"""
    setup(double, [crashloop_one(NAMES, "web")])
    points, cases = grade(HARDENED_POD)
    assert points == 0 and 'Container "web" is in CrashLoopBackOff' in cases[0][1][0]


def test_admitted_privileged_variant_means_no_enforcement(double: Any) -> None:
    """If the namespace admits the privileged twin, does the last case fail saying Pod Security is not enforcing?"""
    setup(double, [running_all(NAMES)], refuse=False)
    points, cases = grade(HARDENED_POD)
    assert points == 3 and not cases[3][0]
    assert "admitted your Pod made privileged" in cases[3][1][0] and "(live-exec-failed)" in cases[3][1][0]


def test_variant_refused_for_another_reason(double: Any) -> None:
    """Does a 422 on the privileged twin fail the last case quoting the API server, not pass it?"""
    setup(double, [running_all(NAMES)], refuse=False)
    refuse_privileged(double, 'Pod "hello-web-privileged" is invalid: spec.containers[0].securityContext: Invalid '
                      "value: cannot set `allowPrivilegeEscalation` to false and `privileged` to true", 422,
                      "Invalid", causes=[{"field": "spec.containers[0].securityContext",
                                          "message": "Invalid value: cannot set allowPrivilegeEscalation"}])
    points, cases = grade(HARDENED_POD)
    assert points == 3
    assert "refused for another reason than Pod Security" in cases[3][1][0] and "(live-invalid)" in cases[3][1][0]


# ---------------------------------------------------------------- API errors for the learner's own Pod


def test_pss_forbidden_for_the_pod_itself(double: Any, capfd: Any) -> None:
    """Does a 403 from Pod Security on the learner's own Pod fail the run case with the server's message?"""
    msg = ('pods "hello-web" is forbidden: violates PodSecurity "restricted:latest": seccompProfile (pod or '
           'container "web" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")')
    double.kmock["post", kmock.resource("v1/pods"), kmock.params(dryRun="All"),
                 kmock.data({"metadata": {"name": NAME}})] << status(403, "Forbidden", msg)
    points, cases = grade(HARDENED_POD)
    assert points == 0 and msg in cases[0][1][0] and "(live-forbidden-pss)" in cases[0][1][0]
    assert all(c == (False, [live.NOT_RUN]) for c in cases[1:])
    assert len(double.requests("post", PODS)) == 1 and capfd.readouterr().err == ""


def test_already_exists(double: Any) -> None:
    """Does a 409 AlreadyExists (the dry-run already sees the name taken) fail the run case at metadata.name?"""
    double.kmock["post", kmock.resource("v1/pods"), kmock.data({"metadata": {"name": NAME}})] << status(
        409, "AlreadyExists", f'pods "{NAME}" already exists', name=NAME, kind="pods")
    points, cases = grade(HARDENED_POD)
    assert points == 0 and "(live-already-exists)" in cases[0][1][0] and "already exists" in cases[0][1][0]
    assert cases[0][1][0].startswith("metadata.name: ")


def test_invalid(double: Any) -> None:
    """Does a 422 from validation fail the run case at the field the server names?"""
    double.refuse_dry_run(status(
        422, "Invalid", f'Pod "{NAME}" is invalid: spec.securityContext.runAsUser: Invalid value: -1',
        causes=[{"field": "spec.securityContext.runAsUser", "message": "Invalid value: -1: must be between 0 and "
                 "2147483647, inclusive"}]))
    points, cases = grade(HARDENED_POD)
    assert points == 0
    assert cases[0][1][0].startswith("spec.securityContext.runAsUser: API server: Invalid value: -1")


def test_timeout(double: Any) -> None:
    """Does a Pod that never gets ready fail with a timeout finding instead of hanging?"""
    setup(double, [pending_all(NAMES)])
    points, cases = grade(HARDENED_POD)
    assert points == 0 and "was not ready after 0.6s" in cases[0][1][0] and "(live-timeout)" in cases[0][1][0]


def test_exec_timeout_fails_both_exec_cases(double: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Does an exec that never finishes fail the user and write cases without hanging, and leave the dry-run case?"""
    from course.cluster import probes

    def hung(api: Any, namespace: str, pod: str, container: str, command: list[str], timeout: float) -> Any:
        return probes.ExecResult("", "", None, f"the command did not finish within {timeout:g}s")

    monkeypatch.setattr(probes, "PodHandle", functools.partial(probes.PodHandle, transport=hung))
    monkeypatch.setitem(live.TIMING, "exec", 0.3)
    setup(double, [running_all(NAMES)])
    points, cases = grade(HARDENED_POD)
    assert points == 2 and cases[3][0]
    assert "`id -u` in web did not answer: the command did not finish within 0.3s" in cases[1][1][0]
    assert "the write test could not run in web" in cases[2][1][0]


# ---------------------------------------------------------------- answers that cannot run, and policies


NOT_RUNNABLE = [
    (None, "HARDENED_POD is still empty"),
    ("# YOUR ANSWER HERE", "HARDENED_POD is still empty"),
    (ch9.INSECURE_WEB, "a namespace enforcing restricted would refuse this Pod (it meets only privileged)"),
    (HARDENED_POD.replace("    seccompProfile:\n      type: RuntimeDefault\n", ""),
     'must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost" '
     "(PodSecurity restricted: seccompProfile_restricted)"),
    (HARDENED_POD.replace("name: web", "name: server"), "there is no container named 'web'"),
    (HARDENED_POD.replace("name: hello-web", "name: Hello_Web"), "the API server would refuse"),
    (HARDENED_POD.replace("  - name: web\n", "  - name: extra\n    image: redis:7\n    securityContext:\n"
                          "      allowPrivilegeEscalation: false\n      capabilities: {drop: [ALL]}\n"
                          "  - name: web\n"), "container 'extra' uses 'redis:7'"),
    ("kind: Namespace\napiVersion: v1\nmetadata: {name: x}\n", "not a Pod manifest"),
]


@pytest.mark.parametrize(("answer", "text"), NOT_RUNNABLE, ids=range(len(NOT_RUNNABLE)))
def test_unrunnable_answers_fail_without_a_cluster(monkeypatch: pytest.MonkeyPatch, capfd: Any, answer: Any,
                                                   text: str) -> None:
    """Does an answer restricted would refuse, or that cannot run, earn 0 without contacting any cluster?"""
    got, out = uncontacted(monkeypatch, capfd, EXERCISE, answer)
    assert got == 0
    assert text in out.out and out.err == ""


@pytest.mark.parametrize(("policy", "points", "text"), policies(4))
def test_policy_without_cluster(monkeypatch: pytest.MonkeyPatch, capfd: Any, policy: str, points: float,
                                text: str) -> None:
    """Does a missing cluster pass with a notice (auto, off) or fail loudly (required)?"""
    got, out = unreachable(monkeypatch, capfd, EXERCISE, HARDENED_POD, policy)
    assert got == points
    assert text in out.out and out.err == ""


def test_off_sends_nothing(double: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Does PODCOURSE_LIVE=off grade without a single request to the API server?"""
    monkeypatch.setenv("PODCOURSE_LIVE", "off")
    assert float(EXERCISE(HARDENED_POD)) == 4
    assert double.kmock._requests == []


def test_live_cell_is_registered() -> None:
    """Is the live cell declared in LIVE_CELLS so live.cells() places it after ch9-harden-test?"""
    (cell,) = [c for c in live.cells() if c.chapter == "ch9"]
    assert cell.exercise is EXERCISE and cell.var == "HARDENED_POD" and cell.grade_id == "ch9-harden-live"
    assert EXERCISE.pss_level == "restricted"
