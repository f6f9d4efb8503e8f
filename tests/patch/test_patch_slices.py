"""A collect block shortened by the runtime is reported damaged and re-read in slices."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
from patchkit import (
    Workspace,
    checkout_of,
    claude_stream,
    fenced_bash,
    git,
    preview,
    run_fenced_bash,
    truncate_middle,
)

from aodfix.patch import (
    PatchDamaged,
    PatchFound,
    PatchIntegrityError,
    SliceAssembler,
    SliceFound,
    SliceRequest,
    SliceRetrievalError,
    apply_patch,
    extract_patch,
    extract_slice,
    finishing_instructions,
    slice_instructions,
)
from aodfix.patch.payload import sha256_hex


def collect_big_change(ws: Workspace) -> tuple[str, str]:
    """Collect a change whose encoded payload (~54 000 chars) exceeds every runtime limit."""
    ws.write("assets/noise.bin", random.Random(7).randbytes(40_000))
    ws.write("README.md", "# api\n\nWith noise.\n")
    prompt = finishing_instructions(str(ws.sandbox), ws.base_sha, None, ws.key)
    return fenced_bash(prompt), run_fenced_bash(prompt, ws.home)


def shortened(command: str, output: str, damage: Callable[[str], str]) -> str:
    """A Claude line where both copies of the output were shortened the same way."""
    return claude_stream(command, output, shown=damage(output), saved=damage(output))


def damaged(stream: str) -> PatchDamaged:
    result = extract_patch(stream)
    assert isinstance(result, PatchDamaged), result
    return result


def retrieve(
    ws: Workspace, assembler: SliceAssembler, limit: int
) -> tuple[bytes, list[SliceRequest]]:
    """Drive the assembler over real slice commands through a runtime that middle-truncates
    any output longer than ``limit`` characters; the patch and every slice asked for."""
    asked: list[SliceRequest] = []
    while (request := assembler.next_request()) is not None:
        asked.append(request)
        prompt = slice_instructions(ws.key, request.offset, request.length)
        output = run_fenced_bash(prompt, ws.home)
        stream = shortened(fenced_bash(prompt), output, lambda text: truncate_middle(text, limit))
        assembler.accept(extract_slice(stream, request))
    assert assembler.patch is not None
    return assembler.patch, asked


@pytest.mark.parametrize("limit", [30_000, 5_000])
def test_output_truncated_in_the_middle_is_damaged(workspace: Workspace, limit: int) -> None:
    command, output = collect_big_change(workspace)

    result = damaged(shortened(command, output, lambda text: truncate_middle(text, limit)))

    assert result.base_sha == workspace.base_sha
    assert result.encoded_length > 50_000


def test_output_replaced_by_a_preview_is_damaged(workspace: Workspace) -> None:
    command, output = collect_big_change(workspace)

    result = damaged(shortened(command, output, preview))

    assert "end marker missing" in result.reason


def test_intact_tool_use_result_heals_a_truncated_tool_result(workspace: Workspace) -> None:
    command, output = collect_big_change(workspace)
    stream = claude_stream(command, output, shown=truncate_middle(output, 30_000))

    assert isinstance(extract_patch(stream), PatchFound)


def test_slices_halve_until_they_fit_and_rebuild_the_exact_patch(
    workspace: Workspace, tmp_path: Path
) -> None:
    command, output = collect_big_change(workspace)
    assembler = SliceAssembler.for_damaged(
        damaged(shortened(command, output, lambda text: truncate_middle(text, 5_000)))
    )

    patch, asked = retrieve(workspace, assembler, limit=5_000)

    lengths = [request.length for request in asked]
    assert lengths[:4] == [24_000, 12_000, 6_000, 3_000]  # halved until a slice fits
    assert set(lengths[4:-1]) == {3_000} and lengths[-1] <= 3_000  # then kept at that size
    target = checkout_of(workspace.origin, workspace.base_sha, tmp_path / "target")
    assert apply_patch(target, patch).applies
    assert git(target, "write-tree") == git(workspace.sandbox, "write-tree")


def test_slices_under_the_default_limit_arrive_whole_at_the_first_size(
    workspace: Workspace,
) -> None:
    command, output = collect_big_change(workspace)
    broken = damaged(shortened(command, output, preview))
    assembler = SliceAssembler.for_damaged(broken)

    patch, asked = retrieve(workspace, assembler, limit=30_000)

    assert [request.offset for request in asked] == list(range(0, broken.encoded_length, 24_000))
    assert sha256_hex(patch) == broken.patch_sha256


def test_retrieval_gives_up_when_slices_never_fit(workspace: Workspace) -> None:
    command, output = collect_big_change(workspace)
    assembler = SliceAssembler.for_damaged(damaged(shortened(command, output, preview)))

    with pytest.raises(SliceRetrievalError, match="output limit is too small"):
        retrieve(workspace, assembler, limit=200)


def test_a_changed_saved_payload_stops_retrieval(workspace: Workspace) -> None:
    command, output = collect_big_change(workspace)
    assembler = SliceAssembler.for_damaged(damaged(shortened(command, output, preview)))
    workspace.write("README.md", "# api\n\nChanged after collecting.\n")
    run_fenced_bash(
        finishing_instructions(str(workspace.sandbox), workspace.base_sha, None, workspace.key),
        workspace.home,
    )

    with pytest.raises(SliceRetrievalError, match="saved payload in the sandbox changed"):
        retrieve(workspace, assembler, limit=30_000)


def test_a_missing_slice_halves_the_slice_size() -> None:
    assembler = SliceAssembler("0" * 64, 10_000, start_size=8_000)
    assert assembler.next_request() == SliceRequest(0, 8_000)

    assembler.accept(None)

    assert assembler.next_request() == SliceRequest(0, 4_000)


def test_a_slice_for_another_offset_counts_as_missing() -> None:
    assembler = SliceAssembler("0" * 64, 10_000, start_size=8_000)
    assembler.next_request()

    assembler.accept(SliceFound("0" * 64, 4_000, 10_000, "A" * 8_000))

    assert assembler.next_request() == SliceRequest(0, 4_000)  # offset 0: nothing was kept


def test_an_empty_payload_needs_no_slices() -> None:
    assembler = SliceAssembler(sha256_hex(""), 0, patch_sha256=sha256_hex(b""))

    assert assembler.next_request() is None and assembler.patch == b""


def test_assembled_slices_that_fail_the_payload_checksum_are_refused() -> None:
    assembler = SliceAssembler("0" * 64, 8, start_size=256, min_size=4)
    assembler.next_request()

    with pytest.raises(PatchIntegrityError, match="payload checksum mismatch"):
        assembler.accept(SliceFound("0" * 64, 0, 8, "AAAAAAAA"))
