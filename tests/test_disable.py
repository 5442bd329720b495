"""`--disable` (and Options.disabled/enabled) take lint ids only, and say so when given anything else."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from course.checker import lints
from course.checker.model import Options
from course.checker.presets import enabled_lints
from course.cli import main

POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - {name: web, image: nginx}\n"

# (what is passed to --disable, exit status, words stderr must contain, words it must not contain)
CASES = [
    ("image-tag-latest", 0, [], ["error"]),
    ("no-such-rule", 2, ["'no-such-rule'", "no rule has this id", "image-tag-latest", "pod-course rules"], ["mean"]),
    ("image-tag-lates", 2, ["Did you mean 'image-tag-latest'?"], []),
    ("Image-Tag-Latest", 2, ["Did you mean 'image-tag-latest'?"], []),
    ("probe-readines-missing", 2, ["Did you mean 'probe-readiness-missing'?"], []),
    ("enum-value", 2, ["'enum-value'", "schema check, not a lint", "only lints can be switched off"], ["mean"]),
    ("port-range", 2, ["API-server validation check, not a lint"], []),
    ("kind-not-pod", 2, ["schema check, not a lint"], []),
    ("yaml-syntax", 2, ["loading check, not a lint"], []),
    ("image-tag-latest,naked-pod", 2, ["one rule per --disable", "'image-tag-latest', 'naked-pod'"], []),
    ("", 2, ["no rule has this id"], []),
]


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = main(argv)
    finally:
        sys.stdout, sys.stderr = old
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(("rule", "code", "words", "absent"), CASES, ids=[c[0] or "empty" for c in CASES])
def test_disable_takes_lint_ids_only(tmp_path: Path, rule: str, code: int, words: list[str], absent: list[str]) -> None:
    """Does `check --disable ID` accept a lint id, and exit 2 naming the lints (with a near miss) otherwise?"""
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(POD)
    got, out, err = _run(["check", "--disable", rule, str(manifest)])
    assert got == code, err
    for w in words:
        assert w in err
    for w in absent:
        assert w not in err
    if code == 0:
        assert "(image-tag-latest)" not in out
    else:
        assert out == ""


def test_every_lint_is_listed() -> None:
    """Does the error list every lint id, so the user can pick the right one?"""
    with pytest.raises(ValueError) as exc:
        enabled_lints(Options(disabled=frozenset({"nope"})))
    for rid in lints.LINTS:
        assert rid in str(exc.value)


@pytest.mark.parametrize(
    ("disabled", "enabled", "word"),
    [
        ({"nope"}, set(), "cannot disable 'nope'"),
        (set(), {"nope"}, "cannot enable 'nope'"),
        (set(), {"enum-value"}, "cannot enable 'enum-value': it is a schema check"),
        ({"image-tag-latest", "run-as-rot"}, set(), "Did you mean 'run-as-root'?"),
    ],
)
def test_library_options_are_checked(disabled: set[str], enabled: set[str], word: str) -> None:
    """Do Options.disabled and Options.enabled raise ValueError for ids that are no lint?"""
    with pytest.raises(ValueError, match=word.replace("?", r"\?")):
        enabled_lints(Options(disabled=frozenset(disabled), enabled=frozenset(enabled)))


def test_several_disables_still_work(tmp_path: Path) -> None:
    """Do several valid --disable options each switch their lint off?"""
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(POD)
    code, out, _ = _run(
        ["check", "--disable", "image-tag-latest", "--disable", "resources-limits-missing", str(manifest)]
    )
    assert code == 0
    assert "(image-tag-latest)" not in out and "(resources-limits-missing)" not in out
    assert "(resources-requests-missing)" in out
