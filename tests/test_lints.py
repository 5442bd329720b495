"""Best-practice lints and the presets that switch them on per chapter."""

from __future__ import annotations

import pytest
import yaml

from course.checker import lints
from course.checker.model import POD_SPEC_PATHS, Options, PodView
from course.checker.presets import PRESETS, enabled_lints, preset_names
from course.findings import get


def _view(doc: object, kind: str = "Pod", options: Options | None = None) -> PodView:
    return PodView(
        doc=doc,  # type: ignore[arg-type]
        kind=kind,
        spec_path=POD_SPEC_PATHS.get(kind, ("spec",)),
        options=options or Options(),
        positions={},
    )


def _run(text: str) -> set[tuple[str, str]]:
    doc = yaml.safe_load(text)
    kind = doc.get("kind", "Pod") if isinstance(doc, dict) else "Pod"
    return {(f.rule, f.path) for f in lints.check_pod(_view(doc, kind))}


def _pod(containers: str, extra: str = "", kind: str = "Pod") -> str:
    return f"apiVersion: v1\nkind: {kind}\nmetadata: {{name: t}}\nspec:\n{extra}  containers:\n{containers}"


C0 = "spec.containers[0]"
C1 = "spec.containers[1]"
APP = "  - name: app\n    image: nginx:1.22\n"

# (id, manifest, [(rule, path) that must fire], [rule ids (or (rule, path)) that must not fire])
CASES = [
    ("no tag", _pod("  - {name: app, image: nginx}\n"), [("image-tag-latest", f"{C0}.image")], []),
    ("latest tag", _pod("  - {name: app, image: 'nginx:latest'}\n"), [("image-tag-latest", f"{C0}.image")], []),
    ("pinned tag", _pod(APP), [], ["image-tag-latest"]),
    ("digest", _pod("  - {name: app, image: 'nginx@sha256:" + "a" * 64 + "'}\n"), [], ["image-tag-latest"]),
    (
        "registry port, no tag",
        _pod("  - {name: app, image: 'reg:5000/app'}\n"),
        [("image-tag-latest", f"{C0}.image")],
        [],
    ),
    ("registry port, tag", _pod("  - {name: app, image: 'reg:5000/app:1.2'}\n"), [], ["image-tag-latest"]),
    (
        "init image untagged",
        _pod(APP, "  initContainers:\n  - {name: i, image: busybox}\n"),
        [("image-tag-latest", "spec.initContainers[0].image")],
        [],
    ),
    # probes
    (
        "ports without readiness",
        _pod(APP + "    ports: [{containerPort: 80}]\n"),
        [("probe-readiness-missing", C0), ("probe-liveness-missing", C0)],
        [],
    ),
    ("no ports: no readiness nag", _pod(APP), [("probe-liveness-missing", C0)], ["probe-readiness-missing"]),
    (
        "probes present",
        _pod(
            APP + "    ports: [{containerPort: 80}]\n    readinessProbe: {tcpSocket: {port: 80}}\n"
            "    livenessProbe: {tcpSocket: {port: 80}}\n"
        ),
        [],
        ["probe-readiness-missing", "probe-liveness-missing"],
    ),
    (
        "restartPolicy Never needs no probes",
        _pod(APP + "    ports: [{containerPort: 80}]\n", "  restartPolicy: Never\n"),
        [],
        ["probe-readiness-missing", "probe-liveness-missing"],
    ),
    (
        "init containers need no probes",
        _pod(
            APP + "    livenessProbe: {tcpSocket: {port: 80}}\n",
            "  initContainers:\n  - {name: i, image: 'busybox:1', ports: [{containerPort: 1}]}\n",
        ),
        [],
        ["probe-readiness-missing", "probe-liveness-missing"],
    ),
    # resources
    ("no resources", _pod(APP), [("resources-requests-missing", C0), ("resources-limits-missing", C0)], []),
    (
        "cpu request only",
        _pod(APP + "    resources: {requests: {cpu: 100m}}\n"),
        [("resources-requests-missing", f"{C0}.resources.requests"), ("resources-limits-missing", f"{C0}.resources")],
        [],
    ),
    (
        "limits imply requests",
        _pod(APP + "    resources: {limits: {cpu: 1, memory: 64Mi}}\n"),
        [],
        ["resources-requests-missing", "resources-limits-missing"],
    ),
    (
        "pod-level resources cover containers",
        _pod(APP, "  resources: {requests: {cpu: 1, memory: 1Gi}, limits: {memory: 1Gi}}\n"),
        [],
        ["resources-requests-missing", "resources-limits-missing"],
    ),
    (
        "memory millibytes",
        _pod(APP + "    resources: {limits: {memory: 128m}}\n"),
        [("memory-millibytes", f"{C0}.resources.limits[memory]")],
        ["memory-no-unit"],
    ),
    (
        "memory Mi fine",
        _pod(APP + "    resources: {limits: {memory: 128Mi}, requests: {memory: 1Gi}}\n"),
        [],
        ["memory-millibytes", "memory-no-unit"],
    ),
    (
        "pod-level millibytes",
        _pod(APP, "  resources: {requests: {memory: 64m}}\n"),
        [("memory-millibytes", "spec.resources.requests[memory]")],
        [],
    ),
    (
        "memory no unit",
        _pod(APP + "    resources: {requests: {memory: 256}}\n"),
        [("memory-no-unit", f"{C0}.resources.requests[memory]")],
        [],
    ),
    (
        "memory big plain bytes fine",
        _pod(APP + "    resources: {requests: {memory: 268435456}}\n"),
        [],
        ["memory-no-unit"],
    ),
    (
        "cpu binary suffix",
        _pod(APP + "    resources: {requests: {cpu: 500Mi}}\n"),
        [("cpu-units", f"{C0}.resources.requests[cpu]")],
        [],
    ),
    (
        "cpu thousand cores",
        _pod(APP + "    resources: {limits: {cpu: '1000'}}\n"),
        [("cpu-units", f"{C0}.resources.limits[cpu]")],
        [],
    ),
    ("cpu sane", _pod(APP + "    resources: {limits: {cpu: 2}, requests: {cpu: 1500m}}\n"), [], ["cpu-units"]),
    # security
    (
        "privileged",
        _pod(APP + "    securityContext: {privileged: true}\n"),
        [("privileged-container", f"{C0}.securityContext.privileged")],
        [],
    ),
    ("not privileged", _pod(APP + "    securityContext: {privileged: false}\n"), [], ["privileged-container"]),
    (
        "no securityContext",
        _pod(APP),
        [
            ("run-as-root", C0),
            ("writable-root-filesystem", C0),
            ("capabilities-not-dropped", C0),
            ("privilege-escalation-allowed", C0),
        ],
        [],
    ),
    (
        "hardened",
        _pod(
            APP + "    securityContext: {runAsNonRoot: true, readOnlyRootFilesystem: true,"
            " allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n"
        ),
        [],
        ["run-as-root", "writable-root-filesystem", "capabilities-not-dropped", "privilege-escalation-allowed"],
    ),
    (
        "runAsUser 0",
        _pod(APP + "    securityContext: {runAsUser: 0}\n"),
        [("run-as-root", f"{C0}.securityContext.runAsUser")],
        [],
    ),
    (
        "pod runAsUser 0 reported once",
        _pod(APP + "  - {name: b, image: 'x:1'}\n", "  securityContext: {runAsUser: 0}\n"),
        [("run-as-root", "spec.securityContext.runAsUser")],
        [("run-as-root", C0), ("run-as-root", C1)],
    ),
    ("pod runAsNonRoot inherited", _pod(APP, "  securityContext: {runAsNonRoot: true}\n"), [], ["run-as-root"]),
    ("non-zero runAsUser", _pod(APP + "    securityContext: {runAsUser: 1000}\n"), [], ["run-as-root"]),
    (
        "container overrides pod nonroot",
        _pod(APP + "    securityContext: {runAsNonRoot: false}\n", "  securityContext: {runAsNonRoot: true}\n"),
        [("run-as-root", f"{C0}.securityContext.runAsNonRoot")],
        [],
    ),
    (
        "windows skips linux hardening",
        _pod(APP, "  os: {name: windows}\n"),
        [],
        ["run-as-root", "writable-root-filesystem", "capabilities-not-dropped"],
    ),
    (
        "drop list without ALL",
        _pod(APP + "    securityContext: {capabilities: {drop: [NET_RAW]}}\n"),
        [("capabilities-not-dropped", f"{C0}.securityContext.capabilities.drop")],
        [],
    ),
    (
        "escalation explicitly true",
        _pod(APP + "    securityContext: {allowPrivilegeEscalation: true}\n"),
        [("privilege-escalation-allowed", f"{C0}.securityContext.allowPrivilegeEscalation")],
        [],
    ),
    (
        "host namespaces",
        _pod(APP, "  hostNetwork: true\n  hostPID: true\n  hostIPC: false\n"),
        [("host-namespaces", "spec.hostNetwork"), ("host-namespaces", "spec.hostPID")],
        [("host-namespaces", "spec.hostIPC")],
    ),
    (
        "hostPath",
        _pod(APP, "  volumes:\n  - {name: d, hostPath: {path: /etc}}\n"),
        [("host-path-volume", "spec.volumes[0].hostPath")],
        [],
    ),
    (
        "hostPort",
        _pod(APP + "    ports: [{containerPort: 80, hostPort: 8080}]\n"),
        [("host-port", f"{C0}.ports[0].hostPort")],
        [],
    ),
    (
        "hostPort under hostNetwork",
        _pod(APP + "    ports: [{containerPort: 80, hostPort: 80}]\n", "  hostNetwork: true\n"),
        [],
        ["host-port"],
    ),
    (
        "env secret literal",
        _pod(
            APP + "    env:\n    - {name: DB_PASSWORD, value: hunter2}\n"
            "    - {name: apiKey, value: abc}\n    - {name: GITHUB_TOKEN, value: ghp}\n"
        ),
        [
            ("env-secret-literal", f"{C0}.env[0].value"),
            ("env-secret-literal", f"{C0}.env[1].value"),
            ("env-secret-literal", f"{C0}.env[2].value"),
        ],
        [],
    ),
    (
        "env not secret",
        _pod(
            APP + "    env:\n    - {name: PASSWORD_FILE, value: /run/secrets/pw}\n"
            "    - {name: TOKEN_TTL, value: '60'}\n    - {name: SECRET_NAME, value: db}\n"
            "    - {name: PWD, value: /}\n    - {name: DB_PASSWORD, value: ''}\n"
            "    - {name: API_TOKEN, value: '$(OTHER)'}\n"
            "    - {name: MYSQL_ALLOW_EMPTY_PASSWORD, value: 'yes'}\n"
        ),
        [],
        ["env-secret-literal"],
    ),
    # networking, volumes, workload shape
    (
        "port clash",
        _pod(
            APP + "    ports: [{containerPort: 80}]\n  - name: b\n    image: 'x:1'\n    ports: [{containerPort: 80}]\n"
        ),
        [("container-port-clash", f"{C1}.ports[0].containerPort")],
        [("container-port-clash", f"{C0}.ports[0].containerPort")],
    ),
    (
        "same port other protocol",
        _pod(
            APP + "    ports: [{containerPort: 53}]\n  - name: b\n    image: 'x:1'\n"
            "    ports: [{containerPort: 53, protocol: UDP}]\n"
        ),
        [],
        ["container-port-clash"],
    ),
    (
        "plain init container may reuse port",
        _pod(
            APP + "    ports: [{containerPort: 80}]\n",
            "  initContainers:\n  - {name: i, image: 'x:1', ports: [{containerPort: 80}]}\n",
        ),
        [],
        ["container-port-clash"],
    ),
    (
        "sidecar clashes",
        _pod(
            APP + "    ports: [{containerPort: 80}]\n",
            "  initContainers:\n  - {name: s, image: 'x:1', restartPolicy: Always, ports: [{containerPort: 80}]}\n",
        ),
        [("container-port-clash", f"{C0}.ports[0].containerPort")],
        [],
    ),
    (
        "memory emptyDir",
        _pod(APP, "  volumes:\n  - {name: c, emptyDir: {medium: Memory}}\n"),
        [("empty-dir-memory-no-limit", "spec.volumes[0].emptyDir")],
        [],
    ),
    (
        "memory emptyDir sized",
        _pod(APP, "  volumes:\n  - {name: c, emptyDir: {medium: Memory, sizeLimit: 1Mi}}\n"),
        [],
        ["empty-dir-memory-no-limit"],
    ),
    ("bare pod", _pod(APP), [("naked-pod", "kind"), ("automount-service-account-token", "spec")], []),
    ("automount off", _pod(APP, "  automountServiceAccountToken: false\n"), [], ["automount-service-account-token"]),
]


@pytest.mark.parametrize(("label", "text", "fire", "quiet"), CASES, ids=[c[0] for c in CASES])
def test_lint_cases(label: str, text: str, fire: list, quiet: list) -> None:
    """Do exactly the expected lints fire at the expected paths for this manifest?"""
    got = _run(text)
    for item in fire:
        assert item in got, f"{item} missing from {sorted(got)}"
    rules = {r for r, _ in got}
    for item in quiet:
        if isinstance(item, tuple):
            assert item not in got
        else:
            assert item not in rules, f"{item} fired: {sorted(got)}"


def test_job_template_needs_no_probes() -> None:
    """Does a Job's pod template escape the probe lints?"""
    text = (
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n    spec:\n"
        "      restartPolicy: Never\n      containers:\n      - {name: a, image: 'x:1', ports: [{containerPort: 80}]}\n"
    )
    rules = {r for r, _ in _run(text)}
    assert not rules & {"probe-readiness-missing", "probe-liveness-missing"}
    assert "naked-pod" not in rules


def test_deployment_paths_are_absolute() -> None:
    """Are lint paths in a Deployment rooted at spec.template.spec?"""
    text = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n"
        "      containers:\n      - {name: a, image: nginx}\n"
    )
    assert ("image-tag-latest", "spec.template.spec.containers[0].image") in _run(text)


def test_messages_name_the_container_and_fix() -> None:
    """Do lint messages name the container and say what to write instead?"""
    doc = yaml.safe_load(_pod("  - name: web\n    image: nginx\n    resources: {limits: {memory: 128m}}\n"))
    msgs = {f.rule: f.message for f in lints.check_pod(_view(doc))}
    assert "has no tag, so ':latest' is pulled" in msgs["image-tag-latest"]
    assert 'container "web"' in msgs["image-tag-latest"]
    assert "means 0.128 bytes" in msgs["memory-millibytes"]
    assert "128Mi" in msgs["memory-millibytes"]


@pytest.mark.parametrize(
    "cpu, suggestion",
    [("500Mi", "did you mean 500m (millicores)?"), ("0.5Gi", "did you mean 0.5 cores (500m)?"),
     ("1.25G", "did you mean 1.25 cores (1250m)?"), ("250", "did you mean 250m (millicores)?")],
)
def test_cpu_units_suggests_an_amount_that_exists(cpu: str, suggestion: str) -> None:
    """Does cpu-units suggest a real CPU amount (never `0.5m`) for each unit mistake?"""
    doc = yaml.safe_load(_pod(f"  - name: web\n    image: nginx:1.22\n    resources: {{requests: {{cpu: {cpu}}}}}\n"))
    msgs = [f.message for f in lints.check_pod(_view(doc)) if f.rule == "cpu-units"]
    assert len(msgs) == 1 and msgs[0].endswith(suggestion), msgs


def test_every_lint_rule_is_well_formed() -> None:
    """Is every registered lint a warning or info in category lint, with a kubernetes.io link?"""
    assert len(lints.LINTS) >= 15
    for rid in lints.LINTS:
        rule = get(rid)
        assert rule.category == "lint"
        assert rule.severity in ("warning", "info")
        assert rule.docs.startswith("https://kubernetes.io/docs/")
        assert rule.summary and rule.hint


@pytest.mark.parametrize("rule_id", sorted(lints.LINTS))
def test_rule_examples(rule_id: str) -> None:
    """Does each lint fire on its failing example and stay quiet on its passing one?"""
    rule = get(rule_id)
    assert rule_id in {r for r, _ in _run(rule.failing)}
    assert rule_id not in {r for r, _ in _run(rule.passing)}


HOSTILE = [
    None,
    "just text",
    [],
    {"spec": None},
    {"spec": "x"},
    {"spec": {"containers": "x", "initContainers": [1, None, "a"], "volumes": {"a": 1}}},
    {
        "spec": {
            "containers": [
                {
                    "image": 5,
                    "ports": "80",
                    "env": {"a": 1},
                    "securityContext": [],
                    "resources": {"limits": ["memory"], "requests": "1"},
                }
            ]
        }
    },
    {
        "spec": {
            "containers": [
                {
                    "image": ["nginx"],
                    "ports": [None, {"containerPort": True, "hostPort": "x", "protocol": 6}],
                    "env": [None, {"name": 3, "value": 4}, {"name": "TOKEN", "value": None}],
                    "securityContext": {
                        "runAsUser": True,
                        "runAsNonRoot": "yes",
                        "capabilities": {"drop": "ALL"},
                        "privileged": "true",
                    },
                    "resources": {
                        "limits": {"memory": True, "cpu": None, 7: "1"},
                        "requests": {"memory": 10**400, "cpu": "1e999999"},
                    },
                }
            ],
            "securityContext": "root",
            "volumes": [None, {"hostPath": "x", "emptyDir": None}, {"emptyDir": {"medium": ["Memory"]}}],
            "resources": {"limits": "x", "requests": {"memory": float("nan")}},
            "os": "windows",
            "hostNetwork": "true",
            "restartPolicy": ["Never"],
        }
    },
]


@pytest.mark.parametrize("doc", HOSTILE)
def test_hostile_input_never_raises(doc: object) -> None:
    """Do the lints survive wrong types anywhere in the document without raising?"""
    list(lints.check_pod(_view(doc)))




# --- presets ---------------------------------------------------------------------------------


def test_preset_names() -> None:
    """Are default, all, none, beginner and ch1..ch12 all offered?"""
    names = preset_names()
    assert names[:4] == ["default", "all", "none", "beginner"]
    assert [f"ch{n}" for n in range(1, 13)] == names[4:]


def test_presets_name_only_registered_lints() -> None:
    """Does every preset list only ids that are registered lints?"""
    for spec in PRESETS.values():
        assert spec.lints <= set(lints.LINTS)


def test_default_all_none() -> None:
    """Do default, all and none enable the default-on lints, every lint and nothing?"""
    every = set(lints.LINTS)
    default = enabled_lints(Options())
    assert default == {rid for rid in every if get(rid).default_enabled}
    assert "run-as-root" not in default and "image-tag-latest" in default
    assert enabled_lints(Options(preset="all")) == every
    assert enabled_lints(Options(preset="none")) == set()


@pytest.mark.parametrize(
    ("preset", "on", "off"),
    [
        (
            "beginner",
            {"image-tag-latest", "memory-millibytes"},
            {"probe-readiness-missing", "run-as-root", "resources-limits-missing"},
        ),
        ("ch1", {"image-tag-latest"}, {"probe-liveness-missing", "resources-requests-missing", "privileged-container"}),
        ("ch3", {"container-port-clash", "host-port"}, {"probe-readiness-missing"}),
        ("ch5", {"host-path-volume"}, {"probe-readiness-missing", "resources-requests-missing", "run-as-root"}),
        ("ch7", {"probe-readiness-missing", "probe-liveness-missing"}, {"resources-requests-missing"}),
        ("ch8", {"resources-requests-missing", "resources-limits-missing", "probe-readiness-missing"}, {"run-as-root"}),
        ("ch9", {"run-as-root", "privileged-container", "capabilities-not-dropped"}, {"naked-pod"}),
        ("ch10", {"naked-pod", "run-as-root"}, {"named-port-unknown"}),
        ("ch11", {"named-port-unknown", "naked-pod", "probe-readiness-missing", "run-as-root"}, set()),
        ("ch12", {"capabilities-not-dropped", "privilege-escalation-allowed", "run-as-root", "host-namespaces"}, set()),
    ],
)
def test_chapter_presets(preset: str, on: set[str], off: set[str]) -> None:
    """Does each chapter preset turn on what it has taught and nothing taught later?"""
    got = enabled_lints(Options(preset=preset))
    assert on <= got
    assert not off & got


def test_chapters_are_cumulative() -> None:
    """Does each chapter keep every lint of the chapter before it?"""
    for n in range(2, 13):
        assert enabled_lints(Options(preset=f"ch{n - 1}")) <= enabled_lints(Options(preset=f"ch{n}"))


def test_capstone_preset_is_every_lint() -> None:
    """Does the last chapter (ch12, the capstone) check every lint, so a new lint must be placed in a chapter?"""
    assert enabled_lints(Options(preset="ch12")) == set(lints.LINTS)
    assert enabled_lints(Options(preset="ch11")) == enabled_lints(Options(preset="ch10")) | {"named-port-unknown"}


def test_disabled_and_enabled() -> None:
    """Do options.disabled remove and options.enabled add lints on top of the preset?"""
    opts = Options(preset="beginner", disabled=frozenset({"image-tag-latest"}), enabled=frozenset({"run-as-root"}))
    got = enabled_lints(opts)
    assert "image-tag-latest" not in got
    assert "run-as-root" in got
    assert "memory-millibytes" in got
    # An id that is no lint is an error, not a no-op (tests/test_disable.py has the cases).
    with pytest.raises(ValueError, match="not-a-rule"):
        enabled_lints(Options(enabled=frozenset({"not-a-rule"})))


@pytest.mark.parametrize("preset", ["nope", "", "Default", "ch13", "ch0", None, 3])
def test_unknown_preset(preset: object) -> None:
    """Does an unknown preset raise ValueError that lists the valid names?"""
    with pytest.raises(ValueError, match="ch12"):
        enabled_lints(Options(preset=preset))  # type: ignore[arg-type]


def test_enabled_lints_is_cached() -> None:
    """Does a repeated call with equal options return the cached set?"""
    a = enabled_lints(Options(preset="ch4"))
    b = enabled_lints(Options(preset="ch4"))
    assert a is b
