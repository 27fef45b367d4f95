"""Service-to-service JWT verification: HS256 with a shared secret, RS256/ES256 with a PEM
public key or a JWKS file.

``exp`` is always required; ``iss`` and ``aud`` are checked when configured. The algorithm
is taken from a fixed allow-list per key type (never ``none``, never HS256 with a public
key). Only ``sub`` and ``email`` of a token are ever logged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import jwt
from jwt import PyJWKSet

from promptsentry.config import Settings

ASYMMETRIC = ("RS256", "ES256")
TOKEN_SCOPES = frozenset({"scan", "optimize"})


class JwtError(Exception):
    """The token is not acceptable; the message is safe to show (no token content)."""


@dataclass(frozen=True, slots=True)
class JwtIdentity:
    subject: str
    email: str | None
    tenants: tuple[str, ...]
    scopes: frozenset[str]


def looks_like_jwt(token: str) -> bool:
    return token.startswith("eyJ") and token.count(".") == 2


class JwtVerifier:
    """Verifies bearer JWTs under the install's settings."""

    def __init__(self, settings: Settings) -> None:
        self._secret = settings.jwt_secret.get_secret_value() if settings.jwt_secret else None
        self._public_key: str | None = None
        self._jwks: PyJWKSet | None = None
        if settings.jwt_public_key_file is not None:
            self._public_key = settings.jwt_public_key_file.read_text()
        if settings.jwt_jwks_file is not None:
            self._jwks = PyJWKSet.from_dict(json.loads(settings.jwt_jwks_file.read_text()))
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._tenant_claim = settings.jwt_tenant_claim
        self._leeway = settings.jwt_leeway_seconds

    @property
    def configured(self) -> bool:
        return bool(self._secret or self._public_key or self._jwks)

    def _key_for(self, header: dict[str, Any]) -> Any:
        alg = header.get("alg")
        if alg == "HS256":
            if not self._secret:
                raise JwtError("HS256 tokens are not accepted")
            return self._secret
        if alg in ASYMMETRIC:
            if self._jwks is not None:
                kid = header.get("kid")
                for jwk in self._jwks.keys:
                    if (kid is None or jwk.key_id == kid) and jwk.algorithm_name in (alg, None):
                        return jwk.key
                if self._public_key is None:
                    raise JwtError("no key in the JWKS matches the token's kid")
            if self._public_key is not None:
                return self._public_key
            raise JwtError(f"{alg} tokens are not accepted")
        raise JwtError("unsupported JWT algorithm")

    def verify(self, token: str) -> JwtIdentity:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise JwtError("malformed JWT") from None
        key = self._key_for(header)
        required = ["exp", "sub"]
        if self._issuer:
            required.append("iss")
        if self._audience:
            required.append("aud")
        try:
            claims = jwt.decode(
                token, key, algorithms=[header["alg"]], issuer=self._issuer,
                audience=self._audience, leeway=self._leeway,
                options={"require": required, "verify_aud": self._audience is not None},
            )
        except jwt.ExpiredSignatureError:
            raise JwtError("JWT expired") from None
        except jwt.InvalidIssuerError:
            raise JwtError("JWT issuer not accepted") from None
        except jwt.InvalidAudienceError:
            raise JwtError("JWT audience not accepted") from None
        except jwt.MissingRequiredClaimError as exc:
            raise JwtError(f"JWT lacks the '{exc.claim}' claim") from None
        except jwt.PyJWTError:
            raise JwtError("JWT signature or claims are not valid") from None
        return JwtIdentity(
            subject=str(claims["sub"])[:200],
            email=str(claims["email"])[:200] if isinstance(claims.get("email"), str) else None,
            tenants=_tenants(claims.get(self._tenant_claim)),
            scopes=_scopes(claims),
        )


def _tenants(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) and value:
        return (value[:64],)
    if isinstance(value, list):
        return tuple(str(v)[:64] for v in value if isinstance(v, str) and v)
    return ()


def _scopes(claims: dict[str, Any]) -> frozenset[str]:
    raw = claims.get("scope", claims.get("scopes"))
    if isinstance(raw, str):
        found = set(raw.split())
    elif isinstance(raw, list):
        found = {str(s) for s in raw}
    else:
        return frozenset({"scan"})
    return frozenset(found & TOKEN_SCOPES)
