"""Who the app's user is, for servers where the app runs OAuth for each user.

A gateway token says who the caller is to a gateway. A server whose OAuth the app runs
itself (``Server(url, oauth=OAuth())``) needs another principal: the app's own user
id, under which that user's grants are stored. It is bound per request exactly like
the token (:func:`app_user` here, the run context / ``configurable`` key ``app_user``
in LangChain, the workflow Context key ``"app_user"`` in LlamaIndex). It is an
identifier, not a secret, but it is never guessed: no bound user is an error.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Iterator
from contextlib import contextmanager

from ._errors import ConfigurationError, MissingAppUser

__all__ = [
    "APP_USER_KEY",
    "app_user",
    "app_user_scope",
    "bound_app_user",
    "check_app_user",
    "require_app_user",
]

APP_USER_KEY = "app_user"
"""The per-request key adapters read (run context, ``configurable``, workflow Context)."""

_bound: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "mcp_gateway_tools_app_user", default=None
)
_USER_ID = re.compile(r"[\x21-\x7e]{1,256}")


def check_app_user(user: object) -> str:
    """``user`` if it is a usable app user id (1-256 visible ASCII characters)."""
    if not isinstance(user, str) or not _USER_ID.fullmatch(user):
        raise ConfigurationError(
            "An app user id must be a str of 1 to 256 visible ASCII characters "
            "(the app's own stable user id; it is not shown)."
        )
    return user


@contextmanager
def app_user(user: str) -> Iterator[None]:
    """Bind the app's user id for the current context (task, thread, spawned tasks).

    Calls to servers whose OAuth the app runs use that user's grants; with none stored,
    they raise :class:`~mcp_gateway_tools.AuthorizationRequired` with a link for them.

    >>> with app_user(session.user_id):
    ...     await agent.ainvoke(...)
    """
    reset = _bound.set(check_app_user(user))
    try:
        yield
    finally:
        _bound.reset(reset)


@contextmanager
def app_user_scope(user: object) -> Iterator[None]:
    """:func:`app_user` when an adapter found a per-request user; else nothing changes.

    ``None`` means "not set here" (an outer ``app_user()`` binding stays); anything else
    must be a valid id (never ``str(obj)``).
    """
    if user is None:
        yield
        return
    with app_user(check_app_user(user)):
        yield


def bound_app_user() -> str | None:
    """The app user id bound by :func:`app_user` here, if any."""
    return _bound.get()


def require_app_user(user: str | None = None) -> str:
    """``user`` if given, else the bound one; fail closed when there is none."""
    if user is not None:
        return check_app_user(user)
    bound = _bound.get()
    if bound is None:
        raise MissingAppUser(
            "This server's OAuth is run by the app for each of its users, and no app user "
            "is bound. Bind one per request: `with mcp_gateway_tools.app_user(user_id):`, "
            "LangChain run context / config['configurable'] key 'app_user', or the "
            "LlamaIndex workflow Context key 'app_user'."
        )
    return bound
