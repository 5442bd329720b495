"""`pod-course check` for CI: `--jobs N` output and exit status as a serial run, `--quiet`, the summary line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli import run

from course.cli import PARALLEL_MIN_FILES

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  containers:
  - name: app
    image: {image}
    ports:
    - containerPort: {port}
"""
# nginx:latest draws the image-tag-latest warning; port 70000 the port-range error.
GOOD = POD.format(name="good", image="nginx:1.22", port=80)
WARN = POD.format(name="warn", image="nginx:latest", port=80)
BAD = POD.format(name="bad", image="nginx:latest", port=70000)
BROKEN = "apiVersion: v1\nkind: Pod\nmetadata:\n\tname: tab\n"  # yaml-syntax error
SERVICE = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports:\n  - port: 80\n"


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


# Enough files that --jobs really starts worker processes.
MANY = {
    **{f"ok/pod-{i:02}.yaml": GOOD for i in range(PARALLEL_MIN_FILES)},
    "warn.yaml": WARN,
    "multi.yaml": GOOD + "---\n" + BAD + "---\n" + SERVICE,
    "z/broken.yml": BROKEN,
}
VALID = {f"pod-{i:02}.yaml": GOOD for i in range(PARALLEL_MIN_FILES + 2)} | {"warn.yaml": WARN}


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize(("files", "code"), [(MANY, 1), (VALID, 0)], ids=["with-invalid", "all-valid"])
@pytest.mark.parametrize("jobs", ["2", "3", "auto", "0"])
def test_jobs_output_and_exit_status_equal_serial(
    tmp_path: Path, fmt: str, files: dict[str, str], code: int, jobs: str
) -> None:
    """Does `--jobs N` print byte for byte what a serial run prints, in input order, with the same exit status?"""
    root = write_tree(tmp_path, files)
    serial = run(["check", "--format", fmt, str(root)])
    parallel = run(["check", "--format", fmt, "--jobs", jobs, str(root)])
    assert serial[0] == code
    assert parallel == serial


def test_jobs_keeps_argument_order_and_stdin_in_place(tmp_path: Path) -> None:
    """With -j, are files and `-` (stdin, read in the main process) reported in the order they were given?"""
    root = write_tree(tmp_path, MANY)
    args = [str(root / "z" / "broken.yml"), "-", str(root / "ok"), str(root / "warn.yaml")]
    serial = run(["check", "--format", "json", *args], stdin=BAD.encode())
    parallel = run(["check", "--format", "json", "-j", "2", *args], stdin=BAD.encode())
    assert parallel == serial
    sources = [r["source"] for r in json.loads(parallel[1])["results"]]
    assert sources[0] == str(root / "z" / "broken.yml") and sources[1] == "-"
    assert sources[-1] == str(root / "warn.yaml")


@pytest.mark.parametrize(
    ("argv", "code", "needle"),
    [
        (["--jobs", "-1"], 2, "negative"),
        (["--jobs", "many"], 2, "not a number"),
        (["--jobs", "2", "{root}/missing.yaml"], 2, "no such file"),
    ],
)
def test_jobs_bad_values_exit_two(tmp_path: Path, argv: list[str], code: int, needle: str) -> None:
    """Does a bad --jobs value, or a missing file under --jobs, exit 2 with a message saying why?"""
    root = write_tree(tmp_path, MANY)
    argv = [a.replace("{root}", str(root)) for a in argv]
    status, out, err = run(["check", *argv, str(root)])
    assert status == code and needle in err and out == ""


def test_jobs_unreadable_file_exits_two_like_serial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Does a file that cannot be read exit 2 with the same message under --jobs as serially?"""
    from course.checker import loader

    root = write_tree(tmp_path, MANY)
    real = loader.load_file

    def load_file(path: Path, source: str) -> list:
        if path.name == "pod-03.yaml":  # forked workers inherit the patch
            raise PermissionError(13, "Permission denied")
        return real(path, source)

    monkeypatch.setattr(loader, "load_file", load_file)
    serial, parallel = run(["check", str(root)]), run(["check", "-j", "2", str(root)])
    assert serial == (2, "", f"pod-course: error: {root / 'ok' / 'pod-03.yaml'}: cannot read: Permission denied\n")
    assert parallel == serial


@pytest.mark.parametrize(
    ("text", "code", "shown", "hidden"),
    [
        (BAD, 1, ["error: spec.containers[0].ports[0].containerPort", "hint:"], ["warning:", "INVALID"]),
        (WARN, 0, [], ["warning:", "image-tag-latest", "valid"]),
        (BROKEN, 1, ["error:", "(yaml-syntax)"], ["INVALID"]),
    ],
)
def test_quiet_prints_only_errors(tmp_path: Path, text: str, code: int, shown: list[str], hidden: list[str]) -> None:
    """Does --quiet print error findings and hints but no warnings or per-document lines, exit status unchanged?"""
    f = tmp_path / "pod.yaml"
    f.write_text(text)
    loud = run(["check", str(f)])
    quiet = run(["check", "--quiet", str(f)])
    assert quiet[0] == loud[0] == code
    for needle in shown:
        assert needle in quiet[1]
    for needle in hidden:
        assert needle not in quiet[1]
    assert [line for line in loud[1].splitlines() if ": error: " in line] == [
        line for line in quiet[1].splitlines() if ": error: " in line
    ]


@pytest.mark.parametrize(
    ("files", "quiet", "counts"),
    [
        (MANY, False, "13 documents in 11 files: 2 invalid, 2 errors"),
        (MANY, True, "13 documents in 11 files: 2 invalid, 2 errors"),
        (VALID, False, "11 documents in 11 files: 0 invalid, 0 errors"),
        ({"multi.yaml": GOOD + "---\n" + BAD}, False, "2 documents in 1 file: 1 invalid, 1 error"),
        ({"empty.yaml": "", "one.yaml": GOOD}, False, "1 document in 2 files: 0 invalid, 0 errors"),
        ({"one.yaml": BAD}, False, None),
    ],
)
def test_summary_line_counts_everything(tmp_path: Path, files: dict[str, str], quiet: bool, counts: str | None) -> None:
    """Does the text report end with one line counting documents, files, invalid ones, errors and warnings?"""
    root = write_tree(tmp_path, files)
    _, out, _ = run(["check", "--format", "json", str(root)])
    warnings = sum(f["severity"] == "warning" for r in json.loads(out)["results"] for f in r["findings"])
    for jobs in ("1", "2"):
        _, out, _ = run(["check", *(["-q"] if quiet else []), "-j", jobs, str(root)])
        last = out.splitlines()[-1]
        if counts is None:  # one document in one file: its own summary line is the last
            assert last.startswith(str(root / "one.yaml") + "[0] Pod/bad: INVALID")
        else:
            assert last == f"{counts}, {warnings} warning{'s' * (warnings != 1)}"
            assert out.count(" documents in ") + out.count(" document in ") == 1


def test_json_output_is_one_valid_document_per_line(tmp_path: Path) -> None:
    """Is --format json still one JSON value {"results": [...]}, one result per line, also when nothing is found?"""
    root = write_tree(tmp_path, MANY)
    _, out, _ = run(["check", "--format", "json", str(root)])
    lines = out.splitlines()
    results = json.loads(out)["results"]
    assert lines[0] == '{"results": [' and lines[-1] == "]}" and len(lines) == len(results) + 2
    assert [json.loads(line.rstrip(",")) for line in lines[1:-1]] == results
    _, out, _ = run(["check", "--format", "json", str(write_tree(tmp_path / "e", {"empty.yaml": ""}))])
    assert json.loads(out) == {"results": []}
