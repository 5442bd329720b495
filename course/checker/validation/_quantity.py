"""Resource quantities as the API server prints them back (`Quantity.String()`)."""

from __future__ import annotations

from fractions import Fraction

from course.checker.quantity import suffix_of

_DECIMAL_SUFFIX = {-9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E"}
_BINARY_SUFFIX = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]


def canonical(value: Fraction, written: object) -> str:
    """Canonical text of a parsed quantity, in the format family it was written in.

    Binary (`Ki`, `Mi`...) stays binary when whole and at least 1024; `e` notation
    stays `e`; everything else is decimal SI with the largest exact suffix
    (`0.5` prints as `500m`, `1000m` as `1`).
    """
    suffix = suffix_of(written) if isinstance(written, str) else ""
    sign = "-" if value < 0 else ""
    v = -value if value < 0 else value
    if v == 0:
        return "0"
    if suffix.endswith("i") and v.denominator == 1 and v >= 1024:
        n = v.numerator
        k = 0
        while k < 6 and n % 1024 == 0:
            n //= 1024
            k += 1
        return f"{sign}{n}{_BINARY_SUFFIX[k]}"
    # Smallest representable unit is 1n; the server rounds finer values up.
    nanos = v * 10**9
    if nanos.denominator != 1:
        nanos = Fraction(-((-nanos.numerator) // nanos.denominator))
    n = int(nanos)
    exp = -9
    while exp < 18 and n % 1000 == 0:
        n //= 1000
        exp += 3
    if suffix == "e":
        return f"{sign}{n}" + (f"e{exp}" if exp else "")
    return f"{sign}{n}{_DECIMAL_SUFFIX[exp]}"
