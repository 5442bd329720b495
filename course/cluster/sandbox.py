"""A throwaway namespace per check run, always deleted, plus a sweeper for any left behind.

Deletion is best effort: if the cluster vanished mid-run, `sweep_stale` removes the namespace
later (the label and creation annotation are what it goes by).
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

from course.cluster import builders
from course.cluster.client import REQUEST_TIMEOUT, quiet, status_of
from course.cluster.errors import ClusterError
from course.findings import Finding

_UP_HINT = "Check the cluster with `pod-course cluster status`."


class Sandbox:
    """Context manager: a fresh labelled namespace with quota and limits, deleted on exit.

    `pss_level` sets Pod Security admission (`restricted`, `baseline`, `privileged`, or None
    for the cluster default). `limit_range=False` keeps pods' QoS class as written; the
    quota then caps the pod count only.
    """

    def __init__(
        self,
        api: Any,
        slug: str = "check",
        *,
        pss_level: str | None = "restricted",
        quota: bool = True,
        limit_range: bool = True,
        now: datetime | None = None,
    ) -> None:
        self.api = api
        self.slug = builders.slugify(slug)
        self.pss_level = pss_level
        self.quota = quota
        self.limit_range = limit_range
        self.created_at = now or datetime.now(UTC)
        self.name = ""
        self.created = False
        self.deleted = False
        self.cleanup_error: str | None = None

    def _core(self) -> Any:
        from kubernetes import client

        return client.CoreV1Api(self.api)

    def __enter__(self) -> Sandbox:
        from kubernetes import client

        core = self._core()
        with quiet():
            for _attempt in range(3):
                self.name = builders.sandbox_name(self.slug)
                ns = builders.namespace_manifest(self.name, self.slug, self.created_at, self.pss_level)
                try:
                    core.create_namespace(ns, _request_timeout=REQUEST_TIMEOUT, _preload_content=False)
                except client.ApiException as exc:
                    if exc.status == 409:
                        continue  # random suffix collided; draw another
                    raise _sandbox_error(exc) from None
                except Exception as exc:
                    raise ClusterError(f"Cannot create the sandbox namespace: {exc}", _UP_HINT) from None
                self.created = True
                break
            else:
                raise ClusterError("Could not find a free sandbox namespace name.", _UP_HINT)
            try:
                if self.quota:
                    rq = builders.resource_quota_manifest(compute=self.limit_range)
                    core.create_namespaced_resource_quota(
                        self.name, rq, _request_timeout=REQUEST_TIMEOUT, _preload_content=False
                    )
                if self.limit_range:
                    core.create_namespaced_limit_range(
                        self.name,
                        builders.limit_range_manifest(),
                        _request_timeout=REQUEST_TIMEOUT,
                        _preload_content=False,
                    )
            except BaseException as exc:
                self.close()
                if isinstance(exc, client.ApiException):
                    raise _sandbox_error(exc) from None
                raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Delete the namespace (and so everything in it); a second Ctrl-C cannot skip it."""
        if not self.created or self.deleted:
            return
        try:
            self._delete()
        except KeyboardInterrupt:
            self._delete()
            raise

    def _delete(self) -> None:
        from kubernetes import client

        with contextlib.suppress(Exception), quiet():
            # The check is over: free the node at once instead of waiting out each Pod's grace
            # period, so the next sandbox is not refused for CPU still held by this one.
            self._core().delete_collection_namespaced_pod(
                self.name, grace_period_seconds=0, _request_timeout=REQUEST_TIMEOUT, _preload_content=False
            )
        try:
            with quiet():
                self._core().delete_namespace(
                    self.name,
                    propagation_policy="Background",
                    _request_timeout=REQUEST_TIMEOUT,
                    _preload_content=False,
                )
            self.deleted = True
        except client.ApiException as exc:
            if exc.status == 404:
                self.deleted = True
            else:
                self.cleanup_error = f"{exc.status} {exc.reason}"
        except Exception as exc:
            self.cleanup_error = str(exc) or type(exc).__name__

    # The checks a sandbox runs; see course.cluster.live for what they do.
    def dry_run(self, pod: Any) -> list[Finding]:
        from course.cluster import live

        return live.dry_run(pod, api=self.api, namespace=self.name)

    def apply(self, pod: Any) -> tuple[dict[str, Any] | None, list[Finding]]:
        from course.cluster import live

        return live.apply(pod, api=self.api, namespace=self.name)

    def wait(self, name: str, **kwargs: Any) -> tuple[Any, list[Finding]]:
        from course.cluster import live

        return live.wait_for_pod(self.api, self.name, name, **kwargs)


def _sandbox_error(exc: Any) -> ClusterError:
    status = status_of(exc)
    msg = status.get("message") if isinstance(status.get("message"), str) else f"{exc.status} {exc.reason}"
    return ClusterError(f"Cannot prepare the sandbox namespace: {msg}", _UP_HINT)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def sweep_stale(api: Any, max_age: float | timedelta = 3600, *, now: datetime | None = None) -> list[str]:
    """Delete sandbox namespaces older than `max_age`; returns the names deleted.

    Only namespaces carrying the sandbox label are considered (checked again here, not just in
    the label selector), so nothing else in the cluster can be swept.
    """
    from kubernetes import client

    age = max_age if isinstance(max_age, timedelta) else timedelta(seconds=float(max_age))
    now = now or datetime.now(UTC)
    core = client.CoreV1Api(api)
    with quiet():
        try:
            resp = core.list_namespace(
                label_selector=f"{builders.SANDBOX_LABEL}=true",
                _request_timeout=REQUEST_TIMEOUT,
                _preload_content=False,
            )
            items = json.loads(resp.data).get("items") or []
        except client.ApiException as exc:
            raise _sandbox_error(exc) from None
        except Exception as exc:
            raise ClusterError(f"Cannot list sandbox namespaces: {exc}", _UP_HINT) from None
        deleted = []
        for ns in items if isinstance(items, list) else []:
            meta = ns.get("metadata") if isinstance(ns, dict) else None
            if not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
                continue
            labels = meta.get("labels") if isinstance(meta.get("labels"), dict) else {}
            if labels.get(builders.SANDBOX_LABEL) != "true":
                continue
            if isinstance(ns.get("status"), dict) and ns["status"].get("phase") == "Terminating":
                continue
            annotations = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
            born = _parse_time(annotations.get(builders.CREATED_ANNOTATION)) or _parse_time(
                meta.get("creationTimestamp")
            )
            if born is None or now - born < age:
                continue
            try:
                core.delete_namespace(meta["name"], _request_timeout=REQUEST_TIMEOUT, _preload_content=False)
            except client.ApiException as exc:
                if exc.status != 404:
                    continue
            except Exception:
                continue
            deleted.append(meta["name"])
    return deleted
