"""Helpers the grader tests share: editing manifests, grading answers, and running live checks on the API double.

A plain module, like kube_double (which has the `double` fixture), that the test files import.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from kube_double import Double, status

from course.cluster.client import client_at
from graders import live

DEAD = "http://127.0.0.1:9"  # nothing listens there: a cluster that cannot be reached

# ---------------------------------------------------------------- static graders

# Answers no grader can read: the untouched placeholder, empty values, wrong types, broken YAML, bad bytes.
UNREADABLE: list[Any] = [None, "", "\n# YOUR ANSWER HERE\n", {}, 42, "[1, 2", b"\xff\xfe", [], True]
# A YAML "billion laughs": nine levels of aliases, each repeating the one below nine times.
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi", strict=True))


def edit(text: str, path: str, value: Any = None, *, delete: bool = False) -> str:
    """The manifest with one field (dotted path, list indexes as numbers) set, appended to its list or deleted."""
    doc = yaml.safe_load(text)
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node = doc
    for p in parents:
        node = node.setdefault(p, {}) if isinstance(node, dict) else node[p]
    if delete:
        del node[last]
    elif isinstance(node, list) and last == len(node):
        node.append(value)
    else:
        node[last] = value
    return yaml.safe_dump(doc, sort_keys=False)


def score(exercise: Any, answer: Any) -> tuple[float, str]:
    """Points with hidden cases, and every message the grader gave, one per line."""
    points, results, _ = exercise.grade(answer, hidden=True)
    return points, "\n".join(m for r in results for m in r.messages)


def failed_list(exercise: Any, answer: Any) -> list[str]:
    """Names of the cases the answer fails, hidden cases included, in the exercise's order."""
    _, results, _ = exercise.grade(answer, hidden=True)
    return [r.case.name for r in results if not r.passed]


def failed(exercise: Any, answer: Any) -> set[str]:
    """Names of the cases the answer fails, hidden cases included."""
    return set(failed_list(exercise, answer))


def assert_graceful(exercise: Any, answer: Any) -> None:
    """A hostile answer earns at most half the points, with a message, and none of the grader's cases crashed."""
    got, text = score(exercise, answer)
    assert 0 <= got <= exercise.max_points / 2
    assert text
    assert "could not run on your answer" not in text, text


def case(exercise: Any, start: str) -> str:
    """The full name of the exercise's one case that starts with `start`."""
    (name,) = [c.name for c in exercise.cases if c.name.startswith(start)]
    return name


def notebook_cells(path: Path) -> list[dict[str, Any]]:
    """The cells of a notebook file, as its JSON has them."""
    return json.loads(path.read_text())["cells"]


def solution_body(notebook: Path, answer_name: str) -> str:
    """What lies between BEGIN and END SOLUTION in the notebook's first cell that starts `answer_name = `."""
    src = next("".join(c["source"]) for c in notebook_cells(notebook)
               if "".join(c["source"]).startswith(f"{answer_name} = "))
    return src.split("### BEGIN SOLUTION", 1)[1].split("### END SOLUTION", 1)[0]


def graded_points(notebook: Path) -> dict[str, Any]:
    """{grade_id: points} for the notebook's graded cells."""
    return {c["metadata"]["nbgrader"]["grade_id"]: c["metadata"]["nbgrader"]["points"] for c in notebook_cells(notebook)
            if c["metadata"].get("nbgrader", {}).get("grade")}


# ---------------------------------------------------------------- live checks on the API double


def live_results(exercise: Any, answer: Any) -> tuple[float, list[tuple[bool, list[str]]]]:
    """(points, per-case (passed, messages)) of the live cell's own call."""
    got = exercise(answer)
    return float(got), [(r.passed, r.messages) for r in got.results]


def assert_passes(double: Double, capfd: pytest.CaptureFixture[str],
                  result: tuple[float, list[tuple[bool, list[str]]]], max_points: float, says: str) -> None:
    """The live cell passed every case for `max_points`, printed `says`, kept stderr empty and removed its sandbox."""
    points, cases = result
    out = capfd.readouterr()
    assert points == max_points, out.out
    assert all(ok for ok, _ in cases)
    assert out.err == ""
    assert says in out.out
    assert double.namespaces() == {}


def assert_refused(double: Double, capfd: pytest.CaptureFixture[str],
                   run: Callable[[], tuple[float, list[tuple[bool, list[str]]]]], text: str) -> None:
    """A dry-run that Pod Security refuses with `text` fails the run case quoting it, and nothing is created."""
    double.refuse_dry_run(status(403, "Forbidden", text))
    points, cases = run()
    assert points == 0 and text in cases[0][1][0] and "(live-forbidden-pss)" in cases[0][1][0]
    assert double.dry_runs() == ["All"]
    assert double.namespaces() == {} and capfd.readouterr().err == ""


def unreachable(monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], exercise: Any, answer: Any,
                policy: str) -> tuple[float, Any]:
    """Points and captured output of the live cell under PODCOURSE_LIVE=`policy` when no cluster answers."""
    monkeypatch.setenv("PODCOURSE_LIVE", policy)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setattr(live, "CONNECT", lambda: client_at(DEAD))
    got = float(exercise(answer))
    return got, capfd.readouterr()


def uncontacted(monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], exercise: Any,
                answer: Any) -> tuple[float, Any]:
    """Points and captured output of the live cell under the default policy; contacting a cluster fails the test."""
    monkeypatch.delenv("PODCOURSE_LIVE", raising=False)
    monkeypatch.setattr(live, "CONNECT", lambda: pytest.fail("a cluster was contacted"))
    got = float(exercise(answer))
    return got, capfd.readouterr()


def policies(points: float, *, off: bool = True) -> list[tuple[str, float, str]]:
    """(policy, points, what the cell prints) for each PODCOURSE_LIVE policy when there is no cluster."""
    rows = [("auto", points, "live check skipped: no cluster"), ("required", 0, "live check failed: no cluster")]
    return [*rows, ("off", points, "live check off (PODCOURSE_LIVE=off)")] if off else rows


def container_status(name: str, state: dict[str, Any], *, ready: bool = False, started: bool | None = None,
                     restarts: int = 0, last: dict[str, Any] | None = None, image: str = "busybox:1.35",
                     ) -> dict[str, Any]:
    """A containerStatuses entry as the kubelet writes it (`last`: the terminated lastState, if any)."""
    out = {"name": name, "image": image, "imageID": "", "ready": ready, "restartCount": restarts,
           "started": ready if started is None else started, "state": state}
    if last is not None:
        out["lastState"] = {"terminated": last}
    return out


def pod_status(phase: str, ready: bool, inits: list[dict[str, Any]] | None, regular: list[dict[str, Any]], *,
               initialized: bool = True, qos: str = "Burstable") -> dict[str, Any]:
    """A Pod's status with the five usual conditions (no initContainerStatuses when `inits` is None)."""
    conds = [{"type": "PodScheduled", "status": "True"}, {"type": "PodReadyToStartContainers", "status": "True"},
             {"type": "Initialized", "status": "True" if initialized else "False"},
             {"type": "ContainersReady", "status": "True" if ready else "False"},
             {"type": "Ready", "status": "True" if ready else "False"}]
    out: dict[str, Any] = {"phase": phase, "conditions": conds, "qosClass": qos}
    if inits is not None:
        out["initContainerStatuses"] = inits
    out["containerStatuses"] = regular
    return out
