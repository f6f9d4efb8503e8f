"""Every route the GitHub emulator serves, success and error answers, checked against
GitHub's own published OpenAPI description (``@octokit/openapi``, pinned in githubspec)."""

from __future__ import annotations

import time

import jwt
import pytest
from githubspec import EXCEPTIONS, CheckedApi, Coverage

from aodfix.emulator.github import RepositorySpec, SearchLimits
from aodfix.emulator.github.rest_pipeline import build_router

REPO = "/repos/acme/api"


def _seed_pull(api: CheckedApi) -> int:
    api.emulator.create_repository("acme/api")
    api.emulator.commit_files("acme/api", "fix/typo", {"README.md": "fixed\n"})
    body = {"title": "Fix typo", "head": "fix/typo", "base": "main", "body": "Fixes it."}
    return int(api.call("POST", REPO + "/pulls", 201, json=body).json()["number"])


def _app_jwt(app_id: int, key: str) -> str:
    now = int(time.time())
    return jwt.encode({"iat": now - 60, "exp": now + 300, "iss": str(app_id)}, key, "RS256")


def test_account_and_rate_limit_answers_match(api: CheckedApi) -> None:
    api.call("GET", "/user", 200)
    api.call("GET", "/user", 401, token="ghp_wrong")
    api.call("GET", "/users/acme", 200)
    api.call("GET", "/rate_limit", 200)


def test_repository_and_branch_answers_match(api: CheckedApi) -> None:
    api.emulator.create_repository("acme/api")
    api.emulator.commit_files("acme/api", "feat/x", {"a.txt": "a\n"})
    api.call("GET", REPO, 200)
    api.call("GET", "/repos/acme/missing", 404)
    api.call("GET", REPO + "/branches", 200)
    api.call("GET", REPO + "/branches/feat/x", 200)
    api.call("GET", REPO + "/branches/nope", 404)


def test_git_ref_answers_match(api: CheckedApi) -> None:
    sha = api.emulator.create_repository("acme/api")
    api.call("GET", REPO + "/git/ref/heads/main", 200)
    api.call("GET", REPO + "/git/ref/heads/nope", 404)
    api.call("GET", REPO + "/git/refs", 200)
    api.call("GET", REPO + "/git/refs/heads/main", 200)
    api.call("GET", REPO + "/git/matching-refs/heads/ma", 200)
    api.call("POST", REPO + "/git/refs", 201, json={"ref": "refs/heads/b", "sha": sha})
    api.call("POST", REPO + "/git/refs", 422, json={"ref": "refs/heads/b", "sha": sha})
    api.call("PATCH", REPO + "/git/refs/heads/b", 200, json={"sha": sha, "force": True})
    api.call("PATCH", REPO + "/git/refs/heads/nope", 422, json={"sha": sha})
    api.call("DELETE", REPO + "/git/refs/heads/b", 204)
    api.call("DELETE", REPO + "/git/refs/heads/b", 422)


def test_commit_status_and_check_answers_match(api: CheckedApi) -> None:
    sha = api.emulator.create_repository("acme/api")
    api.call("GET", f"{REPO}/commits/{sha}", 200)
    api.call("GET", f"{REPO}/commits/{'0' * 40}", 422)
    api.call("GET", f"{REPO}/commits/{sha}/status", 200)
    api.call("GET", f"{REPO}/commits/{sha}/check-runs", 200)
    api.emulator.set_status("acme/api", sha, "ci", "success", target_url="https://ci.example/1")
    api.emulator.set_check("acme/api", sha, "build", "completed", "failure", title="Broken")
    api.emulator.set_check("acme/api", sha, "test", "in_progress")
    status = {"state": "pending", "context": "lint", "description": "Linting"}
    api.call("POST", f"{REPO}/statuses/{sha}", 201, json=status)
    api.call("POST", f"{REPO}/statuses/{sha}", 422, json={"state": "green"})
    assert api.call("GET", f"{REPO}/commits/main/status", 200).json()["state"] == "pending"
    assert len(api.call("GET", f"{REPO}/commits/{sha}/statuses", 200).json()) == 2
    assert len(api.call("GET", f"{REPO}/statuses/{sha}", 200).json()) == 2
    runs = api.call("GET", f"{REPO}/commits/{sha}/check-runs", 200, params={"filter": "all"})
    assert runs.json()["total_count"] == 2


def test_branch_protection_answers_match(api: CheckedApi) -> None:
    api.emulator.create_repository("acme/api")
    protection = REPO + "/branches/main/protection"
    api.call("GET", protection, 404)
    api.emulator.protect_branch("acme/api", "main")
    api.call("GET", protection, 200)
    api.call("GET", protection + "/required_status_checks", 404)
    api.emulator.protect_branch("acme/api", "main", required_checks=["ci"], required_approvals=2)
    assert api.call("GET", protection, 200).json()["required_status_checks"]["contexts"] == ["ci"]
    api.call("GET", protection + "/required_status_checks", 200)
    api.call("GET", REPO + "/branches/main", 200)


def test_review_answers_match(api: CheckedApi) -> None:
    number = _seed_pull(api)
    api.emulator.add_token("ghp_alice", login="alice")
    reviews = f"{REPO}/pulls/{number}/reviews"
    api.call("POST", reviews, 422, json={"event": "APPROVE"})  # the author's own PR
    review = api.call("POST", reviews, 200, json={"event": "APPROVE"}, token="ghp_alice").json()
    body = {"event": "REQUEST_CHANGES", "body": "Not yet."}
    api.call("POST", reviews, 200, json=body, token="ghp_alice")
    api.call("GET", reviews, 200)
    api.call("GET", f"{reviews}/{review['id']}", 200)
    api.call("GET", f"{reviews}/999999", 404)


def test_guarded_merge_answers_match(api: CheckedApi) -> None:
    number = _seed_pull(api)
    merge = f"{REPO}/pulls/{number}/merge"
    update = f"{REPO}/pulls/{number}/update-branch"
    api.call("PUT", update, 422, json={})
    api.emulator.commit_files("acme/api", "main", {"other.txt": "moved on\n"})
    api.call("PUT", update, 422, json={"expected_head_sha": "0" * 40})
    api.call("PUT", update, 202, json={})
    api.emulator.protect_branch("acme/api", "main", required_checks=["ci"])
    api.call("PUT", merge, 405, json={"merge_method": "squash"})
    api.emulator.set_check("acme/api", "fix/typo", "ci")
    api.call("PUT", merge, 409, json={"sha": "0" * 40})
    api.call("PUT", merge, 422, json={"merge_method": "octopus"})
    api.call("PUT", merge, 200, json={"merge_method": "squash"})


def test_label_answers_match(api: CheckedApi) -> None:
    api.emulator.create_repository("acme/api")
    api.call("POST", REPO + "/labels", 201, json={"name": "bot", "color": "ededed"})
    api.call("POST", REPO + "/labels", 422, json={"name": "bot", "color": "ededed"})
    api.call("GET", REPO + "/labels", 200)
    api.call("GET", REPO + "/labels/bot", 200)
    api.call("GET", REPO + "/labels/nope", 404)


def test_pull_request_answers_match(api: CheckedApi) -> None:
    number = _seed_pull(api)
    pull = f"{REPO}/pulls/{number}"
    body = {"title": "Again", "head": "fix/typo", "base": "main"}
    api.call("POST", REPO + "/pulls", 422, json=body)
    api.call("POST", REPO + "/pulls", 422, json={"head": "fix/typo"})
    api.call("GET", REPO + "/pulls", 200, params={"state": "open", "head": "acme:fix/typo"})
    api.call("GET", pull, 200)
    api.call("GET", f"{REPO}/pulls/999", 404)
    api.call("PATCH", pull, 200, json={"title": "Fix the typo", "body": "Now."})
    api.call("GET", pull + "/commits", 200)
    api.call("GET", pull + "/reviews", 200)
    api.call("GET", pull + "/merge", 404)
    api.call("GET", pull + "/requested_reviewers", 200)
    api.call("POST", pull + "/requested_reviewers", 201, json={"reviewers": ["octo"]})
    api.call("POST", pull + "/requested_reviewers", 422, json={"reviewers": ["aodfix-bot"]})
    api.call("DELETE", pull + "/requested_reviewers", 200, json={"reviewers": ["octo"]})
    api.call("PUT", pull + "/merge", 200, json={"merge_method": "merge"})
    api.call("GET", pull + "/merge", 204)
    api.call("PUT", pull + "/merge", 405, json={})


def test_issue_answers_match(api: CheckedApi) -> None:
    api.emulator.create_repository("acme/api")
    number = api.call("POST", REPO + "/issues", 201, json={"title": "Broken"}).json()["number"]
    api.call("POST", REPO + "/issues", 422, json={"body": "no title"})
    issue = f"{REPO}/issues/{number}"
    api.call("GET", issue, 200)
    api.call("GET", f"{REPO}/issues/999", 404)
    api.call("PATCH", issue, 200, json={"state": "closed"})
    api.call("POST", issue + "/assignees", 201, json={"assignees": ["octo"]})
    api.call("DELETE", issue + "/assignees", 200, json={"assignees": ["octo"]})


def test_issue_label_answers_match(api: CheckedApi) -> None:
    number = _seed_pull(api)
    labels = f"{REPO}/issues/{number}/labels"
    api.call("POST", labels, 200, json={"labels": ["bot", "deps"]})
    api.call("GET", labels, 200)
    api.call("PUT", labels, 200, json={"labels": ["bot"]})
    api.call("DELETE", labels + "/bot", 200)
    api.call("DELETE", labels + "/bot", 404)
    api.call("DELETE", labels, 204)


def test_issue_comment_answers_match(api: CheckedApi) -> None:
    number = _seed_pull(api)
    comments = f"{REPO}/issues/{number}/comments"
    comment_id = api.call("POST", comments, 201, json={"body": "Hi"}).json()["id"]
    api.call("POST", comments, 422, json={})
    api.call("GET", comments, 200)
    comment = f"{REPO}/issues/comments/{comment_id}"
    api.call("GET", comment, 200)
    api.call("PATCH", comment, 200, json={"body": "Hello"})
    api.call("DELETE", comment, 204)
    api.call("GET", comment, 404)


def test_github_app_answers_match(api: CheckedApi) -> None:
    api.emulator.create_repository("acme/api")
    app = api.emulator.register_app({"acme": "all"})
    bearer = _app_jwt(app.app_id, app.private_key_pem)
    installation = app.installations["acme"]
    api.call("GET", "/app", 200, bearer=bearer)
    api.call("GET", "/app", 401, bearer="not.a.jwt")
    api.call("GET", "/app/installations", 200, bearer=bearer)
    api.call("GET", f"/app/installations/{installation}", 200, bearer=bearer)
    api.call("GET", "/app/installations/999999", 404, bearer=bearer)
    tokens = f"/app/installations/{installation}/access_tokens"
    token = api.call("POST", tokens, 201, bearer=bearer).json()["token"]
    api.call("GET", "/orgs/acme/installation", 200, bearer=bearer)
    api.call("GET", "/orgs/nobody/installation", 404, bearer=bearer)
    api.call("GET", "/users/acme/installation", 200, bearer=bearer)
    api.call("GET", REPO + "/installation", 200, bearer=bearer)
    api.call("GET", "/installation/repositories", 200, token=token)


def _seed_selection(api: CheckedApi) -> None:
    files = {"setup.py": "import setuptools\n"}
    api.emulator.create_repositories(
        [
            RepositorySpec("acme/api", files=files, topics=["python"], language="Python"),
            RepositorySpec("acme/old", files=files, archived=True, fork=True),
            RepositorySpec("acme/secret", files=files, private=True),
        ]
    )
    api.emulator.create_account("octo")
    api.emulator.create_repository("octo/dotfiles")


def test_account_listing_answers_match(api: CheckedApi) -> None:
    _seed_selection(api)
    api.call("GET", "/orgs/acme", 200)
    api.call("GET", "/orgs/nobody", 404)
    api.call("GET", "/orgs/acme/repos", 200, params={"type": "all"})
    api.call("GET", "/orgs/acme/repos", 200, params={"type": "forks", "sort": "full_name"})
    api.call("GET", "/orgs/nobody/repos", 404)
    api.call("GET", "/users/octo/repos", 200)
    api.call("GET", "/users/nobody/repos", 404)
    api.call("GET", REPO + "/topics", 200)
    api.call("GET", "/repos/acme/missing/topics", 404)


def test_repository_search_answers_match(api: CheckedApi) -> None:
    _seed_selection(api)
    api.call("GET", "/search/repositories", 200, params={"q": "org:acme fork:true topic:python"})
    api.call("GET", "/search/repositories", 422, params={"q": "org:acme stars:>1"})
    api.call(
        "GET",
        "/search/repositories",
        422,
        params={"q": "org:acme", "page": "11", "per_page": "100"},
    )
    api.call("GET", "/search/repositories", 422)


def test_code_search_answers_match(api: CheckedApi) -> None:
    _seed_selection(api)
    api.call("GET", "/search/code", 200, params={"q": "setuptools org:acme"})
    api.call("GET", "/search/code", 422, params={"q": "language:python org:acme"})
    api.call("GET", "/search/code", 401, params={"q": "setuptools"}, anonymous=True)


def test_issue_search_answers_match(api: CheckedApi) -> None:
    number = _seed_pull(api)
    api.call("POST", f"{REPO}/issues", 201, json={"title": "Broken", "body": "Fixes it."})
    api.call("POST", f"{REPO}/issues/{number}/labels", 200, json={"labels": ["bot"]})
    found = api.call(
        "GET", "/search/issues", 200, params={"q": '"Fixes it" in:body is:pr org:acme label:bot'}
    ).json()
    assert [item["number"] for item in found["items"]] == [number]
    api.call("GET", "/search/issues", 200, params={"q": "repo:acme/api is:issue is:open"})
    api.call("GET", "/search/issues", 422, params={"q": "is:pr review:approved"})
    api.call("GET", "/search/issues", 422, params={"q": "is:pr", "page": "11", "per_page": "100"})
    api.call("GET", "/search/issues", 422)


def test_spent_search_windows_answer_403(api: CheckedApi) -> None:
    _seed_selection(api)
    api.emulator.set_search_limits(SearchLimits(search=1, code_search=1))
    for path, q in (("/search/repositories", "org:acme"), ("/search/code", "setuptools")):
        api.call("GET", path, 200, params={"q": q})
        api.call("GET", path, 403, params={"q": q})
    api.call("GET", "/search/issues", 403, params={"q": "org:acme is:pr"})
    assert api.call("GET", "/rate_limit", 200).json()["resources"]["code_search"]["remaining"] == 0


def test_lists_with_another_page_send_a_link_header(api: CheckedApi) -> None:
    api.emulator.create_repository("acme/api")
    api.emulator.commit_files("acme/api", "second", {"b.txt": "b\n"})
    response = api.call("GET", REPO + "/branches", 200, params={"per_page": "1"})
    assert 'rel="next"' in response.headers["Link"]


def test_every_emulator_route_is_covered(
    api: CheckedApi, coverage: Coverage, request: pytest.FixtureRequest
) -> None:
    module_tests = [item for item in request.session.items if item.module is request.module]
    if len(module_tests) != len([n for n in dir(request.module) if n.startswith("test_")]):
        pytest.skip("route coverage is only known when the whole module runs")
    served = {(route.method, route.regex.pattern) for route in build_router().routes}
    missing = sorted(served - coverage.routes())
    assert not missing, f"routes the suite never drove: {missing}"
    unused = set(EXCEPTIONS) - coverage.excused
    assert not unused, f"exceptions no longer needed: {unused}"
