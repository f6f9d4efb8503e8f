"""Who is calling and what their credentials may do: the emulator's model of token scope.

Tokens come in GitHub's three kinds: a classic personal token reaches everything its account
does (the tokens given to ``GitHubEmulator(tokens=...)``); a fine-grained personal token and
a GitHub App installation token are limited to some repositories and to named permissions.
A GitHub App itself calls with a JWT signed by its private key (``apps``). The REST API and
git smart HTTP both ask this module, so a read-only token is read-only on both.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from aodfix.emulator.github.apps import AppRecord, JwtRefused, looks_like_jwt, verify_jwt
from aodfix.emulator.github.auth import token_from_authorization

TokenKind = Literal["classic", "fine_grained", "installation"]
Level = Literal["read", "write"]

LEVELS = {"read": 1, "write": 2, "admin": 3}
BAD_CREDENTIALS = "Bad credentials"
BAD_JWT = "A JSON web token could not be decoded"
NOT_FOR_INTEGRATIONS = "Resource not accessible by integration"
NOT_FOR_FINE_GRAINED = "Resource not accessible by personal access token"


@dataclass(frozen=True)
class TokenGrant:
    """What one token may do. ``repositories``/``permissions`` None mean "no limit"."""

    label: str  # names the token in the request log; never the token itself
    login: str  # the account it acts as (``slug[bot]`` for an installation token)
    kind: TokenKind
    owner: str | None = None  # lower case; an installation reaches one account's repositories
    repositories: frozenset[str] | None = None  # lower-case full names
    permissions: Mapping[str, str] | None = None  # {"contents": "read", ...}
    expires_at: datetime | None = None
    installation_id: int | None = None

    def covers(self, full_name: str) -> bool:
        """Whether the token was granted this repository (public ones are readable anyway)."""
        key = full_name.lower()
        if self.owner is not None and key.split("/", 1)[0] != self.owner:
            return False
        return self.repositories is None or key in self.repositories

    def allows(self, permissions: Collection[str], level: Level) -> bool:
        """Whether one of ``permissions`` is granted at ``level`` or above; an empty
        collection means the endpoint needs only ``metadata: read``, which every token has."""
        if self.permissions is None:
            return True
        if not permissions:
            return level == "read"
        need = LEVELS[level]
        return any(LEVELS.get(self.permissions.get(name, ""), 0) >= need for name in permissions)

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    @property
    def refusal(self) -> str:
        """GitHub's 403 message when the token lacks a permission."""
        return NOT_FOR_INTEGRATIONS if self.kind == "installation" else NOT_FOR_FINE_GRAINED


@dataclass(frozen=True)
class Caller:
    """The credentials of one request: a token's grant, an app (valid JWT), or neither."""

    grant: TokenGrant | None = None
    app: AppRecord | None = None
    refusal: str | None = None  # credentials were given but not accepted: the 401 message

    @property
    def anonymous(self) -> bool:
        return self.grant is None and self.app is None and self.refusal is None

    @property
    def label(self) -> str | None:
        if self.grant is not None:
            return self.grant.label
        if self.app is not None:
            return f"app {self.app.id} (JWT)"
        return None


@dataclass
class Access:
    """Every token and app of one emulator; shared by the server and test threads."""

    login: str
    apps: dict[int, AppRecord] = field(default_factory=dict)
    _grants: dict[str, TokenGrant] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def with_classic_tokens(cls, login: str, tokens: Iterable[str]) -> Access:
        access = cls(login)
        for index, token in enumerate(tokens, 1):
            access.add(token, TokenGrant(f"token-{index}", login, "classic"))
        return access

    def add(self, token: str, grant: TokenGrant) -> None:
        with self._lock:
            if token in self._grants:
                raise ValueError(f"the emulator already has a token labelled {grant.label!r}")
            self._grants[token] = grant

    def grant(self, token: str) -> TokenGrant | None:
        with self._lock:
            return self._grants.get(token)

    def grants(self) -> list[tuple[str, TokenGrant]]:
        with self._lock:
            return list(self._grants.items())

    def count(self) -> int:
        with self._lock:
            return len(self._grants)

    def add_app(self, app: AppRecord) -> None:
        with self._lock:
            if app.id in self.apps:
                raise ValueError(f"app {app.id} is already registered")
            self.apps[app.id] = app

    def find_app(self, issuer: str) -> AppRecord | None:
        """The app a JWT's ``iss`` names: its id (GitHub also takes its client id)."""
        with self._lock:
            return next(
                (app for app in self.apps.values() if issuer in (str(app.id), app.client_id)),
                None,
            )

    def identify(self, authorization: str | None) -> Caller:
        if not authorization:
            return Caller()
        token = token_from_authorization(authorization)
        if token is None:
            return Caller(refusal=BAD_CREDENTIALS)
        if looks_like_jwt(token):
            try:
                return Caller(app=verify_jwt(token, self.find_app, datetime.now(UTC)))
            except JwtRefused as refused:
                return Caller(refusal=str(refused))
        grant = self.grant(token)
        if grant is None or grant.expired(datetime.now(UTC)):
            return Caller(refusal=BAD_CREDENTIALS)
        return Caller(grant=grant)
