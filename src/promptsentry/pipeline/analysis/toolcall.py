"""Parse an agent's tool call and judge what it would do.

Three spellings are understood:

* the SDK's ``Tool: NAME\\nArguments: {json}`` (what ``scan_tool_call`` sends),
* plain JSON — ``{"name" | "tool" | "function": ..., "arguments" | "args" | "input" |
  "parameters": ...}``, with ``arguments`` itself possibly a JSON string (OpenAI style),
* free text (a shell command, a URL), judged as a whole.

Every string inside the arguments is checked on its own, so a command hidden three levels
deep in a JSON object is still a command. :func:`analyse` returns :class:`ToolFinding` values
whose ``pattern`` names are stable (they appear in ``patterns_matched``):

===========================  ==============================================================
``download_and_execute``     fetch a script and run it (``curl … | sh``, ``iex (iwr …)``)
``destructive_command``      ``rm -rf /``, ``mkfs``, ``dd of=/dev/…``, ``DROP TABLE``, fork bomb
``credential_file_access``   ``~/.ssh``, ``id_rsa``, ``.env``, ``/etc/shadow``, ``.aws/credentials``
``cloud_metadata_access``    ``169.254.169.254``, ``metadata.google.internal``, …
``data_upload_command``      ``curl -d @file``, ``nc host port <``, ``scp … host:``
``url_query_data``           a URL whose query string carries data (long or encoded values)
``url_private_address``      a URL pointing at a private, loopback or link-local address
``secret_in_arguments``      an API key, token or private key inside the arguments
``argument_injection``       instructions to a model inside argument text
===========================  ==============================================================
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from promptsentry.pipeline.analysis.injection import find_injections
from promptsentry.pipeline.analysis.sensitive import SECRET_TYPES, find_sensitive
from promptsentry.pipeline.rules import Rule, words_of

MAX_STRINGS = 512
"""At most this many argument strings are examined (a bound on work per call)."""
MAX_DEPTH = 16


@dataclass(frozen=True, slots=True)
class ParsedToolCall:
    """A tool call taken apart: the tool's name (if known), the decoded arguments, and every
    string found in them as ``(json_path, text)`` pairs."""

    name: str | None
    arguments: Any
    strings: tuple[tuple[str, str], ...]
    form: str
    """``"sdk"``, ``"json"`` or ``"text"``: which spelling was recognised."""


@dataclass(frozen=True, slots=True)
class ToolFinding:
    """One thing wrong with a tool call. ``where`` is the JSON path of the argument
    (``$`` for free text); ``span`` is a character span in the original text when known."""

    pattern: str
    severity: str
    detail: str
    where: str = "$"
    span: tuple[int, int] | None = None


_SDK_FORM = re.compile(r"\A\s*Tool:\s*(?P<name>[^\n]{1,200})\n\s*Arguments:\s*(?P<args>.*)\Z",
                       re.DOTALL)
_NAME_KEYS = ("name", "tool", "tool_name", "function")
_ARG_KEYS = ("arguments", "args", "input", "parameters", "params", "kwargs")


def parse_tool_call(text: str) -> ParsedToolCall:
    """Recognise the SDK form, JSON, or free text."""
    m = _SDK_FORM.match(text)
    if m:
        name = m.group("name").strip()
        raw = m.group("args").strip()
        args = _loads(raw)
        return ParsedToolCall(name, args if args is not None else raw,
                              tuple(_strings(args if args is not None else raw)), "sdk")
    doc = _loads(text.strip())
    if isinstance(doc, dict):
        name = None
        target = doc
        fn = doc.get("function")
        if isinstance(fn, dict):  # OpenAI: {"type": "function", "function": {name, arguments}}
            target = fn
        for key in _NAME_KEYS:
            if isinstance(target.get(key), str):
                name = target[key]
                break
        args: Any = doc
        for key in _ARG_KEYS:
            if key in target:
                args = target[key]
                if isinstance(args, str):
                    decoded = _loads(args)
                    args = decoded if decoded is not None else args
                break
        return ParsedToolCall(name, args, tuple(_strings(args)), "json")
    if doc is not None:
        return ParsedToolCall(None, doc, tuple(_strings(doc)), "json")
    return ParsedToolCall(None, text, (("$", text),), "text")


def _loads(raw: str) -> Any:
    if not raw or raw[0] not in "{[\"":
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _strings(value: Any, path: str = "$", depth: int = 0, out: list | None = None) -> list:
    out = [] if out is None else out
    if len(out) >= MAX_STRINGS or depth > MAX_DEPTH:
        return out
    if isinstance(value, str):
        out.append((path, value))
        # An argument that is itself JSON (a serialised payload) is opened too.
        inner = _loads(value.strip()) if len(value) > 1 else None
        if isinstance(inner, (dict, list)):
            _strings(inner, path, depth + 1, out)
    elif isinstance(value, dict):
        for key, item in value.items():
            _strings(item, f"{path}.{key}", depth + 1, out)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _strings(item, f"{path}[{i}]", depth + 1, out)
    return out


# --------------------------------------------------------------------------- shell rules

_FETCH = r"(?:curl|wget|fetch|aria2c|http(?:ie)?)\b"
_DOWNLOAD_EXEC = (
    re.compile(_FETCH + r"[^|;&\n]{0,300}\|\s*(?:sudo\s+)?(?:ba|z|k|da|c)?sh\b", re.IGNORECASE),
    re.compile(_FETCH + r"[^|;&\n]{0,300}\|\s*(?:sudo\s+)?(?:python[23]?|perl|ruby|node|php)\b",
               re.IGNORECASE),
    re.compile(r"\b(?:ba|z)?sh\s+(?:-c\s+)?[\"']?\s*<\(\s*" + _FETCH, re.IGNORECASE),
    re.compile(r"\b(?:ba|z)?sh\s+-c\s+[\"']?\$\(\s*" + _FETCH, re.IGNORECASE),
    re.compile(r"\b(?:iex|invoke-expression)\b[^\n]{0,40}?\b(?:iwr|irm|curl|wget|"
               r"invoke-webrequest|invoke-restmethod|downloadstring|net\.webclient)\b",
               re.IGNORECASE),
    re.compile(r"\b(?:iwr|irm|invoke-webrequest|invoke-restmethod)\b[^\n]{0,300}\|\s*"
               r"(?:iex|invoke-expression)\b", re.IGNORECASE),
    re.compile(r"downloadstring\s*\([^)]{0,300}\)[^\n]{0,40}\b(?:iex|invoke-expression)|"
               r"\b(?:iex|invoke-expression)\b[^\n]{0,80}downloadstring", re.IGNORECASE),
    re.compile(r"\bpowershell(?:\.exe)?\b[^\n]{0,40}\s-(?:e|en|enc|encodedcommand)\s+"
               r"[A-Za-z0-9+/=]{16,}", re.IGNORECASE),
    re.compile(r"\bcertutil(?:\.exe)?\b[^\n]{0,40}-urlcache\b", re.IGNORECASE),
    re.compile(r"\b(?:wget|curl)\b[^;&|\n]{0,300}(?:-O|-o|--output)\s*\S+\s*(?:;|&&)\s*"
               r"(?:chmod\s+\+?[0-7x]+\s+\S+\s*(?:;|&&)\s*)?(?:\./|sh\s|bash\s)", re.IGNORECASE),
)
_DESTRUCTIVE = (
    re.compile(r"\brm\s+(?:-[a-zA-Z]*\s+)*-[a-zA-Z]*(?:r[a-zA-Z]*f|f[a-zA-Z]*r)[a-zA-Z]*\s+"
               r"(?:-[-\w]+\s+)*(?:/|/\*|~/?|\*|\$HOME/?|/(?:etc|usr|var|home|boot|bin|lib|"
               r"root|opt|srv)\b/?)(?=\s|$|[;&|'\"])"),
    re.compile(r"\brm\s+(?:-\w+\s+)*--no-preserve-root\b"),
    re.compile(r"\bmkfs(?:\.\w+)?\s+\S*/dev/"),
    re.compile(r"\bdd\b[^\n;|]{0,100}\bof=/dev/(?:sd|hd|nvme|xvd|vd|disk|mmcblk)"),
    re.compile(r">\s*/dev/(?:sd[a-z]|nvme\d|hd[a-z]|xvd[a-z])\b"),
    re.compile(r":\s*\(\s*\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:"),
    re.compile(r"\b(?:drop)\s+(?:table|database|schema)\b", re.IGNORECASE),
    re.compile(r"\btruncate\s+table\b", re.IGNORECASE),
    re.compile(r"\bdelete\s+from\s+[\w.\"`]+\s*(?:;|$)", re.IGNORECASE),
    re.compile(r"\bshred\b[^\n;|]{0,60}/dev/"),
    re.compile(r"\bformat\s+[a-z]:", re.IGNORECASE),
    re.compile(r"\b(?:del|erase)\s+(?:/[fsq]\s+){2,}", re.IGNORECASE),
    re.compile(r"\bremove-item\b[^\n]{0,80}-recurse\b[^\n]{0,80}(?:[a-z]:\\\\?|\$env:)",
               re.IGNORECASE),
    re.compile(r"\bchmod\s+(?:-R\s+)?0?777\s+/(?:\s|$)"),
    re.compile(r"\bgit\s+push\b[^\n]{0,60}(?:--force|-f)\b[^\n]{0,60}\b(?:main|master)\b"),
)
_CREDENTIAL_FILES = re.compile(
    r"(?:~|\$HOME|/home/[\w.-]+|/root|%USERPROFILE%)[/\\]\.ssh\b|\.ssh[/\\](?:id_|authorized_"
    r"|known_hosts)|\bid_(?:rsa|dsa|ecdsa|ed25519)\b|(?:^|[\s/\\'\"=:])\.env(?:\.[\w-]+)?"
    r"(?=$|[\s'\"/;,)])|/etc/(?:shadow|gshadow|sudoers)\b|\.aws[/\\](?:credentials|config)\b|"
    r"\.netrc\b|\.git-credentials\b|\.kube[/\\]config\b|\.docker[/\\]config\.json\b|"
    r"\.config[/\\]gcloud\b|\.azure[/\\]|\.npmrc\b|\.pypirc\b|\.pgpass\b|"
    r"(?:^|[/\\])(?:credentials|secrets?)\.(?:json|ya?ml|toml)\b|\bwallet\.dat\b|"
    r"/var/run/secrets/kubernetes\.io|/proc/(?:self|\d+)/environ\b",
    re.IGNORECASE,
)
_METADATA = re.compile(
    r"169\.254\.169\.254|\bfd00:ec2::254\b|\bmetadata\.google\.internal\b|"
    r"\bmetadata\.azure\.com\b|169\.254\.170\.2\b|\b100\.100\.100\.200\b|"
    r"\bmetadata\.oraclecloud\.com\b|/computeMetadata/v1\b|/latest/meta-data\b",
    re.IGNORECASE,
)
_UPLOAD = (
    re.compile(r"\bcurl\b[^\n|;]{0,300}\s(?:-d|--data(?:-binary|-raw|-urlencode)?|-F|--form|"
               r"-T|--upload-file)\s*[\"']?@", re.IGNORECASE),
    re.compile(r"\|\s*curl\b[^\n]{0,200}\s(?:-d|--data(?:-binary|-raw)?|-F|-T)\s*[\"']?@?-",
               re.IGNORECASE),
    re.compile(r"\bwget\b[^\n]{0,200}--post-file", re.IGNORECASE),
    re.compile(r"\b(?:nc|ncat|netcat|socat)\b[^\n]{0,100}(?:\d{1,5})\s*<\s*\S+", re.IGNORECASE),
    re.compile(r"\|\s*(?:nc|ncat|netcat)\s+\S+\s+\d{1,5}\b", re.IGNORECASE),
    re.compile(r"\bscp\b[^\n]{0,200}\s[\w.-]+@[\w.-]+:", re.IGNORECASE),
    re.compile(r"/dev/tcp/[\w.-]+/\d+", re.IGNORECASE),
    re.compile(r"\binvoke-(?:webrequest|restmethod)\b[^\n]{0,200}-method\s+post\b[^\n]{0,200}"
               r"-(?:infile|body)\b", re.IGNORECASE),
)

_URL = re.compile(r"\b(?:https?|ftp|wss?|gopher|file)://[^\s\"'<>`)]+", re.IGNORECASE)
_BARE_HOST = re.compile(r"\b(?:localhost|(?:\d{1,3}\.){3}\d{1,3})(?::\d{1,5})?/", re.IGNORECASE)
_ENCODED_VALUE = re.compile(r"^(?:[A-Za-z0-9+/_-]{24,}={0,2}|(?:[0-9a-fA-F]{2}){16,})$")
_LONG_QUERY_VALUE = 64
_QUERY_DATA_KEYS = re.compile(r"^(?:data|d|payload|body|content|secret|key|token|password|"
                              r"pass|pwd|creds?|cookie|session|history|conv|chat|exfil|leak|"
                              r"msg|message|email|ssn)$", re.IGNORECASE)


@dataclass(slots=True)
class _Collector:
    findings: list[ToolFinding] = field(default_factory=list)
    seen: set[tuple[str, str]] = field(default_factory=set)

    def add(self, pattern: str, severity: str, detail: str, where: str,
            span: tuple[int, int] | None = None) -> None:
        if (pattern, where) in self.seen:
            return
        self.seen.add((pattern, where))
        self.findings.append(ToolFinding(pattern, severity, detail[:200], where, span))


INJECTION_CATEGORIES = frozenset(
    {"instruction_override", "persona_hijack", "prompt_extraction", "delimiter_injection"})
"""Signature-rule categories that mean "instructions to a model". Tool-abuse and exfiltration
rules overlap the dedicated checks above, which name their findings more precisely."""


def analyse(
    text: str, *, tool_name: str | None = None, rules: Sequence[Rule] = ()
) -> tuple[ParsedToolCall, list[ToolFinding]]:
    """Parse ``text`` and return it with every finding (empty: nothing wrong).

    ``rules`` are signature rules (:func:`promptsentry.pipeline.rules.load_rules`); those of
    :data:`INJECTION_CATEGORIES` run over each decoded argument string, and a match is an
    ``argument_injection`` finding naming the rule. JSON escapes (``\\u0069gnore``) are
    undone by the decoding, so they hide nothing.
    """
    parsed = parse_tool_call(text)
    if tool_name and parsed.name is None:
        parsed = ParsedToolCall(tool_name, parsed.arguments, parsed.strings, parsed.form)
    out = _Collector()
    base = 0 if parsed.form == "text" else None
    for where, value in parsed.strings:
        _check_string(value, where, out, span_base=base)
        if rules:
            _check_rules(value, where, out, rules, span_base=base)
    return parsed, out.findings


def _check_rules(value: str, where: str, out: _Collector, rules: Sequence[Rule],
                 *, span_base: int | None) -> None:
    lowered = value.lower()
    words = words_of(lowered)
    for rule in rules:
        if rule.category not in INJECTION_CATEGORIES or not rule.may_match(words, lowered):
            continue
        m = rule.pattern.search(value)
        if m is None:
            continue
        out.add("argument_injection", str(rule.severity.value), f"signature rule {rule.id}",
                where, _span(m, span_base))
        return


def _span(m: re.Match[str], base: int | None) -> tuple[int, int] | None:
    return None if base is None else (base + m.start(), base + m.end())


def _check_string(value: str, where: str, out: _Collector, *, span_base: int | None) -> None:
    for rx in _DOWNLOAD_EXEC:
        if m := rx.search(value):
            out.add("download_and_execute", "critical", f"fetches and runs code: {m.group(0)}",
                    where, _span(m, span_base))
            break
    for rx in _DESTRUCTIVE:
        if m := rx.search(value):
            out.add("destructive_command", "critical", f"destroys data: {m.group(0)}", where,
                    _span(m, span_base))
            break
    if m := _CREDENTIAL_FILES.search(value):
        out.add("credential_file_access", "high", f"touches a credential file: {m.group(0)}",
                where, _span(m, span_base))
    if m := _METADATA.search(value):
        out.add("cloud_metadata_access", "critical", f"cloud metadata endpoint: {m.group(0)}",
                where, _span(m, span_base))
    for rx in _UPLOAD:
        if m := rx.search(value):
            out.add("data_upload_command", "medium", f"sends local data out: {m.group(0)}",
                    where, _span(m, span_base))
            break
    for m in _URL.finditer(value):
        _check_url(m.group(0), where, out, _span(m, span_base))
    for m in _BARE_HOST.finditer(value):
        host = m.group(0).split(":")[0].rstrip("/")
        if _private_host(host) and not _METADATA.search(host):
            out.add("url_private_address", "high", f"address {host} is not public", where,
                    _span(m, span_base))
    for hit in find_sensitive(value, types=SECRET_TYPES):
        span = None if span_base is None else (span_base + hit.start, span_base + hit.end)
        out.add("secret_in_arguments", "high", f"{hit.type} in the arguments", where, span)
    for hit in find_injections(value, limit=4):
        span = None if span_base is None else (span_base + hit.start, span_base + hit.end)
        out.add("argument_injection", "high", f"instruction to a model ({hit.rule})", where,
                span)


def _check_url(url: str, where: str, out: _Collector, span: tuple[int, int] | None) -> None:
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return
    if host and _private_host(host) and not _METADATA.search(host):
        out.add("url_private_address", "high", f"URL host {host} is not public", where, span)
    for key, value in parse_qsl(parts.query, keep_blank_values=True) + _fragment_pairs(parts):
        value = unquote(value)
        reason = None
        if len(value) >= _LONG_QUERY_VALUE:
            reason = f"{len(value)}-character value in '{key[:40]}'"
        elif len(value) >= 16 and _ENCODED_VALUE.match(value):
            reason = f"encoded value in '{key[:40]}'"
        elif len(value) >= 8 and _QUERY_DATA_KEYS.match(key):
            reason = f"data parameter '{key[:40]}'"
        elif find_sensitive(value):
            reason = f"sensitive value in '{key[:40]}'"
        if reason:
            out.add("url_query_data", "medium", f"URL carries data: {reason}", where, span)
            return


def _fragment_pairs(parts: Any) -> list[tuple[str, str]]:
    if "=" in parts.fragment:
        return parse_qsl(parts.fragment, keep_blank_values=True)
    return []


def _private_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in {"localhost", "localhost.localdomain", "ip6-localhost"} or host.endswith(
        (".localhost", ".internal", ".local")
    ):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return _numeric_host(host)
    return (address.is_private or address.is_loopback or address.is_link_local
            or address.is_reserved or address.is_unspecified)


def _numeric_host(host: str) -> bool:
    """Decimal (``2130706433``) and hex (``0x7f000001``) spellings of an IPv4 address."""
    try:
        value = int(host, 16) if host.startswith("0x") else int(host) if host.isdigit() else None
    except ValueError:
        return False
    if value is None or not 0 <= value <= 0xFFFFFFFF:
        return False
    address = ipaddress.IPv4Address(value)
    return address.is_private or address.is_loopback or address.is_link_local
