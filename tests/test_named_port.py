"""named-port-unknown: a probe or hook that names a port its own container does not declare."""

from __future__ import annotations

import pytest

from course import check_text
from course.checker.model import Options
from course.checker.presets import enabled_lints

RULE = "named-port-unknown"


def _pod(containers: str, extra: str = "") -> str:
    return "apiVersion: v1\nkind: Pod\nmetadata: {name: t}\nspec:\n" + extra + "  containers:\n" + containers


APP = "  - name: app\n    image: nginx:1.22\n"
HTTP = "    ports: [{name: http, containerPort: 80}]\n"
WEB = "    ports: [{name: web, containerPort: 80}]\n"
SIDECAR = "  initContainers:\n  - name: proxy\n    image: envoyproxy/envoy:v1.31.0\n    restartPolicy: Always\n"
C0 = "spec.containers[0]"

# (id, manifest, paths the lint must report (exactly), words the first message must contain)
CASES = [
    (
        "liveness httpGet, no ports",
        _pod(APP + "    livenessProbe: {httpGet: {path: /, port: http}}\n"),
        [f"{C0}.livenessProbe.httpGet.port"],
        ['livenessProbe.httpGet.port "http"', "none of its ports", "a hung container is never restarted"],
    ),
    (
        "readiness tcpSocket, other name",
        _pod(APP + WEB + "    readinessProbe: {tcpSocket: {port: http}}\n"),
        [f"{C0}.readinessProbe.tcpSocket.port"],
        ['its port names: "web"', "never becomes Ready"],
    ),
    (
        "startup near miss",
        _pod(APP + HTTP + "    startupProbe: {httpGet: {path: /, port: htp}}\n"),
        [f"{C0}.startupProbe.httpGet.port"],
        ['did you mean "http"?', "never counts as started"],
    ),
    (
        "all three probes",
        _pod(
            APP + "    startupProbe: {tcpSocket: {port: web}}\n    readinessProbe: {httpGet: {port: web}}\n"
            "    livenessProbe: {tcpSocket: {port: web}}\n"
        ),
        [
            f"{C0}.startupProbe.tcpSocket.port",
            f"{C0}.readinessProbe.httpGet.port",
            f"{C0}.livenessProbe.tcpSocket.port",
        ],
        [],
    ),
    (
        "preStop httpGet",
        _pod(APP + HTTP + "    lifecycle:\n      preStop: {httpGet: {path: /quit, port: admin}}\n"),
        [f"{C0}.lifecycle.preStop.httpGet.port"],
        ["FailedPreStopHook"],
    ),
    (
        "postStart httpGet",
        _pod(APP + "    lifecycle:\n      postStart: {httpGet: {path: /warm, port: admin}}\n"),
        [f"{C0}.lifecycle.postStart.httpGet.port"],
        ["container is killed", "FailedPostStartHook"],
    ),
    (
        "declared by another container only",
        _pod(
            APP + "    readinessProbe: {httpGet: {port: metrics}}\n  - name: exporter\n    image: nginx:1.22\n"
            "    ports: [{name: metrics, containerPort: 9090}]\n"
        ),
        [f"{C0}.readinessProbe.httpGet.port"],
        ['container "exporter" declares it', "its own ports only"],
    ),
    (
        "sidecar startup probe",
        _pod(APP, SIDECAR + "    startupProbe: {tcpSocket: {port: admin}}\n"),
        ["spec.initContainers[0].startupProbe.tcpSocket.port"],
        ['init container "proxy"', "init and app containers after it never start"],
    ),
    (
        "sidecar liveness, app declares it",
        _pod(
            APP + "    ports: [{name: admin, containerPort: 9901}]\n",
            SIDECAR + "    livenessProbe: {httpGet: {path: /ready, port: admin}}\n",
        ),
        ["spec.initContainers[0].livenessProbe.httpGet.port"],
        ['container "app" declares it'],
    ),
    (
        "deployment template",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {a: b}}\n"
        "  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers:\n      - name: app\n"
        "        image: nginx:1.22\n        readinessProbe: {httpGet: {port: http}}\n",
        ["spec.template.spec.containers[0].readinessProbe.httpGet.port"],
        [],
    ),
    # quiet
    ("declared name", _pod(APP + HTTP + "    livenessProbe: {httpGet: {path: /, port: http}}\n"), [], []),
    ("port number", _pod(APP + "    livenessProbe: {httpGet: {path: /, port: 80}}\n"), [], []),
    ("grpc port is a number", _pod(APP + "    livenessProbe: {grpc: {port: 9090}}\n"), [], []),
    # The kubelet runs no tcpSocket hook whatever its port: not this lint's business.
    ("tcpSocket hook", _pod(APP + "    lifecycle:\n      preStop: {tcpSocket: {port: admin}}\n"), [], []),
    # Not a port name at all: validation reports it (handler-field), the lint stays quiet.
    ("invalid name", _pod(APP + "    livenessProbe: {httpGet: {path: /, port: HTTP}}\n"), [], []),
    ("digits only", _pod(APP + "    livenessProbe: {httpGet: {path: /, port: '8080'}}\n"), [], []),
    # Probes on plain init containers and ephemeral containers are rejected by validation.
    (
        "plain init container",
        _pod(
            APP,
            "  initContainers:\n  - name: init\n    image: busybox:1.36\n    readinessProbe: {tcpSocket: {port: db}}\n",
        ),
        [],
        [],
    ),
    (
        "ephemeral container",
        _pod(
            APP,
            "  ephemeralContainers:\n  - name: dbg\n    image: busybox:1.36\n"
            "    readinessProbe: {tcpSocket: {port: db}}\n",
        ),
        [],
        [],
    ),
]


@pytest.mark.parametrize(("label", "text", "paths", "words"), CASES, ids=[c[0] for c in CASES])
def test_named_port_cases(label: str, text: str, paths: list[str], words: list[str]) -> None:
    """Does the lint report exactly the probe and hook ports whose name the container does not declare?"""
    found = [f for r in check_text(text, preset="all") for f in r.findings if f.rule == RULE]
    assert sorted(f.path for f in found) == sorted(paths), [str(f) for f in found]
    for w in words:
        assert w in found[0].message
    for f in found:
        assert "#use-a-named-port" in f.hint and f.severity == "warning"


def test_invalid_name_is_left_to_validation() -> None:
    """Is a malformed port name reported once, by validation (handler-field), not by the lint too?"""
    (r,) = check_text(_pod(APP + "    livenessProbe: {httpGet: {path: /, port: HTTP}}\n"), preset="all")
    assert "handler-field" in r.rules() and RULE not in r.rules()


@pytest.mark.parametrize(
    ("preset", "on"),
    [
        ("beginner", False),
        ("ch6", False),
        ("ch7", False),
        ("ch10", False),
        ("ch11", True),
        ("ch12", True),
        ("default", True),
        ("all", True),
        ("none", False),
    ],
)
def test_presets(preset: str, on: bool) -> None:
    """Is the lint on from troubleshooting (ch11) on and by default, but off in ch7, whose exercise hides it?"""
    assert (RULE in enabled_lints(Options(preset=preset))) is on
