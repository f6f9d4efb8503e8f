"""The payload encoding: base64 of ``gzip -n`` of the raw ``git diff --binary`` bytes.

Base64 survives JSON escaping, indentation and re-wrapping (whitespace is dropped before
decoding); gzip keeps it small. Two checksums guard it: one over the encoded text (does the
payload we read equal what the sandbox printed?) and one over the raw patch (does it decode
to the diff the sandbox made?).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import re
import zlib

from aodfix.patch.errors import PatchIntegrityError

# A decoded patch larger than this is refused before it can exhaust memory (gzip bomb).
MAX_DECODED_BYTES = 256 * 1024 * 1024
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
# Whitespace, and JSON-style escapes of it (a backslash is never part of base64).
_NOISE = re.compile(r"\\+[nrt]|\\+(?=/)|\s+")


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


def decode_payload(encoded: str, *, encoded_sha256: str, patch_sha256: str | None) -> bytes:
    """Verify an encoded payload against its checksums and return the raw patch bytes."""
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
        patch = _gunzip(packed)
    if patch_sha256 is not None and sha256_hex(patch) != patch_sha256:
        raise PatchIntegrityError("decoded patch checksum mismatch")
    return patch


def _gunzip(packed: bytes) -> bytes:
    """Decompress one or more gzip members, refusing output beyond MAX_DECODED_BYTES."""
    out = bytearray()
    data = packed
    while data:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out += inflater.decompress(data, MAX_DECODED_BYTES + 1 - len(out))
        except zlib.error as exc:
            raise PatchIntegrityError(f"payload is not gzip data: {exc}") from None
        if len(out) > MAX_DECODED_BYTES or inflater.unconsumed_tail:
            raise PatchIntegrityError(f"decoded patch exceeds {MAX_DECODED_BYTES} bytes")
        if not inflater.eof:
            raise PatchIntegrityError("payload gzip stream is incomplete")
        data = inflater.unused_data
    return bytes(out)
