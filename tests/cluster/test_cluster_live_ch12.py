"""Chapter 12 on a real course cluster (`pytest -m cluster`): the storefront Pod under `restricted`.

The reference answer of the live cell earns full marks with PODCOURSE_LIVE=required: the restricted
sandbox admits it, fetch-config finishes before web starts, web becomes Ready through the learner's own
probes, log-shipper runs beside it as a native sidecar reading its log, and the API server records
Guaranteed. Two classic mistakes lose the point they are about: a log shipper declared as a regular
container, and a Pod without limits on its helpers (Burstable). Skipped when no course cluster answers.
"""

from __future__ import annotations

import pytest
import yaml
from cluster_support import solution_answer

from graders import ch12

pytestmark = pytest.mark.cluster


def _answer() -> str:
    return solution_answer("ch12", "STOREFRONT")


def _shipper_as_regular_container(text: str) -> str:
    doc = yaml.safe_load(text)
    fetch, shipper = doc["spec"]["initContainers"]
    assert shipper["name"] == "log-shipper", "the reference answer changed; update this test"
    shipper.pop("restartPolicy")
    doc["spec"]["initContainers"] = [fetch]
    doc["spec"]["containers"].append(shipper)
    return yaml.safe_dump(doc, sort_keys=False)


def _metrics_requests_only(text: str) -> str:
    doc = yaml.safe_load(text)
    metrics = doc["spec"]["containers"][1]
    assert metrics["name"] == "metrics", "the reference answer changed; update this test"
    metrics["resources"] = {"requests": {"cpu": "100m", "memory": "32Mi"}}
    return yaml.safe_dump(doc, sort_keys=False)


def test_reference_storefront_earns_full_live_marks(required, capfd):
    """Is the reference STOREFRONT admitted under restricted, initialised first, Ready, with its sidecar (4/4)?"""
    score = ch12.storefront_live(_answer())
    out = capfd.readouterr()
    assert float(score) == ch12.storefront_live.max_points == 4, out.out
    assert out.err == ""


def test_shipper_as_regular_container_loses_the_sidecar_point(required, capfd):
    """As a regular container, does log-shipper still read the log but lose the native-sidecar point?"""
    score = ch12.storefront_live(_shipper_as_regular_container(_answer()))
    out = capfd.readouterr().out
    assert float(score) == 3, out
    assert "a regular container, not a native sidecar" in out


def test_helper_without_limits_is_burstable(required, capfd):
    """With metrics setting requests only, does the API server record Burstable and the QoS point go?"""
    score = ch12.storefront_live(_metrics_requests_only(_answer()))
    out = capfd.readouterr().out
    assert float(score) == 3, out
    assert "recorded 'Burstable'" in out
