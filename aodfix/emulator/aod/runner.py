"""The worker side of a session: provision the sandbox, then run one agent process per turn.

It writes what the service's worker writes — ``stage`` rows while provisioning, ``output``
rows as the agent prints, the final status — and nothing else: streams turn those rows into
SSE. Every process (clones, setup script, agent) runs in a process group of its own so that
terminate, timeout and ``stop()`` kill everything it started.

In light mode (``light`` given) the same rows are written, but provisioning does nothing and
a turn replays the output ``LightTurns`` computed once for its history: no clone, no process,
and the turn's delay is a timer on the event loop.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import shlex
import signal
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import aodfix
from aodfix.emulator.aod.config import EmulatorConfig
from aodfix.emulator.aod.light import LightModeError, LightTurns
from aodfix.emulator.aod.scripted_agent import PLAN_ENV, TurnPlan
from aodfix.emulator.aod.store import Session, Store, Turn, TurnStatus, utcnow

READ_CHUNK = 65536
CLONE_TIMEOUT = 300.0  # the service has none; a stuck clone must not hold a session forever
DRAIN_TIMEOUT = 5.0  # output left in the pipes after the process group was killed
STDERR_TAIL = 2000
SCRIPTED_AGENT = (sys.executable, "-m", "aodfix.emulator.aod.scripted_agent")


class ProvisionError(Exception):
    """A provisioning step failed; the message goes to the stage row and to stderr."""


class ProcessGroups:
    """The live process groups, per session; thread-safe so ``stop()`` can kill them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._groups: dict[int, str] = {}
        self.started = 0  # processes started so far (clones, setup scripts, agents)

    def add(self, pgid: int, session_id: str) -> None:
        with self._lock:
            self._groups[pgid] = session_id
            self.started += 1

    def discard(self, pgid: int) -> None:
        with self._lock:
            self._groups.pop(pgid, None)

    def of(self, session_id: str | None = None) -> list[int]:
        """The live groups of one session (or of all sessions)."""
        with self._lock:
            return [g for g, s in self._groups.items() if session_id in (None, s)]

    def kill(self, session_id: str | None = None) -> None:
        """SIGKILL the groups of one session (or of all sessions)."""
        for pgid in self.of(session_id):
            kill_group(pgid)


def kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _base_env(home: Path) -> dict[str, str]:
    """A sandbox-like environment: the host's PATH and locale, nothing of its secrets."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": str(home),
        "USER": "sprite",
        "SHELL": "/bin/bash",
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    if "TMPDIR" in os.environ:
        env["TMPDIR"] = os.environ["TMPDIR"]
    return env


class SessionRunner:
    def __init__(
        self,
        config: EmulatorConfig,
        store: Store,
        groups: ProcessGroups,
        light: LightTurns | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.groups = groups
        self.light = light
        self._tasks: set[asyncio.Task[None]] = set()

    def start_first_turn(self, session: Session) -> None:
        self._spawn(self.provision_and_run(session))

    def start_next_turn(self, session: Session) -> None:
        self._spawn(self.run_turn(session, session.current_turn))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def shutdown(self) -> None:
        self.groups.kill()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.light is not None:
            await self.light.shutdown()

    # --- provisioning ---------------------------------------------------------------------

    async def provision_and_run(self, session: Session) -> None:
        """Provision the sandbox (stage rows), then run the session's first turn."""
        turn = session.current_turn
        stages: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            ("create_sprite", lambda: self._create_sandbox(session)),
            ("install_runtime", _nothing),
        ]
        if session.environment and session.environment.networking.get("type") == "limited":
            stages.append(("network_policy", _nothing))  # the emulator does not filter traffic
        stages.append(("env_file", _nothing))
        if any(r.token for r in session.resources):
            stages.append(("git_credentials", lambda: self._git_credentials(session)))
        stages += [
            ("provision_setup", lambda: self._provision_setup(session)),
            ("runtime_config", _nothing),
        ]
        if session.agent.skills:
            stages.append(("skills", _nothing))
        if self.light is not None:  # the same rows; the computation did the work once
            stages = [(name, _nothing) for name, _ in stages]
        for name, step in stages:
            if session.sandbox_gone:
                self._abort(session, turn)
                return
            session.log.stage(name, "started")
            started = time.monotonic()
            try:
                await step()
            except ProvisionError as exc:
                if session.sandbox_gone:
                    self._abort(session, turn)
                    return
                elapsed = _ms_since(started)
                session.log.stage(name, "failed", duration_ms=elapsed, message=str(exc))
                session.log.output("stderr", f"provision failed: {exc}\n", turn.number)
                self._finish(session, turn, "failed", None)
                return
            session.log.stage(name, "done", duration_ms=_ms_since(started))
        await self.run_turn(session, turn)

    async def _create_sandbox(self, session: Session) -> None:
        sandbox = session.sandbox
        await asyncio.to_thread(sandbox.create)
        (sandbox.home / ".gitconfig").write_text(
            "[user]\n\tname = sprite\n\temail = sprite@sprites.invalid\n"
            "[init]\n\tdefaultBranch = main\n",
            encoding="utf-8",
        )

    async def _git_credentials(self, session: Session) -> None:
        """Store the resources' tokens as the service does: a git credential store holding
        ``<scheme>://<token>:x-oauth-basic@<host>`` (basic auth), mode 600, never logged."""
        home = session.sandbox.home
        store_file = home / ".git-credentials"
        lines = []
        for resource in session.resources:
            if resource.token:
                parts = urlsplit(resource.clone_url)
                lines.append(
                    f"{parts.scheme}://{quote(resource.token, safe='')}:x-oauth-basic"
                    f"@{parts.netloc}\n"
                )
        fd = os.open(store_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.writelines(lines)
        with (home / ".gitconfig").open("a", encoding="utf-8") as handle:
            handle.write(f"[credential]\n\thelper = store --file={shlex.quote(str(store_file))}\n")

    async def _provision_setup(self, session: Session) -> None:
        """Clone every resource (depth 1, as the service does), then the setup script."""
        sandbox = session.sandbox
        env = _base_env(sandbox.home)
        for resource in session.resources:
            target = sandbox.real(resource.mount_path)
            target.parent.mkdir(parents=True, exist_ok=True)
            argv = ["git", "clone", "--depth=1", "--quiet", resource.clone_url, str(target)]
            await self._run_step(session, argv, env, f"git clone of {resource.url}")
        environment = session.environment
        if environment is not None and environment.setup_script:
            env.update(environment.env_vars)
            argv = ["bash", "-c", sandbox.to_real(environment.setup_script)]
            await self._run_step(session, argv, env, "setup script")

    async def _run_step(
        self, session: Session, argv: list[str], env: Mapping[str, str], what: str
    ) -> None:
        process = await asyncio.create_subprocess_exec(
            *argv,
            cwd=session.sandbox.home,
            env=dict(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        self.groups.add(process.pid, session.id)
        try:
            async with asyncio.timeout(CLONE_TIMEOUT):
                _, stderr = await process.communicate()
        except TimeoutError:
            kill_group(process.pid)
            await process.wait()
            raise ProvisionError(f"Provisioning script failed: {what} timed out") from None
        finally:
            self.groups.discard(process.pid)
        if process.returncode != 0:
            tail = stderr.decode("utf-8", errors="replace")[-STDERR_TAIL:]
            raise ProvisionError(
                f"Provisioning script failed: {what} exited with {process.returncode}"
                f"\nstderr:\n{tail}"
            )

    # --- turns ----------------------------------------------------------------------------

    async def run_turn(self, session: Session, turn: Turn) -> None:
        """Run ``turn`` to its end: status rows, output rows, the final state."""
        if session.sandbox_gone:
            self._abort(session, turn)
            return
        session.log.stage("runtime_start", "started")
        turn.status = "running"
        turn.started_at = utcnow()
        session.stale_after = turn.script.stale
        self.store.set_status(session, "running")
        if self.light is not None:
            await self._replay_turn(session, turn, self.light)
            return
        try:
            argv, env, stdin = self._agent_invocation(session, turn)
            process = await asyncio.create_subprocess_exec(
                *argv,
                cwd=session.sandbox.home,
                env=env,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            session.log.output("stderr", f"turn failed: {exc}\n", turn.number)
            self._finish(session, turn, "failed", None)
            return
        self.groups.add(process.pid, session.id)
        if session.sandbox_gone:  # terminated while the process was starting
            kill_group(process.pid)
        assert process.stdin and process.stdout and process.stderr
        pumps = [
            asyncio.ensure_future(self._pump(session, turn, "stdout", process.stdout)),
            asyncio.ensure_future(self._pump(session, turn, "stderr", process.stderr)),
        ]
        feeder = asyncio.ensure_future(_feed(process.stdin, stdin))
        timed_out = False
        try:
            async with asyncio.timeout(turn.timeout * self.config.timeout_scale):
                await process.wait()
        except TimeoutError:
            timed_out = True
        finally:
            kill_group(process.pid)  # the agent's stragglers, or the agent itself on timeout
            self.groups.discard(process.pid)
            await process.wait()
            feeder.cancel()
            _, pending = await asyncio.wait(pumps, timeout=DRAIN_TIMEOUT)
            for pump in pending:
                pump.cancel()
        code = process.returncode
        assert code is not None
        if code < 0:
            code = 128 - code  # killed by a signal: report it as a shell would
        if session.sandbox_gone:
            # The sandbox was destroyed under the turn; the session keeps its status.
            turn.status, turn.exit_code, turn.ended_at = "failed", code, utcnow()
            return
        if timed_out:
            self._time_out(session, turn)
            return
        self._finish(session, turn, "completed" if code == 0 else "failed", code)

    def _time_out(self, session: Session, turn: Turn) -> None:
        """The turn ran past its timeout: failed, as the runtime reports it."""
        message = f"turn failed: command timed out after {turn.timeout}s\n"
        session.log.output("stderr", message, turn.number)
        self._finish(session, turn, "failed", None)

    async def _replay_turn(self, session: Session, turn: Turn, light: LightTurns) -> None:
        """A light turn: the computed output, its head at once and the rest after the
        script's delay, with the process path's timeout and terminate behaviour."""
        try:
            replay = await light.replay(session, turn)
        except LightModeError as exc:
            if session.sandbox_gone:
                turn.status, turn.ended_at = "failed", utcnow()
                return
            session.log.output("stderr", f"turn failed: {exc}\n", turn.number)
            self._finish(session, turn, "failed", None)
            return
        if not session.sandbox_gone:
            for stream, text in replay.head:
                session.log.output(stream, text, turn.number)
        script = turn.script
        limit = turn.timeout * self.config.timeout_scale
        hangs = script.hang or script.stale is not None
        timed_out = hangs or script.delay >= limit
        await _sleep_unless_gone(session, limit if timed_out else script.delay)
        if session.sandbox_gone:
            # Killed with the sandbox, as the process path reports a SIGKILL.
            turn.status, turn.exit_code, turn.ended_at = "failed", 128 + 9, utcnow()
            return
        if timed_out:
            self._time_out(session, turn)
            return
        for text in replay.rest:
            session.log.output("stdout", text, turn.number)
        self._finish(session, turn, replay.status, replay.exit_code)

    def _agent_invocation(
        self, session: Session, turn: Turn
    ) -> tuple[list[str], dict[str, str], bytes]:
        """The argv, environment and stdin of this turn's agent process."""
        sandbox = session.sandbox
        prompt = turn.prompt
        if turn.number == 1 and session.agent.system:
            prompt = f"{session.agent.system}\n\n{prompt}"
        extra = {"AOD_SESSION_ID": session.runtime_session_id, "AOD_MODEL": session.agent.model}
        if session.environment:
            extra.update(session.environment.env_vars)
        extra.update(session.secret_env_vars)
        if self.config.agent_command is not None:
            # A real CLI cannot know the sandbox mapping: it gets real paths in its prompt,
            # the host's environment (API keys, PATH) and the session's private HOME.
            env = {**os.environ, **extra, "HOME": str(sandbox.home)}
            return list(self.config.agent_command), env, sandbox.to_real(prompt).encode()
        plan = TurnPlan(
            script=turn.script,
            root=sandbox.root,
            mount_paths=tuple(r.mount_path for r in session.resources),
            turn=turn.number,
            output_limit=self.config.output_limit,
            truncation=self.config.truncation,
            model=session.agent.model,
            session_id=session.runtime_session_id,
        )
        plan_file = session.directory / f"turn-{turn.number}.json"
        plan_file.write_text(plan.model_dump_json(), encoding="utf-8")
        env = {**_base_env(sandbox.home), **extra, PLAN_ENV: str(plan_file)}
        env["PYTHONPATH"] = str(Path(aodfix.__file__).resolve().parent.parent)
        return list(SCRIPTED_AGENT), env, prompt.encode()

    async def _pump(
        self, session: Session, turn: Turn, stream: str, reader: asyncio.StreamReader
    ) -> None:
        """Each read becomes one output row: chunks are not aligned to lines, as on the
        service. (Unlike the service, a character split across reads is kept whole.)"""
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        while chunk := await reader.read(READ_CHUNK):
            if text := decoder.decode(chunk):
                session.log.output(stream, text, turn.number)
        if text := decoder.decode(b"", final=True):
            session.log.output(stream, text, turn.number)

    def _finish(self, session: Session, turn: Turn, status: TurnStatus, code: int | None) -> None:
        """Write the turn's and the session's final state together, after all rows."""
        turn.status, turn.exit_code, turn.ended_at = status, code, utcnow()
        session.exit_code = code
        if session.status != "terminated":
            if self.config.terminal_events == "stored":
                ending = {"code": code} if code is not None else {"message": "Session failed"}
                session.log.append("exit" if code is not None else "error", ending)
            self.store.set_status(session, status)

    def _abort(self, session: Session, turn: Turn) -> None:
        message = "turn aborted: session terminated before execution started\n"
        if not session.deleted:
            session.log.output("stderr", message, turn.number)
        turn.status, turn.ended_at = "failed", utcnow()


async def _sleep_unless_gone(session: Session, seconds: float) -> None:
    """Wait ``seconds`` on the event loop, or less if the session's sandbox goes away."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not session.sandbox_gone:
        remaining = deadline - loop.time()
        if remaining <= 0:
            return
        changed = session.log.waiter()  # set by any row or status change
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(remaining):
                await changed.wait()


async def _nothing() -> None:
    """A stage the emulator has nothing to do for, kept so the stage list looks real."""


async def _feed(stdin: asyncio.StreamWriter, data: bytes) -> None:
    with contextlib.suppress(ConnectionError):
        stdin.write(data)
        await stdin.drain()
        stdin.close()
        await stdin.wait_closed()


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
