"""Chapter 1 graders on typical answers, without nbgrader (the pipeline tests cover nbgrader)."""

from __future__ import annotations

from typing import Any

import pytest
from grader_support import edit

from graders import ch1

HELLO = """
apiVersion: v1
kind: Pod
metadata:
  name: hello
  labels:
    app: hello
spec:
  containers:
  - name: web
    image: nginx:1.22
    ports:
    - containerPort: 80
"""

STARTER = """
apiVersion: v1
kind: Pod
metadata:
  name: My_Pod
spec:
  containers:
  - name: app
    image: nginx
"""


@pytest.mark.parametrize(
    ("answer", "points", "message"),
    [
        (HELLO, 6, None),
        (STARTER, 0, "metadata.name: Invalid value"),
        (HELLO.replace("nginx:1.22", "nginx"), 5, "does not name a version"),
        (HELLO.replace("nginx:1.22", "nginx:latest"), 5, "does not name a version"),
        (HELLO.replace("nginx:1.22", "docker.io/library/nginx@sha256:" + "a" * 64), 6, None),
        (HELLO.replace("nginx:1.22", "httpd:2.4"), 5, "use nginx"),
        (HELLO.replace("    ports:\n    - containerPort: 80\n", ""), 5, "does not declare port 80"),
        (HELLO.replace("- containerPort: 80", "- containerPort: 80\n      hostPort: 80"), 5, "Remove hostPort"),
        (HELLO.replace("    app: hello\n", "    app: web\n"), 5, "no label app=hello"),
        (HELLO.replace("kind: Pod", "kind: Deployment"), 5, "this exercise asks for a Pod"),
        (HELLO + "---\n" + HELLO, 0, "holds 2 YAML documents"),
        ("\n# YOUR ANSWER HERE\n", 0, "Build the Pod in the editor above"),
        ({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "hello", "labels": {"app": "hello"}},
          "spec": {"containers": [{"name": "web", "image": "nginx:1.22", "ports": [{"containerPort": 80}]}]}},
         6, None),
        ({"spec": {"containers": "web"}}, 0, None),
        ([1, 2, None], 0, None),
    ],
)
def test_first_pod_scores(answer: Any, points: float, message: str | None,
                          capsys: pytest.CaptureFixture[str]) -> None:
    """Does the first-Pod exercise give each typical answer its points and the message that says what to change?"""
    assert float(ch1.first_pod(answer, hidden=True)) == points
    out = capsys.readouterr().out
    assert "Traceback" not in out
    if message:
        assert message in out


def test_editor_starter_earns_nothing_even_in_the_self_check() -> None:
    """Does running the Pod editor without changing its starter earn zero visible and hidden points?"""
    assert float(ch1.first_pod(STARTER)) == 0 == float(ch1.first_pod(STARTER, hidden=True))


@pytest.mark.parametrize(
    ("answer", "points"),
    [
        ({"A": "same", "B": "separate", "C": "same", "D": "separate", "E": "same", "F": "separate"}, 6),
        ({"a": True, "b": False, "c": "one pod", "d": "apart", "e": "yes", "f": "no"}, 6),
        ({"A": "same", "B": "same", "C": "same", "D": "same", "E": "same", "F": "same"}, 3),
        ({"A": "maybe"}, 0),
        ("A: same\nB: separate\n", 2),
        ("same", 0),
    ],
)
def test_same_pod_judgement(answer: Any, points: float) -> None:
    """Does the what-belongs-in-one-Pod judgement count each pair once, accepting same/separate synonyms?"""
    assert float(ch1.same_pod(answer, hidden=True)) == points


def test_points_match_the_notebook() -> None:
    """Does every ch1 test cell promise exactly the points its exercise can award?"""
    import nbformat

    from graders import live, pipeline

    nb_path = pipeline.notebooks_of(pipeline.ROOT / "solutions" / "ch1")[0]
    cells = pipeline.grade_cells(nbformat.read(nb_path, as_version=4))
    by_cell = {f"ch1-{ex.id.split('.')[1].replace('_', '-')}-test": ex.max_points for ex in ch1.EXERCISES}
    by_cell["ch1-web-with-logs-live"] = live.web_with_logs.max_points  # the live check (graders.live)
    assert cells == by_cell


# ---------------------------------------------------------------------------
# Requirement tables: equally correct answers earn full marks; breaking one stated
# requirement loses exactly the cases that grade it, with a message naming the field.
# ---------------------------------------------------------------------------

DIGEST = "sha256:" + "b" * 64


def failing(exercise: Any, answer: Any) -> tuple[float, set[str], str]:
    points, results, _ = exercise.grade(answer, hidden=True)
    return points, {r.case.name for r in results if not r.passed}, "\n".join(m for r in results for m in r.messages)


def lost(exercise: Any, names: set[str]) -> float:
    return sum(c.points for c in exercise.cases if c.name in names)


FIRST_ALTERNATIVES = [
    HELLO.replace("nginx:1.22", "docker.io/library/nginx:1.22"),
    HELLO.replace("nginx:1.22", f"nginx:1.22@{DIGEST}"),
    HELLO.replace("- containerPort: 80", "- name: http\n      containerPort: 80\n      protocol: TCP"),
    HELLO.replace("    app: hello\n", "    app: hello\n    tier: web\n"),
]

F_VALID, F_NAME, F_ONE = ("one Pod manifest (apiVersion v1, kind Pod) with no checker errors", "the Pod is named hello",
                          "exactly one container, named web")
F_LABEL, F_IMAGE, F_PORT = ("it carries the label app=hello", "the web container runs nginx with a pinned version",
                            "the web container declares containerPort 80")
FIRST_BREAKS = [
    ("name", edit(HELLO, "metadata.name", "hi"), {F_NAME}, "Set `name: hello`"),
    ("label", edit(HELLO, "metadata.labels", {"app": "web"}), {F_LABEL}, "no label app=hello"),
    ("one-container", HELLO + "  - name: extra\n    image: busybox:1.35\n", {F_ONE}, "needs exactly one"),
    ("nginx", HELLO.replace("nginx:1.22", "httpd:2.4"), {F_IMAGE}, "use nginx"),
    ("pinned", HELLO.replace("nginx:1.22", "docker.io/library/nginx"), {F_IMAGE}, "does not name a version"),
    ("port", HELLO.replace("- containerPort: 80", "- containerPort: 81"), {F_PORT}, "does not declare port 80"),
    ("port-quoted", HELLO.replace("containerPort: 80", 'containerPort: "80"'), {F_VALID, F_PORT}, "must be an integer"),
    ("protocol", HELLO.replace("- containerPort: 80", "- containerPort: 80\n      protocol: tcp"), {F_VALID, F_PORT},
     'unsupported value "tcp"'),
    ("kind", HELLO.replace("kind: Pod", "kind: Deployment"), {F_VALID}, "this exercise asks for a Pod"),
]


@pytest.mark.parametrize("answer", FIRST_ALTERNATIVES)
def test_first_pod_alternatives(answer: str) -> None:
    """Does every equally correct first Pod (registry spelled out, digest, named port) earn full marks?"""
    points, _, text = failing(ch1.first_pod, answer)
    assert points == ch1.first_pod.max_points, text


@pytest.mark.parametrize(("answer", "names", "says"), [b[1:] for b in FIRST_BREAKS], ids=[b[0] for b in FIRST_BREAKS])
def test_first_pod_requirements(answer: str, names: set[str], says: str) -> None:
    """Does breaking one requirement of the first Pod lose exactly its cases, with a message naming the fix?"""
    points, got, text = failing(ch1.first_pod, answer)
    assert got == names, text
    assert points == ch1.first_pod.max_points - lost(ch1.first_pod, names)
    assert says in text


API_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: orders-api
spec:
  containers:
  - name: api
    image: ghcr.io/example/orders-api:2.1.0
    env:
    - name: MODE
      value: production
    ports:
    - containerPort: 5000
"""

API_ALTERNATIVES = [
    API_POD,
    API_POD.replace("orders-api:2.1.0", f"orders-api:2.1.0@{DIGEST}"),
    API_POD.replace("value: production", 'value: "production"').replace(
        "- containerPort: 5000", "- name: http\n      containerPort: 5000\n      protocol: TCP"),
    API_POD.replace("    - name: MODE\n      value: production\n",
                    "    - name: STAGE\n      value: production\n    - name: MODE\n      value: $(STAGE)\n"),
]

D_ID, D_IMAGE, D_ENV = ("one Pod manifest (apiVersion v1, kind Pod) named orders-api",
                        "a container named api runs the same image",
                        "the MODE environment variable is set to production")
D_PORT, D_HOST, D_CLEAN = ("the container port is the app's port, 5000", "no hostPort: publishing is a Service's job",
                           "the API server would accept it: the checker reports no errors")
API_BREAKS = [
    ("pod-name", edit(API_POD, "metadata.name", "orders"), {D_ID}, "Set `name: orders-api`"),
    ("pod-name-invalid", edit(API_POD, "metadata.name", "Orders_API"), {D_ID, D_CLEAN},
     "lowercase RFC 1123 subdomain"),
    ("container-name", API_POD.replace("- name: api", "- name: orders"), {D_IMAGE, D_ENV, D_PORT},
     "there is no container named 'api'"),
    ("image", API_POD.replace("orders-api:2.1.0", "orders-api:latest"), {D_IMAGE}, "Use exactly the image"),
    ("env-missing", API_POD.replace("    env:\n    - name: MODE\n      value: production\n", ""), {D_ENV},
     "no MODE variable"),
    ("env-wrong", API_POD.replace("value: production", "value: prod"), {D_ENV}, "MODE is 'prod'"),
    ("port-host-side", API_POD.replace("containerPort: 5000", "containerPort: 8080"), {D_PORT},
     "right-hand number is the container's port"),
    ("port-quoted", API_POD.replace("containerPort: 5000", 'containerPort: "5000"'), {D_PORT, D_CLEAN},
     "must be an integer"),
    ("protocol", API_POD.replace("- containerPort: 5000", "- containerPort: 5000\n      protocol: tcp"),
     {D_PORT, D_CLEAN}, 'unsupported value "tcp"'),
    ("host-port", API_POD.replace("- containerPort: 5000", "- containerPort: 5000\n      hostPort: 8080"), {D_HOST},
     "Remove hostPort"),
    ("kind", API_POD.replace("kind: Pod", "kind: Deployment"), {D_ID, D_CLEAN}, "this exercise asks for a Pod"),
]


@pytest.mark.parametrize("answer", API_ALTERNATIVES)
def test_docker_run_alternatives(answer: str) -> None:
    """Does every equally correct docker run translation (digest, quoted value, $(VAR)) earn full marks?"""
    points, _, text = failing(ch1.docker_run, answer)
    assert points == ch1.docker_run.max_points, text


@pytest.mark.parametrize(("answer", "names", "says"), [b[1:] for b in API_BREAKS], ids=[b[0] for b in API_BREAKS])
def test_docker_run_requirements(answer: str, names: set[str], says: str) -> None:
    """Does breaking one requirement of the docker run translation lose exactly its cases, quoting the checker?"""
    points, got, text = failing(ch1.docker_run, answer)
    assert got == names, text
    assert points == ch1.docker_run.max_points - lost(ch1.docker_run, names)
    assert says in text


WEB_LOGS = """
apiVersion: v1
kind: Pod
metadata:
  name: web-with-logs
spec:
  volumes:
  - name: logs
    emptyDir: {}
  containers:
  - name: web
    image: nginx:1.22
    ports:
    - containerPort: 80
    volumeMounts:
    - name: logs
      mountPath: /var/log/nginx
  - name: log-shipper
    image: busybox:1.35
    args: ["sh", "-c", "tail -F /logs/access.log"]
    volumeMounts:
    - name: logs
      mountPath: /logs
      readOnly: true
"""


def _shipper_as_native_sidecar() -> str:
    import yaml

    doc = yaml.safe_load(WEB_LOGS)
    shipper = doc["spec"]["containers"].pop(1)
    doc["spec"]["initContainers"] = [{**shipper, "restartPolicy": "Always"}]
    return yaml.safe_dump(doc, sort_keys=False)


WEB_LOGS_ALTERNATIVES = [
    WEB_LOGS.replace("mountPath: /var/log/nginx", "mountPath: /var/log/nginx/").replace("mountPath: /logs",
                                                                                       "mountPath: /logs/"),
    WEB_LOGS.replace('args: ["sh", "-c", "tail -F /logs/access.log"]', 'command: ["tail", "-F", "/logs/access.log"]')
    .replace("image: busybox:1.35", "image: docker.io/library/busybox:1.35"),
    WEB_LOGS.replace('args: ["sh", "-c", "tail -F /logs/access.log"]',
                     'env: [{name: LOG_DIR, value: /logs}]\n    args: ["sh", "-c", "tail -F $(LOG_DIR)/access.log"]'),
    _shipper_as_native_sidecar(),
]

W_ID, W_TWO, W_VOL, W_NGINX = ("one Pod manifest (apiVersion v1, kind Pod) named web-with-logs",
                               "exactly two containers: web and log-shipper", "an emptyDir volume named logs",
                               "web runs a pinned nginx and declares port 80")
W_MOUNT, W_SHIP, W_RO, W_CLEAN = ("web writes to logs at /var/log/nginx",
                                  "log-shipper runs busybox:1.35 and follows /logs/access.log",
                                  "log-shipper mounts logs read-only at /logs", "no port clash and no checker errors")
WEB_LOGS_BREAKS = [
    ("name", edit(WEB_LOGS, "metadata.name", "web"), {W_ID}, "Set `name: web-with-logs`"),
    ("third-container", WEB_LOGS + "  - name: extra\n    image: busybox:1.35\n", {W_TWO}, "exactly `web` and"),
    ("host-path", edit(WEB_LOGS, "spec.volumes.0", {"name": "logs", "hostPath": {"path": "/var/log"}}), {W_VOL},
     "uses hostPath"),
    ("unpinned", WEB_LOGS.replace("nginx:1.22", "nginx"), {W_NGINX}, "does not name a version"),
    ("no-port", edit(WEB_LOGS, "spec.containers.0.ports", delete=True), {W_NGINX}, "does not declare port 80"),
    ("web-path", WEB_LOGS.replace("/var/log/nginx", "/logs"), {W_MOUNT}, "Use `mountPath: /var/log/nginx`"),
    ("web-read-only", edit(WEB_LOGS, "spec.containers.0.volumeMounts.0.readOnly", True), {W_MOUNT},
     "cannot write its log files"),
    ("shipper-image", WEB_LOGS.replace("busybox:1.35", "busybox:1.36"), {W_SHIP}, "Use `image: busybox:1.35`"),
    ("shipper-args", edit(WEB_LOGS, "spec.containers.1.args", delete=True), {W_SHIP},
     "does not follow /logs/access.log"),
    ("shipper-path", edit(WEB_LOGS, "spec.containers.1.volumeMounts.0.mountPath", "/var/log"), {W_RO},
     "Use `mountPath: /logs`"),
    ("shipper-writable", edit(WEB_LOGS, "spec.containers.1.volumeMounts.0.readOnly", delete=True), {W_RO},
     "Add `readOnly: true`"),
    ("clash", edit(WEB_LOGS, "spec.containers.1.ports", [{"containerPort": 80}]), {W_CLEAN}, "two containers declare"),
]


@pytest.mark.parametrize("answer", WEB_LOGS_ALTERNATIVES)
def test_web_with_logs_alternatives(answer: str) -> None:
    """Does every equally correct web-and-shipper Pod (trailing slashes, command form, $(VAR), native sidecar) pass?"""
    points, _, text = failing(ch1.web_with_logs, answer)
    assert points == ch1.web_with_logs.max_points, text


@pytest.mark.parametrize(("answer", "names", "says"), [b[1:] for b in WEB_LOGS_BREAKS],
                         ids=[b[0] for b in WEB_LOGS_BREAKS])
def test_web_with_logs_requirements(answer: str, names: set[str], says: str) -> None:
    """Does breaking one requirement of the web-and-shipper Pod lose exactly its cases, saying what to change?"""
    points, got, text = failing(ch1.web_with_logs, answer)
    assert got == names, text
    assert points == ch1.web_with_logs.max_points - lost(ch1.web_with_logs, names)
    assert says in text


SAME_POD_RIGHT = {k: v for k, (v, _) in ch1.PAIRINGS.items()}
SAME_POD_ALTERNATIVES = [
    {k.lower(): v for k, v in SAME_POD_RIGHT.items()},
    {k: v == "same" for k, v in SAME_POD_RIGHT.items()},
    {k: {"same": "Same Pod", "separate": "SEPARATE PODS"}[v] for k, v in SAME_POD_RIGHT.items()},
    {f" {k} ": {"same": "together", "separate": "apart"}[v] for k, v in SAME_POD_RIGHT.items()},
]


@pytest.mark.parametrize("answer", SAME_POD_ALTERNATIVES)
def test_same_pod_alternatives(answer: dict[str, Any]) -> None:
    """Are booleans, synonyms, any case and padded keys all read as the same judgement?"""
    assert float(ch1.same_pod(answer, hidden=True)) == 6


@pytest.mark.parametrize("letter", sorted(ch1.PAIRINGS))
def test_same_pod_each_pair(letter: str) -> None:
    """Does a wrong verdict on one pair lose exactly that pair's point and explain it?"""
    flip = {"same": "separate", "separate": "same"}
    answer = {**SAME_POD_RIGHT, letter: flip[SAME_POD_RIGHT[letter]]}
    points, names, text = failing(ch1.same_pod, answer)
    assert names == {f"pair {letter}"} and points == 5
    assert ch1.PAIRINGS[letter][1] in text
