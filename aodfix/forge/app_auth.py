"""GitHub App authentication: short-lived installation tokens instead of one personal token.

Why: the agent's sandbox is untrusted, so it must never hold a token that can write. A
GitHub App mints tokens limited to chosen repositories and permissions: aodfix's own calls
use the installation token of each owner, and each sandbox gets its own token that can only
read its one repository. Every token minted is registered for redaction.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from github import Auth, GithubException, GithubIntegration, UnknownObjectException
from github.InstallationAuthorization import InstallationAuthorization

from aodfix.redact import register_secret

ENV_APP_ID = "AODFIX_GITHUB_APP_ID"
ENV_PRIVATE_KEY = "AODFIX_GITHUB_APP_PRIVATE_KEY"
ENV_PRIVATE_KEY_FILE = "AODFIX_GITHUB_APP_PRIVATE_KEY_FILE"

SANDBOX_PERMISSIONS = {"contents": "read"}
# Refresh this long before expiry, so a token handed out is good for a git push or a PR.
REFRESH_MARGIN = timedelta(minutes=5)


class AppAuthError(Exception):
    """The App cannot give a token: not installed, repository outside it, GitHub refused."""


@dataclass(frozen=True)
class AppCredentials:
    """A GitHub App's id and private key (PEM); the key never appears in a repr."""

    app_id: int
    private_key: str = field(repr=False)

    def __post_init__(self) -> None:
        try:
            key = serialization.load_pem_private_key(self.private_key.encode(), password=None)
        except (ValueError, TypeError) as exc:
            raise ValueError("the GitHub App private key is not an unencrypted PEM key") from exc
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("the GitHub App private key is not an RSA key (GitHub signs RS256)")
        register_secret(self.private_key)  # also keeps it out of child processes' environment

    def __repr__(self) -> str:
        return f"AppCredentials(app_id={self.app_id}, private_key=<hidden>)"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> AppCredentials | None:
        """The App configured in ``environ``; None when none is; ValueError when half is."""
        app_id = environ.get(ENV_APP_ID, "").strip()
        key = environ.get(ENV_PRIVATE_KEY, "").strip()
        key_file = environ.get(ENV_PRIVATE_KEY_FILE, "").strip()
        if not (app_id or key or key_file):
            return None
        if key and key_file:
            raise ValueError(f"set {ENV_PRIVATE_KEY} or {ENV_PRIVATE_KEY_FILE}, not both")
        if not app_id:
            named = ENV_PRIVATE_KEY if key else ENV_PRIVATE_KEY_FILE
            raise ValueError(f"{named} is set but {ENV_APP_ID} is not")
        if not (key or key_file):
            raise ValueError(
                f"{ENV_APP_ID} is set but neither {ENV_PRIVATE_KEY} nor {ENV_PRIVATE_KEY_FILE}"
            )
        if not app_id.isdigit():
            raise ValueError(f"{ENV_APP_ID} must be the App's numeric id, not {app_id!r}")
        source = ENV_PRIVATE_KEY
        if key_file:
            source = f"{ENV_PRIVATE_KEY_FILE} ({key_file})"
            try:
                key = Path(key_file).expanduser().read_text()
            except (OSError, UnicodeDecodeError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) else "not a text file"
                raise ValueError(f"cannot read {source}: {reason}") from exc
        elif "\\n" in key and "\n" not in key:
            key = key.replace("\\n", "\n")  # a PEM squeezed onto one line in a .env file
        try:
            return cls(int(app_id), key.strip() + "\n")
        except ValueError as exc:
            raise ValueError(f"{source}: {exc}") from None


@dataclass(frozen=True)
class _Minted:
    token: str
    expires_at: datetime


class InstallationTokens:
    """Installation tokens of one App, found per owner, cached and refreshed before expiry.

    Thread-safe: worker threads share one instance; each owner's token is minted once at a
    time, and different owners do not wait for each other.
    """

    def __init__(
        self,
        credentials: AppCredentials,
        api_url: str,
        *,
        refresh_margin: timedelta = REFRESH_MARGIN,
        timeout: int = 15,
    ) -> None:
        self._app_id = credentials.app_id
        self._api_url = api_url
        self._refresh_margin = refresh_margin
        self._integration = GithubIntegration(
            base_url=api_url,
            auth=Auth.AppAuth(credentials.app_id, credentials.private_key),
            timeout=timeout,
            # Minting is not content creation; the one-second write pause would only
            # serialise the sandboxes' token requests.
            seconds_between_writes=None,
        )
        self._lock = threading.Lock()
        self._owner_locks: dict[str, threading.Lock] = {}
        self._installations: dict[str, int] = {}
        self._tokens: dict[str, _Minted] = {}

    def token_for(self, owner: str) -> str:
        """aodfix's own token for ``owner``'s repositories (all the installation grants)."""
        key = owner.lower()
        with self._owner_lock(key):
            cached = self._tokens.get(key)
            if cached is not None and cached.expires_at - self._refresh_margin > _now():
                return cached.token
            installation = self._installation_id(owner)
            minted = self._mint(owner, installation, None)
            self._tokens[key] = minted
            return minted.token

    def sandbox_token(self, repository: str) -> str:
        """A fresh token that can only read ``OWNER/NAME``: what an agent's sandbox gets."""
        owner, _, name = repository.partition("/")
        if not owner or not name or "/" in name:
            raise AppAuthError(f"not a repository full name (OWNER/NAME): {repository!r}")
        with self._owner_lock(owner.lower()):
            installation = self._installation_id(owner)
        return self._mint(repository, installation, name).token

    def close(self) -> None:
        self._integration.close()

    def _owner_lock(self, key: str) -> threading.Lock:
        with self._lock:
            return self._owner_locks.setdefault(key, threading.Lock())

    def _installation_id(self, owner: str) -> int:
        """The installation on ``owner`` (cached); the caller holds the owner's lock."""
        key = owner.lower()
        if key not in self._installations:
            with self._refusals(f"the installation on {owner}"):
                self._installations[key] = self._find_installation(owner)
        return self._installations[key]

    def _find_installation(self, owner: str) -> int:
        try:
            return int(self._integration.get_org_installation(owner).id)
        except UnknownObjectException:
            pass  # not an organisation, or not installed there
        try:
            return int(self._integration.get_user_installation(owner).id)
        except UnknownObjectException:
            raise AppAuthError(
                f"the GitHub App {self._app_id} is not installed on {owner}: install it on "
                "that account"
            ) from None

    def _mint(self, what: str, installation: int, repository: str | None) -> _Minted:
        with self._refusals(f"a token for {what}"):
            if repository is None:
                authorization = self._integration.get_access_token(installation)
            else:
                # PyGithub's get_access_token cannot limit repositories: same call, fuller body.
                requester = self._integration.requester
                headers, data = requester.requestJsonAndCheck(
                    "POST",
                    f"/app/installations/{installation}/access_tokens",
                    input={"repositories": [repository], "permissions": SANDBOX_PERMISSIONS},
                )
                authorization = InstallationAuthorization(requester, headers, data)
        token = str(authorization.token)
        register_secret(token)
        expires_at: datetime = authorization.expires_at
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
        return _Minted(token, expires_at)

    @contextlib.contextmanager
    def _refusals(self, what: str) -> Iterator[None]:
        """GitHub's refusals and network failures as one readable ``AppAuthError`` line."""
        try:
            yield
        except GithubException as exc:
            data = exc.data if isinstance(exc.data, dict) else {}
            reason = " ".join(str(data.get("message") or "no reason given").split())
            hint = _HINTS.get(exc.status, "")
            raise AppAuthError(
                f"GitHub App {self._app_id}: GitHub refused {what}: {exc.status} {reason}{hint}"
            ) from None
        except requests.RequestException as exc:
            raise AppAuthError(
                f"GitHub App {self._app_id}: cannot reach {self._api_url} for {what}: "
                f"{type(exc).__name__}"
            ) from None


_HINTS = {
    401: " (check the App id and private key, and this machine's clock)",
    422: " (is the repository in the App's installation, with those permissions?)",
}


def _now() -> datetime:
    return datetime.now(UTC)
