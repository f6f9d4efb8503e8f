"""Pytest fixtures for the AoD emulator: a fresh server per test, in the test's tmp_path.

``aod_emulator`` is ready to use (fast heartbeats and polling, ``file://`` repositories
allowed); ``make_aod_emulator(**kwargs)`` builds one with other settings, e.g. a scenario,
a quota, the current record shape, or the GitHub emulator's URL in ``git_base_urls``.
Every emulator made is stopped after the test: no process or workspace outlives it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from aodfix.emulator.aod import AodEmulator

TEST_DEFAULTS: dict[str, Any] = {
    "heartbeat_interval": 0.5,
    "poll_interval": 0.02,
    "git_base_urls": ("file://",),
}


@pytest.fixture
def make_aod_emulator(tmp_path: Path) -> Iterator[Callable[..., AodEmulator]]:
    """A factory of started emulators: ``make_aod_emulator(max_active=2, scenario={...})``."""
    made: list[AodEmulator] = []

    def make(**kwargs: Any) -> AodEmulator:
        data_dir = kwargs.pop("data_dir", tmp_path / f"aod-emulator-{len(made)}")
        emulator = AodEmulator(data_dir, **{**TEST_DEFAULTS, **kwargs})
        made.append(emulator)
        return emulator.start()

    yield make
    for emulator in reversed(made):
        emulator.stop()


@pytest.fixture
def aod_emulator(make_aod_emulator: Callable[..., AodEmulator]) -> AodEmulator:
    """A running AoD emulator with the default token and the scripted agent."""
    return make_aod_emulator()
