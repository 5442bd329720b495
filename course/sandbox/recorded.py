"""Live observations when this machine can build sandboxes, recorded ones when it cannot.

Binder and most hosted notebooks allow neither root nor user namespaces; the lab then
shows output captured from a real run (``python -m course.sandbox`` writes it)
so every cell still runs and the learner is told plainly that it is a recording.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any

from course.sandbox.core import Support, sandbox_support
from course.sandbox.observe import OBSERVATIONS

RECORDED = Path(__file__).with_name("recorded") / "observations.json"


def load_recorded(path: Path | str = RECORDED) -> dict[str, Any]:
    """The recorded file as a dict: {"meta": {...}, "observations": {name: data}}."""
    return json.loads(Path(path).read_text())


def observe(name: str, *, support: Support | None = None, path: Path | str = RECORDED) -> dict[str, Any]:
    """Run observation `name` live if possible, else return its recording; says which in "source".

    The result is {"name", "source": "live"|"recorded", "reason", "data"}.
    """
    if name not in OBSERVATIONS:
        raise KeyError(f"unknown observation {name!r}; choose from {', '.join(OBSERVATIONS)}")
    support = support or sandbox_support()
    if support.available:
        return {"name": name, "source": "live", "reason": support.reason, "data": OBSERVATIONS[name]()}
    recorded = load_recorded(path)
    meta = recorded.get("meta", {})
    reason = (f"Live namespaces are not available here ({support.reason}); showing output recorded "
              f"on {meta.get('recorded_at', 'an earlier run')} with Linux {meta.get('kernel', '?')}.")
    return {"name": name, "source": "recorded", "reason": reason, "data": recorded["observations"][name]}


def record(path: Path | str = RECORDED, names: list[str] | None = None) -> dict[str, Any]:
    """Run every observation for real and write them to `path`; refuses when sandboxes are unavailable."""
    support = sandbox_support()
    if not support.available:
        raise RuntimeError(f"cannot record without live sandboxes: {support.reason}")
    observations = {n: OBSERVATIONS[n]() for n in (names or list(OBSERVATIONS))}
    doc = {
        "meta": {
            "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "kernel": platform.release(),
            "python": platform.python_version(),
            "mode": support.mode,
        },
        "observations": observations,
    }
    Path(path).write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    return doc


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m course.sandbox",
                                description="Record the namespaces lab's observations from a live run.")
    p.add_argument("--out", default=str(RECORDED))
    a = p.parse_args(argv)
    doc = record(a.out)
    print(f"wrote {len(doc['observations'])} observations to {a.out}")
    return 0
