"""Chapter 11 on a real course cluster (`pytest -m cluster`): the repaired Pod runs, the broken one does not.

The reference answer of the live cell earns full marks with PODCOURSE_LIVE=required: nginx:1.22 and
busybox:1.35 are course images, so the Pod runs exactly as written, becomes Ready, and the given broken Pod
created beside it stays unschedulable (64Gi) and unpullable (nginx:1.222). Two of the chapter's faults, left
in, still cost the points they should: the `sleeep` typo crash-loops with exit code 127, and a readiness
probe on port 8080 keeps the Pod Running but never Ready. Skipped when no course cluster answers.
"""

from __future__ import annotations

import pytest
from cluster_support import solution_answer

from graders import ch11

pytestmark = pytest.mark.cluster


def _answer() -> str:
    return solution_answer("ch11", "FIXED_POD")


def test_reference_fixed_pod_earns_full_live_marks(required, capfd):
    """Does the reference FIXED_POD become Ready and stay so, while the given broken Pod does not (3/3)?"""
    score = ch11.fix_live(_answer())
    out = capfd.readouterr()
    assert float(score) == ch11.fix_live.max_points == 3, out.out
    assert out.err == ""


def test_command_typo_crash_loops(required, capfd):
    """With `sleeep` left in, does heartbeat exit 127 into CrashLoopBackOff, so the Pod never becomes Ready?"""
    answer = _answer().replace("sleep 3600", "sleeep 3600")
    assert "sleeep" in answer, "the reference answer changed; update this test"
    score = ch11.fix_live(answer)
    out = capfd.readouterr().out
    assert float(score) == 0, out
    assert "exit code 127" in out or "CrashLoopBackOff" in out


def test_readiness_on_the_wrong_port_never_ready(required, capfd):
    """With the readiness probe still on 8080, does the Pod run but never become Ready (0 points)?"""
    answer = _answer().replace("port: http", "port: 8080")
    assert "port: 8080" in answer, "the reference answer changed; update this test"
    score = ch11.fix_live(answer)
    out = capfd.readouterr().out
    assert float(score) == 0, out
