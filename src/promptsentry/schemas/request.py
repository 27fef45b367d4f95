"""The scan request: the JSON body of ``POST /scan``, the MCP tool's arguments, and the
in-process API's input are all this one model.

Size limits raise errors whose ``type`` names a stable error code (``prompt_too_long`` →
``PROMPT_TOO_LONG``) so the HTTP layer can answer 413 instead of 422.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from promptsentry.netaddr import canonical_ip
from promptsentry.text import strip_control, utf8_len

MAX_PROMPT_BYTES = 50 * 1024
MAX_OUTPUT_BYTES = 10 * 1024
MAX_IDENTITY_CHARS = 256
MAX_CONTEXT_CHARS = 128
MAX_CANARY_TOKENS = 64
MAX_CANARY_CHARS = 256
#: Longest ``X-Request-ID`` the API accepts from a client (a longer or malformed one is
#: replaced by a generated id). Every column that stores a request id is this wide.
MAX_REQUEST_ID_CHARS = 128
#: A client's ``X-Request-ID`` is kept only when it matches this.
REQUEST_ID_PATTERN = rf"^[A-Za-z0-9._:-]{{1,{MAX_REQUEST_ID_CHARS}}}$"


class ScanType(StrEnum):
    """What the scanned text is: a user prompt, a model response, or an agent's tool call."""

    PROMPT = "prompt"
    RESPONSE = "response"
    TOOL_CALL = "tool_call"


class ChildSafetyOverride(BaseModel):
    """Per-request child-safety switch (the SDK's ``scan_for_child``)."""

    model_config = ConfigDict(extra="ignore")

    enabled: bool = True
    age_tier: Literal["child_under_13", "teen_13_to_17"] = "child_under_13"


class ScanRequest(BaseModel):
    """One text to judge, with the facts the caller knows about it."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)

    prompt: str = Field(
        ..., description="Text to scan (≤ 50 KB UTF-8): a prompt, a response or a tool call."
    )
    source_ip: str | None = Field(
        None, description="End user's IPv4/IPv6 address, forwarded by the calling app."
    )
    user_identity: str | None = Field(
        None, description="Caller-defined user or agent identity (≤ 256 characters)."
    )
    context: str | None = Field(
        None, description="Hint about where the text comes from: customer_chat, code_review…"
    )
    scan_type: ScanType = Field(ScanType.PROMPT, description="prompt | response | tool_call")
    output: str | None = Field(
        None, description="Model output to check for leaks (≤ 10 KB UTF-8)."
    )
    canary_tokens: list[str] = Field(
        default_factory=list,
        description="Secret markers planted in the system prompt; seeing one is a leak.",
    )
    child_safety_override: ChildSafetyOverride | None = Field(
        None, description="Force child-safety mode for this request."
    )

    @field_validator("prompt")
    @classmethod
    def _check_prompt(cls, value: str) -> str:
        size = utf8_len(value)
        if size > MAX_PROMPT_BYTES:
            raise PydanticCustomError(
                "prompt_too_long",
                "prompt is {size} bytes; the limit is {limit} bytes",
                {"size": size, "limit": MAX_PROMPT_BYTES},
            )
        if not value.strip():
            raise PydanticCustomError("prompt_empty", "prompt must contain non-blank text")
        return value

    @field_validator("output")
    @classmethod
    def _check_output(cls, value: str | None) -> str | None:
        if value is not None and (size := utf8_len(value)) > MAX_OUTPUT_BYTES:
            raise PydanticCustomError(
                "output_too_long",
                "output is {size} bytes; the limit is {limit} bytes",
                {"size": size, "limit": MAX_OUTPUT_BYTES},
            )
        return value

    @field_validator("source_ip")
    @classmethod
    def _check_ip(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        try:
            return canonical_ip(value)
        except ValueError:
            raise PydanticCustomError(
                "invalid_ip", "source_ip is not a valid IPv4 or IPv6 address"
            ) from None

    @field_validator("user_identity")
    @classmethod
    def _check_identity(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if len(value) > MAX_IDENTITY_CHARS:
            raise PydanticCustomError(
                "identity_too_long",
                "user_identity is {size} characters; the limit is {limit}",
                {"size": len(value), "limit": MAX_IDENTITY_CHARS},
            )
        return strip_control(value, keep_newlines=False) or None

    @field_validator("context")
    @classmethod
    def _check_context(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if len(value) > MAX_CONTEXT_CHARS:
            raise PydanticCustomError(
                "context_too_long",
                "context is {size} characters; the limit is {limit}",
                {"size": len(value), "limit": MAX_CONTEXT_CHARS},
            )
        return strip_control(value, keep_newlines=False) or None

    @field_validator("canary_tokens")
    @classmethod
    def _check_canaries(cls, value: list[str]) -> list[str]:
        if len(value) > MAX_CANARY_TOKENS:
            raise PydanticCustomError(
                "too_many_canaries",
                "at most {limit} canary tokens per request",
                {"limit": MAX_CANARY_TOKENS},
            )
        cleaned = []
        for token in value:
            token = token.strip()
            if len(token) > MAX_CANARY_CHARS:
                raise PydanticCustomError(
                    "canary_too_long",
                    "canary tokens are at most {limit} characters",
                    {"limit": MAX_CANARY_CHARS},
                )
            if len(token) < 4:
                raise PydanticCustomError(
                    "canary_too_short", "canary tokens need at least 4 characters"
                )
            cleaned.append(token)
        return cleaned
