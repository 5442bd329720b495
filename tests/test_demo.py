"""`make demo`: a synthetic class graded end to end, for every released chapter."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from graders import pipeline

sys.path.insert(0, str(pipeline.ROOT / "tools"))
import demo

pytestmark = pytest.mark.slow


def test_demo_finds_released_chapters_by_itself(tmp_path: Path) -> None:
    """Does the demo pick up a chapter as soon as it has solutions/ and a committed release, and only then?"""
    for a in ("ch1", "ch7", "ch12"):
        (tmp_path / "solutions" / a).mkdir(parents=True)
        (tmp_path / "solutions" / a / f"{a}.ipynb").write_text("{}")
    for a in ("ch1", "ch12"):
        (tmp_path / "notebooks" / a).mkdir(parents=True)
        (tmp_path / "notebooks" / a / f"{a}.ipynb").write_text("{}")
    assert demo.released(tmp_path) == ["ch1", "ch12"]


def test_demo_grades_a_class_and_exports(tmp_path: Path) -> None:
    """Does `tools/demo.py ch1` export grades.csv and feedback with full, partial and zero scores?"""
    proc = subprocess.run([sys.executable, str(pipeline.ROOT / "tools" / "demo.py"), "--out", str(tmp_path), "ch1"],
                          capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = {r["student_id"]: r for r in csv.DictReader((tmp_path / "grades.csv").open())}
    assert set(rows) == set(demo.CLASS)
    full = float(rows["ada"]["max_score"])
    assert float(rows["ada"]["score"]) == full > 0
    assert float(rows["farah"]["score"]) == 0 == float(rows["gus"]["score"])
    assert any(0 < float(r["score"]) < full for r in rows.values())
    assert all(any((tmp_path / "feedback" / s / "ch1").glob("*.html")) for s in demo.CLASS)
    assert "ada" in proc.stdout and "total" in proc.stdout
