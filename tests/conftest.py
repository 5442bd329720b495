"""Shared fixtures: where the read-only reference material lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """`../shared` beside the checkout, or $POD_COURSE_SHARED."""
    env = os.environ.get("POD_COURSE_SHARED")
    return Path(env) if env else REPO.parent / "shared"


SHARED = shared_dir()


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"reference material not found at {SHARED} (set POD_COURSE_SHARED)")
    return SHARED


@pytest.fixture(autouse=True)
def _no_course_cluster_outside_the_cluster_tier(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
                                                tmp_path_factory: pytest.TempPathFactory) -> None:
    """Unit tests never find a running local engine or a named course context; the cluster tier does."""
    if request.node.get_closest_marker("cluster") or request.node.get_closest_marker("lifecycle"):
        return
    monkeypatch.setenv("PODCOURSE_LOCAL_DIR", str(tmp_path_factory.getbasetemp() / "no-local-cluster"))
    monkeypatch.delenv("PODCOURSE_CONTEXT", raising=False)
    monkeypatch.delenv("PODCOURSE_KUBECONFIG", raising=False)
