"""Fixtures for end-to-end runs: a fresh stack of both emulators per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from stack import AOD_TOKEN, GITHUB_TOKEN, Stack

from aodfix.emulator.aod import AodEmulator
from aodfix.emulator.github import GitHubEmulator

MakeStack = Callable[..., Stack]


@pytest.fixture
def make_stack(tmp_path: Path) -> Iterator[MakeStack]:
    started: list[tuple[GitHubEmulator, AodEmulator]] = []

    def make(scenario: dict[str, Any] | None = None, **aod_options: Any) -> Stack:
        github = GitHubEmulator(tmp_path / "github", tokens=(GITHUB_TOKEN,))
        github.start()
        options: dict[str, Any] = {
            "heartbeat_interval": 1.0,
            "poll_interval": 0.02,
            "git_base_urls": (github.server_url,),
        }
        options.update(aod_options)
        aod = AodEmulator(tmp_path / "aod", tokens=(AOD_TOKEN,), scenario=scenario, **options)
        aod.start()
        started.append((github, aod))
        return Stack(root=tmp_path, github=github, aod=aod, agent_id=aod.create_agent())

    yield make
    for github, aod in started:
        aod.stop()
        github.stop()
