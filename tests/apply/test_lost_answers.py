"""A create whose answer is lost on the way back: the batch retries, and the session the
server made for the lost attempt is found and deleted at the end, not left running."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from aod import AsyncClient
from conftest import MakeStack
from stack import AOD_TOKEN, GITHUB_TOKEN

from aodfix.batch import Batch, BatchOptions
from aodfix.forge.github_client import GitHubGateway, GitHubSettings
from aodfix.manifest import load_manifest
from aodfix.plan import expand

FILES = {"greet.py": 'print("Helo")\n'}
FIX = {"edits": [{"replace": "greet.py", "old": "Helo", "new": "Hello"}], "delay": 0.3}


class LosesFirstAnswer(httpx.AsyncBaseTransport):
    """Passes requests to the real server, but drops the first answer to ``POST <path>``
    (a path ending in ``suffix``): the server acted, the client never hears of it."""

    def __init__(self, suffix: str = "/sessions") -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.suffix = suffix
        self.lost = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        matches = request.method == "POST" and request.url.path.endswith(self.suffix)
        if matches and not self.lost:
            self.lost += 1
            await response.aclose()
            raise httpx.ReadTimeout("answer lost", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_session_of_a_lost_create_answer_is_deleted(
    make_stack: MakeStack, tmp_path: Path
) -> None:
    stack = make_stack({"default": FIX})
    stack.add_repository("acme/a", FILES)
    manifest = load_manifest(stack.manifest(["acme/a"]))
    options = BatchOptions(
        agent_id=stack.agent_id,
        environment_id=None,
        dry_run=False,
        concurrency=2,
        timeout=60,
        report_dir=tmp_path / "report",
    )
    settings = GitHubSettings(
        stack.github.api_url, stack.github.server_url, GITHUB_TOKEN, write_interval=0
    )
    gateway = GitHubGateway(settings)
    transport = LosesFirstAnswer("/sessions")
    try:
        async with AsyncClient(
            base_url=stack.aod.url, token=AOD_TOKEN, transport=transport
        ) as client:
            batch = Batch(manifest, expand(manifest), options, aod=client, github=gateway)
            report = await batch.execute()
    finally:
        gateway.close()
    assert transport.lost == 1
    assert [r.status.value for r in report.results] == ["pr_opened"]
    assert stack.aod.stats.created == 2  # the lost one and the retry
    assert batch.run.orphans_deleted == 1
    assert list(stack.aod.stats.undeleted) == []


class HoldsCreateAnswers(httpx.AsyncBaseTransport):
    """Passes requests to the real server; ``POST /sessions`` answers arrive a second late."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and request.url.path == "/sessions":
            await asyncio.sleep(1.0)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_interrupt_while_a_create_answer_is_on_its_way(
    make_stack: MakeStack, tmp_path: Path
) -> None:
    stack = make_stack({"default": FIX})
    stack.add_repository("acme/a", FILES)
    manifest = load_manifest(stack.manifest(["acme/a"]))
    options = BatchOptions(
        agent_id=stack.agent_id,
        environment_id=None,
        dry_run=False,
        concurrency=1,
        timeout=60,
        report_dir=tmp_path / "report",
    )
    settings = GitHubSettings(
        stack.github.api_url, stack.github.server_url, GITHUB_TOKEN, write_interval=0
    )
    gateway = GitHubGateway(settings)
    try:
        async with AsyncClient(
            base_url=stack.aod.url, token=AOD_TOKEN, transport=HoldsCreateAnswers()
        ) as client:
            batch = Batch(manifest, expand(manifest), options, aod=client, github=gateway)
            running = asyncio.create_task(batch.execute())
            while stack.aod.stats.created == 0:
                await asyncio.sleep(0.01)
            running.cancel()
            report = await running
    finally:
        gateway.close()
    (result,) = report.results
    assert report.interrupted
    assert result.error is not None and result.error.stage.value == "interrupted"
    assert result.session_id is not None  # learnt from the late answer, then deleted
    assert list(stack.aod.stats.undeleted) == []


async def test_lost_prompt_answer_still_reads_the_turn_it_started(
    make_stack: MakeStack, tmp_path: Path
) -> None:
    stack = make_stack({"default": {**FIX, "forget_collect": True}})  # needs a reminder turn
    stack.add_repository("acme/a", FILES)
    manifest = load_manifest(stack.manifest(["acme/a"]))
    options = BatchOptions(
        agent_id=stack.agent_id,
        environment_id=None,
        dry_run=False,
        concurrency=1,
        timeout=60,
        report_dir=tmp_path / "report",
    )
    settings = GitHubSettings(
        stack.github.api_url, stack.github.server_url, GITHUB_TOKEN, write_interval=0
    )
    gateway = GitHubGateway(settings)
    transport = LosesFirstAnswer("/prompt")
    try:
        async with AsyncClient(
            base_url=stack.aod.url, token=AOD_TOKEN, transport=transport
        ) as client:
            batch = Batch(manifest, expand(manifest), options, aod=client, github=gateway)
            report = await batch.execute()
    finally:
        gateway.close()
    (result,) = report.results
    assert transport.lost == 1
    assert result.status.value == "pr_opened", result.error
    assert result.turns == 2
    assert stack.aod.stats.requests["POST /sessions/{id}/prompt"] >= 2
    assert list(stack.aod.stats.undeleted) == []
