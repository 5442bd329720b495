"""Kubernetes resource quantities (`500m`, `1Gi`, `1e3`), parsed to exact values.

Follows the grammar of k8s.io/apimachinery's `resource.ParseQuantity`:
a signed decimal number, then a binary-SI suffix (Ki..Ei), a decimal-SI
suffix (n, u, m, "", k, M, G, T, P, E) or a decimal exponent (e3, E-2).
Values are `Fraction`s so `1` and `1000m` compare equal.
"""

from __future__ import annotations

import re
from fractions import Fraction

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 1000),
    "": Fraction(1),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
}
_RE = re.compile(
    r"^(?P<num>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?:(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE](?P<exp>[+-]?[0-9]+))?$"
)
# Upstream caps exponents so that values stay representable; so do we.
_MAX_EXP = 1000


class QuantityError(ValueError):
    """A string that the API server would not accept as a quantity."""


_PARSED: dict[str, Fraction] = {}  # quantity strings parsed so far (manifests repeat `100m`, `128Mi`...)


def parse_quantity(value: object) -> Fraction:
    """Exact value of a quantity given as YAML would (string, int or float).

    Raises QuantityError with a learner-readable reason for anything else.
    """
    if value.__class__ is str:
        try:
            return _PARSED[value]  # type: ignore[index]
        except KeyError:
            parsed = _parse_quantity(value)
            if len(_PARSED) < 4096:
                _PARSED[value] = parsed  # type: ignore[index]
            return parsed
    return _parse_quantity(value)


def _parse_quantity(value: object) -> Fraction:
    if isinstance(value, bool) or value is None:
        raise QuantityError("must be a quantity such as 500m, 1, 256Mi or 1Gi")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise QuantityError("must be a finite number")
        return Fraction(str(value))
    if not isinstance(value, str):
        raise QuantityError("must be a quantity such as 500m, 1, 256Mi or 1Gi")
    text = value.strip() if value.strip() == value else value
    if not text:
        raise QuantityError("quantities must not be empty")
    m = _RE.match(text)
    if not m:
        raise QuantityError(
            "quantities must match the regular expression "
            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' (e.g. 500m, 2, 1.5Gi)"
        )
    num = Fraction(m.group("num"))
    suffix = m.group("suffix")
    exp = m.group("exp")
    if exp is not None:
        e = int(exp)
        if abs(e) > _MAX_EXP:
            raise QuantityError("exponent is out of range")
        return num * Fraction(10) ** e
    if suffix in _BINARY:
        return num * _BINARY[suffix]
    return num * _DECIMAL[suffix or ""]


def is_quantity(value: object) -> bool:
    try:
        parse_quantity(value)
    except QuantityError:
        return False
    return True


def suffix_of(value: object) -> str:
    """The unit suffix as written (`"m"` for `"128m"`), or "" for plain numbers."""
    if not isinstance(value, str):
        return ""
    m = _RE.match(value)
    if not m:
        return ""
    if m.group("exp") is not None:
        return "e"
    return m.group("suffix") or ""


def format_cpu(value: Fraction) -> str:
    """Canonical CPU text: whole cores as `2`, otherwise millicores as `250m`."""
    if value.denominator == 1:
        return str(value.numerator)
    milli = value * 1000
    if milli.denominator == 1:
        return f"{milli.numerator}m"
    return f"{float(value):g}"
