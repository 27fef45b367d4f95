"""Operational endpoints: ``/health``, ``/ready`` and ``/metrics``."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict

from promptsentry import __version__
from promptsentry.api.deps import ServicesDep
from promptsentry.observability.prometheus import render_latest

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: Literal["ok"]
    version: str


class Check(BaseModel):
    """One readiness check: `ok`, and per check `backend`, `name`, `error` or `open`."""

    model_config = ConfigDict(extra="allow")
    ok: bool


class Readiness(BaseModel):
    status: Literal["ready", "degraded"]
    checks: dict[str, Check]


@router.get("/health", summary="Liveness: the process answers", response_model=Health)
async def health() -> dict:
    return {"status": "ok", "version": __version__}


@router.get("/ready", summary="Readiness: stores and model are usable", response_model=None,
            responses={200: {"model": Readiness, "description": "Serving"},
                       503: {"model": Readiness, "description": "Not serving: the failing "
                             "checks say why"}})
async def ready(services: ServicesDep) -> JSONResponse:
    checks: dict[str, dict] = {}
    store = services.hot_store
    try:
        checks["hot_store"] = {"ok": bool(await store.ping()), "backend": type(store).__name__}
    except Exception as exc:
        checks["hot_store"] = {"ok": False, "backend": type(store).__name__,
                               "error": type(exc).__name__}
    sql = services.sql_store
    try:
        ok = bool(await sql.run(sql.ping)) and services.sql_ready
        checks["sql"] = {"ok": ok, "backend": sql.backend}
        if not services.sql_ready:
            checks["sql"]["error"] = "schema not migrated yet"
    except Exception as exc:
        checks["sql"] = {"ok": False, "backend": sql.backend, "error": type(exc).__name__}
    if services.incidents.snapshot():
        checks["incidents"] = {"ok": True, "open": services.incidents.snapshot()}
    pipeline = services.scan_service.pipeline
    for stage in pipeline.stages:
        if stage.name == "classifier":
            try:
                detector = stage.detector
                checks["model"] = {"ok": True, "name": f"{detector.name}@{detector.version}"}
            except Exception as exc:
                checks["model"] = {"ok": False, "error": type(exc).__name__}
    # A pipeline without a classifier stage has no model to load: nothing to check.
    checks.setdefault("model", {"ok": True, "name": None})
    # Any store down is 503, as docs/OPERATIONS.md says: with fail_open scans are still
    # answered (limits and blocks skipped), but the instance is degraded and says so; a
    # balancer that must keep such instances in rotation can probe /health instead.
    ok = all(c["ok"] for c in checks.values())
    return JSONResponse({"status": "ready" if ok else "degraded", "checks": checks},
                        status_code=200 if ok else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse,
            responses={200: {"description": "Prometheus text exposition format",
                             "content": {"text/plain": {"schema": {"type": "string"}}}}})
async def metrics() -> Response:
    body, content_type = render_latest()
    return Response(body, media_type=content_type)
