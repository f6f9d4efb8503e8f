"""Fixtures for the conformance suite: GitHub's pinned description and a checked client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from githubspec import (
    FETCH_HINT,
    PINNED_VERSION,
    CheckedApi,
    Coverage,
    GitHubDescription,
    description_path,
)

from aodfix.emulator.github import GitHubEmulator


@pytest.fixture(scope="session")
def github_description() -> GitHubDescription:
    path = description_path()
    if not path.is_file():
        pytest.skip(f"{FETCH_HINT} (looked for {path})")
    description = GitHubDescription(path)
    if description.version != PINNED_VERSION:
        pytest.skip(f"{path} is version {description.version}; the suite pins {PINNED_VERSION}")
    return description


@pytest.fixture(scope="session")
def coverage() -> Coverage:
    return Coverage()


@pytest.fixture
def api(
    github_description: GitHubDescription, coverage: Coverage, tmp_path: Path
) -> Iterator[CheckedApi]:
    with GitHubEmulator(tmp_path / "github-emulator") as emulator:
        yield CheckedApi(emulator, github_description, coverage)
