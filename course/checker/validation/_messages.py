"""The API server's error shapes (`field.Required`, `field.Invalid`...), as text."""

from __future__ import annotations

from collections.abc import Iterable

from course.checker.validation._names import quote


def required(detail: str = "") -> str:
    return f"Required value: {detail}" if detail else "Required value"


def invalid(value: object, detail: str) -> str:
    return f"Invalid value: {quote(value)}: {detail}"


def not_supported(value: object, supported: Iterable[str]) -> str:
    values = ", ".join(quote(s) for s in supported)
    return f"Unsupported value: {quote(value)}: supported values: {values}"


def duplicate(value: object) -> str:
    return f"Duplicate value: {quote(value)}"


def forbidden(detail: str) -> str:
    return f"Forbidden: {detail}"


def not_found(value: object) -> str:
    return f"Not found: {quote(value)}"
