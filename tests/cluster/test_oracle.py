"""The API server as the static checker's oracle (`pytest -m cluster`).

Every Pod and pod template of the shared corpus, every PASS/FAIL example of the rule registry
and thousands of mutations of valid Pods go to the course cluster's API server as server-side
dry-runs, and through the checker (tools/oracle.py). Where the two disagree the server is
right: each disagreement is fixed in the checker or listed in oracle_known.yaml with its
reason. A new disagreement fails, and so does a listed one that no longer happens.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SHARED
from tools import oracle

pytestmark = pytest.mark.cluster

KNOWN = Path(__file__).with_name("oracle_known.yaml")


@pytest.fixture(scope="module")
def outcomes(cluster: Any) -> list[oracle.Outcome]:
    return oracle.run(cluster, oracle.all_cases(SHARED if SHARED.is_dir() else None))


def test_every_source_is_submitted(outcomes: list[oracle.Outcome]) -> None:
    """Are the corpus, every registry example and at least 2,000 mutations all judged by the server?"""
    by_origin = Counter(o.case.origin for o in outcomes)
    assert by_origin["mutation"] >= 2000
    assert by_origin["rule"] >= 150
    if SHARED.is_dir():
        assert by_origin["corpus"] >= 500
    comparable = [o for o in outcomes if not (o.server.environment and not o.server.accepted)]
    assert len(comparable) >= 0.98 * len(outcomes), "too many cases the server could not judge"


def test_no_disagreement_beyond_the_listed_ones(outcomes: list[oracle.Outcome]) -> None:
    """Does the checker agree with the API server on verdict, error paths, PSS level and QoS, except where listed?"""
    known = oracle.known(KNOWN)
    found = {(o.case.id, aspect): detail for o in outcomes for aspect, detail in o.disagreements}
    new = sorted(f"{case} [{aspect}]: {detail}" for (case, aspect), detail in found.items()
                 if (case, aspect) not in known)
    stale = sorted(f"{case} [{aspect}]" for case, aspect in known if (case, aspect) not in found)
    assert not new, "the checker disagrees with the API server:\n" + "\n".join(new)
    assert not stale, "listed in oracle_known.yaml but the checker now agrees (remove them):\n" + "\n".join(stale)


def test_every_listed_disagreement_says_why() -> None:
    """Does every listed disagreement carry a reason a reviewer can check?"""
    for (case, aspect), reason in oracle.known(KNOWN).items():
        assert aspect in ("verdict", "fields", "pss", "qos"), case
        assert isinstance(reason, str) and len(reason) > 20, case
