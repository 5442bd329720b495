"""`pod-course check --format sarif|junit`, validated against the published SARIF 2.1.0 and Ant JUnit schemas."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import xmlschema

from course import reports
from course.checker.model import Result
from course.cli import main, run_check
from course.findings import Finding

SCHEMAS = Path(__file__).parent / "data" / "schemas"

GOOD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    image: nginx:1.22
"""

BAD_PORT = GOOD + "    ports:\n    - containerPort: 70000\n"

MALFORMED = "apiVersion: v1\nkind: Pod\nmetadata: name: web\n"

# Raw control characters, a CDATA terminator, markup characters and non-ASCII reach the findings
# through keys and values (YAML escapes let a manifest hold characters its text may not).
HOSTILE = """\
apiVersion: v1
kind: Pod
metadata:
  name: "caf\\u00e9-\\U0001F600"
  labels:
    "a\\x01]]>": "\\x1b[31m\\uFFFE"
spec:
  "bad\\x02key]]>&<'\\"": 1
  containers:
  - name: web
    image: nginx:1.22
"""

TWO_DOCS = GOOD + "---\n" + BAD_PORT.replace("name: web\nspec", "name: api\nspec")


@dataclass(frozen=True)
class Case:
    id: str
    files: dict[str, str]  # relative path -> content
    args: tuple[str, ...]  # PATH arguments, relative to the temporary folder
    code: int
    # (source, index, kind/name, valid) per checked document, in report order
    docs: tuple[tuple[str, int, str, bool], ...]
    error_rules: frozenset[str] = frozenset()
    # (rule, line, column, path) of one finding the SARIF must locate exactly
    located: tuple[str, int, int, str] | None = None
    expect_text: tuple[str, ...] = field(default_factory=tuple)


CASES = [
    Case("no-documents", {"empty.yaml": "# nothing here\n---\n"}, ("empty.yaml",), 0, ()),
    Case("valid", {"good.yaml": GOOD}, ("good.yaml",), 0, (("good.yaml", 0, "Pod/web", True),)),
    Case(
        "invalid-line-col",
        {"bad.yaml": BAD_PORT},
        ("bad.yaml",),
        1,
        (("bad.yaml", 0, "Pod/web", False),),
        frozenset({"port-range"}),
        ("port-range", 10, 7, "spec.containers[0].ports[0].containerPort"),
        ("spec.containers[0].ports[0].containerPort: Invalid value: 70000",),
    ),
    Case(
        "malformed-yaml",
        {"broken.yml": MALFORMED},
        ("broken.yml",),
        1,
        (("broken.yml", 0, "?/?", False),),
        frozenset({"yaml-syntax"}),
        ("yaml-syntax", 3, 15, ""),
    ),
    Case(
        "hostile-strings",
        {"we ird#%é.yaml": HOSTILE},
        ("we ird#%é.yaml",),
        1,
        (("we ird#%é.yaml", 0, "Pod/café-😀", False),),
        frozenset({"label-format", "unknown-field", "metadata-name"}),
        ("unknown-field", 8, 3, "spec.bad\x02key]]>&<'\""),
        ("]]>", "café-😀", "\x02", "\ufffe"),
    ),
    Case(
        "multiple-documents",
        {"two.yaml": TWO_DOCS},
        ("two.yaml",),
        1,
        (("two.yaml", 0, "Pod/web", True), ("two.yaml", 1, "Pod/api", False)),
        frozenset({"port-range"}),
        ("port-range", 19, 7, "spec.containers[0].ports[0].containerPort"),
    ),
    Case(
        "directory",
        {
            "manifests/a-good.yaml": GOOD,
            "manifests/sub/b-bad.json": json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": "j"},
                    "spec": {"containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 0}]}]},
                },
                indent=1,
            ),
        },
        ("manifests",),
        1,
        (("manifests/a-good.yaml", 0, "Pod/web", True), ("manifests/sub/b-bad.json", 0, "Pod/j", False)),
        frozenset({"port-range"}),
    ),
]

CASE_BY_ID = {c.id: c for c in CASES}


@cache
def sarif_validator() -> Any:
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@cache
def junit_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(SCHEMAS / "JUnit.xsd")


def check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: Case, fmt: str) -> tuple[int, str]:
    for rel, text in case.files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # sources stay relative, as a CI job passes them
    buf = io.StringIO()
    code = run_check(list(case.args), fmt=fmt, out=buf)
    return code, buf.getvalue()


# URI characters RFC 3986 allows (unreserved, reserved, and % of an escape).
URI_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_sarif_is_valid_and_complete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: Case) -> None:
    """Is the SARIF report schema-valid, with every finding a result that points at its rule and file?"""
    code, out = check(tmp_path, monkeypatch, case, "sarif")
    assert code == case.code
    assert out.isascii()
    log = json.loads(out)
    sarif_validator().validate(log)
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "pod-course" and driver["version"] and driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    assert [r["id"] for r in rules] == sorted({res["ruleId"] for res in run["results"]})
    for res in run["results"]:
        rule = rules[res["ruleIndex"]]
        assert rule["id"] == res["ruleId"]
        assert rule["helpUri"].startswith("https://") and rule["help"]["text"] and rule["shortDescription"]["text"]
        assert res["level"] in ("error", "warning", "note")
        (loc,) = res["locations"]
        uri = loc["physicalLocation"]["artifactLocation"]["uri"]
        assert URI_CHARS.fullmatch(uri), uri
    errors = {res["ruleId"] for res in run["results"] if res["level"] == "error"}
    assert errors == case.error_rules
    sources = {res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for res in run["results"]}
    assert sources <= {reports.artifact_uri(d[0]) for d in case.docs}
    messages = "\n".join(res["message"]["text"] for res in run["results"])
    for text in case.expect_text:
        assert text in messages
    if case.located:
        rule_id, line, col, path = case.located
        hits = [
            res
            for res in run["results"]
            if res["ruleId"] == rule_id
            and res["locations"][0]["physicalLocation"].get("region") == {"startLine": line, "startColumn": col}
        ]
        assert hits, f"no {rule_id} result at {line}:{col}"
        if path:
            assert hits[0]["message"]["text"].startswith(f"{path}: ")
            assert hits[0]["locations"][0]["logicalLocations"] == [{"fullyQualifiedName": path, "kind": "property"}]
        else:
            assert "logicalLocations" not in hits[0]["locations"][0]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_junit_is_valid_and_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: Case) -> None:
    """Is the JUnit report schema-valid, one test case per document, failed exactly when it has errors?"""
    code, out = check(tmp_path, monkeypatch, case, "junit")
    assert code == case.code
    assert out.isascii()
    junit_schema().validate(out)
    root = ET.fromstring(out.encode("ascii"))
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert int(suite.get("tests")) == len(cases) == len(case.docs)
    assert int(suite.get("failures")) == sum(1 for d in case.docs if not d[3])
    assert suite.get("errors") == "0"
    for tc, (source, index, what, valid) in zip(cases, case.docs, strict=True):
        assert tc.get("classname") == source
        assert tc.get("name") == f"{source}[{index}] {what}"
        failure = tc.find("failure")
        assert (failure is None) == valid
        if failure is not None:
            n = len(failure.text.split("\n    hint: ")) - 1
            assert failure.get("message").startswith(f"{n} error")
            assert all(": error: " in line for line in failure.text.splitlines() if not line.startswith("    "))
            assert failure.get("type") in case.error_rules
    report = suite.find("system-out").text or ""
    assert report.count("\n") >= len(case.docs)
    for text in case.expect_text:
        visible = reports.xml_text(text)
        assert visible in report
        assert any(visible in (f.text or "") + (f.get("message") or "") for f in suite.iter("failure"))


HOSTILE_FINDING = Finding(
    rule="unknown-field",
    severity="error",
    path="spec.x\x00\x08\x0b\x1f\x7f\ud800\ufffe\uffff]]>",
    message='unknown field "<![CDATA[ ]]> &amp; \t\r\n\x0c\u2028 😀"',
    hint="Remove it. See https://kubernetes.io/docs/",
)


@pytest.mark.parametrize(
    ("raw", "visible"),
    [
        ("\x00", "\\x00"),
        ("\x1b[31m", "\\x1b[31m"),
        ("\ud800", "\\ud800"),
        ("\ufffe\uffff", "\\ufffe\\uffff"),
        ("tab\tlf\ncr\r", "tab\tlf\ncr\r"),
        ("]]> <&> é 😀 \u2028", "]]> <&> é 😀 \u2028"),
    ],
)
def test_xml_text_escapes_only_what_xml_cannot_carry(raw: str, visible: str) -> None:
    """Does xml_text make characters outside XML 1.0 visible escapes and leave every legal one alone?"""
    assert reports.xml_text(raw) == visible


@pytest.mark.parametrize("fmt", ["sarif", "junit"])
def test_findings_without_position_or_with_odd_sources(fmt: str) -> None:
    """Does a finding with no line, from stdin or a non-UTF-8 file name, still give a valid located report?"""
    results = [
        Result("-", 0, "Pod", "a", [HOSTILE_FINDING]),
        Result("bad\udcff name.yaml", 0, None, None, [HOSTILE_FINDING]),
        Result("/abs/dir/x.yaml", 2, "Pod", "b\x01", [HOSTILE_FINDING]),
    ]
    if fmt == "sarif":
        log = json.loads(reports.format_sarif(results))
        sarif_validator().validate(log)
        locs = [res["locations"][0]["physicalLocation"] for res in log["runs"][0]["results"]]
        assert [loc["artifactLocation"].get("uri") for loc in locs] == [
            None,
            "bad%FF%20name.yaml",
            "file:///abs/dir/x.yaml",
        ]
        assert locs[0]["artifactLocation"]["description"]["text"] == "standard input"
        assert all("region" not in loc for loc in locs)
        assert log["runs"][0]["results"][0]["message"]["text"].startswith(HOSTILE_FINDING.path)
    else:
        out = reports.format_junit(results)
        junit_schema().validate(out)
        suite = ET.fromstring(out.encode("ascii")).find("testsuite")
        names = [tc.get("name") for tc in suite.findall("testcase")]
        assert names == ["-[0] Pod/a", "bad\\udcff name.yaml[0] ?/?", "/abs/dir/x.yaml[2] Pod/b\\x01"]
        assert "<![CDATA[ ]]> &amp;" in suite.find("testcase/failure").text


def test_rules_listed_once_with_their_metadata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Does the SARIF driver list each fired rule once, with the registry's summary, hint and docs link?"""
    from course.findings import all_rules

    _, out = check(tmp_path, monkeypatch, CASE_BY_ID["invalid-line-col"], "sarif")
    registry = all_rules()
    for rule in json.loads(out)["runs"][0]["tool"]["driver"]["rules"]:
        reg = registry[rule["id"]]
        assert rule["shortDescription"]["text"] == reg.summary
        assert rule["fullDescription"]["text"] == (reg.description or reg.summary)
        assert reg.hint in rule["help"]["text"]
        assert rule["helpUri"] == reg.docs
        assert rule["defaultConfiguration"]["level"] == {"info": "note"}.get(reg.severity, reg.severity)


@pytest.mark.parametrize("fmt", ["sarif", "junit"])
def test_cli_accepts_the_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    """Does `pod-course check --format sarif|junit` reach the report writers and keep the exit status?"""
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_PORT)
    assert main(["check", "--format", fmt, str(bad)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("{" if fmt == "sarif" else "<?xml")
