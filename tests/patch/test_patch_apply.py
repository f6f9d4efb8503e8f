"""Checking that a patch applies to its base on a real checkout, with a 3-way fallback."""

from __future__ import annotations

from pathlib import Path

from patchkit import Workspace, checkout_of, git

from aodfix.patch import apply_patch, check_applies


def line_edit(ws: Workspace, old: str, new: str) -> bytes:
    """A patch that changes one line of src/app.py, made with git in the sandbox."""
    path = ws.sandbox / "src/app.py"
    path.write_text(path.read_text().replace(old, new))
    return git(ws.sandbox, "diff", "--full-index").encode()


def moved_checkout(ws: Workspace, tmp_path: Path, old: str, new: str) -> Path:
    """A full clone whose HEAD edited src/app.py after the base."""
    target = tmp_path / "moved"
    git(tmp_path, "clone", "-q", f"file://{ws.origin}", str(target))
    path = target / "src/app.py"
    path.write_text(path.read_text().replace(old, new))
    git(target, "commit", "-qam", "moved on")
    return target


def test_a_patch_on_its_base_passes_the_check(workspace: Workspace, tmp_path: Path) -> None:
    patch = line_edit(workspace, "return 5\n", "return 55\n")
    target = checkout_of(workspace.origin, workspace.base_sha, tmp_path / "target")

    check = check_applies(target, patch)

    assert check.applies and not check.three_way
    assert git(target, "status", "--porcelain") == ""


def test_a_conflicting_patch_fails_the_check_with_gits_reason(
    workspace: Workspace, tmp_path: Path
) -> None:
    patch = line_edit(workspace, "return 5\n", "return 55\n")
    target = moved_checkout(workspace, tmp_path, "return 5\n", "return 500\n")

    check = check_applies(target, patch, three_way_fallback=True)

    assert not check.applies and "src/app.py" in check.message


def test_moved_context_applies_with_the_three_way_fallback(
    workspace: Workspace, tmp_path: Path
) -> None:
    patch = line_edit(workspace, "return 5\n", "return 55\n")
    target = moved_checkout(workspace, tmp_path, "return 6\n", "return 66\n")
    assert not check_applies(target, patch).applies

    check = apply_patch(target, patch, three_way_fallback=True)

    assert check.applies and check.three_way
    merged = git(target, "show", ":src/app.py")  # applied to the index; the work tree is untouched
    assert "return 55" in merged and "return 66" in merged


def test_a_patch_that_does_not_apply_leaves_the_checkout_untouched(
    workspace: Workspace, tmp_path: Path
) -> None:
    patch = line_edit(workspace, "return 5\n", "return 55\n")
    target = moved_checkout(workspace, tmp_path, "return 5\n", "return 500\n")

    assert not apply_patch(target, patch, three_way_fallback=True).applies
    assert git(target, "status", "--porcelain") == ""
