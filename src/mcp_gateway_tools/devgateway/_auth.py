"""Inbound authentication: the one bearer token a caller sends to the gateway.

Three kinds of token map to a Principal: a virtual-account token (a service identity),
a user's personal access token, and an IdP JWT. A JWT's user is its ``email`` only
when the IdP vouches for it (``email_verified: true``); otherwise it is the IdP's
stable ``(iss, sub)`` pair, which can never be mistaken for a configured user's email
(an unverified ``email`` claim is whatever the account holder typed).
JWTs are verified with joserfc against a JWKS (the built-in test IdP's, or a remote
one); nothing here hand-rolls crypto. Errors carry a message safe to show the caller:
it never echoes the token.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any, Literal

import httpx2
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

from ._config import GatewayConfig

__all__ = ["AuthError", "Authenticator", "Principal", "TestIdp", "listed"]


def listed(allowed: tuple[str, ...], *names: str) -> bool:
    """Whether a config access list (``users``/``accounts``) admits any of ``names``
    (a user's name or identity, an account's name); ``"*"`` admits everyone."""
    return "*" in allowed or any(name in allowed for name in names)


@dataclass(frozen=True)
class Principal:
    """Who is calling. ``identity`` keys stored grants (the email for users)."""

    kind: Literal["user", "account"]
    name: str
    identity: str

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.name}"


class AuthError(Exception):
    """Inbound authentication failed (HTTP 401). ``kind`` becomes ``error.type``."""

    def __init__(self, message: str, *, kind: str = "InvalidTokenError") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


class TestIdp:
    """A built-in identity provider: an ES256 key generated per run, and its JWKS.

    Tests and notebooks get IdP-style user tokens (scenario B with JWTs) without
    any external service; ``issue`` accepts overrides to mint bad tokens on purpose.
    """

    __test__ = False  # not a pytest test class despite the name

    def __init__(self) -> None:
        kid = f"devgw-{secrets.token_hex(4)}"
        self._key = ECKey.generate_key("P-256", parameters={"kid": kid, "use": "sig"})
        self.kid = kid

    def jwks(self) -> dict[str, Any]:
        return dict(KeySet([self._key]).as_dict(private=False))

    def issue(
        self,
        email: str,
        *,
        issuer: str,
        audience: str,
        expires_in: float = 3600.0,
        extra_claims: dict[str, Any] | None = None,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": issuer,
            "aud": audience,
            "sub": email,
            "email": email,
            "email_verified": True,
            "iat": now,
            "exp": now + int(expires_in),
        }
        claims.update(extra_claims or {})
        return jwt.encode({"alg": "ES256", "kid": self.kid}, claims, self._key)


class Authenticator:
    """Maps a bearer token to a Principal, or raises AuthError."""

    def __init__(self, config: GatewayConfig, idp: TestIdp, *, issuer: str) -> None:
        self._config = config
        self._idp = idp
        self.issuer = issuer
        self.audience = config.idp.audience
        self._static: dict[str, Principal] = {}
        for name, user in config.users.items():
            for token in user.tokens:
                self._static[token] = Principal("user", name, user.email)
        for name, account in config.accounts.items():
            self._static[account.token] = Principal("account", name, f"account:{name}")
        self._by_email = {u.email.lower(): n for n, u in config.users.items()}
        self._keyset: KeySet | None = None

    def user_email(self, name: str) -> str | None:
        user = self._config.users.get(name)
        return user.email if user else None

    def principal_for_email(self, email: str) -> Principal:
        name = self._by_email.get(email.lower(), email)
        return Principal("user", name, email.lower())

    async def authenticate(self, authorization: str | None) -> Principal:
        if not authorization:
            raise AuthError(
                "Missing Authorization header; send 'Authorization: Bearer <token>'.",
                kind="MissingTokenError",
            )
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or " " in token:
            raise AuthError("Authorization header is not of the form 'Bearer <token>'.")
        for known, principal in self._static.items():
            if hmac.compare_digest(known.encode(), token.encode()):
                return principal
        if token.count(".") == 2:
            return await self._verify_jwt(token)
        raise AuthError("Unknown token: not a configured access token or a valid JWT.")

    async def _keys(self) -> KeySet:
        if self._keyset is not None:
            return self._keyset
        if self._config.idp.jwks_url is None:
            # Same path as a real IdP (public JWKS in, KeySet out), done once.
            self._keyset = KeySet.import_key_set(self._idp.jwks())  # type: ignore[arg-type]
        else:
            async with httpx2.AsyncClient(timeout=10.0) as client:
                resp = await client.get(self._config.idp.jwks_url)
                resp.raise_for_status()
                self._keyset = KeySet.import_key_set(resp.json())
        return self._keyset

    async def _verify_jwt(self, token: str) -> Principal:
        try:
            keys = await self._keys()
        except (httpx2.HTTPError, ValueError):
            raise AuthError("Cannot fetch the identity provider's JWKS.") from None
        try:
            decoded = jwt.decode(token, keys, algorithms=["ES256", "RS256"])
        except (JoseError, ValueError):
            raise AuthError("JWT signature or format is invalid.") from None
        registry = jwt.JWTClaimsRegistry(
            leeway=0,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.audience},
            exp={"essential": True},
            sub={"essential": True},
        )
        try:
            registry.validate(decoded.claims)
        except JoseError as exc:
            error = getattr(exc, "error", "invalid_claim")
            claim = getattr(exc, "claim", "")
            if error == "expired_token":
                raise AuthError("JWT has expired.", kind="ExpiredTokenError") from None
            raise AuthError(f"JWT claim {claim!r} is invalid ({error}).") from None
        return self._jwt_principal(decoded.claims)

    def _jwt_principal(self, claims: dict[str, Any]) -> Principal:
        """The user of verified claims: the email if verified, else ``(iss, sub)``."""
        email = claims.get("email")
        if claims.get("email_verified") is True and isinstance(email, str) and "@" in email:
            return self.principal_for_email(email)
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject.strip():
            raise AuthError("JWT has no usable 'sub' claim.")
        # The space keeps it from ever equalling an email address (emails have none).
        return Principal("user", subject, f"jwt:{claims['iss']} {subject}")
