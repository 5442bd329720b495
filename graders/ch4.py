"""Chapter 4, sharing storage: graders for its four exercises.

Manifest cases read the Pod as data and quote the static checker's findings as
`check_text` shows them, so a self-check and the graded feedback agree. The log
collection answer comes from the Pod editor's answer file (`LOG_ANSWER`), read
back in the notebook with `course.answers.load_answer_text`.
"""

from __future__ import annotations

from typing import Any

from graders.answers import Answer
from graders.ch1 import exact_image, follows, named, port_declared
from graders.core import (
    Case,
    Exercise,
    Fail,
    argv,
    checker_clean,
    errors,
    findings,
    is_pod,
    mount_of,
    need_container,
    norm_path,
    pod,
    quantity,
    same_path,
    same_quantity,
    table_row,
    volume_of,
    words,
    writes_file,
)
from graders.core import dicts as _items
from graders.core import spec_of as _spec

# The answer file the log-collection editor writes beside the notebook.
LOG_ANSWER = "ch4-log-pod"

# Rules behind the three mistakes of the diagnose-and-fix exercise.
UNKNOWN_VOLUME = "volume-mount-unknown"
DUPLICATE_PATH = "mount-path-duplicate"
TMPFS_UNBOUNDED = "empty-dir-memory-no-limit"

# ---------------------------------------------------------------------------
# Reading Pods safely (answers may hold anything at any key)
# ---------------------------------------------------------------------------


def _need(doc: dict[str, Any], name: str, hint: str) -> tuple[str, int, dict[str, Any]]:
    return need_container(doc, name, hint, path="spec.containers")


_volume = volume_of


def _need_mount(doc: dict[str, Any], container: str, volume: str, hint: str) -> tuple[str, dict[str, Any]]:
    """(path of the mount, mount) or `Fail` saying which mount to add."""
    fld, i, c = _need(doc, container, hint)
    got = mount_of(c, volume)
    if got is None:
        raise Fail(f"the {container} container does not mount the {volume} volume.",
                   path=f"spec.{fld}[{i}].volumeMounts", hint=hint)
    k, m = got
    return f"spec.{fld}[{i}].volumeMounts[{k}]", m


def _empty_dir(doc: dict[str, Any], name: str) -> Any:
    got = _volume(doc, name)
    if got is None:
        return Fail(f"there is no volume named {name}.", path="spec.volumes",
                    hint=f"Add `volumes: [{{name: {name}, emptyDir: {{}}}}]` to the Pod spec.")
    j, v = got
    if not isinstance(v.get("emptyDir"), dict):
        kind = next((k for k in v if k != "name"), "no source")
        return Fail(f"volume {name} uses {kind}; scratch space shared by a Pod's containers is an emptyDir.",
                    path=f"spec.volumes[{j}]", hint="Use `emptyDir: {}`.")
    return True


def _mounts_clean(answer: Answer) -> Any:
    """No checker error, and at least one mount: a Pod that mounts nothing shares nothing."""
    doc = pod(answer)
    if not any(_items(c.get("volumeMounts")) for fld in ("containers", "initContainers")
               for c in _items(_spec(doc).get(fld))):
        return Fail("no container mounts a volume yet.", path="spec.containers",
                    hint="Add volumeMounts that name the Pod's volumes.")
    return errors(answer)


def _named(name: str) -> Any:
    def test(answer: Answer) -> Any:
        verdict = is_pod(answer)
        if verdict is not True:
            return verdict
        return named(name)(answer)

    return test


# ---------------------------------------------------------------------------
# Exercise 1: log collection with a native sidecar (Pod editor)
# ---------------------------------------------------------------------------

LOG_DIR = "/var/log/app"
APP_LOG = f"{LOG_DIR}/app.log"


def _app_writes(answer: Answer) -> Any:
    doc = pod(answer)
    hint = f"Give the app container a volumeMounts entry `{{name: logs, mountPath: {LOG_DIR}}}`."
    fld, i, app = _need(doc, "app", hint)
    if fld != "containers":
        return Fail("app is an init container; the application itself belongs in spec.containers.",
                    path=f"spec.{fld}[{i}]", hint="Move app to spec.containers.")
    got = exact_image(f"spec.{fld}[{i}].image", app.get("image"), "busybox:1.35", verb="Keep")
    if got is not True:
        return got
    if not writes_file(app, APP_LOG):
        return Fail(f"app no longer runs the starter's command, so nothing appends to {APP_LOG}.",
                    path=f"spec.{fld}[{i}].args",
                    hint=f'Keep `args: ["sh", "-c", "while true; do date >> {APP_LOG}; sleep 5; done"]`.')
    path, m = _need_mount(doc, "app", "logs", hint)
    if not same_path(m.get("mountPath"), LOG_DIR):
        return Fail(f"app mounts logs at {m.get('mountPath')!r}, but the app writes its log files to {LOG_DIR}.",
                    path=f"{path}.mountPath", hint=f"Use `mountPath: {LOG_DIR}`.")
    if m.get("readOnly") is True:
        return Fail("app mounts logs read-only, so it cannot write its log files.",
                    path=f"{path}.readOnly", hint="Remove `readOnly: true` from the app's mount.")
    return True


def _shipper_reads(answer: Answer) -> Any:
    doc = pod(answer)
    path, m = _need_mount(doc, "log-shipper", "logs",
                          "Give log-shipper a volumeMounts entry `{name: logs, mountPath: /logs, readOnly: true}`.")
    if not same_path(m.get("mountPath"), "/logs"):
        return Fail(f"log-shipper mounts logs at {m.get('mountPath')!r}, but it reads /logs/app.log.",
                    path=f"{path}.mountPath", hint="Use `mountPath: /logs`.")
    if m.get("readOnly") is not True:
        return Fail("the log shipper can write to (and so truncate or delete) logs it only needs to read.",
                    path=path, hint="Add `readOnly: true` to log-shipper's mount of logs.")
    return True


def _native_sidecar(answer: Answer) -> Any:
    doc = pod(answer)
    fld, i, c = _need(doc, "log-shipper", "Add a log-shipper entry under spec.initContainers.")
    if fld == "containers":
        return Fail("log-shipper is a regular container: nothing starts it before the app or stops it after the "
                    "app, so the first and last log lines can be missed.", path=f"spec.containers[{i}]",
                    hint="Move log-shipper to spec.initContainers and give it `restartPolicy: Always` "
                    "(a native sidecar).")
    if c.get("restartPolicy") != "Always":
        return Fail("log-shipper is a plain init container: it would have to exit before the app could start.",
                    path=f"spec.initContainers[{i}].restartPolicy",
                    hint="Set `restartPolicy: Always` on it, which makes it a sidecar that keeps running.")
    got = exact_image(f"spec.initContainers[{i}].image", c.get("image"), "busybox:1.35")
    if got is not True:
        return got
    if not follows(c, "/logs/app.log"):
        shown = " ".join(argv(c)) or "the image's default command"
        return Fail(f"log-shipper runs {shown!r}, which does not follow /logs/app.log.",
                    path=f"spec.initContainers[{i}].args",
                    hint='Use `args: ["sh", "-c", "tail -n+1 -F /logs/app.log"]`.')
    return True


log_collection = Exercise(
    id="ch4.log_collection",
    title="Exercise 1 - log collection with a native sidecar",
    answer_name="LOG_POD",
    cases=[
        Case("one Pod named app-with-shipper", 1, _named("app-with-shipper")),
        Case("an emptyDir volume named logs", 1, lambda a: _empty_dir(pod(a), "logs")),
        Case(f"app keeps its image and command and writes to logs at {LOG_DIR}", 1, _app_writes),
        Case("log-shipper mounts logs read-only at /logs", 1, _shipper_reads, hidden=True),
        Case("log-shipper is a native sidecar (init container with restartPolicy: Always) running busybox:1.35 "
             "that follows /logs/app.log", 1, _native_sidecar, hidden=True),
        Case("the Pod mounts its volumes and the checker reports no errors", 1, _mounts_clean, hidden=True),
    ],
)

# ---------------------------------------------------------------------------
# Exercise 2: config distribution with an init container and subPath
# ---------------------------------------------------------------------------

CONF_FILE = "/etc/nginx/nginx.conf"
WORK_DIR = "/work"


def _renderer(answer: Answer) -> Any:
    doc = pod(answer)
    hint = "Add an init container `render-config` that mounts config (read-write) at /work."
    fld, i, c = _need(doc, "render-config", hint)
    if fld != "initContainers":
        return Fail("render-config is a regular container, so web may start before the file exists.",
                    path=f"spec.containers[{i}]", hint="Move render-config to spec.initContainers.")
    if c.get("restartPolicy") == "Always":
        return Fail("render-config has `restartPolicy: Always`, which makes it a sidecar: web would start "
                    "as soon as it has started, not after it has written the file.",
                    path=f"spec.initContainers[{i}].restartPolicy",
                    hint="Remove restartPolicy so it runs to completion before web starts.")
    got = exact_image(f"spec.initContainers[{i}].image", c.get("image"), "busybox:1.35")
    if got is not True:
        return got
    path, m = _need_mount(doc, "render-config", "config", hint)
    if not same_path(m.get("mountPath"), WORK_DIR):
        return Fail(f"render-config mounts config at {m.get('mountPath')!r}; the task has it at {WORK_DIR}.",
                    path=f"{path}.mountPath", hint=f"Use `mountPath: {WORK_DIR}`.")
    if m.get("readOnly") is True:
        return Fail("render-config mounts config read-only, so it cannot write the file.",
                    path=f"{path}.readOnly", hint="Remove `readOnly: true` from render-config's mount.")
    if not writes_file(c, f"{WORK_DIR}/nginx.conf"):
        shown = " ".join(argv(c)) or "the image's default command, which exits at once"
        return Fail(f"render-config runs {shown!r}, which never writes {WORK_DIR}/nginx.conf, so web would start "
                    "without its configuration (and the kubelet would mount an empty directory at its subPath).",
                    path=f"spec.initContainers[{i}].command",
                    hint='Write the file, e.g. `command: ["sh", "-c", "echo \'events {}\' > /work/nginx.conf"]`.')
    return True


def _web_subpath(answer: Answer) -> Any:
    doc = pod(answer)
    hint = f"Mount config in web with `mountPath: {CONF_FILE}` and `subPath: nginx.conf`."
    fld, i, web = _need(doc, "web", hint)
    if fld != "containers":
        return Fail("web is an init container; the web server belongs in spec.containers.",
                    path=f"spec.{fld}[{i}]", hint="Move web to spec.containers.")
    got = exact_image(f"spec.{fld}[{i}].image", web.get("image"), "nginx:1.22")
    if got is not True:
        return got
    got = port_declared(answer, "web", 80, "Add `ports: [{containerPort: 80}]` to web.")
    if got is not True:
        return got
    path, m = _need_mount(doc, "web", "config", hint)
    if same_path(m.get("mountPath"), "/etc/nginx"):
        return Fail("web mounts the whole volume over /etc/nginx, hiding mime.types and every other file "
                    "the image keeps there.", path=f"{path}.mountPath", hint=hint)
    if not same_path(m.get("mountPath"), CONF_FILE):
        return Fail(f"web mounts config at {m.get('mountPath')!r}; nginx reads {CONF_FILE}.",
                    path=f"{path}.mountPath", hint=hint)
    if m.get("subPath") is None:
        return Fail(f"the mount at {CONF_FILE} has no subPath, so the volume's whole directory would be mounted "
                    "where nginx expects a file.", path=path,
                    hint="Add `subPath: nginx.conf`: only that file of the volume appears at mountPath.")
    if norm_path(m.get("subPath")) != "nginx.conf":
        return Fail(f"the mount's subPath is {m.get('subPath')!r}, but render-config writes nginx.conf at the top "
                    "of the volume.", path=f"{path}.subPath", hint="Set `subPath: nginx.conf`.")
    return True


def _web_read_only(answer: Answer) -> Any:
    path, m = _need_mount(pod(answer), "web", "config", f"Mount config in web at {CONF_FILE}.")
    if m.get("readOnly") is not True:
        return Fail("web can rewrite its own configuration file.", path=path,
                    hint="Add `readOnly: true` to web's mount: only render-config should write the file.")
    return True


config_distribution = Exercise(
    id="ch4.config_distribution",
    title="Exercise 2 - config distribution with an init container",
    answer_name="CONFIG_POD",
    cases=[
        Case("one Pod named web-config", 1, _named("web-config")),
        Case("an emptyDir volume named config", 1, lambda a: _empty_dir(pod(a), "config")),
        Case("render-config is an init container (busybox:1.35) that writes nginx.conf into config at /work", 1,
             _renderer),
        Case(f"web (nginx:1.22, port 80) mounts only nginx.conf at {CONF_FILE} (subPath)", 1, _web_subpath,
             hidden=True),
        Case("web's mount of config is read-only", 1, _web_read_only, hidden=True),
        Case("the Pod mounts its volumes and the checker reports no errors", 1, _mounts_clean, hidden=True),
    ],
)

# ---------------------------------------------------------------------------
# Exercise 3: diagnose and fix a Pod's volumes
# ---------------------------------------------------------------------------

BROKEN_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: thumbnailer
spec:
  volumes:
  - name: uploads
    emptyDir: {}
  - name: cache
    emptyDir:
      medium: Memory
  containers:
  - name: resizer
    image: ghcr.io/example/resizer:1.4.0
    resources:
      limits:
        memory: 256Mi
    volumeMounts:
    - name: uploads
      mountPath: /data
    - name: cahce
      mountPath: /data
  - name: uploader
    image: ghcr.io/example/uploader:0.9.2
    volumeMounts:
    - name: uploads
      mountPath: /incoming
"""


def _resizer_mount(doc: dict[str, Any], volume: str) -> tuple[str, dict[str, Any]]:
    return _need_mount(doc, "resizer", volume,
                       f"Keep a mount of {volume} in resizer: fix the mistake instead of deleting the mount.")


def _typo_fixed(answer: Answer) -> Any:
    """The checker finds no unknown volume, and resizer still mounts its cache."""
    pod(answer)
    found = findings(answer, UNKNOWN_VOLUME)
    if found:
        return found
    _resizer_mount(pod(answer), "cache")
    return True


def _paths_unique(answer: Answer) -> Any:
    """No shared mountPath, and uploads stays where resizer reads it (so cache is what moved)."""
    pod(answer)
    found = findings(answer, DUPLICATE_PATH)
    if found:
        return found
    doc = pod(answer)
    path, uploads = _resizer_mount(doc, "uploads")
    if not same_path(uploads.get("mountPath"), "/data"):
        return Fail(f"resizer now reads uploads at {uploads.get('mountPath')!r}, but it looks for them in /data.",
                    path=f"{path}.mountPath", hint="Leave uploads at /data and move cache, e.g. to /cache.")
    return True


def _cache_bounded(answer: Answer) -> Any:
    """The checker no longer warns about the tmpfs, and the cache volume is still there."""
    pod(answer)
    found = findings(answer, TMPFS_UNBOUNDED)
    if found:
        return found
    if _volume(pod(answer), "cache") is None:
        return Fail("there is no volume named cache any more.", path="spec.volumes",
                    hint="Keep the cache volume (`emptyDir: {medium: Memory}`) and give it a sizeLimit.")
    return _empty_dir(pod(answer), "cache")


RESIZER_LIMIT = "256Mi"
KEPT_IMAGES = {"resizer": "ghcr.io/example/resizer:1.4.0", "uploader": "ghcr.io/example/uploader:0.9.2"}


def _rest_kept(answer: Answer) -> Any:
    """The task says to keep the volumes, the containers and their purpose: only the mistakes change."""
    doc = pod(answer)
    got = _named("thumbnailer")(answer)
    if got is not True:
        return got
    names = sorted(str(c.get("name")) for c in _items(_spec(doc).get("containers")))
    if names != sorted(KEPT_IMAGES):
        return Fail(f"the containers are {names}; keep exactly resizer and uploader.", path="spec.containers")
    for name, image in KEPT_IMAGES.items():
        fld, i, c = _need(doc, name, "")
        got = exact_image(f"spec.{fld}[{i}].image", c.get("image"), image, verb="Keep")
        if got is not True:
            return got
    volumes = sorted(str(v.get("name")) for v in _items(_spec(doc).get("volumes")))
    if volumes != ["cache", "uploads"]:
        return Fail(f"the volumes are {volumes}; keep exactly uploads and cache.", path="spec.volumes")
    fld, i, resizer = _need(doc, "resizer", "")
    res = resizer.get("resources")
    limits = res.get("limits") if isinstance(res, dict) else None
    memory = limits.get("memory") if isinstance(limits, dict) else None
    if not same_quantity(memory, RESIZER_LIMIT):
        return Fail(f"resizer's memory limit changed to {memory!r}; it was not part of the problem.",
                    path=f"spec.{fld}[{i}].resources.limits.memory", hint=f"Keep `memory: {RESIZER_LIMIT}`.")
    path, m = _need_mount(doc, "uploader", "uploads",
                          "Keep uploader's mount of uploads at /incoming; it was not part of the problem.")
    if not same_path(m.get("mountPath"), "/incoming") or m.get("readOnly") is True:
        return Fail("uploader's mount of uploads changed, but it was correct.", path=path,
                    hint="Keep `{name: uploads, mountPath: /incoming}` for uploader, writable.")
    return True


def _tmpfs_bounded(answer: Answer) -> Any:
    """The cache stays in RAM (that was the point) and its size leaves resizer most of its memory limit."""
    doc = pod(answer)
    got = _volume(doc, "cache")
    if got is None:
        return Fail("there is no volume named cache any more.", path="spec.volumes",
                    hint="Keep the cache volume and fix it.")
    j, v = got
    ed = v.get("emptyDir")
    if not isinstance(ed, dict) or ed.get("medium") != "Memory":
        return Fail("cache is no longer memory-backed; the resizer wants a RAM cache, so keep "
                    "`medium: Memory` and bound it instead.", path=f"spec.volumes[{j}]",
                    hint="Keep `medium: Memory` and add `sizeLimit: 64Mi`.")
    where = f"spec.volumes[{j}].emptyDir"
    if ed.get("sizeLimit") is None:
        return Fail("cache has no sizeLimit.", path=where, hint="Add `sizeLimit: 64Mi` to its emptyDir.")
    size = quantity(ed.get("sizeLimit"))
    if size is None:
        return Fail(f"sizeLimit {ed.get('sizeLimit')!r} is not a quantity.", path=f"{where}.sizeLimit",
                    hint="Write a quantity such as 64Mi.")
    limits = _need(doc, "resizer", "")[2].get("resources")
    limits = limits.get("limits") if isinstance(limits, dict) else None
    memory = limits.get("memory") if isinstance(limits, dict) else None
    cap = quantity(memory)
    if cap is None:
        return True
    if size <= 0 or size * 2 > cap:
        return Fail(f"cache's sizeLimit ({ed.get('sizeLimit')}) leaves resizer less than half of its {memory} "
                    "limit: files in a memory-backed emptyDir count against that limit.",
                    path=f"{where}.sizeLimit",
                    hint=f"Choose a sizeLimit of at most half of {memory}, e.g. 64Mi.")
    return True


fix_mounts = Exercise(
    id="ch4.fix_mounts",
    title="Exercise 3 - diagnose and fix a Pod's volumes",
    answer_name="FIXED_POD",
    cases=[
        Case("every volumeMount names a volume the Pod defines", 1, _typo_fixed),
        Case("no two mounts of one container share a mountPath", 1, _paths_unique),
        Case("the memory-backed emptyDir has a sizeLimit", 1, _cache_bounded),
        Case("the rest is kept: name, containers, images, volumes, resizer's memory limit, uploader's mount", 1,
             _rest_kept, hidden=True),
        Case("cache stays in RAM with a sizeLimit of at most half of resizer's memory limit", 1, _tmpfs_bounded,
             hidden=True),
        Case("the checker reports no errors", 1, checker_clean, hidden=True),
    ],
)

# ---------------------------------------------------------------------------
# Exercise 4: what survives? (predictions about emptyDir lifetime)
# ---------------------------------------------------------------------------

# letter -> (right answer, why), explained only for the ones a learner gets wrong.
LIFETIME: dict[str, tuple[str, str]] = {
    "A": ("kept", "a crashed container is restarted inside the same Pod; the Pod's emptyDir stays on the node "
                  "and the new container mounts the same directory."),
    "B": ("lost", "deleting the Pod deletes its emptyDir for good; a Pod created again with the same manifest "
                  "is a new Pod with a new, empty directory."),
    "C": ("lost", "a drain evicts the Pod; the Deployment's replacement is a new Pod on another node with a new, "
                  "empty emptyDir. Data that must outlive a Pod belongs in a PersistentVolume or outside."),
    "D": ("kept", "a failed liveness probe makes the kubelet restart that container, not the Pod; the volume "
                  "and its files stay."),
    "E": ("lost", "/tmp inside the container is its own writable layer, not a volume; a restarted container "
                  "starts again from the image."),
    "F": ("kept", "the sidecar restarting does not touch the volume; when it comes back it mounts the same "
                  "emptyDir and sees every file the app wrote."),
    "G": ("lost", "a rollout replaces every Pod with a new one, and every new Pod starts with empty emptyDirs."),
    "H": ("lost", "medium: Memory is a tmpfs in the node's RAM, and a reboot clears RAM."),
}

_verdict = words({"kept": {"kept", "keep", "survives", "survive", "stays", "yes", "true"},
                  "lost": {"lost", "lose", "gone", "deleted", "wiped", "no", "false"}},
                 on_bool=("kept", "lost"))


def _predict(letter: str) -> Any:
    want, why = LIFETIME[letter]
    return table_row(letter, want, why, read=_verdict, noun="situation", choices='"kept" or "lost"',
                     unreadable='is neither "kept" nor "lost"', example='{"A": "kept", "B": "lost", ...}',
                     wrong="{label}: the files are {want}")


lifetime = Exercise(
    id="ch4.lifetime",
    title="Exercise 4 - what survives?",
    answer_name="SURVIVES",
    cases=[Case(f"situation {letter}", 1, _predict(letter), hidden=letter not in ("A", "B"))
           for letter in LIFETIME],
)

EXERCISES = (log_collection, config_distribution, fix_mounts, lifetime)
