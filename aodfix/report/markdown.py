"""``report.md``: the batch at a glance, for a terminal, a PR comment or a job summary."""

from __future__ import annotations

import json
import re

from aodfix.report.links import safe_link
from aodfix.report.models import RepoResult, Report, Status, VerifyRecord
from aodfix.safe_text import escape_html

MAX_PATCH_CHARS = 50_000


def render_markdown(report: Report) -> str:
    title = f"# aodfix: {report.manifest_name}" + (" (dry run)" if report.dry_run else "")
    lines = [title, ""]
    if report.interrupted:
        lines += ["**The batch was interrupted**; repositories not finished are marked failed.", ""]
    counts = [f"{n} {Status(s).label}" for s, n in report.totals.items() if n]
    lines += [
        f"{_repositories(len(report.results))}: " + (", ".join(counts) or "none") + ".",
        "",
        f"Started {report.started_at}, finished {report.finished_at or '-'}.",
        "",
        *_budget(report),
        *_selection(report),
        "| Repository | Status | Pull request | Changes | Turns | Time | Detail |",
        "|---|---|---|---|---:|---:|---|",
    ]
    lines += [_row(r) for r in report.results]
    # Patches behind a PR are read on GitHub (and in report.html); here only the others.
    patches = [r for r in report.results if r.patch and r.pull_request is None]
    if patches:
        lines += ["", "## Patches", ""]
        for result in patches:
            lines += _patch_section(result)
    return "\n".join(lines) + "\n"


def _repositories(count: int) -> str:
    return f"{count} repositor{'y' if count == 1 else 'ies'}"


def _budget(report: Report) -> list[str]:
    if report.budget is None:
        return []
    spent, limit = report.budget.spent_usd, report.budget.limit_usd
    return [f"Spent ${spent:.2f} of the ${limit:.2f} budget (rollout.max_cost_usd).", ""]


def _selection(report: Report) -> list[str]:
    """What the selectors found, collapsed: one line per selector."""
    hits = report.selection.hits
    if not hits:
        return []
    total = len(report.selection.repositories())
    noun = "selector" if len(hits) == 1 else "selectors"
    found = _repositories(total)
    lines = [f"<details><summary>Selection: {len(hits)} {noun}, {found}</summary>", ""]
    for hit in hits:
        query = escape_html(json.dumps(hit.selector, ensure_ascii=False))
        names = escape_html(", ".join(hit.repositories)) or "none"
        lines.append(f"- `{escape_html(hit.at)}` `{query}`: {len(hit.repositories)}: {names}")
    return [*lines, "", "</details>", ""]


def _row(result: RepoResult) -> str:
    pr = ""
    if result.pull_request is not None:
        number = f"#{result.pull_request.number}"
        url = safe_link(result.pull_request.url)
        pr = f"[{number}]({url})" if url else number
    changes = ""
    if result.diffstat is not None:
        d = result.diffstat
        changes = f"{d.files} file{'' if d.files == 1 else 's'}, +{d.additions} -{d.deletions}"
    detail = ""
    if result.error is not None:
        detail = result.error.text
        if log := safe_link(result.transcript):
            detail += f" ([agent log]({log}))"
    if result.notes:
        detail = "; ".join(filter(None, [detail, *result.notes]))
    if result.verify is not None:
        detail = "; ".join(filter(None, [detail, _checks(result.verify)]))
    if result.judge is not None:
        verdict = result.judge.verdict or "no verdict"
        judged = f"judge: {verdict}" + (f" ({result.judge.reason})" if result.judge.reason else "")
        detail = "; ".join(filter(None, [detail, judged]))
    cells = [
        f"`{result.repository}`",
        result.status.label,
        pr,
        changes,
        str(result.turns or ""),
        f"{result.timings.total:.0f} s",
        detail,
    ]
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _checks(record: VerifyRecord) -> str:
    """Pass or fail per check, as one cell's text."""
    marks = []
    for check in record.commands:
        if check.passed:
            mark = "passed"
        elif check.pre_existing:
            mark = "fails on the base too"
        else:
            mark = f"failed (exit {check.exit_code})"
        marks.append(f"{check.command}: {mark}")
    rounds = f" after {record.rounds} feedback turn(s)" if record.rounds else ""
    return f"checks{rounds}: " + ", ".join(marks)


def _cell(text: str) -> str:
    """Table cell text that cannot open raw HTML, a comment or a new row."""
    return escape_html(text).replace("|", "\\|").replace("\n", " ")


def fence_for(text: str) -> str:
    """A tilde fence longer than any run of tildes in ``text``, so it cannot be closed."""
    longest = max((len(run) for run in re.findall(r"~+", text)), default=0)
    return "~" * max(3, longest + 1)


def _patch_section(result: RepoResult) -> list[str]:
    patch = result.patch or ""
    shortened = len(patch) > MAX_PATCH_CHARS
    if shortened:
        patch = patch[:MAX_PATCH_CHARS]
    fence = fence_for(patch)
    summary = escape_html(f"{result.repository} ({result.status.label})")
    body = [f"<details><summary>{summary}</summary>", "", f"{fence}diff", patch.rstrip("\n"), fence]
    if shortened:
        body += ["", "_Patch shortened; the full text is in report.json._"]
    return [*body, "", "</details>", ""]
