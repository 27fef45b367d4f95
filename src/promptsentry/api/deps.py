"""Typed dependencies: what a route asks for, by type, instead of reading ``app.state``.

``create_app`` puts one :class:`promptsentry.wiring.Services` on the app; each dependency here
hands a route one member of it (the FastAPI template's ``deps.py`` pattern, as
``api/auth.py``'s ``ScanPrincipal`` does for callers)::

    async def route(service: ScanServiceDep, sql: SqlStoreDep) -> ...
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from promptsentry.api.auth import Authenticator
from promptsentry.config import Settings
from promptsentry.observability.incidents import Incidents
from promptsentry.optimizer.service import OptimizerService
from promptsentry.security.guard import Guard, TenantDirectory
from promptsentry.service import ScanService
from promptsentry.sessions.store import SessionStore
from promptsentry.stores.base import HotStore
from promptsentry.stores.sql.store import SqlStore
from promptsentry.wiring import Services

__all__ = [
    "AuthenticatorDep",
    "GuardDep",
    "HotStoreDep",
    "IncidentsDep",
    "OptimizerDep",
    "ScanServiceDep",
    "ServicesDep",
    "SessionStoreDep",
    "SettingsDep",
    "SqlStoreDep",
    "TenantsDep",
    "services_of",
]


def services_of(request: Request) -> Services:
    """The app's services (the one ``app.state`` read of the routes)."""
    return request.app.state.services


def _settings(request: Request) -> Settings:
    return services_of(request).settings


def _scan_service(request: Request) -> ScanService:
    return services_of(request).scan_service


def _optimizer(request: Request) -> OptimizerService:
    return services_of(request).optimizer


def _sql_store(request: Request) -> SqlStore:
    return services_of(request).sql_store


def _hot_store(request: Request) -> HotStore:
    return services_of(request).hot_store


def _session_store(request: Request) -> SessionStore:
    return services_of(request).session_store


def _incidents(request: Request) -> Incidents:
    return services_of(request).incidents


def _guard(request: Request) -> Guard:
    return services_of(request).guard


def _tenants(request: Request) -> TenantDirectory:
    return services_of(request).tenants


ServicesDep = Annotated[Services, Depends(services_of)]
SettingsDep = Annotated[Settings, Depends(_settings)]
ScanServiceDep = Annotated[ScanService, Depends(_scan_service)]
OptimizerDep = Annotated[OptimizerService, Depends(_optimizer)]
SqlStoreDep = Annotated[SqlStore, Depends(_sql_store)]
HotStoreDep = Annotated[HotStore, Depends(_hot_store)]
SessionStoreDep = Annotated[SessionStore, Depends(_session_store)]
IncidentsDep = Annotated[Incidents, Depends(_incidents)]
GuardDep = Annotated[Guard, Depends(_guard)]
TenantsDep = Annotated[TenantDirectory, Depends(_tenants)]


def _authenticator(request: Request) -> Authenticator:
    return request.app.state.authenticator


AuthenticatorDep = Annotated[Authenticator, Depends(_authenticator)]
"""The app's authenticator (the credential check itself runs in ``api/auth.py``)."""
