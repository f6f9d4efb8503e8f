"""The batch's append-only state file: one JSON line per final result.

Written line by line and flushed at once, so a killed process leaves every finished result
readable (a torn last line is ignored), and synced to disk at most once a second and at the
end; ``--resume`` skips the repositories in it.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO

from aodfix.manifest import Manifest
from aodfix.redact import redact
from aodfix.report.models import RepoResult, Status

SYNC_INTERVAL = 1.0  # seconds between syncs of the state file to disk
# Statuses that end a repository for --resume; failed and deferred ones run again.
FINAL_FOR_RESUME = frozenset(Status) - {Status.FAILED, Status.DEFERRED}


def final_for_resume(result: RepoResult, *, dry_run: bool) -> bool:
    """Whether ``--resume`` skips this recorded result: a dry-run patch ends a repository
    only for another dry run — a real run still has to push it and open the PR."""
    if result.status is Status.DRY_RUN:
        return dry_run
    return result.status in FINAL_FOR_RESUME


def manifest_digest(manifest: Manifest) -> dict[str, str]:
    """What a ``--resume`` must not change under the results it skips: the prompt (with
    every ``prompt_append``), the policy and the PR settings, each as a sha256."""
    appends = [e.prompt_append or "" for e in manifest.entries]
    parts = {
        "prompt": json.dumps([manifest.prompt_text, appends]),
        "policy": manifest.policy.model_dump_json(),
        "pull_request": manifest.pull_request.model_dump_json(),
    }
    return {key: hashlib.sha256(text.encode()).hexdigest() for key, text in parts.items()}


def changed_since(path: Path, manifest: Manifest) -> list[str]:
    """The parts of the manifest that differ from the state file's last run (none: same,
    or a state file written before digests were kept)."""
    recorded: dict[str, str] | None = None
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("manifest"), dict):
            recorded = record["manifest"]
    if recorded is None:
        return []
    now = manifest_digest(manifest)
    return [key for key, value in now.items() if recorded.get(key) != value]


def state_path(report_dir: Path, batch: str) -> Path:
    return report_dir / f"{batch}.state.jsonl"


def read_results(path: Path) -> dict[str, RepoResult]:
    """The last recorded result per repository; unreadable lines are skipped."""
    results: dict[str, RepoResult] = {}
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return results
    for line in lines:
        try:
            record = json.loads(line)
            result = RepoResult.from_dict(record["result"])
        except (ValueError, KeyError, TypeError):
            continue
        results[result.repository] = result
    return results


class StateWriter:
    """Appends results, one line each: flushed at once (a killed process loses nothing),
    synced to disk at most once a second and at the end (the event loop writes them, and
    a sync per line of a batch of thousands would stall it for seconds)."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self._handle: IO[str] | None = None
        self._clock = clock
        self._synced = float("-inf")

    def __enter__(self) -> StateWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = self.path.open("a", encoding="utf-8")
        return self

    def record_manifest(self, manifest: Manifest) -> None:
        """A line naming what this run was made from, for ``changed_since``."""
        self._write(json.dumps({"manifest": manifest_digest(manifest)}))

    def append(self, result: RepoResult) -> None:
        self._write(json.dumps({"result": result.to_dict()}, ensure_ascii=False))

    def _write(self, line: str) -> None:
        assert self._handle is not None, "use StateWriter as a context manager"
        self._handle.write(redact(line) + "\n")
        self._handle.flush()
        if self._clock() - self._synced >= SYNC_INTERVAL:
            os.fsync(self._handle.fileno())
            self._synced = self._clock()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._handle is not None:
            os.fsync(self._handle.fileno())
            self._handle.close()
            self._handle = None
