"""Fixtures: an origin repository and the sandbox clone a pretend agent works in."""

from __future__ import annotations

from pathlib import Path

import pytest
from patchkit import Workspace, clone, git, make_origin


def _workspace(tmp_path: Path, *, shallow: bool) -> Workspace:
    origin = make_origin(tmp_path)
    sandbox = clone(origin, tmp_path / "work space" / "api", shallow=shallow)
    base_sha = git(sandbox, "rev-parse", "HEAD").strip()
    return Workspace(origin=origin, sandbox=sandbox, home=tmp_path / "home", base_sha=base_sha)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """A full clone, mounted under a path with a space in it."""
    return _workspace(tmp_path, shallow=False)


@pytest.fixture
def shallow_workspace(tmp_path: Path) -> Workspace:
    """A ``--depth=1`` clone, as AoD sandboxes may have."""
    return _workspace(tmp_path, shallow=True)
