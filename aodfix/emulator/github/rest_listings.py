"""``GET /orgs/{org}/repos`` and ``GET /users/{username}/repos``: an account's repositories
(and ``GET /orgs/{org}``, which PyGithub's ``get_organization`` fetches first).

They list what the caller can see, archived ones included, in GitHub's default orders
(an organisation's newest first, a user's by name), paginated with ``Link``. A user's list
holds only public repositories, as GitHub's does; the emulator models no memberships, so
``type=member`` lists nothing for a user and everything visible for an organisation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from aodfix.emulator.github import shapes
from aodfix.emulator.github.rest_router import (
    RestCall,
    RestError,
    RestResult,
    Router,
    not_found,
    validation_failed,
)
from aodfix.emulator.github.store import AccountRecord, RepositoryRecord

_T = TypeVar("_T")
_ORG_TYPES: dict[str, Callable[[RepositoryRecord], bool]] = {
    "all": lambda repo: True,
    "member": lambda repo: True,
    "public": lambda repo: not repo.private,
    "private": lambda repo: repo.private,
    "forks": lambda repo: repo.fork,
    "sources": lambda repo: not repo.fork,
}
_USER_TYPES: dict[str, Callable[[RepositoryRecord], bool]] = {
    "owner": lambda repo: True,
    "all": lambda repo: True,
    "member": lambda repo: False,
}
_SORTS: dict[str, Callable[[RepositoryRecord], datetime | str]] = {
    "created": lambda repo: repo.created_at,
    "updated": lambda repo: repo.updated_at,
    "pushed": lambda repo: repo.updated_at,
    "full_name": lambda repo: repo.full_name.lower(),
}


def register(router: Router) -> None:
    router.add("GET", "/orgs/{org}", get_organization)
    router.add("GET", "/orgs/{org}/repos", list_organization_repositories)
    router.add("GET", "/users/{username}/repos", list_user_repositories)


def _organization(call: RestCall) -> AccountRecord:
    account = call.context.store.account(call.params["org"])
    if account is None or account.kind != "Organization":
        raise not_found()
    return account


def get_organization(call: RestCall) -> RestResult:
    account = _organization(call)
    owned = [r for r in call.context.store.all() if r.owner.lower() == account.login.lower()]
    public = sum(1 for repo in owned if not repo.private)
    return RestResult(200, shapes.organization(call.context.urls, account, public_repos=public))


def list_organization_repositories(call: RestCall) -> RestResult:
    account = _organization(call)
    kept = _choice(call, "type", _ORG_TYPES, "all")
    return _listing(call, account.login, kept, default_sort="created")


def list_user_repositories(call: RestCall) -> RestResult:
    account = call.context.store.account(call.params["username"])
    if account is None:
        raise not_found()
    kept = _choice(call, "type", _USER_TYPES, "owner")
    return _listing(call, account.login, lambda repo: not repo.private and kept(repo), "full_name")


def _listing(
    call: RestCall, owner: str, kept: Callable[[RepositoryRecord], bool], default_sort: str
) -> RestResult:
    sort_key = _choice(call, "sort", _SORTS, default_sort)
    sort = call.query.get("sort") or default_sort
    direction = call.query.get("direction") or ("asc" if sort == "full_name" else "desc")
    if direction not in ("asc", "desc"):
        raise _invalid("direction", direction)
    repos = [
        repo
        for repo in call.context.store.all()
        if repo.owner.lower() == owner.lower() and call.sees(repo) and kept(repo)
    ]
    repos.sort(key=lambda repo: repo.id, reverse=direction == "desc")  # ties: creation order
    repos.sort(key=sort_key, reverse=direction == "desc")
    urls = call.context.urls
    return call.paginate(
        [shapes.repository(urls, r, viewer=call.viewer, push=call.can_push(r)) for r in repos]
    )


def _choice(call: RestCall, name: str, choices: dict[str, _T], default: str) -> _T:
    value = call.query.get(name) or default
    if value not in choices:
        raise _invalid(name, value)
    return choices[value]


def _invalid(name: str, value: str) -> RestError:
    message = f"{value!r} is not a valid {name}"
    return validation_failed(
        {"resource": "Repository", "code": "invalid", "field": name, "message": message}
    )
