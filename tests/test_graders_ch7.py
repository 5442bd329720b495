"""Unit tests for graders.ch7 (probes): every exercise, its typical mistakes and hostile answers."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from grader_support import BOMB, edit, failed, score

from course import check_text
from graders import ch7

WEB_PROBES = """
apiVersion: v1
kind: Pod
metadata:
  name: shop-web
spec:
  containers:
  - name: web
    image: ghcr.io/example/shop-web:4.2.0
    ports:
    - name: http
      containerPort: 8080
    readinessProbe:
      httpGet: {path: /ready, port: http}
      periodSeconds: 2
      failureThreshold: 2
    livenessProbe:
      httpGet: {path: /healthz, port: http}
      periodSeconds: 3
      failureThreshold: 3
"""

SLOW_POD = ch7.SLOW_STARTER.replace("    livenessProbe:", """    startupProbe:
      httpGet: {path: /healthz, port: http}
      periodSeconds: 5
      failureThreshold: 48
    livenessProbe:""")

FIXED_PROBES = """
apiVersion: v1
kind: Pod
metadata:
  name: checkout
spec:
  initContainers:
  - name: migrate
    image: ghcr.io/example/checkout-migrate:1.8.0
  containers:
  - name: api
    image: ghcr.io/example/checkout:1.8.0
    ports:
    - name: http
      containerPort: 8080
    readinessProbe:
      httpGet: {path: /ready, port: http}
      periodSeconds: 5
    livenessProbe:
      httpGet: {path: /healthz, port: http}
      periodSeconds: 10
"""

OUTCOMES = {"A": "restart", "B": "not ready", "C": "nothing", "D": "nothing", "E": "restart", "F": "not ready",
            "G": "restart", "H": "nothing"}


# ---------------------------------------------------------------------------
# Reference answers, empty and hostile answers
# ---------------------------------------------------------------------------

REFERENCE = [(ch7.web_probes, WEB_PROBES), (ch7.slow_start, SLOW_POD), (ch7.fix_probes, FIXED_PROBES),
             (ch7.predict, OUTCOMES)]


@pytest.mark.parametrize(("exercise", "answer"), REFERENCE, ids=["web", "slow", "fix", "predict"])
def test_reference_answer_full_marks(exercise: Any, answer: Any) -> None:
    """Does each reference answer earn every point, hidden cases included?"""
    points, messages = score(exercise, answer)
    assert points == exercise.max_points, messages


def test_reference_answers_are_what_the_notebook_holds() -> None:
    """Are this file's reference manifests free of checker errors, like the notebook's?"""
    for text in (WEB_PROBES, SLOW_POD, FIXED_PROBES):
        assert not [f for f in check_text(text, preset="ch7")[0].findings if f.severity == "error"]


HOSTILE = [None, "", "\n# YOUR ANSWER HERE\n", {}, [], 42, 1e308, True, "[1, 2", b"\xff\xfe", "- a\n- b", "::",
           "kind: Service\napiVersion: v1\nmetadata: {name: shop-web}\n",
           "apiVersion: v1\nkind: Pod\n---\napiVersion: v1\nkind: Pod\n",
           {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "shop-web"},
            "spec": {"containers": [{"name": "web", "readinessProbe": "yes", "livenessProbe": [1],
                                     "ports": "8080", "startupProbe": {"httpGet": None}}]}},
           {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": {"web": {}}, "initContainers": 7}},
           "x" * 2_000_000, BOMB, "[" * 500 + "]" * 500]


@pytest.mark.parametrize("exercise", ch7.EXERCISES, ids=lambda e: e.id)
@pytest.mark.parametrize("answer", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_answers_earn_zero_without_raising(exercise: Any, answer: Any, capfd: Any) -> None:
    """Does an empty, unreadable, non-Pod, wrongly typed, huge or bomb answer earn 0 with a message on stdout only?"""
    got = exercise(answer, hidden=True)
    out = capfd.readouterr()
    assert float(got) == 0, out.out
    assert out.err == "" and exercise.title in out.out


def test_starters_earn_almost_nothing() -> None:
    """Do the exercise's own starter manifests, handed in unchanged, earn only the "kept what was right" point?"""
    assert score(ch7.slow_start, ch7.SLOW_STARTER)[0] == 1
    assert score(ch7.fix_probes, ch7.BROKEN_PROBES)[0] == 1


def test_broken_pod_is_what_the_exercise_says() -> None:
    """Does the broken Pod fire exactly the three rules the fix exercise names, and not the port typo?"""
    rules = [f.rule for f in check_text(ch7.BROKEN_PROBES, preset="ch7")[0].findings]
    assert sorted(rules) == sorted([ch7.INIT_PROBE, ch7.HANDLER_COUNT, ch7.SUCCESS_THRESHOLD])


def test_visible_cases_are_a_strict_subset() -> None:
    """Does each exercise keep some cases hidden, so the self-check cannot be gamed by trial and error?"""
    for ex in ch7.EXERCISES:
        assert 0 < ex.visible_points < ex.max_points


# ---------------------------------------------------------------------------
# Helpers the notebook shows
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("probe", "window", "budget"), [
    ({}, 30, 30),
    ({"periodSeconds": 0, "failureThreshold": 0, "initialDelaySeconds": -4}, 30, 30),
    ({"periodSeconds": 10, "failureThreshold": 30}, 300, 300),
    ({"periodSeconds": 5, "failureThreshold": 8, "initialDelaySeconds": 20}, 40, 60),
    ({"periodSeconds": "5", "failureThreshold": True}, 30, 30),
])
def test_probe_arithmetic(probe: dict[str, Any], window: int, budget: int) -> None:
    """Do failure window and start-up budget follow the API defaults (0, unset and wrong types mean default)?"""
    assert ch7.failure_window(probe) == window and ch7.startup_budget(probe) == budget


@pytest.mark.parametrize(("port", "want"), [(8080, 8080), ("http", 8080), ("metrics", 9090), ("htp", None),
                                            ("8080", None), (None, None), (True, None)])
def test_resolve_port(port: Any, want: int | None) -> None:
    """Does a probe port resolve as the kubelet resolves it: a number, or that container's port of that name?"""
    c = {"ports": [{"name": "http", "containerPort": 8080}, {"name": "metrics", "containerPort": 9090}, "junk"]}
    assert ch7.resolve_port(c, port) == want


# ---------------------------------------------------------------------------
# Exercise 1: web probes
# ---------------------------------------------------------------------------

C = "spec.containers.0"
WEB_CASES = [
    ("port-unnamed", edit(WEB_PROBES, f"{C}.ports.0.name", delete=True),
     {"one Pod named shop-web whose web container declares port 8080 named http",
      "web has a readinessProbe that GETs /ready on port 8080",
      "web has a livenessProbe that GETs /healthz on port 8080"},
     "Name it `http`"),
    ("wrong-pod-name", edit(WEB_PROBES, "metadata.name", "web"),
     {"one Pod named shop-web whose web container declares port 8080 named http"}, "Set `name: shop-web`"),
    ("readiness-by-number", edit(WEB_PROBES, f"{C}.readinessProbe.httpGet.port", 8080),
     {"both probes refer to the port by its name, http"}, "Write `port: http`"),
    ("readiness-wrong-port", edit(WEB_PROBES, f"{C}.readinessProbe.httpGet.port", 80),
     {"web has a readinessProbe that GETs /ready on port 8080", "both probes refer to the port by its name, http"},
     "but the app listens on 8080"),
    ("liveness-port-typo", edit(WEB_PROBES, f"{C}.livenessProbe.httpGet.port", "htp"),
     {"web has a livenessProbe that GETs /healthz on port 8080", "both probes refer to the port by its name, http"},
     "declares no port named 'htp'"),
    ("liveness-tcp", edit(WEB_PROBES, f"{C}.livenessProbe", {"tcpSocket": {"port": "http"}, "periodSeconds": 3}),
     {"web has a livenessProbe that GETs /healthz on port 8080", "both probes refer to the port by its name, http"},
     "the livenessProbe uses tcpSocket"),
    ("readiness-healthz", edit(WEB_PROBES, f"{C}.readinessProbe.httpGet.path", "/healthz"),
     {"web has a readinessProbe that GETs /ready on port 8080"}, "GETs '/healthz', not /ready"),
    ("identical-aggressive", edit(edit(WEB_PROBES, f"{C}.livenessProbe.periodSeconds", 2),
                                  f"{C}.livenessProbe.failureThreshold", 1),
     {"the livenessProbe is more patient than the readinessProbe"}, "restarts web after 1 failure(s)"),
    ("same-window", edit(WEB_PROBES, f"{C}.livenessProbe.periodSeconds", 1),
     {"the livenessProbe is more patient than the readinessProbe"}, "3 x 1s = 3s, no later than the readinessProbe"),
    ("no-liveness", edit(WEB_PROBES, f"{C}.livenessProbe", delete=True),
     {"web has a livenessProbe that GETs /healthz on port 8080", "both probes refer to the port by its name, http",
      "the livenessProbe is more patient than the readinessProbe",
      "the checker reports no errors and no missing probes"},
     "has no livenessProbe, so a hung process is never restarted (probe-liveness-missing)"),
    ("readiness-slow-period", edit(WEB_PROBES, f"{C}.readinessProbe.periodSeconds", 4),
     {"the readinessProbe checks every 2 s and acts after 2 failures in a row"},
     "checks every 4s; the task asks for every 2 seconds"),
    ("readiness-default-period", edit(WEB_PROBES, f"{C}.readinessProbe.periodSeconds", delete=True),
     {"the readinessProbe checks every 2 s and acts after 2 failures in a row",
      "the livenessProbe is more patient than the readinessProbe"},
     "(unset, so the default 10s)"),
    ("readiness-three-failures", edit(WEB_PROBES, f"{C}.readinessProbe.failureThreshold", 3),
     {"the readinessProbe checks every 2 s and acts after 2 failures in a row"},
     "after 3 failures in a row; the task asks for 2"),
    ("readiness-default-failures", edit(WEB_PROBES, f"{C}.readinessProbe.failureThreshold", delete=True),
     {"the readinessProbe checks every 2 s and acts after 2 failures in a row"},
     "(unset, so the default 3)"),
    ("two-handlers", edit(WEB_PROBES, f"{C}.readinessProbe.tcpSocket", {"port": "http"}),
     {"web has a readinessProbe that GETs /ready on port 8080", "the checker reports no errors and no missing probes"},
     "uses httpGet and tcpSocket"),
]


@pytest.mark.parametrize(("answer", "fails", "says"), [c[1:] for c in WEB_CASES], ids=[c[0] for c in WEB_CASES])
def test_web_probes_mistakes(answer: str, fails: set[str], says: str) -> None:
    """Does each typical mistake fail exactly its cases, with a message saying what to change?"""
    assert failed(ch7.web_probes, answer) == fails
    assert says in score(ch7.web_probes, answer)[1]


WEB_ALTERNATIVES = [
    ("liveness-longer", edit(edit(WEB_PROBES, f"{C}.livenessProbe.periodSeconds", 10),
                             f"{C}.livenessProbe.failureThreshold", 5)),
    ("liveness-default-period", edit(WEB_PROBES, f"{C}.livenessProbe.periodSeconds", delete=True)),
    ("explicit-defaults", edit(edit(edit(WEB_PROBES, f"{C}.readinessProbe.successThreshold", 1),
                                    f"{C}.readinessProbe.timeoutSeconds", 1),
                               f"{C}.livenessProbe.httpGet.scheme", "HTTP")),
    ("port-listed-with-protocol", edit(WEB_PROBES, f"{C}.ports.0",
                                       {"name": "http", "containerPort": 8080, "protocol": "TCP"})),
    ("with-initial-delay", edit(WEB_PROBES, f"{C}.livenessProbe.initialDelaySeconds", 5)),
    ("with-labels", edit(WEB_PROBES, "metadata.labels", {"app": "shop-web", "tier": "frontend"})),
]


@pytest.mark.parametrize("answer", [a for _, a in WEB_ALTERNATIVES], ids=[n for n, _ in WEB_ALTERNATIVES])
def test_web_probes_equivalent_answers(answer: str) -> None:
    """Does every answer that meets the task another way (longer liveness, explicit defaults) get full marks?"""
    points, messages = score(ch7.web_probes, answer)
    assert points == ch7.web_probes.max_points, messages


def test_web_container_as_init_container() -> None:
    """Does moving web to initContainers fail with a path and "Move web to spec.containers"?"""
    doc = yaml.safe_load(WEB_PROBES)
    doc["spec"]["initContainers"] = doc["spec"].pop("containers")
    doc["spec"]["containers"] = [{"name": "other", "image": "busybox:1.35"}]
    points, says = score(ch7.web_probes, yaml.safe_dump(doc))
    assert points == 0 and "spec.initContainers[0]: web is an init container" in says


# ---------------------------------------------------------------------------
# Exercise 2: slow start
# ---------------------------------------------------------------------------

LEDGER_KEPT = "one Pod named ledger whose ledger container keeps its image, port and probes on /ready and /healthz"
SLOW_CASES = [
    ("default-budget", edit(SLOW_POD, f"{C}.startupProbe", {"httpGet": {"path": "/healthz", "port": "http"}}),
     {f"the startup budget (initialDelaySeconds + failureThreshold x periodSeconds) covers {ch7.SLOWEST_START}s"},
     "allows 3 x 10s = 30s to start"),
    ("budget-just-short", edit(SLOW_POD, f"{C}.startupProbe.failureThreshold", 35),
     {f"the startup budget (initialDelaySeconds + failureThreshold x periodSeconds) covers {ch7.SLOWEST_START}s"},
     "35 x 5s = 175s"),
    ("budget-with-delay", edit(edit(SLOW_POD, f"{C}.startupProbe.failureThreshold", 32),
                               f"{C}.startupProbe.initialDelaySeconds", 20), set(), ""),
    ("slow-period", edit(edit(SLOW_POD, f"{C}.startupProbe.periodSeconds", 60),
                         f"{C}.startupProbe.failureThreshold", 4),
     {f"the startupProbe checks at least every {ch7.NOTICE}s and gives up within {ch7.GIVE_UP}s"}, "checks every 60s"),
    ("huge-budget", edit(SLOW_POD, f"{C}.startupProbe.failureThreshold", 1000),
     {f"the startupProbe checks at least every {ch7.NOTICE}s and gives up within {ch7.GIVE_UP}s"},
     "1000 x 5s = 5000s"),
    ("delay-liveness-instead", edit(edit(ch7.SLOW_STARTER, f"{C}.livenessProbe.initialDelaySeconds", 180),
                                    f"{C}.startupProbe", {"httpGet": {"path": "/healthz", "port": "http"},
                                                          "periodSeconds": 5, "failureThreshold": 40}),
     {f"the livenessProbe still restarts a hung ledger within {ch7.LIVENESS_WINDOW}s"}, "Remove initialDelaySeconds"),
    ("loosen-liveness-instead", edit(SLOW_POD, f"{C}.livenessProbe.failureThreshold", 20),
     {f"the livenessProbe still restarts a hung ledger within {ch7.LIVENESS_WINDOW}s"}, "20 x 10s = 200s"),
    ("startup-success-threshold", edit(SLOW_POD, f"{C}.startupProbe.successThreshold", 2),
     {"the checker reports no errors"}, "(probe-success-threshold)"),
    ("startup-on-ready", edit(SLOW_POD, f"{C}.startupProbe.httpGet.path", "/ready"),
     {"ledger has a startupProbe that GETs /healthz on port 8080"}, "GETs '/ready', not /healthz"),
    ("startup-exec", edit(SLOW_POD, f"{C}.startupProbe", {"exec": {"command": ["true"]}, "failureThreshold": 60,
                                                          "periodSeconds": 5}),
     {"ledger has a startupProbe that GETs /healthz on port 8080"}, "the startupProbe uses exec"),
    ("image-changed", edit(SLOW_POD, f"{C}.image", "ghcr.io/example/ledger:latest"), {LEDGER_KEPT},
     "the task keeps 'ghcr.io/example/ledger:2.3.1'"),
    ("readiness-removed", edit(SLOW_POD, f"{C}.readinessProbe", delete=True), {LEDGER_KEPT},
     "Keep the starter's readinessProbe"),
    ("port-renamed", edit(SLOW_POD, f"{C}.ports.0.name", "web"),
     {LEDGER_KEPT, "ledger has a startupProbe that GETs /healthz on port 8080"}, "no longer named http"),
    ("liveness-removed", edit(SLOW_POD, f"{C}.livenessProbe", delete=True),
     {LEDGER_KEPT,
      f"the livenessProbe still restarts a hung ledger within {ch7.LIVENESS_WINDOW}s"},
     "Keep the starter's livenessProbe"),
]


@pytest.mark.parametrize(("answer", "fails", "says"), [c[1:] for c in SLOW_CASES], ids=[c[0] for c in SLOW_CASES])
def test_slow_start_mistakes(answer: str, fails: set[str], says: str) -> None:
    """Does each wrong start-up budget or wrong fix fail exactly its cases, quoting the arithmetic?"""
    assert failed(ch7.slow_start, answer) == fails
    assert says in score(ch7.slow_start, answer)[1]


LIVENESS_KEPT = f"the livenessProbe still restarts a hung ledger within {ch7.LIVENESS_WINDOW}s"

SLOW_ALTERNATIVES = [
    ("number-port-and-10s", edit(edit(edit(SLOW_POD, f"{C}.startupProbe.httpGet.port", 8080),
                                      f"{C}.startupProbe.periodSeconds", 10),
                                 f"{C}.startupProbe.failureThreshold", 18)),
    ("liveness-defaults-spelled-out", edit(edit(SLOW_POD, f"{C}.livenessProbe.timeoutSeconds", 1),
                                           f"{C}.livenessProbe.successThreshold", 1)),
    ("liveness-defaults-left-out", edit(edit(SLOW_POD, f"{C}.livenessProbe.periodSeconds", delete=True),
                                        f"{C}.livenessProbe.failureThreshold", delete=True)),
    ("budget-exactly-300", edit(SLOW_POD, f"{C}.startupProbe.failureThreshold", 60)),
    ("image-pinned-by-digest", edit(SLOW_POD, f"{C}.image", "ghcr.io/example/ledger:2.3.1@sha256:" + "b" * 64)),
]


@pytest.mark.parametrize(("name", "answer"), SLOW_ALTERNATIVES, ids=[a[0] for a in SLOW_ALTERNATIVES])
def test_slow_start_alternatives(name: str, answer: str) -> None:
    """Do a numeric port, spelled-out or omitted defaults and a 300 s budget earn full marks?"""
    got, text = score(ch7.slow_start, answer)
    assert got == ch7.slow_start.max_points, text


SLOW_KEEP_BREAKS = [
    ("liveness-faster", edit(edit(SLOW_POD, f"{C}.livenessProbe.periodSeconds", 5),
                             f"{C}.livenessProbe.failureThreshold", 6),
     "spec.containers[0].livenessProbe.periodSeconds: the livenessProbe's periodSeconds is now 5, not 10"),
    ("liveness-timeout", edit(SLOW_POD, f"{C}.livenessProbe.timeoutSeconds", 5),
     "spec.containers[0].livenessProbe.timeoutSeconds: the livenessProbe's timeoutSeconds is now 5, not 1"),
]


@pytest.mark.parametrize(("name", "answer", "says"), SLOW_KEEP_BREAKS, ids=[b[0] for b in SLOW_KEEP_BREAKS])
def test_slow_start_keeps_the_liveness_probe(name: str, answer: str, says: str) -> None:
    """Does retuning the livenessProbe, even within 30 s, cost exactly the keep point, naming the field?"""
    got, text = score(ch7.slow_start, answer)
    assert failed(ch7.slow_start, answer) == {LIVENESS_KEPT}, text
    assert got == ch7.slow_start.max_points - 1 and says in text


# ---------------------------------------------------------------------------
# Exercise 3: fix the broken probes
# ---------------------------------------------------------------------------

H1, H2, H3 = ("api's livenessProbe has exactly one handler, still on port 8080",
              "api's livenessProbe has successThreshold 1",
              "migrate is still a plain init container with its image, with no probe")
H4, H5, H6 = ("api's readinessProbe names a port that api declares",
              "api keeps its image, port 8080 and a readinessProbe on /ready",
              "the checker reports no errors")
FIX_CASES = [
    ("kept-both-handlers", edit(FIXED_PROBES, f"{C}.livenessProbe.tcpSocket", {"port": 8080}), {H1, H6},
     "may not specify more than 1 handler type"),
    ("kept-tcp-handler", edit(FIXED_PROBES, f"{C}.livenessProbe", {"tcpSocket": {"port": "http"}}), set(), ""),
    ("handler-on-wrong-port", edit(FIXED_PROBES, f"{C}.livenessProbe", {"tcpSocket": {"port": 80}}), {H1},
     "no longer checks api's port 8080"),
    ("liveness-deleted", edit(FIXED_PROBES, f"{C}.livenessProbe", delete=True), {H1, H2},
     "Fix the livenessProbe instead of deleting it"),
    ("success-threshold-kept", edit(FIXED_PROBES, f"{C}.livenessProbe.successThreshold", 3), {H2, H6},
     "must be 1"),
    ("migrate-as-sidecar", edit(FIXED_PROBES, "spec.initContainers.0.restartPolicy", "Always"), {H3},
     "which makes it a sidecar"),
    ("migrate-probe-kept", edit(FIXED_PROBES, "spec.initContainers.0.readinessProbe",
                                {"exec": {"command": ["cat", "/tmp/migrated"]}}), {H3, H6}, "(init-container-probe)"),
    ("migrate-deleted", edit(FIXED_PROBES, "spec.initContainers", delete=True), {H3},
     "the migrate init container is gone"),
    ("migrate-regular", edit(edit(FIXED_PROBES, "spec.initContainers", delete=True), "spec.containers.1",
                             {"name": "migrate", "image": "ghcr.io/example/checkout-migrate:1.8.0"}), {H3},
     "migrate is now a regular container"),
    ("port-name-kept", edit(FIXED_PROBES, f"{C}.readinessProbe.httpGet.port", "web"), {H4},
     "declares no port named 'web'"),
    ("port-number", edit(FIXED_PROBES, f"{C}.readinessProbe.httpGet.port", 8080), set(), ""),
    ("api-image-changed", edit(FIXED_PROBES, f"{C}.image", "ghcr.io/example/checkout:1.9.0"), {H5},
     "the task keeps 'ghcr.io/example/checkout:1.8.0'"),
    ("migrate-image-changed", edit(FIXED_PROBES, "spec.initContainers.0.image", "busybox:1.35"), {H3},
     "the task keeps 'ghcr.io/example/checkout-migrate:1.8.0'"),
    ("api-image-qualified", edit(FIXED_PROBES, f"{C}.image", "ghcr.io/example/checkout:1.8.0@sha256:" + "c" * 64),
     set(), ""),
    ("readiness-deleted", edit(FIXED_PROBES, f"{C}.readinessProbe", delete=True), {H4, H5},
     "it receives traffic as soon as it starts"),
    ("renamed-port-instead", edit(edit(FIXED_PROBES, f"{C}.ports.0.name", "web"), f"{C}.readinessProbe.httpGet.port",
                                  "web"), {H1},
     "no longer checks api's port 8080"),
]


@pytest.mark.parametrize(("answer", "fails", "says"), [c[1:] for c in FIX_CASES], ids=[c[0] for c in FIX_CASES])
def test_fix_probes_mistakes(answer: str, fails: set[str], says: str) -> None:
    """Does each half-done or wrong fix fail exactly its cases, with the checker's or our message?"""
    assert failed(ch7.fix_probes, answer) == fails
    assert says in score(ch7.fix_probes, answer)[1]


def test_fix_feedback_quotes_checker_paths() -> None:
    """Does the feedback on the untouched broken Pod show the checker's paths and rule ids, as check_text does?"""
    says = score(ch7.fix_probes, ch7.BROKEN_PROBES)[1]
    for text in ("spec.containers[0].livenessProbe.tcpSocket", "(probe-handler-count)",
                 "spec.containers[0].livenessProbe.successThreshold", "spec.initContainers[0].readinessProbe",
                 "spec.containers[0].readinessProbe.httpGet.port"):
        assert text in says


# ---------------------------------------------------------------------------
# Exercise 4: predictions
# ---------------------------------------------------------------------------

PREDICT_CASES = [
    ("all-restart", dict.fromkeys(OUTCOMES, "restart"), 3, "situation B: the answer is 'not ready'"),
    ("readiness-restarts", {**OUTCOMES, "B": "restart", "F": "restart"}, 6, "Readiness never restarts anything"),
    ("liveness-runs-during-startup", {**OUTCOMES, "D": "restart"}, 7, "the kubelet runs neither the livenessProbe"),
    ("cascade-missed", {**OUTCOMES, "G": "not ready"}, 7, "a cascading failure"),
    ("typo-port-restarts", {**OUTCOMES, "H": "restart"}, 7, "the result is thrown away"),
    ("spelling-variants", {"a": "Restart", " b ": "NotReady", "c": "none", "D": "no change", "E": "killed",
                           "F": "unready", "G": "restarted", "H": "no effect"}, 8, ""),
    ("missing-row", {k: v for k, v in OUTCOMES.items() if k != "E"}, 7, 'Add "E": "restart", "not ready" or "nothing"'),
    ("unreadable", {**OUTCOMES, "C": "maybe", "D": 3, "E": True}, 5, "'maybe' is not one of"),
    ("a-list", list(OUTCOMES.values()), 0, "write a dict such as"),
]


@pytest.mark.parametrize(("answer", "points", "says"), [c[1:] for c in PREDICT_CASES],
                         ids=[c[0] for c in PREDICT_CASES])
def test_predictions(answer: Any, points: float, says: str) -> None:
    """Does each prediction table earn one point per right row and explain the rows it got wrong?"""
    got, messages = score(ch7.predict, answer)
    assert got == points
    assert says in messages


def test_every_prediction_has_a_reason() -> None:
    """Does every row carry a right answer among the three choices and an explanation?"""
    assert set(ch7.OUTCOMES) == set("ABCDEFGH")
    for want, why in ch7.OUTCOMES.values():
        assert want in (ch7.RESTART, ch7.NOT_READY, ch7.NOTHING) and len(why) > 40


# Equally right tables earn every point; each row (a stated requirement), wrong alone, costs its own point.
PREDICT_ALTERNATIVES = [
    ("case-and-punctuation", {"a": "RESTART", "b": "Not-Ready", "c": "Nothing.", "d": "`nothing`", "e": "Restart!",
                              "f": "not_ready", "g": "'restart'", "h": "NONE"}),
    ("phrases", {"A": "killed and restarted", "B": "removed from the endpoints", "C": "no change",
                 "D": "nothing happens", "E": "the container is restarted", "F": "taken out of endpoints",
                 "G": "restartCount goes up", "H": "no effect"}),
    ("short-words", {"A": "kill", "B": "unready", "C": "neither", "D": "no-op", "E": "killed", "F": "NotReady",
                     "G": "restarts", "H": "no action"}),
    ("spaced-keys-and-words", {f" {k.lower()} ": f"  {v.upper()}  " for k, v in OUTCOMES.items()}),
    ("ready-false", {**OUTCOMES, "B": "Ready=False", "F": "ready false"}),
]


@pytest.mark.parametrize(("name", "answer"), PREDICT_ALTERNATIVES, ids=[a[0] for a in PREDICT_ALTERNATIVES])
def test_predictions_alternatives(name: str, answer: dict[str, str]) -> None:
    """Do other case, punctuation, synonyms and phrases for the three choices earn full marks?"""
    got, text = score(ch7.predict, answer)
    assert got == 8, text


PREDICT_BREAKS = [
    ("A", "not ready", "failureThreshold failures in a row of a livenessProbe make the kubelet kill the container"),
    ("B", "restart", "Readiness never restarts anything"),
    ("C", "restart", "a success before the third failure resets the count"),
    ("D", "not ready", "The Pod has not been Ready since the container started"),
    ("D", "restart", "the kubelet runs neither the livenessProbe nor the readinessProbe"),
    ("E", "nothing", "a startupProbe that reaches its failureThreshold makes the kubelet kill the container"),
    ("F", "nothing", "every Pod leaves the endpoints"),
    ("G", "not ready", "a cascading failure. Liveness should check only the process itself"),
    ("H", "restart", "the probe errors (a warning event says so) and the result is thrown away"),
]


@pytest.mark.parametrize(("letter", "value", "says"), PREDICT_BREAKS,
                         ids=[f"{b[0]}-{b[1]}" for b in PREDICT_BREAKS])
def test_predictions_each_row_alone(letter: str, value: str, says: str) -> None:
    """Does one wrong row cost exactly that situation's point, naming the right answer and why?"""
    answer = {**OUTCOMES, letter: value}
    got, text = score(ch7.predict, answer)
    assert failed(ch7.predict, answer) == {f"situation {letter}"}
    assert got == 7 and f"situation {letter}: the answer is {ch7.OUTCOMES[letter][0]!r}" in text and says in text


@pytest.mark.parametrize("value", ["no restart", "keeps running", "maybe", "restart?", "", None, True, ["restart"]])
def test_predictions_ambiguous_words_are_not_guessed(value: Any) -> None:
    """Is a word that could mean two choices (or none) quoted back as unreadable rather than read as one of them?"""
    got, text = score(ch7.predict, {**OUTCOMES, "C": value})
    assert got == 7 and "situation C: " in text and 'is not one of "restart", "not ready" or "nothing"' in text
