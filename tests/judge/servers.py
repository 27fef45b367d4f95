"""Local judge servers speaking the real wire formats (OpenAI chat completions, Anthropic
Messages, Gemini generateContent), on loopback ports, optionally over TLS.

``FakeJudge(api)`` runs a Starlette app under uvicorn in a thread. Each request takes the next
behaviour from ``script`` (else ``default``):

``("verdict", "clean" | "malicious", confidence)`` a valid answer echoing this request's nonce
``("obey",)``           a judge that obeys the text: always "clean", nonce echoed correctly
``("no_nonce", v)``     a valid-looking answer without the nonce echo
``("wrong_nonce", v)``  an answer with another nonce
``("prose", text)``     an answer that is not the schema (text content)
``("raw", bytes)``      a raw HTTP 200 body (malformed JSON)
``("status", code, headers)`` an error status with headers (``Retry-After``)
``("sleep", seconds)``  wait, then answer ``default``
``("keyword", word)``   "malicious" when ``word`` is in the request, else "clean"
``("redirect", url)``   302 to ``url``
``("big", n)``          a 200 body of ``n`` bytes
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import json
import re
import socket
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

NONCE = re.compile(r"BEGIN-UNTRUSTED-([0-9a-f]{32})")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def self_signed(tmp: Path, host: str) -> tuple[Path, Path]:
    """A certificate for ``host`` (and 127.0.0.1) and its key, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp / f"{host}.crt", tmp / f"{host}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def wire_answer(api: str, text: str, *, tool: bool = True) -> dict[str, Any]:
    """``text`` in ``api``'s answer format (Anthropic: as the forced tool call's input)."""
    if api == "openai":
        return {"id": "chatcmpl-1", "object": "chat.completion", "model": "judge-model",
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": text}}],
                "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150}}
    if api == "anthropic":
        try:
            block: dict[str, Any] = {"type": "tool_use", "id": "toolu_1",
                                     "name": "record_answer", "input": json.loads(text)}
            if not tool or not isinstance(block["input"], dict):
                raise ValueError
        except ValueError:
            block = {"type": "text", "text": text}
        return {"id": "msg_1", "type": "message", "role": "assistant", "model": "judge-model",
                "content": [block], "stop_reason": "tool_use",
                "usage": {"input_tokens": 121, "output_tokens": 31}}
    return {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]},
                            "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 122, "candidatesTokenCount": 32,
                              "totalTokenCount": 154}}


def answer_json(verdict: str, confidence: float, nonce: str | None) -> str:
    body: dict[str, Any] = {"verdict": verdict, "confidence": confidence,
                            "categories": ["prompt_injection"] if verdict == "malicious" else [],
                            "reason": f"judged {verdict}"}
    if nonce is not None:
        body["nonce"] = nonce
    return json.dumps(body)


class FakeJudge:
    def __init__(self, api: str, *, tls: tuple[Path, Path] | None = None,
                 default: tuple = ("verdict", "clean", 0.95)) -> None:
        self.api = api
        self.script: list[tuple] = []
        self.default = default
        self.requests: list[dict[str, Any]] = []
        self.port = free_port()
        routes = [Route("/v1/chat/completions", self._handle, methods=["POST"]),
                  Route("/v1/messages", self._handle, methods=["POST"]),
                  Route("/v1beta/models/{model}:generateContent", self._handle,
                        methods=["POST"])]
        config = uvicorn.Config(Starlette(routes=routes), host="127.0.0.1", port=self.port,
                                log_level="error", lifespan="off",
                                ssl_certfile=str(tls[0]) if tls else None,
                                ssl_keyfile=str(tls[1]) if tls else None)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake judge did not start")
            time.sleep(0.01)
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}" + ("/v1" if api == "openai" else "")

    def base_for(self, host: str) -> str:
        scheme = "https" if self.url.startswith("https") else "http"
        return f"{scheme}://{host}:{self.port}" + ("/v1" if self.api == "openai" else "")

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)

    @property
    def untrusted_texts(self) -> list[str]:
        out = []
        for r in self.requests:
            found = ""
            for text in _strings(r["body"]):
                m = re.search(r"BEGIN-UNTRUSTED-\w+\n(.*)\nEND-UNTRUSTED-", text, re.S)
                found = m.group(1) if m else found
            out.append(found)
        return out

    async def _handle(self, request: Request) -> Response:
        raw = await request.body()
        body = json.loads(raw or b"{}")
        prompt = json.dumps(body)
        nonce_match = NONCE.search(prompt)
        nonce = nonce_match.group(1) if nonce_match else None
        self.requests.append({"path": request.url.path, "headers": dict(request.headers),
                              "body": body, "prompt": prompt, "nonce": nonce})
        step = self.script.pop(0) if self.script else self.default
        if step[0] == "sleep":
            await asyncio.sleep(step[1])
            step = self.default
        kind = step[0]
        if kind == "status":
            headers = step[2] if len(step) > 2 else {}
            return JSONResponse({"error": {"message": "boom"}}, status_code=step[1],
                                headers=headers)
        if kind == "redirect":
            return Response(status_code=302, headers={"location": step[1]})
        if kind == "raw":
            return Response(step[1], media_type="application/json")
        if kind == "big":
            return Response(b"{" + b" " * step[1] + b"}", media_type="application/json")
        if kind == "verdict":
            text = answer_json(step[1], step[2], nonce)
        elif kind == "keyword":  # a judge that is right whenever the keyword marks attacks
            text = answer_json("malicious" if step[1] in prompt.lower() else "clean", 0.9, nonce)
        elif kind == "obey":
            text = answer_json("clean", 0.99, nonce)
        elif kind == "no_nonce":
            text = answer_json(step[1], 0.99, None)
        elif kind == "wrong_nonce":
            text = answer_json(step[1], 0.99, "0" * 32)
        elif kind == "prose":
            text = step[1]
        else:
            raise AssertionError(f"unknown behaviour {step!r}")
        return JSONResponse(wire_answer(self.api, text))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


class FakeResolver:
    """``await resolver(host, port)``: answers from ``table`` (a list per host is consumed
    one answer per call, the last one repeating); records every question."""

    def __init__(self, table: dict[str, Any]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        try:
            return [str(ipaddress.ip_address(host.strip("[]")))]
        except ValueError:
            pass
        answer = self.table.get(host, [])
        if answer and isinstance(answer[0], list):
            return answer.pop(0) if len(answer) > 1 else answer[0]
        return answer
