"""Plain data passed between the checker's stages.

Every stage reads documents that may hold wrong types anywhere (the schema
stage reports those); the `mapping`/`sequence` accessors let later stages
walk such trees without crashing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from course.findings import Finding, Path, Positions, Severity, make_finding

DEFAULT_K8S_VERSION = "1.37"
DEFAULT_PSS_VERSION = "latest"
# Kinds whose documents carry a pod spec, and where it lives.
POD_SPEC_PATHS: dict[str, Path] = {
    "Pod": ("spec",),
    "PodTemplate": ("template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


def mapping(value: Any) -> dict[str, Any]:
    """`value` if it is a mapping, else an empty one (the schema stage reports the type)."""
    return value if isinstance(value, dict) else {}


def sequence(value: Any) -> list[Any]:
    """`value` if it is a list, else an empty one (the schema stage reports the type)."""
    return value if isinstance(value, list) else []


def dig(value: Any, *keys: str) -> Any:
    """Follow mapping keys, returning None where the path breaks."""
    for k in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(k)
    return value


@dataclass(frozen=True)
class Options:
    k8s_version: str = DEFAULT_K8S_VERSION
    pss_version: str = DEFAULT_PSS_VERSION
    preset: str = "default"
    disabled: frozenset[str] = frozenset()
    enabled: frozenset[str] = frozenset()


@dataclass
class Document:
    """One loaded YAML/JSON document, with 1-based line/column per path."""

    source: str
    index: int
    data: Any
    positions: Positions = field(default_factory=dict)
    # Findings from loading (syntax error, bomb, duplicate key...); data is None when fatal.
    load_findings: list[Finding] = field(default_factory=list)


@dataclass
class PodView:
    """A pod spec inside a document, with the paths a finding needs.

    For a Deployment `spec_path` is ("spec", "template", "spec") and
    `meta_path` is ("spec", "template", "metadata").
    """

    doc: dict[str, Any]
    kind: str
    spec_path: Path
    options: Options
    positions: Positions

    @property
    def meta_path(self) -> Path:
        return (*self.spec_path[:-1], "metadata")

    # Looked up once per view: every stage and lint asks for them, often per container. A view is made
    # per document after loading, and no stage replaces the document's spec or metadata.
    @cached_property
    def spec(self) -> dict[str, Any]:
        return mapping(dig(self.doc, *(str(s) for s in self.spec_path)))

    @cached_property
    def metadata(self) -> dict[str, Any]:
        return mapping(dig(self.doc, *(str(s) for s in self.meta_path)))

    def at(self, *rel: str | int) -> Path:
        """Absolute path of a field given relative to the pod spec."""
        return (*self.spec_path, *rel)

    def finding(
        self,
        rule_id: str,
        path: Path,
        message: str,
        *,
        hint: str | None = None,
        severity: Severity | None = None,
        docs: str | None = None,
    ) -> Finding:
        """A finding at an absolute path (build it with `at()` or `meta_path`)."""
        return make_finding(rule_id, path, message, hint=hint, positions=self.positions, severity=severity, docs=docs)

    def containers(self) -> Iterator[tuple[str, int, dict[str, Any]]]:
        """(field, index, container) for init, regular and ephemeral containers that are mappings."""
        return iter(self._containers)

    @cached_property
    def _containers(self) -> tuple[tuple[str, int, dict[str, Any]], ...]:
        spec = self.spec
        return tuple(
            (fld, i, c)
            for fld in ("initContainers", "containers", "ephemeralContainers")
            for i, c in enumerate(sequence(spec.get(fld)))
            if isinstance(c, dict)
        )


@dataclass
class Violation:
    """One Pod Security Standards check that failed."""

    level: str  # "baseline" or "restricted": the level this check belongs to
    check: str  # upstream check id, e.g. "runAsNonRoot"
    path: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "check": self.check, "path": self.path, "message": self.message}


@dataclass
class PodSecurity:
    version: str  # the policy version evaluated, e.g. "v1.37" ("latest" resolved)
    level: str  # strictest level satisfied: "privileged", "baseline" or "restricted"
    violations: list[Violation] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "level": self.level,
            "violations": [v.to_dict() for v in self.violations],
        }


@dataclass
class Result:
    source: str
    index: int
    kind: str | None
    name: str | None
    findings: list[Finding] = field(default_factory=list)
    qos_class: str | None = None
    pod_security: PodSecurity | None = None
    data: Any = None  # the loaded document (None when it could not be loaded)

    @property
    def valid(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def rules(self) -> set[str]:
        return {f.rule for f in self.findings}

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "index": self.index,
            "kind": self.kind,
            "name": self.name,
            "valid": self.valid,
            "qosClass": self.qos_class,
            "podSecurity": self.pod_security.to_dict() if self.pod_security else None,
            "findings": [f.to_dict() for f in self.findings],
        }
