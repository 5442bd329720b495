"""The local engine's lifecycle on this host (`pytest -m lifecycle`, run by CI after the cluster suite).

Destructive: it stops the running local cluster, proves nothing is left (processes, mounts,
network devices, cgroups, files), starts it again from the binary cache and stops it again.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from course import versions
from course.cluster.local import build, engine

pytestmark = pytest.mark.lifecycle


def _independent_leftovers() -> list[str]:
    """What a local cluster would leave, looked up without the engine's own bookkeeping."""
    out = []
    ours = [str(build.bin_dir(c)) for c in build.components()]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                exe = os.readlink(entry / "exe")
            except OSError:
                continue
            if any(exe.startswith(o + "/") for o in ours) or exe.endswith("/pause"):
                out.append(f"process {entry.name} {exe}")
    roots = (str(engine.state_dir()), str(engine.run_dir()))
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4]
        if point.startswith(roots):
            out.append(f"mount {point}")
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=False).stdout
    out += [f"link {line.split(':')[1].strip()}" for line in links.splitlines()
            if engine.BRIDGE in line or "master " + engine.BRIDGE in line]
    out += [f"cgroup {p}" for p in Path("/sys/fs/cgroup").glob(f"*/{engine.CGROUP_PARENT}")]
    out += [f"path {p}" for p in (engine.state_dir(), engine.run_dir()) if p.exists()]
    return out


@pytest.fixture(scope="module")
def local_engine():
    if os.geteuid() != 0 or not engine.running():
        pytest.skip("no local engine running here (start one with `make cluster-up`)")


def test_running_cluster_reports_its_version_and_images(local_engine):
    """Does status report every component up, the pinned Kubernetes, a Ready node and every course image?"""
    st = engine.status()
    assert st.ok, str(st)
    assert st.version == versions.KUBERNETES and all(st.running.values())


def test_down_leaves_nothing_and_up_reuses_the_cache(local_engine, capsys):
    """After down is nothing left; does up then start from the cache alone, and down clean up again?"""
    assert engine.down()
    assert engine.leftovers() == [] and _independent_leftovers() == []
    started = time.monotonic()
    said: list[str] = []
    engine.up(say=said.append)
    cached_start = time.monotonic() - started
    assert not any(line.startswith("building") for line in said), said
    assert engine.status().ok
    with capsys.disabled():
        print(f"\nlocal engine: cached start {cached_start:.1f}s")
    assert engine.down()
    assert engine.leftovers() == [] and _independent_leftovers() == []
