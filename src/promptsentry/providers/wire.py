"""The three wire formats, as pure functions: build a request, parse an answer.

``openai``     ``POST {base}/chat/completions`` — OpenAI, vLLM, Ollama, llama.cpp, LM Studio;
               structured output as ``response_format`` ``json_schema``.
``anthropic``  ``POST {base}/v1/messages`` (``x-api-key``, ``anthropic-version``); structured
               output as a forced tool call whose ``input`` is the JSON.
``gemini``     ``POST {base}/v1beta/models/{model}:generateContent`` (``x-goog-api-key``);
               structured output as ``responseMimeType`` + ``responseSchema``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

APIS = ("openai", "anthropic", "gemini")
ANTHROPIC_VERSION = "2023-06-01"
TOOL_NAME = "record_answer"


class WireError(ValueError):
    """The provider's answer does not have the shape of its wire format."""


@dataclass(frozen=True, slots=True)
class ChatRequest:
    system: str
    user: str
    max_output_tokens: int = 2048
    json_schema: dict[str, Any] | None = None
    """Ask for a JSON answer of this schema (the answer text is then that JSON)."""


@dataclass(frozen=True, slots=True)
class Parsed:
    text: str
    input_tokens: int
    output_tokens: int


def build(api: str, base_url: str, model: str, api_key: str | None,
          req: ChatRequest) -> tuple[str, dict[str, str], dict[str, Any]]:
    """``(url, headers, json body)`` of one call."""
    base = base_url.rstrip("/")
    headers = {"content-type": "application/json"}
    if api == "openai":
        if api_key:
            headers["authorization"] = f"Bearer {api_key}"
        body: dict[str, Any] = {
            "model": model, "temperature": 0, "max_tokens": req.max_output_tokens,
            "messages": [{"role": "system", "content": req.system},
                         {"role": "user", "content": req.user}]}
        if req.json_schema is not None:
            body["response_format"] = {"type": "json_schema", "json_schema": {
                "name": "answer", "strict": True, "schema": req.json_schema}}
        return f"{base}/chat/completions", headers, body
    if api == "anthropic":
        if api_key:
            headers["x-api-key"] = api_key
        headers["anthropic-version"] = ANTHROPIC_VERSION
        body = {"model": model, "max_tokens": req.max_output_tokens, "temperature": 0,
                "system": req.system, "messages": [{"role": "user", "content": req.user}]}
        if req.json_schema is not None:
            body["tools"] = [{"name": TOOL_NAME, "description": "Record the answer.",
                              "input_schema": req.json_schema}]
            body["tool_choice"] = {"type": "tool", "name": TOOL_NAME}
        return f"{base}/v1/messages", headers, body
    if api == "gemini":
        if api_key:
            headers["x-goog-api-key"] = api_key
        config: dict[str, Any] = {"temperature": 0, "maxOutputTokens": req.max_output_tokens}
        if req.json_schema is not None:
            config["responseMimeType"] = "application/json"
            config["responseSchema"] = _gemini_schema(req.json_schema)
        return (f"{base}/v1beta/models/{model}:generateContent", headers, {
            "systemInstruction": {"parts": [{"text": req.system}]},
            "contents": [{"role": "user", "parts": [{"text": req.user}]}],
            "generationConfig": config})
    raise ValueError(f"unknown API {api!r}; one of {', '.join(APIS)}")


def _gemini_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Gemini's OpenAPI subset: no ``additionalProperties``."""
    out = {k: v for k, v in schema.items() if k != "additionalProperties"}
    if isinstance(out.get("properties"), dict):
        out["properties"] = {k: _gemini_schema(v) if isinstance(v, dict) else v
                             for k, v in out["properties"].items()}
    if isinstance(out.get("items"), dict):
        out["items"] = _gemini_schema(out["items"])
    return out


def parse(api: str, data: Any) -> Parsed:
    """The answer text and token usage; raises :class:`WireError`."""
    try:
        if api == "openai":
            text = data["choices"][0]["message"]["content"]
            usage = data.get("usage") or {}
            return Parsed(_text(text), int(usage.get("prompt_tokens", 0)),
                          int(usage.get("completion_tokens", 0)))
        if api == "anthropic":
            tools = [b for b in data["content"]
                     if isinstance(b, dict) and b.get("type") == "tool_use"]
            if tools:
                text = json.dumps(tools[0]["input"])
            else:
                text = "".join(b["text"] for b in data["content"]
                               if isinstance(b, dict) and b.get("type") == "text")
            usage = data.get("usage") or {}
            return Parsed(_text(text), int(usage.get("input_tokens", 0)),
                          int(usage.get("output_tokens", 0)))
        cand = data["candidates"][0]
        text = "".join(p.get("text", "") for p in cand["content"]["parts"])
        usage = data.get("usageMetadata") or {}
        return Parsed(_text(text), int(usage.get("promptTokenCount", 0)),
                      int(usage.get("candidatesTokenCount", 0)))
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
        raise WireError(f"malformed {api} answer: {type(exc).__name__}") from exc


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("answer text is not a string")
    return value
