"""Turning whatever a learner put in an answer variable into one `Answer`.

Learners type YAML into a triple-quoted string, paste JSON, build a dict, point
at a file a widget saved, or leave the released placeholder untouched. Every
one of those must reach the graders as plain data (never a traceback), and the
same normalised data is what crosses from the learner's kernel to the trusted
re-grader, so `to_payload` and `load_answer` round-trip.
"""

from __future__ import annotations

import json
import os
import textwrap
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

# A payload larger than this is not an answer anyone typed; refuse it early.
MAX_ANSWER_CHARS = 200_000


class _Missing:
    """Marker for "the learner has not answered yet"."""

    def __repr__(self) -> str:
        return "<no answer>"


MISSING: Any = _Missing()


@dataclass
class Answer:
    """One learner answer: the text they wrote (if any) and the data it holds.

    `problem` is a learner-facing sentence when the answer could not be read
    (empty placeholder, YAML syntax error, unsupported type); graders fail every
    case with it instead of guessing.
    """

    raw: Any
    text: str | None = None
    data: Any = None
    problem: str | None = None
    name: str = "your answer"
    _results: list[Any] | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.problem is None

    @cached_property
    def results(self) -> list[Any]:
        """Checker results, one per YAML document (empty when the answer is not YAML text)."""
        if self.text is None:
            return []
        from course import check_text

        return list(check_text(self.text, source=self.name))

    @property
    def result(self) -> Any:
        """The checker result of the first document, or None."""
        return self.results[0] if self.results else None

    @property
    def documents(self) -> list[Any]:
        if self.text is None:
            return [self.data] if self.data is not None else []
        return [r.data for r in self.results]


def _read_path(p: Path) -> str | None:
    try:
        if p.is_file() and p.stat().st_size <= MAX_ANSWER_CHARS:
            return p.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return None


def to_payload(value: Any) -> Any:
    """Reduce an answer to JSON data: a string of YAML text, or JSON-able lists/dicts/scalars.

    Anything else is rendered with `repr`, so a strange object is graded as the
    text it shows, never executed or trusted.
    """
    if value is MISSING or value is None or value is Ellipsis:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, os.PathLike):
        text = _read_path(Path(value))
        return text if text is not None else f"<file not found: {os.fspath(value)}>"
    if not isinstance(value, (str, dict, list, tuple, set, frozenset, int, float, bool)):
        # Widgets expose the manifest they hold as `.yaml`.
        text = getattr(value, "yaml", None)
        if isinstance(text, str):
            return text
        return repr(value)[:MAX_ANSWER_CHARS]
    try:
        return json.loads(json.dumps(_plain(value), allow_nan=False))
    except (TypeError, ValueError, RecursionError):
        return repr(value)[:MAX_ANSWER_CHARS]


def _plain(value: Any, depth: int = 0) -> Any:
    """Sets become sorted lists and keys strings; JSON cannot carry anything else."""
    if depth > 50:
        raise ValueError("answer nested too deeply")
    if isinstance(value, (set, frozenset)):
        items = [_plain(v, depth + 1) for v in value]
        return sorted(items, key=repr)
    if isinstance(value, (list, tuple)):
        return [_plain(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v, depth + 1) for k, v in value.items()}
    return value


def load_answer(value: Any, name: str = "your answer") -> Answer:
    """Read an answer of any shape; never raises.

    A string is YAML (JSON is YAML too); common indentation is removed so a
    manifest indented inside a triple-quoted string still parses.
    """
    try:
        return _load(value, name)
    except Exception as exc:
        return Answer(raw=value, name=name, problem=f"{name} could not be read ({type(exc).__name__}: {exc})")


def _load(value: Any, name: str) -> Answer:
    data = to_payload(value)
    if data is None:
        return Answer(raw=value, name=name, problem=f"{name} is still empty: write your answer in the cell above.")
    if isinstance(data, str):
        if len(data) > MAX_ANSWER_CHARS:
            return Answer(raw=value, name=name, problem=f"{name} is too long to be a manifest.")
        text = textwrap.dedent(data.expandtabs(2)).strip("\n")
        if not _has_content(text):
            return Answer(
                raw=value, text=None, name=name,
                problem=f"{name} is still empty: write your answer in the cell above.",
            )
        try:
            docs = [d for d in yaml.safe_load_all(text) if d is not None]
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            reason = getattr(exc, "problem", None) or "invalid YAML"
            return Answer(raw=value, text=text, name=name, problem=f"{name} is not valid YAML{where}: {reason}.")
        return Answer(raw=value, text=text + "\n", data=docs[0] if len(docs) == 1 else docs, name=name)
    if isinstance(data, (dict, list)) and not data:
        return Answer(raw=value, name=name, problem=f"{name} is still empty: write your answer in the cell above.")
    if isinstance(data, dict) and ("kind" in data or "apiVersion" in data or "spec" in data):
        # A manifest built as a dict: grade the YAML it stands for, so the checker sees it too.
        return Answer(raw=value, text=yaml.safe_dump(data, sort_keys=False), data=data, name=name)
    return Answer(raw=value, data=data, name=name)


def _has_content(text: str) -> bool:
    return any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines())
