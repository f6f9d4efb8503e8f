"""``report.html``: one self-contained page (no network, no external assets) for reviewers.

Totals on top and a table of repositories that pages, sorts and filters over every row.
Each row's heavy fields (the patch, full error, checks' output, notes) sit once in an
embedded JSON block and are drawn only when the row is opened, so 10,000 repositories stay
one file that a browser opens in a moment. The first page is plain HTML as well, for a
reader without JavaScript. Works offline from a file:// URL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from markupsafe import Markup

from aodfix.patch.checks import CheckResult
from aodfix.redact import redact
from aodfix.report.links import safe_link
from aodfix.report.models import RepoResult, Report, Status
from aodfix.report.templating import environment
from aodfix.report.transcripts import page_name

PAGE_SIZE = 100  # rows per table page; the script pages, the HTML holds the first page
MAX_PATCH_CHARS = 400_000  # one patch in the page; report.json keeps it whole
PATCHES_BUDGET_CHARS = 16_000_000  # all patches together: 10,000 rows stay within 25 MB
MAX_TEXT_CHARS = 20_000  # an error, summary, note or judge's reason
TAIL_CHARS = 2_000  # a failed check's output: its last characters
ERROR_LINE_CHARS = 200  # the error as the row shows it; all of it when the row is opened
SUMMARY_LINE_CHARS = 300
SHORTENED = "\n… (patch shortened; full text in report.json)\n"


@lru_cache(maxsize=1)
def _script() -> Markup:
    """The page's script, read as is (not a template: its braces are JavaScript's)."""
    text = resources.files("aodfix.report").joinpath("templates/report.js").read_text("utf-8")
    assert "</script" not in text.lower()
    return Markup(text)


@dataclass
class _Row:
    """What the first page's plain-HTML rows show; the script draws the same from ``data``."""

    result: RepoResult
    label: str
    files: int
    additions: int
    deletions: int
    pr_url: str | None = None
    log_url: str | None = None  # the readable transcript page, else the raw log
    raw_url: str | None = None  # the raw log, when log_url is its readable page
    bar_add: float = 0.0
    bar_del: float = 0.0

    @property
    def changed(self) -> int:
        return self.additions + self.deletions

    @property
    def error_line(self) -> str:
        return clip(self.result.error.text, ERROR_LINE_CHARS) if self.result.error else ""

    @property
    def summary_line(self) -> str:
        return clip(self.result.summary or "", SUMMARY_LINE_CHARS)

    @property
    def checks_line(self) -> str:
        return checks_line(self.result)


def render_html(report: Report) -> str:
    rows = [_row(result) for result in report.results]
    widest = max((r.changed for r in rows), default=0) or 1
    for row in rows:
        row.bar_add = round(100 * row.additions / widest, 1)
        row.bar_del = round(100 * row.deletions / widest, 1)
    counts = report.totals
    totals = [{"status": s.value, "label": s.label, "count": counts[s.value]} for s in Status]
    limit = patch_limit([len(r.patch or "") for r in report.results])
    data = {
        "pageSize": PAGE_SIZE,
        "widest": widest,
        "labels": {s.value: s.label for s in Status},
        "rows": [_record(row, limit) for row in rows],
    }
    template = environment().get_template("report.html.j2")
    return template.render(
        report=report,
        rows=rows[:PAGE_SIZE],
        count=len(rows),
        pages=max(1, -(-len(rows) // PAGE_SIZE)),
        totals=totals,
        data=script_json(data),
        script=_script(),
    )


def script_json(value: object) -> Markup:
    """``value`` as JSON for a ``<script type="application/json">`` block. It holds no "<"
    at all (each is written ``\\u003c``), so agent-written text such as ``</script>`` or
    ``<!--`` cannot end the block or change how the rest of the page parses."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c"))


def patch_limit(lengths: list[int]) -> int:
    """The longest a patch may be in the page: ``MAX_PATCH_CHARS``, or less when all of
    them would pass ``PATCHES_BUDGET_CHARS``, the longest ones shortened first."""
    remaining, left = PATCHES_BUDGET_CHARS, len(lengths)
    for length in sorted(min(n, MAX_PATCH_CHARS) for n in lengths):
        if length * left > remaining:
            return remaining // left
        remaining, left = remaining - length, left - 1
    return MAX_PATCH_CHARS


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, an ellipsis marking the cut (report.js: clip)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def checks_line(result: RepoResult) -> str:
    """The verify checks in a few words ("checks: 2 passed, 1 failed"); report.js: checksLine."""
    if result.verify is None or not result.verify.commands:
        return ""
    commands = result.verify.commands
    counts = (
        (sum(c.passed for c in commands), "passed"),
        (sum(c.blames_the_change for c in commands), "failed"),
        (sum(not c.passed and c.pre_existing for c in commands), "failing on the base too"),
    )
    line = "checks: " + ", ".join(f"{n} {what}" for n, what in counts if n)
    rounds = result.verify.rounds
    return line + (f" · {rounds} feedback turn{'s' if rounds != 1 else ''}" if rounds else "")


def _row(result: RepoResult) -> _Row:
    stat = result.diffstat
    return _Row(
        result=result,
        label=result.status.label,
        files=stat.files if stat else 0,
        additions=stat.additions if stat else 0,
        deletions=stat.deletions if stat else 0,
        pr_url=safe_link(result.pull_request.url) if result.pull_request else None,
        log_url=safe_link(page_name(result.transcript) or result.transcript),
        raw_url=safe_link(result.transcript) if page_name(result.transcript) else None,
    )


def _record(row: _Row, patch_chars: int) -> dict[str, Any]:
    """One row of the data block: its fields once each, empty ones left out. Free text is
    redacted here, before JSON escapes it: a token after a newline or "<" (``\\nghp_…``)
    no longer starts a word there, so the redaction of the finished page would miss it."""
    r = row.result
    record: dict[str, Any] = {
        "repo": r.repository,
        "status": r.status.value,
        "branch": _text(r.branch),
        "run": r.run,
        "pr": r.pull_request.number if r.pull_request else None,
        "prUrl": row.pr_url,
        "stat": [row.files, row.additions, row.deletions] if r.diffstat else None,
        "turns": r.turns,
        "session": r.timings.session,
        "total": r.timings.total,
        "error": _text(r.error.text) if r.error else None,
        "summary": _text(r.summary),
        "notes": [_text(note) for note in r.notes],
        "log": row.log_url,
        "raw": row.raw_url,
        "patch": _patch(r.patch, patch_chars),
    }
    if r.judge:
        record["judge"] = [r.judge.verdict, _text(r.judge.reason)]
    if r.verify:
        record["rounds"] = r.verify.rounds
        record["checks"] = [
            [_text(c.command), c.exit_code, c.pre_existing, c.seconds, _tail(c)]
            for c in r.verify.commands
        ]
    return {key: value for key, value in record.items() if value not in (None, [], "")}


def _text(text: str | None) -> str | None:
    return clip(redact(text), MAX_TEXT_CHARS) if text else None


def _tail(check: CheckResult) -> str:
    return "" if check.passed else redact(check.output_tail)[-TAIL_CHARS:]


def _patch(text: str | None, limit: int) -> str | None:
    if not text:
        return None
    shown = redact(text[: limit + 256])  # past the cut, so a token across it is masked whole
    return shown if len(text) <= limit else shown[:limit] + SHORTENED
