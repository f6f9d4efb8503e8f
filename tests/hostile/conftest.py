"""Fixtures: a GitHub emulator with one repository, and an AoD that is hostile or scripted."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from apply.stack import AOD_TOKEN, GITHUB_TOKEN, Stack
from hostile_aod import HostileAod, Misbehaviour
from hostilekit import FILES, REPOSITORY

from aodfix.emulator.aod import AodEmulator
from aodfix.emulator.github import GitHubEmulator


@pytest.fixture
def github(tmp_path: Path) -> Iterator[GitHubEmulator]:
    with GitHubEmulator(tmp_path / "github", tokens=(GITHUB_TOKEN,)) as emulator:
        yield emulator


@pytest.fixture
def hostile_stack(
    tmp_path: Path, github: GitHubEmulator
) -> Iterator[Callable[..., tuple[Stack, HostileAod]]]:
    """A stack whose AoD misbehaves as told; ``Stack`` only reads the AoD's ``url``."""
    servers: list[HostileAod] = []

    def make(**misbehaviour: Any) -> tuple[Stack, HostileAod]:
        aod = HostileAod(Misbehaviour(**misbehaviour)).start()
        servers.append(aod)
        stack = Stack(root=tmp_path, github=github, aod=aod, agent_id=aod.agent_id)
        stack.add_repository(REPOSITORY, FILES)
        return stack, aod

    yield make
    for aod in servers:
        aod.stop()


@pytest.fixture
def scripted_stack(tmp_path: Path, github: GitHubEmulator) -> Iterator[Callable[..., Stack]]:
    """A stack whose AoD is the emulator running the scripted agent on ``scenario``."""
    emulators: list[AodEmulator] = []

    def make(scenario: dict[str, Any], **options: Any) -> Stack:
        aod = AodEmulator(
            tmp_path / "aod",
            tokens=(AOD_TOKEN,),
            scenario={"default": scenario},
            heartbeat_interval=1.0,
            poll_interval=0.02,
            git_base_urls=(github.server_url,),
            **options,
        ).start()
        emulators.append(aod)
        stack = Stack(root=tmp_path, github=github, aod=aod, agent_id=aod.create_agent())
        stack.add_repository(REPOSITORY, FILES)
        return stack

    yield make
    for aod in emulators:
        aod.stop()
