"""The collect command, run for real by bash in a git clone, read back from runtime output."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from patchkit import (
    GIT_ENV,
    Workspace,
    as_output_events,
    checkout_of,
    claude_stream,
    clone,
    codex_stream,
    fenced_bash,
    git,
    make_origin,
    run_fenced_bash,
)

from aodfix.patch import (
    NoBlock,
    PatchFound,
    apply_patch,
    extract_patch,
    finishing_instructions,
    payload_file,
    render_patch_block,
)


def collect(ws: Workspace, *, base_branch: str | None = None) -> tuple[str, str]:
    """The collect command and its stdout, as the agent's last step."""
    prompt = "Fix the bug." + finishing_instructions(
        str(ws.sandbox), ws.base_sha, base_branch, ws.key
    )
    return fenced_bash(prompt), run_fenced_bash(prompt, ws.home)


def found(stream: str) -> PatchFound:
    result = extract_patch(stream)
    assert isinstance(result, PatchFound), result
    return result


def applied_tree(ws: Workspace, patch: bytes, tmp_path: Path) -> str:
    """The tree of a fresh checkout of the base once ``patch`` is applied."""
    target = checkout_of(ws.origin, ws.base_sha, tmp_path / "target")
    check = apply_patch(target, patch)
    assert check.applies, check.message
    return git(target, "write-tree").strip()


def test_edits_additions_and_deletions_round_trip_through_claude_stream_json(
    workspace: Workspace, tmp_path: Path
) -> None:
    workspace.write("src/app.py", (workspace.sandbox / "src/app.py").read_text() + "# fixed\n")
    workspace.write("src/new_module.py", "VALUE = 1\n")
    (workspace.sandbox / "data/remove-me.txt").unlink()
    command, output = collect(workspace)

    result = found(as_output_events(claude_stream(command, output)))

    assert result.base_sha == workspace.base_sha
    assert applied_tree(workspace, result.patch, tmp_path) == workspace.index_tree()


def test_binary_rename_and_mode_change_round_trip_through_codex_jsonl(
    workspace: Workspace, tmp_path: Path
) -> None:
    workspace.write("assets/logo.bin", bytes(reversed(range(256))) * 3 + b"\x00\xff")
    workspace.write("assets/icon.bin", b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(200))
    git(workspace.sandbox, "mv", "docs/guide.md", "docs/handbook.md")
    (workspace.sandbox / "bin/tool.sh").chmod(0o644)
    command, output = collect(workspace)

    result = found(as_output_events(codex_stream(command, output), seed=3))

    assert b"rename from docs/guide.md" in result.patch
    assert applied_tree(workspace, result.patch, tmp_path) == workspace.index_tree()


def test_symlink_round_trips_with_its_target(workspace: Workspace, tmp_path: Path) -> None:
    (workspace.sandbox / "docs/latest.md").symlink_to("guide.md")
    command, output = collect(workspace)

    patch = found(claude_stream(command, output)).patch

    assert b"new file mode 120000" in patch
    assert applied_tree(workspace, patch, tmp_path) == workspace.index_tree()


def test_local_commit_and_uncommitted_edits_are_collected_together(
    workspace: Workspace, tmp_path: Path
) -> None:
    workspace.write("README.md", "# api\n\nCommitted by the agent.\n")
    git(workspace.sandbox, "commit", "-qam", "agent commit")
    workspace.write("CHANGELOG.md", "Uncommitted note.\n")
    command, output = collect(workspace)

    patch = found(claude_stream(command, output)).patch

    assert b"Committed by the agent." in patch and b"Uncommitted note." in patch
    assert applied_tree(workspace, patch, tmp_path) == workspace.index_tree()


def test_shallow_clone_round_trips(shallow_workspace: Workspace, tmp_path: Path) -> None:
    ws = shallow_workspace
    assert git(ws.sandbox, "rev-parse", "--is-shallow-repository").strip() == "true"
    ws.write("README.md", "# api\n\nShallow edit.\n")
    git(ws.sandbox, "commit", "-qam", "agent commit")
    ws.write("src/extra.py", "X = 2\n")
    command, output = collect(ws)

    patch = found(claude_stream(command, output)).patch

    assert applied_tree(ws, patch, tmp_path) == ws.index_tree()


def test_collect_fetches_a_base_missing_from_a_shallow_clone(tmp_path: Path) -> None:
    origin = make_origin(tmp_path, branches={"develop": {"README.md": b"# api (develop)\n"}})
    develop = git(origin, "rev-parse", "develop").strip()
    sandbox = clone(origin, tmp_path / "work space" / "api", shallow=True)
    ws = Workspace(origin=origin, sandbox=sandbox, home=tmp_path / "home", base_sha=develop)
    ws.write("src/extra.py", "X = 3\n")
    command, output = collect(ws)

    patch = found(claude_stream(command, output)).patch

    assert applied_tree(ws, patch, tmp_path) == ws.index_tree()


def test_checkout_step_for_a_non_default_base_works_in_a_shallow_clone(tmp_path: Path) -> None:
    origin = make_origin(tmp_path, branches={"develop": {"README.md": b"# api (develop)\n"}})
    develop = git(origin, "rev-parse", "develop").strip()
    sandbox = clone(origin, tmp_path / "work space" / "api", shallow=True)
    ws = Workspace(origin=origin, sandbox=sandbox, home=tmp_path / "home", base_sha=develop)
    text = finishing_instructions(str(sandbox), develop, "develop", ws.key)
    checkout = re.search(r"Before changing anything, run `([^`]+)`", text)
    assert checkout is not None
    run_fenced_bash(f"```bash\n{checkout[1]}\n```", ws.home)
    ws.write("README.md", (sandbox / "README.md").read_text() + "Edited on develop.\n")
    command, output = collect(ws, base_branch="develop")

    patch = found(claude_stream(command, output)).patch

    assert git(sandbox, "rev-parse", "HEAD").strip() == develop
    assert patch.count(b"diff --git") == 1
    assert applied_tree(ws, patch, tmp_path) == ws.index_tree()


def test_running_collect_twice_prints_the_same_block(workspace: Workspace) -> None:
    workspace.write("README.md", "# api\n\nTwice.\n")
    _, first = collect(workspace)
    _, second = collect(workspace)

    assert first == second


def test_no_change_gives_an_empty_patch(workspace: Workspace) -> None:
    command, output = collect(workspace)

    result = found(claude_stream(command, output))

    assert result.patch == b""


def test_raw_text_output_round_trips(workspace: Workspace, tmp_path: Path) -> None:
    workspace.write("src/app.py", "print('replaced')\n")
    _, output = collect(workspace)
    stream = f"agent: running the collect command\n{output}agent: done\n"

    patch = found(stream).patch

    assert applied_tree(workspace, patch, tmp_path) == workspace.index_tree()


def test_unusual_file_names_round_trip(workspace: Workspace, tmp_path: Path) -> None:
    workspace.write('docs/naïve "quoted" name.md', "unicode and quotes\n")
    workspace.write("docs/with\ttab.txt", "tab\n")
    git(workspace.sandbox, "mv", "docs/guide.md", "docs/guide \u2013 2.md")
    command, output = collect(workspace)

    patch = found(codex_stream(command, output)).patch

    assert applied_tree(workspace, patch, tmp_path) == workspace.index_tree()


def test_user_diff_configuration_does_not_change_the_patch_shape(
    workspace: Workspace, tmp_path: Path
) -> None:
    for key, value in [
        ("diff.noprefix", "true"),
        ("diff.mnemonicPrefix", "true"),
        ("color.ui", "always"),
        ("diff.renames", "false"),
        ("core.quotePath", "false"),
    ]:
        git(workspace.sandbox, "config", key, value)
    workspace.write("src/app.py", "print('configured')\n")
    git(workspace.sandbox, "mv", "docs/guide.md", "docs/moved.md")
    command, output = collect(workspace)

    patch = found(claude_stream(command, output)).patch

    assert b"\x1b[" not in patch and b"rename to docs/moved.md" in patch
    assert applied_tree(workspace, patch, tmp_path) == workspace.index_tree()


def test_collect_keeps_the_payload_in_home_not_in_the_repository(workspace: Workspace) -> None:
    workspace.write("README.md", "# api\n\nSaved.\n")
    collect(workspace)

    assert (workspace.home / payload_file(workspace.key)).stat().st_size > 0
    assert ".aodfix" not in git(workspace.sandbox, "status", "--porcelain", "--ignored")


def test_collect_block_matches_the_python_rendering_of_the_same_patch(
    workspace: Workspace,
) -> None:
    workspace.write("README.md", "# api\n\nRendered.\n")
    _, output = collect(workspace)
    from_bash = found(output)

    from_python = found(render_patch_block(from_bash.patch, workspace.base_sha))

    assert from_python == from_bash


def test_collect_fails_loudly_when_the_base_commit_cannot_be_found(workspace: Workspace) -> None:
    prompt = finishing_instructions(str(workspace.sandbox), "0" * 40, None, workspace.key)
    workspace.home.mkdir()

    result = subprocess.run(
        ["bash", "-c", fenced_bash(prompt)],
        cwd=workspace.home,
        capture_output=True,
        env={**os.environ, **GIT_ENV, "HOME": str(workspace.home)},
        check=False,
    )

    assert result.returncode != 0 and b"aodfix: collecting failed" in result.stderr
    assert extract_patch(result.stdout.decode()) == NoBlock()
