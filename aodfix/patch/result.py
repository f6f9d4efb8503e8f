"""What a patch actually writes, read back from git after applying it to the base.

Policy is decided on this, not on the patch text: git normalises what the text says
(``a//b`` becomes ``a/b``), and only the resulting index tells the real paths, modes, sizes
and symlink targets. Read with ``-z`` so no path is quoted or mangled.
"""

from __future__ import annotations

import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

from aodfix.settings.environment import child_environment

SYMLINK = "120000"
GITLINK = "160000"
NULL_MODE = "000000"


class TreeReadError(RuntimeError):
    """git could not show what the applied patch wrote."""


@dataclass(frozen=True)
class ResultChange:
    """One path the patch changed, as git recorded it in the index."""

    path: str  # decoded with surrogateescape: a surrogate means the bytes were not UTF-8
    status: str  # A added, M modified, D deleted, T type changed
    old_mode: str
    new_mode: str
    blob: str  # the new blob (zeros for a deletion)
    size: int | None = None  # bytes of the new blob


@dataclass(frozen=True)
class ResultTree:
    """The patch's changes plus every symlink of the resulting tree (for resolving chains)."""

    changes: tuple[ResultChange, ...]
    symlinks: dict[str, str]  # path -> target, the whole resulting tree
    gitmodules: str | None  # the new .gitmodules, when the patch touched it
    # The change as git shows it with every file read as text (a binary file or a
    # ``.gitattributes`` rule cannot hide content from a scan), zero lines of context.
    added: bytes = b""


def read_result(worktree: Path) -> ResultTree:
    """The changes between HEAD and the index of ``worktree`` (the patch was applied)."""
    # One diff for both: the raw records (-z: no path quoted), then the textual patch.
    shown = _git(
        worktree,
        "diff",
        "--cached",
        "--raw",
        "-z",
        "--no-abbrev",
        "--patch",
        "--text",
        "--unified=0",
        "--no-renames",
        "--no-color",
        "--no-ext-diff",
        "--src-prefix=a/",
        "--dst-prefix=b/",
        "HEAD",
    )
    raw, added = _split_raw(shown)
    changes = _parse_raw(raw)
    sizes = _sizes(worktree, [c.blob for c in changes if c.new_mode != NULL_MODE])
    changes = [
        ResultChange(c.path, c.status, c.old_mode, c.new_mode, c.blob, sizes.get(c.blob))
        for c in changes
    ]
    links = _index_symlinks(worktree / ".git" / "index")
    if links is None:
        links = _listed_symlinks(worktree)
    contents = _contents(worktree, list(links.values()))
    symlinks = {
        path: contents.get(blob, b"").decode("utf-8", "surrogateescape")
        for path, blob in links.items()
    }
    gitmodules = None
    for change in changes:
        if change.path.casefold() == ".gitmodules" and change.new_mode != NULL_MODE:
            gitmodules = (
                _contents(worktree, [change.blob]).get(change.blob, b"").decode("utf-8", "replace")
            )
    return ResultTree(tuple(changes), symlinks, gitmodules, added)


def _index_symlinks(index: Path) -> dict[str, str] | None:
    """Path -> blob of every symlink in the index file, read as gitformat-index(5) lays it
    out (versions 2 and 3), without a process; None for anything else (``ls-files`` then)."""
    try:
        data = index.read_bytes()
    except OSError:
        return None
    if len(data) < 12 or data[:4] != b"DIRC":
        return None
    version, count = struct.unpack_from(">II", data, 4)
    if version not in (2, 3):
        return None
    links: dict[str, str] = {}
    position = 12
    try:
        for _ in range(count):
            mode = struct.unpack_from(">I", data, position + 24)[0]
            flags = struct.unpack_from(">H", data, position + 60)[0]
            start = position + (64 if flags & 0x4000 else 62)  # extended flags (version 3)
            end = data.index(b"\0", start)
            if mode & 0o170000 == 0o120000:
                links[_decode(data[start:end])] = data[position + 40 : position + 60].hex()
            position += (end - position + 8) // 8 * 8  # 1 to 8 NULs pad to a multiple of 8
    except (struct.error, ValueError):
        return None
    return links


def _listed_symlinks(worktree: Path) -> dict[str, str]:
    """Path -> blob of every symlink in the index, as ``git ls-files`` lists it."""
    listed = _git(worktree, "ls-files", "--stage", "-z").split(b"\0")
    links = {}
    for entry in filter(None, listed):
        meta, _, path = entry.partition(b"\t")
        mode, blob, _stage = meta.decode().split(" ")
        if mode == SYMLINK:
            links[_decode(path)] = blob
    return links


def _split_raw(shown: bytes) -> tuple[bytes, bytes]:
    """The raw records (``meta\\0path\\0`` pairs, ended by an empty field) and the patch
    after them."""
    position = 0
    while position < len(shown) and shown[position : position + 1] == b":":
        meta_end = shown.index(b"\0", position)
        position = shown.index(b"\0", meta_end + 1) + 1
    if shown[position : position + 1] == b"\0":
        position += 1
    return shown[:position], shown[position:]


def _parse_raw(raw: bytes) -> list[ResultChange]:
    """``:old new oldsha newsha S\\0path\\0`` records (no renames were asked for)."""
    fields = raw.split(b"\0")
    out = []
    for index in range(0, len(fields) - 1, 2):
        meta = fields[index].decode()
        if not meta.startswith(":"):
            continue
        old_mode, new_mode, _old, new, status = meta[1:].split(" ")
        out.append(ResultChange(_decode(fields[index + 1]), status[:1], old_mode, new_mode, new))
    return out


def _sizes(worktree: Path, blobs: list[str]) -> dict[str, int]:
    """Blob sizes, from one ``cat-file --batch-check``."""
    if not blobs:
        return {}
    out = _git(worktree, "cat-file", "--batch-check", stdin="\n".join(blobs).encode() + b"\n")
    sizes = {}
    for line in out.decode().splitlines():
        parts = line.split(" ")
        if len(parts) == 3 and parts[2].isdigit():
            sizes[parts[0]] = int(parts[2])
    return sizes


def _contents(worktree: Path, blobs: list[str]) -> dict[str, bytes]:
    """Blob contents, from one ``cat-file --batch`` (used for small blobs: symlink targets)."""
    if not blobs:
        return {}
    unique = list(dict.fromkeys(blobs))
    out = _git(worktree, "cat-file", "--batch", stdin="\n".join(unique).encode() + b"\n")
    found: dict[str, bytes] = {}
    position = 0
    while position < len(out):
        end = out.index(b"\n", position)
        sha, _kind, size = out[position:end].decode().split(" ")
        start = end + 1
        found[sha] = out[start : start + int(size)]
        position = start + int(size) + 1
    return found


def _decode(path: bytes) -> str:
    return path.decode("utf-8", "surrogateescape")


def _git(worktree: Path, *args: str, stdin: bytes = b"") -> bytes:
    done = subprocess.run(
        ["git", *args],
        cwd=worktree,
        input=stdin,
        capture_output=True,
        env=child_environment({"LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}),
        check=False,
    )
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip()
        raise TreeReadError(f"git {args[0]} failed: {reason}")
    return done.stdout
