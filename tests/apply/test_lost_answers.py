"""A create whose answer is lost on the way back: the batch retries, and the session the
server made for the lost attempt is found and deleted at the end, not left running."""

from __future__ import annotations

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


class LosesFirstCreateAnswer(httpx.AsyncBaseTransport):
    """Passes requests to the real server, but drops the first ``POST /sessions`` answer."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.lost = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and request.url.path == "/sessions" and not self.lost:
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
    transport = LosesFirstCreateAnswer()
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
