"""What a patch touches, read from the ``git diff`` text itself.

Policy is decided on this summary, so the parser is strict: every line must belong to a
``diff --git`` section it understands. Anything else (a traditional diff hidden before the
first section, stray lines after a hunk) is a ``PatchFormatError`` rather than something
``git apply`` might act on unseen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from aodfix.patch.errors import PatchFormatError

SYMLINK_MODE = "120000"

_HUNK = re.compile(rb"@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")
_INDEX = re.compile(rb"index [0-9a-f]+\.\.[0-9a-f]+(?: ([0-7]{6}))?")
_BINARY_BLOCK = re.compile(rb"(?:literal|delta) \d+")
_BASE85_LINE = re.compile(rb"[A-Za-z][0-9A-Za-z!#$%&()*+\-;<=>?@^_`{|}~]+")
_ESCAPES = {b"a": 7, b"b": 8, b"t": 9, b"n": 10, b"v": 11, b"f": 12, b"r": 13}


class ChangeKind(Enum):
    ADDED = "added"
    DELETED = "deleted"
    MODIFIED = "modified"
    RENAMED = "renamed"
    COPIED = "copied"


@dataclass(frozen=True)
class FileChange:
    """One file section of a patch. Paths are repository-relative; None on the absent side."""

    kind: ChangeKind
    old_path: str | None
    new_path: str | None
    additions: int
    deletions: int
    binary: bool
    old_mode: str | None
    new_mode: str | None
    symlink_target: str | None = None  # for a resulting symlink with a text hunk
    similarity: int | None = None

    @property
    def path(self) -> str:
        """The path a reader cares about: the new one, or the old one for a deletion."""
        return self.new_path or self.old_path or ""

    @property
    def is_symlink(self) -> bool:
        return self.new_mode == SYMLINK_MODE


@dataclass(frozen=True)
class Diffstat:
    """Totals of a patch; the one diffstat type shared by PR bodies and reports."""

    files: int = 0
    additions: int = 0
    deletions: int = 0

    def __str__(self) -> str:
        noun = "file" if self.files == 1 else "files"
        return f"{self.files} {noun} changed, +{self.additions} -{self.deletions}"


@dataclass(frozen=True)
class PatchSummary:
    files: tuple[FileChange, ...]

    @property
    def diffstat(self) -> Diffstat:
        return Diffstat(
            files=len(self.files),
            additions=sum(f.additions for f in self.files),
            deletions=sum(f.deletions for f in self.files),
        )


def inspect_patch(patch: bytes) -> PatchSummary:
    """Parse a ``git diff --binary`` patch into per-file changes, or raise PatchFormatError."""
    lines = patch.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    files: list[FileChange] = []
    i = 0
    while i < len(lines):
        if not lines[i].startswith(b"diff --git "):
            raise PatchFormatError(f"line {i + 1} is outside any 'diff --git' section")
        change, i = _section(lines, i)
        files.append(change)
    return PatchSummary(tuple(files))


def _section(lines: list[bytes], start: int) -> tuple[FileChange, int]:
    """Parse the section starting at ``lines[start]``; return it and the next line index."""
    header: dict[bytes, bytes] = {}
    minus: bytes | None = None
    plus: bytes | None = None
    binary = False
    additions = deletions = 0
    target: list[bytes] = []
    i = start + 1
    while i < len(lines) and not lines[i].startswith((b"@@ ", b"diff --git ")):
        line = lines[i]
        i += 1
        if line.startswith(b"--- ") and minus is None:
            minus = line[4:]
        elif line.startswith(b"+++ ") and plus is None:
            plus = line[4:]
        elif line == b"GIT binary patch":
            binary = True
            i = _binary_end(lines, i)
            break
        elif line.startswith(b"Binary files ") and line.endswith(b" differ"):
            binary = True
            break
        else:
            key = _header_key(line)
            if key is None or key in header:
                raise PatchFormatError(f"line {i} is not a git diff header: {line[:80]!r}")
            header[key] = line[len(key) :].strip()
    new_mode = _new_mode(header)
    while not binary and i < len(lines) and lines[i].startswith(b"@@ "):
        hunk = _HUNK.match(lines[i])
        if hunk is None:
            raise PatchFormatError(f"line {i + 1} is not a hunk header: {lines[i][:80]!r}")
        old_left = int(hunk[1]) if hunk[1] is not None else 1
        new_left = int(hunk[2]) if hunk[2] is not None else 1
        i += 1
        while i < len(lines) and (old_left > 0 or new_left > 0 or lines[i][:1] == b"\\"):
            line = lines[i]
            mark = line[:1]
            if mark == b"+" and new_left > 0:
                additions += 1
                new_left -= 1
                target.append(line[1:])
            elif mark == b"-" and old_left > 0:
                deletions += 1
                old_left -= 1
            elif mark in (b" ", b"") and old_left > 0 and new_left > 0:
                old_left -= 1
                new_left -= 1
            elif mark != b"\\":
                raise PatchFormatError(f"line {i + 1} does not fit its hunk: {line[:80]!r}")
            i += 1
        if old_left or new_left:
            raise PatchFormatError(f"hunk before line {i + 1} is cut short")
    if i < len(lines) and not lines[i].startswith(b"diff --git "):
        raise PatchFormatError(f"line {i + 1} follows a hunk but starts no section")
    old_path, new_path = _paths(lines[start], header, minus, plus)
    kind = _kind(header)
    if kind is ChangeKind.ADDED:
        old_path = None
    elif kind is ChangeKind.DELETED:
        new_path = None
    similarity = header.get(b"similarity index ", b"").rstrip(b"%")
    return (
        FileChange(
            kind=kind,
            old_path=old_path,
            new_path=new_path,
            additions=additions,
            deletions=deletions,
            binary=binary,
            old_mode=_old_mode(header, kind),
            new_mode=new_mode if kind is not ChangeKind.DELETED else None,
            symlink_target=(
                _decode(b"\n".join(target)) if new_mode == SYMLINK_MODE and target else None
            ),
            similarity=int(similarity) if similarity.isdigit() else None,
        ),
        i,
    )


def _binary_end(lines: list[bytes], i: int) -> int:
    """Skip the literal/delta blocks of a binary patch (forward, then optional reverse).

    Parsed exactly rather than skipped to the next section, because ``git apply`` would act
    on a diff hidden after them.
    """
    for block in range(2):
        if i >= len(lines) or _BINARY_BLOCK.fullmatch(lines[i]) is None:
            if block == 0:
                raise PatchFormatError(f"line {i + 1}: binary patch without literal/delta data")
            break
        i += 1
        while i < len(lines) and lines[i] != b"":
            if _BASE85_LINE.fullmatch(lines[i]) is None:
                raise PatchFormatError(f"line {i + 1} is not binary patch data")
            i += 1
        i += 1  # the blank line closing the block
    return i


_HEADER_KEYS = (
    b"old mode ",
    b"new mode ",
    b"deleted file mode ",
    b"new file mode ",
    b"similarity index ",
    b"dissimilarity index ",
    b"rename from ",
    b"rename to ",
    b"copy from ",
    b"copy to ",
    b"index ",
)


def _header_key(line: bytes) -> bytes | None:
    return next((key for key in _HEADER_KEYS if line.startswith(key)), None)


def _kind(header: dict[bytes, bytes]) -> ChangeKind:
    if b"new file mode " in header:
        return ChangeKind.ADDED
    if b"deleted file mode " in header:
        return ChangeKind.DELETED
    if b"rename to " in header:
        return ChangeKind.RENAMED
    if b"copy to " in header:
        return ChangeKind.COPIED
    return ChangeKind.MODIFIED


def _index_mode(header: dict[bytes, bytes]) -> str | None:
    index = _INDEX.fullmatch(b"index " + header.get(b"index ", b""))
    return index[1].decode() if index is not None and index[1] is not None else None


def _new_mode(header: dict[bytes, bytes]) -> str | None:
    mode = header.get(b"new mode ") or header.get(b"new file mode ")
    return mode.decode("ascii", "replace") if mode else _index_mode(header)


def _old_mode(header: dict[bytes, bytes], kind: ChangeKind) -> str | None:
    if kind is ChangeKind.ADDED:
        return None
    mode = header.get(b"old mode ") or header.get(b"deleted file mode ")
    return mode.decode("ascii", "replace") if mode else _index_mode(header)


def _paths(
    git_line: bytes, header: dict[bytes, bytes], minus: bytes | None, plus: bytes | None
) -> tuple[str | None, str | None]:
    """Old and new path, from rename/copy lines, the ---/+++ lines, or the git line."""
    old_git, new_git = _git_line_paths(git_line)
    old = _header_path(header, (b"rename from ", b"copy from "))
    new = _header_path(header, (b"rename to ", b"copy to "))
    if old is None:
        old = _side_path(minus, b"a/") if minus is not None else old_git
    if new is None:
        new = _side_path(plus, b"b/") if plus is not None else new_git
    if old is None and new is None:
        raise PatchFormatError(f"cannot tell which file {git_line[:80]!r} changes")
    return old, new


def _header_path(header: dict[bytes, bytes], keys: tuple[bytes, ...]) -> str | None:
    for key in keys:
        if key in header:
            return _decode(_unquote(header[key]))
    return None


def _side_path(name: bytes, prefix: bytes) -> str | None:
    name = name.split(b"\t", 1)[0] if not name.startswith(b'"') else name
    if name == b"/dev/null":
        return None
    raw = _unquote(name)
    if not raw.startswith(prefix):
        raise PatchFormatError(f"path {raw[:80]!r} lacks the {prefix.decode()} prefix")
    return _decode(raw[len(prefix) :])


def _git_line_paths(line: bytes) -> tuple[str | None, str | None]:
    """Names from ``diff --git a/X b/Y``; unambiguous only when quoted or when X == Y."""
    rest = line[len(b"diff --git ") :]
    if rest.startswith(b'"'):
        first, rest = _take_quoted(rest)
        second = rest.lstrip(b" ")
        names = [first, _unquote(second)]
    elif rest.endswith(b'"') and b' "' in rest:
        split = rest.index(b' "')
        names = [rest[:split], _unquote(rest[split + 1 :])]
    else:
        size = (len(rest) - 1) // 2
        names = [rest[:size], rest[size + 1 :]]
        if len(rest) % 2 == 0 or names[0][2:] != names[1][2:]:
            return None, None
    if not (names[0].startswith(b"a/") and names[1].startswith(b"b/")):
        return None, None
    return _decode(names[0][2:]), _decode(names[1][2:])


def _take_quoted(text: bytes) -> tuple[bytes, bytes]:
    """Split a leading C-quoted string off ``text``: (unquoted value, remainder)."""
    i = 1
    while i < len(text):
        if text[i : i + 1] == b"\\":
            i += 2
            continue
        if text[i : i + 1] == b'"':
            return _unquote(text[: i + 1]), text[i + 1 :]
        i += 1
    raise PatchFormatError(f"unterminated quoted path {text[:80]!r}")


def _unquote(name: bytes) -> bytes:
    """Undo git's C-style quoting of a path (``core.quotePath``); plain names pass through."""
    if not (len(name) >= 2 and name.startswith(b'"') and name.endswith(b'"')):
        return name
    body = name[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        char = body[i : i + 1]
        if char != b"\\":
            out += char
            i += 1
            continue
        nxt = body[i + 1 : i + 2]
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif re.fullmatch(rb"[0-3][0-7]{2}", body[i + 1 : i + 4]):
            out.append(int(body[i + 1 : i + 4], 8))
            i += 4
        elif nxt in (b"\\", b'"'):
            out += nxt
            i += 2
        else:
            raise PatchFormatError(f"bad escape in quoted path {name[:80]!r}")
    return bytes(out)


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")
