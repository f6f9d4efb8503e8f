"""Answers lost or late on the way back from AoD: nothing leaks, nothing runs unobserved.

The batch runs in-process here (not through the CLI) so a faulty network can sit between
aodfix's client and the emulator.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from aod import AsyncClient
from conftest import MakeStack
from netfaults import GarbleAnswers, HoldAnswers, LoseFirstAnswer
from stack import AOD_TOKEN, GITHUB_TOKEN, Stack

from aodfix.batch import run_batch
from aodfix.forge.github_client import GitHubGateway, GitHubSettings
from aodfix.manifest import load_manifest
from aodfix.pipeline.context import BatchOptions, Context
from aodfix.plan import expand
from aodfix.report.models import Report

FILES = {"greet.py": 'print("Helo")\n'}
FIX = {"edits": [{"replace": "greet.py", "old": "Helo", "new": "Hello"}], "delay": 0.3}


async def _run(
    stack: Stack, report_dir: Path, transport: httpx.AsyncBaseTransport, *, interrupt: bool = False
) -> Report:
    """Run the batch for acme/a through ``transport``; with ``interrupt``, cancel it as soon
    as the server has created the session."""
    manifest = load_manifest(stack.manifest(["acme/a"]))
    options = BatchOptions(
        agent_id=stack.agent_id,
        environment_id=None,
        dry_run=False,
        concurrency=1,
        timeout=60,
        report_dir=report_dir,
    )
    settings = GitHubSettings(
        stack.github.api_url, stack.github.server_url, GITHUB_TOKEN, write_interval=0
    )
    gateway = GitHubGateway(settings)
    try:
        async with AsyncClient(
            base_url=stack.aod.url, token=AOD_TOKEN, transport=transport
        ) as client:
            context = Context(manifest, options, client, gateway)
            running = asyncio.create_task(run_batch(context, expand(manifest)))
            if interrupt:
                while stack.aod.stats.created == 0:
                    await asyncio.sleep(0.01)
                running.cancel()
            return await running
    finally:
        gateway.close()


def _stack(make_stack: MakeStack, scenario: dict[str, Any]) -> Stack:
    stack = make_stack({"default": scenario})
    stack.add_repository("acme/a", FILES)
    return stack


async def test_session_of_a_lost_create_answer_is_deleted(
    make_stack: MakeStack, tmp_path: Path
) -> None:
    stack = _stack(make_stack, FIX)
    transport = LoseFirstAnswer("POST", "/sessions")
    report = await _run(stack, tmp_path, transport)
    assert transport.lost == 1
    assert [r.status.value for r in report.results] == ["pr_opened"]
    assert stack.aod.stats.created == 2  # the lost one and the retry
    assert stack.aod.stats.requests["GET /sessions"] == 1  # the sweep looked for it
    assert list(stack.aod.stats.undeleted) == []


async def test_interrupt_while_a_create_answer_is_on_its_way(
    make_stack: MakeStack, tmp_path: Path
) -> None:
    stack = _stack(make_stack, FIX)
    report = await _run(stack, tmp_path, HoldAnswers("POST", "/sessions", 1.0), interrupt=True)
    (result,) = report.results
    assert report.interrupted
    assert result.error is not None and result.error.stage.value == "interrupted"
    assert result.session_id is not None  # learnt from the late answer, then deleted
    assert list(stack.aod.stats.undeleted) == []


async def test_lost_prompt_answer_still_reads_the_turn_it_started(
    make_stack: MakeStack, tmp_path: Path
) -> None:
    stack = _stack(make_stack, {**FIX, "forget_collect": True})  # needs a reminder turn
    transport = LoseFirstAnswer("POST", "/prompt")
    report = await _run(stack, tmp_path, transport)
    (result,) = report.results
    assert transport.lost == 1
    assert result.status.value == "pr_opened", result.error
    assert result.turns == 2
    assert stack.aod.stats.requests["POST /sessions/{id}/prompt"] >= 2
    assert list(stack.aod.stats.undeleted) == []


async def test_unreadable_create_answer_fails_one_repository_with_one_line(
    make_stack: MakeStack, tmp_path: Path
) -> None:
    stack = _stack(make_stack, FIX)
    report = await _run(stack, tmp_path, GarbleAnswers("POST", "/sessions"))
    (result,) = report.results
    assert stack.aod.stats.created == 1  # the server made a session all the same …
    assert stack.aod.stats.requests["GET /sessions"] == 1  # … and the sweep found it
    assert list(stack.aod.stats.undeleted) == []
    assert result.status.value == "failed"
    assert result.error is not None and result.error.stage.value == "agent"
    assert result.error.message.startswith("AoD sent a reply aodfix cannot read: ")
    assert "\n" not in result.error.message
