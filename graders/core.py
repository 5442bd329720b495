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

import html
import os
import reprlib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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
        return sum(c.points for c in self.cases)

    @property
    def visible_points(self) -> float:
        return sum(c.points for c in self.cases if not c.hidden)

    def grade(self, value: Any, *, hidden: bool = False) -> tuple[float, list[CaseResult], Any]:
        """Score an answer without printing: (points, per-case results, payload)."""
        payload = to_payload(value)
        answer = load_answer(payload, name=self.answer_name)
        results: list[CaseResult] = []
        for case in self.cases:
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
            n = sum(1 for c in self.cases if c.hidden)
            if n:
                pts = _fmt(sum(c.points for c in self.cases if c.hidden))
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
