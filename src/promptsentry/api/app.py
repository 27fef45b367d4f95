"""The application factory.

``create_app()`` wires settings, the pipeline, the stores and the authenticator into a
FastAPI app. Everything is built in the factory (not at import), so tests and workers each
get their own, and the model is loaded once per process at start-up.
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
from promptsentry.config import Settings, get_settings
from promptsentry.errors import ErrorCode
from promptsentry.observability.incidents import Incidents
from promptsentry.observability.logging import configure_logging, get_logger
from promptsentry.optimizer.store import TemplateStore, retention_loop
from promptsentry.pipeline.runner import Pipeline, build_pipeline
from promptsentry.security.guard import Guard, IpLists, TenantDirectory
from promptsentry.security.jwt import JwtVerifier
from promptsentry.service import DEFAULT_TENANT, ScanService
from promptsentry.stores.base import HotStore, StoreUnavailable
from promptsentry.stores.memory import MemoryHotStore
from promptsentry.stores.redis import RedisHotStore
from promptsentry.stores.sql.migrate import sqlite_url
from promptsentry.stores.sql.store import SqlStore

log = get_logger("promptsentry.app")

MIGRATION_RETRY_SECONDS = 5.0
#: Most seconds the shutdown work (flush key-usage counters, close the stores) may take.
SHUTDOWN_SECONDS = 10.0


def build_sql_store(settings: Settings) -> SqlStore:
    """PostgreSQL (or any SQLAlchemy URL) from ``database_url``, else SQLite in data_dir."""
    return SqlStore.from_url(settings.database_url or sqlite_url(settings.data_dir))


def build_hot_store(settings: Settings) -> HotStore:
    """Redis from ``redis_url``, else the in-process store."""
    if settings.redis_url:
        return RedisHotStore(settings.redis_url, timeout_seconds=settings.redis_timeout_seconds,
                             prefix=settings.redis_key_prefix)
    return MemoryHotStore()


def prepare_sql_store(sql: SqlStore, incidents: Incidents) -> bool:
    """Migrate to head and make sure the ``default`` tenant exists; ``False`` when the
    database is unreachable (the app starts degraded and retries in the background)."""
    try:
        sql.migrate()
        sql.ensure_tenant(DEFAULT_TENANT, "Default tenant")
    except StoreUnavailable as exc:
        incidents.failed("sql", exc)
        return False
    incidents.ok("sql")
    return True


def create_app(
    settings: Settings | None = None,
    *,
    pipeline: Pipeline | None = None,
    hot_store: HotStore | None = None,
    authenticator: Authenticator | None = None,
    sql_store: SqlStore | None = None,
) -> FastAPI:
    """Build the PromptSentry HTTP application.

    State: the durable SQL store (``sql_store``, else from settings; migrated here) and the
    hot store (``hot_store``, else Redis or in-process from settings).
    """
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_format)
    pipeline = pipeline or build_pipeline(settings)
    incidents = Incidents()
    sql = sql_store or build_sql_store(settings)
    migrated = prepare_sql_store(sql, incidents)
    hot_store = hot_store or build_hot_store(settings)
    jwt = JwtVerifier(settings)
    authenticator = authenticator or CredentialAuthenticator(settings, sql, incidents, jwt,
                                                             hot_store=hot_store)
    ip_lists = IpLists(sql, incidents, settings.block_list_refresh_seconds)
    tenants = TenantDirectory(settings, sql, incidents, settings.block_list_refresh_seconds)
    guard = Guard(settings, hot_store, ip_lists, incidents)

    async def retry_migrations() -> None:
        nonlocal migrated
        while not migrated:
            await anyio.sleep(MIGRATION_RETRY_SECONDS)
            migrated = await anyio.to_thread.run_sync(prepare_sql_store, sql, incidents)
        app.state.sql_ready = True

    async def shutdown() -> None:
        # Shielded and bounded: a stop (SIGTERM, a cancelled lifespan task) must not skip the
        # flush of key-usage counters, and a dead database must not hang the stop.
        with anyio.CancelScope(shield=True), anyio.move_on_after(SHUTDOWN_SECONDS):
            if isinstance(authenticator, CredentialAuthenticator) and authenticator.usage:
                await authenticator.usage.flush()
            await hot_store.close()
            await anyio.to_thread.run_sync(sql.close)
        log.info("shutdown")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Load the model before the first request, so no request pays for it.
        service: ScanService = app.state.scan_service
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
                if not migrated:
                    tg.start_soon(retry_migrations)
                # Templates of deleted tenants stay exportable for 90 days, then this purges
                # them.
                tg.start_soon(retention_loop, TemplateStore(sql.engine))
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
    app.state.settings = settings
    app.state.hot_store = hot_store
    app.state.sql_store = sql
    app.state.sql_ready = migrated
    app.state.incidents = incidents
    app.state.authenticator = authenticator
    app.state.guard = guard
    app.state.tenants = tenants
    app.state.scan_service = ScanService(settings, pipeline, hot_store, guard=guard,
                                         tenants=tenants)

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
