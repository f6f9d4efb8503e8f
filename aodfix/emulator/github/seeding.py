"""Creating repositories: one git import per distinct content, hard-linked copies for the rest.

Selection tests need organisations with hundreds of repositories. Initialising each one costs
several git processes, so every repository starts as a hard-linked copy of one initialised
empty repository (``BareRepository.copy_of``) and only its content is imported; repositories
with the same files, branch and history copy the first one whole, which costs no git at all.
Campaign tests need hundreds of pull requests on them: the change commit is imported once
per distinct base commit and its pack hard-linked into the others (``seed_pull_requests``).
Benchmarks need ten thousand repositories at one commit: ``create_from_template`` imports the
content once into a compact template and makes each repository of a handful of hard links.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aodfix.emulator.github.git_repos import (
    BareRepository,
    FileEntry,
    _link_or_copy,
    files_of_folder,
)
from aodfix.emulator.github.store import (
    AccountKind,
    IssueRecord,
    PullRecord,
    RepositoryRecord,
    Store,
    split_full_name,
    utc_now,
)

_TOPIC = re.compile(r"^[a-z0-9][a-z0-9-]{0,49}$")
_MAX_TOPICS = 20


@dataclass(frozen=True)
class RepositorySpec:
    """One repository to create. Its content is ``source`` (a folder), or ``files`` (path to
    text or bytes), or a README naming it; ``created_at``/``pushed_at`` default to now."""

    full_name: str
    source: Path | None = None
    files: Mapping[str, str | bytes] | None = None
    default_branch: str = "main"
    private: bool = False
    archived: bool = False
    fork: bool = False
    topics: Sequence[str] = ()
    language: str | None = None
    description: str | None = None
    created_at: datetime | None = None
    pushed_at: datetime | None = None
    history: int = 1

    def entries(self) -> tuple[FileEntry, ...]:
        if self.source is not None and self.files is not None:
            raise ValueError(f"{self.full_name}: give source or files, not both")
        if self.source is not None:
            if not Path(self.source).is_dir():
                raise ValueError(f"repository source is not a directory: {self.source}")
            return tuple(files_of_folder(Path(self.source)))
        if self.files is not None:
            return tuple(
                FileEntry(path, "100644", data.encode() if isinstance(data, str) else data)
                for path, data in sorted(self.files.items())
            )
        name = split_full_name(self.full_name)[1]
        return (FileEntry("README.md", "100644", f"# {name}\n".encode()),)

    def checked_topics(self) -> list[str]:
        """The topics, refused as GitHub refuses them (lower case, digits, hyphens; 20 at most)."""
        topics = list(dict.fromkeys(self.topics))
        bad = [topic for topic in topics if not _TOPIC.match(topic)]
        if bad or len(topics) > _MAX_TOPICS:
            raise ValueError(
                f"{self.full_name}: topics are up to {_MAX_TOPICS} lower-case names of letters, "
                f"digits and hyphens (refused: {bad or topics})"
            )
        return topics


def create_repositories(store: Store, specs: Sequence[RepositorySpec], user: str) -> list[str]:
    """Create every spec (nothing when one is refused up front); returns their head shas.

    ``user`` is the emulator's own account: its repositories are a user's, every other
    owner is an organisation unless registered as a user before.
    """
    with store.lock:
        checked = [(spec, spec.entries(), spec.checked_topics()) for spec in specs]
        _refuse_existing(store, specs)
        made: dict[tuple[tuple[FileEntry, ...], str, int], tuple[BareRepository, str]] = {}
        shas = []
        for spec, entries, topics in checked:
            path = store.bare_path(spec.full_name)
            key = (entries, spec.default_branch, spec.history)
            if key in made:
                template, sha = made[key]
                bare = BareRepository.copy_of(template, path)
            else:
                bare = BareRepository.copy_of(_blank(store, spec.default_branch), path)
                sha = bare.seed(spec.default_branch, list(entries), spec.history)
                made[key] = (bare, sha)
            _register(store, spec, bare, topics, user)
            shas.append(sha)
        return shas


def create_from_template(
    store: Store, names: Sequence[str], source: Path, user: str, *, default_branch: str = "main"
) -> str:
    """Create every repository of ``names`` holding ``source`` at one shared commit, whose
    sha it returns (nothing when one is refused up front).

    For benchmarks of thousands: the content is imported once into a compact template (one
    pack, no sample hooks), and each repository is that template's few directories made
    and its files hard-linked — no git process, no copy of the tree walk per repository.
    """
    specs = [RepositorySpec(name, source=source, default_branch=default_branch) for name in names]
    if not specs:
        return ""
    entries = specs[0].entries()  # reads and checks ``source`` once
    with store.lock:
        _refuse_existing(store, specs)
        template, sha = _compact_template(store, entries, default_branch)
        layout = _Layout.of(template.path)
        for spec in specs:
            bare = layout.copy_to(store.bare_path(spec.full_name))
            _register(store, spec, bare, [], user)
        return sha


def _register(
    store: Store, spec: RepositorySpec, bare: BareRepository, topics: list[str], user: str
) -> None:
    """Add ``spec``'s record: what the REST API answers for it."""
    owner, name = split_full_name(spec.full_name)
    kind: AccountKind = "User" if owner.lower() == user.lower() else "Organization"
    account = store.add_account(owner, kind)
    store.add(
        RepositoryRecord(
            id=store.next_id(),
            owner=owner,
            name=name,
            default_branch=spec.default_branch,
            private=spec.private,
            archived=spec.archived,
            created_at=as_utc(spec.created_at),
            bare=bare,
            description=spec.description,
            owner_type=account.kind,
            fork=spec.fork,
            topics=topics,
            language=spec.language,
            pushed_at=as_utc(spec.pushed_at) if spec.pushed_at else None,
        )
    )


# What a bare repository needs to be served, fetched from and pushed to; the rest of what
# ``git init`` writes (sample hooks, description, info/, branches/, refs/tags/) is optional.
_OPTIONAL = ("description", "info", "branches", "refs/tags", "objects/info")


def _compact_template(
    store: Store, entries: tuple[FileEntry, ...], branch: str
) -> tuple[BareRepository, str]:
    """A repository holding ``entries`` on ``branch`` with as few files as git allows:
    every copy of it makes a handful of directories and links a handful of files."""
    digest = hashlib.sha256(repr((entries, branch)).encode()).hexdigest()[:20]
    folder = store.repos_root / ".templates" / f"compact-{digest}.git"
    if folder.exists():
        template = BareRepository(folder)
        sha = template.branch_head(branch)
        if sha is not None:
            return template, sha
        shutil.rmtree(folder)  # left half-made by an interrupted run
    template = BareRepository.copy_of(_blank(store, branch), folder)
    sha = template.seed(branch, list(entries), 1)
    template.run("repack", "-a", "-d", "-q")
    for sample in (folder / "hooks").glob("*.sample"):
        sample.unlink()
    for optional in _OPTIONAL:
        target = folder / optional
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    return template, sha


@dataclass(frozen=True)
class _Layout:
    """A repository's directories (parents first) and files, relative to its root."""

    root: Path
    directories: tuple[str, ...]
    files: tuple[str, ...]

    @classmethod
    def of(cls, root: Path) -> _Layout:
        directories: list[str] = []
        files: list[str] = []
        for folder, subfolders, names in os.walk(root):
            relative = os.path.relpath(folder, root)
            subfolders.sort()
            if relative != ".":
                directories.append(relative)
            files += [os.path.normpath(os.path.join(relative, name)) for name in sorted(names)]
        return cls(root, tuple(directories), tuple(files))

    def copy_to(self, path: Path) -> BareRepository:
        """A copy made of hard links (see ``BareRepository.copy_of`` for why that is safe)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        os.mkdir(path)
        for directory in self.directories:
            os.mkdir(path / directory)
        for name in self.files:
            _link_or_copy(str(self.root / name), str(path / name))
        return BareRepository(path)


@dataclass(frozen=True)
class PullSeed:
    """The same pull request for many repositories: one commit changing ``files`` on
    ``branch``, opened by ``user`` against each default branch, the first created at
    ``first_created`` (default: now) and each next one ``created_every`` later."""

    branch: str
    title: str
    body: str | None
    files: Mapping[str, str | bytes]
    message: str
    author: tuple[str, str]
    user: str
    draft: bool = False
    first_created: datetime | None = None
    created_every: timedelta = timedelta(0)


def seed_pull_requests(
    store: Store, repos: Sequence[RepositoryRecord], seed: PullSeed
) -> dict[str, int]:
    """Open ``seed``'s PR in every repository (none when a branch already exists); returns
    the PR number by full name."""
    with store.lock:
        bases = {}
        for repo in repos:
            base = repo.bare.branch_head(repo.default_branch)
            if base is None or repo.bare.branch_head(seed.branch) is not None:
                raise ValueError(f"{repo.full_name}: no default branch, or {seed.branch} exists")
            bases[repo.full_name] = base
        shared: dict[str, tuple[str, list[Path]]] = {}  # base commit -> change commit, pack
        start = as_utc(seed.first_created)
        numbers = {}
        for index, repo in enumerate(repos):
            base = bases[repo.full_name]
            if base in shared and repo.bare.adopt_branch(seed.branch, *shared[base]):
                head = shared[base][0]
            else:
                head, pack = repo.bare.commit_packed(
                    seed.branch, seed.files, message=seed.message, author=seed.author, parent=base
                )
                shared.setdefault(base, (head, pack))
            created = start + index * seed.created_every
            record = IssueRecord(
                id=store.next_id(),
                number=repo.next_number(),
                title=seed.title,
                body=seed.body,
                user=seed.user,
                created_at=created,
                updated_at=created,
                pull=PullRecord(
                    id=store.next_id(),
                    head_ref=seed.branch,
                    head_sha=head,
                    base_ref=repo.default_branch,
                    draft=seed.draft,
                    maintainer_can_modify=True,
                ),
            )
            repo.issues[record.number] = record
            numbers[repo.full_name] = record.number
        return numbers


def _blank(store: Store, branch: str) -> BareRepository:
    """An initialised, empty repository to copy: ``git init`` and its configuration once."""
    folder = store.repos_root / ".templates" / f"{hashlib.sha1(branch.encode()).hexdigest()}.git"
    if not folder.exists():
        BareRepository.create(folder, branch)
    return BareRepository(folder)


def _refuse_existing(store: Store, specs: Sequence[RepositorySpec]) -> None:
    seen: set[str] = set()
    for spec in specs:
        key = spec.full_name.lower()
        if key in seen or store.get(spec.full_name) is not None:
            raise ValueError(f"repository {spec.full_name} already exists")
        seen.add(key)
        path = store.bare_path(spec.full_name)
        if path.exists():
            raise FileExistsError(f"{path} already exists; use a fresh data directory")


def as_utc(moment: datetime | None) -> datetime:
    """``moment`` (naive: UTC) in UTC to the second; None is now."""
    if moment is None:
        return utc_now()
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.replace(microsecond=0)
