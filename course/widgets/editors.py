"""Sub-editors for the parts of a Pod spec a chapter teaches, each usable alone."""

from __future__ import annotations

import re
from typing import Any

import ipywidgets as w

from course.widgets.base import (
    Editor,
    ListEditor,
    join_words,
    parse_int,
    split_csv,
    split_words,
    text,
    tri_state,
)

_QTY = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([A-Za-z]*)\s*$")
CPU_UNITS = [("cores", ""), ("millicores (m)", "m")]
MEMORY_UNITS = [("Mi", "Mi"), ("Gi", "Gi"), ("Ki", "Ki"), ("M", "M"), ("G", "G"), ("bytes", ""),
                ("m (millibytes!)", "m")]


class QuantityInput(w.HBox):
    """A number plus a unit dropdown; empty number means unset."""

    def __init__(self, description: str, units: list[tuple[str, str]]) -> None:
        self.number = w.Text(
            description=description, placeholder="unset", layout=w.Layout(width="190px"),
            style={"description_width": "90px"}, continuous_update=False,
        )
        self.unit = w.Dropdown(options=units, value=units[0][1], layout=w.Layout(width="150px"))
        super().__init__([self.number, self.unit])

    def get(self) -> str | None:
        raw = self.number.value.strip()
        if not raw:
            return None
        return f"{raw}{self.unit.value}"

    def set(self, value: Any) -> None:
        if value is None:
            self.number.value = ""
            return
        m = _QTY.match(str(value))
        units = {u for _label, u in self.unit.options}
        if m and m.group(2) in units:
            self.number.value, self.unit.value = m.group(1), m.group(2)
        else:  # a unit the dropdown lacks: keep the text whole, unit ""
            self.number.value, self.unit.value = str(value), ("" if "" in units else self.unit.value)


class ResourcesEditor(Editor):
    """requests and limits for cpu and memory, with unit-aware inputs."""

    known_keys = ("requests", "limits")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.req_cpu = QuantityInput("request cpu", CPU_UNITS)
        self.req_mem = QuantityInput("request mem", MEMORY_UNITS)
        self.lim_cpu = QuantityInput("limit cpu", CPU_UNITS)
        self.lim_mem = QuantityInput("limit mem", MEMORY_UNITS)
        self._other: dict[str, dict[str, Any]] = {"requests": {}, "limits": {}}
        for q in (self.req_cpu, self.req_mem, self.lim_cpu, self.lim_mem):
            self.watch(q.number, q.unit)
        self.children = [w.HTML("<b>resources</b>"), w.HBox([self.req_cpu, self.req_mem]),
                         w.HBox([self.lim_cpu, self.lim_mem])]
        self.add_class("podcourse-resources-editor")
        self._sync()

    def _read(self) -> dict[str, Any]:
        def part(name: str, cpu: QuantityInput, mem: QuantityInput) -> dict[str, Any]:
            d = {**self._other[name]}
            for key, q in (("cpu", cpu), ("memory", mem)):
                v = q.get()
                if v is not None:
                    d[key] = v
            return d

        return {"requests": part("requests", self.req_cpu, self.req_mem),
                "limits": part("limits", self.lim_cpu, self.lim_mem)}

    def _write(self, value: dict[str, Any]) -> None:
        for name, cpu, mem in (("requests", self.req_cpu, self.req_mem), ("limits", self.lim_cpu, self.lim_mem)):
            part = value.get(name) if isinstance(value.get(name), dict) else {}
            self._other[name] = {k: v for k, v in part.items() if k not in ("cpu", "memory")}
            cpu.set(part.get("cpu"))
            mem.set(part.get("memory"))


PROBE_TYPES = ["httpGet", "tcpSocket", "exec", "grpc"]


class ProbeEditor(Editor):
    """One probe: handler type, target and timings. Unchecked means no probe."""

    known_keys = ("httpGet", "tcpSocket", "exec", "grpc", "initialDelaySeconds", "periodSeconds",
                  "timeoutSeconds", "failureThreshold", "successThreshold")

    def __init__(self, kind: str = "liveness", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind = kind
        self.enabled = w.Checkbox(value=False, description=f"{kind}Probe", indent=False)
        self.type = w.Dropdown(options=PROBE_TYPES, value="httpGet", description="type",
                               layout=w.Layout(width="200px"))
        self.path = text("path", "/healthz", width="220px")
        self.port = text("port", "8080", width="160px")
        self.command = text("command", "", "cat /tmp/healthy")
        self.timings = {
            name: text(name, "", "default", width="230px")
            for name in ("initialDelaySeconds", "periodSeconds", "timeoutSeconds",
                         "failureThreshold", "successThreshold")
        }
        self.watch(self.enabled, self.type, self.path, self.port, self.command, *self.timings.values())
        self.enabled.observe(self._layout, names="value")
        self.type.observe(self._layout, names="value")
        self._body = w.VBox()
        self.children = [self.enabled, self._body]
        self.add_class("podcourse-probe-editor")
        self._layout()
        self._sync()

    def _layout(self, *_: Any) -> None:
        if not self.enabled.value:
            self._body.children = []
            return
        t = self.type.value
        target = [self.command] if t == "exec" else [self.port] if t in ("tcpSocket", "grpc") else [self.path,
                                                                                                    self.port]
        timings = list(self.timings.values())
        self._body.children = [w.HBox([self.type, *target]), w.HBox(timings[:3]), w.HBox(timings[3:])]

    def _read(self) -> dict[str, Any]:
        if not self.enabled.value:
            return {}
        t = self.type.value
        port = parse_int(self.port.value)
        handler: dict[str, Any]
        if t == "exec":
            handler = {"command": split_words(self.command.value)}
        elif t == "httpGet":
            handler = {"path": self.path.value or None, "port": port}
        else:
            handler = {"port": port}
        out: dict[str, Any] = {t: {k: v for k, v in handler.items() if v is not None}}
        for name, box in self.timings.items():
            v = parse_int(box.value)
            if v is not None:
                out[name] = v
        return out

    def _write(self, value: dict[str, Any]) -> None:
        handler = next((t for t in PROBE_TYPES if t in value), None)
        self.enabled.value = bool(value)
        if handler:
            self.type.value = handler
            h = value.get(handler) if isinstance(value.get(handler), dict) else {}
            self.path.value = str(h.get("path", "/healthz"))
            self.port.value = str(h.get("port", "8080"))
            self.command.value = join_words(h.get("command"))
        for name, box in self.timings.items():
            box.value = "" if value.get(name) is None else str(value.get(name))
        self._layout()


class SecurityContextEditor(Editor):
    """securityContext at container level (default) or pod level (`level="pod"`)."""

    def __init__(self, level: str = "container", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.level = level
        self.run_as_non_root = tri_state("runAsNonRoot")
        self.run_as_user = text("runAsUser", "", "unset", width="200px")
        self.seccomp = w.Dropdown(options=[("(unset)", None), "RuntimeDefault", "Localhost", "Unconfined"],
                                  value=None, description="seccompProfile.type",
                                  style={"description_width": "initial"})
        controls: list[w.Widget] = [self.run_as_non_root, self.run_as_user, self.seccomp]
        if level == "pod":
            self.known_keys = ("runAsNonRoot", "runAsUser", "runAsGroup", "fsGroup", "seccompProfile")
            self.run_as_group = text("runAsGroup", "", "unset", width="200px")
            self.fs_group = text("fsGroup", "", "unset", width="200px")
            controls += [self.run_as_group, self.fs_group]
            rows = [w.HBox([self.run_as_non_root, self.run_as_user]), w.HBox([self.run_as_group, self.fs_group]),
                    self.seccomp]
        else:
            self.known_keys = ("runAsNonRoot", "runAsUser", "seccompProfile", "privileged",
                               "allowPrivilegeEscalation", "readOnlyRootFilesystem", "capabilities")
            self.privileged = tri_state("privileged")
            self.allow_escalation = tri_state("allowPrivilegeEscalation")
            self.read_only_root = tri_state("readOnlyRootFilesystem")
            self.cap_drop = text("capabilities.drop", "", "ALL", width="260px")
            self.cap_add = text("capabilities.add", "", "NET_BIND_SERVICE", width="260px")
            controls += [self.privileged, self.allow_escalation, self.read_only_root, self.cap_drop, self.cap_add]
            rows = [w.HBox([self.run_as_non_root, self.run_as_user]),
                    w.HBox([self.privileged, self.allow_escalation]),
                    w.HBox([self.read_only_root, self.seccomp]), w.HBox([self.cap_drop, self.cap_add])]
        self.watch(*controls)
        self.children = [w.HTML(f"<b>securityContext</b> ({level})"), *rows]
        self.add_class("podcourse-security-editor")
        self._sync()

    def _read(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "runAsNonRoot": self.run_as_non_root.value,
            "runAsUser": parse_int(self.run_as_user.value),
        }
        if self.level == "pod":
            out["runAsGroup"] = parse_int(self.run_as_group.value)
            out["fsGroup"] = parse_int(self.fs_group.value)
        else:
            out["privileged"] = self.privileged.value
            out["allowPrivilegeEscalation"] = self.allow_escalation.value
            out["readOnlyRootFilesystem"] = self.read_only_root.value
            caps = {"drop": split_csv(self.cap_drop.value), "add": split_csv(self.cap_add.value)}
            out["capabilities"] = {k: v for k, v in caps.items() if v}
        if self.seccomp.value:
            out["seccompProfile"] = {"type": self.seccomp.value}
        return {k: v for k, v in out.items() if v is not None}

    def _write(self, value: dict[str, Any]) -> None:
        def tri(v: Any) -> Any:
            return v if isinstance(v, bool) else None

        self.run_as_non_root.value = tri(value.get("runAsNonRoot"))
        self.run_as_user.value = "" if value.get("runAsUser") is None else str(value.get("runAsUser"))
        sp = value.get("seccompProfile")
        t = sp.get("type") if isinstance(sp, dict) else None
        self.seccomp.value = t if t in ("RuntimeDefault", "Localhost", "Unconfined") else None
        if self.level == "pod":
            self.run_as_group.value = "" if value.get("runAsGroup") is None else str(value.get("runAsGroup"))
            self.fs_group.value = "" if value.get("fsGroup") is None else str(value.get("fsGroup"))
        else:
            self.privileged.value = tri(value.get("privileged"))
            self.allow_escalation.value = tri(value.get("allowPrivilegeEscalation"))
            self.read_only_root.value = tri(value.get("readOnlyRootFilesystem"))
            caps = value.get("capabilities") if isinstance(value.get("capabilities"), dict) else {}
            self.cap_drop.value = ", ".join(map(str, caps.get("drop") or []))
            self.cap_add.value = ", ".join(map(str, caps.get("add") or []))


VOLUME_TYPES = ["emptyDir", "configMap", "secret"]


class VolumeEditor(Editor):
    """One volume: emptyDir (medium, sizeLimit), configMap or secret."""

    known_keys = ("name", "emptyDir", "configMap", "secret")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.name = text("name", "shared", width="260px")
        self.type = w.Dropdown(options=VOLUME_TYPES, value="emptyDir", description="type",
                               layout=w.Layout(width="200px"))
        self.medium = w.Dropdown(options=[("disk (default)", ""), ("Memory (tmpfs)", "Memory")], value="",
                                 description="medium", layout=w.Layout(width="260px"))
        self.size_limit = text("sizeLimit", "", "e.g. 64Mi", width="200px")
        self.source_name = text("name of ConfigMap/Secret", "", width="320px")
        self.watch(self.name, self.type, self.medium, self.size_limit, self.source_name)
        self.type.observe(self._layout, names="value")
        self._body = w.HBox()
        self.children = [w.HBox([self.name, self.type]), self._body]
        self._layout()
        self._sync()

    def _layout(self, *_: Any) -> None:
        if self.type.value == "emptyDir":
            self._body.children = [self.medium, self.size_limit]
        else:
            self._body.children = [self.source_name]

    def _read(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name.value}
        t = self.type.value
        if t == "emptyDir":
            src = {"medium": self.medium.value or None, "sizeLimit": self.size_limit.value.strip() or None}
            out["emptyDir"] = {k: v for k, v in src.items() if v is not None}
        elif t == "configMap":
            out["configMap"] = {"name": self.source_name.value}
        else:
            out["secret"] = {"secretName": self.source_name.value}
        # An empty emptyDir must still be written as `emptyDir: {}`.
        return {k: v for k, v in out.items() if v not in (None, "")}

    def _sync(self, *_: Any) -> None:
        if self._loading:
            return
        new = {**self._read(), **self._extra}
        if new != self.value:
            self.value = new

    def _write(self, value: dict[str, Any]) -> None:
        self.name.value = str(value.get("name", ""))
        t = next((t for t in VOLUME_TYPES if t in value), "emptyDir")
        self.type.value = t
        src = value.get(t) if isinstance(value.get(t), dict) else {}
        self.medium.value = "Memory" if src.get("medium") == "Memory" else ""
        self.size_limit.value = "" if src.get("sizeLimit") is None else str(src.get("sizeLimit"))
        self.source_name.value = str(src.get("name", src.get("secretName", "")))
        self._layout()


class _PortEditor(Editor):
    known_keys = ("name", "containerPort", "protocol")

    def __init__(self) -> None:
        super().__init__(layout=w.Layout(width="100%"))
        self.name = text("name", "", "optional", width="200px")
        self.port = text("containerPort", "8080", width="200px")
        self.protocol = w.Dropdown(options=["TCP", "UDP", "SCTP"], value="TCP", layout=w.Layout(width="90px"))
        self.watch(self.name, self.port, self.protocol)
        self.children = [w.HBox([self.name, self.port, self.protocol])]
        self._sync()

    def _read(self) -> dict[str, Any]:
        return {"name": self.name.value or None, "containerPort": parse_int(self.port.value),
                "protocol": None if self.protocol.value == "TCP" else self.protocol.value}

    def _write(self, value: dict[str, Any]) -> None:
        self.name.value = str(value.get("name", ""))
        self.port.value = "" if value.get("containerPort") is None else str(value.get("containerPort"))
        proto = value.get("protocol", "TCP")
        self.protocol.value = proto if proto in ("TCP", "UDP", "SCTP") else "TCP"


class _EnvEditor(Editor):
    known_keys = ("name", "value")

    def __init__(self) -> None:
        super().__init__()
        self.name = text("name", "", width="240px")
        self.val = text("value", "", width="320px")
        self.watch(self.name, self.val)
        self.children = [w.HBox([self.name, self.val])]
        self._sync()

    def _read(self) -> dict[str, Any]:
        return {"name": self.name.value, "value": self.val.value}

    def _write(self, value: dict[str, Any]) -> None:
        self.name.value = str(value.get("name", ""))
        self.val.value = "" if value.get("value") is None else str(value.get("value"))


class _MountEditor(Editor):
    known_keys = ("name", "mountPath", "readOnly", "subPath")

    def __init__(self) -> None:
        super().__init__()
        self.name = text("volume", "", width="200px")
        self.path = text("mountPath", "", "/data", width="240px")
        self.read_only = w.Checkbox(value=False, description="readOnly", indent=False, layout=w.Layout(width="100px"))
        self.sub_path = text("subPath", "", "optional", width="200px")
        self.watch(self.name, self.path, self.read_only, self.sub_path)
        self.children = [w.HBox([self.name, self.path, self.read_only, self.sub_path])]
        self._sync()

    def _read(self) -> dict[str, Any]:
        return {"name": self.name.value, "mountPath": self.path.value,
                "readOnly": True if self.read_only.value else None, "subPath": self.sub_path.value or None}

    def _write(self, value: dict[str, Any]) -> None:
        self.name.value = str(value.get("name", ""))
        self.path.value = str(value.get("mountPath", ""))
        self.read_only.value = value.get("readOnly") is True
        self.sub_path.value = str(value.get("subPath", "") or "")


CONTAINER_SECTIONS = ("ports", "env", "volumeMounts", "resources", "probes", "securityContext")


class ContainerEditor(Editor):
    """One container: name, image, command/args, ports, env, mounts, resources, probes, securityContext.

    With `init=True` it edits an init container and offers the sidecar switch
    (`restartPolicy: Always`), which makes it a native sidecar. `section` unfolds one
    of `CONTAINER_SECTIONS`, so an exercise opens on the part of the spec it is about.
    """

    known_keys = ("name", "image", "command", "args", "ports", "env", "volumeMounts", "resources",
                  "livenessProbe", "readinessProbe", "startupProbe", "securityContext", "restartPolicy")

    def __init__(self, init: bool = False, section: str | None = None, **kwargs: Any) -> None:
        if section is not None and section not in CONTAINER_SECTIONS:
            raise ValueError(f"section must be one of {', '.join(CONTAINER_SECTIONS)}, not {section!r}")
        super().__init__(**kwargs)
        self.init = init
        self.name = text("name", "app", width="260px")
        self.image = text("image", "nginx:1.22", width="360px")
        self.name.add_class("podcourse-container-name")
        self.image.add_class("podcourse-image")
        self.command = text("command", "", "e.g. sh -c 'echo hi'")
        self.args = text("args", "", "optional")
        self.sidecar = w.Checkbox(value=False, description="sidecar (restartPolicy: Always)", indent=False)
        self.ports = ListEditor(_PortEditor, "add port")
        self.env = ListEditor(_EnvEditor, "add env var")
        self.mounts = ListEditor(_MountEditor, "add volumeMount")
        self.resources = ResourcesEditor()
        self.probes = {k: ProbeEditor(k) for k in ("liveness", "readiness", "startup")}
        self.security = SecurityContextEditor("container")
        self.watch(self.name, self.image, self.command, self.args, self.sidecar, self.ports, self.env, self.mounts,
                   self.resources, self.security, *self.probes.values())
        self.sections = w.Accordion(children=[
            w.VBox([self.ports]), w.VBox([self.env]), w.VBox([self.mounts]), self.resources,
            w.VBox(list(self.probes.values())), self.security,
        ])
        for i, title in enumerate(CONTAINER_SECTIONS):
            self.sections.set_title(i, title)
        self.open_section(section)
        head = [w.HBox([self.name, self.image]), self.command, self.args]
        if init:
            head.insert(1, self.sidecar)
        self.children = [*head, self.sections]
        self._sync()

    def open_section(self, section: str | None) -> None:
        """Unfold one section (an exercise about probes opens "probes"); None folds them all."""
        self.sections.selected_index = None if section is None else CONTAINER_SECTIONS.index(section)

    def _read(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name.value,
            "image": self.image.value,
            "command": split_words(self.command.value),
            "args": split_words(self.args.value),
            "ports": self.ports.value,
            "env": self.env.value,
            "volumeMounts": self.mounts.value,
            "resources": self.resources.value,
        }
        if self.init and self.sidecar.value:
            out["restartPolicy"] = "Always"
        for kind, ed in self.probes.items():
            out[f"{kind}Probe"] = ed.value
        out["securityContext"] = self.security.value
        return out

    def _write(self, value: dict[str, Any]) -> None:
        self.name.value = str(value.get("name", ""))
        self.image.value = str(value.get("image", "") or "")
        self.command.value = join_words(value.get("command"))
        self.args.value = join_words(value.get("args"))
        self.sidecar.value = value.get("restartPolicy") == "Always"
        self.ports.load(value.get("ports"))
        self.env.load(value.get("env"))
        self.mounts.load(value.get("volumeMounts"))
        self.resources.load(value.get("resources"))
        for kind, ed in self.probes.items():
            ed.load(value.get(f"{kind}Probe"))
        self.security.load(value.get("securityContext"))
