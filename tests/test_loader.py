"""Tests for course.checker.loader: values, positions, documents and hostile input."""

from __future__ import annotations

import json
import pathlib

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course import findings
from course.checker import loader
from course.checker.loader import MAX_BYTES, document_from_object, load_documents, load_file

CORPUS = pathlib.Path("/work/shared/corpus")
LOAD_RULES = (
    "yaml-syntax",
    "yaml-too-large",
    "yaml-alias-bomb",
    "yaml-too-deep",
    "yaml-duplicate-key",
    "yaml-not-mapping",
    "yaml-binary",
)
POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: app\n    image: nginx\n"


def _rules(docs: list) -> list[str]:
    return [f.rule for d in docs for f in d.load_findings]


def _bomb(levels: int = 9) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


# --- values -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\nb: 1.5\nc: true\nd: ~\ne: text\n", {"a": 1, "b": 1.5, "c": True, "d": None, "e": "text"}),
        ("a: yes\nb: off\nc: 'yes'\n", {"a": True, "b": False, "c": "yes"}),
        ("a: 0x1F\nb: 010\nc: '010'\n", {"a": 31, "b": 8, "c": "010"}),
        ("t: 2001-12-14\nu: 2001-12-14T21:59:43.10-05:00\n", {"t": "2001-12-14", "u": "2001-12-14T21:59:43.10-05:00"}),
        ("d: !!timestamp 2001-12-14\n", {"d": "2001-12-14"}),
        ("b: !!binary aGVsbG8=\n", {"b": "aGVsbG8="}),
        ("1: a\ntrue: b\n~: c\n1.5: d\n", {"1": "a", "true": "b", "null": "c", "1.5": "d"}),
        ("on: x\n", {"true": "x"}),
        ("s: !!str 123\ni: !!int '7'\n", {"s": "123", "i": 7}),
        ("a: !custom {b: 1}\nc: !thing 5\n", {"a": {"b": 1}, "c": "5"}),
        ("x: &v [1, 2]\ny: *v\n", {"x": [1, 2], "y": [1, 2]}),
        ("b: &b {a: 1, b: 2}\nm:\n  <<: *b\n  b: 3\n", {"b": {"a": 1, "b": 2}, "m": {"a": 1, "b": 3}}),
        (
            "p: &p {k: 1}\nq: &q {k: 2, j: 3}\nm: {<<: [*p, *q]}\n",
            {"p": {"k": 1}, "q": {"k": 2, "j": 3}, "m": {"k": 1, "j": 3}},
        ),
        ("'<<': x\n", {"<<": "x"}),
        ("a: =\n", {"a": "="}),
        ("a: " + "9" * 5000 + "\n", {"a": "9" * 5000}),
        ("a: !!set {x, y}\n", {"a": {"x": None, "y": None}}),
        ("\ufeffa: 1\n", {"a": 1}),
    ],
)
def test_values(text: str, expected: dict) -> None:
    """Does the loaded data match safe_load, with timestamps/binary as strings and keys as strings?"""
    docs = load_documents(text)
    assert len(docs) == 1
    assert docs[0].data == expected
    assert docs[0].load_findings == []
    json.dumps(docs[0].data)  # JSON-compatible


def test_values_match_safe_load_on_corpus() -> None:
    """Does every corpus document load to the same data as yaml.safe_load_all (modulo our documented changes)?"""

    def norm(o: object) -> object:
        if isinstance(o, dict):
            return {str(k): norm(v) for k, v in o.items()}
        if isinstance(o, list):
            return [norm(x) for x in o]
        return str(o) if o.__class__.__name__ in ("date", "datetime") else o

    checked = 0
    for f in sorted((CORPUS / "manifests").rglob("*.y*ml")):
        raw = f.read_bytes()
        try:
            ref = list(yaml.safe_load_all(raw))
        except yaml.YAMLError:
            continue
        docs = load_documents(raw, str(f))
        assert len(docs) == sum(r is not None for r in ref), f
        for d in docs:
            assert norm(d.data) == norm(ref[d.index]), (f, d.index)
            checked += 1
    assert checked >= 770


# --- documents ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "indexes"),
    [
        ("a: 1\n", [0]),
        ("---\na: 1\n", [0]),
        ("a: 1\n---\nb: 2\n", [0, 1]),
        ("---\na: 1\n---\n---\n# only a comment\n---\nb: 2\n", [0, 3]),
        ("a: 1\n--- null\n---\nb: 2\n...\n", [0, 2]),
        ("", []),
        ("# nothing\n", []),
        ("---\n", []),
    ],
)
def test_document_indexes(text: str, indexes: list[int]) -> None:
    """Do document indexes follow safe_load_all's positions, skipping only null documents?"""
    docs = load_documents(text, "f.yaml")
    assert [d.index for d in docs] == indexes
    ref = list(yaml.safe_load_all(text))
    for d in docs:
        assert d.data == ref[d.index]
        assert d.source == "f.yaml"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a fatal problem in document 1 keeps documents 0 and 2
        ("a: 1\n---\nb: !!int x\n---\nc: 3\n", [({"a": 1}, []), (None, ["yaml-syntax"]), ({"c": 3}, [])]),
        ("a: 1\n---\nb: *nope\n---\nc: 3\n", [({"a": 1}, []), (None, ["yaml-syntax"]), ({"c": 3}, [])]),
        ("a: 1\n---\nb: 1\nb: 2\n---\nc: 3\n", [({"a": 1}, []), ({"b": 2}, ["yaml-duplicate-key"]), ({"c": 3}, [])]),
        ("a: 1\n---\n" + _bomb() + "---\nc: 3\n", [({"a": 1}, []), (None, ["yaml-alias-bomb"]), ({"c": 3}, [])]),
        ("a: 1\n---\n- x\n---\nc: 3\n", [({"a": 1}, []), (["x"], ["yaml-not-mapping"]), ({"c": 3}, [])]),
        # a syntax error stops reading: earlier documents plus one with the finding
        ("a: 1\n---\nb: [1\n---\nc: 3\n", [({"a": 1}, []), (None, ["yaml-syntax"])]),
    ],
)
def test_fatal_problem_keeps_other_documents(text: str, expected: list) -> None:
    """Does a problem in one document leave the documents around it loaded?"""
    docs = load_documents(text)
    assert [(d.data, [f.rule for f in d.load_findings]) for d in docs] == expected
    assert [d.index for d in docs] == list(range(len(expected)))


# --- positions ----------------------------------------------------------------------------------

BLOCK = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: nginx
    ports:
    - containerPort: 80
      protocol: TCP
"""
FLOW = "{apiVersion: v1, kind: Pod,\n spec: {containers: [{name: app, ports: [{containerPort: 80}]}]}}\n"
JSON = """{
  "apiVersion": "v1",
  "spec": {
    "containers": [
      {"name": "app", "ports": [{"containerPort": 80}]}
    ]
  }
}"""
KYAML = """---
{
  apiVersion: "v1",
  spec: {
    containers: [{
      name: "app",
      ports: [{
        containerPort: 80,
      }],
    }],
  },
}
"""
PORT = ("spec", "containers", 0, "ports", 0, "containerPort")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            BLOCK,
            {
                (): (1, 1),
                ("kind",): (2, 1),
                ("metadata", "name"): (4, 3),
                ("spec", "containers", 0): (7, 5),
                ("spec", "containers", 0, "ports"): (9, 5),
                ("spec", "containers", 0, "ports", 0): (10, 7),
                PORT: (10, 7),
                ("spec", "containers", 0, "ports", 0, "protocol"): (11, 7),
            },
        ),
        (
            FLOW,
            {
                (): (1, 1),
                ("kind",): (1, 18),
                ("spec",): (2, 2),
                ("spec", "containers", 0): (2, 22),
                ("spec", "containers", 0, "name"): (2, 23),
                PORT: (2, 43),
            },
        ),
        (
            JSON,
            {
                (): (1, 1),
                ("apiVersion",): (2, 3),
                ("spec",): (3, 3),
                ("spec", "containers", 0): (5, 7),
                ("spec", "containers", 0, "name"): (5, 8),
                PORT: (5, 34),
            },
        ),
        (
            KYAML,
            {
                (): (2, 1),
                ("apiVersion",): (3, 3),
                ("spec", "containers"): (5, 5),
                ("spec", "containers", 0): (5, 18),
                ("spec", "containers", 0, "name"): (6, 7),
                PORT: (8, 9),
            },
        ),
    ],
)
def test_positions(text: str, expected: dict) -> None:
    """Do positions give the 1-based line/column of each key and list item in block, flow, JSON and KYAML?"""
    (doc,) = load_documents(text)
    assert doc.load_findings == []
    for path, pos in expected.items():
        assert doc.positions[path] == pos, path
    assert findings.lookup_position(doc.positions, (*PORT, "nope")) == doc.positions[PORT]


def test_positions_cover_every_node() -> None:
    """Does every key and list item in the data have a position?"""
    (doc,) = load_documents(BLOCK)

    def walk(node: object, path: tuple) -> None:
        assert path in doc.positions, path
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for k, v in items:
            walk(v, (*path, k))

    walk(doc.data, ())


def test_duplicate_key_drops_stale_positions() -> None:
    """After a duplicate key, do positions describe the kept (last) value only?"""
    (doc,) = load_documents("a:\n  x: 1\n  y: 2\na:\n  z: 3\n")
    assert doc.data == {"a": {"z": 3}}
    assert ("a", "x") not in doc.positions
    assert doc.positions[("a",)] == (4, 1)
    assert doc.positions[("a", "z")] == (5, 3)


# --- hostile input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rule", "line", "column", "words"),
    [
        ("a:\n\tb: 1\n", "yaml-syntax", 2, 1, "tab"),
        ('a: "x\\\'y"\n', "yaml-syntax", 1, None, "backslash"),
        ("a: b: c\n", "yaml-syntax", 1, 5, "': '"),
        ("a: [1, 2\n", "yaml-syntax", 2, 1, ""),
        ("a: 'open\n", "yaml-syntax", 2, 1, ""),
        ("a: {{name}}\n", "yaml-syntax", 1, 5, "key"),
        ("a: !!int abc\n", "yaml-syntax", 1, 4, "!!int"),
        ("a: *nope\n", "yaml-syntax", 1, 4, "*nope"),
        ("a: [1]\n<<: 3\n", "yaml-syntax", 2, 5, "merge"),
        ("a: &a [*a]\n", "yaml-alias-bomb", 1, 8, "never ends"),
        (_bomb(), "yaml-alias-bomb", None, None, "100,000"),
        ("a: " + "[" * 101 + "]" * 101 + "\n", "yaml-too-deep", 1, 103, "100"),
        ("a: " + "{b: " * 101 + "1" + "}" * 101 + "\n", "yaml-too-deep", None, None, "100"),
        ("[" * 100_000, "yaml-too-deep", 1, None, "100"),
        ("- " * 100_000 + "x\n", "yaml-too-deep", 1, None, "100"),
        ("a: 1\nb: 2\na: 3\n", "yaml-duplicate-key", 3, 1, "first at line 1, column 1"),
        ('{"a": 1, "a": 2}', "yaml-duplicate-key", 1, 10, "first at line 1, column 2"),
        ("1: x\n'1': y\n", "yaml-duplicate-key", 2, 1, "'1'"),
        ("- a\n- b\n", "yaml-not-mapping", 1, 1, "list"),
        ("hello\n", "yaml-not-mapping", 1, 1, "single value"),
        ("a: 1\x00\n", "yaml-binary", 1, 5, "NUL"),
        ("a: \x07\n", "yaml-binary", 1, 4, "U+0007"),
        ("a: \ud800\n", "yaml-binary", 1, 4, "U+D800"),
        (b"a: 1\n\x00\x01", "yaml-binary", 2, 1, "NUL"),
        (b"a: \xc3(\n", "yaml-binary", 1, 4, "UTF-8"),
        (b"\xff\xfea\x00:\x00", "yaml-binary", 1, 1, "UTF-16"),
        (b"\xff\xfe\x00\x00a\x00\x00\x00", "yaml-binary", 1, 1, "UTF-32"),
        ("a" * (MAX_BYTES + 1), "yaml-too-large", None, None, "limit"),
    ],
)
def test_hostile_input(text: str | bytes, rule: str, line: int | None, column: int | None, words: str) -> None:
    """Does each hostile input give exactly one finding of the right rule, with its position?"""
    docs = load_documents(text)
    found = [f for d in docs for f in d.load_findings]
    assert [f.rule for f in found] == [rule]
    f = found[0]
    assert f.severity == "error"
    assert findings.get(rule).category == "load"
    if line is not None:
        assert f.line == line
    if column is not None:
        assert f.column == column
    assert words in f.message


def test_utf8_bom_is_fine() -> None:
    """Is a UTF-8 byte-order mark accepted in bytes input, without shifting columns?"""
    (doc,) = load_documents(b"\xef\xbb\xbfa: 1\n")
    assert doc.data == {"a": 1}
    assert doc.positions[("a",)] == (1, 1)


def test_billion_laughs_returns() -> None:
    """Does a 9-level billion-laughs bomb come back as a finding instead of expanding?"""
    docs = load_documents("apiVersion: v1\nkind: Pod\n" + _bomb(9))
    assert _rules(docs) == ["yaml-alias-bomb"]
    assert docs[0].data is None


def test_small_aliases_stay_allowed() -> None:
    """Does ordinary anchor/alias use well under the node budget load without findings?"""
    docs = load_documents(_bomb(4))  # 10,000 expanded nodes
    assert _rules(docs) == []
    assert len(docs[0].data["a3"]) == 10


def test_deep_nesting_returns() -> None:
    """Does a 100,000-deep nesting come back as yaml-too-deep, not a crash?"""
    docs = load_documents("a: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert _rules(docs) == ["yaml-too-deep"]


def test_depth_limit_is_exact() -> None:
    """Is nesting of exactly 100 levels accepted and 101 rejected?"""
    ok = "[" * 100 + "1" + "]" * 100
    assert _rules(load_documents("a: " + ok[1:-1] + "\n")) == []
    assert _rules(load_documents("a: " + ok + "\n")) == ["yaml-too-deep"]


def test_rule_fires__yaml_too_large(tmp_path: pathlib.Path) -> None:
    """Does an input over 1 MiB fire yaml-too-large, from text and from a file, without parsing it?"""
    big = POD + "# " + "x" * MAX_BYTES + "\n"
    assert _rules(load_documents(big)) == ["yaml-too-large"]
    assert _rules(load_documents(big.encode())) == ["yaml-too-large"]
    assert _rules(load_documents("é" * (MAX_BYTES // 2 + 1))) == ["yaml-too-large"]  # counts UTF-8 bytes
    p = tmp_path / "big.yaml"
    p.write_text(big)
    assert _rules(load_file(p, "big.yaml")) == ["yaml-too-large"]
    assert _rules(load_documents(POD)) == []


def test_load_file(tmp_path: pathlib.Path) -> None:
    """Does load_file read a file's documents with the given source, and raise OSError when unreadable?"""
    p = tmp_path / "pod.yaml"
    p.write_bytes(POD.encode() + b"---\n" + POD.encode())
    docs = load_file(p, "pod.yaml")
    assert [(d.source, d.index) for d in docs] == [("pod.yaml", 0), ("pod.yaml", 1)]
    with pytest.raises(OSError):
        load_file(tmp_path / "missing.yaml", "missing.yaml")
    with pytest.raises(OSError):
        load_file(tmp_path, "dir")


@pytest.mark.parametrize(
    ("obj", "rules"),
    [
        ({"kind": "Pod"}, []),
        ([{"kind": "Pod"}], ["yaml-not-mapping"]),
        ("x", ["yaml-not-mapping"]),
        (None, ["yaml-not-mapping"]),
    ],
)
def test_document_from_object(obj: object, rules: list[str]) -> None:
    """Does wrapping a loaded object keep it as data and flag anything that is not a mapping?"""
    doc = document_from_object(obj, "obj")
    assert doc.data is obj
    assert doc.positions == {}
    assert [f.rule for f in doc.load_findings] == rules


# --- corpus and registry ------------------------------------------------------------------------


def _corpus_files() -> list[pathlib.Path]:
    return sorted((CORPUS / "manifests").rglob("*.y*ml"))


def test_corpus_loads() -> None:
    """Does every corpus file load without raising, with the 5 known-bad files giving a located finding?"""
    bad = {line.split("\t")[0] for line in (CORPUS / "INDEX.tsv").read_text().splitlines() if "\tparse_error\t" in line}
    assert len(bad) == 5
    files = _corpus_files()
    assert len(files) == 470
    for f in files:
        docs = load_file(f, str(f))
        rel = str(f.relative_to(CORPUS))
        located = [x for d in docs for x in d.load_findings if x.line and x.column]
        if rel in bad:
            assert {x.rule for x in located} & {"yaml-syntax", "yaml-duplicate-key"}, rel
        else:
            assert all(x.rule == "yaml-duplicate-key" for d in docs for x in d.load_findings), rel
            assert all(isinstance(d.data, dict) for d in docs), rel


def test_corpus_kyaml_positions() -> None:
    """Does every KYAML (flow-style) corpus file get positions for each key and item?"""
    seen = 0
    for f in _corpus_files():
        text = f.read_text()
        if not text.startswith("---\n{"):
            continue
        seen += 1
        docs = load_documents(text)
        assert docs[0].positions[()] == (2, 1)
        for d in docs:
            assert ("kind",) in d.positions, f
    assert seen == 135


@pytest.mark.parametrize("rule_id", LOAD_RULES)
def test_rule_examples(rule_id: str) -> None:
    """Does each load rule fire on its failing example, not on its passing one, with a hint and docs link?"""
    rule = findings.get(rule_id)
    assert rule.severity == "error" and rule.category == "load"
    assert rule.docs.startswith("https://kubernetes.io/docs/") and rule.hint and rule.summary
    assert _rules(load_documents(rule.passing)) == []
    assert isinstance(load_documents(rule.passing)[0].data, dict)
    if rule_id == "yaml-too-large":
        assert rule.failing == "" and "test_rule_fires__yaml_too_large" in rule.description
        return
    assert _rules(load_documents(rule.failing)) == [rule_id]


def test_parser_is_libyaml() -> None:
    """Is the C parser used when PyYAML has libyaml (the fast path)?"""
    if yaml.__with_libyaml__:
        assert loader._Parser.__name__ == "CParser"


@pytest.mark.parametrize("text", [POD, BLOCK, KYAML, _bomb(), "a: 1\n---\nb: [1\n", "a: " + "[" * 150])
def test_pure_python_parser_agrees(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Does the pure-Python fallback give the same data, positions and findings as libyaml?"""
    fast = load_documents(text)
    monkeypatch.setattr(loader, "_Parser", yaml.SafeLoader)
    slow = load_documents(text)
    assert [(d.index, d.data, d.positions, _rules([d])) for d in slow] == [
        (d.index, d.data, d.positions, _rules([d])) for d in fast
    ]




# --- never raises -------------------------------------------------------------------------------


def _no_crash(docs: list) -> None:
    for d in docs:
        for f in d.load_findings:
            assert "failed unexpectedly" not in f.message, f.message
            assert f.rule in LOAD_RULES


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_arbitrary_text_never_raises(text: str) -> None:
    """Does any text at all load without an exception?"""
    _no_crash(load_documents(text))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary())
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    """Do any bytes at all load without an exception?"""
    _no_crash(load_documents(data))


YAMLISH = st.lists(st.sampled_from([*"ab1-:,[]{}&*!<>'\"#|?%@` \n\t.~", "<<", "&a ", "*a", "---\n", "  "])).map("".join)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(YAMLISH)
def test_yaml_like_text_never_raises(text: str) -> None:
    """Does text made of YAML punctuation, anchors and aliases load without an exception or a JSON-unsafe value?"""
    docs = load_documents(text)
    _no_crash(docs)
    for d in docs:
        if d.data is not None and not any(f.rule == "yaml-alias-bomb" for f in d.load_findings):
            json.dumps(d.data)
