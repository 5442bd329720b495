"""The live panel beside an editor: YAML, findings, QoS and Pod Security badges."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import ipywidgets as w

if TYPE_CHECKING:  # pragma: no cover
    from course.checker.model import Result
    from course.findings import Finding

SEVERITY_COLOUR = {"error": "#c62828", "warning": "#ef6c00", "info": "#1565c0"}
QOS_COLOUR = {"Guaranteed": "#2e7d32", "Burstable": "#f9a825", "BestEffort": "#757575"}
PSS_COLOUR = {"restricted": "#2e7d32", "baseline": "#f9a825", "privileged": "#c62828"}


def badge(label: str, value: str, colour: str) -> str:
    return (
        f'<span class="podcourse-badge" style="display:inline-block;margin-right:6px;border-radius:4px;'
        f'overflow:hidden;font:12px monospace"><span style="background:#444;color:#fff;padding:2px 6px">'
        f'{html.escape(label)}</span><span style="background:{colour};color:#fff;padding:2px 6px">'
        f"{html.escape(value)}</span></span>"
    )


class LivePanel(w.VBox):
    """Shows the YAML, the checker's findings (select one to see its field and hint) and badges.

    `show()` never raises: anything that goes wrong is rendered in `errors`.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(layout=w.Layout(width="100%"), **kwargs)
        self.badges = w.HTML()
        self.yaml_view = w.HTML()
        self.findings_list = w.Select(options=[], rows=6, layout=w.Layout(width="100%"))
        self.findings_list.observe(self._select, names="value")
        self.detail = w.HTML()
        self.errors = w.Output()
        self.add_class("podcourse-panel")
        self.yaml_view.add_class("podcourse-yaml")
        self.findings_list.add_class("podcourse-findings")
        self.badges.add_class("podcourse-badges")
        self._text = ""
        self._findings: list[Finding] = []
        self.qos = ""
        self.pss = ""
        self.children = [self.badges, self.yaml_view, w.HTML("<b>Findings</b>"), self.findings_list, self.detail,
                         self.errors]

    def show(self, yaml_text: str, results: list[Result]) -> None:
        self._text = yaml_text
        self._findings = [f for r in results for f in r.findings]
        first = results[0] if results else None
        self.qos = (first.qos_class or "-") if first else "-"
        self.pss = first.pod_security.level if first and first.pod_security else "-"
        n_err = sum(f.severity == "error" for f in self._findings)
        n_warn = sum(f.severity == "warning" for f in self._findings)
        self.badges.value = (
            badge("QoS", self.qos, QOS_COLOUR.get(self.qos, "#757575"))
            + badge("Pod Security", self.pss, PSS_COLOUR.get(self.pss, "#757575"))
            + badge("errors", str(n_err), "#c62828" if n_err else "#2e7d32")
            + badge("warnings", str(n_warn), "#ef6c00" if n_warn else "#2e7d32")
        )
        options = [(f"{f.severity.upper():7} {f.path or '(document)'}: {f.message} ({f.rule})", i)
                   for i, f in enumerate(self._findings)]
        self.findings_list.options = options or [("no findings: the checker is happy", -1)]
        self.findings_list.value = None
        self.detail.value = ""
        self._render_yaml(set())
        self.errors.outputs = ()

    def show_error(self, message: str) -> None:
        """An error in the editor itself (bad YAML pasted, a save that failed...)."""
        # append_stdout works with or without a kernel behind the widget (tests, voila, JupyterLab).
        self.errors.outputs = ()
        self.errors.append_stdout(message + "\n")

    def _select(self, change: dict[str, Any]) -> None:
        try:
            i = change["new"]
            if i is None or i < 0 or i >= len(self._findings):
                self.detail.value = ""
                self._render_yaml(set())
                return
            f = self._findings[i]
            where = f"line {f.line}, column {f.column}" if f.line else "no line (field missing)"
            self.detail.value = (
                f'<div style="border-left:4px solid {SEVERITY_COLOUR[f.severity]};padding-left:6px">'
                f"<code>{html.escape(f.path)}</code> ({html.escape(where)}) <i>{html.escape(f.rule)}</i><br>"
                f"{html.escape(f.message)}<br><b>hint:</b> {html.escape(f.hint)}</div>"
            )
            self._render_yaml({f.line} if f.line else set())
        except Exception as exc:
            self.show_error(f"could not show that finding: {exc}")

    def _render_yaml(self, highlight: set[int | None]) -> None:
        lines_with = {f.line: f for f in self._findings if f.line}
        rows = []
        for n, line in enumerate(self._text.splitlines(), start=1):
            f = lines_with.get(n)
            style = ""
            title = ""
            if n in highlight:
                style = "background:#fff59d"
            elif f is not None:
                style = f"background:{SEVERITY_COLOUR[f.severity]}22"
            if f is not None:
                title = f' title="{html.escape(f.path + ": " + f.message, quote=True)}"'
            rows.append(f'<div style="{style}"{title}><span style="color:#999;user-select:none">{n:3} </span>'
                        f"{html.escape(line)}</div>")
        self.yaml_view.value = (
            '<div style="font:12px monospace;white-space:pre;border:1px solid #ddd;padding:4px;'
            'max-height:420px;overflow:auto">' + "".join(rows) + "</div>"
        )
