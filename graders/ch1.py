"""Chapter 1, Pods versus containers: graders for its four exercises.

Exercise 1 is answered with the Pod editor (`course.widgets.editor_for_answer`);
its answer cell reads the saved `first-pod.answer.yaml`.

Messages say what to change; checker findings are quoted exactly as the
learner sees them in `check_text` output, so feedback and self-checks agree.
"""

from __future__ import annotations

from typing import Any

from graders.answers import Answer
from graders.core import (
    Case,
    Exercise,
    Fail,
    argv,
    checker_clean,
    container_named,
    containers,
    declares_port,
    env_value,
    errors,
    findings_at,
    image_is,
    image_ref,
    is_pod,
    norm_path,
    pod,
    running_container,
    running_containers,
    same_image,
    same_path,
    shell_words,
    table_row,
    volume_of,
    words,
)

# ---------------------------------------------------------------------------
# Shared case tests
# ---------------------------------------------------------------------------


def named(name: str) -> Any:
    def test(answer: Answer) -> Any:
        meta = pod(answer).get("metadata")
        got = meta.get("name") if isinstance(meta, dict) else None
        if got != name:
            bad = findings_at(answer, "metadata.name")
            why = f" The API server rejects it: {bad[0].message}" if bad else ""
            return Fail(f"the Pod is named {got!r}.{why}", path="metadata.name", hint=f"Set `name: {name}`.")
        return True

    return test


def pinned(image: Any) -> bool:
    """True when an image names a version: a tag other than `latest`, or a digest."""
    ref = image_ref(image)
    return ref is not None and ref.pinned


def pinned_image(path: str, image: Any, repository: str, example: str) -> Any:
    """`image` is some pinned version of `repository` (registry spelled out or not), else `Fail`."""
    if not image_is(image, repository):
        return Fail(f"the image is {image!r}; use {repository}.", path=path, hint=f"Use `image: {example}`.")
    if not pinned(image):
        return Fail(f"{image!r} does not name a version, so every node may pull a different {repository}.",
                    path=path, hint=f"Pin a tag such as `{example}`.")
    return True


def exact_image(path: str, image: Any, want: str, *, verb: str = "Use") -> Any:
    """`image` is `want` (with or without the registry written out, with or without an added digest)."""
    if not same_image(image, want):
        return Fail(f"the image is {image!r}.", path=path, hint=f"{verb} `image: {want}` (a digest may follow it).")
    return True


def port_declared(answer: Answer, container: str, port: int, hint: str) -> Any:
    """The container declares `port`/TCP; a port the API server rejects fails with the checker's own finding."""
    fld, i, c = running_container(pod(answer), container)
    where = f"spec.{fld}[{i}].ports"
    bad = findings_at(answer, where)
    if bad:
        return bad
    if declares_port(c, port):
        return True
    return Fail(f"the {container} container does not declare port {port}.", path=where, hint=hint)


def _ports(c: dict[str, Any]) -> list[dict[str, Any]]:
    ports = c.get("ports")
    return [p for p in ports if isinstance(p, dict)] if isinstance(ports, list) else []


def _mounts(c: dict[str, Any]) -> list[dict[str, Any]]:
    mounts = c.get("volumeMounts")
    return [m for m in mounts if isinstance(m, dict)] if isinstance(mounts, list) else []


# ---------------------------------------------------------------------------
# Exercise 1: your first Pod
# ---------------------------------------------------------------------------


def _hello_label(answer: Answer) -> Any:
    meta = pod(answer).get("metadata")
    labels = meta.get("labels") if isinstance(meta, dict) else None
    if not isinstance(labels, dict) or labels.get("app") != "hello":
        return Fail("the Pod has no label app=hello.", path="metadata.labels",
                    hint="Add `labels: {app: hello}` under metadata; Services and selectors find Pods by label.")
    return True


def _one_web_container(answer: Answer) -> Any:
    doc = pod(answer)
    cs = containers(doc)
    if len(cs) != 1:
        return Fail(f"the Pod has {len(cs)} containers; this one needs exactly one.", path="spec.containers")
    container_named(doc, "web")
    return True


def _pinned_nginx(answer: Answer) -> Any:
    i, c = container_named(pod(answer), "web")
    return pinned_image(f"spec.containers[{i}].image", c.get("image"), "nginx", "nginx:1.22")


def _valid_pod(answer: Answer) -> Any:
    """A Pod the API server would accept: right kind, then no error-level finding."""
    got = is_pod(answer)
    return got if got is not True else checker_clean(answer)


def _port_80(answer: Answer) -> Any:
    doc = pod(answer)
    i, c = container_named(doc, "web")
    got = port_declared(answer, "web", 80, "Add `ports: [{containerPort: 80}]` to the web container.")
    if got is not True:
        return got
    if any("hostPort" in p for p in _ports(c)):
        return Fail("the port also sets hostPort, which ties the Pod to one free port on one node.",
                    path=f"spec.containers[{i}].ports", hint="Remove hostPort.")
    return True


first_pod = Exercise(
    id="ch1.first_pod",
    title="Exercise 1 - your first Pod",
    answer_name="FIRST_POD",
    intro="Build the Pod in the editor above, press Save answer, then run the answer cell again.",
    cases=[
        # The editor always writes apiVersion and kind, and its starter has a checker error, so
        # running the editor without changing anything earns nothing.
        Case("one Pod manifest (apiVersion v1, kind Pod) with no checker errors", 1, _valid_pod),
        Case("the Pod is named hello", 1, named("hello")),
        Case("exactly one container, named web", 1, _one_web_container),
        Case("it carries the label app=hello", 1, _hello_label, hidden=True),
        Case("the web container runs nginx with a pinned version", 1, _pinned_nginx, hidden=True),
        Case("the web container declares containerPort 80", 1, _port_80, hidden=True),
    ],
)

# ---------------------------------------------------------------------------
# Exercise 2: from `docker run` to a Pod
# ---------------------------------------------------------------------------

API_IMAGE = "ghcr.io/example/orders-api:2.1.0"


def _api_identity(answer: Answer) -> Any:
    got = is_pod(answer)
    return named("orders-api")(answer) if got is True else got


def _api_container(answer: Answer) -> Any:
    doc = pod(answer)
    i, c = container_named(doc, "api")
    return exact_image(f"spec.containers[{i}].image", c.get("image"), API_IMAGE,
                       verb="Use exactly the image from the docker command:")


def _api_env(answer: Answer) -> Any:
    doc = pod(answer)
    i, c = container_named(doc, "api")
    bad = findings_at(answer, f"spec.containers[{i}].env")
    if bad:
        return bad
    env = c.get("env")
    entries = [e for e in env if isinstance(e, dict)] if isinstance(env, list) else []
    if any(e.get("name") == "MODE" for e in entries):
        value = env_value(c, "MODE")
        if value != "production":
            return Fail(f"MODE is {value!r}.", path=f"spec.containers[{i}].env",
                        hint="`-e MODE=production` becomes `env: [{name: MODE, value: production}]`; "
                        "env values are strings.")
        return True
    return Fail("the container has no MODE variable.", path=f"spec.containers[{i}].env",
                hint="`-e MODE=production` becomes `env: [{name: MODE, value: production}]`.")


def _api_port(answer: Answer) -> Any:
    doc = pod(answer)
    i, c = container_named(doc, "api")
    bad = findings_at(answer, f"spec.containers[{i}].ports")
    if bad:
        return bad
    if declares_port(c, 8080) and not declares_port(c, 5000):
        return Fail("containerPort is 8080, but 8080 was the port on the Docker host; the app listens on 5000.",
                    path=f"spec.containers[{i}].ports",
                    hint="In `-p 8080:5000` the right-hand number is the container's port: use containerPort 5000.")
    if not declares_port(c, 5000):
        return Fail("the api container does not declare port 5000.", path=f"spec.containers[{i}].ports",
                    hint="Add `ports: [{containerPort: 5000}]`.")
    return True


def _no_host_port(answer: Answer) -> Any:
    doc = pod(answer)
    for i, c in enumerate(containers(doc)):
        for j, p in enumerate(_ports(c)):
            if "hostPort" in p:
                return Fail("hostPort re-creates Docker's `-p` on whichever node runs the Pod.",
                            path=f"spec.containers[{i}].ports[{j}].hostPort",
                            hint="Remove hostPort; reach the Pod through a Service or `kubectl port-forward`.")
    return True


docker_run = Exercise(
    id="ch1.docker_run",
    title="Exercise 2 - from docker run to a Pod",
    answer_name="API_POD",
    cases=[
        Case("one Pod manifest (apiVersion v1, kind Pod) named orders-api", 1, _api_identity),
        Case("a container named api runs the same image", 1, _api_container),
        Case("the MODE environment variable is set to production", 1, _api_env, hidden=True),
        Case("the container port is the app's port, 5000", 1, _api_port, hidden=True),
        Case("no hostPort: publishing is a Service's job", 1, _no_host_port, hidden=True),
        Case("the API server would accept it: the checker reports no errors", 1, checker_clean, hidden=True),
    ],
)

# ---------------------------------------------------------------------------
# Exercise 3: a web server and its log shipper
# ---------------------------------------------------------------------------


def _logs_identity(answer: Answer) -> Any:
    got = is_pod(answer)
    return named("web-with-logs")(answer) if got is True else got


def _two_named(answer: Answer) -> Any:
    doc = pod(answer)
    names = sorted(str(c.get("name")) for _, _, c in running_containers(doc))
    if names != ["log-shipper", "web"]:
        return Fail(f"the containers are {names}; the Pod needs exactly `web` and `log-shipper`.",
                    path="spec.containers",
                    hint="Put both in spec.containers (log-shipper may also be a native sidecar).")
    return True


def _logs_volume(answer: Answer) -> Any:
    got = volume_of(pod(answer), "logs")
    if got is None:
        return Fail("there is no volume named logs.", path="spec.volumes",
                    hint="Add `volumes: [{name: logs, emptyDir: {}}]` to the Pod spec.")
    j, v = got
    if "emptyDir" not in v:
        kind = next((k for k in v if k != "name"), "nothing")
        return Fail(f"volume logs uses {kind}; scratch space shared by a Pod's containers is emptyDir.",
                    path=f"spec.volumes[{j}]", hint="Use `emptyDir: {}`.")
    return True


def _mount_of(answer: Answer, container: str) -> tuple[str, dict[str, Any]]:
    """(API path of the container's mount of logs, the mount), or `Fail` saying what to add."""
    fld, i, c = running_container(pod(answer), container)
    for k, m in enumerate(_mounts(c)):
        if m.get("name") == "logs":
            return f"spec.{fld}[{i}].volumeMounts[{k}]", m
    raise Fail(f"the {container} container does not mount the logs volume.",
               path=f"spec.{fld}[{i}].volumeMounts",
               hint="Add a volumeMounts entry with `name: logs` and a mountPath.")


def _web_runs_nginx(answer: Answer) -> Any:
    fld, i, c = running_container(pod(answer), "web")
    got = pinned_image(f"spec.{fld}[{i}].image", c.get("image"), "nginx", "nginx:1.22")
    if got is not True:
        return got
    return port_declared(answer, "web", 80, "Add `ports: [{containerPort: 80}]` to web: nginx listens on 80.")


def _web_mount(answer: Answer) -> Any:
    path, m = _mount_of(answer, "web")
    if not same_path(m.get("mountPath"), "/var/log/nginx"):
        return Fail(f"web mounts logs at {m.get('mountPath')!r}, but nginx writes its logs to /var/log/nginx.",
                    path=f"{path}.mountPath", hint="Use `mountPath: /var/log/nginx`.")
    if m.get("readOnly") is True:
        return Fail("web mounts logs read-only, so nginx cannot write its log files.",
                    path=f"{path}.readOnly", hint="Remove `readOnly: true` from the web mount.")
    return True


SHIPPER_IMAGE = "busybox:1.35"


def follows(c: dict[str, Any], file: str) -> bool:
    """The container runs `tail` following `file` (-F, -f or --follow), however the command is spelled."""
    words = shell_words(c)
    if not any(w.rsplit("/", 1)[-1] == "tail" for w in words):
        return False
    follow = any(w in ("-F", "-f", "--follow") or w.startswith("--follow=")
                 or (w.startswith("-") and not w.startswith("--") and ("F" in w or "f" in w)) for w in words)
    return follow and any(norm_path(w) == norm_path(file) for w in words)


def _shipper_runs(answer: Answer) -> Any:
    fld, i, c = running_container(pod(answer), "log-shipper")
    got = exact_image(f"spec.{fld}[{i}].image", c.get("image"), SHIPPER_IMAGE)
    if got is not True:
        return got
    if not follows(c, "/logs/access.log"):
        shown = " ".join(argv(c)) or "the image's default command"
        return Fail(f"log-shipper runs {shown!r}, which does not follow /logs/access.log.",
                    path=f"spec.{fld}[{i}].args",
                    hint='Use `args: ["sh", "-c", "tail -F /logs/access.log"]`.')
    return True


def _shipper_read_only(answer: Answer) -> Any:
    path, m = _mount_of(answer, "log-shipper")
    if not same_path(m.get("mountPath"), "/logs"):
        return Fail(f"log-shipper mounts logs at {m.get('mountPath')!r}, but it reads /logs/access.log.",
                    path=f"{path}.mountPath", hint="Use `mountPath: /logs`.")
    if m.get("readOnly") is not True:
        return Fail("the log shipper can write to the logs it only needs to read.",
                    path=f"{path}.readOnly", hint="Add `readOnly: true` to its mount.")
    return True


def _no_port_clash(answer: Answer) -> Any:
    doc = pod(answer)
    seen: dict[tuple[Any, Any], int] = {}
    for i, c in enumerate(containers(doc)):
        for p in _ports(c):
            key = (p.get("containerPort"), p.get("protocol", "TCP"))
            if key in seen and seen[key] != i:
                return Fail(f"two containers declare port {key[0]}; containers in a Pod share one network "
                            "namespace, so only one of them can listen on it.",
                            path=f"spec.containers[{i}].ports",
                            hint="The log shipper needs no port: remove it.")
            seen[key] = i
    return errors(answer)


web_with_logs = Exercise(
    id="ch1.web_with_logs",
    title="Exercise 3 - a web server and its log shipper",
    answer_name="WEB_WITH_LOGS",
    cases=[
        Case("one Pod manifest (apiVersion v1, kind Pod) named web-with-logs", 1, _logs_identity),
        Case("exactly two containers: web and log-shipper", 1, _two_named),
        Case("an emptyDir volume named logs", 1, _logs_volume),
        Case("web runs a pinned nginx and declares port 80", 1, _web_runs_nginx, hidden=True),
        Case("web writes to logs at /var/log/nginx", 1, _web_mount, hidden=True),
        Case("log-shipper runs busybox:1.35 and follows /logs/access.log", 1, _shipper_runs, hidden=True),
        Case("log-shipper mounts logs read-only at /logs", 1, _shipper_read_only, hidden=True),
        Case("no port clash and no checker errors", 1, _no_port_clash, hidden=True),
    ],
)

# ---------------------------------------------------------------------------
# Exercise 4: what belongs in one Pod?
# ---------------------------------------------------------------------------

# letter -> (right answer, why), shown to the learner only for the ones they got wrong.
PAIRINGS: dict[str, tuple[str, str]] = {
    "A": ("same", "the shipper reads files nginx writes; they share a volume and live and die together."),
    "B": ("separate", "a database has its own lifecycle, storage and scaling; restarting or scaling the web "
                      "tier must not restart the database. Connect them through a Service."),
    "C": ("same", "a proxy that terminates TLS for one app talks to it over localhost and must run beside "
                  "every replica: a classic sidecar."),
    "D": ("separate", "they scale independently (and are released by different teams); one Pod would force "
                      "one replica count on both."),
    "E": ("same", "a one-off step that must finish before the app starts is an init container in the "
                  "app's Pod."),
    "F": ("separate", "more replicas of the same server are more Pods (a Deployment's replicas), never more "
                      "containers in one Pod: they would clash on port 80 and fail together."),
}

_verdict = words({"same": {"same", "same pod", "one pod", "together", "yes", "true", "y"},
                  "separate": {"separate", "separate pods", "different pods", "apart", "no", "false", "n"}},
                 on_bool=("same", "separate"))


def _judge(letter: str) -> Any:
    want, why = PAIRINGS[letter]
    return table_row(letter, want, why, read=_verdict, noun="pair", choices='"same" or "separate"',
                     unreadable='is neither "same" nor "separate"', example='{"A": "same", "B": "separate", ...}',
                     wrong="{label} belongs in " + ("one Pod" if want == "same" else "separate Pods"))


same_pod = Exercise(
    id="ch1.same_pod",
    title="Exercise 4 - what belongs in one Pod?",
    answer_name="SAME_POD",
    cases=[
        Case(f"pair {letter}", 1, _judge(letter), hidden=letter not in ("A", "B"))
        for letter in PAIRINGS
    ],
)

EXERCISES = (first_pod, docker_run, web_with_logs, same_pod)
