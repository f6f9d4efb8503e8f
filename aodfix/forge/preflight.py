"""One look at the GitHub API before a batch: reachable, and the token accepted.

Without it a refused token fails every repository alike, one ``401`` row each, and an
unreachable API costs every repository its retries. One request with a short timeout;
``/rate_limit`` costs nothing against the limits, and GitHub answers 401 to a bad token
on every endpoint (GitHub Enterprise Server without rate limiting answers 404 there, so
``/meta`` is asked instead).
"""

from __future__ import annotations

import requests
from github import Auth, GithubException, GithubIntegration

from aodfix.errors import ConfigurationError
from aodfix.forge.app_auth import AppCredentials
from aodfix.forge.github_client import GitHubSettings

PREFLIGHT_TIMEOUT = (5.0, 15.0)  # connect, read


def check_github(settings: GitHubSettings) -> None:
    """Raise ConfigurationError when the API cannot be reached or refuses the token (or the
    GitHub App's credentials)."""
    where = settings.api_url
    if settings.app is not None:
        _check_app(settings, settings.app)
    for path in ("/rate_limit", "/meta"):
        response = _get(settings, path)
        if response.status_code in (401, 403) and _refused(response):
            raise ConfigurationError(
                f"GitHub at {where} refused the token (GITHUB_TOKEN or GH_TOKEN):"
                f" {_message(response)}"
            )
        if response.status_code in (403, 429):
            return  # rate limited: the token was accepted, and the batch waits out the limit
        if response.status_code == 404 and path == "/rate_limit":
            continue
        if response.status_code >= 400:
            raise ConfigurationError(
                f"GitHub at {where} answered {response.status_code} to GET {path}:"
                f" {_message(response)}"
            )
        if not isinstance(_json(response), dict):
            raise ConfigurationError(f"{where} does not answer like the GitHub API (GET {path})")
        return


def _get(settings: GitHubSettings, path: str) -> requests.Response:
    headers = {"Accept": "application/vnd.github+json"}
    if settings.token:
        headers["Authorization"] = f"token {settings.token}"
    try:
        return requests.get(
            settings.api_url + path,
            headers=headers,
            timeout=PREFLIGHT_TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        reason = type(exc).__name__
        raise ConfigurationError(
            f"cannot reach the GitHub API at {settings.api_url} ({reason}); check GITHUB_API_URL"
        ) from None


def _refused(response: requests.Response) -> bool:
    """A 401, or a 403 that is about credentials rather than a rate limit."""
    if response.status_code == 401:
        return True
    return "rate limit" not in _message(response).lower()


def _json(response: requests.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None


def _message(response: requests.Response) -> str:
    data = _json(response)
    message = data.get("message") if isinstance(data, dict) else None
    return str(message or response.reason or "no message")[:200]


def _check_app(settings: GitHubSettings, app: AppCredentials) -> None:
    """The App's JWT is accepted: ``GET /app``."""
    integration = GithubIntegration(
        base_url=settings.api_url, auth=Auth.AppAuth(app.app_id, app.private_key), timeout=15
    )
    try:
        integration.get_app()
    except GithubException as exc:
        raise ConfigurationError(
            f"GitHub at {settings.api_url} refused the GitHub App {app.app_id}"
            f" (AODFIX_GITHUB_APP_ID and its private key): HTTP {exc.status}"
        ) from None
    except requests.RequestException as exc:
        raise ConfigurationError(
            f"cannot reach the GitHub API at {settings.api_url} ({type(exc).__name__});"
            " check GITHUB_API_URL"
        ) from None
    finally:
        integration.close()
