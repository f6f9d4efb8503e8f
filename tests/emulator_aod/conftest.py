"""Fixtures of the AoD emulator's tests: an origin repository and a connected SDK client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aod import AsyncClient
from aodkit import connect, make_origin

from aodfix.emulator.aod import AodEmulator


@pytest.fixture
def origin(tmp_path: Path) -> str:
    """``file://`` URL of a bare ``acme/api`` repository with a few files."""
    return make_origin(tmp_path)


@pytest.fixture
async def client(aod_emulator: AodEmulator) -> AsyncIterator[AsyncClient]:
    async with connect(aod_emulator) as sdk:
        yield sdk


@pytest.fixture
def agent_id(aod_emulator: AodEmulator) -> str:
    return aod_emulator.create_agent()
