"""The course images, built here as OCI archives from Debian packages (no registry needed).

There is no image registry on the course's CI machines, so each image the chapters use is a
stand-in assembled from Debian's packages: the `.deb` files are downloaded (never installed on
the host), unpacked into a root filesystem, given the files and configuration the real image
has where the exercises depend on them, smoke-tested in a chroot, and written as a one-layer
OCI image archive that `ctr images import` and `kind load image-archive` both read.

A stand-in never claims a version it does not contain: the build fails unless the program in
the image reports the version its tag names (Debian 12 has BusyBox 1.35, nginx 1.22 and
Python 3.11, so those are the course's tags). The pause image is the course's own small Go
program (`pause/main.go`).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from course import versions
from course.cluster.errors import ClusterError
from course.cluster.local.build import cache_root

Say = Callable[[str], None]
HERE = Path(__file__).resolve().parent
#: Bump when the way an image is assembled changes, so cached archives are rebuilt.
RECIPE = "3"
#: Debian 12's Python, so the course's Python image is python:3.11-slim.
PYTHON = "3.11"
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_SLIM = ("usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale", "usr/share/lintian",
         "usr/share/bug", "etc/init.d", "etc/logrotate.d", "etc/ufw", "lib/systemd", "usr/share/apport",
         "usr/share/vim", "etc/default")


def _quiet(_: str) -> None:
    pass


@dataclass(frozen=True)
class ImageSpec:
    """One course image: its name, the Debian packages it is made of and the version it must contain."""

    name: str
    packages: tuple[str, ...]
    version_cmd: tuple[str, ...]  # run in the image; its output must contain `claims`
    claims: str
    config: dict = field(default_factory=dict)
    setup: Callable[[Path], None] | None = None

    @property
    def reference(self) -> str:
        """The fully qualified name the CRI resolves `name` to (`busybox:1.35` -> docker.io/library/...)."""
        return qualify(self.name)


def qualify(name: str) -> str:
    """`busybox:1.35` -> `docker.io/library/busybox:1.35`, as the container runtime normalises it."""
    first = name.split("/", 1)[0]
    if "/" in name and ("." in first or ":" in first or first == "localhost"):
        return name
    return f"docker.io/{name}" if "/" in name else f"docker.io/library/{name}"


# ---------------------------------------------------------------------------
# What goes into each image
# ---------------------------------------------------------------------------

_PASSWD = """root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
"""
_GROUP = """root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
tty:x:5:
www-data:x:33:
nogroup:x:65534:
"""


def _write(root: Path, rel: str, text: str, mode: int = 0o644) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)


def _base_files(root: Path, extra_passwd: str = "", extra_group: str = "") -> None:
    """Users, groups, name resolution files and the directories every image has."""
    _write(root, "etc/passwd", _PASSWD + extra_passwd)
    _write(root, "etc/group", _GROUP + extra_group)
    _write(root, "etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files dns\n")
    for rel, mode in (("tmp", 0o1777), ("root", 0o700), ("home", 0o755), ("var/tmp", 0o1777), ("proc", 0o755),
                      ("sys", 0o755), ("dev", 0o755), ("etc", 0o755), ("run", 0o755)):
        (root / rel).mkdir(parents=True, exist_ok=True)
        (root / rel).chmod(mode)
    run_link = root / "var" / "run"
    if not run_link.exists() and not run_link.is_symlink():
        run_link.parent.mkdir(parents=True, exist_ok=True)
        run_link.symlink_to("../run")


def _busybox_applets(root: Path) -> None:
    """Links for every BusyBox applet (`sh`, `wget`, `httpd`, ...), as the busybox image has them."""
    bb = root / "bin" / "busybox"
    if not bb.exists():
        raise ClusterError("busybox-static did not provide /bin/busybox.", "Check the Debian package busybox-static.")
    out = subprocess.run([str(bb), "--list-full"], capture_output=True, text=True, check=True, timeout=30).stdout
    for rel in out.split():
        link = root / rel
        if link.exists() or link.is_symlink():
            continue
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(bb, link.parent))


def _setup_busybox(root: Path) -> None:
    _base_files(root)
    _busybox_applets(root)


_NGINX_CONF = """# pod-course stand-in for the nginx image: Debian's nginx with the official image's layout
# (conf.d includes, html root, logs to the container's stdout/stderr, temp files in /var/cache/nginx).
user nginx;
worker_processes auto;
error_log /var/log/nginx/error.log notice;
pid /run/nginx.pid;

events {
    worker_connections 1024;
}

http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    log_format main '$remote_addr - $remote_user [$time_local] "$request" '
                    '$status $body_bytes_sent "$http_referer" "$http_user_agent"';
    access_log /var/log/nginx/access.log main;
    client_body_temp_path /var/cache/nginx/client_temp;
    proxy_temp_path /var/cache/nginx/proxy_temp;
    fastcgi_temp_path /var/cache/nginx/fastcgi_temp;
    uwsgi_temp_path /var/cache/nginx/uwsgi_temp;
    scgi_temp_path /var/cache/nginx/scgi_temp;
    sendfile on;
    keepalive_timeout 65;
    include /etc/nginx/conf.d/*.conf;
}
"""
_NGINX_DEFAULT = """server {
    listen 80;
    listen [::]:80;
    server_name localhost;

    location / {
        root /usr/share/nginx/html;
        index index.html index.htm;
    }

    error_page 500 502 503 504 /50x.html;
    location = /50x.html {
        root /usr/share/nginx/html;
    }
}
"""
_NGINX_INDEX = """<!DOCTYPE html>
<html>
<head><title>Welcome to nginx!</title></head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and working.</p>
</body>
</html>
"""


def _setup_nginx(root: Path) -> None:
    _base_files(root, "nginx:x:101:101:nginx user:/nonexistent:/bin/false\n", "nginx:x:101:\n")
    _busybox_applets(root)
    for rel in ("etc/nginx/sites-available", "etc/nginx/sites-enabled", "etc/nginx/modules-available",
                "etc/nginx/modules-enabled", "etc/nginx/snippets"):
        shutil.rmtree(root / rel, ignore_errors=True)
    _write(root, "etc/nginx/nginx.conf", _NGINX_CONF)
    _write(root, "etc/nginx/conf.d/default.conf", _NGINX_DEFAULT)
    html = root / "usr/share/nginx/html"
    for f in html.glob("*"):
        f.unlink()
    _write(root, "usr/share/nginx/html/index.html", _NGINX_INDEX)
    _write(root, "usr/share/nginx/html/50x.html", "<!DOCTYPE html>\n<html><body><h1>An error occurred.</h1>"
                                                   "</body></html>\n")
    (root / "var/cache/nginx").mkdir(parents=True, exist_ok=True)
    logs = root / "var/log/nginx"
    logs.mkdir(parents=True, exist_ok=True)
    for name, target in (("access.log", "/dev/stdout"), ("error.log", "/dev/stderr")):
        (logs / name).unlink(missing_ok=True)
        (logs / name).symlink_to(target)
    shutil.rmtree(root / "var/lib/nginx", ignore_errors=True)


def _setup_python(root: Path) -> None:
    _base_files(root)
    _busybox_applets(root)
    minor = PYTHON
    bin_dir = root / "usr/bin"
    for link in ("python3", "python"):
        p = bin_dir / link
        if not p.exists():
            p.symlink_to(f"python{minor}")
    for junk in ("test", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3/tests"):
        shutil.rmtree(root / f"usr/lib/python{minor}" / junk, ignore_errors=True)


def _setup_pause(root: Path) -> None:
    _write(root, "etc/passwd", "root:x:0:0:root:/root:/bin/false\nnobody:x:65535:65535:nobody:/:/bin/false\n")
    _write(root, "etc/group", "root:x:0:\nnobody:x:65535:\n")



SPECS: tuple[ImageSpec, ...] = (
    ImageSpec(
        "busybox:1.35", ("busybox-static",), ("/bin/busybox",), "BusyBox v1.35",
        config={"Cmd": ["sh"], "Env": [PATH_ENV]}, setup=_setup_busybox,
    ),
    ImageSpec(
        "nginx:1.22",
        ("nginx", "nginx-common", "busybox-static", "libc6", "libcrypt1", "libpcre2-8-0", "libssl3", "zlib1g",
         "libgcc-s1"),
        ("/usr/sbin/nginx", "-v"), "nginx/1.22",
        config={"Cmd": ["nginx", "-g", "daemon off;"], "Env": [PATH_ENV], "StopSignal": "SIGQUIT",
                "ExposedPorts": {"80/tcp": {}}},
        setup=_setup_nginx,
    ),
    ImageSpec(
        f"python:{PYTHON}-slim",
        (f"python{PYTHON}-minimal", f"libpython{PYTHON}-minimal", f"libpython{PYTHON}-stdlib", "busybox-static",
         "libc6",
         "libgcc-s1", "libexpat1", "zlib1g", "libssl3", "libffi8", "libbz2-1.0", "liblzma5",
         "libcrypt1", "libsqlite3-0", "libuuid1", "libncursesw6", "libtinfo6", "libreadline8", "media-types",
         "tzdata"),
        (f"/usr/bin/python{PYTHON}", "--version"), f"Python {PYTHON}",
        config={"Cmd": ["python3"], "Env": [PATH_ENV, "LANG=C.UTF-8"]}, setup=_setup_python,
    ),
)


def course_image_names() -> list[str]:
    """The names the chapters use, as images.txt lists them."""
    from course.cluster.kind import course_images

    return course_images()


def specs_for(names: Sequence[str]) -> list[ImageSpec]:
    """The specs of `names`; an unknown name is an error that says which names can be built."""
    by_name = {s.name: s for s in SPECS}
    out = []
    for n in names:
        if n not in by_name:
            raise ClusterError(f"There is no recipe for the image {n!r}.",
                               f"The course can build: {', '.join(by_name)} (course/cluster/local/images.py).")
        out.append(by_name[n])
    return out


# ---------------------------------------------------------------------------
# Debian packages
# ---------------------------------------------------------------------------


def _apt(args: Sequence[str], cwd: Path | None = None, timeout: float = 300) -> str:
    exe = shutil.which(args[0])
    if exe is None:
        raise ClusterError(
            f"Building the course images needs Debian's `{args[0]}` (the images are made from Debian packages).",
            "Build them on Debian or Ubuntu, or on kind with Docker and internet run `pod-course cluster "
            "load-images --pull` to pull the published images of the same names instead.",
        )
    proc = subprocess.run([exe, *args[1:]], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, check=False)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise ClusterError(f"`{' '.join(args)}` failed: {detail[-1] if detail else proc.returncode}",
                           "Run `apt-get update` and check that Debian's package mirror is reachable.")
    return proc.stdout


def candidate(package: str) -> str:
    """The version `apt-get download` fetches for `package`."""
    out = _apt(["apt-cache", "policy", package])
    m = re.search(r"Candidate:\s*(\S+)", out)
    if not m or m.group(1) == "(none)":
        raise ClusterError(f"Debian has no installable version of {package!r}.", "Run `apt-get update` first.")
    return m.group(1)


def _deb_name(package: str, version: str) -> str:
    return f"{package}_{version.replace(':', '%3a')}_"


def download(packages: Sequence[str], debs: Path) -> list[Path]:
    """The `.deb` files of `packages` at their candidate versions, downloaded into `debs` if absent."""
    debs.mkdir(parents=True, exist_ok=True)
    wanted = {p: candidate(p) for p in packages}
    missing = [p for p, v in wanted.items() if not list(debs.glob(_deb_name(p, v) + "*.deb"))]
    if missing:
        _apt(["apt-get", "download", "-q", "-o", "APT::Sandbox::User=root", *missing], cwd=debs, timeout=600)
    out = []
    for p, v in wanted.items():
        found = sorted(debs.glob(_deb_name(p, v) + "*.deb"))
        if not found:
            raise ClusterError(f"apt-get download gave no file for {p} {v}.", "Retry after `apt-get update`.")
        out.append(found[0])
    return out


# ---------------------------------------------------------------------------
# OCI archive
# ---------------------------------------------------------------------------


def goarch() -> str:
    m = platform.machine().lower()
    return {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le",
            "s390x": "s390x"}.get(m, m)


def _reset(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mtime = 0
    return info


def layer_tar(root: Path) -> bytes:
    """A deterministic, uncompressed tar of `root` (sorted, owned by root, mtime 0)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        paths = sorted(p for p in root.rglob("*"))
        for p in paths:
            tar.add(p, arcname=p.relative_to(root).as_posix(), recursive=False, filter=_reset)
    return buf.getvalue()


def _blob(tar: tarfile.TarFile, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    info = _reset(tarfile.TarInfo(f"blobs/sha256/{digest}"))
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))
    return digest


def write_archive(dest: Path, name: str, layer: bytes, config: dict, *, created_by: str) -> None:
    """An OCI image layout tar with one layer, also carrying Docker's manifest.json (kind, docker load)."""
    ref = qualify(name)
    layer_digest = hashlib.sha256(layer).hexdigest()
    image_config = {
        "architecture": goarch(),
        "os": "linux",
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{layer_digest}"]},
        "history": [{"created_by": created_by}],
    }
    cfg = json.dumps(image_config, sort_keys=True).encode()
    tmp = dest.with_suffix(".partial")
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
        _blob(tar, layer)
        cfg_digest = _blob(tar, cfg)
        manifest = json.dumps({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": f"sha256:{cfg_digest}",
                       "size": len(cfg)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": f"sha256:{layer_digest}",
                        "size": len(layer)}],
        }, sort_keys=True).encode()
        man_digest = _blob(tar, manifest)
        tag = ref.rsplit(":", 1)[1]
        index = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": f"sha256:{man_digest}", "size": len(manifest),
                "platform": {"architecture": goarch(), "os": "linux"},
                "annotations": {"io.containerd.image.name": ref, "org.opencontainers.image.ref.name": tag},
            }],
        }
        for fname, data in (
            ("oci-layout", json.dumps({"imageLayoutVersion": "1.0.0"}).encode()),
            ("index.json", json.dumps(index, sort_keys=True).encode()),
            ("manifest.json", json.dumps([{"Config": f"blobs/sha256/{cfg_digest}", "RepoTags": [name],
                                           "Layers": [f"blobs/sha256/{layer_digest}"]}]).encode()),
        ):
            info = _reset(tarfile.TarInfo(fname))
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    tmp.rename(dest)


# ---------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------


def images_dir(root: Path | None = None) -> Path:
    return (root or cache_root()) / "images"


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)


def _smoke(rootfs: Path, cmd: Sequence[str]) -> str:
    """Run `cmd` inside `rootfs` (chroot as root, else in a user namespace); its output."""
    prefix = ["chroot", str(rootfs)] if os.geteuid() == 0 else ["unshare", "--map-root-user", "chroot", str(rootfs)]
    try:
        proc = subprocess.run([*prefix, *cmd], capture_output=True, text=True, timeout=60, check=False,
                              env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"})
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ClusterError(f"Cannot run {' '.join(cmd)} inside the image: {exc}", "Build the images as root.") from None
    if proc.returncode != 0:
        raise ClusterError(f"{' '.join(cmd)} fails inside the image: {(proc.stderr or proc.stdout).strip()}",
                           "A library is missing from the image's package list (course/cluster/local/images.py).")
    return proc.stdout + proc.stderr


def build_image(spec: ImageSpec, *, root: Path | None = None, say: Say = _quiet) -> Path:
    """The archive of `spec`, built unless an archive of the same packages and recipe is cached."""
    out_dir = images_dir(root)
    out_dir.mkdir(parents=True, exist_ok=True)
    debs = download(spec.packages, (root or cache_root()) / "debs")
    key = hashlib.sha256("\n".join([RECIPE, spec.name, *sorted(d.name for d in debs)]).encode()).hexdigest()[:12]
    dest = out_dir / f"{_slug(spec.name)}-{key}.tar"
    if dest.is_file():
        return dest
    say(f"building image {spec.name} from Debian packages: {', '.join(spec.packages)}")
    with tempfile.TemporaryDirectory(prefix="podcourse-image-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        rootfs.mkdir()
        for deb in debs:
            subprocess.run(["dpkg-deb", "-x", str(deb), str(rootfs)], check=True, capture_output=True, timeout=120)
        for rel in _SLIM:
            shutil.rmtree(rootfs / rel, ignore_errors=True)
        if spec.setup is not None:
            spec.setup(rootfs)
        seen = _smoke(rootfs, spec.version_cmd)
        if spec.claims not in seen:
            raise ClusterError(
                f"The image {spec.name} would contain {seen.strip()!r}, not the {spec.claims} its name claims.",
                "Change the tag in course/cluster/images.txt (and the chapters) to the version Debian ships.",
            )
        layer = layer_tar(rootfs)
    write_archive(dest, spec.name, layer, spec.config,
                  created_by=f"pod-course stand-in from Debian packages: {' '.join(d.name for d in debs)}")
    for old in out_dir.glob(f"{_slug(spec.name)}-*.tar"):
        if old != dest:
            old.unlink(missing_ok=True)
    return dest


def build_pause(*, root: Path | None = None, say: Say = _quiet) -> Path:
    """The pause image (`course.versions.PAUSE_IMAGE`) from the course's own Go program."""
    src = (HERE / "pause" / "main.go").read_bytes()
    key = hashlib.sha256(RECIPE.encode() + src).hexdigest()[:12]
    out_dir = images_dir(root)
    out_dir.mkdir(parents=True, exist_ok=True)
    dest = out_dir / f"{_slug(versions.PAUSE_IMAGE)}-{key}.tar"
    if dest.is_file():
        return dest
    say(f"building image {versions.PAUSE_IMAGE} from course/cluster/local/pause/main.go")
    go = shutil.which("go")
    if go is None:
        raise ClusterError("Building the pause image needs Go, which is not on PATH.", "Install Go 1.26 or newer.")
    with tempfile.TemporaryDirectory(prefix="podcourse-pause-") as tmp:
        work = Path(tmp)
        (work / "go.mod").write_text("module podcourse.local/pause\n\ngo 1.22\n", encoding="utf-8")
        (work / "main.go").write_bytes(src)
        rootfs = work / "rootfs"
        rootfs.mkdir()
        env = dict(os.environ, CGO_ENABLED="0", GOTOOLCHAIN="local", GOFLAGS="-buildvcs=false", GOWORK="off")
        proc = subprocess.run([go, "build", "-trimpath", "-ldflags", "-s -w", "-o", str(rootfs / "pause"), "."],
                              cwd=work, env=env, capture_output=True, text=True, timeout=600, check=False)
        if proc.returncode != 0:
            raise ClusterError(f"Building the pause program failed: {proc.stderr.strip()}", "Check the Go install.")
        _setup_pause(rootfs)
        layer = layer_tar(rootfs)
    write_archive(dest, versions.PAUSE_IMAGE, layer, {"Entrypoint": ["/pause"], "User": "65535:65535"},
                  created_by="pod-course pause (course/cluster/local/pause/main.go)")
    return dest


def build_all(names: Sequence[str] | None = None, *, root: Path | None = None, say: Say = _quiet) -> dict[str, Path]:
    """name -> archive for the pause image and every course image (or those named)."""
    out = {versions.PAUSE_IMAGE: build_pause(root=root, say=say)}
    for spec in specs_for(list(names) if names is not None else course_image_names()):
        out[spec.name] = build_image(spec, root=root, say=say)
    return out
