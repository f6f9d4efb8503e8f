"""A batch context for one stage on its own: the manifest and report folder are real, the
AoD and GitHub clients point at a closed port (a stage under test never calls them)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aod import AsyncClient

from aodfix.forge.github_client import GitHubGateway, GitHubSettings
from aodfix.manifest import parse_manifest
from aodfix.pipeline.context import BatchOptions, Context

OFFLINE = "http://127.0.0.1:9"


@pytest.fixture
async def offline_context(tmp_path: Path) -> AsyncIterator[Callable[[str], Context]]:
    made: list[Context] = []

    def make(manifest_text: str) -> Context:
        manifest = parse_manifest(manifest_text, tmp_path / "m.yml")
        options = BatchOptions("agent", None, True, 1, 60.0, tmp_path)
        aod = AsyncClient(base_url=OFFLINE, token="unused")
        github = GitHubGateway(GitHubSettings(OFFLINE, OFFLINE, ""))
        made.append(Context(manifest, options, aod, github))
        return made[-1]

    yield make
    for context in made:
        context.shutdown()
        await context.aod.aclose()
        context.github.close()
