"""Chapter 8's live cell against a real kind cluster (`pytest -m kind`).

On a real node the API server computes `status.qosClass` itself and the kernel enforces the
memory limit: the reference answer must earn every live point, and the chapter's classic
mistake (an init container without resources) must lose the qosClass point, and only that one.
Skipped when no course cluster answers.
"""

from __future__ import annotations

import pytest
from cluster_support import solution_answer

from graders import ch8

pytestmark = pytest.mark.cluster

INIT_RESOURCES = "    resources:\n      limits:\n        cpu: 100m\n        memory: 32Mi\n"


def reference() -> str:
    """GUARANTEED_POD as the solution notebook gives it."""
    return solution_answer("ch8", "GUARANTEED_POD")


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
