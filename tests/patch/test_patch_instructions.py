"""The prompt text: one fenced bash block, the right directions, no markers in commands."""

from __future__ import annotations

import pytest
from patchkit import fenced_bash

from aodfix.patch import (
    collect_reminder,
    finishing_instructions,
    patch_key,
    slice_instructions,
)
from aodfix.patch.block_format import MARKER_PREFIX

BASE = "0123456789abcdef0123456789abcdef01234567"


def test_finishing_instructions_hold_exactly_one_bash_block() -> None:
    text = finishing_instructions("/workspace/api", BASE, "develop", "k")

    assert text.count("```") == 2 and "git add -A" in fenced_bash(text)


def test_finishing_instructions_send_the_agent_to_the_mount_path() -> None:
    text = finishing_instructions("/workspace/my api", BASE, None, "k")

    assert "cd '/workspace/my api'" in text and "/home/sprite" in text


def test_finishing_instructions_forbid_pushing_and_pull_requests() -> None:
    text = finishing_instructions("/workspace/api", BASE, None, "k")

    assert "do not push" in text and "do not open pull requests" in text
    assert "remotes" in text


def test_a_non_default_base_is_checked_out_before_work_starts() -> None:
    text = finishing_instructions("/workspace/api", BASE, "release/2.x", "k")

    assert f"git fetch --depth=1 origin {BASE} && git checkout -B release/2.x {BASE}" in text


def test_the_default_base_needs_no_checkout() -> None:
    text = finishing_instructions("/workspace/api", BASE, None, "k")

    assert "git checkout" not in text


@pytest.mark.parametrize(
    "text",
    [
        finishing_instructions("/workspace/api", BASE, None, "k"),
        collect_reminder("/workspace/api", BASE, "k"),
        slice_instructions("k", 24_000, 12_000),
    ],
)
def test_commands_never_contain_a_marker(text: str) -> None:
    assert MARKER_PREFIX not in text


def test_follow_up_prompts_hold_exactly_one_bash_block() -> None:
    assert "git add -A" in fenced_bash(collect_reminder("/workspace/api", BASE, "k"))
    assert "off=24000 len=12000" in fenced_bash(slice_instructions("k", 24_000, 12_000))


@pytest.mark.parametrize("key", ["", "../etc", "a b", "a;rm -rf ~", "-x"])
def test_unsafe_keys_are_refused(key: str) -> None:
    with pytest.raises(ValueError, match="patch key"):
        finishing_instructions("/workspace/api", BASE, None, key)


def test_an_abbreviated_base_sha_is_refused() -> None:
    with pytest.raises(ValueError, match="base sha"):
        finishing_instructions("/workspace/api", BASE[:12], None, "k")


def test_patch_keys_differ_for_names_that_read_alike() -> None:
    assert patch_key("fix", "acme/a-b") != patch_key("fix", "acme-a/b")
    assert patch_key("fix", "acme/api").startswith("fix--acme-api-")
