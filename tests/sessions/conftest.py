"""Fixtures for the session tests: an app with the agent stages, served over real HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from promptsentry.api.app import create_app
from promptsentry.config import Settings

from .support import ADMIN, API_KEY, SALT, LiveServer, agent_pipeline


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def build(**overrides) -> Settings:
        values = {"data_dir": tmp_path, "api_keys": [API_KEY], "admin_token": ADMIN,
                  "audit_salt": SALT, "block_threshold": 0.5, "log_level": "warning"}
        values.update(overrides)
        return Settings(**values)
    return build


@pytest.fixture
def make_app(make_settings):
    def build(**overrides):
        return create_app(make_settings(**overrides), pipeline=agent_pipeline())
    return build


@pytest.fixture
def agent_server(make_app) -> Iterator[LiveServer]:
    server = LiveServer(make_app()).start()
    try:
        yield server
    finally:
        server.stop()
