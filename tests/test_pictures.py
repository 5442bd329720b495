"""The chapter pictures: computed from the spec as the kubelet behaves, drawn without a display, redrawn on change."""

from __future__ import annotations

import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from course.widgets import pictures as P

ROOT = Path(__file__).resolve().parents[1]
MI = 2**20

SLOW = """
apiVersion: v1
kind: Pod
metadata:
  name: ledger
spec:
  containers:
  - name: ledger
    image: ghcr.io/example/ledger:2.3.1
    ports:
    - name: http
      containerPort: 8080
    startupProbe:
      httpGet: {path: /healthz, port: http}
      periodSeconds: 5
      failureThreshold: 48
    readinessProbe:
      httpGet: {path: /ready, port: http}
      periodSeconds: 5
    livenessProbe:
      httpGet: {path: /healthz, port: http}
      periodSeconds: 10
      failureThreshold: 3
"""

SIDECAR_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: orders
spec:
  terminationGracePeriodSeconds: 20
  initContainers:
  - name: db-proxy
    image: proxy
    restartPolicy: Always
    startupProbe:
      tcpSocket: {port: 5432}
      periodSeconds: 1
      failureThreshold: 30
  - name: migrate
    image: migrate
  - name: log-shipper
    image: shipper
    restartPolicy: Always
  containers:
  - name: app
    image: app
    lifecycle:
      preStop:
        sleep: {seconds: 5}
  - name: worker
    image: worker
"""

THREE_QOS = """
apiVersion: v1
kind: Pod
metadata: {name: guaranteed}
spec:
  containers:
  - name: app
    image: app
    resources:
      limits: {cpu: 500m, memory: 512Mi}
---
apiVersion: v1
kind: Pod
metadata: {name: besteffort}
spec:
  containers:
  - name: app
    image: app
---
apiVersion: v1
kind: Pod
metadata: {name: burstable}
spec:
  containers:
  - name: app
    image: app
    resources:
      requests: {memory: 1Gi}
"""


def pod_with(resources: dict[str, str]) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "x", "resources": {"requests": resources}}]}}


# -- chapter 7 ----------------------------------------------------------------------------------


def test_probe_timeline_matches_hand_computed_times() -> None:
    """Does the slow starter's timeline give the times worked out by hand from the kubelet's rules?"""
    tl = P.probe_timeline(SLOW, answers_from=180, stops_at=300)
    # startup checks at 0, 5, ..., 175 fail (36 < 48), the one at 180 passes
    assert tl.startup_budget == 0 + 48 * 5
    assert tl.started_at == 180
    # readiness runs at once when started and not ready; liveness on its own 10 s ticks (180 is one)
    assert tl.readiness_from == tl.ready_at == 180
    assert tl.liveness_from == 180
    # hung from 300: readiness checks at 300, 305, 310 each fail after timeoutSeconds (1 s)
    assert tl.unready_at == 311
    # liveness checks at 300, 310, 320 fail: the third result (321) kills, with the Pod's 30 s grace
    assert tl.liveness_kill_at == 321
    assert (tl.grace_seconds, tl.killed_by) == (30, 351)
    assert tl.startup_kill_at is None


def test_no_liveness_or_readiness_before_the_startup_probe_succeeds() -> None:
    """Do liveness and readiness checks wait for the startup probe, as the kubelet's workers do?"""
    tl = P.probe_timeline(SLOW, answers_from=180)
    first = {k: min(r.start for r in tl.runs if r.probe == k) for k in ("readiness", "liveness")}
    assert first == {"readiness": 180, "liveness": 180}
    assert not [r for r in tl.runs if r.probe == "startup" and r.start > 180]  # the startup probe stops


def test_startup_budget_runs_out() -> None:
    """Is a container killed when the startup probe fails failureThreshold times, with the probe's own grace?"""
    spec = {"terminationGracePeriodSeconds": 60, "containers": [{"name": "a", "startupProbe": {
        "httpGet": {"port": 80}, "initialDelaySeconds": 10, "periodSeconds": 10, "failureThreshold": 3,
        "timeoutSeconds": 2, "terminationGracePeriodSeconds": 5}, "livenessProbe": {"tcpSocket": {"port": 80}}}]}
    tl = P.probe_timeline(spec, answers_from=1000)
    assert tl.startup_budget == 10 + 3 * 10
    assert [r.start for r in tl.runs] == [10, 20, 30]  # skipped before initialDelaySeconds; no liveness at all
    assert tl.startup_kill_at == 32  # the third failure is known after its 2 s timeout
    assert (tl.grace_seconds, tl.killed_by) == (5, 37)
    assert tl.started_at is None and tl.liveness_from is None


def test_defaults_and_refused_connections() -> None:
    """With all-default probes and an app that refuses connections, is the kill at 3 x 10 s of failures?"""
    spec = {"containers": [{"name": "a", "livenessProbe": {"tcpSocket": {"port": 80}, "periodSeconds": 0}}]}
    tl = P.probe_timeline(spec, stops_at=45, hangs=False)
    assert tl.started_at == 0 and tl.ready_at == 0  # no startup or readiness probe
    assert tl.liveness_kill_at == 70  # failures at 50, 60, 70 (period 0 means the default 10)


def test_lead_shifts_the_ticks() -> None:
    """When the kubelet started the workers earlier than the container, do the ticks shift accordingly?"""
    tl = P.probe_timeline(SLOW, answers_from=182, lead=3)
    assert tl.started_at == 182  # startup ticks at 2, 7, ..., 182: that one finds the app answering
    assert tl.liveness_from == 187  # liveness ticks at 7, 17, ..., 177, 187
    tl = P.probe_timeline(SLOW, answers_from=183, lead=3)
    assert tl.started_at == 187


def test_probe_figure_renders_headless() -> None:
    """Does the probe timeline draw to PNG without a display?"""
    fig = P.probe_timeline_figure(SLOW, answers_from=180, stops_at=300)
    png = P.figure_png(fig)
    assert png.startswith(b"\x89PNG")
    assert fig.get_figwidth() <= 9 and fig.get_figheight() <= 5


# -- chapter 6 ----------------------------------------------------------------------------------


def test_start_order_with_sidecars() -> None:
    """Do init containers, sidecars and app containers start in the kubelet's order and at the right times?"""
    plan = P.lifecycle_plan(SIDECAR_POD, init_seconds=2, sidecar_ready_after=2.5)
    by = {s.name: s for s in plan.steps}
    assert [s.name for s in sorted(plan.steps, key=lambda s: s.order)] == [
        "db-proxy", "migrate", "log-shipper", "app", "worker"]
    assert by["db-proxy"].started == 3  # its startupProbe checks every second: 0, 1, 2 fail, 3 passes
    assert (by["migrate"].start, by["migrate"].exit) == (3, 5)
    assert by["log-shipper"].start == by["log-shipper"].started == 5  # no startupProbe: started at once
    assert plan.initialized_at == 5
    assert by["app"].start == by["worker"].start == 5  # app containers do not wait for each other


def test_stop_order_sidecars_last_in_reverse() -> None:
    """At deletion, do app containers stop first and sidecars after them in reverse order, within the grace period?"""
    plan = P.lifecycle_plan(SIDECAR_POD, delete_at=10, stop_seconds=1)
    by = {s.name: s for s in plan.steps}
    assert plan.grace == 20
    assert by["app"].pre_stop == (10, 15) and by["app"].sigterm == 15 and by["app"].exit == 16
    assert by["worker"].sigterm == 10 and by["worker"].exit == 11
    assert by["log-shipper"].sigterm == 16 and by["log-shipper"].exit == 17  # after every app container
    assert by["db-proxy"].sigterm == 17 and by["db-proxy"].exit == 18  # after the later sidecar
    assert [by[n].stop_order for n in ("worker", "app", "log-shipper", "db-proxy")] == [1, 2, 3, 4]
    assert by["migrate"].stop_order is None  # it had finished long before


def test_grace_period_ends_in_sigkill() -> None:
    """Does a container that ignores SIGTERM get SIGKILL when the grace period (counted from deletion) ends?"""
    plan = P.lifecycle_plan(SIDECAR_POD, delete_at=10, stop_seconds={"app": None, "worker": 1.0})
    by = {s.name: s for s in plan.steps}
    assert by["app"].sigkill_by == by["app"].exit == 30  # 10 + 20, the preStop hook's 5 s included
    assert by["log-shipper"].sigterm == 30  # the sidecars waited for app until then
    assert by["log-shipper"].sigkill_by == 32 and by["db-proxy"].sigkill_by >= 32  # at least 2 s after SIGTERM


def test_batch_pod_completes_then_sidecars_stop() -> None:
    """In a Pod with restartPolicy Never whose app exits, are the sidecars stopped after it?"""
    pod = {"spec": {"restartPolicy": "Never",
                    "initContainers": [{"name": "shipper", "image": "s", "restartPolicy": "Always"}],
                    "containers": [{"name": "report", "image": "r"}]}}
    plan = P.lifecycle_plan(pod, runs_for=6)
    by = {s.name: s for s in plan.steps}
    assert plan.completes and plan.stop_at == 6
    assert by["report"].exit == 6 and by["report"].sigterm is None
    assert by["shipper"].sigterm == 6


def test_lifecycle_figure_renders_headless() -> None:
    """Does the start/stop picture draw to PNG without a display?"""
    assert P.figure_png(P.lifecycle_figure(SIDECAR_POD)).startswith(b"\x89PNG")


# -- chapter 8 ----------------------------------------------------------------------------------


def test_oom_order_of_the_three_qos_classes() -> None:
    """Is the OOM-kill order BestEffort, then Burstable, then Guaranteed, with upstream's oom_score_adj values?"""
    ranks = P.oom_order(THREE_QOS, "4Gi")
    assert [(r.pod, r.qos) for r in ranks] == [("besteffort", "BestEffort"), ("burstable", "Burstable"),
                                               ("guaranteed", "Guaranteed")]
    assert [r.oom_score_adj for r in ranks] == [1000, 1000 - (1000 * 1024) // 4096, -997]


def test_oom_score_adj_clamps() -> None:
    """Is a Burstable container's oom_score_adj kept within 3..999, as pkg/kubelet/qos/policy.go does?"""
    tiny = P.read_pod(pod_with({"memory": "1"}))[1]
    huge = P.read_pod(pod_with({"memory": "8Gi", "cpu": "1"}))[1]
    cap = 4 * 1024 * MI
    assert P.oom_score_adj(tiny, tiny["containers"][0], cap) == 999  # 1000 would equal BestEffort
    assert P.oom_score_adj(huge, huge["containers"][0], cap) == 3  # 1000 - 997, above Guaranteed's -997
    critical = {**tiny, "priorityClassName": "system-node-critical"}
    assert P.oom_score_adj(critical, critical["containers"][0], cap) == -997


def test_sidecar_oom_score_no_higher_than_app() -> None:
    """Is a sidecar's oom_score_adj capped at the Pod's smallest app container's?"""
    spec = {"initContainers": [{"name": "proxy", "image": "p", "restartPolicy": "Always",
                                "resources": {"requests": {"memory": "64Mi"}}}],
            "containers": [{"name": "app", "image": "a", "resources": {"requests": {"memory": "1Gi"}}}]}
    cap = 4 * 1024 * MI
    assert P.oom_score_adj(spec, spec["containers"][0], cap) == 750
    assert P.oom_score_adj(spec, spec["initContainers"][0], cap) == 750  # not 985


def test_eviction_order_under_memory_pressure() -> None:
    """Are Pods above their requests evicted first, then by lower priority, then by most use above request?"""
    usage = {"guaranteed": "600Mi", "besteffort": "50Mi", "burstable": "900Mi"}
    assert [r.pod for r in P.eviction_order(THREE_QOS, usage)] == ["guaranteed", "besteffort", "burstable"]
    usage = {"guaranteed": "100Mi", "besteffort": "50Mi", "burstable": "1100Mi"}
    order = P.eviction_order(THREE_QOS, usage)
    assert [r.pod for r in order] == ["burstable", "besteffort", "guaranteed"]  # 76Mi above beats 50Mi
    assert [r.exceeds for r in order] == [True, True, False]
    prio = THREE_QOS.replace("metadata: {name: besteffort}\nspec:\n", "metadata: {name: besteffort}\nspec:\n"
                             "  priority: 1000\n")
    assert [r.pod for r in P.eviction_order(prio, usage)] == ["burstable", "besteffort", "guaranteed"]
    prio = prio.replace("metadata: {name: burstable}\nspec:\n", "metadata: {name: burstable}\nspec:\n"
                        "  priority: 2000\n")
    assert [r.pod for r in P.eviction_order(prio, usage)] == ["besteffort", "burstable", "guaranteed"]


def test_pod_request_counts_init_and_sidecars() -> None:
    """Is the Pod's request the larger of (apps + sidecars) and the init peak, as PodRequests computes it?"""
    spec = {"initContainers": [
        {"name": "proxy", "restartPolicy": "Always", "resources": {"requests": {"memory": "128Mi"}}},
        {"name": "migrate", "resources": {"requests": {"memory": "512Mi"}}}],
        "containers": [{"name": "app", "resources": {"limits": {"memory": "256Mi"}}}]}
    assert P.pod_request(spec, "memory") == 640 * MI
    assert P.pod_request({**spec, "overhead": {"memory": "10Mi"}}, "memory") == 650 * MI


def test_resource_bars_scale_with_requests() -> None:
    """Do the request bars grow with the request, and is the node's allocatable drawn where it belongs?"""
    def widths(mem: str) -> tuple[list[float], list[float]]:
        fig = P.resources_figure(pod_with({"cpu": "250m", "memory": mem}), node={"cpu": "2", "memory": "4Gi"})
        mem_ax = fig.axes[1]
        lines = [ln.get_xdata()[0] for ln in mem_ax.get_lines()]
        return sorted(p.get_width() for p in mem_ax.patches), lines

    small, lines = widths("128Mi")
    big, _ = widths("512Mi")
    assert max(small) == pytest.approx(128) and max(big) == pytest.approx(512)
    assert 4096 in lines


def test_resource_and_pressure_figures_render_headless() -> None:
    """Do the chapter 8 figures draw to PNG without a display?"""
    usage = {"guaranteed": "100Mi", "besteffort": "50Mi", "burstable": "1100Mi"}
    for fig in (P.resources_figure(THREE_QOS), P.pressure_figure(THREE_QOS, usage)):
        assert P.figure_png(fig).startswith(b"\x89PNG")


# -- reading specs, widgets, quietness -------------------------------------------------------------


def test_bad_specs_are_explained() -> None:
    """Are unusable specs reported as PictureError with a sentence, not a traceback from deep inside?"""
    for bad, words in (("", "empty"), ("a: [1", "does not parse"), ("kind: Pod\nspec: {}", "no containers"),
                       ("- 1\n- 2", "mapping")):
        with pytest.raises(P.PictureError, match=words):
            P.lifecycle_plan(bad)
    with pytest.raises(P.PictureError, match="no container"):
        P.probe_timeline(SLOW, "nope")


def test_widget_redraws_on_change() -> None:
    """Does a view redraw when its YAML or its scenario changes, and show errors instead of raising?"""
    view = P.ProbeTimelineView(SLOW, options={"answers_from": 180})
    first, png = view.redraws, bytes(view.image.value)
    assert first == 1 and png.startswith(b"\x89PNG")
    view.editor.value = SLOW.replace("failureThreshold: 48", "failureThreshold: 20")  # what a learner types
    assert view.redraws == 2 and bytes(view.image.value) != png
    view.stops_box.value = "250"
    assert view.options["stops_at"] == 250 and view.redraws == 3
    view.source = "a: [1"
    assert view.redraws == 3
    assert "does not parse" in "".join(o.get("text", "") for o in view.errors.outputs)
    view.source = SLOW
    assert view.redraws == 4 and not view.errors.outputs


def test_views_fall_back_to_an_example_for_an_empty_answer() -> None:
    """Does a view of an untouched answer ('# YOUR ANSWER HERE') show the example with a note?"""
    view = P.lifecycle_picture("\n# YOUR ANSWER HERE\n", fallback=SIDECAR_POD)
    assert isinstance(view, P.LifecycleView) and view.source == SIDECAR_POD and "example" in view.note.value
    res = P.resources_picture("\n# YOUR ANSWER HERE\n", fallback=THREE_QOS, neighbours=P.NEIGHBOURS,
                              usage={"shop-web": "600Mi"})
    assert isinstance(res, P.ResourcesView) and "shop-web" in res.source and "example" in res.note.value
    assert res.redraws == 1 and res.usage_box.value == "shop-web=600Mi"
    res.usage_box.value = "shop-web=700Mi, nightly-batch=1Gi"
    assert res.options["usage"] == {"shop-web": "700Mi", "nightly-batch": "1Gi"} and res.redraws == 2


def test_stand_ins_while_grading(monkeypatch: pytest.MonkeyPatch) -> None:
    """While nbgrader runs, do the notebook helpers build no widgets and draw nothing?"""
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    for make in (P.probe_picture, P.lifecycle_picture, P.resources_picture):
        got = make(SLOW)
        assert isinstance(got, P.StandIn) and "not drawn while grading" in repr(got)


def test_nothing_on_stderr_in_a_fresh_process(tmp_path: Path) -> None:
    """With no display and an empty matplotlib cache, is every picture drawn without a byte on stderr?"""
    code = (
        "from course.widgets import pictures as P\n"
        f"SLOW = {SLOW!r}\nPODS = {THREE_QOS!r}\nSIDE = {SIDECAR_POD!r}\n"
        "P.ProbeTimelineView(SLOW, options={'answers_from': 180, 'stops_at': 300})\n"
        "P.LifecycleView(SIDE)\n"
        "P.resources_picture(PODS, usage={'burstable': '2Gi'})\n"
        "P.PatternFlowView(SIDE)\n"
        "P.TriageView(P.TRIAGE_EXAMPLES['Init:CrashLoopBackOff'])\n"
        "print('ok')\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "MPLBACKEND")}
    env["MPLCONFIGDIR"] = str(tmp_path / "mpl")  # a cold font cache: matplotlib would announce building it
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
    assert proc.stderr == ""


def test_importing_the_widgets_does_not_import_matplotlib() -> None:
    """Is matplotlib imported only when a picture is drawn (so the editors stay quick to start)?"""
    code = "import sys, course.widgets; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_quantities_are_exact() -> None:
    """Are requests read exactly (Fractions), as the checker's quantity parser does?"""
    rows = P.container_resources(pod_with({"cpu": "0.1", "memory": "1.5Gi"}))
    assert rows[0].requests == {"cpu": Fraction(1, 10), "memory": Fraction(3, 2) * 1024 * MI}


# -- chapter 10: a pattern's flows ----------------------------------------------------------------


def _reference(notebook: str, grade_id: str) -> str:
    """The solution notebook's own answer for one exercise, without the solution markers."""
    import json

    cells = json.loads((ROOT / "solutions" / notebook).read_text())["cells"]
    src = next("".join(c["source"]) for c in cells
               if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)
    return src.split("### BEGIN SOLUTION", 1)[1].split("### END SOLUTION", 1)[0]


LOG_SHIPPER = ("ch1/ch1-pods-vs-containers.ipynb", "ch1-web-with-logs-answer")
AMBASSADOR = ("ch10/ch10-design-patterns.ipynb", "ch10-shop-answer")
ADAPTER = ("ch10/ch10-design-patterns.ipynb", "ch10-billing-answer")
DB = "outside:shop-db.prod.example.internal:5432"

# (reference answer, flows by kind that must be there, flows that must not)
FLOWS = [
    (LOG_SHIPPER, {"file": {("web", "log-shipper")}, "mount": {("web", "volume:logs"), ("volume:logs", "log-shipper")},
                   "exposed": {("clients", "web")}, "traffic": set()},
     {("log-shipper", "web")}),
    (AMBASSADOR, {"traffic": {("app", "db-ambassador")}, "outbound": {("db-ambassador", DB)},
                  "exposed": {("clients", "app"), ("clients", "db-ambassador")}, "file": set()},
     {("app", DB), ("db-ambassador", "app")}),
    (ADAPTER, {"file": {("billing", "metrics-adapter")}, "exposed": {("clients", "billing"),
                                                                     ("clients", "metrics-adapter")},
               "traffic": set()},
     {("metrics-adapter", "billing")}),
]


@pytest.mark.parametrize(("ref", "present", "absent"), FLOWS, ids=["log-shipper", "ambassador", "adapter"])
def test_flows_of_the_reference_answers(ref: tuple[str, str], present: dict[str, set[tuple[str, str]]],
                                        absent: set[tuple[str, str]]) -> None:
    """Does each reference Pod show exactly the flows its pattern is about, and none the other way?"""
    flow = P.pattern_flow(_reference(*ref))
    for kind, pairs in present.items():
        assert flow.pairs(kind) == pairs, kind
    every = {(e.source, e.target) for e in flow.edges if e.kind != "mount"}
    assert not every & absent


def test_flow_reasons_name_the_fields() -> None:
    """Do the edges say which field implies them (env value, readOnly mount, declared port), in words?"""
    shop = P.pattern_flow(_reference(*AMBASSADOR))
    call = shop.edge("app", "db-ambassador", "traffic")
    assert call is not None and "localhost:5432" in call.reason and "DATABASE_URL" in call.reason
    assert "declares containerPort 5432" in call.reason and "network namespace" in call.reason
    kinds = {n.id: n.kind for n in shop.nodes}
    assert kinds == {"clients": "clients", "db-ambassador": "sidecar", "app": "app", DB: "outside"}
    billing = P.pattern_flow(_reference(*ADAPTER))
    files = billing.edge("billing", "metrics-adapter", "file")
    assert files is not None and files.via == "status" and "readOnly" in files.reason
    exposed = billing.edge("clients", "metrics-adapter", "exposed")
    assert exposed is not None and exposed.label == "declared :9100" and "reserves nothing" in exposed.reason


SHARED = """
apiVersion: v1
kind: Pod
metadata: {name: shared}
spec:
  volumes:
  - {name: work, emptyDir: {}}
  - {name: conf, configMap: {name: app-config}}
  - {name: unused, emptyDir: {}}
  initContainers:
  - name: render
    image: busybox:1.35
    volumeMounts: [{name: work, mountPath: /out}]
  containers:
  - name: a
    image: busybox:1.35
    args: ["--listen=127.0.0.1:9000"]
    volumeMounts:
    - {name: work, mountPath: /work}
    - {name: conf, mountPath: /etc/app/app.yaml, subPath: app.yaml}
  - name: b
    image: busybox:1.35
    env:
    - {name: UPSTREAM, value: "http://localhost:9000/api"}
    - {name: CACHE, value: "localhost:6379"}
    volumeMounts: [{name: work, mountPath: /data}]
"""


def test_both_read_write_flow_both_ways_and_config_is_read_only() -> None:
    """With two read-write mounts do files flow both ways, and is a configMap volume only ever read?"""
    flow = P.pattern_flow(SHARED)
    assert flow.pairs("file") == {("render", "a"), ("render", "b"), ("a", "b"), ("b", "a")}
    assert "before it starts" in (flow.edge("render", "a", "file") or P.FlowEdge("", "", "", "", "")).reason
    conf = flow.edge("volume:conf", "a", "mount")
    assert conf is not None and "always read-only" in conf.reason and "subPath app.yaml" in conf.label
    assert flow.node("volume:conf") == P.FlowNode("volume:conf", "volume", "conf", "configMap app-config")
    # a listens on 127.0.0.1:9000 by its flags (not declared): b's call reaches it, nobody outside does
    assert flow.pairs("traffic") == {("b", "a")} and flow.pairs("exposed") == set()
    notes = " | ".join(flow.notes)
    for words in ("subPath: the file is not updated", "no container declares port 6379",
                  "unused is declared but no container mounts it", "a listens on 127.0.0.1:9000 only"):
        assert words in notes


def test_scripts_and_listen_settings_are_read_word_by_word() -> None:
    """Are `sh -c` scripts, `nc HOST PORT` and listen settings (flags, LISTEN_* env) read as the program would?"""
    pod = {"metadata": {"name": "mesh"}, "spec": {"containers": [
        {"name": "proxy", "image": "p", "command": ["sh", "-c", "exec proxy --listen=127.0.0.1:15001 "
                                                    "--db-addr=localhost:5432; nc db.example.com 5432"]},
        {"name": "db", "image": "d", "env": [{"name": "LISTEN_ADDR", "value": "127.0.0.1:5432"}]},
        {"name": "app", "image": "a", "args": ["-bind", ":8080", "--upstream=http://localhost:$(PORT)/x"],
         "env": [{"name": "PORT", "value": "15001"}]}]}}
    flow = P.pattern_flow(pod)
    assert flow.pairs("traffic") == {("proxy", "db"), ("app", "proxy")}  # --db-addr is a call, not a listen
    assert flow.pairs("outbound") == {("proxy", "outside:db.example.com:5432")}
    assert "set to listen on 127.0.0.1:5432" in (flow.edge("proxy", "db") or P.FlowEdge("", "", "", "", "")).reason


def test_pattern_figure_renders_headless() -> None:
    """Do the pattern pictures of the three reference answers draw to PNG without a display?"""
    for ref in (LOG_SHIPPER, AMBASSADOR, ADAPTER):
        fig = P.pattern_flow_figure(_reference(*ref))
        assert P.figure_png(fig).startswith(b"\x89PNG") and fig.get_figwidth() <= 10
    assert P.figure_png(P.pattern_flow_figure(SHARED)).startswith(b"\x89PNG")


# -- chapter 11: the troubleshooting tree ---------------------------------------------------------

# (case, STATUS column, leaf, container, a command it must suggest)
TRIAGE = [
    ("Pending: Insufficient memory", "Pending", "resources", None, "kubectl events --for pod/search"),
    ("ImagePullBackOff", "ImagePullBackOff", "image", "frontend", "kubectl describe pod frontend"),
    ("ContainerCreating: missing ConfigMap", "ContainerCreating", "creating", "gateway",
     "kubectl events --for pod/gateway"),
    ("CreateContainerConfigError", "CreateContainerConfigError", "config", "mailer", "kubectl describe pod mailer"),
    ("CrashLoopBackOff: exit 127", "CrashLoopBackOff", "error", "heartbeat",
     "kubectl logs web -c heartbeat --previous"),
    ("Init:CrashLoopBackOff", "Init:CrashLoopBackOff", "init-failed", "migrate",
     "kubectl logs orders -c migrate --previous"),
    ("Running, not Ready", "Running", "readiness", "catalog", "kubectl events --for pod/catalog"),
]


@pytest.mark.parametrize(("case", "status", "leaf", "container", "command"), TRIAGE, ids=[t[0] for t in TRIAGE])
def test_triage_takes_the_right_branch(case: str, status: str, leaf: str, container: str | None,
                                       command: str) -> None:
    """Does each example Pod get kubectl's STATUS, the branch of its cause, and the command to run next?"""
    t = P.triage(P.TRIAGE_EXAMPLES[case])
    assert (t.status, t.leaf, t.container) == (status, leaf, container)
    assert command in t.commands
    steps = {s.id: s for s in P.TRIAGE_TREE}
    assert t.path[0] == "root" and all(steps[b].parent == a for a, b in zip(t.path, t.path[1:], strict=False))


def test_triage_of_the_chapter_crash_status() -> None:
    """Is the renderer of chapter 11's CRASH_STATUS (a pasted session) an OOM kill, read as the kubelet wrote it?"""
    from graders.ch11 import CRASH_STATUS

    t = P.triage(CRASH_STATUS)
    assert (t.pod, t.status, t.ready, t.restarts) == ("report", "CrashLoopBackOff", "1/2", 6)
    assert t.path == ["root", "waiting", "crash", "oom"] and t.container == "renderer"
    assert any("reason OOMKilled" in e and "exit 137" in e for e in t.evidence)
    assert t.commands[0] == "kubectl logs report -c renderer --previous"
    assert "resources.limits.memory" in t.advice


def test_status_column_follows_kubectl() -> None:
    """Are STATUS and READY printed as kubectl does: Init:N/M, a started native sidecar counted, Completed?"""
    spec = {"initContainers": [{"name": "proxy", "restartPolicy": "Always"}, {"name": "wait"}],
            "containers": [{"name": "app"}]}
    status = {"phase": "Pending", "initContainerStatuses": [
        {"name": "proxy", "started": True, "ready": True, "state": {"running": {}}},
        {"name": "wait", "state": {"running": {}}}],
        "containerStatuses": [{"name": "app", "state": {"waiting": {"reason": "PodInitializing"}}}]}
    assert P.status_column(spec, status) == ("Init:1/2", "1/2", 0)
    t = P.triage({"metadata": {"name": "p"}, "spec": spec, "status": status})
    assert (t.leaf, t.container, t.commands) == ("init-running", "wait", ["kubectl logs p -c wait"])
    done = {"phase": "Succeeded", "containerStatuses": [
        {"name": "app", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}
    assert P.status_column({"containers": [{"name": "app"}]}, done) == ("Completed", "0/1", 0)
    assert P.triage({"spec": {"containers": [{"name": "app"}]}, "status": done}).leaf == "finished"
    oom_then_ok = {"phase": "Running", "containerStatuses": [
        {"name": "app", "ready": True, "started": True, "restartCount": 2, "state": {"running": {}},
         "lastState": {"terminated": {"exitCode": 143, "reason": "Error"}}}]}
    t = P.triage({"status": oom_then_ok})
    assert t.leaf == "restarting" and any("SIGTERM" in e for e in t.evidence)
    assert P.triage({"spec": {"containers": [{"name": "app"}]}}).leaf == "no-status"


def test_exit_codes_are_read_as_shells_and_the_kernel_mean_them() -> None:
    """Are 127, 126, 137 with and without OOMKilled, and 128 + n read the conventional way?"""
    assert "command not found" in P.exit_meaning(127)
    assert "not executable" in P.exit_meaning(126)
    assert "OOM killer" in P.exit_meaning(137, "OOMKilled") and "liveness" in P.exit_meaning(137, "Error")
    assert "signal 6" in P.exit_meaning(134) and "no exit code" in P.exit_meaning(None)


def test_triage_figure_renders_headless_with_the_path_highlighted() -> None:
    """Does the tree draw to PNG without a display, with this Pod's leaf in the highlight colour?"""
    from graders.ch11 import CRASH_STATUS

    fig = P.triage_figure(CRASH_STATUS)
    assert P.figure_png(fig).startswith(b"\x89PNG") and fig.get_figheight() <= 9
    hot = [t.get_text() for t in fig.axes[0].texts if t.get_fontweight() == "bold"]
    assert set(hot) == {"STATUS?", "a container Waiting", "CrashLoopBackOff: lastState.terminated?",
                        "OOMKilled (exit 137)"}


HOSTILE = ["", "   \n# YOUR ANSWER HERE\n", "a: [1", "- 1\n- 2", "just words", "kind: Pod\nspec: {}",
           "spec: {containers: [{name: a}, {name: a}]}", "spec: {containers: 7}",
           "spec:\n  containers:\n  - name: [1]\n    ports: [{containerPort: true, name: 5}, 3]\n"
           "    env: [{name: X, value: {a: 1}}, 7]\n    args: [{x: 1}, 'localhost:99999']\n    volumeMounts: [1, {}]",
           "$ kubectl logs x\nhello", "status: [1]\nmetadata: 3", "status: {phase: [1], containerStatuses: [1, {}]}",
           "!!python/object/apply:os.system ['echo hi']"]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_specs_give_a_sentence_not_a_traceback(text: str) -> None:
    """Does an empty, garbage or hostile spec give a PictureError (or a picture), never another exception?"""
    for fn in (P.pattern_flow, P.triage, P.pattern_flow_figure, P.triage_figure):
        try:
            fn(text)
        except P.PictureError as exc:
            assert str(exc) and "Traceback" not in str(exc)


def test_flow_and_triage_views_redraw_and_explain() -> None:
    """Do the chapter 10 and 11 views redraw when their YAML changes and show problems in their Output?"""
    view = P.PatternFlowView(_reference(*ADAPTER))
    png = bytes(view.image.value)
    assert view.redraws == 1 and png.startswith(b"\x89PNG")
    view.editor.value = _reference(*AMBASSADOR)
    assert view.redraws == 2 and bytes(view.image.value) != png and not view.errors.outputs
    view.source = "kind: Pod\nspec: {}"
    assert view.redraws == 2 and "no containers" in "".join(o.get("text", "") for o in view.errors.outputs)
    tri = P.TriageView(P.TRIAGE_EXAMPLES["ImagePullBackOff"])
    assert tri.redraws == 1
    tri.examples.value = "Init:CrashLoopBackOff"
    assert tri.source == P.TRIAGE_EXAMPLES["Init:CrashLoopBackOff"] and tri.redraws == 2
    tri.source = "- just\n- a list"
    assert "mapping" in "".join(o.get("text", "") for o in tri.errors.outputs) and tri.redraws == 2
    empty = P.pattern_picture("\n# YOUR ANSWER HERE\n", fallback=_reference(*ADAPTER))
    assert isinstance(empty, P.PatternFlowView) and "example" in empty.note.value


def test_flow_and_triage_stand_ins_while_grading(monkeypatch: pytest.MonkeyPatch) -> None:
    """While nbgrader runs, do the chapter 10 and 11 helpers draw nothing?"""
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    for make in (P.pattern_picture, P.triage_picture):
        got = make(SLOW)
        assert isinstance(got, P.StandIn) and "not drawn while grading" in repr(got)
