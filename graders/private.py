"""The instructor's private overlay: hidden cases and solutions that are not in this repository.

`PODCOURSE_PRIVATE` names a folder, or an installed package whose folder is laid out the same way:

    hidden/<anything>.py     each defines HIDDEN = {"ch12.storefront": [Case(...), ...], ...}
    solutions/<chN>/*.ipynb  the nbgrader source notebooks, used instead of the repository's

Only the grading host sets it. `Exercise.grade(hidden=True)` adds the overlay's cases for its id, so
they count at grading time and never reach a learner's copy of the graders. A broken overlay is an
`OverlayError` whose message says which file and what to fix; nothing else here raises.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ENV = "PODCOURSE_PRIVATE"
FIX = f"fix it, or unset {ENV} to grade with the repository's own hidden cases"


class OverlayError(Exception):
    """The private overlay cannot be used; the message names the file and what to change."""


@dataclass(frozen=True)
class Overlay:
    root: Path
    hidden: Mapping[str, tuple[Any, ...]]  # exercise id -> its extra hidden cases

    @property
    def solutions(self) -> Path | None:
        folder = self.root / "solutions"
        return folder if folder.is_dir() else None

    def files(self) -> list[Path]:
        """The overlay's hidden-case modules (what a grading run must hash and carry into the sandbox)."""
        folder = self.root / "hidden"
        return sorted(folder.glob("*.py")) if folder.is_dir() else []


_LOADED: dict[str, Overlay] = {}
_PINNED: list[Overlay | None] = []


def locate(value: str) -> Path:
    """The overlay's folder: `value` itself, or the folder of the installed package of that name."""
    path = Path(value).expanduser()
    if path.is_dir():
        return path.resolve()
    if os.sep in value or value.startswith("."):
        raise OverlayError(f"{ENV}={value!r} is not a folder; {FIX}.")
    try:
        spec = importlib.util.find_spec(value)
    except (ImportError, ValueError) as exc:
        raise OverlayError(f"{ENV}={value!r} is neither a folder nor an importable package ({exc}); {FIX}.") from None
    if spec is None or not spec.submodule_search_locations:
        raise OverlayError(f"{ENV}={value!r} is neither a folder nor an installed package; {FIX}.")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def load(root: Path) -> Overlay:
    """Read every `hidden/*.py` of an overlay folder; OverlayError with the file and the problem."""
    from graders.core import Case

    hidden: dict[str, list[Any]] = {}
    for path in sorted((root / "hidden").glob("*.py")) if (root / "hidden").is_dir() else ():
        name = f"podcourse_private_{path.stem}"
        try:
            spec = importlib.util.spec_from_file_location(name, path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        except Exception as exc:
            sys.modules.pop(name, None)
            where = f" (line {exc.lineno})" if isinstance(exc, SyntaxError) else ""
            raise OverlayError(f"{path}{where} could not be imported: {type(exc).__name__}: {exc}; {FIX}.") from None
        table = getattr(module, "HIDDEN", None)
        if not isinstance(table, Mapping):
            raise OverlayError(f"{path} defines no HIDDEN = {{'chN.exercise': [Case(...), ...]}}; {FIX}.")
        for key, cases in table.items():
            if not isinstance(key, str) or not isinstance(cases, (list, tuple)):
                raise OverlayError(f"{path}: HIDDEN[{key!r}] must be a list of Case(...) under an exercise id; {FIX}.")
            for case in cases:
                if not isinstance(case, Case):
                    raise OverlayError(f"{path}: HIDDEN[{key!r}] holds {type(case).__name__}, not a Case; {FIX}.")
                hidden.setdefault(key, []).append(replace(case, hidden=True))  # an overlay case never runs visibly
    return Overlay(root, {k: tuple(v) for k, v in hidden.items()})


def current() -> Overlay | None:
    """The overlay this process grades with: the pinned one, else the one `PODCOURSE_PRIVATE` names (or None)."""
    if _PINNED:
        return _PINNED[0]
    value = os.environ.get(ENV, "").strip()
    if not value:
        return None
    root = locate(value)
    key = str(root)
    if key not in _LOADED:
        _LOADED[key] = load(root)
    return _LOADED[key]


def pin() -> Overlay | None:
    """Load the overlay now and keep it for this process whatever happens to the folder or the variable.

    The sandboxed grading worker pins its copy, then deletes it and drops the variable, so the
    learner's kernel, started later, finds neither.
    """
    overlay = current()
    _PINNED[:] = [overlay]
    return overlay


def unpin() -> None:
    _PINNED.clear()


def hidden_cases(exercise_id: str) -> tuple[Any, ...]:
    overlay = current()
    return overlay.hidden.get(exercise_id, ()) if overlay else ()


def course_exercises() -> dict[str, Any]:
    """Every exercise of every chapter (`graders.chN`), by id."""
    import pkgutil

    import graders
    from graders.core import Exercise

    found: dict[str, Any] = {}
    for info in pkgutil.iter_modules(graders.__path__):
        if info.name.startswith("ch") and info.name[2:].isdigit():
            module = importlib.import_module(f"graders.{info.name}")
            found.update({ex.id: ex for ex in vars(module).values() if isinstance(ex, Exercise)})
    return found


def check_ids(exercises: Mapping[str, Any] | None = None) -> None:
    """OverlayError when the overlay names an exercise that does not exist or cannot take static cases."""
    overlay = current()
    if overlay is None:
        return
    from graders.core import Exercise

    exercises = course_exercises() if exercises is None else exercises

    for key in overlay.hidden:
        ex = exercises.get(key)
        if ex is None:
            close = [k for k in exercises if k.split(".")[0] == key.split(".")[0]]
            hint = f" (exercises of {key.split('.')[0]}: {', '.join(sorted(close))})" if close else ""
            raise OverlayError(f"{overlay.root}/hidden: no exercise {key!r}{hint}; {FIX}.")
        if type(ex).grade is not Exercise.grade:
            raise OverlayError(f"{overlay.root}/hidden: {key} is a live check, which takes no overlay cases; {FIX}.")


def solutions_dir(course_root: Path) -> Path:
    """The nbgrader source notebooks: the overlay's `solutions/` when it has one, else the course's own."""
    overlay = current()
    return overlay.solutions if overlay and overlay.solutions else course_root / "solutions"
