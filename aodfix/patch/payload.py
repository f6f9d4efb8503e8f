"""The payload encoding: base64 of ``gzip -n`` of the raw ``git diff --binary`` bytes.

Base64 survives JSON escaping, indentation and re-wrapping (whitespace is dropped before
decoding); gzip keeps it small. Two checksums guard it: one over the encoded text (does the
payload we read equal what the sandbox printed?) and one over the raw patch (does it decode
to the diff the sandbox made?). Decoding stops at a size limit: a few hundred kilobytes of
payload can inflate to gigabytes, so a patch past the limit is refused with only its start.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import re
import zlib

from aodfix.patch.errors import PatchIntegrityError, PatchProtocolError

# The most a patch may decode to when the policy sets no limit (max_patch_bytes: null).
HARD_MAX_PATCH_BYTES = 64 * 1024 * 1024
EXCERPT_BYTES = 64 * 1024  # what a report keeps of a refused patch
SHORTENED = "\n[… patch shortened]\n"
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
# Whitespace, and JSON-style escapes of it (a backslash is never part of base64).
_NOISE = re.compile(r"\\+[nrt]|\\+(?=/)|\s+")


class PatchTooLarge(PatchProtocolError):
    """An intact payload that decodes to more than ``limit`` bytes; ``excerpt`` is its start
    (decoded as UTF-8 with replacement), all a report keeps of it."""

    def __init__(self, limit: int, excerpt: str) -> None:
        self.limit = limit
        self.excerpt = excerpt
        super().__init__(f"patch is more than {limit} bytes")


def patch_limit(max_patch_bytes: int | None) -> int:
    """The decoded size past which a patch is refused: the policy's, within the hard limit."""
    if max_patch_bytes is None:
        return HARD_MAX_PATCH_BYTES
    return min(max_patch_bytes, HARD_MAX_PATCH_BYTES)


def sha256_hex(data: bytes | str) -> str:
    """Lower-case hex sha256 of bytes, or of a str encoded as ASCII/UTF-8."""
    raw = data.encode() if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()


def clean_payload(text: str) -> str:
    """The payload text with whitespace and escaped whitespace removed (re-wrapping undone)."""
    return _NOISE.sub("", text)


def encode_patch(patch: bytes) -> str:
    """Encode a patch as the collect command does (an empty patch is an empty payload)."""
    if not patch:
        return ""
    return base64.b64encode(gzip.compress(patch, compresslevel=9, mtime=0)).decode("ascii")


def decode_payload(
    encoded: str,
    *,
    encoded_sha256: str,
    patch_sha256: str | None,
    max_bytes: int = HARD_MAX_PATCH_BYTES,
) -> bytes:
    """Verify an encoded payload against its checksums and return the raw patch bytes;
    PatchTooLarge when it decodes to more than ``max_bytes``."""
    if sha256_hex(encoded) != encoded_sha256:
        raise PatchIntegrityError("payload checksum mismatch")
    if _BASE64.fullmatch(encoded) is None:
        raise PatchIntegrityError("payload is not base64")
    patch = b""
    if encoded:
        try:
            packed = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise PatchIntegrityError(f"payload is not base64: {exc}") from None
        patch = _gunzip(packed, max_bytes)
    if patch_sha256 is not None and sha256_hex(patch) != patch_sha256:
        raise PatchIntegrityError("decoded patch checksum mismatch")
    return patch


def _gunzip(packed: bytes, limit: int) -> bytes:
    """Decompress one or more gzip members, never holding more than ``limit`` + 1 bytes."""
    out = bytearray()
    data = packed
    while data:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out += inflater.decompress(data, limit + 1 - len(out))
        except zlib.error as exc:
            raise PatchIntegrityError(f"payload is not gzip data: {exc}") from None
        if len(out) > limit or inflater.unconsumed_tail:
            excerpt = out[:EXCERPT_BYTES].decode("utf-8", "replace")
            raise PatchTooLarge(limit, excerpt + SHORTENED)
        if not inflater.eof:
            raise PatchIntegrityError("payload gzip stream is incomplete")
        data = inflater.unused_data
    return bytes(out)
