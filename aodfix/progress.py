"""Where the batch reports what each repository is doing (stage changes and final results).

The orchestrator only calls ``Progress``; how it is shown (plain timestamped lines, JSON
events, a live terminal view, nothing) is the caller's choice.
"""

from __future__ import annotations

import json
import sys
import time
from typing import IO, Protocol

from aodfix.redact import redact
from aodfix.report.models import RepoResult


class Progress(Protocol):
    def stage(self, repository: str, stage: str) -> None: ...

    def finished(self, result: RepoResult) -> None: ...


class SilentProgress:
    def stage(self, repository: str, stage: str) -> None:
        pass

    def finished(self, result: RepoResult) -> None:
        pass


class LineProgress:
    """One plain, timestamped line per state change: for CI logs and pipes."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr

    def stage(self, repository: str, stage: str) -> None:
        self._write(f"{repository}: {stage}")

    def finished(self, result: RepoResult) -> None:
        detail = ""
        if result.error is not None:
            detail = f" at {result.error.stage.value}: {result.error.message}"
        elif result.pull_request is not None:
            detail = f" {result.pull_request.url}"
        self._write(f"{result.repository}: {result.status.value}{detail}")

    def _write(self, text: str) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        self.stream.write(redact(f"{stamp} {text}") + "\n")
        self.stream.flush()


class JsonProgress:
    """One JSON object per line, for scripts."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout

    def stage(self, repository: str, stage: str) -> None:
        self._emit({"event": "stage", "repository": repository, "stage": stage})

    def finished(self, result: RepoResult) -> None:
        data = result.to_dict()
        data.pop("patch", None)
        self._emit({"event": "result", **data})

    def _emit(self, event: dict[str, object]) -> None:
        event = {"time": round(time.time(), 3), **event}
        self.stream.write(redact(json.dumps(event, ensure_ascii=False)) + "\n")
        self.stream.flush()
