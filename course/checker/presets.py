"""Named sets of lints, so each chapter only nags about what it has taught.

Chapter presets are cumulative: `ch8` keeps every lint of `ch1`..`ch7` and adds
the resource lints. `default` is every lint whose rule is `default_enabled`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from course.checker import lints
from course.checker.model import Options
from course.findings import get


@dataclass(frozen=True)
class PresetSpec:
    """A preset: an explicit list of lint ids, or everything / every default-on lint."""

    description: str
    lints: frozenset[str] = frozenset()
    everything: bool = False
    defaults: bool = False


_BEGINNER = frozenset({"image-tag-latest", "memory-millibytes", "memory-no-unit", "cpu-units",
                       "run-as-group-without-user"})
# What each chapter adds (1 Pods vs containers ... 10 design patterns & troubleshooting).
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
    10: ("design patterns and troubleshooting", frozenset({"naked-pod"})),
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


@lru_cache(maxsize=256)
def _resolve(preset: str, disabled: frozenset[str], enabled: frozenset[str]) -> frozenset[str]:
    spec = PRESETS.get(preset)
    if spec is None:
        raise ValueError(f"unknown preset {preset!r}; valid presets: {', '.join(PRESETS)}")
    known = _lint_ids()
    if spec.everything:
        base = set(known)
    elif spec.defaults:
        base = {rid for rid, on in known.items() if on}
    else:
        base = set(spec.lints)
    return frozenset(((base - disabled) | enabled) & known.keys())


def enabled_lints(options: Options) -> frozenset[str]:
    """Lint ids on for these options: the preset's, minus `disabled`, plus `enabled`.

    Raises ValueError (naming the valid presets) for an unknown preset.
    """
    preset = options.preset
    if not isinstance(preset, str):
        raise ValueError(f"unknown preset {preset!r}; valid presets: {', '.join(PRESETS)}")
    return _resolve(preset, frozenset(options.disabled), frozenset(options.enabled))
