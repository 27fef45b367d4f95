"""API key format, generation and verification.

Two shapes, both ``<prefix><id><sep><secret>``:

* firewall keys ``ps_<id>_<secret>``;
* optimizer-only keys ``sk-opt-<id>-<secret>``.

The id is 16 lower-case hex characters (never contains a separator), the secret 43
URL-safe base64 characters (256 bits). Only ``sha256(secret)`` is stored; the full key is
shown once, at creation.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Literal

KeyKind = Literal["firewall", "optimizer"]
SCOPES = frozenset({"scan", "optimize", "admin"})

_FIREWALL = re.compile(r"^ps_([0-9a-f]{16})_([A-Za-z0-9_-]{20,128})$")
_OPTIMIZER = re.compile(r"^sk-opt-([0-9a-f]{16})-([A-Za-z0-9_-]{20,128})$")


@dataclass(frozen=True, slots=True)
class ParsedKey:
    kind: KeyKind
    key_id: str
    secret: str


def kind_for_scopes(scopes: frozenset[str] | set[str] | list[str]) -> KeyKind:
    """Keys scoped to the optimizer only are ``sk-opt-…``; every other key is ``ps_…``."""
    return "optimizer" if set(scopes) == {"optimize"} else "firewall"


def hash_secret(secret: str) -> str:
    """Hex SHA-256 of the secret part of a key."""
    return hashlib.sha256(secret.encode()).hexdigest()


def generate_key(kind: KeyKind) -> tuple[str, str, str]:
    """A fresh key: ``(key_id, plaintext_key, secret_hash)``."""
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    plaintext = f"ps_{key_id}_{secret}" if kind == "firewall" else f"sk-opt-{key_id}-{secret}"
    return key_id, plaintext, hash_secret(secret)


def parse_key(token: str) -> ParsedKey | None:
    """Split a presented key into kind, id and secret; ``None`` when it is not a managed key."""
    if token.startswith("ps_"):
        m = _FIREWALL.match(token)
        return ParsedKey("firewall", m.group(1), m.group(2)) if m else None
    if token.startswith("sk-opt-"):
        m = _OPTIMIZER.match(token)
        return ParsedKey("optimizer", m.group(1), m.group(2)) if m else None
    return None


def looks_like_managed_key(token: str) -> bool:
    return token.startswith(("ps_", "sk-opt-"))


def secret_matches(secret: str, stored_hash: str) -> bool:
    """Constant-time comparison of ``sha256(secret)`` with the stored hash."""
    return hmac.compare_digest(hash_secret(secret), stored_hash)
