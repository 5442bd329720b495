"""Unit tests for graders.ch8 (resources and QoS): every exercise, its typical mistakes and hostile input."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
import yaml
from grader_support import edit, failed, score

from course import check_text
from course.checker.qos import qos_class
from graders import ch8

GUARANTEED_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: payments
spec:
  initContainers:
  - name: db-migrate
    image: ghcr.io/example/payments-migrate:2.3.1
    args: ["migrate", "--to=latest"]
    resources:
      limits: {cpu: 100m, memory: 32Mi}
  - name: proxy
    image: ghcr.io/example/edge-proxy:1.4.0
    restartPolicy: Always
    resources:
      requests: {cpu: 50m, memory: 32Mi}
      limits: {cpu: 50m, memory: 32Mi}
  containers:
  - name: app
    image: ghcr.io/example/payments:2.3.1
    resources:
      requests: {cpu: 500m, memory: 64Mi}
      limits: {cpu: 500m, memory: 64Mi}
"""

FIXED_UNITS = """
apiVersion: v1
kind: Pod
metadata:
  name: image-resizer
spec:
  containers:
  - name: resizer
    image: ghcr.io/example/resizer:1.4.0
    resources:
      requests: {cpu: 500m, memory: 128Mi}
      limits: {cpu: "1", memory: 256Mi}
  - name: uploader
    image: ghcr.io/example/uploader:0.9.2
    resources:
      requests: {cpu: 100m, memory: 64Mi}
      limits: {memory: 64Mi}
"""

QOS_CLASSES = {letter: want for letter, (want, _) in ch8.CLASSES.items()}
EFFECTIVE = {"A": {"cpu": "1", "memory": "320Mi"}, "B": {"cpu": "800m", "memory": "640Mi"}}

REFERENCE = [(ch8.fix_units, FIXED_UNITS), (ch8.effective, EFFECTIVE), (ch8.qos_classes, QOS_CLASSES),
             (ch8.guaranteed, GUARANTEED_POD)]


# ---------------------------------------------------------------------------
# Reference answers, empty and hostile answers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("exercise", "answer"), REFERENCE, ids=lambda x: getattr(x, "id", "answer"))
def test_reference_answer_full_marks(exercise: Any, answer: Any) -> None:
    """Does each reference answer earn every point, hidden cases included?"""
    points, messages = score(exercise, answer)
    assert points == exercise.max_points, messages


def test_points_are_what_the_notebook_says() -> None:
    """Are the exercises worth 6, 4, 8 and 6 points, and the live cell 3, as the notebook states?"""
    assert [e.max_points for e in ch8.EXERCISES] == [6, 4, 8, 6]
    assert ch8.guaranteed_live.max_points == 3
    (cell,) = ch8.LIVE_CELLS
    assert cell == (ch8.guaranteed_live, "GUARANTEED_POD", "ch8-guaranteed-test")


HOSTILE = [None, "", "\n# YOUR ANSWER HERE\n", {}, [], 42, True, 1e308, "[1, 2", b"\xff\xfe", "::",
           "- a\n- b", {"kind": "Pod"}, "apiVersion: v1\nkind: Service\nmetadata: {name: payments}\n",
           {"A": None, "B": [1]}, {"A": {"cpu": {"x": 1}, "memory": ["1Mi"]}}, {"A": "BestEffort" * 10_000},
           "apiVersion: v1\nkind: Pod\n---\nkind: Pod\n",
           "apiVersion: v1\nkind: Pod\nmetadata: {name: payments}\nspec:\n  containers: web\n  initContainers: 5\n",
           "apiVersion: v1\nkind: Pod\nmetadata: {name: payments}\nspec:\n  containers:\n  - name: app\n"
           "    resources: {limits: {cpu: 1e999999, memory: [1]}, requests: 7}\n",
           "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
           "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
           "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
           "x: " + "[" * 500 + "]" * 500]


@pytest.mark.parametrize("exercise", ch8.EXERCISES, ids=lambda e: e.id)
@pytest.mark.parametrize("answer", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_answers_never_raise(exercise: Any, answer: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """Does any strange answer (empty, wrong kind, wrong types, bombs) score 0 with a message, never raise?"""
    got = exercise(answer, hidden=True)
    assert float(got) == 0
    out = capsys.readouterr()
    assert out.err == "" and exercise.title in out.out


@pytest.mark.parametrize("answer", [None, "", "\n# YOUR ANSWER HERE\n"])
def test_untouched_answer_says_still_empty(answer: Any) -> None:
    """Does an untouched answer cell tell the learner that the variable is still empty?"""
    for exercise in ch8.EXERCISES:
        assert "is still empty" in score(exercise, answer)[1]


# ---------------------------------------------------------------------------
# Exercise 1: fix the unit mistakes
# ---------------------------------------------------------------------------


def test_broken_pod_fires_the_unit_lints_and_an_error() -> None:
    """Does the broken Pod show each unit lint and the requests-above-limits error the exercise is about?"""
    result = check_text(ch8.BROKEN_UNITS, preset="ch8")[0]
    assert {"cpu-units", "memory-millibytes", "memory-no-unit", "requests-above-limits"} <= result.rules()
    assert score(ch8.fix_units, ch8.BROKEN_UNITS)[0] == 0


def _units(*pairs: tuple[str, Any]) -> str:
    text = FIXED_UNITS
    for path, value in pairs:
        text = edit(text, path, value)
    return text


R, U = "spec.containers.0.resources", "spec.containers.1.resources"

UNITS_CLEAN = "the checker reports no errors and no unit mistakes, and only the quantities changed"
UPLOADER_MEMORY = "uploader's memory request equals its 64Mi limit, and it still has no cpu limit"

UNITS_CASES = [
    ("resizer-cpu-mi", _units((f"{R}.requests.cpu", "500Mi")), {"resizer requests half a core of cpu",
     UNITS_CLEAN}, "did you mean 500m (millicores)? (cpu-units)"),
    ("resizer-cpu-whole-cores", _units((f"{R}.requests.cpu", 500)), {"resizer requests half a core of cpu",
     UNITS_CLEAN}, "asks for 500 whole cores"),
    ("resizer-cpu-5m", _units((f"{R}.requests.cpu", "5m")), {"resizer requests half a core of cpu"},
     "5m is 5m, but resizer needs 500m here"),
    ("resizer-millibytes", _units((f"{R}.requests.memory", "128m")), {"resizer requests 128Mi of memory",
     UNITS_CLEAN}, "memory 128m means 0.128 bytes"),
    ("resizer-decimal", _units((f"{R}.requests.memory", "128M")), {"resizer requests 128Mi of memory"},
     "128M is decimal: 128,000,000 bytes"),
    ("resizer-limit-bytes", _units((f"{R}.limits.memory", 256)),
     {"resizer's memory limit is 256Mi, and its cpu limit is still one core",
      UNITS_CLEAN}, "memory 256 means 256 bytes"),
    ("resizer-cpu-limit-changed", _units((f"{R}.limits.cpu", "2")),
     {"resizer's memory limit is 256Mi, and its cpu limit is still one core"}, "resizer needs 1 here"),
    ("uploader-cores", _units((f"{U}.requests.cpu", 100)), {"uploader requests 100m of cpu",
     UNITS_CLEAN}, "asks for 100 whole cores"),
    ("uploader-decimal", _units((f"{U}.requests.memory", "64M")),
     {UPLOADER_MEMORY}, "64M is decimal"),
    ("uploader-both-decimal", _units((f"{U}.requests.memory", "64M"), (f"{U}.limits.memory", "64M")),
     {UPLOADER_MEMORY}, "64,000,000 bytes, while 64Mi is 67,108,864 bytes"),
    ("request-deleted", edit(FIXED_UNITS, f"{R}.requests.memory", delete=True),
     {"resizer requests 128Mi of memory"}, "resizer has no requests.memory any more"),
]


@pytest.mark.parametrize(("answer", "cases", "text"), [c[1:] for c in UNITS_CASES], ids=[c[0] for c in UNITS_CASES])
def test_units_mistakes(answer: str, cases: set[str], text: str) -> None:
    """Does each unit mistake fail exactly its cases, with the checker's or the grader's explanation?"""
    assert failed(ch8.fix_units, answer) == cases
    assert text in score(ch8.fix_units, answer)[1]


def test_units_accepts_equivalent_spellings() -> None:
    """Are 0.5 for 500m, 1000m for 1 and 0.1 for 100m accepted, as the API server treats them equal?"""
    answer = _units((f"{R}.requests.cpu", 0.5), (f"{R}.limits.cpu", "1000m"), (f"{U}.requests.cpu", "0.1"))
    assert score(ch8.fix_units, answer)[0] == 6


UNITS_ALTERNATIVES = [
    ("numbers-and-bytes", _units((f"{R}.requests.cpu", 0.5), (f"{R}.limits.cpu", 1),
                                 (f"{R}.requests.memory", 134217728))),
    ("other-binary-units", _units((f"{R}.limits.memory", "0.25Gi"), (f"{U}.requests.memory", "65536Ki"),
                                  (f"{U}.limits.memory", "65536Ki"))),
    ("registry-and-digest", _units(("spec.containers.0.image", "ghcr.io/example/resizer:1.4.0@sha256:" + "d" * 64),
                                   (f"{U}.requests.cpu", "0.1"))),
    ("quoted-everything", _units((f"{R}.requests.cpu", "0.5"), (f"{R}.limits.cpu", "1000m"),
                                 (f"{U}.limits.memory", "64Mi"))),
]


@pytest.mark.parametrize(("name", "answer"), UNITS_ALTERNATIVES, ids=[a[0] for a in UNITS_ALTERNATIVES])
def test_units_alternatives(name: str, answer: str) -> None:
    """Do plain numbers, bytes, other binary units, a digest and quoted values earn full marks?"""
    got, text = score(ch8.fix_units, answer)
    assert got == 6, text


UNITS_KEEP_BREAKS = [
    ("uploader-cpu-limit-added", _units((f"{U}.limits.cpu", "500m")), UPLOADER_MEMORY,
     "spec.containers[1].resources.limits.cpu: uploader has a cpu limit, but the task gives it none"),
    ("image-changed", _units(("spec.containers.0.image", "ghcr.io/example/resizer:1.5.0")), UNITS_CLEAN,
     "spec.containers[0].image: resizer's image is 'ghcr.io/example/resizer:1.5.0'"),
    ("ephemeral-storage-added", _units((f"{R}.requests.ephemeral-storage", "1Gi")), UNITS_CLEAN,
     "spec.containers[0].resources.requests.ephemeral-storage: resizer now sets requests.ephemeral-storage"),
    ("pod-renamed", _units(("metadata.name", "resizer")), UNITS_CLEAN, "metadata.name: the Pod is named 'resizer'"),
    ("third-container", FIXED_UNITS + "  - {name: cache, image: 'redis:7'}\n", UNITS_CLEAN,
     "the Pod has a container 'cache' the task does not have"),
]


@pytest.mark.parametrize(("name", "answer", "only", "says"), UNITS_KEEP_BREAKS, ids=[b[0] for b in UNITS_KEEP_BREAKS])
def test_units_keeps_everything_but_quantities(name: str, answer: str, only: str, says: str) -> None:
    """Does changing anything but a quantity (a limit added, an image, the name) cost exactly one point, naming it?"""
    got, text = score(ch8.fix_units, answer)
    assert failed(ch8.fix_units, answer) == {only}, text
    assert got == 5 and says in text


def test_units_renamed_container() -> None:
    """Does renaming a container fail its cases (and the clean case) with a message naming the missing container?"""
    answer = edit(FIXED_UNITS, "spec.containers.1.name", "upload")
    assert score(ch8.fix_units, answer)[0] == 3
    assert "there is no container named 'uploader'" in score(ch8.fix_units, answer)[1]


# ---------------------------------------------------------------------------
# Exercise 2: effective request
# ---------------------------------------------------------------------------


def test_effective_request_matches_upstream_rules() -> None:
    """Does the effective request follow the sidecar/init rule per resource (A: 1 CPU, 320Mi; B: 800m, 640Mi)?"""
    mi = 2**20
    assert ch8._effective_request(ch8.POD_A) == {"cpu": Fraction(1), "memory": Fraction(320 * mi)}
    assert ch8._effective_request(ch8.POD_B) == {"cpu": Fraction(4, 5), "memory": Fraction(640 * mi)}


EFFECTIVE_CASES = [
    ("sum-all", {"A": {"cpu": "1850m", "memory": "704Mi"}, "B": {"cpu": "1300m", "memory": "896Mi"}}, 0,
     "not a sum of all"),
    ("apps-only", {"A": {"cpu": "600m", "memory": "320Mi"}, "B": {"cpu": "800m", "memory": "640Mi"}}, 3,
     "Pod A's cpu is 1, not 600m"),
    ("no-defaulting", {"A": EFFECTIVE["A"], "B": {"cpu": "700m", "memory": "640Mi"}}, 3,
     "app's limit is copied into its missing request"),
    ("sidecar-not-during-init", {"A": EFFECTIVE["A"], "B": {"cpu": "800m", "memory": "512Mi"}}, 3,
     "proxy starts before migrate and keeps running"),
    ("numbers", {"A": {"cpu": 1, "memory": "320Mi"}, "B": {"cpu": 0.8, "memory": "0.625Gi"}}, 4, ""),
    ("bare-mebibytes", {"A": {"cpu": "1000m", "memory": 320}, "B": EFFECTIVE["B"]}, 3,
     "a plain number is bytes; write 320Mi"),
    ("decimal", {"A": EFFECTIVE["A"], "B": {"cpu": "800m", "memory": "640M"}}, 3, "640M is decimal"),
    ("lowercase-keys", {"a": {"CPU": " 1 ", "Memory": "320Mi"}, "b": EFFECTIVE["B"]}, 4, ""),
    ("missing-row", {"A": EFFECTIVE["A"]}, 2, 'Add "B": {"cpu": "...", "memory": "..."}'),
    ("missing-memory", {"A": {"cpu": "1"}, "B": EFFECTIVE["B"]}, 3, "Pod A has no memory value"),
    ("not-a-quantity", {"A": {"cpu": "one", "memory": "320 MiB"}, "B": EFFECTIVE["B"]}, 2, "is not a quantity"),
    ("flat-dict", {"A cpu": "1"}, 0, "Pod A has no answer"),
    ("list", [["A", "1"]], 0, "write a dict such as"),
]


@pytest.mark.parametrize(("answer", "points", "text"), [c[1:] for c in EFFECTIVE_CASES],
                         ids=[c[0] for c in EFFECTIVE_CASES])
def test_effective_answers(answer: Any, points: float, text: str) -> None:
    """Does each way of computing the effective request earn its points and the explanation it needs?"""
    got, messages = score(ch8.effective, answer)
    assert got == points, messages
    assert text in messages


# ---------------------------------------------------------------------------
# Exercise 3: predict the QoS class
# ---------------------------------------------------------------------------

_ONE = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
QOS_PODS = {
    "A": _ONE + "  containers:\n  - {name: app, image: nginx:1.22}\n",
    "B": _ONE + "  containers:\n  - name: app\n    image: nginx:1.22\n    resources:\n"
                "      limits: {cpu: 500m, memory: 256Mi}\n",
    "C": _ONE + "  containers:\n  - name: app\n    image: nginx:1.22\n    resources:\n"
                "      requests: {cpu: 500m, memory: 256Mi}\n      limits: {cpu: '1', memory: 256Mi}\n",
    "D": _ONE + "  initContainers:\n  - {name: db-migrate, image: busybox:1.35}\n  containers:\n  - name: app\n"
                "    image: nginx:1.22\n    resources:\n      requests: {cpu: 250m, memory: 128Mi}\n"
                "      limits: {cpu: 250m, memory: 128Mi}\n",
    "E": _ONE + "  containers:\n  - name: app\n    image: nginx:1.22\n    resources:\n"
                "      requests: {memory: 128Mi}\n",
    # F: what the LimitRange admission plugin makes of a Pod without resources.
    "F": _ONE + "  containers:\n  - name: app\n    image: nginx:1.22\n    resources:\n"
                "      requests: {cpu: 100m, memory: 128Mi}\n      limits: {cpu: 500m, memory: 256Mi}\n",
    "G": _ONE + "  resources:\n    limits: {cpu: '1', memory: 512Mi}\n  containers:\n"
                "  - {name: app, image: nginx:1.22}\n",
    "H": _ONE + "  containers:\n  - name: app\n    image: nginx:1.22\n    resources:\n"
                "      limits: {ephemeral-storage: 1Gi}\n",
}


@pytest.mark.parametrize("letter", sorted(ch8.CLASSES))
def test_qos_table_agrees_with_the_checker(letter: str) -> None:
    """Does each row's answer match the class the checker (mirroring the API server) computes for that Pod?"""
    result = check_text(QOS_PODS[letter])[0]
    assert result.valid, [str(f) for f in result.findings]
    assert result.qos_class == ch8.CLASSES[letter][0]


QOS_CASES = [
    ("seed-article", {"A": "BestEffort", "B": "Burstable", "C": "Burstable", "D": "Guaranteed", "E": "BestEffort",
                      "F": "BestEffort", "G": "BestEffort", "H": "Burstable"}, 2, "Pod D is Burstable, not Guaranteed"),
    ("spellings", {" a ": "best effort", "B": "G", "c": "burstable", "D": "b", "E": "BURSTABLE", "F": "Burstable",
                   "g": "guaranteed", "h": "Best_Effort"}, 8, ""),
    ("booleans", dict.fromkeys("ABCDEFGH", True), 0, "is not \"Guaranteed\", \"Burstable\" or \"BestEffort\""),
    ("missing-rows", {"A": "BestEffort"}, 1, 'Add "B": "Guaranteed", "Burstable" or "BestEffort"'),
    ("not-a-dict", ["BestEffort", "Guaranteed"], 0, "write a dict such as"),
]


@pytest.mark.parametrize(("answer", "points", "text"), [c[1:] for c in QOS_CASES], ids=[c[0] for c in QOS_CASES])
def test_qos_answers(answer: Any, points: float, text: str) -> None:
    """Does each prediction table earn a point per right row and explain the wrong ones?"""
    got, messages = score(ch8.qos_classes, answer)
    assert got == points, messages
    assert text in messages


def test_qos_wrong_row_explains_why() -> None:
    """Does a wrong row quote the reason (init containers count) and not the rows that are right?"""
    _, messages = score(ch8.qos_classes, {**QOS_CLASSES, "D": "Guaranteed"})
    assert messages == "Pod D is Burstable, not Guaranteed: " + ch8.CLASSES["D"][1]


# ---------------------------------------------------------------------------
# Exercise 4: make the payments Pod Guaranteed
# ---------------------------------------------------------------------------


def test_starter_is_burstable_and_earns_little() -> None:
    """Is the given payments Pod Burstable, and does handing it in unchanged earn only the structure and clean cases?"""
    assert qos_class(yaml.safe_load(ch8.PAYMENTS_POD)["spec"]) == "Burstable"
    assert score(ch8.guaranteed, ch8.PAYMENTS_POD)[0] == 2


I0, I1, C0 = "spec.initContainers.0", "spec.initContainers.1", "spec.containers.0"
GUARANTEED_CASES = [
    ("forgot-init", edit(GUARANTEED_POD, f"{I0}.resources", delete=True),
     {"the API server would record status.qosClass: Guaranteed",
      "db-migrate (the init container): requests equal limits, sized as the task says"},
     'init container "db-migrate" has no cpu limit'),
    ("init-memory-only", edit(GUARANTEED_POD, f"{I0}.resources", {"limits": {"memory": "32Mi"}}),
     {"the API server would record status.qosClass: Guaranteed",
      "db-migrate (the init container): requests equal limits, sized as the task says"},
     "db-migrate has no cpu limit"),
    ("sidecar-bursts", edit(GUARANTEED_POD, f"{I1}.resources.limits.cpu", "100m"),
     {"the API server would record status.qosClass: Guaranteed",
      "proxy (the sidecar): requests equal limits, sized as the task says"},
     "proxy's cpu request (50m) differs from its cpu limit (100m)"),
    ("app-requests-only", edit(GUARANTEED_POD, f"{C0}.resources.limits", delete=True),
     {"app: cpu and memory limits, requests equal to them, sized as the task says",
      "the API server would record status.qosClass: Guaranteed"}, "app has no cpu limit"),
    ("app-too-small", edit(edit(GUARANTEED_POD, f"{C0}.resources.limits.cpu", "100m"),
                           f"{C0}.resources.requests.cpu", "100m"),
     {"app: cpu and memory limits, requests equal to them, sized as the task says"},
     "app gets 100m of cpu, less than the 250m it needs"),
    ("app-too-big", edit(edit(GUARANTEED_POD, f"{C0}.resources.limits.memory", "1Gi"),
                         f"{C0}.resources.requests.memory", "1Gi"),
     {"app: cpu and memory limits, requests equal to them, sized as the task says"},
     "more than the 128Mi the task allows"),
    ("millibytes", edit(edit(GUARANTEED_POD, f"{C0}.resources.limits.memory", "64m"),
                        f"{C0}.resources.requests.memory", "64m"),
     {"app: cpu and memory limits, requests equal to them, sized as the task says",
      "the checker reports no errors and no unit mistakes"}, "(memory-millibytes)"),
    ("decimal-limit", edit(GUARANTEED_POD, f"{C0}.resources.limits.memory", "64M"),
     {"app: cpu and memory limits, requests equal to them, sized as the task says",
      "the API server would record status.qosClass: Guaranteed",
      "the checker reports no errors and no unit mistakes"}, "(requests-above-limits)"),
    ("init-deleted", edit(GUARANTEED_POD, I0, delete=True),
     {"one Pod named payments, with db-migrate (init), proxy (native sidecar) and app",
      "db-migrate (the init container): requests equal limits, sized as the task says"},
     "deleting a container to change the QoS class"),
    ("sidecar-made-plain", edit(GUARANTEED_POD, f"{I1}.restartPolicy", delete=True),
     {"one Pod named payments, with db-migrate (init), proxy (native sidecar) and app"},
     "Keep `restartPolicy: Always` (it is a native sidecar)."),
    ("init-made-sidecar", edit(GUARANTEED_POD, f"{I0}.restartPolicy", "Always"),
     {"one Pod named payments, with db-migrate (init), proxy (native sidecar) and app"},
     "Remove restartPolicy (it must run to completion"),
    ("renamed", edit(GUARANTEED_POD, "metadata.name", "payments-guaranteed"),
     {"one Pod named payments, with db-migrate (init), proxy (native sidecar) and app"}, "Keep `name: payments`."),
    ("not-a-pod", edit(GUARANTEED_POD, "kind", "Deployment"),
     {"one Pod named payments, with db-migrate (init), proxy (native sidecar) and app",
      "the API server would record status.qosClass: Guaranteed",
      "the checker reports no errors and no unit mistakes"}, "this exercise asks for a Pod"),
]


@pytest.mark.parametrize(("answer", "cases", "text"), [c[1:] for c in GUARANTEED_CASES],
                         ids=[c[0] for c in GUARANTEED_CASES])
def test_guaranteed_mistakes(answer: str, cases: set[str], text: str) -> None:
    """Does each way of missing Guaranteed fail exactly its cases, saying what to change?"""
    assert failed(ch8.guaranteed, answer) == cases, score(ch8.guaranteed, answer)[1]
    assert text in score(ch8.guaranteed, answer)[1]


def test_guaranteed_with_limits_only_is_enough() -> None:
    """Do limits alone (requests defaulted from them) earn full marks, as the API server makes them Guaranteed?"""
    answer = edit(edit(GUARANTEED_POD, f"{I1}.resources.requests", delete=True), f"{C0}.resources.requests",
                  delete=True)
    assert score(ch8.guaranteed, answer)[0] == 6


POD_LEVEL_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: payments
spec:
  resources:
    requests: {cpu: 500m, memory: 128Mi}
    limits: {cpu: 500m, memory: 128Mi}
  initContainers:
  - name: db-migrate
    image: ghcr.io/example/payments-migrate:2.3.1
    args: ["migrate", "--to=latest"]
  - name: proxy
    image: ghcr.io/example/edge-proxy:1.4.0
    restartPolicy: Always
    resources:
      requests: {cpu: 50m, memory: 32Mi}
  containers:
  - name: app
    image: ghcr.io/example/payments:2.3.1
    resources:
      requests: {cpu: 250m, memory: 64Mi}
"""
P = "spec.resources"
GUARANTEED_ALTERNATIVES = [
    ("limits-only", edit(edit(GUARANTEED_POD, f"{I1}.resources.requests", delete=True), f"{C0}.resources.requests",
                         delete=True)),
    ("cpu-as-cores", edit(edit(GUARANTEED_POD, f"{C0}.resources.limits.cpu", "0.5"),
                          f"{C0}.resources.requests.cpu", 0.5)),
    ("memory-in-bytes", edit(edit(GUARANTEED_POD, f"{I0}.resources.limits.memory", "33554432"),
                             f"{I0}.resources.requests", {"cpu": "100m", "memory": 33554432})),
    ("max-sizes", edit(edit(GUARANTEED_POD, f"{C0}.resources.limits", {"cpu": "500m", "memory": "128Mi"}),
                       f"{C0}.resources.requests", {"cpu": "500m", "memory": "128Mi"})),
    ("pod-level", POD_LEVEL_POD),
    ("pod-level-with-own-limits", POD_LEVEL_POD
     .replace("requests: {cpu: 500m, memory: 128Mi}", "requests: {cpu: '1', memory: 256Mi}")
     .replace("limits: {cpu: 500m, memory: 128Mi}", "limits: {cpu: '1', memory: 256Mi}")
     .replace("      requests: {cpu: 250m, memory: 64Mi}",
              "      requests: {cpu: 250m, memory: 64Mi}\n      limits: {cpu: 500m, memory: 128Mi}")
     .replace("      requests: {cpu: 50m, memory: 32Mi}",
              "      requests: {cpu: 50m, memory: 32Mi}\n      limits: {cpu: 100m, memory: 64Mi}")
     .replace('    args: ["migrate", "--to=latest"]',
              '    args: ["migrate", "--to=latest"]\n    resources:\n      limits: {cpu: 200m, memory: 64Mi}')),
]


@pytest.mark.parametrize("answer", [a for _, a in GUARANTEED_ALTERNATIVES],
                         ids=[n for n, _ in GUARANTEED_ALTERNATIVES])
def test_guaranteed_equivalent_answers(answer: str) -> None:
    """Does every Guaranteed answer the task allows (limits only, other units, a pod-level budget) get full marks?"""
    points, messages = score(ch8.guaranteed, answer)
    assert points == ch8.guaranteed.max_points, messages


GUARANTEED_CASE = "the API server would record status.qosClass: Guaranteed"
CLEAN_CASE = "the checker reports no errors and no unit mistakes"
APP_CASE = "app: cpu and memory limits, requests equal to them, sized as the task says"
POD_LEVEL_CASES = [
    ("budget-too-small", POD_LEVEL_POD.replace("{cpu: 500m, memory: 128Mi}", "{cpu: 200m, memory: 128Mi}"),
     {APP_CASE, GUARANTEED_CASE, CLEAN_CASE},
     "app may use at most 200m of cpu (the Pod's cpu limit), less than the 250m it needs"),
    ("budget-too-big", POD_LEVEL_POD.replace("{cpu: 500m, memory: 128Mi}", "{cpu: 500m, memory: 1Gi}"),
     {APP_CASE, "proxy (the sidecar): requests equal limits, sized as the task says",
      "db-migrate (the init container): requests equal limits, sized as the task says"},
     "with pod-level resources a container without a limit of its own may use the whole Pod's limit"),
    ("budget-below-running-total", POD_LEVEL_POD.replace("{cpu: 500m, memory: 128Mi}", "{cpu: 280m, memory: 128Mi}")
     .replace("requests: {cpu: 250m, memory: 64Mi}", "requests: {cpu: 230m, memory: 64Mi}"),
     {APP_CASE, GUARANTEED_CASE}, "requests 230m of cpu, less than the 250m it needs"),
    ("pod-level-burstable", POD_LEVEL_POD.replace("requests: {cpu: 500m, memory: 128Mi}",
                                                  "requests: {cpu: 300m, memory: 128Mi}"),
     {GUARANTEED_CASE}, "not Guaranteed"),
    # 1.37 defaults a missing pod-level request from the containers' requests (300m), not from the pod's limit.
    ("pod-level-limits-only", POD_LEVEL_POD.replace("    requests: {cpu: 500m, memory: 128Mi}\n", ""),
     {GUARANTEED_CASE},
     "spec.resources.requests.cpu is unset, so the API server fills it in with the containers' total"),
]


@pytest.mark.parametrize(("answer", "cases", "text"), [c[1:] for c in POD_LEVEL_CASES],
                         ids=[c[0] for c in POD_LEVEL_CASES])
def test_guaranteed_pod_level_mistakes(answer: str, cases: set[str], text: str) -> None:
    """Does a wrong pod-level budget fail its own cases, never saying that each container needs limits?"""
    _, messages = score(ch8.guaranteed, answer)
    assert failed(ch8.guaranteed, answer) == cases, messages
    assert text in messages
    assert "cannot be Guaranteed: every container" not in messages


def test_guaranteed_failures_point_at_fields() -> None:
    """Does every failure message carry an API path and a `->` hint?"""
    for _, answer, _, _ in GUARANTEED_CASES[:8]:
        _, results, _ = ch8.guaranteed.grade(answer, hidden=True)
        for r in results:
            for m in r.messages:
                assert m.startswith(("spec", "kind")) and "\n    -> " in m, m


EFFECTIVE_ALTERNATIVES = [
    ("millicores-and-bytes", {"A": {"cpu": "1000m", "memory": str(320 * 2**20)},
                              "B": {"cpu": "0.8", "memory": "640Mi"}}),
    ("other-units", {"A": {"cpu": 1.0, "memory": "0.3125Gi"}, "B": {"cpu": "800m", "memory": "655360Ki"}}),
    ("padded-keys", {" A ": {" cpu ": "1", "memory ": "320Mi"}, "b": {"CPU": "800m", "MEMORY": "640Mi"}}),
]


@pytest.mark.parametrize(("name", "answer"), EFFECTIVE_ALTERNATIVES, ids=[a[0] for a in EFFECTIVE_ALTERNATIVES])
def test_effective_alternatives(name: str, answer: dict[str, Any]) -> None:
    """Do millicores, bytes, other binary units and padded keys earn full marks?"""
    got, text = score(ch8.effective, answer)
    assert got == 4, text


@pytest.mark.parametrize(("letter", "resource", "wrong"), [("A", "cpu", "1850m"), ("A", "memory", "256Mi"),
                                                            ("B", "cpu", "700m"), ("B", "memory", "384Mi")])
def test_effective_each_value_alone(letter: str, resource: str, wrong: str) -> None:
    """Does one wrong amount cost exactly its point, with the reason for that Pod and resource?"""
    answer = {**EFFECTIVE, letter: {**EFFECTIVE[letter], resource: wrong}}
    got, text = score(ch8.effective, answer)
    assert failed(ch8.effective, answer) == {f"Pod {letter}: {resource}"}
    assert got == 3 and ch8.EFFECTIVE_WHY[(letter, resource)] in text


QOS_ALTERNATIVES = [
    ("hyphens-and-case", {k: v.replace("BestEffort", "best-effort").upper() for k, v in QOS_CLASSES.items()}),
    ("initials", {k: {"Guaranteed": "G", "Burstable": "B", "BestEffort": "BE"}[v] for k, v in QOS_CLASSES.items()}),
    ("spaced-words", {k.lower(): {"BestEffort": "Best Effort"}.get(v, v.lower()) for k, v in QOS_CLASSES.items()}),
]


@pytest.mark.parametrize(("name", "answer"), QOS_ALTERNATIVES, ids=[a[0] for a in QOS_ALTERNATIVES])
def test_qos_alternatives(name: str, answer: dict[str, str]) -> None:
    """Do hyphens, capitals, initials and spaced words earn full marks?"""
    got, text = score(ch8.qos_classes, answer)
    assert got == 8, text


@pytest.mark.parametrize("letter", sorted(ch8.CLASSES))
def test_qos_each_row_alone(letter: str) -> None:
    """Does one wrong class cost exactly that Pod's point, with its reason?"""
    wrong = "Burstable" if QOS_CLASSES[letter] != "Burstable" else "Guaranteed"
    answer = {**QOS_CLASSES, letter: wrong}
    got, text = score(ch8.qos_classes, answer)
    assert failed(ch8.qos_classes, answer) == {f"Pod {letter}"}
    assert got == 7 and ch8.CLASSES[letter][1] in text
