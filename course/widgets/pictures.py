"""Pictures of a Pod for chapters 6, 7, 8, 10 and 11, computed from its spec (and status) the way Kubernetes behaves.

Each picture is a plain function from a Pod (YAML text, a manifest dict or a bare Pod spec) to a
matplotlib `Figure`, with the data behind it available on its own:

* `lifecycle_plan` / `lifecycle_figure` (chapter 6): the start order of init containers,
  native sidecars and app containers, and the shutdown with its grace period;
* `probe_timeline` / `probe_timeline_figure` (chapter 7): when the probes of one container
  run, the startup budget, and for a failure scenario when readiness takes the Pod out of its
  Services and when liveness restarts the container;
* `resources_figure` (chapter 8): requests and limits against a node's allocatable, and
  `eviction_order` / `oom_order` / `pressure_figure`: who goes first under node memory
  pressure and in a node-level OOM kill;
* `pattern_flow` / `pattern_flow_figure` (chapter 10): the flows a multi-container Pod's spec
  implies: files through the volumes two containers mount, calls on the shared localhost to a
  port another container declares, declared ports a Service can target, hosts outside the Pod;
* `triage` / `triage_figure` (chapter 11): the branch of the troubleshooting tree a Pod takes,
  read from its status as `kubectl get pod NAME -o yaml` prints it, and the next command to run.

`ProbeTimelineView`, `LifecycleView`, `ResourcesView`, `PatternFlowView` and `TriageView` wrap
them in ipywidgets: the YAML (and the scenario) live in traits, every change redraws, and a
problem is explained in an `Output` instead of being raised from a callback. matplotlib is
imported only when a picture is drawn, figures are rendered with the Agg canvas (no display
needed), and nothing is written to stderr. The `*_picture` helpers used from notebook cells
return a quiet `StandIn` while nbgrader runs.

What the pictures assume, beyond the spec: times are seconds after the Pod's (or the
container's) start; image pulls take no time; every probe worker ticks every `periodSeconds`
from the moment the kubelet started it (`lead` seconds before the container started, 0 by
default, so ticks fall on the container's start). The kubelet's extra jitter after a kubelet
restart is left out. The flows are what the spec says, not what the programs do: a program may
listen on a port it does not declare, or read a file nobody mounted for it.
"""
from __future__ import annotations

import contextlib
import io
import logging
import math
import os
import re
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
# Chapter 10: traffic and file flow between a Pod's containers
# ---------------------------------------------------------------------------------------------

LOCAL_NAMES = ("localhost", "127.0.0.1", "[::1]", "::1")
# Volume sources the kubelet always mounts read-only: their files come from the API, not from a container.
READ_ONLY_SOURCES = ("configMap", "secret", "downwardAPI", "projected", "image")
_LOCAL_RE = re.compile(r"(?<![\w.-])(localhost|127\.0\.0\.1|\[::1\]):(\d{1,5})(?!\d)")
_REMOTE_RE = re.compile(r"(?:^|[/@=\s])((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*|\d+(?:\.\d+){3})"
                        r":(\d{1,5})(?!\d)", re.I)
_HOST_RE = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*$", re.I)
_LISTEN_RE = re.compile(r"--?(?:[\w.-]*(?:listen|bind)[\w.-]*|addr|address|http-addr(?:ess)?)=(\S*?):(\d{1,5})", re.I)


@dataclass(frozen=True)
class FlowNode:
    """A box in the pattern picture: a container, a volume, the Pod's clients or a host outside the Pod."""

    id: str  # a container's name; "volume:NAME", "clients" or "outside:HOST:PORT"
    kind: str  # "init", "sidecar", "app", "volume", "clients" or "outside"
    label: str
    detail: str = ""


@dataclass(frozen=True)
class FlowEdge:
    """One flow the spec implies, with the reason read from the spec."""

    source: str
    target: str
    kind: str  # "mount", "file", "traffic", "exposed" or "outbound"
    label: str
    reason: str
    via: str | None = None  # the volume a file flow goes through


@dataclass
class PatternFlow:
    pod: str
    nodes: list[FlowNode]
    edges: list[FlowEdge]
    notes: list[str] = field(default_factory=list)

    def pairs(self, kind: str) -> set[tuple[str, str]]:
        """(source, target) of every edge of one kind."""
        return {(e.source, e.target) for e in self.edges if e.kind == kind}

    def edge(self, source: str, target: str, kind: str | None = None) -> FlowEdge | None:
        return next((e for e in self.edges if e.source == source and e.target == target
                     and (kind is None or e.kind == kind)), None)

    def node(self, id_: str) -> FlowNode | None:
        return next((n for n in self.nodes if n.id == id_), None)


def _port(text: str) -> int | None:
    n = int(text)
    return n if 0 < n < 65536 else None


def _words(c: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, text) of every literal the container runs with: env values, command and args ($(VAR) expanded)."""
    env = {str(e.get("name")): str(e.get("value")) for e in _list(c.get("env"))
           if isinstance(e, dict) and isinstance(e.get("value"), str | int)}

    def expand(text: str) -> str:
        return re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: env.get(m.group(1), m.group(0)), text)

    out = [(f"env {k}", expand(v)) for k, v in env.items()]
    for key in ("command", "args"):
        out += [(key, expand(str(v))) for v in _list(c.get(key)) if isinstance(v, str | int)]
    return out


def _tokens(c: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, word): each env value, command and argument split into words (an `sh -c` script too)."""
    return [(where, word) for where, text in _words(c) for word in (text.split() or [text])]


def _listen_at(tokens: list[tuple[str, str]], i: int) -> tuple[str, int] | None:
    """(host, port) when word i is a listening address: `--listen=HOST:PORT`, `-bind HOST:PORT`, or the
    value of an env variable named like LISTEN_ADDR."""
    where, word = tokens[i]
    if where.startswith("env ") and re.search(r"LISTEN|BIND", where, re.I):
        m = re.fullmatch(r"(\S*?):(\d{1,5})", word)
    else:
        m = _LISTEN_RE.fullmatch(word)
        if m is None and i > 0 and re.fullmatch(r"--?[\w.-]*(?:listen|bind)[\w.-]*", tokens[i - 1][1], re.I):
            m = re.fullmatch(r"(\S*?):(\d{1,5})", word)
    if m and (p := _port(m.group(2))):
        return m.group(1), p
    return None


def _listens(c: dict[str, Any]) -> dict[int, str]:
    """Ports a container's own flags say it listens on (`--listen=127.0.0.1:8080`, `--listen=:9100`) -> host."""
    tokens = _tokens(c)
    return {port: host for i in range(len(tokens)) if (got := _listen_at(tokens, i)) for host, port in [got]}


def _declared(c: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in _list(c.get("ports")) if isinstance(p, dict) and isinstance(p.get("containerPort"), int)
            and not isinstance(p.get("containerPort"), bool)]


def _calls(c: dict[str, Any]) -> tuple[list[tuple[int, str, str]], list[tuple[str, int, str, str]]]:
    """What a container connects to, read from its env and arguments: ([(port, text, where)] on localhost,
    [(host, port, text, where)] outside the Pod)."""
    local: list[tuple[int, str, str]] = []
    remote: list[tuple[str, int, str, str]] = []
    tokens = _tokens(c)
    for i, (where, word) in enumerate(tokens):
        if _listen_at(tokens, i):
            continue  # its own listening address, not a call
        for m in _LOCAL_RE.finditer(word):
            if p := _port(m.group(2)):
                local.append((p, m.group(0), where))
        for m in _REMOTE_RE.finditer(word):
            if (p := _port(m.group(2))) and m.group(1).lower() not in LOCAL_NAMES:
                remote.append((m.group(1), p, f"{m.group(1)}:{m.group(2)}", where))
        nxt = tokens[i + 1][1] if i + 1 < len(tokens) and tokens[i + 1][0] == where else ""
        if _HOST_RE.match(word) and word.lower() not in LOCAL_NAMES and nxt.isdigit() and (p := _port(nxt)):
            remote.append((word, p, f"{word} {nxt}", where))  # nc HOST PORT, socat, telnet
    return local, remote


def _volume_source(v: dict[str, Any]) -> tuple[str, str, bool]:
    """(kind, words for the box, writable by containers) of one spec.volumes entry."""
    for kind in ("emptyDir", "configMap", "secret", "persistentVolumeClaim", "hostPath", "downwardAPI",
                 "projected", "ephemeral", "image", "nfs", "csi"):
        src = v.get(kind)
        if src is None and kind not in v:
            continue
        src = src if isinstance(src, dict) else {}
        if kind == "emptyDir":
            return kind, "emptyDir" + (" (in memory)" if src.get("medium") == "Memory" else ""), True
        if kind == "configMap":
            return kind, f"configMap {src.get('name', '?')}", False
        if kind == "secret":
            return kind, f"secret {src.get('secretName', '?')}", False
        if kind == "persistentVolumeClaim":
            return kind, f"PVC {src.get('claimName', '?')}", not src.get("readOnly")
        if kind == "hostPath":
            return kind, f"hostPath {src.get('path', '?')}", True
        return kind, kind, kind not in READ_ONLY_SOURCES
    return "volume", "volume", True


def pattern_flow(source: Any) -> PatternFlow:
    """The flows a Pod's spec implies between its containers, its volumes and the world outside.

    All containers of a Pod share one network namespace, so a container that names
    `localhost:PORT` (or 127.0.0.1) in an env value or an argument calls whichever container of the
    Pod declares that containerPort (or says in a `--listen`-style flag that it listens there).
    Files flow only through volumes both containers mount: from a container mounting it read-write
    to every other container mounting it; configMap, secret, downwardAPI and projected volumes are
    mounted read-only, their files written by the kubelet. A declared containerPort is what a
    Service or a client of the Pod IP can target; a port is reachable whether declared or not
    (declaring reserves nothing), so the picture says "declared". Hosts outside the Pod named as
    `host:port` or `HOST PORT` (nc, socat) are drawn as outbound connections.
    """
    pod_name, spec = read_pod(source)
    nodes: list[FlowNode] = []
    edges: list[FlowEdge] = []
    notes: list[str] = []
    containers: list[tuple[str, dict[str, Any]]] = []
    for fld in ("initContainers", "containers"):
        for c in (c for c in _list(spec.get(fld)) if isinstance(c, dict)):
            kind = "app" if fld == "containers" else "sidecar" if _is_sidecar(c) else "init"
            name = str(c.get("name") or "?")
            if any(n == name for n, _ in containers):
                raise PictureError(f"two containers are named {name!r}; the API server refuses that")
            containers.append((name, c))
            what = {"init": "init container (runs to completion first)", "sidecar": "native sidecar",
                    "app": "container"}[kind]
            ports = ", ".join(f"{str(p['name']) + ' ' if p.get('name') else ''}{p['containerPort']}"
                              for p in _declared(c))
            nodes.append(FlowNode(name, kind, name, what + (f"; declares {ports}" if ports else "")))
    kinds = {n.id: n.kind for n in nodes}
    order = {name: i for i, (name, _) in enumerate(containers)}

    # files: through the volumes they mount
    volumes = {str(v.get("name")): v for v in _list(spec.get("volumes")) if isinstance(v, dict)}
    mounts: dict[str, list[tuple[str, dict[str, Any], bool]]] = {}
    for name, c in containers:
        for m in (m for m in _list(c.get("volumeMounts")) if isinstance(m, dict)):
            vol = str(m.get("name"))
            if vol not in volumes:
                notes.append(f"{name} mounts {vol!r}, which spec.volumes does not declare (the API server "
                             "refuses this)")
                continue
            writable = _volume_source(volumes[vol])[2] and m.get("readOnly") is not True
            mounts.setdefault(vol, []).append((name, m, writable))
    for vol, v in volumes.items():
        kind, words, _ = _volume_source(v)
        nodes.append(FlowNode(f"volume:{vol}", "volume", vol, words))
        for name, m, writable in mounts.get(vol, []):
            where = str(m.get("mountPath", "?")) + (f" (subPath {m['subPath']})" if m.get("subPath") else "")
            if writable:
                edges.append(FlowEdge(name, f"volume:{vol}", "mount", f"writes {where}",
                                      f"{name} mounts {vol} read-write at {where}"))
            else:
                why = "readOnly: true" if m.get("readOnly") is True else f"a {kind} volume is always read-only"
                edges.append(FlowEdge(f"volume:{vol}", name, "mount", f"reads {where}",
                                      f"{name} mounts {vol} at {where} ({why})"))
            if m.get("subPath") and kind in ("configMap", "secret", "projected", "downwardAPI"):
                notes.append(f"{name} mounts {vol} with subPath: the file is not updated when the {kind} "
                             "changes (restart the container)")
        if vol not in mounts:
            notes.append(f"volume {vol} is declared but no container mounts it")
        elif len(mounts[vol]) == 1 and kind == "emptyDir":
            notes.append(f"only {mounts[vol][0][0]} mounts {vol}: scratch space, shared with nobody")
        for writer, wm, writable in mounts.get(vol, []):
            if not writable:
                continue
            for reader, rm, r_writable in mounts[vol]:
                if reader == writer or (kinds[reader] == "init" and order[writer] > order[reader]):
                    continue  # a plain init container has exited before the containers after it start
                how = "read-write" if r_writable else "readOnly"
                before = " before it starts" if kinds[writer] == "init" and kinds[reader] != "init" else ""
                edges.append(FlowEdge(writer, reader, "file", f"files in {vol}",
                                      f"{writer} mounts {vol} read-write at {wm.get('mountPath')}; {reader} "
                                      f"mounts it {how} at {rm.get('mountPath')}: what {writer} writes, "
                                      f"{reader} reads{before}", via=vol))

    # traffic: localhost inside the Pod, declared ports from outside, hosts outside
    servers: dict[int, list[tuple[str, str]]] = {}
    for name, c in containers:
        for p in _declared(c):
            servers.setdefault(p["containerPort"], []).append((name, f"declares containerPort {p['containerPort']}"))
        for port, host in _listens(c).items():
            if not any(n == name for n, _ in servers.get(port, [])):
                servers.setdefault(port, []).append((name, f"is set to listen on {host or '*'}:{port}"))
    outside: dict[str, FlowNode] = {}
    for name, c in containers:
        local, remote = _calls(c)
        for port, text, where in local:
            targets = [(n, why) for n, why in servers.get(port, []) if n != name]
            if not targets:
                if not any(n == name for n, _ in servers.get(port, [])):
                    notes.append(f"{name} names {text} in its {where}, but no container declares port {port}")
                continue
            for server, why in targets:
                if not any(e.kind == "traffic" and (e.source, e.target) == (name, server) for e in edges):
                    edges.append(FlowEdge(name, server, "traffic", f"localhost:{port}",
                                          f"{name} names {text} in its {where}; {server} {why}: one network "
                                          "namespace, so localhost is the same for both"))
        for host, port, text, where in remote:
            key = f"outside:{host}:{port}"
            if key not in outside:
                outside[key] = FlowNode(key, "outside", f"{host}:{port}", "outside the Pod")
            if not any(e.kind == "outbound" and (e.source, e.target) == (name, key) for e in edges):
                edges.append(FlowEdge(name, key, "outbound", f"to {host}:{port}",
                                      f"{name} names {text} in its {where}: a connection out of the Pod"))
    exposed = False
    for name, c in containers:
        if kinds[name] == "init":
            continue
        listens = _listens(c)
        for p in _declared(c):
            port = p["containerPort"]
            host = listens.get(port)
            only_local = host is not None and host.lower() in LOCAL_NAMES
            reason = (f"{name} declares containerPort {port}: a Service's targetPort or a client of the Pod IP "
                      "can reach it if the program listens on the Pod's addresses (declaring reserves nothing)")
            if only_local:
                reason = f"{name} declares containerPort {port}, but it is set to listen on {host} only: not " \
                         "reachable from outside the Pod"
            if isinstance(p.get("hostPort"), int):
                reason += f"; hostPort {p['hostPort']} also opens it on the node's IP"
            edges.append(FlowEdge("clients", name, "exposed", f"declared :{port}", reason))
            exposed = True
    if exposed:
        nodes.insert(0, FlowNode("clients", "clients", "Service / clients", "through the Pod IP"))
    nodes.extend(outside.values())
    for name, c in containers:
        for port, host in _listens(c).items():
            if host.lower() in LOCAL_NAMES and not any(p["containerPort"] == port for p in _declared(c)):
                notes.append(f"{name} listens on {host}:{port} only: reachable from the Pod's other containers, "
                             "not from the Pod IP")
    return PatternFlow(pod_name, nodes, edges, notes)


EDGE_STYLE = {"mount": ("#6d4c41", "-"), "traffic": ("#1565c0", "-"), "exposed": ("#2e7d32", "-"),
              "outbound": ("#8e24aa", "--")}
_BOX = {"volume": (2.3, 0.6), "clients": (2.4, 0.55), "outside": (2.8, 0.55)}  # width, height; containers 2.4 x 0.9


def _short_path(text: str, width: int = 26) -> str:
    return text if len(text) <= width else "..." + text[-(width - 3):]


def pattern_flow_figure(source: Any) -> Figure:
    """The Pod as a box of containers sharing one localhost, its volumes, and the flows between them."""
    flow = pattern_flow(source)
    _matplotlib()
    from matplotlib.patches import FancyBboxPatch

    boxes = [n for n in flow.nodes if n.kind in ("init", "sidecar", "app")]
    vols = [n for n in flow.nodes if n.kind == "volume"]
    outs = [n for n in flow.nodes if n.kind == "outside"]
    step, top_y, box_y, vol_y = 3.1, 5.0, 3.0, 0.45
    pos: dict[str, tuple[float, float]] = {n.id: (i * step, box_y) for i, n in enumerate(boxes)}
    wanted = []  # each volume under the containers that mount it, kept apart
    for v in vols:
        xs = [pos[e.source if e.target == v.id else e.target][0] for e in flow.edges
              if e.kind == "mount" and v.id in (e.source, e.target)]
        wanted.append((sum(xs) / len(xs) if xs else (len(boxes) - 1) * step, v.id))
    last = -math.inf
    for x, vid in sorted(wanted):
        x = max(x, last + 2.9)
        pos[vid] = (x, vol_y)
        last = x
    right = max(x for x, _ in pos.values())
    if any(n.id == "clients" for n in flow.nodes):
        pos["clients"] = (0.0, top_y)
    for i, n in enumerate(outs):
        pos[n.id] = (max(right - i * 3.1, 3.1 * (i + 1)), top_y)
    left_edge = min(x for x, _ in pos.values()) - 1.6
    right_edge = max(x for x, _ in pos.values()) + 1.6
    bottom = -0.4 if vols else 1.2
    fig, ax = _figure(min(10.0, max(6.5, (right_edge - left_edge) * 0.72)), 4.2 if vols else 3.2)
    ax.add_patch(FancyBboxPatch((left_edge + 0.1, bottom), right_edge - left_edge - 0.2, 4.1 - bottom,
                                boxstyle="round,pad=0.05", facecolor="#f5f7fa", edgecolor="#90a4ae", zorder=0))
    ax.text(right_edge - 0.25, bottom + 0.08, f"Pod {flow.pod}: one network namespace (one localhost); volumes "
            "shared only where mounted", fontsize=7, color="#455a64", va="bottom", ha="right")
    fill = {"init": COLOURS["init"], "sidecar": COLOURS["sidecar"], "app": COLOURS["app"], "volume": "#d7ccc8",
            "clients": "#c8e6c9", "outside": "#e1bee7"}
    half = {n.id: _BOX.get(n.kind, (2.4, 0.9))[1] / 2 for n in flow.nodes}
    for n in flow.nodes:
        x, y = pos[n.id]
        bw, bh = _BOX.get(n.kind, (2.4, 0.9))
        ax.add_patch(FancyBboxPatch((x - bw / 2, y - bh / 2), bw, bh, boxstyle="round,pad=0.04",
                                    facecolor=fill[n.kind], edgecolor="#37474f", linewidth=0.8, zorder=2))
        big = n.kind in ("init", "sidecar", "app")
        ax.text(x, y + (0.17 if big else 0.1), n.label, ha="center", va="center", fontsize=8, fontweight="bold",
                zorder=3)
        ax.text(x, y - (0.2 if big else 0.14), _wrap(n.detail, 36), ha="center", va="center", fontsize=6,
                zorder=3, color="#212121")
    mounts = 0
    for e in (e for e in flow.edges if e.kind in EDGE_STYLE):
        (x1, y1), (x2, y2) = pos[e.source], pos[e.target]
        colour, style = EDGE_STYLE[e.kind]
        label, t = e.label, 0.5
        if e.kind == "traffic":  # below the boxes, bowing down into the Pod
            a, b = (x1 + 0.25, y1 - half[e.source]), (x2 - 0.25, y2 - half[e.target])
            rad = 0.3 if x2 > x1 else -0.3
        else:
            down = y1 > y2
            a = (x1, y1 - half[e.source] if down else y1 + half[e.source])
            b = (x2, y2 + half[e.target] if down else y2 - half[e.target])
            rad = 0.0
            if e.kind == "mount":
                verb, _, where = e.label.partition(" ")
                path, _, sub = where.partition(" (")
                label = f"{verb}\n{_short_path(path)}" + (f"\n({sub}" if sub else "")
                t = (0.35, 0.65)[mounts % 2]
                mounts += 1
            elif e.kind == "exposed":
                t = 0.72
            else:
                label, t = "connects out", 0.3
        ax.annotate("", xy=b, xytext=a, zorder=4, arrowprops={
            "arrowstyle": "-|>", "color": colour, "linestyle": style, "linewidth": 1.3, "shrinkA": 2, "shrinkB": 2,
            "connectionstyle": f"arc3,rad={rad}"})
        mx, my = a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t
        if e.kind == "traffic":
            my -= abs(b[0] - a[0]) * 0.15 + 0.05
        ax.text(mx, my, label, fontsize=6.3, color=colour, ha="center", va="center", zorder=5,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5, "alpha": 0.85})
    for i, note in enumerate(flow.notes[:3]):
        ax.text(left_edge + 0.25, bottom - 0.3 - 0.28 * i, _clip("note: " + note, 150), fontsize=6.3,
                color="#6d4c41", va="top")
    ax.set_xlim(left_edge - 0.1, right_edge + 0.1)
    ax.set_ylim(bottom - 0.35 - 0.28 * min(len(flow.notes), 3), top_y + 0.45)
    ax.set_axis_off()
    ax.set_title("files (brown), localhost traffic (blue), declared ports (green), connections out (purple)",
                 fontsize=8)
    return _finish(fig)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) if len(text) > width else text


# ---------------------------------------------------------------------------------------------
# Chapter 11: from the STATUS column to the cause
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TriageStep:
    """A box of the decision tree: the condition that leads to it and, for a leaf, what to do."""

    id: str
    parent: str | None
    when: str  # the condition on the edge from the parent, as kubectl or the status shows it
    then: str = ""  # a leaf's cause and the field to change
    commands: tuple[str, ...] = ()  # the next commands ({pod}, {container} and {flag} filled in)


EVENTS, DESCRIBE = "kubectl events --for pod/{pod}", "kubectl describe pod {pod}"
LOGS, PREVIOUS = "kubectl logs {pod} -c {container}", "kubectl logs {pod} -c {container} --previous"

TRIAGE_TREE: tuple[TriageStep, ...] = (
    TriageStep("root", None, "kubectl get pod: STATUS?"),
    TriageStep("no-status", "root", "no status (not created)",
               "not created yet, or refused at admission: read the reply of kubectl apply (403: PodSecurity)",
               ("kubectl apply -f pod.yaml",)),
    TriageStep("pending", "root", "Pending, no node"),
    TriageStep("resources", "pending", "Insufficient cpu / memory",
               "no node has that much unreserved: lower resources.requests", (EVENTS,)),
    TriageStep("taint", "pending", "had untolerated taint",
               "add spec.tolerations, or schedule elsewhere", (EVENTS,)),
    TriageStep("pvc", "pending", "unbound PersistentVolumeClaims",
               "fix the PVC: storageClassName, size, a PV to bind", (EVENTS, "kubectl get pvc")),
    TriageStep("unscheduled", "pending", "other or no message",
               "read the FailedScheduling message: nodeSelector, affinity, ports", (EVENTS,)),
    TriageStep("creating", "root", "ContainerCreating (long)",
               "FailedMount (a ConfigMap, Secret or PVC missing) or FailedCreatePodSandBox: fix spec.volumes",
               (EVENTS,)),
    TriageStep("init", "root", "Init:..."),
    TriageStep("init-running", "init", "Init:N/M",
               "{container} has not exited yet: what does it wait for?", (LOGS,)),
    TriageStep("init-failed", "init", "Init:Error, Init:CrashLoopBackOff",
               "{container} exits non-zero: its log says why", (PREVIOUS, DESCRIBE)),
    TriageStep("init-waiting", "init", "Init:ErrImagePull, Init:CreateContainerConfigError",
               "{container}: as for an app container, but in spec.initContainers", (DESCRIBE,)),
    TriageStep("waiting", "root", "a container Waiting"),
    TriageStep("image", "waiting", "ErrImagePull / ImagePullBackOff",
               "{container}: the image reference (tag, registry) or imagePullSecrets", (DESCRIBE,)),
    TriageStep("config", "waiting", "CreateContainerConfigError",
               "{container}: env or envFrom names a missing ConfigMap, Secret or key", (DESCRIBE,)),
    TriageStep("crash", "waiting", "CrashLoopBackOff: lastState.terminated?"),
    TriageStep("oom", "crash", "OOMKilled (exit 137)",
               "{container} used more than resources.limits.memory: raise it, or use less", (PREVIOUS, DESCRIBE)),
    TriageStep("error", "crash", "Error (exit 1, 127, 143, ...)",
               "{container} failed and said why: {exit}", (PREVIOUS,)),
    TriageStep("completed", "crash", "Completed (exit 0)",
               "{container} exits by itself and restartPolicy restarts it: give it a program that keeps running",
               (PREVIOUS,)),
    TriageStep("start-error", "crash", "StartError (exit 128)",
               "{container}: the runtime could not start it (command or entrypoint not found)", (DESCRIBE,)),
    TriageStep("other-waiting", "waiting", "another reason",
               "CreateContainerError, RunContainerError, InvalidImageName: the message says why", (DESCRIBE,)),
    TriageStep("not-ready", "root", "Running, not all Ready"),
    TriageStep("startup", "not-ready", "started: false",
               "{container}: its startupProbe has not passed yet (Unhealthy events)", (EVENTS,)),
    TriageStep("readiness", "not-ready", "started, ready: false",
               "{container}: its readinessProbe fails, so the Pod is out of its Services' endpoints", (EVENTS,)),
    TriageStep("restarting", "root", "Running, Ready, RESTARTS > 0",
               "{container} restarted: lastState says how its last run ended (liveness kill, OOM, exit code)",
               (PREVIOUS, EVENTS)),
    TriageStep("finished", "root", "Completed, Error, Evicted (finished)",
               "the Pod ran to its end: read the log; Evicted: status.message", (LOGS, DESCRIBE)),
    TriageStep("healthy", "root", "Running, all Ready, no restarts",
               "the Pod is fine: look at the Service (endpoints) or inside the app",
               ("kubectl get endpointslices -l kubernetes.io/service-name=SERVICE", "kubectl exec {pod} -- ...")),
)
_STEPS = {s.id: s for s in TRIAGE_TREE}
_PULL = ("ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "ImageInspectError", "RegistryUnavailable",
         "SignatureValidationFailed")
_INIT_WAITING = (*_PULL, "InvalidImageName", "CreateContainerConfigError", "CreateContainerError")


def exit_meaning(code: Any, reason: str = "") -> str:
    """What a container's exit code says, the shell's and the kernel's conventions (128 + signal)."""
    if not isinstance(code, int) or isinstance(code, bool):
        return "no exit code recorded"
    if reason == "OOMKilled":
        return f"exit {code}: SIGKILL from the kernel's OOM killer (the memory limit)"
    named = {0: "it exited successfully", 1: "the program reported an error", 2: "a usage error (bad flags)",
             126: "the command was found but is not executable", 127: "command not found (the shell said so)",
             128: "the runtime could not start it", 137: "SIGKILL (9): killed from outside, e.g. after a failed "
             "liveness probe's grace period", 143: "SIGTERM (15): asked to stop, e.g. by a failed liveness probe"}
    if code in named:
        return f"exit {code}: {named[code]}"
    if 128 < code < 160:
        return f"exit {code}: killed by signal {code - 128}"
    return f"exit {code}: the program's own error code"


@dataclass
class Triage:
    """The branch of the decision tree one Pod takes, with the status fields that decided it."""

    pod: str
    status: str  # the STATUS column, as kubectl prints it
    ready: str  # the READY column
    restarts: int
    path: list[str]  # TriageStep ids from the root to the leaf
    container: str | None = None
    evidence: list[str] = field(default_factory=list)
    advice: str = ""
    commands: list[str] = field(default_factory=list)

    @property
    def leaf(self) -> str:
        return self.path[-1]


def _transcript_yaml(text: str) -> tuple[str, str | None]:
    """The YAML in a pasted terminal session: what followed `$ kubectl get pod NAME -o yaml`."""
    lines = text.splitlines()
    if not any(ln.startswith("$ ") for ln in lines):
        return text, None
    for i, ln in enumerate(lines):
        m = re.match(r"\$\s+kubectl\s+get\s+(?:pods?|po)(?:/|\s+)([a-z0-9][a-z0-9.-]*)\b.*-o\s*yaml", ln)
        if m:
            body = []
            for nxt in lines[i + 1:]:
                if nxt.startswith("$ "):
                    break
                body.append(nxt)
            return "\n".join(body), m.group(1)
    raise PictureError("this looks like a terminal session, but it holds no `kubectl get pod NAME -o yaml`")


def read_pod_status(source: Any) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(name, spec, status) of a Pod as `kubectl get pod NAME -o yaml` prints it (or only its status)."""
    name_hint = None
    if isinstance(source, str):
        source, name_hint = _transcript_yaml(source)
    docs = _documents(source)
    if not docs:
        raise PictureError("there is no Pod here yet: paste what `kubectl get pod NAME -o yaml` prints")
    doc = docs[0]
    if isinstance(doc, dict) and doc.get("kind") == "List" and isinstance(doc.get("items"), list) and doc["items"]:
        doc = doc["items"][0]
    if not isinstance(doc, dict):
        raise PictureError("a Pod must be a mapping, as `kubectl get pod NAME -o yaml` prints it")
    if not any(k in doc for k in ("status", "spec", "metadata")):
        raise PictureError("this has no status, spec or metadata: paste what `kubectl get pod NAME -o yaml` prints")
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    status = doc.get("status") if isinstance(doc.get("status"), dict) else {}
    return str(meta.get("name") or name_hint or "pod"), spec, status


def _statuses(status: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return [s for s in _list(status.get(key)) if isinstance(s, dict)]


def _state(s: dict[str, Any], which: str = "state") -> tuple[str, dict[str, Any]]:
    st = s.get(which) if isinstance(s.get(which), dict) else {}
    for k in ("waiting", "terminated", "running"):
        if isinstance(st.get(k), dict):
            return k, st[k]
    return "", {}


def _condition(status: dict[str, Any], kind: str) -> dict[str, Any]:
    return next((c for c in _list(status.get("conditions")) if isinstance(c, dict) and c.get("type") == kind), {})


def status_column(spec: dict[str, Any], status: dict[str, Any]) -> tuple[str, str, int]:
    """(STATUS, READY, RESTARTS) as `kubectl get pod` prints them (printPod in kubectl's printers)."""
    reason = str(status.get("reason") or status.get("phase") or "Unknown")
    if _condition(status, "PodScheduled").get("reason") == "SchedulingGated":
        reason = "SchedulingGated"
    inits = {str(c.get("name")): c for c in _list(spec.get("initContainers")) if isinstance(c, dict)}
    init_statuses = _statuses(status, "initContainerStatuses")
    total_inits = len(inits) or len(init_statuses)
    regular = _statuses(status, "containerStatuses")
    ready = restarts = 0
    sidecars = sum(1 for c in inits.values() if _is_sidecar(c))
    initializing = False
    for i, s in enumerate(init_statuses):
        restarts += _int(s.get("restartCount"), 0)
        kind, st = _state(s)
        if kind == "terminated" and st.get("exitCode") == 0:
            continue
        if _is_sidecar(inits.get(str(s.get("name")), {})) and s.get("started") is True:
            ready += 1 if s.get("ready") is True else 0
            continue
        if kind == "terminated":
            reason = "Init:" + (str(st["reason"]) if st.get("reason") else
                                f"Signal:{st['signal']}" if st.get("signal") else f"ExitCode:{st.get('exitCode')}")
        elif kind == "waiting" and st.get("reason") and st.get("reason") != "PodInitializing":
            reason = f"Init:{st['reason']}"
        else:
            reason = f"Init:{i}/{total_inits}"
        initializing = True
        break
    if not initializing or _condition(status, "Initialized").get("status") == "True":
        restarts, running = 0, False
        for s in reversed(regular):
            restarts += _int(s.get("restartCount"), 0)
            kind, st = _state(s)
            if kind == "waiting" and st.get("reason"):
                reason = str(st["reason"])
            elif kind == "terminated":
                reason = str(st.get("reason") or (f"Signal:{st['signal']}" if st.get("signal")
                                                   else f"ExitCode:{st.get('exitCode')}"))
            elif kind == "running" and s.get("ready") is True:
                running = True
                ready += 1
        if reason == "Completed" and running:
            reason = "Running" if _condition(status, "Ready") else "NotReady"
    total = len(_list(spec.get("containers"))) + sidecars if spec.get("containers") else len(regular) + sidecars
    return reason, f"{ready}/{total}", restarts


def _blocking_init(spec: dict[str, Any], status: dict[str, Any]) -> dict[str, Any]:
    """The status of the first init container that holds the Pod up (neither exited 0 nor a started sidecar)."""
    sidecars = {c.get("name") for c in _list(spec.get("initContainers")) if isinstance(c, dict) and _is_sidecar(c)}
    for s in _statuses(status, "initContainerStatuses"):
        kind, st = _state(s)
        done = kind == "terminated" and st.get("exitCode") == 0
        if not done and not (s.get("name") in sidecars and s.get("started") is True):
            return s
    return {}


def _field_of(spec: dict[str, Any], fld: str, name: str) -> str:
    for i, c in enumerate(_list(spec.get(fld))):
        if isinstance(c, dict) and c.get("name") == name:
            return f"spec.{fld}[{i}]"
    return f"spec.{fld}[name={name}]"


def triage(source: Any) -> Triage:
    """The branch of the troubleshooting tree a Pod takes, read from its status as the kubelet wrote it.

    The order is kubectl's: a Pod that is not scheduled; an init container that has not finished
    (Init:N/M, or its waiting or terminated reason); then the first app container with a waiting
    reason, CrashLoopBackOff split by how its last run ended (lastState.terminated.reason and
    exitCode); then readiness. `source` is what `kubectl get pod NAME -o yaml` prints (status only
    will do), or a pasted session holding that command and its output.
    """
    pod, spec, status = read_pod_status(source)
    t = Triage(pod, "", "", 0, ["root"])
    if not status:
        t.status, t.ready = "(none)", "-"
        return _leaf(t, "no-status", spec, None, "")
    t.status, t.ready, t.restarts = status_column(spec, status)
    t.evidence.append(f"STATUS {t.status}, READY {t.ready}, RESTARTS {t.restarts} (phase {status.get('phase')})")
    scheduled = _condition(status, "PodScheduled")
    if status.get("phase") == "Pending" and (scheduled.get("status") == "False" or
                                             (not status.get("hostIP") and not _statuses(status, "containerStatuses")
                                              and not _statuses(status, "initContainerStatuses"))):
        msg = str(scheduled.get("message") or "")
        t.evidence.append(f"conditions[PodScheduled]: {scheduled.get('reason', 'not scheduled')}"
                          + (f": {msg}" if msg else ""))
        t.path.append("pending")
        leaf = ("resources" if re.search(r"Insufficient (cpu|memory|ephemeral-storage|pods)", msg) else
                "taint" if "untolerated taint" in msg else
                "pvc" if re.search(r"PersistentVolumeClaim|persistentvolumeclaim", msg) else "unscheduled")
        return _leaf(t, leaf, spec, None, "")
    if status.get("phase") in ("Succeeded", "Failed"):
        t.evidence.append(f"phase {status['phase']}" + (f", reason {status['reason']}: {status.get('message', '')}"
                                                        if status.get("reason") else ""))
        name = next((str(s.get("name")) for s in _statuses(status, "containerStatuses")), None)
        return _leaf(t, "finished", spec, name, "containers")
    if t.status.startswith("Init:"):
        s = _blocking_init(spec, status)
        name = str(s.get("name")) if s else None
        kind, st = _state(s)
        last_kind, last = _state(s, "lastState")
        t.path.append("init")
        t.evidence.append(f"initContainerStatuses[{name}].state.{kind or '?'}"
                          + (f".reason: {st['reason']}" if st.get("reason") else ""))
        if last_kind == "terminated":
            t.evidence.append(f"lastState.terminated: reason {last.get('reason')}, "
                              + exit_meaning(last.get("exitCode"), str(last.get("reason") or "")))
        if kind == "waiting" and st.get("reason") in _INIT_WAITING:
            leaf = "init-waiting"
        elif kind == "terminated" or st.get("reason") == "CrashLoopBackOff":
            leaf = "init-failed"
        else:
            leaf = "init-running"
        return _leaf(t, leaf, spec, name, "initContainers")
    regular = _statuses(status, "containerStatuses")
    waiting = next((s for s in regular if _state(s)[0] == "waiting" and _state(s)[1].get("reason")), None)
    if waiting is not None:
        name = str(waiting.get("name"))
        reason = str(_state(waiting)[1]["reason"])
        message = _state(waiting)[1].get("message")
        t.evidence.append(f"containerStatuses[{name}].state.waiting.reason: {reason}"
                          + (f" ({message})" if message else ""))
        if reason in ("ContainerCreating", "PodInitializing"):
            return _leaf(t, "creating", spec, name, "containers")
        t.path.append("waiting")
        if reason in _PULL:
            return _leaf(t, "image", spec, name, "containers")
        if reason == "CreateContainerConfigError":
            return _leaf(t, "config", spec, name, "containers")
        if reason != "CrashLoopBackOff":
            return _leaf(t, "other-waiting", spec, name, "containers")
        t.path.append("crash")
        _, last = _state(waiting, "lastState")
        why = str(last.get("reason") or "")
        exit_text = exit_meaning(last.get("exitCode"), why)
        t.evidence.append(f"lastState.terminated: reason {why or '(none)'}, {exit_text}")
        leaf = ("oom" if why == "OOMKilled" else "completed" if why == "Completed" or last.get("exitCode") == 0
                else "start-error" if why in ("StartError", "ContainerCannotRun") else "error")
        return _leaf(t, leaf, spec, name, "containers", exit_text)
    inits = {str(c.get("name")): c for c in _list(spec.get("initContainers")) if isinstance(c, dict)}
    running = regular + [s for s in _statuses(status, "initContainerStatuses") if _is_sidecar(inits.get(
        str(s.get("name")), {}))]
    unready = next((s for s in running if s.get("ready") is not True), None)
    if unready is not None:
        name = str(unready.get("name"))
        fld = "initContainers" if name in inits else "containers"
        t.path.append("not-ready")
        t.evidence.append(f"containerStatuses[{name}]: started {unready.get('started')}, ready false")
        return _leaf(t, "startup" if unready.get("started") is False else "readiness", spec, name, fld)
    restarted = next((s for s in running if _int(s.get("restartCount"), 0) > 0), None)
    if restarted is not None:
        name = str(restarted.get("name"))
        _, last = _state(restarted, "lastState")
        t.evidence.append(f"containerStatuses[{name}].restartCount: {restarted.get('restartCount')}; last run: "
                          f"{last.get('reason', '?')}, {exit_meaning(last.get('exitCode'), str(last.get('reason')))}")
        return _leaf(t, "restarting", spec, name, "initContainers" if name in inits else "containers")
    return _leaf(t, "healthy", spec, None, "")


def _leaf(t: Triage, leaf: str, spec: dict[str, Any], container: str | None, fld: str, exit_text: str = "") -> Triage:
    step = _STEPS[leaf]
    if step.parent and step.parent not in t.path:
        t.path.append(step.parent)
    t.path.append(leaf)
    t.container = container
    name = container or "NAME"
    where = f" ({_field_of(spec, fld, container)})" if container and fld else ""
    t.advice = step.then.format(container=name + where, exit=exit_text or "see its log")
    t.commands = [c.format(pod=t.pod, container=name) for c in step.commands]
    return t


def triage_figure(source: Any) -> Figure:
    """The troubleshooting tree, drawn left to right, with the branch this Pod takes highlighted."""
    t = triage(source)
    children: dict[str, list[TriageStep]] = {}
    for s in TRIAGE_TREE[1:]:
        children.setdefault(str(s.parent), []).append(s)
    pos: dict[str, tuple[float, float]] = {}
    row = [0.0]

    def place(step_id: str, depth: int) -> float:
        kids = children.get(step_id, [])
        if not kids:
            y = row[0]
            row[0] += 1
        else:
            ys = [place(k.id, depth + 1) for k in kids]
            y = sum(ys) / len(ys)
        pos[step_id] = (depth, y)
        return y

    place("root", 0)
    rows = row[0]
    fig, ax = _figure(10.0, 1.9 + 0.27 * rows)
    on = set(t.path)
    col_x = {0: 0.0, 1: 1.25, 2: 3.35, 3: 5.9}
    for s in TRIAGE_TREE:
        depth, y = pos[s.id]
        x = col_x[depth]
        hot = s.id in on
        colour = COLOURS["fail"] if hot else "#9e9e9e"
        if s.parent is not None:
            pd, py = pos[s.parent]
            ax.plot([col_x[pd] + 0.05, x - 0.05], [py, y], color=colour, linewidth=2.2 if hot else 0.7, zorder=1)
        leaf = s.id not in children
        text = s.when if s.parent else "STATUS?"
        ax.text(x, y, text, fontsize=7 if not hot else 7.5, va="center", ha="left" if s.parent else "right",
                fontweight="bold" if hot else "normal", color="#b71c1c" if hot else "#424242", zorder=3,
                bbox={"facecolor": "#ffebee" if hot else "white", "edgecolor": colour, "pad": 1.5,
                      "linewidth": 1.2 if hot else 0.5})
        if leaf:
            then = s.then.replace("{container}", "the container").replace("{exit}", "the exit code")
            ax.text(8.1, y, _clip(then, 70), fontsize=6.3,
                    va="center", color="#b71c1c" if hot else "#757575", zorder=3)
    ax.set_xlim(-1.0, 12.4)
    ax.set_ylim(rows + 0.1, -3.2)
    ax.set_axis_off()
    box = [f"Pod {t.pod}: STATUS {t.status}, READY {t.ready}, RESTARTS {t.restarts}", *t.evidence[1:],
           f"-> {t.advice}", "next: " + "   |   ".join(t.commands)]
    ax.text(-1.0, -3.05, "\n".join(_clip(b, 165) for b in box), fontsize=7, va="top", family="monospace",
            color="#212121", bbox={"facecolor": "#fff8e1", "edgecolor": "#ffb300", "pad": 3})
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


class PatternFlowView(PictureView):
    """The flows between a Pod's containers: shared files, localhost traffic, declared ports."""

    def draw(self, source: str, **options: Any) -> Figure:
        return pattern_flow_figure(source)


class TriageView(PictureView):
    """The troubleshooting tree with the branch a Pod's status takes; a menu offers the chapter's cases."""

    def make_controls(self) -> list[w.Widget]:
        self.examples = w.Dropdown(options=[("(the Pod in the box below)", ""), *((k, k) for k in TRIAGE_EXAMPLES)],
                                   value="", description="or a case", style={"description_width": "initial"})

        def pick(change: dict[str, Any]) -> None:
            if change["new"]:
                self.source = TRIAGE_EXAMPLES[change["new"]]
                self.examples.value = ""  # the box below now holds the case; picking it again works

        self.examples.observe(pick, names="value")
        return [self.examples]

    def draw(self, source: str, **options: Any) -> Figure:
        return triage_figure(source)


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


# Pods as `kubectl get pod NAME -o yaml` prints them (cut to what the tree reads), one per branch
# the chapter 11 excerpts take; the triage view offers them in a menu.
TRIAGE_EXAMPLES: dict[str, str] = {
    "Pending: Insufficient memory": """\
apiVersion: v1
kind: Pod
metadata: {name: search}
spec:
  containers:
  - name: search
    image: ghcr.io/example/search:0.7
    resources: {requests: {memory: 48Gi}}
status:
  phase: Pending
  qosClass: Burstable
  conditions:
  - type: PodScheduled
    status: "False"
    reason: Unschedulable
    message: '0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No
      preemption victims found for incoming pod.'
""",
    "ImagePullBackOff": """\
apiVersion: v1
kind: Pod
metadata: {name: frontend}
spec:
  containers:
  - {name: frontend, image: "nginx:1.22-alpin"}
status:
  phase: Pending
  containerStatuses:
  - name: frontend
    image: nginx:1.22-alpin
    imageID: ""
    ready: false
    restartCount: 0
    started: false
    state:
      waiting:
        reason: ImagePullBackOff
        message: Back-off pulling image "nginx:1.22-alpin"
""",
    "ContainerCreating: missing ConfigMap": """\
apiVersion: v1
kind: Pod
metadata: {name: gateway}
spec:
  volumes:
  - {name: config, configMap: {name: gateway-conf}}
  containers:
  - name: gateway
    image: nginx:1.22
    volumeMounts: [{name: config, mountPath: /etc/nginx/conf.d}]
status:
  phase: Pending
  conditions:
  - {type: PodScheduled, status: "True"}
  containerStatuses:
  - name: gateway
    image: nginx:1.22
    ready: false
    restartCount: 0
    started: false
    state:
      waiting: {reason: ContainerCreating}
""",
    "CreateContainerConfigError": """\
apiVersion: v1
kind: Pod
metadata: {name: mailer}
spec:
  containers:
  - name: mailer
    image: ghcr.io/example/mailer:2.0
    env:
    - name: SMTP_PASSWORD
      valueFrom: {secretKeyRef: {name: smtp-credentials, key: password}}
status:
  phase: Pending
  containerStatuses:
  - name: mailer
    image: ghcr.io/example/mailer:2.0
    ready: false
    restartCount: 0
    started: false
    state:
      waiting:
        reason: CreateContainerConfigError
        message: secret "smtp-credentials" not found
""",
    "CrashLoopBackOff: exit 127": """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - {name: web, image: "nginx:1.22"}
  - name: heartbeat
    image: busybox:1.35
    command: ["sh", "-c", "echo heartbeat started; sleeep 3600"]
status:
  phase: Running
  conditions:
  - {type: Initialized, status: "True"}
  - {type: Ready, status: "False", reason: ContainersNotReady}
  containerStatuses:
  - name: heartbeat
    image: busybox:1.35
    ready: false
    restartCount: 4
    started: false
    lastState:
      terminated: {exitCode: 127, reason: Error}
    state:
      waiting:
        reason: CrashLoopBackOff
        message: back-off 1m20s restarting failed container=heartbeat pod=web_default(8d1c...)
  - name: web
    image: nginx:1.22
    ready: true
    restartCount: 0
    started: true
    state:
      running: {startedAt: "2026-12-03T09:10:02Z"}
""",
    "Init:CrashLoopBackOff": """\
apiVersion: v1
kind: Pod
metadata: {name: orders}
spec:
  initContainers:
  - name: migrate
    image: ghcr.io/example/orders-migrate:1.4
  containers:
  - {name: app, image: "ghcr.io/example/orders:1.4"}
status:
  phase: Pending
  conditions:
  - {type: Initialized, status: "False", reason: ContainersNotInitialized}
  initContainerStatuses:
  - name: migrate
    image: ghcr.io/example/orders-migrate:1.4
    ready: false
    restartCount: 3
    started: false
    lastState:
      terminated: {exitCode: 1, reason: Error}
    state:
      waiting:
        reason: CrashLoopBackOff
        message: back-off 40s restarting failed container=migrate pod=orders_default(51f0...)
  containerStatuses:
  - name: app
    image: ghcr.io/example/orders:1.4
    ready: false
    restartCount: 0
    started: false
    state:
      waiting: {reason: PodInitializing}
""",
    "Running, not Ready": """\
apiVersion: v1
kind: Pod
metadata: {name: catalog}
spec:
  containers:
  - name: catalog
    image: ghcr.io/example/catalog:3.2
    readinessProbe:
      httpGet: {path: /ready, port: 8080}
status:
  phase: Running
  conditions:
  - {type: Initialized, status: "True"}
  - {type: Ready, status: "False", reason: ContainersNotReady}
  containerStatuses:
  - name: catalog
    image: ghcr.io/example/catalog:3.2
    ready: false
    restartCount: 0
    started: true
    state:
      running: {startedAt: "2026-12-03T09:02:11Z"}
""",
}


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


def pattern_picture(source: str, *, fallback: str | None = None) -> PatternFlowView | StandIn:
    """The chapter 10 picture for a notebook cell (a stand-in while grading)."""
    if grading():
        return StandIn("the pattern's flows")
    return PatternFlowView(source, fallback=fallback)


def triage_picture(source: str, *, fallback: str | None = None) -> TriageView | StandIn:
    """The chapter 11 picture for a notebook cell (a stand-in while grading)."""
    if grading():
        return StandIn("the troubleshooting tree")
    return TriageView(source, fallback=fallback)
