"""Bare repositories on disk and the git plumbing the emulator runs on them.

Every git command here is isolated from the user's and the system's git configuration and
carries its own identity, so the emulator behaves the same on a laptop and on a bare CI
machine with no ``~/.gitconfig``.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

EMULATOR_NAME = "GitHub Emulator"
EMULATOR_EMAIL = "emulator@github.invalid"
# Fixed commit dates make seeded repositories reproducible: same source, same shas.
_SEED_EPOCH = 1_704_067_200  # 2024-01-01T00:00:00Z
_PROTECTED_KEY = "emulator.protectedBranch"

# GitHub refuses pushes to protected branches server-side; a pre-receive hook gives the
# pushing client the same "remote: error: GH006" lines and a failed push.
_PRE_RECEIVE_HOOK = """#!/bin/sh
# Installed by the aodfix GitHub emulator: refuse updates of protected branches.
rc=0
while read -r old new ref; do
  case "$ref" in
    refs/heads/*)
      if git config --get-all emulator.protectedBranch | grep -qxF -- "${ref#refs/heads/}"; then
        echo "error: GH006: Protected branch update failed for $ref." >&2
        echo "error: Changes must be made through a pull request." >&2
        rc=1
      fi
      ;;
  esac
done
exit $rc
"""


class GitCommandError(RuntimeError):
    """A git command the emulator relies on failed; carries git's own stderr."""


def git_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for every git process the emulator starts.

    Inherited ``GIT_*`` variables are dropped (a caller's ``GIT_DIR`` or
    ``GIT_CONFIG_COUNT`` must not leak into the server's repositories).
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        GIT_AUTHOR_NAME=EMULATOR_NAME,
        GIT_AUTHOR_EMAIL=EMULATOR_EMAIL,
        GIT_COMMITTER_NAME=EMULATOR_NAME,
        GIT_COMMITTER_EMAIL=EMULATOR_EMAIL,
    )
    if extra:
        env.update(extra)
    return env


@dataclass(frozen=True)
class CommitInfo:
    """The parts of a commit that GitHub's commit JSON reports."""

    sha: str
    tree: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    author_date: datetime
    committer_name: str
    committer_email: str
    committer_date: datetime
    message: str


@dataclass(frozen=True)
class DiffStats:
    changed_files: int
    additions: int
    deletions: int


@dataclass(frozen=True)
class TreeFile:
    """One blob of a commit's tree, as code search sees it."""

    path: str
    blob: str
    size: int


@dataclass(frozen=True)
class FileEntry:
    """One file of a commit to import: its path in the tree, git mode and content."""

    path: str
    mode: str
    data: bytes


_LOG_FORMAT = "%H%x00%T%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B%x1e"


class BareRepository:
    """One bare repository served by the emulator."""

    def __init__(self, path: Path) -> None:
        self.path = path

    # -- creation ----------------------------------------------------------------------------

    @classmethod
    def create(cls, path: Path, default_branch: str) -> BareRepository:
        path.parent.mkdir(parents=True, exist_ok=True)
        _run(["git", "init", "--bare", "--quiet", f"--initial-branch={default_branch}", str(path)])
        repo = cls(path)
        for key, value in (
            ("http.receivepack", "true"),
            ("http.uploadpack", "true"),
            # A client may fetch one commit by sha at depth 1 (aodfix's base fetch).
            ("uploadpack.allowReachableSHA1InWant", "true"),
            ("uploadpack.allowAnySHA1InWant", "true"),
            ("uploadpack.allowFilter", "true"),
        ):
            repo.run("config", key, value)
        hook = path / "hooks" / "pre-receive"
        hook.parent.mkdir(exist_ok=True)
        hook.write_text(_PRE_RECEIVE_HOOK)
        hook.chmod(hook.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        return repo

    @classmethod
    def copy_of(cls, template: BareRepository, path: Path) -> BareRepository:
        """A new repository whose files are hard links to ``template``'s: git only ever
        replaces a repository's files (objects never change; refs and config are rewritten
        and renamed over), so the two stay independent while the copy costs no git process."""
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(template.path, path, copy_function=_link_or_copy)
        return cls(path)

    def seed(self, branch: str, files: Sequence[FileEntry], history: int) -> str:
        """Write ``history`` commits on ``branch``, the last holding exactly ``files``.

        The earlier commits only touch ``HISTORY.md``; they exist to give the repository a
        long history (fast-import writes thousands of commits in well under a second).
        """
        if history < 1:
            raise ValueError("history must be at least 1")
        stream = bytearray(b"feature done\n")
        ref = f"refs/heads/{branch}".encode()
        for index in range(1, history):
            content = f"history commit {index}\n".encode()
            stream += _commit_header(ref, f"History commit {index}", _SEED_EPOCH + index)
            stream += b"M 100644 inline HISTORY.md\n" + _data(content)
        subject = "Initial commit" if history == 1 else "Add project files"
        stream += _commit_header(ref, subject, _SEED_EPOCH + history)
        stream += b"deleteall\n"
        for entry in files:
            stream += f"M {entry.mode} inline {_quote_path(entry.path)}\n".encode()
            stream += _data(entry.data)
        stream += b"done\n"
        self.run("fast-import", "--quiet", input=bytes(stream))
        sha = self.branch_head(branch)
        if sha is None:  # pragma: no cover - fast-import either writes the ref or fails
            raise GitCommandError(f"fast-import did not create {branch}")
        return sha

    def commit_files(
        self,
        branch: str,
        files: Mapping[str, str | bytes | None],
        *,
        message: str,
        author: tuple[str, str],
        start: str | None = None,
    ) -> str:
        """Add one commit on ``branch`` changing ``files`` (None deletes a file).

        A missing branch is created from ``start`` (a revision), or as a root commit.
        """
        ref = f"refs/heads/{branch}"
        parent = self.resolve(ref) or (self.resolve(start) if start else None)
        return self._import_commit(ref, parent, files, message=message, author=author)

    def commit_packed(
        self,
        branch: str,
        files: Mapping[str, str | bytes | None],
        *,
        message: str,
        author: tuple[str, str],
        parent: str,
    ) -> tuple[str, list[Path]]:
        """As ``commit_files`` on a new branch from ``parent``, with every new object in one
        pack; returns the commit and the pack's files, which ``adopt_branch`` can give
        other repositories that hold ``parent``."""
        before = self._pack_files()
        sha = self._import_commit(
            f"refs/heads/{branch}", parent, files, message=message, author=author, pack=True
        )
        return sha, sorted(self._pack_files() - before)

    def adopt_branch(self, branch: str, sha: str, packs: Sequence[Path]) -> bool:
        """Hard-link ``packs`` (from ``commit_packed`` in a repository sharing the parent
        commit) into this one and create ``branch`` at ``sha`` by writing its ref file: no
        git process. False, with nothing done, unless refs are plain files here."""
        ref_file = self.path / "refs" / "heads" / branch
        if not (self.path / "refs" / "heads").is_dir() or (self.path / "reftable").exists():
            return False
        if ref_file.exists() or self._packed_ref(f"refs/heads/{branch}") is not None:
            raise GitCommandError(f"branch {branch} already exists in {self.path}")
        pack_dir = self.path / "objects" / "pack"
        pack_dir.mkdir(parents=True, exist_ok=True)
        for pack in packs:
            target = pack_dir / pack.name
            if not target.exists():
                _link_or_copy(str(pack), str(target))
        ref_file.parent.mkdir(parents=True, exist_ok=True)
        ref_file.write_text(sha + "\n")
        return True

    def changed_paths(self, base: str, head: str) -> list[str]:
        """The paths ``head`` changed since it forked from ``base``."""
        out = self.run("diff", "--name-only", "-z", f"{base}...{head}").stdout
        return [path for path in out.decode(errors="replace").split("\0") if path]

    def _pack_files(self) -> set[Path]:
        return set((self.path / "objects" / "pack").glob("pack-*"))

    def _import_commit(
        self,
        ref: str,
        parent: str | None,
        files: Mapping[str, str | bytes | None],
        *,
        message: str,
        author: tuple[str, str],
        pack: bool = False,
    ) -> str:
        name, email = author
        when = int(datetime.now(UTC).timestamp())
        stream = bytearray(b"feature done\n")
        stream += f"commit {ref}\n".encode()
        stream += f"author {name} <{email}> {when} +0000\n".encode()
        stream += f"committer {name} <{email}> {when} +0000\n".encode()
        stream += _data(message.encode())
        if parent:
            stream += f"from {parent}\n".encode()
        for path, content in files.items():
            if content is None:
                stream += f"D {_quote_path(path)}\n".encode()
            else:
                data = content.encode() if isinstance(content, str) else content
                stream += f"M 100644 inline {_quote_path(path)}\n".encode() + _data(data)
        stream += b"done\n"
        # fast-import leaves small imports as loose objects unless told to keep a pack.
        options = ("-c", "fastimport.unpackLimit=0") if pack else ()
        self.run(*options, "fast-import", "--quiet", input=bytes(stream))
        sha = self.resolve(ref)
        if sha is None:  # pragma: no cover
            raise GitCommandError(f"fast-import did not update {ref}")
        return sha

    def set_protected_branches(self, branches: Sequence[str]) -> None:
        self.run("config", "--unset-all", _PROTECTED_KEY, ok_codes=(0, 5))
        for branch in branches:
            self.run("config", "--add", _PROTECTED_KEY, branch)

    # -- reading -----------------------------------------------------------------------------

    def resolve(self, rev: str) -> str | None:
        """The commit ``rev`` names, or None when it names no commit."""
        result = self.run("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", ok_codes=(0, 1))
        sha = result.stdout.decode().strip()
        return sha if result.returncode == 0 and sha else None

    def branch_head(self, branch: str) -> str | None:
        """The tip of ``branch``, read from the ref files when git keeps them as files (no
        process: searches read every repository's default branch), else asked of git."""
        ref = f"refs/heads/{branch}"
        try:
            text = (self.path / ref).read_text().strip()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            text = ""
        if _is_sha(text):
            return text
        if not text and (self.path / "refs" / "heads").is_dir():  # git's "files" ref store
            return self._packed_ref(ref)
        return self.resolve(ref)  # a symbolic ref, or another ref store

    def _packed_ref(self, ref: str) -> str | None:
        try:
            lines = (self.path / "packed-refs").read_text().splitlines()
        except FileNotFoundError:
            return None
        for line in lines:
            sha, _, name = line.partition(" ")
            if name == ref and _is_sha(sha):
                return sha
        return None

    def tree_files(self, commit: str) -> list[TreeFile]:
        """Every blob of ``commit``'s tree (symlinks and submodules left out)."""
        out = self.run("ls-tree", "-r", "-l", "-z", "--full-tree", commit).stdout
        files = []
        for record in out.decode(errors="replace").split("\0"):
            if not record:
                continue
            info, _, path = record.partition("\t")
            mode, kind, blob, size = info.split()
            if kind == "blob" and mode in ("100644", "100755"):
                files.append(TreeFile(path, blob, int(size)))
        return files

    def read_blobs(self, blobs: Sequence[str]) -> dict[str, bytes]:
        """The contents of ``blobs``, read by one ``git cat-file --batch``."""
        if not blobs:
            return {}
        out = self.run("cat-file", "--batch", input="".join(f"{b}\n" for b in blobs).encode())
        data = out.stdout
        contents: dict[str, bytes] = {}
        offset = 0
        for blob in blobs:
            end = data.index(b"\n", offset)
            header = data[offset:end].split()
            size = int(header[2])
            contents[blob] = data[end + 1 : end + 1 + size]
            offset = end + 1 + size + 1  # the content is followed by a newline
        return contents

    def refs(self, prefix: str = "refs/") -> dict[str, tuple[str, str]]:
        """Ref name to (object sha, object type) for refs under ``prefix``."""
        out = self.run(
            "for-each-ref", "--format=%(refname) %(objectname) %(objecttype)", prefix
        ).stdout
        refs: dict[str, tuple[str, str]] = {}
        for line in out.decode().splitlines():
            name, sha, kind = line.rsplit(" ", 2)
            refs[name] = (sha, kind)
        return refs

    def branches(self) -> dict[str, str]:
        return {
            ref.removeprefix("refs/heads/"): sha
            for ref, (sha, _) in self.refs("refs/heads/").items()
        }

    def object_type(self, sha: str) -> str:
        return self.run("cat-file", "-t", sha).stdout.decode().strip()

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        result = self.run("merge-base", "--is-ancestor", ancestor, descendant, ok_codes=(0, 1))
        return result.returncode == 0

    def count_commits(self, base: str, head: str) -> int:
        """How many commits ``head`` has that ``base`` lacks (GitHub's "commits" count)."""
        return int(self.run("rev-list", "--count", f"{base}..{head}").stdout)

    def merge_tree(self, base: str, head: str) -> str | None:
        """The tree of merging ``head`` into ``base``, or None when they conflict."""
        result = self.run(
            "merge-tree", "--write-tree", "--no-messages", base, head, ok_codes=(0, 1)
        )
        if result.returncode != 0:
            return None
        return result.stdout.decode().split("\n", 1)[0].strip()

    def commits(self, revision: str, *, limit: int | None = None) -> list[CommitInfo]:
        """Commits of ``revision`` (a sha or a ``base..head`` range), oldest first."""
        args = ["log", "--reverse", f"--format={_LOG_FORMAT}"]
        if limit is not None:
            args.append(f"--max-count={limit}")
        out = self.run(*args, revision, "--").stdout.decode(errors="replace")
        return [_parse_commit(record) for record in _records(out)]

    def commit(self, sha: str) -> CommitInfo:
        return self.commits(sha, limit=1)[0]

    def diff_stats(self, base: str, head: str) -> DiffStats:
        out = self.run("diff", "--numstat", f"{base}...{head}").stdout.decode(errors="replace")
        files = additions = deletions = 0
        for line in out.splitlines():
            added, deleted, _ = line.split("\t", 2)
            files += 1
            additions += int(added) if added.isdigit() else 0
            deletions += int(deleted) if deleted.isdigit() else 0
        return DiffStats(files, additions, deletions)

    # -- writing -----------------------------------------------------------------------------

    def update_ref(self, ref: str, new: str, old: str | None = None) -> bool:
        """Move ``ref`` to ``new``; with ``old``, only if it still points there."""
        args = ["update-ref", ref, new] + ([old] if old is not None else [])
        return self.run(*args, ok_codes=(0, 1, 128)).returncode == 0

    def delete_ref(self, ref: str) -> None:
        self.run("update-ref", "-d", ref)

    def commit_tree(self, tree: str, parents: Sequence[str], message: str) -> str:
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", parent]
        return self.run(*args, input=message.encode()).stdout.decode().strip()

    # -- plumbing ----------------------------------------------------------------------------

    def run(
        self, *args: str, input: bytes | None = None, ok_codes: Sequence[int] = (0,)
    ) -> subprocess.CompletedProcess[bytes]:
        return _run(["git", f"--git-dir={self.path}", *args], input=input, ok_codes=ok_codes)


def files_of_folder(source: Path) -> list[FileEntry]:
    """The files under ``source`` as tree entries, skipping any nested ``.git``."""
    entries: list[FileEntry] = []
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if ".git" in relative.parts:
            continue
        if path.is_symlink():
            entries.append(FileEntry(relative.as_posix(), "120000", os.readlink(path).encode()))
        elif path.is_file():
            executable = path.stat().st_mode & stat.S_IXUSR
            mode = "100755" if executable else "100644"
            entries.append(FileEntry(relative.as_posix(), mode, path.read_bytes()))
    return entries


def _run(
    args: Sequence[str], *, input: bytes | None = None, ok_codes: Sequence[int] = (0,)
) -> subprocess.CompletedProcess[bytes]:
    result = subprocess.run(args, input=input, capture_output=True, env=git_environment())
    if result.returncode not in ok_codes:
        stderr = result.stderr.decode(errors="replace").strip()
        raise GitCommandError(f"{' '.join(args[:3])} failed ({result.returncode}): {stderr}")
    return result


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or one without hard links
        shutil.copy2(source, target)


def _is_sha(text: str) -> bool:
    return len(text) == 40 and all(c in "0123456789abcdef" for c in text)


def _commit_header(ref: bytes, message: str, when: int) -> bytes:
    ident = f"{EMULATOR_NAME} <{EMULATOR_EMAIL}> {when} +0000"
    head = b"commit " + ref + b"\n"
    head += f"author {ident}\ncommitter {ident}\n".encode()
    return head + _data(message.encode())


def _data(payload: bytes) -> bytes:
    return f"data {len(payload)}\n".encode() + payload + b"\n"


def _quote_path(path: str) -> str:
    """fast-import needs C-style quoting for paths with a newline or a leading quote."""
    if "\n" not in path and not path.startswith('"'):
        return path
    escaped = path.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _records(out: str) -> Iterator[str]:
    for record in out.split("\x1e"):
        record = record.lstrip("\n")
        if record:
            yield record


def _parse_commit(record: str) -> CommitInfo:
    fields = record.split("\x00", 9)
    sha, tree, parents, a_name, a_email, a_date, c_name, c_email, c_date, message = fields
    return CommitInfo(
        sha=sha,
        tree=tree,
        parents=tuple(parents.split()),
        author_name=a_name,
        author_email=a_email,
        author_date=datetime.fromisoformat(a_date).astimezone(UTC),
        committer_name=c_name,
        committer_email=c_email,
        committer_date=datetime.fromisoformat(c_date).astimezone(UTC),
        message=message.rstrip("\n"),
    )
