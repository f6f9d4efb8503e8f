"""Selectors expanded on GitHub by ``aodfix plan``: each kind against an organisation of 300
repositories, exclusions and listed overrides, the 1,000-result search cap, search pacing,
and the one-line refusals. The real CLI against the GitHub emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from aodfix.emulator.github import GitHubEmulator
from aodfix.emulator.github.rate_limit import SearchLimits
from aodfix.emulator.github.seeding import RepositorySpec

COUNT = 300
BIG = 2500
SETUP_PY = {"setup.py": "from setuptools import setup\n\nsetup()\n"}
README = {"README.md": "# service\n"}


def _spec(i: int) -> RepositorySpec:
    return RepositorySpec(
        f"acme/svc-{i:03d}",
        files=SETUP_PY if i % 7 == 0 else README,
        archived=i % 10 == 9,
        fork=i % 15 == 14,
        topics=["python" if i % 2 == 0 else "go", *(["service"] if i % 3 == 0 else [])],
        language="Python" if i % 2 == 0 else "Go",
        created_at=datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=i),
    )


def _names(keep: Any) -> list[str]:
    """The expected selection: indexes ``keep`` accepts, active (not archived, not forks)."""
    return [f"acme/svc-{i:03d}" for i in range(COUNT) if keep(i) and i % 10 != 9 and i % 15 != 14]


@pytest.fixture(scope="module")
def github(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitHubEmulator]:
    root = tmp_path_factory.mktemp("select")
    limits = SearchLimits(search=1000, code_search=1000)
    with GitHubEmulator(root / "github", search_limits=limits) as emulator:
        emulator.create_repositories(_spec(i) for i in range(COUNT))
        emulator.seed_organisation(
            "big",
            BIG,
            first_created=datetime(2019, 1, 1, tzinfo=UTC),
            created_every=timedelta(days=1),
        )
        yield emulator


def _plan(
    github: GitHubEmulator,
    tmp_path: Path,
    repositories: list[Any],
    *args: str,
    **keys: Any,
) -> subprocess.CompletedProcess[str]:
    manifest = tmp_path / "select.yml"
    document = {
        "version": 1,
        "name": "sel",
        "prompt": "Fix it.",
        "repositories": repositories,
        **keys,
    }
    manifest.write_text(yaml.safe_dump(document, sort_keys=False))
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "GITHUB_API_URL": github.api_url,
        "GITHUB_SERVER_URL": github.server_url,
        "GITHUB_TOKEN": github.token,
        "AODFIX_LOG_DIR": str(tmp_path / "logs"),
    }
    return subprocess.run(
        [sys.executable, "-m", "aodfix", "plan", str(manifest), "--json", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _selector_lines(manifest: Path) -> list[str]:
    """FILE:LINE of each ``- select:`` item, as the plan names them."""
    lines = manifest.read_text().splitlines()
    return [f"{manifest}:{n}" for n, text in enumerate(lines, 1) if text.strip() == "- select:"]


def _jobs(done: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert done.returncode == 0, done.stderr
    jobs: list[dict[str, Any]] = json.loads(done.stdout)["jobs"]
    return jobs


def test_an_org_selector_keeps_active_repositories_with_all_topics_and_the_language(
    github: GitHubEmulator, tmp_path: Path
) -> None:
    selector = {"select": {"org": "acme", "topics": ["python", "service"], "language": "Python"}}
    jobs = _jobs(_plan(github, tmp_path, [selector]))
    assert [j["repository"] for j in jobs] == _names(lambda i: i % 6 == 0)
    assert {j["selected_by"] for j in jobs} == {f"{tmp_path / 'select.yml'}:5"}


def test_archived_and_forks_join_when_the_selector_asks(
    github: GitHubEmulator, tmp_path: Path
) -> None:
    selector = {"select": {"org": "acme", "topics": ["service"], "archived": True, "forks": True}}
    jobs = _jobs(_plan(github, tmp_path, [selector]))
    assert [j["repository"] for j in jobs] == [f"acme/svc-{i:03d}" for i in range(0, COUNT, 3)]


def test_a_repository_search_selects_exactly_its_matches(
    github: GitHubEmulator, tmp_path: Path
) -> None:
    jobs = _jobs(_plan(github, tmp_path, [{"select": {"search": "org:acme topic:service"}}]))
    assert [j["repository"] for j in jobs] == _names(lambda i: i % 3 == 0)


def test_a_code_search_selects_each_repository_with_a_match_once(
    github: GitHubEmulator, tmp_path: Path
) -> None:
    jobs = _jobs(_plan(github, tmp_path, [{"select": {"code": "org:acme filename:setup.py"}}]))
    assert [j["repository"] for j in jobs] == _names(lambda i: i % 7 == 0)


def test_listed_entries_come_first_with_their_overrides_and_exclude_trims_selectors_only(
    github: GitHubEmulator, tmp_path: Path
) -> None:
    repositories = [
        {"name": "acme/svc-006", "base": "develop", "labels": ["listed"]},
        "acme/svc-001",  # excluded by the glob below, but listed: it runs
        {"select": {"search": "org:acme topic:service"}},
        {"select": {"code": "org:acme filename:setup.py"}},
    ]
    done = _plan(github, tmp_path, repositories, exclude=["acme/svc-0[0-4]*"])
    jobs = _jobs(done)
    names = [j["repository"] for j in jobs]
    assert names[:2] == ["acme/svc-006", "acme/svc-001"]
    assert jobs[0]["base"] == "develop" and jobs[0]["labels"] == ["listed"]
    assert jobs[0]["selected_by"] is None
    expected = sorted(
        set(_names(lambda i: i % 3 == 0 or i % 7 == 0)) - {"acme/svc-006", "acme/svc-001"}
    )
    assert names[2:] == [
        n
        for n in expected
        if not n.startswith(
            ("acme/svc-00", "acme/svc-01", "acme/svc-02", "acme/svc-03", "acme/svc-04")
        )
    ]
    by = {j["repository"]: j["selected_by"] for j in jobs}
    search_at, code_at = _selector_lines(tmp_path / "select.yml")
    assert by["acme/svc-063"] == search_at  # both find it: the first selector names it
    assert by["acme/svc-056"] == code_at  # only the code search finds it
    assert "acme/svc-001 matches exclude" in done.stderr


def test_a_search_past_the_1000_result_cap_is_split_and_fully_expanded(
    github: GitHubEmulator, tmp_path: Path
) -> None:
    jobs = _jobs(_plan(github, tmp_path, [{"select": {"search": "org:big"}}]))
    assert len(jobs) == BIG
    assert len({j["repository"] for j in jobs}) == BIG


def test_a_search_past_the_cap_that_cannot_be_split_is_refused_with_its_count(
    github: GitHubEmulator, tmp_path: Path
) -> None:
    done = _plan(github, tmp_path, [{"select": {"search": "org:big created:>2018-01-01"}}])
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"{tmp_path / 'select.yml'}:5: select: the query matches {BIG} ")
    assert done.stdout == ""


def test_an_unknown_organisation_is_one_line_at_the_selector_exit_2(
    github: GitHubEmulator, tmp_path: Path
) -> None:
    done = _plan(github, tmp_path, ["acme/svc-000", {"select": {"org": "nope"}}])
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"{tmp_path / 'select.yml'}:6: select: organisation 'nope' not found"
        " (or the token cannot see it)"
    ]


def test_a_selector_that_matches_nothing_is_a_warning(
    github: GitHubEmulator, tmp_path: Path
) -> None:
    done = _plan(github, tmp_path, ["acme/svc-000", {"select": {"search": "org:acme topic:none"}}])
    assert [j["repository"] for j in _jobs(done)] == ["acme/svc-000"]
    assert "select.yml:6: warning: select: matched no repositories" in done.stderr


def test_thirty_searches_past_the_search_budget_are_paced_not_refused(
    github: GitHubEmulator, tmp_path: Path
) -> None:
    github.set_search_limits(SearchLimits(search=10, code_search=10, window_seconds=2))
    github.clear_requests()
    try:
        selectors = [
            {"select": {"search": f"org:acme topic:service svc-{i:03d}"}} for i in range(0, 90, 3)
        ]
        started = time.monotonic()
        jobs = _jobs(_plan(github, tmp_path, selectors))
        elapsed = time.monotonic() - started
    finally:
        github.set_search_limits(SearchLimits(search=1000, code_search=1000))
    searches = [r for r in github.requests if r.path.endswith("/search/repositories")]
    assert len(jobs) == len(_names(lambda i: i % 3 == 0 and i < 90))
    assert len([r for r in searches if r.status == 200]) == 30
    assert [r for r in searches if r.status != 200] == []  # waited for the window, never refused
    assert elapsed >= 4  # three windows of 10 searches


def test_only_picks_among_the_selected_repositories(github: GitHubEmulator, tmp_path: Path) -> None:
    selector = {"select": {"search": "org:acme topic:service"}}
    jobs = _jobs(_plan(github, tmp_path, [selector], "--only", "acme/svc-003"))
    assert [j["repository"] for j in jobs] == ["acme/svc-003"]
