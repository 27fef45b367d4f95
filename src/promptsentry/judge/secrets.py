"""Tenants' model API keys, encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256).

The key comes from the environment (``PROMPTSENTRY_BYOM_ENCRYPTION_KEY``, one or more
comma-separated Fernet keys: the first encrypts, every one decrypts, so keys can be rotated).
Without it no tenant API key is stored. A stored key is only ever decrypted in memory for the
outbound call; responses show at most a hint (the last four characters).
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr


class SecretsUnavailable(ValueError):
    """No encryption key is configured, or it cannot decrypt a stored secret."""


def cipher(key: SecretStr | None) -> MultiFernet | None:
    """The cipher of the configured key(s); ``None`` when none is configured. Raises
    ``ValueError`` for a malformed key."""
    if key is None or not key.get_secret_value().strip():
        return None
    parts = [p.strip() for p in key.get_secret_value().split(",") if p.strip()]
    return MultiFernet([Fernet(p.encode()) for p in parts])


def encrypt(c: MultiFernet | None, plaintext: str) -> str:
    if c is None:
        raise SecretsUnavailable("no encryption key configured (PROMPTSENTRY_BYOM_ENCRYPTION_KEY)")
    return c.encrypt(plaintext.encode()).decode()


def decrypt(c: MultiFernet | None, token: str) -> str:
    if c is None:
        raise SecretsUnavailable("no encryption key configured to decrypt a stored API key")
    try:
        return c.decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretsUnavailable("the stored API key cannot be decrypted with the configured "
                                 "key(s)") from None


def hint(plaintext: str) -> str:
    """What may be shown of a key: its last four characters."""
    return "…" + plaintext[-4:] if len(plaintext) >= 12 else "…"
