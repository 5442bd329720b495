"""QoS class as the API server computes it, and the reasons given to learners."""

from __future__ import annotations

import pytest
import yaml

from course.checker.qos import explain_qos, qos_class


def _spec(containers: str, extra: str = "") -> dict:
    return yaml.safe_load("containers:\n" + containers + extra)


G, B, BE = "Guaranteed", "Burstable", "BestEffort"

CASES = [
    ("no resources", "- {name: a, image: x}\n", "", BE),
    ("limits only -> requests default to limits", "- name: a\n  resources: {limits: {cpu: 1, memory: 1Gi}}\n", "", G),
    (
        "equal values written differently",
        "- name: a\n  resources:\n    requests: {cpu: '1', memory: 1024Mi}\n    limits: {cpu: 1000m, memory: 1Gi}\n",
        "",
        G,
    ),
    (
        "requests below limits",
        "- name: a\n  resources:\n    requests: {cpu: 500m, memory: 1Gi}\n    limits: {cpu: 1, memory: 1Gi}\n",
        "",
        B,
    ),
    ("memory limit missing", "- name: a\n  resources: {limits: {cpu: 1}}\n", "", B),
    ("requests only", "- name: a\n  resources: {requests: {cpu: 100m}}\n", "", B),
    (
        "init container without limits",
        "- name: a\n  resources: {limits: {cpu: 1, memory: 1Gi}}\n",
        "initContainers:\n- {name: i, image: x}\n",
        B,
    ),
    (
        "init container with equal limits",
        "- name: a\n  resources: {limits: {cpu: 1, memory: 1Gi}}\n",
        "initContainers:\n- name: i\n  resources: {limits: {cpu: 1, memory: 1Gi}}\n",
        G,
    ),
    (
        "sidecar without limits",
        "- name: a\n  resources: {limits: {cpu: 1, memory: 1Gi}}\n",
        "initContainers:\n- {name: s, image: x, restartPolicy: Always}\n",
        B,
    ),
    (
        "init container alone sets resources",
        "- {name: a, image: x}\n",
        "initContainers:\n- name: i\n  resources: {requests: {memory: 10Mi}}\n",
        B,
    ),
    (
        "ephemeral containers are ignored",
        "- name: a\n  resources: {limits: {cpu: 1, memory: 1Gi}}\n",
        "ephemeralContainers:\n- {name: dbg, image: busybox}\n",
        G,
    ),
    ("ephemeral-storage only", "- name: a\n  resources: {limits: {ephemeral-storage: 1Gi}}\n", "", BE),
    ("extended resources ignored", "- name: a\n  resources: {limits: {nvidia.com/gpu: 1}}\n", "", BE),
    (
        "extended resources do not block Guaranteed",
        "- name: a\n  resources: {limits: {cpu: 1, memory: 1Gi, example.com/foo: 2}}\n",
        "",
        G,
    ),
    ("zero requests are unset", "- name: a\n  resources: {requests: {cpu: '0', memory: 0}}\n", "", BE),
    (
        "zero request with a limit",
        "- name: a\n  resources:\n    requests: {cpu: 0}\n    limits: {cpu: 1, memory: 1Gi}\n",
        "",
        B,
    ),
    ("invalid quantity ignored", "- name: a\n  resources: {limits: {cpu: lots, memory: many}}\n", "", BE),
    (
        "invalid quantity blocks Guaranteed",
        "- name: a\n  resources: {limits: {cpu: lots, memory: 1Gi}}\n",
        "",
        B,
    ),
    (
        "two containers both guaranteed",
        "- name: a\n  resources: {limits: {cpu: 1, memory: 1Gi}}\n"
        "- name: b\n  resources: {limits: {cpu: 250m, memory: 64Mi}}\n",
        "",
        G,
    ),
    (
        "second container without resources",
        "- name: a\n  resources: {limits: {cpu: 1, memory: 1Gi}}\n- {name: b, image: x}\n",
        "",
        B,
    ),
    # Pod-level resources decide instead of the containers.
    ("pod-level limits only", "- {name: a, image: x}\n", "resources: {limits: {cpu: 1, memory: 1Gi}}\n", G),
    ("pod-level requests only", "- {name: a, image: x}\n", "resources: {requests: {cpu: 1, memory: 1Gi}}\n", B),
    ("pod-level cpu limit only", "- {name: a, image: x}\n", "resources: {limits: {cpu: 1}}\n", B),
    (
        "pod-level overrides container limits",
        "- name: a\n  resources: {limits: {cpu: 1, memory: 1Gi}}\n",
        "resources: {requests: {cpu: 1}, limits: {cpu: 2, memory: 2Gi}}\n",
        B,
    ),
    (
        "pod-level requests default from container requests",
        "- name: a\n  resources: {requests: {cpu: 500m, memory: 1Gi}}\n",
        "resources: {limits: {cpu: 1, memory: 1Gi}}\n",
        B,
    ),
    (
        "pod-level limits default from container limits",
        "- name: a\n  resources: {limits: {cpu: 1, memory: 1Gi}}\n",
        "resources: {requests: {cpu: 1, memory: 1Gi}}\n",
        G,
    ),
    (
        "empty pod-level resources fall back to containers",
        "- name: a\n  resources: {limits: {cpu: 1, memory: 1Gi}}\n",
        "resources: {}\n",
        G,
    ),
    (
        "pod-level extended resource only falls back to containers",
        "- name: a\n  resources: {limits: {cpu: 1, memory: 1Gi}}\n",
        "resources: {limits: {example.com/foo: 1}}\n",
        G,
    ),
]


@pytest.mark.parametrize(("label", "containers", "extra", "expected"), CASES, ids=[c[0] for c in CASES])
def test_qos_class(label: str, containers: str, extra: str, expected: str) -> None:
    """Does each pod spec get the QoS class the API server would store?"""
    assert qos_class(_spec(containers, extra)) == expected


HOSTILE = [
    None,
    [],
    "spec",
    42,
    {"containers": "nope"},
    {"containers": [None, 3, "x", []]},
    {"containers": [{"resources": "lots"}]},
    {"containers": [{"resources": {"limits": ["cpu"], "requests": 5}}]},
    {"containers": [{"resources": {"limits": {"cpu": True, "memory": None, 3: "1"}}}]},
    {"containers": [{"resources": {"limits": {"cpu": 10**400, "memory": float("nan")}}}]},
    {"containers": [{"resources": {"limits": {"cpu": "1e999999", "memory": {"a": 1}}}}]},
    {"containers": [], "resources": "pod"},
    {"containers": [], "resources": {"limits": {"cpu": [1]}, "requests": None}},
    {"initContainers": {"a": 1}, "containers": [{"restartPolicy": ["Always"]}]},
]


@pytest.mark.parametrize("spec", HOSTILE)
def test_hostile_specs_never_raise(spec: object) -> None:
    """Does a spec with wrong types anywhere still yield a QoS class and reasons without raising?"""
    assert qos_class(spec) in ("Guaranteed", "Burstable", "BestEffort")  # type: ignore[arg-type]
    assert explain_qos(spec)  # type: ignore[arg-type]


def test_huge_valid_number_counts() -> None:
    """Does an absurdly large but valid limit still count toward the class?"""
    spec = {"containers": [{"resources": {"limits": {"cpu": 10**30, "memory": "1E"}}}]}
    assert qos_class(spec) == "Guaranteed"


@pytest.mark.parametrize(
    ("containers", "extra", "needle"),
    [
        ("- name: app\n  resources: {limits: {cpu: 1}}\n", "", 'container "app" has no memory limit'),
        ("- name: app\n  resources: {requests: {cpu: 1}}\n", "", 'container "app" has no cpu limit'),
        (
            "- name: app\n  resources: {limits: {cpu: 1, memory: 1Gi}}\n",
            "initContainers:\n- {name: setup, image: x}\n",
            'init container "setup" has no memory limit',
        ),
        (
            "- name: app\n  resources:\n    requests: {cpu: 500m, memory: 1Gi}\n    limits: {cpu: 1, memory: 1Gi}\n",
            "",
            'container "app" has a cpu request that differs from its cpu limit',
        ),
        ("- {name: app, image: x}\n", "", "no container sets a cpu or memory request or limit"),
        ("- {name: app, image: x}\n", "resources: {requests: {cpu: 1}}\n", "pod-level"),
    ],
)
def test_explain_names_the_cause(containers: str, extra: str, needle: str) -> None:
    """Does the explanation name the container and resource that decided the class?"""
    assert any(needle in reason for reason in explain_qos(_spec(containers, extra)))


def test_guaranteed_explanation_has_no_blame() -> None:
    """Does a Guaranteed pod's explanation avoid blaming any container?"""
    reasons = explain_qos(_spec("- name: a\n  resources: {limits: {cpu: 1, memory: 1Gi}}\n"))
    assert not any("has no" in r for r in reasons)
