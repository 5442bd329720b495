"""Findings and the one registry of rules behind them.

Every message a learner sees (CLI, widget panel, autograder feedback) is a
`Finding` made from a registered `Rule`, so the rule id, hint and docs link
are the same wherever the learner meets it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
CATEGORIES = ("load", "schema", "validation", "pss", "qos", "lint", "live", "sandbox")

DOCS = "https://kubernetes.io/docs/"


class Key(str):
    """A map key in a field path, rendered the API server's way: `requests[cpu]`."""

    __slots__ = ()


PathSeg = str | int
Path = tuple[PathSeg, ...]


def format_path(path: Iterable[PathSeg]) -> str:
    """Render a path in the API server's notation: `spec.containers[0].resources.limits[memory]`."""
    out: list[str] = []
    for seg in path:
        if seg.__class__ is str:  # the common case first: a plain field name
            out.append(f".{seg}" if out else seg)
        elif isinstance(seg, (int, Key)):
            out.append(f"[{seg}]")
        elif out:
            out.append(f".{seg}")
        else:
            out.append(str(seg))
    return "".join(out)


@dataclass(frozen=True)
class Rule:
    """One check: an id, what it means, how to fix it, and a PASS/FAIL example.

    `passing` and `failing` are complete YAML documents; the meta-test runs the
    checker on both and requires the rule to fire on `failing` only.
    """

    id: str
    severity: Severity
    category: str
    summary: str
    hint: str
    docs: str
    passing: str
    failing: str
    description: str = ""
    # Lints only: whether the rule is on when no preset names it.
    default_enabled: bool = True
    # Extra checker options the PASS/FAIL examples need (e.g. {"pss_version": "v1.25"}).
    example_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"rule {self.id}: bad severity {self.severity!r}")
        if self.category not in CATEGORIES:
            raise ValueError(f"rule {self.id}: bad category {self.category!r}")


_REGISTRY: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    """Add a rule to the registry; ids are unique across the whole checker."""
    if rule.id in _REGISTRY and _REGISTRY[rule.id] != rule:
        raise ValueError(f"duplicate rule id {rule.id!r}")
    _REGISTRY[rule.id] = rule
    return rule


def get(rule_id: str) -> Rule:
    return _REGISTRY[rule_id]


def all_rules() -> dict[str, Rule]:
    """Every registered rule, after importing every module that registers rules."""
    from course.checker import engine  # noqa: F401  (imports all static rule modules)
    from course.cluster import rules  # noqa: F401  (live rules; does not import kubernetes)

    return dict(_REGISTRY)


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    path: str
    message: str
    hint: str
    line: int | None = None
    column: int | None = None
    docs: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "hint": self.hint,
            "docs": self.docs,
        }

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{where}{self.message} ({self.rule})"


Positions = dict[tuple[Any, ...], tuple[int, int]]


def lookup_position(positions: Positions | None, path: Path) -> tuple[int | None, int | None]:
    """Line and column of the deepest part of `path` present in the source (1-based)."""
    if not positions:
        return None, None
    p = tuple(path)  # a Key hashes and compares as the plain string the positions hold
    while p:
        pos = positions.get(p)
        if pos is not None:
            return pos
        p = p[:-1]
    pos = positions.get(())
    return pos if pos is not None else (None, None)


def make_finding(
    rule_id: str,
    path: Path,
    message: str,
    *,
    hint: str | None = None,
    positions: Positions | None = None,
    severity: Severity | None = None,
    docs: str | None = None,
) -> Finding:
    """Build a finding for a registered rule; the rule supplies severity, hint and docs link
    unless this finding names a page closer to its field (`docs`)."""
    rule = _REGISTRY[rule_id]
    line, col = lookup_position(positions, path)
    text = hint if hint is not None else rule.hint
    link = docs or rule.docs
    if link and link not in text:
        text = f"{text} See {link}"
    return Finding(
        rule=rule_id,
        severity=severity or rule.severity,
        path=format_path(path),
        message=message,
        hint=text,
        line=line,
        column=col,
        docs=link,
    )
