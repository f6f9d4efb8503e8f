"""The tree policy's rules on paths, links and modes, on results as git reports them."""

from __future__ import annotations

from aodfix.patch.result import ResultChange, ResultTree
from aodfix.patch.tree_policy import check_tree, resolve

WORKFLOWS = [".github/workflows/**"]


def _added(path: str, mode: str = "100644", size: int = 10) -> ResultChange:
    return ResultChange(path, "A", "000000", mode, "1" * 40, size)


def _verdict(*changes: ResultChange, symlinks: dict[str, str] | None = None) -> list[str]:
    tree = ResultTree(tuple(changes), symlinks or {}, None)
    return check_tree(
        tree, forbidden_paths=WORKFLOWS, allow_submodules=False, max_file_bytes=100
    ).violations


def test_symlinks_resolve_through_the_tree() -> None:
    links = {"a": ".", "leak": "a/a/a/../../../etc/passwd", "docs": "src", "up": "../x"}
    assert resolve("leak", links) is None  # lexically inside, really outside
    assert resolve("docs/readme.md", links) == "src/readme.md"
    assert resolve("up", links) is None
    assert resolve("loop", {"loop": "loop"}) is None


def test_paths_are_matched_ignoring_case_and_through_directory_links() -> None:
    assert _verdict(_added(".GitHub/Workflows/x.yml"))
    found = _verdict(_added("w/x.yml"), symlinks={"w": ".github/workflows"})
    assert any("through symlinks: .github/workflows/x.yml" in v for v in found)


def test_disguised_names_are_refused() -> None:
    for path in (".githu\u0185/workflows/x.yml", "\uff0egithub/x", "READ\u200bME.md", "a.md "):
        assert _verdict(_added(path)), path
    assert _verdict(_added("caf\u00e9.md")) == []  # non-ASCII alone is only a note


def test_submodules_and_big_files_are_refused_and_a_mode_change_is_a_note() -> None:
    assert _verdict(_added("sub", mode="160000"))
    assert _verdict(_added(".gitmodules"))
    assert _verdict(_added("big.bin", size=101))
    tree = ResultTree((ResultChange("run.sh", "M", "100644", "100755", "2" * 40, 5),), {}, None)
    verdict = check_tree(tree, forbidden_paths=[], allow_submodules=False, max_file_bytes=None)
    assert verdict.violations == []
    assert verdict.notes == ["executable: run.sh (100644 → 100755)"]
