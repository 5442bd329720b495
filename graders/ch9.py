"""Chapter 9, securityContext and Pod Security Standards: graders for its five exercises and its live cell.

Pod Security verdicts come from the checker's own evaluation (`course.checker.pss`, the same
code `check_text` runs, conformance-tested against the upstream admission plugin) at the
`restricted` level and the `latest` policy version, and each violation is shown the way the
notebook's `show()` prints it (`violation_text`). Lint and validation messages are the
checker's findings, quoted as `check_text` shows them.
"""

from __future__ import annotations

import copy
import itertools
import re
import secrets
from typing import Any

from course import versions
from graders import live
from graders.answers import Answer
from graders.core import (
    Case,
    Exercise,
    Fail,
    checker_clean,
    errors,
    findings,
    pod,
    pod_named,
    same_image,
    shell_words,
    short_repr,
    table_row,
    words,
    writes_file,
)
from graders.core import dicts as _items

PRESET = "ch9"
PSS_DOCS = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"
PSA_DOCS = "https://kubernetes.io/docs/concepts/security/pod-security-admission/"
SC_DOCS = "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/"
RESTRICTED_HINT = f"Every field restricted asks for is listed in {PSS_DOCS}#restricted"

# ---------------------------------------------------------------------------
# Reading Pods safely (answers may hold anything at any key)
# ---------------------------------------------------------------------------


def _map(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _spec(doc: dict[str, Any]) -> dict[str, Any]:
    return _map(doc.get("spec"))


def _psc(doc: dict[str, Any]) -> dict[str, Any]:
    return _map(_spec(doc).get("securityContext"))


def _csc(c: dict[str, Any]) -> dict[str, Any]:
    return _map(c.get("securityContext"))


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _container(doc: dict[str, Any], name: str) -> tuple[int, dict[str, Any]]:
    """(index, container) of the regular container `name`, or `Fail` saying where it went."""
    for i, c in enumerate(_items(_spec(doc).get("containers"))):
        if c.get("name") == name:
            return i, c
    for i, c in enumerate(_items(_spec(doc).get("initContainers"))):
        if c.get("name") == name:
            raise Fail(f"{name} is an init container; it belongs in spec.containers.", path=f"spec.initContainers[{i}]",
                       hint=f"Move {name} back to spec.containers.")
    names = ", ".join(repr(c.get("name")) for c in _items(_spec(doc).get("containers"))) or "none"
    raise Fail(f"there is no container named {name!r} (containers: {names}).", path="spec.containers",
               hint=f"Keep the container `name: {name}` from the exercise.")


def effective_user(doc: dict[str, Any], c: dict[str, Any]) -> tuple[Any, str]:
    """The runAsUser that applies to container `c` and where it comes from ("container", "pod" or "image")."""
    if "runAsUser" in _csc(c) and _csc(c).get("runAsUser") is not None:
        return _csc(c)["runAsUser"], "container"
    if _psc(doc).get("runAsUser") is not None:
        return _psc(doc)["runAsUser"], "pod"
    return None, "image"


# ---------------------------------------------------------------------------
# The checker's verdicts, shown exactly as the notebook's show() prints them
# ---------------------------------------------------------------------------


def pod_security(doc: Any, version: str = "latest") -> Any:
    """The checker's Pod Security result (`PodSecurity`) for a Pod manifest given as a dict."""
    from course.checker import pss

    doc = _map(doc)
    return pss.evaluate_spec(_map(doc.get("spec")), _map(doc.get("metadata")), version)


def violation_text(v: Any) -> str:
    """One Pod Security violation as the learner sees it everywhere in this chapter."""
    return f"{v.path}: {v.message} (PodSecurity {v.level}: {v.check})"


def lint_findings(answer: Answer, *rules: str) -> list[Any]:
    """The chapter's lint findings (preset ch9) for the answer's first document."""
    from course import check_text
    from course.checker.engine import check_object

    if answer.text is not None:
        results = check_text(answer.text, source=answer.name, preset=PRESET)
        result = results[0] if results else None
    else:
        result = check_object(answer.data, source=answer.name, preset=PRESET)
    if result is None:
        return []
    return [f for f in result.findings if not rules or f.rule in rules]


def _passes(level: str) -> Any:
    """The Pod meets `level` at the latest policy version; else every violation on the way, in order."""

    def test(answer: Answer) -> Any:
        doc = pod(answer)
        if not isinstance(doc.get("spec"), dict):
            return Fail("the Pod has no spec, so there is nothing to evaluate.", path="spec",
                        hint="Write the Pod's spec with its containers.")
        result = pod_security(doc)
        from course.checker.pss import allows

        if allows(result, level):
            return True
        wanted = [v for v in result.violations if level == "restricted" or v.level == "baseline"]
        lines = [f"the Pod meets only {result.level}; a namespace enforcing {level} would reject it "
                 f"(violates PodSecurity \"{level}:latest\"):"]
        lines += ["  " + violation_text(v) for v in wanted]
        return Fail("\n".join(lines), hint=RESTRICTED_HINT if level == "restricted" else f"See {PSS_DOCS}#baseline")

    return test


# ---------------------------------------------------------------------------
# Exercise 1: fix a broken securityContext
# ---------------------------------------------------------------------------

BROKEN_AGENT = """\
apiVersion: v1
kind: Pod
metadata:
  name: metrics-agent
spec:
  securityContext:
    runAsNonRoot: true
    runAsUser: 1000
    seccompProfile:
      type: RuntimeDefault
    capabilities:
      drop: ["ALL"]
  containers:
  - name: agent
    image: ghcr.io/example/metrics-agent:2.3.1
    securityContext:
      runAsUser: 0
      privileged: true
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
"""

AGENT_UID = 1000
AGENT_IMAGE = "ghcr.io/example/metrics-agent:2.3.1"


def effective_seccomp(doc: dict[str, Any], c: dict[str, Any], i: int) -> tuple[Any, str]:
    """The seccomp profile type that applies to container `c` (its own wins over the Pod's) and its path."""
    own = _map(_csc(c).get("seccompProfile"))
    if own.get("type") is not None:
        return own.get("type"), f"spec.containers[{i}].securityContext.seccompProfile.type"
    return _map(_psc(doc).get("seccompProfile")).get("type"), "spec.securityContext.seccompProfile.type"
CAPS_ONLY_ON_CONTAINERS = ("capabilities exists only in a container's securityContext: move it under "
                           "spec.containers[0].securityContext; at Pod level it is an unknown field, not a default.")


def _conflict_fixed(answer: Answer) -> Any:
    """No privileged + allowPrivilegeEscalation: false, and the fix kept the safe half."""
    doc = pod(answer)
    found = findings(answer, "privilege-escalation-conflict")
    if found:
        return found
    i, c = _container(doc, "agent")
    sc = _csc(c)
    if sc.get("allowPrivilegeEscalation") is not False:
        return Fail("allowPrivilegeEscalation: false is gone, so the conflict was solved by keeping the wrong half.",
                    path=f"spec.containers[{i}].securityContext.allowPrivilegeEscalation",
                    hint="Keep `allowPrivilegeEscalation: false` and remove `privileged: true`: a metrics agent "
                    "needs neither the host's devices nor extra privileges.")
    return True


def _caps_on_container(answer: Answer) -> Any:
    doc = pod(answer)
    found = findings(answer, "unknown-field", path_prefix="spec.securityContext.capabilities")
    if found:
        return [*found, CAPS_ONLY_ON_CONTAINERS]
    i, c = _container(doc, "agent")
    drop = _map(_csc(c).get("capabilities")).get("drop")
    if not (isinstance(drop, list) and "ALL" in drop):
        return Fail("agent keeps the runtime's default capabilities: the drop list that was at Pod level did not "
                    "reach the container.", path=f"spec.containers[{i}].securityContext.capabilities",
                    hint="capabilities exists only in a container's securityContext: move `capabilities: "
                    "{drop: [\"ALL\"]}` under spec.containers[0].securityContext.")
    add = _map(_csc(c).get("capabilities")).get("add")
    if add:
        return Fail(f"agent adds {short_repr(add)} back after dropping ALL; the agent runs with no capabilities at "
                    "all.", path=f"spec.containers[{i}].securityContext.capabilities.add",
                    hint="Remove `add`, keep only `drop: [\"ALL\"]`.")
    return True


def _runs_as_agent_uid(answer: Answer) -> Any:
    doc = pod(answer)
    i, c = _container(doc, "agent")
    user, source = effective_user(doc, c)
    if user == AGENT_UID and _is_int(user):
        return True
    where = (f"spec.containers[{i}].securityContext.runAsUser" if source == "container"
             else "spec.securityContext.runAsUser")
    if source == "container" and _is_int(user) and user == 0:
        return Fail("agent's own runAsUser: 0 overrides the Pod's runAsUser: 1000, so it would run as root; with "
                    "runAsNonRoot: true the kubelet refuses to start it (CreateContainerConfigError).", path=where,
                    hint="Remove runAsUser from the container's securityContext (the Pod-level 1000 then applies), "
                    "or set it to 1000 there.")
    shown = "nothing (the image's user)" if source == "image" else repr(user)
    return Fail(f"agent runs as {shown}, not as uid {AGENT_UID}.", path=where,
                hint=f"Keep `runAsUser: {AGENT_UID}` in spec.securityContext and do not override it in the container.")


def _agent_still_hardened(answer: Answer) -> Any:
    doc = pod(answer)
    i, c = _container(doc, "agent")
    sc = _csc(c)
    if sc.get("privileged") is True:
        return Fail("agent is still privileged.", path=f"spec.containers[{i}].securityContext.privileged",
                    hint="Remove `privileged: true`.")
    if sc.get("readOnlyRootFilesystem") is not True:
        return Fail("agent's root filesystem became writable; it was read-only and that was right.",
                    path=f"spec.containers[{i}].securityContext.readOnlyRootFilesystem",
                    hint="Keep `readOnlyRootFilesystem: true` (a container-level field).")
    if not same_image(c.get("image"), AGENT_IMAGE):
        return Fail(f"agent's image changed to {short_repr(c.get('image'))}; only its securityContext was wrong.",
                    path=f"spec.containers[{i}].image", hint=f"Keep `image: {AGENT_IMAGE}`.")
    name = _map(doc.get("metadata")).get("name")
    if name != "metrics-agent":
        return Fail(f"the Pod is named {short_repr(name)}; the task fixes the metrics-agent Pod, it does not rename "
                    "it.", path="metadata.name", hint="Keep `name: metrics-agent`.")
    kind, where = effective_seccomp(doc, c, i)
    if kind == "Localhost":
        # Restricted accepts a Localhost profile; the task asks for the runtime's own (unset and Unconfined are
        # the restricted case's to report).
        return Fail("agent uses a Localhost seccomp profile, a file on the node; the task asks for the runtime's "
                    "default profile.", path=where, hint="Set `seccompProfile: {type: RuntimeDefault}` (at Pod level "
                    "it covers every container).")
    return True


fix_agent = Exercise(
    id="ch9.fix_agent",
    title="Exercise 1 - fix a broken securityContext",
    answer_name="FIXED_AGENT",
    cases=[
        Case("privileged and allowPrivilegeEscalation: false no longer conflict", 1, _conflict_fixed),
        Case("capabilities sit in the container's securityContext, drop ALL and add none back", 1, _caps_on_container),
        Case(f"agent runs as uid {AGENT_UID} (no container-level override to root)", 1, _runs_as_agent_uid),
        Case("agent is not privileged, keeps its read-only root filesystem, its image, the Pod's name and the "
             "runtime's seccomp profile", 1, _agent_still_hardened, hidden=True),
        Case("the Pod passes the restricted Pod Security Standard", 1, _passes("restricted"), hidden=True),
        Case("the checker reports no errors", 1, checker_clean, hidden=True),
    ],
)

# ---------------------------------------------------------------------------
# Exercise 2: which level does each Pod meet?
# ---------------------------------------------------------------------------

_HARDENED_SC = """\
    securityContext:
      allowPrivilegeEscalation: false
      capabilities:
        drop: ["ALL"]
"""


def _rate_pod(spec_extra: str = "", container_sc: str = _HARDENED_SC, pod_sc: str | None = None,
              volume_mounts: str = "") -> str:
    psc = pod_sc if pod_sc is not None else (
        "  securityContext:\n    runAsNonRoot: true\n    runAsUser: 1000\n"
        "    seccompProfile:\n      type: RuntimeDefault\n")
    return ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: rated\nspec:\n" + psc + spec_extra
            + "  containers:\n  - name: app\n    image: busybox:1.35\n    command: [\"sleep\", \"3600\"]\n"
            + container_sc + volume_mounts)


# letter -> (the Pod, the right level, why), explained only for the rows a learner gets wrong.
LEVEL_PODS: dict[str, tuple[str, str, str]] = {
    "A": (_rate_pod(pod_sc="", container_sc=""), "baseline",
          "no securityContext breaks no baseline rule (nothing forbidden is switched on), but restricted asks for "
          "things to be set: runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities.drop: [ALL] and a "
          "RuntimeDefault or Localhost seccomp profile."),
    "B": (_rate_pod(spec_extra="  hostNetwork: true\n"), "privileged",
          "hostNetwork: true shares the node's network namespace, which baseline forbids; every other setting "
          "being hardened does not help."),
    "C": (_rate_pod(), "restricted",
          "runAsNonRoot true with a non-zero runAsUser, a RuntimeDefault seccomp profile, no privilege escalation "
          "and every capability dropped: all restricted asks for."),
    "D": (_rate_pod(container_sc=_HARDENED_SC + "        add: [\"CHOWN\"]\n"), "baseline",
          "CHOWN is one of the runtime's default capabilities, so baseline allows adding it back; restricted allows "
          "adding only NET_BIND_SERVICE."),
    "E": (_rate_pod(spec_extra="  volumes:\n  - name: host-logs\n    hostPath:\n      path: /var/log\n",
                    volume_mounts="    volumeMounts:\n    - name: host-logs\n      mountPath: /host-logs\n"
                                  "      readOnly: true\n"), "privileged",
          "baseline forbids hostPath volumes, even mounted read-only: the Pod could still read the node's files."),
    "F": (_rate_pod(container_sc=_HARDENED_SC + "      runAsUser: 0\n"), "baseline",
          "the container's runAsUser: 0 overrides the Pod's 1000, and restricted forbids runAsUser 0; baseline "
          "says nothing about users. (With runAsNonRoot: true the kubelet would then refuse to start it.)"),
    "G": (_rate_pod(container_sc=_HARDENED_SC + "      seccompProfile:\n        type: Unconfined\n"), "privileged",
          "baseline forbids an explicit Unconfined seccomp profile, and the container's profile overrides the Pod's "
          "RuntimeDefault."),
    "H": (_rate_pod(pod_sc="  securityContext:\n    runAsNonRoot: true\n    seccompProfile:\n"
                           "      type: RuntimeDefault\n"), "restricted",
          "Pod Security admission reads the Pod, never the image: runAsNonRoot: true is all restricted asks for. "
          "That busybox's image runs as root is found later by the kubelet, which then refuses to start the "
          "container (CreateContainerConfigError)."),
}

_LEVEL = words({"privileged": {"privileged", "priv", "none"},
                "baseline": {"baseline", "base"},
                "restricted": {"restricted", "restrict"}})


def _rate(letter: str) -> Any:
    _, want, why = LEVEL_PODS[letter]
    return table_row(letter, want, why, read=_LEVEL, noun="Pod", choices='"privileged", "baseline" or "restricted"',
                     unreadable='is not one of "privileged", "baseline", "restricted"',
                     example='{"A": "baseline", "B": "privileged", ...}',
                     wrong="{label}: the strictest level it passes is {want}, not {got}")


levels = Exercise(
    id="ch9.levels",
    title="Exercise 2 - the strictest level each Pod passes",
    answer_name="LEVELS",
    cases=[Case(f"Pod {letter}", 1, _rate(letter), hidden=letter not in ("A", "B")) for letter in LEVEL_PODS],
)

# ---------------------------------------------------------------------------
# Exercise 3: a Namespace that enforces baseline and warns on restricted
# ---------------------------------------------------------------------------

PSA_PREFIX = "pod-security.kubernetes.io/"
NS_NAME = "payments"
PINNED = versions.PSS_VERSION  # the course cluster's policy version
WANT_LABELS = {
    PSA_PREFIX + "enforce": "baseline",
    PSA_PREFIX + "enforce-version": PINNED,
    PSA_PREFIX + "warn": "restricted",
    PSA_PREFIX + "warn-version": "latest",
}
_PSA_LEVELS = ("privileged", "baseline", "restricted")
_VERSION = re.compile(r"latest|v1\.\d{1,3}")


def _namespace(answer: Answer) -> dict[str, Any]:
    docs = answer.documents
    if len(docs) != 1:
        raise Fail(f"{answer.name} holds {len(docs)} YAML documents; write exactly one Namespace manifest.")
    doc = docs[0]
    if not isinstance(doc, dict):
        raise Fail(f"{answer.name} is YAML but not a mapping; a manifest starts with `apiVersion:` and `kind:`.")
    return doc


def _labels(doc: dict[str, Any]) -> dict[str, Any]:
    labels = _map(doc.get("metadata")).get("labels")
    if labels is not None and not isinstance(labels, dict):
        raise Fail("metadata.labels is not a mapping of key: value pairs.", path="metadata.labels",
                   hint=f"Write `labels:` followed by lines such as `{PSA_PREFIX}enforce: baseline`.")
    return _map(labels)


def _is_namespace(answer: Answer) -> Any:
    doc = _namespace(answer)
    if doc.get("kind") != "Namespace" or doc.get("apiVersion") != "v1":
        return Fail(f"this is a {doc.get('kind')!r} ({doc.get('apiVersion')!r}); Pod Security admission reads its "
                    "settings from the labels of a Namespace.", path="kind",
                    hint="Write `apiVersion: v1` and `kind: Namespace`.")
    got = _map(doc.get("metadata")).get("name")
    if got != NS_NAME:
        return Fail(f"the Namespace is named {got!r}.", path="metadata.name", hint=f"Set `name: {NS_NAME}`.")
    return True


def _mode_label(mode: str) -> Any:
    key = PSA_PREFIX + mode
    want = WANT_LABELS[key]

    def test(answer: Answer) -> Any:
        doc = _namespace(answer)
        labels = _labels(doc)
        if key in labels:
            got = labels[key]
            if got == want:
                return True
            if isinstance(got, str) and got.strip().lower() == want:
                return Fail(f"{key} is {got!r}: level names are lower-case, and the admission plugin refuses a "
                            "Namespace whose level label is not exactly privileged, baseline or restricted.",
                            path=f"metadata.labels.{key}", hint=f"Write `{key}: {want}`.")
            return Fail(f"{key} is {got!r}, but this namespace must {mode} {want}.", path=f"metadata.labels.{key}",
                        hint=f"Write `{key}: {want}`.")
        annotations = _map(_map(doc.get("metadata")).get("annotations"))
        if key in annotations:
            return Fail(f"{key} is an annotation; Pod Security admission reads labels only.",
                        path=f"metadata.annotations.{key}", hint="Move it under metadata.labels.")
        close = [k for k in labels if isinstance(k, str) and k.startswith(PSA_PREFIX) and mode in k
                 and not k.endswith("-version")]
        if close:
            return Fail(f"there is no {key} label; {close[0]!r} is not a key the admission plugin knows.",
                        path=f"metadata.labels.{close[0]}",
                        hint=f"The keys are {PSA_PREFIX}<MODE> with MODE enforce, audit or warn.")
        return Fail(f"there is no {key} label.", path="metadata.labels", hint=f"Add `{key}: {want}`.")

    return test


def _versions(answer: Answer) -> Any:
    labels = _labels(_namespace(answer))
    for mode in ("enforce", "warn"):
        key = f"{PSA_PREFIX}{mode}-version"
        want = WANT_LABELS[key]
        got = labels.get(key)
        if got == want:
            continue
        if got is None:
            return Fail(f"there is no {key} label.", path="metadata.labels",
                        hint=f"Add `{key}: {want}`" + (" (the course cluster's version)." if mode == "enforce"
                                                       else " (warnings follow the newest rules)."))
        if isinstance(got, str) and not _VERSION.fullmatch(got):
            return Fail(f"{key} is {got!r}, which is not a policy version: the admission plugin accepts `latest` "
                        "or `v1.N`.", path=f"metadata.labels.{key}", hint=f"Write `{key}: {want}`.")
        why = ("pin enforce to the version you have tested, so a cluster upgrade cannot start rejecting Pods"
               if mode == "enforce" else "warn at latest, so new restricted rules show up as warnings first")
        return Fail(f"{key} is {got!r}; {why}.", path=f"metadata.labels.{key}", hint=f"Write `{key}: {want}`.")
    return True


def _exactly_these(answer: Answer) -> Any:
    doc = _namespace(answer)
    labels = _labels(doc)
    extra = sorted(str(k) for k in labels if str(k).startswith(PSA_PREFIX) and k not in WANT_LABELS)
    if extra:
        return Fail(f"the Namespace also sets {', '.join(extra)}; the task asks for exactly the four labels of "
                    "enforce and warn.", path=f"metadata.labels.{extra[0]}",
                    hint="Remove the other pod-security.kubernetes.io labels (audit is a third mode, not asked "
                    "for here).")
    # A missing label is the case of its mode or version to report, so it costs one point, not two; with none
    # of them there is nothing that could be "exactly" right.
    if not any(k in labels for k in WANT_LABELS):
        return Fail("the Namespace has none of the four pod-security labels.", path="metadata.labels",
                    hint=f"Add the four labels: {', '.join(f'{k}: {v}' for k, v in WANT_LABELS.items())}.")
    for key, value in labels.items():
        if key in WANT_LABELS and not key.endswith("-version") and value not in _PSA_LEVELS:
            return Fail(f"{key} is {value!r}, not a level.", path=f"metadata.labels.{key}",
                        hint=f"Use one of {', '.join(_PSA_LEVELS)}.")
    return errors(answer)


psa_namespace = Exercise(
    id="ch9.psa_namespace",
    title="Exercise 3 - a namespace that enforces baseline and warns on restricted",
    answer_name="PSA_NAMESPACE",
    cases=[
        Case(f"a v1 Namespace named {NS_NAME}", 1, _is_namespace),
        Case("pod-security.kubernetes.io/enforce: baseline", 1, _mode_label("enforce")),
        Case("pod-security.kubernetes.io/warn: restricted", 1, _mode_label("warn")),
        Case(f"enforce pinned to {PINNED}, warn at latest", 1, _versions, hidden=True),
        Case("exactly these pod-security labels, and the checker reports no errors", 1, _exactly_these, hidden=True),
    ],
)

# ---------------------------------------------------------------------------
# Exercise 4: harden a Pod until it passes restricted (static, then live)
# ---------------------------------------------------------------------------

WEB_SCRIPT = ("mkdir -p /www && echo 'hello from a hardened Pod' > /www/index.html && "
              "exec httpd -f -p 8080 -h /www")

INSECURE_WEB = f"""\
apiVersion: v1
kind: Pod
metadata:
  name: hello-web
spec:
  hostNetwork: true
  containers:
  - name: web
    image: busybox:1.35
    command: ["sh", "-c", "{WEB_SCRIPT}"]
    ports:
    - containerPort: 8080
    securityContext:
      privileged: true
"""

def _under(path: str, mount: str) -> bool:
    mount = mount.rstrip("/") or "/"
    return mount == "/" or path == mount or path.startswith(mount + "/")


def _same_web(answer: Answer) -> Any:
    verdict = pod_named("hello-web")(answer)
    if verdict is not True:
        return verdict
    doc = pod(answer)
    i, c = _container(doc, "web")
    if not same_image(c.get("image"), "busybox:1.35"):
        return Fail(f"web runs {short_repr(c.get('image'))}; harden the Pod, keep its program.",
                    path=f"spec.containers[{i}].image", hint="Keep `image: busybox:1.35`.")
    ports = [p.get("containerPort") for p in _items(c.get("ports"))]
    if 8080 not in ports:
        return Fail("web no longer declares port 8080, where httpd listens.", path=f"spec.containers[{i}].ports",
                    hint="Keep `ports: [{containerPort: 8080}]` (an unprivileged port: no capability needed).")
    return _serves_its_page(c, i) or True


def _served_dir(c: dict[str, Any]) -> str | None:
    """The directory httpd serves (`-h DIR`, with `$(VAR)` and `$VAR` expanded), or None without `-h`."""
    words = shell_words(c)
    got = next((b for a, b in itertools.pairwise(words) if a == "-h"), None)
    return got.strip("'\"") if got else None


def _serves_its_page(c: dict[str, Any], i: int) -> Fail | None:
    """The script still writes index.html where httpd serves from, and httpd still listens on 8080."""
    words = shell_words(c)
    where = f"spec.containers[{i}].{'command' if c.get('command') else 'args'}"
    hint = f'Keep `command: ["sh", "-c", "{WEB_SCRIPT}"]`; hardening changes the securityContext, not the program.'
    starts = [k for k, w in enumerate(words) if w.rsplit("/", 1)[-1] == "httpd"]
    if not starts:
        return Fail("web's command no longer starts httpd, so the Pod serves nothing.", path=where, hint=hint)
    rest = words[starts[0] + 1:]
    port = next((b for a, b in itertools.pairwise(rest) if a == "-p"), None)
    port = port or next((w[2:] for w in rest if w.startswith("-p") and len(w) > 2), None)
    if port is None or port.rsplit(":", 1)[-1] != "8080":
        return Fail(f"web's httpd listens on {short_repr(port) if port else 'port 80 (no -p)'}, not on 8080, the "
                    "port it declares.", path=where, hint=hint)
    served = _served_dir(c) or (c.get("workingDir") if isinstance(c.get("workingDir"), str) else "/")
    if not writes_file(c, f"{served}/index.html"):
        return Fail(f"web's script no longer writes index.html into {served}, the directory httpd serves.",
                    path=where, hint=hint)
    return None


def _numeric_non_root(answer: Answer) -> Any:
    doc = pod(answer)
    i, c = _container(doc, "web")
    user, source = effective_user(doc, c)
    if source == "image":
        return Fail("nothing sets a user for web, so it runs as busybox's image user: root (uid 0), and with "
                    "runAsNonRoot: true the kubelet refuses to start it (CreateContainerConfigError: "
                    "container has runAsNonRoot and image will run as root).", path="spec.securityContext",
                    hint="Set a numeric non-root user: `runAsUser: 1000` (and `runAsGroup: 1000`) in "
                    "spec.securityContext.")
    where = (f"spec.containers[{i}].securityContext.runAsUser" if source == "container"
             else "spec.securityContext.runAsUser")
    if not _is_int(user) or user <= 0:
        return Fail(f"web runs as runAsUser {user!r} ({source} level), which is root or not a user id.", path=where,
                    hint="Use a numeric uid above 0, such as 1000.")
    return True


def _read_only_root(answer: Answer) -> Any:
    doc = pod(answer)
    i, c = _container(doc, "web")
    found = findings(answer, "unknown-field", path_prefix="spec.securityContext.readOnlyRootFilesystem")
    if found:
        return [*found, "readOnlyRootFilesystem exists only in a container's securityContext: move it under "
                f"spec.containers[{i}].securityContext."]
    if _csc(c).get("readOnlyRootFilesystem") is not True:
        lint = [f for f in lint_findings(answer, "writable-root-filesystem")
                if f.path.startswith(f"spec.containers[{i}]")]
        return lint or Fail("web's root filesystem is writable.", path=f"spec.containers[{i}].securityContext",
                            hint="Set `readOnlyRootFilesystem: true`.")
    served = _served_dir(c)
    volumes = {v.get("name"): v for v in _items(_spec(doc).get("volumes"))}
    writable = [mm for mm in _items(c.get("volumeMounts")) if mm.get("readOnly") is not True
                and isinstance(mm.get("mountPath"), str) and isinstance(volumes.get(mm.get("name")), dict)
                and "emptyDir" in volumes[mm.get("name")]]
    if served is not None and not any(_under(served, mm["mountPath"]) for mm in writable):
        return Fail(f"web writes index.html into {served} before httpd starts, but with a read-only root "
                    f"filesystem only a writable volume can take it: the container would exit at once.",
                    path=f"spec.containers[{i}].volumeMounts",
                    hint=f"Add an emptyDir volume and mount it at {served} in web.")
    if served is None and not writable:
        return Fail("web has a read-only root filesystem and no writable emptyDir, so its script has nowhere "
                    "to write.", path=f"spec.containers[{i}].volumeMounts",
                    hint="Mount an emptyDir where the script writes (/www in the exercise).")
    return True


def _no_token(answer: Answer) -> Any:
    pod(answer)
    return lint_findings(answer, "automount-service-account-token")


harden_web = Exercise(
    id="ch9.harden_web",
    title="Exercise 4 - harden a Pod until restricted admits it",
    answer_name="HARDENED_POD",
    cases=[
        Case("one Pod hello-web whose web container still runs busybox:1.35 on port 8080, its script unbroken", 1,
             _same_web),
        Case("the Pod passes the restricted Pod Security Standard (latest)", 2, _passes("restricted")),
        Case("web runs as a numeric non-root user (busybox's image user is root)", 1, _numeric_non_root,
             hidden=True),
        Case("web's root filesystem is read-only, with an emptyDir where its script writes", 1, _read_only_root,
             hidden=True),
        Case("the Pod mounts no service account token (the web server never calls the API)", 1, _no_token,
             hidden=True),
        Case("the checker reports no errors", 1, checker_clean, hidden=True),
    ],
)

# ---------------------------------------------------------------------------
# Exercise 5: bind port 80 as a non-root user with NET_BIND_SERVICE only, on any runtime
# ---------------------------------------------------------------------------

EDGE_IMAGE = "ghcr.io/example/edge-proxy:2.0.4"
EDGE_UID = 101


def _edge_port(answer: Answer) -> Any:
    verdict = pod_named("edge")(answer)
    if verdict is not True:
        return verdict
    doc = pod(answer)
    i, c = _container(doc, "proxy")
    if not same_image(c.get("image"), EDGE_IMAGE):
        return Fail(f"proxy runs {short_repr(c.get('image'))}; the exercise is about the edge proxy image, whose "
                    "binary carries the file capability.", path=f"spec.containers[{i}].image",
                    hint=f"Set `image: {EDGE_IMAGE}`.")
    ports = _items(c.get("ports"))
    eighty = [(j, p) for j, p in enumerate(ports) if p.get("containerPort") == 80]
    if not eighty:
        return Fail("proxy does not declare containerPort 80.", path=f"spec.containers[{i}].ports",
                    hint="Add `ports: [{containerPort: 80}]`.")
    j, p = eighty[0]
    if p.get("hostPort") not in (None, 0) or _spec(doc).get("hostNetwork") is True:
        return Fail("port 80 is bound on the node (hostPort or hostNetwork), which is a different and forbidden "
                    "thing: the proxy only needs port 80 inside its own network namespace.",
                    path=f"spec.containers[{i}].ports[{j}]", hint="Remove hostPort and hostNetwork.")
    return True


def _only_net_bind(answer: Answer) -> Any:
    doc = pod(answer)
    found = findings(answer, "unknown-field", path_prefix="spec.securityContext.capabilities")
    if found:
        return [*found, CAPS_ONLY_ON_CONTAINERS]
    i, c = _container(doc, "proxy")
    where = f"spec.containers[{i}].securityContext.capabilities"
    caps = _map(_csc(c).get("capabilities"))
    drop, add = caps.get("drop"), caps.get("add")
    if not (isinstance(drop, list) and "ALL" in drop):
        return Fail("proxy keeps the runtime's default capabilities.", path=f"{where}.drop",
                    hint='Set `drop: ["ALL"]`, then add back the one it needs.')
    if add == ["NET_BIND_SERVICE"]:
        return True
    if isinstance(add, list) and any(isinstance(a, str) and a.upper() == "CAP_NET_BIND_SERVICE" for a in add):
        return Fail("capability names in a Pod have no CAP_ prefix, and Pod Security admission compares the exact "
                    "string: restricted allows NET_BIND_SERVICE, not CAP_NET_BIND_SERVICE.", path=f"{where}.add",
                    hint='Write `add: ["NET_BIND_SERVICE"]`.')
    if not add:
        return Fail("proxy adds no capability back. On the course cluster this Pod would still bind port 80 "
                    "(containerd 2.x sets net.ipv4.ip_unprivileged_port_start=0 in every Pod), but on a runtime "
                    "that keeps the kernel's default of 1024 uid 101 gets EACCES: the exercise asks for a Pod "
                    "that works on any runtime.",
                    path=f"{where}.add", hint='Add `add: ["NET_BIND_SERVICE"]` after `drop: ["ALL"]`.')
    return Fail(f"proxy adds {add!r}; binding a port below 1024 takes NET_BIND_SERVICE and nothing else.",
                path=f"{where}.add", hint='Use exactly `add: ["NET_BIND_SERVICE"]` (the only one restricted allows).')


def _edge_non_root(answer: Answer) -> Any:
    doc = pod(answer)
    i, c = _container(doc, "proxy")
    user, source = effective_user(doc, c)
    where = (f"spec.containers[{i}].securityContext.runAsUser" if source == "container"
             else "spec.securityContext.runAsUser" if source == "pod" else "spec.securityContext")
    if not _is_int(user) or user <= 0:
        shown = "the image's user (root)" if source == "image" else f"runAsUser {user!r}"
        return Fail(f"proxy runs as {shown}; the exercise runs it as uid {EDGE_UID}, so that NET_BIND_SERVICE is all "
                    "it can do that an ordinary user cannot.", path=where,
                    hint=f"Set `runAsUser: {EDGE_UID}` and `runAsNonRoot: true`.")
    if user != EDGE_UID:
        return Fail(f"proxy runs as uid {user}; the task runs it as uid {EDGE_UID}.", path=where,
                    hint=f"Set `runAsUser: {EDGE_UID}`.")
    sc_nonroot = _csc(c).get("runAsNonRoot")
    nonroot = sc_nonroot if sc_nonroot is not None else _psc(doc).get("runAsNonRoot")
    if nonroot is not True:
        return Fail("runAsNonRoot is not true, so nothing stops a later change to runAsUser 0.",
                    path="spec.securityContext.runAsNonRoot", hint="Set `runAsNonRoot: true`.")
    return True


port80 = Exercise(
    id="ch9.port80",
    title="Exercise 5 - port 80 without root",
    answer_name="PORT80_POD",
    cases=[
        Case(f"one Pod edge whose proxy container ({EDGE_IMAGE}) declares port 80 (no hostPort)", 1, _edge_port),
        Case("proxy drops ALL capabilities and adds back exactly NET_BIND_SERVICE", 1, _only_net_bind),
        Case("the Pod passes the restricted Pod Security Standard", 1, _passes("restricted")),
        Case(f"proxy runs as uid {EDGE_UID}, with runAsNonRoot: true", 1, _edge_non_root, hidden=True),
        Case("the checker reports no errors", 1, checker_clean, hidden=True),
    ],
)

# ---------------------------------------------------------------------------
# Live: the restricted namespace admits the hardened Pod and refuses a privileged one
# ---------------------------------------------------------------------------

LIVE_PORT = 8080
_STAND_IN = f"exec httpd -f -p {LIVE_PORT} -h /etc"  # serves a read-only directory: needs no writes at all


def _plan_hardened(answer: Answer) -> live.Plan:
    doc = live.runnable(answer)
    i, web = _container(doc, "web")
    result = pod_security(doc)
    from course.checker.pss import allows

    if not allows(result, "restricted"):
        lines = [f"a namespace enforcing restricted would refuse this Pod (it meets only {result.level}):"]
        lines += ["  " + violation_text(v) for v in result.violations]
        raise Fail("\n".join(lines), hint="Fix what the test cell above lists, then run this cell again.")
    notes: list[str] = []
    live.course_or_stand_in(web, "a web server running as a non-root user", "busybox:1.35", _STAND_IN, notes)
    live.others_must_be_course_images(doc, ("web",))
    name = _map(doc.get("metadata")).get("name")
    return live.Plan(doc, notes, facts={"web": i, "name": name if isinstance(name, str) else "pod"})


def _not_root(handle: Any, report: Any, plan: live.Plan) -> list[str]:
    from course.cluster.probes import user_id

    i = plan.facts["web"]
    uid = live.retry(lambda: user_id(handle, "web"), lambda u: u is not None, attempts=2)
    if uid is None:
        res = handle.exec("web", ["id", "-u"])
        return [live.exec_failure(("spec", "containers", i), f"`id -u` in web did not answer: {live.output(res)}.",
                                  "web must keep running; read `kubectl logs` for why it stopped.")]
    if uid == 0:
        return [live.exec_failure(("spec", "securityContext", "runAsUser"), "`id -u` in web prints 0: it runs as root.",
                                  "Set a numeric non-root `runAsUser` (e.g. 1000) with `runAsNonRoot: true`.")]
    return []


def _root_fs_read_only(handle: Any, report: Any, plan: live.Plan) -> list[str]:
    i = plan.facts["web"]
    target = f"/.podcourse-probe-{secrets.token_hex(4)}"
    res = handle.sh("web", f"echo x > {target}")
    where = ("spec", "containers", i, "securityContext", "readOnlyRootFilesystem")
    text = f"{res.stdout}\n{res.stderr}\n{res.error}"
    if res.exit_code is None:
        return [live.exec_failure(where, f"the write test could not run in web: {live.output(res)}.",
                                  "web must keep running so its filesystem can be tried.")]
    if res.exit_code == 0:
        return [live.exec_failure(where, f"web could write {target}: its root filesystem is writable, so an "
                                  "attacker could change its binaries and configuration.",
                                  "Set `readOnlyRootFilesystem: true` and mount an emptyDir where it must write.")]
    if "Read-only file system" in text:
        return []
    return [live.exec_failure(where, f"writing {target} failed only because of file permissions "
                              f"({live.output(res)}), not because the root filesystem is read-only: web can still "
                              "write anywhere its user may (such as /tmp).",
                              "Set `readOnlyRootFilesystem: true` in web's securityContext.")]


def privileged_variant(doc: dict[str, Any], container: str = "web") -> dict[str, Any]:
    """The same Pod with `container` made privileged (and escalation allowed, which privileged implies).

    A privileged container with allowPrivilegeEscalation: false is refused by validation (422)
    before admission runs, so the variant drops that field to reach Pod Security admission.
    """
    variant = copy.deepcopy(doc)
    meta = _map(variant.get("metadata"))
    name = meta.get("name") if isinstance(meta.get("name"), str) else "pod"
    variant["metadata"] = {**meta, "name": f"{name[:200]}-privileged"}
    for c in _items(_spec(variant).get("containers")):
        if c.get("name") == container:
            sc = dict(_csc(c))
            sc["privileged"] = True
            sc.pop("allowPrivilegeEscalation", None)
            c["securityContext"] = sc
    return variant


def _privileged_refused(handle: Any, report: Any, plan: live.Plan) -> list[str]:
    from course.cluster import live as cluster_live
    from graders.core import finding_text

    variant = privileged_variant(plan.pod)
    found = cluster_live.dry_run(variant, api=handle.api, namespace=handle.namespace)
    pss = [f for f in found if f.rule == "live-forbidden-pss"]
    if pss:
        plan.notes.append(f"the same namespace refused the Pod made privileged (server-side dry-run of "
                          f"{variant['metadata']['name']}): {pss[0].message}")
        return []
    if not found:
        return [live.exec_failure(("metadata", "namespace"), "the sandbox namespace admitted your Pod made "
                                  "privileged: Pod Security admission is not enforcing restricted there.",
                                  "Check the cluster (`pod-course cluster status`); the sandbox namespace must carry "
                                  "pod-security.kubernetes.io/enforce: restricted.")]
    return [f"the dry-run of your Pod made privileged was refused for another reason than Pod Security:\n"
            f"{finding_text(found[0])}"]


harden_live = live.live_exercise(
    "ch9.harden_live", "Live check - restricted admits the hardened Pod and refuses a privileged one", "HARDENED_POD",
    _plan_hardened, "ch9-harden",
    [("the Pod is admitted by a namespace enforcing restricted and becomes Ready", 1, None),
     ("web runs as a non-root user (`id -u` is not 0)", 1, _not_root),
     ("a write to web's root filesystem fails: Read-only file system", 1, _root_fs_read_only),
     ("the same namespace refuses the Pod made privileged (403 Forbidden from PodSecurity)", 1,
      _privileged_refused)],
    pss_level="restricted",
)

EXERCISES = (fix_agent, levels, psa_namespace, harden_web, port80)
LIVE_CELLS = [(harden_live, "HARDENED_POD", "ch9-harden-test")]
