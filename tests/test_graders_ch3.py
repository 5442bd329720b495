"""Tests for chapter 3's graders (graders.ch3) and its networking lab (graders.ch3lab)."""

from __future__ import annotations

import os
import textwrap
from typing import Any

import pytest

from graders import ch3, ch3lab
from graders.ch3lab import LabError, run_lab

LIVE, WHY = ch3lab.support()
live_only = pytest.mark.skipif(not LIVE, reason=f"no namespaces here: {WHY}")


def grade(exercise: Any, answer: Any) -> tuple[float, dict[str, str]]:
    """Points with hidden cases, and {case name: joined messages} for the failed cases."""
    points, results, _ = exercise.grade(answer, hidden=True)
    return points, {r.case.name: " ".join(r.messages) for r in results if not r.passed}


def pod_yaml(text: str) -> str:
    return textwrap.dedent(text)


# ---------------------------------------------------------------------------
# Exercise 1: sidecar
# ---------------------------------------------------------------------------

SIDECAR_OK = pod_yaml("""
    apiVersion: v1
    kind: Pod
    metadata:
      name: orders
    spec:
      containers:
      - name: app
        image: ghcr.io/example/orders:3.2.0
        ports:
        - {name: http, containerPort: 8080}
      - name: proxy
        image: ghcr.io/example/edge-proxy:1.4.0
        env:
        - {name: LISTEN_PORT, value: "9090"}
        - {name: UPSTREAM, value: "UPSTREAM_URL"}
        ports:
        - {name: proxy, containerPort: 9090}
""")


def sidecar_with(upstream: str = "http://localhost:8080", **swap: str) -> str:
    text = SIDECAR_OK.replace("UPSTREAM_URL", upstream)
    for old, new in swap.items():
        text = text.replace(old, new)
    return text


@pytest.mark.parametrize(
    ("answer", "points", "failing", "message"),
    [
        (sidecar_with(), 7, None, None),
        (sidecar_with("http://127.0.0.1:8080/"), 7, None, None),
        (sidecar_with("localhost:8080"), 7, None, None),
        (sidecar_with("http://app:8080"), 6, "the proxy reaches the app on localhost:8080",
         "container names are not host names"),
        (sidecar_with("http://orders.shop.svc:8080"), 6, "the proxy reaches the app on localhost:8080",
         "reaches it on localhost"),
        (sidecar_with("http://localhost:9090"), 6, "the proxy reaches the app on localhost:8080",
         "port 9090, but the app listens on 8080"),
        (sidecar_with(**{'"9090"}': '"8080"}', "containerPort: 9090": "containerPort: 8080"}), 6,
         "app on 8080, proxy on 9090, no port clash", "the proxy declares 8080"),
        (sidecar_with(**{'"9090"}': '"9091"}'}), 6, "app on 8080, proxy on 9090, no port clash",
         "does not make the proxy listen there"),
        (sidecar_with(**{"containerPort: 9090}": "containerPort: 9090, hostPort: 9090}"}), 6,
         "no hostPort and no hostNetwork", "hostPort binds a port on the node"),
        (sidecar_with(**{"name: orders": "name: orders-pod"}), 6, "the Pod is named orders", "orders-pod"),
        (sidecar_with(**{"name: proxy\n": "name: tls\n"}), 4, "two containers: app and proxy, with the given images",
         "exactly `app` and `proxy`"),
    ],
)
def test_sidecar_cases(answer: str, points: float, failing: str | None, message: str | None) -> None:
    """Does each sidecar manifest earn its points, failing the expected case with a message that says what to change?"""
    got, failed = grade(ch3.sidecar, answer)
    assert got == points, failed
    if failing is not None:
        assert failing in failed and message in failed[failing], failed


def test_sidecar_clash_quotes_the_checker() -> None:
    """Does a clash between app and proxy quote the checker's container-port-clash finding and path?"""
    answer = sidecar_with(**{"containerPort: 9090}": "containerPort: 9090}\n    - {containerPort: 8080}"})
    _, failed = grade(ch3.sidecar, answer)
    text = failed["app on 8080, proxy on 9090, no port clash"]
    assert "(container-port-clash)" in text and "spec.containers[1].ports[1].containerPort" in text


# ---------------------------------------------------------------------------
# Exercise 2: the port fix
# ---------------------------------------------------------------------------

FIX_TEMPLATE = pod_yaml("""
    apiVersion: v1
    kind: Pod
    metadata:
      name: web-metrics
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.22
        ports:
        - containerPort: WEB_PORT
      - name: exporter
        image: nginx/nginx-prometheus-exporter:1.3.0
        args: ARGS
        ports:
        - containerPort: EXP_PORT
""")


def fix(web: int = 80, exp: int = 9113, args: str = '["--nginx.scrape-uri=http://localhost:80/stub_status", '
        '"--web.listen-address=:9113"]') -> str:
    return FIX_TEMPLATE.replace("WEB_PORT", str(web)).replace("EXP_PORT", str(exp)).replace("ARGS", args)


@pytest.mark.parametrize(
    ("answer", "points", "failing", "message"),
    [
        (fix(), 7, None, None),
        (fix(args='["--nginx.scrape-uri", "http://127.0.0.1/stub_status", "--web.listen-address", "0.0.0.0:9113"]'),
         7, None, None),
        (fix(args='["--nginx.scrape-uri=http://localhost:80/stub_status"]'), 7, None, None),  # default :9113
        (fix(args='["--nginx.scrape-uri=http://localhost:80/stub_status", "--web.listen-address=:80"]'), 6,
         "the exporter listens on the port it declares, not 80", "containerPort is only a declaration"),
        (fix(exp=80, args='["--nginx.scrape-uri=http://localhost:80/stub_status", "--web.listen-address=:80"]'), 5,
         "the port clash is gone and the checker reports no errors", "(container-port-clash)"),
        (fix(exp=9000), 6, "the exporter listens on the port it declares, not 80", "declares [9000]"),
        (fix(exp=9000, args='["--nginx.scrape-uri=http://localhost:80/stub_status", "--web.listen-address=:9000"]'),
         6, "the exporter listens on the port it declares, not 80", "its usual port, 9113"),
        (fix(args='["--nginx.scrape-uri=http://web:80/stub_status", "--web.listen-address=:9113"]'), 6,
         "the exporter still scrapes nginx on localhost:80", "nginx runs in the same Pod"),
        (fix(args='["--nginx.scrape-uri=http://localhost:9113/stub_status", "--web.listen-address=:9113"]'), 6,
         "the exporter still scrapes nginx on localhost:80", "only the exporter's own listening port had to move"),
        (fix(args='["--web.listen-address=:9113"]'), 6, "the exporter still scrapes nginx on localhost:80",
         "lost its --nginx.scrape-uri"),
        (fix(web=8080, exp=80, args='["--nginx.scrape-uri=http://localhost:8080/stub_status", '
             '"--web.listen-address=:80"]'), 4, "web still serves on port 80", "web no longer declares port 80"),
        (fix().replace("image: nginx:1.22", "image: nginx:latest"), 6,
         "still web (nginx:1.22) and exporter, same images", "Keep `image: nginx:1.22`"),
    ],
)
def test_port_fix_cases(answer: str, points: float, failing: str | None, message: str | None) -> None:
    """Does each attempted fix of the port-80 clash earn its points and name what is still wrong?"""
    got, failed = grade(ch3.port_fix, answer)
    assert got == points, failed
    if failing is not None:
        assert failing in failed and message in failed[failing], failed


# ---------------------------------------------------------------------------
# Exercise 3: true or false
# ---------------------------------------------------------------------------

RIGHT_FACTS = {k: v for k, (v, _) in ch3.PORT_STATEMENTS.items()}


@pytest.mark.parametrize(
    ("answer", "points", "message"),
    [
        (RIGHT_FACTS, 10, None),
        ({k.lower(): ("yes" if v else "no") for k, v in RIGHT_FACTS.items()}, 10, None),
        (dict.fromkeys("ABCDEFGHIJ", True), 6, "statement B is false"),
        ({**RIGHT_FACTS, "H": True}, 9, "container names are not DNS names"),
        ({**RIGHT_FACTS, "J": "perhaps"}, 9, "neither True nor False"),
        ({"A": False}, 1, "statement B has no answer"),
        (["A", "B"], 0, "must be a dict"),
    ],
)
def test_port_facts_cases(answer: Any, points: float, message: str | None) -> None:
    """Does the true/false table give one point per right statement and explain the wrong ones?"""
    got, failed = grade(ch3.port_facts, answer)
    assert got == points
    if message is not None:
        assert any(message in m for m in failed.values()), failed


# ---------------------------------------------------------------------------
# The lab harness
# ---------------------------------------------------------------------------

RIGHT_PREDICTION = {k: v for k, (v, _) in ch3.LAB_TRUTH.items()}


def reach_ok(lab: Any) -> Any:
    web, other = lab.pod("web-pod"), lab.pod("other-pod")
    web.serve("web", lab.port)
    return [web.fetch("sidecar", lab.port), other.fetch("client", lab.port), lab.fetch_here(lab.port)]


def clash_ok(lab: Any) -> Any:
    one, p1, p2 = lab.pod("one-pod"), lab.pod("pod-1"), lab.pod("pod-2")
    return [one.bind("a", lab.port), one.bind("b", lab.port), p1.bind("a", lab.port), p2.bind("a", lab.port)]


def reach_wrong_pod(lab: Any) -> Any:
    web, other = lab.pod("web-pod"), lab.pod("other-pod")
    web.serve("web", lab.port)
    return [other.fetch("sidecar", lab.port), other.fetch("client", lab.port), lab.fetch_here(lab.port)]


def clash_no_separate(lab: Any) -> Any:
    one = lab.pod("one-pod")
    return [one.bind("a", lab.port), one.bind("b", lab.port)]


def reuse_name(lab: Any) -> Any:
    web = lab.pod("web-pod")
    web.serve("web", lab.port)
    return web.fetch("web", lab.port)


def too_many_pods(lab: Any) -> Any:
    return [lab.pod(f"p{i}") for i in range(5)]


def bad_port(lab: Any) -> Any:
    return lab.pod("a").bind("a", "8080")


def raises(lab: Any) -> Any:
    raise ValueError("oops")


@pytest.mark.parametrize(
    ("experiment", "results", "error"),
    [
        (reach_ok, ["listening", "HTTP 200: hello from web", "failed (ConnectionRefusedError)",
                    "failed (ConnectionRefusedError)"], None),
        (clash_ok, ["bound", "EADDRINUSE", "bound", "bound"], None),
        (reach_wrong_pod, ["listening", "failed (ConnectionRefusedError)", "failed (ConnectionRefusedError)",
                           "failed (ConnectionRefusedError)"], None),
        (reuse_name, ["listening"], "already has a container named 'web'"),
        (too_many_pods, [], "at most 4 pods"),
        (bad_port, [], "is not a usable port"),
        (raises, [], "the experiment raised ValueError: oops"),
        ("not a function", [], "needs your experiment function"),
    ],
)
def test_replay_follows_one_namespace_per_pod(experiment: Any, results: list[str], error: str | None) -> None:
    """Does the replay answer each call as a per-pod network namespace would, and report mistakes as sentences?"""
    run = run_lab(experiment, live=False)
    seen = [ch3lab.fetch_text(e) if e["action"] == "fetch" else e["result"] for e in run["events"]]
    assert seen == results
    if error is None:
        assert "error" not in run and run["source"] == "recorded"
    else:
        assert error in run["error"]


def test_replay_port_clash_uses_recording() -> None:
    """Do the replay's outcomes come from the sandbox's recorded observations?"""
    rec = ch3lab.recorded_observations()
    assert rec["port_clash"]["same_pod"]["second"] == "EADDRINUSE"
    assert rec["network"]["other_pod"]["error"] == "ConnectionRefusedError"


def _lab_processes() -> list[int]:
    found = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/cmdline", "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            if b"hello from " in cmd or b"signal.alarm(60)\ntime.sleep(60)" in cmd:
                found.append(int(d))
    return found


@live_only
@pytest.mark.parametrize("experiment", [reach_ok, clash_ok, reuse_name, raises])
def test_live_run_matches_replay_and_cleans_up(experiment: Any) -> None:
    """Does a live run observe what the replay predicts, and leave no lab process behind?"""
    live, replay = run_lab(experiment), run_lab(experiment, live=False)
    assert live["source"] == "live", live.get("why_recorded")
    strip = [{k: v for k, v in e.items() if k != "port"} for e in live["events"]]
    assert strip == [{k: v for k, v in e.items() if k != "port"} for e in replay["events"]]
    assert ("error" in live) == ("error" in replay)
    assert _lab_processes() == []


@live_only
def test_live_port_is_free_outside() -> None:
    """Does the live lab pick a port nothing in the notebook's own namespace listens on?"""
    run = run_lab(lambda lab: lab.fetch_here(lab.port))
    assert run["events"][0]["reachable"] is False


def test_lab_error_is_a_plain_exception() -> None:
    """Is LabError an ordinary Exception a learner can catch?"""
    assert issubclass(LabError, Exception)


# ---------------------------------------------------------------------------
# Exercise 4: the lab grader
# ---------------------------------------------------------------------------


def lab_answer(prediction: Any = None, reach: Any = reach_ok, clash: Any = clash_ok) -> dict[str, Any]:
    return {"prediction": RIGHT_PREDICTION if prediction is None else prediction,
            "reach": run_lab(reach, live=False), "clash": run_lab(clash, live=False)}


def as_live(answer: dict[str, Any]) -> dict[str, Any]:
    """The same trace relabelled as a live run (the replay and a live run agree; tested above)."""
    return {**answer, "reach": {**answer["reach"], "source": "live"}, "clash": {**answer["clash"], "source": "live"}}


WRONG_PREDICTION = {**RIGHT_PREDICTION, "other_pod": "reachable", "same_pod_second_bind": "bound"}


@pytest.mark.parametrize(
    ("answer", "points", "failing"),
    [
        (lab_answer(), 9, []),
        (as_live(lab_answer()), 9, []),
        # Wrong predictions: a live run still earns the outcome points, a replay falls back to the predictions.
        (as_live(lab_answer(WRONG_PREDICTION)), 7, ["prediction: other_pod", "prediction: same_pod_second_bind"]),
        (lab_answer(WRONG_PREDICTION), 5, ["prediction: other_pod", "prediction: same_pod_second_bind",
                                           "reach: only the server's own pod got an answer (live run; predictions "
                                           "on a replay)",
                                           "clash: EADDRINUSE in one pod, both bound in separate pods (live run; "
                                           "predictions on a replay)"]),
        (lab_answer({**RIGHT_PREDICTION, "notebook": "yes please"}), 7,
         ["prediction: notebook", "reach: only the server's own pod got an answer (live run; predictions on a "
                                  "replay)"]),
        # A broken experiment loses both its checks, live or replayed.
        (lab_answer(reach=reach_wrong_pod), 7, ["reach: a server, a fetch from its own pod, from another pod and "
                                                "from the notebook",
                                                "reach: only the server's own pod got an answer (live run; "
                                                "predictions on a replay)"]),
        (as_live(lab_answer(reach=reach_wrong_pod)), 7, None),
        (lab_answer(clash=clash_no_separate), 7, None),
        (as_live(lab_answer(clash=clash_no_separate)), 7, None),
        (lab_answer(reach=reuse_name), 7, None),
        (lab_answer({}), 2, None),
        (as_live(lab_answer({})), 4, None),
    ],
)
def test_networking_lab_cases(answer: Any, points: float, failing: list[str] | None) -> None:
    """Does the lab grader score predictions, experiment and outcomes as the chapter promises, live or replayed?"""
    got, failed = grade(ch3.networking_lab, answer)
    assert got == points, failed
    if failing is not None:
        assert sorted(failed) == sorted(failing)


def test_live_outcome_catches_impossible_trace() -> None:
    """Does a live trace in which another pod reached a loopback-only server fail the outcome check?"""
    answer = as_live(lab_answer())
    events = [dict(e) for e in answer["reach"]["events"]]
    events[2].update(reachable=True, status=200, error=None)
    answer["reach"] = {**answer["reach"], "events": events}
    _, failed = grade(ch3.networking_lab, answer)
    assert "that should not happen" in failed["reach: only the server's own pod got an answer (live run; "
                                             "predictions on a replay)"]


def test_replay_fallback_says_why() -> None:
    """Does a replayed run with wrong predictions say that the outcome was graded from the predictions?"""
    _, failed = grade(ch3.networking_lab, lab_answer(WRONG_PREDICTION))
    assert any("ran from a recording" in m and "other_pod" in m for m in failed.values())


@pytest.mark.parametrize(
    "answer",
    [None, 5, "text", [], {"prediction": 3}, {"reach": "x", "clash": []}, {"reach": {"events": "nope"}},
     {"reach": {"events": [1, None, {"action": "serve", "pod": [], "port": {}}]}, "clash": {"events": [{}]}},
     {"prediction": {"sidecar": ["reachable"], 1: 2}}, {"reach": {"error": "x", "events": []}}],
)
def test_hostile_answers_never_raise(answer: Any) -> None:
    """Does every exercise grade a strange answer to a score without raising?"""
    for exercise in ch3.EXERCISES:
        points, results, _ = exercise.grade(answer, hidden=True)
        assert 0 <= points <= exercise.max_points
        assert all(not r.messages or all(isinstance(m, str) for m in r.messages) for r in results)


def test_points_match_notebook() -> None:
    """Do the exercises carry the points the chapter announces (7, 7, 10, 9)?"""
    assert [e.max_points for e in ch3.EXERCISES] == [7, 7, 10, 9]


# ---------------------------------------------------------------------------
# Requirement tables: equally correct answers earn full marks; breaking one stated
# requirement loses exactly the cases that grade it.
# ---------------------------------------------------------------------------

DIGEST = "sha256:" + "d" * 64


def _proxy_as_native_sidecar() -> str:
    import yaml

    doc = yaml.safe_load(sidecar_with())
    proxy = doc["spec"]["containers"].pop(1)
    doc["spec"]["initContainers"] = [{**proxy, "restartPolicy": "Always"}]
    return yaml.safe_dump(doc, sort_keys=False)


SIDECAR_ALTERNATIVES = [
    sidecar_with("http://127.0.0.1:8080/"),
    sidecar_with("http://localhost:$(APP_PORT)", **{'- {name: LISTEN_PORT, value: "9090"}':
                                                   '- {name: APP_PORT, value: "8080"}\n    '
                                                   '- {name: LISTEN_PORT, value: "9090"}'}),
    sidecar_with(**{"edge-proxy:1.4.0": f"edge-proxy:1.4.0@{DIGEST}", "{name: http, containerPort: 8080}":
                    "{containerPort: 8080, protocol: TCP}"}),
    _proxy_as_native_sidecar(),
]

P_NAME, P_PORTS, P_UP, P_HOST = ("the Pod is named orders", "app on 8080, proxy on 9090, no port clash",
                                 "the proxy reaches the app on localhost:8080", "no hostPort and no hostNetwork")
P_TWO, P_CLEAN = "two containers: app and proxy, with the given images", "the checker reports no errors"
SIDECAR_BREAKS = [
    ("name", sidecar_with(**{"name: orders": "name: orders-pod"}), {P_NAME}, "Set `name: orders`"),
    ("app-image", sidecar_with(**{"orders:3.2.0": "orders:3.2.1"}), {P_TWO}, "Use `image: ghcr.io/example/orders"),
    ("app-port", sidecar_with(**{"containerPort: 8080}": "containerPort: 8000}"}), {P_PORTS},
     "does not declare port 8080"),
    ("app-port-quoted", sidecar_with(**{"containerPort: 8080}": 'containerPort: "8080"}'}), {P_PORTS, P_CLEAN},
     "must be an integer"),
    ("listen-port", sidecar_with(**{'value: "9090"': 'value: "9091"'}), {P_PORTS}, "LISTEN_PORT is '9091'"),
    ("upstream-name", sidecar_with("http://app:8080"), {P_UP}, "container names are not host names"),
    ("upstream-port", sidecar_with("http://localhost:9090"), {P_UP}, "the app listens on 8080"),
    ("host-network", sidecar_with(**{"spec:\n": "spec:\n  hostNetwork: true\n"}), {P_HOST}, "Remove hostNetwork"),
]


@pytest.mark.parametrize("answer", SIDECAR_ALTERNATIVES)
def test_sidecar_alternatives(answer: str) -> None:
    """Does every equally correct proxy Pod (127.0.0.1, $(VAR), digest, native sidecar) earn full marks?"""
    got, failed = grade(ch3.sidecar, answer)
    assert got == ch3.sidecar.max_points, failed


@pytest.mark.parametrize(("answer", "names", "says"), [b[1:] for b in SIDECAR_BREAKS],
                         ids=[b[0] for b in SIDECAR_BREAKS])
def test_sidecar_requirements(answer: str, names: set[str], says: str) -> None:
    """Does breaking one requirement of the proxy Pod lose exactly its cases, with a message naming the fix?"""
    got, failed = grade(ch3.sidecar, answer)
    assert set(failed) == names, failed
    assert got == ch3.sidecar.max_points - len(names)
    assert any(says in m for m in failed.values()), failed


FIX_ALTERNATIVES = [
    fix(args='["--nginx.scrape-uri=http://localhost/stub_status", "--web.listen-address=[::]:9113"]'),
    fix(args='["--nginx.scrape-uri=http://localhost:80/stub_status", "--web.listen-address=:$(METRICS_PORT)"]')
    .replace("    args:", "    env: [{name: METRICS_PORT, value: \"9113\"}]\n    args:"),
    fix().replace("nginx-prometheus-exporter:1.3.0", f"nginx-prometheus-exporter:1.3.0@{DIGEST}")
    .replace("image: nginx:1.22", "image: docker.io/library/nginx:1.22"),
]

X_ID, X_CLASH, X_SAME, X_WEB = ("it is one Pod manifest named web-metrics",
                                "the port clash is gone and the checker reports no errors",
                                "still web (nginx:1.22) and exporter, same images", "web still serves on port 80")
X_LISTEN, X_SCRAPE, X_HOST = ("the exporter listens on the port it declares, not 80",
                              "the exporter still scrapes nginx on localhost:80", "no hostPort and no hostNetwork")
FIX_BREAKS = [
    ("name", fix().replace("name: web-metrics", "name: web"), {X_ID}, "Set `name: web-metrics`"),
    ("label", fix().replace("app: web", "app: website"), {X_ID}, "Keep `labels: {app: web}`"),
    ("image", fix().replace("exporter:1.3.0", "exporter:1.4.0"), {X_SAME}, "Keep `image: nginx/nginx-prometheus"),
    ("web-port", fix(web=8080), {X_WEB}, "web no longer declares port 80"),
    ("listen", fix(args='["--nginx.scrape-uri=http://localhost:80/stub_status", "--web.listen-address=:9114"]'),
     {X_LISTEN}, "its usual port, 9113"),
    ("scrape-path", fix(args='["--nginx.scrape-uri=http://localhost:80/status", "--web.listen-address=:9113"]'),
     {X_SCRAPE}, "Keep the path /stub_status"),
    ("host-port", fix().replace("- containerPort: 9113", "- containerPort: 9113\n      hostPort: 9113"),
     {X_HOST}, "Remove hostPort"),
]


@pytest.mark.parametrize("answer", FIX_ALTERNATIVES)
def test_port_fix_alternatives(answer: str) -> None:
    """Does every equally correct fix (default port 80, [::], $(VAR), registry and digest) earn full marks?"""
    got, failed = grade(ch3.port_fix, answer)
    assert got == ch3.port_fix.max_points, failed


@pytest.mark.parametrize(("answer", "names", "says"), [b[1:] for b in FIX_BREAKS], ids=[b[0] for b in FIX_BREAKS])
def test_port_fix_requirements(answer: str, names: set[str], says: str) -> None:
    """Does breaking one stated or kept requirement of the fix lose exactly its cases, saying what to keep?"""
    got, failed = grade(ch3.port_fix, answer)
    assert set(failed) == names, failed
    assert got == ch3.port_fix.max_points - len(names)
    assert any(says in m for m in failed.values()), failed


@pytest.mark.parametrize("answer", [
    {k: "true" if v else "false" for k, v in RIGHT_FACTS.items()},
    {k: "Yes" if v else "No" for k, v in RIGHT_FACTS.items()},
    {f"{k.lower()} ": "T" if v else "F" for k, v in RIGHT_FACTS.items()},
])
def test_port_facts_alternatives(answer: dict[str, Any]) -> None:
    """Are true/false written as words, any case and padded keys read as the same verdicts?"""
    assert grade(ch3.port_facts, answer)[0] == 10


@pytest.mark.parametrize("letter", sorted(ch3.PORT_STATEMENTS))
def test_port_facts_each_statement(letter: str) -> None:
    """Does one misjudged statement lose exactly its point and explain it?"""
    got, failed = grade(ch3.port_facts, {**RIGHT_FACTS, letter: not RIGHT_FACTS[letter]})
    assert got == 9 and list(failed) == [f"statement {letter}"]
    assert ch3.PORT_STATEMENTS[letter][1] in failed[f"statement {letter}"]


def clash_serve_first(lab: Any) -> Any:
    """A correct clash experiment whose first holder is a server: the order of events decides the clash."""
    one, p1, p2 = lab.pod("one-pod"), lab.pod("pod-1"), lab.pod("pod-2")
    return [one.serve("web", lab.port), one.bind("b", lab.port), p1.bind("a", lab.port), p2.serve("a", lab.port)]


def reach_other_order(lab: Any) -> Any:
    other, web = lab.pod("client-pod"), lab.pod("web-pod")
    here = lab.fetch_here(lab.port)
    web.serve("web", lab.port)
    return [other.fetch("client", lab.port), web.fetch("sidecar", lab.port), here]


@pytest.mark.parametrize("answer", [
    lab_answer(clash=clash_serve_first),
    as_live(lab_answer(clash=clash_serve_first)),
    as_live(lab_answer(reach=reach_other_order)),
    lab_answer({k: {"reachable": "yes", "refused": "connection refused", "bound": "succeeds",
                    "EADDRINUSE": "address already in use"}[v] for k, v in RIGHT_PREDICTION.items()}),
])
def test_networking_lab_alternatives(answer: dict[str, Any]) -> None:
    """Do correct experiments in another order (a server holding the port first) and synonyms earn full marks?"""
    got, failed = grade(ch3.networking_lab, answer)
    assert got == 9, failed


@pytest.mark.parametrize("key", sorted(ch3.LAB_TRUTH))
def test_networking_lab_each_prediction(key: str) -> None:
    """On a live run, does one wrong prediction lose exactly its point and explain the outcome?"""
    flip = {"reachable": "refused", "refused": "reachable", "bound": "EADDRINUSE", "EADDRINUSE": "bound"}
    got, failed = grade(ch3.networking_lab, as_live(lab_answer({**RIGHT_PREDICTION, key: flip[RIGHT_PREDICTION[key]]})))
    assert got == 8 and list(failed) == [f"prediction: {key}"]
    assert ch3.LAB_TRUTH[key][1] in failed[f"prediction: {key}"]
