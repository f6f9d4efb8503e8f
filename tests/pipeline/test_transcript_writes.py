"""A session's transcript is written after its session, off the event loop, and is kept
when the batch is interrupted before the git pool could write it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from aodfix.agent.collect import AgentRun
from aodfix.agent.sse import TurnOutput
from aodfix.pipeline.agent import _write_transcript
from aodfix.pipeline.context import Context

MANIFEST = "version: 1\nname: logs\nprompt: Fix it.\nrepositories: [acme/api]\n"
LOG = Path("transcripts/acme__api.log")


@pytest.fixture
def context(offline_context: Callable[[str], Context]) -> Context:
    return offline_context(MANIFEST)  # only the report folder and the pools are used


def _run() -> AgentRun:
    run = AgentRun(session_id="ses_1")
    run.outputs.append(TurnOutput("exit", 0, 3, stdout='{"type": "result"}\n', turn=1))
    return run


async def test_the_transcript_and_its_page_are_written_in_a_pool(
    context: Context, tmp_path: Path
) -> None:
    await _write_transcript(context, "acme/api", "ses_1", _run())
    assert "AoD session ses_1" in (tmp_path / LOG).read_text()
    assert (tmp_path / LOG.with_suffix(".html")).exists()


async def test_a_transcript_still_queued_when_the_batch_is_interrupted_is_written_at_once(
    context: Context, tmp_path: Path
) -> None:
    busy, release = threading.Event(), threading.Event()

    def occupy() -> None:
        busy.set()
        release.wait(10)

    for _ in range(2):  # both threads of the transcripts pool are taken
        context.pools["transcripts"].submit(occupy)
    assert busy.wait(10)
    writing = asyncio.create_task(_write_transcript(context, "acme/api", "ses_1", _run()))
    await asyncio.sleep(0.05)
    writing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await writing
    release.set()
    assert "AoD session ses_1" in (tmp_path / LOG).read_text()
    assert not (tmp_path / LOG.with_suffix(".html")).exists()  # the page is left out


async def test_a_transcript_written_while_the_repository_is_cancelled_skips_the_pool(
    context: Context, tmp_path: Path
) -> None:
    async def cancelled_session() -> None:
        try:
            await asyncio.sleep(10)
        finally:  # as run_agent's cleanup runs after a cancellation
            await _write_transcript(context, "acme/api", "ses_1", _run())

    task = asyncio.create_task(cancelled_session())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (tmp_path / LOG).exists()
    assert not (tmp_path / LOG.with_suffix(".html")).exists()
