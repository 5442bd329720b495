"""Name and value formats the API server enforces, with its own error wording.

Each function returns the list of reasons a value is rejected (empty when it is
accepted), so callers can report every reason the server would report.
"""

from __future__ import annotations

import ipaddress
import json
import re

_DNS1123_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL_RE = re.compile(rf"^{_DNS1123_LABEL}$")
_DNS1123_SUBDOMAIN = rf"{_DNS1123_LABEL}(\.{_DNS1123_LABEL})*"
_DNS1123_SUBDOMAIN_RE = re.compile(rf"^{_DNS1123_SUBDOMAIN}$")
_QUALIFIED_NAME = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_QUALIFIED_NAME_RE = re.compile(rf"^{_QUALIFIED_NAME}$")
_LABEL_VALUE = r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?"
_LABEL_VALUE_RE = re.compile(rf"^{_LABEL_VALUE}$")
_ENV_STRICT_RE = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_PORT_NAME_CHARS_RE = re.compile(r"^[-a-z0-9]+$")
_LETTER_RE = re.compile(r"[a-z]")


def quote(value: object) -> str:
    """A value as the API server prints it inside an error (strings quoted, numbers bare)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def max_len(n: int) -> str:
    return f"must be no more than {n} characters"


def _regex_error(what: str, pattern: str, *examples: str) -> str:
    ex = ",  or ".join(f"'{e}'" for e in examples)
    return f"{what} (e.g. {ex}, regex used for validation is '{pattern}')"


DNS_LABEL_MSG = _regex_error(
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character",
    _DNS1123_LABEL,
    "my-name",
    "123-abc",
)
DNS_SUBDOMAIN_MSG = _regex_error(
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character",
    _DNS1123_SUBDOMAIN,
    "example.com",
)


def dns1123_label(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(max_len(63))
    if not _DNS1123_LABEL_RE.match(value):
        errs.append(DNS_LABEL_MSG)
    return errs


def dns1123_subdomain(value: str) -> list[str]:
    errs = []
    if len(value) > 253:
        errs.append(max_len(253))
    if not _DNS1123_SUBDOMAIN_RE.match(value):
        errs.append(DNS_SUBDOMAIN_MSG)
    return errs


def generated_name_prefix(value: str) -> list[str]:
    """generateName is checked with its trailing dashes masked, as the suffix follows."""
    masked = value[:-1] + "a" if value.endswith("-") else value
    return dns1123_subdomain(masked)


def qualified_name(value: str) -> list[str]:
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + m for m in dns1123_subdomain(prefix))
    else:
        return [
            _regex_error(
                "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must "
                "start and end with an alphanumeric character",
                _QUALIFIED_NAME,
                "MyName",
                "my.name",
                "123-abc",
            )
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part " + max_len(63))
    if name and not _QUALIFIED_NAME_RE.match(name):
        errs.append(
            "name part "
            + _regex_error(
                "must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                "with an alphanumeric character",
                _QUALIFIED_NAME,
                "MyName",
                "my.name",
                "123-abc",
            )
        )
    return errs


def label_value(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(max_len(63))
    if not _LABEL_VALUE_RE.match(value):
        errs.append(
            _regex_error(
                "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
                "or '.', and must start and end with an alphanumeric character",
                _LABEL_VALUE,
                "MyValue",
                "my_value",
                "12345",
            )
        )
    return errs


def port_name(value: str) -> list[str]:
    """IANA_SVC_NAME, the format of container port names."""
    errs = []
    if len(value) > 15:
        errs.append(max_len(15))
    if not _PORT_NAME_CHARS_RE.match(value):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not _LETTER_RE.search(value):
        errs.append("must contain at least one letter (a-z)")
    if "--" in value:
        errs.append("must not contain consecutive hyphens")
    if value.startswith("-") or value.endswith("-"):
        errs.append("must not begin or end with a hyphen")
    return errs


PORT_RANGE_MSG = "must be between 1 and 65535, inclusive"


def port_number(value: int) -> list[str]:
    return [] if 1 <= value <= 65535 else [PORT_RANGE_MSG]


def env_var_name(value: str, relaxed: bool) -> list[str]:
    if relaxed:
        if any(not (32 <= ord(ch) <= 126) or ch == "=" for ch in value):
            return ["a valid environment variable name must consist only of printable ASCII characters other than '='"]
        return []
    if not _ENV_STRICT_RE.match(value):
        return [
            _regex_error(
                "a valid environment variable name must consist of alphabetic characters, digits, '_', "
                "'-', or '.', and must not start with a digit",
                "[-._a-zA-Z][-._a-zA-Z0-9]*",
                "my.env-name",
                "MY_ENV.NAME",
                "MyEnvName1",
            )
        ]
    return []


def is_int(value: object) -> bool:
    """An integer as YAML gives one (bools excluded: they are a type error, reported elsewhere)."""
    return isinstance(value, int) and not isinstance(value, bool)


IP_MSG = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
_SLOPPY_V4_RE = re.compile(r"^[0-9]{1,3}(\.[0-9]{1,3}){3}$")


def ip_address(value: str, strict: bool = True) -> list[str]:
    """An IP address as legacy API fields take it (`IsValidIPForLegacyField`).

    Strict validation (StrictIPCIDRValidation, on since 1.36) also rejects IPv4 octets with
    leading zeros, which libc reads as octal, and IPv4-mapped IPv6 addresses.
    """
    if "%" in value:  # a zone (fe80::1%eth0) is not an IP address to Go
        return [IP_MSG]
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        if _SLOPPY_V4_RE.match(value) and all(int(o) <= 255 for o in value.split(".")):
            return ["must not have leading 0s"] if strict else []
        return [IP_MSG]
    if strict and isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return ["must not be an IPv4-mapped IPv6 address"]
    return []


_HTTP_HEADER_RE = re.compile(r"^[-A-Za-z0-9]+$")


def http_header_name(value: str) -> list[str]:
    if _HTTP_HEADER_RE.match(value):
        return []
    return [
        _regex_error("a valid HTTP header must consist of alphanumeric characters or '-'", "[-A-Za-z0-9]+",
                     "X-Header-Name")
    ]
