"""The composition root: every service of one process, built once from :class:`Settings`.

The HTTP app (``api.app.create_app``), the MCP server (``mcp_server.server.build_server``) and
the CLI all take a :class:`Services` and use what it holds; nothing else constructs a store,
the pipeline or a service. Each member is built on first use and then kept, so a process
pays only for what it touches: the MCP server starts without loading the model or opening
the database, and the first scan builds the pipeline.

Tests (and embedders) hand in any member already built — ``Services(settings,
pipeline=shared)`` — and it is used as is.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from promptsentry.config import Settings, get_settings
from promptsentry.observability.incidents import Incidents
from promptsentry.optimizer.service import OptimizerService, ScanSummary
from promptsentry.optimizer.settings import OptimizerSettings
from promptsentry.optimizer.templates import TemplateStore
from promptsentry.pipeline.runner import Pipeline, build_pipeline, policy_for
from promptsentry.schemas.request import ScanRequest
from promptsentry.security.guard import Guard, IpLists, TenantDirectory
from promptsentry.service import DEFAULT_TENANT, ScanService
from promptsentry.sessions.store import SessionStore, store_for
from promptsentry.stores.base import HotStore, StoreUnavailable
from promptsentry.stores.memory import MemoryHotStore
from promptsentry.stores.redis import RedisHotStore
from promptsentry.stores.sql.migrate import sqlite_url
from promptsentry.stores.sql.store import SqlStore

__all__ = ["Services", "build_hot_store", "build_sql_store", "prepare_sql_store"]

#: Longest text the optimizer's firewall scan judges (the scan API's own limit).
FIREWALL_MAX_CHARS = 50 * 1024


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


class Services:
    """Settings, stores, pipeline and services of one process, each built once on first use.

    ``scan_service`` is the HTTP API's (IP blocks, rate limits and per-tenant settings);
    ``local_scan_service`` judges for callers inside this install — the MCP tools, as the
    ``default`` tenant with the install's policy and no guard — over the same pipeline and
    hot store.
    """

    def __init__(self, settings: Settings | None = None, **built: Any) -> None:
        self.settings = settings or get_settings()
        for name, value in built.items():
            if not isinstance(getattr(type(self), name, None), cached_property):
                raise TypeError(f"Services has no member {name!r}")
            if value is not None:
                self.__dict__[name] = value
        self.sql_ready = False
        """Whether the SQL store is migrated (set by :meth:`prepare_sql`)."""

    def prepare_sql(self) -> bool:
        """Migrate the SQL store and ensure the default tenant (see :func:`prepare_sql_store`);
        remembers the outcome in ``sql_ready``."""
        self.sql_ready = prepare_sql_store(self.sql_store, self.incidents)
        return self.sql_ready

    # --- stores ------------------------------------------------------------------------

    @cached_property
    def incidents(self) -> Incidents:
        return Incidents()

    @cached_property
    def sql_store(self) -> SqlStore:
        return build_sql_store(self.settings)

    @cached_property
    def hot_store(self) -> HotStore:
        return build_hot_store(self.settings)

    @cached_property
    def session_store(self) -> SessionStore:
        return store_for(self.settings, self.hot_store)

    @cached_property
    def template_store(self) -> TemplateStore:
        return TemplateStore(self.sql_store.engine)

    # --- the firewall --------------------------------------------------------------------

    @cached_property
    def pipeline(self) -> Pipeline:
        return build_pipeline(self.settings, self.hot_store)

    @cached_property
    def ip_lists(self) -> IpLists:
        return IpLists(self.sql_store, self.incidents, self.settings.block_list_refresh_seconds)

    @cached_property
    def tenants(self) -> TenantDirectory:
        return TenantDirectory(self.settings, self.sql_store, self.incidents,
                               self.settings.block_list_refresh_seconds)

    @cached_property
    def guard(self) -> Guard:
        return Guard(self.settings, self.hot_store, self.ip_lists, self.incidents)

    @cached_property
    def scan_service(self) -> ScanService:
        return ScanService(self.settings, self.pipeline, self.hot_store, guard=self.guard,
                           tenants=self.tenants)

    @cached_property
    def local_scan_service(self) -> ScanService:
        service = ScanService(self.settings, self.pipeline, self.hot_store)
        _ = service.block_threshold  # load the model now, not half-way through a scan
        return service

    # --- the optimizer -------------------------------------------------------------------

    @cached_property
    def optimizer_settings(self) -> OptimizerSettings:
        return OptimizerSettings.of(self.settings)

    @cached_property
    def optimizer(self) -> OptimizerService:
        return OptimizerService(self.template_store, self.optimizer_settings,
                                firewall=self._pipeline_firewall)

    async def _pipeline_firewall(self, text: str) -> ScanSummary:
        """The firewall verdict on a text from the scan pipeline, under the install's policy
        (nothing recorded)."""
        service = self.scan_service
        req = ScanRequest(prompt=text[:FIREWALL_MAX_CHARS])
        policy = policy_for(self.settings, req, block_threshold=service.block_threshold)
        response, _ = await service.pipeline.run(req, policy)
        return ScanSummary(response.verdict, float(response.risk_score),
                           list(response.patterns_matched))
