"""The manifest's policy on a patch: forbidden paths, escaping symlinks, counts and size."""

from __future__ import annotations

import pytest

from aodfix.patch import check_policy, inspect_patch

WORKFLOWS = [".github/workflows/**"]


def new_file(path: str, body: str = "content", mode: str = "100644") -> bytes:
    return (
        f"diff --git a/{path} b/{path}\nnew file mode {mode}\nindex 0000000..1111111\n"
        f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1 @@\n+{body}\n\\ No newline at end of file\n"
    ).encode()


def symlink(path: str, target: str) -> bytes:
    return new_file(path, target, mode="120000")


def violations(
    patch: bytes,
    *,
    max_files: int | None = None,
    max_patch_bytes: int | None = None,
    forbidden: list[str] | None = None,
) -> list[str]:
    return check_policy(
        inspect_patch(patch),
        patch,
        max_files=max_files,
        max_patch_bytes=max_patch_bytes,
        forbidden_paths=WORKFLOWS if forbidden is None else forbidden,
    )


def test_a_clean_patch_has_no_violations() -> None:
    patch = new_file("src/a.py") + symlink("docs/readme.md", "../README.md")

    assert violations(patch, max_files=5, max_patch_bytes=10_000) == []


def test_workflow_files_are_forbidden_by_the_default_pattern() -> None:
    assert violations(new_file(".github/workflows/ci.yml")) == [
        ".github/workflows/ci.yml: forbidden by policy pattern '.github/workflows/**'"
    ]


def test_moving_a_workflow_out_of_its_directory_is_forbidden() -> None:
    patch = (
        b"diff --git a/.github/workflows/ci.yml b/ci.yml\nsimilarity index 100%\n"
        b"rename from .github/workflows/ci.yml\nrename to ci.yml\n"
    )

    assert [v.split(":")[0] for v in violations(patch)] == [".github/workflows/ci.yml"]


def test_a_symlink_to_an_absolute_path_escapes_the_repository() -> None:
    (message,) = violations(symlink("etc", "/etc/passwd"))

    assert message.startswith("etc: symlink to absolute path")


def test_a_symlink_climbing_out_with_dotdot_escapes_the_repository() -> None:
    (message,) = violations(symlink("docs/up", "../../outside"))

    assert message == "docs/up: symlink to '../../outside' escapes the repository"


def test_a_symlink_into_git_metadata_is_refused() -> None:
    (message,) = violations(symlink("hooks", ".git/hooks"))

    assert "points into .git/" in message


@pytest.mark.parametrize("path", [".git/config", "a/../../x", "sub/.GIT/hooks/pre-commit"])
def test_paths_climbing_out_or_into_git_metadata_are_refused(path: str) -> None:
    (message,) = violations(new_file(path))

    assert message.startswith(path + ":")


def test_too_many_files_is_a_violation() -> None:
    patch = b"".join(new_file(f"f{i}.txt") for i in range(4))

    assert violations(patch, max_files=3) == ["patch touches 4 files, more than max_files=3"]


def test_too_big_a_patch_is_a_violation() -> None:
    patch = new_file("big.txt", "x" * 500)

    assert violations(patch, max_patch_bytes=100) == [
        f"patch is {len(patch)} bytes, more than max_patch_bytes=100"
    ]


def test_a_binary_file_declared_larger_than_max_file_bytes_is_refused_before_apply() -> None:
    patch = (
        b"diff --git a/zeros.bin b/zeros.bin\nnew file mode 100644\nindex 0000000..1111111\n"
        b"GIT binary patch\nliteral 60000000\nzcmeIuF#!Mr0K%a4Pi+Qa1~5Q?0Rsjg\n\n"
        b"literal 0\nHcmV?d00001\n\n"
    )
    found = check_policy(
        inspect_patch(patch),
        patch,
        max_files=None,
        max_patch_bytes=None,
        forbidden_paths=[],
        max_file_bytes=5_000_000,
    )
    assert found == ["a binary file of 60000000 bytes, more than max_file_bytes=5000000"]
