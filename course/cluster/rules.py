"""Rules for what only a running cluster can tell: admission, image pulls, crashes, probes.

Their PASS/FAIL examples are whole Pods; the FAIL one fails on a real cluster (the kind
suite), not in the static checker.
"""

from __future__ import annotations

from course.findings import DOCS, Rule, register

_POD = "apiVersion: v1\nkind: Pod\nmetadata: {{name: web}}\nspec:\n  containers:\n  - name: app\n{body}"
_OK = _POD.format(body="    image: nginx:1.22\n")


def _pod(body: str) -> str:
    return _POD.format(body=body)


def _rule(rule_id: str, severity: str, summary: str, hint: str, docs: str, failing: str) -> None:
    register(
        Rule(
            id=rule_id,
            severity=severity,  # type: ignore[arg-type]
            category="live",
            summary=summary,
            hint=hint,
            docs=DOCS + docs,
            passing=_OK,
            failing=failing,
        )
    )


_rule(
    "live-forbidden-pss",
    "error",
    "Pod Security admission rejected the Pod for this exercise's security level.",
    "Change the fields the message names (securityContext settings) so the Pod meets the level.",
    "concepts/security/pod-security-standards/",
    _pod("    image: nginx:1.22\n    securityContext: {privileged: true}\n"),
)
_rule(
    "live-forbidden",
    "error",
    "The API server refused to create the Pod (quota, limits or permissions).",
    "Read the server's message: lower the resources it names or ask your instructor for access.",
    "concepts/policy/resource-quotas/",
    _pod("    image: nginx:1.22\n    resources: {limits: {memory: 64Gi}}\n"),
)
_rule(
    "live-already-exists",
    "error",
    "An object with this name already exists in the namespace.",
    "Pick another metadata.name, or delete the old object first (kubectl delete pod NAME).",
    "concepts/overview/working-with-objects/names/",
    _OK,
)
_rule(
    "live-invalid",
    "error",
    "The API server found this field invalid.",
    "Fix the field the message names; the static checker (pod-course check) explains most of these.",
    "reference/kubernetes-api/workload-resources/pod-v1/",
    _pod("    image: ''\n"),
)
_rule(
    "live-api-error",
    "error",
    "The API server answered with an error.",
    "Read the server's message; if it mentions the server itself, retry or run `pod-course cluster status`.",
    "reference/using-api/api-concepts/",
    _OK,
)
_rule(
    "live-image-pull",
    "error",
    "The node could not pull the container image.",
    "Check the image name and tag (docker.io names are lowercase; the tag must exist), "
    "or preload it with `pod-course cluster load-images`.",
    "concepts/containers/images/",
    _pod("    image: nginx:no-such-tag-1999\n"),
)
_rule(
    "live-crash-loop",
    "error",
    "A container keeps exiting and the kubelet is backing off before restarting it.",
    "Look at the container's command and args and at `kubectl logs --previous`; the process must keep "
    "running (or use restartPolicy: Never/OnFailure for a one-off task).",
    "concepts/workloads/pods/pod-lifecycle/#container-restarts",
    _pod("    image: busybox:1.35\n    command: [sh, -c, 'exit 1']\n"),
)
_rule(
    "live-oom-killed",
    "error",
    "A container used more memory than its limit and was killed (OOMKilled).",
    "Raise resources.limits.memory, or make the program use less memory.",
    "concepts/configuration/manage-resources-containers/",
    _pod(
        "    image: python:3.11-slim\n    command: [python, -c, 'x = bytearray(256 * 2**20)']\n"
        "    resources: {limits: {memory: 64Mi}}\n"
    ),
)
_rule(
    "live-probe-failed",
    "error",
    "A liveness, readiness or startup probe failed.",
    "Make the probe match what the container serves (path, port, command) and give it enough "
    "initialDelaySeconds or a startupProbe.",
    "concepts/configuration/liveness-readiness-startup-probes/",
    _pod("    image: nginx:1.22\n    readinessProbe: {httpGet: {path: /missing, port: 8080}}\n"),
)
_rule(
    "live-container-error",
    "error",
    "The kubelet could not start a container.",
    "Read the reason: a missing ConfigMap/Secret, a bad command path or a volume that cannot mount.",
    "tasks/debug/debug-application/debug-pods/",
    _pod("    image: busybox:1.35\n    envFrom: [{configMapRef: {name: missing}}]\n"),
)
_rule(
    "live-sandbox-failed",
    "error",
    "The container runtime could not create the Pod's sandbox (its namespaces and pause container).",
    "Read the runtime's message. A pod-level runAsGroup needs a pod-level runAsUser beside it "
    "(containerd refuses a group without a user); network errors mean the node's CNI is broken.",
    "concepts/security/security-context/",
    _pod("    image: busybox:1.35\n    command: [sleep, '3600']\n").replace(
        "spec:\n", "spec:\n  securityContext: {runAsGroup: 1000}\n"),
)
_rule(
    "live-volume-failed",
    "error",
    "The kubelet could not mount one of the Pod's volumes, so its containers never start.",
    "Create the ConfigMap, Secret or PersistentVolumeClaim the message names (in the same namespace), "
    "or fix the volume's name; mark it `optional: true` if the Pod may start without it.",
    "concepts/storage/volumes/",
    _pod("    image: busybox:1.35\n    volumeMounts: [{name: cfg, mountPath: /cfg}]\n")
    + "  volumes:\n  - name: cfg\n    configMap: {name: missing}\n",
)
_rule(
    "live-unschedulable",
    "error",
    "No node can run the Pod.",
    "Lower resources.requests or remove the nodeSelector/affinity that no node matches.",
    "concepts/scheduling-eviction/",
    _pod("    image: nginx:1.22\n    resources: {requests: {cpu: '64'}}\n"),
)
_rule(
    "live-failed",
    "error",
    "The Pod finished with a failure.",
    "Look at the container's exit code and `kubectl logs`; the program must exit 0.",
    "concepts/workloads/pods/pod-lifecycle/#pod-phase",
    _pod("    image: busybox:1.35\n    command: [sh, -c, 'exit 3']\n  restartPolicy: Never\n"),
)
_rule(
    "live-timeout",
    "error",
    "The Pod did not become ready in time.",
    "Check the Pod's events (kubectl describe pod); it may still be pulling an image or failing a probe.",
    "concepts/workloads/pods/pod-lifecycle/",
    _pod("    image: busybox:1.35\n    command: [sleep, '3600']\n    readinessProbe: {exec: {command: [false]}}\n"),
)
_rule(
    "live-unreachable",
    "error",
    "The course cluster cannot be reached.",
    "Start it with `pod-course cluster up`, then check it with `pod-course cluster status`.",
    "tasks/tools/",
    _OK,
)
_rule(
    "live-skipped",
    "info",
    "The live check was skipped because no course cluster is running.",
    "Start the course cluster with `pod-course cluster up` to run live checks too.",
    "tasks/tools/",
    _OK,
)
_rule(
    "live-exec-failed",
    "error",
    "A command run inside the container (kubectl exec) did not behave as the exercise expects.",
    "Read the expected behaviour in the message and change the container settings it names.",
    "tasks/debug/debug-application/get-shell-running-container/",
    _OK,
)
