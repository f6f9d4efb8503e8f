"""The manifest's policy applied to a patch before anything is pushed.

Each violation is one readable sentence naming the path, so a failed repository tells the
reviewer exactly what was blocked. Paths are checked on both sides of a rename or copy:
moving a workflow out of ``.github/workflows`` touches it as much as editing it.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence

from aodfix.globs import matches
from aodfix.patch.summary import FileChange, PatchSummary


def check_policy(
    summary: PatchSummary,
    patch_bytes: bytes,
    *,
    max_files: int | None,
    max_patch_bytes: int | None,
    forbidden_paths: Sequence[str],
    max_file_bytes: int | None = None,
) -> list[str]:
    """Every policy violation of the patch, as messages; empty when the patch may be pushed.

    Raises ``GlobError`` for an invalid pattern (the manifest should have refused it).
    """
    violations: list[str] = []
    for change in summary.files:
        for path in _sides(change):
            violations += _unsafe_path(path)
            violations += [
                f"{path}: forbidden by policy pattern {pattern!r}"
                for pattern in forbidden_paths
                if matches(pattern, path)
            ]
        if change.is_symlink and change.new_path is not None:
            violations += _escaping_symlink(change.new_path, change.symlink_target)
    violations += _oversized_literals(patch_bytes, max_file_bytes)
    count = len(summary.files)
    if max_files is not None and count > max_files:
        violations.append(f"patch touches {count} files, more than max_files={max_files}")
    if max_patch_bytes is not None and len(patch_bytes) > max_patch_bytes:
        violations.append(
            f"patch is {len(patch_bytes)} bytes, more than max_patch_bytes={max_patch_bytes}"
        )
    return violations


def _sides(change: FileChange) -> list[str]:
    return list(dict.fromkeys(p for p in (change.old_path, change.new_path) if p is not None))


def _unsafe_path(path: str) -> list[str]:
    """Paths git itself would refuse or that reach into git's own metadata."""
    parts = path.split("/")
    if path.startswith("/") or not path:
        return [f"{path!r}: absolute or empty path"]
    if ".." in parts:
        return [f"{path}: path climbs out of the repository with '..'"]
    if any(part.casefold() == ".git" for part in parts):
        return [f"{path}: path inside .git/"]
    return []


def _escaping_symlink(path: str, target: str | None) -> list[str]:
    """A symlink whose target leaves the repository (or reaches into .git) once resolved."""
    if target is None:
        return [f"{path}: symlink with an unreadable target"]
    if target.startswith("/"):
        return [f"{path}: symlink to absolute path {target!r} escapes the repository"]
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    if resolved == ".." or resolved.startswith("../"):
        return [f"{path}: symlink to {target!r} escapes the repository"]
    if any(part.casefold() == ".git" for part in resolved.split("/")):
        return [f"{path}: symlink to {target!r} points into .git/"]
    return []


_LITERAL = re.compile(rb"^literal (\d{1,15})$", re.MULTILINE)


def _oversized_literals(patch_bytes: bytes, max_file_bytes: int | None) -> list[str]:
    """A binary file the patch declares larger than allowed, refused before ``git apply``
    would inflate it on disk (a small deflated patch can write gigabytes)."""
    if max_file_bytes is None:
        return []
    sizes = [int(m.group(1)) for m in _LITERAL.finditer(patch_bytes)]
    return [
        f"a binary file of {size} bytes, more than max_file_bytes={max_file_bytes}"
        for size in sizes
        if size > max_file_bytes
    ][:1]
