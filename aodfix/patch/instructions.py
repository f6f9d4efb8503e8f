"""Prompt text that aodfix sends with a task or as a follow-up turn.

Each text holds exactly one fenced block tagged ``bash`` (the command to run), because an
emulator or a real agent looks for "the fenced bash block"; other commands are inline code.
"""

from __future__ import annotations

import shlex

from aodfix.patch.block_format import check_base_sha
from aodfix.patch.commands import collect_command, slice_command


def _fence(command: str) -> str:
    return f"```bash\n{command}\n```"


def finishing_instructions(
    mount_path: str, base_sha: str, base_branch: str | None, key: str
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
        + _fence(collect_command(mount_path, base_sha, key))
        + "\n"
    )


def collect_reminder(mount_path: str, base_sha: str, key: str) -> str:
    """A follow-up turn for a session that finished without printing the collect block."""
    return (
        "Your output did not include the block printed by aodfix's collect command. Do not"
        " change any files now. Run the command below exactly as written, as your only"
        " action, and do not re-type its output.\n\n"
        + _fence(collect_command(mount_path, base_sha, key))
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
