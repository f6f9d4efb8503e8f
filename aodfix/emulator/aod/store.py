"""The emulator's rows: agents, environments, sessions and their turns, per user (token).

Everything here is touched only from the server's event loop, except agent creation through
the Python API, which takes the lock.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from aodfix.emulator.aod.events import EventLog
from aodfix.emulator.aod.scenario import RepositoryScript, TurnScript
from aodfix.emulator.aod.workspace import Sandbox

SessionStatus = Literal["pending", "running", "completed", "failed", "terminated"]
TurnStatus = Literal["pending", "running", "completed", "failed"]

# The per-user cap counts sessions waiting for or running a turn, as the service does
# (reference §3.1): finished sessions hold a sandbox but do not count.
ACTIVE_STATUSES: frozenset[str] = frozenset({"pending", "running"})
FINISHED_STATUSES: frozenset[str] = frozenset({"completed", "failed", "terminated"})


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Agent:
    owner: str
    name: str
    model: str
    provider: str  # anthropic | openai
    runtime: str  # claude | codex: what the SDK 0.1.0 era called the agent's kind
    system: str = ""
    description: str = ""
    environment_id: str | None = None
    skills: list[dict[str, Any]] = field(default_factory=list)
    mcp_servers: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=new_id)
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)


@dataclass
class Environment:
    owner: str
    name: str
    packages: dict[str, list[str]] = field(default_factory=dict)
    env_vars: dict[str, str] = field(default_factory=dict, repr=False)
    setup_script: str = ""
    networking: dict[str, Any] = field(default_factory=lambda: {"type": "unrestricted"})
    id: str = field(default_factory=new_id)
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True)
class Resource:
    url: str  # as stored and returned: without ``.git``
    clone_url: str  # as given
    mount_path: str
    token: str | None = field(default=None, repr=False)


@dataclass
class Turn:
    number: int
    prompt: str
    timeout: int
    script: TurnScript
    status: TurnStatus = "pending"
    exit_code: int | None = None
    created_at: datetime = field(default_factory=utcnow)
    started_at: datetime | None = None
    ended_at: datetime | None = None


@dataclass
class Session:
    owner: str
    agent: Agent
    environment: Environment | None
    resources: tuple[Resource, ...]
    secret_env_vars: dict[str, str] = field(repr=False)
    log: EventLog
    directory: Path  # holds the sandbox root and the emulator's own files for the session
    script: RepositoryScript  # what the scripted agent does in this session's turns
    status: SessionStatus = "pending"
    exit_code: int | None = None
    turns: list[Turn] = field(default_factory=list)
    id: str = field(default_factory=new_id)
    runtime_session_id: str = field(default_factory=new_id)
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    deleted: bool = False
    stale_after: float | None = None  # the current turn's scripted stale threshold
    drop_after: int | None = None  # one-shot: cut the next stream after this many events

    @cached_property
    def sandbox(self) -> Sandbox:
        return Sandbox(self.directory / "root", tuple(r.mount_path for r in self.resources))

    @property
    def current_turn(self) -> Turn:
        return self.turns[-1]

    @property
    def sandbox_gone(self) -> bool:
        """Terminated or deleted: its sandbox is destroyed, no turn may run or finish in it."""
        return self.status == "terminated" or self.deleted

    def take_drop(self) -> int | None:
        drop, self.drop_after = self.drop_after, None
        return drop


class Store:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._row_ids = itertools.count(1)
        self.agents: dict[str, Agent] = {}
        self.environments: dict[str, Environment] = {}
        self.sessions: dict[str, Session] = {}
        self.active_by_owner: Counter[str] = Counter()
        self.active = 0
        self.peak_active = 0
        self.created = 0

    def next_row_id(self) -> int:
        return next(self._row_ids)

    def add_agent(self, agent: Agent) -> Agent:
        with self._lock:
            self.agents[agent.id] = agent
        return agent

    def owned_agents(self, owner: str) -> list[Agent]:
        with self._lock:
            agents = [a for a in self.agents.values() if a.owner == owner]
        return sorted(agents, key=lambda a: a.created_at, reverse=True)

    def agent(self, owner: str, agent_id: str) -> Agent | None:
        with self._lock:
            agent = self.agents.get(agent_id)
        return agent if agent is not None and agent.owner == owner else None

    def environment(self, owner: str, environment_id: str) -> Environment | None:
        environment = self.environments.get(environment_id)
        return environment if environment is not None and environment.owner == owner else None

    def owned_environments(self, owner: str) -> list[Environment]:
        found = [e for e in self.environments.values() if e.owner == owner]
        return sorted(found, key=lambda e: e.created_at, reverse=True)

    def session(self, owner: str, session_id: str) -> Session | None:
        session = self.sessions.get(session_id)
        return session if session is not None and session.owner == owner else None

    def owned_sessions(self, owner: str) -> list[Session]:
        found = [s for s in self.sessions.values() if s.owner == owner]
        return sorted(found, key=lambda s: s.created_at, reverse=True)

    def add_session(self, session: Session) -> None:
        self.sessions[session.id] = session
        self.created += 1
        self._count(session.owner, +1)

    def remove_session(self, session: Session) -> None:
        """Drop a finished session's row; open streams on it notice and drop."""
        del self.sessions[session.id]
        session.deleted = True
        session.log.notify()

    def set_status(self, session: Session, status: SessionStatus) -> None:
        was_active = session.status in ACTIVE_STATUSES
        session.status = status
        session.updated_at = utcnow()
        is_active = status in ACTIVE_STATUSES
        if was_active != is_active:
            self._count(session.owner, +1 if is_active else -1)
        session.log.notify()

    def _count(self, owner: str, delta: int) -> None:
        self.active_by_owner[owner] += delta
        self.active += delta
        self.peak_active = max(self.peak_active, self.active)
