"""A reviewing session: another agent reads the fix prompt and the diff and gives a verdict.

The verdict is the last line of its closing message that reads ``VERDICT: approve|reject``
(with a reason after it); a closing message without one gets exactly one reminder turn.
The reviewer has the repository attached to read around the change; anything it edits there
is ignored (no collect command runs).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from aodfix.agent.runtime_output import read_verdict
from aodfix.agent.session import AgentSession, turn_timeout
from aodfix.agent.sse import TurnOutput
from aodfix.errors import StageError
from aodfix.patch import Diffstat
from aodfix.report.models import Stage

# The contract's pattern; the separators after the word include the em and en dashes.
VERDICT_LINE = re.compile(
    "^VERDICT:\\s*(approve|reject)\\b[\\s:\u2014\u2013-]*(.*)$", re.IGNORECASE
)
INLINE_DIFF_CHARS = 32_000  # of the diff in the review prompt; the rest is read in the sandbox
REMINDER = (
    "Your reply did not end with a verdict line. Do not change any files. Reply with your"
    " decision as exactly one line:\nVERDICT: approve - <one-sentence reason>\nor\n"
    "VERDICT: reject - <one-sentence reason>"
)


@dataclass
class ReviewRun:
    """What the review session did and cost; filled in as it goes, so failures keep it."""

    session_id: str | None = None
    turns: int = 0
    cost_usd: float | None = None
    verdict: Literal["approve", "reject"] | None = None
    reason: str = ""


def review_prompt(
    *,
    repository: str,
    mount_path: str,
    task: str,
    instructions: str | None,
    diff: str,
    diffstat: Diffstat,
) -> str:
    """The reviewer's task: the fix prompt, the batch's criteria, the diff (shortened when
    large) and the verdict line it must end with."""
    shown = diff[:INLINE_DIFF_CHARS]
    longest = max((len(run) for run in re.findall(r"`+", shown)), default=0)
    fence = "`" * max(3, longest + 1)
    shortened = ""
    if len(diff) > len(shown):
        shortened = (
            f"\n(The diff is shortened to its first {INLINE_DIFF_CHARS} characters; read the"
            " repository in your sandbox for the context of the files it touches.)\n"
        )
    criteria = ""
    if instructions:
        criteria = f"\n## Review criteria of this batch\n\n{instructions.strip()}\n"
    return (
        f"You are reviewing a change that another agent made to {repository} before it"
        f" becomes a pull request. The repository (without the change) is at `{mount_path}`"
        " for reading. Do not change any files.\n\n"
        f"## The task the agent was given\n\n{task.strip()}\n{criteria}\n"
        f"## The change ({diffstat})\n\n{fence}diff\n{shown.rstrip()}\n{fence}\n{shortened}\n"
        "Decide whether the change does what the task asks, completely and correctly, and"
        " nothing a careful reviewer would object to. End your reply with exactly one line:\n"
        "VERDICT: approve - <one-sentence reason>\nor\nVERDICT: reject - <one-sentence reason>\n"
    )


async def run_review(
    session: AgentSession,
    run: ReviewRun,
    *,
    agent_id: str,
    environment_id: str | None,
    prompt: str,
    resources: Sequence[dict[str, Any]],
    timeout: float,
) -> None:
    """Fill ``run`` with the verdict; raises StageError (failed at judge)."""
    try:
        async with asyncio.timeout(timeout):
            run.session_id = await session.create(
                agent_id=agent_id,
                prompt=prompt,
                timeout=turn_timeout(timeout),
                resources=resources,
                environment_id=environment_id,
            )
            if _verdict(await _turn(session, run), run):
                return
            await session.prompt(REMINDER, turn_timeout(timeout))
            if _verdict(await _turn(session, run), run):
                return
    except TimeoutError:
        raise StageError(Stage.JUDGE, f"the review passed its {timeout:g} s deadline") from None
    raise StageError(Stage.JUDGE, "the judge gave no verdict, even after a reminder turn")


async def _turn(session: AgentSession, run: ReviewRun) -> TurnOutput:
    output = await session.read()
    run.turns = session.turns
    verdict = read_verdict(output.stdout)
    if verdict.cost_usd is not None:
        run.cost_usd = (run.cost_usd or 0.0) + verdict.cost_usd
    if output.end != "exit" or output.exit_code != 0 or verdict.failed:
        ending = output.end if output.exit_code is None else f"{output.end} {output.exit_code}"
        raise StageError(Stage.JUDGE, f"the review session failed ({ending})")
    return output


def _verdict(output: TurnOutput, run: ReviewRun) -> bool:
    """Take the last verdict line of the turn's closing message into ``run``."""
    closing = read_verdict(output.stdout).summary or ""
    for line in reversed(closing.splitlines()):
        match = VERDICT_LINE.match(line.strip())
        if match:
            run.verdict = "approve" if match[1].lower() == "approve" else "reject"
            run.reason = match[2].strip()
            return True
    return False
