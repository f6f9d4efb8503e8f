"""Light mode: session turns that replay the scripted agent's output instead of running it.

A benchmark of 10,000 sessions must measure aodfix, not 10,000 clones and agent processes.
In light mode a turn does neither: its output is what the scripted agent printed when the
emulator really ran the same *history* once — the same turns' bash blocks and scripts, on a
repository at the same base commit — in a scratch sandbox (a real ``git clone``, the real
scripted agent process, the real collect command). That output is cached and replayed,
re-rooted onto each session: its mount paths, patch key, runtime session id and fresh line
uuids. Repositories bulk-seeded from one template share a base sha, so one run serves all.

What makes two sessions share a computation: the bash blocks of their turns (with mount
paths and the patch key replaced by fixed stand-ins, so every repository of a batch reads
alike; the block names the base sha), the turn scripts, the model and the environment.
A history that edits or runs commands but names no base sha is computed per repository URL.
So light mode assumes that repositories at one base sha hold one tree (bulk seeding makes
them so). Any history works, as it really ran: a collect reminder after a turn that forgot
it, slices of a long block, a manifest's ``verify:`` checks and their feedback turns (the
checks run once, in the computation). A computation whose clone failed is not kept: the
sessions waiting on it fail, later ones try again.

Differences from a real turn, all deliberate: the sandbox's own files are never written (no
clone, no session directory); checks' outputs inside the verify block, and tool outputs that
exceed the output limit, keep the stand-in mount path; the ``result`` line's durations are
those of the computation; an environment's setup script runs in the computation only, and
without the session's secret env vars; a computation that cannot clone fails the turn (not
the ``provision_setup`` stage).
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import re
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from aodfix.emulator.aod.events import EventLog
from aodfix.emulator.aod.scenario import TurnScript
from aodfix.emulator.aod.scripted_agent import last_bash_block
from aodfix.emulator.aod.store import Session, Turn, TurnStatus

LIGHT_OWNER = "aodfix-light-mode"  # owner of the scratch sessions (never in the store)
STAND_IN_KEY = "aodfix-light-key"
CHUNK = 65536  # output rows of at most this many characters, as the runner reads pipes
ALL_ROWS = 1 << 30
# A computation's turns wait for nothing (no delay, no hang): this only stops a stuck one.
COMPUTATION_TIMEOUT = 3600

_KEY = re.compile(r"\bkey=(['\"]?)([A-Za-z0-9][A-Za-z0-9._-]*)\1")
_BASE = re.compile(r"\bbase=(['\"]?)([0-9a-f]{40}(?:[0-9a-f]{24})?)\1")
_UUID_FIELD = re.compile(r'"uuid":"[0-9a-f-]{36}"')

# Script fields the replay carries out itself (timing) or the app does (stream drops).
_REPLAYED = {"delay": 0.0, "hang": False, "stale": None, "drop_stream_after": None}


def stand_in_mount(index: int) -> str:
    """The mount path resource ``index`` has in a computation (ten at most: equal lengths,
    so none is a prefix of another)."""
    return f"/workspace/aodfix-light-{index:02d}"


class LightModeError(Exception):
    """The computation behind a light turn failed; the message goes to the turn's stderr."""


@dataclass(frozen=True)
class TurnOutput:
    """What one computed turn printed, in stand-in form, and how it ended."""

    stdout: str
    stderr: str
    status: TurnStatus
    exit_code: int | None
    provision_failed: bool = False  # the scratch clone (or setup script) failed


@dataclass(frozen=True)
class Replay:
    """One light turn's output for one session: ``head`` is printed at once (stderr, the
    init line and the first message, as the scripted agent does before its delay), ``rest``
    after the delay; a hanging turn prints only ``head``."""

    head: tuple[tuple[str, str], ...]
    rest: tuple[str, ...]
    status: TurnStatus
    exit_code: int | None


@dataclass(frozen=True)
class _TurnKey:
    command: str | None  # the turn's last bash block, in stand-in form
    script: TurnScript
    key: str | None  # the session's patch key found in the command (not part of the key)

    def identity(self) -> tuple[str | None, TurnScript]:
        return self.command, self.script


class TurnRunner(Protocol):
    """A normal (not light) runner: what a computation runs its scratch session with."""

    async def provision_and_run(self, session: Session) -> None: ...

    async def run_turn(self, session: Session, turn: Turn) -> None: ...


class LightTurns:
    """The cache of computed histories and the replays made from it.

    ``runner`` is a normal runner with a store of its own: a computation is a real session
    (clone, scripted agent process, collect command), only never listed, streamed or counted
    against a quota.
    """

    def __init__(self, scratch_root: Path, runner: TurnRunner) -> None:
        self._scratch_root = scratch_root
        self._runner = runner
        self._cache: dict[tuple[Any, ...], asyncio.Task[list[TurnOutput]]] = {}
        self._scratch_ids = itertools.count(1)
        self.computations = 0  # histories really run so far

    async def replay(self, session: Session, turn: Turn) -> Replay:
        """The output of ``session``'s ``turn``; runs the history once if nobody has yet.
        Raises LightModeError when that run could not be made."""
        keys = [_turn_key(session, t) for t in session.turns[: turn.number]]
        cache_key = self._cache_key(session, keys)
        task = self._cache.get(cache_key)
        if task is None:
            task = asyncio.ensure_future(self._compute(session, keys))
            self._cache[cache_key] = task
        try:
            # Shielded: a waiter's cancellation (shutdown) must not cancel the shared run.
            outputs = await asyncio.shield(task)
        except LightModeError:
            self._forget(cache_key, task)
            raise
        except Exception as exc:  # the turn must end, whatever broke the scratch session
            self._forget(cache_key, task)
            raise LightModeError(f"light mode could not run the turn: {exc!r}") from exc
        if any(output.provision_failed for output in outputs):
            self._forget(cache_key, task)  # a clone that failed may work next time
        return _render(outputs[turn.number - 1], session, keys[-1])

    def _forget(self, cache_key: tuple[Any, ...], task: asyncio.Task[list[TurnOutput]]) -> None:
        """Drop a failed run: the sessions waiting on it share its failure, later ones retry."""
        if self._cache.get(cache_key) is task:
            del self._cache[cache_key]

    async def shutdown(self) -> None:
        for task in self._cache.values():
            task.cancel()
        await asyncio.gather(*self._cache.values(), return_exceptions=True)

    def _cache_key(self, session: Session, keys: Sequence[_TurnKey]) -> tuple[Any, ...]:
        turns = tuple(k.identity() for k in keys)
        where: Any = _base_sha(keys)
        if where is None and any(k.command is not None or k.script.edits for k in keys):
            where = tuple(r.clone_url for r in session.resources)  # repository-specific
        environment = session.environment.id if session.environment else None
        return (where, len(session.resources), session.agent.model, environment, turns)

    async def _compute(self, session: Session, keys: Sequence[_TurnKey]) -> list[TurnOutput]:
        """Run the history in a scratch session: a real clone and real agent processes."""
        self.computations += 1
        directory = self._scratch_root / f".light-{next(self._scratch_ids)}"
        resources = tuple(
            dataclasses.replace(r, mount_path=stand_in_mount(i))
            for i, r in enumerate(session.resources)
        )
        log = EventLog(itertools.count(1).__next__)
        scratch = Session(
            owner=LIGHT_OWNER,
            agent=dataclasses.replace(session.agent, system=""),
            environment=session.environment,
            resources=resources,
            secret_env_vars={},
            log=log,
            directory=directory,
            script=session.script,
        )
        outputs: list[TurnOutput] = []
        try:
            for number, key in enumerate(keys, start=1):
                prompt = f"```bash\n{key.command}\n```\n" if key.command is not None else ""
                script = key.script.model_copy(update=_REPLAYED)
                turn = Turn(number, prompt, COMPUTATION_TIMEOUT, script)
                scratch.turns.append(turn)
                rows = log.after(0, ALL_ROWS)
                seen = rows[-1].id if rows else 0
                if number == 1:
                    await self._runner.provision_and_run(scratch)
                else:
                    await self._runner.run_turn(scratch, turn)
                outputs.append(_collected(log, seen, turn))
                if turn.status != "completed" and number < len(keys):
                    raise LightModeError(
                        f"light mode: turn {number} of the computed history ended {turn.status}"
                    )
        finally:
            await asyncio.to_thread(shutil.rmtree, directory, True)
        return outputs


def _turn_key(session: Session, turn: Turn) -> _TurnKey:
    """The turn's bash block with the session's own values replaced by stand-ins."""
    prompt = turn.prompt
    if turn.number == 1 and session.agent.system:
        prompt = f"{session.agent.system}\n\n{prompt}"  # as the runner hands it to the agent
    command = last_bash_block(prompt)
    found = None
    if command is not None:
        found_key = _KEY.search(command)
        if found_key is not None:
            found = found_key.group(2)
            command = command.replace(found, STAND_IN_KEY)
        mounts = sorted(
            enumerate(r.mount_path for r in session.resources),
            key=lambda item: len(item[1]),
            reverse=True,
        )
        for index, mount in mounts:
            command = command.replace(mount, stand_in_mount(index))
    return _TurnKey(command, turn.script, found)


def _base_sha(keys: Sequence[_TurnKey]) -> str | None:
    """The first base sha a command of the history names (the collect command does)."""
    for key in keys:
        found = _BASE.search(key.command) if key.command is not None else None
        if found is not None:
            return found.group(2)
    return None


def _collected(log: EventLog, after: int, turn: Turn) -> TurnOutput:
    """The scratch turn's output rows joined per stream."""
    stdout: list[str] = []
    stderr: list[str] = []
    provision_failed = False
    for row in log.after(after, ALL_ROWS):
        if row.kind == "output":
            (stdout if row.payload["stream"] == "stdout" else stderr).append(row.payload["data"])
        elif row.kind == "stage" and row.payload["state"] == "failed":
            provision_failed = True
    return TurnOutput(
        "".join(stdout), "".join(stderr), turn.status, turn.exit_code, provision_failed
    )


def _render(output: TurnOutput, session: Session, key: _TurnKey) -> Replay:
    """``output`` re-rooted onto ``session``: its mounts, key and runtime session id, and
    a fresh uuid per line."""
    pairs = [(stand_in_mount(i), r.mount_path) for i, r in enumerate(session.resources)]
    if key.key is not None:
        pairs.append((STAND_IN_KEY, key.key))

    def rooted(text: str, escape: bool) -> str:
        for stand_in, value in pairs:
            if stand_in in text:
                text = text.replace(stand_in, json.dumps(value)[1:-1] if escape else value)
        return text

    stdout = _UUID_FIELD.sub(_fresh_uuid, rooted(output.stdout, escape=True))
    stdout = _SESSION_ID.sub(f'"session_id":"{session.runtime_session_id}"', stdout)
    # The scripted agent prints its init line and first message before it works.
    cut = _nth_line_end(stdout, 2)
    head: list[tuple[str, str]] = []
    if output.stderr:
        head.append(("stderr", rooted(output.stderr, escape=False)))
    if stdout[:cut]:
        head.append(("stdout", stdout[:cut]))
    tail = stdout[cut:]
    rest = tuple(tail[i : i + CHUNK] for i in range(0, len(tail), CHUNK))
    return Replay(tuple(head), rest, output.status, output.exit_code)


_SESSION_ID = re.compile(r'"session_id":"[0-9a-f-]{36}"')


def _fresh_uuid(_: re.Match[str]) -> str:
    return f'"uuid":"{uuid.uuid4()}"'


def _nth_line_end(text: str, n: int) -> int:
    """The index just past the ``n``-th newline (or the text's end)."""
    end = 0
    for _ in range(n):
        found = text.find("\n", end)
        if found < 0:
            return len(text)
        end = found + 1
    return end
