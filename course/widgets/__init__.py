"""Spec editors built from stock ipywidgets, with a live YAML/findings/badges panel."""

from course.widgets.editors import (
    ContainerEditor,
    ProbeEditor,
    ResourcesEditor,
    SecurityContextEditor,
    VolumeEditor,
)
from course.widgets.panel import LivePanel
from course.widgets.pictures import LifecycleView, PatternFlowView, ProbeTimelineView, ResourcesView, TriageView
from course.widgets.pod import AnswerView, PodEditor, editor_for_answer, to_yaml

__all__ = [
    "AnswerView",
    "ContainerEditor",
    "LifecycleView",
    "LivePanel",
    "PatternFlowView",
    "PodEditor",
    "ProbeEditor",
    "ProbeTimelineView",
    "ResourcesEditor",
    "ResourcesView",
    "SecurityContextEditor",
    "TriageView",
    "VolumeEditor",
    "editor_for_answer",
    "to_yaml",
]
