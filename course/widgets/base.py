"""Building blocks shared by the spec editors.

Each editor is a stock-ipywidgets composite whose state is one `value` trait
(a plain dict, the part of the Pod spec it edits). Child controls call one
`_sync()`; parents observe children's `value`. Keys an editor does not know
are kept and merged back, so loading a spec and saving it loses nothing.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import traitlets

LAYOUT_FULL = w.Layout(width="100%")


def text(description: str, value: str = "", placeholder: str = "", width: str = "100%") -> w.Text:
    return w.Text(
        value=value,
        description=description,
        placeholder=placeholder,
        layout=w.Layout(width=width),
        style={"description_width": "initial"},
        continuous_update=False,
    )


def tri_state(description: str) -> w.Dropdown:
    """A boolean that can also be left unset (which is not the same as false in a Pod spec)."""
    return w.Dropdown(
        options=[("(unset)", None), ("true", True), ("false", False)],
        value=None,
        description=description,
        style={"description_width": "initial"},
        layout=w.Layout(width="auto"),
    )


def parse_int(raw: str) -> int | str | None:
    """'' -> None, '80' -> 80; anything else is kept as text so the checker can explain it."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        return raw


def split_words(raw: str) -> list[str] | None:
    """Command/args text to a list, the way a shell would split it; None when empty."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        return shlex.split(raw)
    except ValueError:  # unbalanced quotes: keep the learner's text as one word
        return [raw]


def join_words(words: Any) -> str:
    if not isinstance(words, list):
        return ""
    return " ".join(shlex.quote(str(x)) for x in words)


def split_csv(raw: str) -> list[str] | None:
    items = [x.strip() for x in raw.split(",") if x.strip()]
    return items or None


def prune(d: dict[str, Any]) -> dict[str, Any]:
    """Drop unset (None/empty) entries so the YAML shows only what the learner set."""
    return {k: v for k, v in d.items() if v not in (None, "", [], {})}


class Editor(w.VBox):
    """A composite editor whose state is the `value` dict."""

    value = traitlets.Dict()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._loading = False
        self._extra: dict[str, Any] = {}

    # Subclasses implement these two.
    def _read(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _write(self, value: dict[str, Any]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    known_keys: tuple[str, ...] = ()

    def load(self, value: Any) -> None:
        """Show `value` (a dict) in the controls; unknown keys are kept verbatim."""
        value = value if isinstance(value, dict) else {}
        self._loading = True
        try:
            self._extra = {k: v for k, v in value.items() if k not in self.known_keys}
            self._write(value)
        finally:
            self._loading = False
        self._sync()

    def _sync(self, *_: Any) -> None:
        if self._loading:
            return
        new = {**prune(self._read()), **self._extra}
        if new != self.value:
            self.value = new

    def watch(self, *controls: w.Widget) -> None:
        for c in controls:
            c.observe(self._sync, names="value")


class ListEditor(w.VBox):
    """A list of sub-editors with add, remove and move buttons; `value` is the list of their values."""

    value = traitlets.List()

    def __init__(self, factory: Callable[[], Editor], add_label: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._factory = factory
        self.items: list[Editor] = []
        self._rows = w.VBox()
        self.add_button = w.Button(description=add_label, icon="plus", layout=w.Layout(width="auto"))
        self.add_button.on_click(lambda _b: self.add())
        self.children = [self._rows, self.add_button]
        self._loading = False

    def add(self, value: dict[str, Any] | None = None) -> Editor:
        ed = self._factory()
        if value is not None:
            ed.load(value)
        ed.observe(self._sync, names="value")
        self.items.append(ed)
        self._render()
        self._sync()
        return ed

    def remove(self, index: int) -> None:
        del self.items[index]
        self._render()
        self._sync()

    def move(self, index: int, delta: int) -> None:
        j = index + delta
        if 0 <= j < len(self.items):
            self.items[index], self.items[j] = self.items[j], self.items[index]
            self._render()
            self._sync()

    def load(self, values: Any) -> None:
        self._loading = True
        try:
            self.items = []
            for v in values if isinstance(values, list) else []:
                self.add(v if isinstance(v, dict) else {})
        finally:
            self._loading = False
        self._render()
        self._sync()

    def _render(self) -> None:
        rows = []
        for i, ed in enumerate(self.items):
            up = w.Button(icon="arrow-up", tooltip="move up", layout=w.Layout(width="36px"))
            down = w.Button(icon="arrow-down", tooltip="move down", layout=w.Layout(width="36px"))
            rm = w.Button(icon="trash", tooltip="remove", button_style="danger", layout=w.Layout(width="36px"))
            up.on_click(lambda _b, i=i: self.move(i, -1))
            down.on_click(lambda _b, i=i: self.move(i, +1))
            rm.on_click(lambda _b, i=i: self.remove(i))
            rows.append(
                w.HBox(
                    [w.VBox([up, down, rm]), ed],
                    layout=w.Layout(border="1px solid #ddd", padding="4px", margin="2px 0"),
                )
            )
        self._rows.children = rows

    def _sync(self, *_: Any) -> None:
        if self._loading:
            return
        new = [ed.value for ed in self.items]
        if new != self.value:
            self.value = new
