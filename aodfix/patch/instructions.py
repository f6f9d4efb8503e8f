"""Prompt text that aodfix sends with a task or as a follow-up turn.

Each text holds exactly one fenced block tagged ``bash`` (the command to run), because an
emulator or a real agent looks for "the fenced bash block"; other commands are inline code.
"""

from __future__ import annotations

import re
import shlex

from aodfix.patch.block_format import check_base_sha
from aodfix.patch.checks import CheckResult
from aodfix.patch.commands import VerifySpec, collect_command, slice_command

FEEDBACK_TAIL_BYTES = 8000  # of a failing check's output, in a feedback turn


def _fence(command: str) -> str:
    return f"```bash\n{command}\n```"


def finishing_instructions(
    mount_path: str,
    base_sha: str,
    base_branch: str | None,
    key: str,
    verify: VerifySpec | None = None,
) -> str:
    """Text appended to the user's prompt: where to work, what not to do, how to finish.

    ``base_branch`` is None when the sandbox's default branch is the base; otherwise the agent
    must first check out ``base_sha`` because AoD clones always start on the default branch.
    """
    mount = shlex.quote(mount_path)
    check_base_sha(base_sha)
    steps = [
        f"- The repository is checked out at `{mount_path}`. Your shell starts in"
        f" /home/sprite, not in the repository: run `cd {mount}` before working on it.",
    ]
    if base_branch is not None:
        branch = shlex.quote(base_branch)
        steps.append(
            f"- Work from the branch `{base_branch}` (commit {base_sha}), not the default"
            " branch. Before changing anything, run"
            f" `cd {mount} && git fetch --depth=1 origin {base_sha}"
            f" && git checkout -B {branch} {base_sha}`."
        )
    steps += [
        "- Make the change in the working tree. Local commits are fine, but do not push,"
        " do not open pull requests, and do not add or change git remotes or credentials:"
        " aodfix publishes the change itself.",
        "- Do not touch the `.aodfix` directory in your home directory.",
        "- When you are completely done, run the command below as the very last step,"
        " exactly as written. It prints a block of encoded text that aodfix reads: do not"
        " re-type, summarise or shorten that block, and run nothing after it. If you change"
        " anything afterwards, run the command again.",
    ]
    return (
        "\n\n## Finishing instructions (from aodfix)\n\n"
        + "\n".join(steps)
        + "\n\n"
        + _fence(collect_command(mount_path, base_sha, key, verify))
        + "\n"
    )


def collect_reminder(
    mount_path: str, base_sha: str, key: str, verify: VerifySpec | None = None
) -> str:
    """A follow-up turn for a session that finished without printing the collect block."""
    return (
        "Your output did not include the block printed by aodfix's collect command. Do not"
        " change any files now. Run the command below exactly as written, as your only"
        " action, and do not re-type its output.\n\n"
        + _fence(collect_command(mount_path, base_sha, key, verify))
        + "\n"
    )


def feedback_instructions(
    failing: CheckResult, mount_path: str, base_sha: str, key: str, verify: VerifySpec
) -> str:
    """A follow-up turn after a check failed on the change: what failed, its output's tail,
    and the collect command again (which runs the checks again)."""
    tail = failing.output_tail.encode()[-FEEDBACK_TAIL_BYTES:].decode("utf-8", "replace")
    longest = max((len(run) for run in re.findall(r"`+", tail)), default=0)
    fence = "`" * max(3, longest + 1)
    code = "no exit code" if failing.exit_code is None else f"exit code {failing.exit_code}"
    return (
        f"The check `{failing.command}` failed on your change ({code}). The end of its"
        f" output:\n\n{fence}text\n{tail.rstrip()}\n{fence}\n\n"
        "Make it pass without weakening, skipping or deleting the check, then run the"
        " command below as the very last step, exactly as written (it runs the checks"
        " again and prints the block aodfix reads).\n\n"
        + _fence(collect_command(mount_path, base_sha, key, verify))
        + "\n"
    )


def slice_instructions(key: str, offset: int, length: int) -> str:
    """A follow-up turn that prints one slice of the saved payload (the block was damaged)."""
    return (
        "The block printed by the collect command was shortened on its way to aodfix, so"
        " aodfix reads it in slices. Do not change any files. Run the command below exactly"
        " as written, as your only action, and do not re-type its output.\n\n"
        + _fence(slice_command(key, offset, length))
        + "\n"
    )
