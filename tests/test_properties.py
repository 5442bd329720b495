"""Property-based tests: no input makes the checker raise, hang or report an internal error."""

from __future__ import annotations

import copy
import random

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course import check_object, check_text
from course.checker.model import Result
from tests.conftest import SHARED

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["", "Always", "500m", "1Gi", "128m", "-1", "nginx", "ALL", "0", "RuntimeDefault"]),
)
keys = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["name", "image", "containers", "initContainers", "ports", "containerPort", "resources", "limits",
         "requests", "cpu", "memory", "securityContext", "volumes", "volumeMounts", "livenessProbe",
         "httpGet", "port", "restartPolicy", "hostPort", "capabilities", "add", "drop", "emptyDir"]
    ),
)
trees = st.recursive(scalars, lambda c: st.lists(c, max_size=4) | st.dictionaries(keys, c, max_size=5), max_leaves=40)


def _ok(results: list[Result]) -> None:
    for r in results:
        assert "internal-error" not in r.rules(), [str(f) for f in r.findings]
        for f in r.findings:
            assert f.rule and f.message and f.hint


@SETTINGS
@given(st.text(max_size=400))
def test_arbitrary_text_never_raises(text: str) -> None:
    """Does arbitrary text give results or a clear finding, never an exception?"""
    _ok(check_text(text))


@SETTINGS
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    """Do arbitrary bytes give results or a clear finding, never an exception?"""
    _ok(check_text(data))


@SETTINGS
@given(trees)
def test_arbitrary_trees_never_raise(tree: object) -> None:
    """Does any JSON-like tree passed as an object give a result, never an exception?"""
    _ok([check_object(tree)])


@SETTINGS
@given(st.dictionaries(keys, trees, max_size=8))
def test_arbitrary_pod_specs_never_raise(spec: dict) -> None:
    """Does any tree placed as a Pod's spec give a result, never an exception?"""
    _ok([check_object({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec})])


def _pod_docs() -> list[dict]:
    base = SHARED / "corpus" / "manifests" / "kubernetes-website"
    docs: list[dict] = []
    for p in sorted(base.rglob("*.yaml"))[:200] if base.is_dir() else []:
        try:
            for d in yaml.safe_load_all(p.read_text()):
                if isinstance(d, dict) and d.get("kind") in {"Pod", "Deployment", "Job", "DaemonSet"}:
                    docs.append(d)
        except yaml.YAMLError:
            continue
    return docs


POD_DOCS = _pod_docs()


def _mutate(doc: object, rnd: random.Random, replacement: object) -> object:
    """Replace one randomly chosen node of `doc` with `replacement`."""
    doc = copy.deepcopy(doc)
    slots: list[tuple[object, object]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                slots.append((node, k))
                walk(v)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                slots.append((node, i))
                walk(v)

    walk(doc)
    if slots:
        parent, key = rnd.choice(slots)
        parent[key] = replacement  # type: ignore[index]
    return doc


@pytest.mark.skipif(not POD_DOCS, reason="corpus not available")
@SETTINGS
@given(st.integers(min_value=0), st.integers(min_value=0), trees)
def test_mutated_real_manifests_never_raise(pick: int, seed: int, replacement: object) -> None:
    """Does a real manifest with one node replaced by junk give a result, never an exception?"""
    doc = POD_DOCS[pick % len(POD_DOCS)]
    mutated = _mutate(doc, random.Random(seed), replacement)
    _ok([check_object(mutated)])
    _ok(check_text(yaml.safe_dump(mutated)))

