"""`PodEditor`: a whole Pod in a form, with its YAML, findings and badges beside it."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import ipywidgets as w
import traitlets
import yaml

from course.answers import load_answer_text, save_answer_text
from course.widgets.base import ListEditor, text
from course.widgets.editors import CONTAINER_SECTIONS, ContainerEditor, SecurityContextEditor, VolumeEditor
from course.widgets.panel import LivePanel

try:
    _Dumper: Any = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Dumper = yaml.SafeDumper

SPEC_ORDER = ("initContainers", "containers", "volumes", "shareProcessNamespace", "restartPolicy",
              "securityContext")


def to_yaml(manifest: dict[str, Any]) -> str:
    """YAML as a person would write it: keys in manifest order, block style."""
    return yaml.dump(manifest, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True,
                     width=100)


def grading() -> bool:
    """True while nbgrader autogrades or validates: widgets must then stay cheap and quiet."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


class PodEditor(w.VBox):
    """Edit a Pod in a form; `.spec` (the manifest dict), `.yaml` and `.findings` follow every change.

    With `answer=NAME` the YAML is saved beside the notebook as `NAME.answer.yaml`
    on every change, and loaded from there when the editor is created again. `focus`
    ("probes", "resources", "securityContext", ...) unfolds that section of every container.
    """

    spec = traitlets.Dict()
    yaml = traitlets.Unicode()
    findings = traitlets.List()
    qos_class = traitlets.Unicode()
    pss_level = traitlets.Unicode()

    def __init__(
        self,
        source: str | dict[str, Any] | None = None,
        *,
        path: str | os.PathLike[str] | None = None,
        answer: str | None = None,
        preset: str = "default",
        autosave: bool = True,
        focus: str | None = None,
        **kwargs: Any,
    ) -> None:
        if focus is not None and focus not in CONTAINER_SECTIONS:
            raise ValueError(f"focus must be one of {', '.join(CONTAINER_SECTIONS)}, not {focus!r}")
        super().__init__(**kwargs)
        self.preset = preset
        self.focus = focus
        self.answer = answer
        self.autosave = autosave and answer is not None
        self.results: list[Any] = []
        self._loading = False
        self._extra_meta: dict[str, Any] = {}
        self._extra_spec: dict[str, Any] = {}
        self._extra_top: dict[str, Any] = {}

        self.name = text("metadata.name", "my-pod", width="320px")
        self.labels = text("labels", "", "app=web, tier=frontend", width="420px")
        self.containers = ListEditor(lambda: ContainerEditor(section=focus), "add container")
        self.init_containers = ListEditor(lambda: ContainerEditor(init=True, section=focus), "add init container")
        self.volumes = ListEditor(VolumeEditor, "add volume")
        self.share_pid = w.Checkbox(value=False, description="shareProcessNamespace", indent=False)
        self.restart_policy = w.Dropdown(options=[("(default: Always)", None), "Always", "OnFailure", "Never"],
                                         value=None, description="restartPolicy",
                                         style={"description_width": "initial"})
        self.pod_security = SecurityContextEditor("pod")
        for c in (self.name, self.labels, self.containers, self.init_containers, self.volumes, self.share_pid,
                  self.restart_policy, self.pod_security):
            c.observe(self._changed, names="value")

        self.yaml_input = w.Textarea(placeholder="paste a Pod manifest here, then press Load YAML",
                                     layout=w.Layout(width="100%", height="120px"))
        self.load_button = w.Button(description="Load YAML", icon="upload")
        self.load_button.on_click(lambda _b: self.load_yaml(self.yaml_input.value))
        self.save_button = w.Button(description="Save answer", icon="save", button_style="success",
                                    disabled=answer is None)
        self.save_button.on_click(lambda _b: self.save())
        self.status = w.HTML()
        self.add_class("podcourse-pod-editor")
        self.save_button.add_class("podcourse-save")
        self.status.add_class("podcourse-status")
        self.panel = LivePanel()

        sections = w.Accordion(children=[
            self.containers, self.init_containers, self.volumes,
            w.VBox([self.share_pid, self.restart_policy, self.pod_security]),
            w.VBox([self.yaml_input, self.load_button]),
        ])
        for i, title in enumerate(["containers", "initContainers (and sidecars)", "volumes", "pod settings",
                                   "load from YAML"]):
            sections.set_title(i, title)
        sections.selected_index = 0
        form = w.VBox([w.HBox([self.name, self.labels]), sections, w.HBox([self.save_button, self.status])],
                      layout=w.Layout(width="58%"))
        self.panel.layout.width = "42%"
        self.children = [w.HBox([form, self.panel])]

        initial: Any = source
        if answer is not None:
            saved = load_answer_text(answer)
            if saved.strip():
                initial = saved
        if path is not None and initial is source:
            initial = Path(path).read_text(encoding="utf-8")
        if initial is None:
            initial = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "my-pod"},
                       "spec": {"containers": [{"name": "app", "image": "nginx:1.22"}]}}
        # Showing the editor must not overwrite an answer the learner typed elsewhere: the answer
        # file is written only from the learner's first change on.
        wanted, self.autosave = self.autosave, False
        try:
            if isinstance(initial, str):
                self.load_yaml(initial)
            else:
                self.load(initial)
        finally:
            self.autosave = wanted

    # -- loading -------------------------------------------------------------------------------
    def load(self, manifest: Any) -> None:
        """Show a manifest dict in the form. Fields the form has no control for are kept as they are."""
        if not isinstance(manifest, dict):
            self.panel.show_error("The manifest must be a mapping (apiVersion, kind, metadata, spec).")
            return
        self._loading = True
        try:
            meta = manifest.get("metadata") if isinstance(manifest.get("metadata"), dict) else {}
            spec = manifest.get("spec") if isinstance(manifest.get("spec"), dict) else {}
            self._extra_top = {k: v for k, v in manifest.items() if k not in ("metadata", "spec")}
            self._extra_meta = {k: v for k, v in meta.items() if k not in ("name", "labels")}
            self._extra_spec = {k: v for k, v in spec.items() if k not in SPEC_ORDER}
            self.name.value = str(meta.get("name", ""))
            labels = meta.get("labels") if isinstance(meta.get("labels"), dict) else {}
            self.labels.value = ", ".join(f"{k}={v}" for k, v in labels.items())
            self.containers.load(spec.get("containers"))
            self.init_containers.load(spec.get("initContainers"))
            self.volumes.load(spec.get("volumes"))
            self.share_pid.value = spec.get("shareProcessNamespace") is True
            rp = spec.get("restartPolicy")
            self.restart_policy.value = rp if rp in ("Always", "OnFailure", "Never") else None
            self.pod_security.load(spec.get("securityContext"))
        finally:
            self._loading = False
        self._changed()

    def load_yaml(self, text_: str) -> None:
        """Load YAML text; a broken document is explained in the panel and the form is left as it was."""
        from course.checker.loader import load_documents

        docs = load_documents(text_, "<editor>")
        fatal = [f for d in docs for f in d.load_findings if f.severity == "error" and d.data is None]
        if fatal or not docs:
            msg = "; ".join(f"line {f.line}: {f.message}" if f.line else f.message for f in fatal) or "no document"
            self.panel.show_error(f"Could not load that YAML, nothing changed: {msg}")
            return
        self.load(docs[0].data)

    def load_file(self, path: str | os.PathLike[str]) -> None:
        self.load_yaml(Path(path).read_text(encoding="utf-8"))

    # -- state ---------------------------------------------------------------------------------
    def manifest(self) -> dict[str, Any]:
        labels: dict[str, str] = {}
        for part in self.labels.value.split(","):
            if "=" in part:
                k, v = part.split("=", 1)
                labels[k.strip()] = v.strip()
        meta = {"name": self.name.value, **({"labels": labels} if labels else {}), **self._extra_meta}
        spec: dict[str, Any] = {}
        if self.init_containers.value:
            spec["initContainers"] = self.init_containers.value
        spec["containers"] = self.containers.value
        if self.volumes.value:
            spec["volumes"] = self.volumes.value
        if self.share_pid.value:
            spec["shareProcessNamespace"] = True
        if self.restart_policy.value:
            spec["restartPolicy"] = self.restart_policy.value
        if self.pod_security.value:
            spec["securityContext"] = self.pod_security.value
        spec.update(self._extra_spec)
        top = {"apiVersion": "v1", "kind": "Pod", **self._extra_top}
        return {**top, "metadata": meta, "spec": spec}

    def _changed(self, *_: Any) -> None:
        if self._loading:
            return
        try:
            self.refresh()
        except Exception as exc:
            self.panel.show_error(f"The editor hit a problem: {type(exc).__name__}: {exc}")

    def refresh(self) -> None:
        """Rebuild YAML, findings and badges from the form."""
        from course import check_text

        manifest = self.manifest()
        text_ = to_yaml(manifest)
        self.results = check_text(text_, "<editor>", preset=self.preset)
        self.panel.show(text_, self.results)
        self.spec = manifest
        self.yaml = text_
        self.findings = [f for r in self.results for f in r.findings]
        self.qos_class = self.panel.qos
        self.pss_level = self.panel.pss
        if self.autosave:
            self.save(quiet=True)

    def save(self, quiet: bool = False) -> Path | None:
        """Write the YAML to the answer file, so the graded answer cell (and autograding) reads it."""
        if self.answer is None:
            self.panel.show_error("This editor has no answer name, so there is nothing to save.")
            return None
        try:
            path = save_answer_text(self.answer, self.yaml)
        except OSError as exc:
            self.panel.show_error(f"Could not save your answer: {exc}")
            return None
        when = dt.datetime.now().strftime("%H:%M:%S")
        self.status.value = f"<span style='color:#2e7d32'>saved to <code>{path.name}</code> at {when}</span>"
        if not quiet:
            self.panel.errors.outputs = ()
        return path


class AnswerView:
    """What `editor_for_answer` returns while grading: the saved answer, and no widgets at all."""

    def __init__(self, answer: str, starter: str) -> None:
        self.answer = answer
        self.yaml = load_answer_text(answer, default=starter)

    @property
    def spec(self) -> Any:
        try:
            return yaml.safe_load(self.yaml)
        except yaml.YAMLError:
            return None

    def __repr__(self) -> str:
        return f"(editor for answer {self.answer!r} is not shown while grading)"


def editor_for_answer(answer: str, starter: str, *, preset: str = "default",
                      focus: str | None = None) -> PodEditor | AnswerView:
    """The editor an exercise cell shows; while nbgrader runs, a cheap stand-in instead."""
    if grading():
        return AnswerView(answer, starter)
    return PodEditor(starter, answer=answer, preset=preset, focus=focus)
