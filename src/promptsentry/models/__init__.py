"""Wire models: what clients send and what the service answers."""

from promptsentry.models.request import ChildSafetyOverride, ScanRequest, ScanType
from promptsentry.models.response import ScanResponse, StageReport

__all__ = ["ChildSafetyOverride", "ScanRequest", "ScanResponse", "ScanType", "StageReport"]
