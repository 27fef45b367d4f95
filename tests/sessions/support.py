"""Shared pieces of the session tests: credentials, the agent pipeline, a live server."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import uvicorn

from promptsentry.pipeline.analysis.leakage import derive_canary_key
from promptsentry.pipeline.runner import Pipeline
from promptsentry.pipeline.stages.canary import IssuedCanaryStage
from promptsentry.pipeline.stages.indirect import IndirectInjectionStage
from promptsentry.pipeline.stages.redaction import RedactionStage
from promptsentry.pipeline.stages.toolcall import ToolCallStage

API_KEY = "test-scan-key-0123456789"
ADMIN = "test-admin-token-0123456789"
SALT = "session-test-salt"


def agent_pipeline() -> Pipeline:
    """The agent stages without the classifier: rule findings alone decide (prior 0.05)."""
    return Pipeline([ToolCallStage(), IndirectInjectionStage(), RedactionStage(),
                     IssuedCanaryStage(derive_canary_key(SALT.encode()))],
                    audit_salt=SALT.encode())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """A uvicorn server in a thread, speaking real HTTP on a loopback port."""

    def __init__(self, app) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = app
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                     log_level="warning", lifespan="on"))
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.run(self._server.serve())

    def start(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
