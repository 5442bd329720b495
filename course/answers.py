"""Answer files: how a widget-edited answer survives nbgrader's re-execution.

nbgrader autograde runs the notebook from scratch and replays no clicks, so an
editor writes the learner's YAML to `<name>.answer.yaml` beside the notebook
(nbgrader submits and autogrades the whole assignment folder), and the graded
answer cell reads it back with `load_answer_text`.
"""

from __future__ import annotations

import os
from pathlib import Path

SUFFIX = ".answer.yaml"
MAX_ANSWER_BYTES = 1 << 20


def answer_path(name: str, directory: str | os.PathLike[str] | None = None) -> Path:
    """Where the answer called `name` is stored (the notebook's folder by default)."""
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip(".") or "answer"
    return Path(directory or os.getcwd()) / f"{safe}{SUFFIX}"


def save_answer_text(name: str, text: str, directory: str | os.PathLike[str] | None = None) -> Path:
    """Write the answer atomically, so a crash mid-write never leaves half an answer."""
    path = answer_path(name, directory)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def load_answer_text(name: str, default: str = "", directory: str | os.PathLike[str] | None = None) -> str:
    """The saved answer, or `default` when the learner has not saved one (or it is unreadable)."""
    path = answer_path(name, directory)
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_ANSWER_BYTES + 1)
    except OSError:
        return default
    return data.decode("utf-8", errors="replace")
