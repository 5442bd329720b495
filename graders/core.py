"""A tiny grading framework: exercises made of cases with points and messages.

An autograder test cell is one line, `ch1.first_pod(FIRST_POD)`, whose value is
the score: nbgrader reads a number in a grade cell's result as partial credit.
The same call is the learner's self-check; `hidden=True` (only in the hidden
part of the cell) adds the cases that count at grading time.

The report goes to stdout, never stderr (nbgrader zeroes a cell that writes to
stderr), and no exception ever leaves `Exercise.__call__`: a bug in a case or a
strange answer costs that case its points, not the whole cell.
"""

from __future__ import annotations

import functools
import html
import json
import os
import reprlib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graders.answers import Answer, load_answer, to_payload

# The mimetype that carries the answer, as data, from the learner's kernel to
# the trusted re-grader (graders.nbgrader_ext).
PAYLOAD_MIME = "application/vnd.pod-course.answer+json"


class Fail(Exception):
    """Raised (or returned) by a case test to fail with a specific message."""

    def __init__(self, message: str, *, path: str = "", hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.hint = hint


# What a case test may return: True/None pass; False fails with the case's own
# message; a string or `Fail` fails with that text; findings fail when non-empty.
CaseReturn = bool | None | str | Fail | Iterable[Any]
CaseTest = Callable[[Answer], CaseReturn]


@dataclass(frozen=True)
class Case:
    """One check inside an exercise.

    `failure` is what the learner reads when the case fails and the test gave no
    more specific message; write it as what to change, not what went wrong.
    """

    name: str
    points: float
    test: CaseTest
    failure: str = ""
    hidden: bool = False


@dataclass
class CaseResult:
    case: Case
    passed: bool
    awarded: float
    messages: list[str] = field(default_factory=list)
    # Not checked at all (a live check without a cluster): shown as SKIP, never as PASS.
    skipped: bool = False


def finding_text(finding: Any) -> str:
    """A checker finding as the learner sees it everywhere: path, message, rule id, then the hint."""
    where = f"{finding.path}: " if getattr(finding, "path", "") else ""
    text = f"{where}{finding.message} ({finding.rule})"
    hint = getattr(finding, "hint", "")
    return f"{text}\n    -> {hint}" if hint else text


def _outcome(case: Case, answer: Answer) -> tuple[bool, list[str]]:
    default = case.failure or f"not yet: {case.name}"
    try:
        got = case.test(answer)
    except Fail as exc:
        got = exc
    except Exception as exc:
        return False, [f"this check could not run on your answer ({type(exc).__name__}: {exc}); {default}"]
    if got is None or got is True:
        return True, []
    if got is False:
        return False, [default]
    if isinstance(got, str):
        return False, [got]
    if isinstance(got, Fail):
        where = f"{got.path}: " if got.path else ""
        text = f"{where}{got.message}"
        return False, [f"{text}\n    -> {got.hint}" if got.hint else text]
    items = list(got)
    if not items:
        return True, []
    return False, [finding_text(f) if hasattr(f, "rule") else str(f) for f in items]


class Score(float):
    """The points a grade cell awards; displays as a bare number for nbgrader.

    Its rich display also carries the answer as data so the trusted re-grader
    can grade it again outside the learner's kernel.
    """

    exercise: str = ""
    payload: Any = None
    max_points: float = 0.0
    results: tuple[CaseResult, ...] = ()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {
            "text/plain": repr(float(self)),
            PAYLOAD_MIME: {"exercise": self.exercise, "answer": self.payload},
        }


def _fmt(points: float) -> str:
    return f"{points:g}"


# A student build of the graders (`pod-course student-release`) carries no hidden case; this file
# keeps, per exercise id, how many it left out and their points, so the self-check still says
# "... and N more checks" and Validate still scales to the cell's full points. Absent in the repository.
WITHHELD_FILE = Path(__file__).with_name("withheld.json")


@functools.cache
def _withheld() -> dict[str, tuple[int, float]]:
    try:
        data = json.loads(WITHHELD_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): (int(v[0]), float(v[1])) for k, v in data.items()} if isinstance(data, dict) else {}


def withheld(exercise_id: str) -> tuple[int, float]:
    """(count, points) of the hidden cases a student build left out of this exercise."""
    return _withheld().get(exercise_id, (0, 0.0))


STUDENT_BUILD = ("these graders are a student build (graders/withheld.json): their hidden checks were taken out, "
                 "so they cannot grade; grade with the full course repository")


def student_build() -> bool:
    """True in a student build of the graders, which must never grade a class."""
    return bool(_withheld())


@dataclass
class Exercise:
    """A graded exercise: an id (`ch1.first_pod`), a title, the answer variable and its cases."""

    id: str
    title: str
    answer_name: str
    cases: Sequence[Case]
    # Shown under the problem when the whole answer could not be read (empty, not YAML):
    # where the answer comes from, e.g. "Build it in the editor and press Save answer."
    intro: str = ""

    @property
    def max_points(self) -> float:
        return sum(c.points for c in self.all_cases()) + withheld(self.id)[1]

    @property
    def visible_points(self) -> float:
        return sum(c.points for c in self.cases if not c.hidden)

    def all_cases(self) -> list[Case]:
        """Its own cases, then the hidden cases the instructor's private overlay adds (`graders.private`)."""
        from graders import private

        return [*self.cases, *private.hidden_cases(self.id)]

    def hidden_count(self) -> tuple[int, float]:
        """How many hidden checks count at grading time, and their points (withheld ones included)."""
        cases = [c for c in self.all_cases() if c.hidden]
        n, pts = withheld(self.id)
        return len(cases) + n, sum(c.points for c in cases) + pts

    def grade(self, value: Any, *, hidden: bool = False) -> tuple[float, list[CaseResult], Any]:
        """Score an answer without printing: (points, per-case results, payload)."""
        payload = to_payload(value)
        answer = load_answer(payload, name=self.answer_name)
        results: list[CaseResult] = []
        for case in self.all_cases() if hidden else self.cases:
            if case.hidden and not hidden:
                continue
            if not answer.ok:
                results.append(CaseResult(case, False, 0.0, [answer.problem or "no answer"]))
                continue
            passed, messages = _outcome(case, answer)
            results.append(CaseResult(case, passed, case.points if passed else 0.0, messages))
        return sum(r.awarded for r in results), results, payload

    def __call__(self, value: Any = None, *, hidden: bool = False) -> Score:
        """Grade, print the report to stdout, and return the points as a `Score`."""
        try:
            points, results, payload = self.grade(value, hidden=hidden)
        except Exception as exc:
            print(f"{self.title}: the grader failed ({type(exc).__name__}: {exc}); 0 points.")
            return self._score(0.0, (), None)
        print(self.report(results, hidden=hidden))
        if not hidden and os.environ.get("NBGRADER_EXECUTION") == "validate" and self.visible_points:
            # nbgrader's Validate compares the value with the cell's full points, but a
            # learner can only run the visible cases: passing them all must validate.
            points = points / self.visible_points * self.max_points
        return self._score(points, tuple(results), payload)

    def _score(self, points: float, results: tuple[CaseResult, ...], payload: Any) -> Score:
        score = Score(round(points, 4))
        score.exercise = self.id
        score.payload = payload
        score.max_points = self.max_points
        score.results = results
        return score

    def report(self, results: Sequence[CaseResult], *, hidden: bool) -> str:
        """The learner-facing text: every case, and for failures the path and what to change."""
        got = sum(r.awarded for r in results)
        possible = sum(r.case.points for r in results)
        lines = [f"{self.title}: {_fmt(got)}/{_fmt(possible)} points"]
        shared_problem = bool(results) and all(not r.passed for r in results) and len(
            {tuple(r.messages) for r in results}
        ) == 1 and results[0].messages and results[0].messages[0].startswith(self.answer_name)
        if shared_problem:
            lines.append(f"  {results[0].messages[0]}")
            if self.intro:
                lines.append(f"  {self.intro}")
            return "\n".join(lines)
        for r in results:
            mark = "SKIP" if r.skipped else "PASS" if r.passed else "FAIL"
            note = ", not checked" if r.skipped else ""
            lines.append(f"  [{mark}] {r.case.name} ({_fmt(r.awarded)}/{_fmt(r.case.points)}{note})")
            for m in r.messages:
                lines.extend("        " + part for part in m.splitlines())
        if not hidden:
            n, hidden_points = self.hidden_count()
            if n:
                pts = _fmt(hidden_points)
                lines.append(f"  ... and {n} more check(s) worth {pts} point(s) run when your notebook is graded.")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<li>{html.escape(c.name)} ({_fmt(c.points)} pt{'s' if c.points != 1 else ''})</li>"
            for c in self.cases
            if not c.hidden
        )
        return f"<b>{html.escape(self.title)}</b> checks:<ul>{rows}</ul>"


def run(cases: Sequence[Case], answer: Any, *, title: str = "Exercise", name: str = "answer",
        hidden: bool = False) -> Score:
    """Grade ad-hoc cases without declaring an `Exercise` (handy in tests and demos)."""
    return Exercise(id=f"adhoc.{name}", title=title, answer_name=name, cases=list(cases))(answer, hidden=hidden)


# ---------------------------------------------------------------------------
# Helpers for writing case tests over Pod manifests.
# ---------------------------------------------------------------------------


def pod(answer: Answer) -> dict[str, Any]:
    """The single Pod document of an answer, or `Fail` with what to change."""
    docs = answer.documents
    if len(docs) != 1:
        raise Fail(f"{answer.name} holds {len(docs)} YAML documents; write exactly one Pod manifest.")
    doc = docs[0]
    if not isinstance(doc, dict):
        raise Fail(f"{answer.name} is YAML but not a mapping; a manifest starts with `apiVersion:` and `kind:`.")
    return doc


def errors(answer: Answer, *, rules: Iterable[str] | None = None) -> list[Any]:
    """Checker findings of severity error (optionally only some rules) for the first document."""
    result = answer.result
    if result is None:
        return []
    wanted = set(rules) if rules is not None else None
    return [f for f in result.findings if f.severity == "error" and (wanted is None or f.rule in wanted)]


def findings(answer: Answer, *rules: str, path_prefix: str = "") -> list[Any]:
    """Checker findings of the given rules (any severity) whose path starts with `path_prefix`."""
    result = answer.result
    if result is None:
        return []
    return [f for f in result.findings if (not rules or f.rule in rules) and f.path.startswith(path_prefix)]


def is_pod(answer: Answer) -> Fail | bool:
    """True when the answer is one Pod manifest (`apiVersion: v1`, `kind: Pod`), else `Fail` saying what to set."""
    doc = pod(answer)
    if doc.get("kind") != "Pod":
        return Fail(f"kind is {doc.get('kind')!r}; this exercise asks for a Pod.", path="kind",
                    hint="Set `kind: Pod`.")
    if doc.get("apiVersion") != "v1":
        return Fail(f"apiVersion is {doc.get('apiVersion')!r}; Pods live in the core group.",
                    path="apiVersion", hint="Set `apiVersion: v1`.")
    return True


def checker_clean(answer: Answer) -> list[Any]:
    """No error-level finding: the same list `check_text` shows the learner."""
    pod(answer)
    return errors(answer)


def pod_named(name: str) -> CaseTest:
    """A case test: the answer `is_pod`, and its `metadata.name` is `name` (else `Fail` saying what to set)."""

    def test(answer: Answer) -> CaseReturn:
        verdict = is_pod(answer)
        if verdict is not True:
            return verdict
        meta = pod(answer).get("metadata")
        got = meta.get("name") if isinstance(meta, dict) else None
        if got != name:
            return Fail(f"the Pod is named {got!r}.", path="metadata.name", hint=f"Set `name: {name}`.")
        return True

    return test


def containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = doc.get("spec")
    items = spec.get("containers") if isinstance(spec, dict) else None
    return [c for c in items if isinstance(c, dict)] if isinstance(items, list) else []


def container_named(doc: dict[str, Any], name: str) -> tuple[int, dict[str, Any]]:
    for i, c in enumerate(containers(doc)):
        if c.get("name") == name:
            return i, c
    names = ", ".join(repr(c.get("name")) for c in containers(doc)) or "none"
    raise Fail(f"there is no container named {name!r} (containers: {names}).", path="spec.containers",
               hint=f"Add a container with `name: {name}`.")


# ---------------------------------------------------------------------------
# Answer tables: a dict the learner fills, one row (a letter or a name) -> a choice.
# ---------------------------------------------------------------------------

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "correct"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "wrong"})


def _lowered(text: str) -> str:
    return text.strip().lower()


def words(groups: Mapping[Any, Collection[str]], *, on_bool: tuple[Any, Any] | None = None,
          clean: Callable[[str], str] = _lowered) -> Callable[[Any], Any]:
    """A reader mapping the many ways a learner writes a choice to that choice, or None.

    Groups are tried in order, so an earlier group wins a word two groups share;
    `on_bool` is what True and False stand for, since learners type them too.
    """

    def read(value: Any) -> Any:
        if isinstance(value, bool):
            return None if on_bool is None else on_bool[0 if value else 1]
        if isinstance(value, str):
            v = clean(value)
            for choice, names in groups.items():
                if v in names:
                    return choice
        return None

    return read


def truth(*, also_false: Iterable[str] = ()) -> Callable[[Any], bool | None]:
    """A reader for true/false tables; `also_false` adds a table's own word for "false" (e.g. "myth")."""
    return words({True: TRUE_WORDS, False: FALSE_WORDS | set(also_false)}, on_bool=(True, False))


_SHORT = reprlib.Repr()  # keyword arguments need Python 3.12
_SHORT.maxlevel, _SHORT.maxdict, _SHORT.maxlist, _SHORT.maxtuple, _SHORT.maxset = 2, 4, 4, 4, 4
_SHORT.maxstring, _SHORT.maxother, _SHORT.maxlong = 60, 60, 40


def short_repr(value: Any) -> str:
    """`repr` cut to a line, so a huge or deeply nested answer value stays readable (and fast)."""
    return _SHORT.repr(value)


def table_row(key: str, want: Any, why: str, *, read: Callable[[Any], Any], choices: str, unreadable: str,
              example: str, noun: str = "", wrong: str = "{label} is {want!r}, not {got!r}", named: bool = False,
              upper_keys: bool = True) -> CaseTest:
    """The test of one row of an answer table, explaining `why` only when the learner got that row wrong.

    Keys are matched ignoring case and spaces, so "a " finds row A. Wording stays the
    table's own: `choices` ends the hint for a missing row (`Add "A": <choices>.`),
    `unreadable` follows an unreadable value, and `wrong` is a format string with
    `{label}` ("<noun> <key>"), `{want}` and `{got}`. `named` starts the not-a-dict
    message with the answer's name instead of "write".
    """
    label = f"{noun} {key}" if noun else key

    def test(answer: Answer) -> CaseReturn:
        data = answer.data
        if not isinstance(data, dict):
            raise Fail(f"{answer.name} must be a dict such as {example}." if named
                       else f"write a dict such as {example}.")
        fold = str.upper if upper_keys else str.lower
        table = {fold(str(k).strip()): v for k, v in data.items()}
        if key not in table:
            return Fail(f"{label} has no answer.", hint=f'Add "{key}": {choices}.')
        got = read(table[key])
        if got is None:
            return Fail(f"{label}: {short_repr(table[key])} {unreadable}.")
        if got != want:
            return Fail(f"{wrong.format(label=label, want=want, got=got)}: {why}")
        return True

    return test


# ---------------------------------------------------------------------------
# Reading a Pod that may be malformed (every grader's first step)
# ---------------------------------------------------------------------------


def spec_of(doc: dict[str, Any]) -> dict[str, Any]:
    """`doc["spec"]` when it is a mapping, else `{}`."""
    spec = doc.get("spec")
    return spec if isinstance(spec, dict) else {}


def dicts(value: Any) -> list[dict[str, Any]]:
    """The mappings in a list (anything else, or a non-list, gives none)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def find_container(doc: dict[str, Any], name: str, fields: Sequence[str] = ("containers", "initContainers")
                   ) -> tuple[str, int, dict[str, Any]] | None:
    """(field, index, container) for the first container called `name`, looking in `fields` in order."""
    for fld in fields:
        for i, c in enumerate(dicts(spec_of(doc).get(fld))):
            if c.get("name") == name:
                return fld, i, c
    return None


def need_container(doc: dict[str, Any], name: str, hint: str,
                   fields: Sequence[str] = ("containers", "initContainers"), *, path: str = "spec"
                   ) -> tuple[str, int, dict[str, Any]]:
    """`find_container`, or `Fail` at `path` with `hint` when neither a container nor an init container is `name`."""
    got = find_container(doc, name, fields)
    if got is None:
        raise Fail(f"there is no container or init container named {name!r}.", path=path, hint=hint)
    return got


# ---------------------------------------------------------------------------
# Reading values the way the API server and the kubelet read them, so that every
# equally correct spelling of an answer earns the same points.
# ---------------------------------------------------------------------------

DOCKER_HUB = "docker.io"
_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"})


@dataclass(frozen=True)
class ImageRef:
    """An image reference split as container runtimes resolve it (`nginx` is `docker.io/library/nginx`)."""

    registry: str
    repository: str
    tag: str = ""
    digest: str = ""

    @property
    def name(self) -> str:
        """`registry/repository`, the part that says which image (not which version)."""
        return f"{self.registry}/{self.repository}"

    @property
    def pinned(self) -> bool:
        """A version is named: a digest, or a tag other than `latest`."""
        return bool(self.digest) or self.tag not in ("", "latest")


def image_ref(image: Any) -> ImageRef | None:
    """Parse an image reference, or None when it is not a string that could be one."""
    if not isinstance(image, str) or not image.strip() or any(ch.isspace() for ch in image.strip()):
        return None
    rest, _, digest = image.strip().partition("@")
    head, slash, tail = rest.rpartition("/")
    name, _, tag = tail.partition(":")
    path = f"{head}{slash}{name}"
    first, _, remainder = path.partition("/")
    if remainder and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first.lower(), remainder
    else:
        registry, repository = DOCKER_HUB, path
    if registry in _HUB_ALIASES:
        registry = DOCKER_HUB
        if "/" not in repository:
            repository = f"library/{repository}"
    if not repository or not name:
        return None
    return ImageRef(registry, repository, tag, digest)


def same_image(got: Any, want: str) -> bool:
    """`got` names the image and version `want` names: registry spelled out or not, a digest added or not."""
    g, w = image_ref(got), image_ref(want)
    if g is None or w is None or g.name != w.name:
        return False
    if w.digest:
        return g.digest == w.digest
    return (g.tag or "latest") == (w.tag or "latest")


def image_is(got: Any, repository: str) -> bool:
    """`got` is some version of `repository` (written as in `docker pull`, e.g. `nginx`)."""
    g, w = image_ref(got), image_ref(repository)
    return g is not None and w is not None and g.name == w.name


def norm_path(path: Any) -> str | None:
    """An absolute or relative path with duplicate and trailing slashes (and `.` parts) removed."""
    if not isinstance(path, str) or not path.strip():
        return None
    parts = [p for p in path.strip().split("/") if p not in ("", ".")]
    lead = "/" if path.strip().startswith("/") else ""
    return lead + "/".join(parts) if parts else lead or "."


def same_path(got: Any, want: str) -> bool:
    return norm_path(got) == norm_path(want)


def quantity(value: Any) -> Any:
    """A resource quantity (`64Mi`, `0.5`, 1) as an exact number, or None when it is not one."""
    from course.checker.quantity import QuantityError, parse_quantity

    if isinstance(value, bool):
        return None
    try:
        return parse_quantity(value)
    except (QuantityError, TypeError, ValueError):
        return None


def same_quantity(got: Any, want: Any) -> bool:
    """`256Mi`, `268435456` and `"268435456"` are one quantity."""
    g, w = quantity(got), quantity(want)
    return g is not None and g == w


def yes_no(value: Any) -> bool | None:
    """True/False, or the words learners write for them ("yes", "no", "true", ...), else None."""
    return truth()(value)


def expand(text: str, env: Mapping[str, str]) -> str:
    """Kubernetes' `$(VAR)` expansion, as in command, args and env values: `$$` is a literal `$`,
    and a reference to an undefined variable is left as it is."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("$$", i):
            out.append("$")
            i += 2
            continue
        if text.startswith("$(", i):
            end = text.find(")", i + 2)
            if end != -1 and text[i + 2:end] in env:
                out.append(env[text[i + 2:end]])
                i = end + 1
                continue
        out.append(text[i])
        i += 1
    return "".join(out)


def container_env(c: Mapping[str, Any]) -> dict[str, str]:
    """The container's literal env values, each expanded against the variables defined before it."""
    env: dict[str, str] = {}
    for e in dicts(c.get("env")):
        name, value = e.get("name"), e.get("value")
        if isinstance(name, str) and isinstance(value, str):
            env[name] = expand(value, env)
    return env


def env_value(c: Mapping[str, Any], name: str) -> str | None:
    """The expanded literal value of one env variable, or None when it is not set."""
    return container_env(c).get(name)


def argv(c: Mapping[str, Any]) -> list[str]:
    """command followed by args, with `$(VAR)` expanded as the kubelet does."""
    env = container_env(c)
    words: list[str] = []
    for key in ("command", "args"):
        value = c.get(key)
        if isinstance(value, list):
            words += [expand(str(v), env) for v in value]
    return words


def findings_at(answer: Answer, path: str, *, severity: str = "error") -> list[Any]:
    """Checker findings of one severity at `path` or below it (`spec.containers[0].ports` finds its items)."""
    result = answer.result
    if result is None:
        return []
    return [f for f in result.findings if f.severity == severity
            and (f.path == path or f.path.startswith((path + ".", path + "[")))]


def running_containers(doc: dict[str, Any]) -> list[tuple[str, int, dict[str, Any]]]:
    """(field, index, container) for every container that runs beside the app: the regular ones and the
    native sidecars (init containers with `restartPolicy: Always`)."""
    spec = spec_of(doc)
    out = [("containers", i, c) for i, c in enumerate(dicts(spec.get("containers")))]
    out += [("initContainers", i, c) for i, c in enumerate(dicts(spec.get("initContainers")))
            if c.get("restartPolicy") == "Always"]
    return out


def running_container(doc: dict[str, Any], name: str) -> tuple[str, int, dict[str, Any]]:
    """The running container (regular or native sidecar) called `name`, or `Fail` saying what to add."""
    for fld, i, c in running_containers(doc):
        if c.get("name") == name:
            return fld, i, c
    names = ", ".join(repr(c.get("name")) for _, _, c in running_containers(doc)) or "none"
    raise Fail(f"there is no container named {name!r} (containers: {names}).", path="spec.containers",
               hint=f"Add a container with `name: {name}`.")


def ports_of(c: Mapping[str, Any]) -> list[dict[str, Any]]:
    return dicts(c.get("ports"))


def declares_port(c: Mapping[str, Any], port: int, protocol: str = "TCP") -> bool:
    """The container lists `port`/`protocol` (TCP when protocol is left out, as the API server defaults it)."""
    return any(p.get("containerPort") == port and not isinstance(p.get("containerPort"), bool)
               and p.get("protocol", "TCP") == protocol for p in ports_of(c))


def probe_port(c: Mapping[str, Any], port: Any) -> Any:
    """The port a probe handler's `port` names: a number (digits in a string read as one), or the containerPort
    of the container's port with that name; a name no port has, or any other value, comes back as written."""
    if isinstance(port, str) and port.isdigit():
        return int(port)
    if isinstance(port, str):
        named = [p.get("containerPort") for p in ports_of(c) if p.get("name") == port]
        return named[0] if named else port
    return port


def handler_port(c: Mapping[str, Any], probe: Mapping[str, Any]) -> Any:
    """The `probe_port` of a probe's first tcpSocket, httpGet or grpc handler; None when it has none of them."""
    for handler in ("tcpSocket", "httpGet", "grpc"):
        h = probe.get(handler)
        if isinstance(h, dict):
            return probe_port(c, h.get("port"))
    return None


def _shell_vars(text: str, env: Mapping[str, str]) -> str:
    """`$VAR` and `${VAR}` replaced by the container's env values (what `sh -c` would see)."""
    import re

    def sub(m: Any) -> str:
        name = m.group(1) or m.group(2)
        return env.get(name, m.group(0))

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)", sub, text)


def shell_words(c: Mapping[str, Any]) -> list[str]:
    """The words a container runs: command + args with `$(VAR)` expanded, and the script after
    `sh -c` split into words with `$VAR` expanded, so `["sh", "-c", "tail -F $(DIR)/a.log"]` and
    `["tail", "-F", "/logs/a.log"]` read alike."""
    import shlex

    env = container_env(c)
    words = argv(c)
    out: list[str] = []
    script_next = False
    for w in words:
        if script_next:
            text = _shell_vars(w, env)
            try:
                lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
                lexer.whitespace_split = True
                out += list(lexer)
            except ValueError:
                out += text.split()
            script_next = False
            continue
        out.append(w)
        script_next = w == "-c" and bool(out[:-1]) and out[-2].rsplit("/", 1)[-1] in ("sh", "bash", "ash", "dash")
    return out


def writes_file(c: Mapping[str, Any], path: str) -> bool:
    """The container's command writes `path`: a shell redirect (`>`, `>>`), `tee`, `cp`/`mv`/`install` to the
    file or its directory, `wget -O`/`curl -o`, or `dd of=`; relative names count from `cd DIR` or workingDir."""
    import posixpath
    import re

    want = norm_path(path)
    if want is None:
        return False
    folder = posixpath.dirname(want)
    words = shell_words(c)
    cwd = norm_path(c.get("workingDir")) or "/"

    def resolve(word: str) -> str | None:
        w = word.strip("'\"")
        if not w or w.startswith("-"):
            return None
        return norm_path(w if w.startswith("/") else f"{cwd}/{w}")

    for k, w in enumerate(words):
        if w in ("cd",) and k + 1 < len(words):
            cwd = resolve(words[k + 1]) or cwd
            continue
        m = re.match(r"^(?:\d?>>?|of=|--output=|--output-document=)(.+)$", w)
        if m and resolve(m.group(1)) == want:
            return True
        nxt = words[k + 1] if k + 1 < len(words) else ""
        if w in (">", ">>", "1>", "1>>", "-O", "-o", "--output", "--output-document") and resolve(nxt) == want:
            return True
        name = w.rsplit("/", 1)[-1]
        if name == "tee":
            rest = [x for x in words[k + 1:] if x not in ("-a", "--append")]
            if rest and resolve(rest[0]) == want:
                return True
        if name in ("cp", "mv", "install", "ln"):
            args: list[str] = []
            for x in words[k + 1:]:
                if x in (";", "&&", "||", "|", "&"):
                    break
                args.append(x)
            operands = [x for x in args if not x.startswith("-")]
            if len(operands) >= 2:
                dest = resolve(operands[-1])
                base = posixpath.basename(want)
                if dest == want or (dest == folder and any(posixpath.basename(x) == base for x in operands[:-1])):
                    return True
    return False


# ---------------------------------------------------------------------------
# "Keep the containers as given": a learner's container against the one the task starts from.
# ---------------------------------------------------------------------------


def same_words(c: Mapping[str, Any], given: Mapping[str, Any], *, entrypoint: bool = True) -> bool:
    """`c` runs what `given` runs: command + args word by word, after `$(VAR)` and `sh -c` expansion.

    With `entrypoint=False` (an image without an ENTRYPOINT, such as busybox) the split between command
    and args does not matter; otherwise a `command` replaces the image's entrypoint, so both must have
    one or neither.
    """
    if entrypoint and bool(c.get("command")) != bool(given.get("command")):
        return False
    return shell_words(c) == shell_words(given)


def _flow(value: Any) -> str:
    import json

    return json.dumps(value)


def kept(c: Mapping[str, Any], given: Mapping[str, Any], where: str, *, entrypoint: bool = True) -> Fail | None:
    """The first way `c` differs from `given` in image, command/args, literal env values or ports, as a `Fail`
    naming the field; None when it keeps them all (extra env variables and ports are fine)."""
    name = given.get("name", "the container")
    want_image = given.get("image")
    if isinstance(want_image, str) and not same_image(c.get("image"), want_image):
        return Fail(f"{name}'s image is {short_repr(c.get('image'))}; the task keeps {want_image!r}.",
                    path=f"{where}.image", hint=f"Set `image: {want_image}` again.")
    if not same_words(c, given, entrypoint=entrypoint):
        keep = " and ".join(f"`{k}: {_flow(given[k])}`" for k in ("command", "args") if given.get(k)) or "no command"
        if entrypoint and c.get("command") and not given.get("command"):
            return Fail(f"{name} has a `command`, which replaces its image's entrypoint; the task only passes args.",
                        path=f"{where}.command", hint=f"Remove `command` and keep {keep}.")
        fld = "command" if given.get("command") else "args"
        return Fail(f"{name} no longer runs what the task gives it.", path=f"{where}.{fld}", hint=f"Keep {keep}.")
    have = container_env(c)
    for var, value in container_env(given).items():
        if have.get(var) != value:
            got = f"is {have[var]!r}" if var in have else "is not set"
            return Fail(f"{name}'s environment variable {var} {got}; the task keeps it as {value!r}.",
                        path=f"{where}.env", hint=f"Keep `{{name: {var}, value: {_flow(value)}}}` in env.")
    for p in ports_of(given):
        port, proto = p.get("containerPort"), p.get("protocol", "TCP")
        if isinstance(port, int) and not declares_port(c, port, proto):
            return Fail(f"{name} no longer declares containerPort {port}/{proto}.", path=f"{where}.ports",
                        hint=f"Keep `ports: [{{containerPort: {port}}}]`.")
    return None


def mount_of(c: Mapping[str, Any], volume: str) -> tuple[int, dict[str, Any]] | None:
    """(index, volumeMount) of the first mount of `volume` in a container."""
    for k, m in enumerate(dicts(c.get("volumeMounts"))):
        if m.get("name") == volume:
            return k, m
    return None


def volume_of(doc: dict[str, Any], name: str) -> tuple[int, dict[str, Any]] | None:
    """(index, volume) of the first volume of the Pod called `name`."""
    for j, v in enumerate(dicts(spec_of(doc).get("volumes"))):
        if v.get("name") == name:
            return j, v
    return None


def not_empty_dir(doc: dict[str, Any], name: str, why: str) -> Fail | None:
    """`Fail` when the Pod has no volume `name`, or when it is not an emptyDir (the message ends with `why`,
    the chapter's reason for one); None when `name` is an emptyDir."""
    got = volume_of(doc, name)
    if got is None:
        return Fail(f"there is no volume named {name}.", path="spec.volumes",
                    hint=f"Add `volumes: [{{name: {name}, emptyDir: {{}}}}]`.")
    j, v = got
    if not isinstance(v.get("emptyDir"), dict):
        return Fail(f"volume {name} is not an emptyDir; {why}", path=f"spec.volumes[{j}]", hint="Use `emptyDir: {}`.")
    return None


def seconds_of(value: Any) -> float | None:
    """A duration in seconds as a learner writes it for a `sleep`: 5, "5", "5s", "0.5"; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip().lower().removesuffix("s")
        try:
            got = float(text)
        except ValueError:
            return None
        return got if got >= 0 else None
    return None


# ---------------------------------------------------------------------------
# Labs: the dict a chapter's lab cells build (the learner's predictions and what each run observed).
# ---------------------------------------------------------------------------


def lab_data(answer: Answer, *, built_by: str = "the lab cells build") -> dict[str, Any]:
    """The lab's dict, or `Fail` telling the learner to run the lab cells; `built_by` names what builds it."""
    data = answer.data
    if not isinstance(data, dict):
        raise Fail(f"{answer.name} must be the dict {built_by}; run the lab cells top to bottom.")
    return data


def lab_predictions(data: Mapping[str, Any]) -> dict[Any, Any]:
    """The lab's non-empty `prediction` table (LAB_PREDICTION), or `Fail` asking to fill it in first."""
    table = data.get("prediction")
    if not isinstance(table, dict) or not table:
        raise Fail("LAB_PREDICTION is empty.", hint="Fill in LAB_PREDICTION before running the lab.")
    return table
