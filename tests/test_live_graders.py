"""The live grade cells (graders.live) against the Kubernetes API double over real HTTP.

Every path a live cell can take runs here without a cluster: success, the Pod failure modes
each chapter meets, exec checks that fail, timeouts, and the PODCOURSE_LIVE policies.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import kmock
import pytest
from grader_support import DEAD, assert_passes, live_results, policies, uncontacted, unreachable
from kube_double import NAMESPACES, PODS, live_double, status
from test_graders_ch1 import WEB_LOGS as WEB_WITH_LOGS

from course.cluster.client import client_at
from graders import live

REPO = Path(__file__).resolve().parents[1]
CONFIGMAPS = kmock.resource("", "v1", "configmaps")

PROXY_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: orders
spec:
  containers:
  - name: app
    image: ghcr.io/example/orders:3.2.0
    ports:
    - containerPort: 8080
  - name: proxy
    image: ghcr.io/example/edge-proxy:1.4.0
    env:
    - name: LISTEN_PORT
      value: "9090"
    - name: UPSTREAM
      value: http://localhost:8080
    ports:
    - containerPort: 9090
"""

LOG_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: app-with-shipper
spec:
  volumes:
  - name: logs
    emptyDir: {}
  initContainers:
  - name: log-shipper
    image: busybox:1.35
    restartPolicy: Always
    args: ["sh", "-c", "tail -n+1 -F /logs/app.log"]
    volumeMounts:
    - name: logs
      mountPath: /logs
      readOnly: true
  containers:
  - name: app
    image: busybox:1.35
    args: ["sh", "-c", "while true; do date >> /var/log/app/app.log; sleep 5; done"]
    volumeMounts:
    - name: logs
      mountPath: /var/log/app
"""

RELOAD_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: web-reload
spec:
  shareProcessNamespace: true
  containers:
  - name: web
    image: nginx:1.22
    volumeMounts:
    - name: config
      mountPath: /etc/nginx/conf.d
  - name: reloader
    image: busybox:1.35
    command: ["sh", "-c", "while sleep 10; do pkill -HUP -o nginx; done"]
    volumeMounts:
    - name: config
      mountPath: /config
  volumes:
  - name: config
    configMap:
      name: web-config
"""

# exercise, answer, pod name, (container, init?) pairs in status order
CHAPTERS = {
    "ch1": (live.web_with_logs, WEB_WITH_LOGS, "web-with-logs", [("web", False), ("log-shipper", False)]),
    "ch3": (live.sidecar, PROXY_POD, "orders", [("app", False), ("proxy", False)]),
    "ch4": (live.log_collection, LOG_POD, "app-with-shipper", [("log-shipper", True), ("app", False)]),
    "ch5": (live.reload_pod, RELOAD_POD, "web-reload", [("web", False), ("reloader", False)]),
}
IDS = list(CHAPTERS)


# ---------------------------------------------------------------- realistic statuses


def _cs(name, state, ready=False, restarts=0, last=None):
    cs = {"name": name, "image": "x", "imageID": "", "ready": ready, "restartCount": restarts, "started": ready,
          "state": state}
    if last is not None:
        cs["lastState"] = {"terminated": last}
    return cs


def _status(phase, ready, names, states):
    conds = [{"type": "PodScheduled", "status": "True"}, {"type": "Initialized", "status": "True"},
             {"type": "ContainersReady", "status": "True" if ready else "False"},
             {"type": "Ready", "status": "True" if ready else "False"}]
    out = {"phase": phase, "conditions": conds, "qosClass": "Burstable", "containerStatuses": [],
           "initContainerStatuses": []}
    for (name, init), st in zip(names, states, strict=True):
        out["initContainerStatuses" if init else "containerStatuses"].append(st(name))
    return out


def running_all(names, restarts=0):
    run = {"running": {"startedAt": "2026-01-01T12:00:01Z"}}
    return _status("Running", True, names, [lambda n: _cs(n, run, True, restarts)] * len(names))


def pending_all(names, reason="ContainerCreating", message="", broken=None):
    def st(n):
        w = {"reason": reason if broken in (None, n) else "ContainerCreating"}
        if message and broken in (None, n):
            w["message"] = message
        return _cs(n, {"waiting": w})

    return _status("Pending", False, names, [st] * len(names))


def crashloop_one(names, broken):
    run = {"running": {"startedAt": "2026-01-01T12:00:01Z"}}
    last = {"exitCode": 1, "reason": "Error", "startedAt": "2026-01-01T12:00:01Z"}
    wait = {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 10s restarting failed container"}}

    def st(n):
        return _cs(n, wait, False, 3, last) if n == broken else _cs(n, run, True)

    return _status("Running", False, names, [st] * len(names))


# ---------------------------------------------------------------- a scripted kubelet and exec


def healthy_exec(container, command):
    """What the four Pods' containers answer to the graders' exec checks when all is well."""
    script = command[-1] if command[:2] == ["sh", "-c"] else " ".join(command)
    script = re.sub(r"^timeout [0-9]+ ", "", script)
    if script.startswith("wget"):
        url = re.search(r"'?(http://[^' ]+)'?", script).group(1)
        if url.startswith(("http://localhost:8080", "http://127.0.0.1:8080")) and container == "proxy":
            return (f"{live.APP_PAGE}\n", "", 0)
        host = url.split("/")[2]  # BusyBox names the host as the URL gives it, port included
        return ("", f"wget: bad address '{host}'\nsh: curl: not found\n", 127)
    if script.startswith("echo ") and " > " in script and container == "app":
        token, path = script[5:].split(" > ", 1)
        healthy_exec.files[path.strip("'").replace("/var/log/app/", "")] = token
        return ("", "", 0)
    if command[0] == "cat" and container == "log-shipper":
        got = healthy_exec.files.get(command[1].replace("/logs/", ""))
        return (f"{got}\n", "", 0) if got else ("", f"cat: can't open '{command[1]}': No such file or directory\n", 1)
    if script.startswith("echo x > ") and container == "log-shipper":
        return ("", "sh: can't create /logs/.podcourse-write-probe: Read-only file system\n", 1)
    if script.startswith("for p in /proc"):
        return ("sh\nsleep\nnginx\nnginx\n", "", 0) if container == "reloader" else ("nginx\n", "", 0)
    return ("", f"sh: {script}: not found\n", 127)


healthy_exec.files = {}


@pytest.fixture
def double(monkeypatch):
    healthy_exec.files = {}
    with live_double(monkeypatch) as d:
        yield d


def _setup(double, chapter, statuses, handler=healthy_exec):
    _, _, name, _ = CHAPTERS[chapter]
    double.script_pod(name, statuses, handler)


# ---------------------------------------------------------------- success


@pytest.mark.parametrize("chapter", IDS)
def test_solution_passes_on_the_double(double, capfd, chapter):
    """Does each chapter's reference Pod earn full live points when the cluster runs it and exec checks pass?"""
    exercise, answer, _, names = CHAPTERS[chapter]
    _setup(double, chapter, [pending_all(names), running_all(names)])
    assert exercise.max_points == 2
    assert_passes(double, capfd, live_results(exercise, answer), exercise.max_points, f"{exercise.title}: 2/2 points")


@pytest.mark.parametrize("chapter", IDS)
def test_sandbox_is_baseline_and_pod_is_sent_after_dry_run(double, chapter):
    """Does a live cell use a baseline-level sandbox and dry-run the Pod before creating it?"""
    exercise, answer, _, names = CHAPTERS[chapter]
    _setup(double, chapter, [running_all(names)])
    exercise(answer)
    ns = next(r.data for r in double.requests("post", NAMESPACES))
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
    assert ns["metadata"]["name"].startswith(f"podcourse-{chapter}-")
    posts = double.requests("post", PODS)
    assert double.dry_runs() == ["All", None]
    images = {c["image"] for fld in ("containers", "initContainers") for c in posts[1].data["spec"].get(fld, [])}
    assert images <= {"busybox:1.35", "nginx:1.22", "python:3.11-slim"}


def test_ch3_runs_stand_ins_and_says_so(double, capfd):
    """Does ch3 replace the example images with busybox stand-ins, keep the learner's env, and list the swap?"""
    _setup(double, "ch3", [running_all(CHAPTERS["ch3"][3])])
    live.sidecar(PROXY_POD)
    sent = double.requests("post", PODS)[-1].data["spec"]["containers"]
    assert [c["image"] for c in sent] == ["busybox:1.35", "busybox:1.35"]
    assert "httpd -f -p 8080" in sent[0]["command"][-1]
    assert {"name": "UPSTREAM", "value": "http://localhost:8080"} in sent[1]["env"]
    assert "runs a stand-in for 'ghcr.io/example/orders:3.2.0'" in capfd.readouterr().out


def test_ch5_creates_the_config_map_first(double):
    """Does ch5 create the ConfigMap the Pod mounts in the sandbox before the Pod's dry-run?"""
    _setup(double, "ch5", [running_all(CHAPTERS["ch5"][3])])
    live.reload_pod(RELOAD_POD)
    (cm,) = double.requests("post", CONFIGMAPS)
    assert cm.data["metadata"]["name"] == "web-config" and "listen 80" in cm.data["data"]["default.conf"]
    order = [r.resource for r in double.requests("post") if r.resource in (CONFIGMAPS, PODS)]
    assert order == [CONFIGMAPS, PODS, PODS]


def test_other_tag_of_a_course_image_runs_the_course_tag(double, capfd):
    """Does nginx:1.25 run as the preloaded nginx:1.22, with a note saying so?"""
    _setup(double, "ch1", [running_all(CHAPTERS["ch1"][3])])
    points, _ = live_results(live.web_with_logs, WEB_WITH_LOGS.replace("nginx:1.22", "nginx:1.25"))
    assert points == 2
    assert double.requests("post", PODS)[-1].data["spec"]["containers"][0]["image"] == "nginx:1.22"
    assert "web runs nginx:1.22 instead of nginx:1.25" in capfd.readouterr().out


# ---------------------------------------------------------------- Pod failure modes

PULL = 'Back-off pulling image "nginx:1.22": ErrImagePull: not found'


@pytest.mark.parametrize("chapter", IDS)
def test_image_pull_backoff(double, capfd, chapter):
    """Does an image that cannot be pulled fail the run case with the kubelet's words and skip the behaviour?"""
    exercise, answer, _, names = CHAPTERS[chapter]
    _setup(double, chapter, [pending_all(names), pending_all(names, "ImagePullBackOff", PULL, broken=names[0][0])])
    points, cases = live_results(exercise, answer)
    assert points == 0
    (ok1, msgs1), (ok2, msgs2) = cases
    assert not ok1 and "ImagePullBackOff" in msgs1[0] and "(live-image-pull)" in msgs1[0] and "->" in msgs1[0]
    assert not ok2 and msgs2 == [live.NOT_RUN]
    assert capfd.readouterr().err == ""
    assert double.namespaces() == {}


@pytest.mark.parametrize("chapter", IDS)
def test_crash_loop(double, capfd, chapter):
    """Does a container in CrashLoopBackOff fail the run case, naming the container and its exit code?"""
    exercise, answer, _, names = CHAPTERS[chapter]
    broken = names[-1][0]
    _setup(double, chapter, [crashloop_one(names, broken)])
    points, cases = live_results(exercise, answer)
    assert points == 0
    assert f'Container "{broken}" is in CrashLoopBackOff: it exited with exit code 1' in cases[0][1][0]
    assert "(live-crash-loop)" in cases[0][1][0]
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("chapter", IDS)
def test_timeout(double, capfd, chapter):
    """Does a Pod that never gets ready fail with a timeout finding instead of hanging?"""
    exercise, answer, _, names = CHAPTERS[chapter]
    _setup(double, chapter, [pending_all(names)])
    points, cases = live_results(exercise, answer)
    assert points == 0 and "was not ready after 0.6s" in cases[0][1][0] and "(live-timeout)" in cases[0][1][0]
    assert capfd.readouterr().err == ""


def test_pss_refusal_is_shown(double):
    """Does the API server's Pod Security refusal (hostNetwork in ch3) fail the run case with its message?"""
    msg = ('pods "orders" is forbidden: violates PodSecurity "baseline:latest": host namespaces '
           '(hostNetwork=true)')
    double.refuse_dry_run(status(403, "Forbidden", msg))
    answer = PROXY_POD.replace("spec:\n", "spec:\n  hostNetwork: true\n", 1)
    points, cases = live_results(live.sidecar, answer)
    assert points == 0 and msg in cases[0][1][0] and "(live-forbidden-pss)" in cases[0][1][0]


# ---------------------------------------------------------------- behaviour checks that fail


def test_ch1_shipper_that_restarts_after_ready(double):
    """Does ch1 notice a container that was Ready once but has restarted when looked at again?"""
    names = CHAPTERS["ch1"][3]
    _setup(double, "ch1", [running_all(names), crashloop_one(names, "log-shipper")])
    points, cases = live_results(live.web_with_logs, WEB_WITH_LOGS)
    assert points == 1 and cases[0][0] and not cases[1][0]
    assert 'Container "log-shipper" does not keep running' in cases[1][1][0]


def test_ch3_upstream_by_container_name(double):
    """Does ch3 fail the behaviour case when UPSTREAM names the app container, quoting wget's error?"""
    _setup(double, "ch3", [running_all(CHAPTERS["ch3"][3])])
    points, cases = live_results(live.sidecar, PROXY_POD.replace("http://localhost:8080", "http://app:8080"))
    assert points == 1 and cases[0][0] and not cases[1][0]
    assert "GET http://app:8080/ (UPSTREAM=http://app:8080) did not reach the app: wget: bad address 'app:8080'" \
        in cases[1][1][0]
    assert "(live-exec-failed)" in cases[1][1][0] and "container names are not host names" in cases[1][1][0]


def test_ch3_exec_refused(double):
    """Does an exec the API server cannot run (no handler: container not found) fail the case, not raise?"""
    _setup(double, "ch3", [running_all(CHAPTERS["ch3"][3])], handler=None)
    double.kmock.exec_handlers.clear()
    points, cases = live_results(live.sidecar, PROXY_POD)
    assert points == 1 and 'container "proxy" not found' in cases[1][1][0]


def test_ch4_writable_consumer(double):
    """Does ch4 fail when the consumer's write into the shared volume succeeds?"""

    def writable(container, command):
        if command[:2] == ["sh", "-c"] and command[2].startswith("echo x > "):
            return ("", "", 0)
        return healthy_exec(container, command)

    _setup(double, "ch4", [running_all(CHAPTERS["ch4"][3])], handler=writable)
    points, cases = live_results(live.log_collection, LOG_POD.replace("      readOnly: true\n", ""))
    assert points == 1
    (msg,) = cases[1][1]
    assert "log-shipper could write /logs/.podcourse-write-probe" in msg and "readOnly: true" in msg
    assert "spec.initContainers[0].volumeMounts" in msg


def test_ch4_consumer_does_not_see_the_file(double):
    """Does ch4 fail when the consumer cannot read what the producer wrote (say, a subPath elsewhere)?"""

    def blind(container, command):
        if command[0] == "cat":
            return ("", f"cat: can't open '{command[1]}': No such file or directory\n", 1)
        return healthy_exec(container, command)

    _setup(double, "ch4", [running_all(CHAPTERS["ch4"][3])], handler=blind)
    points, cases = live_results(live.log_collection, LOG_POD)
    assert points == 1 and "cannot read it at /logs/.podcourse-live-" in cases[1][1][0]
    assert "No such file or directory" in cases[1][1][0]


def test_ch4_producer_cannot_write(double):
    """Does ch4 say the producer's mount is the problem when even the producer cannot write?"""

    def read_only_app(container, command):
        if container == "app":
            return ("", "sh: can't create /var/log/app/x: Read-only file system\n", 1)
        return healthy_exec(container, command)

    _setup(double, "ch4", [running_all(CHAPTERS["ch4"][3])], handler=read_only_app)
    points, cases = live_results(live.log_collection, LOG_POD)
    assert points == 1 and "app could not write into /var/log/app" in cases[1][1][0]


def test_ch5_without_shared_pid_namespace(double):
    """Does ch5 fail when reloader's /proc shows only its own processes, pointing at shareProcessNamespace?"""

    def own_only(container, command):
        if command[:2] == ["sh", "-c"] and command[2].startswith("for p in /proc"):
            return ("sh\nsleep\n", "", 0)
        return healthy_exec(container, command)

    _setup(double, "ch5", [running_all(CHAPTERS["ch5"][3])], handler=own_only)
    points, cases = live_results(live.reload_pod, RELOAD_POD.replace("  shareProcessNamespace: true\n", ""))
    assert points == 1
    (msg,) = cases[1][1]
    assert msg.startswith("spec.shareProcessNamespace: reloader's /proc shows only sh, sleep")
    assert "Set `shareProcessNamespace: true`" in msg


def test_exec_timeout_is_a_failed_case(double, monkeypatch):
    """Does an exec that never finishes become a failed behaviour case instead of hanging the cell?"""
    import functools

    from course.cluster import probes

    def hung(api, namespace, pod, container, command, timeout):
        # What websocket_exec returns when the exec stream is still open at its deadline.
        return probes.ExecResult("", "", None, f"the command did not finish within {timeout:g}s")

    monkeypatch.setattr(probes, "PodHandle", functools.partial(probes.PodHandle, transport=hung))
    monkeypatch.setitem(live.TIMING, "exec", 0.3)
    _setup(double, "ch3", [running_all(CHAPTERS["ch3"][3])])
    points, cases = live_results(live.sidecar, PROXY_POD)
    assert points == 1 and "did not reach the app: the command did not finish within 0.3s" in cases[1][1][0]


# ---------------------------------------------------------------- policy


@pytest.mark.parametrize("chapter", IDS)
@pytest.mark.parametrize("policy, points, text", [*policies(2), ("typo", 2, "live check skipped: no cluster")])
def test_policy_without_cluster(monkeypatch, capfd, chapter, policy, points, text):
    """Does a missing cluster pass with a notice (auto, off, unknown values) or fail loudly (required)?"""
    exercise, answer, _, _ = CHAPTERS[chapter]
    got, out = unreachable(monkeypatch, capfd, exercise, answer, policy)
    assert got == points and text in out.out and out.err == ""
    if policy == "required":
        assert "(live-unreachable)" in out.out and "pod-course cluster up" in out.out


def test_no_kubeconfig_skips_without_importing_a_client(monkeypatch, tmp_path, capfd):
    """With no kubeconfig at all, does auto skip at once and required fail with the reason?"""
    monkeypatch.setattr(live, "CONNECT", None)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setenv("PODCOURSE_LIVE", "auto")
    assert float(live.web_with_logs(WEB_WITH_LOGS)) == 2
    monkeypatch.setenv("PODCOURSE_LIVE", "required")
    assert float(live.web_with_logs(WEB_WITH_LOGS)) == 0
    out = capfd.readouterr()
    assert out.out.count("no kubeconfig") == 2 and out.err == ""


def test_off_sends_nothing(double, monkeypatch):
    """Does PODCOURSE_LIVE=off grade without a single request to the API server?"""
    monkeypatch.setenv("PODCOURSE_LIVE", "off")
    assert float(live.sidecar(PROXY_POD)) == 2
    assert double.kmock._requests == []


# ---------------------------------------------------------------- answers that cannot run


NOT_RUNNABLE = [
    ("ch1", None, "WEB_WITH_LOGS is still empty"),
    ("ch1", "# YOUR ANSWER HERE", "WEB_WITH_LOGS is still empty"),
    ("ch1", WEB_WITH_LOGS.replace("name: log-shipper", "name: shipper"), "no container named 'log-shipper'"),
    ("ch1", WEB_WITH_LOGS.replace("name: web-with-logs", "name: Web_Logs"), "the API server would refuse"),
    ("ch1", WEB_WITH_LOGS.replace("image: busybox:1.35", "image: fluent/fluent-bit:3.0") + "  - {name: extra, "
     "image: redis:7}\n", "container 'extra' uses 'redis:7'"),
    ("ch3", PROXY_POD.replace("    - name: UPSTREAM\n      value: http://localhost:8080\n", ""), "no UPSTREAM"),
    ("ch3", "kind: Service\napiVersion: v1\nmetadata: {name: x}\n", "not a Pod manifest"),
    ("ch4", LOG_POD.replace("    - name: logs\n      mountPath: /logs\n      readOnly: true\n", "    []\n")
     .replace("volumeMounts:\n    []", "volumeMounts: []"), "mount no volume in common"),
    ("ch4", "# YOUR ANSWER HERE", "LOG_POD is still empty"),
    ("ch5", RELOAD_POD.replace("name: reloader", "name: sidecar"), "no container named 'reloader'"),
    ("ch5", "{[", "RELOAD_POD is not valid YAML"),
]


@pytest.mark.parametrize("chapter, answer, text", NOT_RUNNABLE)
def test_unrunnable_answers_fail_without_a_cluster(monkeypatch, capfd, chapter, answer, text):
    """Does an answer that cannot run earn 0 even when auto would skip, saying what to change?"""
    got, out = uncontacted(monkeypatch, capfd, CHAPTERS[chapter][0], answer)
    assert got == 0
    assert text in out.out and out.err == ""


HOSTILE = [None, 42, [], {}, [1, 2], "::", "- a\n- b", {"kind": "Pod"}, {"kind": "Pod", "apiVersion": "v1",
           "spec": {"containers": "web"}}, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"},
           "spec": {"containers": [{"name": "web", "image": 5}, {"name": "log-shipper", "image": None}]}},
           "apiVersion: v1\nkind: Pod\n---\nkind: Pod\n", True, 1e308, b"\xff\xfe"]


@pytest.mark.parametrize("exercise", live.exercises(), ids=lambda e: e.id)
@pytest.mark.parametrize("answer", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_answers_never_raise(monkeypatch, capfd, exercise, answer):
    """Does any strange answer give a number and a message on stdout, never an exception or stderr?"""
    monkeypatch.setattr(live, "CONNECT", lambda: client_at(DEAD))
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    got = exercise(answer)
    assert isinstance(float(got), float) and 0 <= float(got) <= exercise.max_points
    out = capfd.readouterr()
    assert out.err == "" and exercise.title in out.out


# ---------------------------------------------------------------- grading


def test_kernel_during_autograde_leaves_the_run_to_the_regrader(monkeypatch, double, capfd):
    """Inside the learner's kernel during autograde, does the cell skip the cluster and score 0 (regrade decides)?"""
    import IPython

    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    assert float(live.web_with_logs(WEB_WITH_LOGS)) == 0
    assert double.kmock._requests == []
    assert "runs when the notebook is graded" in capfd.readouterr().out


def test_regrade_outside_the_kernel_runs_the_check(monkeypatch, double):
    """Outside any kernel (the trusted re-grade) during autograde, is the live check really run?"""
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    _setup(double, "ch1", [running_all(CHAPTERS["ch1"][3])])
    assert float(live.web_with_logs(WEB_WITH_LOGS)) == 2
    assert double.requests("post", PODS)


def test_score_carries_the_answer_for_the_regrader():
    """Does the cell's value carry the answer data so the trusted re-grade can grade it again?"""
    from graders.core import PAYLOAD_MIME

    bundle = live.sidecar(None)._repr_mimebundle_()
    assert bundle[PAYLOAD_MIME] == {"exercise": "live.sidecar", "answer": None}
    assert json.loads(json.dumps(bundle))


def _solution_answer(chapter: str, var: str) -> str | None:
    """The reference answer text in a chapter's solution notebook (None if that cell is not there)."""
    for nb_path in (REPO / "solutions" / chapter).glob("*.ipynb"):
        for cell in json.loads(nb_path.read_text())["cells"]:
            src = "".join(cell["source"])
            if re.search(rf"^{var}\s*=", src, re.M) and "### BEGIN SOLUTION" in src:
                body = src.split("### BEGIN SOLUTION", 1)[1].split("### END SOLUTION", 1)[0]
                return body.strip("\n")
    return None


@pytest.mark.parametrize("cell", live.cells(), ids=lambda c: c.grade_id)
def test_solution_notebooks_answers_can_run(monkeypatch, cell):
    """Does each solution notebook's reference answer pass the live cell's checks that need no cluster?"""
    exercise, chapter = cell.exercise, cell.chapter
    text = _solution_answer(chapter, cell.var)
    assert text is not None, f"{chapter}'s solution has no {cell.var} answer cell"
    monkeypatch.setenv("PODCOURSE_LIVE", "auto")
    monkeypatch.setattr(live, "CONNECT", lambda: client_at(DEAD))
    assert float(exercise(text)) == exercise.max_points


@pytest.mark.parametrize("cell", live.cells(), ids=lambda c: c.grade_id)
def test_live_cell_follows_its_static_cell_with_matching_points(cell):
    """Does each chapter's solution have its live grade cell right after the static one, worth the exercise's points?"""
    import nbformat

    from graders.nbgrader_ext import exercise_call

    chapter, exercise, var, after = cell.chapter, cell.exercise, cell.var, cell.after
    (nb_path,) = (REPO / "solutions" / chapter).glob("*.ipynb")
    cells = nbformat.read(nb_path, as_version=4).cells
    gids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in cells]
    live_id = cell.grade_id
    assert live_id in gids, f"{chapter} has no {live_id} cell"
    nb_cell = cells[gids.index(live_id)]
    assert gids.index(after) < gids.index(live_id) and not any(
        c.metadata.get("nbgrader", {}).get("grade") for c in cells[gids.index(after) + 1:gids.index(live_id)]
    )
    assert nb_cell.metadata["nbgrader"]["points"] == exercise.max_points and nb_cell.metadata["nbgrader"]["locked"]
    assert exercise_call(nb_cell.source) == (exercise, False)  # the trusted re-grade finds it
    assert f"({var})" in nb_cell.source


def test_ch5_plan_takes_a_native_sidecar_reloader_and_a_projected_configmap():
    """Does the live plan accept what the static grader accepts: reloader as a native sidecar, the ConfigMap in a
    projected volume (and create that ConfigMap in the sandbox)?"""
    from graders.answers import load_answer

    answer = RELOAD_POD.replace("  containers:\n  - name: web", "  initContainers:\n  - name: reloader\n"
                                "    image: busybox:1.35\n    restartPolicy: Always\n"
                                "    command: [sh, -c, 'sleep 3600']\n  containers:\n  - name: web")
    answer = answer[:answer.index("  - name: reloader\n    image: busybox:1.35\n    command: [\"sh\"")] + answer[
        answer.index("  volumes:\n"):]
    answer = answer.replace("    configMap:\n      name: web-config\n",
                            "    projected:\n      sources:\n      - configMap:\n          name: web-config\n")
    plan = live._plan_reload(load_answer(answer, "RELOAD_POD"))
    assert plan.config_maps == {"web-config": {"default.conf": live.NGINX_CONF}}
    assert [c["name"] for c in plan.pod["spec"]["initContainers"]] == ["reloader"]
