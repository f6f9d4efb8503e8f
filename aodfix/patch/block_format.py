"""The self-delimiting blocks the sandbox prints, and the names of the files it keeps.

A collect block (version 1)::

    AODFIX-PATCH-BEGIN v1 base=<sha> patch-sha256=<hex> payload-sha256=<hex> payload-length=<n>
    <payload: base64 of gzip of the patch, wrapped at 76 columns; nothing for an empty diff>
    AODFIX-PATCH-END v1

A slice block, printed by a follow-up turn when the collect block came back damaged::

    AODFIX-SLICE-BEGIN v1 payload-sha256=<hex> offset=<o> length=<n> total=<t> sha256=<hex>
    <payload[o:o+n], wrapped at 76 columns>
    AODFIX-SLICE-END v1

The marker words are assembled at run time by the shell commands, so the command text that
a runtime echoes (a tool_use ``input.command``) never contains a marker.
"""

from __future__ import annotations

import hashlib
import re

from aodfix.patch.payload import encode_patch, sha256_hex

PROTOCOL_VERSION = 1
MARKER_PREFIX = "AODFIX-"
WRAP_COLUMNS = 76
SAVE_DIR = ".aodfix"  # under $HOME in the sandbox, never inside the repository

_SHA = r"[0-9a-f]{40}(?:[0-9a-f]{24})?"
_HEX64 = r"[0-9a-f]{64}"
PATCH_BEGIN = re.compile(
    rf"AODFIX-PATCH-BEGIN\s+v{PROTOCOL_VERSION}\s+base=(?P<base>{_SHA})"
    rf"\s+patch-sha256=(?P<patch_sha256>{_HEX64})"
    rf"\s+payload-sha256=(?P<payload_sha256>{_HEX64})"
    r"\s+payload-length=(?P<payload_length>\d{1,12})(?![0-9])"
)
PATCH_END = re.compile(rf"AODFIX-PATCH-END\s+v{PROTOCOL_VERSION}")
SLICE_BEGIN = re.compile(
    rf"AODFIX-SLICE-BEGIN\s+v{PROTOCOL_VERSION}\s+payload-sha256=(?P<payload_sha256>{_HEX64})"
    r"\s+offset=(?P<offset>\d{1,12})\s+length=(?P<length>\d{1,12})\s+total=(?P<total>\d{1,12})"
    rf"\s+sha256=(?P<sha256>{_HEX64})(?![0-9a-f])"
)
SLICE_END = re.compile(rf"AODFIX-SLICE-END\s+v{PROTOCOL_VERSION}")
# The verify block: the checks' results, printed before the collect block when the batch
# verifies. ``patch-sha256`` ties it to the patch it checked; ``content-sha256`` is the
# decoded listing's (one line per command: exit code, milliseconds, exit code on the base,
# base64 of the command, base64 of its output's tail).
VERIFY_BEGIN = re.compile(
    rf"AODFIX-VERIFY-BEGIN\s+v{PROTOCOL_VERSION}\s+patch-sha256=(?P<patch_sha256>{_HEX64})"
    rf"\s+content-sha256=(?P<content_sha256>{_HEX64})"
    rf"\s+payload-sha256=(?P<payload_sha256>{_HEX64})"
    r"\s+payload-length=(?P<payload_length>\d{1,12})(?![0-9])"
)
VERIFY_END = re.compile(rf"AODFIX-VERIFY-END\s+v{PROTOCOL_VERSION}")
VERIFY_SUFFIX = ".verify"  # the verify payload is kept as <key>.verify.b64, sliced alike
ANY_BEGIN = re.compile(r"AODFIX-(?:PATCH|SLICE|VERIFY)-BEGIN")

_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_BASE_SHA = re.compile(_SHA)


def check_base_sha(base_sha: str) -> str:
    """Return ``base_sha`` if it is a full lower-case commit id (SHA-1 or SHA-256)."""
    if _BASE_SHA.fullmatch(base_sha) is None:
        raise ValueError(f"base sha must be a full lower-case hex commit id, got {base_sha!r}")
    return base_sha


def check_key(key: str) -> str:
    """Return ``key`` if it is safe as a file name in the sandbox (letters, digits, . _ -)."""
    if _KEY.fullmatch(key) is None or ".." in key:
        raise ValueError(f"patch key must match [A-Za-z0-9][A-Za-z0-9._-]*, got {key!r}")
    return key


def patch_key(batch: str, repository: str) -> str:
    """A sandbox file key unique per batch and repository.

    The readable part is lossy (``a/b-c`` and ``a-b/c`` read alike), so a short hash of the
    exact pair keeps keys distinct.
    """
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{batch}--{repository}").strip("-.")[:80]
    digest = hashlib.sha256(f"{batch}\0{repository}".encode()).hexdigest()[:10]
    return check_key(f"{readable or 'patch'}-{digest}")


def payload_file(key: str) -> str:
    """The encoded payload's path relative to the sandbox $HOME (kept for slicing)."""
    return f"{SAVE_DIR}/{check_key(key)}.b64"


def render_patch_block(patch: bytes, base_sha: str) -> str:
    """The collect block for ``patch``, as the collect command prints it (for emulators)."""
    encoded = encode_patch(patch)
    lines = [
        f"AODFIX-PATCH-BEGIN v{PROTOCOL_VERSION} base={check_base_sha(base_sha)}"
        f" patch-sha256={sha256_hex(patch)} payload-sha256={sha256_hex(encoded)}"
        f" payload-length={len(encoded)}",
        *_wrap(encoded),
        f"AODFIX-PATCH-END v{PROTOCOL_VERSION}",
    ]
    return "\n".join(lines) + "\n"


def render_slice_block(encoded: str, offset: int, length: int) -> str:
    """The slice block for ``encoded[offset:offset+length]``, as the slice command prints it."""
    piece = encoded[offset : offset + length]
    lines = [
        f"AODFIX-SLICE-BEGIN v{PROTOCOL_VERSION} payload-sha256={sha256_hex(encoded)}"
        f" offset={offset} length={len(piece)} total={len(encoded)} sha256={sha256_hex(piece)}",
        *_wrap(piece),
        f"AODFIX-SLICE-END v{PROTOCOL_VERSION}",
    ]
    return "\n".join(lines) + "\n"


def _wrap(text: str) -> list[str]:
    return [text[i : i + WRAP_COLUMNS] for i in range(0, len(text), WRAP_COLUMNS)]
