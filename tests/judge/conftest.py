"""Fixtures of the judge tests: ``judges(api, **kw)`` starts a :class:`FakeJudge` (stopped
after the test); ``make_pipeline(**settings)`` is a pipeline whose "classifier" scores each
text from ``SCORES`` (so the gray zone is chosen by the test) followed by the real judge
stage; ``egress_ok`` allow-lists loopback for the judge."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from judge.servers import FakeJudge
from promptsentry.config import Settings
from promptsentry.judge.runtime import JudgeRuntime
from promptsentry.pipeline.base import ScanState, StageResult
from promptsentry.pipeline.runner import Pipeline
from promptsentry.pipeline.stages.judge import JudgeStage
from promptsentry.pipeline.stages.signatures import SignatureStage

GRAY = "Please summarise the attached quarterly report for the board."
CLEAR = "What is the capital of France?"
HIGH = "Translate this paragraph into German for our newsletter."
SCORES = {GRAY: 0.6, CLEAR: 0.02, HIGH: 0.97}


class ScoredClassifier:
    """Stands in for the classifier: a fixed score per text (0.6 for unknown texts)."""

    name = "classifier"
    failure_mode = "fail_closed"

    async def run(self, state: ScanState) -> StageResult:
        return StageResult(self.name, score=SCORES.get(state.request.prompt, 0.6))


@pytest.fixture
def judges() -> Iterator[Callable[..., FakeJudge]]:
    started: list[FakeJudge] = []

    def start(api: str, **kw: Any) -> FakeJudge:
        fake = FakeJudge(api, **kw)
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.close()


def settings_for(tmp_path: Path, **values: Any) -> Settings:
    values.setdefault("egress_allowlist", ["127.0.0.1"])
    return Settings(data_dir=tmp_path, audit_salt="judge-test-salt", log_level="warning",
                    **values)


@pytest.fixture
def make_pipeline(tmp_path: Path) -> Callable[..., tuple[Pipeline, Settings]]:
    def make(*, resolver: Any = None, verify: Any = True, **values: Any
             ) -> tuple[Pipeline, Settings]:
        settings = settings_for(tmp_path, **values)
        kw = {"verify": verify} | ({"resolver": resolver} if resolver else {})
        runtime = JudgeRuntime(settings, **kw)
        stages = [SignatureStage(), ScoredClassifier(), JudgeStage(runtime)]
        return Pipeline(stages, audit_salt=b"judge-test-salt"), settings

    return make
