"""Tests for the schema stage (`course.checker.schema`) and its shipped compact schemas."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from course.checker import schema
from course.checker.loader import load_documents

REPO = Path(__file__).resolve().parents[1]
POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n"
OK = POD + "  containers:\n  - name: app\n    image: nginx:1.22\n"


def check(text: str, version: str = schema.DEFAULT) -> list[Any]:
    return schema.check_schema(yaml.safe_load(text), {}, version)


def hits(text: str, version: str = schema.DEFAULT) -> set[tuple[str, str]]:
    return {(f.rule, f.path) for f in check(text, version)}


# (document, rule, path) that must be reported.
FIRES = [
    (OK + "    livenesProbe: {}\n", "unknown-field", "spec.containers[0].livenesProbe"),
    (POD + "  contaners: []\n  containers: [{name: a}]\n", "unknown-field", "spec.contaners"),
    (OK + "    dependsOn: [db]\n", "unknown-field", "spec.containers[0].dependsOn"),
    (OK + "  sidecarContainers: []\n", "unknown-field", "spec.sidecarContainers"),
    (OK.replace("  name: web\n", "  name: web\n  lables: {a: b}\n"), "unknown-field", "metadata.lables"),
    (OK + "    ports:\n    - containerPort: \"80\"\n", "field-type", "spec.containers[0].ports[0].containerPort"),
    (OK + "    ports:\n    - containerPort: 80.5\n", "field-type", "spec.containers[0].ports[0].containerPort"),
    (OK + "    ports:\n    - containerPort: 3000000000\n", "field-type", "spec.containers[0].ports[0].containerPort"),
    (OK + "    ports: [\"8080:80\"]\n", "field-type", "spec.containers[0].ports[0]"),
    (OK + "    ports: {containerPort: 80}\n", "field-type", "spec.containers[0].ports"),
    (OK + "    command: nginx -g daemon off\n", "field-type", "spec.containers[0].command"),
    (OK + "    env: {A: b}\n", "field-type", "spec.containers[0].env"),
    (OK + "    env:\n    - name: A\n      value: 1\n", "field-type", "spec.containers[0].env[0].value"),
    (OK + "    stdin: \"true\"\n", "field-type", "spec.containers[0].stdin"),
    (OK + "    resources: {limits: {cpu: [1]}}\n", "field-type", "spec.containers[0].resources.limits[cpu]"),
    (OK + "    readinessProbe: {httpGet: {port: 80.5}}\n", "field-type",
     "spec.containers[0].readinessProbe.httpGet.port"),
    (OK.replace("  name: web\n", "  name: web\n  labels: {tier: 1}\n"), "field-type", "metadata.labels[tier]"),
    (OK + "  terminationGracePeriodSeconds: true\n", "field-type", "spec.terminationGracePeriodSeconds"),
    ("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {k: 'not base64!'}\n", "field-type", "data[k]"),
    (POD + "  containers:\n  - image: nginx\n", "required-field", "spec.containers[0].name"),
    (POD + "  containers:\n  - name: null\n", "required-field", "spec.containers[0].name"),
    (POD + "  restartPolicy: Always\n", "required-field", "spec.containers"),
    (OK + "    imagePullPolicy: always\n", "enum-value", "spec.containers[0].imagePullPolicy"),
    (OK + "    ports: [{containerPort: 80, protocol: tcp}]\n", "enum-value",
     "spec.containers[0].ports[0].protocol"),
    (OK + "  restartPolicy: Sometimes\n", "enum-value", "spec.restartPolicy"),
    (OK.replace("kind: Pod\n", ""), "missing-kind", "kind"),
    (OK.replace("apiVersion: v1\n", ""), "missing-api-version", "apiVersion"),
    (OK.replace("kind: Pod", "kind: Deployment"), "unknown-kind", "apiVersion"),
    (OK.replace("kind: Pod", "kind: pod"), "unknown-kind", "kind"),
    (OK.replace("apiVersion: v1\nkind: Pod", "apiVersion: batch/v1beta1\nkind: CronJob"), "unknown-kind",
     "apiVersion"),
    (OK.replace("apiVersion: v1\nkind: Pod", "apiVersion: extensions/v1beta1\nkind: Deployment"),
     "unknown-kind", "apiVersion"),
    (OK.replace("apiVersion: v1", "apiVersion: networking.istio.io/v1"), "unknown-kind", "kind"),
    ("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  spec: {containers: [{nme: a}]}\n",
     "unknown-field", "items[0].spec.containers[0].nme"),
]

# (document, rule, path) that must NOT be reported.
QUIET = [
    (OK + "    livenessProbe: {httpGet: {path: /, port: 80}}\n", "unknown-field", "spec.containers[0].livenessProbe"),
    (OK + "    readinessProbe: {httpGet: {port: http}}\n", "field-type",
     "spec.containers[0].readinessProbe.httpGet.port"),
    (OK + "    readinessProbe: {tcpSocket: {port: 8080}}\n", "field-type",
     "spec.containers[0].readinessProbe.tcpSocket.port"),
    (OK + "    ports:\n    - containerPort: 80.0\n", "field-type", "spec.containers[0].ports[0].containerPort"),
    (OK + "    resources: {limits: {cpu: 1, memory: 128Mi}, requests: {cpu: 0.5}}\n", "field-type",
     "spec.containers[0].resources.limits[cpu]"),
    (OK + "    resources: {requests: {cpu: 0.5}}\n", "field-type", "spec.containers[0].resources.requests[cpu]"),
    (OK + "    stdin: yes\n", "field-type", "spec.containers[0].stdin"),
    (OK.replace("  name: web\n", "  name: web\n  creationTimestamp: null\n"), "field-type",
     "metadata.creationTimestamp"),
    (OK.replace("  name: web\n", "  name: web\n  creationTimestamp: 2024-01-01T00:00:00Z\n"), "field-type",
     "metadata.creationTimestamp"),
    (OK + "status: {}\n", "unknown-field", "status"),
    (OK + "    env: null\n", "field-type", "spec.containers[0].env"),
    (OK + "    imagePullPolicy: \"\"\n", "enum-value", "spec.containers[0].imagePullPolicy"),
    (OK + "    imagePullPolicy: IfNotPresent\n", "enum-value", "spec.containers[0].imagePullPolicy"),
    ("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {k: aGVsbG8=}\n", "field-type", "data[k]"),
    ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: v}\n", "unknown-field", "data"),
    (OK, "required-field", "spec.containers[0].name"),
    (OK, "unknown-kind", "kind"),
    (OK, "unknown-kind", "apiVersion"),
    (OK.replace("apiVersion: v1\nkind: Pod", "apiVersion: apps/v1\nkind: Deployment"), "unknown-kind", "kind"),
]


@pytest.mark.parametrize(("text", "rule", "path"), FIRES)
def test_rule_fires(text: str, rule: str, path: str) -> None:
    """Does the schema stage report this broken field with the right rule and API path?"""
    assert (rule, path) in hits(text)


@pytest.mark.parametrize(("text", "rule", "path"), QUIET)
def test_rule_quiet(text: str, rule: str, path: str) -> None:
    """Does a valid field (nulls, int-or-string, quantities, YAML booleans) stay unreported?"""
    assert (rule, path) not in hits(text)


def test_valid_pod_is_clean() -> None:
    """Does a plain valid Pod give no schema findings at all?"""
    assert check(OK) == []


@pytest.mark.parametrize(
    ("text", "path", "suggestion"),
    [
        (OK + "    livenesProbe: {}\n", "spec.containers[0].livenesProbe", "`livenessProbe`"),
        (POD + "  contaners: []\n", "spec.contaners", "`containers`"),
        (OK + "    imagePullPolcy: Always\n", "spec.containers[0].imagePullPolcy", "`imagePullPolicy`"),
        (OK + "    ports: [{containerport: 80}]\n", "spec.containers[0].ports[0].containerport",
         "`containerPort`"),
        (OK + "    containerport: 80\n", "spec.containers[0].containerport", "`containerPort`"),
        (OK + "    ImagePullPolicy: Always\n", "spec.containers[0].ImagePullPolicy", "`imagePullPolicy`"),
        (OK + "  image: nginx\n", "spec.image", "`containers[*]`"),
        (OK.replace("kind: Pod", "kind: pod"), "kind", "`kind: Pod`"),
        (OK + "    imagePullPolicy: always\n", "spec.containers[0].imagePullPolicy", '"Always"'),
    ],
)
def test_did_you_mean(text: str, path: str, suggestion: str) -> None:
    """Does the hint suggest the closest known name for a misspelt field or value?"""
    found = [f for f in check(text) if f.path == path]
    assert found, check(text)
    assert suggestion in found[0].hint


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (OK + "    dependsOn: [db]\n", ("Docker Compose", "init container", "restartPolicy: Always")),
        (OK + "    depends_on: [db]\n", ("Docker Compose", "init container")),
        (OK + "    healthcheck: {test: [CMD, true]}\n", ("Docker Compose", "Probe")),
        (OK + "    environment: {A: b}\n", ("Docker Compose", "env:")),
        (OK + "    volumes: [./data:/data]\n", ("Docker Compose", "volumeMounts")),
        (OK + "  sidecarContainers: []\n", ("initContainers", "restartPolicy: Always")),
        (OK + "    ports: [\"8080:80\"]\n", ("Docker Compose", "containerPort", "Service")),
    ],
)
def test_compose_hints(text: str, words: tuple[str, ...]) -> None:
    """Does a Docker Compose habit get a hint naming the Kubernetes way to do it?"""
    (finding,) = [f for f in check(text) if f.rule in ("unknown-field", "field-type")]
    for word in words:
        assert word in finding.hint


@pytest.mark.parametrize(
    ("text", "path", "words"),
    [
        (OK + "    terminationGracePeriodSeconds: 10\n", "spec.containers[0].terminationGracePeriodSeconds",
         ("field of the Pod", "`spec`")),
        (OK + "    nodeSelector: {disk: ssd}\n", "spec.containers[0].nodeSelector", ("field of the Pod",)),
        (OK + "  restartPolicy: Sometimes\n", "spec.restartPolicy", ("pod-lifecycle/#restart-policy",)),
        (OK + "    imagePullPolicy: Sometimes\n", "spec.containers[0].imagePullPolicy", ("#image-pull-policy",)),
        (OK + "  dnsPolicy: Host\n", "spec.dnsPolicy", ("dns-pod-service",)),
    ],
)
def test_hint_points_where_the_field_lives(text: str, path: str, words: tuple[str, ...]) -> None:
    """Does the hint send a misplaced field to its level, and an enum to the page about that field?"""
    found = [f for f in check(text) if f.path == path]
    assert found, check(text)
    for word in words:
        assert word in found[0].hint
    assert "livenessProbe" not in found[0].hint
    assert "image-pull-policy" not in found[0].hint or "imagePullPolicy" in path


def test_type_messages_are_plain() -> None:
    """Does a type error say what was expected and what was found, in plain words?"""
    (f,) = check(POD + "  containers: {name: app}\n")
    assert f.message == "must be a list (e.g. `- name: ...`), found a mapping"
    (f,) = check(OK + "    ports: [{containerPort: \"80\"}]\n")
    assert "must be an integer" in f.message and 'found a string ("80")' in f.message
    assert "Remove the quotes" in f.hint


def test_unknown_kind_messages() -> None:
    """Does a wrong-group kind name the right apiVersion, and a custom resource come back as info?"""
    (f,) = check(OK.replace("kind: Pod", "kind: Deployment"))
    assert f.severity == "error" and "apps/v1" in f.message
    (f,) = check(OK.replace("apiVersion: v1\nkind: Pod", "apiVersion: batch/v1beta1\nkind: CronJob"))
    assert "batch/v1" in f.hint
    (f,) = check(OK.replace("apiVersion: v1\nkind: Pod", "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute"))
    assert f.severity == "info" and "custom resource" in f.message
    (f,) = check(OK.replace("apiVersion: v1", "apiVersion: networking.k8s.io/v1beta1").replace("Pod", "Ingress"))
    assert f.severity == "error" and "networking.k8s.io/v1" in f.message


WORKLOAD_TEMPLATE = "    spec:\n      containers:\n      - name: app\n        image: nginx\n        livenesProbe: {}\n"


@pytest.mark.parametrize(
    ("head", "prefix"),
    [
        ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {}\n  template:\n",
         "spec.template.spec"),
        ("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: d}\nspec:\n  selector: {}\n  template:\n",
         "spec.template.spec"),
        ("apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: d}\nspec:\n  selector: {}\n  template:\n",
         "spec.template.spec"),
        ("apiVersion: batch/v1\nkind: Job\nmetadata: {name: d}\nspec:\n  template:\n", "spec.template.spec"),
    ],
)
def test_workload_paths(head: str, prefix: str) -> None:
    """Does an error inside a workload's pod template get the full API path?"""
    paths = [f.path for f in check(head + WORKLOAD_TEMPLATE)]
    assert paths == [f"{prefix}.containers[0].livenesProbe"]


def test_cronjob_path() -> None:
    """Does an error inside a CronJob's pod template start with spec.jobTemplate.spec.template.spec?"""
    text = (
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  schedule: '* * * * *'\n"
        "  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n"
        "          - {name: a, image: x, imagePullPolcy: Always}\n"
    )
    assert [f.path for f in check(text)] == ["spec.jobTemplate.spec.template.spec.containers[0].imagePullPolcy"]


@pytest.mark.parametrize(
    ("text", "path", "old", "new"),
    [
        (OK + "  resources: {limits: {cpu: '1'}}\n", "spec.resources", "1.31", "1.32"),
        (OK + "  hostnameOverride: web\n", "spec.hostnameOverride", "1.33", "1.34"),
        (OK + "    restartPolicyRules: []\n", "spec.containers[0].restartPolicyRules", "1.33", "1.34"),
        (OK + "    lifecycle: {stopSignal: SIGTERM}\n", "spec.containers[0].lifecycle.stopSignal", "1.32", "1.33"),
    ],
)
def test_version_selection(text: str, path: str, old: str, new: str) -> None:
    """Is a field added in a newer Kubernetes unknown in an older version (naming the version) and known from then?"""
    old_found = [f for f in check(text, old) if f.path == path]
    assert [f.rule for f in old_found] == ["unknown-field"]
    assert f"Kubernetes {new}" in old_found[0].hint
    assert check(text, new) == []
    assert check(text, schema.DEFAULT) == []


def test_versions_and_default() -> None:
    """Are 1.30 to 1.37 shipped, with DEFAULT the newest, and do version spellings normalise?"""
    assert schema.supported_versions() == [f"1.{m}" for m in range(30, 38)]
    assert schema.supported_versions()[-1] == schema.DEFAULT
    assert schema.check_version("v1.37") == "1.37"
    assert schema.check_version("1.36.2") == "1.36"


@pytest.mark.parametrize("bad", ["1.29", "1.38", "2.0", "latest", "", "1.3", "v1"])
def test_unsupported_version(bad: str) -> None:
    """Does an unsupported version raise ValueError naming the supported ones?"""
    with pytest.raises(ValueError, match=r"1\.30, 1\.31"):
        schema.check_version(bad)
    with pytest.raises(ValueError):
        schema.check_schema(yaml.safe_load(OK), {}, bad)


@pytest.mark.parametrize(
    "data",
    [
        {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [{"name": "a", "ports": [{"containerPort": n}]}]}}
        for n in (10**40, float("nan"), float("inf"), -(2**31) - 1)
    ]
    + [
        {"apiVersion": "v1", "kind": "Pod", "spec": "x"},
        {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [1, None, "a", [], {"name": 5}]}},
        {"apiVersion": 1, "kind": ["Pod"]},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"labels": {1: True, None: 2.5}}},
        {"apiVersion": "v1", "kind": "List", "items": "nope"},
        {"apiVersion": "v1", "kind": "List", "items": [None, 3, {"kind": "Pod"}]},
        {True: False},
    ],
)
def test_hostile_input_never_raises(data: dict[Any, Any]) -> None:
    """Does hostile input (wrong types, odd keys, huge or NaN numbers) give findings instead of raising?"""
    out = schema.check_schema(data, {}, "1.37")
    assert out and all(f.rule for f in out)


def test_every_problem_in_document_order_with_positions() -> None:
    """Are all problems reported, in document order, with line numbers from the loader?"""
    text = (
        OK
        + "    livenesProbe: {}\n"
        + "    ports:\n    - containerPort: \"80\"\n"
        + "  - image: busybox\n"
        + "    stdin: \"true\"\n"
    )
    (doc,) = load_documents(text, "t.yaml")
    found = schema.check_schema(doc.data, doc.positions, "1.37")
    assert [(f.rule, f.path, f.line) for f in found] == [
        ("unknown-field", "spec.containers[0].livenesProbe", 9),
        ("field-type", "spec.containers[0].ports[0].containerPort", 11),
        ("required-field", "spec.containers[1].name", 12),
        ("field-type", "spec.containers[1].stdin", 13),
    ]
    assert found == schema.check_schema(doc.data, doc.positions, "1.37")


def test_runtime_has_no_validation_library() -> None:
    """Does checking a document import neither jsonschema nor kubernetes_validate nor kubernetes?"""
    code = (
        "import sys, yaml; from course.checker import schema\n"
        f"schema.check_schema(yaml.safe_load({OK!r}), {{}}, '1.37')\n"
        "bad = [m for m in ('jsonschema', 'kubernetes_validate', 'kubernetes') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_shipped_schemas_are_current() -> None:
    """Does rebuilding the 1.37 schema from kubernetes-validate give exactly the shipped file?"""
    sys.path.insert(0, str(REPO / "tools"))
    try:
        import build_schemas
    finally:
        sys.path.pop(0)
    built = build_schemas.build("1.37", build_schemas.source_dir("1.37"))
    shipped = json.loads(gzip.decompress((REPO / "course/data/schemas/v1.37.json.gz").read_bytes()))
    assert built == shipped
    total = sum(p.stat().st_size for p in (REPO / "course/data/schemas").glob("*.json.gz"))
    assert total < 3_000_000


# Documents where we and `kubernetes_validate.validate(doc, "1.37.0", strict=True)` differ on purpose.
# kubernetes-validate raises SchemaNotFoundError for an apiVersion/kind pair it has no schema for and
# so says nothing; the API server rejects those pairs ("no matches for kind"), and so do we.
# It also has no enums; the API server rejects protocol "tcp" (supported values: TCP, UDP, SCTP).
INTENTIONAL = {
    ("kubernetes-examples/_archived/cockroachdb/cockroachdb-statefulset.yaml", 2): "unknown-kind",
    ("kubernetes-examples/_archived/newrelic-infrastructure/newrelic-infra-daemonset.yaml", 0): "unknown-kind",
    ("kubernetes-examples/_archived/volumes/flexvolume/deploy/ds.yaml", 0): "unknown-kind",
    ("kubernetes-website/content/en/examples/application/job/cronjob.yaml", 0): "unknown-kind",
    ("kubernetes-examples/_archived/volumes/aws_ebs/aws-ebs-web.yaml", 0): "enum-value",
    ("kubernetes-examples/_archived/volumes/cinder/cinder-web.yaml", 0): "enum-value",
}


def _corpus_docs(shared: Path) -> list[tuple[str, int, dict[str, Any]]]:
    root = shared / "corpus" / "manifests"
    out = []
    for path in sorted(root.rglob("*.y*ml")):
        try:
            docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
        except yaml.YAMLError:
            continue  # the corpus README lists these parse errors
        out.extend((str(path.relative_to(root)), i, d) for i, d in enumerate(docs) if isinstance(d, dict))
    return out


@pytest.mark.slow
def test_corpus_agrees_with_kubernetes_validate(shared: Path) -> None:
    """Does our verdict (any schema error or not) match kubernetes-validate's strict 1.37 verdict on the corpus?"""
    kv = pytest.importorskip("kubernetes_validate")
    disagree = {}
    for rel, i, doc in _corpus_docs(shared):
        errors = [f for f in schema.check_schema(doc, {}, "1.37") if f.severity == "error"]
        items = doc.get("items") if doc.get("kind") == "List" else [doc]
        theirs = False
        for item in items if isinstance(items, list) else []:
            try:
                kv.validate(item, "1.37.0", strict=True)
            except kv.ValidationError:
                theirs = True
            except kv.SchemaNotFoundError:
                pass
            except KeyError:  # no apiVersion or kind: it cannot be applied at all
                theirs = True
        if bool(errors) != theirs:
            disagree[(rel, i)] = errors[0].rule if errors else "(none)"
    assert disagree == INTENTIONAL


