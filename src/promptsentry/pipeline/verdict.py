"""Combine stage signals into a verdict, an action, a confidence and a risk score.

Pure functions. The combination works in log-odds: the classifier's calibrated probability
is the prior, and each distinct rule finding adds evidence by severity::

    logit(risk) = logit(p_classifier) + Σ bump(severity)     (bumps capped at +8 in total)

so a weak rule cannot turn a confidently benign text malicious, while a critical rule can.
A *decisive* finding (a leaked canary) or a failed fail-closed stage makes the verdict
malicious outright. Where the judge stage ran and its outcome is ``escalated_malicious`` or
``escalated_clean`` (:mod:`promptsentry.judge.rules` decides which judgements count), that is
the verdict, with the judge's confidence; the risk score stays the local one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from promptsentry.pipeline.base import FailureMode, Finding, ScanState, Severity

SEVERITY_LOG_ODDS: dict[Severity, float] = {
    Severity.LOW: 0.5,
    Severity.MEDIUM: 1.5,
    Severity.HIGH: 3.0,
    Severity.CRITICAL: 6.0,
}
MAX_RULE_LOG_ODDS = 8.0
PRIOR_WITHOUT_CLASSIFIER = 0.05
"""Risk prior when no classifier score exists (its stage failed open or is absent)."""
_EPS = 1e-6


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of a scan, before side effects."""

    verdict: str
    action: str
    confidence: float
    risk_score: float
    gray_zone: bool
    reasoning: str
    patterns: tuple[str, ...]


def logit(p: float) -> float:
    p = min(max(p, _EPS), 1 - _EPS)
    return math.log(p / (1 - p))


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1 / (1 + math.exp(-x))
    z = math.exp(x)
    return z / (1 + z)


def distinct_patterns(findings: tuple[Finding, ...]) -> tuple[str, ...]:
    """Pattern names in first-seen order, each once."""
    return tuple(dict.fromkeys(f.pattern for f in findings))


def decide(state: ScanState) -> Decision:
    """Judge ``state`` (all stages have run) under ``state.policy``."""
    policy = state.policy
    findings = state.findings
    patterns = distinct_patterns(findings)

    failed_closed = [
        r.name for r in state.results if r.status == "error" and r.failure_mode is FailureMode.CLOSED
    ]
    decisive = [f for f in findings if f.decisive]

    classifier = state.result("classifier")
    p_clf = classifier.score if classifier is not None and classifier.score is not None else None

    strongest: dict[str, Finding] = {}  # each rule's finding of the highest severity
    for f in findings:
        if f.decisive:
            continue
        current = strongest.get(f.pattern)
        if current is None or SEVERITY_LOG_ODDS[f.severity] > SEVERITY_LOG_ODDS[current.severity]:
            strongest[f.pattern] = f
    bump = min(sum(SEVERITY_LOG_ODDS[f.severity] for f in strongest.values()), MAX_RULE_LOG_ODDS)
    prior = p_clf if p_clf is not None else PRIOR_WITHOUT_CLASSIFIER
    risk = sigmoid(logit(prior) + bump) if strongest else prior

    reasons: list[str] = []
    if decisive:
        risk = max(risk, 0.99)
        reasons.append("decisive: " + ", ".join(dict.fromkeys(
            f"{f.pattern} ({f.detail})" if f.detail else f.pattern for f in decisive)))
    if failed_closed:
        risk = max(risk, 0.99)
        reasons.append("failed closed: " + ", ".join(failed_closed))

    threshold = policy.threshold_for(state.context)
    malicious = bool(decisive or failed_closed) or risk >= threshold
    gray = policy.gray_zone_low <= risk < policy.gray_zone_high and not (decisive or failed_closed)

    if p_clf is not None:
        where = ""
        span = classifier.details.get("span") if classifier is not None else None
        if span:
            where = f" at chars {span[0]}–{span[1]}"
        reasons.append(f"classifier risk {p_clf:.2f}{where}")
    elif classifier is not None and classifier.status == "error":
        reasons.append("classifier unavailable")
    if strongest:
        reasons.append(
            "rules " + ", ".join(
                f"{name} ({f.severity.value}"
                f"{', ' + f.detail if f.detail.startswith('framed: ') else ''})"
                for name, f in strongest.items())
        )
    if state.data_shape is not None:
        reasons.append(f"read as a document ({state.data_shape})")
    if gray:
        reasons.append(f"gray zone [{policy.gray_zone_low:.2f}, {policy.gray_zone_high:.2f})")
    escalated = None
    judge = state.result("judge")
    if judge is not None and judge.status == "ok":
        d = judge.details
        escalated = d.get("outcome") if d.get("outcome", "").startswith("escalated_") else None
        if escalated is not None:
            malicious = escalated == "escalated_malicious"
        reasons.append(f"judge {d.get('model')}{' (cached)' if d.get('cached') else ''}: "
                       f"{d.get('judge_verdict')} {d.get('confidence', 0):.2f} — "
                       f"{d.get('reason', '')}" + (f" ({d['note']})" if d.get("note") else ""))
    elif judge is not None and judge.status == "error" and judge.failure_mode is FailureMode.OPEN:
        reasons.append(f"judge failed, local verdict kept (fail_open): {judge.error}")

    if policy.bypass:
        action = "allowed_bypass"
    elif malicious:
        action = "allowed_monitor" if policy.monitor_mode else "blocked"
    else:
        action = "allowed"

    verdict = escalated or ("malicious" if malicious else "clean")
    confidence = round(100 * (risk if malicious else 1 - risk), 2)
    if escalated is not None and judge is not None:
        confidence = round(100 * float(judge.details.get("confidence", 0)), 2)
    summary = "; ".join(reasons) if reasons else "no signal"
    return Decision(
        verdict=verdict,
        action=action,
        confidence=confidence,
        risk_score=round(risk, 6),
        gray_zone=gray,
        reasoning=f"{verdict}: {summary}",
        patterns=patterns,
    )
