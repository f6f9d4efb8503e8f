"""Stage ``pull_request``: open the batch branch's PR, or bring the open one up to date.

The body says what the report says: the agent's summary, the diffstat, the session and the
notes, so it is rendered from the result as it stands (``Trail.draft``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aodfix.forge.pr_body import render_body
from aodfix.forge.pulls import PullRequestRequest, open_or_update
from aodfix.patch import Diffstat
from aodfix.pipeline.context import Context
from aodfix.pipeline.resolve import Resolved
from aodfix.report.models import PullRequestRef, RepoResult, Status


@dataclass(frozen=True)
class OpenedPullRequest:
    ref: PullRequestRef
    status: Status  # pr_opened, pr_updated, or unchanged (same branch, same PR)

    def facts(self) -> Mapping[str, Any]:
        return {"pull_request": self.ref, "status": self.status}


def open_pull_request(
    context: Context, resolved: Resolved, so_far: RepoResult, *, pushed: bool
) -> OpenedPullRequest:
    """``pushed``: the branch moved, so an existing PR is updated. Raises StageError."""
    job, repository, manifest = resolved.job, resolved.repository, context.manifest
    body = render_body(
        manifest.pull_request.body,
        {
            "repository": job.repository,
            "owner": job.owner,
            "repo": job.repo,
            "base": repository.base,
            "name": manifest.name,
        },
        batch=manifest.name,
        summary=so_far.summary,
        diffstat=so_far.diffstat or Diffstat(),
        session_id=so_far.session_id or "",
        run_url=context.options.run_url,
        notes=so_far.notes,
        checks=so_far.verify.commands if so_far.verify else (),
    )
    want = PullRequestRequest(
        branch=job.branch,
        base=repository.base,
        title=job.title,
        body=body,
        draft=job.draft or manifest.rollout.ready_when_checks_pass,
        labels=job.labels,
        reviewers=job.reviewers,
        team_reviewers=job.team_reviewers,
        assignees=job.assignees,
    )
    pr = open_or_update(context.github, repository, want, branch_moved=pushed)
    status = Status.PR_UPDATED if pushed else Status.UNCHANGED
    if pr.created:
        status = Status.PR_OPENED
    return OpenedPullRequest(PullRequestRef(pr.number, pr.url), status)
