"""The verify block: the collect command runs the checks in a real repository and prints
their results, which aodfix reads back only through the block's checksums."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from aodfix.patch import extract_patch
from aodfix.patch.checks import read_checks
from aodfix.patch.commands import VerifySpec, collect_command
from aodfix.patch.extract import PatchFound, VerifyDamaged, VerifyFound, extract_verify


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str]:
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q")
    (root / "app.txt").write_text("ok\n")
    (root / ".gitignore").write_text("deps/\n")
    (root / "deps").mkdir()
    (root / "deps" / "tool").write_text("present\n")
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base")
    return root, _git(root, "rev-parse", "HEAD")


def _collect(tmp_path: Path, root: Path, base: str, commands: list[str]) -> str:
    command = collect_command(str(root), base, "k-1", VerifySpec(commands, timeout=2))
    done = subprocess.run(
        ["bash", "-c", command],
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_checks_run_on_the_change_and_a_failure_is_tried_on_the_base(
    tmp_path: Path, repo: tuple[Path, str]
) -> None:
    root, base = repo
    (root / "app.txt").write_text("bad\n")
    checks = [
        "grep -q ok app.txt || { echo app is broken; exit 3; }",  # the change broke it
        "test -f deps/tool && test -f MISSING",  # fails on the base too (deps borrowed)
        "echo fine",
        "sleep 10",  # past the 2 s timeout
        "echo made > artifact.log",  # leaves a file behind
    ]
    stdout = _collect(tmp_path, root, base, checks)
    found = extract_patch(stdout)
    assert isinstance(found, PatchFound)
    verify = extract_verify(stdout, found.patch_sha256)
    assert isinstance(verify, VerifyFound)
    results = read_checks(verify.listing)
    assert [(r.command, r.exit_code, r.pre_existing) for r in results] == [
        (checks[0], 3, False),
        (checks[1], 1, True),
        (checks[2], 0, False),
        (checks[3], 124, True),  # it times out on the base as well
        (checks[4], 0, False),
    ]
    assert results[0].output_tail == "app is broken\n"
    assert results[2].output_tail == "fine\n"
    assert results[0].blames_the_change and not results[1].blames_the_change
    # what a check left behind never reaches a later diff, and no base worktree is left
    again = extract_patch(_collect(tmp_path, root, base, ["true"]))
    assert isinstance(again, PatchFound) and b"artifact.log" not in again.patch
    assert "k-1.base" not in _git(root, "worktree", "list")


def test_a_block_for_another_patch_or_a_shortened_one_is_not_taken(
    tmp_path: Path, repo: tuple[Path, str]
) -> None:
    root, base = repo
    stdout = _collect(tmp_path, root, base, ["true"])
    found = extract_patch(stdout)
    assert isinstance(found, PatchFound)
    assert extract_verify(stdout, "0" * 64) is None
    begin = stdout.index("AODFIX-VERIFY-BEGIN")
    cut = stdout[: begin + stdout[begin:].index("\n") + 10]  # the header and a few characters
    assert isinstance(extract_verify(cut, found.patch_sha256), VerifyDamaged)
