"""nbgrader's OverwriteCells without its false alarm about hidden tests.

`nbgrader generate_assignment` saves each locked cell's checksum *before* it clears the hidden
tests, so in every released notebook a test cell with hidden tests differs from the gradebook's
copy. At autograde, OverwriteCells puts the full cell back (that is how hidden tests run) and
warns "Attribute 'checksum' for cell ... has changed!" for each of them, also for an untouched
release: a wall of warnings in which a real change to a locked cell is lost. This subclass says
nothing when the submitted cell is exactly the released one (the source minus its hidden-test
region) and keeps the warning, word for word, for every other change.
"""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode
from nbgrader.preprocessors import ClearHiddenTests, OverwriteCells


def released_source(source: str) -> str:
    """The cell source as the student release carries it: nbgrader's own hidden-test removal."""
    cell = NotebookNode({"cell_type": "code", "source": source, "metadata": {}})
    ClearHiddenTests()._remove_hidden_test_region(cell)
    return str(cell.source)


class QuietOverwriteCells(OverwriteCells):
    """OverwriteCells that does not report the hidden tests it restores into untouched cells."""

    def preprocess_cell(self, cell: NotebookNode, resources: Any, cell_index: int) -> tuple[NotebookNode, Any]:
        self._as_released = False
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is not None:
            try:
                source_cell = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
            except Exception:  # MissingEntry and friends: the parent reports them
                source_cell = None
            if source_cell is not None and source_cell.locked and cell.cell_type == source_cell.cell_type:
                self._as_released = cell.source == released_source(source_cell.source)
        return super().preprocess_cell(cell, resources, cell_index)

    def report_change(self, name: str, attr: str, old: Any, new: Any) -> None:
        if attr == "checksum" and getattr(self, "_as_released", False):
            self.log.debug("cell %s: restored its hidden tests (untouched release cell)", name)
            return
        super().report_change(name, attr, old, new)
