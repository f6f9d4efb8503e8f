"""The rollout limits: how many new PRs one run may open, and what the batch may spend.

Both are checked before a repository's session starts, so a repository held back costs no
agent time: it ends ``deferred`` and a later run (or ``--resume``) does it. The budget
counts what AoD reported for every turn of the batch's sessions — those still running
included — and is checked once a quota slot is free, right before the create, so at most
``concurrency`` sessions start after it runs out. Dry runs have no limits.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from aodfix.errors import RepositoryDeferred
from aodfix.manifest import RolloutSettings
from aodfix.report.models import BudgetRecord


class Costing(Protocol):
    cost_usd: float | None


class Rollout:
    def __init__(self, settings: RolloutSettings, *, dry_run: bool) -> None:
        self.max_open = None if dry_run else settings.max_open
        self.open_before = 0  # the batch's open PRs when the run started (for max_open)
        self.max_new = None if dry_run else settings.max_new
        self.max_cost_usd = None if dry_run else settings.max_cost_usd
        self._new = 0
        self._spent = 0.0
        self._running: list[Costing] = []

    def reserve_new_pull_request(self) -> None:
        """Count one more repository that would open a new PR; deferred past ``max_open``
        (with the PRs already open) or ``max_new``."""
        if self.max_open is not None and self.open_before + self._new >= self.max_open:
            raise RepositoryDeferred(
                f"rollout.max_open: {self.max_open} pull requests of this batch are open;"
                " merge or close some and run apply again"
            )
        if self.max_new is not None and self._new >= self.max_new:
            raise RepositoryDeferred(
                f"rollout.max_new: this run already started its {self.max_new} new pull"
                " requests; run apply again to continue"
            )
        self._new += 1

    def admit_session(self) -> None:
        """Deferred once the budget is spent (called with a quota slot in hand)."""
        if self.max_cost_usd is not None and self.spent() >= self.max_cost_usd:
            raise RepositoryDeferred(
                f"budget: the batch's sessions have cost ${self.spent():.2f} of"
                f" rollout.max_cost_usd ${self.max_cost_usd:.2f}"
            )

    def spent(self) -> float:
        return self._spent + sum(run.cost_usd or 0.0 for run in self._running)

    @contextmanager
    def running(self, run: Costing) -> Iterator[None]:
        """Count ``run``'s cost while its session runs, and after."""
        self._running.append(run)
        try:
            yield
        finally:
            self._running.remove(run)
            self._spent += run.cost_usd or 0.0

    def record(self) -> BudgetRecord | None:
        if self.max_cost_usd is None:
            return None
        return BudgetRecord(limit_usd=self.max_cost_usd, spent_usd=round(self.spent(), 6))
