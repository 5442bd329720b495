"""`make lab` as a newcomer meets it: start JupyterLab the way the Makefile does and talk to it over HTTP.

The server is started with `python -m course.lab` (the `lab` target's recipe) on a free port, as the
current user and, when that is root, also as an ordinary user (via `setpriv`). Each server gets a
throw-away HOME, so no personal JupyterLab setting can hide or fake what the course ships.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest

from course import lab

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
START_TIMEOUT = 40.0
NOBODY = 65534
URL_RE = re.compile(r"http://(?:localhost|127\.0\.0\.1):(\d+)(/\S*?)\?token=([0-9a-f]+)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    token: str
    path: str  # the path of the URL JupyterLab printed
    log: Path

    def request(self, path: str, *, auth: bool = True) -> tuple[int, dict[str, str], Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            headers = {"Authorization": f"token {self.token}"} if auth else {}
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            try:
                data: Any = json.loads(body)
            except ValueError:
                data = body.decode("utf-8", "replace")
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()


def _ordinary_user_reason() -> str | None:
    """Why the ordinary-user case cannot run here, or None when it can."""
    if not lab.is_root():
        return "not running as root, so the current-user case already is the ordinary user"
    if shutil.which("setpriv") is None:
        return "setpriv (util-linux) is not installed"
    probe = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--",
                            sys.executable, "-c", "import course.lab, jupyterlab"],
                           cwd=ROOT, capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        return f"uid {NOBODY} cannot use this checkout's venv: {probe.stderr.strip()[-200:]}"
    return None


def _start(user: str) -> Iterator[Server]:
    home = Path(tempfile.mkdtemp(prefix="pod-course-lab-"))  # not under pytest's root-only tmp dir
    prefix: list[str] = []
    if user == "ordinary":
        os.chown(home, NOBODY, NOBODY)
        prefix = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]
    # No JUPYTER_* / JUPYTERLAB_* paths of the caller's: only what the course ships counts.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_"))}
    env.update(HOME=str(home), PYTHONDONTWRITEBYTECODE="1")
    port = _free_port()
    log = home / "lab.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([*prefix, sys.executable, "-m", "course.lab", "--notebook-dir=notebooks",
                                 f"--port={port}", "--no-browser"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        server = None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and server is None:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
            m = URL_RE.search(log.read_text(errors="replace"))
            if m:
                candidate = Server(proc, int(m.group(1)), m.group(3), m.group(2), log)
                try:
                    if candidate.request("/api/status")[0] == 200:
                        server = candidate
                        break
                except OSError:
                    pass
            time.sleep(0.3)
        if server is None:
            pytest.fail(f"JupyterLab did not answer within {START_TIMEOUT:.0f}s:\n"
                        f"{log.read_text(errors='replace')[-3000:]}")
        yield server
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module", params=["current", "ordinary"])
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    if request.param == "ordinary":
        reason = _ordinary_user_reason()
        if reason:
            pytest.skip(f"ordinary-user start skipped: {reason}")
        lab.install_settings()  # as `make lab` would have done for the venv's owner
    yield from _start(request.param)


FIRST = lab.first_notebook(NOTEBOOKS)


def test_chapter_one_exists() -> None:
    """Is there a chapter 1 notebook for `make lab` to open?"""
    assert FIRST is not None and FIRST.parts[0] == "ch1", FIRST


def test_prints_the_url_with_its_token_on_chapter_one(server: Server) -> None:
    """Does the server print a URL, with a real token, that opens chapter 1's notebook?"""
    assert server.path == f"/lab/tree/{FIRST.as_posix()}"
    assert len(server.token) >= 32
    assert server.request("/api/status", auth=False)[0] == 403  # the token is really needed


def test_root_redirects_to_chapter_one(server: Server) -> None:
    """Does the server's front page send the browser straight to chapter 1's notebook?"""
    status, headers, _ = server.request("/")
    assert status in (301, 302), status
    assert urllib.parse.urlparse(headers["location"]).path == f"/lab/tree/{FIRST.as_posix()}"


def test_chapter_one_notebook_is_served(server: Server) -> None:
    """Does the contents API serve chapter 1's notebook, with the python3 kernelspec?"""
    status, _, data = server.request(f"/api/contents/{urllib.parse.quote(FIRST.as_posix())}?content=1")
    assert status == 200, data
    assert data["type"] == "notebook"
    assert data["content"]["metadata"]["kernelspec"]["name"] == "python3"
    assert data["content"]["cells"], "the notebook came back empty"


def test_python3_kernel_is_there(server: Server) -> None:
    """Does the server offer a kernel named python3, so no kernel has to be chosen on first open?"""
    status, _, data = server.request("/api/kernelspecs")
    assert status == 200
    assert "python3" in data["kernelspecs"], sorted(data["kernelspecs"])


def test_news_and_update_check_are_off(server: Server) -> None:
    """Is the Jupyter news question gone (fetchNews "false") and are news and update checks disabled?"""
    status, _, data = server.request("/lab/api/settings/@jupyterlab/apputils-extension:notification")
    assert status == 200, data
    props = data["schema"]["properties"]
    assert props["fetchNews"]["default"] == "false"
    assert props["checkForUpdates"]["default"] is False
    assert "fetchNews" not in (data.get("settings") or {})  # nothing of the user's own in a fresh HOME
    assert server.request("/lab/api/news")[2] == {"news": []}
    assert server.request("/lab/api/update")[2] == {"notification": None}
    page = server.request("/lab")[2]
    found = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)
    assert found, "no page config in /lab"
    config = json.loads(found.group(1))
    assert config["news"] == {"disabled": True}


def test_allow_root_only_for_root() -> None:
    """Is --allow-root passed when (and only when) the user is root?"""
    assert "--allow-root" in lab.lab_command(NOTEBOOKS, 8888, root=True)
    assert "--allow-root" not in lab.lab_command(NOTEBOOKS, 8888, root=False)


def test_make_lab_runs_the_launcher() -> None:
    """Does `make lab` start JupyterLab through course.lab, on the port it was given?"""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    out = subprocess.run(["make", "-n", "lab", "PORT=18765"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    assert "-m course.lab --notebook-dir=notebooks --port=18765" in out


def test_install_settings_keeps_other_overrides(tmp_path: Path) -> None:
    """Does installing the override keep other plugins' overrides, and leave an up-to-date file alone?"""
    (tmp_path / "overrides.json").write_text(json.dumps({
        "@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"},
        "@jupyterlab/apputils-extension:notification": {"doNotDisturbMode": True, "fetchNews": "true"},
    }))
    assert lab.install_settings(tmp_path) is True
    data = json.loads((tmp_path / "overrides.json").read_text())
    assert data["@jupyterlab/apputils-extension:themes"] == {"theme": "JupyterLab Dark"}
    assert data["@jupyterlab/apputils-extension:notification"] == {
        "doNotDisturbMode": True, "fetchNews": "false", "checkForUpdates": False}
    assert lab.install_settings(tmp_path) is False


@pytest.mark.parametrize("folder", ["notebooks", "solutions"])
def test_every_notebook_names_the_python3_kernel(folder: str) -> None:
    """Does every course notebook carry the python3 kernelspec, so JupyterLab never asks for a kernel?"""
    paths = sorted((ROOT / folder).glob("ch*/*.ipynb"))
    assert paths
    for path in paths:
        spec = nbformat.read(path, as_version=4).metadata.get("kernelspec", {})
        assert spec.get("name") == "python3" and spec.get("language") == "python", (path, spec)
