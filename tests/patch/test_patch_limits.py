"""A patch is decoded no further than its size limit: a small payload that inflates to
hundreds of megabytes is refused with only its start kept, in bounded time and memory."""

from __future__ import annotations

import base64
import hashlib
import zlib

import pytest
from patchkit import claude_stream

from aodfix.patch import (
    PatchFound,
    PatchTooLarge,
    SliceAssembler,
    SliceFound,
    extract_patch,
    patch_limit,
    render_patch_block,
)
from aodfix.patch.payload import (
    EXCERPT_BYTES,
    HARD_MAX_PATCH_BYTES,
    decode_payload,
    encode_patch,
    sha256_hex,
)

BASE = "3" * 40
HEAD = b"diff --git a/zeros.txt b/zeros.txt\nnew file mode 100644\n"
SMALL = b"diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-a\n+A\n"


def bomb_block(size: int) -> str:
    """A valid collect block whose patch is ``size`` bytes, built without holding them."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    digest = hashlib.sha256(HEAD)
    packed = [packer.compress(HEAD)]
    chunk = b"0" * (1024 * 1024)
    for _ in range((size - len(HEAD)) // len(chunk)):
        packed.append(packer.compress(chunk))
        digest.update(chunk)
    packed.append(packer.flush())
    encoded = base64.b64encode(b"".join(packed)).decode()
    return (
        f"AODFIX-PATCH-BEGIN v1 base={BASE} patch-sha256={digest.hexdigest()}"
        f" payload-sha256={sha256_hex(encoded)} payload-length={len(encoded)}\n"
        f"{encoded}\nAODFIX-PATCH-END v1\n"
    )


def test_a_patch_past_the_limit_is_refused_with_a_bounded_excerpt() -> None:
    stream = claude_stream("collect", bomb_block(240 * 1024 * 1024))

    with pytest.raises(PatchTooLarge) as refused:
        extract_patch(stream, max_bytes=2_000_000)

    assert str(refused.value) == "patch is more than 2000000 bytes"
    assert refused.value.limit == 2_000_000
    assert refused.value.excerpt.startswith(HEAD.decode())
    assert refused.value.excerpt.endswith("[… patch shortened]\n")
    assert len(refused.value.excerpt) < EXCERPT_BYTES + 100


def test_a_patch_of_exactly_the_limit_is_accepted() -> None:
    encoded = encode_patch(SMALL)

    patch = decode_payload(
        encoded,
        encoded_sha256=sha256_hex(encoded),
        patch_sha256=sha256_hex(SMALL),
        max_bytes=len(SMALL),
    )

    assert patch == SMALL
    with pytest.raises(PatchTooLarge):
        decode_payload(
            encoded, encoded_sha256=sha256_hex(encoded), patch_sha256=None, max_bytes=len(SMALL) - 1
        )


def test_an_oversized_block_followed_by_a_small_one_gives_the_small_one() -> None:
    """The last collect block decides, also when an earlier one was too large."""
    stream = claude_stream("collect", bomb_block(8 * 1024 * 1024)) + claude_stream(
        "collect", render_patch_block(SMALL, BASE)
    )

    assert extract_patch(stream, max_bytes=1_000_000) == PatchFound(SMALL, BASE, sha256_hex(SMALL))


def test_a_patch_read_back_in_slices_is_held_to_the_limit_too() -> None:
    patch = SMALL * 400
    encoded = encode_patch(patch)
    assembler = SliceAssembler(
        sha256_hex(encoded),
        len(encoded),
        patch_sha256=sha256_hex(patch),
        max_bytes=len(patch) - 1,
    )
    request = assembler.next_request()
    assert request is not None and request.length == len(encoded)

    with pytest.raises(PatchTooLarge):
        assembler.accept(SliceFound(sha256_hex(encoded), 0, len(encoded), encoded))


def test_no_policy_limit_still_has_a_hard_one() -> None:
    assert patch_limit(None) == HARD_MAX_PATCH_BYTES
    assert patch_limit(2_000_000) == 2_000_000
    assert patch_limit(10**12) == HARD_MAX_PATCH_BYTES
