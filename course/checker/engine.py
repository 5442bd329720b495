"""Runs every stage over every document and assembles one `Result` per document.

Stage contracts (each module registers its own rules in `course.findings`):

- loader.load_documents(text, source) -> list[Document]
- schema.check_schema(data, positions, k8s_version) -> list[Finding]
- validation.check_pod(pod: PodView) -> Iterator[Finding]
- qos.qos_class(spec: dict) -> str
- pss.evaluate(pod: PodView, version: str) -> PodSecurity
- lints.LINTS[rule_id](pod: PodView) -> Iterator[Finding], only the lints presets.enabled_lints(options)
  -> set[str] switches on (lints.check_pod runs every one)

A stage that raises is a bug; the engine still turns it into a finding
(`internal-error`) so a learner never sees a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path as FsPath
from typing import Any

from course.checker import lints, loader, pss, qos, schema, validation
from course.checker.model import (
    POD_SPEC_PATHS,
    Document,
    Options,
    PodView,
    Result,
    dig,
    mapping,
)
from course.checker.presets import enabled_lints
from course.findings import DOCS, Finding, Rule, make_finding, register

_OK_POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: ok}\nspec:\n  containers:\n  - {name: app, image: nginx:1.22}\n"

register(
    Rule(
        id="internal-error",
        severity="error",
        category="load",
        summary="The checker itself failed on this document.",
        hint="This is a bug in pod-course, not in your manifest; please report it with the manifest.",
        docs=DOCS + "concepts/workloads/pods/",
        passing=_OK_POD,
        failing="",
        description="Raised only when a stage of the checker crashes; no manifest should trigger it.",
    )
)

register(
    Rule(
        id="kind-not-pod",
        severity="info",
        category="schema",
        summary="The document is not a Pod and holds no pod template, so no pod checks ran on it.",
        hint="Pod checks run on kind Pod and on the pod templates of Deployment, StatefulSet, "
        "DaemonSet, ReplicaSet, ReplicationController, Job and CronJob.",
        docs=DOCS + "concepts/workloads/pods/",
        passing=_OK_POD,
        failing="apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports:\n  - port: 80\n",
    )
)


def _internal(stage: str, exc: BaseException) -> Finding:
    return make_finding("internal-error", (), f"the {stage} stage failed: {type(exc).__name__}: {exc}")


def check_document(doc: Document, options: Options) -> Result:
    """All stages for one loaded document."""
    data = doc.data
    kind = data.get("kind") if isinstance(data, dict) else None
    name = dig(data, "metadata", "name")
    result = Result(
        source=doc.source,
        index=doc.index,
        kind=kind if isinstance(kind, str) else None,
        name=name if isinstance(name, str) else None,
        findings=list(doc.load_findings),
        data=data,
    )
    if not isinstance(data, dict):
        return result
    try:
        result.findings.extend(schema.check_schema(data, doc.positions, options.k8s_version))
    except Exception as exc:
        result.findings.append(_internal("schema", exc))

    spec_path = POD_SPEC_PATHS.get(result.kind or "")
    if spec_path is None:
        if result.kind and not any(f.severity == "error" for f in result.findings):
            result.findings.append(
                make_finding(
                    "kind-not-pod",
                    ("kind",),
                    f"kind {result.kind} has no pod spec; only schema checks ran",
                    positions=doc.positions,
                )
            )
        return _filtered(result, options)
    if not isinstance(dig(data, *(str(s) for s in spec_path)), dict):
        # A workload without a pod template (e.g. a kustomize `$patch: delete` stub):
        # the schema stage has already said what is missing.
        return _filtered(result, options)

    pod = PodView(
        doc=data,
        kind=result.kind or "Pod",
        spec_path=spec_path,
        options=options,
        positions=doc.positions,
    )
    for stage, fn in (("validation", validation.check_pod), ("lint", _enabled_lints)):
        try:
            result.findings.extend(fn(pod))
        except Exception as exc:
            result.findings.append(_internal(stage, exc))
    try:
        result.qos_class = qos.qos_class(pod.spec)
    except Exception as exc:
        result.findings.append(_internal("qos", exc))
    try:
        result.pod_security = pss.evaluate(pod, options.pss_version)
    except Exception as exc:
        result.findings.append(_internal("pss", exc))
    return _filtered(result, options)


def _enabled_lints(pod: PodView) -> Iterable[Finding]:
    """`lints.check_pod` without running the lints the options switch off (a lint checks its own rule only);
    `_filtered` would drop their findings anyway."""
    on = enabled_lints(pod.options)
    for rule_id, fn in lints.LINTS.items():
        if rule_id in on:
            yield from fn(pod)


def _filtered(result: Result, options: Options) -> Result:
    """Drop lint findings the preset or the caller switched off; keep stable order."""
    on = enabled_lints(options)
    from course.findings import get

    kept: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()
    for f in result.findings:
        rule = get(f.rule)
        if rule.category == "lint" and f.rule not in on:
            continue
        key = (f.rule, f.path, f.message)
        if key in seen:
            continue
        seen.add(key)
        kept.append(f)
    order = {"error": 0, "warning": 1, "info": 2}
    kept.sort(key=lambda f: (order[f.severity], f.line or 0, f.column or 0))
    result.findings = kept
    return result


def check_text(
    text: str | bytes,
    source: str = "<string>",
    *,
    options: Options | None = None,
    **kwargs: Any,
) -> list[Result]:
    """Check YAML or JSON text holding one or many documents: one `Result` per document.

    Keyword arguments are `Options` fields (k8s_version, pss_version, preset, disabled, enabled).
    """
    opts = _options(options, kwargs)
    return [check_document(doc, opts) for doc in loader.load_documents(text, source)]


def check_object(obj: Any, source: str = "<object>", *, options: Options | None = None, **kwargs: Any) -> Result:
    """Check an already-loaded document (a dict as `yaml.safe_load` gives); no line numbers."""
    opts = _options(options, kwargs)
    doc = loader.document_from_object(obj, source)
    return check_document(doc, opts)


def check_file(path: str | os.PathLike[str], *, options: Options | None = None, **kwargs: Any) -> list[Result]:
    """Check a file; the source in each result is the path as given."""
    opts = _options(options, kwargs)
    p = FsPath(path)
    return [check_document(doc, opts) for doc in loader.load_file(p, str(path))]


def _options(options: Options | None, kwargs: dict[str, Any]) -> Options:
    if options is not None and not kwargs:
        return options
    base = options or Options()
    fields: dict[str, Any] = {**base.__dict__, **kwargs}
    for key in ("disabled", "enabled"):
        fields[key] = frozenset(fields[key])
    return Options(**fields)


def iter_findings(results: Iterable[Result]) -> Iterable[Finding]:
    for r in results:
        yield from r.findings


__all__ = ["check_document", "check_file", "check_object", "check_text", "mapping"]
