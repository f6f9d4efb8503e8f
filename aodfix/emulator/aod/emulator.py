"""``AodEmulator``: a local Agent on Demand server whose sessions do real work.

It serves the service's HTTP API on a loopback port (``BackgroundServer``), clones each
session's repositories into a private sandbox directory and runs an agent per turn: the
scripted agent, driven by a scenario, or any local command.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import shutil
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aodfix.emulator.aod.app import AodApi, RequestStats, build_app
from aodfix.emulator.aod.config import (
    SERVICE_STALE_AFTER,
    EmulatorConfig,
    RecordShape,
    TerminalEvents,
    Truncation,
)
from aodfix.emulator.aod.faults import Faults
from aodfix.emulator.aod.light import LightTurns
from aodfix.emulator.aod.runner import ProcessGroups, SessionRunner
from aodfix.emulator.aod.scenario import Scenario
from aodfix.emulator.aod.schemas import RUNTIMES
from aodfix.emulator.aod.store import Agent, Resource, Store
from aodfix.emulator.server import BackgroundServer, Lifecycle

DEFAULT_TOKEN = "aod_emulator_token"
DEFAULT_MODEL = "claude-sonnet-4-6"
SHUTDOWN_TIMEOUT = 5.0


class EmulatorStats:
    """Counts for tests to assert on: requests per route, sessions and their peak."""

    def __init__(
        self,
        store: Store,
        requests: RequestStats,
        groups: ProcessGroups,
        light: LightTurns | None = None,
    ) -> None:
        self._store = store
        self._requests = requests
        self._groups = groups
        self._light = light

    @property
    def requests(self) -> Counter[str]:
        """Requests per route, e.g. ``stats.requests["POST /sessions"]``."""
        return self._requests.requests

    @property
    def resources(self) -> list[Resource]:
        """Every resource the creates named, in order, with the token each was given."""
        return list(self._requests.resources)

    def prompts(self, repository: str) -> list[str]:
        """The prompts of every turn of ``repository``'s sessions (``owner/name``), in order."""
        return [
            text
            for url, _, text in self._requests.prompts
            if url.rstrip("/").removesuffix(".git").endswith("/" + repository)
        ]

    @property
    def active(self) -> int:
        """Sessions ``pending`` or ``running`` now (all users)."""
        return self._store.active

    @property
    def peak_active(self) -> int:
        return self._store.peak_active

    @property
    def created(self) -> int:
        return self._store.created

    @property
    def processes_started(self) -> int:
        """Processes the emulator started: clones, setup scripts, agents (light mode: only
        those of its computations)."""
        return self._groups.started

    @property
    def light_computations(self) -> int:
        """Histories light mode really ran (one per distinct base sha and script)."""
        return self._light.computations if self._light is not None else 0

    @property
    def undeleted(self) -> set[str]:
        """Ids of sessions created and not deleted: after a clean run, empty."""
        return set(self._store.sessions)


class AodEmulator(Lifecycle):
    """A local AoD server. ``tokens`` are the accepted API keys, one user each.

    ``git_base_urls`` are URL prefixes accepted as resources besides github.com (e.g. the
    GitHub emulator's URL, or ``file://``); ``timeout_scale`` multiplies every per-turn
    timeout so tests need not wait the API's 10 s minimum; ``terminal_events="stored"``
    stores each turn's ending as a row of its own instead of making one up per connection.

    ``light=True`` is for benchmarks: turns neither clone nor start an agent process but
    replay what the scripted agent printed when the emulator ran the same history once
    (``light.py``), so thousands of sessions cost the emulator next to nothing. Everything
    else (records, streams, quota, turns, faults) is unchanged. Not with ``agent_command``.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        tokens: Sequence[str] = (DEFAULT_TOKEN,),
        max_active: int = 100,
        scenario: Scenario | Path | Mapping[str, Any] | None = None,
        agent_command: Sequence[str] | None = None,
        record_shape: RecordShape = "sdk010",
        heartbeat_interval: float = 15.0,
        stale_after: float | None = None,
        poll_interval: float = 0.05,
        truncation: Truncation = "middle",
        output_limit: int = 30000,
        git_base_urls: Sequence[str] = (),
        timeout_scale: float = 1.0,
        terminal_events: TerminalEvents = "synthesized",
        light: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if not tokens:
            raise ValueError("the emulator needs at least one token")
        if light and agent_command is not None:
            raise ValueError("light mode replays the scripted agent: it takes no agent_command")
        self.config = EmulatorConfig(
            data_dir=Path(data_dir),
            tokens=tuple(tokens),
            max_active=max_active,
            agent_command=tuple(agent_command) if agent_command is not None else None,
            record_shape=record_shape,
            heartbeat_interval=heartbeat_interval,
            stale_after=stale_after if stale_after is not None else SERVICE_STALE_AFTER,
            poll_interval=poll_interval,
            truncation=truncation,
            output_limit=output_limit,
            git_base_urls=tuple(git_base_urls),
            timeout_scale=timeout_scale,
            terminal_events=terminal_events,
        )
        self.scenario = Scenario.coerce(scenario)
        self.faults = Faults()
        self._store = Store()
        self._groups = ProcessGroups()
        requests = RequestStats()
        light_turns = None
        if light:  # computations run on a normal runner whose store nobody sees
            unscaled = dataclasses.replace(self.config, timeout_scale=1.0)
            scratch = SessionRunner(unscaled, Store(), self._groups)
            light_turns = LightTurns(self.config.sessions_dir, scratch)
        self.stats = EmulatorStats(self._store, requests, self._groups, light_turns)
        runner = SessionRunner(self.config, self._store, self._groups, light_turns)
        self._api = AodApi(self.config, self._store, runner, self.scenario, self.faults, requests)
        self._server = BackgroundServer(build_app(self._api), host=host, port=port)
        self._started = self._stopped = False

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def served_routes(self) -> list[str]:
        """Every operation the emulator answers, e.g. ``"GET /sessions/{id}/turns"``; the
        keys ``stats.requests`` counts under."""
        return self._api.served()

    @property
    def token(self) -> str:
        """The first token: the one to give a client when the test has only one user."""
        return self.config.tokens[0]

    def start(self) -> AodEmulator:
        self.config.sessions_dir.mkdir(parents=True, exist_ok=True)
        self._server.start()
        self._started = True
        return self

    def stop(self) -> None:
        """Stop serving, kill every agent process group and remove every workspace."""
        if self._stopped:
            return
        self._stopped = True
        loop = self._api.loop
        if self._started and loop is not None and not loop.is_closed():
            future = asyncio.run_coroutine_threadsafe(self._api.shutdown(), loop)
            # On a timeout the kills below and the server's own shutdown still apply.
            with contextlib.suppress(concurrent.futures.TimeoutError, RuntimeError):
                future.result(SHUTDOWN_TIMEOUT)
        self._groups.kill()
        self._server.stop()
        self._groups.kill()  # anything a turn started while the server wound down
        shutil.rmtree(self.config.sessions_dir, ignore_errors=True)

    def create_agent(
        self,
        runtime: str = "claude-code",
        *,
        name: str = "emulated-agent",
        model: str = DEFAULT_MODEL,
        system: str = "",
        token: str | None = None,
    ) -> str:
        """Create an agent owned by ``token``'s user (the first token by default); return
        its id, for ``sessions.create(agent_id=…)`` or a manifest's ``agent``."""
        if runtime not in RUNTIMES:
            raise ValueError(f"unknown runtime {runtime!r}; one of {sorted(RUNTIMES)}")
        owner = token or self.token
        if owner not in self.config.tokens:
            raise ValueError("the agent's token is not one of the emulator's tokens")
        provider = RUNTIMES[runtime]
        agent = Agent(
            owner=owner,
            name=name,
            model=model,
            provider=provider,
            runtime="claude" if provider == "anthropic" else "codex",
            system=system,
        )
        return self._store.add_agent(agent).id

    def set_scenario(self, scenario: Scenario | Path | Mapping[str, Any] | None) -> None:
        """Script the agent differently from now on (sessions already created keep theirs)."""
        self.scenario = Scenario.coerce(scenario)
        self._api.scenario = self.scenario

    def process_groups(self, session_id: str | None = None) -> list[int]:
        """Process group ids of the live processes of one session (or of all sessions)."""
        return self._groups.of(session_id)

    # Shortcuts to ``self.faults``.
    def server_error_on_create(self, count: int, status: int = 503) -> None:
        self.faults.server_error_on_create(count, status)

    def rate_limit_storm(self, count: int) -> None:
        self.faults.rate_limit_storm(count)

    def slow_stream(self, delay_per_event: float) -> None:
        self.faults.slow_stream(delay_per_event)

    def drop_stream_after(self, n_events: int) -> None:
        self.faults.drop_stream_after(n_events)
