"""Find collect and slice blocks in a session's stdout, whatever the runtime did to them.

The stdout is the concatenation of every ``output`` event's data. Lines that are JSON
objects or arrays (Claude stream-json, Codex JSONL) are decoded and every string in them is
searched, so tool results, ``tool_use_result.stdout`` and ``aggregated_output`` are all
covered without knowing the runtime; other lines are searched as raw text. A block is only
trusted when its checksums hold: the patch is never rebuilt from prose or file events.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from aodfix.patch.block_format import (
    ANY_BEGIN,
    MARKER_PREFIX,
    PATCH_BEGIN,
    PATCH_END,
    SLICE_BEGIN,
    SLICE_END,
    VERIFY_BEGIN,
    VERIFY_END,
)
from aodfix.patch.errors import PatchIntegrityError
from aodfix.patch.payload import (
    HARD_MAX_PATCH_BYTES,
    PatchTooLarge,
    clean_payload,
    decode_payload,
    sha256_hex,
)

# How deep JSON found inside JSON strings is decoded again (a transcript inside a result).
_MAX_NESTING = 3


@dataclass(frozen=True)
class PatchFound:
    """A verified collect block; an empty ``patch`` means the agent changed nothing."""

    patch: bytes
    base_sha: str
    patch_sha256: str


@dataclass(frozen=True)
class PatchDamaged:
    """A collect block whose begin marker arrived but whose payload did not (truncated or
    replaced by a preview): its checksums let the payload be fetched again in slices."""

    base_sha: str
    patch_sha256: str
    encoded_sha256: str
    encoded_length: int
    reason: str


@dataclass(frozen=True)
class _Oversized:
    """An intact collect block whose patch is too large to decode (kept to raise later: an
    oversized block only fails the run when it is the one that decides)."""

    base_sha: str
    patch_sha256: str
    error: PatchTooLarge


@dataclass(frozen=True)
class NoBlock:
    """The output holds no collect block at all (the agent never ran the command)."""


PatchExtraction = PatchFound | PatchDamaged | NoBlock


@dataclass(frozen=True)
class SliceRequest:
    """Characters [offset, offset + length) of the saved encoded payload."""

    offset: int
    length: int


@dataclass(frozen=True)
class SliceFound:
    """A slice whose own checksum holds."""

    encoded_sha256: str
    offset: int
    total: int
    data: str


@dataclass(frozen=True)
class SliceDamaged:
    """A slice block that arrived without an intact payload."""

    encoded_sha256: str
    offset: int
    length: int
    total: int
    reason: str


SliceExtraction = SliceFound | SliceDamaged


def extract_patch(stdout: str, *, max_bytes: int = HARD_MAX_PATCH_BYTES) -> PatchExtraction:
    """The patch in a session's stdout; PatchTooLarge when it decodes past ``max_bytes``.

    The last collect block decides (the agent may have run the command again after more
    edits); a damaged copy is healed by an intact copy of the same payload anywhere in the
    output, since one Claude line carries the same output twice (``message.content`` and
    ``tool_use_result``) and only one copy may have been shortened.
    """
    blocks = [block for text in _texts(stdout) for block in _patch_blocks(text, max_bytes)]
    if not blocks:
        return NoBlock()
    intact = {b.patch_sha256 + b.base_sha: b for b in blocks if not isinstance(b, PatchDamaged)}
    last = blocks[-1]
    if isinstance(last, PatchDamaged):
        last = intact.get(last.patch_sha256 + last.base_sha, last)
    if isinstance(last, _Oversized):
        raise last.error
    return last


MAX_VERIFY_BYTES = 1024 * 1024  # a verify listing: tails of at most 20 commands


@dataclass(frozen=True)
class VerifyFound:
    """An intact verify block for the patch: the listing the collect command wrote."""

    listing: bytes


@dataclass(frozen=True)
class VerifyDamaged:
    """A verify block whose payload did not arrive whole: read it again in slices."""

    encoded_sha256: str
    encoded_length: int
    content_sha256: str


def extract_verify(stdout: str, patch_sha256: str) -> VerifyFound | VerifyDamaged | None:
    """The checks' results printed with the patch of ``patch_sha256`` (the last such block
    decides; an intact copy heals a damaged one), or None when none came with it."""
    found: VerifyFound | VerifyDamaged | None = None
    intact: VerifyFound | None = None
    for text in _texts(stdout):
        if "VERIFY-BEGIN" not in text:
            continue
        for match, region in _regions(text, VERIFY_BEGIN):
            if match["patch_sha256"] != patch_sha256:
                continue
            damaged = VerifyDamaged(
                match["payload_sha256"], int(match["payload_length"]), match["content_sha256"]
            )
            found = damaged
            end = VERIFY_END.search(region)
            if end is None:
                continue
            encoded = clean_payload(region[: end.start()])
            try:
                listing = decode_payload(
                    encoded,
                    encoded_sha256=damaged.encoded_sha256,
                    patch_sha256=damaged.content_sha256,
                    max_bytes=MAX_VERIFY_BYTES,
                )
            except (PatchIntegrityError, PatchTooLarge):
                continue
            found = intact = VerifyFound(listing)
    if isinstance(found, VerifyDamaged) and intact is not None:
        return intact
    return found


def extract_slice(stdout: str, request: SliceRequest | None = None) -> SliceExtraction | None:
    """The last intact slice block (matching ``request`` when given), else the last damaged
    one, else None when no slice block was printed."""
    found: SliceFound | None = None
    damaged: SliceDamaged | None = None
    for text in _texts(stdout):
        for block in _slice_blocks(text):
            offset = block.offset
            length = len(block.data) if isinstance(block, SliceFound) else block.length
            if request is not None and (offset, length) != (request.offset, request.length):
                continue
            if isinstance(block, SliceFound):
                found = block
            else:
                damaged = block
    return found or damaged


def _texts(stdout: str, depth: int = 0) -> Iterator[str]:
    """The texts to search, in stream order: runs of raw lines, and JSON string values.

    Lines are split on "\\n" only: JSON lines may hold a raw U+2028, which ``splitlines``
    would break apart.
    """
    if MARKER_PREFIX not in stdout:
        return
    raw: list[str] = []
    for line in stdout.split("\n"):
        head = line.lstrip()[:1]
        if head not in ("{", "["):
            raw.append(line)
            continue
        value = _json_container(line) if MARKER_PREFIX in line else None
        if value is None and MARKER_PREFIX in line:
            raw.append(line)  # looks like JSON but is not (cut short, or plain text)
            continue
        if raw:
            yield "\n".join(raw)
            raw = []
        if value is not None:
            for string in _strings(value):
                yield string
                if depth < _MAX_NESTING and re.search(r"^\s*[{\[]", string, re.MULTILINE):
                    yield from _texts(string, depth + 1)
    if raw:
        yield "\n".join(raw)


def _json_container(line: str) -> dict[str, Any] | list[Any] | None:
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict | list) else None


def _strings(value: dict[str, Any] | list[Any]) -> Iterator[str]:
    """Every string value holding a marker, depth-first in document order (no recursion)."""
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if MARKER_PREFIX in item:
                yield item
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def _regions(text: str, begin: re.Pattern[str]) -> Iterator[tuple[re.Match[str], str]]:
    """Each begin marker with the text after it, up to the next block's begin marker."""
    for match in begin.finditer(text):
        following = ANY_BEGIN.search(text, match.end())
        yield match, text[match.end() : following.start() if following else len(text)]


def _patch_blocks(text: str, max_bytes: int) -> Iterator[PatchFound | PatchDamaged | _Oversized]:
    if "PATCH-BEGIN" not in text:
        return
    for match, region in _regions(text, PATCH_BEGIN):
        base = match["base"]
        patch_sha256 = match["patch_sha256"]
        encoded_sha256 = match["payload_sha256"]
        encoded_length = int(match["payload_length"])
        end = PATCH_END.search(region)
        reason = "end marker missing (output cut short)"
        if end is not None:
            encoded = clean_payload(region[: end.start()])
            reason = f"payload has {len(encoded)} characters, expected {encoded_length}"
            if len(encoded) == encoded_length:
                try:
                    patch = decode_payload(
                        encoded,
                        encoded_sha256=encoded_sha256,
                        patch_sha256=patch_sha256,
                        max_bytes=max_bytes,
                    )
                except PatchIntegrityError as exc:
                    reason = str(exc)
                except PatchTooLarge as exc:
                    yield _Oversized(base, patch_sha256, exc)
                    continue
                else:
                    yield PatchFound(patch=patch, base_sha=base, patch_sha256=patch_sha256)
                    continue
        yield PatchDamaged(
            base_sha=base,
            patch_sha256=patch_sha256,
            encoded_sha256=encoded_sha256,
            encoded_length=encoded_length,
            reason=reason,
        )


def _slice_blocks(text: str) -> Iterator[SliceFound | SliceDamaged]:
    if "SLICE-BEGIN" not in text:
        return
    for match, region in _regions(text, SLICE_BEGIN):
        encoded_sha256 = match["payload_sha256"]
        offset, length, total = int(match["offset"]), int(match["length"]), int(match["total"])
        end = SLICE_END.search(region)
        reason = "end marker missing (output cut short)"
        if end is not None:
            data = clean_payload(region[: end.start()])
            reason = "slice checksum mismatch"
            if len(data) == length and sha256_hex(data) == match["sha256"]:
                yield SliceFound(encoded_sha256, offset, total, data)
                continue
        yield SliceDamaged(encoded_sha256, offset, length, total, reason)
