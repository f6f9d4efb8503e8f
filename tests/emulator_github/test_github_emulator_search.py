"""Repository selection in the emulator: account listings, repository and code search, topics,
the search rate limits and bulk seeding, as PyGithub and a raw HTTP client see them."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from ghkit import client
from github import GithubException, UnknownObjectException

from aodfix.emulator.github import GitHubEmulator, RepositorySpec, SearchLimits


def _get(
    emulator: GitHubEmulator, path: str, token: str | None = None, **params: str
) -> httpx.Response:
    headers = {"Authorization": f"token {token or emulator.token}"}
    return httpx.get(emulator.api_url + path, headers=headers, params=params, timeout=30)


def _day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def fleet(github_emulator: GitHubEmulator) -> GitHubEmulator:
    """acme: a mix of what selection filters on; octo: a user with one public repository."""
    python = {"setup.py": "import setuptools\nsetuptools.setup()\n", "README.md": "# A tool\n"}
    go = {"go.mod": "module example.com/x\n", "cmd/main.go": "package main\n"}
    github_emulator.create_repositories(
        [
            RepositorySpec("acme/api", files=python, topics=["python", "service"],
                           language="Python", created_at=_day("2020-03-01")),
            RepositorySpec("acme/web", files=go, topics=["service"], language="Go",
                           description="The web front", created_at=_day("2021-01-01")),
            RepositorySpec("acme/legacy", files=python, language="Python", archived=True,
                           created_at=_day("2019-05-05")),
            RepositorySpec("acme/api-fork", files=python, language="Python", fork=True,
                           created_at=_day("2022-01-01")),
            RepositorySpec("acme/secret", files=python, language="Python", private=True,
                           created_at=_day("2023-01-01")),
            RepositorySpec("other/tools", files=go, language="Go",
                           created_at=_day("2020-06-30")),
        ]
    )  # fmt: skip
    github_emulator.create_account("octo")
    github_emulator.create_repository("octo/dotfiles")
    github_emulator.create_repository("octo/private", private=True)
    return github_emulator


SECRET_WEB = ["acme/secret", "acme/web"]


def _names(emulator: GitHubEmulator, query: str) -> list[str]:
    return [repo.full_name for repo in client(emulator).search_repositories(query)]


# -- listings ---------------------------------------------------------------------------------


def test_organisation_listing_pages_through_every_repository(
    github_emulator: GitHubEmulator,
) -> None:
    github_emulator.seed_organisation("acme", 75, topics=["python"], language="Python")

    repos = list(client(github_emulator).get_organization("acme").get_repos())

    assert len(repos) == 75
    assert repos[0].full_name == "acme/repo-074"  # GitHub's default: newest first
    assert (repos[0].topics, repos[0].language) == (["python"], "Python")
    listing_calls = [e for e in github_emulator.rest_calls() if e.path.endswith("/orgs/acme/repos")]
    assert len(listing_calls) == 3  # 30 a page, followed through Link


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("all", {"api", "web", "legacy", "api-fork", "secret"}),
        ("public", {"api", "web", "legacy", "api-fork"}),
        ("private", {"secret"}),
        ("forks", {"api-fork"}),
        ("sources", {"api", "web", "legacy", "secret"}),
    ],
)
def test_organisation_listing_filters_by_type(
    fleet: GitHubEmulator, kind: str, expected: set[str]
) -> None:
    repos = client(fleet).get_organization("acme").get_repos(type=kind)

    assert {repo.name for repo in repos} == expected


def test_organisation_listing_hides_private_repositories_a_token_does_not_reach(
    fleet: GitHubEmulator,
) -> None:
    token = "github_pat_only_api"
    fleet.add_token(token, repositories=["acme/api"])

    response = _get(fleet, "/orgs/acme/repos", token)

    assert "acme/secret" not in {repo["full_name"] for repo in response.json()}
    assert len(response.json()) == 4


def test_unknown_organisation_and_user_are_404(fleet: GitHubEmulator) -> None:
    with pytest.raises(UnknownObjectException):
        client(fleet).get_organization("nobody")
    assert _get(fleet, "/orgs/octo/repos").status_code == 404  # octo is a user
    assert _get(fleet, "/users/nobody/repos").status_code == 404


def test_user_listing_holds_the_users_public_repositories(fleet: GitHubEmulator) -> None:
    repos = client(fleet).get_user("octo").get_repos()

    assert [repo.full_name for repo in repos] == ["octo/dotfiles"]
    assert client(fleet).get_user("octo").type == "User"
    assert client(fleet).get_user("acme").type == "Organization"


def test_topics_are_served_by_their_route(fleet: GitHubEmulator) -> None:
    assert client(fleet).get_repo("acme/api").get_topics() == ["python", "service"]
    assert _get(fleet, "/repos/acme/legacy/topics").json() == {"names": []}


# -- repository search -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("org:acme", ["acme/api", "acme/legacy", "acme/secret", "acme/web"]),
        ("org:acme fork:true", ["acme/api", "acme/api-fork", "acme/legacy", *SECRET_WEB]),
        ("org:acme fork:only", ["acme/api-fork"]),
        ("org:acme archived:false", ["acme/api", "acme/secret", "acme/web"]),
        ("org:acme is:public", ["acme/api", "acme/legacy", "acme/web"]),
        ("org:acme is:private", ["acme/secret"]),
        ("topic:service", ["acme/api", "acme/web"]),
        ("topic:service -topic:python", ["acme/web"]),
        ("language:go", ["acme/web", "other/tools"]),
        ("language:Go language:python org:acme", ["acme/api", "acme/legacy", *SECRET_WEB]),
        ("user:acme user:other language:go", ["acme/web", "other/tools"]),
        ("repo:acme/api", ["acme/api"]),
        ("api in:name", ["acme/api"]),
        ("front", ["acme/web"]),  # description, searched by default
        ("front in:name", []),
        ("service", ["acme/api", "acme/web"]),  # topics, searched by default
        ("tool in:readme", ["acme/api", "acme/legacy", "acme/secret"]),
        ("org:acme NOT api", ["acme/legacy", "acme/secret", "acme/web"]),
        ("created:<2020-06-30", ["acme/api", "acme/legacy"]),
        ("created:2020-01-01..2020-06-30", ["acme/api", "other/tools"]),
        ("created:>=2021-01-01 org:acme", ["acme/secret", "acme/web"]),
        ("created:>2021-01-01 org:acme", ["acme/secret"]),
        ("pushed:<=2019-05-05", ["acme/legacy"]),
    ],
)
def test_repository_search_qualifiers(
    fleet: GitHubEmulator, query: str, expected: list[str]
) -> None:
    assert _names(fleet, query) == expected


def test_repository_search_items_are_repositories_with_a_score(fleet: GitHubEmulator) -> None:
    body = _get(fleet, "/search/repositories", q="repo:acme/web").json()

    assert (body["total_count"], body["incomplete_results"]) == (1, False)
    item = body["items"][0]
    assert (item["full_name"], item["language"], item["score"]) == ("acme/web", "Go", 1.0)
    assert item["created_at"] == "2021-01-01T00:00:00Z"


def test_private_repositories_are_found_only_by_tokens_that_reach_them(
    fleet: GitHubEmulator,
) -> None:
    token = "github_pat_only_api"
    fleet.add_token(token, repositories=["acme/api"])
    body = _get(fleet, "/search/repositories", token, q="org:acme").json()

    assert "acme/secret" not in [item["full_name"] for item in body["items"]]


def test_only_the_first_thousand_results_can_be_paged_to(github_emulator: GitHubEmulator) -> None:
    github_emulator.seed_organisation("big", 1005)

    page = _get(github_emulator, "/search/repositories", q="org:big", per_page="100", page="10")
    beyond = _get(github_emulator, "/search/repositories", q="org:big", per_page="100", page="11")

    assert page.json()["total_count"] == 1005
    assert len(page.json()["items"]) == 100
    assert 'rel="next"' not in page.headers["Link"]
    assert beyond.status_code == 422
    assert beyond.json()["message"] == "Only the first 1000 search results are available"
    last = _get(github_emulator, "/search/repositories", q="org:big", per_page="30", page="34")
    assert len(last.json()["items"]) == 10  # items 991..1000


def test_created_ranges_split_a_search_without_overlap(github_emulator: GitHubEmulator) -> None:
    github_emulator.seed_organisation("acme", 40)  # created a day apart from 2024-01-01
    before = _names(github_emulator, "org:acme created:<2024-01-21")
    after = _names(github_emulator, "org:acme created:>=2024-01-21")

    assert (len(before), len(after)) == (20, 20)
    assert not set(before) & set(after)


@pytest.mark.parametrize(
    "query",
    [
        "stars:>10",
        "foo:bar",
        'topic:"unclosed',
        "fork:maybe",
        "archived:yes",
        "created:last-week",
        "is:internal",
        "in:owner api",
        "api OR web",
        "org:nobody",
        "repo:acme/missing",
    ],
)
def test_a_query_github_would_refuse_is_422_validation_failed(
    fleet: GitHubEmulator, query: str
) -> None:
    response = _get(fleet, "/search/repositories", q=query)

    assert response.status_code == 422
    assert response.json()["message"] == "Validation Failed"
    error = response.json()["errors"][0]
    assert (error["resource"], error["field"], error["code"]) == ("Search", "q", "invalid")


def test_a_search_without_a_query_is_422_missing(fleet: GitHubEmulator) -> None:
    response = _get(fleet, "/search/repositories")

    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "missing"


# -- code search -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("setuptools org:acme", [("acme/api", "setup.py"), ("acme/legacy", "setup.py"),
                                 ("acme/secret", "setup.py")]),
        ("SETUPTOOLS repo:acme/api", [("acme/api", "setup.py")]),
        ("package language:go", [("acme/web", "cmd/main.go"), ("other/tools", "cmd/main.go")]),
        ("module extension:mod user:other", [("other/tools", "go.mod")]),
        ("package path:cmd org:acme", [("acme/web", "cmd/main.go")]),
        ("module path:/ org:acme", [("acme/web", "go.mod")]),
        ("filename:go.mod", [("acme/web", "go.mod"), ("other/tools", "go.mod")]),
        ("main in:path org:acme", [("acme/web", "cmd/main.go")]),
        ('"setuptools.setup()" repo:acme/api', [("acme/api", "setup.py")]),
        ("setuptools -import repo:acme/api", []),
    ],
)  # fmt: skip
def test_code_search_qualifiers(
    fleet: GitHubEmulator, query: str, expected: list[tuple[str, str]]
) -> None:
    found = client(fleet).search_code(query)

    assert [(item.repository.full_name, item.path) for item in found] == expected


def test_code_search_reads_only_default_branches(fleet: GitHubEmulator) -> None:
    fleet.commit_files("acme/web", "feature", {"NOTES.md": "needle\n"})
    assert _get(fleet, "/search/code", q="needle").json()["total_count"] == 0

    fleet.commit_files("acme/web", "main", {"NOTES.md": "needle\n"})
    item = _get(fleet, "/search/code", q="needle").json()["items"][0]

    assert (item["name"], item["path"], item["repository"]["full_name"]) == (
        "NOTES.md",
        "NOTES.md",
        "acme/web",
    )
    assert item["html_url"].startswith(f"{fleet.server_url}/acme/web/blob/")


def test_code_search_needs_a_term_and_a_token(fleet: GitHubEmulator) -> None:
    alone = _get(fleet, "/search/code", q="language:go org:acme")
    anonymous = httpx.get(fleet.api_url + "/search/code", params={"q": "package"})

    assert alone.status_code == 422
    assert alone.json()["errors"][0]["field"] == "q"
    assert anonymous.status_code == 401


# -- search rate limits ------------------------------------------------------------------------


def test_search_windows_refuse_with_403_once_spent(fleet: GitHubEmulator) -> None:
    fleet.set_search_limits(SearchLimits(search=2, code_search=1, window_seconds=60))
    answers = [_get(fleet, "/search/repositories", q="org:acme") for _ in range(3)]
    code = [_get(fleet, "/search/code", q="package") for _ in range(2)]

    assert [a.status_code for a in answers] == [200, 200, 403]
    assert answers[0].headers["X-RateLimit-Resource"] == "search"
    assert answers[1].headers["X-RateLimit-Remaining"] == "0"
    refused = answers[2]
    assert refused.json()["message"].startswith("API rate limit exceeded")
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert 55 <= int(refused.headers["Retry-After"]) <= 61  # whole seconds to the reset
    assert int(refused.headers["X-RateLimit-Reset"]) >= time.time()
    assert [c.status_code for c in code] == [200, 403]
    assert code[1].headers["X-RateLimit-Resource"] == "code_search"
    assert _get(fleet, "/repos/acme/api").status_code == 200  # core is its own window


def test_search_windows_are_per_token_and_reported_by_rate_limit(fleet: GitHubEmulator) -> None:
    fleet.set_search_limits(SearchLimits(search=1))
    fleet.add_token("ghp_second")
    _get(fleet, "/search/repositories", q="org:acme")

    assert _get(fleet, "/search/repositories", "ghp_second", q="org:acme").status_code == 200
    resources = _get(fleet, "/rate_limit").json()["resources"]
    assert (resources["search"]["limit"], resources["search"]["remaining"]) == (1, 0)
    assert resources["code_search"]["remaining"] == 10


def test_pygithub_retry_waits_out_a_spent_search_window(fleet: GitHubEmulator) -> None:
    fleet.set_search_limits(SearchLimits(search=1, window_seconds=1))
    github = client(fleet, retry=True)
    assert github.search_repositories("org:acme").totalCount == 4

    started = time.monotonic()
    assert github.search_repositories("org:other").totalCount == 1
    assert time.monotonic() - started >= 0.5


def test_without_retry_pygithub_raises_the_rate_limit(fleet: GitHubEmulator) -> None:
    fleet.set_search_limits(SearchLimits(search=1))
    github = client(fleet)
    github.search_repositories("org:acme").totalCount  # noqa: B018 - spends the window

    with pytest.raises(GithubException) as raised:
        github.search_repositories("org:other").totalCount  # noqa: B018
    assert raised.value.status == 403


# -- seeding -----------------------------------------------------------------------------------


def test_three_hundred_repositories_seed_in_well_under_ten_seconds(
    github_emulator: GitHubEmulator,
) -> None:
    started = time.monotonic()
    names = github_emulator.seed_organisation("acme", 300, files={"setup.py": "x = 1\n"})

    assert time.monotonic() - started < 5
    assert len(names) == 300
    assert github_emulator.branch_sha("acme/repo-299", "main") is not None


def test_seeded_repositories_share_content_but_not_history(
    github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    first, second = github_emulator.seed_organisation("acme", 2)
    base = github_emulator.branch_sha(second, "main")

    github_emulator.commit_files(first, "main", {"README.md": "changed\n"})
    github_emulator.protect_branch(first, "main")

    assert github_emulator.branch_sha(second, "main") == base
    assert github_emulator.branch_sha(first, "main") != base
    config = (github_emulator.bare_path(second) / "config").read_text()
    assert "protectedBranch" not in config


def test_seeding_refuses_bad_topics_and_existing_names(github_emulator: GitHubEmulator) -> None:
    with pytest.raises(ValueError, match="topics"):
        github_emulator.create_repository("acme/api", topics=["Not Valid"])
    github_emulator.create_repository("acme/api")
    with pytest.raises(ValueError, match="already exists"):
        github_emulator.create_repositories(
            [RepositorySpec("acme/new"), RepositorySpec("acme/api")]
        )
    assert github_emulator.branch_sha("acme/api", "main") is not None
    with pytest.raises(KeyError):
        github_emulator.branch_sha("acme/new", "main")
