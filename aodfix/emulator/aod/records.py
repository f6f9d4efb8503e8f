"""The JSON the service answers with, in either record shape.

``sdk010`` is the server era aod-sdk 0.1.0 was written for: agents and sessions name their
``runtime``. ``current`` is today's server: ``provider`` and no ``runtime``, which the 0.1.0
models cannot parse (reference §7.2). Secrets (tokens, env vars) are never rendered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aodfix.emulator.aod.config import RecordShape
from aodfix.emulator.aod.store import Agent, Environment, Resource, Session, Turn


def timestamp(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _kind(shape: RecordShape, provider: str, runtime: str) -> dict[str, str]:
    return {"runtime": runtime} if shape == "sdk010" else {"provider": provider}


def agent_json(agent: Agent, shape: RecordShape) -> dict[str, Any]:
    return {
        "id": agent.id,
        "type": "agent",
        "name": agent.name,
        "description": agent.description or None,
        "system": agent.system or None,
        **_kind(shape, agent.provider, agent.runtime),
        "model": agent.model,
        "environment_id": agent.environment_id,
        "skills": agent.skills,
        "mcp_servers": agent.mcp_servers,
        "metadata": agent.metadata,
        "version": 1,
        "created_at": timestamp(agent.created_at),
        "updated_at": timestamp(agent.updated_at),
        "archived_at": None,
    }


def environment_json(environment: Environment) -> dict[str, Any]:
    return {
        "id": environment.id,
        "type": "environment",
        "name": environment.name,
        "packages": environment.packages,
        "setup_script": environment.setup_script or None,
        "networking": environment.networking,
        "version": 1,
        "created_at": timestamp(environment.created_at),
        "updated_at": timestamp(environment.updated_at),
        "archived_at": None,
    }


def resource_json(resource: Resource) -> dict[str, Any]:
    return {"type": "github_repository", "url": resource.url, "mount_path": resource.mount_path}


def session_json(session: Session, shape: RecordShape) -> dict[str, Any]:
    return {
        "id": session.id,
        "agent_id": session.agent.id,
        "environment_id": session.environment.id if session.environment else None,
        **_kind(shape, session.agent.provider, session.agent.runtime),
        "status": session.status,
        "exit_code": session.exit_code,
        "created_at": timestamp(session.created_at),
        "updated_at": timestamp(session.updated_at),
        "resources": [resource_json(r) for r in session.resources],
        "turn_count": len(session.turns),
        "current_turn": session.turns[-1].number if session.turns else None,
    }


def turn_json(turn: Turn) -> dict[str, Any]:
    return {
        "turn_number": turn.number,
        "prompt": turn.prompt,
        "status": turn.status,
        "exit_code": turn.exit_code,
        "created_at": timestamp(turn.created_at),
        "started_at": timestamp(turn.started_at),
        "ended_at": timestamp(turn.ended_at),
    }


def start_event(session: Session, shape: RecordShape) -> dict[str, Any]:
    """The id-less first event of every stream connection."""
    kind = _kind(shape, session.agent.provider, session.agent.runtime)
    return {"type": "start", **kind, "session_id": session.id}
