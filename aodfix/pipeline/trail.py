"""One repository's stage results so far, and the one ``RepoResult`` built from them."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from aodfix.errors import RepositoryDeferred, RepositorySkipped, StageError
from aodfix.report.models import ErrorInfo, RepoResult, Stage, Status, Timings
from aodfix.safe_text import one_line

# Every patch is kept in the report (a reviewer reads what changed without GitHub), bounded:
# past this the start is kept and the PR holds the whole change.
MAX_REPORT_PATCH_CHARS = 200_000
SHORTENED = "\n[… patch shortened in the report; the pull request holds all of it]\n"


class StageResult(Protocol):
    def facts(self) -> Mapping[str, Any]:
        """What this result says about the repository, as ``RepoResult`` fields."""
        ...


R = TypeVar("R", bound=StageResult)


@dataclass
class Trail:
    """The results of the stages run so far; the stage running now, for a failure's place."""

    repository: str
    started: float
    stage: Stage = Stage.RESOLVE
    results: list[StageResult] = field(default_factory=list)

    async def run(self, stage: Stage, step: Awaitable[R]) -> R:
        """Run one stage; its result is kept."""
        self.stage = stage
        result = await step
        self.keep(result)
        return result

    def keep(self, result: StageResult) -> None:
        """Keep ``result``; a stage's later word (its final result) replaces an earlier one."""
        self.results = [r for r in self.results if type(r) is not type(result)] + [result]

    def facts(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for result in self.results:
            values.update(result.facts())
        return values

    def draft(self) -> RepoResult:
        """What is known so far, as a result (for the PR body, which says what the report
        says)."""
        return RepoResult(repository=self.repository, **{"status": Status.FAILED, **self.facts()})

    def result(self, now: float, failure: BaseException | None = None) -> RepoResult:
        """The repository's final result; ``failure`` ends it failed or skipped."""
        values = {"status": Status.FAILED, **self.facts()}
        if isinstance(failure, StageError):
            values.update(failure.facts)
            values.update(status=Status.FAILED, error=ErrorInfo(failure.stage, failure.message))
        elif isinstance(failure, RepositoryDeferred):
            values.update(status=Status.DEFERRED, error=ErrorInfo(failure.stage, failure.reason))
        elif isinstance(failure, RepositorySkipped):
            values.update(status=Status.SKIPPED, error=ErrorInfo(failure.stage, failure.reason))
        elif failure is not None:
            message = one_line(f"internal error: {type(failure).__name__}: {failure}")
            values.update(status=Status.FAILED, error=ErrorInfo(self.stage, message))
        timings = values.get("timings", Timings())
        values["timings"] = dataclasses.replace(timings, total=round(now - self.started, 3))
        patch = values.get("patch")
        if isinstance(patch, str) and len(patch) > MAX_REPORT_PATCH_CHARS:
            values["patch"] = patch[:MAX_REPORT_PATCH_CHARS] + SHORTENED
        return RepoResult(repository=self.repository, **values)
