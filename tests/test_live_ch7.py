"""Chapter 7's live cell (readiness gating and a liveness restart) against the API double.

The double's scripted kubelet here is a small probe simulator: on every GET of the Pod it
evaluates the Pod's *own* readiness and liveness probes against the files the busybox stand-in
serves (the ones its command creates, plus what the check creates or removes by exec), and
reports Ready and restartCount as a kubelet would. So each mistake the chapter teaches fails
for the reason it would fail on a real node, without a cluster and without timed assertions.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from typing import Any

import kmock
import pytest
import yaml
from grader_support import edit, live_results, policies, uncontacted, unreachable
from kube_double import NAMESPACES, PODS, live_double, status
from test_graders_ch7 import WEB_PROBES
from test_live_graders import _cs, _status, pending_all

from graders import ch7, live

NAME = "shop-web"
WEB = [("web", False)]


def change(path: str, value: Any = None, *, delete: bool = False, text: str = WEB_PROBES) -> str:
    return edit(text, path, value, delete=delete)


class Kubelet:
    """Evaluates the stored Pod's probes against the stand-in's files on every GET of the Pod."""

    def __init__(self, double: Any, *, starting: int = 1) -> None:
        self.double = double
        self.starting = starting  # GETs answered "ContainerCreating" before the container runs
        self.files: set[str] | None = None
        self.initial: set[str] = set()
        self.listen: set[int] = set()
        self.restarts = 0
        self.gets = 0
        self.execs: list[list[str]] = []
        double.kmock["get", kmock.resource("v1/pods"), kmock.name(NAME)] << self.respond
        double.kmock.exec_handlers[NAME] = self.exec

    def _web(self, request: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        key = (PODS, request.namespace, NAME)
        if key not in self.double.kmock.objects or self.double.kmock.objects[key].deleted:
            return None
        obj = self.double.kmock.objects[key]
        return next(c for c in obj.raw["spec"]["containers"] if c["name"] == "web"), obj.raw

    def _ok(self, c: dict[str, Any], kind: str) -> bool:
        probe = c.get(kind)
        if not isinstance(probe, dict):
            return True  # no probe: ready / alive
        if "httpGet" in probe:
            port = ch7.resolve_port(c, probe["httpGet"].get("port"))
            return port in self.listen and ch7.WEB_ROOT + probe["httpGet"].get("path", "/") in self.files
        if "tcpSocket" in probe:
            return ch7.resolve_port(c, probe["tcpSocket"].get("port")) in self.listen
        return True

    def respond(self, request: Any) -> Any:
        got = self._web(request)
        if got is None:
            return status(404, "NotFound", f'pods "{NAME}" not found', name=NAME, kind="pods")
        c, raw = got
        self.gets += 1
        if self.gets <= self.starting:
            return {**raw, "status": pending_all(WEB)}
        if self.files is None:
            script = c["command"][-1]
            self.listen = {int(p) for p in re.findall(r"httpd -f -p (\d+)", script)}
            self.initial = {shlex.split(m)[0] for m in re.findall(r"echo ok > ([^;]+);", script)}
            self.files = set(self.initial)
        if not self._ok(c, "livenessProbe"):
            self.restarts += 1
            self.files = set(self.initial)  # a new container starts from its image
        ready = self._ok(c, "readinessProbe")
        run = {"running": {"startedAt": "2026-01-01T12:00:01Z"}}
        st = _status("Running", ready, WEB, [lambda n: _cs(n, run, ready, self.restarts)])
        return {**raw, "status": st}

    def exec(self, container: str, command: list[str]) -> tuple[str, str, int]:
        self.execs.append(command)
        script = command[-1]
        if container != "web" or self.files is None:
            return ("", f'container "{container}" not found\n', 126)
        if " echo ok > " in f" {script}":
            self.files.add(shlex.split(script.split("echo ok > ", 1)[1])[0])
            return ("", "", 0)
        if script.startswith("rm -f "):
            self.files.discard(shlex.split(script)[2])
            return ("", "", 0)
        return ("", f"sh: {script}: not found\n", 127)


@pytest.fixture
def double(monkeypatch):
    monkeypatch.setitem(ch7.TIMING, "quiet", 0.05)
    monkeypatch.setitem(ch7.TIMING, "slack", 0.0)
    monkeypatch.setitem(ch7.TIMING, "cap", 0.3)
    with live_double(monkeypatch, {"timeout": 0.6, "poll": 0.01, "stable": 0.0, "retry": 0.0}) as d:
        yield d


def grade(answer: str) -> tuple[float, list[tuple[bool, list[str]]]]:
    return live_results(ch7.web_probes_live, answer)


def sent_web(double: Any) -> dict[str, Any]:
    return double.requests("post", PODS)[-1].data["spec"]["containers"][0]


# ---------------------------------------------------------------- success


def test_reference_passes(double, capfd):
    """Does the reference Pod earn 3/3: not Ready until /ready exists, Ready after, restarted once /healthz is gone?"""
    kubelet = Kubelet(double)
    points, cases = grade(WEB_PROBES)
    out = capfd.readouterr()
    assert points == ch7.web_probes_live.max_points == 3, out.out
    assert all(ok for ok, _ in cases) and out.err == ""
    assert kubelet.restarts == 1 and kubelet.files == kubelet.initial
    assert [c[-1].split()[0] for c in kubelet.execs] == ["mkdir", "rm"]
    assert double.namespaces() == {}  # the sandbox is gone


def test_sent_pod_keeps_the_probes_and_runs_a_stand_in(double, capfd):
    """Does the Pod sent to the cluster keep the learner's probes verbatim, run busybox httpd on 8080, and say so?"""
    Kubelet(double)
    grade(WEB_PROBES)
    web = sent_web(double)
    mine = yaml.safe_load(WEB_PROBES)["spec"]["containers"][0]
    assert web["image"] == "busybox:1.35" and "args" not in web
    assert web["readinessProbe"] == mine["readinessProbe"] and web["livenessProbe"] == mine["livenessProbe"]
    assert "httpd -f -p 8080 -h /tmp/www" in web["command"][-1] and "trap 'exit 0' TERM" in web["command"][-1]
    assert "runs a stand-in for 'ghcr.io/example/shop-web:4.2.0'" in capfd.readouterr().out


def test_stand_in_script_is_valid_shell():
    """Is the stand-in's command valid sh that creates the liveness file and serves every declared port?"""
    doc = yaml.safe_load(change("spec.containers.0.livenessProbe.httpGet.path", "/live/check?deep=0"))
    doc["spec"]["containers"][0]["ports"].append({"name": "admin", "containerPort": 9090})
    answer = yaml.safe_dump(doc)
    plan = ch7._plan_web(live.load_answer(answer, "WEB_PROBES"))
    script = plan.pod["spec"]["containers"][0]["command"][-1]
    assert "echo ok > /tmp/www/live/check;" in script and "-p 8080" in script and "-p 9090" in script
    assert subprocess.run(["sh", "-n", "-c", script], check=False).returncode == 0


def test_sandbox_is_baseline_and_dry_run_first(double):
    """Does the cell use a baseline sandbox, dry-run the Pod, then create it?"""
    Kubelet(double)
    grade(WEB_PROBES)
    ns = next(r.data for r in double.requests("post", NAMESPACES))
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
    assert ns["metadata"]["name"].startswith("podcourse-ch7-web-probes-")
    assert double.dry_runs() == ["All", None]


# ---------------------------------------------------------------- the mistakes the chapter teaches

MISTAKES = [
    ("readiness-on-healthz", change("spec.containers.0.readinessProbe.httpGet.path", "/healthz"), 2, 1,
     "the path the livenessProbe checks, which answers from the start"),
    ("no-readiness", change("spec.containers.0.readinessProbe", delete=True), 2, 1,
     "without one a container is ready as soon as it starts"),
    ("readiness-port-typo", change("spec.containers.0.readinessProbe.httpGet.port", "htp"), 2, 1,
     "but web is still not Ready"),
    ("readiness-wrong-number", change("spec.containers.0.readinessProbe.httpGet.port", 80), 2, 1,
     "Check the readinessProbe's port"),
    ("no-liveness", change("spec.containers.0.livenessProbe", delete=True), 2, 2,
     "the kubelet has not restarted web (restartCount is still 0)"),
    # The stand-in serves the liveness path from the start, so /ready answers at once.
    ("liveness-on-ready", change("spec.containers.0.livenessProbe.httpGet.path", "/ready"), 2, 1,
     "its readinessProbe GETs /ready, the path the livenessProbe checks"),
    ("liveness-wrong-port", change("spec.containers.0.livenessProbe.httpGet.port", 80), 1, 2,
     "restarted on its own before the check made /healthz fail"),
    ("liveness-tcp", change("spec.containers.0.livenessProbe", {"tcpSocket": {"port": "http"}}), 2, 2,
     "the kubelet has not restarted web"),
]


@pytest.mark.parametrize(("answer", "points", "failed_case", "says"), [m[1:] for m in MISTAKES],
                         ids=[m[0] for m in MISTAKES])
def test_mistakes_lose_the_behaviour_point(double, capfd, answer, points, failed_case, says):
    """Does each probe mistake lose the right behaviour point, with a message naming the cause?"""
    Kubelet(double)
    got, cases = grade(answer)
    assert got == points, cases
    assert cases[0][0]  # the Pod itself ran
    assert not cases[failed_case][0] and says in "\n".join(cases[failed_case][1])
    assert "(live-exec-failed)" in "\n".join(cases[failed_case][1])
    assert capfd.readouterr().err == ""


def test_kubelet_event_is_quoted(double):
    """When the Pod never turns Ready, does the message quote the kubelet's Unhealthy event?"""
    Kubelet(double)
    double.events_for(NAME, [("Warning", "Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 404"),
                             ("Warning", "Unhealthy", "Readiness probe errored: port htp not found")])
    _, cases = grade(change("spec.containers.0.readinessProbe.httpGet.port", "htp"))
    assert 'The kubelet said: "Readiness probe errored: port htp not found".' in cases[1][1][0]


def test_exec_refused_is_a_failed_case(double):
    """Does an exec the API server cannot run fail both behaviour cases with its reason, not raise?"""
    Kubelet(double)
    double.kmock.exec_handlers.clear()
    points, cases = grade(WEB_PROBES)
    assert points == 1
    assert "could not create /tmp/www/ready in web" in cases[1][1][0]
    assert "could not remove /tmp/www/healthz in web" in cases[2][1][0]


# ---------------------------------------------------------------- the Pod does not run

PULL = 'Back-off pulling image "busybox:1.35": ErrImagePull: not found'


def test_image_pull_backoff(double, capfd):
    """Does an image the node cannot pull fail the run case with the kubelet's words and skip the behaviours?"""
    double.script_pod(NAME, [pending_all(WEB), pending_all(WEB, "ImagePullBackOff", PULL)])
    points, cases = grade(WEB_PROBES)
    assert points == 0
    assert "ImagePullBackOff" in cases[0][1][0] and "(live-image-pull)" in cases[0][1][0]
    assert cases[1][1] == [live.NOT_RUN] and cases[2][1] == [live.NOT_RUN]
    assert capfd.readouterr().err == "" and double.namespaces() == {}


def test_never_running_is_a_timeout(double):
    """Does a Pod that never starts running fail with a bounded timeout instead of hanging?"""
    double.script_pod(NAME, [pending_all(WEB)])
    points, cases = grade(WEB_PROBES)
    assert points == 0 and "was not running after 0.6s" in cases[0][1][0] and "(live-timeout)" in cases[0][1][0]


API_ERRORS = [
    ("pss-403", {"dryRun": "All"}, status(403, "Forbidden", 'pods "shop-web" is forbidden: violates PodSecurity '
                                          '"baseline:latest": host namespaces (hostNetwork=true)'),
     "(live-forbidden-pss)"),
    ("exists-409", None, status(409, "AlreadyExists", 'pods "shop-web" already exists', name=NAME, kind="pods"),
     "(live-already-exists)"),
    ("invalid-422", {"dryRun": "All"}, status(
        422, "Invalid", 'Pod "shop-web" is invalid: spec.containers[0].livenessProbe.successThreshold: Invalid value: '
        "3: must be 1", name=NAME, kind="Pod", causes=[{"reason": "FieldValueInvalid", "message": "Invalid value: 3: "
                                                        "must be 1", "field": "spec.containers[0].livenessProbe"
                                                        ".successThreshold"}]),
     "spec.containers[0].livenessProbe.successThreshold: API server: Invalid value: 3: must be 1 (live-invalid)"),
]


@pytest.mark.parametrize(("params", "error", "says"), [e[1:] for e in API_ERRORS], ids=[e[0] for e in API_ERRORS])
def test_api_errors(double, capfd, params, error, says):
    """Does a 403 (Pod Security), 409 (exists) or 422 (invalid) from the API server fail the run case with its words?"""
    Kubelet(double)
    if params:
        double.kmock["post", kmock.resource("v1/pods"), kmock.params(**params)] << error
    else:
        # The dry-run passes; the real create is refused (say, a Pod of that name was left behind).
        double.kmock["post", kmock.resource("v1/pods"), lambda req: req.params.get("dryRun") != "All"] << error
    points, cases = grade(WEB_PROBES)
    assert points == 0 and says in cases[0][1][0], cases
    assert cases[1][1] == [live.NOT_RUN]
    assert capfd.readouterr().err == "" and double.namespaces() == {}


# ---------------------------------------------------------------- policy and answers that cannot run


@pytest.mark.parametrize(("policy", "points", "text"), policies(3))
def test_policy_without_cluster(monkeypatch, capfd, policy, points, text):
    """Does a missing cluster pass with a notice (auto, off) or fail loudly (required)?"""
    got, out = unreachable(monkeypatch, capfd, ch7.web_probes_live, WEB_PROBES, policy)
    assert got == points and text in out.out and out.err == ""


def test_off_sends_nothing(double, monkeypatch):
    """Does PODCOURSE_LIVE=off grade without a single request to the API server?"""
    monkeypatch.setenv("PODCOURSE_LIVE", "off")
    assert float(ch7.web_probes_live(WEB_PROBES)) == 3
    assert double.kmock._requests == []


NOT_RUNNABLE = [
    (None, "WEB_PROBES is still empty"),
    ("# YOUR ANSWER HERE", "WEB_PROBES is still empty"),
    ("kind: Service\napiVersion: v1\nmetadata: {name: x}\n", "not a Pod manifest"),
    (WEB_PROBES.replace("name: web", "name: app"), "no container named 'web'"),
    (WEB_PROBES.replace("successThreshold", "x").replace("failureThreshold: 3", "failureThreshold: 3\n"
                                                          "      successThreshold: 3"), "the API server would refuse"),
    (WEB_PROBES + "  - {name: cache, image: redis:7}\n", "container 'cache' uses 'redis:7'"),
]


@pytest.mark.parametrize(("answer", "text"), NOT_RUNNABLE, ids=range(len(NOT_RUNNABLE)))
def test_unrunnable_answers_fail_without_a_cluster(monkeypatch, capfd, answer, text):
    """Does an answer that cannot run earn 0 even when auto would skip, without contacting a cluster?"""
    got, out = uncontacted(monkeypatch, capfd, ch7.web_probes_live, answer)
    assert got == 0
    assert text in out.out and out.err == ""


@pytest.mark.parametrize(("path", "want"), [("/ready", "/tmp/www/ready"), ("/a/b?x=1#y", "/tmp/www/a/b"),
                                            ("/", None), ("", None), ("ready", None), ("/../etc/passwd", None),
                                            (None, None), ("//x", "/tmp/www/x")])
def test_probe_path_to_stand_in_file(path, want):
    """Does a probe path map to the file the stand-in serves, refusing `/`, relative paths and `..`?"""
    assert ch7._file_for(path) == want


def test_live_cell_is_declared_for_the_notebook():
    """Is the live cell declared in ch7.LIVE_CELLS, after the static web-probes cell, with the Ready-free target?"""
    (cell,) = [c for c in live.cells() if c.chapter == "ch7"]
    assert cell.grade_id == "ch7-web-probes-live" and cell.var == "WEB_PROBES"
    assert cell.exercise.until == "Running" and cell.exercise.max_points == 3
