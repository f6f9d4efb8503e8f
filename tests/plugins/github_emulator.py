"""Pytest fixtures for the GitHub emulator: a fresh server per test, in the test's tmp_path.

Starting one is cheap (tens of milliseconds), so no state is shared between tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aodfix.emulator.github import GitHubEmulator


@pytest.fixture
def github_emulator(tmp_path: Path) -> Iterator[GitHubEmulator]:
    """A running GitHub emulator with no repositories and the default token."""
    with GitHubEmulator(tmp_path / "github-emulator") as emulator:
        yield emulator
