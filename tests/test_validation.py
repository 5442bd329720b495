"""The API-server validation stage: which manifests fire which rule, at which path, and which stay quiet."""

from __future__ import annotations

import copy
import csv
import math
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from course.checker import schema, validation
from course.checker.model import POD_SPEC_PATHS, Options, PodView, dig
from course.checker.validation.rules import RULE_IDS, app, pod
from course.findings import Finding, get
from tests.conftest import SHARED


def check(text: str, **options: Any) -> list[Finding]:
    """Validation findings for every pod-bearing document in `text`."""
    out: list[Finding] = []
    for doc in yaml.safe_load_all(textwrap.dedent(text)):
        out.extend(check_doc(doc, **options))
    return out


def check_doc(doc: Any, positions: dict | None = None, **options: Any) -> list[Finding]:
    if not isinstance(doc, dict):
        return []
    kind = doc.get("kind")
    spec_path = POD_SPEC_PATHS.get(kind) if isinstance(kind, str) else None
    if spec_path is None or not isinstance(dig(doc, *spec_path), dict):
        return []
    view = PodView(doc=doc, kind=kind, spec_path=spec_path, options=Options(**options), positions=positions or {})
    return list(validation.check_pod(view))


def workload(kind: str, api: str, pod_spec: str, restart: str | None = None, extra: str = "") -> str:
    """A workload manifest whose pod template spec is `pod_spec` (YAML at pod-spec level)."""
    spec = textwrap.indent(textwrap.dedent(pod_spec).strip("\n"), "      ")
    rp = f"      restartPolicy: {restart}\n" if restart else ""
    body = (
        f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: demo\nspec:\n{extra}"
        "  selector:\n    matchLabels: {app: demo}\n"
        "  template:\n    metadata:\n      labels: {app: demo}\n    spec:\n" + rp + spec + "\n"
    )
    return body


TWO = "containers:\n- name: a\n  image: nginx:1.22\n"


# (case id, manifest, rule, path, text the message must contain)
FIRES: list[tuple[str, str, str, str, str]] = [
    (
        "duplicate-across-init",
        pod("initContainers:\n- {name: app, image: busybox:1.35}\ncontainers:\n- {name: app, image: nginx:1.22}"),
        "container-name-duplicate",
        "spec.initContainers[0].name",
        'Duplicate value: "app"',
    ),
    (
        "duplicate-regular",
        pod("containers:\n- {name: app, image: nginx:1.22}\n- {name: app, image: redis:7}"),
        "container-name-duplicate",
        "spec.containers[1].name",
        'Duplicate value: "app"',
    ),
    (
        "container-name-empty",
        pod("containers:\n- {name: '', image: nginx:1.22}"),
        "container-name-format",
        "spec.containers[0].name",
        "Required value",
    ),
    (
        "container-name-too-long",
        pod("containers:\n- {name: " + "a" * 64 + ", image: nginx:1.22}"),
        "container-name-format",
        "spec.containers[0].name",
        "must be no more than 63 characters",
    ),
    ("image-missing", pod("containers:\n- name: app"), "image-required", "spec.containers[0].image", "Required value"),
    ("image-empty", pod("containers:\n- {name: app, image: ''}"), "image-required", "spec.containers[0].image", ""),
    (
        "requests-above-limits",
        app("resources:\n  requests: {cpu: '1'}\n  limits: {cpu: 500m}"),
        "requests-above-limits",
        "spec.containers[0].resources.requests",
        "must be less than or equal to cpu limit of 500m",
    ),
    (
        "requests-above-limits-memory-canonical",
        app("resources:\n  requests: {memory: 1Gi}\n  limits: {memory: 512Mi}"),
        "requests-above-limits",
        "spec.containers[0].resources.requests",
        'Invalid value: "1Gi": must be less than or equal to memory limit of 512Mi',
    ),
    (
        "port-too-big",
        app("ports:\n- containerPort: 70000"),
        "port-range",
        "spec.containers[0].ports[0].containerPort",
        "must be between 1 and 65535, inclusive",
    ),
    (
        "port-zero",
        app("ports:\n- containerPort: 0"),
        "port-range",
        "spec.containers[0].ports[0].containerPort",
        "Required",
    ),
    (
        "host-port-negative",
        app("ports:\n- {containerPort: 80, hostPort: -1}"),
        "port-range",
        "spec.containers[0].ports[0].hostPort",
        "between 1 and 65535",
    ),
    (
        "port-name-too-long",
        app("ports:\n- {name: metrics-endpoint, containerPort: 9090}"),
        "port-name-format",
        "spec.containers[0].ports[0].name",
        "must be no more than 15 characters",
    ),
    (
        "port-name-digits-only",
        app("ports:\n- {name: '8080', containerPort: 8080}"),
        "port-name-format",
        "spec.containers[0].ports[0].name",
        "must contain at least one letter (a-z)",
    ),
    (
        "port-name-double-hyphen",
        app("ports:\n- {name: http--alt, containerPort: 8080}"),
        "port-name-format",
        "spec.containers[0].ports[0].name",
        "must not contain consecutive hyphens",
    ),
    (
        "port-name-uppercase",
        app("ports:\n- {name: HTTP, containerPort: 8080}"),
        "port-name-format",
        "spec.containers[0].ports[0].name",
        "alpha-numeric characters (a-z, 0-9), and hyphens",
    ),
    (
        "port-name-duplicate",
        app("ports:\n- {name: web, containerPort: 80}\n- {name: web, containerPort: 81}"),
        "port-name-duplicate",
        "spec.containers[0].ports[1].name",
        'Duplicate value: "web"',
    ),
    (
        "host-port-conflict",
        pod(
            TWO + "  ports: [{containerPort: 80, hostPort: 8080}]\n"
            "- name: b\n  image: nginx:1.22\n  ports: [{containerPort: 81, hostPort: 8080}]"
        ),
        "host-port-conflict",
        "spec.containers[1].ports[0].hostPort",
        'Duplicate value: "TCP//8080"',
    ),
    (
        "host-port-conflict-init-reported-at-index-0",
        pod(
            "initContainers:\n- {name: i0, image: busybox:1.35}\n- name: i1\n  image: busybox:1.35\n"
            "  ports: [{containerPort: 80, hostPort: 9000}, {containerPort: 81, hostPort: 9000}]\n" + TWO
        ),
        "host-port-conflict",
        "spec.initContainers[0].ports[1].hostPort",
        "TCP//9000",
    ),
    (
        "host-network-port-mismatch",
        app("ports:\n- {containerPort: 8080, hostPort: 80}", "hostNetwork: true"),
        "host-network-ports",
        "spec.containers[0].ports[0].hostPort",
        "must match `containerPort` when `hostNetwork` is true",
    ),
    (
        "volume-name-underscore",
        app("", "volumes:\n- {name: my_vol, emptyDir: {}}"),
        "volume-name-format",
        "spec.volumes[0].name",
        "RFC 1123 label",
    ),
    (
        "volume-name-duplicate",
        app("", "volumes:\n- {name: v, emptyDir: {}}\n- {name: v, emptyDir: {}}"),
        "volume-name-duplicate",
        "spec.volumes[1].name",
        'Duplicate value: "v"',
    ),
    (
        "volume-two-sources",
        app("", "volumes:\n- name: v\n  emptyDir: {}\n  secret: {secretName: s}"),
        "volume-source-count",
        "spec.volumes[0].secret",
        "may not specify more than 1 volume type",
    ),
    (
        "volume-two-sources-upstream-typo",
        app("", "volumes:\n- name: v\n  emptyDir: {}\n  downwardAPI: {items: []}"),
        "volume-source-count",
        "spec.volumes[0].downwarAPI",
        "more than 1 volume type",
    ),
    (
        "secret-volume-without-name",
        app("", "volumes:\n- name: v\n  secret: {}"),
        "volume-source-field",
        "spec.volumes[0].secret.secretName",
        "Required value",
    ),
    (
        "default-mode-too-big",
        app("", "volumes:\n- name: v\n  configMap: {name: c, defaultMode: 1000}"),
        "volume-source-field",
        "spec.volumes[0].configMap.defaultMode",
        "between 0 and 0777",
    ),
    (
        "mount-of-invalid-volume-is-not-found",
        app("volumeMounts:\n- {name: v, mountPath: /v}", "volumes:\n- name: v\n  secret: {}"),
        "volume-mount-unknown",
        "spec.containers[0].volumeMounts[0].name",
        'Not found: "v"',
    ),
    (
        "empty-dir-size-limit-not-quantity",
        app("", "volumes:\n- name: v\n  emptyDir: {sizeLimit: 1 Gi}"),
        "empty-dir-size-limit",
        "spec.volumes[0].emptyDir.sizeLimit",
        "regular expression",
    ),
    (
        "mount-unknown",
        app("volumeMounts:\n- {name: data, mountPath: /data}"),
        "volume-mount-unknown",
        "spec.containers[0].volumeMounts[0].name",
        'Not found: "data"',
    ),
    (
        "mount-path-duplicate",
        app(
            "volumeMounts:\n- {name: v, mountPath: /x}\n- {name: w, mountPath: /x}",
            "volumes:\n- {name: v, emptyDir: {}}\n- {name: w, emptyDir: {}}",
        ),
        "mount-path-duplicate",
        "spec.containers[0].volumeMounts[1].mountPath",
        "must be unique",
    ),
    (
        "subpath-absolute",
        app("volumeMounts:\n- {name: v, mountPath: /x, subPath: /etc}", "volumes:\n- {name: v, emptyDir: {}}"),
        "subpath-invalid",
        "spec.containers[0].volumeMounts.subPath",
        "must be a relative path",
    ),
    (
        "subpath-and-expr",
        app(
            "volumeMounts:\n- {name: v, mountPath: /x, subPath: a, subPathExpr: $(POD)}",
            "volumes:\n- {name: v, emptyDir: {}}",
        ),
        "subpath-invalid",
        "spec.containers[0].volumeMounts[0].subPathExpr",
        "mutually exclusive",
    ),
    (
        "probe-without-handler",
        app("livenessProbe:\n  periodSeconds: 5"),
        "probe-handler-count",
        "spec.containers[0].livenessProbe",
        "must specify a handler type",
    ),
    (
        "probe-two-handlers",
        app("readinessProbe:\n  exec: {command: [true]}\n  grpc: {port: 9000}"),
        "probe-handler-count",
        "spec.containers[0].readinessProbe.grpc",
        "may not specify more than 1 handler type",
    ),
    (
        "probe-negative-delay",
        app("livenessProbe:\n  tcpSocket: {port: 80}\n  initialDelaySeconds: -1"),
        "probe-timing",
        "spec.containers[0].livenessProbe.initialDelaySeconds",
        "must be greater than or equal to 0",
    ),
    (
        "probe-grace-zero",
        app("livenessProbe:\n  tcpSocket: {port: 80}\n  terminationGracePeriodSeconds: 0"),
        "probe-timing",
        "spec.containers[0].livenessProbe.terminationGracePeriodSeconds",
        "must be greater than 0",
    ),
    (
        "startup-success-threshold",
        app("startupProbe:\n  tcpSocket: {port: 80}\n  successThreshold: 2"),
        "probe-success-threshold",
        "spec.containers[0].startupProbe.successThreshold",
        "must be 1",
    ),
    (
        "probe-port-name-invalid",
        app("livenessProbe:\n  httpGet: {path: /, port: Web_Port}"),
        "handler-field",
        "spec.containers[0].livenessProbe.httpGet.port",
        "alpha-numeric",
    ),
    (
        "grpc-port-range",
        app("livenessProbe:\n  grpc: {port: 70000}"),
        "handler-field",
        "spec.containers[0].livenessProbe.grpc.port",
        "between 1 and 65535",
    ),
    (
        "sleep-longer-than-grace",
        app("lifecycle:\n  preStop:\n    sleep: {seconds: 60}"),
        "handler-field",
        "spec.containers[0].lifecycle.preStop.sleep",
        "less than terminationGracePeriodSeconds (30)",
    ),
    (
        "init-container-probe",
        pod("initContainers:\n- name: i\n  image: busybox:1.35\n  livenessProbe:\n    exec: {command: [true]}\n" + TWO),
        "init-container-probe",
        "spec.initContainers[0].livenessProbe",
        "may not be set for init containers without restartPolicy=Always",
    ),
    (
        "init-container-lifecycle",
        pod(
            "initContainers:\n- name: i\n  image: busybox:1.35\n"
            "  lifecycle:\n    postStart:\n      exec: {command: [true]}\n" + TWO
        ),
        "init-container-lifecycle",
        "spec.initContainers[0].lifecycle",
        "restartPolicy=Always",
    ),
    (
        "workload-deployment-never",
        workload("Deployment", "apps/v1", TWO, restart="Never"),
        "workload-restart-policy",
        "spec.template.spec.restartPolicy",
        'Unsupported value: "Never": supported values: "Always"',
    ),
    (
        "workload-job-default-always",
        workload("Job", "batch/v1", TWO),
        "workload-restart-policy",
        "spec.template.spec.restartPolicy",
        'Unsupported value: "Always": supported values: "OnFailure", "Never"',
    ),
    (
        "workload-cronjob-always",
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  schedule: '* * * * *'\n  jobTemplate:\n"
        "    spec:\n      template:\n        spec:\n          restartPolicy: Always\n          containers:\n"
        "          - {name: a, image: busybox:1.35}\n",
        "workload-restart-policy",
        "spec.jobTemplate.spec.template.spec.restartPolicy",
        '"OnFailure", "Never"',
    ),
    (
        "workload-daemonset-onfailure",
        workload("DaemonSet", "apps/v1", TWO, restart="OnFailure"),
        "workload-restart-policy",
        "spec.template.spec.restartPolicy",
        '"Always"',
    ),
    (
        "template-ephemeral",
        workload("Deployment", "apps/v1", TWO + "ephemeralContainers:\n- {name: d, image: busybox:1.35}"),
        "ephemeral-containers-forbidden",
        "spec.template.spec.ephemeralContainers",
        "ephemeral containers not allowed in pod template",
    ),
    (
        "pod-ephemeral",
        app("", "ephemeralContainers:\n- {name: d, image: busybox:1.35}"),
        "ephemeral-containers-forbidden",
        "spec.ephemeralContainers",
        "cannot be set on create",
    ),
    (
        "quantity-with-space",
        app("resources:\n  limits: {memory: 1 Gi}"),
        "resource-quantity",
        "spec.containers[0].resources.limits[memory]",
        "regular expression",
    ),
    (
        "quantity-negative",
        app("resources:\n  limits: {memory: -1Gi}"),
        "resource-negative",
        "spec.containers[0].resources.limits[memory]",
        "must be greater than or equal to 0",
    ),
    (
        "resource-name-mem",
        app("resources:\n  limits: {mem: 1Gi}"),
        "resource-name",
        "spec.containers[0].resources.limits[mem]",
        "must be a standard resource for containers",
    ),
    (
        "resource-name-pods",
        app("resources:\n  limits: {pods: '1'}"),
        "resource-name",
        "spec.containers[0].resources.limits[pods]",
        "standard resource for containers",
    ),
    (
        "extended-request-differs",
        app("resources:\n  requests: {example.com/gpu: 1}\n  limits: {example.com/gpu: 2}"),
        "requests-must-equal-limits",
        "spec.containers[0].resources.requests",
        "must be equal to example.com/gpu limit of 2",
    ),
    (
        "hugepages-indivisible",
        app("resources:\n  limits: {hugepages-2Mi: 3Mi, memory: 64Mi}"),
        "hugepages-resource",
        "spec.containers[0].resources.limits[hugepages-2Mi]",
        "not positive integer multiple of hugepages-2Mi",
    ),
    (
        "env-name-equals",
        app("env:\n- {name: 'A=B', value: x}"),
        "env-name",
        "spec.containers[0].env[0].name",
        "printable ASCII characters other than '='",
    ),
    (
        "env-name-empty",
        app("env:\n- {name: '', value: x}"),
        "env-name",
        "spec.containers[0].env[0].name",
        "Required value",
    ),
    (
        "env-value-from-empty",
        app("env:\n- name: A\n  valueFrom: {}"),
        "env-value-source",
        "spec.containers[0].env[0].valueFrom",
        "must specify one of",
    ),
    (
        "env-value-from-two",
        app(
            "env:\n- name: A\n  valueFrom:\n    fieldRef: {fieldPath: metadata.name}\n"
            "    secretKeyRef: {name: s, key: k}"
        ),
        "env-value-source",
        "spec.containers[0].env[0].valueFrom",
        "may not have more than one field specified at a time",
    ),
    (
        "env-from-no-source",
        app("envFrom:\n- prefix: APP_"),
        "env-value-source",
        "spec.containers[0].envFrom",
        "must specify one of: `configMapRef` or `secretRef`",
    ),
    (
        "env-field-not-for-env",
        app("env:\n- name: P\n  valueFrom:\n    fieldRef: {fieldPath: spec.restartPolicy}"),
        "env-field-path",
        "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath",
        'Unsupported value: "spec.restartPolicy"',
    ),
    (
        "env-resource-field-unknown",
        app("env:\n- name: P\n  valueFrom:\n    resourceFieldRef: {resource: limits.gpu}"),
        "env-field-path",
        "spec.containers[0].env[0].valueFrom.resourceFieldRef.resource",
        "Unsupported value",
    ),
    (
        "pod-without-name",
        "apiVersion: v1\nkind: Pod\nmetadata: {labels: {a: b}}\nspec:\n" + textwrap.indent(TWO, "  "),
        "metadata-name",
        "metadata.name",
        "name or generateName is required",
    ),
    (
        "bad-generate-name",
        "apiVersion: v1\nkind: Pod\nmetadata: {generateName: Web-}\nspec:\n" + textwrap.indent(TWO, "  "),
        "metadata-name",
        "metadata.generateName",
        "RFC 1123 subdomain",
    ),
    (
        "deployment-name-invalid",
        workload("Deployment", "apps/v1", TWO).replace("name: demo", "name: Demo_App"),
        "metadata-name",
        "metadata.name",
        'Invalid value: "Demo_App"',
    ),
    (
        "label-key-leading-dash",
        pod(TWO, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {-app: x}\nspec:\n"),
        "label-format",
        "metadata.labels",
        'Invalid value: "-app"',
    ),
    (
        "label-value-too-long",
        pod(TWO, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {app: " + "x" * 64 + "}\nspec:\n"),
        "label-format",
        "metadata.labels",
        "must be no more than 63 characters",
    ),
    (
        "template-label-invalid",
        workload("Deployment", "apps/v1", TWO).replace("labels: {app: demo}", "labels: {app: demo, tier: front end}"),
        "label-format",
        "spec.template.labels",
        '"front end"',
    ),
    (
        "namespace-upper",
        pod(TWO, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: Dev\nspec:\n"),
        "namespace-format",
        "metadata.namespace",
        "RFC 1123 label",
    ),
    (
        "ape-false-privileged",
        app("securityContext: {allowPrivilegeEscalation: false, privileged: true}"),
        "privilege-escalation-conflict",
        "spec.containers[0].securityContext",
        "cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
    ),
    (
        "ape-false-cap-sys-admin",
        app("securityContext:\n  allowPrivilegeEscalation: false\n  capabilities: {add: [CAP_SYS_ADMIN]}"),
        "privilege-escalation-conflict",
        "spec.containers[0].securityContext",
        "CAP_SYS_ADMIN",
    ),
    (
        "share-process-namespace-host-pid",
        app("", "shareProcessNamespace: true\nhostPID: true"),
        "share-process-namespace-host-pid",
        "spec.shareProcessNamespace",
        "ShareProcessNamespace and HostPID cannot both be enabled",
    ),
    (
        "pod-run-as-user-negative",
        app("", "securityContext: {runAsUser: -5}"),
        "run-as-id-range",
        "spec.securityContext.runAsUser",
        "between 0 and 2147483647",
    ),
    (
        "supplemental-group-negative",
        app("", "securityContext: {supplementalGroups: [1000, -1]}"),
        "run-as-id-range",
        "spec.securityContext.supplementalGroups[1]",
        "between 0 and 2147483647",
    ),
    (
        "seccomp-localhost-without-profile",
        app("securityContext:\n  seccompProfile: {type: Localhost}"),
        "seccomp-profile",
        "spec.containers[0].securityContext.seccompProfile.localhostProfile",
        "must be set when seccomp type is Localhost",
    ),
    (
        "seccomp-unknown-type",
        app("", "securityContext:\n  seccompProfile: {type: Default}"),
        "seccomp-profile",
        "spec.securityContext.seccompProfile.type",
        'Unsupported value: "Default"',
    ),
    (
        "windows-privileged",
        app("securityContext: {privileged: true}", "os: {name: windows}"),
        "windows-pod-fields",
        "spec.containers[0].securityContext.privileged",
        "cannot be set for a windows pod",
    ),
    (
        "linux-windows-options",
        app("securityContext:\n  windowsOptions: {runAsUserName: x}", "os: {name: linux}"),
        "windows-pod-fields",
        "spec.containers[0].securityContext.windowsOptions",
        "windows options cannot be set for a linux pod",
    ),
    ("os-empty", app("", "os: {name: ''}"), "os-name", "spec.os.name", "cannot be empty"),
    (
        "active-deadline-negative",
        app("", "activeDeadlineSeconds: -5"),
        "active-deadline",
        "spec.activeDeadlineSeconds",
        "must be between 1 and 2147483647, inclusive",
    ),
    ("hostname-upper", app("", "hostname: Web"), "hostname-format", "spec.hostname", "RFC 1123 label"),
    ("subdomain-dots", app("", "subdomain: a.b"), "hostname-format", "spec.subdomain", "RFC 1123 label"),
    (
        "priority-class-upper",
        app("", "priorityClassName: High"),
        "object-name-format",
        "spec.priorityClassName",
        "RFC 1123 subdomain",
    ),
    (
        "node-selector-value-space",
        app("", "nodeSelector: {disktype: fast ssd}"),
        "node-selector-format",
        "spec.nodeSelector",
        '"fast ssd"',
    ),
    (
        "toleration-empty-key-equal",
        app("", "tolerations:\n- {operator: Equal, value: x}"),
        "toleration-invalid",
        "spec.tolerations[0].operator",
        "operator must be Exists when `key` is empty",
    ),
    (
        "toleration-seconds-no-execute",
        app("", "tolerations:\n- {key: k, operator: Exists, effect: NoSchedule, tolerationSeconds: 30}"),
        "toleration-invalid",
        "spec.tolerations[0].effect",
        "effect must be 'NoExecute' when `tolerationSeconds` is set",
    ),
    (
        "toleration-effect-typo",
        app("", "tolerations:\n- {key: k, operator: Exists, effect: NoScheduled}"),
        "toleration-invalid",
        "spec.tolerations[0].effect",
        '"NoSchedule", "PreferNoSchedule", "NoExecute"',
    ),
    (
        "toleration-operator-typo",
        app("", "tolerations:\n- {key: k, operator: Exist}"),
        "toleration-invalid",
        "spec.tolerations[0].operator",
        'Unsupported value: "Exist"',
    ),
    (
        "affinity-weight-zero",
        app(
            "",
            "affinity:\n  nodeAffinity:\n    preferredDuringSchedulingIgnoredDuringExecution:\n    - weight: 0\n"
            "      preference:\n        matchExpressions: [{key: a, operator: Exists}]",
        ),
        "affinity-invalid",
        "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight",
        "must be in the range 1-100",
    ),
    (
        "anti-affinity-empty-topology-key",
        app(
            "",
            "affinity:\n  podAntiAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n"
            "    - labelSelector: {matchLabels: {app: web}}\n      topologyKey: ''",
        ),
        "affinity-invalid",
        "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey",
        "can not be empty",
    ),
    (
        "node-affinity-bad-operator",
        app(
            "",
            "affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n"
            "      nodeSelectorTerms:\n      - matchExpressions: [{key: a, operator: Equals, values: [b]}]",
        ),
        "affinity-invalid",
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
        ".matchExpressions[0].operator",
        "not a valid selector operator",
    ),
    (
        "spread-duplicate",
        app(
            "",
            "topologySpreadConstraints:\n- {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}\n"
            "- {maxSkew: 2, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}",
        ),
        "topology-spread-invalid",
        "spec.topologySpreadConstraints[0].{topologyKey, whenUnsatisfiable}",
        'Duplicate value: "{zone, DoNotSchedule}"',
    ),
    (
        "spread-when-unsatisfiable-typo",
        app("", "topologySpreadConstraints:\n- {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotScheduled}"),
        "topology-spread-invalid",
        "spec.topologySpreadConstraints[0].whenUnsatisfiable",
        '"DoNotSchedule", "ScheduleAnyway"',
    ),
    (
        "dns-too-many-nameservers",
        app("", "dnsConfig:\n  nameservers: [1.1.1.1, 8.8.8.8, 9.9.9.9, 8.8.4.4]"),
        "dns-config",
        "spec.dnsConfig.nameservers",
        "must not have more than 3 nameservers",
    ),
    (
        "dns-bad-ip",
        app("", "dnsConfig:\n  nameservers: [dns.example.com]"),
        "dns-config",
        "spec.dnsConfig.nameservers[0]",
        "must be a valid IP address",
    ),
    (
        "dns-none-without-nameservers",
        app("", "dnsPolicy: None\ndnsConfig: {searches: [svc.cluster.local]}"),
        "dns-config",
        "spec.dnsConfig.nameservers",
        "must provide at least one DNS nameserver",
    ),
    (
        "readiness-gate-bad",
        app("", "readinessGates:\n- conditionType: 'a/b/c'"),
        "readiness-gate-format",
        "spec.readinessGates[0].conditionType",
        "qualified name",
    ),
    (
        "pod-level-requests-above-limits",
        app("", "resources:\n  requests: {cpu: '2'}\n  limits: {cpu: '1'}"),
        "requests-above-limits",
        "spec.resources.requests",
        "must be less than or equal to cpu limit of 1",
    ),
    (
        "pod-level-aggregate",
        pod(
            TWO + "  resources: {requests: {cpu: 600m}}\n- name: b\n  image: nginx:1.22\n"
            "  resources: {requests: {cpu: 600m}}\nresources:\n  requests: {cpu: '1'}"
        ),
        "pod-resources-consistency",
        "spec.resources.requests[cpu]",
        "must be greater than or equal to aggregate container requests of 1200m",
    ),
    (
        "container-restart-policy-regular-1.33",
        app("restartPolicy: Always"),
        "container-restart-policy",
        "spec.containers[0].restartPolicy",
        "may not be set for non-init containers",
    ),
    (
        "init-restart-policy-never-1.33",
        pod("initContainers:\n- {name: i, image: busybox:1.35, restartPolicy: Never}\n" + TWO),
        "container-restart-policy",
        "spec.initContainers[0].restartPolicy",
        'Unsupported value: "Never": supported values: "Always"',
    ),
    (
        "env-name-leading-digit-strict",
        app("env:\n- {name: 1VAR, value: x}"),
        "env-name",
        "spec.containers[0].env[0].name",
        "must not start with a digit",
    ),
    (
        "image-whitespace-pod",
        pod("containers:\n- {name: a, image: ' nginx:1.22'}"),
        "image-whitespace",
        "spec.containers[0].image",
        "must not have leading or trailing whitespace",
    ),
]
FIRES += [
    (
        "deployment-selector-mismatch",
        workload("Deployment", "apps/v1", TWO).replace("labels: {app: demo}", "labels: {app: demo-web}"),
        "selector-mismatch",
        "spec.template.metadata.labels",
        "`selector` does not match template `labels`",
    ),
    (
        "statefulset-selector-expression-mismatch",
        workload("StatefulSet", "apps/v1", TWO, extra="  serviceName: demo\n").replace(
            "matchLabels: {app: demo}", "matchExpressions: [{key: app, operator: NotIn, values: [demo]}]"
        ),
        "selector-mismatch",
        "spec.template.metadata.labels",
        "does not match",
    ),
    (
        "daemonset-empty-selector",
        workload("DaemonSet", "apps/v1", TWO).replace("matchLabels: {app: demo}", "matchLabels: {}"),
        "selector-mismatch",
        "spec.selector",
        "empty selector is invalid for daemonset",
    ),
    (
        "rc-selector-mismatch",
        "apiVersion: v1\nkind: ReplicationController\nmetadata: {name: rc}\nspec:\n  selector: {app: a}\n"
        "  template:\n    metadata: {labels: {app: b}}\n    spec:\n      containers: [{name: c, image: nginx:1.22}]\n",
        "selector-mismatch",
        "spec.template.metadata.labels",
        "does not match",
    ),
    (
        "host-users-with-host-pid",
        app("", "hostUsers: false\nhostPID: true"),
        "host-users-conflict",
        "spec.HostPID",
        "when `pod.Spec.HostUsers` is false",
    ),
    (
        "cronjob-name-too-long",
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: " + "c" * 53 + "}\nspec:\n  schedule: '@daily'\n"
        "  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n"
        "          containers: [{name: a, image: busybox:1.35}]\n",
        "metadata-name",
        "metadata.name",
        "must be no more than 52 characters",
    ),
]
# Cases whose behaviour depends on the Kubernetes version given.
VERSION_OF = {
    "container-restart-policy-regular-1.33": "1.33",
    "init-restart-policy-never-1.33": "1.33",
    "env-name-leading-digit-strict": "1.31",
}


@pytest.mark.parametrize(("case", "text", "rule", "path", "text_in_message"), FIRES, ids=[c[0] for c in FIRES])
def test_rule_fires_at_path(case: str, text: str, rule: str, path: str, text_in_message: str) -> None:
    """Does this invalid manifest fire the rule at the API server's path, quoting its message?"""
    findings = check(text, k8s_version=VERSION_OF.get(case, "1.37"))
    hits = [f for f in findings if f.rule == rule and f.path == path]
    assert hits, f"{rule} not at {path}; got {[(f.rule, f.path, f.message) for f in findings]}"
    assert any(text_in_message in f.message for f in hits), [f.message for f in hits]
    assert all(f.severity == "error" and f.hint and "https://kubernetes.io/" in f.hint for f in hits)


REALISTIC = """
apiVersion: v1
kind: Pod
metadata:
  name: web-0
  namespace: shop
  labels: {app.kubernetes.io/name: web, tier: frontend, version: "1.2"}
spec:
  initContainers:
  - name: migrate
    image: busybox:1.35
    command: [sh, -c, "echo migrate"]
    volumeMounts: [{name: data, mountPath: /data}]
  - name: log-shipper
    image: fluent/fluent-bit:3.0
    restartPolicy: Always
    readinessProbe:
      exec: {command: [sh, -c, "true"]}
    startupProbe:
      tcpSocket: {port: 2020}
      failureThreshold: 30
    lifecycle:
      preStop:
        sleep: {seconds: 5}
    volumeMounts: [{name: logs, mountPath: /var/log/app, readOnly: true}]
  containers:
  - name: web
    image: nginx:1.22
    ports:
    - {name: http, containerPort: 80}
    - {containerPort: 9113}
    env:
    - {name: MODE, value: prod}
    - name: POD_NAME
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    - name: APP_LABEL
      valueFrom: {fieldRef: {fieldPath: "metadata.labels['tier']"}}
    - name: MEM
      valueFrom: {resourceFieldRef: {resource: limits.memory}}
    - name: PASSWORD
      valueFrom: {secretKeyRef: {name: db-secret, key: password}}
    envFrom:
    - configMapRef: {name: web-config}
      prefix: WEB_
    resources:
      requests: {cpu: 250m, memory: 64Mi}
      limits: {cpu: "1", memory: 128Mi, example.com/gpu: 1}
    livenessProbe:
      httpGet: {path: /healthz, port: http}
      periodSeconds: 0
      successThreshold: 1
      terminationGracePeriodSeconds: 10
    readinessProbe:
      httpGet: {path: /ready, port: 80, scheme: HTTPS}
      successThreshold: 2
    securityContext:
      allowPrivilegeEscalation: false
      runAsNonRoot: true
      runAsUser: 101
      capabilities: {drop: [ALL], add: [NET_BIND_SERVICE, SYS_ADMIN]}
      seccompProfile: {type: RuntimeDefault}
    volumeMounts:
    - {name: data, mountPath: /usr/share/nginx/html, subPath: site/html}
    - {name: logs, mountPath: /var/log/nginx}
    - {name: config, mountPath: /etc/nginx/conf.d}
    - {name: scratch, mountPath: /tmp}
  - name: exporter
    image: nginx/nginx-prometheus-exporter:1.1
    ports:
    - {containerPort: 80}
    - {name: http, containerPort: 9114}
  volumes:
  - {name: data, emptyDir: {}}
  - {name: logs, emptyDir: {sizeLimit: 500Mi}}
  - name: config
    configMap: {name: nginx-conf, defaultMode: 0644, items: [{key: default.conf, path: default.conf}]}
  - name: scratch
  securityContext: {fsGroup: 101, supplementalGroups: [2000]}
  terminationGracePeriodSeconds: 30
  dnsPolicy: ClusterFirst
  hostname: web-0
  subdomain: web
  nodeSelector: {kubernetes.io/os: linux}
  tolerations:
  - {operator: Exists}
  - {key: dedicated, operator: Equal, value: web, effect: NoExecute, tolerationSeconds: 60}
  affinity:
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          labelSelector: {matchLabels: {app.kubernetes.io/name: web}}
          topologyKey: kubernetes.io/hostname
  topologySpreadConstraints:
  - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway}
  - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, minDomains: 2}
  readinessGates: [{conditionType: example.com/lb-ready}]
  os: {name: linux}
"""

# (case id, manifest, rules that must not fire; None means no validation finding at all)
QUIET: list[tuple[str, str, set[str] | None]] = [
    ("realistic-pod", REALISTIC, None),
    (
        "same-container-port-in-two-containers",
        pod(TWO + "  ports: [{containerPort: 8080}]\n- name: b\n  image: nginx:1.22\n  ports: [{containerPort: 8080}]"),
        None,
    ),
    (
        "same-host-port-different-protocol",
        pod(
            TWO + "  ports: [{containerPort: 53, hostPort: 53}]\n"
            "- name: b\n  image: coredns/coredns:1.11.1\n  ports: [{containerPort: 53, hostPort: 53, protocol: UDP}]"
        ),
        None,
    ),
    (
        "same-host-port-different-host-ip",
        pod(
            TWO + "  ports: [{containerPort: 80, hostPort: 80, hostIP: 10.0.0.1}]\n"
            "- name: b\n  image: nginx:1.22\n  ports: [{containerPort: 80, hostPort: 80, hostIP: 10.0.0.2}]"
        ),
        None,
    ),
    (
        "same-host-port-in-two-init-containers",
        pod(
            "initContainers:\n- {name: i0, image: busybox:1.35, ports: [{containerPort: 80, hostPort: 80}]}\n"
            "- {name: i1, image: busybox:1.35, ports: [{containerPort: 80, hostPort: 80}]}\n" + TWO
        ),
        None,
    ),
    ("ports-without-names", app("ports:\n- containerPort: 80\n- containerPort: 443"), None),
    ("host-network-equal-ports", app("ports:\n- {containerPort: 80, hostPort: 80}", "hostNetwork: true"), None),
    ("host-network-no-host-port", app("ports:\n- containerPort: 80", "hostNetwork: true"), None),
    (
        "volume-without-source-is-empty-dir",
        app("volumeMounts:\n- {name: v, mountPath: /v}", "volumes:\n- name: v"),
        None,
    ),
    (
        "probe-zero-timings-are-defaults",
        app("livenessProbe:\n  exec: {command: [true]}\n  timeoutSeconds: 0\n  successThreshold: 0"),
        None,
    ),
    ("extended-resource-limit-only", app("resources:\n  limits: {example.com/gpu: 2}"), None),
    ("memory-request-only", app("resources:\n  requests: {memory: 1Gi}"), None),
    ("quantity-as-number", app("resources:\n  limits: {cpu: 0.5, memory: 134217728}"), None),
    ("deployment", workload("Deployment", "apps/v1", TWO), None),
    ("job-never", workload("Job", "batch/v1", TWO, restart="Never"), None),
    (
        "job-onfailure-with-init",
        workload("Job", "batch/v1", "initContainers:\n- {name: i, image: busybox:1.35}\n" + TWO, restart="OnFailure"),
        None,
    ),
    (
        "statefulset-claim-template-mount",
        workload(
            "StatefulSet",
            "apps/v1",
            TWO + "  volumeMounts: [{name: data, mountPath: /data}]",
            extra="  serviceName: demo\n  volumeClaimTemplates:\n  - metadata: {name: data}\n"
            "    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n",
        ),
        None,
    ),
    (
        "deployment-image-whitespace-not-checked",
        workload("Deployment", "apps/v1", "containers:\n- {name: a, image: 'nginx '}"),
        None,
    ),
    (
        "generate-name-only",
        "apiVersion: v1\nkind: Pod\nmetadata: {generateName: web-}\nspec:\n" + textwrap.indent(TWO, "  "),
        None,
    ),
    (
        "relaxed-env-names",
        app("env:\n- {name: 1VAR, value: x}\n- {name: my.var-1, value: y}\n- {name: 'HAS SPACE', value: z}"),
        None,
    ),
    ("regular-container-restart-policy-1.37", app("restartPolicy: OnFailure"), None),
    (
        "pod-level-resources-1.37",
        app("resources:\n  requests: {cpu: 100m}", "resources:\n  limits: {cpu: '1', memory: 1Gi}"),
        None,
    ),
    (
        "subpath-nested",
        app("volumeMounts:\n- {name: v, mountPath: /x, subPath: a/b..c/d}", "volumes:\n- name: v"),
        None,
    ),
    (
        "ape-false-sys-admin-without-prefix",
        app("securityContext:\n  allowPrivilegeEscalation: false\n  capabilities: {add: [SYS_ADMIN]}"),
        None,
    ),
    (
        "sidecar-with-probes-and-hooks",
        pod(
            "initContainers:\n- name: proxy\n  image: envoyproxy/envoy:v1.30\n  restartPolicy: Always\n"
            "  livenessProbe: {httpGet: {path: /ready, port: 9901}}\n"
            "  lifecycle: {preStop: {exec: {command: [sleep, '5']}}}\n" + TWO
        ),
        None,
    ),
    (
        "windows-pod-with-windows-options",
        app("securityContext:\n  windowsOptions: {runAsUserName: ContainerUser}", "os: {name: windows}"),
        None,
    ),
    (
        "sleep-within-grace",
        app("lifecycle:\n  preStop:\n    sleep: {seconds: 60}", "terminationGracePeriodSeconds: 90"),
        None,
    ),
    (
        "dns-none-with-config",
        app("", "dnsPolicy: None\ndnsConfig: {nameservers: ['2001:db8::1'], options: [{name: ndots, value: '2'}]}"),
        None,
    ),
]
QUIET += [
    (
        "template-with-extra-labels",
        workload("Deployment", "apps/v1", TWO).replace("labels: {app: demo}", "labels: {app: demo, tier: web}"),
        None,
    ),
    (
        "selector-expression-match",
        workload("ReplicaSet", "apps/v1", TWO).replace(
            "matchLabels: {app: demo}",
            "matchExpressions: [{key: app, operator: In, values: [demo, web]}, {key: canary, operator: DoesNotExist}]",
        ),
        None,
    ),
    (
        "rc-without-selector",
        "apiVersion: v1\nkind: ReplicationController\nmetadata: {name: rc}\nspec:\n"
        "  template:\n    metadata: {labels: {app: b}}\n    spec:\n      containers: [{name: c, image: nginx:1.22}]\n",
        None,
    ),
]
QUIET_VERSION_OF = {"pod-level-resources-1.33": "1.33"}
QUIET.append(
    ("pod-level-resources-1.33", app("", "resources:\n  requests: {cpu: '2'}\n  limits: {cpu: '1', gpu: 1}"), None)
)


@pytest.mark.parametrize(("case", "text", "must_not"), QUIET, ids=[c[0] for c in QUIET])
def test_valid_manifest_is_quiet(case: str, text: str, must_not: set[str] | None) -> None:
    """Does this manifest, which the API server accepts, stay free of validation findings?"""
    findings = check(text, k8s_version=QUIET_VERSION_OF.get(case, "1.37"))
    if must_not is None:
        assert not findings, [(f.rule, f.path, f.message) for f in findings]
    else:
        assert not [f for f in findings if f.rule in must_not]


def test_realistic_pod_is_schema_valid() -> None:
    """Is the realistic quiet pod also clean for the schema stage (so it proves something)?"""
    doc = yaml.safe_load(REALISTIC)
    assert [str(f) for f in schema.check_schema(doc, {}, "1.37")] == []


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_examples_behave(rule_id: str) -> None:
    """Does each validation rule fire on its FAIL example only, with a schema-valid PASS example?"""
    rule = get(rule_id)
    assert rule.category == "validation" and rule.severity == "error"
    assert rule.docs.startswith("https://kubernetes.io/docs/")
    assert rule_id in {f.rule for f in check(rule.failing)}
    assert check(rule.passing) == []
    for doc in yaml.safe_load_all(rule.passing):
        assert schema.check_schema(doc, {}, "1.37") == []


def test_rules_are_all_registered_once() -> None:
    """Is every rule id the stage emits registered exactly once in the validation category?"""
    assert len(RULE_IDS) == len(set(RULE_IDS))
    source = "".join(p.read_text() for p in Path(validation.__file__).parent.glob("_*.py"))
    for rule_id in RULE_IDS:
        assert f'"{rule_id}"' in source, f"{rule_id} is registered but never emitted"


def test_findings_carry_positions() -> None:
    """Does a finding get the line and column of the offending field when positions are known?"""
    doc = yaml.safe_load(app("ports:\n- containerPort: 70000"))
    positions = {("spec", "containers", 0, "ports", 0, "containerPort"): (9, 20)}
    (finding,) = check_doc(doc, positions=positions)
    assert (finding.line, finding.column) == (9, 20)


HOSTILE: list[Any] = [None, 0, -1, 10**30, 1.5, math.nan, True, "", "x y", [], [1, "a"], {}, {"a": [None]}]


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _set(doc: Any, path: tuple, value: Any) -> None:
    for seg in path[:-1]:
        doc = doc[seg]
    doc[path[-1]] = value


@pytest.mark.parametrize("base", ["realistic", "workload"])
def test_hostile_values_never_raise(base: str) -> None:
    """Does replacing any field of a valid manifest with a wrong-typed or extreme value never crash the stage?"""
    text = (
        REALISTIC
        if base == "realistic"
        else workload("Job", "batch/v1", "initContainers:\n- {name: i, image: busybox:1.35}\n" + TWO, restart="Never")
    )
    original = yaml.safe_load(text)
    for path in _paths(original):
        for value in HOSTILE:
            doc = copy.deepcopy(original)
            _set(doc, path, value)
            for f in check_doc(doc):
                assert get(f.rule).category == "validation"
                assert isinstance(f.path, str) and isinstance(f.message, str)


def test_type_errors_are_left_to_the_schema_stage() -> None:
    """Are wrong types skipped silently rather than reported as validation errors?"""
    text = pod(
        "containers:\n- name: 7\n  image: [nginx]\n  ports: [{containerPort: '80', hostPort: '80', name: 8}]\n"
        "  resources: {limits: {cpu: true, memory: [1]}}\n  env: [{name: 3, value: x}]\n"
        "volumes: [{name: 5}]\ntolerations: [{key: 1, operator: 2}]\nactiveDeadlineSeconds: '5'"
    )
    assert check(text) == []


def test_unreadable_version_means_newest() -> None:
    """Does an unreadable k8s_version fall back to the newest behaviour instead of crashing?"""
    assert check(app("restartPolicy: Never"), k8s_version="latest") == []




# -- the real-world corpus ---------------------------------------------------------------------
CORPUS = SHARED / "corpus"
# Corpus files that the API server refuses, and the validation rule that says so.
# (README-listed invalid files whose problem is a type or schema error fire nothing here.)
CORPUS_INVALID: dict[str, set[str]] = {
    # name: process-item-$ITEM, which the Job also copies into its template's job-name labels
    "kubernetes-website/application/job/job-tmpl.yaml": {"metadata-name", "label-format"},
    # operator: Gt, which needs the alpha TaintTolerationComparisonOperators feature gate (off by default).
    "kubernetes-website/pods/pod-with-numeric-toleration.yaml": {"toleration-invalid"},
    # spec.resources.limits.pids: not a resource name the 1.37 API server accepts.
    "kubernetes-website/pods/resource/pod-level-pid-limit.yaml": {"pod-resource-name"},
    # A ReplicationController with neither a selector nor template labels to default it from.
    "kubernetes-examples/_archived/sysdig-cloud/sysdig-rc.yaml": {"selector-mismatch"},
    "kubernetes-website/controllers/job-success-policy-example.yaml": {"workload-restart-policy", "metadata-name"},
    "kubernetes-website/pods/security/seccomp/fields.yaml": {"ephemeral-containers-forbidden"},
    "kubernetes-examples/_archived/storage/vitess/vttablet-pod-template.yaml": {"metadata-name", "label-format"},
    # Not in the corpus README: mounts `ca-certs` but the volume is named `ca` (a real upstream bug).
    "istio/samples/mtls-echo/mtls-echo.yaml": {"volume-mount-unknown"},
}


def _corpus_paths() -> list[str]:
    index = CORPUS / "INDEX.tsv"
    if not index.is_file():
        return []
    with index.open() as fh:
        return [row["path"] for row in csv.DictReader(fh, delimiter="\t") if row["pod_specs"] != "parse_error"]


def _key(path: str) -> str:
    return path.removeprefix("manifests/").replace("kubernetes-website/content/en/examples/", "kubernetes-website/")


def _corpus_docs(path: Path) -> list[Any]:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
    out: list[Any] = []
    for d in docs:
        out.extend(d.get("items") or [] if d.get("kind") == "List" else [d])
    return out


@pytest.mark.parametrize("path", _corpus_paths() or ["<corpus missing>"])
def test_corpus_manifest_validation(path: str, shared: Path) -> None:
    """Does this real manifest raise validation errors exactly when the API server would refuse it?"""
    rules = {f.rule for d in _corpus_docs(CORPUS / path) for f in check_doc(d)}
    expected = CORPUS_INVALID.get(_key(path))
    if expected is None:
        assert not rules, f"unexpected validation findings: {rules}"
    else:
        assert rules == expected


def test_prestop_sleep_hint_is_about_hooks() -> None:
    """Does a preStop sleep longer than the grace period get a hint about hooks and the grace period, not probes?"""
    text = app("lifecycle:\n  preStop:\n    sleep: {seconds: 45}", "terminationGracePeriodSeconds: 40")
    (f,) = [f for f in check(text) if f.rule == "handler-field"]
    assert f.path == "spec.containers[0].lifecycle.preStop.sleep"
    assert "40" in f.message and "Sleep at most 40 seconds" in f.hint
    assert f.docs.endswith("container-lifecycle-hooks/") and "probes" not in f.hint
