"""The HTTP surface: the service's routes, status codes and error strings (reference §1-§3).

Two kinds of view, as on the service: views that dispatch on the method themselves check
auth first and answer a wrong method with JSON 405; views with a method decorator answer a
wrong method with an empty 405 before auth. Unknown paths (a trailing slash, an upper-case
id) get a plain, non-JSON 404.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aodfix.emulator.aod import records
from aodfix.emulator.aod.config import EmulatorConfig
from aodfix.emulator.aod.events import EventLog
from aodfix.emulator.aod.faults import Faults
from aodfix.emulator.aod.runner import SessionRunner
from aodfix.emulator.aod.scenario import Scenario
from aodfix.emulator.aod.schemas import (
    AgentIn,
    AgentInSdk010,
    EnvironmentIn,
    PromptIn,
    SemanticError,
    SessionIn,
)
from aodfix.emulator.aod.store import (
    Agent,
    Environment,
    Resource,
    Session,
    Store,
    Turn,
    new_id,
)
from aodfix.emulator.aod.stream import EventStreamResponse, session_frames, with_faults
from aodfix.emulator.aod.workspace import repository_name

Model = TypeVar("Model", bound=BaseModel)
# Every route takes every method and answers a wrong one itself, the way its view would.
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
Handler = Callable[[Request, str], Awaitable[Response]]


class _LowerUuid(Convertor[str]):
    """Django's ``<uuid:…>``: lower-case and hyphenated only."""

    regex = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("aod_uuid", _LowerUuid())


class JsonResponse(Response):
    """Django's JsonResponse: ``json.dumps`` with its default separators."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content).encode()


def _detail(status: int, detail: Any, **extra: Any) -> JsonResponse:
    return JsonResponse({"detail": detail, **extra}, status_code=status)


class RequestStats:
    """What clients asked for: a counter per route, e.g. ``"POST /sessions"``, every
    resource a create named (token included) and every turn's prompt (with the session's
    first resource URL and the turn number), kept after the session is deleted."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.resources: list[Resource] = []
        self.prompts: list[tuple[str, int, str]] = []


class AodApi:
    def __init__(
        self,
        config: EmulatorConfig,
        store: Store,
        runner: SessionRunner,
        scenario: Scenario,
        faults: Faults,
        stats: RequestStats,
    ) -> None:
        self.config = config
        self.store = store
        self.runner = runner
        self.scenario = scenario
        self.faults = faults
        self.stats = stats
        self.loop: asyncio.AbstractEventLoop | None = None
        self.closing = False

    # --- plumbing -------------------------------------------------------------------------

    def table(self) -> list[tuple[str, dict[str, Handler], bool]]:
        """Each path once, with ``{id}`` as every id; ``True`` marks decorator views."""
        return [
            ("/agents", {"GET": self.list_agents, "POST": self.create_agent}, False),
            ("/agents/{id}", {"GET": self.get_agent}, False),
            (
                "/environments",
                {"GET": self.list_environments, "POST": self.create_environment},
                False,
            ),
            ("/environments/{id}", {"GET": self.get_environment}, False),
            ("/sessions", {"GET": self.list_sessions, "POST": self.create_session}, False),
            ("/sessions/{id}", {"GET": self.get_session}, True),
            ("/sessions/{id}/prompt", {"POST": self.prompt}, True),
            ("/sessions/{id}/turns", {"GET": self.turns}, True),
            ("/sessions/{id}/terminate", {"POST": self.terminate}, True),
            ("/sessions/{id}/delete", {"DELETE": self.delete}, False),
            ("/sessions/{id}/stream", {"GET": self.stream}, True),
        ]

    def served(self) -> list[str]:
        """Every operation answered, as ``"METHOD /path"`` (the labels of ``RequestStats``):
        what a conformance suite must drive."""
        return [
            "GET /health",
            *(f"{m} {label}" for label, handlers, _ in self.table() for m in handlers),
        ]

    def routes(self) -> list[Route]:
        routes = [Route("/health", self.health, methods=ALL_METHODS)]
        for label, handlers, method_first in self.table():
            path = label.replace("{id}", "{id:aod_uuid}")
            view = self._view(label, handlers, method_first)
            routes.append(Route(path, view, methods=ALL_METHODS))
        return routes

    def _view(
        self, label: str, handlers: dict[str, Handler], method_first: bool
    ) -> Callable[[Request], Awaitable[Response]]:
        async def view(request: Request) -> Response:
            self.loop = asyncio.get_running_loop()
            self.stats.requests[f"{request.method} {label}"] += 1
            handler = handlers.get(request.method)
            if handler is None and method_first:
                return Response(status_code=405, headers={"Allow": ", ".join(handlers)})
            owner = self._owner(request)
            if owner is None:
                return _detail(401, "Invalid API key")
            if handler is None:
                return _detail(405, "Method not allowed")
            return await handler(request, owner)

        return view

    def _owner(self, request: Request) -> str | None:
        """The user a request acts for: one user per configured token."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token.strip() not in self.config.tokens:
            return None
        return token.strip()

    async def _body(self, request: Request, model: type[Model]) -> Model | Response:
        try:
            data = json.loads(await request.body())
        except ValueError:
            return _detail(400, "Invalid JSON")
        context = {"git_base_urls": self.config.git_base_urls}
        try:
            return model.model_validate(data, context=context)
        except PydanticValidationError as exc:
            return _detail(422, exc.errors(include_context=False))

    async def health(self, request: Request) -> Response:
        self.stats.requests[f"{request.method} /health"] += 1
        if request.method != "GET":
            return Response(status_code=405, headers={"Allow": "GET"})
        return JsonResponse({"status": "ok"})

    # --- agents and environments ----------------------------------------------------------

    async def list_agents(self, request: Request, owner: str) -> Response:
        agents = self.store.owned_agents(owner)
        return JsonResponse({"data": [self._agent_json(a) for a in agents]})

    async def get_agent(self, request: Request, owner: str) -> Response:
        agent = self.store.agent(owner, request.path_params["id"])
        if agent is None:
            return _detail(404, "Agent not found")
        return JsonResponse(self._agent_json(agent))

    async def create_agent(self, request: Request, owner: str) -> Response:
        schema = AgentInSdk010 if self.config.record_shape == "sdk010" else AgentIn
        body = await self._body(request, schema)
        if isinstance(body, Response):
            return body
        try:
            provider, runtime = body.kind()
            model = body.normalized_model(provider)
        except SemanticError as exc:
            return _detail(422, str(exc))
        environment_id = body.environment_id
        if environment_id is not None and self.store.environment(owner, environment_id) is None:
            return _detail(404, "Environment not found")
        agent = Agent(
            owner=owner,
            name=body.name,
            model=model,
            provider=provider,
            runtime=runtime,
            system=body.system,
            description=body.description,
            environment_id=body.environment_id,
            skills=body.skills,
            mcp_servers=[s.model_dump(exclude_none=True) for s in body.mcp_servers],
            metadata=body.metadata,
        )
        self.store.add_agent(agent)
        return JsonResponse(self._agent_json(agent), status_code=201)

    def _agent_json(self, agent: Agent) -> dict[str, Any]:
        return records.agent_json(agent, self.config.record_shape)

    async def list_environments(self, request: Request, owner: str) -> Response:
        found = self.store.owned_environments(owner)
        return JsonResponse({"data": [records.environment_json(e) for e in found]})

    async def get_environment(self, request: Request, owner: str) -> Response:
        environment = self.store.environment(owner, request.path_params["id"])
        if environment is None:
            return _detail(404, "Environment not found")
        return JsonResponse(records.environment_json(environment))

    async def create_environment(self, request: Request, owner: str) -> Response:
        body = await self._body(request, EnvironmentIn)
        if isinstance(body, Response):
            return body
        if any(e.name == body.name for e in self.store.owned_environments(owner)):
            return _detail(409, f"An active environment named '{body.name}' already exists")
        environment = Environment(
            owner=owner,
            name=body.name,
            packages=body.packages,
            env_vars=body.env_vars,
            setup_script=body.setup_script,
            networking=body.networking.rendered(),
        )
        self.store.environments[environment.id] = environment
        return JsonResponse(records.environment_json(environment), status_code=201)

    # --- sessions -------------------------------------------------------------------------

    def _session(self, request: Request, owner: str) -> Session | None:
        return self.store.session(owner, request.path_params["id"])

    async def list_sessions(self, request: Request, owner: str) -> Response:
        shape = self.config.record_shape
        found = self.store.owned_sessions(owner)
        return JsonResponse({"data": [records.session_json(s, shape) for s in found]})

    async def get_session(self, request: Request, owner: str) -> Response:
        session = self._session(request, owner)
        if session is None:
            return _detail(404, "Session not found")
        return JsonResponse(records.session_json(session, self.config.record_shape))

    async def create_session(self, request: Request, owner: str) -> Response:
        status = self.faults.take_server_error()
        if status is not None:
            return _detail(status, "Service temporarily unavailable (emulator fault)")
        body = await self._body(request, SessionIn)
        if isinstance(body, Response):
            return body
        agent = self.store.agent(owner, body.agent_id)
        if agent is None:
            return _detail(404, "Agent not found")
        environment = None
        environment_id = body.environment_id or agent.environment_id
        if environment_id:
            environment = self.store.environment(owner, environment_id)
            if environment is None:
                return _detail(404, "Environment not found")
        active, limit = self.store.active_by_owner[owner], self.config.max_active
        if self.faults.take_rate_limit() or active >= limit:
            return _detail(
                429,
                f"Concurrent session limit reached ({active}/{limit})."
                " Terminate an active session before starting a new one.",
                limit=limit,
                active=active,
            )
        resources = tuple(
            Resource(
                url=r.stored_url,
                clone_url=r.url,
                mount_path=r.resolved_mount_path,
                token=r.authorization_token,
            )
            for r in body.resources
        )
        self.stats.resources.extend(resources)
        script = self.scenario.for_repository(
            repository_name(resources[0].url) if resources else None
        ).for_prompt(body.prompt)
        session_id = new_id()
        session = Session(
            id=session_id,
            owner=owner,
            agent=agent,
            environment=environment,
            resources=resources,
            secret_env_vars=body.secret_env_vars,
            log=EventLog(self.store.next_row_id),
            directory=self.config.sessions_dir / session_id,
            script=script,
        )
        self._queue_turn(session, Turn(1, body.prompt, body.timeout, script.turn(1)))
        self.store.add_session(session)
        self.runner.start_first_turn(session)
        return JsonResponse(
            {
                "id": session.id,
                "status": "pending",
                "stream_url": f"/sessions/{session.id}/stream",
                "environment_id": environment.id if environment else None,
                "resources": [records.resource_json(r) for r in resources],
                "current_turn": 1,
            },
            status_code=202,
        )

    def _queue_turn(self, session: Session, turn: Turn) -> None:
        url = session.resources[0].url if session.resources else ""
        self.stats.prompts.append((url, turn.number, turn.prompt))
        session.turns.append(turn)
        session.drop_after = turn.script.drop_stream_after

    async def prompt(self, request: Request, owner: str) -> Response:
        session = self._session(request, owner)
        if session is None:
            return _detail(404, "Session not found")
        if (conflict := _prompt_conflict(session)) is not None:
            return conflict
        body = await self._body(request, PromptIn)
        if isinstance(body, Response):
            return body
        if (conflict := _prompt_conflict(session)) is not None:
            return conflict
        if session.status == "pending":
            return _detail(409, "Session already has a pending turn")
        number = session.current_turn.number + 1
        turn = Turn(number, body.prompt, body.timeout, session.script.turn(number))
        self._queue_turn(session, turn)
        session.exit_code = None
        self.store.set_status(session, "pending")
        self.runner.start_next_turn(session)
        return JsonResponse(
            {
                "id": session.id,
                "status": "pending",
                "stream_url": f"/sessions/{session.id}/stream",
                "current_turn": number,
            },
            status_code=202,
        )

    async def turns(self, request: Request, owner: str) -> Response:
        session = self._session(request, owner)
        if session is None:
            return _detail(404, "Session not found")
        return JsonResponse({"data": [records.turn_json(t) for t in session.turns]})

    async def terminate(self, request: Request, owner: str) -> Response:
        session = self._session(request, owner)
        if session is None:
            return _detail(404, "Session not found")
        if session.status == "terminated":
            return _detail(409, "Session is already terminated")
        self.store.set_status(session, "terminated")
        self.runner.groups.kill(session.id)  # the sandbox goes away under a running turn
        return JsonResponse({"id": session.id, "status": "terminated"})

    async def delete(self, request: Request, owner: str) -> Response:
        session = self._session(request, owner)
        if session is None:
            return _detail(404, "Session not found")
        if session.status in ("pending", "running"):
            return _detail(409, "Cannot delete an active session")
        self.store.remove_session(session)
        self.runner.groups.kill(session.id)
        if session.directory.exists():  # light sessions never make one: no thread hop
            await asyncio.to_thread(shutil.rmtree, session.directory, True)
        return _detail(200, "Session deleted")

    async def stream(self, request: Request, owner: str) -> Response:
        session = self._session(request, owner)
        if session is None:
            return _detail(404, "Session not found")
        raw = request.headers.get("last-event-id") or request.query_params.get("since", "0")
        try:
            since = max(0, int(raw))
        except ValueError:
            return _detail(400, "since must be an integer")
        drops = [d for d in (session.take_drop(), self.faults.take_stream_drop()) if d is not None]
        frames = session_frames(session, since, self.config, lambda: self.closing)
        return EventStreamResponse(with_faults(frames, self.faults, min(drops, default=None)))

    async def shutdown(self) -> None:
        """End every stream and every agent, so the server can stop at once."""
        self.closing = True
        for session in list(self.store.sessions.values()):
            session.log.notify()
        await self.runner.shutdown()


def _prompt_conflict(session: Session) -> Response | None:
    messages = {
        "running": "Session is already running",
        "terminated": "Session has been terminated",
        "failed": "Session has failed and cannot be resumed. Start a new session.",
    }
    message = messages.get(session.status)
    return _detail(409, message) if message is not None else None


def build_app(api: AodApi) -> Starlette:
    app = Starlette(routes=api.routes())
    app.router.redirect_slashes = False  # the service has APPEND_SLASH = False: plain 404s
    return app
