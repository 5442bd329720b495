"""Chapter 8's live cell against a real kind cluster (`pytest -m kind`).

On a real node the API server computes `status.qosClass` itself and the kernel enforces the
memory limit: the reference answer must earn every live point, and the chapter's classic
mistake (an init container without resources) must lose the qosClass point, and only that one.
Skipped when no course cluster answers.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from course.cluster.client import connect, reachable
from course.cluster.errors import ClusterError
from graders import ch8, live, pipeline

pytestmark = pytest.mark.kind

REPO = Path(__file__).resolve().parents[2]
INIT_RESOURCES = "    resources:\n      limits:\n        cpu: 100m\n        memory: 32Mi\n"


@pytest.fixture(scope="module")
def cluster():
    try:
        api = connect()
    except ClusterError as exc:
        pytest.skip(f"no course cluster: {exc.message}")
    why = reachable(api)
    if why is not None:
        pytest.skip(f"no course cluster: {why}")
    return api


@pytest.fixture
def required(monkeypatch, cluster):
    monkeypatch.setenv("PODCOURSE_LIVE", "required")
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setattr(live, "CONNECT", None)


def reference() -> str:
    """GUARANTEED_POD as the solution notebook gives it."""
    for nb_path in pipeline.notebooks_of(REPO / "solutions" / "ch8"):
        for cell in nbformat.read(nb_path, as_version=4).cells:
            if re.search(r"^GUARANTEED_POD\s*=", cell.source, re.M) and "### BEGIN SOLUTION" in cell.source:
                return cell.source.split("### BEGIN SOLUTION", 1)[1].split("### END SOLUTION", 1)[0]
    raise LookupError("ch8 has no GUARANTEED_POD answer cell")


def test_reference_is_guaranteed_and_oom_killed_at_its_limit(required, capfd):
    """Does the reference Pod run, get qosClass Guaranteed from the API server and get OOMKilled at 64Mi (3/3)?"""
    score = ch8.guaranteed_live(reference())
    out = capfd.readouterr()
    assert float(score) == 3, out.out
    assert out.err == ""


def test_init_container_without_resources_is_burstable(required, capfd):
    """Does forgetting the init container's resources lose exactly the qosClass point, for that reason?"""
    answer = reference()
    assert INIT_RESOURCES in answer, "the reference answer changed; update INIT_RESOURCES"
    score = ch8.guaranteed_live(answer.replace(INIT_RESOURCES, "", 1))
    out = capfd.readouterr()
    assert float(score) == 2, out.out
    assert "the API server recorded 'Burstable', not 'Guaranteed'" in out.out
    assert 'init container "db-migrate" has no cpu limit' in out.out


def test_limit_range_would_have_hidden_the_mistake(required):
    """Is the sandbox LimitRange really off? (With it, its defaults would make the same Pod Guaranteed.)"""
    from course.cluster import builders

    lr = builders.limit_range_manifest()["spec"]["limits"][0]
    assert lr["default"] == lr["defaultRequest"]  # why the live cell runs with limit_range=False
    assert ch8.guaranteed_live.limit_range is False
