"""What searches read from git: the files of a default branch, and their contents.

Trees (by commit) and blobs (by sha) never change, so the cache is never invalidated: a push
only moves a branch to a commit not read yet. Repositories seeded from one template share
their commits, so a search over hundreds of them runs git once per distinct commit.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from aodfix.emulator.github.git_repos import BareRepository, TreeFile

_MAX_CACHED_BYTES = 64 * 1024 * 1024


class FileCache:
    def __init__(self, max_bytes: int = _MAX_CACHED_BYTES) -> None:
        self._lock = threading.Lock()
        self._trees: dict[str, list[TreeFile]] = {}
        self._blobs: dict[str, bytes] = {}
        self._bytes = 0
        self._max_bytes = max_bytes

    def files(self, bare: BareRepository, commit: str) -> list[TreeFile]:
        with self._lock:
            cached = self._trees.get(commit)
        if cached is None:
            cached = bare.tree_files(commit)
            with self._lock:
                self._trees[commit] = cached
        return cached

    def contents(self, bare: BareRepository, files: Sequence[TreeFile]) -> dict[str, bytes]:
        """Blob sha to content for ``files`` (one git process for the ones not cached)."""
        with self._lock:
            found = {f.blob: self._blobs[f.blob] for f in files if f.blob in self._blobs}
        missing = list(dict.fromkeys(f.blob for f in files if f.blob not in found))
        if missing:
            read = bare.read_blobs(missing)
            found.update(read)
            with self._lock:
                size = sum(len(data) for data in read.values())
                if self._bytes + size > self._max_bytes:  # a test bed: dropping all is fine
                    self._blobs.clear()
                    self._bytes = 0
                self._blobs.update(read)
                self._bytes += size
        return found
