"""Bulk seeding: thousands of repositories from one template folder, for benchmarks."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from ghkit import client, commit_and_push, git

from aodfix.emulator.github import GitHubEmulator

COUNT = 1000


def _template(root: Path) -> Path:
    source = root / "template"
    (source / "src").mkdir(parents=True)
    (source / "src" / "app.py").write_text("VALUE = 1\n")
    (source / "README.md").write_text("# template\n")
    return source


def test_a_thousand_seeded_repositories_are_listed_served_and_clonable(
    github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    names = [f"bulk/repo-{index:04d}" for index in range(COUNT)]
    started = time.perf_counter()
    sha = github_emulator.create_repositories_from_template(names, _template(tmp_path))
    print(f"\nseeded {COUNT} repositories in {time.perf_counter() - started:.2f} s")

    gh = client(github_emulator)
    listed = {repo.full_name: repo for repo in gh.get_organization("bulk").get_repos()}
    assert sorted(listed) == names
    assert {repo.default_branch for repo in listed.values()} == {"main"}
    assert {github_emulator.branch_sha(name, "main") for name in names} == {sha}
    for name in (names[0], names[COUNT // 2], names[-1]):
        repo = gh.get_repo(name)
        assert (repo.full_name, repo.owner.type) == (name, "Organization")
        assert repo.get_branch("main").commit.sha == sha
        assert [branch.name for branch in repo.get_branches()] == ["main"]
        work = tmp_path / "clones" / name
        git(tmp_path, "clone", "--quiet", github_emulator.clone_url(name), str(work), token=None)
        assert git(work, "rev-parse", "HEAD", token=None).stdout.strip() == sha
        assert (work / "README.md").read_text() == "# template\n"


def test_repositories_seeded_from_one_template_change_independently(
    github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    names = ["bulk/one", "bulk/two"]
    sha = github_emulator.create_repositories_from_template(names, _template(tmp_path))
    work = tmp_path / "work"
    git(tmp_path, "clone", "--quiet", github_emulator.clone_url("bulk/one"), str(work), token=None)

    pushed = commit_and_push(github_emulator, "bulk/one", work, "main", {"README.md": "new\n"})

    assert github_emulator.branch_sha("bulk/one", "main") == pushed
    assert github_emulator.branch_sha("bulk/two", "main") == sha  # hard links stayed apart
    other = tmp_path / "other"
    git(tmp_path, "clone", "--quiet", github_emulator.clone_url("bulk/two"), str(other), token=None)
    assert (other / "README.md").read_text() == "# template\n"


def test_bulk_seeding_refuses_an_existing_name_and_creates_nothing(
    github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    source = _template(tmp_path)
    github_emulator.create_repository("bulk/taken", source)

    with pytest.raises(ValueError, match="already exists"):
        github_emulator.create_repositories_from_template(["bulk/free", "bulk/taken"], source)

    assert [
        repo.full_name for repo in client(github_emulator).get_organization("bulk").get_repos()
    ] == ["bulk/taken"]
