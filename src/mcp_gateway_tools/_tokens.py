"""Token binding, validation, providers and resolution.

One rule decides whose identity a call carries (DESIGN §4): an explicit per-call token
(what adapters pass from the framework's per-request value) wins, then the token bound
with :func:`user_token`, then the Gateway's static service token. A bound user token is
never silently replaced by the service token, and no token at all is an error.

Wherever a token is accepted, a *provider* is accepted too: a callable (sync or async)
taking no argument and returning the current token, for IdP JWTs that expire and
virtual-account tokens that rotate. :class:`ProviderCache` asks it at every call and
keeps the :class:`Credential` while the answer stays the same.

Tokens are visible ASCII only (RFC 6750 ``b64token``); anything else is refused as
:class:`InvalidToken` without echoing it, before it can reach a header encoder. Tokens
live in :class:`pydantic.SecretStr`; pools, caches and logs identify them by a keyed
HMAC (full 64 hex digits in keys, a 12-digit prefix in logs) that is useless outside
this process.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import inspect
import re
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Literal, TypeAlias

from pydantic import SecretStr

from ._errors import ConfigurationError, InvalidToken, MissingUserToken
from ._headers import HeaderItems

__all__ = [
    "Credential",
    "ProviderCache",
    "TokenInput",
    "TokenProvider",
    "TokenValue",
    "bound_user_token",
    "conceal",
    "fingerprint",
    "pick_token",
    "resolve_credential",
    "user_token",
]

# A per-process key: fingerprints are stable within a process (pool keys, log lines)
# and useless outside it.
_FINGERPRINT_KEY = secrets.token_bytes(32)

TokenValue: TypeAlias = str | SecretStr
TokenProvider: TypeAlias = Callable[[], TokenValue | Awaitable[TokenValue]]
"""A callable (sync or async) returning the current token."""
TokenInput: TypeAlias = TokenValue | TokenProvider

_bound: contextvars.ContextVar[SecretStr | TokenProvider | None] = contextvars.ContextVar(
    "mcp_gateway_tools_user_token", default=None
)

TokenSource = Literal["call", "bound", "service"]

_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")  # RFC 6750 §2.1


def conceal(token: TokenInput) -> SecretStr | TokenProvider:
    """A plain str token wrapped in SecretStr as soon as it enters (a provider as is)."""
    return SecretStr(token) if isinstance(token, str) else token


def _checked(secret: SecretStr) -> SecretStr | Literal["empty", "malformed"]:
    """The normalised token, or why it is refused (never raising: see Credential.of)."""
    value = secret.get_secret_value().strip()
    scheme, _, rest = value.partition(" ")
    if scheme.lower() == "bearer":  # accept a pasted "Bearer <token>"
        value = rest.strip()
    if not value:
        return "empty"
    if not _B64TOKEN.fullmatch(value):
        return "malformed"
    return SecretStr(value)


def _same(a: SecretStr, b: SecretStr) -> bool:
    """Constant-time comparison of two tokens."""
    return hmac.compare_digest(
        a.get_secret_value().encode("utf-8", "surrogatepass"),
        b.get_secret_value().encode("utf-8", "surrogatepass"),
    )


def fingerprint(token: str) -> str:
    """A keyed, non-reversible identifier for ``token`` (the full HMAC, 64 hex)."""
    return hmac.new(_FINGERPRINT_KEY, token.encode(), hashlib.sha256).hexdigest()


def _identity(token: str, headers: HeaderItems) -> str:
    """The HMAC over the token and the extra headers an open session carries."""
    mac = hmac.new(_FINGERPRINT_KEY, token.encode(), hashlib.sha256)
    for name, value in headers:
        mac.update(b"\x00" + name.lower().encode() + b"\x00" + value.encode())
    return mac.hexdigest()


@dataclass(frozen=True)
class Credential:
    """The token a call will carry, where it came from, and its extra headers.

    ``source`` is ``"service"`` for the Gateway's static token, which lets error
    messages explain that a service token cannot hold per-user OAuth grants.
    ``fingerprint`` identifies the token; ``identity`` identifies what an open session
    is bound to (the token plus the extra headers) and keys the session pool and caches.
    """

    secret: SecretStr = field(repr=False)
    source: TokenSource
    fingerprint: str
    headers: HeaderItems = field(default=(), repr=False, compare=False)
    identity: str = ""

    def __post_init__(self) -> None:
        if not self.identity:
            object.__setattr__(self, "identity", self.fingerprint)

    @classmethod
    def of(cls, token: TokenValue, source: TokenSource) -> Credential:
        """Validate ``token`` (a pasted ``Bearer <t>`` is accepted) and identify it.

        No frame left in a traceback holds the token as plain text: a refused token
        leaves only SecretStr locals behind (error trackers record frame locals).
        """
        secret = token if isinstance(token, SecretStr) else SecretStr(token)
        del token
        if not isinstance(secret.get_secret_value(), str):
            raise ConfigurationError("A token must be a str.")
        checked = _checked(secret)
        if checked == "empty":
            raise MissingUserToken("An empty token was given; bind a non-empty token.")
        if checked == "malformed":
            raise InvalidToken(
                "The token is malformed: a bearer token may hold only ASCII letters, digits "
                "and - . _ ~ + / (then = padding). It was refused and not sent."
            )
        assert isinstance(checked, SecretStr)
        return cls(checked, source, fingerprint(checked.get_secret_value()))

    @property
    def is_service(self) -> bool:
        return self.source == "service"

    @property
    def short(self) -> str:
        """A prefix of :attr:`identity` for log lines."""
        return self.identity[:12]

    def with_headers(self, headers: HeaderItems) -> Credential:
        """This token with ``headers`` (canonical order) as part of its identity."""
        if headers == self.headers:
            return self
        ident = _identity(self.secret.get_secret_value(), headers) if headers else ""
        return replace(self, headers=headers, identity=ident or self.fingerprint)

    def authorization(self) -> str:
        """The Authorization header value: the only place the token is ever written."""
        return f"Bearer {self.secret.get_secret_value()}"

    def request_headers(self) -> dict[str, str]:
        """Every header an open session sends: the extra ones, then Authorization."""
        return {**dict(self.headers), "Authorization": self.authorization()}


@contextmanager
def user_token(token: TokenInput) -> Iterator[None]:
    """Bind the end user's gateway token (or a provider of it) for the current context.

    The binding follows the context: the current thread or task, and tasks spawned
    inside the block (``asyncio`` copies context into new tasks). Other threads and
    concurrently running tasks keep their own binding, so requests served in parallel
    never see each other's tokens. ``token`` may be a callable (sync or async) returning
    the current token: it is asked at each call.

    >>> with user_token(request_token):
    ...     await agent.ainvoke(...)
    """
    reset = _bound.set(SecretStr(token) if isinstance(token, str) else token)
    try:
        yield
    finally:
        _bound.reset(reset)


def bound_user_token() -> SecretStr | TokenProvider | None:
    """The token (a SecretStr) or provider bound by :func:`user_token` here, if any."""
    return _bound.get()


def pick_token(
    call_token: TokenInput | None, service_token: TokenInput | None
) -> tuple[TokenInput, TokenSource]:
    """Which token (or provider) a call carries, in the documented order, failing closed."""
    if call_token is not None:
        return call_token, "call"
    bound = _bound.get()
    if bound is not None:
        return bound, "bound"
    if service_token is not None:
        return service_token, "service"
    raise MissingUserToken(
        "No gateway token for this call. Bind the end user's token in one of three ways: "
        "pass it per request (LangChain: runtime context `user_token` or "
        "config['configurable']['user_token']; LlamaIndex: the workflow Context key "
        "'user_token'), wrap the call in `with mcp_gateway_tools.user_token(token):`, "
        "or give the Gateway a service token with Gateway(url, token=...)."
    )


def resolve_credential(
    call_token: TokenValue | None, service_token: TokenValue | None
) -> Credential:
    """The identity of one call whose tokens are plain values (no providers)."""
    value, source = pick_token(call_token, service_token)
    if callable(value):
        raise ConfigurationError("resolve_credential() takes token values, not providers.")
    return Credential.of(value, source)


def _provider_value(value: object) -> SecretStr:
    """A provider's answer, checked for type and wrapped in SecretStr."""
    if value is None:
        raise MissingUserToken("The token provider returned no token (None).")
    if not isinstance(value, str | SecretStr):
        raise ConfigurationError(
            f"A token provider must return a str or SecretStr, not {type(value).__name__}."
        )
    return value if isinstance(value, SecretStr) else SecretStr(value)


@dataclass
class _Slot:
    raw: SecretStr = field(repr=False)
    credential: Credential


class ProviderCache:
    """The last token each provider gave, and its Credential; rotation is reported.

    Keyed by the provider object (bounded LRU, ``bound`` entries). Asking a provider is
    the caller's cost; validating and fingerprinting its answer happens only when the
    answer changes. When a provider answers a new token, ``on_rotate`` gets the old
    Credential so its sessions can be closed at once instead of idling out.
    """

    def __init__(self, bound: int, on_rotate: Callable[[Credential], None]) -> None:
        self._bound = bound
        self._on_rotate = on_rotate
        self._slots: OrderedDict[object, _Slot] = OrderedDict()

    def __len__(self) -> int:
        return len(self._slots)

    async def resolve(self, provider: TokenProvider, source: TokenSource) -> Credential:
        """Ask ``provider`` now (awaiting it if async) and return its Credential."""
        produced = provider()
        if inspect.isawaitable(produced):
            produced = await produced
        value = _provider_value(produced)
        del produced
        return self.accept(provider, value, source)

    def resolve_sync(self, provider: TokenProvider, source: TokenSource) -> Credential:
        """:meth:`resolve` for a sync provider (an async one is a ConfigurationError)."""
        produced = provider()
        if inspect.isawaitable(produced):
            close = getattr(produced, "close", None)
            if close is not None:
                close()  # never leave an un-awaited coroutine behind
            raise ConfigurationError(
                "This token provider is async: use 'await gateway.acredential()' or call "
                "the async API."
            )
        value = _provider_value(produced)
        del produced
        return self.accept(provider, value, source)

    def accept(self, provider: object, value: TokenValue, source: TokenSource) -> Credential:
        """The Credential for ``provider``'s answer ``value``, cached while unchanged."""
        secret = value if isinstance(value, SecretStr) else SecretStr(value)
        del value
        try:
            slot = self._slots.get(provider)
        except TypeError:  # an unhashable callable: nothing to cache it under
            return Credential.of(secret, source)
        same = slot is not None and slot.credential.source == source
        if slot is not None and same and _same(slot.raw, secret):
            self._slots.move_to_end(provider)
            return slot.credential
        credential = Credential.of(secret, source)
        if slot is not None and slot.credential.fingerprint != credential.fingerprint:
            self._on_rotate(slot.credential)
        self._slots[provider] = _Slot(secret, credential)
        self._slots.move_to_end(provider)
        while len(self._slots) > self._bound:
            self._slots.popitem(last=False)
        return credential
