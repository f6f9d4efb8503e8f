"""The symlinks of the applied tree read from the index file itself agree with what
``git ls-files`` lists, for every entry shape git writes."""

from __future__ import annotations

import subprocess
from pathlib import Path

from aodfix.patch.result import _index_symlinks, _listed_symlinks

BLOB = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"  # the empty blob
LINK = "2e65efe2a145dda7ee51d1741299f848e5bf752e"


def _git(repository: Path, *args: str, stdin: bytes | None = None) -> None:
    subprocess.run(["git", *args], cwd=repository, input=stdin, check=True, capture_output=True)


def _repository(tmp_path: Path) -> Path:
    _git(tmp_path, "init", "-q", "repo")
    repository = tmp_path / "repo"
    long_path = "/".join(["d" * 200] * 24) + "/link"  # past the 12-bit name length (4095)
    entries = [
        f"100644 {BLOB}\tplain.txt",
        f"120000 {LINK}\tdocs/link",
        f"100755 {BLOB}\tbin/run",
        f"160000 {BLOB}\tvendor/module",
        f"120000 {LINK}\t{long_path}",
        f"120000 {LINK}\tx",  # names of every length modulo 8, for the padding
        f"120000 {LINK}\txy",
        f"120000 {LINK}\tabcdefg",
        f"100644 {BLOB}\tabcdefgh",
    ]
    listing = b"\0".join(e.encode() for e in entries) + b"\0"
    listing += f"120000 {LINK}\tlatin-".encode() + b"\xe9\0"  # a name that is not UTF-8
    _git(repository, "update-index", "-z", "--index-info", stdin=listing)
    return repository


def test_symlinks_read_from_the_index_are_those_git_lists(tmp_path: Path) -> None:
    repository = _repository(tmp_path)
    from_index = _index_symlinks(repository / ".git" / "index")
    listed = _listed_symlinks(repository)
    assert from_index == listed
    assert len(listed) == 6
    assert "latin-\udce9" in listed


def test_an_index_with_extended_flags_reads_the_same(tmp_path: Path) -> None:
    repository = _repository(tmp_path)
    (repository / "new.txt").write_text("x\n")
    _git(repository, "add", "--intent-to-add", "new.txt")  # an extended flag: version 3
    index = repository / ".git" / "index"
    assert int.from_bytes(index.read_bytes()[4:8], "big") == 3
    assert _index_symlinks(index) == _listed_symlinks(repository)


def test_an_index_in_a_version_it_does_not_read_is_left_to_git(tmp_path: Path) -> None:
    repository = _repository(tmp_path)
    _git(repository, "update-index", "--index-version", "4")
    assert _index_symlinks(repository / ".git" / "index") is None
    assert _index_symlinks(repository / ".git" / "no-such-index") is None
