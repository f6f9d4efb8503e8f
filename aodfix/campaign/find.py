"""The batch's pull requests, found with GitHub's issue search.

One query per group of owners — ``is:pr in:body "aodfix:batch=NAME"`` plus ``user:``
qualifiers (and ``head:`` when every repository shares the batch branch) — paged 100 at a
time through the gateway, which paces searches on their own rate-limit budget. A hit only
counts when its body holds the exact marker (search matches words); when a repository has
several, the newest wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from github import Github

from aodfix.forge.github_client import GitHubGateway
from aodfix.forge.pr_body import MARKER_PREFIX, batch_marker
from aodfix.plan import UNRESOLVED_BASE, RepoJob

PER_PAGE = 100
SEARCH_CAP = 1000
MAX_QUERY_CHARS = 256  # GitHub refuses longer search queries


@dataclass(frozen=True)
class FoundPull:
    repository: str  # owner/name as GitHub spells it
    number: int
    url: str
    state: str  # open | closed (merged PRs are closed with merged_at set)
    draft: bool
    merged: bool
    created_at: str | None
    updated_at: str | None
    closed_at: str | None
    merged_at: str | None
    title: str


def find_pulls(gateway: GitHubGateway, batch: str, jobs: Sequence[RepoJob]) -> dict[str, FoundPull]:
    """Each batch repository's newest PR of this batch, keyed by lower-case owner/name."""
    wanted = {job.repository.lower() for job in jobs}
    found = find_batch_pulls(gateway, batch, jobs)
    return {key: pull for key, pull in found.items() if key in wanted}


def find_batch_pulls(
    gateway: GitHubGateway, batch: str, jobs: Sequence[RepoJob]
) -> dict[str, FoundPull]:
    """The newest PR of this batch of every repository of the jobs' owners, whether the
    repository is among the jobs or not (one that left the batch), by lower-case name."""
    branches = {job.branch for job in jobs}
    rendered = all(job.rendered_base != UNRESOLVED_BASE for job in jobs)
    head = f" head:{next(iter(branches))}" if len(branches) == 1 and rendered else ""
    base = f'is:pr in:body "{MARKER_PREFIX.removeprefix("<!-- ")}{batch}"{head}'
    owners = sorted({job.owner for job in jobs})
    # A GitHub App's installation tokens are per owner: one query (and client) per owner.
    groups = [[o] for o in owners] if gateway.settings.app else [owners]
    marker = batch_marker(batch)
    found: dict[str, FoundPull] = {}
    for group in groups:
        client = gateway.client(group[0]) if gateway.settings.app else gateway.github
        for query in _queries(base, group):
            for item in _search(gateway, client, query):
                pull = _pull(item)
                # Search matches words, not the exact marker: ``batch=fix`` finds ``fix-2``.
                if pull is None or marker not in str(item.get("body") or ""):
                    continue
                key = pull.repository.lower()
                if key not in found or pull.number > found[key].number:
                    found[key] = pull
    return found


def _queries(base: str, owners: Iterable[str]) -> list[str]:
    """``base`` with as many ``user:`` qualifiers as fit in one query, for every owner."""
    queries: list[str] = []
    current = base
    for owner in owners:
        qualifier = f" user:{owner}"
        if current != base and len(current) + len(qualifier) > MAX_QUERY_CHARS:
            queries.append(current)
            current = base
        current += qualifier
    if current != base:
        queries.append(current)
    return queries


def _search(gateway: GitHubGateway, client: Github, query: str) -> list[Any]:
    items: list[Any] = []
    page = 1
    while True:
        data = gateway.get_json(
            client, "/search/issues", {"q": query, "per_page": PER_PAGE, "page": page}
        )
        batch = data.get("items") if isinstance(data, dict) else None
        if not isinstance(batch, list):
            raise ValueError("GitHub answered /search/issues with something other than results")
        total = int(data.get("total_count") or 0)
        if total > SEARCH_CAP:  # said on the first page, before paging through 1,000
            raise ValueError(
                f"the batch has {total} pull requests in one search; GitHub serves 1000:"
                " run status with --only for part of the batch"
            )
        items += batch
        if not batch or len(items) >= total or page * PER_PAGE >= SEARCH_CAP:
            return items
        page += 1


def _pull(item: Any) -> FoundPull | None:
    if not isinstance(item, dict) or not isinstance(item.get("pull_request"), dict):
        return None
    url = str(item.get("repository_url") or "")
    if "/repos/" not in url:
        return None
    repository = url.split("/repos/", 1)[1].strip("/")
    merged_at = item["pull_request"].get("merged_at")
    return FoundPull(
        repository=repository,
        number=int(item.get("number") or 0),
        url=str(item.get("html_url") or ""),
        state=str(item.get("state") or ""),
        draft=bool(item.get("draft")),
        merged=merged_at is not None,
        created_at=item.get("created_at"),
        updated_at=item.get("updated_at"),
        closed_at=item.get("closed_at"),
        merged_at=merged_at,
        title=str(item.get("title") or ""),
    )
