"""Run one repository's agent session until the verified patch is in hand (DESIGN.md §5).

Turn 1 is the task with the finishing instructions. No collect block after a good turn →
one reminder turn. A damaged block (the runtime shortened long output) → the payload is
read back in slices over further turns, halving the slice size on damage. Every turn gets
the time left before the deadline as its own timeout (a follow-up turn does not inherit
the create value). The session is always deleted, also on cancellation.

A block is only taken for the resolved base (a forged or stale one would be applied on a
commit it was not made from), and its patch is decoded no further than the policy's
``max_patch_bytes``: past that the repository fails at policy with an excerpt of the patch.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aodfix.agent.runtime_output import read_verdict
from aodfix.agent.session import AgentSession, turn_timeout
from aodfix.agent.sse import TurnOutput
from aodfix.errors import StageError
from aodfix.patch import (
    NoBlock,
    PatchDamaged,
    PatchFound,
    PatchTooLarge,
    SliceAssembler,
    SliceRetrievalError,
    collect_reminder,
    extract_patch,
    extract_slice,
    finishing_instructions,
    patch_limit,
    slice_instructions,
)
from aodfix.patch.block_format import VERIFY_SUFFIX
from aodfix.patch.checks import CheckResult, read_checks
from aodfix.patch.commands import VerifySpec
from aodfix.patch.errors import PatchIntegrityError
from aodfix.patch.extract import MAX_VERIFY_BYTES, VerifyDamaged, extract_verify
from aodfix.patch.instructions import feedback_instructions
from aodfix.patch.payload import sha256_hex
from aodfix.report.models import Stage

MAX_SLICE_TURNS = 64


@dataclass
class AgentRun:
    """What the session produced and cost; filled in as it goes, so failures keep it."""

    session_id: str | None = None
    turns: int = 0
    summary: str | None = None
    cost_usd: float | None = None
    outputs: list[TurnOutput] = field(default_factory=list)
    checks: tuple[CheckResult, ...] | None = None  # the last round's, when the batch verifies
    feedback_rounds: int = 0  # feedback turns after a failing check


@dataclass(frozen=True)
class SessionSpec:
    agent_id: str
    environment_id: str | None
    prompt: str
    resources: Sequence[dict[str, Any]]
    mount_path: str
    base_sha: str
    base_branch: str | None  # None when the sandbox's default branch is the base
    key: str
    max_patch_bytes: int | None = None  # the manifest's policy; None: only the hard limit
    verify: VerifySpec | None = None  # the checks the collect command runs
    feedback_rounds: int = 0  # at most this many feedback turns after a failing check


async def collect_patch(
    session: AgentSession,
    spec: SessionSpec,
    run: AgentRun,
    *,
    timeout: float,
    on_stage: Callable[[str], None] = lambda _stage: None,
    clock: Callable[[], float] = time.monotonic,
) -> bytes:
    """Drive the session to a verified patch (possibly empty); raises StageError.

    ``timeout`` is the hard deadline in seconds, counted from the session's creation (time
    spent waiting for a quota slot is not the agent's): past it the turn is abandoned and
    the caller's ``close()`` terminates and deletes the session.
    """
    deadline = float("inf")

    def turn_limit() -> int:
        return turn_timeout(min(timeout, deadline - clock()))

    task = (
        spec.prompt.rstrip()
        + "\n"
        + finishing_instructions(
            spec.mount_path, spec.base_sha, spec.base_branch, spec.key, spec.verify
        )
    )
    run.session_id = await session.create(
        agent_id=spec.agent_id,
        prompt=task,
        timeout=turn_limit(),
        resources=spec.resources,
        environment_id=spec.environment_id,
    )
    deadline = clock() + timeout
    on_stage("provisioning")
    try:
        async with asyncio.timeout(timeout):
            return await _turns(session, spec, run, turn_limit, on_stage)
    except TimeoutError:
        raise StageError(
            Stage.AGENT, f"the session passed its {timeout:g} s deadline and was terminated"
        ) from None
    except PatchTooLarge as exc:
        raise StageError(
            Stage.POLICY, _too_large(exc, spec.max_patch_bytes), facts={"patch": exc.excerpt}
        ) from None


async def _turns(
    session: AgentSession,
    spec: SessionSpec,
    run: AgentRun,
    turn_limit: Callable[[], int],
    on_stage: Callable[[str], None],
) -> bytes:

    async def turn(prompt: str | None) -> TurnOutput:
        if prompt is not None:
            await session.prompt(prompt, turn_limit())
        run.turns = number = session.turns
        label = f"agent turn {number}" if number == 1 else f"collecting (turn {number})"
        output = await session.read(on_turn_start=lambda: on_stage(label))
        run.outputs.append(output)
        _check_turn(output, run)
        return output

    start = len(run.outputs)
    patch = await _collect(await turn(None), spec, turn)
    verify = spec.verify
    while verify is not None:
        # The collect command may have run in the task turn or its reminder turn.
        printed = "".join(o.stdout for o in run.outputs[start:])
        run.checks = await _checks(printed, patch, spec, turn)
        failing = [c for c in run.checks if c.blames_the_change]
        if not failing or run.feedback_rounds >= spec.feedback_rounds:
            break
        run.feedback_rounds += 1
        feedback = feedback_instructions(
            failing[0], spec.mount_path, spec.base_sha, spec.key, verify
        )
        start = len(run.outputs)
        patch = await _collect(await turn(feedback), spec, turn)
    return patch


async def _collect(
    output: TurnOutput, spec: SessionSpec, turn: Callable[[str | None], Any]
) -> bytes:
    """The patch of a turn that was to end with the collect command: a reminder turn when
    it did not run it, slice turns when its block came back damaged."""
    limit = patch_limit(spec.max_patch_bytes)
    found = extract_patch(output.stdout, max_bytes=limit)
    if isinstance(found, NoBlock):
        reminder = collect_reminder(spec.mount_path, spec.base_sha, spec.key, spec.verify)
        found = extract_patch((await turn(reminder)).stdout, max_bytes=limit)
        if isinstance(found, NoBlock):
            raise StageError(
                Stage.COLLECT,
                "the agent did not run the collect command, even after a reminder turn",
            )
    _check_base(found, spec.base_sha)
    if isinstance(found, PatchFound):
        return found.patch
    return await _read_slices(found, spec.key, turn, limit)


async def _checks(
    printed: str, patch: bytes, spec: SessionSpec, turn: Callable[[str | None], Any]
) -> tuple[CheckResult, ...]:
    """The checks' results ``printed`` with ``patch``, re-read in slices when damaged."""
    found = extract_verify(printed, sha256_hex(patch))
    if found is None:
        raise StageError(
            Stage.VERIFY, "no check results came with the patch (the collect command prints them)"
        )
    try:
        if isinstance(found, VerifyDamaged):
            assembler = SliceAssembler(
                found.encoded_sha256,
                found.encoded_length,
                patch_sha256=found.content_sha256,
                max_bytes=MAX_VERIFY_BYTES,
            )
            listing = await _assemble(assembler, spec.key + VERIFY_SUFFIX, turn)
        else:
            listing = found.listing
        return read_checks(listing)
    except (SliceRetrievalError, PatchIntegrityError, PatchTooLarge) as exc:
        raise StageError(Stage.VERIFY, f"check results unreadable: {exc}") from None


def _check_base(found: PatchFound | PatchDamaged, base_sha: str) -> None:
    """Refuse a block made against another commit: forged, or stale from an earlier run, it
    would otherwise be applied on the resolved base as if it had been made there."""
    if found.base_sha != base_sha:
        raise StageError(
            Stage.COLLECT,
            f"the collect block is for base {found.base_sha[:12]}, not the resolved base"
            f" {base_sha[:12]} (forged or stale); refused",
        )


def _too_large(exc: PatchTooLarge, max_patch_bytes: int | None) -> str:
    """Name the limit that refused the patch: the policy's, or aodfix's hard one."""
    if exc.limit == max_patch_bytes:
        return f"{exc}, more than max_patch_bytes={max_patch_bytes}"
    return f"{exc}, aodfix's limit for any patch (max_patch_bytes={max_patch_bytes})"


async def _read_slices(
    damaged: PatchDamaged,
    key: str,
    turn: Callable[[str | None], Any],
    limit: int,
) -> bytes:
    try:
        return await _assemble(SliceAssembler.for_damaged(damaged, max_bytes=limit), key, turn)
    except (SliceRetrievalError, PatchIntegrityError) as exc:
        raise StageError(Stage.COLLECT, f"patch retrieval failed: {exc}") from None


async def _assemble(
    assembler: SliceAssembler, key: str, turn: Callable[[str | None], Any]
) -> bytes:
    """A damaged payload (``key``'s file in the sandbox), read again slice by slice."""
    for _ in range(MAX_SLICE_TURNS):
        request = assembler.next_request()
        if request is None:
            break
        output: TurnOutput = await turn(slice_instructions(key, request.offset, request.length))
        data = assembler.accept(extract_slice(output.stdout, request))
        if data is not None:
            return data
    if assembler.patch is not None:
        return assembler.patch
    raise StageError(
        Stage.COLLECT, f"retrieval of {key} needed more than {MAX_SLICE_TURNS} slice turns"
    )


def _check_turn(output: TurnOutput, run: AgentRun) -> None:
    """Fail on a turn that did not end well, by the server's or the runtime's account."""
    verdict = read_verdict(output.stdout)
    if verdict.summary and run.summary is None:
        run.summary = verdict.summary  # the task turn's closing words, not a follow-up's
    if verdict.cost_usd is not None:
        run.cost_usd = (run.cost_usd or 0.0) + verdict.cost_usd
    if output.end == "stale":
        raise StageError(Stage.AGENT, "the session went stale (no output for too long)")
    if output.end == "terminated":
        raise StageError(Stage.AGENT, "the session was terminated")
    if output.end == "error":
        raise StageError(Stage.AGENT, "the session failed (AoD reported an error)")
    if output.exit_code != 0:
        tail = _last_line(output.stderr)
        raise StageError(
            Stage.AGENT,
            f"the agent exited with code {output.exit_code}" + (f": {tail}" if tail else ""),
        )
    if verdict.failed:
        raise StageError(Stage.AGENT, verdict.reason or "the agent reported an error")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    return lines[-1][:200] if lines else ""
