"""A learner's session in a real browser: JupyterLab, a chapter notebook, the Pod editor."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser


def _editor_notebook() -> Path | None:
    for nb in sorted((REPO / "notebooks").rglob("*.ipynb")):
        if ".ipynb_checkpoints" not in nb.parts and "editor_for_answer" in nb.read_text(encoding="utf-8"):
            return nb
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def lab(tmp_path: Path):  # type: ignore[no-untyped-def]
    if not CHROMIUM:
        if os.environ.get("PODCOURSE_REQUIRE_BROWSER"):
            pytest.fail("chromium is required (PODCOURSE_REQUIRE_BROWSER is set): apt-get install chromium")
        pytest.skip("chromium not installed (apt-get install chromium)")
    nb = _editor_notebook()
    assert nb is not None, "no chapter notebook uses the Pod editor"
    work = tmp_path / "course"
    shutil.copytree(nb.parent, work)
    port = _free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt")}
    env.pop("NBGRADER_EXECUTION", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--IdentityProvider.token=",
         "--ServerApp.password=", f"--port={port}", "--ServerApp.ip=127.0.0.1", f"--ServerApp.root_dir={work}",
         "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=work,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start within 90 s")
        yield port, work, nb.name
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_editor_updates_and_saves_in_jupyterlab(lab) -> None:  # type: ignore[no-untyped-def]
    """Does editing a field in the Pod editor update its YAML and findings in JupyterLab, and save the answer?"""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    port, work, name = lab
    before = {p.name for p in work.glob("*.answer.yaml")}
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/lab/tree/{name}")
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
            page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=120_000)
            editor = page.locator(".podcourse-pod-editor").first
            # A cold virtualenv compiles every module on the kernel's first imports; if the first
            # "Run All" has not produced the editor in time, run all once more before giving up.
            for attempt in (1, 2):
                page.locator(".lm-MenuBar-itemLabel", has_text="Run").click()
                page.locator('li.lm-Menu-item[data-command="runmenu:run-all"]').click()
                try:
                    editor.wait_for(timeout=150_000)
                    break
                except PlaywrightTimeout:
                    page.screenshot(path=str(ARTIFACTS / f"pod-editor-timeout-{attempt}.png"))
                    if attempt == 2:
                        errors = page.locator(".jp-OutputArea-output[data-mime-type*='stderr'], .jp-RenderedText")
                        texts = [t[:300] for t in errors.all_inner_texts()][-5:]
                        pytest.fail(f"the Pod editor never rendered; last outputs: {texts}")
            editor.scroll_into_view_if_needed()
            name_box = editor.locator(".podcourse-container-name input").first
            name_box.fill("Web_App")
            name_box.press("Enter")
            yaml_view = editor.locator(".podcourse-yaml")
            yaml_view.get_by_text("name: Web_App").wait_for(timeout=30_000)
            findings = editor.locator(".podcourse-findings")
            findings.get_by_text("spec.containers[0].name", exact=False).first.wait_for(timeout=30_000)
            assert "container-name" in (editor.locator(".podcourse-badges").inner_text() + findings.inner_text()) \
                or "spec.containers[0].name" in findings.inner_text()
            editor.locator(".podcourse-save").click()
            editor.locator(".podcourse-status").get_by_text("saved to").wait_for(timeout=30_000)
            page.screenshot(path=str(ARTIFACTS / "pod-editor-jupyterlab.png"), full_page=False)
        finally:
            browser.close()
    saved = [p for p in work.glob("*.answer.yaml")]
    assert saved, f"no answer file saved (before: {before})"
    assert any("Web_App" in p.read_text() for p in saved)
