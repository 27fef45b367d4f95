"""The application factory.

``create_app()`` puts the services of :class:`promptsentry.wiring.Services` (built once from
settings: stores, pipeline, scan and optimizer services) behind a FastAPI app: middleware,
error handlers, the authenticator and the routers. Routes receive services through the
typed dependencies of :mod:`promptsentry.api.deps`. Everything is built in the factory (not
at import), so tests and workers each get their own, and the model is loaded once per
process at start-up.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.middleware.body_limit import RequestBodyLimitMiddleware

from promptsentry import __version__
from promptsentry.api.auth import Authenticator, CredentialAuthenticator
from promptsentry.api.errors import error_response, install_error_handlers
from promptsentry.api.middleware import RequestContextMiddleware
from promptsentry.api.openapi import describe_errors
from promptsentry.api.routes import admin, ops, scan
from promptsentry.api.routes import optimizer as optimizer_routes
from promptsentry.api.routes import optimizer_bridge as optimizer_bridge_routes
from promptsentry.api.routes import sessions as session_routes
from promptsentry.api.routes import system_prompt as system_prompt_routes
from promptsentry.config import Settings
from promptsentry.errors import ErrorCode
from promptsentry.observability.logging import configure_logging, get_logger
from promptsentry.optimizer.retention import retention_loop
from promptsentry.pipeline.runner import Pipeline
from promptsentry.security.jwt import JwtVerifier
from promptsentry.stores.base import HotStore, StoreUnavailable
from promptsentry.stores.sql.store import SqlStore
from promptsentry.wiring import Services, build_hot_store, build_sql_store, prepare_sql_store

__all__ = ["build_hot_store", "build_sql_store", "create_app", "prepare_sql_store"]

log = get_logger("promptsentry.app")

MIGRATION_RETRY_SECONDS = 5.0
#: Most seconds the shutdown work (flush key-usage counters, close the judge's connections
#: and the stores) may take.
SHUTDOWN_SECONDS = 10.0


def create_app(
    settings: Settings | None = None,
    *,
    services: Services | None = None,
    pipeline: Pipeline | None = None,
    hot_store: HotStore | None = None,
    authenticator: Authenticator | None = None,
    sql_store: SqlStore | None = None,
) -> FastAPI:
    """Build the PromptSentry HTTP application over ``services`` (else built here from
    ``settings``, with ``pipeline``, ``hot_store`` and ``sql_store`` when given).

    The SQL store is migrated here (in the background until the database answers).
    """
    if services is None:
        services = Services(settings, pipeline=pipeline, hot_store=hot_store,
                            sql_store=sql_store)
    settings = services.settings
    configure_logging(settings.log_level, settings.log_format)
    _ = services.scan_service  # the pipeline, guard and tenant directory: built now
    incidents = services.incidents
    sql = services.sql_store
    services.prepare_sql()
    hot_store = services.hot_store
    jwt = JwtVerifier(settings)
    authenticator = authenticator or CredentialAuthenticator(settings, sql, incidents, jwt,
                                                             hot_store=hot_store)

    async def retry_migrations() -> None:
        while not services.sql_ready:
            await anyio.sleep(MIGRATION_RETRY_SECONDS)
            await anyio.to_thread.run_sync(services.prepare_sql)

    async def shutdown() -> None:
        # Shielded and bounded: a stop (SIGTERM, a cancelled lifespan task) must not skip the
        # flush of key-usage counters, and a dead database must not hang the stop.
        with anyio.CancelScope(shield=True), anyio.move_on_after(SHUTDOWN_SECONDS):
            if isinstance(authenticator, CredentialAuthenticator) and authenticator.usage:
                await authenticator.usage.flush()
            await services.pipeline.aclose()  # the judge's pooled connections
            await hot_store.close()
            await anyio.to_thread.run_sync(sql.close)
        log.info("shutdown")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Load the model before the first request, so no request pays for it.
        service = services.scan_service
        _ = service.block_threshold
        if isinstance(authenticator, CredentialAuthenticator):
            await authenticator.refresh_key_presence()
        log.info("startup", version=__version__, hot_store=type(hot_store).__name__,
                 sql=sql.backend,
                 auth="credentials" if authenticator.requires_credentials else "anonymous",
                 threshold=service.block_threshold)
        # An error raised by the code running inside the lifespan (a test's assertion) is
        # kept here and re-raised, unchanged, after the background tasks stopped and the
        # shutdown work ran: the task group would otherwise wrap it in an ExceptionGroup, and
        # shutdown work awaited inside the group's cancelled scope would be cancelled itself
        # and swallow it.
        failure: Exception | None = None
        try:
            async with anyio.create_task_group() as tg:
                if not services.sql_ready:
                    tg.start_soon(retry_migrations)
                # Templates of deleted tenants stay exportable for 90 days, then this purges
                # them.
                tg.start_soon(retention_loop, services.template_store)
                try:
                    yield
                except Exception as exc:  # noqa: BLE001 - re-raised below, after shutdown
                    failure = exc
                finally:
                    tg.cancel_scope.cancel()
        finally:
            await shutdown()
        if failure is not None:
            raise failure

    app = FastAPI(
        title="PromptSentry",
        version=__version__,
        summary="Self-hosted prompt firewall and prompt optimizer.",
        lifespan=lifespan,
    )
    # The two things a request reaches through the app: the services (api/deps.py) and the
    # authenticator (api/auth.py).
    app.state.services = services
    app.state.authenticator = authenticator

    install_error_handlers(app)

    @app.exception_handler(StoreUnavailable)
    async def _store_unavailable(request: Request, exc: StoreUnavailable) -> JSONResponse:
        # A store outage is never a 500: the client may retry shortly.
        incidents.failed("hot_store" if str(exc).startswith("redis") else "sql", exc)
        return error_response(request, 503, ErrorCode.SERVICE_UNAVAILABLE,
                              "a state store is unavailable; retry shortly",
                              headers={"Retry-After": "2"})
    # Chunked bodies over the limit raise a 413 inside the app (rendered by our handlers);
    # a declared Content-Length over it is refused up front by RequestContextMiddleware.
    app.add_middleware(RequestBodyLimitMiddleware, max_body_size=settings.max_body_bytes)
    app.add_middleware(
        RequestContextMiddleware,
        security_headers=settings.security_headers,
        hsts_max_age=settings.hsts_max_age,
        max_body_bytes=settings.max_body_bytes,
        max_headers=settings.http_max_headers,
        max_header_bytes=settings.http_max_header_bytes,
    )
    app.include_router(scan.router)
    app.include_router(ops.router)
    app.include_router(admin.router)
    app.include_router(admin.stats_router)
    app.include_router(session_routes.router)
    app.include_router(system_prompt_routes.router)
    app.include_router(optimizer_routes.router)
    app.include_router(optimizer_bridge_routes.router)
    describe_errors(app)
    return app
