"""Machine-readable reports of `pod-course check` for CI: SARIF 2.1.0 and JUnit XML.

SARIF is what GitHub code scanning (and most code-review tools) read: each finding
becomes a result pointing at its file, line and column, with the rule's summary,
hint and docs link attached once per rule. `driver.rules` lists only the rules
that fired in this run, sorted by id, so the report stays proportional to what
was found (the registry also holds the live-cluster rules, which a static check
never reports); `ruleIndex` points into that list.

JUnit XML is what CI test tabs (GitLab, Jenkins, Azure, CircleCI) show: one test
case per checked document, failed when the document has error findings. The
output follows the Ant JUnit schema (tests/data/schemas/JUnit.xsd), which has no
per-test output element, so the whole text report goes into the suite's
<system-out>, warnings included.

Findings quote manifests verbatim, so both writers treat every string as hostile:
JSON escaping covers SARIF; for XML, characters that XML 1.0 cannot carry at all
(control characters, lone surrogates, U+FFFE/U+FFFF) are written as visible
`\\xNN`/`\\uNNNN` escapes and the rest is escaped by ElementTree, with everything
beyond ASCII as character references, so the bytes are valid whatever encoding
the output stream has.
"""

from __future__ import annotations

import json
import re
import socket
import urllib.parse
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import PurePath
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET

if TYPE_CHECKING:  # pragma: no cover
    from course.checker.model import Result
    from course.findings import Finding, Rule

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_VERSION = "2.1.0"
TOOL_NAME = "pod-course"
TOOL_URI = "https://kubernetes.io/docs/concepts/workloads/pods/"
_LEVELS = {"error": "error", "warning": "warning", "info": "note"}
STDIN_SOURCE = "-"


def _tool_version() -> str:
    from course import __version__

    return __version__


def _information_uri() -> str:
    """The project's home page from the installed metadata, else the Kubernetes page on what it checks."""
    from importlib import metadata

    try:
        meta = metadata.metadata("pod-course")
    except metadata.PackageNotFoundError:  # pragma: no cover
        return TOOL_URI
    for entry in meta.get_all("Project-URL") or []:
        url = entry.partition(",")[2].strip()
        if url.startswith("https://"):
            return url
    home = meta.get("Home-page") or ""
    return home if home.startswith("https://") else TOOL_URI


def _default_hint(rule: Rule) -> str:
    """The hint `make_finding` gives a finding of this rule that names no hint of its own."""
    text = rule.hint
    if rule.docs and rule.docs not in text:
        text = f"{text} See {rule.docs}"
    return text


def _where(f: Finding) -> str:
    return f"{f.path}: " if f.path else ""


# ---------------------------------------------------------------- SARIF


def artifact_uri(source: str) -> str:
    """A SARIF artifact URI for a source as the user named it: relative paths stay relative
    (percent-escaped, `/`-separated), absolute ones become `file://` URIs."""
    p = PurePath(source)
    # surrogateescape: a file name that is not UTF-8 comes back as the bytes it has on disk.
    path = urllib.parse.quote(p.as_posix(), safe="/", errors="surrogateescape")
    return f"file://{path}" if p.is_absolute() else path


def _sarif_rule(rule_id: str, rule: Rule | None) -> dict[str, Any]:
    if rule is None:  # every finding comes from a registered rule; stay usable if one does not
        return {"id": rule_id}
    full = rule.description or rule.summary
    out: dict[str, Any] = {
        "id": rule.id,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": full},
        "help": {"text": _default_hint(rule)},
        "defaultConfiguration": {"level": _LEVELS[rule.severity]},
        "properties": {"category": rule.category, "tags": [rule.category]},
    }
    if rule.docs:
        out["helpUri"] = rule.docs
        out["help"]["markdown"] = f"{rule.hint} [Documentation]({rule.docs})"
    return out


def _sarif_result(r: Result, f: Finding, index: int, rule: Rule | None) -> dict[str, Any]:
    text = f"{_where(f)}{f.message}"
    if f.hint and (rule is None or f.hint != _default_hint(rule)):
        text += f"\nHint: {f.hint}"  # a hint particular to this finding, not the rule's help
    physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(r.source)}}
    if r.source == STDIN_SOURCE:
        physical["artifactLocation"] = {"description": {"text": "standard input"}}
    if f.line is not None:
        region: dict[str, Any] = {"startLine": f.line}
        if f.column is not None:
            region["startColumn"] = f.column
        physical["region"] = region
    location: dict[str, Any] = {"physicalLocation": physical}
    if f.path:
        location["logicalLocations"] = [{"fullyQualifiedName": f.path, "kind": "property"}]
    props: dict[str, Any] = {"document": r.index}
    if r.kind:
        props["kind"] = r.kind
    if r.name:
        props["name"] = r.name
    return {
        "ruleId": f.rule,
        "ruleIndex": index,
        "level": _LEVELS.get(f.severity, "warning"),
        "message": {"text": text},
        "locations": [location],
        "properties": props,
    }


def sarif_log(results: Sequence[Result]) -> dict[str, Any]:
    """The SARIF 2.1.0 log of one check run, as a JSON-ready dict."""
    from course.findings import all_rules

    rule_ids = sorted({f.rule for r in results for f in r.findings})
    index = {rid: i for i, rid in enumerate(rule_ids)}
    registry = all_rules()
    rules = {rid: registry.get(rid) for rid in rule_ids}
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": _tool_version(),
                        "informationUri": _information_uri(),
                        "rules": [_sarif_rule(rid, rules[rid]) for rid in rule_ids],
                    }
                },
                # PyYAML counts columns in characters, not UTF-16 code units.
                "columnKind": "unicodeCodePoints",
                "results": [_sarif_result(r, f, index[f.rule], rules[f.rule]) for r in results for f in r.findings],
            }
        ],
    }


def format_sarif(results: Sequence[Result]) -> str:
    """`pod-course check --format sarif`: the SARIF log, ASCII-only JSON."""
    return json.dumps(sarif_log(results), indent=2) + "\n"


# ---------------------------------------------------------------- JUnit XML

# Everything outside XML 1.0's Char production (tab, LF and CR are allowed).
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _escape_char(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def xml_text(s: str) -> str:
    """`s` with characters XML 1.0 cannot represent, even as references, made visible as escapes."""
    return _NOT_XML_CHAR.sub(_escape_char, s)


def _finding_lines(r: Result, f: Finding) -> list[str]:
    """One finding as `pod-course check` prints it: the compiler-style line, then its hint."""
    loc = r.source
    if f.line is not None:
        loc += f":{f.line}:{f.column}"
    lines = [f"{loc}: {f.severity}: {_where(f)}{f.message} ({f.rule})"]
    if f.hint:
        lines.append(f"    hint: {f.hint}")
    return lines


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _el(parent: ET.Element, tag: str, **attrs: str) -> ET.Element:
    return ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})


def junit_tree(
    results: Sequence[Result], *, timestamp: datetime | None = None, hostname: str | None = None
) -> ET.Element:
    """<testsuites> holding one <testsuite> with one <testcase> per checked document."""
    from course.cli import format_text

    when = (timestamp or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S")  # the schema allows no zone
    failures = sum(1 for r in results if not r.valid)
    root = ET.Element("testsuites")
    suite = _el(
        root,
        "testsuite",
        name="pod-course check",
        package=TOOL_NAME,
        id="0",
        timestamp=when,
        hostname=hostname or socket.gethostname() or "localhost",
        tests=str(len(results)),
        failures=str(failures),
        errors="0",
        skipped="0",
        time="0",
    )
    props = _el(suite, "properties")
    _el(props, "property", name="pod-course.version", value=_tool_version())
    for r in results:
        what = f"{r.kind or '?'}/{r.name or '?'}"
        case = _el(suite, "testcase", name=f"{r.source}[{r.index}] {what}", classname=r.source, time="0")
        errors = r.errors
        if errors:
            body = [line for f in errors for line in _finding_lines(r, f)]
            failure = _el(
                case,
                "failure",
                message=f"{_plural(len(errors), 'error')}: {_where(errors[0])}{errors[0].message}",
                type=errors[0].rule,
            )
            failure.text = xml_text("\n".join(body) + "\n")
    _el(suite, "system-out").text = xml_text(format_text(results))
    _el(suite, "system-err")
    return root


def format_junit(results: Sequence[Result], *, timestamp: datetime | None = None, hostname: str | None = None) -> str:
    """`pod-course check --format junit`: the JUnit XML report, ASCII-only bytes declared UTF-8."""
    root = junit_tree(results, timestamp=timestamp, hostname=hostname)
    ET.indent(root)
    body = ET.tostring(root, encoding="us-ascii", xml_declaration=False).decode("ascii")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
