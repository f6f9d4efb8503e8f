"""When a fresh run finds nothing left to change, the batch's open PR there is obsolete:
it is closed with a comment saying why and its branch deleted (``pull_request.
close_obsolete``, on by default), and the repository ends ``pr_closed``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aodfix.campaign.lifecycle import close_pull, delete_branch
from aodfix.forge.pr_body import batch_marker
from aodfix.pipeline.context import Context
from aodfix.pipeline.resolve import Resolved
from aodfix.report.models import PullRequestRef, Status

NOTHING_LEFT = "a fresh run found nothing left to change"


@dataclass(frozen=True)
class ClosedPull:
    ref: PullRequestRef | None  # None: there was no open PR of the batch to close

    def facts(self) -> Mapping[str, Any]:
        if self.ref is None:
            return {}
        notes = (f"closed: {NOTHING_LEFT}",)
        return {"status": Status.PR_CLOSED, "pull_request": self.ref, "notes": notes}


def close_obsolete_pull(context: Context, resolved: Resolved) -> ClosedPull:
    """Close the open PR of the batch branch, if there is one. Raises GithubException."""
    job, repository = resolved.job, resolved.repository
    github = context.github
    client = github.client(job.owner)
    path = f"/repos/{repository.full_name}/pulls"
    params = {"head": f"{job.owner}:{job.branch}", "state": "open", "per_page": 10}
    marker = batch_marker(context.manifest.name)
    listed = github.get_json(client, path, params)
    open_pulls = [p for p in listed if marker in str(p.get("body") or "")]
    if not open_pulls:
        return ClosedPull(None)
    pull = max(open_pulls, key=lambda p: int(p["number"]))
    comment = f"Closed by aodfix: {NOTHING_LEFT} for batch `{context.manifest.name}`."
    close_pull(github, client, repository.full_name, int(pull["number"]), comment)
    delete_branch(github, client, repository.full_name, job.branch)
    return ClosedPull(PullRequestRef(int(pull["number"]), str(pull["html_url"])))
