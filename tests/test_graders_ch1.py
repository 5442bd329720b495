"""Chapter 1 graders on typical answers, without nbgrader (the pipeline tests cover nbgrader)."""

from __future__ import annotations

from typing import Any

import pytest

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
