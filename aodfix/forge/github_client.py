"""One PyGithub client and one write throttle for the whole batch.

GitHub's secondary limits are per token, not per repository (DESIGN.md §6): writes run one
at a time, each in a slot booked under GitHub's content-creation limits and a minimum
interval (``forge.pacing``), and rate-limit answers are honoured here —
``Retry-After`` first, then ``X-RateLimit-Reset`` — instead of inside urllib3, which
ignores ``Retry-After`` on a 403. Transient 5xx answers are retried with backoff. A wait
that would pass ``max_wait`` gives up with ``GitHubRateLimited`` so the repository is
reported, not stuck.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from github import Auth, Github, GithubException, RateLimitExceededException

from aodfix.forge.app_auth import AppAuthError, AppCredentials, InstallationTokens
from aodfix.forge.pacing import (
    DEFAULT_CONTENT_LIMITS,
    ENV_CONTENT_LIMITS,
    BudgetSpent,
    ContentPacer,
    Window,
    parse_limits,
)

T = TypeVar("T")

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_SERVER_URL = "https://github.com"
SECONDARY_WAIT_WITHOUT_HEADER = 60.0
SERVER_ERROR_RETRIES = 4
CONNECTIONS = 32  # >= the threads that call GitHub at once (pipeline.context's pools)


class GitHubRateLimited(Exception):
    """GitHub asked for a longer pause than the batch is allowed to wait."""


@dataclass(frozen=True)
class GitHubSettings:
    """Where GitHub is and how to talk to it; the token never leaves this object."""

    api_url: str
    server_url: str
    token: str
    write_interval: float = 1.0
    max_wait: float = 900.0
    content_limits: tuple[Window, ...] = parse_limits(DEFAULT_CONTENT_LIMITS)
    app: AppCredentials | None = None  # a GitHub App: installation tokens instead of token
    sandbox_token: str = ""  # AODFIX_SANDBOX_TOKEN: read-only, for cloning private repositories

    def __repr__(self) -> str:  # keep the token out of tracebacks and logs
        return f"GitHubSettings(api_url={self.api_url!r}, server_url={self.server_url!r})"

    @property
    def can_write(self) -> bool:
        """A token or an App that can push and open PRs is configured."""
        return bool(self.token or self.app)

    def web_url(self, repository: str) -> str:
        return f"{self.server_url}/{repository}"


class GitHubGateway:
    """The batch's shared PyGithub client; every call goes through ``read`` or ``write``."""

    def __init__(
        self,
        settings: GitHubSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        stop: threading.Event | None = None,
    ) -> None:
        self.settings = settings
        self.github = _client(settings, settings.token)
        self._installations = (
            InstallationTokens(settings.app, settings.api_url) if settings.app else None
        )
        self._owner_clients: dict[str, tuple[str, Github]] = {}
        self._clients_lock = threading.Lock()
        self._clock = clock
        self._stop = stop or threading.Event()
        self._write_lock = threading.Lock()
        self._pacer = ContentPacer(
            settings.content_limits, interval=settings.write_interval, clock=clock
        )
        # Searches run one at a time per bucket, so each sees the answer before it; core
        # reads (the per-PR reads of status, in a pool) are never serialised here.
        self._bucket_locks = {"search": threading.Lock(), "code_search": threading.Lock()}
        self._bucket_reset: dict[str, float] = {}  # bucket -> epoch its budget comes back

    def token(self, owner: str) -> str:
        """aodfix's own token for ``owner``'s repositories (an App's installation token, or
        the configured token); raises AppAuthError when the App is not installed there."""
        if self._installations is None:
            return self.settings.token
        return self._installations.token_for(owner)

    def client(self, owner: str) -> Github:
        """The PyGithub client for ``owner``'s repositories (per installation with an App,
        renewed with its token)."""
        if self._installations is None:
            return self.github
        token = self.token(owner)
        with self._clients_lock:
            known = self._owner_clients.get(owner.lower())
            if known is None or known[0] != token:
                known = (token, _client(self.settings, token))
                self._owner_clients[owner.lower()] = known
            return known[1]

    def sandbox_token(self, repository: str) -> str:
        """A token the agent's sandbox may hold: one repository, ``contents: read`` (App)."""
        if self._installations is None:
            raise AppAuthError("no GitHub App is configured to mint sandbox tokens")
        return self._installations.sandbox_token(repository)

    def read(self, call: Callable[[], T]) -> T:
        return self._with_retries(call)

    def get_json(self, client: Github, path: str, parameters: dict[str, Any]) -> Any:
        """One GET's JSON, paced on its rate-limit bucket's own answers: searches have small
        budgets of their own (30 a minute, code search 10), and when an answer says its
        bucket is spent the next request of that bucket waits for the reset instead of
        running into a 403."""
        bucket = _bucket(path)
        lock = self._bucket_locks.get(bucket)
        with lock if lock is not None else contextlib.nullcontext():
            wait = self._bucket_reset.pop(bucket, 0.0) - time.time()
            if wait > 0:
                if wait > self.settings.max_wait:
                    raise GitHubRateLimited(
                        f"GitHub {bucket} rate limit: asked to wait {wait:.0f} s"
                        f" (AODFIX_GITHUB_MAX_WAIT={self.settings.max_wait:g})"
                    )
                self._sleep(wait)
            requester = client.requester
            headers, data = self._with_retries(
                lambda: requester.requestJsonAndCheck("GET", path, parameters=parameters)
            )
            lower = {k.lower(): v for k, v in headers.items()}
            reset = lower.get("x-ratelimit-reset", "")
            if lower.get("x-ratelimit-remaining") == "0" and reset.isdigit():
                self._bucket_reset[bucket] = float(reset) + 1.0
            return data

    def reserve(self, count: int) -> list[float]:
        """Book ``count`` consecutive write slots (one PR's writes, so it goes out whole).

        Raises GitHubRateLimited, with nothing booked, when GitHub's content-creation
        limits leave no room for them within ``max_wait``."""
        try:
            return self._pacer.book(horizon=self.settings.max_wait, count=count)
        except BudgetSpent as exc:
            raise GitHubRateLimited(
                f"{exc}, past AODFIX_GITHUB_MAX_WAIT={self.settings.max_wait:g}"
                f" ({ENV_CONTENT_LIMITS})"
            ) from None

    def write(self, call: Callable[[], T], *, slot: float | None = None) -> T:
        """Run one write call in its slot (``reserve``d, or booked now), one write at a
        time for the whole batch."""
        if slot is None:
            slot = self.reserve(1)[0]
        wait = slot - self._clock()
        if wait > 0:
            self._sleep(wait)
        with self._write_lock:
            return self._with_retries(call)

    def close(self) -> None:
        self._stop.set()
        self.github.close()
        with self._clients_lock:
            for _, client in self._owner_clients.values():
                client.close()
        if self._installations is not None:
            self._installations.close()

    def _with_retries(self, call: Callable[[], T]) -> T:
        waited = 0.0
        server_errors = 0
        while True:
            try:
                return call()
            except GithubException as exc:
                pause = _rate_limit_pause(exc, time.time())
                if pause is not None:
                    if waited + pause > self.settings.max_wait:
                        raise GitHubRateLimited(
                            f"GitHub rate limit: asked to wait {pause:.0f} s more after"
                            f" {waited:.0f} s (AODFIX_GITHUB_MAX_WAIT={self.settings.max_wait:g})"
                        ) from None
                elif exc.status >= 500 and server_errors < SERVER_ERROR_RETRIES:
                    server_errors += 1
                    pause = 0.5 * 2**server_errors
                else:
                    raise
            except (requests.ConnectionError, requests.Timeout):
                if server_errors >= SERVER_ERROR_RETRIES:
                    raise
                server_errors += 1
                pause = 0.5 * 2**server_errors
            self._sleep(pause)
            waited += pause

    def _sleep(self, seconds: float) -> None:
        if self._stop.wait(seconds):
            raise GitHubRateLimited("interrupted while waiting for GitHub")


def _client(settings: GitHubSettings, token: str) -> Github:
    # retry=None: rate limits and 5xx are handled by the gateway, where Retry-After is
    # honoured. PyGithub's own throttle is off; ``write`` spaces writes for the whole batch.
    # One kept-alive connection per thread of the batch's pools: requests' default of 10
    # dropped (and logged) a connection after each call of the 11th thread on.
    return Github(
        auth=Auth.Token(token) if token else None,
        base_url=settings.api_url,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
        timeout=30,
        pool_size=CONNECTIONS,
    )


def _bucket(path: str) -> str:
    """GitHub's rate-limit resource a REST path counts against."""
    if path.startswith("/search/code"):
        return "code_search"
    return "search" if path.startswith("/search/") else "core"


def _rate_limit_pause(exc: GithubException, now: float) -> float | None:
    """Seconds GitHub asks us to wait, or None when ``exc`` is not a rate limit."""
    headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
    limited = isinstance(exc, RateLimitExceededException) or (
        exc.status in (403, 429)
        and ("retry-after" in headers or "rate limit" in str(exc.data).lower())
    )
    if not limited:
        return None
    retry_after = headers.get("retry-after", "")
    if retry_after.strip().isdigit():
        return max(1.0, float(retry_after))
    if headers.get("x-ratelimit-remaining") == "0":
        reset = headers.get("x-ratelimit-reset", "")
        if reset.isdigit():
            return max(1.0, float(reset) - now + 1.0)
    return SECONDARY_WAIT_WITHOUT_HEADER


def github_reason(exc: GithubException) -> str:
    """GitHub's refusal as one line: status, message and the details it listed."""
    data = exc.data if isinstance(exc.data, dict) else {}
    message = str(data.get("message") or exc.data or "no message")
    details = [
        str(e.get("message") or e.get("code"))
        for e in data.get("errors") or []
        if isinstance(e, dict)
    ]
    return f"HTTP {exc.status}: {message}" + (f" ({'; '.join(details)})" if details else "")


_REASONS = {
    401: "token refused",
    403: "token not allowed to read the repository",
    404: "repository not found (or the token cannot see it)",
}


def readable_reason(exc: GithubException) -> str:
    """GitHub's refusal of a repository read as a person names it ("repository not found",
    not "HTTP 404: Not Found"); a status without a name keeps GitHub's own words."""
    return _REASONS.get(exc.status) or github_reason(exc)
