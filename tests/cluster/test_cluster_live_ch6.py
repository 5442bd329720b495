"""Chapter 6 on a real kind cluster (`pytest -m kind`): init order and native sidecars really behave so.

The reference answer of the live cell earns full marks with PODCOURSE_LIVE=required; the Compose
habit (db-proxy as a regular container) still becomes Ready but loses both behaviour points for
the reason the chapter teaches; and the batch Pod of Exercise 3 completes with its log shipper as
a native sidecar but not with the shipper as a regular container. Skipped when no course cluster
answers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from cluster_support import solution_answer

from graders import ch6

pytestmark = pytest.mark.cluster

REPO = Path(__file__).resolve().parents[2]


def _answer(var: str) -> str:
    return solution_answer("ch6", var)


def _proxy_as_regular_container(text: str) -> str:
    doc = yaml.safe_load(text)
    names = [c["name"] for c in doc["spec"]["initContainers"]]
    assert names[0] == "db-proxy", f"the reference answer changed; update this test ({names})"
    proxy = doc["spec"]["initContainers"].pop(0)
    proxy.pop("restartPolicy")
    proxy.pop("startupProbe", None)
    doc["spec"]["containers"].insert(0, proxy)
    return yaml.safe_dump(doc, sort_keys=False)


def test_reference_orders_pod_earns_full_live_marks(required, capfd):
    """Does the reference ORDERS_POD start db-proxy, migrate, app in order and keep the sidecar running (3/3)?"""
    score = ch6.orders_live(_answer("ORDERS_POD"))
    out = capfd.readouterr()
    assert float(score) == ch6.orders_live.max_points == 3, out.out
    assert out.err == ""


def test_proxy_as_regular_container_loses_the_behaviour_points(required, capfd):
    """The Compose habit on a real cluster: Ready, but migrate ran before db-proxy and db-proxy is no sidecar?"""
    score = ch6.orders_live(_proxy_as_regular_container(_answer("ORDERS_POD")))
    out = capfd.readouterr().out
    assert float(score) == 1, out
    assert "migrate started before db-proxy" in out
    assert "containerStatuses, not its initContainerStatuses" in out


def _check(manifest: str, timeout: float):
    from course.cluster import live as cluster

    return cluster.check_pod(yaml.safe_load(manifest), slug="ch6-report", pss_level="baseline", until="Completed",
                             timeout=timeout, poll=1.0, policy="required")


def test_batch_pod_with_native_sidecar_succeeds(cluster):
    """Does the reference nightly-report Pod reach Succeeded although its log shipper never exits by itself?"""
    res = _check(_answer("REPORT_POD"), timeout=90)
    assert res.status == "passed", str(res)
    assert res.report is not None and res.report.phase == "Succeeded"


def test_batch_pod_with_regular_shipper_never_completes(cluster):
    """With the shipper as a regular container, does the Pod stay Running after report is done (a timeout)?"""
    doc = yaml.safe_load(_answer("REPORT_POD"))
    shipper = doc["spec"].pop("initContainers")[0]
    shipper.pop("restartPolicy")
    doc["spec"]["containers"].append(shipper)
    res = _check(yaml.safe_dump(doc), timeout=30)
    assert res.status == "failed" and res.report is not None and res.report.phase == "Running", str(res)
    assert any(f.rule == "live-timeout" for f in res.findings)
