"""Helpers shared by the real-cluster tests."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from graders import pipeline

REPO = Path(__file__).resolve().parents[2]


def solution_answer(chapter: str, var: str) -> str:
    """The reference answer of `var` in a chapter's solution notebook (the text between the solution markers)."""
    for nb_path in pipeline.notebooks_of(REPO / "solutions" / chapter):
        for cell in nbformat.read(nb_path, as_version=4).cells:
            if re.search(rf"^{var}\s*=", cell.source, re.M) and "### BEGIN SOLUTION" in cell.source:
                return cell.source.split("### BEGIN SOLUTION", 1)[1].split("### END SOLUTION", 1)[0]
    raise LookupError(f"{chapter} has no {var} answer cell")
