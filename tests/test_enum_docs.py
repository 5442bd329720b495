"""Every closed-value (enum) field links the docs page about that field, not a neighbour's page."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from course import check_text
from course.checker import schema
from course.findings import DOCS

SCHEMAS = Path(schema.__file__).resolve().parent.parent / "data" / "schemas"
POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n"
APP = "  - name: app\n    image: nginx:1.22\n"

# (schema definition, field) -> the part of its docs link that shows the page is about that field.
PAGES: dict[tuple[str, str], str] = {
    ("core.v1.PodSpec", "restartPolicy"): "workloads/pods/pod-lifecycle/#restart-policy",
    ("core.v1.Container", "restartPolicy"): "workloads/pods/sidecar-containers/",
    ("core.v1.EphemeralContainer", "restartPolicy"): "workloads/pods/sidecar-containers/",
    ("core.v1.Container", "imagePullPolicy"): "containers/images/#image-pull-policy",
    ("core.v1.EphemeralContainer", "imagePullPolicy"): "containers/images/#image-pull-policy",
    ("core.v1.Container", "terminationMessagePolicy"): "determine-reason-pod-failure/#customizing-the-termination",
    ("core.v1.EphemeralContainer", "terminationMessagePolicy"): "determine-reason-pod-failure/#customizing-the",
    ("core.v1.PodSpec", "dnsPolicy"): "dns-pod-service/#pod-s-dns-policy",
    ("core.v1.PodSpec", "preemptionPolicy"): "pod-priority-preemption/#non-preempting-priority-class",
    ("core.v1.ContainerPort", "protocol"): "pod-v1/#ports",
    ("core.v1.ContainerResizePolicy", "restartPolicy"): "resize-container-resources/#container-resize-policies",
    ("core.v1.HTTPGetAction", "scheme"): "startup-probes/#http-probes",
    ("core.v1.Toleration", "operator"): "taint-and-toleration/",
    ("core.v1.Toleration", "effect"): "taint-and-toleration/",
    ("core.v1.NodeSelectorRequirement", "operator"): "assign-pod-node/#operators",
    ("meta.v1.LabelSelectorRequirement", "operator"): "labels/#set-based-requirement",
    ("core.v1.TopologySpreadConstraint", "whenUnsatisfiable"): "topology-spread-constraints/",
    ("core.v1.TopologySpreadConstraint", "nodeAffinityPolicy"): "topology-spread-constraints/",
    ("core.v1.TopologySpreadConstraint", "nodeTaintsPolicy"): "topology-spread-constraints/",
    ("core.v1.VolumeMount", "mountPropagation"): "storage/volumes/#mount-propagation",
    ("core.v1.VolumeMount", "recursiveReadOnly"): "storage/volumes/#recursive-read-only-mounts",
    ("core.v1.EmptyDirVolumeSource", "medium"): "storage/volumes/#emptydir",
    ("core.v1.HostPathVolumeSource", "type"): "storage/volumes/#hostpath",
    ("core.v1.SecurityContext", "procMount"): "user-namespaces/",
    ("core.v1.SeccompProfile", "type"): "security/seccomp/",
    ("core.v1.AppArmorProfile", "type"): "security/apparmor/",
    ("core.v1.PodSecurityContext", "fsGroupChangePolicy"): "security-context/#configure-volume-permission",
    ("core.v1.PodSecurityContext", "supplementalGroupsPolicy"): "security-context/#supplementalgroupspolicy",
    ("core.v1.PodOS", "name"): "workloads/pods/#pod-os",
}


def _closed_fields() -> set[tuple[str, str]]:
    """(definition, field) of every string field with a closed set of values, in every shipped schema."""
    out: set[tuple[str, str]] = set()

    def walk(node: Any, owner: str, prop: str) -> None:
        if not isinstance(node, dict):
            return
        if node.get("e"):
            out.add((owner, prop))
        for k, v in (node.get("p") or {}).items():
            walk(v, owner, k)
        walk(node.get("i"), owner, prop)
        walk(node.get("a"), owner, prop)

    for path in sorted(SCHEMAS.glob("v*.json.gz")):
        for name, node in json.loads(gzip.decompress(path.read_bytes()))["defs"].items():
            walk(node, name, "")
    return out


def test_every_closed_field_has_a_page() -> None:
    """Does every enum field of every shipped schema have its own row here (and so a page of its own)?"""
    fields = _closed_fields()
    assert fields, "no closed fields found: did the schema format change?"
    assert fields <= PAGES.keys(), f"add a docs page for {sorted(fields - PAGES.keys())}"


@pytest.mark.parametrize(("owner", "field"), sorted(PAGES))
def test_enum_page_fits_the_field(owner: str, field: str) -> None:
    """Does the enum's docs link name the page (and anchor) about this field of this object?"""
    page = schema.enum_docs(owner, field)
    assert page.startswith(DOCS)
    assert PAGES[(owner, field)] in page
    if field != "imagePullPolicy":
        assert "image-pull-policy" not in page


# (manifest, path of the enum-value finding, part of the docs link its hint must carry)
FINDINGS = [
    (POD + "  restartPolicy: always\n  containers:\n" + APP, "spec.restartPolicy", "pod-lifecycle/#restart-policy"),
    (
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n    spec:\n"
        "      restartPolicy: never\n      containers:\n      - {name: a, image: busybox:1.36}\n",
        "spec.template.spec.restartPolicy",
        "pod-lifecycle/#restart-policy",
    ),
    (POD + "  dnsPolicy: clusterFirst\n  containers:\n" + APP, "spec.dnsPolicy", "#pod-s-dns-policy"),
    (
        POD + "  containers:\n" + APP + "    imagePullPolicy: always\n",
        "spec.containers[0].imagePullPolicy",
        "images/#image-pull-policy",
    ),
    (
        POD + "  containers:\n" + APP + "    terminationMessagePolicy: FallbackToLogs\n",
        "spec.containers[0].terminationMessagePolicy",
        "#customizing-the-termination-message",
    ),
    (
        POD + "  containers:\n" + APP + "    ports: [{containerPort: 80, protocol: tcp}]\n",
        "spec.containers[0].ports[0].protocol",
        "pod-v1/#ports",
    ),
    (
        POD + "  containers:\n" + APP + "  ephemeralContainers:\n  - {name: dbg, image: busybox:1.36, "
        "imagePullPolicy: sometimes}\n",
        "spec.ephemeralContainers[0].imagePullPolicy",
        "images/#image-pull-policy",
    ),
]


@pytest.mark.parametrize(("text", "path", "page"), FINDINGS, ids=[f[1] for f in FINDINGS])
def test_enum_finding_links_its_field(text: str, path: str, page: str) -> None:
    """Does an unsupported enum value's finding link the page about that very field?"""
    (result,) = check_text(text)
    found = [f for f in result.findings if f.rule == "enum-value" and f.path == path]
    assert found, [str(f) for f in result.findings]
    assert page in found[0].docs
    assert found[0].docs in found[0].hint


def test_rule_page_is_not_one_fields_page() -> None:
    """Does the enum-value rule itself (`pod-course rules`) link the API reference, not the image-pull page?"""
    from course.findings import get

    assert get("enum-value").docs == DOCS + "reference/kubernetes-api/workload-resources/pod-v1/"
