"""Named sets of lints, so each chapter only nags about what it has taught.

Chapter presets are cumulative: `ch8` keeps every lint of `ch1`..`ch7` and adds
the resource lints. `default` is every lint whose rule is `default_enabled`.

`disabled` and `enabled` name lint ids only: an id that is no lint is an error
(ValueError, with a did-you-mean), not a silent no-op, so a typo in a CI job's
`--disable` does not pass unnoticed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from course.checker import lints
from course.checker.model import Options
from course.findings import all_rules, get


@dataclass(frozen=True)
class PresetSpec:
    """A preset: an explicit list of lint ids, or everything / every default-on lint."""

    description: str
    lints: frozenset[str] = frozenset()
    everything: bool = False
    defaults: bool = False


_BEGINNER = frozenset(
    {"image-tag-latest", "memory-millibytes", "memory-no-unit", "cpu-units", "run-as-group-without-user"}
)
# What each chapter adds (1 Pods vs containers ... 12 capstone).
_CHAPTER_ADDS: dict[int, tuple[str, frozenset[str]]] = {
    1: ("Pods vs containers", _BEGINNER),
    2: ("namespaces and the pause container", frozenset()),
    3: ("networking", frozenset({"container-port-clash", "host-port"})),
    4: ("storage", frozenset({"host-path-volume", "empty-dir-memory-no-limit"})),
    5: ("IPC", frozenset()),
    6: ("lifecycle, init and sidecar containers", frozenset()),
    7: ("probes", frozenset({"probe-readiness-missing", "probe-liveness-missing"})),
    8: ("resources and QoS", frozenset({"resources-requests-missing", "resources-limits-missing"})),
    9: (
        "security",
        frozenset(
            {
                "privileged-container",
                "run-as-root",
                "writable-root-filesystem",
                "capabilities-not-dropped",
                "privilege-escalation-allowed",
                "host-namespaces",
                "env-secret-literal",
                "automount-service-account-token",
            }
        ),
    ),
    10: ("design patterns", frozenset({"naked-pod"})),
    # Troubleshooting diagnoses whatever earlier chapters taught, plus the probe or hook port name
    # the container does not declare ("runs but never Ready"). Not in ch7: its fix-the-probes
    # exercise has the learner find that typo without the checker (tests/test_graders_ch7.py).
    11: ("troubleshooting", frozenset({"named-port-unknown"})),
    # The capstone Pod is graded against all of it, restricted Pod Security included (ch9's
    # security lints); tests/test_lints.py requires that ch12 is every lint there is.
    12: ("capstone", frozenset()),
}


def _chapters() -> dict[str, PresetSpec]:
    out: dict[str, PresetSpec] = {}
    acc: frozenset[str] = frozenset()
    for n, (topic, adds) in _CHAPTER_ADDS.items():
        acc = acc | adds
        out[f"ch{n}"] = PresetSpec(f"chapter {n} ({topic}): lints for chapters 1-{n}", acc)
    return out


PRESETS: dict[str, PresetSpec] = {
    "default": PresetSpec("every lint that is on by default", defaults=True),
    "all": PresetSpec("every lint, including the strict ones that are off by default", everything=True),
    "none": PresetSpec("no lints: only errors, validation and QoS/PSS results"),
    "beginner": PresetSpec("quiet: only mistakes a first Pod makes (image tags, units)", _BEGINNER),
    **_chapters(),
}


def preset_names() -> list[str]:
    """Valid `--preset` values, in the order they are documented."""
    return list(PRESETS)


def _lint_ids() -> dict[str, bool]:
    return {rid: get(rid).default_enabled for rid in lints.LINTS}


_CATEGORY_WORDS = {
    "load": "a loading",
    "schema": "a schema",
    "validation": "an API-server validation",
    "pss": "a Pod Security Standards",
    "qos": "a QoS",
    "live": "a live-cluster",
    "sandbox": "a grading-sandbox",
}


def _check_ids(ids: Iterable[str], known: dict[str, bool], verb: str) -> None:
    """Raise ValueError for an id in `ids` that names no lint, saying which ids are valid."""
    for rid in sorted(ids, key=str):
        if rid not in known:
            raise ValueError(unknown_lint_message(rid, sorted(known), verb))


def unknown_lint_message(rid: object, known: list[str], verb: str = "disable") -> str:
    """Why `rid` cannot be switched: a check that is no lint, a near miss, or no rule at all."""
    import difflib  # only on the error path

    listed = f"Lints: {', '.join(known)} (`pod-course rules` describes each)."
    rule = all_rules().get(rid) if isinstance(rid, str) else None
    if rule is not None:
        what = _CATEGORY_WORDS.get(rule.category, rule.category)
        return (
            f"cannot {verb} {rid!r}: it is {what} check, not a lint, and only lints can be "
            f"switched off or on (schema, validation, Pod Security and QoS findings say what Kubernetes "
            f"itself does with the manifest, so they always show). {listed}"
        )
    if not isinstance(rid, str):
        return f"cannot {verb} {rid!r}: a rule id is a string. {listed}"
    parts = [p.strip() for p in rid.split(",") if p.strip()]
    if len(parts) > 1:
        per = f"--{verb}" if verb == "disable" else "entry"
        return f"cannot {verb} {rid!r}: name one rule per {per} ({', '.join(map(repr, parts))}). {listed}"
    guess = difflib.get_close_matches(rid.strip().lower(), known, n=1, cutoff=0.6)
    mean = f" Did you mean {guess[0]!r}?" if guess else ""
    return f"cannot {verb} {rid!r}: no rule has this id.{mean} {listed}"


@lru_cache(maxsize=256)
def _resolve(preset: str, disabled: frozenset[str], enabled: frozenset[str]) -> frozenset[str]:
    spec = PRESETS.get(preset)
    if spec is None:
        raise ValueError(f"unknown preset {preset!r}; valid presets: {', '.join(PRESETS)}")
    known = _lint_ids()
    _check_ids(disabled, known, "disable")
    _check_ids(enabled, known, "enable")
    if spec.everything:
        base = set(known)
    elif spec.defaults:
        base = {rid for rid, on in known.items() if on}
    else:
        base = set(spec.lints)
    return frozenset(((base - disabled) | enabled) & known.keys())


def enabled_lints(options: Options) -> frozenset[str]:
    """Lint ids on for these options: the preset's, minus `disabled`, plus `enabled`.

    Raises ValueError (naming the valid presets) for an unknown preset, and (naming the lint
    ids, with a did-you-mean) for a disabled or enabled id that is no lint.
    """
    preset = options.preset
    if not isinstance(preset, str):
        raise ValueError(f"unknown preset {preset!r}; valid presets: {', '.join(PRESETS)}")
    return _resolve(preset, frozenset(options.disabled), frozenset(options.enabled))
