"""After the PR is opened: issue search, mergeability, branch protection, checks, reviews,
draft and ready, merge, close — through PyGithub as aodfix drives them, raw HTTP for edges."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from ghkit import client
from github import GithubException, UnknownObjectException

from aodfix.emulator.github import GitHubEmulator, MergeRefused, SearchLimits

MARKER = "<!-- aodfix:batch=fix -->"
BATCH_QUERY = f'is:pr head:aodfix/fix "{MARKER}" in:body'
ALICE = "ghp_alice_token"


def _pull(
    emulator: GitHubEmulator,
    full_name: str = "acme/api",
    *,
    branch: str = "aodfix/fix",
    body: str | None = MARKER,
    draft: bool = False,
    files: dict[str, str] | None = None,
) -> int:
    """A repository (created if need be) with one PR from ``branch``; returns its number."""
    try:
        emulator.branch_sha(full_name, "main")
    except KeyError:
        emulator.create_repository(full_name)
    emulator.commit_files(full_name, branch, files or {"fix.txt": f"{branch}\n"})
    repo = client(emulator).get_repo(full_name)
    pull = repo.create_pull(base="main", head=branch, title="Fix it", body=body, draft=draft)
    return pull.number


def _api(
    emulator: GitHubEmulator, method: str, path: str, token: str | None = None, **kwargs: object
) -> httpx.Response:
    headers = {"Authorization": f"token {token or emulator.token}"}
    return httpx.request(method, emulator.api_url + path, headers=headers, timeout=30, **kwargs)  # type: ignore[arg-type]


def _graphql(emulator: GitHubEmulator, query: str, variables: dict[str, object]) -> httpx.Response:
    headers = {"Authorization": f"bearer {emulator.token}"}
    body = {"query": query, "variables": variables}
    return httpx.post(f"{emulator.server_url}/api/graphql", headers=headers, json=body)


def _state(
    emulator: GitHubEmulator, number: int, full_name: str = "acme/api"
) -> tuple[object, str]:
    pull = client(emulator).get_repo(full_name).get_pull(number)
    return pull.mergeable, pull.mergeable_state


# -- search ----------------------------------------------------------------------------------


def test_issue_search_finds_the_batch_by_head_and_marker_in_the_body(
    github_emulator: GitHubEmulator,
) -> None:
    one = _pull(github_emulator, "acme/one")
    two = _pull(github_emulator, "acme/two")
    _pull(github_emulator, "acme/three", body="<!-- aodfix:batch=other -->")
    _pull(github_emulator, "acme/four", branch="aodfix/other")
    _pull(github_emulator, "elsewhere/five")
    gh = client(github_emulator)
    gh.get_repo("acme/one").create_issue("Tracking", body=MARKER)

    results = gh.search_issues(f"{BATCH_QUERY} org:acme")

    assert results.totalCount == 2
    found = sorted((item.repository.full_name, item.number) for item in results)
    assert found == [("acme/one", one), ("acme/two", two)]
    item = next(iter(results))
    assert item.pull_request is not None
    assert item.pull_request.html_url.endswith(f"/pull/{item.number}")
    assert item.as_pull_request().head.ref == "aodfix/fix"


def test_phrases_match_whole_words_with_punctuation_ignored(
    github_emulator: GitHubEmulator,
) -> None:
    exact = _pull(github_emulator, "acme/one")
    suffixed = _pull(github_emulator, "acme/two", body="<!-- aodfix:batch=fix-2 -->")
    _pull(github_emulator, "acme/three", body="<!-- aodfix:batch=fixes -->")
    gh = client(github_emulator)

    def numbers(query: str) -> list[tuple[str, int]]:
        return sorted((i.repository.full_name, i.number) for i in gh.search_issues(query))

    # As on GitHub, "fix-2" is the words "fix 2": callers must confirm the exact marker.
    assert numbers(f'"{MARKER}" in:body') == [("acme/one", exact), ("acme/two", suffixed)]
    assert numbers('"aodfix batch fix" in:body') == numbers(f'"{MARKER}" in:body')
    assert numbers('"AODFIX:BATCH=FIXES" in:body') == [("acme/three", 1)]
    assert numbers('"aodfix:batch=fi" in:body') == []
    assert numbers(f'"{MARKER}" in:title') == []


def test_state_and_kind_qualifiers_select_pull_requests(github_emulator: GitHubEmulator) -> None:
    merged = _pull(github_emulator, "acme/api", branch="one")
    closed = _pull(github_emulator, "acme/api", branch="two")
    draft = _pull(github_emulator, "acme/api", branch="three", draft=True)
    open_ = _pull(github_emulator, "acme/api", branch="four")
    repo = client(github_emulator).get_repo("acme/api")
    repo.get_pull(closed).edit(state="closed")
    github_emulator.merge_pull("acme/api", merged)
    issue = repo.create_issue("An issue", body=MARKER).number
    gh = client(github_emulator)

    def numbers(query: str) -> list[int]:
        return sorted(item.number for item in gh.search_issues(f"repo:acme/api {query}"))

    assert numbers("is:pr is:open") == [draft, open_]
    assert numbers("is:pr state:closed") == [merged, closed]
    assert numbers("is:pr is:merged") == [merged]
    assert numbers("is:pr is:unmerged") == [closed, draft, open_]
    assert numbers("is:pr -is:merged is:closed") == [closed]
    assert numbers("draft:true") == [draft]
    assert numbers("is:pr draft:false is:open") == [open_]
    assert numbers("is:issue") == [issue]
    assert numbers("type:pr head:three") == [draft]
    assert numbers("is:pr base:main -head:one -head:two") == [draft, open_]


def test_scope_author_label_and_title_qualifiers(github_emulator: GitHubEmulator) -> None:
    api = _pull(github_emulator, "acme/api")
    _pull(github_emulator, "acme/web")
    github_emulator.create_account("octo")
    mine = _pull(github_emulator, "octo/dotfiles")
    repo = client(github_emulator).get_repo("acme/api")
    repo.get_pull(api).as_issue().edit(labels=["aodfix", "deps"])
    gh = client(github_emulator)

    def names(query: str) -> list[str]:
        return sorted(f"{i.repository.full_name}#{i.number}" for i in gh.search_issues(query))

    assert names("is:pr user:octo") == [f"octo/dotfiles#{mine}"]
    assert names("is:pr repo:acme/api repo:octo/dotfiles") == [f"acme/api#{api}", "octo/dotfiles#1"]
    assert names("is:pr org:acme label:aodfix label:deps") == [f"acme/api#{api}"]
    assert names("is:pr org:acme label:missing,deps") == [f"acme/api#{api}"]
    assert len(names(f"is:pr author:{github_emulator.login}")) == 3
    assert names("is:pr author:someone-else") == []
    assert len(names('"fix it" in:title is:pr')) == 3
    with pytest.raises(GithubException) as unknown:
        list(gh.search_issues("is:pr repo:acme/missing"))
    assert unknown.value.status == 422


def test_issue_search_pages_with_link_and_stops_at_1000(github_emulator: GitHubEmulator) -> None:
    github_emulator.seed_organisation("big", 1010)
    github_emulator.seed_pull_requests("big", branch="aodfix/fix", body=MARKER)
    query = {"q": f"{BATCH_QUERY} org:big", "per_page": "100"}

    first = _api(github_emulator, "GET", "/search/issues", params=query)
    last = _api(github_emulator, "GET", "/search/issues", params={**query, "page": "10"})
    beyond = _api(github_emulator, "GET", "/search/issues", params={**query, "page": "11"})

    assert first.json()["total_count"] == 1010
    assert first.json()["incomplete_results"] is False
    assert len(first.json()["items"]) == 100
    assert 'page=10>; rel="last"' in first.headers["Link"]
    assert len(last.json()["items"]) == 100
    assert 'rel="next"' not in last.headers["Link"]
    assert beyond.status_code == 422
    assert beyond.json()["message"] == "Only the first 1000 search results are available"


def test_issue_search_spends_the_search_window(github_emulator: GitHubEmulator) -> None:
    _pull(github_emulator)
    github_emulator.set_search_limits(SearchLimits(search=2))

    answers = [
        _api(github_emulator, "GET", "/search/issues", params={"q": "is:pr"}) for _ in range(2)
    ]
    refused = _api(github_emulator, "GET", "/search/repositories", params={"q": "api"})

    assert [a.headers["X-RateLimit-Resource"] for a in answers] == ["search", "search"]
    assert answers[1].headers["X-RateLimit-Remaining"] == "0"
    assert refused.status_code == 403
    assert int(refused.headers["Retry-After"]) >= 1


# -- mergeability and merging --------------------------------------------------------------


def test_a_draft_is_draft_until_marked_ready_over_graphql(github_emulator: GitHubEmulator) -> None:
    number = _pull(github_emulator, draft=True)
    pull = client(github_emulator).get_repo("acme/api").get_pull(number)
    assert (pull.draft, pull.mergeable, pull.mergeable_state) == (True, True, "draft")

    answer = pull.mark_ready_for_review()

    assert answer["pullRequest"] == {"isDraft": False}
    assert pull.draft is False
    assert _state(github_emulator, number) == (True, "clean")
    pull.convert_to_draft()
    assert _state(github_emulator, number) == (True, "draft")
    calls = github_emulator.graphql_calls()
    assert [(c.path, c.status, c.is_write) for c in calls] == [("/api/graphql", 200, True)] * 2


def test_required_checks_block_the_merge_until_they_pass(github_emulator: GitHubEmulator) -> None:
    number = _pull(github_emulator)
    github_emulator.protect_branch("acme/api", "main", required_checks=["ci", "lint"])
    pull = client(github_emulator).get_repo("acme/api").get_pull(number)
    assert pull.mergeable_state == "blocked"

    with pytest.raises(GithubException) as missing:
        pull.merge()
    github_emulator.set_check("acme/api", pull.head.sha, "ci", "completed", "failure")
    github_emulator.set_status("acme/api", pull.head.sha, "lint", "success")
    with pytest.raises(GithubException) as failing:
        pull.merge()
    github_emulator.set_check("acme/api", pull.head.sha, "ci")  # a re-run that passed

    assert missing.value.status == 405
    assert missing.value.data["message"] == "2 of 2 required status checks are expected."
    assert "protected-branches" in missing.value.data["documentation_url"]
    assert failing.value.data["message"] == 'Required status check "ci" is failing.'
    assert _state(github_emulator, number) == (True, "clean")
    assert pull.merge(merge_method="squash").merged is True


def test_an_optional_failing_check_is_unstable_and_still_merges(
    github_emulator: GitHubEmulator,
) -> None:
    number = _pull(github_emulator)
    github_emulator.set_status("acme/api", "aodfix/fix", "coverage", "failure")
    github_emulator.set_check("acme/api", "aodfix/fix", "docs", "queued")

    assert _state(github_emulator, number) == (True, "unstable")
    assert client(github_emulator).get_repo("acme/api").get_pull(number).merge().merged


def test_required_approvals_and_requested_changes_block_the_merge(
    github_emulator: GitHubEmulator,
) -> None:
    number = _pull(github_emulator)
    github_emulator.protect_branch("acme/api", "main", required_approvals=2)
    github_emulator.add_review("acme/api", number, "alice", "APPROVED")
    pull = client(github_emulator).get_repo("acme/api").get_pull(number)

    with pytest.raises(GithubException) as short:
        pull.merge()
    github_emulator.add_review("acme/api", number, "bob", "CHANGES_REQUESTED", "Not yet.")
    with pytest.raises(GithubException) as changes:
        pull.merge()
    blocked = _state(github_emulator, number)
    github_emulator.add_review("acme/api", number, "bob", "APPROVED")  # bob's latest word

    assert short.value.data["message"] == (
        "At least 2 approving reviews are required by reviewers with write access."
    )
    assert changes.value.status == 405
    assert blocked == (True, "blocked")
    assert _state(github_emulator, number) == (True, "clean")
    assert pull.merge().merged is True


def test_a_strict_rule_wants_the_head_up_to_date(github_emulator: GitHubEmulator) -> None:
    number = _pull(github_emulator)
    github_emulator.protect_branch("acme/api", "main", strict=True)
    github_emulator.commit_files("acme/api", "main", {"other.txt": "moved on\n"})
    pull = client(github_emulator).get_repo("acme/api").get_pull(number)

    with pytest.raises(GithubException) as behind:
        pull.merge()
    state = _state(github_emulator, number)
    updated = pull.update_branch()

    assert state == (True, "behind")
    assert behind.value.data["message"] == "Head branch is not up to date with the base branch"
    assert updated is True
    assert _state(github_emulator, number) == (True, "clean")
    assert pull.update_branch() is False  # nothing new on the base any more


def test_a_conflicting_pull_request_is_dirty_and_refused(github_emulator: GitHubEmulator) -> None:
    number = _pull(github_emulator, files={"README.md": "fixed\n"})

    github_emulator.make_conflict("acme/api", number)

    assert _state(github_emulator, number) == (False, "dirty")
    refused = _api(github_emulator, "PUT", f"/repos/acme/api/pulls/{number}/merge", json={})
    assert (refused.status_code, refused.json()["message"]) == (
        405,
        "Pull Request is not mergeable",
    )


def test_merge_edges_stale_head_bad_method_and_unknown_mergeability(
    github_emulator: GitHubEmulator,
) -> None:
    number = _pull(github_emulator)
    merge = f"/repos/acme/api/pulls/{number}/merge"
    github_emulator.delay_mergeability("acme/api", number)

    assert _state(github_emulator, number) == (None, "unknown")
    assert _state(github_emulator, number) == (True, "clean")
    stale = _api(github_emulator, "PUT", merge, json={"sha": "0" * 40})
    bad = _api(github_emulator, "PUT", merge, json={"merge_method": "octopus"})
    done = _api(github_emulator, "PUT", merge, json={"merge_method": "rebase"})
    assert stale.status_code == 409
    assert stale.json()["message"] == "Head branch was modified. Review and try the merge again."
    assert bad.status_code == 422
    assert done.status_code == 200
    sha = done.json()["sha"]
    assert client(github_emulator).get_repo("acme/api").get_commit(sha).parents[0].sha != sha
    assert len(client(github_emulator).get_repo("acme/api").get_commit(sha).parents) == 1


def test_the_merge_helper_bypasses_protection_unless_told_not_to(
    github_emulator: GitHubEmulator,
) -> None:
    first = _pull(github_emulator, branch="one")
    second = _pull(github_emulator, branch="two")
    github_emulator.protect_branch("acme/api", "main", required_checks=["ci"])
    merged_at = datetime(2024, 3, 1, 12, tzinfo=UTC)

    with pytest.raises(MergeRefused) as refused:
        github_emulator.merge_pull("acme/api", first, bypass_protection=False)
    github_emulator.merge_pull("acme/api", second, merged_at=merged_at)

    assert refused.value.status == 405
    merged = client(github_emulator).get_repo("acme/api").get_pull(second)
    assert (merged.merged, merged.merged_at) == (True, merged_at)


# -- branch protection, checks, statuses -----------------------------------------------------


def test_branch_protection_reads_back_through_pygithub(github_emulator: GitHubEmulator) -> None:
    github_emulator.create_repository("acme/api")
    repo = client(github_emulator).get_repo("acme/api")
    with pytest.raises(GithubException) as unprotected:
        repo.get_branch("main").get_protection()
    assert (unprotected.value.status, unprotected.value.data["message"]) == (
        404,
        "Branch not protected",
    )

    github_emulator.protect_branch(
        "acme/api", "main", required_checks=["ci"], required_approvals=1, strict=True
    )
    branch = repo.get_branch("main")
    protection = branch.get_protection()

    assert branch.protected is True
    assert protection.required_status_checks.contexts == ["ci"]
    assert protection.required_status_checks.strict is True
    assert protection.required_pull_request_reviews.required_approving_review_count == 1
    assert branch.get_required_status_checks().contexts == ["ci"]
    github_emulator.protect_branch("acme/api", "main", protected=False)
    assert repo.get_branch("main").protected is False


def test_check_runs_and_statuses_read_as_github_combines_them(
    github_emulator: GitHubEmulator,
) -> None:
    number = _pull(github_emulator)
    repo = client(github_emulator).get_repo("acme/api")
    head = repo.get_pull(number).head.sha
    github_emulator.set_check("acme/api", head, "build", "completed", "failure", title="Broken")
    github_emulator.set_check("acme/api", head, "build", "completed", "success")
    github_emulator.set_check("acme/api", head, "test", "in_progress")
    github_emulator.set_status("acme/api", head, "ci/lint", "pending")
    commit = repo.get_commit(head)
    assert commit.get_combined_status().state == "pending"

    github_emulator.set_status("acme/api", head, "ci/lint", "success")
    github_emulator.set_status("acme/api", head, "ci/docs", "error", description="Timed out")

    runs = {run.name: (run.status, run.conclusion) for run in commit.get_check_runs()}
    assert runs == {"build": ("completed", "success"), "test": ("in_progress", None)}
    assert commit.get_check_runs(filter="all").totalCount == 3
    assert [r.name for r in commit.get_check_runs(check_name="test")] == ["test"]
    (run, *_) = commit.get_check_runs(check_name="build")
    assert [p.number for p in run.pull_requests] == [number]
    combined = commit.get_combined_status()
    assert combined.state == "failure"
    assert {(s.context, s.state) for s in combined.statuses} == {
        ("ci/lint", "success"),
        ("ci/docs", "error"),
    }
    assert [s.state for s in commit.get_statuses()] == ["error", "success", "pending"]
    created = repo.get_commit(head).create_status("success", context="ci/docs")
    assert created.creator.login == github_emulator.login
    assert repo.get_commit("aodfix/fix").get_combined_status().state == "success"


# -- reviews ---------------------------------------------------------------------------------


def test_reviews_are_created_and_listed_as_on_github(github_emulator: GitHubEmulator) -> None:
    number = _pull(github_emulator)
    github_emulator.add_token(ALICE, login="alice")
    own = client(github_emulator).get_repo("acme/api").get_pull(number)
    own.create_review_request(reviewers=["alice"])
    as_alice = client(github_emulator, ALICE).get_repo("acme/api").get_pull(number)

    with pytest.raises(GithubException) as self_approval:
        own.create_review(event="APPROVE")
    with pytest.raises(GithubException) as blank:
        as_alice.create_review(event="REQUEST_CHANGES")
    changes = as_alice.create_review(event="REQUEST_CHANGES", body="Please rename it.")
    as_alice.create_review(event="COMMENT", body="Looks better.")
    own.create_review(event="COMMENT", body="Renamed.")
    approval = as_alice.create_review(event="APPROVE")

    assert self_approval.value.status == 422
    assert self_approval.value.data["errors"] == ["Can not approve your own pull request"]
    assert blank.value.status == 422
    reviews = [(r.user.login, r.state) for r in own.get_reviews()]
    assert reviews == [
        ("alice", "CHANGES_REQUESTED"),
        ("alice", "COMMENTED"),
        (github_emulator.login, "COMMENTED"),
        ("alice", "APPROVED"),
    ]
    assert own.get_review(changes.id).body == "Please rename it."
    assert approval.commit_id == own.head.sha
    assert [u.login for u in own.get_review_requests()[0]] == []
    (view,) = github_emulator.pull_requests("acme/api")
    assert view.reviews[-1] == ("alice", "APPROVED")


# -- GraphQL edges ---------------------------------------------------------------------------


def test_graphql_answers_anything_but_its_two_mutations_with_errors(
    github_emulator: GitHubEmulator,
) -> None:
    _pull(github_emulator, draft=True)
    (view,) = github_emulator.pull_requests()
    mutation = (
        "mutation Ready($input: MarkPullRequestReadyForReviewInput!) {"
        " ready: markPullRequestReadyForReview(input: $input) {"
        " clientMutationId pullRequest { __typename number isDraft state } } }"
    )

    done = _graphql(github_emulator, mutation, {"input": {"pullRequestId": view.node_id}})
    query = _graphql(github_emulator, "query { viewer { login } }", {})
    missing = _graphql(github_emulator, mutation, {"input": {"pullRequestId": "PR_nope"}})
    unknown_field = _graphql(
        github_emulator,
        mutation.replace("isDraft", "isGreen"),
        {"input": {"pullRequestId": view.node_id}},
    )
    anonymous = httpx.post(f"{github_emulator.server_url}/api/graphql", json={"query": mutation})

    assert done.json() == {
        "data": {
            "ready": {
                "clientMutationId": None,
                "pullRequest": {
                    "__typename": "PullRequest",
                    "number": view.number,
                    "isDraft": False,
                    "state": "OPEN",
                },
            }
        }
    }
    assert done.headers["X-RateLimit-Resource"] == "graphql"
    assert query.status_code == 200
    assert "markPullRequestReadyForReview" in query.json()["errors"][0]["message"]
    assert missing.json()["errors"][0]["type"] == "NOT_FOUND"
    assert missing.json()["data"] == {"ready": None}
    assert "isGreen" in unknown_field.json()["errors"][0]["message"]
    assert anonymous.status_code == 401


def test_pygithub_reads_an_unknown_node_as_unknown_object(github_emulator: GitHubEmulator) -> None:
    requester = client(github_emulator).requester

    with pytest.raises(UnknownObjectException):
        requester.graphql_named_mutation(
            "markPullRequestReadyForReview", {"pullRequestId": "PR_emu999999"}, "clientMutationId"
        )


# -- closing ---------------------------------------------------------------------------------


def test_closing_with_a_comment_and_deleting_the_branch(github_emulator: GitHubEmulator) -> None:
    number = _pull(github_emulator)
    repo = client(github_emulator).get_repo("acme/api")
    pull = repo.get_pull(number)

    pull.create_issue_comment("No longer needed: the repository left the batch.")
    pull.edit(state="closed")
    repo.get_git_ref("heads/aodfix/fix").delete()

    (view,) = github_emulator.pull_requests("acme/api")
    assert (view.state, view.merged) == ("closed", False)
    assert view.comments == ["No longer needed: the repository left the batch."]
    assert github_emulator.branch_sha("acme/api", "aodfix/fix") is None
    assert [i.number for i in client(github_emulator).search_issues("is:pr is:closed")] == [number]


# -- seeding ---------------------------------------------------------------------------------


def test_three_hundred_pull_requests_seed_in_about_a_second(
    github_emulator: GitHubEmulator,
) -> None:
    names = github_emulator.seed_organisation("acme", 300)
    started = time.monotonic()
    numbers = github_emulator.seed_pull_requests(
        "acme",
        branch="aodfix/fix",
        body=MARKER,
        first_created=datetime(2024, 2, 1, tzinfo=UTC),
        created_every=timedelta(hours=1),
    )
    elapsed = time.monotonic() - started

    assert elapsed < 3
    assert sorted(numbers) == sorted(names)
    gh = client(github_emulator)
    assert gh.search_issues(f"{BATCH_QUERY} org:acme").totalCount == 300
    pull = gh.get_repo("acme/repo-299").get_pull(numbers["acme/repo-299"])
    assert (pull.head.ref, pull.mergeable_state, pull.changed_files) == ("aodfix/fix", "clean", 1)
    assert pull.created_at == datetime(2024, 2, 1, tzinfo=UTC) + timedelta(hours=299)
    github_emulator.commit_files("acme/repo-000", "aodfix/fix", {"more.txt": "x\n"})
    assert github_emulator.branch_sha("acme/repo-001", "aodfix/fix") == pull.head.sha
