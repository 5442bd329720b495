"""Pod Security Standards: upstream conformance fixtures plus table-driven unit tests."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course.checker import pss
from course.checker.model import POD_SPEC_PATHS, Options, PodSecurity, PodView, dig

# ---------------------------------------------------------------------------
# Upstream conformance: every fixture of k8s.io/pod-security-admission test/testdata

_env = os.environ.get("POD_COURSE_SHARED")
SHARED = Path(_env) if _env else Path(__file__).resolve().parents[1].parent / "shared"
PSS_DIR = SHARED / "conformance" / "pss"
INDEX = PSS_DIR / "INDEX.tsv"
EXPECTED_FIXTURES = 4537
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _index_rows() -> list[dict[str, str]]:
    if not INDEX.is_file():
        return []
    with INDEX.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


ROWS = _index_rows()
_MISSING = f"PSS conformance fixtures not found at {PSS_DIR} (set POD_COURSE_SHARED to the shared/ directory)"
CONFORMANCE_PARAMS = [pytest.param(r, id=r["path"]) for r in ROWS] or [
    pytest.param(None, id="no-fixtures", marks=pytest.mark.skip(reason=_MISSING))
]
# The restricted check that replaces each baseline check at the restricted level.
REPLACED_BY = {base: restricted for restricted, base in pss.OVERRIDES.items()}


def _verdict(row: dict[str, str]) -> tuple[PodSecurity, list[str]]:
    """Evaluate one fixture; returns the result and what is wrong with it (empty when it conforms)."""
    doc = yaml.load((PSS_DIR / row["path"]).read_text(encoding="utf-8"), Loader=LOADER)
    res = pss.evaluate_spec(doc.get("spec"), doc.get("metadata"), row["version"])
    problems: list[str] = []
    allowed = pss.allows(res, row["level"])
    if row["expect"] == "pass" and not allowed:
        problems.append(f"denied at {row['level']} (level {res.level}) but upstream allows it")
    if row["expect"] == "fail":
        if allowed:
            problems.append(f"allowed at {row['level']} (level {res.level}) but upstream denies it")
        names = {row["check_id"], REPLACED_BY.get(row["check_id"], row["check_id"])}
        msgs = [v.message for v in res.violations if v.check in names]
        if not msgs:
            problems.append(f"no violation of {sorted(names)}")
        elif not any(row["expected_error_substring"].lower() in m.lower() for m in msgs):
            problems.append(f"no {sorted(names)} message contains {row['expected_error_substring']!r}: {msgs}")
    return res, problems


@pytest.mark.parametrize("row", CONFORMANCE_PARAMS)
def test_upstream_fixture(row: dict[str, str]) -> None:
    """Does the evaluator give upstream's verdict, check and reason for this fixture?"""
    res, problems = _verdict(row)
    assert res.version == row["version"]
    assert not problems, "; ".join(problems) + f"\nviolations: {[v.to_dict() for v in res.violations]}"


def test_fixture_index_is_complete() -> None:
    """Does INDEX.tsv list all 4,537 upstream fixtures, every one present on disk?"""
    if not ROWS:
        pytest.skip(_MISSING)
    assert len(ROWS) == EXPECTED_FIXTURES
    assert all((PSS_DIR / r["path"]).is_file() for r in ROWS)
    assert {r["version"] for r in ROWS} == set(pss.POLICY_VERSIONS)


def test_conformance_in_one_pass() -> None:
    """Do all 4,537 fixtures give the upstream verdict when evaluated in one pass (shared state and all)?"""
    if not ROWS:
        pytest.skip(_MISSING)
    failures = [r["path"] for r in ROWS if _verdict(r)[1]]
    assert failures == []


# ---------------------------------------------------------------------------
# Helpers for the unit tests

HARDENED_CONTAINER = """
name: app
image: nginx:1.22
securityContext:
  allowPrivilegeEscalation: false
  capabilities: {drop: [ALL]}
"""
HARDENED_POD_SC = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}


def hardened(**changes: Any) -> dict[str, Any]:
    """A spec that is restricted at every version, with top-level keys replaced."""
    spec: dict[str, Any] = {
        "containers": [yaml.safe_load(HARDENED_CONTAINER)],
        "securityContext": dict(HARDENED_POD_SC),
    }
    spec.update(changes)
    return spec


def spec_of(text: str) -> dict[str, Any]:
    return yaml.safe_load(text)


def checks(res: PodSecurity) -> set[tuple[str, str]]:
    return {(v.check, v.path) for v in res.violations}


def check_ids(res: PodSecurity) -> set[str]:
    return {v.check for v in res.violations}


# ---------------------------------------------------------------------------
# Versions


@pytest.mark.parametrize(
    ("given_version", "normalised"),
    [
        ("latest", "v1.37"),
        ("LATEST", "v1.37"),
        ("v1.30", "v1.30"),
        ("1.30", "v1.30"),
        (" v1.0 ", "v1.0"),
        ("v1.37", "v1.37"),
    ],
)
def test_check_version_accepts(given_version: str, normalised: str) -> None:
    """Does check_version normalise 'latest', 'v1.N' and '1.N' to 'v1.N'?"""
    assert pss.check_version(given_version) == normalised


@pytest.mark.parametrize("bad", ["v2.0", "1.x", "v1.38", "", "v1", "1", "v1.-1", "vv1.2", None, 1.3, ["v1.2"]])
def test_check_version_rejects(bad: Any) -> None:
    """Does check_version reject an unknown version with a message that names it?"""
    with pytest.raises(ValueError, match="version") as info:
        pss.check_version(bad)
    if isinstance(bad, str) and bad:
        assert repr(bad) in str(info.value)


def test_policy_versions_list() -> None:
    """Do POLICY_VERSIONS run v1.0..v1.37 in order, with LATEST the last one?"""
    assert pss.POLICY_VERSIONS[0] == "v1.0"
    assert pss.POLICY_VERSIONS[-1] == pss.LATEST == "v1.37"
    assert len(pss.POLICY_VERSIONS) == 38


def test_latest_resolves() -> None:
    """Does evaluating at 'latest' report the resolved version v1.37?"""
    assert pss.evaluate_spec(hardened(), {}).version == "v1.37"
    assert pss.evaluate_spec(hardened(), {}, "1.20").version == "v1.20"


# ---------------------------------------------------------------------------
# Level selection


@pytest.mark.parametrize(
    ("spec", "level", "fired"),
    [
        (hardened(), "restricted", set()),
        (
            {"containers": [{"name": "app", "image": "nginx"}]},
            "baseline",
            {"runAsNonRoot", "allowPrivilegeEscalation", "seccompProfile_restricted", "capabilities_restricted"},
        ),
        (hardened(hostNetwork=True), "privileged", {"hostNamespaces"}),
        (
            {"hostPID": True, "containers": [{"name": "app", "image": "nginx"}]},
            "privileged",
            {
                "hostNamespaces",
                "runAsNonRoot",
                "allowPrivilegeEscalation",
                "seccompProfile_restricted",
                "capabilities_restricted",
            },
        ),
        (hardened(securityContext={**HARDENED_POD_SC, "runAsUser": 0}), "baseline", {"runAsUser"}),
        (
            hardened(securityContext={**HARDENED_POD_SC, "sysctls": [{"name": "kernel.msgmax", "value": "1"}]}),
            "privileged",
            {"sysctls"},
        ),
    ],
)
def test_level_selection(spec: dict[str, Any], level: str, fired: set[str]) -> None:
    """Is the level the strictest one the pod meets, with every failed check (both levels) listed?"""
    res = pss.evaluate_spec(spec, {})
    assert res.level == level
    assert check_ids(res) == fired


def test_violation_levels_follow_their_checks() -> None:
    """Does each violation carry the level its check belongs to, baseline ones first?"""
    res = pss.evaluate_spec({"hostIPC": True, "containers": [{"name": "app", "image": "nginx"}]}, {})
    levels = [v.level for v in res.violations]
    assert levels == sorted(levels)  # "baseline" < "restricted"
    assert {(v.check, v.level) for v in res.violations} >= {
        ("hostNamespaces", "baseline"),
        ("runAsNonRoot", "restricted"),
    }


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            hardened(volumes=[{"name": "cfg", "configMap": {"name": "c"}}, {"name": "h", "hostPath": {"path": "/"}}]),
            {
                ("hostPathVolumes", "baseline", "spec.volumes[1].hostPath"),
                ("restrictedVolumes", "restricted", "spec.volumes[1].hostPath"),
            },
        ),
        (
            hardened(
                containers=[
                    {
                        **yaml.safe_load(HARDENED_CONTAINER),
                        "securityContext": {
                            "allowPrivilegeEscalation": False,
                            "capabilities": {"drop": ["ALL"], "add": ["NET_RAW"]},
                        },
                    }
                ]
            ),
            {
                ("capabilities_baseline", "baseline", "spec.containers[0].securityContext.capabilities.add[0]"),
                ("capabilities_restricted", "restricted", "spec.containers[0].securityContext.capabilities.add[0]"),
            },
        ),
        (
            hardened(securityContext={"runAsNonRoot": True, "seccompProfile": {"type": "Unconfined"}}),
            {
                ("seccompProfile_baseline", "baseline", "spec.securityContext.seccompProfile.type"),
                ("seccompProfile_restricted", "restricted", "spec.securityContext.seccompProfile.type"),
            },
        ),
    ],
)
def test_overridden_pair_reported_once_per_level(spec: dict[str, Any], expected: set[tuple[str, str, str]]) -> None:
    """Does a field failing a baseline check and its restricted override get exactly one violation per level?"""
    res = pss.evaluate_spec(spec, {})
    got = [(v.check, v.level, v.path) for v in res.violations]
    assert sorted(got) == sorted(expected)
    assert res.level == "privileged"
    by_level = {v.level: v.message for v in res.violations}
    assert by_level["baseline"] != by_level["restricted"]


def test_net_bind_service_is_baseline_but_chown_is_not_restricted() -> None:
    """Does adding CHOWN pass baseline but fail capabilities_restricted, while NET_BIND_SERVICE passes both?"""

    def with_add(cap: str) -> dict[str, Any]:
        c = yaml.safe_load(HARDENED_CONTAINER)
        c["securityContext"]["capabilities"]["add"] = [cap]
        return hardened(containers=[c])

    assert pss.evaluate_spec(with_add("NET_BIND_SERVICE"), {}).level == "restricted"
    res = pss.evaluate_spec(with_add("CHOWN"), {})
    assert res.level == "baseline"
    assert checks(res) == {("capabilities_restricted", "spec.containers[0].securityContext.capabilities.add[0]")}
    for bad in ("chown", "CAP_CHOWN", "NET_RAW"):
        assert pss.evaluate_spec(with_add(bad), {}).level == "privileged", bad


# ---------------------------------------------------------------------------
# Paths and messages

PATH_CASES = [
    ("hostNetwork: true", "hostNamespaces", "spec.hostNetwork", "host namespaces"),
    (
        "securityContext: {sysctls: [{name: kernel.shm_rmid_forced, value: '1'}, {name: vm.swappiness, value: '1'}]}",
        "sysctls",
        "spec.securityContext.sysctls[1].name",
        "forbidden sysctl",
    ),
    (
        "containers: [{name: app, image: x, ports: [{containerPort: 80}, {containerPort: 81, hostPort: 8081}]}]",
        "hostPorts",
        "spec.containers[0].ports[1].hostPort",
        "hostPort",
    ),
    (
        "initContainers: [{name: init, image: x, securityContext: {privileged: true}}]",
        "privileged",
        "spec.initContainers[0].securityContext.privileged",
        "privileged",
    ),
    (
        "ephemeralContainers: [{name: dbg, image: x, securityContext: {procMount: Unmasked}}]",
        "procMount",
        "spec.ephemeralContainers[0].securityContext.procMount",
        "procMount",
    ),
    (
        "securityContext: {seLinuxOptions: {type: spc_t}}",
        "seLinuxOptions",
        "spec.securityContext.seLinuxOptions.type",
        "seLinuxOptions",
    ),
    (
        "containers: [{name: app, image: x, securityContext: {seLinuxOptions: {role: sysadm_r}}}]",
        "seLinuxOptions",
        "spec.containers[0].securityContext.seLinuxOptions.role",
        "seLinuxOptions",
    ),
    (
        "containers: [{name: app, image: x, securityContext: {appArmorProfile: {type: Unconfined}}}]",
        "appArmorProfile",
        "spec.containers[0].securityContext.appArmorProfile.type",
        "forbidden AppArmor profile",
    ),
    (
        "securityContext: {windowsOptions: {hostProcess: true}}",
        "windowsHostProcess",
        "spec.securityContext.windowsOptions.hostProcess",
        "hostProcess",
    ),
    (
        "containers: [{name: app, image: x, livenessProbe: {httpGet: {host: 10.0.0.1, port: 80}}}]",
        "hostProbesAndHostLifecycle",
        "spec.containers[0].livenessProbe.httpGet.host",
        "probe or lifecycle host",
    ),
    (
        "containers: [{name: app, image: x, lifecycle: {preStop: {tcpSocket: {host: evil, port: 1}}}}]",
        "hostProbesAndHostLifecycle",
        "spec.containers[0].lifecycle.preStop.tcpSocket.host",
        "probe or lifecycle host",
    ),
    (
        "containers: [{name: app, image: x}]\nvolumes: [{name: repo, gitRepo: {repository: r}}]",
        "restrictedVolumes",
        "spec.volumes[0].gitRepo",
        "restricted volume types",
    ),
    (
        "containers: [{name: app, image: x, securityContext: {runAsNonRoot: false}}]",
        "runAsNonRoot",
        "spec.containers[0].securityContext.runAsNonRoot",
        "runAsNonRoot",
    ),
    (
        "containers: [{name: app, image: x}]",
        "allowPrivilegeEscalation",
        "spec.containers[0].securityContext.allowPrivilegeEscalation",
        "allowPrivilegeEscalation=false",
    ),
    (
        "containers: [{name: app, image: x}]",
        "capabilities_restricted",
        "spec.containers[0].securityContext.capabilities.drop",
        "unrestricted capabilities",
    ),
    (
        "containers: [{name: app, image: x}]",
        "seccompProfile_restricted",
        "spec.containers[0].securityContext.seccompProfile.type",
        "seccompProfile",
    ),
    (
        "containers: [{name: app, image: x, securityContext: {runAsUser: 0}}]",
        "runAsUser",
        "spec.containers[0].securityContext.runAsUser",
        "runAsUser=0",
    ),
]


@pytest.mark.parametrize(("snippet", "check", "path", "needle"), PATH_CASES)
def test_violation_path_and_message(snippet: str, check: str, path: str, needle: str) -> None:
    """Does the check report the offending field's API path with a message naming the problem?"""
    spec = {"containers": [{"name": "app", "image": "x"}], **spec_of(snippet)}
    res = pss.evaluate_spec(spec, {})
    hits = [v for v in res.violations if v.check == check]
    assert [v.path for v in hits] == [path]
    assert needle in hits[0].message


def test_run_as_non_root_message_names_container() -> None:
    """Does an unset runAsNonRoot say which container must set it to true?"""
    res = pss.evaluate_spec({"containers": [{"name": "app", "image": "x"}]}, {})
    (v,) = [v for v in res.violations if v.check == "runAsNonRoot"]
    assert 'container "app" must set securityContext.runAsNonRoot=true' in v.message


@pytest.mark.parametrize(
    ("annotations", "version", "check", "path"),
    [
        (
            {"container.apparmor.security.beta.kubernetes.io/app": "unconfined"},
            "latest",
            "appArmorProfile",
            "metadata.annotations[container.apparmor.security.beta.kubernetes.io/app]",
        ),
        (
            {"seccomp.security.alpha.kubernetes.io/pod": "unconfined"},
            "v1.18",
            "seccompProfile_baseline",
            "metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]",
        ),
        (
            {"container.seccomp.security.alpha.kubernetes.io/app": "unconfined"},
            "v1.10",
            "seccompProfile_baseline",
            "metadata.annotations[container.seccomp.security.alpha.kubernetes.io/app]",
        ),
    ],
)
def test_annotation_paths(annotations: dict[str, str], version: str, check: str, path: str) -> None:
    """Is a forbidden annotation reported at metadata.annotations[key]?"""
    res = pss.evaluate_spec(hardened(), {"annotations": annotations}, version)
    assert (check, path) in checks(res)
    assert res.level == "privileged"


@pytest.mark.parametrize(
    "value",
    ["runtime/default", "localhost/my-profile", ""],
)
def test_allowed_apparmor_annotations(value: str) -> None:
    """Are runtime/default, localhost/* and empty AppArmor annotations allowed?"""
    meta = {"annotations": {"container.apparmor.security.beta.kubernetes.io/app": value}}
    assert pss.evaluate_spec(hardened(), meta).level == "restricted"


@pytest.mark.parametrize(
    ("kind", "prefix"),
    [("Pod", ""), ("Deployment", "spec.template."), ("CronJob", "spec.jobTemplate.spec.template.")],
)
def test_workload_template_paths(kind: str, prefix: str) -> None:
    """Do violations in a workload's pod template carry spec.template... paths, annotations included?"""
    template = {
        "metadata": {"annotations": {"container.apparmor.security.beta.kubernetes.io/app": "unconfined"}},
        "spec": hardened(volumes=[{"name": "h", "hostPath": {"path": "/"}}]),
    }
    if kind == "Pod":
        doc = {"apiVersion": "v1", "kind": "Pod", **template}
    elif kind == "Deployment":
        doc = {"kind": kind, "spec": {"template": template}}
    else:
        doc = {"kind": kind, "spec": {"jobTemplate": {"spec": {"template": template}}}}
    pod = PodView(doc=doc, kind=kind, spec_path=POD_SPEC_PATHS[kind], options=Options(), positions={})
    res = pss.evaluate(pod)
    assert dig(doc, *POD_SPEC_PATHS[kind]) is template["spec"]
    assert checks(res) == {
        ("hostPathVolumes", f"{prefix}spec.volumes[0].hostPath"),
        ("restrictedVolumes", f"{prefix}spec.volumes[0].hostPath"),
        ("appArmorProfile", f"{prefix}metadata.annotations[container.apparmor.security.beta.kubernetes.io/app]"),
    }


# ---------------------------------------------------------------------------
# Version differences


def _container(**sc: Any) -> dict[str, Any]:
    c = yaml.safe_load(HARDENED_CONTAINER)
    c["securityContext"].update(sc)
    return c


VERSION_CASES = [
    # (what, spec, metadata, version, level)
    ("runAsUser 0 before runAsUser existed", hardened(containers=[_container(runAsUser=0)]), {}, "v1.22", "restricted"),
    ("runAsUser 0 once it exists", hardened(containers=[_container(runAsUser=0)]), {}, "v1.23", "baseline"),
    (
        "allowPrivilegeEscalation unset before v1.8",
        hardened(containers=[{"name": "a", "image": "x"}], securityContext={"runAsNonRoot": True}),
        {},
        "v1.7",
        "restricted",
    ),
    (
        "allowPrivilegeEscalation unset at v1.8",
        hardened(containers=[{"name": "a", "image": "x"}], securityContext={"runAsNonRoot": True}),
        {},
        "v1.8",
        "baseline",
    ),
    ("seccomp unset before v1.19", hardened(securityContext={"runAsNonRoot": True}), {}, "v1.18", "restricted"),
    ("seccomp unset at v1.19", hardened(securityContext={"runAsNonRoot": True}), {}, "v1.19", "baseline"),
    (
        "no drop ALL before v1.22",
        hardened(containers=[{"name": "a", "image": "x", "securityContext": {"allowPrivilegeEscalation": False}}]),
        {},
        "v1.21",
        "restricted",
    ),
    (
        "no drop ALL at v1.22",
        hardened(containers=[{"name": "a", "image": "x", "securityContext": {"allowPrivilegeEscalation": False}}]),
        {},
        "v1.22",
        "baseline",
    ),
    (
        "seccomp field ignored before v1.19",
        hardened(securityContext={"runAsNonRoot": True, "seccompProfile": {"type": "Unconfined"}}),
        {},
        "v1.18",
        "restricted",
    ),
    (
        "seccomp annotation ignored from v1.19",
        hardened(),
        {"annotations": {"seccomp.security.alpha.kubernetes.io/pod": "unconfined"}},
        "v1.19",
        "restricted",
    ),
    (
        "docker/default seccomp annotation allowed",
        hardened(),
        {"annotations": {"seccomp.security.alpha.kubernetes.io/pod": "docker/default"}},
        "v1.18",
        "restricted",
    ),
    (
        "tcp_rmem sysctl before v1.32",
        hardened(securityContext={**HARDENED_POD_SC, "sysctls": [{"name": "net.ipv4.tcp_rmem", "value": "1"}]}),
        {},
        "v1.31",
        "privileged",
    ),
    (
        "tcp_rmem sysctl at v1.32",
        hardened(securityContext={**HARDENED_POD_SC, "sysctls": [{"name": "net.ipv4.tcp_rmem", "value": "1"}]}),
        {},
        "v1.32",
        "restricted",
    ),
    (
        "ip_local_reserved_ports at v1.27",
        hardened(securityContext={**HARDENED_POD_SC, "sysctls": [{"name": "net.ipv4.ip_local_reserved_ports"}]}),
        {},
        "v1.27",
        "restricted",
    ),
    (
        "tcp_notsent_lowat before v1.37",
        hardened(securityContext={**HARDENED_POD_SC, "sysctls": [{"name": "net.ipv4.tcp_notsent_lowat"}]}),
        {},
        "v1.36",
        "privileged",
    ),
    (
        "container_engine_t before v1.31",
        hardened(securityContext={**HARDENED_POD_SC, "seLinuxOptions": {"type": "container_engine_t"}}),
        {},
        "v1.30",
        "privileged",
    ),
    (
        "container_engine_t at v1.31",
        hardened(securityContext={**HARDENED_POD_SC, "seLinuxOptions": {"type": "container_engine_t"}}),
        {},
        "v1.31",
        "restricted",
    ),
    (
        "probe host before v1.34",
        hardened(containers=[{**_container(), "readinessProbe": {"tcpSocket": {"host": "h", "port": 1}}}]),
        {},
        "v1.33",
        "restricted",
    ),
    (
        "probe host at v1.34",
        hardened(containers=[{**_container(), "readinessProbe": {"tcpSocket": {"host": "h", "port": 1}}}]),
        {},
        "v1.34",
        "privileged",
    ),
]


@pytest.mark.parametrize(("what", "spec", "meta", "version", "level"), VERSION_CASES, ids=[c[0] for c in VERSION_CASES])
def test_version_differences(what: str, spec: dict, meta: dict, version: str, level: str) -> None:
    """Does the same pod get the level its policy version gives it?"""
    assert pss.evaluate_spec(spec, meta, version).level == level


# ---------------------------------------------------------------------------
# Windows and user-namespace exemptions

WINDOWS = {
    "containers": [{"name": "app", "image": "x"}],
    "os": {"name": "windows"},
    "securityContext": {"runAsNonRoot": True},
}


@pytest.mark.parametrize(
    ("version", "level", "fired"),
    [
        ("v1.25", "restricted", set()),
        ("latest", "restricted", set()),
        ("v1.24", "baseline", {"allowPrivilegeEscalation", "seccompProfile_restricted", "capabilities_restricted"}),
    ],
)
def test_windows_exemptions(version: str, level: str, fired: set[str]) -> None:
    """Do Windows pods skip the seccomp, capabilities and allowPrivilegeEscalation checks from v1.25 only?"""
    res = pss.evaluate_spec(WINDOWS, {}, version)
    assert (res.level, check_ids(res)) == (level, fired)


def test_windows_still_needs_run_as_non_root() -> None:
    """Does a Windows pod still fail runAsNonRoot when it leaves it unset?"""
    spec = {**WINDOWS, "securityContext": {}}
    assert check_ids(pss.evaluate_spec(spec, {})) == {"runAsNonRoot"}


def _userns(**sc: Any) -> dict[str, Any]:
    return hardened(
        hostUsers=False, containers=[_container(**sc)], securityContext={"seccompProfile": {"type": "RuntimeDefault"}}
    )


@pytest.mark.parametrize(
    ("spec", "version", "level", "fired"),
    [
        (_userns(runAsUser=0), "v1.35", "restricted", set()),
        (_userns(runAsUser=0), "v1.34", "baseline", {"runAsUser", "runAsNonRoot"}),
        (_userns(procMount="Unmasked"), "v1.35", "baseline", {"procMount_restricted"}),
        (_userns(procMount="Unmasked"), "v1.34", "privileged", {"procMount", "runAsNonRoot"}),
        (
            {**_userns(procMount="Unmasked"), "hostUsers": True},
            "latest",
            "privileged",
            {"procMount", "procMount_restricted", "runAsNonRoot"},
        ),
    ],
)
def test_user_namespace_exemptions(spec: dict, version: str, level: str, fired: set[str]) -> None:
    """Does hostUsers: false relax runAsUser, runAsNonRoot and baseline procMount from v1.35 only?"""
    res = pss.evaluate_spec(spec, {}, version)
    assert (res.level, check_ids(res)) == (level, fired)


# ---------------------------------------------------------------------------
# Volumes


@pytest.mark.parametrize(
    ("volume", "level"),
    [
        ({"name": "v"}, "restricted"),  # no source: the API server defaults it to emptyDir
        ({"name": "v", "hostPath": None}, "restricted"),
        ({"name": "v", "emptyDir": {}}, "restricted"),
        ({"name": "v", "image": {"reference": "x"}}, "restricted"),
        ({"name": "v", "csi": {"driver": "d"}}, "restricted"),
        ({"name": "v", "ephemeral": {"volumeClaimTemplate": {}}}, "restricted"),
        ({"name": "v", "nfs": {"server": "s", "path": "/"}}, "baseline"),
        ({"name": "v", "hostPath": {"path": "/"}}, "privileged"),
    ],
)
def test_volume_types(volume: dict[str, Any], level: str) -> None:
    """Is each volume type allowed at the level upstream allows it?"""
    assert pss.evaluate_spec(hardened(volumes=[volume]), {}).level == level


# ---------------------------------------------------------------------------
# Hostile input

HOSTILE_SPECS: list[Any] = [
    None,
    "spec",
    42,
    [],
    {"containers": "app"},
    {"containers": [None, 1, "x", [], {"name": 5}]},
    {"containers": [{"name": "a", "securityContext": "privileged"}]},
    {"containers": [{"name": "a", "securityContext": {"capabilities": {"add": "NET_RAW", "drop": "ALL"}}}]},
    {"containers": [{"name": "a", "securityContext": {"capabilities": {"add": [None, 1, ["x"], {"a": 1}]}}}]},
    {"containers": [{"name": "a", "ports": [{"hostPort": 10**5000}, {"hostPort": "80"}, None, 3]}]},
    {
        "containers": [
            {
                "name": "a",
                "securityContext": {
                    "runAsUser": 10**5000,
                    "runAsNonRoot": "yes",
                    "procMount": 7,
                    "seccompProfile": "RuntimeDefault",
                    "seLinuxOptions": {"type": 1, "user": ["u"]},
                },
            }
        ]
    },
    {"securityContext": {"sysctls": "kernel.x", "seccompProfile": [], "appArmorProfile": {"type": None}}},
    {"securityContext": {"sysctls": [None, {"name": None}, {"name": 10**5000}, {"name": "x" * 100000}]}},
    {"volumes": [None, "hostPath", {"hostPath": "/"}, {"name": ["n"], "nfs": 1}]},
    {"hostNetwork": "true", "os": "windows", "hostUsers": "false"},
    {"containers": [{"name": "a", "livenessProbe": "x", "lifecycle": {"preStop": []}}]},
    {"containers": [{"name": "a", "livenessProbe": {"httpGet": {"host": 1.5}}}]},
]
HOSTILE_META: list[Any] = [
    None,
    "m",
    {"annotations": "x"},
    {"annotations": {1: 2, "container.apparmor.security.beta.kubernetes.io/a": 5}},
    {"annotations": {"seccomp.security.alpha.kubernetes.io/pod": None}},
]


@pytest.mark.parametrize("spec", HOSTILE_SPECS)
@pytest.mark.parametrize("meta", HOSTILE_META)
@pytest.mark.parametrize("version", ["v1.0", "v1.18", "v1.25", "latest"])
def test_hostile_input_never_raises(spec: Any, meta: Any, version: str) -> None:
    """Does wrong-typed input anywhere give a result instead of an exception?"""
    res = pss.evaluate_spec(spec, meta, version)
    assert res.level in pss.LEVELS
    for v in res.violations:
        assert isinstance(v.path, str) and isinstance(v.message, str) and len(v.message) < 2000


def test_wrong_types_fail_allow_lists() -> None:
    """Does a wrong-typed value in an allow-listed field fail, while a wrong-typed 'true' does not count as true?"""
    spec = hardened(hostNetwork="true", containers=[_container(allowPrivilegeEscalation="false", privileged="true")])
    res = pss.evaluate_spec(spec, {})
    assert check_ids(res) == {"allowPrivilegeEscalation"}


json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=5),
    st.sampled_from(["ALL", "Unconfined", "RuntimeDefault", "windows", "Default", "hostPath"]),
)
KEYS = st.sampled_from(
    [
        "containers",
        "initContainers",
        "securityContext",
        "capabilities",
        "add",
        "drop",
        "name",
        "volumes",
        "hostPath",
        "seccompProfile",
        "type",
        "sysctls",
        "ports",
        "hostPort",
        "os",
        "hostUsers",
        "runAsUser",
        "procMount",
        "livenessProbe",
        "httpGet",
        "host",
        "annotations",
    ]
)
json_tree = st.recursive(
    json_leaf,
    lambda kids: st.one_of(st.lists(kids, max_size=3), st.dictionaries(KEYS, kids, max_size=4)),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=json_tree, meta=json_tree, version=st.sampled_from(["v1.0", "v1.18", "v1.24", "v1.25", "latest"]))
def test_random_trees_never_raise(spec: Any, meta: Any, version: str) -> None:
    """Does any random tree of mixed types in spec and metadata evaluate without raising?"""
    assert pss.evaluate_spec(spec, meta, version).level in pss.LEVELS


# ---------------------------------------------------------------------------
# Speed


