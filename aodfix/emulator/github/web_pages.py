"""Plain HTML behind the ``html_url`` of an emulated pull request, and its ``.diff``.

aodfix reports link every PR; during ``aodfix demo`` those links should open something a
person can read (title, branches, labels, body, diff) instead of a 404.
"""

from __future__ import annotations

from html import escape

from aodfix.emulator.github import pulls
from aodfix.emulator.github.context import EmulatorContext
from aodfix.emulator.github.request_log import LoggedRequest
from aodfix.emulator.github.store import IssueRecord, PullRecord, RepositoryRecord

_MAX_DIFF = 1_000_000


def pull_page(
    context: EmulatorContext, owner: str, name: str, number: int, *, diff_only: bool, path: str
) -> tuple[int, str, str]:
    """(status, content type, text) for ``/OWNER/NAME/pull/N`` or ``.../pull/N.diff``."""
    with context.store.lock:
        repo = context.store.get(f"{owner}/{name}")
        record = repo.issues.get(number) if repo else None
        if repo is None or record is None or record.pull is None:
            status, kind, text = 404, "text/plain; charset=utf-8", "Not Found\n"
        elif diff_only:
            status, kind = 200, "text/plain; charset=utf-8"
            text = _diff(repo, record, record.pull)
        else:
            status, kind = 200, "text/html; charset=utf-8"
            text = _html(repo, record, record.pull)
    context.log.add(LoggedRequest("web", "GET", path, status))
    return status, kind, text


def _diff(repo: RepositoryRecord, record: IssueRecord, pull: PullRecord) -> str:
    head = pulls.head_sha(repo, record, pull)
    base = pulls.compare_base(repo, pull)
    if base is None:
        return ""
    out = repo.bare.run("diff", f"{base}...{head}").stdout[:_MAX_DIFF]
    return out.decode(errors="replace")


def _html(repo: RepositoryRecord, record: IssueRecord, pull: PullRecord) -> str:
    state = "merged" if pull.merged else record.state
    if pull.draft and record.state == "open":
        state = "draft"
    labels = ", ".join(record.labels) or "none"
    reviewers = ", ".join([*pull.requested_reviewers, *pull.requested_teams]) or "none"
    comments = "".join(
        f"<li><b>{escape(c.user)}</b>: <pre>{escape(c.body)}</pre></li>" for c in record.comments
    )
    return (
        "<!doctype html><meta charset=utf-8>"
        f"<title>{escape(record.title)} · {escape(repo.full_name)}#{record.number}</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "pre{background:#f6f8fa;padding:1em;overflow:auto}</style>"
        f"<h1>{escape(record.title)} <small>#{record.number}</small></h1>"
        f"<p><b>{escape(state)}</b> · {escape(record.user)} wants to merge "
        f"<code>{escape(pull.head_ref)}</code> into <code>{escape(pull.base_ref)}</code> "
        f"in {escape(repo.full_name)}</p>"
        f"<p>Labels: {escape(labels)} · Reviewers: {escape(reviewers)} · "
        f"Assignees: {escape(', '.join(record.assignees) or 'none')}</p>"
        f"<h2>Description</h2><pre>{escape(record.body or '')}</pre>"
        f"<h2>Diff</h2><pre>{escape(_diff(repo, record, pull))}</pre>"
        + (f"<h2>Comments</h2><ul>{comments}</ul>" if comments else "")
    )
