"""``status --html``: the campaign on one self-contained page (no network, file:// works).

A burndown of open against merged PRs over time, from the PRs' own created, merged and
closed times, drawn as inline SVG; totals; and the table, grouped by owner and filterable.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aodfix.campaign.status import PullStatus
from aodfix.report.templating import environment

WIDTH, HEIGHT, STEPS = 720, 180, 60


@dataclass(frozen=True)
class Burndown:
    open_points: str  # SVG polyline points
    merged_points: str
    start: str
    end: str
    peak: int


def render_status_page(batch: str, rows: Sequence[PullStatus], now: datetime | None = None) -> str:
    owners: dict[str, list[PullStatus]] = {}
    for row in sorted(rows, key=lambda r: r.repository.lower()):
        owners.setdefault(row.repository.split("/")[0], []).append(row)
    totals = sorted(Counter(row.state for row in rows).items())
    template = environment().get_template("status.html.j2")
    return template.render(
        batch=batch,
        owners=owners,
        totals=totals,
        count=len(rows),
        burndown=burndown(rows, now or datetime.now(UTC)),
        generated=(now or datetime.now(UTC)).isoformat(timespec="seconds"),
    )


def burndown(rows: Sequence[PullStatus], now: datetime) -> Burndown | None:
    """Open and merged PRs at ``STEPS`` moments from the first PR's creation to ``now``."""
    spans = [
        (_time(r.created_at), _time(r.merged_at), _time(r.merged_at or r.closed_at))
        for r in rows
        if r.created_at
    ]
    starts = [created for created, _, _ in spans if created is not None]
    if not starts:
        return None
    first = min(starts)
    span = max(now - first, timedelta(seconds=1))
    moments = [first + span * i / (STEPS - 1) for i in range(STEPS)]
    opened = [
        sum(1 for c, _, ended in spans if c and c <= t and (ended is None or ended > t))
        for t in moments
    ]
    merged = [sum(1 for _, m, _ in spans if m is not None and m <= t) for t in moments]
    peak = max(max(opened), max(merged), 1)

    def points(values: list[int]) -> str:
        return " ".join(
            f"{WIDTH * i / (STEPS - 1):.1f},{HEIGHT - HEIGHT * v / peak:.1f}"
            for i, v in enumerate(values)
        )

    start, end = first.date().isoformat(), now.date().isoformat()
    return Burndown(points(opened), points(merged), start, end, peak)


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
