"""The application factory.

``create_app()`` wires settings, the pipeline, the stores and the authenticator into a
FastAPI app. Everything is built in the factory (not at import), so tests and workers each
get their own, and the model is loaded once per process at start-up.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator

from fastapi import FastAPI
from starlette.middleware.body_limit import RequestBodyLimitMiddleware

from promptsentry import __version__
from promptsentry.api.auth import Authenticator, StaticAuthenticator
from promptsentry.api.errors import install_error_handlers
from promptsentry.api.middleware import RequestContextMiddleware
from promptsentry.api.routes import ops, scan
from promptsentry.config import Settings, get_settings
from promptsentry.observability.logging import configure_logging, get_logger
from promptsentry.pipeline.runner import Pipeline, build_pipeline
from promptsentry.service import ScanService
from promptsentry.stores.base import HotStore
from promptsentry.stores.memory import MemoryHotStore

log = get_logger("promptsentry.app")


def create_app(
    settings: Settings | None = None,
    *,
    pipeline: Pipeline | None = None,
    hot_store: HotStore | None = None,
    authenticator: Authenticator | None = None,
) -> FastAPI:
    """Build the PromptSentry HTTP application."""
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_format)
    pipeline = pipeline or build_pipeline(settings)
    hot_store = hot_store or MemoryHotStore()
    authenticator = authenticator or StaticAuthenticator(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Load the model before the first request, so no request pays for it.
        service: ScanService = app.state.scan_service
        _ = service.block_threshold
        log.info("startup", version=__version__, hot_store=type(hot_store).__name__,
                 auth="credentials" if authenticator.requires_credentials else "anonymous",
                 threshold=service.block_threshold)
        try:
            yield
        finally:
            await hot_store.close()

    app = FastAPI(
        title="PromptSentry",
        version=__version__,
        summary="Self-hosted prompt firewall and prompt optimizer.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.hot_store = hot_store
    app.state.authenticator = authenticator
    app.state.scan_service = ScanService(settings, pipeline, hot_store)

    install_error_handlers(app)
    # Chunked bodies over the limit raise a 413 inside the app (rendered by our handlers);
    # a declared Content-Length over it is refused up front by RequestContextMiddleware.
    app.add_middleware(RequestBodyLimitMiddleware, max_body_size=settings.max_body_bytes)
    app.add_middleware(
        RequestContextMiddleware,
        security_headers=settings.security_headers,
        hsts_max_age=settings.hsts_max_age,
        max_body_bytes=settings.max_body_bytes,
    )
    app.include_router(scan.router)
    app.include_router(ops.router)
    return app
