"""Finding and verifying collect blocks in whatever a runtime made of the output."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from patchkit import claude_stream, codex_stream, fenced_bash

from aodfix.patch import (
    NoBlock,
    PatchDamaged,
    PatchFound,
    SliceFound,
    SliceRequest,
    extract_patch,
    extract_slice,
    finishing_instructions,
    render_patch_block,
    render_slice_block,
    slice_instructions,
)
from aodfix.patch.payload import encode_patch, sha256_hex

BASE = "3" * 40
PATCH_A = b"diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-a\n+A\n"
PATCH_B = b"diff --git a/b.txt b/b.txt\n--- a/b.txt\n+++ b/b.txt\n@@ -1 +1 @@\n-b\n+B\n"
BLOCK_A = render_patch_block(PATCH_A, BASE)
BLOCK_B = render_patch_block(PATCH_B, BASE)
COLLECT = fenced_bash(finishing_instructions("/workspace/api", BASE, "develop", "k"))


def cut(block: str) -> str:
    """The block with its payload middle-truncated, as a runtime would leave it."""
    begin, rest = block.split("\n", 1)
    return f"{begin}\n{rest[:20]}\n... [999 characters truncated] ...\n{rest[-40:]}"


def test_output_without_a_marker_has_no_block() -> None:
    assert extract_patch(claude_stream("ls", "README.md\nsrc\n")) == NoBlock()


def test_command_text_in_a_tool_use_input_is_not_a_block() -> None:
    stream = claude_stream(COLLECT, "") + codex_stream(COLLECT, "")

    assert extract_patch(stream) == NoBlock()


def test_instructions_echoed_in_the_output_are_not_a_block() -> None:
    prompt = finishing_instructions("/workspace/api", BASE, None, "k")
    stream = json.dumps({"type": "user", "message": {"content": prompt}}) + "\n" + prompt

    assert extract_patch(stream + slice_instructions("k", 0, 100)) == NoBlock()


def test_block_survives_added_indentation_and_crlf() -> None:
    munged = "\r\n".join("    " + line for line in BLOCK_A.split("\n"))

    assert extract_patch(munged) == PatchFound(PATCH_A, BASE, sha256_hex(PATCH_A))


def test_block_survives_rewrapping_at_another_width() -> None:
    encoded = encode_patch(PATCH_A)
    begin = BLOCK_A.split("\n")[0]
    lines = [encoded[i : i + 13] for i in range(0, len(encoded), 13)]
    rewrapped = "\n".join([begin, *lines, "AODFIX-PATCH-END v1"])

    assert isinstance(extract_patch(rewrapped), PatchFound)


def test_block_in_a_json_line_cut_short_is_read_from_its_escaped_text() -> None:
    line = json.dumps({"type": "user", "tool_use_result": {"stdout": BLOCK_A + "x" * 50}})

    assert extract_patch(line[:-30]) == PatchFound(PATCH_A, BASE, sha256_hex(PATCH_A))


def test_unicode_line_separator_in_a_json_line_does_not_split_it() -> None:
    line = json.dumps({"text": "before\u2028after " + BLOCK_A}, ensure_ascii=False)

    assert isinstance(extract_patch(line + "\n"), PatchFound)


def test_block_in_a_transcript_nested_inside_a_json_string_is_found() -> None:
    inner = claude_stream("collect", BLOCK_A)
    outer = json.dumps({"type": "user", "tool_use_result": {"stdout": "sub-agent:\n" + inner}})

    assert extract_patch(outer) == PatchFound(PATCH_A, BASE, sha256_hex(PATCH_A))


def test_the_last_valid_block_wins() -> None:
    stream = claude_stream("collect", BLOCK_A) + claude_stream("collect", BLOCK_B)

    assert extract_patch(stream) == PatchFound(PATCH_B, BASE, sha256_hex(PATCH_B))


def test_a_damaged_copy_after_an_intact_copy_of_the_same_patch_is_healed() -> None:
    stream = claude_stream("collect", BLOCK_A) + json.dumps({"result": cut(BLOCK_A)})

    assert extract_patch(stream) == PatchFound(PATCH_A, BASE, sha256_hex(PATCH_A))


def test_a_later_damaged_block_of_another_patch_is_reported_damaged() -> None:
    stream = claude_stream("collect", BLOCK_A) + claude_stream("collect", cut(BLOCK_B))

    result = extract_patch(stream)

    assert isinstance(result, PatchDamaged) and result.patch_sha256 == sha256_hex(PATCH_B)


def test_a_payload_that_decodes_to_another_patch_is_damaged() -> None:
    forged = BLOCK_A.replace(
        f"patch-sha256={sha256_hex(PATCH_A)}", f"patch-sha256={sha256_hex(PATCH_B)}"
    )

    result = extract_patch(forged)

    assert isinstance(result, PatchDamaged) and result.reason == "decoded patch checksum mismatch"


def test_slice_extraction_returns_the_slice_for_the_request() -> None:
    encoded = encode_patch(PATCH_A * 20)
    stream = claude_stream("s", render_slice_block(encoded, 0, 50)) + claude_stream(
        "s", render_slice_block(encoded, 50, 50)
    )

    result = extract_slice(stream, SliceRequest(0, 50))

    assert isinstance(result, SliceFound) and result.data == encoded[:50]


# --- properties ---------------------------------------------------------------------------

FRAGMENTS = [
    "AODFIX-PATCH-BEGIN v1 ",
    f"base={BASE} ",
    "patch-sha256=" + "0" * 64 + " ",
    "payload-sha256=" + "f" * 64 + " payload-length=8\n",
    "AAAAAAAA\n",
    "H4sIAAAAAAAAAw==\n",
    "AODFIX-PATCH-END v1\n",
    "AODFIX-SLICE-BEGIN v1 ",
    "{",
    "}",
    '"',
    "\\n",
    "\n",
    "\u2028",
]
noisy_text = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=30), max_size=40).map("".join)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | noisy_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(noisy_text)
def test_random_text_never_yields_a_patch(text: str) -> None:
    assert not isinstance(extract_patch(text), PatchFound)


@settings(max_examples=200, deadline=None)
@given(st.lists(json_values, max_size=5))
def test_random_json_lines_never_yield_a_patch(values: list[Any]) -> None:
    stream = "".join(json.dumps(value) + "\n" for value in values)

    assert not isinstance(extract_patch(stream), PatchFound)


@settings(max_examples=200, deadline=None)
@given(json_values, st.lists(st.integers(min_value=0, max_value=3), max_size=4), st.booleans())
def test_a_valid_block_anywhere_in_random_json_is_found(
    noise: Any, path: list[int], ascii_only: bool
) -> None:
    document: Any = BLOCK_A
    for step in path:
        document = [noise, document] if step % 2 else {"k": noise, f"x{step}": document}

    line = json.dumps(document, ensure_ascii=ascii_only)

    assert extract_patch(f"{line}\n") == PatchFound(PATCH_A, BASE, sha256_hex(PATCH_A))
