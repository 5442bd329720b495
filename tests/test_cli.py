"""The `pod-course` command line: output formats, exit codes, and the fast static path."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from course.cli import main, run_check

GOOD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    image: nginx:1.22
    ports:
    - containerPort: 80
"""

BAD_PORT = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    image: nginx:1.22
    ports:
    - containerPort: 70000
"""


@pytest.fixture()
def files(tmp_path: Path) -> Path:
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "bad.yml").write_text(BAD_PORT)
    (tmp_path / "sub" / "notes.txt").write_text("not a manifest")
    return tmp_path


def run(argv: list[str], stdin: bytes | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old_out, old_err, old_in = sys.stdout, sys.stderr, sys.stdin
    sys.stdout, sys.stderr = out, err
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
    try:
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse
            code = int(exc.code or 0)
    finally:
        sys.stdout, sys.stderr, sys.stdin = old_out, old_err, old_in
    return code, out.getvalue(), err.getvalue()


def test_valid_file_exits_zero_with_summary(files: Path) -> None:
    """Does a valid Pod exit 0 and print a summary with QoS class and PSS level?"""
    code, out, _ = run(["check", str(files / "good.yaml")])
    assert code == 0
    assert "QoS BestEffort" in out
    assert "PSS baseline (v1.37)" in out


def test_error_line_reads_like_a_compiler(files: Path) -> None:
    """Does an out-of-range port print file:line:col: error: path: message (rule) and a hint?"""
    bad = str(files / "sub" / "bad.yml")
    code, out, _ = run(["check", bad])
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith(f"{bad}:10:7: error: spec.containers[0].ports[0].containerPort: ")
    assert "must be between 1 and 65535" in first
    assert first.endswith("(port-range)")
    assert out.splitlines()[1].strip().startswith("hint:")


def test_json_output_has_the_documented_shape(files: Path) -> None:
    """Does --format json print results with source, index, kind, name, valid, qosClass, podSecurity, findings?"""
    bad = str(files / "sub" / "bad.yml")
    code, out, _ = run(["check", "--format", "json", bad])
    assert code == 1
    doc = json.loads(out)
    (res,) = doc["results"]
    assert {"source", "index", "kind", "name", "valid", "qosClass", "podSecurity", "findings"} <= set(res)
    assert res["source"] == bad and res["index"] == 0 and res["kind"] == "Pod" and res["name"] == "web"
    assert res["valid"] is False
    assert res["podSecurity"]["version"] == "v1.37"
    assert res["podSecurity"]["level"] in {"privileged", "baseline", "restricted"}
    for v in res["podSecurity"]["violations"]:
        assert {"level", "check", "path", "message"} <= set(v)
    f = next(f for f in res["findings"] if f["rule"] == "port-range")
    assert f["severity"] == "error"
    assert f["path"] == "spec.containers[0].ports[0].containerPort"
    assert (f["line"], f["column"]) == (10, 7)
    assert f["message"] and f["hint"]


def test_directory_is_walked_for_manifests(files: Path) -> None:
    """Does a directory argument check every *.yaml/*.yml below it and nothing else?"""
    code, out, _ = run(["check", "--format", "json", str(files)])
    sources = sorted(Path(r["source"]).name for r in json.loads(out)["results"])
    assert sources == ["bad.yml", "good.yaml"]
    assert code == 1


def test_stdin_is_read_for_dash() -> None:
    """Does `-` read the manifest from standard input?"""
    out = io.StringIO()
    code = run_check(["-"], fmt="json", stdin=io.BytesIO(GOOD.encode()), out=out)
    assert code == 0
    assert json.loads(out.getvalue())["results"][0]["source"] == "-"


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["check", "--format", "xml", "x.yaml"], "invalid choice"),
        (["check", "/nonexistent/pod.yaml"], "no such file"),
        (["check", "--k8s-version", "0.9", "{good}"], "0.9"),
        (["check", "--pss-version", "v9.1", "{good}"], "v9.1"),
        (["check", "--preset", "no-such-preset", "{good}"], "no-such-preset"),
        (["check"], "PATH"),
    ],
)
def test_command_errors_exit_two(files: Path, argv: list[str], needle: str) -> None:
    """Does a command that cannot run exit 2 with a message naming the problem?"""
    argv = [a.replace("{good}", str(files / "good.yaml")) for a in argv]
    code, _, err = run(argv)
    assert code == 2
    assert needle.lower() in err.lower()


def test_empty_directory_exits_two(tmp_path: Path) -> None:
    """Does a directory without manifests exit 2 rather than silently pass?"""
    code, _, err = run(["check", str(tmp_path)])
    assert code == 2 and "no *.yaml" in err


def test_unreadable_file_exits_two(files: Path) -> None:
    """Does a file that cannot be read (a directory named .yaml) exit 2?"""
    d = files / "dir.yaml"
    d.mkdir()
    code, _, err = run(["check", str(d / "missing.yaml")])
    assert code == 2 and err


def test_static_path_does_not_import_kubernetes(files: Path) -> None:
    """Does `pod-course check` run without importing the kubernetes client?"""
    code = (
        "import sys; from course.cli import main; rc = main(['check', sys.argv[1]]);"
        "assert 'kubernetes' not in sys.modules, 'kubernetes imported'; sys.exit(rc)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(files / "good.yaml")], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr


def test_internal_error_becomes_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Does a crashing stage turn into an internal-error finding instead of a traceback?"""
    from course import check_text
    from course.checker import schema

    def boom(*_a: object, **_k: object) -> list:
        raise RuntimeError("boom")

    monkeypatch.setattr(schema, "check_schema", boom)
    (res,) = check_text(GOOD)
    assert "internal-error" in res.rules()
    assert not res.valid


def test_rules_command_lists_rules() -> None:
    """Does `pod-course rules` list registered rules such as port-range and unknown-field?"""
    code, out, _ = run(["rules"])
    assert code == 0
    assert "port-range" in out and "unknown-field" in out


@pytest.mark.parametrize(("action", "codes"), [("status", {1}), ("up", {2}), ("load-images", {2})])
def test_cluster_without_docker_or_kind_explains(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, action: str, codes: set[int]
) -> None:
    """Without docker and kind on PATH, does `pod-course cluster ACTION` say what to install instead of crashing?"""
    monkeypatch.setenv("PATH", str(tmp_path))
    code, out, err = run(["cluster", action])
    assert code in codes
    text = (out + err).lower()
    assert "kind" in text and ("install" in text or "not found" in text or "no" in text)
    assert "traceback" not in text
