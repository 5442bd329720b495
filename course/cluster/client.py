"""API client set-up and the translation of API errors into learner findings.

`kubernetes` is imported inside functions so `import course.cluster` stays cheap. Every call
goes through `quiet()` so urllib3 retry warnings never reach a learner's stderr.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import threading
from collections.abc import Iterator
from typing import Any

from course.cluster import rules  # noqa: F401  (registers the live rules)
from course.cluster.errors import ClusterError
from course.findings import Finding, make_finding

COURSE_CLUSTER = "pod-course"
COURSE_CONTEXT = f"kind-{COURSE_CLUSTER}"
#: (connect, read) seconds for ordinary API calls.
REQUEST_TIMEOUT = (3.0, 10.0)

_QUIET_LOGGERS = ("urllib3", "kubernetes", "websocket")
_quiet_lock = threading.Lock()
_quiet_depth = 0
_saved_levels: dict[str, int] = {}


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence client-library logging while our code turns failures into findings.

    Counted, so overlapping calls from a worker pool restore the levels only once.
    """
    global _quiet_depth
    with _quiet_lock:
        if _quiet_depth == 0:
            for name in _QUIET_LOGGERS:
                logger = logging.getLogger(name)
                _saved_levels[name] = logger.level
                logger.setLevel(logging.CRITICAL + 1)
        _quiet_depth += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_depth -= 1
            if _quiet_depth == 0:
                for name, level in _saved_levels.items():
                    logging.getLogger(name).setLevel(level)


def course_target() -> tuple[str | None, str]:
    """(kubeconfig file or None for the default, context) of the course cluster.

    $PODCOURSE_CONTEXT (with $PODCOURSE_KUBECONFIG) names one explicitly; else a running local
    engine's own kubeconfig; else kind's context in the default kubeconfig. Never the current
    context, so a learner's work cluster is not touched by accident.
    """
    ctx = os.environ.get("PODCOURSE_CONTEXT")
    explicit = os.environ.get("PODCOURSE_KUBECONFIG") or None
    if ctx:
        return explicit, ctx
    from course.cluster.local.engine import CONTEXT as LOCAL_CONTEXT
    from course.cluster.local.engine import kubeconfig_path

    local = kubeconfig_path()
    if os.access(local, os.R_OK):
        return str(local), LOCAL_CONTEXT
    return explicit, COURSE_CONTEXT


def connect(context: str | None = None, kubeconfig: str | None = None) -> Any:
    """An `ApiClient` for the course cluster (`course_target`), or for a context the user named."""
    from kubernetes import client, config

    if context:
        ctx = context
    else:
        target_config, ctx = course_target()
        kubeconfig = kubeconfig or target_config
    cfg = client.Configuration()
    try:
        with quiet():
            config.load_kube_config(config_file=kubeconfig, context=ctx, client_configuration=cfg)
    except config.ConfigException as exc:
        raise ClusterError(
            f"The kubeconfig has no usable context {ctx!r} ({exc}).",
            "Create the course cluster with `pod-course cluster up`."
            if not context
            else "Check the context name with `kubectl config get-contexts`.",
        ) from None
    except OSError as exc:
        raise ClusterError(
            f"Cannot read the kubeconfig: {exc}.", "Create the course cluster with `pod-course cluster up`."
        ) from None
    return client_for(cfg)


def client_for(cfg: Any) -> Any:
    """An `ApiClient` that fails fast: no urllib3 retries, so an absent server is one quick error."""
    from kubernetes import client

    cfg.retries = 0
    return client.ApiClient(configuration=cfg)


def client_at(url: str) -> Any:
    """An `ApiClient` for a plain-HTTP API URL (tests, `kubectl proxy`)."""
    from kubernetes import client

    cfg = client.Configuration()
    cfg.host = url.rstrip("/")
    return client_for(cfg)


def fresh_copy(api: Any) -> Any:
    """A new `ApiClient` on the same configuration.

    `kubernetes.stream.stream` swaps the client's request method while it runs, so exec gets
    its own client and never disturbs calls other threads make on the shared one.
    """
    from kubernetes import client

    return client.ApiClient(configuration=api.configuration)


def reachable(api: Any, timeout: float = 3.0) -> str | None:
    """None when the API server answers `/version`, else why not (one line)."""
    from kubernetes import client

    try:
        with quiet():
            method, url, headers, _, _ = api.param_serialize("GET", "/version", auth_settings=["BearerToken"])
            resp = api.call_api(method, url, header_params=headers, _request_timeout=(timeout, timeout))
    except client.ApiException as exc:
        code = exc.status
    except Exception as exc:  # urllib3 errors, OSError, SSL errors
        return _transport_reason(exc)
    else:
        code = resp.status
    if code in (200, 401, 403):
        return None  # it answered; authorisation is a separate problem
    return f"the API server answered HTTP {code} to /version"


def _transport_reason(exc: BaseException) -> str:
    text = str(exc)
    if "timed out" in text.lower() or "timeout" in type(exc).__name__.lower():
        return "the API server did not answer in time"
    m = re.search(r"(Connection refused|Name or service not known|No route to host)", text)
    return f"cannot connect to the API server ({m.group(1) if m else type(exc).__name__})"


def status_of(exc: Any) -> dict[str, Any]:
    """The `Status` object the API server sent with an error, or an empty dict."""
    body = getattr(exc, "body", None)
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not isinstance(body, str):
        return {}
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    return data if isinstance(data, dict) and data.get("kind") == "Status" else {}


def _s(value: Any) -> str:
    return value if isinstance(value, str) else ""


def api_error_findings(exc: Any, what: str = "the Pod") -> list[Finding]:
    """Turn an `ApiException` into findings that quote the server and add our hint.

    422 Invalid gives one finding per cause, at the cause's field path.
    """
    status = status_of(exc)
    code = status.get("code") if isinstance(status.get("code"), int) else getattr(exc, "status", 0)
    reason = _s(status.get("reason")) or _s(getattr(exc, "reason", ""))
    message = _s(status.get("message")) or f"{code} {reason}".strip()
    details = status.get("details") if isinstance(status.get("details"), dict) else {}
    if code == 422 or reason == "Invalid":
        causes = details.get("causes") if isinstance(details.get("causes"), list) else []
        out = []
        for cause in causes:
            if not isinstance(cause, dict):
                continue
            field = _s(cause.get("field"))
            text = _s(cause.get("message")) or message
            out.append(make_finding("live-invalid", (field,) if field else (), f"API server: {text}"))
        return out or [make_finding("live-invalid", (), f"API server: {message}")]
    if code == 403:
        rule = "live-forbidden-pss" if "PodSecurity" in message else "live-forbidden"
        return [make_finding(rule, (), f"API server: {message}")]
    if code == 409:
        return [make_finding("live-already-exists", ("metadata", "name"), f"API server: {message}")]
    if code == 0:
        return [make_finding("live-unreachable", (), f"Cannot reach the API server while creating {what}.")]
    return [make_finding("live-api-error", (), f"API server ({code} {reason}): {message}")]


def unreachable_finding(why: str) -> Finding:
    return make_finding("live-unreachable", (), f"The course cluster cannot be reached: {why}.")
