"""A Kubernetes API test double for the live-check tests: kmock's emulator over real HTTP.

kmock (by the kopf author) stores objects and serves create/get/list/delete like an API server.
This subclass adds what the live checks need and kmock 0.8 lacks:

- the cluster-scoped `/api/v1/namespaces` paths, which kmock 0.8's URL parser cannot read;
- API-shaped errors (`pods "x" already exists`, `pods "x" not found`) instead of kmock's own;
- dry-run and rejected writes that are not persisted, and namespace deletion that cascades;
- `pods/exec` over a websocket speaking the `v4.channel.k8s.io` protocol;
- a scripted kubelet: successive GETs of a Pod return the statuses a test lists.

The server runs on its own event loop in a thread, because the code under test (the official
`kubernetes` client) is synchronous. `live_double` and the `double` fixture connect the live checks to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp.web
import attrs
import kmock
import pytest
from kmock._internal import rendering

from course.cluster.client import client_at
from graders import live

PODS = kmock.resource("", "v1", "pods")
NAMESPACES = kmock.resource("", "v1", "namespaces")
_NS_PATH = re.compile(r"/api/v1/namespaces(?:/([^/]+))?")

ExecFn = Callable[[str, list[str]], tuple[str, str, int]]


def status(code: int, reason: str, message: str, **details: Any) -> kmock.KubernetesError:
    """A `Status` error shaped like the API server's (what `<<` feeds to a reaction)."""
    return kmock.KubernetesError(status=code, reason=reason, message=message, details=details or {})


@attrs.define(kw_only=True)
class CourseAPI(kmock.KubernetesEmulator):
    exec_handlers: dict[str, ExecFn] = attrs.field(factory=dict)

    async def __call__(self, raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        m = _NS_PATH.fullmatch(raw_request.path)
        if m is None:
            return await super().__call__(raw_request)
        # kmock 0.8 cannot parse the namespaces collection; build the request it would have built.
        body = await raw_request.read()
        name = m.group(1)
        method = raw_request.method.upper()
        action = {
            ("GET", False): kmock.action.LIST,
            ("POST", False): kmock.action.CREATE,
            ("GET", True): kmock.action.FETCH,
            ("DELETE", True): kmock.action.DELETE,
            ("PATCH", True): kmock.action.UPDATE,
        }.get((method, name is not None))
        request = rendering.Request(
            id=len(self._requests),
            raw_request=raw_request,
            url=raw_request.url,
            method=raw_request.method,
            params=dict(raw_request.query),
            headers=dict(raw_request.headers),
            data=json.loads(body) if body else None,
            body=body,
            text=body.decode(),
            action=action,
            resource=NAMESPACES,
            name=name,
        )
        self._requests.append(request)
        try:
            return await self._handle(request)
        except Exception as exc:
            if self._errors:
                self._errors[-1].append(exc)
            return await self._render_error(exc)

    def _key(self, request: rendering.Request) -> tuple[Any, str | None, str | None]:
        data = request.data if isinstance(request.data, dict) else {}
        meta = data.get("metadata") or {}
        return (
            request.resource,
            request.namespace or meta.get("namespace"),
            request.name or meta.get("name"),
        )

    async def _handle(self, request: rendering.Request) -> aiohttp.web.StreamResponse:
        if request.subresource == "exec" and request.resource == PODS:
            return await self._serve_exec_ws(request)
        if request.resource is None:
            return await super()._handle(request)
        key = self._key(request)
        plural = getattr(request.resource, "plural", "")
        existed = key in self._objects and not self._objects[key].deleted
        persist = request.params.get("dryRun") != "All"
        try:
            response = await super()._handle(request)
        except kmock.KubernetesError as exc:
            if exc.status == 409 and exc.reason != "AlreadyExists":
                raise status(
                    409, "AlreadyExists", f'{plural} "{key[2]}" already exists', name=key[2], kind=plural
                ) from None
            if exc.status == 404 and request.name:
                raise status(
                    404, "NotFound", f'{plural} "{request.name}" not found', name=request.name, kind=plural
                ) from None
            self._forget(request, key, existed)
            raise
        except Exception:
            self._forget(request, key, existed)
            raise
        if request.action == kmock.action.CREATE and (not persist or response.status >= 400):
            self._forget(request, key, existed)
        if request.action == kmock.action.DELETE and request.resource == NAMESPACES and response.status < 400:
            for (_res, ns, _name), obj in list(self._objects.items()):
                if ns == request.name and not obj.deleted:
                    obj.delete()  # the namespace controller removes everything inside
        return response

    def _forget(self, request: rendering.Request, key: Any, existed: bool) -> None:
        if request.action == kmock.action.CREATE and not existed and key in self._objects:
            del self._objects[key]

    async def _serve_exec_ws(self, request: rendering.Request) -> aiohttp.web.StreamResponse:
        """Exec like the API server: channel-prefixed frames, then a Status on channel 3."""
        assert request._raw_request is not None
        ws = aiohttp.web.WebSocketResponse(protocols=("v4.channel.k8s.io",))
        await ws.prepare(request._raw_request)
        query = request._raw_request.query
        container = query.get("container", "")
        command = query.getall("command", [])
        handler = self.exec_handlers.get(request.name or "")
        if handler is None:
            out, err, code = "", f'container "{container}" not found\n', 126
        else:
            out, err, code = handler(container, command)
        if out:
            await ws.send_bytes(b"\x01" + out.encode())
        if err:
            await ws.send_bytes(b"\x02" + err.encode())
        if code == 0:
            done: dict[str, Any] = {"metadata": {}, "status": "Success"}
        else:
            done = {
                "metadata": {},
                "status": "Failure",
                "message": f"command terminated with non-zero exit code: exit status {code}",
                "reason": "NonZeroExitCode",
                "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
            }
        await ws.send_bytes(b"\x03" + json.dumps(done).encode())
        await ws.close()
        return ws


class Double:
    """The running server plus helpers to script what the cluster does."""

    def __init__(self, api: CourseAPI, url: str, loop: asyncio.AbstractEventLoop) -> None:
        self.kmock = api
        self.url = url
        self.loop = loop

    def requests(self, method: str, resource: Any = None) -> list[rendering.Request]:
        return [
            r
            for r in self.kmock._requests
            if r.method.value.upper() == method.upper() and (resource is None or r.resource == resource)
        ]

    def pods_in(self, namespace: str) -> list[dict[str, Any]]:
        return [
            o.raw
            for (res, ns, _n), o in self.kmock.objects.items()
            if res == PODS and ns == namespace and not o.deleted
        ]

    def namespaces(self) -> dict[str, dict[str, Any]]:
        return {n: o.raw for (res, _ns, n), o in self.kmock.objects.items() if res == NAMESPACES and not o.deleted}

    def add_namespace(self, body: dict[str, Any]) -> None:
        self.kmock.objects[NAMESPACES, None, body["metadata"]["name"]] = body

    def dry_runs(self) -> list[str | None]:
        """The dryRun parameter of each Pod create sent, in order ("All" for a dry-run, None for the real one)."""
        return [r.params.get("dryRun") for r in self.requests("post", PODS)]

    def refuse_dry_run(self, error: Any) -> None:
        """The API server answers every dry-run Pod create with `error` (a `status(...)`)."""
        self.kmock["post", kmock.resource("v1/pods"), kmock.params(dryRun="All")] << error

    def script_pod(self, name: str, statuses: list[dict[str, Any]], exec_handler: ExecFn | None = None) -> None:
        """Successive GETs of pod `name` show these statuses in turn (the last one repeats); execs go to the handler."""
        if exec_handler is not None:
            self.kmock.exec_handlers[name] = exec_handler
        remaining = list(statuses)

        def respond(request: rendering.Request) -> Any:
            key = (PODS, request.namespace, name)
            if key not in self.kmock.objects or self.kmock.objects[key].deleted:
                return status(404, "NotFound", f'pods "{name}" not found', name=name, kind="pods")
            st = remaining.pop(0) if len(remaining) > 1 else remaining[0]
            return {**self.kmock.objects[key].raw, "status": st}

        self.kmock["get", kmock.resource("v1/pods"), kmock.name(name)] << respond

    def events_for(self, name: str, events: list[tuple[str, str, str]]) -> None:
        """(type, reason, message) events about pod `name`, served as a real EventList."""

        def respond(request: rendering.Request) -> Any:
            items = [
                {
                    "metadata": {"name": f"{name}.{i}", "namespace": request.namespace},
                    "involvedObject": {
                        "kind": "Pod",
                        "name": name,
                        "namespace": request.namespace,
                        "fieldPath": "spec.containers{app}",
                    },
                    "type": typ,
                    "reason": reason,
                    "message": message,
                    "count": 1,
                }
                for i, (typ, reason, message) in enumerate(events)
            ]
            return {"apiVersion": "v1", "kind": "EventList", "metadata": {}, "items": items}

        self.kmock["list", kmock.resource("v1/events")] << respond


@contextlib.contextmanager
def running_double() -> Iterator[Double]:
    """Start the API double on a free port in a background thread; stop it on exit."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    box: dict[str, Any] = {}

    async def serve() -> None:
        stop = asyncio.Event()
        box["stop"] = stop
        async with CourseAPI() as api, kmock.Server(api) as server:
            api.fallback["list", kmock.resource("v1/events")] << {
                "apiVersion": "v1",
                "kind": "EventList",
                "metadata": {},
                "items": [],
            }
            box["double"] = Double(api, str(server.url).rstrip("/"), loop)
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=lambda: loop.run_until_complete(serve()), daemon=True)
    thread.start()
    if not ready.wait(10):
        raise RuntimeError("the API double did not start")
    try:
        yield box["double"]
    finally:
        loop.call_soon_threadsafe(box["stop"].set)
        thread.join(10)
        loop.close()


LIVE_TIMING = {"timeout": 0.6, "poll": 0.02, "stable": 0.0, "settle": 0.0, "retry": 0.0}


@contextlib.contextmanager
def live_double(monkeypatch: pytest.MonkeyPatch, timing: dict[str, float] = LIVE_TIMING) -> Iterator[Double]:
    """The running API double with live checks connected to it, no PODCOURSE_LIVE policy and live.TIMING shortened."""
    monkeypatch.delenv("PODCOURSE_LIVE", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    for key, value in timing.items():
        monkeypatch.setitem(live.TIMING, key, value)
    with running_double() as d:
        monkeypatch.setattr(live, "CONNECT", lambda: client_at(d.url))
        yield d


@pytest.fixture
def double(monkeypatch: pytest.MonkeyPatch) -> Iterator[Double]:
    """The API double the live checks talk to (see live_double)."""
    with live_double(monkeypatch) as d:
        yield d
