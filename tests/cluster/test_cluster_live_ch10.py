"""Chapter 10 on a real course cluster (`pytest -m cluster`): the ambassador forwards, the adapter translates.

The reference answer of the live cell earns full marks with PODCOURSE_LIVE=required: from `app`,
localhost:5432 answers with the stand-in database's page, through busybox `nc` in the native
sidecar `db-ambassador`. The chapter's classic mistakes still become Ready but lose the point the
chapter teaches: an app that still dials the production host cannot resolve it, and an ambassador
declared as a regular container is no native sidecar. The adapter's reference answer serves billing's
rewritten status file as billing_* metrics on localhost:9100 and cannot write the status volume; with
--input at billing's own path and a writable mount it runs but loses both points. Skipped when no
course cluster answers.
"""

from __future__ import annotations

import pytest
import yaml
from cluster_support import solution_answer

from graders import ch10

pytestmark = pytest.mark.cluster


def _answer() -> str:
    return solution_answer("ch10", "SHOP_POD")


def _ambassador_as_regular_container(text: str) -> str:
    doc = yaml.safe_load(text)
    amb = doc["spec"].pop("initContainers")[0]
    assert amb["name"] == "db-ambassador", "the reference answer changed; update this test"
    amb.pop("restartPolicy")
    amb.pop("startupProbe", None)
    doc["spec"]["containers"].insert(0, amb)
    return yaml.safe_dump(doc, sort_keys=False)


def test_reference_shop_pod_earns_full_live_marks(required, capfd):
    """Does the reference SHOP_POD reach the stand-in database on localhost through its native sidecar (3/3)?"""
    score = ch10.ambassador_live(_answer())
    out = capfd.readouterr()
    assert float(score) == ch10.ambassador_live.max_points == 3, out.out
    assert out.err == ""


def test_app_dialling_the_production_host_loses_the_reach_point(required, capfd):
    """With DATABASE_URL still naming the production host, does the Pod run but fail to reach the database?"""
    answer = _answer().replace("@localhost:5432", f"@{ch10.DB_HOST}:5432")
    score = ch10.ambassador_live(answer)
    out = capfd.readouterr().out
    assert float(score) == 2, out
    assert "did not answer with the stand-in database's page" in out


def test_ambassador_as_regular_container_loses_the_sidecar_point(required, capfd):
    """As a regular container, does the ambassador still forward but lose the native-sidecar point?"""
    score = ch10.ambassador_live(_ambassador_as_regular_container(_answer()))
    out = capfd.readouterr().out
    assert float(score) == 2, out
    assert "containerStatuses, not its initContainerStatuses" in out


# ---------------------------------------------------------------- the adapter really serves translated metrics


def _billing() -> str:
    return solution_answer("ch10", "BILLING_POD")


def test_reference_billing_pod_earns_full_live_marks(required, capfd):
    """Does the reference BILLING_POD serve billing's rewritten status as billing_* metrics, read-only (3/3)?"""
    score = ch10.adapter_live(_billing())
    out = capfd.readouterr()
    assert float(score) == ch10.adapter_live.max_points == 3, out.out
    assert out.err == ""


def test_input_as_billing_sees_it_and_a_writable_mount_lose_their_points(required, capfd):
    """With --input at billing's path and a writable mount, does the Pod run but serve nothing and allow writes?"""
    answer = (_billing().replace("--input=/status/status.txt", "--input=/var/run/billing/status.txt")
              .replace("      readOnly: true\n", ""))
    assert answer != _billing(), "the reference answer changed; update this test"
    score = ch10.adapter_live(answer)
    out = capfd.readouterr().out
    assert float(score) == 1, out
    assert "cannot read --input=/var/run/billing/status.txt" in out
    assert "metrics-adapter could write /status/.podcourse-write-probe" in out
