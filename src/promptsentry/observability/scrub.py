"""Scrub secrets and control characters from anything about to be logged.

Applied as a structlog processor to every event, so a key pasted into a header, an error
message or a user identity never reaches the log sink in clear.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from promptsentry.text import strip_control

REDACTED = "[REDACTED]"

_SECRET_PATTERNS: tuple[re.Pattern[str], ...] = (
    # JSON Web Tokens (three base64url segments, the first two starting with {" encoded).
    re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"),
    # PromptSentry keys: ps_<id>_<secret> and sk-opt-<id>-<secret>.
    re.compile(r"\bps_[A-Za-z0-9]{4,}_[A-Za-z0-9_-]{8,}"),
    re.compile(r"\bsk-(?:opt|team|local|dev)-[A-Za-z0-9_-]{8,}"),
    # Common provider keys.
    re.compile(r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}"),
    re.compile(r"\bAIza[0-9A-Za-z_-]{30,}"),
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"),
    re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    # Authorization header values.
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"),
    # key=value secrets.
    re.compile(
        r"(?i)\b(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|client[_-]?secret)"
        r"(\s*[:=]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;&]+)"
    ),
)

# Credentials inside URLs: scheme://user:password@host (database and Redis URLs).
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@")

_SENSITIVE_KEYS = frozenset(
    {"authorization", "password", "passwd", "secret", "token", "api_key", "apikey", "x-api-key",
     "admin_token", "key", "cookie", "set-cookie", "prompt", "output", "text"}
)


def redact_text(text: str) -> str:
    """``text`` with control characters stripped and secrets replaced by ``[REDACTED]``."""
    text = strip_control(text, keep_newlines=False)
    text = _URL_CREDENTIALS.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)
    for pattern in _SECRET_PATTERNS:
        if pattern.groups >= 3:
            text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
        elif pattern.groups == 1:
            text = pattern.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
        else:
            text = pattern.sub(REDACTED, text)
    return text


def redact_value(value: Any, *, key: str | None = None, depth: int = 0) -> Any:
    """Redact strings inside ``value`` (mappings, sequences) recursively."""
    if key is not None and key.lower() in _SENSITIVE_KEYS and value is not None:
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if depth > 6:
        return value
    if isinstance(value, Mapping):
        return {k: redact_value(v, key=str(k), depth=depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_value(v, depth=depth + 1) for v in value]
    return value


def redaction_processor(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: redact every field of the event."""
    return {k: redact_value(v, key=k if k != "event" else None) for k, v in event_dict.items()}
