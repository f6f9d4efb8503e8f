"""The manifest's policy applied to what git wrote (``result.ResultTree``), before any push.

Checks the real paths (git normalised them), their modes and sizes, and every symlink
resolved through the resulting tree, so a patch cannot reach a forbidden path by spelling
(``a//b``, ``.GitHub``, a lookalike letter, a trailing space) or by a chain of links.
Returns violations (the patch is refused) and notes (allowed, but shown to reviewers).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from aodfix.globs import literal_parts, matches
from aodfix.patch.result import GITLINK, NULL_MODE, SYMLINK, ResultChange, ResultTree

MAX_LINK_HOPS = 40  # as the kernel's ELOOP limit
EXECUTABLE = "100755"
# Characters that make a name read as something it is not: zero-width and bidi controls.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\udc80-\udcff]")


@dataclass
class TreeVerdict:
    violations: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def check_tree(
    tree: ResultTree,
    *,
    forbidden_paths: Sequence[str],
    allow_submodules: bool,
    max_file_bytes: int | None,
) -> TreeVerdict:
    """Every violation and note of the applied patch."""
    verdict = TreeVerdict()
    protected = sorted({p.casefold() for g in forbidden_paths for p in literal_parts(g)} | {".git"})
    for change in tree.changes:
        path = change.path
        problems = _name_problems(path)
        if problems:
            verdict.violations.extend(problems)
            continue
        effective = resolve(path, tree.symlinks, follow_last=False)
        for shown in dict.fromkeys(p for p in (path, effective) if p is not None):
            verdict.violations.extend(
                f"{path}: forbidden by policy pattern {pattern!r}"
                + ("" if shown == path else f" (through symlinks: {shown})")
                for pattern in forbidden_paths
                if matches(pattern, shown, ignore_case=True)
            )
        if effective is None:
            verdict.violations.append(f"{path}: written through a symlink that leaves the tree")
        verdict.violations.extend(_lookalikes(path, protected))
        if not path.isascii():
            verdict.notes.append(f"non-ASCII path: {path!a}")
        verdict.violations.extend(_kind_problems(change, tree, allow_submodules, max_file_bytes))
        verdict.notes.extend(_mode_notes(change))
    verdict.notes.extend(f"submodule URL: {url}" for url in _submodule_urls(tree.gitmodules))
    return verdict


def _submodule_urls(gitmodules: str | None) -> list[str]:
    """The URLs a changed ``.gitmodules`` names (allowed submodules are shown, not hidden)."""
    found = re.findall(r"^\s*url\s*=\s*(\S+)", gitmodules or "", re.MULTILINE)
    return [ascii(url)[1:-1] for url in found]


def resolve(path: str, symlinks: dict[str, str], *, follow_last: bool = True) -> str | None:
    """``path`` with every symlink in the tree followed; None when it leaves the tree (or
    loops). ``follow_last=False`` resolves only the directories leading to it."""
    pending = path.split("/")
    done: list[str] = []
    hops = 0
    while pending:
        part = pending.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            if not done:
                return None
            done.pop()
            continue
        candidate = "/".join([*done, part])
        if candidate in symlinks and (pending or follow_last):
            hops += 1
            target = symlinks[candidate]
            if hops > MAX_LINK_HOPS or target.startswith("/"):
                return None
            pending = target.split("/") + pending
            continue
        done.append(part)
    return "/".join(done)


def _name_problems(path: str) -> list[str]:
    """Names that are not what they read as: invisible, control or non-UTF-8 characters,
    trailing spaces or dots (which some file systems drop), parts inside .git."""
    shown = ascii(path)
    if _SURROGATE.search(path):
        return [f"{shown}: path is not valid UTF-8"]
    if _CONTROL.search(path):
        return [f"{shown}: path contains control characters"]
    if _INVISIBLE.search(path):
        return [f"{shown}: path contains invisible (zero-width or bidi) characters"]
    parts = path.split("/")
    if any(part != part.rstrip(" .") for part in parts):
        return [f"{shown}: a path segment ends with a space or a dot"]
    if any(part.casefold() == ".git" for part in parts):
        return [f"{path}: path inside .git/"]
    return []


def _lookalikes(path: str, protected: Sequence[str]) -> list[str]:
    """A segment equal to a protected one (``.github``, ``workflows``, ``.git``) but for
    non-ASCII letters that look alike (``.githuƅ``): refused as a disguise."""
    found = []
    for part in path.split("/"):
        if part.isascii():
            continue
        folded = _fold(part)
        for name in protected:
            if len(folded) == len(name) and all(
                a == b or not a.isascii() for a, b in zip(folded, name, strict=True)
            ):
                found.append(f"{path!a}: segment {part!a} looks like {name!r}")
    return found


def _fold(text: str) -> str:
    """Compatibility-decomposed, accents dropped, case-folded (fullwidth letters → ASCII)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _kind_problems(
    change: ResultChange, tree: ResultTree, allow_submodules: bool, max_file_bytes: int | None
) -> list[str]:
    path, mode = change.path, change.new_mode
    if mode == GITLINK and not allow_submodules:
        return [f"{path}: adds a submodule (gitlink), not allowed (policy.allow_submodules)"]
    if path.casefold() == ".gitmodules" and not allow_submodules:
        return [f"{path}: changes submodules, not allowed (policy.allow_submodules)"]
    if mode == SYMLINK:
        target = tree.symlinks.get(path, "")
        resolved = resolve(path, tree.symlinks)
        if resolved is None:
            return [f"{path}: symlink to {target!r} leads outside the repository"]
        if any(part.casefold() == ".git" for part in resolved.split("/")):
            return [f"{path}: symlink to {target!r} points into .git/"]
    sized = mode not in (NULL_MODE, GITLINK, SYMLINK) and change.size is not None
    if sized and max_file_bytes is not None and (change.size or 0) > max_file_bytes:
        return [f"{path}: file is {change.size} bytes, more than max_file_bytes={max_file_bytes}"]
    return []


def _mode_notes(change: ResultChange) -> list[str]:
    if change.new_mode == EXECUTABLE and change.old_mode != EXECUTABLE:
        was = "new file" if change.old_mode == NULL_MODE else change.old_mode
        return [f"executable: {change.path} ({was} → {EXECUTABLE})"]
    if change.old_mode == EXECUTABLE and change.new_mode not in (EXECUTABLE, NULL_MODE):
        return [f"no longer executable: {change.path} ({EXECUTABLE} → {change.new_mode})"]
    return []
