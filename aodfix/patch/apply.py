"""Does a patch apply on its base? Checked with ``git apply`` on a real local repository.

``check_applies`` asks without changing anything: the plain check against the work tree,
the 3-way one (used when the patch must land on a base other than the one the sandbox
diffed against) in a throwaway index built from HEAD, because ``git apply --3way --check``
reports success even when the merge would leave conflicts. ``apply_patch`` applies to the
index alone: no work tree is written (a large repository's checkout is most of the cost),
and ``git apply`` changes everything or nothing, so no separate check runs first.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from aodfix.settings.environment import child_environment

_APPLY = ("git", "apply", "--whitespace=nowarn")


@dataclass(frozen=True)
class ApplyCheck:
    """Whether the patch applies, whether that took a 3-way merge, and git's reason if not."""

    applies: bool
    three_way: bool
    message: str


def check_applies(worktree: Path, patch: bytes, *, three_way_fallback: bool = False) -> ApplyCheck:
    """Check ``patch`` against the checkout at ``worktree`` without changing anything."""
    if not patch:
        return ApplyCheck(applies=True, three_way=False, message="")
    plain = _git(worktree, [*_APPLY, "--check", "-"], patch)
    if plain.returncode == 0:
        return ApplyCheck(applies=True, three_way=False, message="")
    reason = _reason(plain)
    if not three_way_fallback:
        return ApplyCheck(applies=False, three_way=False, message=reason)
    with tempfile.TemporaryDirectory(prefix="aodfix-index-") as scratch:
        env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
        read = _git(worktree, ["git", "read-tree", "HEAD"], b"", env)
        merged = (
            read
            if read.returncode
            else _git(worktree, [*_APPLY, "--3way", "--cached", "-"], patch, env)
        )
    if merged.returncode == 0:
        return ApplyCheck(applies=True, three_way=True, message="")
    return ApplyCheck(
        applies=False, three_way=True, message=f"{reason}; 3-way merge: {_reason(merged)}"
    )


def apply_patch(repository: Path, patch: bytes, *, three_way_fallback: bool = False) -> ApplyCheck:
    """Apply ``patch`` to the index of ``repository`` (its HEAD's tree) if, and only if, it
    applies cleanly (plainly, or by a conflict-free 3-way merge when allowed); the work
    tree is neither needed nor touched, and on failure the index is left as it was (the
    merge is tried in a copy of it)."""
    if not patch:
        return ApplyCheck(applies=True, three_way=False, message="")
    plain = _git(repository, [*_APPLY, "--cached", "-"], patch)
    if plain.returncode == 0:
        return ApplyCheck(applies=True, three_way=False, message="")
    reason = _reason(plain)
    if not three_way_fallback:
        return ApplyCheck(applies=False, three_way=False, message=reason)
    index = repository / ".git" / "index"
    trial = index.with_name("index.aodfix-3way")
    shutil.copyfile(index, trial)
    env = {"GIT_INDEX_FILE": str(trial)}
    merged = _git(repository, [*_APPLY, "--3way", "--cached", "-"], patch, env)
    if merged.returncode == 0:
        trial.replace(index)
        return ApplyCheck(applies=True, three_way=True, message="")
    trial.unlink()
    return ApplyCheck(
        applies=False, three_way=True, message=f"{reason}; 3-way merge: {_reason(merged)}"
    )


def _git(
    cwd: Path, argv: list[str], stdin: bytes, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        argv,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        env=child_environment({**(env or {}), "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}),
        check=False,
    )


def _reason(result: subprocess.CompletedProcess[bytes]) -> str:
    text = (result.stderr or result.stdout).decode("utf-8", "replace").strip()
    return " ".join(text.splitlines()[:5]) or f"git exited with {result.returncode}"
