"""The portal's one composition root: `create_app(settings)` builds the app; nothing happens
at import time. The services' clients open with the app and close with it."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from starlette.middleware.sessions import SessionMiddleware

from chorus.errors import SettingsError
from portal.backend import SERVICES, Backend
from portal.errors import install_error_pages
from portal.pages import routers
from portal.security import SecurityHeaders
from portal.settings import PORT, PortalSettings, load
from portal.web import Portal, make_templates

STATIC = Path(__file__).parent / "static"
PACKAGES = {"/nhsuk": "nhsuk-frontend/dist/nhsuk", "/assets": "nhsuk-frontend/dist/nhsuk/assets",
            "/htmx": "htmx.org/dist"}
SESSION_HOURS = 8


def create_app(settings: PortalSettings | None = None, backend: Backend | None = None) -> FastAPI:
    """The portal over the services `settings` names (or over `backend`, in tests)."""
    settings = settings or load()
    _check_assets(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        made = backend or Backend.over_http(
            {name: settings.url_of(name) for name in SERVICES}, settings.portal_service_timeout)
        app.state.portal = Portal(settings, made, make_templates())
        try:
            yield
        finally:
            if backend is None:
                await made.close()

    app = FastAPI(title="Chorus portal", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    for router in routers:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for prefix, folder in PACKAGES.items():
        app.mount(prefix, StaticFiles(directory=settings.portal_assets_dir / folder))
    install_error_pages(app)
    app.add_middleware(SessionMiddleware, secret_key=settings.session_secret(),
                       session_cookie="chorus_portal", max_age=SESSION_HOURS * 3600,
                       same_site="lax", https_only=settings.secure_cookies)
    app.add_middleware(SecurityHeaders)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,static,nhsuk,assets,htmx")
    return app


def _check_assets(settings: PortalSettings) -> None:
    missing = [folder for folder in PACKAGES.values()
               if not (settings.portal_assets_dir / folder).is_dir()]
    if missing:
        raise SettingsError(f"CHORUS_PORTAL_ASSETS_DIR: {settings.portal_assets_dir} lacks "
                            f"{', '.join(missing)}; run scripts/install-portal-assets.sh")


def for_platform(**overrides: object) -> tuple[FastAPI, int]:
    """The portal as `chorus up` serves it beside the services, and its port: settings from
    `CHORUS_*`, with the command line's data directory, host and port offset on top."""
    settings = load(**{k: v for k, v in overrides.items() if v is not None})
    return create_app(settings), port_of(settings)


def port_of(settings: PortalSettings) -> int:
    """Where the portal listens: CHORUS_PORTAL_PORT, else 8000 plus the port offset."""
    return settings.portal_port or PORT + settings.port_offset
