"""``report.html``: one self-contained page (no network, no external assets) for reviewers.

Totals on top, a sortable and filterable table of repositories, and every patch as a
colourised unified diff that expands in place. Works offline from a file:// URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import jinja2
from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import DiffLexer

from aodfix.report.links import safe_link
from aodfix.report.models import RepoResult, Report, Status

MAX_PATCH_CHARS = 400_000


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("aodfix.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@dataclass
class _Row:
    index: int
    result: RepoResult
    label: str
    files: int
    additions: int
    deletions: int
    diff: Markup | None
    pr_url: str | None = None
    log_url: str | None = None
    bar_add: float = 0.0
    bar_del: float = 0.0

    @property
    def changed(self) -> int:
        return self.additions + self.deletions


def render_html(report: Report) -> str:
    formatter: HtmlFormatter[str] = HtmlFormatter(cssclass="diff")
    lexer = DiffLexer()
    rows = [_row(i, result, lexer, formatter) for i, result in enumerate(report.results)]
    widest = max((r.changed for r in rows), default=0) or 1
    for row in rows:
        row.bar_add = round(100 * row.additions / widest, 1)
        row.bar_del = round(100 * row.deletions / widest, 1)
    totals = [
        {"status": s.value, "label": s.label, "count": report.totals[s.value]} for s in Status
    ]
    template = environment().get_template("report.html.j2")
    return template.render(
        report=report,
        rows=rows,
        totals=totals,
        pygments_css=Markup(formatter.get_style_defs(".diff")),  # type: ignore[no-untyped-call]
    )


def _row(index: int, result: RepoResult, lexer: DiffLexer, formatter: HtmlFormatter[str]) -> _Row:
    diff = None
    if result.patch:
        text = result.patch
        if len(text) > MAX_PATCH_CHARS:
            text = text[:MAX_PATCH_CHARS] + "\n… (patch shortened; full text in report.json)\n"
        diff = Markup(highlight(text, lexer, formatter))
    stat = result.diffstat
    return _Row(
        index=index,
        result=result,
        label=result.status.label,
        files=stat.files if stat else 0,
        additions=stat.additions if stat else 0,
        deletions=stat.deletions if stat else 0,
        diff=diff,
        pr_url=safe_link(result.pull_request.url) if result.pull_request else None,
        log_url=safe_link(result.transcript),
    )
