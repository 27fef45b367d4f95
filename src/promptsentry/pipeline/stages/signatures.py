"""The signature stage: named regular-expression rules over every view of the text.

Rules live in a data file (:mod:`promptsentry.pipeline.rules`, ``signatures.toml``), are
validated and compiled once when the stage is built — a broken rules file fails loudly at
start-up, never per request — and run against each view the normaliser produced
(``normalized``, ``deleet``, ``unicode_tags`` and the decoded payloads). Without the
normaliser's views the stage reads the original text.

Each rule yields at most one :class:`~promptsentry.pipeline.base.Finding` (``pattern`` = the
rule id), from the first view that matched. Its ``span`` is the match's offsets in that view's
text for whole-text views (``normalized``, ``deleet`` …, equal to the original's offsets unless
characters were removed), and the encoded run's span in the original for decoded payloads,
whose own offsets would mean nothing to a caller.

Failure mode: **fail closed**. The rules are validated at load and the input is bounded, so
the stage can only crash on a bug or a pathological input — and if a crafted input can crash
the one deterministic check, failing open would turn that crash into a bypass.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from promptsentry.pipeline.base import FailureMode, Finding, ScanState, StageResult, TextView
from promptsentry.pipeline.rules import Rule, load_rules, words_of


def scan_views(rules: Sequence[Rule], views: Iterable[TextView]) -> tuple[Finding, ...]:
    """Match every rule against every view; one finding per rule, first view wins.

    A rule whose triggers do not occur in a view is skipped for that view.
    """
    findings: dict[str, Finding] = {}
    scanned: set[str] = set()
    for view in views:
        if view.text in scanned:
            continue
        scanned.add(view.text)
        lowered = view.text.lower()
        words = words_of(lowered)
        for rule in rules:
            if rule.id in findings or not rule.may_match(words, lowered):
                continue
            match = rule.pattern.search(view.text)
            if match is None:
                continue
            span = view.span if view.span is not None else match.span()
            findings[rule.id] = Finding(
                pattern=rule.id,
                category=rule.category,
                severity=rule.severity,
                view=view.origin,
                span=span,
            )
    return tuple(findings.values())


def views_to_scan(state: ScanState) -> tuple[TextView, ...]:
    """The normaliser's views when it ran (``original`` is then redundant), else all views."""
    if state.view("normalized") is None:
        return state.views
    return tuple(v for v in state.views if v.origin != "original")


class SignatureStage:
    """Match the named signature rules (see the module docstring)."""

    name = "signatures"
    failure_mode = FailureMode.CLOSED

    def __init__(
        self, rules: Sequence[Rule] | None = None, *, path: str | Path | None = None
    ) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules) if rules is not None else load_rules(path)

    async def run(self, state: ScanState) -> StageResult:
        views = views_to_scan(state)
        findings = scan_views(self.rules, views)
        return StageResult(
            name=self.name,
            findings=findings,
            details={"rules": len(self.rules), "views_scanned": len(views),
                     "matched": len(findings)},
        )
