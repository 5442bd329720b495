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
