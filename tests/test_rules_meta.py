"""Every registered rule is documented, has a hint and a PASS/FAIL example that behave."""

from __future__ import annotations

import pytest

from course import check_text
from course.findings import all_rules

RULES = all_rules()
# Rules whose FAIL case cannot be a small inline document; each is covered by the named test.
FAIL_EXAMPLE_ELSEWHERE = {
    "internal-error": "never fires on a manifest: tests/test_cli.py::test_internal_error_becomes_finding",
    "yaml-too-large": "tests/test_loader.py::test_rule_fires__yaml_too_large",
}
# Live rules fire only on a cluster: tests/test_live.py (API test double) and tests/kind cover them.
FAIL_EXAMPLE_ELSEWHERE.update(
    {r: "tests/test_live.py and tests/kind" for r, x in RULES.items() if x.category == "live"}
)


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_is_documented(rule_id: str) -> None:
    """Does the rule have a summary, a hint, a kubernetes.io docs link and a description or summary?"""
    rule = RULES[rule_id]
    assert rule.summary.strip(), "summary missing"
    assert rule.hint.strip(), "hint missing"
    assert rule.docs.startswith("https://kubernetes.io/"), f"docs link is not a kubernetes.io page: {rule.docs}"
    assert rule.passing.strip(), "PASS example missing"
    if rule_id not in FAIL_EXAMPLE_ELSEWHERE:
        assert rule.failing.strip(), "FAIL example missing"


def _options(rule_id: str) -> dict:
    rule = RULES[rule_id]
    opts = {"preset": "all"} if rule.category == "lint" else {}
    opts.update(rule.example_options)
    return opts


@pytest.mark.parametrize("rule_id", sorted(r for r in RULES if r not in FAIL_EXAMPLE_ELSEWHERE))
def test_fail_example_fires(rule_id: str) -> None:
    """Does the rule fire on its own FAIL example?"""
    results = check_text(RULES[rule_id].failing, f"<{rule_id} FAIL>", **_options(rule_id))
    fired = set().union(*(r.rules() for r in results)) if results else set()
    assert rule_id in fired, f"{rule_id} did not fire; findings: {[str(f) for r in results for f in r.findings]}"


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_pass_example_is_quiet(rule_id: str) -> None:
    """Does the rule stay quiet on its own PASS example?"""
    results = check_text(RULES[rule_id].passing, f"<{rule_id} PASS>", **_options(rule_id))
    fired = set().union(*(r.rules() for r in results)) if results else set()
    assert rule_id not in fired
    assert "internal-error" not in fired


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_findings_carry_hint_and_docs(rule_id: str) -> None:
    """Does every finding the FAIL example produces carry a hint with a docs link?"""
    text = RULES[rule_id].failing or RULES[rule_id].passing
    for r in check_text(text, "<x>", **_options(rule_id)):
        for f in r.findings:
            assert f.hint and "https://" in f.hint, f"{f.rule} finding without a linked hint"
            assert f.path is not None
