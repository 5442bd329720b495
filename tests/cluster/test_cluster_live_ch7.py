"""Chapter 7's live cell against a real kind cluster (`pytest -m kind`).

On a real node the kubelet runs the learner's probes against the busybox httpd stand-in: the
reference answer must earn every live point (not Ready until /ready answers, Ready after it
does, restarted once /healthz stops answering), and the chapter's classic mistakes must lose the
behaviour point they break, for the reason the chapter teaches. Skipped when no course cluster
answers. Each run takes well under a minute with the reference timing (periods of 2-3 seconds).
"""

from __future__ import annotations

import re

import pytest
from cluster_support import solution_answer

from graders import ch7

pytestmark = pytest.mark.cluster

READINESS = "    readinessProbe:\n      httpGet:\n        path: /ready\n"
LIVENESS_BLOCK = re.compile(r"    livenessProbe:\n(?:      .*\n)+")


def reference() -> str:
    """WEB_PROBES as the solution notebook gives it."""
    return solution_answer("ch7", "WEB_PROBES")


def test_reference_is_gated_by_readiness_and_restarted_by_liveness(required, capfd):
    """Does the reference Pod stay not Ready until /ready answers, turn Ready, and get restarted once /healthz fails?"""
    score = ch7.web_probes_live(reference())
    out = capfd.readouterr()
    assert float(score) == 3, out.out
    assert out.err == ""


def test_readiness_on_the_liveness_path_loses_the_gating_point(required, capfd):
    """With readiness checking /healthz (as liveness does), is the Pod Ready too early, losing only that point?"""
    answer = reference()
    assert READINESS in answer, "the reference answer changed; update this test"
    score = ch7.web_probes_live(answer.replace(READINESS, READINESS.replace("/ready", "/healthz")))
    out = capfd.readouterr()
    assert float(score) == 2, out.out
    assert "became Ready before the check made /healthz answer" in out.out
    assert "the path the livenessProbe checks" in out.out


def test_without_liveness_nothing_restarts_the_container(required, capfd):
    """Without a livenessProbe, does a container whose /healthz fails keep running, losing only the restart point?"""
    answer = reference()
    assert LIVENESS_BLOCK.search(answer), "the reference answer changed; update this test"
    score = ch7.web_probes_live(LIVENESS_BLOCK.sub("", answer))
    out = capfd.readouterr()
    assert float(score) == 2, out.out
    assert "the kubelet has not restarted web (restartCount is still 0)" in out.out
