"""What happened to each repository, as plain data that the report and state file share.

Results are frozen: the pipeline builds each one once, from its stages' results. One codec
(pydantic's adapter over these dataclasses) turns them into JSON data and back, for the
state file, report.json and ``aodfix report``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import TypeAdapter, ValidationError

from aodfix.patch.checks import CheckResult
from aodfix.patch.summary import Diffstat
from aodfix.selection.model import Selection


class Status(StrEnum):
    """Every repository ends in exactly one of these (DESIGN.md §3)."""

    PR_OPENED = "pr_opened"
    PR_UPDATED = "pr_updated"
    UNCHANGED = "unchanged"
    NO_CHANGES = "no_changes"
    DRY_RUN = "dry_run"
    FAILED = "failed"
    SKIPPED = "skipped"
    PR_CLOSED = "pr_closed"  # its PR closed: the change is no longer needed or wanted
    DEFERRED = "deferred"  # held back by a limit (rollout, GitHub write budget); runs later

    @property
    def ok(self) -> bool:
        """Whether this status lets the batch exit 0."""
        return self is not Status.FAILED

    @property
    def label(self) -> str:
        """The status as a person reads it ("PR opened"), in every summary and report."""
        return _LABELS[self]


_LABELS = {
    Status.PR_OPENED: "PR opened",
    Status.PR_UPDATED: "PR updated",
    Status.UNCHANGED: "unchanged",
    Status.NO_CHANGES: "no changes",
    Status.DRY_RUN: "dry run",
    Status.FAILED: "failed",
    Status.SKIPPED: "skipped",
    Status.DEFERRED: "deferred",
    Status.PR_CLOSED: "PR closed",
}


class Stage(StrEnum):
    """Where a repository failed or was skipped."""

    RESOLVE = "resolve"
    AGENT = "agent"
    COLLECT = "collect"
    POLICY = "policy"
    APPLY = "apply"
    PUSH = "push"
    VERIFY = "verify"
    JUDGE = "judge"
    ROLLOUT = "rollout"
    PULL_REQUEST = "pull_request"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class PullRequestRef:
    number: int
    url: str


@dataclass(frozen=True)
class ErrorInfo:
    stage: Stage
    message: str

    @property
    def text(self) -> str:
        """Stage and message as one phrase that says each word once: "interrupted" alone
        (its message only repeats it), no "policy: policy: …" when the message names it."""
        stage = self.stage.value
        if self.stage is Stage.INTERRUPTED:
            return stage
        return self.message if self.message.startswith(f"{stage}: ") else f"{stage}: {self.message}"


@dataclass(frozen=True)
class Timings:
    queued: float = 0.0
    session: float = 0.0
    total: float = 0.0


@dataclass(frozen=True)
class VerifyRecord:
    """The repository's checks in its session: ``rounds`` is the feedback turns used."""

    rounds: int
    commands: tuple[CheckResult, ...]

    @property
    def passed(self) -> bool:
        return not any(c.blames_the_change for c in self.commands)


@dataclass(frozen=True)
class JudgeRecord:
    """The reviewing session's verdict on the change."""

    verdict: str | None  # approve, reject, or None: it gave none
    reason: str
    session_id: str | None
    cost_usd: float | None
    turns: int


@dataclass(frozen=True)
class BudgetRecord:
    limit_usd: float
    spent_usd: float


@dataclass(frozen=True)
class RepoResult:
    """The final outcome of one repository; the unit of the state file and the report."""

    repository: str
    status: Status
    branch: str | None = None
    base: str | None = None
    base_sha: str | None = None
    pull_request: PullRequestRef | None = None
    session_id: str | None = None
    diffstat: Diffstat | None = None
    error: ErrorInfo | None = None
    timings: Timings = field(default_factory=Timings)
    turns: int = 0
    cost_usd: float | None = None
    summary: str | None = None
    patch: str | None = None
    transcript: str | None = None  # the session's output, relative to the report directory
    notes: tuple[str, ...] = ()  # allowed but worth a look: mode changes, non-ASCII paths
    verify: VerifyRecord | None = None  # the checks run in the session (verify: in the manifest)
    judge: JudgeRecord | None = None  # the reviewing session's verdict (judge: in the manifest)
    run: str | None = None  # started_at of the run this result came from (report history)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = _RESULT.dump_python(self, mode="json")
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RepoResult:
        """Raises ValueError, one line naming the first wrong field, on a wrong record."""
        try:
            return _RESULT.validate_python(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "result"
            raise ValueError(f"{where}: {first['msg']}") from None


_RESULT: TypeAdapter[RepoResult] = TypeAdapter(RepoResult)


@dataclass
class Report:
    """A batch run: what the report files hold."""

    manifest_name: str
    manifest_path: str
    dry_run: bool
    started_at: str
    finished_at: str | None
    results: list[RepoResult]
    interrupted: bool = False
    budget: BudgetRecord | None = None  # rollout.max_cost_usd and what the sessions cost
    selection: Selection = field(default_factory=Selection)  # what the selectors found

    @property
    def totals(self) -> dict[str, int]:
        counts = {status.value: 0 for status in Status}
        for result in self.results:
            counts[result.status.value] += 1
        return counts

    @property
    def ok(self) -> bool:
        return not self.interrupted and all(r.status.ok for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {
            "manifest": {"name": self.manifest_name, "path": self.manifest_path},
            "dry_run": self.dry_run,
            "interrupted": self.interrupted,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "totals": self.totals,
            "budget": None if self.budget is None else asdict(self.budget),
            "selection": self.selection.to_list(),
            "results": [r.to_dict() for r in self.results],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        manifest = data.get("manifest") or {}
        return cls(
            manifest_name=str(manifest.get("name", "")),
            manifest_path=str(manifest.get("path", "")),
            dry_run=bool(data.get("dry_run")),
            started_at=str(data.get("started_at", "")),
            finished_at=data.get("finished_at"),
            results=[RepoResult.from_dict(r) for r in data.get("results", [])],
            interrupted=bool(data.get("interrupted")),
            selection=Selection.from_list(data.get("selection") or []),
            budget=_budget(data.get("budget")),
        )


def _budget(data: Any) -> BudgetRecord | None:
    if not isinstance(data, dict):
        return None
    return BudgetRecord(float(data.get("limit_usd") or 0), float(data.get("spent_usd") or 0))


def merge_reports(reports: list[Report]) -> Report:
    """One report from the shards of a batch: every repository once, the later shard wins.

    Raises ValueError when the reports are of different batches.
    """
    if not reports:
        raise ValueError("no reports to merge")
    names = {r.manifest_name for r in reports}
    if len(names) > 1:
        raise ValueError(f"reports of different batches: {', '.join(sorted(names))}")
    results: dict[str, RepoResult] = {}
    for report in reports:
        for result in report.results:
            results[result.repository] = result
    finished = [r.finished_at for r in reports]
    return Report(
        manifest_name=reports[0].manifest_name,
        manifest_path=reports[0].manifest_path,
        dry_run=all(r.dry_run for r in reports),
        started_at=min(r.started_at for r in reports),
        finished_at=None if None in finished else max(f for f in finished if f is not None),
        results=list(results.values()),
        interrupted=any(r.interrupted for r in reports),
        selection=next((r.selection for r in reports if r.selection.hits), Selection()),
    )
