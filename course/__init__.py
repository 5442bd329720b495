"""pod-course: a hands-on, auto-graded course on Kubernetes Pods.

The static checker is importable without pulling in the kubernetes client,
so `from course import check_text` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["check_file", "check_object", "check_text"]

if TYPE_CHECKING:  # pragma: no cover
    from course.checker.engine import check_file, check_object, check_text


def __getattr__(name: str) -> Any:
    if name in __all__:
        from course.checker import engine

        return getattr(engine, name)
    raise AttributeError(name)
