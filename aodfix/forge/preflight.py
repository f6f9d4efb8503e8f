"""One look at the GitHub API before a batch: reachable, and the token accepted.

Without it a refused token fails every repository alike, one ``401`` row each, and an
unreachable API costs every repository its retries. One request with a short timeout:
``/rate_limit`` costs nothing against the limits, and GitHub answers 401 to a bad token
on every endpoint. Only a refusal or no answer at all stops the run.
"""

from __future__ import annotations

import requests
from github import Auth, GithubException, GithubIntegration

from aodfix.errors import ConfigurationError
from aodfix.forge.app_auth import AppCredentials
from aodfix.forge.github_client import GitHubSettings

PREFLIGHT_TIMEOUT = (5.0, 15.0)  # connect, read


def check_github(settings: GitHubSettings, probe_repository: str | None = None) -> None:
    """Raise ConfigurationError when the API cannot be reached or refuses the token (or the
    GitHub App's credentials). A server without ``/rate_limit`` (rate limiting disabled on
    Enterprise Server) is asked for ``probe_repository`` instead; only a 401 there counts."""
    if settings.app is not None:
        _check_app(settings, settings.app)
    response = _get(settings, "/rate_limit")
    if response.status_code == 404 and probe_repository:
        response = _get(settings, f"/repos/{probe_repository}")
        if response.status_code == 401:
            raise _refusal(settings, response)
        return
    if response.status_code in (401, 403) and _refused(response):
        raise _refusal(settings, response)
    if response.status_code == 200 and not isinstance(_json(response), dict):
        raise ConfigurationError(
            f"{settings.api_url} does not answer like the GitHub API (GET /rate_limit);"
            " check GITHUB_API_URL"
        )
    # Anything else (a rate limit, a 5xx) is the batch's to wait out or report per repository.


def _refusal(settings: GitHubSettings, response: requests.Response) -> ConfigurationError:
    return ConfigurationError(
        f"GitHub at {settings.api_url} refused the token (GITHUB_TOKEN or GH_TOKEN):"
        f" {_message(response)}"
    )


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
        if exc.status != 401:
            return  # a server without GET /app: minting will tell, per owner
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
