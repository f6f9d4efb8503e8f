"""REST endpoints of GitHub Apps: the app itself, finding installations, minting tokens.

Everything here but ``/installation/repositories`` is called with the app's JWT. Minted
tokens are limited as GitHub limits them: to the repositories and permissions asked for, never
beyond the installation's, and they expire (an hour, or the app's ``token_lifetime``).
"""

from __future__ import annotations

from typing import Any

from aodfix.emulator.github import shapes
from aodfix.emulator.github.access import LEVELS, TokenGrant
from aodfix.emulator.github.apps import AppRecord, InstallationRecord, new_installation_token
from aodfix.emulator.github.rest_router import (
    RestCall,
    RestError,
    RestResult,
    Router,
    not_found,
    validation_failed,
)
from aodfix.emulator.github.store import RepositoryRecord, utc_now

_NOT_ACCESSIBLE = (
    "There is at least one repository that does not exist or is not accessible to the parent "
    "installation."
)
_NOT_GRANTED = "The permissions requested are not granted to this installation."


def register(router: Router) -> None:
    router.add("GET", "/app", get_app, auth="app")
    router.add("GET", "/app/installations", list_installations, auth="app")
    router.add("GET", "/app/installations/{installation_id:int}", get_installation, auth="app")
    router.add(
        "POST",
        "/app/installations/{installation_id:int}/access_tokens",
        create_access_token,
        auth="app",
    )
    router.add("GET", "/orgs/{org}/installation", org_installation, auth="app")
    router.add("GET", "/users/{username}/installation", user_installation, auth="app")
    router.add("GET", "/repos/{owner}/{repo}/installation", repo_installation, auth="app")
    router.add("GET", "/installation/repositories", installation_repositories)


def _app(call: RestCall) -> AppRecord:
    assert call.caller.app is not None  # the pipeline lets only a valid JWT through
    return call.caller.app


def _answer(call: RestCall, installation: InstallationRecord | None) -> RestResult:
    if installation is None:
        raise not_found()
    return RestResult(200, shapes.installation(call.context.urls, installation, _app(call)))


def get_app(call: RestCall) -> RestResult:
    return RestResult(200, shapes.app(call.context.urls, _app(call)))


def list_installations(call: RestCall) -> RestResult:
    app = _app(call)
    urls = call.context.urls
    return call.paginate([shapes.installation(urls, i, app) for i in app.installations.values()])


def get_installation(call: RestCall) -> RestResult:
    return _answer(call, _app(call).installations.get(int(call.params["installation_id"])))


def org_installation(call: RestCall) -> RestResult:
    found = _app(call).installation_on(call.params["org"])
    return _answer(call, found if found and found.account_type == "Organization" else None)


def user_installation(call: RestCall) -> RestResult:
    # GitHub answers this for organisations as well: they are accounts like users.
    return _answer(call, _app(call).installation_on(call.params["username"]))


def repo_installation(call: RestCall) -> RestResult:
    repo = call.context.store.get(f"{call.params['owner']}/{call.params['repo']}")
    app = _app(call)
    found = app.installation_on(repo.owner) if repo is not None else None
    return _answer(
        call, found if repo is not None and found and found.covers(repo.full_name) else None
    )


def create_access_token(call: RestCall) -> RestResult:
    app = _app(call)
    installation = app.installations.get(int(call.params["installation_id"]))
    if installation is None:
        raise not_found()
    permissions = _requested_permissions(call, installation)
    repos = _requested_repositories(call, installation)
    granted = {"metadata": "read", **permissions} if permissions else installation.permissions
    if repos is not None:
        names: frozenset[str] | None = frozenset(r.full_name.lower() for r in repos)
    elif installation.repositories is not None:
        names = frozenset(f"{installation.account}/{n}".lower() for n in installation.repositories)
    else:
        names = None
    now = utc_now()
    expires_at = now + app.token_lifetime
    app.tokens_minted += 1
    token = new_installation_token()
    call.context.access.add(
        token,
        TokenGrant(
            label=f"installation-{installation.id}/token-{app.tokens_minted}",
            login=app.bot_login,
            kind="installation",
            owner=installation.account.lower(),
            repositories=names,
            permissions=dict(granted),
            expires_at=expires_at,
            installation_id=installation.id,
        ),
    )
    body: shapes.Json = {
        "token": token,
        "expires_at": shapes.iso(expires_at),
        "permissions": dict(granted),
        "repository_selection": "selected" if names is not None else "all",
    }
    if repos is not None:
        urls = call.context.urls
        body["repositories"] = [shapes.repository(urls, r, viewer=app.bot_login) for r in repos]
    return RestResult(201, body)


def _requested_permissions(call: RestCall, installation: InstallationRecord) -> dict[str, str]:
    """The ``permissions`` asked for ({} when none: the token gets the installation's)."""
    asked: Any = call.get("permissions")
    if asked is None:
        return {}
    if not isinstance(asked, dict) or not all(isinstance(v, str) for v in asked.values()):
        raise validation_failed(message=_NOT_GRANTED)
    for name, level in asked.items():
        have = LEVELS.get(installation.permissions.get(str(name), ""), 0)
        if name == "metadata":
            have = max(have, LEVELS["read"])  # every installation can read metadata
        if level not in LEVELS or LEVELS[level] > have:
            raise RestError(422, _NOT_GRANTED)
    return {str(name): level for name, level in asked.items()}


def _requested_repositories(
    call: RestCall, installation: InstallationRecord
) -> list[RepositoryRecord] | None:
    """The repositories asked for by name or id; None when the body names none."""
    names = call.get("repositories")
    ids = call.get("repository_ids")
    if names is None and ids is None:
        return None
    if not isinstance(names or [], list) or not isinstance(ids or [], list):
        raise RestError(422, _NOT_ACCESSIBLE)
    store = call.context.store
    found: list[RepositoryRecord] = []
    for name in names or []:
        # Names only, as GitHub takes them: "owner/name" does not exist in the installation.
        repo = store.get(f"{installation.account}/{name}") if "/" not in str(name) else None
        if repo is None or not installation.covers(repo.full_name):
            raise RestError(422, _NOT_ACCESSIBLE)
        found.append(repo)
    by_id = {repo.id: repo for repo in store.all()}
    for repo_id in ids or []:
        repo = by_id.get(repo_id) if isinstance(repo_id, int) else None
        if repo is None or not installation.covers(repo.full_name):
            raise RestError(422, _NOT_ACCESSIBLE)
        found.append(repo)
    unique = {repo.id: repo for repo in found}
    return sorted(unique.values(), key=lambda r: r.full_name.lower())


def installation_repositories(call: RestCall) -> RestResult:
    grant = call.caller.grant
    if grant is None or grant.kind != "installation":
        raise RestError(
            403,
            "You must authenticate with an installation access token in order to list "
            "repositories for an installation.",
        )
    urls = call.context.urls
    repos = sorted(
        (repo for repo in call.context.store.all() if grant.covers(repo.full_name)),
        key=lambda r: r.full_name.lower(),
    )
    return RestResult(
        200,
        {
            "total_count": len(repos),
            "repository_selection": "all" if grant.repositories is None else "selected",
            "repositories": [shapes.repository(urls, r, viewer=grant.login) for r in repos],
        },
    )
