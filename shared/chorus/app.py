"""The app factory: one FastAPI app per service, with its runtime under the app's lifespan."""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from chorus.asyncapi import asyncapi_document, asyncapi_html
from chorus.auth import TokenVerifier, install_auth_problem_handlers
from chorus.limits import ASGIApp, Message, Receive, RequestLimits, Scope, Send
from chorus.problems import PROBLEM_RESPONSES, install_problem_handlers, problem
from chorus.service import ServiceRuntime, ServiceSpec
from chorus.settings import Settings
from chorus.telemetry import REQUEST_LATENCY
from chorus.transport.base import Bus


def create_app(spec: ServiceSpec, settings: Settings, bus: Bus | None = None) -> FastAPI:
    """Build the service's app; nothing connects until the lifespan starts."""
    runtime = ServiceRuntime(spec, settings, bus)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        parts = runtime.parts
        app.state.service = parts.state if parts else None
        app.state.token_verifier = (parts.token_verifier if parts and parts.token_verifier
                                    else TokenVerifier.from_settings(settings))
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title=spec.title, description=spec.description, version="1.0.0",
                  lifespan=lifespan, responses=PROBLEM_RESPONSES)
    app.state.runtime = runtime
    install_problem_handlers(app)
    install_auth_problem_handlers(app)
    for router in spec.routers:
        app.include_router(router)
    app.include_router(_operations_router(spec))
    app.add_middleware(RequestTimer, service=spec.name)
    app.add_middleware(RequestLimits, max_bytes=settings.max_request_bytes)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,metrics")
    return app


def _operations_router(spec: ServiceSpec) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz/live", summary="The process is alive")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/healthz/ready", summary="The database and the bus answer")
    async def ready(request: Request) -> Response:
        checks = await request.app.state.runtime.check_ready()
        if all(v == "ok" for v in checks.values()):
            return JSONResponse({"status": "ok", "checks": checks})
        return problem(503, "Not ready", "a dependency is unavailable", checks=checks)

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics(request: Request) -> Response:
        await request.app.state.runtime.report_lag()
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @router.get("/asyncapi.json", summary="The AsyncAPI document of this service's channels")
    async def asyncapi(request: Request) -> dict[str, Any]:
        return asyncapi_document(spec, request.app.state.runtime)

    @router.get("/asyncapi", summary="The AsyncAPI document, readable", response_class=HTMLResponse)
    async def asyncapi_page(request: Request) -> HTMLResponse:
        return HTMLResponse(asyncapi_html(spec, request.app.state.runtime))

    return router


class RequestTimer:
    """ASGI middleware: each request's duration, by route and status, into REQUEST_LATENCY.

    Plain ASGI rather than `BaseHTTPMiddleware`, which runs every request in a task group
    of its own and streams the response through a queue: a cost paid on every command."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app, self.service = app, service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client sees if the app fails before it answers

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            REQUEST_LATENCY.labels(self.service, scope["method"], route, str(status)
                                   ).observe(time.perf_counter() - started)
