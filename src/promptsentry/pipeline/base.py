"""The stage interface and the values that flow through the pipeline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Literal, Protocol, runtime_checkable

from promptsentry.pipeline.analysis.structure import looks_like_data
from promptsentry.schemas.request import ScanRequest


class FailureMode(StrEnum):
    """What a stage's crash means for the verdict.

    ``fail_open``: the stage is skipped and the other stages decide.
    ``fail_closed``: the scan is judged malicious, since it could not be judged safely.
    """

    OPEN = "fail_open"
    CLOSED = "fail_closed"


class Severity(StrEnum):
    """How strongly a finding alone indicates an attack."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class TextView:
    """One reading of the scanned text.

    ``origin`` is ``"original"``, ``"normalized"`` or the decoder that produced it
    (``"base64"``, ``"hex"``, ``"url"``, ``"rot13"``, …); ``span`` is where in the original
    text the decoded payload sat (``None`` for whole-text views).
    """

    origin: str
    text: str
    span: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One named thing a stage found: a rule id, ``canary_leak``, ``encoded_payload``…"""

    pattern: str
    category: str
    severity: Severity
    view: str = "original"
    span: tuple[int, int] | None = None
    detail: str = ""
    decisive: bool = False
    """A decisive finding makes the verdict malicious whatever the scores say
    (a leaked canary, for example)."""


@dataclass(frozen=True, slots=True)
class StageResult:
    """What one stage returns. The runner fills in ``ms`` and ``failure_mode``."""

    name: str
    status: Literal["ok", "error", "skipped"] = "ok"
    findings: tuple[Finding, ...] = ()
    score: float | None = None
    """Probability of attack, for stages that score (the classifier)."""
    views: tuple[TextView, ...] = ()
    """New readings of the text for later stages (the normaliser adds them)."""
    details: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None
    ms: float = 0.0
    failure_mode: FailureMode = FailureMode.OPEN


@dataclass(frozen=True, slots=True)
class PipelinePolicy:
    """The knobs of a verdict, per tenant or per install."""

    block_threshold: float = 0.5
    gray_zone_low: float = 0.40
    gray_zone_high: float = 0.90
    monitor_mode: bool = False
    bypass: bool = False
    """The caller is allow-listed: the verdict is computed but the action is allowed_bypass."""
    redact: bool = False
    """Answer a redacted copy of the text (secrets and personal data as typed placeholders)."""
    system_prompt_fingerprint: frozenset[str] | None = None
    """The tenant's registered system-prompt fingerprint (keyed shingle hashes), if any."""
    system_prompt_threshold: float = 0.5
    """Fraction of the fingerprint a response must reproduce to count as a leak."""
    context_thresholds: Mapping[str, float] = field(default_factory=dict)
    """Block thresholds for texts whose request ``context`` names what they are
    (``document``, ``tool_return``, ``system_prompt``): the model's per-context operating
    points, used only where no operator or tenant set ``block_threshold``."""
    judge: Any = None
    """The scan's :class:`~promptsentry.judge.policy.JudgePolicy`; ``None``: no judge."""
    infer_context: bool = True
    """Read a request without ``context`` as a ``document`` when its text has the shape of
    data (:func:`~promptsentry.pipeline.analysis.structure.looks_like_data`)."""

    def threshold_for(self, context: str | None) -> float:
        """The block threshold of a text with this request ``context``."""
        return self.context_thresholds.get(context or "", self.block_threshold)


@dataclass(frozen=True, slots=True)
class ScanState:
    """Everything the stages know so far. Immutable: each stage returns a result and the
    runner derives the next state with :meth:`with_result`."""

    request: ScanRequest
    policy: PipelinePolicy
    views: tuple[TextView, ...]
    results: tuple[StageResult, ...] = ()
    context: str | None = None
    """What the text is: the request's ``context``, else ``"document"`` when the policy
    infers it from the text's shape (``data_shape``), else ``None``."""
    data_shape: str | None = None
    """The data shape that made ``context`` ``"document"`` (``json``, ``email``, …)."""

    @classmethod
    def start(cls, request: ScanRequest, policy: PipelinePolicy) -> ScanState:
        context, shape = request.context, None
        if context is None and policy.infer_context:
            shape = looks_like_data(request.prompt)
            context = "document" if shape is not None else None
        return cls(request=request, policy=policy, views=(TextView("original", request.prompt),),
                   context=context, data_shape=shape)

    def with_result(self, result: StageResult) -> ScanState:
        return replace(self, views=self.views + result.views, results=self.results + (result,))

    def result(self, name: str) -> StageResult | None:
        for result in self.results:
            if result.name == name:
                return result
        return None

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for r in self.results for f in r.findings)

    def view(self, origin: str) -> TextView | None:
        for view in self.views:
            if view.origin == origin:
                return view
        return None

    @property
    def primary_text(self) -> str:
        """The normalised text when the normaliser ran, else the original."""
        view = self.view("normalized") or self.views[0]
        return view.text


@runtime_checkable
class Stage(Protocol):
    """A pipeline stage. Implementations are small classes holding only configuration
    (and loaded models); ``run`` must not mutate anything shared."""

    name: str
    failure_mode: FailureMode

    async def run(self, state: ScanState) -> StageResult: ...
