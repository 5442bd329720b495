"""Spec editor widgets without a browser: set values, click buttons, read .spec/.yaml/.findings."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from course.answers import answer_path, load_answer_text
from course.widgets import (
    AnswerView,
    ContainerEditor,
    PodEditor,
    ProbeEditor,
    ResourcesEditor,
    SecurityContextEditor,
    VolumeEditor,
    editor_for_answer,
)
from course.widgets.editors import CONTAINER_SECTIONS

TWO_CONTAINERS = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
  annotations: {note: kept}
spec:
  nodeSelector: {disktype: ssd}
  containers:
  - name: web
    image: nginx:1.22
    ports:
    - containerPort: 80
    volumeMounts:
    - {name: logs, mountPath: /var/log/nginx}
  - name: shipper
    image: busybox:1.35
    command: [sh, -c, "tail -F /logs/access.log"]
    volumeMounts:
    - {name: logs, mountPath: /logs, readOnly: true}
  volumes:
  - name: logs
    emptyDir: {}
"""


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)


def test_round_trip_loses_nothing() -> None:
    """Does loading a manifest and reading .spec back keep every field, even ones the form lacks?"""
    ed = PodEditor(TWO_CONTAINERS)
    assert ed.spec == yaml.safe_load(TWO_CONTAINERS)


def test_field_change_updates_yaml_findings_and_badges() -> None:
    """Does changing a port to 70000 update the YAML, add a port-range error and keep the badges?"""
    ed = PodEditor(TWO_CONTAINERS)
    assert not any(f.severity == "error" for f in ed.findings)
    ed.containers.items[0].ports.items[0].port.value = "70000"
    assert "containerPort: 70000" in ed.yaml
    errs = [f for f in ed.findings if f.severity == "error"]
    assert [(f.rule, f.path) for f in errs] == [("port-range", "spec.containers[0].ports[0].containerPort")]
    assert ed.qos_class == "BestEffort"
    assert ed.pss_level == "baseline"
    assert "port-range" in "".join(str(o) for o in ed.panel.findings_list.options)


@pytest.mark.parametrize(
    ("req_cpu", "lim_cpu", "req_mem", "lim_mem", "qos"),
    [
        ("", "", "", "", "BestEffort"),
        ("250", "", "", "", "Burstable"),
        ("250", "500", "", "128", "Burstable"),
        ("", "500", "", "128", "Guaranteed"),
    ],
)
def test_resources_drive_the_qos_badge(req_cpu: str, lim_cpu: str, req_mem: str, lim_mem: str, qos: str) -> None:
    """Does the QoS badge follow the requests and limits typed into the resources editor?"""
    ed = PodEditor({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                    "spec": {"containers": [{"name": "app", "image": "nginx:1.22"}]}})
    res = ed.containers.items[0].resources
    res.req_cpu.unit.value = res.lim_cpu.unit.value = "m"
    res.req_cpu.number.value, res.lim_cpu.number.value = req_cpu, lim_cpu
    res.req_mem.number.value, res.lim_mem.number.value = req_mem, lim_mem
    assert ed.qos_class == qos
    assert f">{qos}<" in ed.panel.badges.value


def test_guaranteed_when_limits_only() -> None:
    """Does setting only cpu and memory limits give Guaranteed (requests default to limits)?"""
    ed = PodEditor()
    res = ed.containers.items[0].resources
    res.lim_cpu.number.value = "1"
    res.lim_mem.number.value = "256"
    assert ed.spec["spec"]["containers"][0]["resources"] == {"limits": {"cpu": "1", "memory": "256Mi"}}
    assert ed.qos_class == "Guaranteed"


def test_millibytes_unit_warns() -> None:
    """Does choosing the 'm' unit for memory produce the millibytes warning?"""
    ed = PodEditor(preset="all")
    res = ed.containers.items[0].resources
    res.lim_mem.unit.value = "m"
    res.lim_mem.number.value = "128"
    assert "memory-millibytes" in {f.rule for f in ed.findings}


def test_add_remove_reorder_containers() -> None:
    """Do the add, move and remove buttons change the containers list in order?"""
    ed = PodEditor(TWO_CONTAINERS)
    ed.containers.add_button.click()
    assert [c["name"] for c in ed.spec["spec"]["containers"]] == ["web", "shipper", "app"]
    ed.containers.move(2, -1)
    assert [c["name"] for c in ed.spec["spec"]["containers"]] == ["web", "app", "shipper"]
    ed.containers.remove(0)
    assert [c["name"] for c in ed.spec["spec"]["containers"]] == ["app", "shipper"]


def test_duplicate_names_are_reported() -> None:
    """Does renaming a container to its neighbour's name show the duplicate-name error at that path?"""
    ed = PodEditor(TWO_CONTAINERS)
    ed.containers.items[1].name.value = "web"
    assert ("container-name-duplicate", "spec.containers[1].name") in {(f.rule, f.path) for f in ed.findings}


def test_sidecar_switch_sets_restart_policy() -> None:
    """Does the sidecar checkbox of an init container write restartPolicy: Always?"""
    ed = PodEditor(TWO_CONTAINERS)
    ed.init_containers.add_button.click()
    side = ed.init_containers.items[0]
    side.sidecar.value = True
    assert ed.spec["spec"]["initContainers"][0]["restartPolicy"] == "Always"


def test_probe_editor_builds_http_probe() -> None:
    """Does enabling a liveness probe with a path and port give an httpGet probe with timings?"""
    p = ProbeEditor("liveness")
    p.enabled.value = True
    p.path.value, p.port.value = "/healthz", "8080"
    p.timings["periodSeconds"].value = "5"
    assert p.value == {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 5}
    p.type.value = "exec"
    p.command.value = "cat /tmp/healthy"
    assert p.value == {"exec": {"command": ["cat", "/tmp/healthy"]}, "periodSeconds": 5}


def test_security_context_editor_restricted_fields() -> None:
    """Does the container securityContext editor produce the restricted-profile fields?"""
    s = SecurityContextEditor()
    s.run_as_non_root.value = True
    s.allow_escalation.value = False
    s.cap_drop.value = "ALL"
    s.seccomp.value = "RuntimeDefault"
    assert s.value == {"runAsNonRoot": True, "allowPrivilegeEscalation": False,
                       "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}


def test_hardened_pod_reaches_restricted_badge() -> None:
    """Does hardening the container in the form move the Pod Security badge to restricted?"""
    ed = PodEditor()
    sc = ed.containers.items[0].security
    sc.run_as_non_root.value = True
    sc.allow_escalation.value = False
    sc.cap_drop.value = "ALL"
    sc.seccomp.value = "RuntimeDefault"
    assert ed.pss_level == "restricted"


@pytest.mark.parametrize(
    ("medium", "size", "expected"),
    [("", "", {"name": "shared", "emptyDir": {}}),
     ("Memory", "64Mi", {"name": "shared", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}})],
)
def test_volume_editor_empty_dir(medium: str, size: str, expected: dict) -> None:
    """Does the volume editor write emptyDir with medium and sizeLimit only when set?"""
    v = VolumeEditor()
    v.medium.value, v.size_limit.value = medium, size
    assert v.value == expected


def test_resources_editor_round_trip() -> None:
    """Does the resources editor keep quantities (and other resources) it loads?"""
    r = ResourcesEditor()
    value = {"requests": {"cpu": "250m", "memory": "64Mi", "ephemeral-storage": "1Gi"},
             "limits": {"cpu": "1", "memory": "1Gi"}}
    r.load(value)
    assert r.value == value


def test_container_editor_alone() -> None:
    """Can a ContainerEditor be used on its own and report its value?"""
    c = ContainerEditor()
    c.load({"name": "app", "image": "busybox:1.35", "command": ["sh", "-c", "echo hi && sleep 1"]})
    assert c.value["command"] == ["sh", "-c", "echo hi && sleep 1"]


def test_bad_yaml_is_shown_not_raised() -> None:
    """Does loading broken YAML show the error in the panel and leave the form unchanged?"""
    ed = PodEditor(TWO_CONTAINERS)
    before = ed.spec
    ed.load_yaml("spec:\n  containers:\n  - name: a\n   image: b\n")
    assert ed.spec == before
    assert "Could not load" in str(ed.panel.errors.outputs)


def test_answer_file_saved_and_restored() -> None:
    """Does an editor with an answer name save on change and restore from the file next time?"""
    ed = PodEditor(TWO_CONTAINERS, answer="ch1-first-pod")
    ed.name.value = "renamed"
    assert answer_path("ch1-first-pod").is_file()
    assert "name: renamed" in load_answer_text("ch1-first-pod")
    again = PodEditor(TWO_CONTAINERS, answer="ch1-first-pod")
    assert again.spec["metadata"]["name"] == "renamed"


def test_grading_mode_builds_no_widgets(monkeypatch: pytest.MonkeyPatch) -> None:
    """While NBGRADER_EXECUTION is set, does editor_for_answer return the saved answer without widgets?"""
    PodEditor(TWO_CONTAINERS, answer="x").save()
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    view = editor_for_answer("x", starter="kind: Pod\n")
    assert isinstance(view, AnswerView)
    assert view.spec["metadata"]["name"] == "web"
    assert "not shown" in repr(view)


def test_finding_selection_highlights_line() -> None:
    """Does selecting a finding show its path and hint and highlight its YAML line?"""
    ed = PodEditor(TWO_CONTAINERS)
    ed.containers.items[0].image.value = ""
    idx = next(i for i, f in enumerate(ed.panel._findings) if f.rule == "image-required")
    ed.panel.findings_list.value = idx
    assert "spec.containers[0].image" in ed.panel.detail.value
    assert "hint:" in ed.panel.detail.value
    assert "#fff59d" in ed.panel.yaml_view.value


def test_showing_the_editor_saves_nothing() -> None:
    """Does merely showing an editor leave the answer file alone until the learner changes something?"""
    PodEditor(TWO_CONTAINERS, answer="untouched")
    assert not answer_path("untouched").exists()


def test_focus_opens_one_section_of_every_container() -> None:
    """Does `focus` unfold that section in each container, init containers and added ones included?"""
    ed = PodEditor(TWO_CONTAINERS, focus="probes")
    ed.init_containers.add_button.click()
    ed.containers.add_button.click()
    opened = {c.sections.selected_index for c in [*ed.containers.items, *ed.init_containers.items]}
    assert opened == {CONTAINER_SECTIONS.index("probes")}
    assert {c.sections.selected_index for c in PodEditor(TWO_CONTAINERS).containers.items} == {None}
    with pytest.raises(ValueError, match="focus must be one of"):
        PodEditor(TWO_CONTAINERS, focus="probe")


def test_sub_editors_carry_css_classes() -> None:
    """Can a browser test find each sub-editor by its class?"""
    assert "podcourse-probe-editor" in ProbeEditor()._dom_classes
    assert "podcourse-resources-editor" in ResourcesEditor()._dom_classes
    assert "podcourse-security-editor" in SecurityContextEditor()._dom_classes


# The editor exercises of the later chapters: (notebook, editor cell, answer cell, editor variable, exercise, focus).
EDITOR_EXERCISES = [
    ("ch7/ch7-probes.ipynb", "ch7-web-probes-editor", "ch7-web-probes-answer", "web_probes_editor",
     "ch7.web_probes", "probes"),
    ("ch8/ch8-resources-and-qos.ipynb", "ch8-guaranteed-editor", "ch8-guaranteed-answer", "guaranteed_editor",
     "ch8.guaranteed", "resources"),
    ("ch9/ch9-pod-security.ipynb", "ch9-port80-editor", "ch9-port80-answer", "port80_editor", "ch9.port80",
     "securityContext"),
]


@pytest.mark.parametrize(("notebook", "editor_cell", "answer_cell", "var", "exercise", "focus"), EDITOR_EXERCISES,
                         ids=[e[4] for e in EDITOR_EXERCISES])
def test_chapter_editor_starts_at_zero_and_the_solution_earns_full(
        notebook: str, editor_cell: str, answer_cell: str, var: str, exercise: str, focus: str) -> None:
    """Does each chapter's editor cell build a focused editor whose untouched starter earns 0, and the default full?"""
    import importlib

    import nbformat

    nb = nbformat.read(Path(__file__).resolve().parents[1] / "solutions" / notebook, as_version=4)
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in nb.cells}
    scope: dict = {}
    exec(compile(cells[editor_cell], editor_cell, "exec"), scope)
    ed = scope[var]
    assert isinstance(ed, PodEditor)
    assert {c.sections.selected_index for c in ed.containers.items} == {CONTAINER_SECTIONS.index(focus)}
    assert not answer_path(ed.answer).exists(), "showing the editor must not save"
    module, name = exercise.split(".")
    ex = getattr(importlib.import_module(f"graders.{module}"), name)
    assert ex.grade(ed.yaml, hidden=True)[0] == 0
    ed.save()  # the starter, saved: the answer cell must read it back byte for byte
    exec(compile(cells[answer_cell].replace("### BEGIN SOLUTION\n", "").replace("### END SOLUTION\n", ""),
                 answer_cell, "exec"), scope)
    answer_var = ex.answer_name
    assert scope[answer_var] == ed.yaml
    answer_path(ed.answer).unlink()
    exec(compile(cells[answer_cell], answer_cell, "exec"), scope)
    assert ex.grade(scope[answer_var], hidden=True)[0] == ex.max_points
