"""Pull requests through PyGithub and git, as aodfix drives them, plus GitHub's refusals."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from ghkit import client, commit_and_push, shallow_checkout
from github import GithubException

from aodfix.emulator.github import GitHubEmulator


def test_a_pull_request_from_a_shallow_push_shows_its_head_labels_reviewers_and_edits(
    github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    github_emulator.create_repository("acme/api")
    gh = client(github_emulator)
    repo = gh.get_repo("acme/api")
    base_sha = repo.get_branch(repo.default_branch).commit.sha

    work = shallow_checkout(github_emulator, "acme/api", base_sha, tmp_path / "work")
    head_sha = commit_and_push(github_emulator, "acme/api", work, "aodfix/fix", {"fix.txt": "x\n"})
    github_emulator.clear_requests()

    pull = repo.create_pull(
        base="main", head="aodfix/fix", title="Fix it", body="<!-- aodfix:batch=fix -->", draft=True
    )
    pull.as_issue().edit(labels=["aodfix", "chore"], assignees=["alice"])
    pull.create_review_request(reviewers=["bob"], team_reviewers=["platform"])

    found = list(repo.get_pulls(state="open", head="acme:aodfix/fix"))
    assert [p.number for p in found] == [pull.number]
    found[0].edit(body="<!-- aodfix:batch=fix --> updated")

    fresh = repo.get_pull(pull.number)
    assert fresh.draft is True
    assert fresh.head.sha == head_sha
    assert fresh.head.ref == "aodfix/fix"
    assert fresh.head.label == "acme:aodfix/fix"
    assert fresh.base.sha == base_sha
    assert fresh.body == "<!-- aodfix:batch=fix --> updated"
    assert [label.name for label in fresh.labels] == ["aodfix", "chore"]
    assert [user.login for user in fresh.assignees] == ["alice"]
    assert [user.login for user in fresh.requested_reviewers] == ["bob"]
    assert [team.slug for team in fresh.requested_teams] == ["platform"]
    assert fresh.user.login == github_emulator.login
    assert fresh.html_url == f"{github_emulator.server_url}/acme/api/pull/{pull.number}"
    assert [(w.method, w.path.rsplit("/", 1)[-1]) for w in github_emulator.rest_writes()] == [
        ("POST", "pulls"),
        ("PATCH", str(pull.number)),
        ("POST", "requested_reviewers"),
        ("PATCH", str(pull.number)),
    ]
    (view,) = github_emulator.pull_requests("acme/api")
    assert view.labels == ["aodfix", "chore"]
    assert view.head_sha == head_sha


def test_second_pull_request_for_the_same_head_is_422_already_exists(
    github_emulator: GitHubEmulator,
) -> None:
    github_emulator.create_repository("acme/api")
    github_emulator.commit_files("acme/api", "aodfix/fix", {"fix.txt": "x\n"})
    repo = client(github_emulator).get_repo("acme/api")
    repo.create_pull(base="main", head="aodfix/fix", title="one", body="")

    with pytest.raises(GithubException) as duplicate:
        repo.create_pull(base="main", head="acme:aodfix/fix", title="two", body="")

    assert duplicate.value.status == 422
    assert duplicate.value.data["message"] == "Validation Failed"
    assert duplicate.value.data["errors"] == [
        {
            "resource": "PullRequest",
            "code": "custom",
            "message": "A pull request already exists for acme:aodfix/fix.",
        }
    ]


def test_pull_request_without_new_commits_is_422(github_emulator: GitHubEmulator) -> None:
    sha = github_emulator.create_repository("acme/api")
    repo = client(github_emulator).get_repo("acme/api")
    repo.create_git_ref("refs/heads/same", sha)

    with pytest.raises(GithubException) as empty:
        repo.create_pull(base="main", head="same", title="nothing", body="")

    assert empty.value.status == 422
    assert empty.value.data["errors"][0]["message"] == "No commits between main and same"


def test_pull_request_from_a_missing_branch_is_422_invalid_head(
    github_emulator: GitHubEmulator,
) -> None:
    github_emulator.create_repository("acme/api")
    repo = client(github_emulator).get_repo("acme/api")

    with pytest.raises(GithubException) as invalid:
        repo.create_pull(base="main", head="ghost", title="t", body="")

    assert invalid.value.status == 422
    assert invalid.value.data["errors"][0] == {
        "resource": "PullRequest",
        "field": "head",
        "code": "invalid",
    }


def test_head_sha_is_the_branch_tip_at_request_time(
    github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    base = github_emulator.create_repository("acme/api")
    work = shallow_checkout(github_emulator, "acme/api", base, tmp_path / "work")
    commit_and_push(github_emulator, "acme/api", work, "fix", {"a.txt": "1\n"})
    repo = client(github_emulator).get_repo("acme/api")
    number = repo.create_pull(base="main", head="fix", title="t", body="").number

    second = commit_and_push(github_emulator, "acme/api", work, "fix", {"b.txt": "2\n"})

    assert repo.get_pull(number).head.sha == second
    assert repo.get_pull(number).commits == 2


def test_mergeable_is_computed_from_the_branches(github_emulator: GitHubEmulator) -> None:
    github_emulator.create_repository("acme/api")
    github_emulator.commit_files("acme/api", "clean", {"new.txt": "new\n"})
    github_emulator.commit_files("acme/api", "clash", {"README.md": "theirs\n"})
    github_emulator.commit_files("acme/api", "main", {"README.md": "ours\n"})
    repo = client(github_emulator).get_repo("acme/api")

    clean = repo.create_pull(base="main", head="clean", title="clean", body="")
    clash = repo.create_pull(base="main", head="clash", title="clash", body="")

    assert (clean.mergeable, clean.mergeable_state) == (True, "clean")
    assert (clash.mergeable, clash.mergeable_state) == (False, "dirty")
    assert (clean.additions, clean.deletions, clean.changed_files) == (1, 0, 1)


def test_merging_closes_the_pull_request_and_moves_the_base(
    github_emulator: GitHubEmulator,
) -> None:
    github_emulator.create_repository("acme/api")
    head = github_emulator.commit_files("acme/api", "one", {"one.txt": "1\n"})
    github_emulator.commit_files("acme/api", "two", {"two.txt": "2\n"})
    repo = client(github_emulator).get_repo("acme/api")
    one = repo.create_pull(base="main", head="one", title="one", body="")
    two = repo.create_pull(base="main", head="two", title="two", body="")

    status = one.merge()
    merge_sha = github_emulator.merge_pull("acme/api", two.number)

    assert status.merged is True
    assert github_emulator.branch_sha("acme/api", "main") == merge_sha
    merged = repo.get_pull(one.number)
    assert (merged.state, merged.merged, merged.head.sha) == ("closed", True, head)
    assert merged.is_merged()
    assert [p.number for p in repo.get_pulls(state="open")] == []
    assert [v.merged for v in github_emulator.pull_requests()] == [True, True]


def test_merge_with_a_stale_head_sha_is_409(github_emulator: GitHubEmulator) -> None:
    base = github_emulator.create_repository("acme/api")
    github_emulator.commit_files("acme/api", "fix", {"a.txt": "a\n"})
    repo = client(github_emulator).get_repo("acme/api")
    pull = repo.create_pull(base="main", head="fix", title="t", body="")

    with pytest.raises(GithubException) as stale:
        pull.merge(sha=base)

    assert stale.value.status == 409


def test_head_filter_needs_the_owner_prefix_as_on_github(
    github_emulator: GitHubEmulator,
) -> None:
    github_emulator.create_repository("acme/api")
    for branch in ("a", "b"):
        github_emulator.commit_files("acme/api", branch, {f"{branch}.txt": "x\n"})
    repo = client(github_emulator).get_repo("acme/api")
    for branch in ("a", "b"):
        repo.create_pull(base="main", head=branch, title=branch, body="")

    assert [p.head.ref for p in repo.get_pulls(head="acme:b")] == ["b"]
    assert [p.head.ref for p in repo.get_pulls(head="other:b")] == []
    assert sorted(p.head.ref for p in repo.get_pulls(head="b")) == ["a", "b"]


def test_closed_pull_requests_are_listed_only_when_asked(
    github_emulator: GitHubEmulator,
) -> None:
    github_emulator.create_repository("acme/api")
    github_emulator.commit_files("acme/api", "fix", {"a.txt": "a\n"})
    repo = client(github_emulator).get_repo("acme/api")
    pull = repo.create_pull(base="main", head="fix", title="t", body="")

    pull.edit(state="closed")

    assert list(repo.get_pulls(state="open")) == []
    assert [p.state for p in repo.get_pulls(state="closed")] == ["closed"]
    assert repo.create_pull(base="main", head="fix", title="again", body="").number == 2


def test_lists_are_paginated_with_link_headers(github_emulator: GitHubEmulator) -> None:
    github_emulator.create_repository("acme/api")
    gh = client(github_emulator)
    gh.per_page = 3
    repo = gh.get_repo("acme/api")
    for index in range(7):
        github_emulator.commit_files("acme/api", f"b{index}", {f"{index}.txt": "x\n"})
        repo.create_pull(base="main", head=f"b{index}", title=str(index), body="")
    github_emulator.clear_requests()

    numbers = [p.number for p in repo.get_pulls(state="open", sort="created", direction="asc")]

    assert numbers == list(range(1, 8))
    assert len(github_emulator.rest_calls()) == 3


def test_review_cannot_be_requested_from_the_author(github_emulator: GitHubEmulator) -> None:
    github_emulator.create_repository("acme/api")
    github_emulator.commit_files("acme/api", "fix", {"a.txt": "a\n"})
    repo = client(github_emulator).get_repo("acme/api")
    pull = repo.create_pull(base="main", head="fix", title="t", body="")

    with pytest.raises(GithubException) as refused:
        pull.create_review_request(reviewers=[github_emulator.login])

    assert refused.value.status == 422
    users, teams = pull.get_review_requests()
    assert list(users) == [] and list(teams) == []


def test_labels_assignees_and_comments_on_a_pull_request_show_on_its_issue(
    github_emulator: GitHubEmulator,
) -> None:
    github_emulator.create_repository("acme/api")
    github_emulator.commit_files("acme/api", "fix", {"a.txt": "a\n"})
    repo = client(github_emulator).get_repo("acme/api")
    pull = repo.create_pull(base="main", head="fix", title="t", body="")

    pull.add_to_labels("one", "two")
    pull.remove_from_labels("one")
    comment = pull.create_issue_comment("Rebased by aodfix")
    pull.add_to_assignees("carol")

    issue = repo.get_issue(pull.number)
    assert [label.name for label in issue.labels] == ["two"]
    assert [user.login for user in issue.assignees] == ["carol"]
    assert issue.pull_request is not None
    assert [c.body for c in issue.get_comments()] == ["Rebased by aodfix"]
    assert comment.html_url.startswith(f"{github_emulator.server_url}/acme/api/pull/1#")
    (view,) = github_emulator.pull_requests()
    assert view.comments == ["Rebased by aodfix"]


def test_pull_request_commits_show_their_authors(
    github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    base = github_emulator.create_repository("acme/api")
    work = shallow_checkout(github_emulator, "acme/api", base, tmp_path / "work")
    commit_and_push(github_emulator, "acme/api", work, "fix", {"a.txt": "a\n"})
    github_emulator.commit_files(
        "acme/api", "fix", {"b.txt": "b\n"}, author=("Jane Human", "jane@example.com")
    )
    repo = client(github_emulator).get_repo("acme/api")
    pull = repo.create_pull(base="main", head="fix", title="t", body="")

    authors = [c.commit.author.name for c in pull.get_commits()]

    assert authors == ["Test Author", "Jane Human"]


def test_pull_request_html_url_opens_a_readable_page_and_diff(
    github_emulator: GitHubEmulator,
) -> None:
    github_emulator.create_repository("acme/api")
    github_emulator.commit_files("acme/api", "fix", {"fix.txt": "fixed <b>\n"})
    repo = client(github_emulator).get_repo("acme/api")
    pull = repo.create_pull(base="main", head="fix", title="Fix <it>", body="Why: @team")

    page = httpx.get(pull.html_url)
    diff = httpx.get(pull.html_url + ".diff")

    assert page.status_code == 200
    assert "Fix &lt;it&gt;" in page.text
    assert "fixed &lt;b&gt;" in page.text
    assert diff.text.startswith("diff --git a/fix.txt b/fix.txt")
    assert httpx.get(f"{github_emulator.server_url}/acme/api/pull/99").status_code == 404


def test_reviews_added_by_a_test_are_listed_and_clear_the_request(
    github_emulator: GitHubEmulator,
) -> None:
    github_emulator.create_repository("acme/api")
    head = github_emulator.commit_files("acme/api", "aodfix/fix", {"fix.txt": "x\n"})
    repo = client(github_emulator).get_repo("acme/api")
    pull = repo.create_pull(base="main", head="aodfix/fix", title="t", body="")
    pull.create_review_request(reviewers=["bob"])

    github_emulator.add_review("acme/api", pull.number, "bob", "APPROVED")

    reviews = list(repo.get_pull(pull.number).get_reviews())
    assert [(r.user.login, r.state, r.commit_id) for r in reviews] == [("bob", "APPROVED", head)]
    users, _teams = repo.get_pull(pull.number).get_review_requests()
    assert users.totalCount == 0
