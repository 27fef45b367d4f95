"""Kept import path: the wire shapes live in :mod:`promptsentry.schemas` ("models" is for the
ML models). ``promptsentry.models.request`` and ``promptsentry.models.response`` stay
importable because the official SDK's in-process transport imports them."""

from promptsentry.schemas import (
    ChildSafetyOverride,
    ScanRequest,
    ScanResponse,
    ScanType,
    StageReport,
)

__all__ = ["ChildSafetyOverride", "ScanRequest", "ScanResponse", "ScanType", "StageReport"]
