"""One selector against GitHub: an organisation's or user's repositories, a repository
search or a code search, to the repositories it names.

Listings page to the end. Searches stop at GitHub's cap (only the first 1,000 results of a
query can be read): a repository search past it is split into ``created:`` ranges until
every part fits, and a query that cannot be split that way is refused with the count —
nothing is dropped silently. Code search answers with files; they are reduced to their
repositories.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import requests
from github import Github, GithubException

from aodfix.forge.app_auth import AppAuthError
from aodfix.forge.github_client import GitHubGateway, GitHubRateLimited, github_reason
from aodfix.manifest import Selector

PER_PAGE = 100
SEARCH_CAP = 1000  # GitHub serves the first 1,000 results of a search, whatever it counted
FIRST_DAY = date(2007, 10, 1)  # no GitHub repository was created before this
_OWNER_QUALIFIER = re.compile(r"(?:^|\s)(?:org|user|repo):([A-Za-z0-9-]+)", re.IGNORECASE)


class SelectionError(Exception):
    """The selector cannot be expanded; the message is one line, for the selector's line."""


@dataclass(frozen=True)
class Candidate:
    full_name: str
    archived: bool
    fork: bool
    topics: frozenset[str] = frozenset()
    language: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> Candidate:
        if not isinstance(data, dict) or not isinstance(data.get("full_name"), str):
            raise SelectionError("GitHub answered with a repository aodfix cannot read")
        topics = data.get("topics") or []
        return cls(
            full_name=data["full_name"],
            archived=bool(data.get("archived")),
            fork=bool(data.get("fork")),
            topics=frozenset(str(t).lower() for t in topics if isinstance(t, str)),
            language=data.get("language") if isinstance(data.get("language"), str) else None,
        )


@dataclass
class Found:
    candidates: list[Candidate] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def run_selector(gateway: GitHubGateway, selector: Selector) -> Found:
    """The selector's repositories (before ``exclude``); raises SelectionError."""
    try:
        found = _run(gateway, selector)
    except GithubException as exc:
        raise SelectionError(_refusal(exc, selector)) from None
    except (GitHubRateLimited, AppAuthError) as exc:
        raise SelectionError(str(exc)) from None
    except requests.RequestException as exc:
        where = gateway.settings.api_url
        raise SelectionError(
            f"cannot reach the GitHub API at {where} ({type(exc).__name__})"
        ) from None
    found.candidates = [c for c in found.candidates if _wanted(c, selector)]
    return found


def _run(gateway: GitHubGateway, selector: Selector) -> Found:
    if selector.org is not None:
        client = gateway.client(selector.org)
        path, kind = f"/orgs/{selector.org}/repos", "all"
        return Found([Candidate.from_json(r) for r in _listing(gateway, client, path, kind)])
    if selector.user is not None:
        client = gateway.client(selector.user)
        path, kind = f"/users/{selector.user}/repos", "owner"
        return Found([Candidate.from_json(r) for r in _listing(gateway, client, path, kind)])
    if selector.search is not None:
        return _repository_search(gateway, _client_for(gateway, selector.search), selector)
    assert selector.code is not None
    return _code_search(gateway, _client_for(gateway, selector.code), selector.code)


def _wanted(candidate: Candidate, selector: Selector) -> bool:
    if candidate.archived and not selector.archived:
        return False
    if candidate.fork and not selector.forks:
        return False
    if not {t.lower() for t in selector.topics} <= candidate.topics:
        return False
    language = selector.language
    return language is None or (candidate.language or "").lower() == language.lower()


def _client_for(gateway: GitHubGateway, query: str) -> Github:
    """The client of the owner a query names (a GitHub App's installation), else the token's."""
    owner = _OWNER_QUALIFIER.search(query)
    return gateway.client(owner.group(1)) if owner else gateway.github


def _listing(gateway: GitHubGateway, client: Github, path: str, kind: str) -> Iterator[Any]:
    page = 1
    while True:
        params = {"type": kind, "per_page": PER_PAGE, "page": page}
        items = gateway.get_json(client, path, params)
        if not isinstance(items, list):
            raise SelectionError(f"GitHub answered {path} with something other than a list")
        yield from items
        if len(items) < PER_PAGE:
            return
        page += 1


@dataclass(frozen=True)
class _Page:
    total: int
    incomplete: bool
    items: list[Any]


def _search_page(gateway: GitHubGateway, client: Github, path: str, query: str, page: int) -> _Page:
    params = {"q": query, "per_page": PER_PAGE, "page": page}
    data = gateway.get_json(client, path, params)
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise SelectionError(f"GitHub answered {path} with something other than search results")
    return _Page(
        int(data.get("total_count") or 0), bool(data.get("incomplete_results")), data["items"]
    )


def _all_results(gateway: GitHubGateway, client: Github, path: str, query: str) -> _Page:
    """Every result of a query GitHub can serve whole (total within the cap); a first page
    whose total is past the cap is returned as it is, for the caller to split or refuse."""
    first = _search_page(gateway, client, path, query, 1)
    if first.total > SEARCH_CAP:
        return first
    items, incomplete, page = list(first.items), first.incomplete, 1
    while len(items) < first.total and page * PER_PAGE < SEARCH_CAP:
        page += 1
        more = _search_page(gateway, client, path, query, page)
        if not more.items:
            break
        items += more.items
        incomplete = incomplete or more.incomplete
    return _Page(first.total, incomplete, items)


def _repository_search(gateway: GitHubGateway, client: Github, selector: Selector) -> Found:
    query = selector.search or ""
    lowered = query.lower()
    if not selector.archived and "archived:" not in lowered:
        query += " archived:false"
    if selector.forks and "fork:" not in lowered:
        query += " fork:true"
    path = "/search/repositories"
    result = _all_results(gateway, client, path, query)
    pages = [result]
    if result.total > SEARCH_CAP:
        if "created:" in lowered:
            hint = "narrow its created: range, or add org:, topic: or language:"
            raise SelectionError(_too_many(result.total, "repositories", hint))
        pages = list(_split_by_created(gateway, client, query, FIRST_DAY, _today()))
    found = Found([Candidate.from_json(item) for page in pages for item in page.items])
    if any(page.incomplete for page in pages):
        found.warnings.append(_incomplete("repository search"))
    return found


def _split_by_created(
    gateway: GitHubGateway, client: Github, query: str, first: date, last: date
) -> Iterator[_Page]:
    """The query in ``created:`` ranges, halved until each fits under the cap."""
    part = _all_results(gateway, client, "/search/repositories", f"{query} created:{first}..{last}")
    if part.total <= SEARCH_CAP:
        yield part
        return
    if first == last:
        raise SelectionError(
            f"the search matches {part.total} repositories created on {first} alone, past"
            f" GitHub's {SEARCH_CAP}-result cap: narrow the query (org:, topic:, language:)"
        )
    middle = date.fromordinal((first.toordinal() + last.toordinal()) // 2)
    yield from _split_by_created(gateway, client, query, first, middle)
    yield from _split_by_created(
        gateway, client, query, date.fromordinal(middle.toordinal() + 1), last
    )


def _code_search(gateway: GitHubGateway, client: Github, query: str) -> Found:
    result = _all_results(gateway, client, "/search/code", query)
    if result.total > SEARCH_CAP:
        hint = "narrow it with org:, repo:, path: or extension:"
        raise SelectionError(_too_many(result.total, "files", hint))
    seen: dict[str, Candidate] = {}
    for item in result.items:
        repository = item.get("repository") if isinstance(item, dict) else None
        candidate = Candidate.from_json(repository)
        seen.setdefault(candidate.full_name.lower(), candidate)
    found = Found(list(seen.values()))
    if result.incomplete:
        found.warnings.append(_incomplete("code search"))
    return found


def _too_many(total: int, what: str, hint: str) -> str:
    return (
        f"the query matches {total} {what}; GitHub serves at most {SEARCH_CAP} results of a"
        f" search and aodfix does not drop the rest: {hint}"
    )


def _incomplete(kind: str) -> str:
    return (
        f"GitHub reported incomplete_results for this {kind} (it timed out): some matching"
        " repositories may be missing; run plan again or narrow the query"
    )


def _refusal(exc: GithubException, selector: Selector) -> str:
    if exc.status == 401:
        return "GitHub refused the token (GITHUB_TOKEN / GH_TOKEN)"
    if exc.status == 404 and selector.kind in ("org", "user"):
        noun = "organisation" if selector.kind == "org" else "user"
        return f"{noun} {selector.query!r} not found (or the token cannot see it)"
    if exc.status == 422:
        return f"GitHub refused the query {selector.query!r}: {github_reason(exc)}"
    return f"GitHub refused the {selector.kind} selector: {github_reason(exc)}"


def _today() -> date:
    return datetime.now(UTC).date()
