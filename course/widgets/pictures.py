"""Pictures of a Pod for chapters 6, 7 and 8, computed from its spec the way the kubelet behaves.

Three pictures, each a plain function from a Pod (YAML text, a manifest dict or a bare
Pod spec) to a matplotlib `Figure`, with the numbers behind it available on their own:

* `lifecycle_plan` / `lifecycle_figure` (chapter 6): the start order of init containers,
  native sidecars and app containers, and the shutdown with its grace period;
* `probe_timeline` / `probe_timeline_figure` (chapter 7): when the probes of one container
  run, the startup budget, and for a failure scenario when readiness takes the Pod out of its
  Services and when liveness restarts the container;
* `resources_figure` (chapter 8): requests and limits against a node's allocatable, and
  `eviction_order` / `oom_order` / `pressure_figure`: who goes first under node memory
  pressure and in a node-level OOM kill.

`ProbeTimelineView`, `LifecycleView` and `ResourcesView` wrap them in ipywidgets: the YAML
(and the scenario) live in traits, every change redraws, and a problem is explained in an
`Output` instead of being raised from a callback. matplotlib is imported only when a picture
is drawn, figures are rendered with the Agg canvas (no display needed), and nothing is
written to stderr.

What the pictures assume, beyond the spec: times are seconds after the Pod's (or the
container's) start; image pulls take no time; every probe worker ticks every `periodSeconds`
from the moment the kubelet started it (`lead` seconds before the container started, 0 by
default, so ticks fall on the container's start). The kubelet's extra jitter after a kubelet
restart is left out.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import os
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import traitlets
import yaml

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# Probe defaults the API server fills in (0 counts as unset, as in SetDefaults_Probe).
PROBE_DEFAULTS = {"initialDelaySeconds": 0, "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1,
                  "failureThreshold": 3}
DEFAULT_GRACE = 30  # spec.terminationGracePeriodSeconds when unset
MIN_GRACE = 2  # the kubelet always leaves a container at least this long between SIGTERM and SIGKILL
GUARANTEED_OOM_ADJ = -997
BESTEFFORT_OOM_ADJ = 1000
COLOURS = {"init": "#78909c", "sidecar": "#43a047", "app": "#fb8c00", "hook": "#ffe082", "ok": "#2e7d32",
           "fail": "#c62828", "budget": "#bbdefb", "grace": "#ef9a9a", "request": "#1e88e5", "limit": "#90caf9",
           "node": "#c62828", "Guaranteed": "#2e7d32", "Burstable": "#f9a825", "BestEffort": "#757575"}


class PictureError(ValueError):
    """The spec cannot be drawn; the message says why, in words a learner can act on."""


# ---------------------------------------------------------------------------------------------
# Reading Pods
# ---------------------------------------------------------------------------------------------


def _documents(source: Any) -> list[Any]:
    if isinstance(source, str):
        try:
            docs = [d for d in yaml.safe_load_all(source) if d is not None]
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark is not None else ""
            raise PictureError(f"the YAML does not parse{where}: {getattr(exc, 'problem', None) or exc}") from None
        return docs
    if isinstance(source, list):
        return source
    return [source]


def _as_pod(doc: Any) -> tuple[str, dict[str, Any]]:
    """(name, spec) of one manifest, a workload with a pod template, or a bare Pod spec."""
    if not isinstance(doc, dict):
        raise PictureError("a Pod must be a mapping with apiVersion, kind, metadata and spec")
    if "containers" in doc and "spec" not in doc:
        return "pod", doc
    spec = doc.get("spec")
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    if isinstance(spec, dict) and isinstance(spec.get("template"), dict):  # Deployment, Job, ...
        spec = spec["template"].get("spec")
    if isinstance(spec, dict) and isinstance(spec.get("jobTemplate"), dict):  # CronJob
        spec = (spec["jobTemplate"].get("spec") or {}).get("template", {}).get("spec")
    if not isinstance(spec, dict):
        raise PictureError("this manifest has no Pod spec (spec.containers) to draw")
    return str(meta.get("name") or "pod"), spec


def read_pod(source: Any) -> tuple[str, dict[str, Any]]:
    """The first Pod in `source` (YAML text, a manifest dict or a Pod spec) as (name, spec)."""
    docs = _documents(source)
    if not docs:
        raise PictureError("there is no Pod here yet: the text is empty")
    name, spec = _as_pod(docs[0])
    if not [c for c in _list(spec.get("containers")) if isinstance(c, dict)]:
        raise PictureError(f"Pod {name!r} has no containers to draw")
    return name, spec


def read_pods(source: Any) -> list[tuple[str, dict[str, Any]]]:
    """Every Pod in `source` (several YAML documents, or a list of manifests)."""
    pods = [_as_pod(d) for d in _documents(source)]
    if not pods:
        raise PictureError("there are no Pods here yet: the text is empty")
    return pods


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default


def _is_sidecar(c: dict[str, Any]) -> bool:
    return c.get("restartPolicy") == "Always"


def _grace(spec: dict[str, Any]) -> int:
    g = spec.get("terminationGracePeriodSeconds")
    return g if isinstance(g, int) and not isinstance(g, bool) and g >= 0 else DEFAULT_GRACE


def _hook_seconds(c: dict[str, Any], hook: str, default: float) -> float:
    """How long a lifecycle hook runs: a `sleep` handler's seconds, else `default` (0 without a hook)."""
    h = (c.get("lifecycle") or {}).get(hook) if isinstance(c.get("lifecycle"), dict) else None
    if not isinstance(h, dict):
        return 0.0
    sleep = h.get("sleep")
    if isinstance(sleep, dict) and isinstance(sleep.get("seconds"), int):
        return float(max(sleep["seconds"], 0))
    return float(default)


def _per(value: float | Mapping[str, float | None] | None, name: str, default: float | None) -> float | None:
    if isinstance(value, Mapping):
        return value.get(name, default)
    return value


# ---------------------------------------------------------------------------------------------
# Chapter 7: probe timelines
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """One probe's timing, defaulted as the API server stores it."""

    kind: str
    initial_delay: int
    period: int
    timeout: int
    success_threshold: int
    failure_threshold: int
    grace: int | None  # the probe's own terminationGracePeriodSeconds (liveness and startup only)

    @classmethod
    def of(cls, kind: str, probe: Any) -> Probe | None:
        if not isinstance(probe, dict):
            return None
        delay = probe.get("initialDelaySeconds")
        g = probe.get("terminationGracePeriodSeconds")
        return cls(kind=kind,
                   initial_delay=delay if isinstance(delay, int) and not isinstance(delay, bool) and delay > 0 else 0,
                   period=_int(probe.get("periodSeconds"), 10), timeout=_int(probe.get("timeoutSeconds"), 1),
                   success_threshold=_int(probe.get("successThreshold"), 1),
                   failure_threshold=_int(probe.get("failureThreshold"), 3),
                   grace=g if isinstance(g, int) and not isinstance(g, bool) and g > 0 else None)

    @property
    def budget(self) -> int:
        """initialDelaySeconds + failureThreshold x periodSeconds (the startup budget of a startupProbe)."""
        return self.initial_delay + self.failure_threshold * self.period


@dataclass(frozen=True)
class ProbeRun:
    probe: str
    start: float
    done: float
    ok: bool


@dataclass
class ProbeTimeline:
    """When the kubelet probes one container and what it does about the results."""

    pod: str
    container: str
    probes: dict[str, Probe]
    answers_from: float
    stops_at: float | None
    startup_budget: int | None = None  # None without a startupProbe
    started_at: float | None = None  # when the container counts as started (0 without a startupProbe)
    startup_kill_at: float | None = None  # the startupProbe failed failureThreshold times in a row
    liveness_from: float | None = None  # first liveness check that counts
    readiness_from: float | None = None  # first readiness check that counts
    ready_at: float | None = None
    unready_at: float | None = None  # not Ready again: the Pod leaves its Services' endpoints
    liveness_kill_at: float | None = None  # liveness failed failureThreshold times: the kubelet kills
    grace_seconds: int | None = None  # grace period of that kill (startup or liveness)
    killed_by: float | None = None  # SIGKILL at the latest (kill + grace)
    runs: list[ProbeRun] = field(default_factory=list)
    end: float = 0.0

    @property
    def kill_at(self) -> float | None:
        return self.startup_kill_at if self.startup_kill_at is not None else self.liveness_kill_at

    def events(self) -> dict[str, float]:
        """The moments the picture marks, by name (only those that happen)."""
        names = ("started_at", "startup_kill_at", "liveness_from", "readiness_from", "ready_at", "unready_at",
                 "liveness_kill_at", "killed_by")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}


def _pick_container(spec: dict[str, Any], name: str | None) -> dict[str, Any]:
    regular = [c for c in _list(spec.get("containers")) if isinstance(c, dict)]
    sidecars = [c for c in _list(spec.get("initContainers")) if isinstance(c, dict) and _is_sidecar(c)]
    candidates = regular + sidecars
    if name is not None:
        for c in candidates:
            if c.get("name") == name:
                return c
        known = ", ".join(repr(c.get("name")) for c in candidates) or "none"
        raise PictureError(f"no container (or sidecar) named {name!r}; this Pod has {known}")
    probed = [c for c in candidates if any(isinstance(c.get(k), dict) for k in
                                           ("startupProbe", "livenessProbe", "readinessProbe"))]
    return (probed or candidates)[0]


class _Ticker:
    """A probe worker's loop: a Go ticker of `period` seconds, started `lead` seconds before the container.

    A check that takes longer than a period makes the loop pick up the one buffered tick as soon
    as the check returns (Go drops the others), as time.Ticker does.
    """

    def __init__(self, period: int, lead: float) -> None:
        self.period = period
        self.origin = -lead

    def first_at_or_after(self, t: float) -> float:
        k = math.ceil(round((t - self.origin) / self.period, 9))
        return self.origin + k * self.period

    def first_after(self, t: float) -> float:
        k = math.floor(round((t - self.origin) / self.period, 9)) + 1
        return self.origin + k * self.period

    def reset(self, t: float) -> None:
        """A manual run at `t` restarts the ticker from that moment (probeTicker.Reset)."""
        self.origin = t

    def after(self, start: float, done: float) -> float:
        """When the loop checks again after a check that ran from `start` to `done`."""
        nxt = self.first_after(start)
        return nxt if nxt > done else done


def probe_timeline(source: Any, container: str | None = None, *, answers_from: float = 0.0,
                   stops_at: float | None = None, hangs: bool = True, lead: float = 0.0,
                   until: float | None = None) -> ProbeTimeline:
    """Simulate the kubelet's probe workers for one container of a Pod.

    The app answers its checks from `answers_from` seconds after the container started, and
    stops answering at `stops_at` (None: never). A check of an app that stopped answering
    fails after `timeoutSeconds` when it `hangs`, at once when it refuses connections.

    The rules are the kubelet's (pkg/kubelet/prober): a probe skips its ticks until
    `initialDelaySeconds` have passed since the container started; liveness and readiness
    probes do not run until the startup probe has succeeded (which it does once, then stops);
    a probe acts after `failureThreshold` failures in a row (readiness turns Ready again after
    `successThreshold` successes); when a started container is not yet ready, the kubelet runs
    its readiness probe at once and restarts that probe's ticker; a liveness or startup failure
    kills the container with the probe's `terminationGracePeriodSeconds`, else the Pod's.
    """
    pod_name, spec = read_pod(source)
    c = _pick_container(spec, container)
    probes = {k: p for k in ("startup", "readiness", "liveness")
              if (p := Probe.of(k, c.get(f"{k}Probe"))) is not None}
    tl = ProbeTimeline(pod=pod_name, container=str(c.get("name") or "?"), probes=probes,
                       answers_from=float(answers_from), stops_at=None if stops_at is None else float(stops_at))
    horizon = float(until) if until is not None else _horizon(probes, answers_from, stops_at)

    def answers(t: float) -> bool:
        return t >= answers_from and (stops_at is None or t < stops_at)

    def check(kind: str, t: float) -> ProbeRun:
        ok = answers(t)
        took = 0.0 if ok or not hangs else float(probes[kind].timeout)
        run = ProbeRun(kind, t, t + took, ok)
        tl.runs.append(run)
        return run

    # startup: runs from the container's start until it succeeds once or fails failureThreshold times
    start_probe = probes.get("startup")
    if start_probe is None:
        tl.started_at = 0.0
    else:
        tl.startup_budget = start_probe.budget
        ticker = _Ticker(start_probe.period, lead)
        t, fails = ticker.first_at_or_after(0.0), 0
        while t <= horizon:
            if t < start_probe.initial_delay:
                t = ticker.first_after(t)
                continue
            run = check("startup", t)
            if run.ok:
                tl.started_at = run.done
                break
            fails += 1
            if fails >= start_probe.failure_threshold:
                tl.startup_kill_at = run.done
                break
            t = ticker.after(run.start, run.done)

    if tl.started_at is not None:
        _liveness(tl, probes.get("liveness"), lead, horizon, check)
    killing = "startup" if tl.startup_kill_at is not None else "liveness" if tl.liveness_kill_at is not None else None
    if killing is not None:
        own = probes[killing].grace
        tl.grace_seconds = own if own is not None else _grace(spec)
        tl.killed_by = (tl.kill_at or 0.0) + max(tl.grace_seconds, MIN_GRACE)
    if tl.started_at is not None:
        # readiness keeps probing while a killed container is still running (until SIGKILL at the latest)
        _readiness(tl, probes.get("readiness"), lead, tl.killed_by if tl.killed_by is not None else horizon, check)
    tl.end = max(horizon, (tl.killed_by or 0.0) + 2)
    return tl


def _readiness(tl: ProbeTimeline, probe: Probe | None, lead: float, horizon: float,
               check: Callable[[str, float], ProbeRun]) -> None:
    started = tl.started_at or 0.0
    if probe is None:
        tl.ready_at = started  # no readiness probe: Ready as soon as it has started
        return
    ticker = _Ticker(probe.period, lead)
    ticker.reset(started)  # started but not ready: the kubelet triggers a run right away
    t, run_ok, run_len = started, None, 0
    while t < horizon or (t == horizon and tl.killed_by is None):
        if t < probe.initial_delay:
            t = ticker.first_after(t)
            continue
        run = check("readiness", t)
        if tl.readiness_from is None:
            tl.readiness_from = t
        run_len = run_len + 1 if run.ok == run_ok else 1
        run_ok = run.ok
        if run.ok and tl.ready_at is None and run_len >= probe.success_threshold:
            tl.ready_at = run.done
        if not run.ok and tl.ready_at is not None and tl.unready_at is None and run_len >= probe.failure_threshold:
            tl.unready_at = run.done
            return
        t = ticker.after(run.start, run.done)


def _liveness(tl: ProbeTimeline, probe: Probe | None, lead: float, horizon: float,
              check: Callable[[str, float], ProbeRun]) -> None:
    if probe is None:
        return
    started = tl.started_at or 0.0
    ticker = _Ticker(probe.period, lead)
    t, fails = ticker.first_at_or_after(max(started, float(probe.initial_delay))), 0
    while t <= horizon:
        run = check("liveness", t)
        if tl.liveness_from is None:
            tl.liveness_from = t
        fails = 0 if run.ok else fails + 1
        if fails >= probe.failure_threshold:
            tl.liveness_kill_at = run.done
            return
        t = ticker.after(run.start, run.done)


def _horizon(probes: dict[str, Probe], answers_from: float, stops_at: float | None) -> float:
    longest = max((p.period * (p.failure_threshold + 2) + p.timeout for p in probes.values()), default=30)
    ends = [float(answers_from), float(stops_at or 0)]
    if "startup" in probes:
        ends.append(float(probes["startup"].budget))
    return max(ends) + longest


def probe_timeline_figure(source: Any, container: str | None = None, **scenario: Any) -> Figure:
    """The probe timeline of one container as a figure (see `probe_timeline` for the scenario)."""
    tl = probe_timeline(source, container, **scenario)
    fig, ax = _figure(8.0, 3.8)
    rows = ["startup", "readiness", "liveness", "Ready", "container"]
    y = {name: len(rows) - i for i, name in enumerate(rows)}
    if tl.startup_budget is not None:
        ax.barh(y["startup"], tl.startup_budget, left=0, height=0.6, color=COLOURS["budget"], zorder=1)
        ax.text(tl.startup_budget, y["startup"], f" budget {tl.startup_budget}s", va="center", fontsize=7,
                color="#1565c0")
    for kind in ("startup", "readiness", "liveness"):
        runs = [r for r in tl.runs if r.probe == kind]
        if kind not in tl.probes:
            ax.text(0.5, y[kind], "no probe", va="center", fontsize=7, color="#666")
            continue
        ok = [r.start for r in runs if r.ok]
        bad = [r.start for r in runs if not r.ok]
        ax.scatter(ok, [y[kind]] * len(ok), marker="o", s=14, color=COLOURS["ok"], zorder=3)
        ax.scatter(bad, [y[kind]] * len(bad), marker="x", s=18, color=COLOURS["fail"], zorder=3)
    if tl.ready_at is not None:
        # Ready until readiness fails, or until the killed container has exited (SIGKILL at the latest)
        until = tl.unready_at if tl.unready_at is not None else tl.killed_by if tl.killed_by is not None else tl.end
        ax.barh(y["Ready"], until - tl.ready_at, left=tl.ready_at, height=0.5, color=COLOURS["ok"], zorder=2)
    running_until = tl.kill_at if tl.kill_at is not None else tl.end
    ax.barh(y["container"], running_until, left=0, height=0.5, color=COLOURS["app"], zorder=2)
    if tl.kill_at is not None and tl.killed_by is not None:
        ax.barh(y["container"], tl.killed_by - tl.kill_at, left=tl.kill_at, height=0.5, color=COLOURS["grace"],
                hatch="//", zorder=2)
        ax.text(tl.killed_by, y["container"], f" grace {tl.grace_seconds}s, then restarted", va="center",
                fontsize=7, color=COLOURS["fail"])
    marks = [(tl.started_at if tl.probes.get("startup") else None, "started", "#1565c0"),
             (tl.ready_at, "Ready", COLOURS["ok"]),
             (tl.unready_at, "not Ready: out of endpoints", "#ef6c00"),
             (tl.kill_at, "kill: SIGTERM", COLOURS["fail"]),
             (tl.killed_by, "SIGKILL at the latest", "#6a1b9a")]
    _vlines(ax, marks, top=len(rows) + 0.45, span=tl.end)
    for x, label in ((tl.answers_from if tl.answers_from > 0 else None, "app answers"),
                     (tl.stops_at, "app stops answering")):
        if x is not None:
            ax.axvline(x, color="#555", linestyle=":", linewidth=1)
            ax.text(x, 0.3, f" {label}", fontsize=7, color="#555")
    names = {"Ready": "Ready", "container": "container"}
    ax.set_yticks([y[r] for r in rows], [names.get(r, f"{r}Probe") for r in rows], fontsize=8)
    ax.set_ylim(0.1, len(rows) + 1.6)
    ax.set_xlim(-tl.end * 0.01, tl.end)
    ax.set_xlabel("seconds after the container started", fontsize=8)
    ax.set_title(f"Pod {tl.pod}, container {tl.container}: probes (o pass, x fail)", fontsize=9)
    return _finish(fig)


# ---------------------------------------------------------------------------------------------
# Chapter 6: start and stop order
# ---------------------------------------------------------------------------------------------


@dataclass
class Step:
    """One container's life in the lifecycle picture."""

    name: str
    kind: str  # "init", "sidecar" or "app"
    start: float
    started: float  # postStart done (and, for a sidecar, its startupProbe passed)
    exit: float | None = None  # when it stopped
    pre_stop: tuple[float, float] | None = None
    sigterm: float | None = None
    sigkill_by: float | None = None
    order: int = 0  # position in the start order (1-based)
    stop_order: int | None = None  # position in the stop order (1-based, ties share a number)


@dataclass
class LifecyclePlan:
    pod: str
    steps: list[Step]
    initialized_at: float  # every init container done and every sidecar started
    stop_at: float  # deletion (or, for a Pod that completes, the last app container's exit)
    grace: int
    completes: bool  # the app containers exit by themselves (restartPolicy Never / OnFailure)

    @property
    def end(self) -> float:
        return max([s.exit or 0.0 for s in self.steps] + [self.stop_at + 1])


def _startup_wait(c: dict[str, Any], answers_after: float) -> float:
    """Seconds from a sidecar's start until its startupProbe passes (0 without one)."""
    p = Probe.of("startup", c.get("startupProbe"))
    if p is None:
        return 0.0
    t = max(float(p.initial_delay), float(answers_after))
    return math.ceil(t / p.period - 1e-9) * p.period


def lifecycle_plan(source: Any, *, init_seconds: float | Mapping[str, float] = 2.0,
                   sidecar_ready_after: float | Mapping[str, float] = 1.0, hook_seconds: float = 1.0,
                   runs_for: float | Mapping[str, float | None] | None = None, delete_at: float | None = None,
                   stop_seconds: float | Mapping[str, float | None] | None = 1.0) -> LifecyclePlan:
    """The start and stop order the kubelet gives a Pod's containers.

    Start: init containers one at a time in order; a plain one must exit (after
    `init_seconds`), a native sidecar (restartPolicy Always) only has to have started: its
    postStart hook returned and its startupProbe passed (its app answers after
    `sidecar_ready_after` seconds; the probe checks on its own ticks). Then the app containers
    start in order, each after the previous one's postStart hook. Hooks with a `sleep` handler
    take its seconds, other handlers `hook_seconds`.

    Stop: at `delete_at` (default: a few seconds after everything runs), or for a Pod with
    restartPolicy Never/OnFailure whose app containers all exit by themselves (`runs_for`), when
    the last of them exits. Every running container's preStop hook starts at once; app
    containers then get SIGTERM; sidecars wait until every app container and every sidecar
    declared after them has exited, then get SIGTERM, so they stop in reverse order. One grace
    period (spec.terminationGracePeriodSeconds) counts from the start for all of them, hooks
    included; whoever is still running when it ends gets SIGKILL (and always at least 2 s after
    SIGTERM). A container exits `stop_seconds` after SIGTERM (None: it ignores SIGTERM).
    """
    pod_name, spec = read_pod(source)
    steps: list[Step] = []
    t = 0.0
    for c in (c for c in _list(spec.get("initContainers")) if isinstance(c, dict)):
        name = str(c.get("name") or "?")
        if _is_sidecar(c):
            hook = _hook_seconds(c, "postStart", hook_seconds)
            ready = _startup_wait(c, _per(sidecar_ready_after, name, 1.0) or 0.0)
            started = t + max(hook, ready)
            steps.append(Step(name, "sidecar", t, started))
            t = started
        else:
            run = _per(init_seconds, name, 2.0) or 0.0
            steps.append(Step(name, "init", t, t, exit=t + run, stop_order=None))
            t += run
    init_done = t
    completes = spec.get("restartPolicy") in ("Never", "OnFailure") and runs_for is not None
    for c in (c for c in _list(spec.get("containers")) if isinstance(c, dict)):
        name = str(c.get("name") or "?")
        hook = _hook_seconds(c, "postStart", hook_seconds)
        steps.append(Step(name, "app", t, t + hook))
        t += hook
    for i, s in enumerate(steps, start=1):
        s.order = i
    apps = [s for s in steps if s.kind == "app"]
    if completes:
        for s in apps:
            ran = _per(runs_for, s.name, None)
            if ran is None:
                completes = False
                break
            s.exit = s.started + float(ran)
    if completes:
        stop_at = max(s.exit or 0.0 for s in apps)
    else:
        for s in apps:
            s.exit = None
        stop_at = float(delete_at) if delete_at is not None else t + 3.0
    grace = _grace(spec)
    _shutdown(spec, steps, stop_at, grace, hook_seconds, stop_seconds, completes)
    return LifecyclePlan(pod_name, steps, init_done, stop_at, grace, completes)


def _shutdown(spec: dict[str, Any], steps: list[Step], at: float, grace: int, hook_seconds: float,
              stop_seconds: float | Mapping[str, float | None] | None, completes: bool) -> None:
    by_name = {str(c.get("name")): c for c in _list(spec.get("initContainers")) + _list(spec.get("containers"))
               if isinstance(c, dict)}

    def stop(s: Step, turn: float, hook_end: float) -> None:
        # grace left after the hook and the wait (whole seconds, as the kubelet truncates), at least 2
        used = int(hook_end - at) + int(turn - hook_end)
        left = max(grace - used, MIN_GRACE)
        s.sigterm = turn
        s.sigkill_by = turn + left
        secs = _per(stop_seconds, s.name, 1.0)
        s.exit = s.sigkill_by if secs is None else min(turn + float(secs), s.sigkill_by)

    running_apps = [s for s in steps if s.kind == "app" and not completes]
    for s in running_apps:
        hook = min(_hook_seconds(by_name.get(s.name, {}), "preStop", hook_seconds), float(grace))
        s.pre_stop = (at, at + hook) if hook else None
        stop(s, at + hook, at + hook)
    apps_gone = max([s.exit or at for s in steps if s.kind == "app"] + [at])
    later_gone = apps_gone
    for s in reversed([s for s in steps if s.kind == "sidecar"]):
        hook = min(_hook_seconds(by_name.get(s.name, {}), "preStop", hook_seconds), float(grace))
        s.pre_stop = (at, at + hook) if hook else None
        hook_end = at + hook
        turn = min(max(hook_end, later_gone), max(hook_end, at + grace))  # waiting is bounded by the grace left
        stop(s, turn, hook_end)
        later_gone = max(later_gone, s.exit or turn)
    ordered = sorted((s for s in steps if s.exit is not None and s.kind != "init"), key=lambda s: s.exit or 0.0)
    rank, last = 0, None
    for s in ordered:
        if s.exit != last:
            rank += 1
            last = s.exit
        s.stop_order = rank


def lifecycle_figure(source: Any, **options: Any) -> Figure:
    """The start and stop order of a Pod's containers as a figure (see `lifecycle_plan`)."""
    plan = lifecycle_plan(source, **options)
    fig, ax = _figure(8.0, 1.3 + 0.45 * len(plan.steps))
    n = len(plan.steps)
    for i, s in enumerate(plan.steps):
        y = n - i
        end = s.exit if s.exit is not None else plan.end
        ax.barh(y, end - s.start, left=s.start, height=0.55, color=COLOURS[s.kind], zorder=2)
        if s.started > s.start and s.kind != "init":
            ax.barh(y, s.started - s.start, left=s.start, height=0.55, color=COLOURS["hook"], hatch="..", zorder=3)
        if s.pre_stop is not None:
            a, b = s.pre_stop
            ax.barh(y, b - a, left=a, height=0.55, color=COLOURS["hook"], hatch="//", zorder=3)
        if s.sigterm is not None:
            ax.plot([s.sigterm], [y + 0.38], marker="v", color="#333", markersize=5, zorder=4)
        label = f"start #{s.order}" + (f", stop #{s.stop_order}" if s.stop_order else "")
        ax.text(s.start + 0.1, y + 0.34, label, fontsize=6.5, color="#222", zorder=5)
    what = "app containers done" if plan.completes else "deleted"
    right = max(plan.end, plan.stop_at + plan.grace) + 1
    _vlines(ax, [(plan.initialized_at, "Initialized", "#1565c0"), (plan.stop_at, what, COLOURS["fail"]),
                 (plan.stop_at + plan.grace, "grace period ends: SIGKILL", "#6a1b9a")], top=n + 0.55, span=right)
    kinds = {"init": "init container", "sidecar": "sidecar", "app": "container"}
    ax.set_yticks([n - i for i in range(n)], [f"{s.name} ({kinds[s.kind]})" for s in plan.steps], fontsize=8)
    ax.set_ylim(0.3, n + 1.5)
    ax.set_xlim(-0.3, right)
    ax.set_xlabel("seconds (hatched: hooks; v: SIGTERM)", fontsize=8)
    ax.set_title(f"Pod {plan.pod}: start and stop order", fontsize=9)
    return _finish(fig)


# ---------------------------------------------------------------------------------------------
# Chapter 8: requests, limits, eviction and OOM kills
# ---------------------------------------------------------------------------------------------


def _qty(value: Any) -> Fraction:
    from course.checker.quantity import parse_quantity

    try:
        return parse_quantity(value)
    except (ValueError, ArithmeticError):
        raise PictureError(f"{value!r} is not a quantity Kubernetes would accept") from None


def _resource(items: Mapping[str, Any], name: str) -> Fraction | None:
    got = items.get(name)
    return got[0] if got is not None else None


@dataclass
class ContainerResources:
    pod: str
    name: str
    kind: str  # "init", "sidecar" or "app"
    requests: dict[str, Fraction]  # as stored: a limit without a request became the request
    limits: dict[str, Fraction]


def container_resources(source: Any) -> list[ContainerResources]:
    """Requests and limits (cpu, memory) of every container of every Pod in `source`."""
    from course.checker import defaults

    out = []
    for pod, spec in read_pods(source):
        for fld in ("initContainers", "containers"):
            for c in (c for c in _list(spec.get(fld)) if isinstance(c, dict)):
                kind = "app" if fld == "containers" else "sidecar" if _is_sidecar(c) else "init"
                req = defaults.container_requests(c)
                lim = defaults.container_limits(c)
                out.append(ContainerResources(
                    pod, str(c.get("name") or "?"), kind,
                    {r: v for r in ("cpu", "memory") if (v := _resource(req, r)) is not None},
                    {r: v for r in ("cpu", "memory") if (v := _resource(lim, r)) is not None}))
    return out


def pod_request(spec: dict[str, Any], resource: str) -> Fraction:
    """The Pod's request as the scheduler and the eviction manager count it (upstream's PodRequests).

    Pod-level `spec.resources.requests` when set, else the larger of (app containers + sidecars)
    and the init peak; plus `spec.overhead` when the request is not zero.
    """
    from course.checker import defaults

    pl = defaults.pod_level(spec)
    got = _resource(pl.requests, resource) if pl is not None else None
    if got is None:
        got = _resource(defaults.aggregate(spec, defaults.container_requests), resource) or Fraction(0)
    overhead = spec.get("overhead") if isinstance(spec.get("overhead"), dict) else {}
    if got and resource in overhead:
        got += _qty(overhead[resource])
    return got


def _cores(v: Fraction) -> float:
    return float(v)


def _mib(v: Fraction) -> float:
    return float(v) / 2**20


def resources_figure(source: Any, node: Mapping[str, Any] | None = None) -> Figure:
    """Requests (solid) and limits (light) of each container and Pod, against a node's allocatable.

    `node` gives the node's allocatable cpu and memory (default 2 cores, 4Gi). The Pod rows show
    what the scheduler reserves (see `pod_request`); the last row adds up every Pod's request.
    """
    node = {"cpu": "2", "memory": "4Gi", **(node or {})}
    alloc = {"cpu": _qty(node["cpu"]), "memory": _qty(node["memory"])}
    pods = read_pods(source)
    rows = container_resources(source)
    labels: list[str] = []
    data: list[tuple[str, dict[str, Fraction], dict[str, Fraction]]] = []
    for pod, spec in pods:
        for r in (r for r in rows if r.pod == pod):
            labels.append(f"  {r.name}" + {"init": " (init)", "sidecar": " (sidecar)", "app": ""}[r.kind])
            data.append(("container", r.requests, r.limits))
        labels.append(f"Pod {pod}: reserves")
        data.append(("pod", {res: pod_request(spec, res) for res in ("cpu", "memory")}, {}))
    total = {res: sum((pod_request(spec, res) for _, spec in pods), Fraction(0)) for res in ("cpu", "memory")}
    labels.append("all Pods' requests")
    data.append(("total", total, {}))
    fig, axes = _figure(8.5, 1.1 + 0.32 * len(labels), ncols=2, sharey=True)
    for ax, res, unit, conv in ((axes[0], "cpu", "cores", _cores), (axes[1], "memory", "MiB", _mib)):
        top = conv(alloc[res])
        for i, (kind, req, lim) in enumerate(data):
            y = len(data) - i
            if res in lim:
                ax.barh(y, conv(lim[res]), height=0.6, color=COLOURS["limit"], zorder=1)
            value = conv(req.get(res, Fraction(0)))
            colour = {"container": COLOURS["request"], "pod": "#3949ab",
                      "total": COLOURS["fail"] if total[res] > alloc[res] else "#3949ab"}[kind]
            ax.barh(y, value, height=0.36, color=colour, zorder=2)
            if kind == "container" and res not in lim:
                ax.text(max(value, 0) + top * 0.01, y, "no limit", va="center", fontsize=6.5, color="#666")
        ax.axvline(top, color=COLOURS["node"], linewidth=1.2)
        ax.text(top, len(data) + 0.6, f" allocatable {node[res]}", fontsize=7, color=COLOURS["node"], ha="right")
        ax.set_xlabel(f"{res} ({unit})", fontsize=8)
        ax.set_xlim(0, max([top, *_values(data, res, conv)]) * 1.12)
        ax.tick_params(labelsize=7)
    axes[0].set_yticks([len(data) - i for i in range(len(data))], labels, fontsize=7.5)
    axes[0].set_ylim(0.3, len(data) + 1.0)
    fig.suptitle("requests (dark) and limits (light) against the node", fontsize=9)
    return _finish(fig)


def _values(data: list[tuple[str, dict[str, Fraction], dict[str, Fraction]]], res: str,
            conv: Callable[[Fraction], float]) -> list[float]:
    return [conv(d[res]) for _, a, b in data for d in (a, b) if res in d]


@dataclass(frozen=True)
class EvictionRank:
    pod: str
    qos: str
    priority: int
    request: Fraction  # memory, bytes
    usage: Fraction  # memory, bytes
    exceeds: bool  # usage above request

    @property
    def above_request(self) -> Fraction:
        return self.usage - self.request


def eviction_order(source: Any, usage: Mapping[str, Any]) -> list[EvictionRank]:
    """The order the kubelet evicts these Pods in under node memory pressure, first victim first.

    As rankMemoryPressure does: Pods whose memory use exceeds their request first, then lower
    `spec.priority` first, then the larger use above the request first. `usage` maps each Pod's
    name to its memory use (a quantity); a Pod without one counts as using nothing. (The kubelet
    evicts a Pod it has no statistics for before any other; ties keep the order given here.)
    """
    from course.checker.qos import qos_class

    ranks = []
    for pod, spec in read_pods(source):
        request = pod_request(spec, "memory")
        used = _qty(usage[pod]) if pod in usage else Fraction(0)
        prio = spec.get("priority")
        ranks.append(EvictionRank(pod, qos_class(spec), prio if isinstance(prio, int) else 0, request, used,
                                  used > request))
    return sorted(ranks, key=lambda r: (not r.exceeds, r.priority, -r.above_request))


@dataclass(frozen=True)
class OomRank:
    pod: str
    container: str
    qos: str
    oom_score_adj: int
    badness: float  # about what the kernel compares: oom_score_adj + 1000 x use / memory


def oom_score_adj(spec: dict[str, Any], container: dict[str, Any], memory_capacity: int) -> int:
    """The oom_score_adj the kubelet gives a container's processes (pkg/kubelet/qos/policy.go).

    Node-critical Pods and Guaranteed Pods -997, BestEffort 1000; Burstable
    1000 - 1000 x memory request / node memory capacity (integer arithmetic, with an equal share
    of any pod-level request not handed out to containers), a sidecar no higher than the Pod's
    smallest app container, and never below 3 (1000 - 997) nor above 999.
    """
    from course.checker import defaults
    from course.checker.qos import qos_class

    if spec.get("priorityClassName") == "system-node-critical":
        return GUARANTEED_OOM_ADJ
    qos = qos_class(spec)
    if qos == "Guaranteed":
        return GUARANTEED_OOM_ADJ
    if qos == "BestEffort":
        return BESTEFFORT_OOM_ADJ

    def mem_request(c: Any) -> int:
        v = _resource(defaults.container_requests(c), "memory")
        return math.ceil(v) if v is not None else 0

    regular = [c for c in _list(spec.get("containers")) if isinstance(c, dict)]
    inits = [c for c in _list(spec.get("initContainers")) if isinstance(c, dict)]
    share = 0
    pl = defaults.pod_level(spec)
    pod_mem = _resource(pl.requests, "memory") if pl is not None else None
    if pod_mem:
        given = _resource(defaults.aggregate(spec, defaults.container_requests), "memory") or Fraction(0)
        share = max(math.ceil(pod_mem) - math.ceil(given), 0) // max(len(regular) + len(inits), 1)
    adj = 1000 - (1000 * (mem_request(container) + share)) // memory_capacity
    if _is_sidecar(container) and container in inits and regular:
        smallest = min(mem_request(c) for c in regular) + share
        adj = min(adj, 1000 - (1000 * smallest) // memory_capacity)
    if adj < 1000 + GUARANTEED_OOM_ADJ:
        return 1000 + GUARANTEED_OOM_ADJ
    if adj == BESTEFFORT_OOM_ADJ:
        return adj - 1
    return int(adj)


def oom_order(source: Any, memory_capacity: Any = "4Gi", usage: Mapping[str, Any] | None = None) -> list[OomRank]:
    """Containers in the order a node-level OOM kill picks them, first victim first.

    The kernel kills the process with the highest badness: its share of memory in thousandths
    plus its oom_score_adj. `usage` maps "pod" or "pod/container" to memory use (default 0, which
    orders by oom_score_adj alone); a Pod's use is split evenly over its running containers.
    `memory_capacity` is the node's memory capacity (not allocatable), as the kubelet uses it.
    """
    from course.checker.qos import qos_class

    cap = math.ceil(_qty(memory_capacity))
    if cap <= 0:
        raise PictureError("the node's memory capacity must be more than 0")
    usage = usage or {}
    ranks = []
    for pod, spec in read_pods(source):
        running = [c for c in _list(spec.get("containers")) if isinstance(c, dict)]
        running += [c for c in _list(spec.get("initContainers")) if isinstance(c, dict) and _is_sidecar(c)]
        for c in running:
            name = str(c.get("name") or "?")
            if f"{pod}/{name}" in usage:
                used = float(_qty(usage[f"{pod}/{name}"]))
            elif pod in usage:
                used = float(_qty(usage[pod])) / len(running)
            else:
                used = 0.0
            adj = oom_score_adj(spec, c, cap)
            ranks.append(OomRank(pod, name, qos_class(spec), adj, adj + 1000 * used / cap))
    return sorted(ranks, key=lambda r: -r.badness)


def pressure_figure(source: Any, usage: Mapping[str, Any], memory_capacity: Any = "4Gi") -> Figure:
    """Who goes first when a node runs out of memory: the kubelet's eviction order (left) and the
    kernel's OOM-kill order (right), for these Pods using `usage` memory each."""
    ev = eviction_order(source, usage)
    oom = oom_order(source, memory_capacity, usage)
    fig, (left, right) = _figure(8.5, 1.4 + 0.34 * max(len(ev), len(oom)), ncols=2)
    for i, r in enumerate(ev):
        y = len(ev) - i
        left.barh(y, _mib(r.usage), height=0.55, color=COLOURS["fail"] if r.exceeds else "#90a4ae", zorder=2)
        left.plot([_mib(r.request)] * 2, [y - 0.35, y + 0.35], color="#1e88e5", linewidth=2, zorder=3)
    left.set_yticks([len(ev) - i for i in range(len(ev))],
                    [f"{i + 1}. {r.pod} ({r.qos}, prio {r.priority})" for i, r in enumerate(ev)], fontsize=7.5)
    left.set_xlabel("memory use, MiB (blue: request; red: above it)", fontsize=8)
    left.set_title("kubelet eviction order", fontsize=9)
    for i, r in enumerate(oom):
        y = len(oom) - i
        right.barh(y, r.oom_score_adj, height=0.55, color=COLOURS.get(r.qos, "#999"), zorder=2)
        right.text(max(r.oom_score_adj, 0), y, f" {r.oom_score_adj}", va="center", fontsize=7)
    right.axvline(0, color="#333", linewidth=0.8)
    right.set_xlim(-1150, 1300)
    right.set_yticks([len(oom) - i for i in range(len(oom))],
                     [f"{i + 1}. {r.pod}/{r.container}" for i, r in enumerate(oom)], fontsize=7.5)
    right.set_xlabel("oom_score_adj (colour: QoS class)", fontsize=8)
    right.set_title("OOM-kill order (kernel)", fontsize=9)
    for ax in (left, right):
        ax.tick_params(labelsize=7)
        ax.set_ylim(0.3, max(len(ev), len(oom)) + 0.7)
    return _finish(fig)


# ---------------------------------------------------------------------------------------------
# matplotlib, quietly
# ---------------------------------------------------------------------------------------------


def _matplotlib() -> Any:
    """Import matplotlib without a word on stderr (font cache notes, a config dir it had to invent)."""
    if "matplotlib" not in sys.modules:
        quiet = [logging.getLogger(n) for n in ("matplotlib", "matplotlib.font_manager")]
        levels = [lg.level for lg in quiet]
        for lg in quiet:
            lg.setLevel(logging.ERROR)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import matplotlib

                headless = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
                if headless and not os.environ.get("MPLBACKEND") and "matplotlib.pyplot" not in sys.modules:
                    matplotlib.use("Agg")
                import matplotlib.figure  # builds the font list once, quietly
        finally:
            for lg, level in zip(quiet, levels, strict=True):
                lg.setLevel(level)
    import matplotlib

    return matplotlib


def _figure(width: float, height: float, ncols: int = 1, sharey: bool = False) -> tuple[Figure, Any]:
    _matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, min(height, 9.0)), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols, sharey=sharey)
    return fig, axes


def _vlines(ax: Axes, marks: list[tuple[float | None, str, str]], top: float, span: float) -> None:
    """Dashed vertical lines with their labels in a band above the rows; marks at one moment share a label."""
    merged: dict[float, tuple[list[str], str]] = {}
    for x, label, colour in marks:
        if x is not None:
            merged.setdefault(x, ([], colour))[0].append(label)
    placed: list[float] = []
    for x, (labels, colour) in sorted(merged.items()):
        ax.axvline(x, color=colour, linewidth=1, linestyle="--", zorder=1)
        level = sum(1 for p in placed if abs(p - x) < span * 0.22)
        ax.text(x, top + 0.3 * level, f" {', '.join(labels)} ({x:g}s)", fontsize=7, color=colour, va="bottom")
        placed.append(x)


def _finish(fig: Figure) -> Figure:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for ax in fig.axes:
            ax.spines[["top", "right"]].set_visible(False)
            ax.grid(axis="x", color="#eee", zorder=0)
        fig.tight_layout()
    return fig


def figure_png(fig: Figure) -> bytes:
    """The figure as PNG bytes, rendered with Agg (no display, nothing on stderr)."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# Widgets
# ---------------------------------------------------------------------------------------------


EMPTY_NOTE = ("<i>Your answer is still empty, so this shows an example: edit the YAML below, or run the cell "
              "again once you have an answer.</i>")


def is_empty(source: str) -> bool:
    """True when `source` holds no YAML document at all (blank, or only comments such as "# YOUR ANSWER HERE")."""
    try:
        return not [d for d in yaml.safe_load_all(source) if d is not None]
    except yaml.YAMLError:
        return False


# Two neighbours for chapter 8's picture: one BestEffort, one Burstable Pod.
NEIGHBOURS = """\
apiVersion: v1
kind: Pod
metadata:
  name: nightly-batch
spec:
  containers:
  - name: batch
    image: busybox:1.35
---
apiVersion: v1
kind: Pod
metadata:
  name: shop-web
spec:
  containers:
  - name: web
    image: nginx:1.22
    resources:
      requests:
        cpu: 250m
        memory: 256Mi
      limits:
        memory: 1Gi
"""


def grading() -> bool:
    """True while nbgrader autogrades or validates (pictures are then left out)."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


class PictureView(w.VBox):
    """A Pod's YAML in a text box and its picture below; every change of `source` or `options` redraws.

    Subclasses implement `draw(source, **options) -> Figure`. Problems (YAML that does not parse,
    a Pod the picture cannot use) are shown in `errors`; callbacks never raise.
    """

    source = traitlets.Unicode()
    options = traitlets.Dict()
    redraws = traitlets.Int(0)  # how many times a picture was drawn (tests watch it)

    def __init__(self, source: str = "", *, fallback: str | None = None, options: dict[str, Any] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.figure: Figure | None = None
        self._initial = dict(options or {})
        self.note = w.HTML()
        if fallback and is_empty(source):
            source = fallback
            self.note.value = EMPTY_NOTE
        self.editor = w.Textarea(value=source, continuous_update=False,
                                 layout=w.Layout(width="100%", height="140px"))
        self.image = w.Image(format="png", layout=w.Layout(max_width="100%"))
        self.errors = w.Output()
        self.controls = self.make_controls()
        self.children = [self.note, self.image, self.errors, *self.controls, self.editor]
        self.options = dict(options or {})
        self.source = source
        w.link((self.editor, "value"), (self, "source"))
        self.observe(self._changed, names=["source", "options"])
        self.redraw()

    def make_controls(self) -> list[w.Widget]:
        return []

    def draw(self, source: str, **options: Any) -> Figure:  # pragma: no cover - abstract
        raise NotImplementedError

    def _changed(self, _change: Any = None) -> None:
        self.redraw()

    def redraw(self) -> None:
        """Draw the picture again from `source` and `options`; explain a problem instead of raising."""
        try:
            fig = self.draw(self.source, **self.options)
            self.image.value = figure_png(fig)
            self.figure = fig
            self.errors.outputs = ()
            self.redraws += 1
        except PictureError as exc:
            self._show_error(f"Cannot draw this Pod: {exc}.")
        except Exception as exc:  # never let a callback raise into the front end
            self._show_error(f"The picture hit a problem: {type(exc).__name__}: {exc}")

    def _show_error(self, message: str) -> None:
        self.errors.outputs = ()
        self.errors.append_stdout(message + "\n")

    def set_option(self, name: str, value: Any) -> None:
        self.options = {**self.options, name: value}


def _number(description: str, value: float | None, on_change: Callable[[float | None], None],
            allow_none: bool = False) -> w.Text:
    box = w.Text(value="" if value is None else f"{value:g}", description=description,
                 style={"description_width": "initial"}, layout=w.Layout(width="210px"), continuous_update=False)

    def changed(change: dict[str, Any]) -> None:
        raw = str(change["new"]).strip()
        if not raw and allow_none:
            on_change(None)
            return
        with contextlib.suppress(ValueError):  # keep the last good value until the text is a number again
            on_change(float(raw))

    box.observe(changed, names="value")
    return box


class ProbeTimelineView(PictureView):
    """The probe timeline of a Pod's container, with the failure scenario in text boxes."""

    def make_controls(self) -> list[w.Widget]:
        opts = {"answers_from": 0.0, "stops_at": None, "container": None}
        opts.update(getattr(self, "_initial", {}))
        self.answers_box = _number("app answers from (s)", opts["answers_from"],
                                   lambda v: self.set_option("answers_from", v or 0.0))
        self.stops_box = _number("app stops answering at (s)", opts["stops_at"],
                                 lambda v: self.set_option("stops_at", v), allow_none=True)
        self.container_box = w.Text(value=opts["container"] or "", description="container",
                                    placeholder="(the first with probes)", continuous_update=False,
                                    style={"description_width": "initial"}, layout=w.Layout(width="260px"))
        self.container_box.observe(lambda ch: self.set_option("container", ch["new"].strip() or None), names="value")
        return [w.HBox([self.answers_box, self.stops_box, self.container_box])]

    def draw(self, source: str, **options: Any) -> Figure:
        return probe_timeline_figure(source, **options)


class LifecycleView(PictureView):
    """The start and stop order of a Pod's containers."""

    def draw(self, source: str, **options: Any) -> Figure:
        return lifecycle_figure(source, **options)


class ResourcesView(PictureView):
    """Requests and limits against a node, and who goes first under memory pressure.

    `source` may hold several Pods (YAML documents separated by `---`); `usage` (an option,
    edited in the text box as `pod=256Mi, other=1Gi`) is each Pod's memory use.
    """

    def make_controls(self) -> list[w.Widget]:
        self.usage_box = w.Text(description="memory use", placeholder="pod=300Mi, other=1Gi",
                                continuous_update=False, style={"description_width": "initial"},
                                layout=w.Layout(width="100%"))
        self.usage_box.observe(lambda ch: self.set_option("usage", parse_usage(ch["new"])), names="value")
        return [self.usage_box]

    def redraw(self) -> None:
        if hasattr(self, "usage_box") and "usage" in self.options:
            text = ", ".join(f"{k}={v}" for k, v in self.options["usage"].items())
            if parse_usage(self.usage_box.value) != self.options["usage"]:
                self.usage_box.value = text
        super().redraw()

    def draw(self, source: str, **options: Any) -> Figure:
        usage = options.get("usage") or {}
        node = options.get("node")
        top = resources_figure(source, node)
        if not usage:
            return top
        bottom = pressure_figure(source, usage, (node or {}).get("memory", "4Gi"))
        return _stack(top, bottom)


def parse_usage(text: str) -> dict[str, str]:
    """`"web=300Mi, batch=1Gi"` -> {"web": "300Mi", "batch": "1Gi"} (pieces without `=` are ignored)."""
    out = {}
    for part in text.split(","):
        if "=" in part:
            k, v = part.split("=", 1)
            if k.strip() and v.strip():
                out[k.strip()] = v.strip()
    return out


def _stack(top: Figure, bottom: Figure) -> Figure:
    """Two figures one above the other, as one image."""
    _matplotlib()
    import matplotlib.image as mpimg

    images = [mpimg.imread(io.BytesIO(figure_png(f)), format="png") for f in (top, bottom)]
    width = max(i.shape[1] for i in images) / 100
    height = sum(i.shape[0] for i in images) / 100
    fig, _ = _figure(width, height)
    fig.clear()
    y = 0.0
    for img in images:
        h = img.shape[0] / 100 / height
        ax = fig.add_axes((0, 1 - y - h, img.shape[1] / 100 / width, h))
        ax.imshow(img)
        ax.set_axis_off()
        y += h
    return fig


class StandIn:
    """What the picture functions return while nbgrader runs: nothing drawn, one quiet line."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __repr__(self) -> str:
        return f"({self.what} is not drawn while grading)"


def probe_picture(source: str, *, fallback: str | None = None, **scenario: Any) -> ProbeTimelineView | StandIn:
    """The chapter 7 picture for a notebook cell (a stand-in while grading)."""
    if grading():
        return StandIn("the probe timeline")
    return ProbeTimelineView(source, fallback=fallback, options=scenario)


def lifecycle_picture(source: str, *, fallback: str | None = None, **options: Any) -> LifecycleView | StandIn:
    """The chapter 6 picture for a notebook cell (a stand-in while grading)."""
    if grading():
        return StandIn("the start and stop order")
    return LifecycleView(source, fallback=fallback, options=options)


def resources_picture(source: str, *, fallback: str | None = None, neighbours: str = "",
                      **options: Any) -> ResourcesView | StandIn:
    """The chapter 8 picture for a notebook cell (a stand-in while grading).

    `neighbours` (YAML documents) are added after the learner's Pod, so it is drawn among others.
    """
    if grading():
        return StandIn("the resources picture")
    empty = bool(fallback) and is_empty(source)
    if empty:
        source = fallback or ""
    if neighbours.strip():
        source = source.rstrip() + "\n---\n" + neighbours
    view = ResourcesView(source, options=options)
    if empty:
        view.note.value = EMPTY_NOTE
    return view

