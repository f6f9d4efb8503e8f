"""The emulator's REST API as PyGithub and a raw HTTP client see it: shapes, auth, faults."""

from __future__ import annotations

import time

import httpx
import pytest
from ghkit import client
from github import (
    BadCredentialsException,
    GithubException,
    RateLimitExceededException,
    UnknownObjectException,
)

from aodfix.emulator.github import GitHubEmulator


def _get(emulator: GitHubEmulator, path: str, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"token {token or emulator.token}"}
    return httpx.get(emulator.api_url + path, headers=headers)


def test_repository_reports_default_branch_permissions_and_urls(
    github_emulator: GitHubEmulator,
) -> None:
    github_emulator.create_repository("acme/api", default_branch="trunk")

    repo = client(github_emulator).get_repo("acme/api")

    assert repo.full_name == "acme/api"
    assert repo.default_branch == "trunk"
    assert repo.archived is False
    assert repo.private is False
    assert repo.permissions.push is True
    assert repo.clone_url == f"{github_emulator.server_url}/acme/api.git"
    assert repo.html_url == f"{github_emulator.server_url}/acme/api"
    assert repo.url == f"{github_emulator.api_url}/repos/acme/api"
    assert repo.owner.login == "acme"


def test_repository_names_are_case_insensitive(github_emulator: GitHubEmulator) -> None:
    github_emulator.create_repository("Acme/API")

    assert client(github_emulator).get_repo("acme/api").full_name == "Acme/API"


def test_missing_repository_is_404_not_found(github_emulator: GitHubEmulator) -> None:
    with pytest.raises(UnknownObjectException):
        client(github_emulator).get_repo("acme/missing")

    response = _get(github_emulator, "/repos/acme/missing")
    assert response.status_code == 404
    assert response.json()["message"] == "Not Found"


def test_archived_repository_reads_as_archived_and_refuses_writes(
    github_emulator: GitHubEmulator,
) -> None:
    github_emulator.create_repository("acme/old", archived=True)
    github_emulator.create_repository("acme/later")
    github_emulator.set_archived("acme/later")
    gh = client(github_emulator)

    assert gh.get_repo("acme/old").archived is True
    later = gh.get_repo("acme/later")
    assert later.archived is True
    with pytest.raises(GithubException) as refused:
        later.create_git_ref("refs/heads/x", github_emulator.branch_sha("acme/later", "main") or "")
    assert refused.value.status == 403
    assert "archived" in refused.value.data["message"]


def test_bad_token_is_401_bad_credentials(github_emulator: GitHubEmulator) -> None:
    github_emulator.create_repository("acme/api")

    with pytest.raises(BadCredentialsException):
        client(github_emulator, "ghp_wrong").get_repo("acme/api")

    response = _get(github_emulator, "/repos/acme/api", token="ghp_wrong")
    assert response.status_code == 401
    assert response.json()["message"] == "Bad credentials"
    assert "documentation_url" in response.json()


def test_bearer_and_token_schemes_are_both_accepted(github_emulator: GitHubEmulator) -> None:
    github_emulator.create_repository("acme/api", private=True)
    url = f"{github_emulator.api_url}/repos/acme/api"

    for scheme in ("token", "Bearer"):
        headers = {"Authorization": f"{scheme} {github_emulator.token}"}
        assert httpx.get(url, headers=headers).status_code == 200


def test_private_repository_is_hidden_from_anonymous_callers(
    github_emulator: GitHubEmulator,
) -> None:
    github_emulator.create_repository("acme/secret", private=True)
    url = f"{github_emulator.api_url}/repos/acme/secret"

    assert httpx.get(url).status_code == 404
    assert _get(github_emulator, "/repos/acme/secret").json()["private"] is True


def test_every_response_carries_rate_limit_headers(github_emulator: GitHubEmulator) -> None:
    github_emulator.create_repository("acme/api")

    first = _get(github_emulator, "/repos/acme/api")
    missing = _get(github_emulator, "/repos/acme/missing")

    for response in (first, missing):
        assert response.headers["X-RateLimit-Limit"] == "5000"
        assert response.headers["X-RateLimit-Resource"] == "core"
        assert int(response.headers["X-RateLimit-Reset"]) > time.time()
    assert int(missing.headers["X-RateLimit-Used"]) == int(first.headers["X-RateLimit-Used"]) + 1
    assert int(missing.headers["X-RateLimit-Remaining"]) == 5000 - int(
        missing.headers["X-RateLimit-Used"]
    )


def test_rate_limit_endpoint_reports_the_core_window_without_spending_it(
    github_emulator: GitHubEmulator,
) -> None:
    gh = client(github_emulator)

    before = gh.get_rate_limit().resources.core
    after = gh.get_rate_limit().resources.core

    assert before.limit == 5000
    assert after.remaining == before.remaining


def test_secondary_rate_limit_answers_403_with_retry_after(
    github_emulator: GitHubEmulator,
) -> None:
    github_emulator.create_repository("acme/api")
    github_emulator.faults.secondary_rate_limit(count=2, retry_after=7)

    response = _get(github_emulator, "/repos/acme/api")
    assert response.status_code == 403
    assert response.headers["Retry-After"] == "7"
    assert response.json()["message"].startswith("You have exceeded a secondary rate limit.")

    with pytest.raises(RateLimitExceededException) as limited:
        client(github_emulator).get_repo("acme/api")
    assert limited.value.headers is not None
    assert limited.value.headers["retry-after"] == "7"

    assert _get(github_emulator, "/repos/acme/api").status_code == 200
    assert github_emulator.faults.pending == 0


def test_pygithub_default_retry_waits_out_a_secondary_limit(
    github_emulator: GitHubEmulator,
) -> None:
    github_emulator.create_repository("acme/api")
    github_emulator.faults.secondary_rate_limit(count=1, retry_after=1)

    repo = client(github_emulator, retry=True).get_repo("acme/api")

    assert repo.name == "api"
    statuses = [entry.status for entry in github_emulator.rest_calls()]
    assert statuses == [403, 200]


def test_primary_rate_limit_reports_nothing_remaining(github_emulator: GitHubEmulator) -> None:
    github_emulator.create_repository("acme/api")
    github_emulator.faults.primary_rate_limit(reset_in=30)

    response = _get(github_emulator, "/repos/acme/api")

    assert response.status_code == 403
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert int(response.headers["X-RateLimit-Reset"]) >= time.time() + 25
    assert response.json()["message"].startswith("API rate limit exceeded")


def test_server_error_fault_answers_5xx_then_recovers(github_emulator: GitHubEmulator) -> None:
    github_emulator.create_repository("acme/api")
    github_emulator.faults.server_error(count=1, status=503)

    with pytest.raises(GithubException) as failed:
        client(github_emulator).get_repo("acme/api")

    assert failed.value.status == 503
    assert client(github_emulator).get_repo("acme/api").name == "api"


def test_faults_can_be_limited_to_writes(github_emulator: GitHubEmulator) -> None:
    github_emulator.create_repository("acme/api")
    github_emulator.faults.server_error(status=502, methods=["POST"])
    repo = client(github_emulator).get_repo("acme/api")
    sha = repo.get_branch("main").commit.sha

    with pytest.raises(GithubException) as failed:
        repo.create_git_ref("refs/heads/feature", sha)

    assert failed.value.status == 502
    assert repo.create_git_ref("refs/heads/feature", sha).object.sha == sha


def test_branch_reports_head_commit_and_protection(github_emulator: GitHubEmulator) -> None:
    sha = github_emulator.create_repository("acme/api")
    github_emulator.protect_branch("acme/api", "main")
    repo = client(github_emulator).get_repo("acme/api")

    branch = repo.get_branch("main")

    assert branch.commit.sha == sha
    assert branch.protected is True
    with pytest.raises(UnknownObjectException):
        repo.get_branch("nope")


def test_git_refs_can_be_created_moved_and_deleted(github_emulator: GitHubEmulator) -> None:
    base = github_emulator.create_repository("acme/api")
    ahead = github_emulator.commit_files("acme/api", "side", {"a.txt": "a\n"})
    repo = client(github_emulator).get_repo("acme/api")

    ref = repo.create_git_ref("refs/heads/topic/one", base)
    assert repo.get_git_ref("heads/topic/one").object.sha == base
    ref.edit(ahead)
    assert github_emulator.branch_sha("acme/api", "topic/one") == ahead
    with pytest.raises(GithubException) as not_ff:
        ref.edit(base)
    assert not_ff.value.status == 422
    ref.edit(base, force=True)
    assert {r.ref for r in repo.get_git_refs()} >= {"refs/heads/main", "refs/heads/topic/one"}
    ref.delete()
    assert github_emulator.branch_sha("acme/api", "topic/one") is None


def test_creating_an_existing_ref_is_422(github_emulator: GitHubEmulator) -> None:
    sha = github_emulator.create_repository("acme/api")
    repo = client(github_emulator).get_repo("acme/api")

    with pytest.raises(GithubException) as exists:
        repo.create_git_ref("refs/heads/main", sha)

    assert exists.value.status == 422
    assert exists.value.data["message"] == "Reference already exists"


def test_commit_status_is_empty_pending_and_there_are_no_check_runs(
    github_emulator: GitHubEmulator,
) -> None:
    sha = github_emulator.create_repository("acme/api")
    commit = client(github_emulator).get_repo("acme/api").get_commit(sha)

    status = commit.get_combined_status()

    assert commit.commit.author.name == "GitHub Emulator"
    assert status.state == "pending"
    assert status.total_count == 0
    assert list(status.statuses) == []
    assert commit.get_check_runs().totalCount == 0


def test_unknown_endpoint_is_404_json(github_emulator: GitHubEmulator) -> None:
    response = _get(github_emulator, "/no/such/endpoint")

    assert response.status_code == 404
    assert response.json()["message"] == "Not Found"


def test_authenticated_user_is_the_emulator_login(github_emulator: GitHubEmulator) -> None:
    assert client(github_emulator).get_user().login == github_emulator.login
