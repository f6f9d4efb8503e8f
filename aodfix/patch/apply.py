"""Does a patch apply on its base? Checked with ``git apply`` on a real local repository.

Both work on an index alone: no work tree is written (a large repository's checkout is
most of the cost), and ``git apply`` changes everything or nothing, so no separate check
runs first. The 3-way merge (used when the patch must land on a base other than the one the
sandbox diffed against) is tried in a copy of the index, because ``git apply --3way
--check`` reports success even when the merge would leave conflicts. ``check_applies``
applies to a throwaway index built from HEAD; ``apply_patch`` to the repository's own.
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
    """Check ``patch`` against HEAD of ``worktree`` without changing anything: it is applied
    to HEAD's tree in a throwaway index."""
    if not patch:
        return ApplyCheck(applies=True, three_way=False, message="")
    with tempfile.TemporaryDirectory(prefix="aodfix-index-") as scratch:
        index = Path(scratch) / "index"
        read = _git(worktree, ["git", "read-tree", "HEAD"], b"", {"GIT_INDEX_FILE": str(index)})
        if read.returncode:
            return ApplyCheck(applies=False, three_way=False, message=_reason(read))
        return _apply_to_index(worktree, index, patch, three_way_fallback=three_way_fallback)


def apply_patch(repository: Path, patch: bytes, *, three_way_fallback: bool = False) -> ApplyCheck:
    """Apply ``patch`` to the index of ``repository`` (its HEAD's tree) if, and only if, it
    applies cleanly (plainly, or by a conflict-free 3-way merge when allowed); the work
    tree is neither needed nor touched, and on failure the index is left as it was."""
    if not patch:
        return ApplyCheck(applies=True, three_way=False, message="")
    index = repository / ".git" / "index"
    return _apply_to_index(repository, index, patch, three_way_fallback=three_way_fallback)


def _apply_to_index(
    repository: Path, index: Path, patch: bytes, *, three_way_fallback: bool
) -> ApplyCheck:
    """``git apply --cached`` into ``index``: plainly, else (when allowed) by a 3-way merge
    tried in a copy of the index, which replaces it only when the merge is clean."""
    plain = _git(repository, [*_APPLY, "--cached", "-"], patch, {"GIT_INDEX_FILE": str(index)})
    if plain.returncode == 0:
        return ApplyCheck(applies=True, three_way=False, message="")
    reason = _reason(plain)
    if not three_way_fallback:
        return ApplyCheck(applies=False, three_way=False, message=reason)
    trial = index.with_name(index.name + ".aodfix-3way")
    shutil.copyfile(index, trial)
    merged = _git(
        repository, [*_APPLY, "--3way", "--cached", "-"], patch, {"GIT_INDEX_FILE": str(trial)}
    )
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
