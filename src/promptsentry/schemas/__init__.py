"""Wire shapes: what clients send and what the service answers."""

from promptsentry.schemas.request import ChildSafetyOverride, ScanRequest, ScanType
from promptsentry.schemas.response import ScanResponse, StageReport

__all__ = ["ChildSafetyOverride", "ScanRequest", "ScanResponse", "ScanType", "StageReport"]
