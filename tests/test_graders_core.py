"""Unit tests of the grading framework and answer loading (no nbgrader, no kernel)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graders import Case, Exercise, Fail, load_answer
from graders.answers import to_payload
from graders.core import PAYLOAD_MIME, Score, table_row, truth, words


def _has_name(answer: Any) -> Any:
    return isinstance(answer.data, dict) and answer.data.get("name") == "x"


def _crash(answer: Any) -> Any:
    raise ZeroDivisionError("boom")


EX = Exercise(
    id="t.ex",
    title="Test exercise",
    answer_name="ANSWER",
    cases=[
        Case("is a mapping", 1, lambda a: isinstance(a.data, dict), failure="write a mapping"),
        Case("named x", 2, _has_name, failure="set name: x"),
        Case("hidden check", 3, lambda a: Fail("nope", path="spec.x", hint="change x"), hidden=True),
    ],
)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (None, "still empty"),
        ("", "still empty"),
        ("\n# YOUR ANSWER HERE\n", "still empty"),
        ({}, "still empty"),
        ("a: [1, 2", "not valid YAML at line"),
        ("key: value\n  bad: indent", "not valid YAML"),
    ],
)
def test_load_answer_problems(value: Any, problem: str | None) -> None:
    """Does an empty or unparsable answer give a learner-facing problem instead of raising?"""
    ans = load_answer(value, name="ANSWER")
    if problem is None:
        assert ans.ok
    else:
        assert not ans.ok and problem in (ans.problem or "")


@pytest.mark.parametrize(
    ("value", "data"),
    [
        ("    a: 1\n    b: [x]\n", {"a": 1, "b": ["x"]}),  # indented inside a triple-quoted string
        ("a:\t1", {"a": 1}),  # a stray tab
        ('{"a": 1}', {"a": 1}),  # JSON is YAML
        ({"b", "a"}, ["a", "b"]),  # sets travel as sorted lists
        (("x", 1), ["x", 1]),
        (b"a: 1", {"a": 1}),
    ],
)
def test_load_answer_shapes(value: Any, data: Any) -> None:
    """Are strings, indented YAML, JSON, sets, tuples and bytes all read as the same plain data?"""
    assert load_answer(value).data == data


def test_load_answer_from_file_and_widget(tmp_path: Path) -> None:
    """Are a saved file and a widget's `.yaml` read as the manifest text they hold?"""
    f = tmp_path / "pod.yaml"
    f.write_text("kind: Pod\n")
    assert load_answer(f).data == {"kind": "Pod"}
    widget = type("W", (), {"yaml": "kind: Pod\nmetadata: {name: w}\n"})()
    assert load_answer(widget).data == {"kind": "Pod", "metadata": {"name": "w"}}
    assert "not found" in str(load_answer(tmp_path / "missing.yaml").data)


def test_hostile_answers_never_raise() -> None:
    """Do recursive, huge and strange objects come back as an Answer, never an exception?"""
    loop: list[Any] = []
    loop.append(loop)
    for value in (loop, "x" * 300_000, object(), float("nan"), {1: {2: {3: None}}}, "&a [*a]"):
        ans = load_answer(value)
        assert ans.raw is value


def test_manifest_dict_is_checked_as_yaml() -> None:
    """Is a manifest built as a dict turned into YAML text so the checker sees it?"""
    ans = load_answer({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}})
    assert ans.text is not None and "kind: Pod" in ans.text


def test_visible_call_awards_visible_points(capsys: pytest.CaptureFixture[str]) -> None:
    """Does the self-check run only visible cases and mention the hidden ones?"""
    score = EX({"name": "x"})
    out = capsys.readouterr().out
    assert float(score) == 3.0
    assert "[PASS] named x (2/2)" in out
    assert "1 more check(s) worth 3 point(s)" in out
    assert "hidden check" not in out


def test_hidden_call_awards_partial_credit_with_messages(capsys: pytest.CaptureFixture[str]) -> None:
    """Does the graded call give partial credit and print path and hint of the failed case?"""
    score = EX({"name": "y"}, hidden=True)
    out = capsys.readouterr().out
    assert float(score) == 1.0
    assert "set name: x" in out
    assert "spec.x: nope" in out and "-> change x" in out


def test_empty_answer_scores_zero_with_one_message(capsys: pytest.CaptureFixture[str]) -> None:
    """Does an untouched answer get 0 and a single 'still empty' line, not one per case?"""
    assert float(EX(None, hidden=True)) == 0.0
    out = capsys.readouterr().out
    assert out.count("still empty") == 1


def test_crashing_case_costs_only_its_points(capsys: pytest.CaptureFixture[str]) -> None:
    """Does a case that raises fail alone, with a sentence and no traceback?"""
    ex = Exercise("t.crash", "Crash", "A", [Case("ok", 1, lambda a: True), Case("bad", 1, _crash)])
    assert float(ex("a: 1")) == 1.0
    out = capsys.readouterr().out
    assert "ZeroDivisionError: boom" in out and "Traceback" not in out


def test_score_carries_payload() -> None:
    """Does the displayed score carry the answer as data and a plain number as text?"""
    score = EX("name: x")
    bundle = score._repr_mimebundle_()
    assert bundle["text/plain"] == "3.0"
    assert bundle[PAYLOAD_MIME] == {"exercise": "t.ex", "answer": "name: x"}
    assert isinstance(score, Score) and isinstance(score, float)


def test_validate_mode_scales_to_cell_points(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under nbgrader validate, does passing every visible case count as the cell's full points?"""
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")
    assert float(EX({"name": "x"})) == EX.max_points
    assert float(EX({"name": "y"})) < EX.max_points


def test_payload_round_trips() -> None:
    """Does the payload of an answer load back to the same data (what the re-grader relies on)?"""
    for value in ("kind: Pod\n", {"A": "same"}, ["x"], {"s": {"b", "a"}}):
        assert load_answer(to_payload(value)).data == load_answer(value).data


def test_intro_says_where_an_unreadable_answer_comes_from(capsys: pytest.CaptureFixture[str]) -> None:
    """Does an exercise's intro line follow the single 'still empty' message, and only then?"""
    ex = Exercise(id="t.intro", title="T", answer_name="ANSWER", cases=EX.cases, intro="Use the editor above.")
    ex(None)
    empty = capsys.readouterr().out
    assert "ANSWER is still empty" in empty and "Use the editor above." in empty
    ex({"name": "y"})
    assert "Use the editor above." not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("from graders import ch1\nch1.first_pod(X)", ("ch1.first_pod", False)),
        ("from graders import ch1 as c\nc.first_pod(X)\nc.same_pod(Y, hidden=True)", ("ch1.same_pod", True)),
        ("import graders.ch1 as g\ng.docker_run(X, hidden=True)", ("ch1.docker_run", True)),
        ("import graders\ngraders.ch1.web_with_logs(X)", ("ch1.web_with_logs", False)),
        ("from graders.ch1 import first_pod as fp\nfp(X, hidden=True)", ("ch1.first_pod", True)),
        ("from graders import ch1\nch1.first_pod(X, hidden=flag)", ("ch1.first_pod", False)),
        ("first_pod(X)", None),
        ("from graders import ch1\nch1.not_an_exercise(X)", None),
        ("assert FIRST_POD", None),
        ("def (:", None),
    ],
)
def test_trusted_regrade_reads_the_exercise_from_the_cell_source(source: str, target: Any) -> None:
    """Does the re-grader find the exercise (and the hidden flag) only from statically evident grader calls?"""
    from graders.nbgrader_ext import exercise_call

    got = exercise_call(source)
    assert (None if got is None else (got[0].id, got[1])) == target


def _grade_cell(source: str, outputs: list[Any]) -> Any:
    import nbformat

    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "t", "points": 6}
    cell.outputs = outputs
    return cell


def test_trusted_regrade_ignores_what_the_kernel_claimed() -> None:
    """Does a grade cell get the trusted score of its answer data, and 0 when it calls no known exercise?"""
    import nbformat

    from graders.nbgrader_ext import TrustedRegrade

    claimed = nbformat.v4.new_output("execute_result", data={"text/plain": "6"})
    payload = nbformat.v4.new_output("display_data", data={
        PAYLOAD_MIME: {"exercise": "ch1.same_pod", "answer": {"A": "same", "B": "same"}}})
    pre = TrustedRegrade()
    cell, _ = pre.preprocess_cell(_grade_cell("from graders import ch1\nch1.same_pod(S, hidden=True)",
                                              [payload, claimed]), {}, 0)
    assert cell.outputs[-1].data["text/plain"] == "1.0"
    assert "pair B belongs in separate Pods" in cell.outputs[0].text
    cell, _ = pre.preprocess_cell(_grade_cell("print(6)\n6", [claimed]), {}, 0)
    assert cell.outputs[-1].data["text/plain"] == "0.0"
    cell, _ = pre.preprocess_cell(_grade_cell("from graders import ch1\nch1.same_pod(S)", [claimed]), {}, 0)
    assert cell.outputs[-1].data["text/plain"] == "0.0"
    assert "No answer reached the grader" in cell.outputs[0].text


# ---------------------------------------------------------------------------
# Answer tables: table_row, words, truth
# ---------------------------------------------------------------------------

_PAIR = words({"same": {"same", "one pod"}, "separate": {"separate", "apart"}}, on_bool=("same", "separate"))
_PAIR_WORDING: dict[str, Any] = dict(read=_PAIR, noun="pair", choices='"same" or "separate"',
                                     unreadable='is neither "same" nor "separate"', example='{"A": "same", ...}',
                                     wrong="{label} belongs in one Pod")
_KIND_WORDING: dict[str, Any] = dict(read=words({"always": {"always"}, "never": {"never"}}),
                                     choices='"always" or "never"', unreadable='is not one of "always", "never"',
                                     example='{"net": "always", ...}', named=True, upper_keys=False)


def _row_messages(test: Any, value: Any) -> list[str]:
    ex = Exercise("t.table", "Table", "ANS", [Case("the row", 1, test)])
    _, results, _ = ex.grade(value, hidden=True)
    return results[0].messages


@pytest.mark.parametrize(
    ("key", "want", "wording", "value", "message"),
    [
        ("A", "same", _PAIR_WORDING, {"A": "same"}, None),
        ("A", "same", _PAIR_WORDING, {" a ": " One Pod "}, None),
        ("A", "same", _PAIR_WORDING, {"a": True}, None),
        ("A", "same", _PAIR_WORDING, {"B": "same"}, 'pair A has no answer.\n    -> Add "A": "same" or "separate".'),
        ("A", "same", _PAIR_WORDING, {"A": "maybe"}, "pair A: 'maybe' is neither \"same\" nor \"separate\"."),
        ("A", "same", _PAIR_WORDING, {"A": 3}, "pair A: 3 is neither \"same\" nor \"separate\"."),
        ("A", "same", _PAIR_WORDING, {"A": "apart"}, "pair A belongs in one Pod: because."),
        ("A", "same", _PAIR_WORDING, ["A", "same"], 'write a dict such as {"A": "same", ...}.'),
        ("net", "always", _KIND_WORDING, {"NET ": "always"}, None),
        ("net", "always", _KIND_WORDING, {"net": "never"}, "net is 'always', not 'never': because."),
        ("net", "always", _KIND_WORDING, {"net": True}, "net: True is not one of \"always\", \"never\"."),
        ("net", "always", _KIND_WORDING, "net: always\n", None),
        ("net", "always", _KIND_WORDING, "- net\n", 'ANS must be a dict such as {"net": "always", ...}.'),
    ],
)
def test_table_row_messages(key: str, want: Any, wording: dict[str, Any], value: Any, message: str | None) -> None:
    """Does a table row pass a right answer however it is spelled, and otherwise say exactly what to change?"""
    messages = _row_messages(table_row(key, want, "because.", **wording), value)
    assert messages == ([] if message is None else [message])


def test_table_row_keys_keep_their_case_when_asked() -> None:
    """Does a lower-case table miss an upper-case row key instead of folding it the wrong way?"""
    test = table_row("A", "always", "because.", **_KIND_WORDING)
    assert _row_messages(test, {"A": "always"}) == ['A has no answer.\n    -> Add "A": "always" or "never".']


@pytest.mark.parametrize(
    ("reader", "value", "expected"),
    [
        (_PAIR, "  Same ", "same"),
        (_PAIR, "SEPARATE", "separate"),
        (_PAIR, False, "separate"),
        (_PAIR, "together", None),
        (_PAIR, None, None),
        (_PAIR, ["same"], None),
        (_PAIR, 1, None),
        (words({"x": {"x"}}), True, None),
        (words({"first": {"a"}, "second": {"a", "b"}}), "a", "first"),
        (words({"dash": {"opt in"}}, clean=lambda v: v.replace("-", " ")), "opt-in", "dash"),
        (words({"dash": {"opt in"}}), "opt-in", None),
    ],
)
def test_words_reads_choices(reader: Any, value: Any, expected: Any) -> None:
    """Does a words() reader map every accepted spelling (and bools, when told how) to its choice, else None?"""
    assert reader(value) == expected


@pytest.mark.parametrize(
    ("also_false", "value", "expected"),
    [
        ((), True, True),
        ((), False, False),
        ((), " Yes", True),
        ((), "correct", True),
        ((), "N", False),
        ((), "wrong", False),
        ((), "myth", None),
        (("myth",), "Myth", False),
        (("myth",), "maybe", None),
        ((), 1, None),
        ((), 0, None),
    ],
)
def test_truth_reads_true_and_false(also_false: tuple[str, ...], value: Any, expected: bool | None) -> None:
    """Does truth() accept True/False and their usual words, a table's extra words, and nothing else (not 1 or 0)?"""
    assert truth(also_false=also_false)(value) is expected
