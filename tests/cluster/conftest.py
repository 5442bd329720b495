"""Fixtures of the real-cluster tier (`pytest -m kind`): the course cluster, or a skip."""

from __future__ import annotations

from typing import Any

import pytest

from course.cluster.client import connect, reachable
from course.cluster.errors import ClusterError
from graders import live


@pytest.fixture(scope="session")
def cluster() -> Any:
    """An API client for the course cluster; skips the test when none answers."""
    try:
        api = connect()
    except ClusterError as exc:
        pytest.skip(f"no course cluster: {exc.message}")
    why = reachable(api)
    if why is not None:
        pytest.skip(f"no course cluster: {why}")
    return api


@pytest.fixture
def required(monkeypatch: pytest.MonkeyPatch, cluster: Any) -> Any:
    """Live cells must reach the real cluster (PODCOURSE_LIVE=required), as when an instructor grades; the client."""
    monkeypatch.setenv("PODCOURSE_LIVE", "required")
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setattr(live, "CONNECT", None)
    return cluster
