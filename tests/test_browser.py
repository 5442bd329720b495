"""A learner's session in a real browser: JupyterLab, a chapter notebook, the Pod editor.

One test runs chapter 1's notebook and edits its Pod; one per later chapter runs only the
editor cell of its notebook and works the sub-editor the exercise is about (probes in ch7,
resources in ch8, the securityContext in ch9), checking that the YAML, the findings or the
badges follow and that the answer file is saved.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


def _require_chromium() -> None:
    if not CHROMIUM:
        if os.environ.get("PODCOURSE_REQUIRE_BROWSER"):
            pytest.fail("chromium is required (PODCOURSE_REQUIRE_BROWSER is set): apt-get install chromium")
        pytest.skip("chromium not installed (apt-get install chromium)")


@contextmanager
def _jupyterlab(tmp_path: Path, work: Path) -> Iterator[int]:
    """JupyterLab serving `work` on a free port; stopped (by its process id) afterwards."""
    port = _free_port()
    cfg = tmp_path / "cfg"
    # Render every cell, so a cell far down a long notebook can be found and run on its own.
    tracker = cfg / "lab" / "user-settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True, exist_ok=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}), encoding="utf-8")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(cfg), "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"),
           "PODCOURSE_LIVE": "auto", "KUBECONFIG": os.devnull}
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
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture()
def lab(tmp_path: Path):  # type: ignore[no-untyped-def]
    _require_chromium()
    nb = _editor_notebook()
    assert nb is not None, "no chapter notebook uses the Pod editor"
    work = tmp_path / "course"
    shutil.copytree(nb.parent, work)
    with _jupyterlab(tmp_path, work) as port:
        yield port, work, nb.name


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


def _ch7_probes(editor: Any) -> str:
    """Tick readinessProbe in web's probes section: an httpGet probe appears in the YAML."""
    probe = editor.locator(".podcourse-probe-editor", has_text="readinessProbe").first
    probe.locator("input[type=checkbox]").check()
    editor.locator(".podcourse-yaml").get_by_text("readinessProbe:").wait_for(timeout=30_000)
    path = probe.locator(".widget-text", has_text="path").locator("input")
    path.fill("/ready")
    path.press("Enter")
    editor.locator(".podcourse-yaml").get_by_text("path: /ready").wait_for(timeout=30_000)
    return "path: /ready"


def _ch8_resources(editor: Any) -> str:
    """Ask for more memory than app's limit: the YAML follows and the API server's rule fires."""
    res = editor.locator(".podcourse-resources-editor").first
    mem = res.locator(".widget-text", has_text="request mem").locator("input")
    mem.fill("100")
    mem.press("Enter")
    editor.locator(".podcourse-yaml").get_by_text("memory: 100Mi").wait_for(timeout=30_000)
    editor.locator(".podcourse-findings").get_by_text("(requests-above-limits)").first.wait_for(timeout=30_000)
    return "memory: 100Mi"


def _ch9_security(editor: Any) -> str:
    """Add NET_RAW to proxy's capabilities: the Pod Security badge drops to privileged."""
    sc = editor.locator(".podcourse-security-editor", has_text="(container)").first
    add = sc.locator(".widget-text", has_text="capabilities.add").locator("input")
    add.fill("NET_RAW")
    add.press("Enter")
    editor.locator(".podcourse-yaml").get_by_text("- NET_RAW").wait_for(timeout=30_000)
    editor.locator(".podcourse-badges").get_by_text("privileged").wait_for(timeout=30_000)
    return "NET_RAW"


# chapter -> (notebook, text unique to its editor cell, what the learner does there, returning text saved)
SUB_EDITORS = {
    "ch7": ("ch7-probes.ipynb", 'editor_for_answer("ch7-web-probes"', _ch7_probes),
    "ch8": ("ch8-resources-and-qos.ipynb", 'editor_for_answer("ch8-guaranteed-pod"', _ch8_resources),
    "ch9": ("ch9-pod-security.ipynb", 'editor_for_answer("ch9-port80-pod"', _ch9_security),
}


@pytest.mark.parametrize("chapter", sorted(SUB_EDITORS))
def test_sub_editor_renders_and_reacts_in_jupyterlab(chapter: str, tmp_path: Path) -> None:
    """Does the chapter's editor cell render its Pod editor, opened on the sub-editor, and react and save?"""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    _require_chromium()
    notebook, marker, act = SUB_EDITORS[chapter]
    work = tmp_path / "course"
    shutil.copytree(REPO / "notebooks" / chapter, work)
    ARTIFACTS.mkdir(exist_ok=True)
    with _jupyterlab(tmp_path, work) as port, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/lab/tree/{notebook}")
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
            page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=120_000)
            # Run the editor cell alone (it imports what it needs): select it, then Shift+Enter. A run
            # sent while the kernel is still connecting can be dropped; then select and run it again.
            cell = page.locator(".jp-Notebook .jp-CodeCell", has_text=marker).first
            editor = cell.locator(".podcourse-pod-editor").first
            for attempt in (1, 2):
                cell.scroll_into_view_if_needed()
                cell.locator(".jp-InputPrompt").first.click()
                page.keyboard.press("Shift+Enter")
                try:
                    editor.wait_for(timeout=120_000)
                    break
                except PlaywrightTimeout:
                    page.screenshot(path=str(ARTIFACTS / f"{chapter}-editor-timeout-{attempt}.png"))
                    if attempt == 2:
                        texts = [t[:300] for t in cell.locator(".jp-OutputArea-output").all_inner_texts()]
                        pytest.fail(f"the {chapter} editor never rendered; its outputs: {texts}")
            editor.scroll_into_view_if_needed()
            expected = act(editor)
            editor.locator(".podcourse-save").click()
            editor.locator(".podcourse-status").get_by_text("saved to").wait_for(timeout=30_000)
            page.screenshot(path=str(ARTIFACTS / f"{chapter}-editor-jupyterlab.png"), full_page=False)
        finally:
            browser.close()
    saved = list(work.glob("*.answer.yaml"))
    assert [f.name for f in saved] == [marker.split('"')[1] + ".answer.yaml"]
    assert expected in saved[0].read_text(encoding="utf-8")
