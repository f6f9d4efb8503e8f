"""Reading what a patch touches, checked against git's own accounting."""

from __future__ import annotations

import contextlib
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from patchkit import GIT_ENV, Workspace, git

from aodfix.patch import ChangeKind, Diffstat, FileChange, PatchFormatError, inspect_patch


def staged_patch(ws: Workspace) -> bytes:
    git(ws.sandbox, "add", "-A")
    result = subprocess.run(
        ["git", "diff", "--cached", "--binary", "--full-index", "-M", ws.base_sha],
        cwd=ws.sandbox,
        capture_output=True,
        env=GIT_ENV,
        check=True,
    )
    return result.stdout


def mixed_change(ws: Workspace) -> bytes:
    """Edit, add, delete, binary, rename, mode change and a new symlink in one patch."""
    ws.write("src/app.py", "print('one')\nprint('two')\n")
    ws.write("src/new.py", "A = 1\nB = 2\nC = 3\n")
    (ws.sandbox / "data/remove-me.txt").unlink()
    ws.write("assets/logo.bin", bytes(reversed(range(256))))
    git(ws.sandbox, "mv", "docs/guide.md", "docs/handbook.md")
    (ws.sandbox / "bin/tool.sh").chmod(0o644)
    (ws.sandbox / "docs/latest.md").symlink_to("handbook.md")
    return staged_patch(ws)


def by_path(patch: bytes) -> dict[str, FileChange]:
    return {change.path: change for change in inspect_patch(patch).files}


def test_line_counts_match_git_numstat(workspace: Workspace) -> None:
    patch = mixed_change(workspace)
    numstat = git(workspace.sandbox, "apply", "--numstat", "-z", "-", stdin=patch)
    expected: dict[str, tuple[int, int]] = {}
    fields = numstat.split("\0")
    while len(fields) > 1:
        added, deleted, path = fields.pop(0).split("\t")
        if not path:  # a rename: old and new path follow as their own fields
            fields.pop(0)
            path = fields.pop(0)
        expected[path] = (int(added), int(deleted)) if added != "-" else (0, 0)

    counts = {path: (c.additions, c.deletions) for path, c in by_path(patch).items()}

    assert counts == expected


def test_kinds_modes_and_binary_flags_are_reported(workspace: Workspace) -> None:
    files = by_path(mixed_change(workspace))

    assert files["src/new.py"].kind is ChangeKind.ADDED and files["src/new.py"].old_path is None
    assert files["data/remove-me.txt"].kind is ChangeKind.DELETED
    assert files["data/remove-me.txt"].new_path is None
    assert files["assets/logo.bin"].binary
    assert (files["bin/tool.sh"].old_mode, files["bin/tool.sh"].new_mode) == ("100755", "100644")
    renamed = files["docs/handbook.md"]
    assert (renamed.kind, renamed.old_path, renamed.similarity) == (
        ChangeKind.RENAMED,
        "docs/guide.md",
        100,
    )


def test_a_symlink_and_its_target_are_reported(workspace: Workspace) -> None:
    link = by_path(mixed_change(workspace))["docs/latest.md"]

    assert link.is_symlink and link.symlink_target == "handbook.md"


def test_quoted_paths_are_unquoted() -> None:
    patch = (
        b'diff --git "a/docs/na\\303\\257ve \\"q\\".md" "b/docs/na\\303\\257ve \\"q\\".md"\n'
        b"new file mode 100644\n"
        b"index 0000000..e69de29\n"
    )

    assert [c.path for c in inspect_patch(patch).files] == ['docs/naïve "q".md']


def test_the_diffstat_totals_files_and_lines(workspace: Workspace) -> None:
    workspace.write("src/app.py", "print('one')\n")
    workspace.write("src/new.py", "A = 1\nB = 2\n")

    stat = inspect_patch(staged_patch(workspace)).diffstat

    assert stat == Diffstat(files=2, additions=3, deletions=120)


def test_an_empty_patch_touches_nothing() -> None:
    assert inspect_patch(b"").diffstat == Diffstat()


HIDDEN = b"--- a/.github/workflows/ci.yml\n+++ b/.github/workflows/ci.yml\n@@ -1 +1 @@\n-a\n+b\n"
SECTION = b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-x\n+y\n"
BINARY = (
    b"diff --git a/x.bin b/x.bin\nnew file mode 100644\n"
    b"index 0000000000000000000000000000000000000000..4c1e0e2c6c2f4e8f3d1f1a2b3c4d5e6f7a8b9c0d\n"
    b"GIT binary patch\nliteral 3\nKcmZ?wWB>pF0RR91\n\nliteral 0\nHcmV?d00001\n\n"
)


@pytest.mark.parametrize(
    "patch",
    [HIDDEN + SECTION, SECTION + b"stray line\n" + HIDDEN, BINARY + HIDDEN],
    ids=["before-first-section", "after-a-hunk", "after-a-binary-patch"],
)
def test_a_diff_hidden_outside_git_sections_is_refused(patch: bytes) -> None:
    with pytest.raises(PatchFormatError):
        inspect_patch(patch)


def test_a_well_formed_binary_section_is_accepted() -> None:
    change = inspect_patch(BINARY + SECTION).files[0]

    assert change.binary and change.path == "x.bin"


PIECES = [
    b"diff --git a/x b/x\n",
    b'diff --git "a/x" "b/y\n',
    b"diff --git a/x b/y\n",
    b"--- a/x\n",
    b"+++ b/x\n",
    b"--- /dev/null\n",
    b"@@ -1 +1 @@\n",
    b"@@ -1,2 +0,0 @@\n",
    b"+a\n",
    b"-a\n",
    b" a\n",
    b"\\ No newline at end of file\n",
    b"new file mode 120000\n",
    b"rename from a\n",
    b'rename to "b\\q"\n',
    b"similarity index 9x%\n",
    b"index 0000000..1111111 100644\n",
    b"GIT binary patch\n",
    b"literal 3\n",
    b"\n",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES) | st.binary(max_size=12), max_size=25))
def test_malformed_patches_raise_only_patch_format_errors(pieces: list[bytes]) -> None:
    with contextlib.suppress(PatchFormatError):
        inspect_patch(b"".join(pieces))
