"""Session cleanup at the edges: a create cancelled while its answer is on the way.

A real emulator behind a transport that holds responses back, as a slow network would.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import pytest
from aod import AsyncClient
from gitenv import GIT_ENV
from netfaults import HoldAnswers

from aodfix.agent.quota import QuotaGate
from aodfix.agent.session import AgentSession, SessionRegistry
from aodfix.emulator.aod import AodEmulator


def _origin(tmp_path: Path) -> str:
    work = tmp_path / "origin-work"
    work.mkdir()
    (work / "README.md").write_text("hi\n")
    env = {**os.environ, **GIT_ENV}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "init"]):
        subprocess.run(["git", *args], cwd=work, env=env, check=True)
    bare = tmp_path / "acme" / "api.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], env=env, check=True)
    return bare.as_uri()


async def test_create_cancelled_in_flight_still_deletes_the_session(
    aod_emulator: AodEmulator, tmp_path: Path
) -> None:
    origin = _origin(tmp_path)
    async with AsyncClient(
        base_url=aod_emulator.url,
        token=aod_emulator.token,
        transport=HoldAnswers("POST", "/sessions", 1.0),
    ) as client:
        registry = SessionRegistry()
        session = AgentSession(client, QuotaGate(1), registry)
        creating = asyncio.create_task(
            session.create(
                agent_id=aod_emulator.create_agent(),
                prompt="work",
                timeout=60,
                resources=[{"type": "github_repository", "url": origin}],
            )
        )
        while aod_emulator.stats.created == 0:  # the server has made it; the ack is held back
            await asyncio.sleep(0.01)
        creating.cancel()
        with pytest.raises(asyncio.CancelledError):
            await creating
        assert session.id is not None and registry.open == {session.id}
        await session.close()
    assert registry.open == set()
    assert list(aod_emulator.stats.undeleted) == []
