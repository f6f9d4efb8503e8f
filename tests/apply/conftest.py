"""Fixtures for end-to-end runs: a fresh stack of both emulators per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from stack import AOD_TOKEN, GITHUB_TOKEN, Stack

from aodfix.emulator.stack import emulator_stack

MakeStack = Callable[..., Stack]


@pytest.fixture
def make_stack(tmp_path: Path) -> Iterator[MakeStack]:
    with ExitStack() as running:

        def make(scenario: dict[str, Any] | None = None, **aod_options: Any) -> Stack:
            options: dict[str, Any] = {"heartbeat_interval": 1.0, "poll_interval": 0.02}
            emulators = running.enter_context(
                emulator_stack(
                    tmp_path,
                    aod_tokens=(AOD_TOKEN,),
                    github_tokens=(GITHUB_TOKEN,),
                    scenario=scenario,
                    **{**options, **aod_options},
                )
            )
            return Stack(
                root=tmp_path,
                github=emulators.github,
                aod=emulators.aod,
                agent_id=emulators.agent_id,
            )

        yield make
