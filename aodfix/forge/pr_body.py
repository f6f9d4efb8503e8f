"""The pull request body: the manifest's template, agent text defused, the batch marker.

Agent text is untrusted: an ``@mention`` in a summary copied into 500 PRs would ping a
person 500 times, so mentions are broken with a zero-width space (they still read the
same); and ``<`` is escaped, so agent text can open no HTML or comment that hides the
footer or forges the hidden batch marker by which ``aodfix status`` finds the batch's PRs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from aodfix.patch import Diffstat
from aodfix.patch.checks import CheckResult
from aodfix.redact import redact
from aodfix.safe_text import escape_html
from aodfix.templates import render

MARKER_PREFIX = "<!-- aodfix:batch="
MAX_BODY_CHARS = 60_000  # GitHub refuses bodies over 65 536 characters
MAX_SUMMARY_CHARS = 20_000
_MENTION = re.compile(r"(?<![\w`/@.])@(?=[A-Za-z0-9])")


def batch_marker(batch: str) -> str:
    return f"{MARKER_PREFIX}{batch} -->"


def neutralise_mentions(text: str) -> str:
    """``@user`` and ``@org/team`` no longer notify anyone; e-mail addresses are untouched."""
    return _MENTION.sub("@\u200b", text)


def defuse(text: str) -> str:
    """Untrusted text for a PR body: no secrets, no pings, no HTML (``<`` escaped)."""
    return escape_html(neutralise_mentions(redact(text.strip())))


def _checks_section(checks: Sequence[CheckResult]) -> str:
    """The checks as a reviewer reads them: what passed, what failed (already on the base,
    or still failing on this draft)."""
    lines = []
    for check in checks[:20]:
        command = defuse(check.command).replace("`", "'")
        if check.passed:
            lines.append(f"\n- passed: `{command}`")
        elif check.pre_existing:
            lines.append(f"\n- fails on the base too (not this change): `{command}`")
        else:
            lines.append(f"\n- **failed** (exit {check.exit_code}): `{command}`")
    return f"\n\n**Checks run in the session:**{''.join(lines)}" if lines else ""


def render_body(
    template: str,
    variables: Mapping[str, str],
    *,
    batch: str,
    summary: str | None,
    diffstat: Diffstat,
    session_id: str,
    run_url: str,
    notes: Sequence[str] = (),
    checks: Sequence[CheckResult] = (),
) -> str:
    """The PR body for one repository, marker included, within GitHub's size limit; the
    policy's notes (e.g. files made executable) and the checks the session ran are always
    listed for the reviewer."""
    clean_summary = defuse(summary or "")
    if len(clean_summary) > MAX_SUMMARY_CHARS:
        clean_summary = clean_summary[:MAX_SUMMARY_CHARS] + "\n\n…(summary shortened)"
    text = render(
        template,
        {
            **variables,
            "summary": clean_summary or "_The agent left no summary._",
            "diffstat": str(diffstat),
            "files": diffstat.files,
            "additions": diffstat.additions,
            "deletions": diffstat.deletions,
            "session_id": defuse(session_id),
            "run_url": run_url,
        },
    )
    listed = "".join(f"\n- {defuse(note)}" for note in notes[:50])
    footer = f"\n\n**Please check:**{listed}" if listed else ""
    footer += _checks_section(checks)
    text = text.rstrip()[: MAX_BODY_CHARS - len(footer)] + footer
    return f"{text}\n\n{batch_marker(batch)}\n"
