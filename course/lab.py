"""Start JupyterLab on the course, the way `make lab` does.

`python -m course.lab [--port N] [--notebook-dir DIR] [JUPYTER-ARGS...]` runs
`jupyter lab` in this very process (so Ctrl-C and signals reach the server
directly), set up for a learner's first minute:

* as root (containers, cloud shells) it adds `--allow-root`, which JupyterLab
  otherwise insists on; for everybody else nothing changes;
* it opens on chapter 1's notebook instead of an empty file browser;
* it turns off the "official Jupyter news" question and the update check: the
  settings override in `course/data/jupyterlab/overrides.json` is merged into the
  environment's JupyterLab settings directory, and the server is told not to
  fetch the news feed or look for updates.

JupyterLab itself prints the URL with its token. The notebooks carry the
`python3` kernelspec, which ipykernel provides in every environment that can run
the course, so no kernel has to be chosen by hand either.

`--install-settings` only merges the settings override and exits;
`--server-config` merges it and prints the server settings as a Jupyter config
file (Binder's `postBuild` uses it); `--print-command` shows the command
instead of running it.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OVERRIDES = Path(__file__).resolve().parent / "data" / "jupyterlab" / "overrides.json"
FIRST_CHAPTER = "ch1"
# Server-side halves of "no news": no feed request and no update check.
NO_NEWS_ARGS = ("--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate")


def is_root() -> bool:
    """True when this process runs as root (where JupyterLab wants `--allow-root`)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def default_notebook_dir() -> Path:
    """`notebooks/` of the working directory when there is one, else of this checkout."""
    here = Path.cwd() / "notebooks"
    return here if here.is_dir() else ROOT / "notebooks"


def first_notebook(notebook_dir: Path) -> Path | None:
    """Chapter 1's notebook, relative to `notebook_dir` (None when there is none)."""
    found = sorted(p for p in (notebook_dir / FIRST_CHAPTER).glob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    return found[0].relative_to(notebook_dir) if found else None


def start_url(notebook_dir: Path, root_dir: Path | None = None) -> str:
    """The path JupyterLab opens on: chapter 1's notebook, or the file browser when it is missing.

    `root_dir` is the folder the server serves, when that is not `notebook_dir` itself (Binder
    serves the whole repository).
    """
    nb = first_notebook(notebook_dir)
    if nb is None:
        return "/lab"
    path = (notebook_dir / nb).resolve().relative_to((root_dir or notebook_dir).resolve())
    return f"/lab/tree/{path.as_posix()}"


def server_config(notebook_dir: Path, root_dir: Path) -> dict[str, Any]:
    """What `lab_args` sets, as a Jupyter server config file, for a server someone else starts (Binder)."""
    url = start_url(notebook_dir, root_dir)
    return {
        "ServerApp": {"default_url": url},
        "LabApp": {"default_url": url, "news_url": None,
                   "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"},
    }


def settings_dir() -> Path:
    """The settings directory of this environment's JupyterLab application (where overrides.json lives)."""
    from jupyterlab.commands import get_app_dir

    return Path(get_app_dir()) / "settings"


def merged_overrides(current: dict[str, Any], ours: dict[str, Any]) -> dict[str, Any]:
    """`current` with our plugin settings laid over it; other plugins' overrides are kept."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in current.items()}
    for plugin, values in ours.items():
        base = out.get(plugin) if isinstance(out.get(plugin), dict) else {}
        out[plugin] = {**base, **values}
    return out


def install_settings(target_dir: Path | None = None) -> bool:
    """Merge the course's JupyterLab settings override into `target_dir`; True when the file was written.

    Nothing is written when the override is already in place, so an ordinary user
    can start a server from an environment someone else installed.
    """
    target = (target_dir or settings_dir()) / "overrides.json"
    ours = json.loads(OVERRIDES.read_text(encoding="utf-8"))
    current: dict[str, Any] = {}
    if target.exists():
        try:
            loaded = json.loads(target.read_text(encoding="utf-8") or "{}")
            current = loaded if isinstance(loaded, dict) else {}
        except ValueError:
            current = {}
    wanted = merged_overrides(current, ours)
    if wanted == current and target.exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(wanted, indent=2) + "\n", encoding="utf-8")
    return True


def lab_args(notebook_dir: Path, port: int | None = None, extra: list[str] | None = None,
             root: bool | None = None) -> list[str]:
    """The arguments `make lab` gives `jupyter lab`."""
    args = [f"--ServerApp.root_dir={notebook_dir}", f"--LabApp.default_url={start_url(notebook_dir)}", *NO_NEWS_ARGS]
    if port is not None:
        args.append(f"--port={port}")
    if is_root() if root is None else root:
        args.append("--allow-root")
    return args + list(extra or [])


def lab_command(notebook_dir: Path, port: int | None = None, extra: list[str] | None = None,
                root: bool | None = None) -> list[str]:
    """The same start as a command line (`python -m jupyterlab ...`), to show or to run elsewhere."""
    return [sys.executable, "-m", "jupyterlab", *lab_args(notebook_dir, port, extra, root)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course.lab", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=None, help="port to listen on (JupyterLab's default: 8888)")
    parser.add_argument("--notebook-dir", type=Path, default=None, help="folder to serve (default: notebooks/)")
    parser.add_argument("--install-settings", action="store_true", help="only install the settings override")
    parser.add_argument("--print-command", action="store_true", help="print the command instead of running it")
    parser.add_argument("--server-config", action="store_true",
                        help="print the same settings as a Jupyter server config (JSON) for a server rooted here")
    args, extra = parser.parse_known_args(argv)

    try:
        install_settings()
    except OSError as exc:
        print(f"note: could not install the JupyterLab settings override ({exc}); "
              "JupyterLab may ask whether to fetch Jupyter news: answer No.", file=sys.stderr, flush=True)
        if args.install_settings:
            return 1
    if args.install_settings:
        return 0

    notebook_dir = (args.notebook_dir or default_notebook_dir()).resolve()
    if not notebook_dir.is_dir():
        print(f"no notebooks in {notebook_dir}: run this from the course checkout", flush=True)
        return 2
    if args.server_config:
        print(json.dumps(server_config(notebook_dir, Path.cwd()), indent=2))
        return 0
    if args.print_command:
        print(shlex.join(lab_command(notebook_dir, args.port, extra)))
        return 0
    print(f"Starting JupyterLab on {notebook_dir}, opening {start_url(notebook_dir)}.\n"
          "Open the URL with the token that JupyterLab prints below; stop it with Ctrl-C.", flush=True)
    # In this process rather than a new one: the same interpreter, whatever PATH says.
    from jupyterlab.labapp import LabApp

    LabApp.launch_instance(argv=lab_args(notebook_dir, args.port, extra))
    return 0


if __name__ == "__main__":
    sys.exit(main())
