"""The API server's create-time checks of one pod spec, run on the spec as it would be defaulted.

Closed sets the schema knows (pod restartPolicy, dnsPolicy, protocol, imagePullPolicy,
terminationMessagePolicy) are its `enum-value` findings and are not repeated here.
Defaulting matters: a volume with no source is an emptyDir, `protocol` is TCP,
probe timings of 0 become their defaults, `restartPolicy` is Always. So only
values that survive defaulting are judged here. Wrong types are the schema
stage's business and are skipped.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any

from course.checker.model import PodView, mapping, sequence
from course.checker.validation import _names as names
from course.checker.validation import _resources as res
from course.checker.validation._messages import (
    duplicate,
    forbidden,
    invalid,
    not_found,
    not_supported,
    required,
)
from course.checker.validation._names import quote
from course.findings import DOCS, Finding, Path, lookup_position

WORKLOAD_RESTART = {
    "Deployment": ("Always",),
    "ReplicaSet": ("Always",),
    "DaemonSet": ("Always",),
    "StatefulSet": ("Always",),
    "ReplicationController": ("Always",),
    "Job": ("OnFailure", "Never"),
    "CronJob": ("OnFailure", "Never"),
}
RESTART_POLICIES = ("Always", "OnFailure", "Never")
# Volume sources in the order the server counts them, with the path segment it reports
# (two of which are misspelt upstream: "downwarAPI" and "cephFS").
VOLUME_SOURCES = (
    ("emptyDir", "emptyDir"),
    ("hostPath", "hostPath"),
    ("gitRepo", "gitRepo"),
    ("gcePersistentDisk", "gcePersistentDisk"),
    ("awsElasticBlockStore", "awsElasticBlockStore"),
    ("secret", "secret"),
    ("nfs", "nfs"),
    ("iscsi", "iscsi"),
    ("glusterfs", "glusterfs"),
    ("flocker", "flocker"),
    ("persistentVolumeClaim", "persistentVolumeClaim"),
    ("rbd", "rbd"),
    ("cinder", "cinder"),
    ("cephfs", "cephFS"),
    ("quobyte", "quobyte"),
    ("downwardAPI", "downwarAPI"),
    ("fc", "fc"),
    ("flexVolume", "flexVolume"),
    ("configMap", "configMap"),
    ("azureFile", "azureFile"),
    ("vsphereVolume", "vsphereVolume"),
    ("photonPersistentDisk", "photonPersistentDisk"),
    ("portworxVolume", "portworxVolume"),
    ("azureDisk", "azureDisk"),
    ("storageos", "storageos"),
    ("projected", "projected"),
    ("scaleIO", "scaleIO"),
    ("csi", "csi"),
    ("ephemeral", "ephemeral"),
    ("image", "image"),
)
# Fields of the first volume source that the server requires.
# (field, whether the schema already requires it: then only an empty string is ours to report).
VOLUME_REQUIRED = {
    "configMap": (("name", False),),
    "secret": (("secretName", False),),
    "persistentVolumeClaim": (("claimName", True),),
    "hostPath": (("path", True),),
    "nfs": (("server", True), ("path", True)),
}
FILE_MODE_MSG = "must be a number between 0 and 0777 (octal), both inclusive"
PROJECTED_SOURCES = (
    "secret",
    "downwardAPI",
    "configMap",
    "serviceAccountToken",
    "clusterTrustBundle",
    "podCertificate",
)
MOUNT_PROPAGATIONS = ("Bidirectional", "HostToContainer", "None")
PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
LIFECYCLE_HANDLERS = ("exec", "httpGet", "tcpSocket", "sleep")
NONNEG_MSG = "must be greater than or equal to 0"
ENV_FIELD_PATHS = (
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
)
# Field labels the v1 downward API can convert at all; others fail before the allow-list.
DOWNWARD_CONVERTIBLE = (
    *ENV_FIELD_PATHS,
    "metadata.annotations",
    "metadata.labels",
    "spec.restartPolicy",
    "spec.schedulerName",
    "status.phase",
)
VOLUME_FIELD_PATHS = ("metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid")
RESOURCE_FIELD_REFS = (
    "limits.cpu",
    "limits.ephemeral-storage",
    "limits.memory",
    "requests.cpu",
    "requests.ephemeral-storage",
    "requests.memory",
)
ID_RANGE_MSG = "must be between 0 and 2147483647, inclusive"
WINDOWS_POD_SC = (
    "appArmorProfile",
    "seLinuxOptions",
    "seccompProfile",
    "fsGroup",
    "fsGroupChangePolicy",
    "runAsUser",
    "runAsGroup",
    "supplementalGroups",
    "supplementalGroupsPolicy",
    "seLinuxChangePolicy",
)
WINDOWS_CONTAINER_SC = (
    "appArmorProfile",
    "seLinuxOptions",
    "seccompProfile",
    "capabilities",
    "readOnlyRootFilesystem",
    "privileged",
    "allowPrivilegeEscalation",
    "procMount",
    "runAsUser",
    "runAsGroup",
)


def _version(text: object) -> tuple[int, int]:
    """(major, minor) of a version such as "1.37" or "v1.30.2"; newest when unreadable."""
    if isinstance(text, str):
        parts = text.lstrip("v").split(".")
        try:
            return int(parts[0]), int(parts[1])
        except (ValueError, IndexError):
            pass
    return (1, 99)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if names.is_int(value) else None


def _blank(d: dict[str, Any], key: str, in_schema: bool) -> bool:
    """Whether a required field is unset in a way that is ours to report.

    The schema stage reports required fields that are absent; an empty string
    passes it and is left to us. Fields the schema does not require are ours either way.
    """
    value = d.get(key)
    return value == "" if in_schema else value is None or value == ""


APPS_KINDS = ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet")
# Controller fields that must not be negative (`ValidateNonnegativeField`).
WORKLOAD_NONNEGATIVE = {
    "Deployment": ("replicas", "minReadySeconds", "revisionHistoryLimit", "progressDeadlineSeconds"),
    "ReplicaSet": ("replicas", "minReadySeconds"),
    "StatefulSet": ("replicas", "minReadySeconds"),
    "DaemonSet": ("minReadySeconds", "revisionHistoryLimit"),
    "ReplicationController": ("replicas", "minReadySeconds"),
}
JOB_NAME_LABELS = ("batch.kubernetes.io/job-name", "job-name")
ANNOTATIONS_MAX = 256 * 1024


def _matches_labels(want: dict[Any, Any], labels: dict[Any, Any]) -> bool:
    """Every string pair of `want` is in `labels` (null is the empty string; other types are
    type errors, judged elsewhere)."""
    for k, v in want.items():
        v = "" if v is None else v
        if isinstance(k, str) and isinstance(v, str):
            have = labels.get(k)
            if k not in labels or ("" if have is None else have) != v:
                return False
    return True


def _matches_expressions(exprs: list[Any], labels: dict[Any, Any]) -> bool | None:
    """Whether the label set satisfies every expression; None when one cannot be evaluated."""
    for e in exprs:
        if not isinstance(e, dict) or not isinstance(e.get("key"), str):
            return None
        key, op, values = e["key"], e.get("operator"), e.get("values")
        vals = values if isinstance(values, list) else []
        if op == "In":
            if key not in labels or labels[key] not in vals:
                return False
        elif op == "NotIn":
            if key in labels and labels[key] in vals:
                return False
        elif op == "Exists":
            if key not in labels:
                return False
        elif op == "DoesNotExist":
            if key in labels:
                return False
        else:
            return None
    return True


SYSCTL_SEGMENT = "[a-z0-9]([-_a-z0-9]*[a-z0-9])?"
SYSCTL_RE = re.compile(rf"^({SYSCTL_SEGMENT}[\./])*{SYSCTL_SEGMENT}$")
IPC_SYSCTLS = (
    "kernel.sem",
    "kernel.shmall",
    "kernel.shmmax",
    "kernel.shmmni",
    "kernel.shm_rmid_forced",
    "kernel.shm",
    "kernel.msgmax",
    "kernel.msgmnb",
    "kernel.msgmni",
    "kernel.msg",
)


def _sysctl_namespace(name: str) -> str:
    """The Linux namespace a sysctl belongs to ("net", "ipc", or "" for node-wide and others)."""
    sep = next((i for i, ch in enumerate(name) if ch in "./"), -1)
    if sep != -1 and name[sep] == "/":  # net/ipv4/ip_forward is written with slashes
        name = name.translate(str.maketrans("./", "/."))
    name = name.split("*", 1)[0]
    if name in IPC_SYSCTLS or name.startswith("fs.mqueue."):
        return "ipc"
    if name.startswith("net."):
        return "net"
    return ""


def _present(d: dict[str, Any], key: str) -> bool:
    """Set as the server sees it: JSON null is the same as absent."""
    return d.get(key) is not None


class Checker:
    """One pass over one pod spec; findings accumulate in `out`."""

    def __init__(self, pod: PodView) -> None:
        self.pod = pod
        self.spec = pod.spec
        self.out: list[Finding] = []
        self.version = _version(pod.options.k8s_version)
        self.is_pod = pod.kind == "Pod"
        rp = _str(self.spec.get("restartPolicy"))
        self.restart_policy = rp if rp else "Always"
        tgp = _int(self.spec.get("terminationGracePeriodSeconds"))
        self.grace = tgp if tgp is not None else 30

    # -- plumbing -------------------------------------------------------------------
    def add(
        self, rule: str, path: Path, message: str, *, where: Path | None = None, hint: str | None = None,
        docs: str | None = None,
    ) -> None:
        """Report at the server's `path`; `where` is the field to point at when that path is not
        one the document has (the server drops list indexes in a few of its paths)."""
        finding = self.pod.finding(rule, path, message, hint=hint, docs=docs)
        if where is not None:
            line, column = lookup_position(self.pod.positions, where)
            finding = dataclasses.replace(finding, line=line, column=column)
        self.out.append(finding)

    def at(self, *rel: str | int) -> Path:
        return self.pod.at(*rel)

    # -- entry --------------------------------------------------------------------
    def run(self) -> list[Finding]:
        self.metadata()
        if not self.workload():
            return self.out
        self.template_metadata()
        volumes = self.volumes()
        self.containers(volumes)
        self.pod_fields()
        self.security_context()
        self.scheduling()
        res.pod_resources(self)
        return self.out

    # -- metadata -------------------------------------------------------------------
    def metadata(self) -> None:
        top = mapping(self.pod.doc.get("metadata"))
        self._object_meta(top, ("metadata",), require_name=True)

    def template_metadata(self) -> None:
        """A pod template's labels and annotations, which the server reports at `<template>.labels`."""
        meta_path = self.pod.meta_path
        if meta_path == ("metadata",):
            return
        template = meta_path[:-1]
        self._labels(self.pod.metadata, (*template, "labels"), where=meta_path)
        self._annotations(self.pod.metadata, (*template, "annotations"), where=meta_path)
        self._job_labels((*template, "labels"))

    def _object_meta(self, meta: dict[str, Any], path: Path, *, require_name: bool) -> None:
        name, gen = meta.get("name"), meta.get("generateName")
        if require_name and name in (None, "") and gen in (None, ""):
            self.add("metadata-name", (*path, "name"), required("name or generateName is required"))
        if isinstance(name, str) and name:
            for msg in names.dns1123_subdomain(name):
                self.add("metadata-name", (*path, "name"), invalid(name, msg))
            if self.pod.kind == "CronJob" and len(name) > 52:
                # Its Jobs get an 11-character suffix and must still fit a 63-character label.
                self.add("metadata-name", (*path, "name"), invalid(name, names.max_len(52)))
        if isinstance(gen, str) and gen:
            for msg in names.generated_name_prefix(gen):
                self.add("metadata-name", (*path, "generateName"), invalid(gen, msg))
        ns = meta.get("namespace")
        if isinstance(ns, str) and ns:
            for msg in names.dns1123_label(ns):
                self.add("namespace-format", (*path, "namespace"), invalid(ns, msg))
        self._labels(meta, (*path, "labels"), where=path)
        self._annotations(meta, (*path, "annotations"), where=path)

    def _labels(self, meta: dict[str, Any], path: Path, *, where: Path) -> None:
        """`where` is the metadata's place in the document (a template's labels are reported elsewhere)."""
        self._label_map(mapping(meta.get("labels")), path, "label-format", "label", where=(*where, "labels"))

    def _label_map(self, labels: dict[Any, Any], path: Path, rule: str, what: str, *, where: Path) -> None:
        """Label-syntax keys and values; the server reports both at the map's own path."""
        for key, value in labels.items():
            if not isinstance(key, str):
                continue
            value = "" if value is None else value  # null decodes as the empty string
            for msg in names.qualified_name(key):
                self.add(rule, path, f"{invalid(key, msg)} (in the {what} key {quote(key)})", where=(*where, key))
            if isinstance(value, str):
                for msg in names.label_value(value):
                    self.add(
                        rule, path, f"{invalid(value, msg)} (in the value of {what} {quote(key)})", where=(*where, key)
                    )

    def _annotations(self, meta: dict[str, Any], path: Path, *, where: Path) -> None:
        """Annotation keys are qualified names with case ignored; all of them fit in 256 KiB."""
        annotations = mapping(meta.get("annotations"))
        size = 0
        for key, value in annotations.items():
            if not isinstance(key, str):
                continue
            size += len(key.encode()) + (len(value.encode()) if isinstance(value, str) else 0)
            for msg in names.qualified_name(key.lower()):
                self.add(
                    "annotation-format",
                    path,
                    f"{invalid(key, msg)} (in the annotation key {quote(key)})",
                    where=(*where, "annotations", key),
                )
        if size > ANNOTATIONS_MAX:
            self.add(
                "annotation-format",
                path,
                f"Too long: may not be more than {ANNOTATIONS_MAX} bytes (the annotations take {size} bytes)",
            )

    def _job_labels(self, path: Path) -> None:
        """A Job labels its pod template with its own name, which must then be a valid label value."""
        if self.pod.kind != "Job" or mapping(self.pod.doc.get("spec")).get("manualSelector") is True:
            return
        name = mapping(self.pod.doc.get("metadata")).get("name")
        labels = mapping(self.pod.metadata.get("labels"))
        if not isinstance(name, str) or not name or all(k in labels for k in JOB_NAME_LABELS):
            return
        for msg in names.label_value(name):
            self.add(
                "label-format",
                path,
                f"{invalid(name, msg)} (the Job adds the labels {' and '.join(JOB_NAME_LABELS)}: {quote(name)} "
                "to its pod template, so its name must also be a valid label value)",
                where=("metadata", "name"),
            )

    # -- workloads ------------------------------------------------------------------------------
    def workload(self) -> bool:
        """A controller's own fields; False when the server, finding the selector unusable,
        does not validate the pod template at all."""
        spec = mapping(self.pod.doc.get("spec"))
        for fld in WORKLOAD_NONNEGATIVE.get(self.pod.kind, ()):
            v = spec.get(fld)
            if names.is_int(v) and v < 0:
                self.add("workload-negative", ("spec", fld), invalid(v, NONNEG_MSG))
        if self.pod.kind == "Deployment":
            pds, mrs = _int(spec.get("progressDeadlineSeconds")), _int(spec.get("minReadySeconds")) or 0
            if pds is not None and pds >= 0 and pds <= mrs:
                self.add(
                    "workload-negative",
                    ("spec", "progressDeadlineSeconds"),
                    invalid(pds, "must be greater than minReadySeconds"),
                )
        return self.selector()

    def selector(self) -> bool:
        """A controller's selector must be valid and pick its own template's pods."""
        kind = self.pod.kind
        spec = mapping(self.pod.doc.get("spec"))
        labels = mapping(self.pod.metadata.get("labels"))
        lpath = (*self.pod.meta_path, "labels")
        mismatch = invalid(labels, "`selector` does not match template `labels`")
        if kind == "ReplicationController":
            sel = spec.get("selector")
            if sel in (None, {}) and isinstance(self.pod.metadata.get("labels"), dict):
                sel = labels  # defaulted from the template's labels
            if sel in (None, {}):
                self.add(
                    "selector-mismatch",
                    ("spec", "selector"),
                    required("the selector is empty and the pod template has no labels to default it from"),
                )
            elif isinstance(sel, dict) and not _matches_labels(sel, labels):
                self.add("selector-mismatch", lpath, mismatch)
            return True
        if kind not in APPS_KINDS:
            return True
        sel = spec.get("selector")
        if sel is None:
            # In apps/v1 no selector selects nothing, not even the template's own pods (the old beta
            # APIs defaulted it from the template's labels). The schema stage reports the missing
            # field, except for a DaemonSet, whose selector the server does not require.
            if self.pod.doc.get("apiVersion") == "apps/v1":
                self.add("selector-mismatch", lpath, mismatch + ": spec.selector is missing, so it selects no pods")
            return True
        if not isinstance(sel, dict):
            return True
        bad = self._label_selector(sel, ("spec", "selector"))
        match_labels = sel.get("matchLabels")
        exprs = sel.get("matchExpressions")
        if not mapping(match_labels) and not sequence(exprs):
            if match_labels in (None, {}) and exprs in (None, []):
                self.add(
                    "selector-mismatch",
                    ("spec", "selector"),
                    invalid(sel, f"empty selector is invalid for {kind.lower()}"),
                )
            return True
        if bad:
            if kind == "DaemonSet":
                return True  # the template is still validated, only not matched against the selector
            self.add(
                "selector-format",
                ("spec", "selector"),
                invalid(sel, "invalid label selector")
                + " (the API server checks nothing in the pod template until the selector is valid)",
            )
            return False
        if not _matches_labels(mapping(match_labels), labels):
            ok = False
        else:
            ok = _matches_expressions(sequence(exprs), labels)
        if ok is False:
            self.add(
                "selector-mismatch",
                lpath,
                mismatch + ": every matchLabels entry of spec.selector must appear in the template's labels",
            )
        return True

    def _label_selector(self, sel: dict[str, Any], base: Path) -> int:
        """`ValidateLabelSelector`: label syntax and well-formed expressions; the number of errors."""
        before = len(self.out)
        self._label_map(
            mapping(sel.get("matchLabels")), (*base, "matchLabels"), "selector-format", "selector label",
            where=(*base, "matchLabels"),
        )
        for i, expr in enumerate(sequence(sel.get("matchExpressions"))):
            if not isinstance(expr, dict):
                continue
            where = (*base, "matchExpressions", i)
            op = expr.get("operator")
            values = sequence(expr.get("values"))
            if op in ("In", "NotIn"):
                if not values:
                    self.add(
                        "selector-format",
                        (*where, "values"),
                        required("must be specified when `operator` is 'In' or 'NotIn'"),
                    )
            elif op in ("Exists", "DoesNotExist"):
                if values:
                    self.add(
                        "selector-format",
                        (*where, "values"),
                        forbidden("may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
                    )
            elif isinstance(op, str):
                self.add("selector-format", (*where, "operator"), invalid(op, "not a valid selector operator"))
            key = expr.get("key")
            if isinstance(key, str):
                for msg in names.qualified_name(key):
                    self.add("selector-format", (*where, "key"), invalid(key, msg))
            for j, v in enumerate(values):
                if isinstance(v, str):
                    for msg in names.label_value(v):
                        self.add("selector-format", (*where, "values", j), invalid(v, msg))
        return len(self.out) - before

    # -- volumes --------------------------------------------------------------------
    def volumes(self) -> dict[str, dict[str, Any]]:
        """Volumes that pass validation, by name: mounts of any other name are not found."""
        good: dict[str, dict[str, Any]] = {}
        seen: set[str] = set()
        for i, vol in enumerate(sequence(self.spec.get("volumes"))):
            if not isinstance(vol, dict):
                continue
            before = len(self.out)
            silently_bad = self._volume_source(vol, i)
            name = vol.get("name")
            npath = self.at("volumes", i, "name")
            if name == "":
                self.add("volume-name-format", npath, required())
            elif isinstance(name, str):
                for msg in names.dns1123_label(name):
                    self.add("volume-name-format", npath, invalid(name, msg))
                if name in seen:
                    self.add(
                        "volume-name-duplicate",
                        npath,
                        duplicate(name) + ": volume names must be unique within a pod",
                    )
            else:
                continue
            if len(self.out) == before and not silently_bad and isinstance(name, str):
                seen.add(name)
                good[name] = vol
        if self.pod.kind == "StatefulSet":
            # The StatefulSet's claim templates become volumes of each pod, so mounts may name them.
            for claim in sequence(mapping(self.pod.doc.get("spec")).get("volumeClaimTemplates")):
                cname = mapping(mapping(claim).get("metadata")).get("name")
                if isinstance(cname, str) and cname:
                    good.setdefault(cname, {"persistentVolumeClaim": {"claimName": cname}})
        return good

    def _volume_source(self, vol: dict[str, Any], i: int) -> bool:
        """Check a volume's source; True when it is invalid for a reason the schema stage reports."""
        first: str | None = None
        for key, seg in VOLUME_SOURCES:
            if not _present(vol, key):
                continue
            if first is not None:
                self.add(
                    "volume-source-count",
                    self.at("volumes", i, seg),
                    forbidden(f"may not specify more than 1 volume type (this volume already uses {first})"),
                )
                continue
            first = key
        src = mapping(vol.get(first)) if first else {}
        base = self.at("volumes", i, first) if first else self.at("volumes", i)
        silently_bad = False
        for fld, in_schema in VOLUME_REQUIRED.get(first or "", ()):
            if _blank(src, fld, in_schema):
                self.add("volume-source-field", (*base, fld), required())
            elif in_schema and src.get(fld) is None:
                silently_bad = True  # the schema stage reports the missing field; the volume is still invalid
        if first in ("configMap", "secret", "downwardAPI", "projected"):
            self._file_mode(src.get("defaultMode"), (*base, "defaultMode"))
        if first in ("configMap", "secret"):
            for j, item in enumerate(sequence(src.get("items"))):
                if isinstance(item, dict):
                    self._key_to_path(item, (*base, "items", j))
        elif first == "downwardAPI":
            for j, item in enumerate(sequence(src.get("items"))):
                if isinstance(item, dict):
                    # The server drops the item's index from these paths.
                    self._downward_file(item, base, where=(*base, "items", j))
        elif first == "projected":
            self._projected(src, base)
        if first == "emptyDir" and "sizeLimit" in src and src["sizeLimit"] is not None:
            q = src["sizeLimit"]
            if isinstance(q, (str, int, float)) and not isinstance(q, bool):
                try:
                    value = res.parse_quantity(q)
                except res.QuantityError as exc:
                    self.add("empty-dir-size-limit", (*base, "sizeLimit"), invalid(q, str(exc)))
                else:
                    if value < 0:
                        self.add(
                            "empty-dir-size-limit",
                            (*base, "sizeLimit"),
                            forbidden("SizeLimit field must be a valid resource quantity (it is negative)"),
                        )
        return silently_bad

    def _file_mode(self, mode: Any, path: Path) -> None:
        mode = _int(mode)
        if mode is not None and not 0 <= mode <= 0o777:
            self.add("volume-source-field", path, invalid(mode, FILE_MODE_MSG))

    def _key_to_path(self, item: dict[str, Any], where: Path) -> str | None:
        """One `items` entry of a configMap or secret; its path when it has one."""
        for fld in ("key", "path"):
            if item.get(fld) in (None, ""):
                self.add("volume-source-field", (*where, fld), required())
        path = item.get("path")
        if isinstance(path, str) and path:
            self._local_path(path, (*where, "path"))
        self._file_mode(item.get("mode"), (*where, "mode"))
        return path if isinstance(path, str) and path else None

    def _local_path(self, value: str, path: Path, *, where: Path | None = None) -> None:
        """`ValidateLocalNonReservedPath`: a file inside the volume, so relative, without '..'."""
        self._descending(value, path, "volume-source-field", where=where)
        if value.startswith("..") and not value.startswith("../"):
            self.add("volume-source-field", path, invalid(value, "must not start with '..'"), where=where)

    def _downward_file(self, item: dict[str, Any], base: Path, *, where: Path) -> str | None:
        """One downward API file, reported at `base` (the server's path has no item index)."""
        path = item.get("path")
        if path in (None, ""):
            self.add("volume-source-field", (*base, "path"), required(), where=where)
        elif isinstance(path, str):
            self._local_path(path, (*base, "path"), where=(*where, "path"))
        fr, rf = item.get("fieldRef"), item.get("resourceFieldRef")
        if isinstance(fr, dict):
            self._object_field(fr, (*base, "fieldRef"), VOLUME_FIELD_PATHS, "volume-source-field",
                               where=(*where, "fieldRef"))
            if rf is not None:
                self.add(
                    "volume-source-field",
                    base,
                    invalid("resource", "fieldRef and resourceFieldRef can not be specified simultaneously"),
                    where=where,
                )
        elif isinstance(rf, dict):
            self._resource_field(rf, (*base, "resourceFieldRef"), "volume-source-field", volume=True,
                                 where=(*where, "resourceFieldRef"))
        elif fr is None and rf is None:
            self.add("volume-source-field", base, required("one of fieldRef and resourceFieldRef is required"),
                     where=where)
        self._file_mode(item.get("mode"), (*base, "mode"))
        return path if isinstance(path, str) and path else None

    def _projected(self, src: dict[str, Any], base: Path) -> None:
        """A projected volume's sources; some errors are reported at the volume, as the server does."""
        paths: set[str] = set()

        def claim(path: str | None, shown: object, where: Path) -> None:
            if path is None:
                return
            if path in paths:
                self.add(
                    "projected-volume",
                    base,
                    invalid(shown, f"conflicting duplicate paths (two sources write the file {quote(path)})"),
                    where=where,
                )
            paths.add(path)

        for i, source in enumerate(sequence(src.get("sources"))):
            if not isinstance(source, dict):
                continue
            spath = (*base, "sources", i)
            kinds = [k for k in PROJECTED_SOURCES if _present(source, k)]
            for kind in ("secret", "configMap"):
                ref = source.get(kind)
                if not isinstance(ref, dict):
                    continue
                if ref.get("name") in (None, ""):
                    self.add("projected-volume", (*spath, kind, "name"), required())
                for j, item in enumerate(sequence(ref.get("items"))):
                    if isinstance(item, dict):
                        where = (*spath, kind, "items", j)
                        claim(self._key_to_path(item, where), ref.get("name") or "", where)
            dapi = source.get("downwardAPI")
            if isinstance(dapi, dict):
                for j, item in enumerate(sequence(dapi.get("items"))):
                    if isinstance(item, dict):
                        where = (*spath, "downwardAPI", "items", j)
                        p = self._downward_file(item, (*spath, "downwardAPI"), where=where)
                        claim(p, p, where)
            token = source.get("serviceAccountToken")
            if isinstance(token, dict):
                tpath = (*spath, "serviceAccountToken")
                exp = _int(token.get("expirationSeconds"))  # null or absent is defaulted to 3600
                if exp is not None and exp < 600:
                    self.add(
                        "projected-volume",
                        (*tpath, "expirationSeconds"),
                        invalid(exp, "may not specify a duration less than 10 minutes"),
                    )
                if exp is not None and exp > 2**32:
                    self.add(
                        "projected-volume",
                        (*tpath, "expirationSeconds"),
                        invalid(exp, "may not specify a duration larger than 2^32 seconds"),
                    )
                tp = token.get("path")
                # The server reports the token's path at the projected volume itself.
                if tp in (None, ""):
                    self.add(
                        "projected-volume",
                        (*base, "path"),
                        required(f"sources[{i}].serviceAccountToken.path names the token's file"),
                        where=(*tpath, "path"),
                    )
                elif isinstance(tp, str):
                    self._local_path(tp, (*base, "path"), where=(*tpath, "path"))
            if len(kinds) > 1:
                self.add(
                    "projected-volume",
                    spath,
                    forbidden(f"may not specify more than 1 volume type per source (found {', '.join(kinds)})"),
                )

    # -- containers -------------------------------------------------------------------
    def containers(self, volumes: dict[str, dict[str, Any]]) -> None:
        regular = sequence(self.spec.get("containers"))
        if "containers" in self.spec and isinstance(self.spec.get("containers"), list) and not regular:
            self.add("containers-required", self.at("containers"), required("a pod needs at least one container"))
        seen: set[str] = set()
        for i, c in enumerate(regular):
            if not isinstance(c, dict):
                continue
            self._common(c, ("containers", i), volumes)
            name = c.get("name")
            if isinstance(name, str):
                if name in seen:
                    self.add(
                        "container-name-duplicate",
                        self.at("containers", i, "name"),
                        duplicate(name) + ": container names must be unique within a pod",
                    )
                seen.add(name)
            self._hooks_and_probes(c, ("containers", i))
            self._container_restart_policy(c, ("containers", i), init=False)
        self._host_port_conflicts(
            [(i, c) for i, c in enumerate(regular) if isinstance(c, dict)], "containers", per_container=False
        )

        all_names = {c.get("name") for c in regular if isinstance(c, dict) and isinstance(c.get("name"), str)}
        for i, c in enumerate(sequence(self.spec.get("initContainers"))):
            if not isinstance(c, dict):
                continue
            where = ("initContainers", i)
            self._common(c, where, volumes)
            sidecar = self._container_restart_policy(c, where, init=True)
            name = c.get("name")
            if isinstance(name, str):
                if name in all_names:
                    self.add(
                        "container-name-duplicate",
                        self.at(*where, "name"),
                        duplicate(name) + ": container names must be unique across initContainers and containers",
                    )
                elif name:
                    all_names.add(name)
            self._host_port_conflicts([(i, c)], "initContainers", per_container=True)
            if sidecar:
                self._hooks_and_probes(c, where)
            else:
                why = "may not be set for init containers without restartPolicy=Always"
                if _present(c, "lifecycle"):
                    self.add(
                        "init-container-lifecycle",
                        self.at(*where, "lifecycle"),
                        forbidden(f"{why}; only sidecar init containers can have lifecycle hooks"),
                    )
                for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                    if _present(c, probe):
                        self.add(
                            "init-container-probe",
                            self.at(*where, probe),
                            forbidden(f"{why}; an init container runs to completion, so it cannot be probed"),
                        )

        if _present(self.spec, "ephemeralContainers") and sequence(self.spec.get("ephemeralContainers")):
            detail = (
                "cannot be set on create; add them later with kubectl debug"
                if self.is_pod
                else "ephemeral containers not allowed in pod template"
            )
            self.add("ephemeral-containers-forbidden", self.at("ephemeralContainers"), forbidden(detail))

    def _container_restart_policy(self, c: dict[str, Any], where: Path, *, init: bool) -> bool:
        """Check a container-level restartPolicy; True when it makes an init container a sidecar."""
        rp = c.get("restartPolicy")
        if rp is None or not isinstance(rp, str):
            return False
        path = self.at(*where, "restartPolicy")
        rules_on = self.version >= (1, 35)  # ContainerRestartRules beta, on by default
        if init:
            allowed = RESTART_POLICIES if rules_on else ("Always",)
            if rp not in allowed:
                self.add("container-restart-policy", path, not_supported(rp, allowed))
            return rp == "Always"
        if rules_on:
            if rp not in RESTART_POLICIES:
                self.add("container-restart-policy", path, not_supported(rp, RESTART_POLICIES))
        else:
            self.add(
                "container-restart-policy",
                path,
                forbidden("may not be set for non-init containers; set restartPolicy on the pod instead"),
            )
        return False

    def _common(self, c: dict[str, Any], where: Path, volumes: dict[str, dict[str, Any]]) -> None:
        name = c.get("name")
        if name == "":
            self.add("container-name-format", self.at(*where, "name"), required())
        elif isinstance(name, str):
            for msg in names.dns1123_label(name):
                self.add("container-name-format", self.at(*where, "name"), invalid(name, msg))
        image = c.get("image")
        if image is None or image == "":
            self.add("image-required", self.at(*where, "image"), required("every container needs an image"))
        elif isinstance(image, str) and self.is_pod and image != image.strip():
            self.add(
                "image-whitespace",
                self.at(*where, "image"),
                invalid(image, "must not have leading or trailing whitespace"),
            )
        self._ports(c, where)
        self._env(c, where)
        self._mounts(c, where, volumes)
        res.container_resources(self, c, where)
        self._container_security(c, where)

    # -- ports ----------------------------------------------------------------------
    def _ports(self, c: dict[str, Any], where: Path) -> None:
        seen: set[str] = set()
        for j, p in enumerate(sequence(c.get("ports"))):
            if not isinstance(p, dict):
                continue
            base = (*where, "ports", j)
            name = p.get("name")
            if isinstance(name, str) and name:
                msgs = names.port_name(name)
                for msg in msgs:
                    self.add("port-name-format", self.at(*base, "name"), invalid(name, msg))
                if not msgs:
                    if name in seen:
                        self.add(
                            "port-name-duplicate",
                            self.at(*base, "name"),
                            duplicate(name) + ": port names must be unique within a container",
                        )
                    seen.add(name)
            cp = p.get("containerPort")
            if names.is_int(cp) and cp == 0:
                self.add("port-range", self.at(*base, "containerPort"), required())
            elif names.is_int(cp):
                for msg in names.port_number(cp):
                    self.add("port-range", self.at(*base, "containerPort"), invalid(cp, msg))
            hp = p.get("hostPort")
            if names.is_int(hp) and hp != 0:
                for msg in names.port_number(hp):
                    self.add("port-range", self.at(*base, "hostPort"), invalid(hp, msg))

    def _host_port_conflicts(
        self, containers: list[tuple[int, dict[str, Any]]], field: str, *, per_container: bool
    ) -> None:
        """Same hostPort+protocol+hostIP twice is a conflict; init containers are checked one by one.

        The server checks each init container alone and reports it as index 0; we keep its path.
        """
        seen: set[str] = set()
        for i, c in containers:
            idx = 0 if per_container else i
            for j, p in enumerate(sequence(c.get("ports"))):
                if not isinstance(p, dict):
                    continue
                hp = p.get("hostPort")
                if not names.is_int(hp) or hp == 0:
                    continue
                proto = _str(p.get("protocol")) or "TCP"
                host_ip = _str(p.get("hostIP")) or ""
                key = f"{proto}/{host_ip}/{hp}"
                if key in seen:
                    self.add(
                        "host-port-conflict",
                        self.at(field, idx, "ports", j, "hostPort"),
                        duplicate(key) + ": two ports in this pod claim the same hostPort, protocol and hostIP",
                    )
                seen.add(key)

    # -- env --------------------------------------------------------------------------
    def _env(self, c: dict[str, Any], where: Path) -> None:
        relaxed = self.version >= (1, 32)
        for j, ev in enumerate(sequence(c.get("env"))):
            if not isinstance(ev, dict):
                continue
            base = (*where, "env", j)
            name = ev.get("name")
            if name == "":
                self.add("env-name", self.at(*base, "name"), required())
            elif isinstance(name, str):
                for msg in names.env_var_name(name, relaxed):
                    self.add("env-name", self.at(*base, "name"), invalid(name, msg))
            vf = ev.get("valueFrom")
            if not isinstance(vf, dict):
                continue
            vpath = self.at(*base, "valueFrom")
            sources = [
                k for k in ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef") if _present(vf, k)
            ]
            value = ev.get("value")
            if not sources:
                self.add(
                    "env-value-source",
                    vpath,
                    invalid(
                        "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"
                    ),
                )
            elif isinstance(value, str) and value:
                self.add(
                    "env-value-source",
                    vpath,
                    invalid("", "may not be specified when `value` is not empty; use either value or valueFrom"),
                )
            elif len(sources) > 1:
                self.add(
                    "env-value-source",
                    vpath,
                    invalid("", f"may not have more than one field specified at a time (found {', '.join(sources)})"),
                )
            for kind in ("configMapKeyRef", "secretKeyRef"):
                ref = vf.get(kind)
                if not isinstance(ref, dict):
                    continue
                rname = ref.get("name", "")
                if isinstance(rname, str):
                    for msg in names.dns1123_subdomain(rname):
                        self.add("env-value-source", (*vpath, kind, "name"), invalid(rname, msg))
                if ref.get("key") == "":
                    self.add("env-value-source", (*vpath, kind, "key"), required())
            self._field_ref(vf, vpath)
        for j, ef in enumerate(sequence(c.get("envFrom"))):
            if not isinstance(ef, dict):
                continue
            base = (*where, "envFrom", j)
            prefix = ef.get("prefix")
            if isinstance(prefix, str) and prefix:
                for msg in names.env_var_name(prefix, relaxed):
                    self.add("env-name", self.at(*base, "prefix"), invalid(prefix, msg))
            sources = [k for k in ("configMapRef", "secretRef") if _present(ef, k)]
            # The server reports these at envFrom without the index.
            if not sources:
                self.add(
                    "env-value-source",
                    self.at(*where, "envFrom"),
                    invalid("", f"must specify one of: `configMapRef` or `secretRef` (in envFrom[{j}])"),
                )
            elif len(sources) > 1:
                self.add(
                    "env-value-source",
                    self.at(*where, "envFrom"),
                    invalid("", f"may not have more than one field specified at a time (in envFrom[{j}])"),
                )
            for kind in sources:
                ref = mapping(ef.get(kind))
                rname = ref.get("name")
                if _blank(ref, "name", False):
                    self.add("env-value-source", self.at(*base, kind, "name"), required())
                elif isinstance(rname, str):
                    for msg in names.generated_name_prefix(rname):
                        self.add("env-value-source", self.at(*base, kind, "name"), invalid(rname, msg))

    def _field_ref(self, vf: dict[str, Any], vpath: Path) -> None:
        fr = vf.get("fieldRef")
        if isinstance(fr, dict):
            self._object_field(fr, (*vpath, "fieldRef"), ENV_FIELD_PATHS, "env-field-path")
        rf = vf.get("resourceFieldRef")
        if isinstance(rf, dict):
            self._resource_field(rf, (*vpath, "resourceFieldRef"), "env-field-path", volume=False)

    def _object_field(
        self, fr: dict[str, Any], base: Path, allowed: tuple[str, ...], rule: str, *, where: Path | None = None
    ) -> None:
        """A downward API fieldRef (`validateObjectFieldSelector`); `base` is the fieldRef's path."""
        fp, api = fr.get("fieldPath"), fr.get("apiVersion")
        fpath = (*base, "fieldPath")
        fwhere = (*where, "fieldPath") if where else None
        if fp in (None, ""):
            self.add(rule, fpath, required(), where=fwhere)
            return
        if not isinstance(fp, str):
            return
        if isinstance(api, str) and api not in ("", "v1"):  # absent or empty is defaulted to v1
            self.add(rule, fpath, invalid(fp, f"error converting fieldPath: unsupported pod version: {api}"),
                     where=fwhere)
            return
        bare, subscript = fp, None
        if fp.endswith("']") and "['" in fp[:-2] and not fp.startswith("['"):
            bare, subscript = fp[:-2].split("['", 1)
        if subscript is not None and bare not in ("metadata.annotations", "metadata.labels"):
            problem = f"field label does not support subscript: {fp}"
        elif subscript is None and bare not in DOWNWARD_CONVERTIBLE and bare != "spec.host":
            problem = f"field label not supported: {fp}"
        else:
            problem = ""
        if problem:
            self.add(rule, fpath, invalid(fp, f"error converting fieldPath: {problem}"), where=fwhere)
            return
        if subscript is not None:
            key = subscript.lower() if bare == "metadata.annotations" else subscript
            for msg in names.qualified_name(key):
                self.add(rule, base, invalid(subscript, msg), where=where)
            return
        internal = "spec.nodeName" if bare == "spec.host" else bare
        if internal not in allowed:
            self.add(rule, fpath, not_supported(internal, allowed), where=fwhere)

    def _resource_field(
        self, rf: dict[str, Any], base: Path, rule: str, *, volume: bool, where: Path | None = None
    ) -> None:
        """A downward API resourceFieldRef; a volume's must name its container."""
        r = rf.get("resource")
        if volume and rf.get("containerName") in (None, ""):
            self.add(rule, (*base, "containerName"), required(), where=(*where, "containerName") if where else None)
        elif r in (None, ""):
            self.add(rule, (*base, "resource"), required(), where=(*where, "resource") if where else None)
        elif (
            isinstance(r, str)
            and r not in RESOURCE_FIELD_REFS
            and not r.startswith(("requests.hugepages-", "limits.hugepages-"))
        ):
            self.add(rule, (*base, "resource"), not_supported(r, RESOURCE_FIELD_REFS),
                     where=(*where, "resource") if where else None)

    # -- volume mounts ------------------------------------------------------------------
    def _mounts(self, c: dict[str, Any], where: Path, volumes: dict[str, dict[str, Any]]) -> None:
        seen_paths: set[str] = set()
        for j, m in enumerate(sequence(c.get("volumeMounts"))):
            if not isinstance(m, dict):
                continue
            base = (*where, "volumeMounts", j)
            name = m.get("name")
            if name == "":
                self.add("volume-mount-unknown", self.at(*base, "name"), required())
            if isinstance(name, str) and name not in volumes:
                self.add(
                    "volume-mount-unknown",
                    self.at(*base, "name"),
                    not_found(name) + ": no valid volume of this name in spec.volumes",
                )
            mp = m.get("mountPath")
            if mp == "":
                self.add("mount-path-required", self.at(*base, "mountPath"), required())
            if isinstance(mp, str):
                key = mp
                if key in seen_paths:
                    self.add(
                        "mount-path-duplicate",
                        self.at(*base, "mountPath"),
                        invalid(key, "must be unique; two mounts in one container cannot share a mountPath"),
                    )
                seen_paths.add(key)
            # The server reports the checks below at `volumeMounts.<field>`, without the mount's index.
            mounts = self.at(*where, "volumeMounts")
            prop = m.get("mountPropagation")
            if isinstance(prop, str):
                ppath = (*mounts, "mountPropagation")
                if prop not in MOUNT_PROPAGATIONS:
                    self.add("mount-propagation", ppath, not_supported(prop, MOUNT_PROPAGATIONS),
                             where=self.at(*base, "mountPropagation"))
                elif prop == "Bidirectional" and mapping(c.get("securityContext")).get("privileged") is not True:
                    self.add(
                        "mount-propagation",
                        ppath,
                        forbidden("Bidirectional mount propagation is available only to privileged containers"),
                        where=self.at(*base, "mountPropagation"),
                    )
            rro = m.get("recursiveReadOnly")
            if isinstance(rro, str) and rro != "Disabled":
                rro_path = (*mounts, "recursiveReadOnly")
                rro_where = self.at(*base, "recursiveReadOnly")
                if rro not in ("Enabled", "IfPossible"):
                    self.add(
                        "recursive-read-only",
                        rro_path,
                        not_supported(rro, ("Disabled", "Enabled", "IfPossible")),
                        where=rro_where,
                    )
                else:
                    if m.get("readOnly") is not True:
                        msg = forbidden("may only be specified when readOnly is true")
                        self.add("recursive-read-only", rro_path, msg, where=rro_where)
                    if m.get("mountPropagation") not in (None, "None"):
                        self.add(
                            "recursive-read-only",
                            rro_path,
                            forbidden("may only be specified when mountPropagation is None or not specified"),
                            where=rro_where,
                        )
            sub, expr = m.get("subPath"), m.get("subPathExpr")
            if isinstance(sub, str) and sub:
                self._descending(sub, (*mounts, "subPath"), where=self.at(*base, "subPath"))
            if isinstance(expr, str) and expr:
                if isinstance(sub, str) and sub:
                    self.add(
                        "subpath-invalid",
                        self.at(*base, "subPathExpr"),
                        invalid(expr, "subPathExpr and subPath are mutually exclusive"),
                    )
                self._descending(expr, (*mounts, "subPathExpr"), where=self.at(*base, "subPathExpr"))

    def _descending(self, value: str, path: Path, rule: str = "subpath-invalid", *, where: Path | None = None) -> None:
        """A path that must stay inside its base directory: relative, with no '..' step."""
        if value.startswith("/"):
            self.add(rule, path, invalid(value, "must be a relative path"), where=where)
        if ".." in value.replace("\\", "/").split("/"):
            self.add(rule, path, invalid(value, "must not contain '..'"), where=where)

    # -- probes and hooks -----------------------------------------------------------------
    def _hooks_and_probes(self, c: dict[str, Any], where: Path) -> None:
        lc = c.get("lifecycle")
        if isinstance(lc, dict):
            for hook in ("postStart", "preStop"):
                h = lc.get(hook)
                if isinstance(h, dict):
                    self._handler(h, (*where, "lifecycle", hook), LIFECYCLE_HANDLERS, "lifecycle-handler-count")
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            p = c.get(probe)
            if isinstance(p, dict):
                self._probe(p, (*where, probe), probe)

    def _handler(self, h: dict[str, Any], where: Path, kinds: tuple[str, ...], rule: str) -> None:
        found = [k for k in kinds if _present(h, k)]
        if not found:
            self.add(rule, self.at(*where), required("must specify a handler type (one of " + ", ".join(kinds) + ")"))
            return
        for extra in found[1:]:
            self.add(
                rule,
                self.at(*where, extra),
                forbidden(f"may not specify more than 1 handler type (already using {found[0]})"),
            )
        kind = found[0]
        body = h.get(kind)
        if not isinstance(body, dict):
            return
        hpath = (*where, kind)
        if kind == "exec":
            cmd = body.get("command")
            if cmd is None or cmd == []:
                self.add("handler-field", self.at(*hpath, "command"), required("exec needs a command to run"))
        elif kind in ("httpGet", "tcpSocket"):
            if "port" in body:
                self._port_num_or_name(body.get("port"), self.at(*hpath, "port"))
            if kind == "httpGet":
                scheme = body.get("scheme")
                if isinstance(scheme, str) and scheme and scheme not in ("HTTP", "HTTPS"):
                    self.add("handler-field", self.at(*hpath, "scheme"), not_supported(scheme, ("HTTP", "HTTPS")))
                for k, header in enumerate(sequence(body.get("httpHeaders"))):
                    hname = mapping(header).get("name")
                    hname = "" if hname is None else hname
                    if isinstance(hname, str):
                        # Reported at httpHeaders without the header's index, as the server does.
                        for msg in names.http_header_name(hname):
                            self.add(
                                "handler-field",
                                self.at(*hpath, "httpHeaders"),
                                invalid(hname, msg),
                                where=self.at(*hpath, "httpHeaders", k, "name"),
                            )
        elif kind == "grpc":
            port = body.get("port")
            if names.is_int(port):
                for msg in names.port_number(port):
                    self.add("handler-field", self.at(*hpath, "port"), invalid(port, msg))
        elif kind == "sleep":
            secs = _int(body.get("seconds"))
            if secs is not None and (secs < 0 or secs > self.grace):
                self.add(
                    "handler-field",
                    self.at(*hpath),
                    invalid(secs, f"must be non-negative and less than terminationGracePeriodSeconds ({self.grace})"),
                    hint=f"Sleep at most {self.grace} seconds, or raise spec.terminationGracePeriodSeconds: the "
                    "kubelet kills the container when the grace period ends, whatever the hook is doing.",
                    docs=DOCS + "concepts/containers/container-lifecycle-hooks/",
                )

    def _port_num_or_name(self, port: Any, path: Path) -> None:
        if names.is_int(port):
            for msg in names.port_number(port):
                self.add("handler-field", path, invalid(port, msg))
        elif isinstance(port, str):
            for msg in names.port_name(port):
                self.add("handler-field", path, invalid(port, msg))

    def _probe(self, p: dict[str, Any], where: Path, kind: str) -> None:
        self._handler(p, where, PROBE_HANDLERS, "probe-handler-count")
        for fld in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"):
            v = _int(p.get(fld))
            if v is not None and v < 0:
                self.add("probe-timing", self.at(*where, fld), invalid(v, NONNEG_MSG))
        tg = p.get("terminationGracePeriodSeconds")
        if names.is_int(tg) and tg <= 0:
            self.add(
                "probe-timing", self.at(*where, "terminationGracePeriodSeconds"), invalid(tg, "must be greater than 0")
            )
        if kind == "readinessProbe" and names.is_int(tg):
            self.add(
                "readiness-probe-grace-period",
                self.at(*where, "terminationGracePeriodSeconds"),
                invalid(tg, "must not be set for readinessProbes"),
            )
        st = _int(p.get("successThreshold"))
        if kind != "readinessProbe" and st is not None and st not in (0, 1):
            self.add(
                "probe-success-threshold",
                self.at(*where, "successThreshold"),
                invalid(st, f"must be 1 (a {kind} succeeds after a single success)"),
            )

    # -- security context -----------------------------------------------------------------
    def _container_security(self, c: dict[str, Any], where: Path) -> None:
        sc = c.get("securityContext")
        if not isinstance(sc, dict):
            return
        base = (*where, "securityContext")
        for fld in ("runAsUser", "runAsGroup"):
            self._id_range(sc.get(fld), self.at(*base, fld))
        ape = sc.get("allowPrivilegeEscalation")
        if ape is False:
            if sc.get("privileged") is True:
                self.add(
                    "privilege-escalation-conflict",
                    self.at(*base),
                    "Invalid value: cannot set `allowPrivilegeEscalation` to false and `privileged` to true "
                    "(a privileged container can always escalate)",
                )
            caps = mapping(sc.get("capabilities"))
            if "CAP_SYS_ADMIN" in [x for x in sequence(caps.get("add")) if isinstance(x, str)]:
                self.add(
                    "privilege-escalation-conflict",
                    self.at(*base),
                    "Invalid value: cannot set `allowPrivilegeEscalation` to false and "
                    "`capabilities.Add` CAP_SYS_ADMIN",
                )
        self._seccomp(sc.get("seccompProfile"), (*base, "seccompProfile"))
        self._apparmor(sc.get("appArmorProfile"), (*base, "appArmorProfile"))
        pm = sc.get("procMount")
        if isinstance(pm, str):
            if pm not in ("Default", "Unmasked"):
                self.add("proc-mount", self.at(*base, "procMount"), not_supported(pm, ("Default", "Unmasked")))
            elif pm == "Unmasked" and self.spec.get("hostUsers") is not False:
                self.add(
                    "proc-mount",
                    self.at(*base, "procMount"),
                    invalid(pm, "`hostUsers` must be false to use `Unmasked`")
                    + " (an unmasked /proc is only allowed in a pod with its own user namespace)",
                )

    def _apparmor(self, ap: Any, where: Path) -> None:
        """`ValidateAppArmorProfileField`, for the pod and for each container."""
        if not isinstance(ap, dict):
            return
        t, lp = ap.get("type"), ap.get("localhostProfile")
        lpath = self.at(*where, "localhostProfile")
        if t == "Localhost":
            if lp is None or lp == "":
                self.add("apparmor-profile", lpath, required("must be set when AppArmor type is Localhost"))
            elif isinstance(lp, str):
                if lp.strip() != lp:
                    self.add("apparmor-profile", lpath, invalid(lp, "must not be padded with whitespace"))
                if len(lp.encode()) > 4095:
                    self.add("apparmor-profile", lpath, "Too long: may not be more than 4095 bytes")
        elif t in ("RuntimeDefault", "Unconfined"):
            if lp is not None:
                self.add("apparmor-profile", lpath, invalid(lp, "can only be set when AppArmor type is Localhost"))
        elif t == "":
            self.add(
                "apparmor-profile",
                self.at(*where, "type"),
                required("type is required when appArmorProfile is set"),
            )
        elif isinstance(t, str):
            self.add(
                "apparmor-profile",
                self.at(*where, "type"),
                not_supported(t, ("Localhost", "RuntimeDefault", "Unconfined")),
            )

    def _id_range(self, value: Any, path: Path) -> None:
        if names.is_int(value) and not 0 <= value <= 2147483647:
            self.add("run-as-id-range", path, invalid(value, ID_RANGE_MSG))

    def _seccomp(self, sp: Any, where: Path) -> None:
        if not isinstance(sp, dict):
            return
        t = sp.get("type")
        allowed = ("Localhost", "RuntimeDefault", "Unconfined")
        if t == "":
            self.add(
                "seccomp-profile", self.at(*where, "type"), required("type is required when seccompProfile is set")
            )
        elif isinstance(t, str) and t not in allowed:
            self.add("seccomp-profile", self.at(*where, "type"), not_supported(t, allowed))
        lp = sp.get("localhostProfile")
        if t == "Localhost":
            if lp is None:
                self.add(
                    "seccomp-profile",
                    self.at(*where, "localhostProfile"),
                    required("must be set when seccomp type is Localhost"),
                )
            elif isinstance(lp, str):
                self._descending(lp, self.at(*where, "localhostProfile"), "seccomp-profile")
        elif lp is not None and isinstance(t, str):
            self.add(
                "seccomp-profile",
                self.at(*where, "localhostProfile"),
                invalid(lp, "can only be set when seccomp type is Localhost"),
            )

    def security_context(self) -> None:
        sc = self.spec.get("securityContext")
        if isinstance(sc, dict):
            base = ("securityContext",)
            for fld in ("runAsUser", "runAsGroup", "fsGroup"):
                self._id_range(sc.get(fld), self.at(*base, fld))
            for g, gid in enumerate(sequence(sc.get("supplementalGroups"))):
                self._id_range(gid, self.at(*base, "supplementalGroups", g))
            self._seccomp(sc.get("seccompProfile"), (*base, "seccompProfile"))
            self._apparmor(sc.get("appArmorProfile"), (*base, "appArmorProfile"))
            self._sysctls(sequence(sc.get("sysctls")))
        self._host_process()
        if self.spec.get("hostUsers") is False:
            # User namespaces cannot be combined with the host's namespaces. (`HostPID`/`HostIPC`
            # are capitalised in the server's own paths.)
            for fld, shown in (("hostNetwork", "hostNetwork"), ("hostPID", "HostPID"), ("hostIPC", "HostIPC")):
                if self.spec.get(fld) is True:
                    self.add(
                        "host-users-conflict",
                        self.at(shown),
                        forbidden(
                            "when `pod.Spec.HostUsers` is false (a user-namespaced pod cannot share host namespaces)"
                        ),
                    )
        if self.spec.get("shareProcessNamespace") is True and self.spec.get("hostPID") is True:
            self.add(
                "share-process-namespace-host-pid",
                self.at("shareProcessNamespace"),
                invalid(True, "ShareProcessNamespace and HostPID cannot both be enabled"),
            )
        self._os()

    def _sysctls(self, sysctls: list[Any]) -> None:
        seen: set[str] = set()
        for i, item in enumerate(sysctls):
            name = mapping(item).get("name")
            path = self.at("securityContext", "sysctls", i, "name")
            if name is None or name == "":
                self.add("sysctl-invalid", path, required())
                continue
            if not isinstance(name, str):
                continue
            if len(name) > 253 or not SYSCTL_RE.match(name):
                msg = f"must have at most 253 characters and match regex {SYSCTL_RE.pattern}"
                self.add("sysctl-invalid", path, invalid(name, msg))
            elif name in seen:
                self.add("sysctl-invalid", path, duplicate(name))
            seen.add(name)
            ns = _sysctl_namespace(name)
            if self.spec.get("hostNetwork") is True and ns == "net":
                self.add("sysctl-invalid", path, invalid(name, "may not be specified when 'hostNetwork' is true"))
            elif self.spec.get("hostIPC") is True and ns == "ipc":
                self.add("sysctl-invalid", path, invalid(name, "may not be specified when 'hostIPC' is true"))

    def _host_process(self) -> None:
        """Windows HostProcess containers (`validateWindowsHostProcessPod`): all or none, with hostNetwork."""
        pod_hp = mapping(mapping(self.spec.get("securityContext")).get("windowsOptions")).get("hostProcess")
        pod_hp = pod_hp if isinstance(pod_hp, bool) else None
        count = hp_count = 0
        for fld in ("initContainers", "containers", "ephemeralContainers"):
            for i, c in enumerate(sequence(self.spec.get(fld))):
                if not isinstance(c, dict):
                    continue
                count += 1
                hp = mapping(mapping(c.get("securityContext")).get("windowsOptions")).get("hostProcess")
                hp = hp if isinstance(hp, bool) else None
                if pod_hp is not None and hp is not None and hp != pod_hp:
                    self.add(
                        "windows-host-process",
                        self.at(fld, i, "securityContext", "windowsOptions", "hostProcess"),
                        invalid(
                            hp, f"pod hostProcess value must be identical if both are specified, was {quote(pod_hp)}"
                        ),
                    )
                if hp is True or (hp is None and pod_hp is True):
                    hp_count += 1
        if not hp_count:
            return
        if hp_count != count:
            self.add(
                "windows-host-process",
                self.at(),
                invalid("", "If pod contains any hostProcess containers then all containers must be HostProcess "
                        f"containers ({hp_count} of {count} are)"),
            )
        if self.spec.get("hostNetwork") is not True:
            self.add(
                "windows-host-process",
                self.at("hostNetwork"),
                invalid(False, "hostNetwork must be true if pod contains any hostProcess containers"),
            )

    def _os(self) -> None:
        os_ = self.spec.get("os")
        if not isinstance(os_, dict):
            return
        name = os_.get("name")
        if name == "":
            self.add("os-name", self.at("os", "name"), required("cannot be empty"))
            return
        if not isinstance(name, str):
            return
        if name not in ("linux", "windows"):
            self.add("os-name", self.at("os"), not_supported(name, ("linux", "windows")))
            return
        psc = mapping(self.spec.get("securityContext"))
        where: list[tuple[Path, dict[str, Any]]] = []
        for fld in ("initContainers", "containers", "ephemeralContainers"):
            for i, c in enumerate(sequence(self.spec.get(fld))):
                if isinstance(c, dict) and isinstance(c.get("securityContext"), dict):
                    where.append(((fld, i, "securityContext"), c["securityContext"]))
        if name == "linux":
            msg = forbidden("windows options cannot be set for a linux pod")
            if _present(psc, "windowsOptions"):
                self.add("windows-pod-fields", self.at("securityContext", "windowsOptions"), msg)
            for path, sc in where:
                if _present(sc, "windowsOptions"):
                    self.add("windows-pod-fields", self.at(*path, "windowsOptions"), msg)
            return
        msg = forbidden("cannot be set for a windows pod")
        for fld in WINDOWS_POD_SC:
            if _present(psc, fld):
                self.add("windows-pod-fields", self.at("securityContext", fld), msg)
        if psc.get("sysctls"):
            self.add("windows-pod-fields", self.at("securityContext", "sysctls"), msg)
        if _present(psc, "hostUsers") or _present(self.spec, "hostUsers"):
            self.add("windows-pod-fields", self.at("hostUsers"), msg)
        for fld in ("hostPID", "hostIPC"):
            if self.spec.get(fld) is True:
                self.add("windows-pod-fields", self.at(fld), msg)
        if _present(self.spec, "shareProcessNamespace"):
            self.add("windows-pod-fields", self.at("shareProcessNamespace"), msg)
        for path, sc in where:
            for fld in WINDOWS_CONTAINER_SC:
                if _present(sc, fld):
                    self.add("windows-pod-fields", self.at(*path, fld), msg)

    # -- pod-level fields -----------------------------------------------------------------
    def pod_fields(self) -> None:
        spec = self.spec
        rp = spec.get("restartPolicy")
        allowed = WORKLOAD_RESTART.get(self.pod.kind)
        if allowed and (rp is None or isinstance(rp, str)) and self.restart_policy not in allowed:
            shown = self.restart_policy
            why = (
                "a Job's pods must finish, so its template needs restartPolicy OnFailure or Never"
                if self.pod.kind in ("Job", "CronJob")
                else f"a {self.pod.kind} keeps its pods running, so its template needs restartPolicy Always"
            )
            self.add("workload-restart-policy", self.at("restartPolicy"), f"{not_supported(shown, allowed)}: {why}")
        dp = spec.get("dnsPolicy")
        self._dns_config(dp)
        ads = spec.get("activeDeadlineSeconds")
        if names.is_int(ads) and not 1 <= ads <= 2147483647:
            self.add(
                "active-deadline",
                self.at("activeDeadlineSeconds"),
                invalid(ads, "must be between 1 and 2147483647, inclusive"),
            )
        for fld in ("hostname", "subdomain"):
            v = spec.get(fld)
            if isinstance(v, str) and v:
                for msg in names.dns1123_label(v):
                    self.add("hostname-format", self.at(fld), invalid(v, msg))
        for fld in ("serviceAccountName", "nodeName", "priorityClassName", "runtimeClassName"):
            v = spec.get(fld)
            if isinstance(v, str) and (v or fld == "runtimeClassName"):
                for msg in names.dns1123_subdomain(v):
                    self.add("object-name-format", self.at(fld), invalid(v, msg))
        for i, gate in enumerate(sequence(spec.get("readinessGates"))):
            ct = mapping(gate).get("conditionType")
            if isinstance(ct, str):
                for msg in names.qualified_name(ct):
                    self.add("readiness-gate-format", self.at("readinessGates", i, "conditionType"), invalid(ct, msg))
        hn = spec.get("hostNetwork") is True
        if hn:
            for i, c in enumerate(sequence(spec.get("containers"))):
                for j, p in enumerate(sequence(mapping(c).get("ports"))):
                    p = mapping(p)
                    hp, cp = p.get("hostPort"), p.get("containerPort")
                    if names.is_int(hp) and names.is_int(cp) and hp != 0 and hp != cp:
                        self.add(
                            "host-network-ports",
                            self.at("containers", i, "ports", j, "hostPort"),
                            invalid(hp, "must match `containerPort` when `hostNetwork` is true"),
                        )

    def _dns_config(self, dns_policy: Any) -> None:
        cfg = self.spec.get("dnsConfig")
        if dns_policy == "None":
            if cfg is None:
                self.add(
                    "dns-config", self.at("dnsConfig"), required("must provide `dnsConfig` when `dnsPolicy` is None")
                )
                return
            if (
                isinstance(cfg, dict)
                and not sequence(cfg.get("nameservers"))
                and not isinstance(cfg.get("nameservers"), (str, dict))
            ):
                self.add(
                    "dns-config",
                    self.at("dnsConfig", "nameservers"),
                    required("must provide at least one DNS nameserver when `dnsPolicy` is None"),
                )
                return
        if not isinstance(cfg, dict):
            return
        servers = sequence(cfg.get("nameservers"))
        if len(servers) > 3:
            self.add(
                "dns-config",
                self.at("dnsConfig", "nameservers"),
                invalid(servers, "must not have more than 3 nameservers"),
            )
        for i, ns in enumerate(servers):
            if isinstance(ns, str):
                for msg in names.ip_address(ns, strict=self.version >= (1, 36)):
                    self.add("dns-config", self.at("dnsConfig", "nameservers", i), invalid(ns, msg))
        searches = [s for s in sequence(cfg.get("searches")) if isinstance(s, str)]
        if len(searches) > 32:
            self.add(
                "dns-config",
                self.at("dnsConfig", "searches"),
                invalid(searches, "must not have more than 32 search paths"),
            )
        if len(" ".join(searches)) > 2048:
            self.add(
                "dns-config",
                self.at("dnsConfig", "searches"),
                invalid(searches, "must not have more than 2048 characters (including spaces) in the search list"),
            )
        for i, opt in enumerate(sequence(cfg.get("options"))):
            if isinstance(opt, dict) and (opt.get("name") is None or opt.get("name") == ""):
                self.add("dns-config", self.at("dnsConfig", "options", i), required("must not be empty"))

    # -- scheduling -----------------------------------------------------------------------
    def scheduling(self) -> None:
        spec = self.spec
        self._label_map(
            mapping(spec.get("nodeSelector")),
            self.at("nodeSelector"),
            "node-selector-format",
            "node label",
            where=self.at("nodeSelector"),
        )
        for i, t in enumerate(sequence(spec.get("tolerations"))):
            if isinstance(t, dict):
                self._toleration(t, ("tolerations", i))
        self._host_aliases()
        aff = spec.get("affinity")
        if isinstance(aff, dict):
            self._affinity(aff)
        self._spread()

    def _toleration(self, t: dict[str, Any], where: Path) -> None:
        key, op, value, effect = t.get("key"), t.get("operator"), t.get("value"), t.get("effect")
        key = key if isinstance(key, str) else ("" if key is None else None)
        op = op if isinstance(op, str) else ("" if op is None else None)
        value = value if isinstance(value, str) else ("" if value is None else None)
        effect = effect if isinstance(effect, str) else ("" if effect is None else None)
        rule = "toleration-invalid"
        if key:
            for msg in names.qualified_name(key):
                self.add(rule, self.at(*where, "key"), invalid(key, msg))
        if key == "" and op is not None and op != "Exists":
            self.add(
                rule,
                self.at(*where, "operator"),
                invalid(op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'),
            )
        if t.get("tolerationSeconds") is not None and effect is not None and effect != "NoExecute":
            self.add(
                rule,
                self.at(*where, "effect"),
                invalid(effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"),
            )
        if op in ("Equal", ""):
            if value:
                errs = names.label_value(value)
                if errs:
                    self.add(rule, self.at(*where, "operator"), invalid(value, ";".join(errs)))
        elif op == "Exists":
            if value:
                self.add(
                    rule, self.at(*where, "operator"), invalid(value, "value must be empty when `operator` is 'Exists'")
                )
        elif op in ("Gt", "Lt") and self.version >= (1, 35):
            # Numeric comparison (1.35+) needs the alpha TaintTolerationComparisonOperators feature gate,
            # off by default; the server then still lists Lt and Gt as supported.
            self.add(
                rule,
                self.at(*where, "operator"),
                not_supported(op, ("Equal", "Exists", "Lt", "Gt"))
                + " (Lt and Gt work only where the alpha feature gate TaintTolerationComparisonOperators is on)",
            )
        elif op is not None:
            self.add(rule, self.at(*where, "operator"), not_supported(op, ("Equal", "Exists")))
        if effect:
            allowed = ("NoSchedule", "PreferNoSchedule", "NoExecute")
            if effect not in allowed:
                self.add(rule, self.at(*where, "effect"), not_supported(effect, allowed))

    def _host_aliases(self) -> None:
        for i, alias in enumerate(sequence(self.spec.get("hostAliases"))):
            if not isinstance(alias, dict):
                continue
            ip = alias.get("ip")
            if isinstance(ip, str):
                for msg in names.ip_address(ip, strict=self.version >= (1, 36)):
                    self.add("host-aliases", self.at("hostAliases", i, "ip"), invalid(ip, msg))
            for j, host in enumerate(sequence(alias.get("hostnames"))):
                if isinstance(host, str):
                    for msg in names.dns1123_subdomain(host):
                        self.add("host-aliases", self.at("hostAliases", i, "hostnames", j), invalid(host, msg))

    def _affinity(self, aff: dict[str, Any]) -> None:
        rule = "affinity-invalid"
        na = aff.get("nodeAffinity")
        if isinstance(na, dict):
            base = ("affinity", "nodeAffinity")
            req = na.get("requiredDuringSchedulingIgnoredDuringExecution")
            if isinstance(req, dict):
                rpath = (*base, "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")
                terms = req.get("nodeSelectorTerms")
                if terms == []:
                    self.add(rule, self.at(*rpath), required("must have at least one node selector term"))
                for i, term in enumerate(sequence(terms)):
                    if isinstance(term, dict):
                        self._node_term(term, (*rpath, i), label_values=True)
            for i, pref in enumerate(sequence(na.get("preferredDuringSchedulingIgnoredDuringExecution"))):
                if not isinstance(pref, dict):
                    continue
                ppath = (*base, "preferredDuringSchedulingIgnoredDuringExecution", i)
                self._weight(pref.get("weight"), (*ppath, "weight"))
                term = pref.get("preference")
                if isinstance(term, dict):
                    self._node_term(term, (*ppath, "preference"), label_values=False)
        for kind in ("podAffinity", "podAntiAffinity"):
            pa = aff.get(kind)
            if not isinstance(pa, dict):
                continue
            base = ("affinity", kind)
            for i, term in enumerate(sequence(pa.get("requiredDuringSchedulingIgnoredDuringExecution"))):
                if isinstance(term, dict):
                    self._pod_term(term, (*base, "requiredDuringSchedulingIgnoredDuringExecution", i))
            for i, wt in enumerate(sequence(pa.get("preferredDuringSchedulingIgnoredDuringExecution"))):
                if not isinstance(wt, dict):
                    continue
                wpath = (*base, "preferredDuringSchedulingIgnoredDuringExecution", i)
                self._weight(wt.get("weight"), (*wpath, "weight"))
                term = wt.get("podAffinityTerm")
                if isinstance(term, dict):
                    self._pod_term(term, (*wpath, "podAffinityTerm"))

    def _weight(self, w: Any, path: Path) -> None:
        if names.is_int(w) and not 1 <= w <= 100:
            self.add("affinity-invalid", self.at(*path), invalid(w, "must be in the range 1-100"))

    def _node_term(self, term: dict[str, Any], where: Path, *, label_values: bool) -> None:
        rule = "affinity-invalid"
        for j, rq in enumerate(sequence(term.get("matchExpressions"))):
            if not isinstance(rq, dict):
                continue
            rpath = (*where, "matchExpressions", j)
            op = rq.get("operator")
            values = rq.get("values")
            vals = sequence(values)
            if op in ("In", "NotIn"):
                if not vals:
                    self.add(
                        rule,
                        self.at(*rpath, "values"),
                        required("must be specified when `operator` is 'In' or 'NotIn'"),
                    )
            elif op in ("Exists", "DoesNotExist"):
                if vals:
                    self.add(
                        rule,
                        self.at(*rpath, "values"),
                        forbidden("may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
                    )
            elif op in ("Gt", "Lt"):
                if len(vals) != 1:
                    self.add(
                        rule,
                        self.at(*rpath, "values"),
                        required("must be specified single value when `operator` is 'Lt' or 'Gt'"),
                    )
            elif isinstance(op, str):
                self.add(rule, self.at(*rpath, "operator"), invalid(op, "not a valid selector operator"))
            key = rq.get("key")
            if isinstance(key, str):
                for msg in names.qualified_name(key):
                    self.add(rule, self.at(*rpath, "key"), invalid(key, msg))
            if label_values:
                for k, v in enumerate(vals):
                    if isinstance(v, str):
                        for msg in names.label_value(v):
                            self.add(rule, self.at(*rpath, "values", k), invalid(v, msg))

    def _pod_term(self, term: dict[str, Any], where: Path) -> None:
        tk = term.get("topologyKey")
        if tk == "":
            self.add("affinity-invalid", self.at(*where, "topologyKey"), required("can not be empty"))
        if isinstance(tk, str):
            for msg in names.qualified_name(tk):
                self.add("affinity-invalid", self.at(*where, "topologyKey"), invalid(tk, msg))

    def _spread(self) -> None:
        rule = "topology-spread-invalid"
        items = sequence(self.spec.get("topologySpreadConstraints"))
        for i, c in enumerate(items):
            if not isinstance(c, dict):
                continue
            where = ("topologySpreadConstraints", i)
            skew = c.get("maxSkew")
            if names.is_int(skew) and skew <= 0:
                self.add(rule, self.at(*where, "maxSkew"), invalid(skew, "must be greater than zero"))
            tk = c.get("topologyKey")
            if tk == "":
                self.add(rule, self.at(*where, "topologyKey"), required("can not be empty"))
            wu = c.get("whenUnsatisfiable")
            allowed = ("DoNotSchedule", "ScheduleAnyway")
            if isinstance(wu, str) and wu not in allowed:
                self.add(rule, self.at(*where, "whenUnsatisfiable"), not_supported(wu, allowed))
            for later in items[i + 1 :]:
                if isinstance(later, dict) and later.get("topologyKey") == tk and later.get("whenUnsatisfiable") == wu:
                    self.add(rule, self.at(*where, "{topologyKey, whenUnsatisfiable}"), duplicate(f"{{{tk}, {wu}}}"))
                    break
            md = c.get("minDomains")
            if names.is_int(md):
                if md <= 0:
                    self.add(rule, self.at(*where, "minDomains"), invalid(md, "must be greater than zero"))
                if wu != "DoNotSchedule":
                    self.add(
                        rule,
                        self.at(*where, "minDomains"),
                        invalid(md, f"can only use minDomains if whenUnsatisfiable=DoNotSchedule, not {wu or ''}"),
                    )
            for fld in ("nodeAffinityPolicy", "nodeTaintsPolicy"):
                v = c.get(fld)
                if isinstance(v, str) and v not in ("Honor", "Ignore"):
                    self.add(rule, self.at(*where, fld), not_supported(v, ("Honor", "Ignore")))


def check_pod(pod: PodView) -> Iterator[Finding]:
    """API-server validation findings for one pod spec (or pod template)."""
    yield from Checker(pod).run()


__all__ = ["Checker", "check_pod"]
