"""Load YAML/JSON text into documents with line/column positions, safely.

Data is built straight from the parser's event stream (libyaml's CParser when
present, PyYAML's pure-Python parser otherwise) in one non-recursive pass, so
depth, alias expansion and duplicate keys are checked before anything deep or
huge exists in memory, and every node's position comes for free.

Value semantics follow `yaml.safe_load` (YAML 1.1: `yes`/`no`/`on`/`off` are
booleans, as in go-yaml v2 under sigs.k8s.io/yaml) with the differences the
API server's YAML-to-JSON step makes: timestamps and `!!binary` stay strings,
non-string keys become strings (`1` -> "1", `true` -> "true", null -> "null"),
unknown tags are ignored, and a redefined anchor replaces the earlier one.
Aliases share one object, as PyYAML does.

`Document.index` is the document's position in what `yaml.safe_load_all`
yields: null/empty documents count toward it but produce no `Document`, so
`docs[k].data == list(yaml.safe_load_all(text))[docs[k].index]`. Positions
point at a mapping entry's key or a list item's first character; `()` points
at the document's root node (the first line of content, not the `---`).
Alias contents have no positions of their own; lookups fall back to the alias.
"""

from __future__ import annotations

import math
import pathlib
import re
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode

from course.checker.model import Document
from course.findings import DOCS, Finding, Path, Rule, make_finding, register

try:  # libyaml parses several times faster; the pure-Python parser is the fallback
    from yaml.cyaml import CParser as _Parser
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    _Parser = yaml.SafeLoader  # type: ignore[assignment,misc]

MAX_BYTES = 1024 * 1024  # 1 MiB; etcd takes requests up to 1.5 MiB, real manifests are a few KB
MAX_DEPTH = 100  # nested lists/mappings, the root mapping being level 1; real manifests stay under 20
MAX_NODES = 100_000  # nodes after expanding every alias as a full copy

_OBJECTS = DOCS + "concepts/overview/working-with-objects/"
_POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: app\n    image: nginx:1.22\n"


def _rule(
    rule_id: str, summary: str, hint: str, passing: str, failing: str, docs: str = _OBJECTS, description: str = ""
) -> None:
    register(
        Rule(
            id=rule_id,
            severity="error",
            category="load",
            summary=summary,
            hint=hint,
            docs=docs,
            passing=passing,
            failing=failing,
            description=description,
        )
    )


_rule(
    "yaml-syntax",
    "The text is not valid YAML.",
    "Fix the YAML at the line shown; indent with spaces only and quote values that contain ': '.",
    _POD,
    _POD.replace("    image:", "\timage:"),
)
_rule(
    "yaml-too-large",
    "The input is larger than 1 MiB, so it was not parsed.",
    "Split the file into smaller files; a single Pod manifest is normally a few kilobytes.",
    _POD,
    "",
    description="The failing example would have to be over 1 MiB, so the registry leaves it empty; "
    "tests/test_loader.py::test_rule_fires__yaml_too_large builds one and checks that the rule fires.",
)
_rule(
    "yaml-alias-bomb",
    f"Expanding the document's aliases would give more than {MAX_NODES:,} nodes (a 'billion laughs' bomb).",
    "Remove the nested anchors and aliases (&name / *name); write the values out instead.",
    _POD.replace("metadata:\n  name: web\n", "metadata:\n  name: web\n  labels: &l {app: web}\n  annotations: *l\n"),
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  annotations:\n"
    "    a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    "    b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "    c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    "    d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "    e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
    "    f: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
    "spec:\n  containers:\n  - name: app\n    image: nginx:1.22\n",
)
_rule(
    "yaml-too-deep",
    f"Lists and mappings are nested more than {MAX_DEPTH} levels deep.",
    "Flatten the structure; a Pod manifest never needs this much nesting.",
    _POD,
    _POD + "    args: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n",
)
_rule(
    "yaml-duplicate-key",
    "A mapping has the same key twice.",
    "Delete one of the two entries (or merge them): with strict field validation the API server "
    "rejects the object, and otherwise only the last value is kept.",
    _POD,
    _POD + "    image: nginx:1.26\n",
    docs=DOCS + "reference/using-api/api-concepts/#field-validation",
)
_rule(
    "yaml-not-mapping",
    "The document is not a mapping of fields (it is a list or a single value).",
    "A Kubernetes object is a mapping that starts with apiVersion, kind and metadata; "
    "remove a leading '- ' and separate several objects with '---' lines.",
    _POD,
    "- " + _POD.replace("\n", "\n  ").rstrip() + "\n",
)
_rule(
    "yaml-binary",
    "The input is not UTF-8 text (it holds a NUL byte, a control character or bytes that are not UTF-8).",
    "Save the manifest as plain UTF-8 text; check that you opened the right file.",
    _POD,
    _POD.replace("name: web", "name: web\x00"),
)

_NON_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\xfe\xff", "UTF-16"),
    (b"\xff\xfe", "UTF-16"),
)
_STR = "tag:yaml.org,2002:"
_IMPLICIT: dict[Any, list[tuple[str, re.Pattern[str]]]] = yaml.resolver.Resolver.yaml_implicit_resolvers
_CTOR = yaml.constructor.SafeConstructor()
_BOOL = yaml.constructor.SafeConstructor.bool_values
_MERGE = object()  # a plain `<<` key
_PLAIN_CACHE: dict[str, Any] = {}


class _Fatal(Exception):
    """Stops building one document; carries its finding."""

    def __init__(self, finding: Finding, stop: bool = False) -> None:
        super().__init__(finding.message)
        self.finding = finding
        self.stop = stop  # True: the stream cannot be read past this point


def _at(rule_id: str, mark: Any, message: str, hint: str | None = None, path: Path = ()) -> Finding:
    pos = {path: (mark.line + 1, mark.column + 1)} if mark is not None else None
    return make_finding(rule_id, path, message, hint=hint, positions=pos)


def _pos_finding(rule_id: str, line: int, col: int, message: str, hint: str | None = None) -> Finding:
    return make_finding(rule_id, (), message, hint=hint, positions={(): (line, col)})


def _construct(tag: str, value: str) -> Any:
    """The safe_load value of a scalar with a resolved or explicit standard tag."""
    short = tag[len(_STR) :] if tag.startswith(_STR) else ""
    if short == "null":
        return None
    if short == "bool":
        return _BOOL[value.lower()]
    if short == "int":
        return _CTOR.construct_yaml_int(ScalarNode(tag, value))
    if short == "float":
        return _CTOR.construct_yaml_float(ScalarNode(tag, value))
    if short == "merge":
        return _MERGE
    # str, timestamp, binary, value ('='), and tags we do not know stay strings
    return value


def _plain(value: str) -> Any:
    """Resolve an untagged plain scalar the way safe_load does.

    A number Python refuses to build (over 4300 digits) stays a string, as
    go-yaml leaves a plain scalar it cannot parse.
    """
    for tag, rx in _IMPLICIT.get(value[:1], ()):
        if rx.match(value):
            try:
                return _construct(tag, value)
            except ValueError:
                return value
    return value


def _key_string(key: Any) -> str:
    """Keys as the YAML-to-JSON conversion writes them, so data stays JSON-compatible."""
    if isinstance(key, str):
        return key
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float):
        if math.isnan(key):
            return ".nan"
        if math.isinf(key):
            return ".inf" if key > 0 else "-.inf"
        return repr(key)
    return str(key)


def _describe(value: Any) -> str:
    return "a list" if isinstance(value, list) else f"a single value ({type(value).__name__})"


def _build(get: Any, source: str, index: int) -> Document | None:
    """One document from the events after its DocumentStartEvent; None if it is null."""
    positions: dict[tuple[Any, ...], tuple[int, int]] = {}
    findings: list[Finding] = []
    anchors: dict[str, tuple[Any, int]] = {}
    opening: set[str] = set()
    # frame: [container, path, is_map, key, anchor, start_total, merges]
    stack: list[list[Any]] = []
    total = 0
    root: Any = None
    root_mark: Any = None
    cache = _PLAIN_CACHE
    while True:
        ev = get()
        cls = ev.__class__
        mark = ev.start_mark
        if cls is ScalarEvent:
            tag = ev.tag
            v = ev.value
            if tag is None:
                if ev.implicit[0]:
                    try:
                        value = cache[v]
                    except KeyError:
                        value = _plain(v)
                        if len(cache) < 8192 and len(v) < 64:
                            cache[v] = value
                else:
                    value = v
            elif tag == "!":
                value = v
            else:
                try:
                    value = _construct(tag, v)
                except Exception:
                    raise _Fatal(
                        _at(
                            "yaml-syntax",
                            mark,
                            f"the value {v[:40]!r} cannot be read as {tag.replace(_STR, '!!')}",
                            "Remove the explicit tag or fix the value.",
                        )
                    ) from None
            total += 1
            if ev.anchor is not None:
                anchors[ev.anchor] = (value, 1)
        elif cls is MappingStartEvent or cls is SequenceStartEvent:
            if len(stack) >= MAX_DEPTH:
                raise _Fatal(
                    _at("yaml-too-deep", mark, f"lists and mappings are nested more than {MAX_DEPTH} levels deep here"),
                    stop=True,
                )
            if stack:
                parent = stack[-1]
                if parent[2]:
                    if parent[3] is None:
                        raise _Fatal(
                            _at(
                                "yaml-syntax",
                                mark,
                                "a list or mapping is used as a mapping key",
                                "Keys must be plain values; if this is a template placeholder "
                                "such as {{name}}, fill it in or put the value in quotes.",
                            )
                        )
                    path = (*parent[1], parent[3] if parent[3] is not _MERGE else "<<")
                else:
                    path = (*parent[1], len(parent[0]))
                    positions[path] = (mark.line + 1, mark.column + 1)
            else:
                path = ()
                root_mark = mark
            anchor = ev.anchor
            if anchor is not None:
                opening.add(anchor)
            is_map = cls is MappingStartEvent
            stack.append([{} if is_map else [], path, is_map, None, anchor, total, None])
            total += 1
            continue
        elif cls is MappingEndEvent or cls is SequenceEndEvent:
            container, _, is_map, _, anchor, start, merges = stack.pop()
            if merges:
                merged: dict[str, Any] = {}
                for m in merges:
                    merged.update(m)
                merged.update(container)
                container = merged
            value = container
            if anchor is not None:
                opening.discard(anchor)
                anchors[anchor] = (value, total - start)
            if not stack:
                root = value
                continue
            mark = None  # its position was recorded at its start
        elif cls is AliasEvent:
            name = ev.anchor
            if name in opening:
                raise _Fatal(
                    _at(
                        "yaml-alias-bomb",
                        mark,
                        f"alias *{name} points into the node that contains it, so expanding it never ends",
                    )
                )
            found = anchors.get(name)
            if found is None:
                raise _Fatal(
                    _at(
                        "yaml-syntax",
                        mark,
                        f"alias *{name} has no anchor &{name} before it",
                        f"Define &{name} on an earlier value, or remove the alias.",
                    )
                )
            value, size = found
            total += size
            if total > MAX_NODES:
                raise _Fatal(
                    _at(
                        "yaml-alias-bomb",
                        mark,
                        f"expanding the aliases would give more than "
                        f"{MAX_NODES:,} nodes, so the document was not loaded",
                    )
                )
        elif cls is DocumentEndEvent:
            break
        else:  # pragma: no cover - the parser emits nothing else inside a document
            continue

        if not stack:
            root = value
            root_mark = mark
            continue
        frame = stack[-1]
        if frame[2]:
            if frame[3] is None:
                if value.__class__ is str:  # nearly every key
                    key = value
                else:
                    if isinstance(value, (dict, list)):
                        raise _Fatal(
                            _at(
                                "yaml-syntax",
                                mark,
                                "a list or mapping is used as a mapping key",
                                "Keys must be plain values; write the key as a string.",
                            )
                        )
                    if value is _MERGE:
                        frame[3] = _MERGE
                        continue
                    key = _key_string(value)
                kpath = (*frame[1], key)
                container = frame[0]
                if key in container:
                    first = positions.get(kpath)
                    where = f" (first at line {first[0]}, column {first[1]})" if first else ""
                    findings.append(
                        _at(
                            "yaml-duplicate-key",
                            mark,
                            f"key {key!r} appears twice in this mapping{where}; only the last value is kept",
                            path=kpath,
                        )
                    )
                    n = len(kpath)
                    for stale in [p for p in positions if len(p) > n and p[:n] == kpath]:
                        del positions[stale]
                positions[kpath] = (mark.line + 1, mark.column + 1)
                frame[3] = key
            else:
                key = frame[3]
                frame[3] = None
                if key is _MERGE:
                    if isinstance(value, dict):
                        merges = [value]
                    elif isinstance(value, list) and all(isinstance(m, dict) for m in value):
                        merges = value[::-1]
                    else:
                        raise _Fatal(
                            _at(
                                "yaml-syntax",
                                mark,
                                "a '<<' merge key must be followed by a mapping or a list of mappings",
                                "Point '<<' at an anchored mapping, e.g. <<: *defaults.",
                            )
                        )
                    if frame[6] is None:
                        frame[6] = []
                    frame[6].extend(merges)
                else:
                    frame[0][key] = "<<" if value is _MERGE else value
        else:
            lst = frame[0]
            if mark is not None:
                positions[(*frame[1], len(lst))] = (mark.line + 1, mark.column + 1)
            lst.append("<<" if value is _MERGE else value)

    if root is _MERGE:
        root = "<<"
    if root is None and not findings:
        return None
    if root_mark is not None:
        positions[()] = (root_mark.line + 1, root_mark.column + 1)
    if not isinstance(root, dict) and root is not None:
        findings.append(
            make_finding(
                "yaml-not-mapping",
                (),
                f"the document is {_describe(root)}, not a mapping of fields",
                positions=positions,
            )
        )
    return Document(source=source, index=index, data=root, positions=positions, load_findings=findings)


def _syntax_finding(exc: yaml.YAMLError, text: str) -> Finding:
    """A plain-English finding for a parser error, at its 1-based mark."""
    problem = str(getattr(exc, "problem", "") or exc)
    mark = getattr(exc, "problem_mark", None)
    ch = ""
    if mark is not None and isinstance(getattr(mark, "index", None), int):
        lines = text.splitlines()
        if 0 <= mark.line < len(lines) and 0 <= mark.column < len(lines[mark.line]):
            ch = lines[mark.line][mark.column]
    hint = None
    if "nesting depth" in problem:
        return _at("yaml-too-deep", mark, f"lists and mappings are nested more than {MAX_DEPTH} levels deep here")
    if "tab" in problem or (ch == "\t" and "cannot start any token" in problem):
        msg = "a tab character is used for indentation; YAML indentation must use spaces"
        hint = "Replace the tab at the start of this line with spaces."
    elif "escape" in problem:
        msg = "a double-quoted string contains a backslash escape that YAML does not know (such as \\')"
        hint = "Put the value in single quotes instead, or write a literal backslash as \\\\."
    elif "mapping values are not allowed" in problem:
        msg = "a ': ' appears where no new key can start"
        hint = "Check this line's indentation, or quote the value if it contains ': '."
    elif "expected ':'" in problem:
        msg = "a line here is not a 'key: value' pair"
        hint = "Add the missing ':' after the key, or fix the indentation."
    elif "expected key" in problem or "block end" in problem or "expected '-'" in problem:
        msg = "this line's indentation does not line up with the lines around it"
        hint = "Indent all keys of one mapping by the same number of spaces."
    elif "cannot start any token" in problem:
        msg = f"the character {ch!r} cannot start a value" if ch else "a value starts with a reserved character"
        hint = "Put the value in quotes."
    elif "end of the stream" in problem or "end of stream" in problem:
        msg = "the text ends inside a quoted string or an open [ ] or { }"
        hint = "Close the quote or bracket that was opened."
    else:
        msg = f"the text is not valid YAML: {problem}"
    return _at("yaml-syntax", mark, msg, hint)


def _position(text: str, i: int) -> tuple[int, int]:
    return text.count("\n", 0, i) + 1, i - (text.rfind("\n", 0, i) + 1) + 1


def _decode(data: bytes) -> str | Finding:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return _pos_finding(
                "yaml-binary", 1, 1, f"the file is {name} encoded; only UTF-8 is read", "Save the file as UTF-8."
            )
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        col = len(data[data.rfind(b"\n", 0, nul) + 1 : nul].decode("utf-8", "replace")) + 1
        return _pos_finding(
            "yaml-binary", line, col, "the input contains a NUL byte, so it is binary data, not YAML text"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = len(data[data.rfind(b"\n", 0, exc.start) + 1 : exc.start].decode("utf-8", "replace")) + 1
        return _pos_finding("yaml-binary", line, col, "the input is not valid UTF-8 text")


def load_documents(text: str | bytes, source: str = "<string>") -> list[Document]:
    """Every non-null document in `text`; problems come back as findings, never as exceptions."""
    if isinstance(text, (bytearray, memoryview)):
        text = bytes(text)
    size = len(text)
    if size > MAX_BYTES or (
        isinstance(text, str) and size * 4 > MAX_BYTES and len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES
    ):
        unit = "bytes" if isinstance(text, bytes) else "characters"
        return [
            Document(
                source,
                0,
                None,
                {},
                [
                    make_finding(
                        "yaml-too-large", (), f"the input is {size:,} {unit}, over the {MAX_BYTES:,}-byte limit"
                    )
                ],
            )
        ]
    if isinstance(text, bytes):
        decoded = _decode(text)
        if isinstance(decoded, Finding):
            return [Document(source, 0, None, {}, [decoded])]
        text = decoded
    if text.startswith("\ufeff"):
        text = text[1:]
    bad = _NON_PRINTABLE.search(text)
    if bad is not None:
        line, col = _position(text, bad.start())
        ch = bad.group()
        what = "a NUL character" if ch == "\x00" else f"the character U+{ord(ch):04X}, which YAML does not allow"
        return [
            Document(
                source,
                0,
                None,
                {},
                [_pos_finding("yaml-binary", line, col, f"the input contains {what}, so it is not YAML text")],
            )
        ]
    try:
        return _parse(text, source)
    except Exception as exc:
        return [
            Document(
                source,
                0,
                None,
                {},
                [
                    make_finding(
                        "yaml-syntax", (), f"the loader failed unexpectedly on this text ({type(exc).__name__})"
                    )
                ],
            )
        ]


def _parse(text: str, source: str) -> list[Document]:
    docs: list[Document] = []
    parser = _Parser(text)
    index = 0
    try:
        get = parser.get_event
        try:
            get()  # StreamStartEvent
        except yaml.YAMLError as exc:
            return [Document(source, 0, None, {}, [_syntax_finding(exc, text)])]
        while True:
            try:
                ev = get()
                if ev.__class__ is StreamEndEvent:
                    break
                doc = _build(get, source, index)
            except _Fatal as fatal:
                docs.append(Document(source, index, None, {}, [fatal.finding]))
                if fatal.stop:
                    break
                try:  # skip to the end of the broken document; the next one may be fine
                    while get().__class__ is not DocumentEndEvent:
                        pass
                except yaml.YAMLError:
                    break
                index += 1
                continue
            except yaml.YAMLError as exc:
                docs.append(Document(source, index, None, {}, [_syntax_finding(exc, text)]))
                break
            if doc is not None:
                docs.append(doc)
            index += 1
    finally:
        parser.dispose()
    return docs


def load_file(path: pathlib.Path, source: str) -> list[Document]:
    """Load a file, reading at most the size limit plus one byte; OSError if unreadable."""
    with open(path, "rb") as fh:
        data = fh.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        return [
            Document(
                source,
                0,
                None,
                {},
                [make_finding("yaml-too-large", (), f"the file is over the {MAX_BYTES:,}-byte limit")],
            )
        ]
    return load_documents(data, source)


def document_from_object(obj: Any, source: str) -> Document:
    """Wrap an already-loaded object; it has no source text, so no positions."""
    findings = []
    if not isinstance(obj, dict):
        findings.append(
            make_finding("yaml-not-mapping", (), f"the document is {_describe(obj)}, not a mapping of fields")
        )
    return Document(source=source, index=0, data=obj, positions={}, load_findings=findings)
