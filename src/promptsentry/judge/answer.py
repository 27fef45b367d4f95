"""The judge's answer: one JSON object of a fixed schema, parsed strictly.

``{"verdict": "malicious" | "clean", "confidence": 0–1, "categories": [...],
"reason": "...", "nonce": "<the nonce of this request>"}``

Anything else — not JSON, extra keys, wrong types, text around the object, a nonce that is
not this request's — is a failed judgement (:class:`JudgeAnswerError`), never a verdict.
"""

from __future__ import annotations

import hmac
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

MAX_ANSWER_CHARS = 4000


class JudgeAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    verdict: Literal["malicious", "clean"]
    confidence: float = Field(ge=0.0, le=1.0)
    categories: list[str] = Field(max_length=16)
    reason: str = Field(max_length=500)
    nonce: str = Field(min_length=1, max_length=128)


JSON_SCHEMA: dict = {
    "type": "object",
    "properties": {
        "verdict": {"type": "string", "enum": ["malicious", "clean"]},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "categories": {"type": "array", "items": {"type": "string"}},
        "reason": {"type": "string"},
        "nonce": {"type": "string"},
    },
    "required": ["verdict", "confidence", "categories", "reason", "nonce"],
    "additionalProperties": False,
}


class JudgeAnswerError(ValueError):
    """The answer is not a valid judgement of this request."""


def parse_answer(text: str, nonce: str) -> JudgeAnswer:
    """The judgement in ``text``; raises :class:`JudgeAnswerError`."""
    if len(text) > MAX_ANSWER_CHARS:
        raise JudgeAnswerError("answer too long")
    body = text.strip()
    if body.startswith("```"):  # a fenced JSON block is still only the object
        body = body.removeprefix("```json").removeprefix("```").removesuffix("```").strip()
    try:
        data = json.loads(body)
    except ValueError:
        raise JudgeAnswerError("answer is not JSON") from None
    if isinstance(data, dict) and isinstance(data.get("confidence"), int) \
            and not isinstance(data.get("confidence"), bool):
        data["confidence"] = float(data["confidence"])
    try:
        answer = JudgeAnswer.model_validate(data)
    except ValidationError as exc:
        fields = sorted({str(e["loc"][0]) if e["loc"] else "answer" for e in exc.errors()})
        raise JudgeAnswerError(f"answer does not match the schema ({', '.join(fields)})") \
            from None
    if not hmac.compare_digest(answer.nonce, nonce):
        raise JudgeAnswerError("answer does not echo this request's nonce")
    return answer
