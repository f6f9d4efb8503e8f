"""The pull request body: the manifest's template, agent text defused, the batch marker.

Agent text is untrusted: an ``@mention`` in a summary copied into 500 PRs would ping a
person 500 times, so mentions are broken with a zero-width space (they still read the
same). The hidden marker lets ``aodfix status`` find the batch's PRs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from aodfix.patch import Diffstat
from aodfix.redact import redact
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


def workflow_run_url(environ: Mapping[str, str] | None = None) -> str:
    """The Actions run this batch runs in, or "" outside GitHub Actions."""
    env = os.environ if environ is None else environ
    server, repo, run = (
        env.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    if env.get("GITHUB_ACTIONS") != "true" or not (server and repo and run):
        return ""
    return f"{server.rstrip('/')}/{repo}/actions/runs/{run}"


def render_body(
    template: str,
    variables: Mapping[str, str],
    *,
    batch: str,
    summary: str | None,
    diffstat: Diffstat,
    session_id: str,
    run_url: str,
) -> str:
    """The PR body for one repository, marker included, within GitHub's size limit."""
    clean_summary = neutralise_mentions(redact((summary or "").strip()))
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
            "session_id": session_id,
            "run_url": run_url,
        },
    )
    text = text.rstrip()[:MAX_BODY_CHARS]
    return f"{text}\n\n{batch_marker(batch)}\n"
