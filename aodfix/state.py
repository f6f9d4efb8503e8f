"""The batch's append-only state file: one JSON line per final result.

Written line by line with fsync, so a crash at any point leaves every finished result
readable (a torn last line is ignored); ``--resume`` skips the repositories in it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import TracebackType
from typing import IO

from aodfix.redact import redact
from aodfix.report.models import RepoResult, Status

# Statuses that end a repository for --resume; failed and deferred ones run again.
FINAL_FOR_RESUME = frozenset(Status) - {Status.FAILED, Status.DEFERRED}


def final_for_resume(result: RepoResult, *, dry_run: bool) -> bool:
    """Whether ``--resume`` skips this recorded result: a dry-run patch ends a repository
    only for another dry run — a real run still has to push it and open the PR."""
    if result.status is Status.DRY_RUN:
        return dry_run
    return result.status in FINAL_FOR_RESUME


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
    """Appends results, one durable line each."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None

    def __enter__(self) -> StateWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = self.path.open("a", encoding="utf-8")
        return self

    def append(self, result: RepoResult) -> None:
        assert self._handle is not None, "use StateWriter as a context manager"
        line = json.dumps({"result": result.to_dict()}, ensure_ascii=False)
        self._handle.write(redact(line) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
