"""Retention of deleted tenants' templates: marked when their tenant no longer exists,
deleted :data:`RETENTION_AFTER_TENANT_DELETE` later — run by :func:`retention_loop` in the
app's lifespan, or by ``promptsentry templates purge`` from cron."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update
from sqlalchemy.orm import sessionmaker

from promptsentry.errors import ApiError
from promptsentry.optimizer.tables import TemplateRow
from promptsentry.stores.sql.tables import TenantRow

if TYPE_CHECKING:
    from promptsentry.optimizer.templates import TemplateStore

__all__ = ["RETENTION_AFTER_TENANT_DELETE", "purge_deleted_tenants", "retention_loop"]

RETENTION_AFTER_TENANT_DELETE = timedelta(days=90)


def purge_deleted_tenants(sessions: sessionmaker, *, now: datetime,
                          default_tenant: str) -> dict[str, int]:
    """The scheduled job: mark templates of tenants that no longer exist (the clock's
    now), then delete those marked more than 90 days ago. The default tenant of
    credential-less installs is never considered deleted."""
    with sessions.begin() as s:
        existing = select(TenantRow.id)
        marked = s.execute(
            update(TemplateRow)
            .where(TemplateRow.tenant_deleted_at.is_(None),
                   TemplateRow.tenant_id != default_tenant,
                   TemplateRow.tenant_id.not_in(existing))
            .values(tenant_deleted_at=now)
            .execution_options(synchronize_session=False)).rowcount
        revived = s.execute(
            update(TemplateRow)
            .where(TemplateRow.tenant_deleted_at.is_not(None),
                   TemplateRow.tenant_id.in_(existing))
            .values(tenant_deleted_at=None)
            .execution_options(synchronize_session=False)).rowcount
        purged = s.execute(
            delete(TemplateRow)
            .where(TemplateRow.tenant_deleted_at.is_not(None),
                   TemplateRow.tenant_deleted_at < now - RETENTION_AFTER_TENANT_DELETE)
            .execution_options(synchronize_session=False)).rowcount
    return {"marked": marked, "revived": revived, "purged": purged}


async def retention_loop(store: TemplateStore, *, interval_s: float = 3600.0) -> None:
    """Run :meth:`TemplateStore.purge_deleted_tenants` every ``interval_s`` seconds until
    cancelled (start it in the app's lifespan task group, or run
    ``promptsentry templates purge`` from cron instead). Failures are logged and retried at
    the next tick."""
    import anyio

    from promptsentry.observability.logging import get_logger

    log = get_logger("promptsentry.optimizer")
    while True:
        try:
            result = await store.run(store.purge_deleted_tenants)
            if result["marked"] or result["purged"]:
                log.info("template_retention", **result)
        except ApiError as exc:
            log.warning("template_retention_failed", error=exc.code)
        await anyio.sleep(interval_s)
