"""GitHub Apps in the emulator: registered apps, their installations, and JWT checks.

An app authenticates as itself with a short-lived RS256 JWT (``iss`` = app id, ``iat`` not
in the future, ``exp`` in the future but at most 10 minutes ahead) and uses it only to find
its installations and mint installation tokens; those tokens do the real work.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

MAX_JWT_LIFETIME = 600  # seconds: GitHub refuses an ``exp`` further ahead than this
DEFAULT_TOKEN_LIFETIME = timedelta(hours=1)
DEFAULT_APP_PERMISSIONS = {
    "metadata": "read",
    "contents": "write",
    "pull_requests": "write",
    "issues": "write",
    "statuses": "read",
    "checks": "read",
}
AccountType = Literal["Organization", "User"]

_JWT_SHAPE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
_TOKEN_ALPHABET = string.ascii_letters + string.digits


class JwtRefused(Exception):
    """A JWT GitHub would answer 401 to; the message is GitHub's."""


@dataclass
class InstallationRecord:
    id: int
    app_id: int
    account: str
    account_type: AccountType
    repositories: list[str] | None  # repository names in ``account``; None: all of them
    permissions: dict[str, str]
    created_at: datetime

    @property
    def selection(self) -> Literal["all", "selected"]:
        return "all" if self.repositories is None else "selected"

    def covers(self, full_name: str) -> bool:
        owner, _, name = full_name.lower().partition("/")
        if owner != self.account.lower():
            return False
        return self.repositories is None or name in {r.lower() for r in self.repositories}


@dataclass
class AppRecord:
    id: int
    slug: str
    client_id: str
    owner: str
    public_key: rsa.RSAPublicKey
    permissions: dict[str, str]
    token_lifetime: timedelta
    created_at: datetime
    installations: dict[int, InstallationRecord] = field(default_factory=dict)
    tokens_minted: int = 0

    @property
    def bot_login(self) -> str:
        return f"{self.slug}[bot]"

    def installation_on(self, account: str) -> InstallationRecord | None:
        return next(
            (i for i in self.installations.values() if i.account.lower() == account.lower()),
            None,
        )


def generate_private_key() -> tuple[rsa.RSAPrivateKey, str]:
    """A fresh app key and its PEM, in the PKCS#1 form GitHub's key download uses."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    return key, pem


def new_installation_token() -> str:
    """``ghs_`` and 36 letters or digits, the shape of GitHub's installation tokens."""
    return "ghs_" + "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(36))


def looks_like_jwt(token: str) -> bool:
    if not _JWT_SHAPE.match(token):
        return False
    head = token.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (binascii.Error, ValueError):
        return False
    return isinstance(header, dict) and "alg" in header


def verify_jwt(token: str, find_app: Callable[[str], AppRecord | None], now: datetime) -> AppRecord:
    """The app that signed ``token``, checked as GitHub checks it; else ``JwtRefused``."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        app = find_app(str(claims.get("iss")))
        if app is None:
            raise JwtRefused("A JSON web token could not be decoded")
        jwt.decode(
            token,
            app.public_key,
            algorithms=["RS256"],
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
    except jwt.PyJWTError as exc:
        raise JwtRefused("A JSON web token could not be decoded") from exc
    seconds = int(now.timestamp())
    issued, expires = claims.get("iat"), claims.get("exp")
    if not isinstance(issued, int) or issued > seconds:
        raise JwtRefused(
            "'Issued at' claim ('iat') must be an Integer representing the time that the "
            "assertion was issued"
        )
    if not isinstance(expires, int) or expires <= seconds:
        raise JwtRefused(
            "'Expiration time' claim ('exp') must be a numeric value representing the future "
            "time at which the assertion expires"
        )
    if expires - seconds > MAX_JWT_LIFETIME:
        raise JwtRefused("'Expiration time' claim ('exp') is too far in the future")
    return app
