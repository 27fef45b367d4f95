"""ASGI factory the multi-worker tests start under uvicorn (``--factory``).

The real application from settings in the environment, with the deterministic keyword
pipeline (``ATTACK`` → malicious) and an ``X-Worker-PID`` header so a test can see which
worker answered. ``make_judge_app`` adds the real judge stage after the keyword stage, its
cache and quota on the worker's hot store (as ``Services`` wires it).
"""

from __future__ import annotations

import os

from fixtures_state import KeywordStage, keyword_pipeline
from promptsentry.api.app import create_app
from promptsentry.config import Settings
from promptsentry.judge.runtime import JudgeRuntime
from promptsentry.pipeline.runner import Pipeline
from promptsentry.pipeline.stages.judge import JudgeStage
from promptsentry.wiring import build_hot_store


class WorkerPidMiddleware:
    """Adds ``X-Worker-PID`` to every HTTP response."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.app = app
        self.pid = str(os.getpid()).encode()

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        async def tagged(message):  # type: ignore[no-untyped-def]
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()),
                                                  (b"x-worker-pid", self.pid)]}
            await send(message)

        await self.app(scope, receive, tagged if scope["type"] == "http" else send)


def make_app():  # type: ignore[no-untyped-def]
    app = create_app(Settings(), pipeline=keyword_pipeline())
    app.add_middleware(WorkerPidMiddleware)
    return app


def make_judge_app():  # type: ignore[no-untyped-def]
    settings = Settings()
    hot = build_hot_store(settings)
    pipeline = Pipeline([KeywordStage(), JudgeStage(JudgeRuntime(settings, store=hot))],
                        audit_salt=b"test-salt")
    app = create_app(settings, pipeline=pipeline, hot_store=hot)
    app.add_middleware(WorkerPidMiddleware)
    return app
