"""The validation stage's rules: one per check the API server makes on Pod create.

Each FAIL example is a whole manifest the API server would refuse with the
quoted message; each PASS example is the same manifest, fixed.
"""

from __future__ import annotations

import textwrap

from course.findings import DOCS, Rule, register

_HEAD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: demo\nspec:\n"
_APP = "containers:\n- name: app\n  image: nginx:1.22\n"


def pod(body: str, head: str = _HEAD) -> str:
    """A whole Pod manifest whose spec is `body` (YAML at spec level, any indentation)."""
    return head + textwrap.indent(textwrap.dedent(body).strip("\n"), "  ") + "\n"


def app(extra: str = "", spec: str = "") -> str:
    """A one-container Pod; `extra` is YAML inside the container, `spec` YAML beside it."""
    body = _APP + textwrap.indent(textwrap.dedent(extra).strip("\n"), "  ")
    return pod(body.rstrip("\n") + "\n" + textwrap.dedent(spec).strip("\n"))


def _deployment(restart: str) -> str:
    line = f"      restartPolicy: {restart}\n" if restart else ""
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n"
        "  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n"
        "    spec:\n" + line + "      containers:\n      - name: app\n        image: nginx:1.22\n"
    )


NAMES = DOCS + "concepts/overview/working-with-objects/names/"
LABELS = DOCS + "concepts/overview/working-with-objects/labels/#syntax-and-character-set"
POD_API = DOCS + "reference/kubernetes-api/workload-resources/pod-v1/"
VOLUMES = DOCS + "concepts/storage/volumes/"
PROBES = DOCS + "tasks/configure-pod-container/configure-liveness-readiness-startup-probes/"
HOOKS = DOCS + "concepts/containers/container-lifecycle-hooks/"
SIDECARS = DOCS + "concepts/workloads/pods/sidecar-containers/"
INIT = DOCS + "concepts/workloads/pods/init-containers/"
RESOURCES = DOCS + "concepts/configuration/manage-resources-containers/"
ENV = DOCS + "tasks/inject-data-application/define-environment-variable-container/"
SECURITY = DOCS + "tasks/configure-pod-container/security-context/"
SCHED = DOCS + "concepts/scheduling-eviction/assign-pod-node/"
DNS = DOCS + "concepts/services-networking/dns-pod-service/"


RULE_IDS: list[str] = []


def _rule(rule_id: str, summary: str, hint: str, docs: str, passing: str, failing: str, description: str = "") -> None:
    RULE_IDS.append(rule_id)
    register(
        Rule(
            id=rule_id,
            severity="error",
            category="validation",
            summary=summary,
            hint=hint,
            docs=docs,
            passing=passing,
            failing=failing,
            description=description,
        )
    )


# -- metadata ------------------------------------------------------------------------
_rule(
    "metadata-name",
    "The object's name is missing or is not a valid DNS subdomain name.",
    "Use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit "
    "(at most 253 characters), or set metadata.generateName.",
    NAMES,
    pod(_APP, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-1\nspec:\n"),
    pod(_APP, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: Web_1\nspec:\n"),
)
_rule(
    "namespace-format",
    "metadata.namespace is not a valid namespace name (a DNS-1123 label).",
    "Use a namespace name of lowercase letters, digits and '-', at most 63 characters.",
    DOCS + "concepts/overview/working-with-objects/namespaces/",
    pod(_APP, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: team-a\nspec:\n"),
    pod(_APP, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: Team_A\nspec:\n"),
)
_rule(
    "label-format",
    "A label key or value has characters or a length the API server does not accept.",
    "Keys are [prefix/]name with name at most 63 characters of letters, digits, '-', '_' and '.'; "
    "values are at most 63 such characters (or empty). Quote values that YAML would read as numbers.",
    LABELS,
    pod(_APP, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels:\n    app: my-app\nspec:\n"),
    pod(_APP, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels:\n    app: my app\nspec:\n"),
    description="A pod template's labels are reported at `spec.template.labels`, the API server's own path. "
    "A Job also labels its template with its own name (job-name), so a Job name longer than 63 characters "
    "is reported here too.",
)
_rule(
    "annotation-format",
    "An annotation key is not a valid qualified name, or the annotations are larger than 256 KiB in total.",
    "Annotation keys follow label key syntax, case aside: an optional DNS-subdomain prefix and '/', then at "
    "most 63 letters, digits, '-', '_' and '.' (e.g. example.com/owner); the values may be any text.",
    DOCS + "concepts/overview/working-with-objects/annotations/#syntax-and-character-set",
    pod(_APP, _HEAD.replace("name: demo", "name: web\n  annotations:\n    example.com/owner: team-a")),
    pod(_APP, _HEAD.replace("name: demo", "name: web\n  annotations:\n    owner email: a@b.c")),
    description="A pod template's annotations are reported at `spec.template.annotations`.",
)

# -- volumes ---------------------------------------------------------------------------
_rule(
    "volume-name-format",
    "A volume name is empty or not a DNS-1123 label.",
    "Name the volume with lowercase letters, digits and '-' (at most 63 characters), e.g. `cache-data`.",
    VOLUMES,
    app("", "volumes:\n- name: cache-data\n  emptyDir: {}"),
    app("", "volumes:\n- name: cache_data\n  emptyDir: {}"),
)
_rule(
    "volume-name-duplicate",
    "Two volumes in the pod have the same name.",
    "Give every entry in spec.volumes its own name.",
    VOLUMES,
    app("", "volumes:\n- name: a\n  emptyDir: {}\n- name: b\n  emptyDir: {}"),
    app("", "volumes:\n- name: a\n  emptyDir: {}\n- name: a\n  emptyDir: {}"),
)
_rule(
    "volume-source-count",
    "One volume names more than one source (e.g. both emptyDir and configMap).",
    "Keep exactly one source per volume; make a second volume for the other source.",
    VOLUMES,
    app("", "volumes:\n- name: conf\n  configMap: {name: app-config}"),
    app("", "volumes:\n- name: conf\n  emptyDir: {}\n  configMap: {name: app-config}"),
)
_rule(
    "volume-source-field",
    "A volume source lacks a field it needs (configMap.name, secret.secretName, a claimName, an item's "
    "key or path...), names a file outside the volume, asks the downward API for a field it cannot "
    "supply, or has a file mode outside 0-0777.",
    "Fill in the named field; give items a relative path without '..' (e.g. `path: app.conf`); write file modes "
    "in octal with a leading 0 (e.g. 0644) or as decimal up to 511.",
    VOLUMES,
    app("", "volumes:\n- name: conf\n  configMap: {name: app-config}"),
    app("", "volumes:\n- name: conf\n  configMap: {}"),
    description="A downwardAPI volume's item errors are reported without the item's index "
    "(`spec.volumes[0].downwardAPI.path`), as the API server does.",
)
_rule(
    "projected-volume",
    "A projected volume's source is malformed: a token that expires in under 10 minutes, a token "
    "without a path, two sources writing the same file, or one source naming two kinds.",
    "Give serviceAccountToken a path and an expirationSeconds of at least 600 (the default is 3600), and give "
    "every file of the projection its own path.",
    DOCS + "concepts/storage/projected-volumes/",
    app(
        "volumeMounts:\n- {name: token, mountPath: /var/run/token}",
        "volumes:\n- name: token\n  projected:\n    sources:\n"
        "    - serviceAccountToken: {path: token, expirationSeconds: 3600}",
    ),
    app(
        "volumeMounts:\n- {name: token, mountPath: /var/run/token}",
        "volumes:\n- name: token\n  projected:\n    sources:\n"
        "    - serviceAccountToken: {path: token, expirationSeconds: 60}",
    ),
    description="The server reports a missing token path at `spec.volumes[i].projected.path`, conflicting "
    "file paths at `spec.volumes[i].projected`, and a downwardAPI source's item errors without the item's "
    "index; a volume with any error is also unknown to the mounts that name it.",
)
_rule(
    "empty-dir-size-limit",
    "emptyDir.sizeLimit is negative or not a quantity.",
    "Give sizeLimit a non-negative quantity such as 500Mi or 1Gi.",
    VOLUMES + "#emptydir",
    app("", "volumes:\n- name: scratch\n  emptyDir: {sizeLimit: 500Mi}"),
    app("", "volumes:\n- name: scratch\n  emptyDir: {sizeLimit: -1Gi}"),
)

# -- containers ---------------------------------------------------------------------------
_rule(
    "containers-required",
    "spec.containers is an empty list.",
    "List at least one container with a name and an image.",
    DOCS + "concepts/workloads/pods/",
    app(),
    pod("containers: []"),
)
_rule(
    "container-name-format",
    "A container name is empty or not a DNS-1123 label.",
    "Use lowercase letters, digits and '-' (at most 63 characters), starting and ending with a letter or digit.",
    NAMES + "#dns-label-names",
    app(),
    pod("containers:\n- name: My_App\n  image: nginx:1.22"),
)
_rule(
    "container-name-duplicate",
    "Two containers (init or regular) share a name.",
    "Rename one of them: names must be unique across initContainers and containers.",
    DOCS + "concepts/workloads/pods/",
    pod(
        "initContainers:\n- name: setup\n  image: busybox:1.35\n  command: [sh, -c, 'true']\n"
        "containers:\n- name: app\n  image: nginx:1.22"
    ),
    pod(
        "initContainers:\n- name: app\n  image: busybox:1.35\n  command: [sh, -c, 'true']\n"
        "containers:\n- name: app\n  image: nginx:1.22"
    ),
)
_rule(
    "image-required",
    "A container has no image.",
    "Set `image:` to the image to run, with a tag, e.g. nginx:1.22.",
    DOCS + "concepts/containers/images/",
    app(),
    pod("containers:\n- name: app"),
)
_rule(
    "image-whitespace",
    "A Pod's container image starts or ends with whitespace.",
    "Remove the spaces around the image name (check for a quoted value with a trailing space).",
    DOCS + "concepts/containers/images/",
    app(),
    pod("containers:\n- name: app\n  image: 'nginx:1.22 '"),
)
_rule(
    "container-restart-policy",
    "A container-level restartPolicy is set where the API server does not accept it.",
    "Only init containers take `restartPolicy: Always` (which makes them sidecars); for regular containers "
    "set restartPolicy on the pod instead.",
    SIDECARS,
    pod(
        "initContainers:\n- name: log-shipper\n  image: busybox:1.35\n  restartPolicy: Always\n"
        "  command: [sh, -c, 'tail -F /dev/null']\ncontainers:\n- name: app\n  image: nginx:1.22"
    ),
    pod(
        "initContainers:\n- name: setup\n  image: busybox:1.35\n  restartPolicy: Sometimes\n"
        "containers:\n- name: app\n  image: nginx:1.22"
    ),
    description="Since 1.35 (container restart rules, beta) regular and init containers may set "
    "Always, OnFailure or Never; before that regular containers may not set it at all.",
)
_rule(
    "init-container-lifecycle",
    "A plain init container has lifecycle hooks; only sidecar init containers may.",
    "Remove `lifecycle` from the init container, or make it a sidecar with `restartPolicy: Always`.",
    SIDECARS,
    pod(
        "initContainers:\n- name: proxy\n  image: busybox:1.35\n  restartPolicy: Always\n"
        "  lifecycle:\n    preStop:\n      exec: {command: [sh, -c, 'sleep 2']}\n"
        "containers:\n- name: app\n  image: nginx:1.22"
    ),
    pod(
        "initContainers:\n- name: setup\n  image: busybox:1.35\n"
        "  lifecycle:\n    preStop:\n      exec: {command: [sh, -c, 'sleep 2']}\n"
        "containers:\n- name: app\n  image: nginx:1.22"
    ),
)
_rule(
    "init-container-probe",
    "A plain init container has a liveness, readiness or startup probe; only sidecar init containers may.",
    "Remove the probe (an init container runs to completion), or make it a sidecar with `restartPolicy: Always`.",
    INIT,
    pod(
        "initContainers:\n- name: proxy\n  image: busybox:1.35\n  restartPolicy: Always\n"
        "  readinessProbe:\n    exec: {command: [sh, -c, 'true']}\n"
        "containers:\n- name: app\n  image: nginx:1.22"
    ),
    pod(
        "initContainers:\n- name: setup\n  image: busybox:1.35\n"
        "  readinessProbe:\n    exec: {command: [sh, -c, 'true']}\n"
        "containers:\n- name: app\n  image: nginx:1.22"
    ),
)
_rule(
    "ephemeral-containers-forbidden",
    "ephemeralContainers is set in a manifest; they can only be added to a running pod.",
    "Delete spec.ephemeralContainers and use `kubectl debug -it <pod> --image=busybox` on the running pod.",
    DOCS + "concepts/workloads/pods/ephemeral-containers/",
    app(),
    app("", "ephemeralContainers:\n- name: debug\n  image: busybox:1.35"),
)

# -- ports ------------------------------------------------------------------------------------
_rule(
    "port-range",
    "containerPort is missing or 0, or a containerPort/hostPort is outside 1-65535.",
    "Use a port number from 1 to 65535.",
    POD_API + "#ports",
    app("ports:\n- containerPort: 8080"),
    app("ports:\n- containerPort: 80800"),
)
_rule(
    "port-name-format",
    "A port name is not a valid IANA service name.",
    "Port names are at most 15 characters of lowercase letters, digits and '-', with at least one letter "
    "and no leading, trailing or double '-' (e.g. `http`, `metrics`).",
    POD_API + "#ports",
    app("ports:\n- name: http-web\n  containerPort: 8080"),
    app("ports:\n- name: http_web\n  containerPort: 8080"),
)
_rule(
    "port-name-duplicate",
    "Two ports of one container have the same name.",
    "Give each port of a container its own name (names may repeat across containers).",
    POD_API + "#ports",
    app("ports:\n- name: http\n  containerPort: 8080\n- name: metrics\n  containerPort: 9090"),
    app("ports:\n- name: http\n  containerPort: 8080\n- name: http\n  containerPort: 9090"),
)
_rule(
    "host-port-conflict",
    "Two ports claim the same hostPort with the same protocol and hostIP.",
    "Use different hostPorts (or drop hostPort: most pods need only containerPort).",
    POD_API + "#ports",
    pod(
        "containers:\n- name: a\n  image: nginx:1.22\n  ports:\n  - {containerPort: 80, hostPort: 8080}\n"
        "- name: b\n  image: nginx:1.22\n  ports:\n  - {containerPort: 80, hostPort: 8081}"
    ),
    pod(
        "containers:\n- name: a\n  image: nginx:1.22\n  ports:\n  - {containerPort: 80, hostPort: 8080}\n"
        "- name: b\n  image: nginx:1.22\n  ports:\n  - {containerPort: 81, hostPort: 8080}"
    ),
    description="The same containerPort in two containers is accepted by the API server (the two processes "
    "then clash at runtime); only duplicate hostPort+protocol+hostIP is an error. For init containers the "
    "server reports the path as initContainers[0] whichever init container it is.",
)
_rule(
    "host-network-ports",
    "With hostNetwork: true, a hostPort differs from its containerPort.",
    "With hostNetwork the container listens on the node directly: drop hostPort or make it equal containerPort.",
    POD_API + "#ports",
    app("ports:\n- containerPort: 8080", "hostNetwork: true"),
    app("ports:\n- {containerPort: 8080, hostPort: 80}", "hostNetwork: true"),
)

# -- env --------------------------------------------------------------------------------------
_rule(
    "env-name",
    "An environment variable name (or envFrom prefix) is empty or has characters the API server rejects.",
    "Use printable ASCII without '=' (portable names use letters, digits and '_', e.g. LOG_LEVEL).",
    ENV,
    app("env:\n- {name: LOG_LEVEL, value: debug}"),
    app("env:\n- {name: 'LOG=LEVEL', value: debug}"),
)
_rule(
    "env-value-source",
    "An env entry sets both value and valueFrom, or valueFrom/envFrom names zero or several sources, "
    "or a key reference lacks its name or key.",
    "Use either `value` or `valueFrom`, and give valueFrom exactly one of fieldRef, resourceFieldRef, "
    "configMapKeyRef or secretKeyRef (each with name and key).",
    ENV,
    app("env:\n- name: MODE\n  valueFrom:\n    configMapKeyRef: {name: app-config, key: mode}"),
    app("env:\n- name: MODE\n  value: fast\n  valueFrom:\n    configMapKeyRef: {name: app-config, key: mode}"),
)
_rule(
    "env-field-path",
    "A downward-API env var asks for a field the API server cannot supply.",
    "Use one of metadata.name, metadata.namespace, metadata.uid, metadata.labels['k'], "
    "metadata.annotations['k'], spec.nodeName, spec.serviceAccountName, status.hostIP(s), status.podIP(s).",
    DOCS + "tasks/inject-data-application/environment-variable-expose-pod-information/",
    app("env:\n- name: POD_IP\n  valueFrom:\n    fieldRef: {fieldPath: status.podIP}"),
    app("env:\n- name: POD_IP\n  valueFrom:\n    fieldRef: {fieldPath: metadata.podIP}"),
)

# -- mounts -----------------------------------------------------------------------------------
_rule(
    "volume-mount-unknown",
    "A volumeMount names a volume that is not (validly) defined in spec.volumes.",
    "Add a volume with that name under spec.volumes, or fix the spelling in volumeMounts.",
    VOLUMES,
    app("volumeMounts:\n- {name: data, mountPath: /data}", "volumes:\n- name: data\n  emptyDir: {}"),
    app("volumeMounts:\n- {name: data, mountPath: /data}", "volumes:\n- name: cache\n  emptyDir: {}"),
    description="A volume the server rejects (bad name, two sources...) is also unknown to the mounts.",
)
_rule(
    "mount-path-required",
    "A volumeMount has an empty mountPath.",
    "Set mountPath to the absolute directory inside the container, e.g. /data.",
    VOLUMES,
    app("volumeMounts:\n- {name: data, mountPath: /data}", "volumes:\n- name: data\n  emptyDir: {}"),
    app("volumeMounts:\n- {name: data, mountPath: ''}", "volumes:\n- name: data\n  emptyDir: {}"),
)
_rule(
    "mount-path-duplicate",
    "Two volumeMounts of one container use the same mountPath.",
    "Mount each volume at its own path (use subPath to place single files).",
    VOLUMES,
    app(
        "volumeMounts:\n- {name: a, mountPath: /a}\n- {name: b, mountPath: /b}",
        "volumes:\n- name: a\n  emptyDir: {}\n- name: b\n  emptyDir: {}",
    ),
    app(
        "volumeMounts:\n- {name: a, mountPath: /data}\n- {name: b, mountPath: /data}",
        "volumes:\n- name: a\n  emptyDir: {}\n- name: b\n  emptyDir: {}",
    ),
)
_rule(
    "recursive-read-only",
    "recursiveReadOnly is set to Enabled or IfPossible on a mount that is not readOnly.",
    "Set `readOnly: true` on the mount as well (recursiveReadOnly only makes a read-only mount read-only all "
    "the way down), or remove recursiveReadOnly.",
    VOLUMES + "#read-only-mounts",
    app(
        "volumeMounts:\n- {name: d, mountPath: /data, readOnly: true, recursiveReadOnly: Enabled}",
        "volumes:\n- name: d\n  emptyDir: {}",
    ),
    app(
        "volumeMounts:\n- {name: d, mountPath: /data, recursiveReadOnly: Enabled}",
        "volumes:\n- name: d\n  emptyDir: {}",
    ),
    description="The server reports this at `volumeMounts.recursiveReadOnly` without the mount's index.",
)
_rule(
    "mount-propagation",
    "A volumeMount uses mountPropagation Bidirectional in a container that is not privileged, or an unknown mode.",
    "Use `mountPropagation: HostToContainer` (or leave it out) in ordinary containers; Bidirectional makes mounts "
    "the container creates appear on the node, so it needs `privileged: true`.",
    VOLUMES + "#mount-propagation",
    app(
        "volumeMounts:\n- {name: d, mountPath: /data, mountPropagation: HostToContainer}",
        "volumes:\n- name: d\n  emptyDir: {}",
    ),
    app(
        "volumeMounts:\n- {name: d, mountPath: /data, mountPropagation: Bidirectional}",
        "volumes:\n- name: d\n  emptyDir: {}",
    ),
    description="The server reports this at `volumeMounts.mountPropagation` without the mount's index.",
)
_rule(
    "subpath-invalid",
    "A subPath/subPathExpr is absolute or climbs out with '..', or both are set.",
    "Give a relative path inside the volume, without '..' (e.g. `subPath: conf/app.ini`).",
    VOLUMES + "#using-subpath",
    app("volumeMounts:\n- {name: d, mountPath: /etc/app, subPath: app}", "volumes:\n- name: d\n  emptyDir: {}"),
    app("volumeMounts:\n- {name: d, mountPath: /etc/app, subPath: ../app}", "volumes:\n- name: d\n  emptyDir: {}"),
    description="The server reports this at `volumeMounts.subPath` without the mount's index.",
)

# -- probes and hooks --------------------------------------------------------------------------
_rule(
    "probe-handler-count",
    "A probe has no handler, or more than one of exec, httpGet, tcpSocket and grpc.",
    "Give each probe exactly one handler, e.g. `httpGet: {path: /healthz, port: 8080}`.",
    PROBES,
    app("livenessProbe:\n  httpGet: {path: /, port: 80}"),
    app("livenessProbe:\n  httpGet: {path: /, port: 80}\n  tcpSocket: {port: 80}"),
)
_rule(
    "lifecycle-handler-count",
    "A postStart/preStop hook has no handler, or more than one of exec, httpGet, tcpSocket and sleep.",
    "Give each hook exactly one handler, e.g. `preStop: {sleep: {seconds: 5}}`.",
    HOOKS,
    app("lifecycle:\n  preStop:\n    exec: {command: [nginx, -s, quit]}"),
    app("lifecycle:\n  preStop: {}"),
)
_rule(
    "handler-field",
    "A probe or hook handler has a bad field: exec without a command, a port outside 1-65535 or "
    "not a valid port name, an unknown scheme, an HTTP header name with other characters than letters, "
    "digits and '-', or a sleep longer than the grace period.",
    "Give exec a command, use a port number 1-65535 or a defined port name, name HTTP headers like "
    "`X-Custom-Header`, and keep sleep within terminationGracePeriodSeconds.",
    PROBES,
    app("readinessProbe:\n  exec: {command: [cat, /tmp/ready]}"),
    app("readinessProbe:\n  exec: {command: []}"),
)
_rule(
    "probe-timing",
    "A probe timing field is negative, or a probe's terminationGracePeriodSeconds is not positive.",
    "Use 0 or more for initialDelaySeconds, timeoutSeconds, periodSeconds and the thresholds "
    "(0 means the default: 10s period, 1s timeout, 3 failures), and at least 1 for terminationGracePeriodSeconds.",
    PROBES + "#configure-probes",
    app("livenessProbe:\n  httpGet: {path: /, port: 80}\n  periodSeconds: 5"),
    app("livenessProbe:\n  httpGet: {path: /, port: 80}\n  periodSeconds: -5"),
)
_rule(
    "probe-success-threshold",
    "A liveness or startup probe has successThreshold other than 1.",
    "Remove successThreshold from liveness and startup probes (it must be 1); only readiness probes may raise it.",
    PROBES + "#configure-probes",
    app("readinessProbe:\n  httpGet: {path: /, port: 80}\n  successThreshold: 3"),
    app("livenessProbe:\n  httpGet: {path: /, port: 80}\n  successThreshold: 3"),
)
_rule(
    "readiness-probe-grace-period",
    "A readiness probe sets terminationGracePeriodSeconds, which only liveness and startup probes take.",
    "Remove terminationGracePeriodSeconds from the readinessProbe.",
    PROBES + "#probe-level-terminationgraceperiodseconds",
    app("livenessProbe:\n  httpGet: {path: /, port: 80}\n  terminationGracePeriodSeconds: 10"),
    app("readinessProbe:\n  httpGet: {path: /, port: 80}\n  terminationGracePeriodSeconds: 10"),
)

# -- security ----------------------------------------------------------------------------------
_rule(
    "privilege-escalation-conflict",
    "allowPrivilegeEscalation: false is combined with privileged: true (or with adding CAP_SYS_ADMIN).",
    "Drop `privileged: true` (almost no app needs it), or drop `allowPrivilegeEscalation: false` if it truly does.",
    SECURITY,
    app("securityContext:\n  allowPrivilegeEscalation: false"),
    app("securityContext:\n  allowPrivilegeEscalation: false\n  privileged: true"),
)
_rule(
    "run-as-id-range",
    "A user or group id (runAsUser, runAsGroup, fsGroup, supplementalGroups) is outside 0-2147483647.",
    "Use a non-negative id, e.g. runAsUser: 1000.",
    SECURITY,
    app("securityContext:\n  runAsUser: 1000"),
    app("securityContext:\n  runAsUser: -1"),
)
_rule(
    "seccomp-profile",
    "seccompProfile has no or an unknown type, or localhostProfile does not fit the type.",
    "Use `seccompProfile: {type: RuntimeDefault}`; set localhostProfile (a relative path) only with type Localhost.",
    DOCS + "tutorials/security/seccomp/",
    app("securityContext:\n  seccompProfile: {type: RuntimeDefault}"),
    app("securityContext:\n  seccompProfile: {type: RuntimeDefault, localhostProfile: my.json}"),
)
_rule(
    "apparmor-profile",
    "appArmorProfile has no or an unknown type, or localhostProfile does not fit the type.",
    "Use `appArmorProfile: {type: RuntimeDefault}`; with type Localhost also name the profile loaded on the node "
    "(`localhostProfile: k8s-apparmor-example-deny-write`), and set localhostProfile only with type Localhost.",
    DOCS + "tutorials/security/apparmor/",
    app("securityContext:\n  appArmorProfile: {type: RuntimeDefault}"),
    app("securityContext:\n  appArmorProfile: {type: Localhost}"),
)
_rule(
    "proc-mount",
    "procMount is Unmasked in a pod without its own user namespace, or is neither Default nor Unmasked.",
    "Leave procMount out (Default masks the sensitive parts of /proc); Unmasked needs `hostUsers: false` on "
    "the pod, so that the container's root is not the node's root.",
    DOCS + "concepts/workloads/pods/user-namespaces/",
    app("securityContext:\n  procMount: Unmasked", "hostUsers: false"),
    app("securityContext:\n  procMount: Unmasked"),
)
_rule(
    "windows-host-process",
    "A Windows HostProcess container is in a pod without hostNetwork, or beside containers that are not HostProcess.",
    "Set `spec.hostNetwork: true` and make every container HostProcess (set `hostProcess: true` once in "
    "spec.securityContext.windowsOptions); otherwise drop hostProcess.",
    DOCS + "tasks/configure-pod-container/create-hostprocess-pod/",
    app("", "os: {name: windows}\nhostNetwork: true\nsecurityContext:\n  windowsOptions: {hostProcess: true}"),
    app("", "os: {name: windows}\nsecurityContext:\n  windowsOptions: {hostProcess: true}"),
    description="The server checks this whatever spec.os says. The all-containers error is reported at `spec`.",
)
_rule(
    "sysctl-invalid",
    "A pod sysctl has an empty, malformed or repeated name, or sets a network (IPC) sysctl in a pod that shares "
    "the node's network (IPC) namespace.",
    "Name each sysctl once, as the kernel does (net.ipv4.ip_local_port_range); with hostNetwork or hostIPC drop "
    "the namespaced sysctls, which would change the node itself.",
    DOCS + "tasks/administer-cluster/sysctl-cluster/",
    app("", "securityContext:\n  sysctls:\n  - {name: net.ipv4.ping_group_range, value: '0 1'}"),
    app("", "hostNetwork: true\nsecurityContext:\n  sysctls:\n  - {name: net.ipv4.ping_group_range, value: '0 1'}"),
)
_rule(
    "share-process-namespace-host-pid",
    "shareProcessNamespace and hostPID are both true.",
    "Choose one: shareProcessNamespace shares processes between the pod's containers, hostPID with the whole node.",
    DOCS + "tasks/configure-pod-container/share-process-namespace/",
    app("", "shareProcessNamespace: true"),
    app("", "shareProcessNamespace: true\nhostPID: true"),
)
_rule(
    "host-users-conflict",
    "hostUsers: false (a user namespace) is combined with hostNetwork, hostPID or hostIPC.",
    "Drop hostNetwork/hostPID/hostIPC, or drop `hostUsers: false`; a pod cannot have both.",
    DOCS + "concepts/workloads/pods/user-namespaces/",
    app("", "hostUsers: false"),
    app("", "hostUsers: false\nhostNetwork: true"),
)
_rule(
    "os-name",
    "spec.os.name is empty or not linux/windows.",
    "Set `os: {name: linux}` or `os: {name: windows}`, or remove spec.os.",
    DOCS + "concepts/workloads/pods/#pod-os",
    app("", "os: {name: linux}"),
    app("", "os: {name: macos}"),
)
_rule(
    "windows-pod-fields",
    "A Linux-only security setting is set on a windows pod (or windowsOptions on a linux pod).",
    "Remove the Linux-only fields (runAsUser, seccompProfile, privileged, capabilities...) from a windows pod; "
    "use securityContext.windowsOptions instead.",
    DOCS + "concepts/windows/intro/",
    app("", "os: {name: windows}"),
    app("", "os: {name: windows}\nsecurityContext:\n  runAsUser: 1000"),
)

# -- pod-level ---------------------------------------------------------------------------------
_rule(
    "workload-restart-policy",
    "The pod template's restartPolicy does not suit the workload kind.",
    "Deployments, ReplicaSets, StatefulSets, DaemonSets and ReplicationControllers need restartPolicy Always "
    "(the default); Jobs and CronJobs need OnFailure or Never, which must be written out.",
    DOCS + "concepts/workloads/controllers/job/#pod-template",
    _deployment(""),
    _deployment("Never"),
)
_rule(
    "selector-mismatch",
    "A controller's selector is missing or empty, or does not match the labels of its own pod template.",
    "Copy the selector's matchLabels into spec.template.metadata.labels (the template may carry extra labels).",
    DOCS + "concepts/workloads/controllers/deployment/#selector",
    _deployment(""),
    _deployment("").replace("labels: {app: web}", "labels: {app: webapp}"),
    description="A ReplicationController without a selector takes its template's labels as the selector, "
    "so it needs one or the other.",
)
_rule(
    "selector-format",
    "A controller's spec.selector has an invalid label key or value, or a malformed matchExpressions entry.",
    "Use label syntax in matchLabels (e.g. `app: web`), and matchExpressions operators In, NotIn (with values), "
    "Exists or DoesNotExist (without). Until the selector is valid the server checks nothing of the pod template.",
    DOCS + "concepts/overview/working-with-objects/labels/#resources-that-support-set-based-requirements",
    _deployment(""),
    _deployment("").replace(
        "matchLabels: {app: web}",
        "matchLabels: {app: web}\n    matchExpressions: [{key: tier, operator: in, values: [web]}]",
    ),
    description="A Deployment, ReplicaSet or StatefulSet with an unusable selector gets no pod template "
    "errors at all from the API server; a DaemonSet's template is still checked.",
)
_rule(
    "workload-negative",
    "A controller's replicas, minReadySeconds, revisionHistoryLimit or progressDeadlineSeconds is negative "
    "(or a Deployment's progressDeadlineSeconds is not above minReadySeconds).",
    "Use 0 or more (replicas: 0 scales the workload down; leave the field out for its default).",
    DOCS + "concepts/workloads/controllers/deployment/#writing-a-deployment-spec",
    _deployment(""),
    _deployment("").replace("replicas: 1", "replicas: -1"),
)
_rule(
    "dns-config",
    "dnsConfig is missing with dnsPolicy None, or has too many or invalid nameservers/searches.",
    "With `dnsPolicy: None` give `dnsConfig.nameservers` 1-3 IP addresses; keep searches to 32 entries.",
    DNS + "#pod-dns-config",
    app("", "dnsPolicy: None\ndnsConfig:\n  nameservers: [1.1.1.1]"),
    app("", "dnsPolicy: None"),
)
_rule(
    "active-deadline",
    "activeDeadlineSeconds is less than 1.",
    "Set activeDeadlineSeconds to a positive number of seconds, or remove it.",
    POD_API + "#lifecycle",
    app("", "restartPolicy: Never\nactiveDeadlineSeconds: 60"),
    app("", "restartPolicy: Never\nactiveDeadlineSeconds: 0"),
)
_rule(
    "hostname-format",
    "spec.hostname or spec.subdomain is not a DNS-1123 label.",
    "Use lowercase letters, digits and '-' (at most 63 characters), no dots.",
    DNS + "#pod-s-hostname-and-subdomain-fields",
    app("", "hostname: web-0\nsubdomain: web"),
    app("", "hostname: web.0"),
)
_rule(
    "object-name-format",
    "A referenced name (serviceAccountName, nodeName, priorityClassName, runtimeClassName) is not a valid name.",
    "Use the object's real name: lowercase letters, digits, '-' and '.'.",
    NAMES,
    app("", "serviceAccountName: build-bot"),
    app("", "serviceAccountName: Build_Bot"),
)
_rule(
    "readiness-gate-format",
    "A readinessGates conditionType is not a qualified name.",
    "Use a condition type such as `example.com/feature-ready`.",
    DOCS + "concepts/workloads/pods/pod-lifecycle/#pod-readiness-gate",
    app("", "readinessGates:\n- conditionType: example.com/lb-ready"),
    app("", "readinessGates:\n- conditionType: 'lb ready'"),
)

# -- scheduling --------------------------------------------------------------------------------
_rule(
    "node-selector-format",
    "A nodeSelector key or value is not a valid label key/value.",
    "nodeSelector matches node labels: use label syntax, e.g. `kubernetes.io/os: linux`.",
    SCHED + "#nodeselector",
    app("", "nodeSelector:\n  disktype: ssd"),
    app("", "nodeSelector:\n  disk type: ssd"),
)
_rule(
    "toleration-invalid",
    "A toleration's key, operator, value or effect is not accepted.",
    "operator is Equal (with a value) or Exists (without); an empty key needs Exists; effect is NoSchedule, "
    "PreferNoSchedule or NoExecute, and tolerationSeconds needs NoExecute. Lt and Gt need an alpha feature gate "
    "that clusters leave off.",
    DOCS + "concepts/scheduling-eviction/taint-and-toleration/",
    app("", "tolerations:\n- {key: gpu, operator: Exists, effect: NoSchedule}"),
    app("", "tolerations:\n- {key: gpu, operator: Exists, value: 'true', effect: NoSchedule}"),
)
_rule(
    "host-aliases",
    "A hostAliases entry has an ip that is not an IP address, or a hostname that is not a DNS name.",
    "Give each entry an IP address (10.1.2.3, no leading zeros) and lowercase host names such as db.local.",
    DOCS + "tasks/network/customize-hosts-file-for-pods/",
    app("", "hostAliases:\n- ip: 10.1.2.3\n  hostnames: [db.local]"),
    app("", "hostAliases:\n- ip: 10.1.2.300\n  hostnames: [db.local]"),
)
_rule(
    "affinity-invalid",
    "An affinity rule is malformed: bad operator/values, weight outside 1-100, empty topologyKey or no terms.",
    "Check each matchExpression (In/NotIn need values, Exists/DoesNotExist take none), give preferred terms "
    "a weight 1-100, and give pod (anti-)affinity terms a topologyKey such as kubernetes.io/hostname.",
    SCHED + "#affinity-and-anti-affinity",
    app(
        "",
        "affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n      nodeSelectorTerms:\n"
        "      - matchExpressions:\n        - {key: disktype, operator: In, values: [ssd]}",
    ),
    app(
        "",
        "affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n      nodeSelectorTerms:\n"
        "      - matchExpressions:\n        - {key: disktype, operator: In, values: []}",
    ),
)
_rule(
    "topology-spread-invalid",
    "A topologySpreadConstraint is malformed (maxSkew < 1, empty topologyKey, bad whenUnsatisfiable, "
    "duplicate, or minDomains misuse).",
    "Give maxSkew >= 1, a topologyKey such as topology.kubernetes.io/zone, and whenUnsatisfiable "
    "DoNotSchedule or ScheduleAnyway.",
    DOCS + "concepts/scheduling-eviction/topology-spread-constraints/",
    app(
        "",
        "topologySpreadConstraints:\n- maxSkew: 1\n  topologyKey: topology.kubernetes.io/zone\n"
        "  whenUnsatisfiable: DoNotSchedule",
    ),
    app(
        "",
        "topologySpreadConstraints:\n- maxSkew: 0\n  topologyKey: topology.kubernetes.io/zone\n"
        "  whenUnsatisfiable: DoNotSchedule",
    ),
)

# -- resources ---------------------------------------------------------------------------------
_rule(
    "resource-name",
    "A resources key is not a container resource (cpu, memory, ephemeral-storage, hugepages-<size>) "
    "or a fully qualified extended resource (vendor.com/name).",
    "Check the spelling (`cpu`, `memory`, not `cpus` or `mem`); extended resources need a domain prefix.",
    RESOURCES,
    app("resources:\n  requests: {cpu: 250m, memory: 64Mi}"),
    app("resources:\n  requests: {cpus: 250m, memory: 64Mi}"),
)
_rule(
    "resource-quantity",
    "A resource value is not a quantity.",
    "Write quantities like 250m or 0.5 (cpu) and 64Mi or 1Gi (memory); `Mb`, `GB` and spaces are not accepted.",
    RESOURCES + "#resource-units-in-kubernetes",
    app("resources:\n  limits: {memory: 512Mi}"),
    app("resources:\n  limits: {memory: 512MB}"),
)
_rule(
    "resource-negative",
    "A resource value is negative.",
    "Use zero or a positive quantity.",
    RESOURCES,
    app("resources:\n  requests: {cpu: 100m}"),
    app("resources:\n  requests: {cpu: -100m}"),
)
_rule(
    "resource-integer",
    "An extended resource (e.g. a GPU) is given a fractional amount.",
    "Extended resources are counted in whole units: use 1, 2, ... (not 500m or 0.5).",
    RESOURCES + "#extended-resources",
    app("resources:\n  limits: {example.com/gpu: 1}"),
    app("resources:\n  limits: {example.com/gpu: 500m}"),
)
_rule(
    "requests-above-limits",
    "A request is larger than the limit for the same resource.",
    "Lower the request or raise the limit: a container may burst up to its limit, never below its request.",
    RESOURCES + "#requests-and-limits",
    app("resources:\n  requests: {cpu: 250m}\n  limits: {cpu: 500m}"),
    app("resources:\n  requests: {cpu: '1'}\n  limits: {cpu: 500m}"),
)
_rule(
    "requests-must-equal-limits",
    "An extended resource or hugepages request differs from its limit, or has no limit.",
    "Resources that cannot be overcommitted need a limit equal to the request (setting only the limit is enough).",
    RESOURCES + "#extended-resources",
    app("resources:\n  limits: {example.com/gpu: 1}"),
    app("resources:\n  requests: {example.com/gpu: 1}"),
)
_rule(
    "hugepages-resource",
    "A hugepages amount is not a multiple of its page size, or hugepages are requested without cpu or memory.",
    "Request hugepages-2Mi in multiples of 2Mi (hugepages-1Gi in multiples of 1Gi) together with memory or cpu.",
    DOCS + "tasks/manage-hugepages/scheduling-hugepages/",
    app("resources:\n  limits: {hugepages-2Mi: 100Mi, memory: 128Mi}"),
    app("resources:\n  limits: {hugepages-2Mi: 100Mi}"),
)
_rule(
    "pod-resource-name",
    "Pod-level spec.resources names a resource other than cpu, memory and hugepages-<size>.",
    "Set only cpu, memory (and hugepages) in spec.resources; keep other resources on the containers.",
    DOCS + "tasks/configure-pod-container/assign-pod-level-resources/",
    app("", "resources:\n  limits: {cpu: '1', memory: 256Mi}"),
    app("", "resources:\n  limits: {cpu: '1', ephemeral-storage: 1Gi}"),
    description="`pids` is not a resource name the API server accepts (as of 1.37), at pod or container level.",
)
_rule(
    "pod-resources-consistency",
    "Pod-level resources are smaller than what the containers ask for.",
    "Make spec.resources requests at least the sum of the containers' requests, and each container's "
    "limit at most the pod limit.",
    DOCS + "tasks/configure-pod-container/assign-pod-level-resources/",
    app("resources:\n  limits: {memory: 128Mi}", "resources:\n  limits: {memory: 256Mi}"),
    app("resources:\n  limits: {memory: 512Mi}", "resources:\n  limits: {memory: 256Mi}"),
    description="The container-limit error is reported at `spec.resources.containers[i][<resource>].limits`, "
    "the API server's own (odd) path.",
)
