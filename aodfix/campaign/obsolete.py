"""PRs of the batch that no longer belong to it: their repository left the manifest.

After a full ``apply`` (not ``--only`` or ``--shard``, which see part of the batch), every
open PR of this batch in the owners' repositories whose repository is not run any more
(dropped, deselected, ``skip:``) is closed with a comment saying why and its branch is
deleted; it is reported ``pr_closed``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import requests
from github import GithubException

from aodfix.campaign.find import find_batch_pulls
from aodfix.campaign.lifecycle import close_pull, delete_branch
from aodfix.forge.github_client import GitHubGateway, GitHubRateLimited, github_reason
from aodfix.forge.pr_body import batch_marker
from aodfix.plan import RepoJob
from aodfix.report.models import ErrorInfo, PullRequestRef, RepoResult, Stage, Status
from aodfix.safe_text import one_line

LEFT_THE_BATCH = "the repository is no longer part of this batch"


def close_dropped(gateway: GitHubGateway, batch: str, jobs: Sequence[RepoJob]) -> list[RepoResult]:
    """The results of the PRs closed because their repository left the batch."""
    running = {job.repository.lower() for job in jobs if not job.skip}
    results = []
    for key, pull in sorted(find_batch_pulls(gateway, batch, jobs).items()):
        if key in running or pull.state != "open" or pull.merged:
            continue
        ref = PullRequestRef(pull.number, pull.url)
        client = gateway.client(pull.repository.split("/")[0])
        try:
            data = gateway.get_json(client, f"/repos/{pull.repository}/pulls/{pull.number}", {})
            if batch_marker(batch) not in str(data.get("body") or ""):
                continue  # the search matched something else: not aodfix's to close
            branch = str(data["head"]["ref"])
            comment = f"Closed by aodfix: {LEFT_THE_BATCH} (`{batch}`)."
            close_pull(gateway, client, pull.repository, pull.number, comment)
            delete_branch(gateway, client, pull.repository, branch)
        except (GithubException, GitHubRateLimited, requests.RequestException) as exc:
            reason = github_reason(exc) if isinstance(exc, GithubException) else str(exc)
            error = ErrorInfo(Stage.PULL_REQUEST, one_line(f"could not close the PR: {reason}"))
            failed = RepoResult(pull.repository, Status.FAILED, pull_request=ref, error=error)
            results.append(failed)
            continue
        notes = (f"closed: {LEFT_THE_BATCH}",)
        closed = RepoResult(pull.repository, Status.PR_CLOSED, branch=branch, notes=notes)
        results.append(dataclasses.replace(closed, pull_request=ref))
    return results
