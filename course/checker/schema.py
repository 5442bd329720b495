"""Schema stage: check one document against the Kubernetes OpenAPI schema of a chosen version.

It reports what `kubectl apply --validate=strict` would reject while decoding: unknown
fields, wrong types, missing required fields, values outside a closed set, and
apiVersion/kind pairs the version does not serve. It reports every problem, not the first.

The schemas are compact files built by `tools/build_schemas.py` (see its docstring for the
format); one is loaded on first use per version and cached.
"""

from __future__ import annotations

import datetime as _dt
import gzip
import json
import math
import re
from pathlib import Path as FsPath
from typing import Any

from course.findings import DOCS, Finding, Key, Path, Positions, Rule, make_finding, register

DEFAULT = "1.37"
_DIR = FsPath(__file__).resolve().parent.parent / "data" / "schemas"
_CACHE: dict[str, dict[str, Any]] = {}
_VERSIONS: list[str] = []
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_CONTAINERS = ("core.v1.Container", "core.v1.EphemeralContainer")

_POD_API = DOCS + "reference/kubernetes-api/workload-resources/pod-v1/"
_PROBES = DOCS + "tasks/configure-pod-container/configure-liveness-readiness-startup-probes/"
_SECURITY_CONTEXT = DOCS + "tasks/configure-pod-container/security-context/"
_TAINTS = DOCS + "concepts/scheduling-eviction/taint-and-toleration/"
_SPREAD = DOCS + "concepts/scheduling-eviction/topology-spread-constraints/"
# The page that explains an enum field's values, by (definition, field): a field name alone is
# ambiguous (a Pod's restartPolicy is not a container's, `type` and `operator` mean different
# things in different objects). Fields not listed link to the pod API reference.
# tests/test_schema.py checks that every closed field of every shipped schema is listed.
_ENUM_DOCS: dict[tuple[str, str], str] = {
    **{
        (c, f): page
        for c in _CONTAINERS
        for f, page in {
            "imagePullPolicy": DOCS + "concepts/containers/images/#image-pull-policy",
            "terminationMessagePolicy": DOCS
            + "tasks/debug/debug-application/determine-reason-pod-failure/#customizing-the-termination-message",
            # A container's own restartPolicy makes an init container a sidecar (and, with
            # ContainerRestartRules, lets an app container restart alone).
            "restartPolicy": DOCS + "concepts/workloads/pods/sidecar-containers/",
        }.items()
    },
    ("core.v1.PodSpec", "restartPolicy"): DOCS + "concepts/workloads/pods/pod-lifecycle/#restart-policy",
    ("core.v1.PodSpec", "dnsPolicy"): DOCS + "concepts/services-networking/dns-pod-service/#pod-s-dns-policy",
    ("core.v1.PodSpec", "preemptionPolicy"): DOCS
    + "concepts/scheduling-eviction/pod-priority-preemption/#non-preempting-priority-class",
    ("core.v1.ContainerPort", "protocol"): _POD_API + "#ports",
    ("core.v1.ContainerResizePolicy", "restartPolicy"): DOCS
    + "tasks/configure-pod-container/resize-container-resources/#container-resize-policies",
    ("core.v1.HTTPGetAction", "scheme"): _PROBES + "#http-probes",
    ("core.v1.Toleration", "operator"): _TAINTS,
    ("core.v1.Toleration", "effect"): _TAINTS,
    ("core.v1.NodeSelectorRequirement", "operator"): DOCS + "concepts/scheduling-eviction/assign-pod-node/#operators",
    ("meta.v1.LabelSelectorRequirement", "operator"): DOCS
    + "concepts/overview/working-with-objects/labels/#set-based-requirement",
    ("core.v1.TopologySpreadConstraint", "whenUnsatisfiable"): _SPREAD,
    ("core.v1.TopologySpreadConstraint", "nodeAffinityPolicy"): _SPREAD,
    ("core.v1.TopologySpreadConstraint", "nodeTaintsPolicy"): _SPREAD,
    ("core.v1.VolumeMount", "mountPropagation"): DOCS + "concepts/storage/volumes/#mount-propagation",
    ("core.v1.VolumeMount", "recursiveReadOnly"): DOCS + "concepts/storage/volumes/#recursive-read-only-mounts",
    ("core.v1.EmptyDirVolumeSource", "medium"): DOCS + "concepts/storage/volumes/#emptydir",
    ("core.v1.HostPathVolumeSource", "type"): DOCS + "concepts/storage/volumes/#hostpath",
    ("core.v1.SecurityContext", "procMount"): DOCS + "concepts/workloads/pods/user-namespaces/",
    ("core.v1.SeccompProfile", "type"): DOCS + "tutorials/security/seccomp/",
    ("core.v1.AppArmorProfile", "type"): DOCS + "tutorials/security/apparmor/",
    ("core.v1.PodSecurityContext", "fsGroupChangePolicy"): _SECURITY_CONTEXT
    + "#configure-volume-permission-and-ownership-change-policy-for-pods",
    ("core.v1.PodSecurityContext", "supplementalGroupsPolicy"): _SECURITY_CONTEXT + "#supplementalgroupspolicy",
    ("core.v1.PodOS", "name"): DOCS + "concepts/workloads/pods/#pod-os",
}


def enum_docs(owner: str, field: str) -> str:
    """The docs page for the values of `field` in the schema definition `owner`."""
    return _ENUM_DOCS.get((owner, field), _POD_API)


# Fields the OpenAPI schema marks required that are not the schema stage's to report: the API
# server takes the zero value (a sleep of 0 seconds, an empty header value or sysctl value, a
# DaemonSet without a selector, which then selects nothing), or its validation reports the field
# at a path of its own (a downward API file's path, without the item's index), which the
# validation stage reproduces.
_NOT_REQUIRED: dict[str, frozenset[str]] = {
    "core.v1.SleepAction": frozenset({"seconds"}),
    "core.v1.HTTPHeader": frozenset({"name", "value"}),
    "core.v1.Sysctl": frozenset({"value"}),
    "core.v1.KeyToPath": frozenset({"key", "path"}),
    "core.v1.DownwardAPIVolumeFile": frozenset({"path"}),
    "core.v1.ServiceAccountTokenProjection": frozenset({"path"}),
    "core.v1.ObjectFieldSelector": frozenset({"fieldPath"}),
    "core.v1.ResourceFieldSelector": frozenset({"resource"}),
    "apps.v1.DaemonSetSpec": frozenset({"selector"}),
}
_POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n"
_OK = _POD + "  containers:\n  - name: app\n    image: nginx:1.22\n"
_API_CONCEPTS = DOCS + "concepts/overview/working-with-objects/"

register(
    Rule(
        id="unknown-field",
        severity="error",
        category="schema",
        summary="A field that does not exist at this place in the object (a typo or wrong indentation).",
        hint="Check the spelling (field names are case-sensitive camelCase) and the indentation.",
        docs=DOCS + "reference/kubernetes-api/workload-resources/pod-v1/",
        passing=_OK + "    livenessProbe:\n      httpGet: {path: /, port: 80}\n",
        failing=_OK + "    livenesProbe:\n      httpGet: {path: /, port: 80}\n",
        description="The API server's strict field validation (the default of `kubectl apply`) "
        "rejects fields the schema does not know.",
    )
)
register(
    Rule(
        id="field-type",
        severity="error",
        category="schema",
        summary="A field holds the wrong type of value (for example a string where a number belongs).",
        hint="Change the value to the type the field expects.",
        docs=DOCS + "reference/kubernetes-api/workload-resources/pod-v1/",
        passing=_OK + "    ports:\n    - containerPort: 80\n",
        failing=_OK + '    ports:\n    - containerPort: "80"\n',
    )
)
register(
    Rule(
        id="required-field",
        severity="error",
        category="schema",
        summary="A field the schema requires is missing.",
        hint="Add the missing field.",
        docs=DOCS + "reference/kubernetes-api/workload-resources/pod-v1/",
        passing=_OK,
        failing=_POD + "  containers:\n  - image: nginx:1.22\n",
    )
)
register(
    Rule(
        id="enum-value",
        severity="error",
        category="schema",
        summary="A field that accepts only a fixed set of values holds another value.",
        hint="Use one of the values the message lists (they are case-sensitive).",
        # Each finding links the page about its own field (`_ENUM_DOCS`); this is the page for all.
        docs=_POD_API,
        passing=_OK + "    imagePullPolicy: IfNotPresent\n",
        failing=_OK + "    imagePullPolicy: IfNotPresnt\n",
    )
)
register(
    Rule(
        id="missing-kind",
        severity="error",
        category="schema",
        summary="The document has no `kind`, so Kubernetes cannot tell what object it is.",
        hint="Add `kind:` (for a Pod: `kind: Pod`).",
        docs=_API_CONCEPTS,
        passing=_OK,
        failing=_OK.replace("kind: Pod\n", ""),
    )
)
register(
    Rule(
        id="missing-api-version",
        severity="error",
        category="schema",
        summary="The document has no `apiVersion`, so Kubernetes cannot tell which API it belongs to.",
        hint="Add `apiVersion:` (for a Pod: `apiVersion: v1`).",
        docs=_API_CONCEPTS,
        passing=_OK,
        failing=_OK.replace("apiVersion: v1\n", ""),
    )
)
register(
    Rule(
        id="unknown-kind",
        severity="error",
        category="schema",
        summary="The apiVersion and kind do not name a built-in type of this Kubernetes version.",
        hint="Use the apiVersion that serves this kind (a Deployment is `apps/v1`, a Pod is `v1`).",
        docs=DOCS + "reference/using-api/deprecation-guide/",
        passing=_OK,
        failing=_OK.replace("kind: Pod", "kind: Deployment"),
        description="Custom resources (an apiVersion whose group has a dot and is not a built-in "
        "group) are reported as info: their schema lives in the cluster, so they are not checked.",
    )
)

# Docker Compose keys that learners carry over; each gets a hint naming the Kubernetes way.
_SIDECAR = (
    "For start-up order use init containers (`spec.initContainers` run to completion before "
    "the app starts); for a helper that must keep running, use a native sidecar: an "
    "`initContainers` entry with `restartPolicy: Always` (and a `startupProbe` so the app starts "
    "once it is ready). Use a `readinessProbe` so traffic waits until the app is ready."
)
_COMPOSE_ANYWHERE = {
    "dependsOn": f"`dependsOn` is Docker Compose syntax; Kubernetes has no such field. {_SIDECAR}",
    "depends_on": f"`depends_on` is Docker Compose syntax; Kubernetes has no such field. {_SIDECAR}",
    "sidecarContainers": "There is no `sidecarContainers` field: native sidecars are "
    "`initContainers` entries with `restartPolicy: Always`.",
}
_COMPOSE_POD = {
    "links": f"`links` is Docker Compose syntax; containers in one Pod share localhost, and "
    f"other Pods are reached through a Service. {_SIDECAR}",
    "restart": "`restart` is Docker Compose syntax; in a Pod it is `spec.restartPolicy` "
    "(Always, OnFailure or Never).",
    "services": "`services` is Docker Compose syntax; each Compose service becomes its own "
    "container entry (or Deployment) in Kubernetes.",
}
_COMPOSE_CONTAINER = {
    "healthcheck": "`healthcheck` is Docker Compose syntax; in Kubernetes use `livenessProbe`, "
    "`readinessProbe` or `startupProbe` on the container.",
    "restart": "`restart` is Docker Compose syntax; the Pod's restart behaviour is "
    "`spec.restartPolicy` (Always, OnFailure or Never), set on the Pod, not the container.",
    "environment": "`environment` is Docker Compose syntax; use `env:` with a list of "
    "`- name: KEY` / `value: \"...\"` entries.",
    "expose": "`expose` is Docker Compose syntax; use `ports:` with `- containerPort: 80` entries.",
    "links": _COMPOSE_POD["links"],
    "build": "`build` is Docker Compose syntax; Kubernetes does not build images. Build and push "
    "the image, then name it in `image:`.",
    "volumes": "`volumes` inside a container is Docker Compose syntax; declare volumes in the "
    "Pod's `spec.volumes` and mount them in the container with `volumeMounts`.",
    "container_name": "`container_name` is Docker Compose syntax; the container's name is `name:`.",
    "entrypoint": "`entrypoint` is Docker Compose syntax; use `command:` (a list) to replace the "
    "image's ENTRYPOINT.",
}
_COMPOSE_PORT = re.compile(r"^\s*(?:[\d.]+:)?\d+(?:-\d+)?:\d+(?:-\d+)?(?:/\w+)?\s*$")


# --- versions ---------------------------------------------------------------------------


def supported_versions() -> list[str]:
    """Shipped schema versions, oldest first ("1.30", ..., "1.37")."""
    if not _VERSIONS:
        found = []
        for p in _DIR.glob("v*.json.gz"):
            v = p.name[1 : -len(".json.gz")]
            major, _, minor = v.partition(".")
            if major.isdigit() and minor.isdigit():
                found.append((int(major), int(minor), v))
        _VERSIONS.extend(v for _, _, v in sorted(found))
    return list(_VERSIONS)


def _normalise(version: str) -> str:
    v = version.strip().removeprefix("v") if isinstance(version, str) else ""
    parts = v.split(".")
    if len(parts) == 3 and parts[2].isdigit():  # "1.37.2": the schema is per minor version
        v = ".".join(parts[:2])
    return v


def check_version(version: str) -> str:
    """The "MAJOR.MINOR" schema version for `version`; ValueError names the supported ones."""
    v = _normalise(version)
    versions = supported_versions()
    if v not in versions:
        raise ValueError(
            f"unsupported Kubernetes version {version!r}: the schema checks support "
            f"{', '.join(versions)} (give it as MAJOR.MINOR, e.g. {DEFAULT})"
        )
    return v


def load(version: str) -> dict[str, Any]:
    """The compact schema of one version, read once and cached."""
    v = check_version(version)
    data = _CACHE.get(v)
    if data is None:
        data = json.loads(gzip.decompress((_DIR / f"v{v}.json.gz").read_bytes()))
        _CACHE[v] = data
    return data


# --- describing values ------------------------------------------------------------------


def _show(value: Any) -> str:
    """A value the way the learner wrote it, shortened."""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return json.dumps(text)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return str(value)[:40]


def _found(value: Any) -> str:
    if value is True or value is False:
        return f"a boolean ({_show(value)})"
    if isinstance(value, int):
        return f"an integer ({_show(value)})"
    if isinstance(value, float):
        return f"a number ({_show(value)})"
    if isinstance(value, str):
        return f"a string ({_show(value)})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, _dt.date):
        return f"a date ({value.isoformat()})"
    return f"a {type(value).__name__}"


def _is_str(value: Any) -> bool:
    # An unquoted YAML timestamp loads as a date; the API would read it as its text.
    return isinstance(value, str | _dt.date)


def _integral(value: Any) -> bool:
    """Whether the API's JSON decoder reads `value` as an integer (80 and 80.0, not 80.5)."""
    if value is True or value is False:
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value) and value.is_integer()


def _number(value: Any) -> bool:
    if value is True or value is False:
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def _suggest(name: str, choices: Any) -> str | None:
    """The closest known name: a case-insensitive match first, then the nearest spelling."""
    import difflib  # only on the error path: keeps the cold start small

    choices = list(choices)
    lower = name.lower()
    for c in choices:
        if c.lower() == lower:
            return c
    by_lower = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(lower, list(by_lower), n=1, cutoff=0.75)
    if not close:
        stripped = lower.replace("_", "").replace("-", "")
        if stripped in by_lower:
            return by_lower[stripped]
        close = difflib.get_close_matches(lower, list(by_lower), n=1, cutoff=0.6)
    return by_lower[close[0]] if close else None


# --- the walker -------------------------------------------------------------------------


class _Walker:
    """Walks one document beside its schema, collecting findings in document order."""

    __slots__ = ("defs", "out", "positions", "version")

    def __init__(self, schema: dict[str, Any], positions: Positions | None) -> None:
        self.defs: dict[str, Any] = schema["defs"]
        self.version: str = schema["version"]
        self.positions = positions
        self.out: list[Finding] = []

    def add(self, rule: str, path: Path, message: str, hint: str | None = None) -> None:
        self.out.append(make_finding(rule, path, message, hint=hint, positions=self.positions))

    def resolve(self, node: Any) -> tuple[Any, str]:
        name = ""
        while isinstance(node, str) and node != "*":
            name = node
            node = self.defs.get(node, "*")
        return node, name

    def walk(self, value: Any, node: Any, path: Path, owner: str = "") -> None:
        """Check `value` against `node`; `owner` is the definition whose property `value` is."""
        if value is None:  # JSON null means "unset"; required fields are checked by the parent
            return
        node, name = self.resolve(node)
        if node == "*":
            return
        t = node["t"]
        if t == "o":
            if not isinstance(value, dict):
                self.type_error(value, node, path)
                return
            props = node.get("p")
            if props is None:
                extra = node.get("a", "*")
                if extra != "*":
                    for k, v in value.items():
                        self.walk(v, extra, (*path, Key(_key(k))))
                return
            self.walk_object(value, node, props, name, path)
        elif t == "a":
            if not isinstance(value, list):
                self.type_error(value, node, path)
                return
            item = node["i"]
            for i, v in enumerate(value):
                self.walk(v, item, (*path, i), owner)
        elif t == "s":
            if not _is_str(value):
                self.type_error(value, node, path)
                return
            enum = node.get("e")
            if enum and value not in enum and value != "":
                self.enum_error(value, enum, path, owner)
            elif node.get("f") == "byte" and isinstance(value, str):
                self.check_base64(value, path)
        elif t == "i":
            if not _integral(value):
                self.type_error(value, node, path)
                return
            lo, hi = _INT32 if node.get("f") == "int32" else _INT64
            if not lo <= value <= hi:
                bits = "32" if node.get("f") == "int32" else "64"
                self.add(
                    "field-type",
                    path,
                    f"must fit in a {bits}-bit integer ({lo} to {hi}), found {_show(value)}",
                    hint="Use a smaller number.",
                )
        elif t == "ios":
            if isinstance(value, str):
                return
            if not _integral(value):
                self.type_error(value, node, path)
            elif not _INT32[0] <= value <= _INT32[1]:
                self.add(
                    "field-type",
                    path,
                    f"must fit in a 32-bit integer, found {_show(value)}",
                    hint="Use a smaller number, or a named port.",
                )
        elif t == "q":
            if not (isinstance(value, str) or _number(value)):
                self.type_error(value, node, path)
        elif t == "n":
            if not _number(value):
                self.type_error(value, node, path)
        elif t == "b" and value is not True and value is not False:
            self.type_error(value, node, path)

    def walk_object(
        self, value: dict[Any, Any], node: dict[str, Any], props: dict[str, Any], name: str, path: Path
    ) -> None:
        exempt = _NOT_REQUIRED.get(name, ())
        for req in node.get("r", ()):
            if value.get(req) is None and req not in exempt:
                found = " (it is null)" if req in value else ""
                self.add(
                    "required-field",
                    (*path, req),
                    f"required field {json.dumps(req)} is missing{found}",
                    hint=f"Add `{req}:` here.",
                )
        extra = node.get("a")
        for k, v in value.items():
            key = _key(k)
            sub = props.get(key)
            if sub is not None:
                self.walk(v, sub, (*path, key), name)
            elif extra is not None:
                if extra != "*":
                    self.walk(v, extra, (*path, Key(key)))
            else:
                self.unknown_field(key, v, props, name, path)

    # --- findings with tailored wording ---

    def unknown_field(self, key: str, value: Any, props: dict[str, Any], name: str, path: Path) -> None:
        hint = _COMPOSE_ANYWHERE.get(key)
        if hint is None and name in _CONTAINERS:
            hint = _COMPOSE_CONTAINER.get(key)
        if hint is None and name == "core.v1.PodSpec":
            hint = _COMPOSE_POD.get(key)
        if hint is None and name in _CONTAINERS:
            pod_spec, _ = self.resolve("core.v1.PodSpec")
            if isinstance(pod_spec, dict) and key in (pod_spec.get("p") or ()):
                hint = (
                    f"`{key}` is a field of the Pod, not of a container: move it to `spec`, at the same "
                    "level as `containers`."
                )
        if hint is None:
            hint = self.unknown_hint(key, props, name)
        self.add("unknown-field", (*path, key), f"unknown field {json.dumps(key)}", hint=hint)

    def unknown_hint(self, key: str, props: dict[str, Any], name: str) -> str:
        lower = key.lower()
        guess = next((p for p in props if p.lower() == lower), None)
        if guess is None:
            newer = _newer_version_with(name, key, self.version)
            if newer:
                return (
                    f"`{key}` is not in the Kubernetes {self.version} API; it exists from "
                    f"Kubernetes {newer}. Choose a newer version (--k8s-version) or remove the field."
                )
        parent = None if guess else self.owner_of(key, props, exact=True)
        if parent:
            return f"`{key}` is not a field here; it belongs under `{parent}`. Check the indentation."
        guess = guess or _suggest(key, props)
        if guess is not None:
            return f"Did you mean `{guess}`? Field names are case-sensitive."
        parent = self.owner_of(key, props, exact=False)
        if parent:
            where, _, match = parent.rpartition(".")
            return (
                f"Did you mean `{match}`? It is a field of `{where}`, not of this object: check the "
                "spelling (field names are case-sensitive) and the indentation."
            )
        known = sorted(props)
        listed = ", ".join(known[:25]) + (", ..." if len(known) > 25 else "")
        return f"Remove it or fix the indentation. The fields allowed here are: {listed}."

    def owner_of(self, key: str, props: dict[str, Any], *, exact: bool) -> str | None:
        """The child field whose object (or list item) knows `key`: a likely mis-indent."""
        lower = key.lower()
        for pname, sub in props.items():
            node, _ = self.resolve(sub)
            shown = pname
            if isinstance(node, dict) and node.get("t") == "a":
                node, _ = self.resolve(node["i"])
                shown = f"{pname}[*]"
            if not isinstance(node, dict):
                continue
            fields = node.get("p") or ()
            if exact and key in fields:
                return shown
            if not exact:
                match = next((f for f in fields if f.lower() == lower), None)
                if match:
                    return f"{shown}.{match}"
        return None

    def type_error(self, value: Any, node: dict[str, Any], path: Path) -> None:
        t = node["t"]
        field = path[-1] if path and isinstance(path[-1], str) else ""
        parent = next((s for s in reversed(path[:-1]) if isinstance(s, str)), "")
        hint = None
        if t == "o":
            expected = "must be a mapping (`key: value` lines)"
            if isinstance(value, str) and parent == "ports" and _COMPOSE_PORT.match(value):
                hint = (
                    f"{_show(value)} is Docker Compose's HOST:CONTAINER syntax. In a container write "
                    "`- containerPort: 80`; to reach it from outside the Pod, create a Service."
                )
            elif isinstance(value, list):
                hint = "Remove the `- ` list markers: this field takes a single mapping."
        elif t == "a":
            expected = f"must be a list (e.g. `{self.list_example(node)}`)"
            if isinstance(value, str) and field in ("command", "args"):
                hint = (
                    f"Write {field} as a list of strings, one per argument, e.g. "
                    f'`{field}: ["sh", "-c", "echo hello"]`.'
                )
            elif isinstance(value, dict) and field == "env":
                hint = "Write env as a list: `- name: KEY` then `value: \"...\"` for each variable."
            elif isinstance(value, dict):
                hint = "Start each entry with `- ` to make it a list item."
            elif isinstance(value, str | int | float) and field == "ports":
                hint = "Write `- containerPort: 80` for each port (and use a Service to expose it)."
        elif t == "s":
            expected = "must be a string"
            if isinstance(value, bool | int | float):
                hint = (
                    "Put quotes around the value so YAML reads it as text, e.g. "
                    f'"{_show(value)}" (write it exactly as intended: YAML turns 1.10 into 1.1).'
                )
        elif t == "i":
            expected = "must be an integer (a whole number)"
            if isinstance(value, str) and value.strip().lstrip("-").isdigit():
                hint = f"Remove the quotes: write {value.strip()}, not {_show(value)}."
            elif isinstance(value, float):
                hint = "Use a whole number."
        elif t == "ios":
            expected = "must be an integer or a string (e.g. 8080 or \"http\")"
            if isinstance(value, float):
                hint = "Use a whole number, or a named port in quotes."
        elif t == "q":
            expected = "must be a quantity: a number or a string such as \"500m\" or \"128Mi\""
        elif t == "n":
            expected = "must be a number"
        else:
            expected = "must be true or false"
            if isinstance(value, str) and value.strip().lower() in ("true", "false"):
                hint = f"Remove the quotes: write {value.strip().lower()}, not {_show(value)}."
        self.add("field-type", path, f"{expected}, found {_found(value)}", hint=hint)

    def list_example(self, node: dict[str, Any]) -> str:
        item, _ = self.resolve(node["i"])
        if isinstance(item, dict):
            if item.get("t") == "o" and item.get("p"):
                first = (item.get("r") or ["name" if "name" in item["p"] else next(iter(item["p"]))])[0]
                return f"- {first}: ..."
            if item.get("t") == "s":
                return "- text"
            if item.get("t") in ("i", "n"):
                return "- 1"
        return "- ..."

    def enum_error(self, value: Any, enum: list[str], path: Path, owner: str = "") -> None:
        allowed = ", ".join(json.dumps(e) for e in enum)
        guess = _suggest(str(value), enum)
        hint = f"Did you mean {json.dumps(guess)}? Values are case-sensitive." if guess else None
        field = next((s for s in reversed(path) if isinstance(s, str) and not isinstance(s, Key)), "")
        self.out.append(
            make_finding(
                "enum-value",
                path,
                f"unsupported value {_show(value)}: must be one of {allowed}",
                hint=hint,
                positions=self.positions,
                docs=enum_docs(owner, field),
            )
        )

    def check_base64(self, value: str, path: Path) -> None:
        import base64
        import binascii

        try:
            base64.b64decode(value.replace("\n", "").replace("\r", ""), validate=True)
        except (binascii.Error, ValueError):
            self.add(
                "field-type",
                path,
                "must be base64-encoded data, found text that is not valid base64",
                hint="Encode the value with `base64` (or put plain text under `stringData` instead).",
            )


def _key(k: Any) -> str:
    """A mapping key as the API sees it after YAML-to-JSON conversion."""
    if isinstance(k, str):
        return k
    if k is True or k is False:
        return "true" if k else "false"
    return "null" if k is None else str(k)


def _newer_version_with(name: str, key: str, version: str) -> str | None:
    """The oldest shipped version after `version` whose definition `name` has field `key`."""
    if not name:
        return None
    versions = supported_versions()
    if version not in versions:
        return None
    for v in versions[versions.index(version) + 1 :]:
        node = load(v)["defs"].get(name)
        if isinstance(node, dict) and key in node.get("p", ()):
            return v
    return None


# --- documents --------------------------------------------------------------------------


def _stability(api_version: str) -> tuple[int, str]:
    v = api_version.rsplit("/", 1)[-1]
    return (2 if "alpha" in v else 1 if "beta" in v else 0, api_version)


def _resolve_kind(w: _Walker, data: dict[Any, Any], kinds: dict[str, dict[str, str]], path: Path) -> str | None:
    """The definition for the document's apiVersion and kind, or None after reporting why not."""
    api, kind = data.get("apiVersion"), data.get("kind")
    homes = sorted((av for av, ks in kinds.items() if kind in ks), key=_stability) if isinstance(kind, str) else []
    ok = True
    if api is None:
        hint = f"Add `apiVersion: {homes[0]}` for a {kind}." if homes else None
        w.add("missing-api-version", (*path, "apiVersion"), "the document has no apiVersion", hint=hint)
        ok = False
    elif not isinstance(api, str):
        w.add("field-type", (*path, "apiVersion"), f"must be a string such as \"v1\", found {_found(api)}")
        ok = False
    if kind is None:
        w.add("missing-kind", (*path, "kind"), "the document has no kind")
        ok = False
    elif not isinstance(kind, str):
        w.add("field-type", (*path, "kind"), f"must be a string such as \"Pod\", found {_found(kind)}")
        ok = False
    if not ok:
        return None
    name = kinds.get(api, {}).get(kind)
    if name:
        return name
    group = api.rpartition("/")[0]
    known_groups = {av.rpartition("/")[0] for av in kinds}
    v = w.version
    if "." in group and group not in known_groups:
        w.out.append(
            make_finding(
                "unknown-kind",
                (*path, "kind"),
                f"{kind} ({api}) is a custom resource, not a built-in kind: its schema is "
                "defined in the cluster, so it was not checked",
                hint="Nothing to fix if the cluster has this CustomResourceDefinition installed.",
                positions=w.positions,
                severity="info",
            )
        )
        return None
    if homes:
        use = " or ".join(f"`apiVersion: {h}`" for h in homes[:2])
        w.add(
            "unknown-kind",
            (*path, "apiVersion"),
            f"Kubernetes {v} does not serve {kind} at apiVersion {api}; {kind} is in {homes[0]}",
            hint=f"Use {use}.",
        )
        return None
    candidates = kinds.get(api) or {k: "" for ks in kinds.values() for k in ks}
    guess = _suggest(kind, candidates)
    hint = f"Did you mean `kind: {guess}`? Kinds are case-sensitive." if guess else (
        "Check the kind's spelling; if it was removed from Kubernetes, use its replacement."
    )
    w.add("unknown-kind", (*path, "kind"), f"{kind} is not a built-in kind of Kubernetes {v} (at {api})", hint=hint)
    return None


def check_schema(data: dict[str, Any], positions: Positions, k8s_version: str) -> list[Finding]:
    """Every schema problem in one document, in document order."""
    schema = load(k8s_version)
    w = _Walker(schema, positions)
    _check_document(w, data, schema["kinds"], ())
    return w.out


def _check_document(w: _Walker, data: Any, kinds: dict[str, dict[str, str]], path: Path) -> None:
    if not isinstance(data, dict):
        w.add("field-type", path, f"a Kubernetes object must be a mapping, found {_found(data)}")
        return
    if data.get("kind") == "List" and data.get("apiVersion") == "v1":
        # kubectl unpacks a v1 List and sends each item on its own.
        items = data.get("items")
        if items is not None and not isinstance(items, list):
            w.add("field-type", (*path, "items"), f"must be a list of objects, found {_found(items)}")
            return
        for i, item in enumerate(items or ()):
            _check_document(w, item, kinds, (*path, "items", i))
        return
    name = _resolve_kind(w, data, kinds, path)
    if name is not None:
        w.walk(data, name, path)
