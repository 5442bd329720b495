"""Chapter 2, namespaces and the pause container: graders for its four exercises.

Manifest checks quote the static checker's findings exactly as `check_text`
shows them. Prediction and true/false exercises award one point per item and
explain only the items the learner got wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from graders.answers import Answer
from graders.ch1 import exact_image, named, pinned_image
from graders.ch2lab import LAB_KINDS, ROLES
from graders.core import (
    Case,
    Exercise,
    Fail,
    argv,
    checker_clean,
    findings,
    is_pod,
    lab_data,
    lab_predictions,
    pod,
    running_container,
    running_containers,
    shell_words,
    table_row,
    truth,
    words,
)

# ---------------------------------------------------------------------------
# Exercise 1: which namespaces do a Pod's containers share?
# ---------------------------------------------------------------------------

ALWAYS, OPT_IN, NEVER = "always", "shareProcessNamespace", "never"

# namespace -> (answer, why). The why is shown only when the learner got it wrong.
POD_SHARING: dict[str, tuple[str, str]] = {
    "net": (ALWAYS, "every container of a Pod joins the sandbox's network namespace: one IP, one port "
                    "space, and `localhost` reaches the other containers."),
    "ipc": (ALWAYS, "System V IPC objects and POSIX message queues live in the sandbox's IPC namespace, "
                    "which all containers of the Pod join."),
    "uts": (ALWAYS, "the hostname (the Pod's name unless spec.hostname says otherwise) belongs to the "
                    "sandbox's UTS namespace, which all containers join."),
    "pid": (OPT_IN, "by default each container has its own PID namespace, with its first process as PID 1; "
                    "`shareProcessNamespace: true` puts all containers in one PID namespace."),
    "mnt": (NEVER, "each container has its own mount namespace built on its own image's root filesystem; "
                   "files are shared only through volumes that several containers mount."),
    "user": (ALWAYS, "containers of one Pod are always in the same user namespace: the node's by default, "
                     "or, with `hostUsers: false`, one user namespace created for the Pod and shared by all "
                     "its containers. There is no per-container user namespace."),
    "cgroup": (NEVER, "on a cgroup v2 node containerd gives each (non-privileged) container its own cgroup "
                      "namespace, so it sees its own cgroup as the root of /sys/fs/cgroup; the Pod only "
                      "shares a parent cgroup for resource accounting, which is not a namespace."),
    "time": (ALWAYS, "Kubernetes never creates time namespaces, so every container uses the node's: "
                     "shared, but with the whole node rather than just within the Pod."),
}

_ALIASES = {
    ALWAYS: {"always", "shared", "yes", "true", "pod", "always shared"},
    OPT_IN: {"shareprocessnamespace", "only with shareprocessnamespace", "opt-in", "optin", "optional",
             "sometimes", "only with shareprocessnamespace: true", "shareprocessnamespace: true"},
    NEVER: {"never", "no", "false", "own", "separate", "per-container", "per container", "never shared"},
}


_category = words(_ALIASES, on_bool=(ALWAYS, NEVER),
                  clean=lambda v: " ".join(v.strip().lower().replace("`", "").split()))


def _share_case(kind: str) -> Callable[[Answer], Any]:
    want, why = POD_SHARING[kind]
    return table_row(kind, want, why, read=_category, choices='"always", "shareProcessNamespace" or "never"',
                     unreadable='is not one of "always", "shareProcessNamespace", "never"',
                     example='{"net": "always", "pid": "shareProcessNamespace", "mnt": "never", ...}', named=True,
                     upper_keys=False)


pod_namespaces = Exercise(
    id="ch2.pod_namespaces",
    title="Exercise 1 - which namespaces do a Pod's containers share?",
    answer_name="POD_NAMESPACES",
    cases=[Case(f"the {kind} namespace", 1, _share_case(kind), hidden=kind not in ("net", "mnt"))
           for kind in POD_SHARING],
)

# ---------------------------------------------------------------------------
# Exercise 2: a debugging sidecar that can see and signal the app
# ---------------------------------------------------------------------------


def _share_flag(answer: Answer) -> Any:
    doc = pod(answer)
    misplaced = findings(answer, "unknown-field")
    for f in misplaced:
        if f.path.endswith(".shareProcessNamespace") and f.path != "spec.shareProcessNamespace":
            return Fail(f"shareProcessNamespace sits at {f.path}, where the API server rejects it.", path=f.path,
                        hint="It is a Pod-level field: put `shareProcessNamespace: true` directly under spec, "
                             "beside containers.")
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    if spec.get("hostPID") is True:
        return Fail("hostPID: true puts the Pod in the node's PID namespace: the sidecar would see every process "
                    "on the node, and the API server rejects it together with shareProcessNamespace.",
                    path="spec.hostPID", hint="Remove hostPID and set `shareProcessNamespace: true` instead.")
    value = spec.get("shareProcessNamespace")
    if value is True:
        return True
    if value is None:
        return Fail("the containers do not share a PID namespace, so the sidecar cannot see the app's processes.",
                    path="spec.shareProcessNamespace", hint="Set `shareProcessNamespace: true` under spec.")
    if isinstance(value, str):
        return Fail(f"shareProcessNamespace is the string {value!r}; the field is a boolean.",
                    path="spec.shareProcessNamespace", hint="Write true without quotes.")
    return Fail(f"shareProcessNamespace is {value!r}.", path="spec.shareProcessNamespace",
                hint="Set `shareProcessNamespace: true`.")


def _app_and_debug(answer: Answer) -> Any:
    doc = pod(answer)
    cs = running_containers(doc)
    if len(cs) != 2:
        return Fail(f"the Pod has {len(cs)} containers; it needs exactly two, app and debug.", path="spec.containers")
    fld, i, app = running_container(doc, "app")
    got = pinned_image(f"spec.{fld}[{i}].image", app.get("image"), "nginx", "nginx:1.22")
    if got is not True:
        return got
    fld, j, debug = running_container(doc, "debug")
    return exact_image(f"spec.{fld}[{j}].image", debug.get("image"), "busybox:1.35",
                       verb="Use busybox, which has ps, kill and a shell:")


_LONG_SLEEP = re.compile(r"^(inf|infinity|\d+(\.\d+)?[smhd]?)$")


def _sleeps_long(word: str) -> bool:
    """`sleep` with an argument that keeps the container up for at least an hour (or forever)."""
    if not _LONG_SLEEP.match(word):
        return False
    if word.startswith("inf"):
        return True
    unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(word[-1], 1)
    return float(word.rstrip("smhd")) * unit >= 3600


def _keeps_running(words: list[str]) -> bool:
    for k, w in enumerate(words):
        name = w.rsplit("/", 1)[-1]
        if name == "sleep" and k + 1 < len(words) and _sleeps_long(words[k + 1]):
            return True
        if name == "tail" and any(x in ("-f", "-F") for x in words[k + 1:]) and "/dev/null" in words[k + 1:]:
            return True
    return False


def _debug_stays_up(answer: Answer) -> Any:
    doc = pod(answer)
    fld, j, debug = running_container(doc, "debug")
    words = argv(debug)
    where = f"spec.{fld}[{j}]"
    if _keeps_running(shell_words(debug)) or debug.get("stdin") is True:
        return True
    if not words:
        return Fail("the debug container runs busybox's default command, `sh`, which exits at once without a "
                    "terminal, so the container restarts over and over (CrashLoopBackOff).",
                    path=where, hint='Give it `command: ["sleep", "infinity"]` so it stays up for `kubectl exec`.')
    return Fail(f"the debug container runs {' '.join(words)!r}, which exits (soon) instead of waiting for "
                "`kubectl exec`.", path=f"{where}.command", hint='Use `command: ["sleep", "infinity"]`.')


def _nothing_from_the_node(answer: Answer) -> Any:
    doc = pod(answer)
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    for field in ("hostPID", "hostNetwork", "hostIPC"):
        if spec.get(field) is True:
            return Fail(f"{field}: true shares a namespace with the whole node; debugging the app needs none.",
                        path=f"spec.{field}", hint=f"Remove {field}.")
    for fld, i, c in running_containers(doc):
        sc = c.get("securityContext")
        if isinstance(sc, dict) and sc.get("privileged") is True:
            return Fail("a privileged container can reach the node's devices; the sidecar needs only the shared "
                        "PID namespace.", path=f"spec.{fld}[{i}].securityContext.privileged",
                        hint="Remove privileged: true (add the SYS_PTRACE capability if you need to inspect "
                             "processes of another user).")
    return True


debug_sidecar = Exercise(
    id="ch2.debug_sidecar",
    title="Exercise 3 - a debugging sidecar that sees the app's processes",
    answer_name="DEBUG_POD",
    cases=[
        Case("it is one Pod manifest (apiVersion v1, kind Pod)", 1, is_pod),
        Case("the checker reports no errors", 1, checker_clean),
        Case("the containers share one PID namespace", 1, _share_flag),
        Case("the Pod is named web-debug", 1, named("web-debug"), hidden=True),
        Case("two containers: app (pinned nginx) and debug (busybox)", 1, _app_and_debug, hidden=True),
        Case("the debug container keeps running", 1, _debug_stays_up, hidden=True),
        Case("nothing is shared with the node and nothing is privileged", 1, _nothing_from_the_node, hidden=True),
    ],
)

# ---------------------------------------------------------------------------
# Exercise 3: myths about the pause container
# ---------------------------------------------------------------------------

PAUSE_STATEMENTS: dict[str, tuple[bool, str]] = {
    "A": (False, "the kubelet decides when containers start, restart and are probed, and asks the container "
                 "runtime (containerd or CRI-O) to do it through the CRI. The pause process just sleeps."),
    "B": (True, "the sandbox's namespaces outlive any one application container, which is why a restarted "
                "container rejoins the same network, IPC and UTS namespaces."),
    "C": (False, "containerd keeps its containers to itself; `docker ps` lists only Docker Engine's, and Docker "
                 "Engine runs Pods only on nodes that use it through cri-dockerd (dockershim was removed in v1.24). "
                 "On any node, `crictl pods` lists Pod sandboxes and `crictl ps` containers."),
    "D": (True, "with a shared PID namespace the sandbox's process is PID 1 of that namespace, so orphaned "
                "processes are re-parented to it and it reaps them when they exit."),
    "E": (False, "without shareProcessNamespace each container has its own PID namespace and its first process "
                 "is PID 1 there: that process (or an init such as tini) has to reap zombies, not pause."),
    "F": (False, "the pause image holds one small statically linked program and nothing else: no shell, no "
                 "package manager; it is a few hundred kilobytes."),
    "G": (True, "the network namespace belongs to the sandbox, not to the container, so the restarted process "
                "gets the same IP address."),
    "H": (True, "if the sandbox itself dies the kubelet sees that it changed, stops the Pod's containers and "
                "creates a new sandbox, usually with a new IP, then starts the containers again."),
}


def _statement(letter: str) -> Callable[[Answer], Any]:
    want, why = PAUSE_STATEMENTS[letter]
    return table_row(letter, want, why, read=truth(also_false=("myth",)), noun="statement", choices="True or False",
                     unreadable="is neither True nor False", example='{"A": False, "B": True, ...}',
                     wrong="{label} is " + ("true" if want else "false"))


pause_myths = Exercise(
    id="ch2.pause_myths",
    title="Exercise 2 - the pause container: fact or myth?",
    answer_name="PAUSE_FACTS",
    cases=[Case(f"statement {letter}", 1, _statement(letter), hidden=letter not in ("A", "B"))
           for letter in PAUSE_STATEMENTS],
)

# ---------------------------------------------------------------------------
# Exercise 4: the namespaces lab
# ---------------------------------------------------------------------------

# kind -> (app vs sidecar, app vs sidecar with shareProcessNamespace, app vs a process outside the pod)
LAB_TRUTH: dict[str, tuple[str, str, str]] = {
    "net": ("same", "same", "different"),
    "ipc": ("same", "same", "different"),
    "uts": ("same", "same", "different"),
    "pid": ("different", "same", "different"),
    "mnt": ("different", "different", "different"),
}
LAB_COLUMNS = ("app vs sidecar", "app vs sidecar with shareProcessNamespace", "app vs the notebook kernel")
_LINK = re.compile(r"^(?P<kind>[a-z_]+):\[(?P<inode>\d+)\]$")


_same_word = words({"same": {"same", "shared", "equal", "yes", "true"},
                    "different": {"different", "differ", "separate", "own", "no", "false"}},
                   on_bool=("same", "different"))


_lab = lab_data


def _prediction_row(kind: str) -> Callable[[Answer], Any]:
    want = LAB_TRUTH[kind]

    def test(answer: Answer) -> Any:
        table = lab_predictions(_lab(answer))
        row = {str(k).strip().lower(): v for k, v in table.items()}.get(kind)
        if not isinstance(row, (list, tuple)) or len(row) != 3:
            return Fail(f"the {kind} row is {row!r}; it needs three words, one per column.",
                        hint=f'Write "{kind}": ("same" or "different", ..., ...).')
        got = tuple(_same_word(v) for v in row)
        wrong = [f"{col}: {w}" for col, g, w in zip(LAB_COLUMNS, got, want, strict=True) if g != w]
        if wrong:
            return Fail(f"{kind} prediction differs from what the sandbox shows; the right answers are "
                        + "; ".join(wrong) + ".")
        return True

    return test


def _observed(answer: Answer, run: str) -> dict[str, dict[str, str]]:
    """The observation dict of one lab run, checked for shape; `Fail` says what to fix."""
    result = _lab(answer).get(run)
    label = "the default lab run" if run == "default" else "the shareProcessNamespace lab run"
    if not isinstance(result, dict):
        raise Fail(f"{label} is missing; run the lab cells.")
    if "error" in result:
        raise Fail(f"{label} stopped: {result['error']}", hint="Fix observe(), then run the lab cells again.")
    obs = result.get("observed")
    if not isinstance(obs, dict):
        raise Fail(f"{label} produced {obs!r}, not a dict.",
                   hint='observe() must return {"app": {...}, "sidecar": {...}, "pause": {...}, "outside": {...}}.')
    for role in ROLES:
        links = obs.get(role)
        if not isinstance(links, dict):
            raise Fail(f"{label}: no namespace links for {role!r}.",
                       hint=f'Add "{role}": read_namespaces(<its pid>, proc) to what observe() returns.')
        for kind in LAB_KINDS:
            link = links.get(kind)
            m = _LINK.match(link) if isinstance(link, str) else None
            if m is None or m.group("kind") != kind:
                raise Fail(f"{label}: {role}[{kind!r}] is {link!r}, not a link like '{kind}:[4026532179]'.",
                           hint="read_namespaces must return os.readlink(f\"{proc}/{pid}/ns/{kind}\") for each kind.")
    return obs


def _shape(answer: Answer) -> Any:
    for run in ("default", "shared_pid"):
        _observed(answer, run)
    return True


def _pod_namespaces_from_pause(answer: Answer) -> Any:
    for run in ("default", "shared_pid"):
        obs = _observed(answer, run)
        for role in ("app", "sidecar"):
            bad = [k for k in ("net", "ipc", "uts") if obs[role][k] != obs["pause"][k]]
            if bad:
                return Fail(f"in the {run} run, {role} is not in the pause process's {', '.join(bad)} namespace(s); "
                            f"observe() probably read the wrong pid for {role} or for pause.",
                            hint='Use pod.container("app").pid, pod.container("sidecar").pid and pod.pause_pid.')
    return True


def _outside_differs(answer: Answer) -> Any:
    for run in ("default", "shared_pid"):
        obs = _observed(answer, run)
        same = [k for k in LAB_KINDS if obs["app"][k] == obs["outside"][k]]
        if same:
            return Fail(f"in the {run} run, app and outside share {', '.join(same)}: the outside entry must be "
                        "the notebook kernel's own process, which is in none of the pod's namespaces.",
                        hint="Use os.getpid() for outside, and the containers' pids for app and sidecar.")
    return True


def _default_separate(answer: Answer) -> Any:
    obs = _observed(answer, "default")
    same = [k for k in ("pid", "mnt") if obs["app"][k] == obs["sidecar"][k]]
    if same:
        return Fail(f"in the default run app and sidecar share {', '.join(same)}; each container has its own. "
                    "observe() probably read the same pid twice.",
                    hint='Read app from pod.container("app").pid and sidecar from pod.container("sidecar").pid.')
    return True


def _shared_pid_run(answer: Answer) -> Any:
    obs = _observed(answer, "shared_pid")
    if not (obs["app"]["pid"] == obs["sidecar"]["pid"] == obs["pause"]["pid"]):
        return Fail("in the shareProcessNamespace run the pid links of app, sidecar and pause differ; they should "
                    "be one namespace.", hint="Run the second lab cell with share_pid=True and read all three pids.")
    if obs["app"]["mnt"] == obs["sidecar"]["mnt"]:
        return Fail("in the shareProcessNamespace run app and sidecar share a mount namespace; they should not.")
    return True


namespaces_lab = Exercise(
    id="ch2.namespaces_lab",
    title="Exercise 4 - the namespaces lab",
    answer_name="LAB",
    cases=[
        *[Case(f"prediction: the {kind} row", 1, _prediction_row(kind), hidden=kind not in ("net", "pid"))
          for kind in LAB_TRUTH],
        Case("observe() returned links for app, sidecar, pause and outside in both runs", 1, _shape),
        Case("app and sidecar are in the pause process's net, ipc and uts namespaces", 1, _pod_namespaces_from_pause),
        Case("the process outside the pod shares none of those namespaces", 1, _outside_differs, hidden=True),
        Case("by default app and sidecar have their own pid and mnt namespaces", 1, _default_separate, hidden=True),
        Case("with shareProcessNamespace they share one pid namespace, never mnt", 1, _shared_pid_run, hidden=True),
    ],
)

EXERCISES = (pod_namespaces, debug_sidecar, pause_myths, namespaces_lab)
