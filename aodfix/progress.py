"""Where the batch reports what each repository is doing (stage changes and final results).

The orchestrator only calls ``Progress``; how it is shown (plain timestamped lines, JSON
events, a live terminal view, nothing) is the caller's choice.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Protocol

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.markup import escape
from rich.progress_bar import ProgressBar
from rich.table import Table

from aodfix.redact import redact
from aodfix.report.models import ErrorInfo, RepoResult, Report, Stage
from aodfix.safe_text import printable


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

    def __init__(self, stream: IO[str] | None = None, *, annotations: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.annotations = annotations  # on GitHub Actions: failures become annotations

    def stage(self, repository: str, stage: str) -> None:
        self._write(f"{repository}: {stage}")

    def finished(self, result: RepoResult) -> None:
        detail = ""
        if result.error is not None:
            detail = f" {failure_phrase(result.error)}"
        elif result.pull_request is not None:
            detail = f" {result.pull_request.url}"
        self._write(f"{result.repository}: {result.status.value}{detail}")
        if result.error is not None and self.annotations:
            annotate(result)

    def _write(self, text: str) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        self.stream.write(printable(redact(f"{stamp} {text}")) + "\n")
        self.stream.flush()


def failure_phrase(error: ErrorInfo) -> str:
    """What follows the status in a line a person reads: "at policy: …", "(interrupted)"."""
    if error.stage is Stage.INTERRUPTED:
        return "(interrupted)"
    return f"at {error.text}"


def annotate(result: RepoResult) -> None:
    """A GitHub Actions annotation for a failed or skipped repository (on stdout, where the
    runner reads workflow commands), so it shows on the run's summary page."""
    assert result.error is not None
    level = "error" if result.status.value == "failed" else "warning"
    title = _escape(f"aodfix {result.repository} {result.status.value}", property_value=True)
    message = _escape(result.error.text)
    sys.stdout.write(printable(redact(f"::{level} title={title}::{message}")) + "\n")
    sys.stdout.flush()


def _escape(text: str, *, property_value: bool = False) -> str:
    """Workflow-command escaping (properties also escape ':' and ',')."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


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

    def summary(self, report: Report, paths: Mapping[str, Path], exit_code: int) -> None:
        """The stream's last event: a script needs no other output to know how it went."""
        self._emit(
            {
                "event": "summary",
                "manifest": report.manifest_name,
                "dry_run": report.dry_run,
                "interrupted": report.interrupted,
                "repositories": len(report.results),
                "totals": report.totals,
                "reports": {kind: str(path) for kind, path in report_paths(paths)},
                "exit_code": exit_code,
            }
        )

    def _emit(self, event: dict[str, object]) -> None:
        # ISO-8601 in UTC, as report.json's started_at (milliseconds: events come fast)
        stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        event = {"time": stamp, **event}
        self.stream.write(redact(json.dumps(event, ensure_ascii=False)) + "\n")
        self.stream.flush()


def report_paths(paths: Mapping[str, Path]) -> list[tuple[str, Path]]:
    """The report files in the order a person wants them: report.html (what they open)
    first, the others as written."""
    return sorted(paths.items(), key=lambda item: item[0] != "html")


class LiveProgress:
    """A live terminal view: one bar for the batch, a line per repository in flight."""

    def __init__(self, total: int, console: Console | None = None) -> None:
        self.total = total
        self.console = console or Console(stderr=True)
        self.done = 0
        self.counts: dict[str, int] = {}
        self.active: dict[str, tuple[str, float]] = {}
        self._live = Live(get_renderable=self._render, console=self.console, refresh_per_second=4)

    def __enter__(self) -> LiveProgress:
        self._live.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._live.stop()

    def stage(self, repository: str, stage: str) -> None:
        _, since = self.active.get(repository, (stage, time.monotonic()))
        self.active[repository] = (stage, since)

    def finished(self, result: RepoResult) -> None:
        self.active.pop(result.repository, None)
        self.done += 1
        self.counts[result.status.value] = self.counts.get(result.status.value, 0) + 1
        detail = ""
        if result.error is not None:
            detail = f" [dim]{escape(failure_phrase(result.error))}"
        elif result.pull_request is not None:
            detail = f" [dim]{escape(result.pull_request.url)}"
        colour = "red" if result.status.value == "failed" else "green"
        self.console.print(
            printable(
                redact(f"[{colour}]{result.status.value}[/] {escape(result.repository)}{detail}")
            )
        )

    def _render(self) -> RenderableType:
        counts = ", ".join(
            f"[red]{n} {status}[/]" if status == "failed" else f"{n} {status}"
            for status, n in sorted(self.counts.items())
        )
        failed = bool(self.counts.get("failed"))
        header = Table.grid(padding=(0, 1))
        header.add_row(
            # neutral while it runs (rich's default reads as an error); red only for failures
            ProgressBar(
                total=max(self.total, 1),
                completed=self.done,
                width=40,
                complete_style="blue",
                finished_style="red" if failed else "green",
            ),
            f"{self.done}/{self.total}",
            counts,
        )
        rows = Table.grid(padding=(0, 2))
        now = time.monotonic()
        shown = sorted(self.active.items(), key=lambda item: item[1][1])
        for repository, (stage, since) in shown[:30]:
            rows.add_row(escape(repository), escape(stage), f"{now - since:5.0f} s")
        if len(shown) > 30:
            rows.add_row(f"… and {len(shown) - 30} more", "", "")
        return Group(header, rows)


@contextmanager
def progress_for(
    total: int,
    *,
    quiet: bool = False,
    as_json: bool = False,
    interactive: bool = True,
    annotations: bool = False,
) -> Iterator[Progress]:
    """The display that fits where output goes: live on a terminal (unless ``interactive``
    is off, as in CI), plain lines in CI and pipes, with Actions annotations if asked."""
    if as_json:
        yield JsonProgress()
    elif quiet:
        yield SilentProgress()
    elif sys.stderr.isatty() and interactive:
        with LiveProgress(total=total) as live:
            yield live
    else:
        yield LineProgress(annotations=annotations)
