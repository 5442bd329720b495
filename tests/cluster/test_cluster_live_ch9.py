"""Chapter 9's live cell against a real kind cluster (`pytest -m kind`).

A namespace enforcing `restricted` must admit the chapter's hardened Pod (full live marks) and
refuse the same Pod made privileged with a real `violates PodSecurity "restricted:latest"`
message; the chapter's classic mistakes must lose their point for the reason the chapter
teaches. Skipped when no course cluster answers.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from cluster_support import solution_answer

from graders import ch9

pytestmark = pytest.mark.cluster



def reference() -> str:
    """HARDENED_POD as the solution notebook writes it."""
    return solution_answer("ch9", "HARDENED_POD")


def test_reference_is_admitted_and_its_privileged_twin_refused(required: Any, capfd: Any) -> None:
    """Does the hardened Pod earn 4/4 in a restricted namespace, with the server's refusal of its privileged twin?"""
    score = ch9.harden_live(reference())
    out = capfd.readouterr()
    assert float(score) == ch9.harden_live.max_points == 4, out.out
    assert 'violates PodSecurity "restricted:latest"' in out.out and "privileged" in out.out
    assert out.err == ""


def test_restricted_namespace_rejects_privileged_and_accepts_hardened(required: Any) -> None:
    """Does a real restricted namespace refuse the privileged Pod with 403 PodSecurity and admit the hardened one?"""
    from course.cluster.sandbox import Sandbox

    hardened = yaml.safe_load(reference())
    privileged = ch9.privileged_variant(hardened)
    with Sandbox(required, "ch9-kind-psa", pss_level="restricted") as box:
        assert box.dry_run(hardened) == []
        refused = box.dry_run(privileged)
    assert [f.rule for f in refused] == ["live-forbidden-pss"], refused
    message = refused[0].message
    assert 'violates PodSecurity "restricted:latest"' in message
    assert 'container "web" must not set securityContext.privileged=true' in message


MISTAKES = [
    # restricted admits a writable root filesystem; the probe then fails only for lack of permission
    ("writable-root", ("      readOnlyRootFilesystem: true\n", ""), 3, "not because the root filesystem is read-only"),
    # runAsNonRoot without a numeric user on a root image: admitted, then refused by the kubelet
    ("non-root-without-uid", ("    runAsUser: 1000\n    runAsGroup: 1000\n", ""), 0,
     "container has runAsNonRoot and image will run as root"),
    # a pod-level group without a user: admitted, then containerd cannot even create the sandbox
    ("group-without-user", ("    runAsUser: 1000\n", ""), 0, 'user group "1000" is specified without user'),
]


@pytest.mark.parametrize(("change", "points", "text"), [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES])
def test_classic_mistakes_lose_their_point(required: Any, capfd: Any, change: tuple[str, str], points: float,
                                           text: str) -> None:
    """Does each classic hardening mistake fail on the real cluster for the reason the chapter teaches?"""
    answer = reference()
    assert change[0] in answer, f"the reference answer changed; update this case ({change[0]!r})"
    score = ch9.harden_live(answer.replace(change[0], change[1]))
    out = capfd.readouterr()
    assert float(score) == points and text in out.out, out.out


# What chapter 9 teaches about the course cluster's runtime (containerd 2.x), checked on it.


def _run_in(api: Any, pod: dict[str, Any], script: str, pss_level: str | None = "restricted") -> str:
    """The output of `script` in container `app` of `pod`, once it runs in a fresh sandbox."""
    from course.cluster import live

    seen: dict[str, str] = {}

    def behaviour(handle: Any) -> list[Any]:
        seen["out"] = handle.sh("app", script).stdout
        return []

    res = live.check_pod(pod, api=api, slug="ch9-runtime", pss_level=pss_level, until="Running",
                         behaviour=behaviour, timeout=60, poll=0.5)
    assert res.status == "passed", str(res)
    return seen["out"]


def test_non_root_binds_port_80_without_any_capability(required: Any) -> None:
    """As uid 101 with every capability dropped, does a process bind port 80 (ip_unprivileged_port_start=0)?"""
    from course.cluster import builders

    pod = builders.pod_template("edge", command=["sleep", "3600"])
    pod["spec"]["securityContext"] = {"runAsUser": 101, "runAsGroup": 101, "runAsNonRoot": True}
    out = _run_in(required, pod, "cat /proc/sys/net/ipv4/ip_unprivileged_port_start; "
                                 "httpd -p 80 -h /etc </dev/null >/dev/null 2>&1; sleep 1; "
                                 "netstat -ltn | grep -c ':80 '")
    start, listening = out.split()
    assert start == "0" and int(listening) >= 1, out


def test_a_cap_prefixed_name_is_silently_not_granted(required: Any) -> None:
    """Does `add: [CAP_NET_ADMIN]` leave the container without the capability, while NET_ADMIN grants it?"""
    from course.cluster import builders

    effective = {}
    for name in ("CAP_NET_ADMIN", "NET_ADMIN"):
        pod = builders.pod_template("caps", command=["sleep", "3600"], restricted=False)
        pod["spec"]["containers"][0]["securityContext"] = {"capabilities": {"drop": ["ALL"], "add": [name]}}
        out = _run_in(required, pod, "grep CapEff /proc/self/status", pss_level=None)  # NET_ADMIN fails baseline
        effective[name] = int(out.split()[1], 16)
    assert effective == {"CAP_NET_ADMIN": 0, "NET_ADMIN": 1 << 12}
