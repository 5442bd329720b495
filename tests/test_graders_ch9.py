"""Unit tests for graders.ch9 (securityContext and Pod Security Standards)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from grader_support import case, edit, failed, score

from course import check_text
from graders import ch9

REPO = Path(__file__).resolve().parents[1]

FIXED_AGENT = """
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
  containers:
  - name: agent
    image: ghcr.io/example/metrics-agent:2.3.1
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities:
        drop: ["ALL"]
"""

LEVELS = {"A": "baseline", "B": "privileged", "C": "restricted", "D": "baseline", "E": "privileged",
          "F": "baseline", "G": "privileged", "H": "restricted"}

PSA_NAMESPACE = """
apiVersion: v1
kind: Namespace
metadata:
  name: payments
  labels:
    pod-security.kubernetes.io/enforce: baseline
    pod-security.kubernetes.io/enforce-version: v1.37
    pod-security.kubernetes.io/warn: restricted
    pod-security.kubernetes.io/warn-version: latest
"""

HARDENED_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: hello-web
spec:
  automountServiceAccountToken: false
  securityContext:
    runAsNonRoot: true
    runAsUser: 1000
    runAsGroup: 1000
    seccompProfile:
      type: RuntimeDefault
  volumes:
  - name: www
    emptyDir: {}
  containers:
  - name: web
    image: busybox:1.35
    command: ["sh", "-c", "mkdir -p /www && echo hi > /www/index.html && exec httpd -f -p 8080 -h /www"]
    ports:
    - containerPort: 8080
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities:
        drop: ["ALL"]
    volumeMounts:
    - name: www
      mountPath: /www
"""

PORT80_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: edge
spec:
  securityContext:
    runAsNonRoot: true
    runAsUser: 101
    seccompProfile:
      type: RuntimeDefault
  containers:
  - name: proxy
    image: ghcr.io/example/edge-proxy:2.0.4
    ports:
    - containerPort: 80
    securityContext:
      allowPrivilegeEscalation: false
      capabilities:
        drop: ["ALL"]
        add: ["NET_BIND_SERVICE"]
"""

REFERENCE = {
    "ch9.fix_agent": FIXED_AGENT,
    "ch9.levels": LEVELS,
    "ch9.psa_namespace": PSA_NAMESPACE,
    "ch9.harden_web": HARDENED_POD,
    "ch9.port80": PORT80_POD,
}


# ---------------------------------------------------------------------------
# Reference answers, the exercise's own starting points, and garbage
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("exercise", ch9.EXERCISES, ids=lambda e: e.id)
def test_reference_answer_full_marks(exercise: Any) -> None:
    """Does each reference answer earn every point, hidden cases included?"""
    points, messages = score(exercise, REFERENCE[exercise.id])
    assert points == exercise.max_points, messages


@pytest.mark.parametrize("exercise", ch9.EXERCISES, ids=lambda e: e.id)
def test_solution_notebook_uses_these_answers(exercise: Any) -> None:
    """Does the solution notebook's answer for each exercise also earn full marks?"""
    nb = json.loads((REPO / "solutions" / "ch9" / "ch9-pod-security.ipynb").read_text())
    # An answer cell starts with its variable, or (an editor exercise) assigns it on a later line.
    src = next("".join(c["source"]) for c in nb["cells"]
               if re.search(rf"^{exercise.answer_name} = ", "".join(c["source"]), re.M))
    body = src.split("### BEGIN SOLUTION", 1)[1].split("### END SOLUTION", 1)[0]
    answer: Any = body if exercise.id != "ch9.levels" else yaml.safe_load("{" + body.replace("\n", " ") + "}")
    assert score(exercise, answer)[0] == exercise.max_points


@pytest.mark.parametrize("exercise", ch9.EXERCISES, ids=lambda e: e.id)
@pytest.mark.parametrize("answer", [None, "", "\n# YOUR ANSWER HERE\n", {}, 42, "[1, 2", b"\xff\xfe", [], True,
                                    "kind: Service\napiVersion: v1\nmetadata: {name: x}\n",
                                    "apiVersion: v1\nkind: Pod\n---\napiVersion: v1\nkind: Pod\n",
                                    {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": "web"}},
                                    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "hello-web"},
                                     "spec": {"securityContext": [1], "containers": [{"name": "web",
                                              "securityContext": "x", "ports": "80", "image": 5}]}}],
                         ids=range(13))
def test_empty_garbage_and_wrong_types_never_crash(exercise: Any, answer: Any, capsys: Any) -> None:
    """Does an empty, unreadable, wrongly typed or non-Pod answer score low without raising or touching stderr?"""
    got = exercise(answer, hidden=True)
    assert 0 <= float(got) < exercise.max_points
    out = capsys.readouterr()
    assert out.err == "" and exercise.title in out.out and "could not run" not in out.out


def test_yaml_bomb_and_huge_answers_are_refused() -> None:
    """Do an alias bomb and a multi-megabyte answer fail cleanly instead of hanging or raising?"""
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(9))
    for exercise in ch9.EXERCISES:
        assert score(exercise, bomb)[0] == 0
        assert score(exercise, "x" * 3_000_000)[0] == 0


def test_starting_points_earn_little() -> None:
    """Do the exercise's own broken and insecure Pods, handed in unchanged, earn almost nothing?"""
    assert score(ch9.fix_agent, ch9.BROKEN_AGENT)[0] == 0
    assert score(ch9.harden_web, ch9.INSECURE_WEB)[0] == 2  # name/image/port, and no checker error
    assert score(ch9.harden_live, ch9.INSECURE_WEB)[0] == 0


def test_visible_cases_are_a_strict_subset() -> None:
    """Does every exercise keep some cases hidden, and worth at least three points in total?"""
    for ex in ch9.EXERCISES:
        assert 0 < ex.visible_points < ex.max_points, ex.id
        assert ex.max_points >= 3, ex.id


# ---------------------------------------------------------------------------
# Exercise 1: fix a broken securityContext
# ---------------------------------------------------------------------------

CONFLICT = case(ch9.fix_agent, "privileged and")
CAPS = case(ch9.fix_agent, "capabilities sit")
UID = case(ch9.fix_agent, "agent runs as uid")
KEPT = case(ch9.fix_agent, "agent is not privileged")
RESTRICTED1 = case(ch9.fix_agent, "the Pod passes")
CLEAN1 = case(ch9.fix_agent, "the checker reports")

FIX_CASES = [
    ("drops-escalation-keeps-privileged",
     edit(edit(FIXED_AGENT, "spec.containers.0.securityContext.privileged", True),
          "spec.containers.0.securityContext.allowPrivilegeEscalation", delete=True),
     {CONFLICT, KEPT, RESTRICTED1}, "solved by keeping the wrong half"),
    ("only-conflict-left", edit(FIXED_AGENT, "spec.containers.0.securityContext.privileged", True),
     {CONFLICT, KEPT, RESTRICTED1, CLEAN1}, "(privilege-escalation-conflict)"),
    ("caps-still-at-pod-level",
     edit(edit(FIXED_AGENT, "spec.securityContext.capabilities", {"drop": ["ALL"]}),
          "spec.containers.0.securityContext.capabilities", delete=True),
     {CAPS, RESTRICTED1, CLEAN1}, 'spec.securityContext.capabilities: unknown field "capabilities" (unknown-field)'),
    ("caps-deleted", edit(FIXED_AGENT, "spec.containers.0.securityContext.capabilities", delete=True),
     {CAPS, RESTRICTED1}, "capabilities exists only in a container's securityContext"),
    ("container-overrides-to-root", edit(FIXED_AGENT, "spec.containers.0.securityContext.runAsUser", 0),
     {UID, RESTRICTED1}, "overrides the Pod's runAsUser: 1000"),
    ("uid-removed-everywhere", edit(FIXED_AGENT, "spec.securityContext.runAsUser", delete=True),
     {UID}, "agent runs as nothing (the image's user), not as uid 1000"),
    ("other-uid", edit(FIXED_AGENT, "spec.containers.0.securityContext.runAsUser", 2000),
     {UID}, "agent runs as 2000"),
    ("writable-root", edit(FIXED_AGENT, "spec.containers.0.securityContext.readOnlyRootFilesystem", delete=True),
     {KEPT}, "Keep `readOnlyRootFilesystem: true`"),
    ("image-swapped", edit(FIXED_AGENT, "spec.containers.0.image", "busybox:1.35"), {KEPT}, "image changed"),
    ("seccomp-removed", edit(FIXED_AGENT, "spec.securityContext.seccompProfile", delete=True),
     {RESTRICTED1}, 'seccompProfile.type to "RuntimeDefault" or "Localhost" (PodSecurity restricted'),
    ("container-renamed", FIXED_AGENT.replace("name: agent", "name: metrics"),
     {CONFLICT, CAPS, UID, KEPT}, "there is no container named 'agent'"),
]


@pytest.mark.parametrize(("answer", "fails", "says"), [c[1:] for c in FIX_CASES], ids=[c[0] for c in FIX_CASES])
def test_fix_agent_mistakes(answer: str, fails: set[str], says: str) -> None:
    """Does each typical mistake fail exactly its cases, with a message that says what to change?"""
    assert failed(ch9.fix_agent, answer) == fails
    assert says in score(ch9.fix_agent, answer)[1]


def test_fix_feedback_quotes_checker_and_pss_paths() -> None:
    """Does the broken Pod's feedback quote the checker's findings and the PodSecurity violations by path?"""
    text = score(ch9.fix_agent, ch9.BROKEN_AGENT)[1]
    assert "spec.containers[0].securityContext: Invalid value: cannot set `allowPrivilegeEscalation`" in text
    assert ('spec.containers[0].securityContext.runAsUser: container "agent" must not set '
            "securityContext.runAsUser=0 (root) (PodSecurity restricted: runAsUser)") in text
    assert 'violates PodSecurity "restricted:latest"' in text


# ---------------------------------------------------------------------------
# Exercise 2: levels
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("letter", list(ch9.LEVEL_PODS))
def test_level_table_matches_the_checker(letter: str) -> None:
    """Is each row's right answer the level the checker's Pod Security evaluation gives that Pod?"""
    text, want, _ = ch9.LEVEL_PODS[letter]
    (result,) = check_text(text)
    assert result.valid, result.findings
    assert result.pod_security.level == want


LEVEL_CASES = [
    ("all-restricted", dict.fromkeys(LEVELS, "restricted"), 2, "Pod A: the strictest level it passes is baseline"),
    ("all-baseline", dict.fromkeys(LEVELS, "baseline"), 3, "Pod B: the strictest level it passes is privileged"),
    ("image-is-checked", {**LEVELS, "H": "baseline"}, 7, "Pod Security admission reads the Pod, never the image"),
    ("readonly-hostpath-ok", {**LEVELS, "E": "baseline"}, 7, "even mounted read-only"),
    ("override-missed", {**LEVELS, "F": "restricted"}, 7, "overrides the Pod's 1000"),
    ("capitals-and-spaces", {f" {k.lower()} ": v.upper() for k, v in LEVELS.items()}, 8, ""),
    ("half", {"A": "baseline", "B": "privileged"}, 2, 'Pod C has no answer'),
    ("nonsense", {**LEVELS, "C": "strict"}, 7, 'is not one of "privileged", "baseline", "restricted"'),
    ("booleans", dict.fromkeys(LEVELS, True), 0, "is not one of"),
    ("not-a-dict", ["baseline"] * 8, 0, "write a dict"),
]


@pytest.mark.parametrize(("answer", "points", "says"), [c[1:] for c in LEVEL_CASES], ids=[c[0] for c in LEVEL_CASES])
def test_levels_predictions(answer: Any, points: float, says: str) -> None:
    """Does each set of predictions earn one point per right Pod and explain the wrong ones?"""
    got, text = score(ch9.levels, answer)
    assert got == points
    assert says in text


# ---------------------------------------------------------------------------
# Exercise 3: the namespace labels
# ---------------------------------------------------------------------------

NS = ch9.PSA_PREFIX
NAMESPACE_CASES = [
    ("enforce-restricted", PSA_NAMESPACE.replace("enforce: baseline", "enforce: restricted"), 4,
     "must enforce baseline"),
    ("capitalised-level", PSA_NAMESPACE.replace("enforce: baseline", "enforce: Baseline"), 3,
     "level names are lower-case"),
    ("annotations", PSA_NAMESPACE.replace("labels:", "annotations:"), 1,
     "is an annotation; Pod Security admission reads labels only"),
    ("no-versions", "\n".join(ln for ln in PSA_NAMESPACE.splitlines() if "-version" not in ln), 4,
     f"there is no {NS}enforce-version label"),
    ("version-unpinned", PSA_NAMESPACE.replace(ch9.PINNED, "latest"), 4, "pin enforce to the version you have tested"),
    ("version-typo", PSA_NAMESPACE.replace(ch9.PINNED, ch9.PINNED.lstrip("v") + ".0"), 4,
     "which is not a policy version"),
    ("audit-too", PSA_NAMESPACE + f"    {NS}audit: restricted\n", 4, "audit is a third mode"),
    ("key-typo", PSA_NAMESPACE.replace(f"{NS}warn: restricted", f"{NS}warning: restricted"), 3,
     f"'{NS}warning' is not a key the admission plugin knows"),
    ("wrong-name", PSA_NAMESPACE.replace("name: payments", "name: default"), 4, "the Namespace is named 'default'"),
    ("a-pod", HARDENED_POD, 0, "Pod Security admission reads its settings from the labels of a Namespace"),
    ("labels-a-list", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels: [a]\n", 1,
     "metadata.labels is not a mapping"),
    ("two-documents", PSA_NAMESPACE + "---\n" + PSA_NAMESPACE, 0, "holds 2 YAML documents"),
]


@pytest.mark.parametrize(("answer", "points", "says"), [c[1:] for c in NAMESPACE_CASES],
                         ids=[c[0] for c in NAMESPACE_CASES])
def test_namespace_mistakes(answer: str, points: float, says: str) -> None:
    """Does each labelling mistake lose its point with a message naming the exact label to write?"""
    got, text = score(ch9.psa_namespace, answer)
    assert got == points, text
    assert says in text


# ---------------------------------------------------------------------------
# Exercise 4: harden a Pod
# ---------------------------------------------------------------------------

SAME = case(ch9.harden_web, "one Pod hello-web")
RESTRICTED4 = case(ch9.harden_web, "the Pod passes")
NONROOT = case(ch9.harden_web, "web runs as a numeric")
ROFS = case(ch9.harden_web, "web's root filesystem")
TOKEN = case(ch9.harden_web, "the Pod mounts no service account")
CLEAN4 = case(ch9.harden_web, "the checker reports")

HARDEN_CASES = [
    ("runasnonroot-without-uid", edit(edit(HARDENED_POD, "spec.securityContext.runAsUser", delete=True),
                                      "spec.securityContext.runAsGroup", delete=True),
     {NONROOT}, "CreateContainerConfigError"),
    ("no-seccomp", edit(HARDENED_POD, "spec.securityContext.seccompProfile", delete=True),
     {RESTRICTED4}, 'must set securityContext.seccompProfile.type to "RuntimeDefault"'),
    ("writable-root", edit(HARDENED_POD, "spec.containers.0.securityContext.readOnlyRootFilesystem", delete=True),
     {ROFS}, "(writable-root-filesystem)"),
    ("readonly-without-volume", edit(edit(HARDENED_POD, "spec.containers.0.volumeMounts", delete=True),
                                     "spec.volumes", delete=True),
     {ROFS}, "Add an emptyDir volume and mount it at /www"),
    ("readonly-at-pod-level",
     edit(edit(HARDENED_POD, "spec.containers.0.securityContext.readOnlyRootFilesystem", delete=True),
          "spec.securityContext.readOnlyRootFilesystem", True),
     {ROFS, CLEAN4}, 'unknown field "readOnlyRootFilesystem"'),
    ("token-mounted", edit(HARDENED_POD, "spec.automountServiceAccountToken", delete=True),
     {TOKEN}, "(automount-service-account-token)"),
    ("still-host-network", edit(HARDENED_POD, "spec.hostNetwork", True), {RESTRICTED4},
     "remove hostNetwork=true (PodSecurity baseline: hostNamespaces)"),
    ("nginx-instead", edit(HARDENED_POD, "spec.containers.0.image", "nginx:1.22"), {SAME}, "keep its program"),
    ("port-moved", edit(HARDENED_POD, "spec.containers.0.ports.0.containerPort", 80), {SAME},
     "no longer declares port 8080"),
    ("uid-zero-in-container", edit(HARDENED_POD, "spec.containers.0.securityContext.runAsUser", 0),
     {RESTRICTED4, NONROOT}, "which is root or not a user id"),
    ("script-writes-to-tmp-with-tmp-volume",
     HARDENED_POD.replace("/www", "/tmp/www").replace("mountPath: /tmp/www", "mountPath: /tmp"), set(), ""),
]


@pytest.mark.parametrize(("answer", "fails", "says"), [c[1:] for c in HARDEN_CASES],
                         ids=[c[0] for c in HARDEN_CASES])
def test_harden_mistakes(answer: str, fails: set[str], says: str) -> None:
    """Does each hardening mistake fail exactly its cases, saying which field to set?"""
    assert failed(ch9.harden_web, answer) == fails, score(ch9.harden_web, answer)[1]
    assert says in score(ch9.harden_web, answer)[1]


# ---------------------------------------------------------------------------
# Exercise 5: port 80
# ---------------------------------------------------------------------------

PORT = case(ch9.port80, "one Pod edge")
ONLY = case(ch9.port80, "proxy drops ALL")
RESTRICTED5 = case(ch9.port80, "the Pod passes")
EDGE_USER = case(ch9.port80, "proxy runs as")
CLEAN5 = case(ch9.port80, "the checker reports")

PORT80_CASES = [
    ("cap-prefix", PORT80_POD.replace('add: ["NET_BIND_SERVICE"]', 'add: ["CAP_NET_BIND_SERVICE"]'),
     {ONLY, RESTRICTED5}, "have no CAP_ prefix"),
    ("no-add", PORT80_POD.replace('        add: ["NET_BIND_SERVICE"]\n', ""), {ONLY},
     "that keeps the kernel's default of 1024 uid 101 gets EACCES"),
    ("net-admin-too", PORT80_POD.replace('add: ["NET_BIND_SERVICE"]', 'add: ["NET_BIND_SERVICE", "NET_ADMIN"]'),
     {ONLY, RESTRICTED5}, "takes NET_BIND_SERVICE and nothing else"),
    ("no-drop", PORT80_POD.replace('        drop: ["ALL"]\n', ""), {ONLY, RESTRICTED5}, "keeps the runtime's default"),
    ("caps-at-pod-level", edit(edit(PORT80_POD, "spec.containers.0.securityContext.capabilities", delete=True),
                               "spec.securityContext.capabilities", {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}),
     {ONLY, RESTRICTED5, CLEAN5}, "(unknown-field)"),
    ("runs-as-root", edit(PORT80_POD, "spec.securityContext.runAsUser", 0), {RESTRICTED5, EDGE_USER},
     "proxy runs as runAsUser 0"),
    ("no-runasnonroot", edit(PORT80_POD, "spec.securityContext.runAsNonRoot", delete=True),
     {RESTRICTED5, EDGE_USER}, "runAsNonRoot is not true"),
    ("host-port", edit(PORT80_POD, "spec.containers.0.ports.0.hostPort", 80), {PORT, RESTRICTED5},
     "bound on the node"),
    ("port-8080", edit(PORT80_POD, "spec.containers.0.ports.0.containerPort", 8080), {PORT},
     "does not declare containerPort 80"),
]


@pytest.mark.parametrize(("answer", "fails", "says"), [c[1:] for c in PORT80_CASES],
                         ids=[c[0] for c in PORT80_CASES])
def test_port80_mistakes(answer: str, fails: set[str], says: str) -> None:
    """Does each capability or user mistake fail exactly its cases, with the reason in the message?"""
    assert failed(ch9.port80, answer) == fails, score(ch9.port80, answer)[1]
    assert says in score(ch9.port80, answer)[1]


# ---------------------------------------------------------------------------
# Helpers the live cell and the notebook share
# ---------------------------------------------------------------------------


def test_privileged_variant_reaches_admission() -> None:
    """Is the dry-run variant privileged, renamed, without allowPrivilegeEscalation (so validation passes)?"""
    doc = yaml.safe_load(HARDENED_POD)
    variant = ch9.privileged_variant(doc)
    sc = variant["spec"]["containers"][0]["securityContext"]
    assert sc["privileged"] is True and "allowPrivilegeEscalation" not in sc
    assert variant["metadata"]["name"] == "hello-web-privileged"
    assert doc["spec"]["containers"][0]["securityContext"].get("privileged") is None  # the original is untouched
    (result,) = check_text(yaml.safe_dump(variant))
    assert result.valid and result.pod_security.level == "privileged"


@pytest.mark.parametrize(("container_sc", "pod_sc", "want"), [
    ({"runAsUser": 0}, {"runAsUser": 1000}, (0, "container")),
    ({}, {"runAsUser": 1000}, (1000, "pod")),
    ({"runAsUser": None}, {"runAsUser": 7}, (7, "pod")),
    ({}, {}, (None, "image")),
    ("junk", [1], (None, "image")),
])
def test_effective_user_follows_precedence(container_sc: Any, pod_sc: Any, want: tuple[Any, str]) -> None:
    """Does the container's runAsUser win over the Pod's, and the image's apply when neither is set?"""
    doc = {"spec": {"securityContext": pod_sc, "containers": [{"name": "a", "securityContext": container_sc}]}}
    assert ch9.effective_user(doc, doc["spec"]["containers"][0]) == want


# ---------------------------------------------------------------------------
# Equally right answers earn every point; each stated requirement, broken alone, costs its own point
# ---------------------------------------------------------------------------

FIX_ALTERNATIVES = [
    ("uid-and-seccomp-per-container",
     edit(edit(edit(edit(FIXED_AGENT, "spec.securityContext", {"runAsNonRoot": True}),
                    "spec.containers.0.securityContext.runAsUser", 1000),
               "spec.containers.0.securityContext.seccompProfile", {"type": "RuntimeDefault"}),
          "spec.containers.0.securityContext.runAsNonRoot", True)),
    ("runasuser-repeated-in-container", edit(FIXED_AGENT, "spec.containers.0.securityContext.runAsUser", 1000)),
    ("digest-pinned-image", edit(FIXED_AGENT, "spec.containers.0.image",
                                 "ghcr.io/example/metrics-agent:2.3.1@sha256:" + "b" * 64)),
    ("privileged-false-and-group", edit(edit(FIXED_AGENT, "spec.containers.0.securityContext.privileged", False),
                                        "spec.securityContext.runAsGroup", 1000)),
]


@pytest.mark.parametrize(("name", "answer"), FIX_ALTERNATIVES, ids=[a[0] for a in FIX_ALTERNATIVES])
def test_fix_agent_alternatives(name: str, answer: str) -> None:
    """Do container-level users and seccomp, a digest and an explicit privileged: false earn full marks?"""
    got, text = score(ch9.fix_agent, answer)
    assert got == ch9.fix_agent.max_points, text


FIX_BREAKS = [
    ("adds-a-capability", edit(FIXED_AGENT, "spec.containers.0.securityContext.capabilities.add", ["NET_BIND_SERVICE"]),
     CAPS, "spec.containers[0].securityContext.capabilities.add: agent adds ['NET_BIND_SERVICE'] back"),
    ("localhost-seccomp", edit(FIXED_AGENT, "spec.securityContext.seccompProfile",
                               {"type": "Localhost", "localhostProfile": "profiles/agent.json"}),
     KEPT, "spec.securityContext.seccompProfile.type: agent uses a Localhost seccomp profile"),
    ("renamed-pod", edit(FIXED_AGENT, "metadata.name", "agent"), KEPT, "metadata.name: the Pod is named 'agent'"),
    ("image-retagged", edit(FIXED_AGENT, "spec.containers.0.image", "ghcr.io/example/metrics-agent:2.4.0"), KEPT,
     "spec.containers[0].image: agent's image changed to 'ghcr.io/example/metrics-agent:2.4.0'"),
    ("escalation-dropped", edit(FIXED_AGENT, "spec.containers.0.securityContext.allowPrivilegeEscalation",
                                delete=True), None, "solved by keeping the wrong half"),
]


@pytest.mark.parametrize(("name", "answer", "only", "says"), FIX_BREAKS, ids=[b[0] for b in FIX_BREAKS])
def test_fix_agent_each_requirement(name: str, answer: str, only: str | None, says: str) -> None:
    """Does breaking one requirement of the agent (no capabilities, its seccomp, name, image) cost its point?"""
    got, text = score(ch9.fix_agent, answer)
    assert says in text, text
    if only is not None:
        assert failed(ch9.fix_agent, answer) == {only}, text
        assert got == ch9.fix_agent.max_points - 1


LEVEL_ALTERNATIVES = [
    ("short-words", {k: {"privileged": "priv", "baseline": "base", "restricted": "restrict"}[v]
                     for k, v in LEVELS.items()}),
    ("title-case", {k: v.title() for k, v in LEVELS.items()}),
    ("none-for-privileged", {**LEVELS, "B": "none", "E": "None", "G": " NONE "}),
]


@pytest.mark.parametrize(("name", "answer"), LEVEL_ALTERNATIVES, ids=[a[0] for a in LEVEL_ALTERNATIVES])
def test_levels_alternatives(name: str, answer: dict[str, str]) -> None:
    """Do short forms, title case and "none" for privileged earn full marks?"""
    got, text = score(ch9.levels, answer)
    assert got == 8, text


@pytest.mark.parametrize("letter", list(LEVELS))
def test_levels_each_row_alone(letter: str) -> None:
    """Does one wrong level cost exactly that Pod's point, explaining why?"""
    wrong = "privileged" if LEVELS[letter] != "privileged" else "restricted"
    got, text = score(ch9.levels, {**LEVELS, letter: wrong})
    assert got == 7 and failed(ch9.levels, {**LEVELS, letter: wrong}) == {f"Pod {letter}"}
    assert ch9.LEVEL_PODS[letter][2] in text


NAMESPACE_ALTERNATIVES = [
    ("json", json.dumps(yaml.safe_load(PSA_NAMESPACE))),
    ("quoted-and-reordered", "apiVersion: v1\nkind: Namespace\nmetadata:\n  labels:\n"
     f"    \"{NS}warn-version\": \"latest\"\n    \"{NS}warn\": \"restricted\"\n"
     f"    {NS}enforce-version: \"{ch9.PINNED}\"\n    {NS}enforce: 'baseline'\n  name: payments\n"),
    ("other-labels-too", PSA_NAMESPACE + "    kubernetes.io/metadata.name: payments\n    team: payments\n"),
    ("a-dict", yaml.safe_load(PSA_NAMESPACE)),
]


@pytest.mark.parametrize(("name", "answer"), NAMESPACE_ALTERNATIVES, ids=[a[0] for a in NAMESPACE_ALTERNATIVES])
def test_namespace_alternatives(name: str, answer: Any) -> None:
    """Do JSON, quoted or reordered labels, unrelated extra labels and a dict earn full marks?"""
    got, text = score(ch9.psa_namespace, answer)
    assert got == 5, text


NAMESPACE_BREAKS = [
    ("warn-baseline", PSA_NAMESPACE.replace("warn: restricted", "warn: baseline"), "pod-security.kubernetes.io/warn",
     "must warn restricted"),
    ("warn-version-pinned", PSA_NAMESPACE.replace("warn-version: latest", f"warn-version: {ch9.PINNED}"),
     f"enforce pinned to {ch9.PINNED}", "warn at latest, so new restricted rules show up as warnings first"),
    ("no-warn-version", "\n".join(ln for ln in PSA_NAMESPACE.splitlines() if "warn-version" not in ln),
     f"enforce pinned to {ch9.PINNED}", f"there is no {NS}warn-version label"),
    ("kind-configmap", PSA_NAMESPACE.replace("kind: Namespace", "kind: ConfigMap"), "a v1 Namespace",
     "Pod Security admission reads its settings from the labels of a Namespace"),
]


@pytest.mark.parametrize(("name", "answer", "only", "says"), NAMESPACE_BREAKS, ids=[b[0] for b in NAMESPACE_BREAKS])
def test_namespace_each_requirement(name: str, answer: str, only: str, says: str) -> None:
    """Does each label requirement broken alone cost exactly its point, naming the label?"""
    got, text = score(ch9.psa_namespace, answer)
    assert {n.split(":")[0] for n in failed(ch9.psa_namespace, answer)} == {case(ch9.psa_namespace, only).split(":")[0]}
    assert got == 4 and says in text, text


HARDEN_ALTERNATIVES = [
    ("script-in-args", edit(edit(HARDENED_POD, "spec.containers.0.command", ["sh", "-c"]), "spec.containers.0.args",
                            ["mkdir -p /www && echo hi > /www/index.html && exec httpd -f -p 8080 -h /www"])),
    ("registry-qualified-and-trailing-slash",
     edit(edit(HARDENED_POD, "spec.containers.0.image", "docker.io/library/busybox:1.35"),
          "spec.containers.0.volumeMounts.0.mountPath", "/www/")),
    ("container-level-user-and-memory-emptydir",
     edit(edit(edit(HARDENED_POD, "spec.securityContext.runAsUser", delete=True),
               "spec.containers.0.securityContext.runAsUser", 1000),
          "spec.volumes.0.emptyDir", {"medium": "Memory", "sizeLimit": "1Mi"})),
    ("env-expanded-dir", edit(edit(HARDENED_POD, "spec.containers.0.env", [{"name": "DIR", "value": "/www"}]),
                              "spec.containers.0.command",
                              ["sh", "-c", "echo hi > $(DIR)/index.html && exec httpd -f -p 0.0.0.0:8080 -h $DIR"])),
]


@pytest.mark.parametrize(("name", "answer"), HARDEN_ALTERNATIVES, ids=[a[0] for a in HARDEN_ALTERNATIVES])
def test_harden_alternatives(name: str, answer: str) -> None:
    """Do a script in args, a qualified image, a trailing slash, a container-level uid and env expansion pass?"""
    got, text = score(ch9.harden_web, answer)
    assert got == ch9.harden_web.max_points, text


HARDEN_BREAKS = [
    ("sleeps-instead", edit(HARDENED_POD, "spec.containers.0.command", ["sleep", "3600"]),
     "web's command no longer starts httpd"),
    ("httpd-on-80", edit(HARDENED_POD, "spec.containers.0.command",
                         ["sh", "-c", "mkdir -p /www && echo hi > /www/index.html && exec httpd -f -p 80 -h /www"]),
     "web's httpd listens on '80', not on 8080"),
    ("no-index", edit(HARDENED_POD, "spec.containers.0.command", ["httpd", "-f", "-p", "8080", "-h", "/www"]),
     "no longer writes index.html into /www"),
    ("wrong-image-tag", edit(HARDENED_POD, "spec.containers.0.image", "busybox:1.36"),
     "spec.containers[0].image: web runs 'busybox:1.36'"),
]


@pytest.mark.parametrize(("name", "answer", "says"), HARDEN_BREAKS, ids=[b[0] for b in HARDEN_BREAKS])
def test_harden_keeps_the_program(name: str, answer: str, says: str) -> None:
    """Does breaking the program (image, httpd, its port, its page) cost exactly the keep point, naming the field?"""
    got, text = score(ch9.harden_web, answer)
    assert failed(ch9.harden_web, answer) == {SAME}, text
    assert got == ch9.harden_web.max_points - 1 and says in text


PORT80_ALTERNATIVES = [
    ("container-level-user", edit(edit(edit(PORT80_POD, "spec.securityContext.runAsUser", delete=True),
                                       "spec.securityContext.runAsNonRoot", delete=True),
                                  "spec.containers.0.securityContext",
                                  {"runAsUser": 101, "runAsNonRoot": True, "allowPrivilegeEscalation": False,
                                   "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}})),
    ("named-port-and-group", edit(edit(PORT80_POD, "spec.containers.0.ports.0.name", "http"),
                                  "spec.securityContext.runAsGroup", 101)),
    ("digest-and-container-seccomp",
     edit(edit(edit(PORT80_POD, "spec.containers.0.image", ch9.EDGE_IMAGE + "@sha256:" + "c" * 64),
               "spec.securityContext.seccompProfile", delete=True),
          "spec.containers.0.securityContext.seccompProfile", {"type": "RuntimeDefault"})),
]


@pytest.mark.parametrize(("name", "answer"), PORT80_ALTERNATIVES, ids=[a[0] for a in PORT80_ALTERNATIVES])
def test_port80_alternatives(name: str, answer: str) -> None:
    """Do a container-level user, a named port and a digest-pinned image earn full marks?"""
    got, text = score(ch9.port80, answer)
    assert got == ch9.port80.max_points, text


PORT80_BREAKS = [
    ("other-image", edit(PORT80_POD, "spec.containers.0.image", "nginx:1.22"), PORT,
     "spec.containers[0].image: proxy runs 'nginx:1.22'"),
    ("uid-1000", edit(PORT80_POD, "spec.securityContext.runAsUser", 1000), EDGE_USER,
     "spec.securityContext.runAsUser: proxy runs as uid 1000; the task runs it as uid 101"),
    ("renamed", edit(PORT80_POD, "metadata.name", "edge-proxy"), PORT, "metadata.name: the Pod is named 'edge-proxy'"),
]


@pytest.mark.parametrize(("name", "answer", "only", "says"), PORT80_BREAKS, ids=[b[0] for b in PORT80_BREAKS])
def test_port80_each_requirement(name: str, answer: str, only: str, says: str) -> None:
    """Does the wrong image, uid or Pod name cost exactly its point, naming the field?"""
    got, text = score(ch9.port80, answer)
    assert failed(ch9.port80, answer) == {only}, text
    assert got == ch9.port80.max_points - 1 and says in text
