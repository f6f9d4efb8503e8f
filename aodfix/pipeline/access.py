"""Stage ``resolve``, second half: what the session may read and where the batch may write.

A private repository's session gets a read-only token of its own (``forge.sandbox``), never
aodfix's write token. With ``check_owner``, a batch branch whose tip aodfix did not write
skips the repository before any agent time is spent on it (the push checks again).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from aodfix.forge.resolve import check_branch_owner
from aodfix.forge.sandbox import sandbox_credential
from aodfix.pipeline.context import Context
from aodfix.pipeline.resolve import Resolved, resolve
from aodfix.plan import RepoJob


def look_up(
    context: Context, job: RepoJob, *, check_owner: bool, keep: Callable[[Resolved], None]
) -> Resolved:
    """``resolve`` then ``grant_access`` in one call on the lookups pool: the second half
    never queues behind other repositories' first halves, so the first sessions start as
    soon as their own lookups are done. ``keep`` gets the resolve result before access can
    fail (its branch and base belong in the result either way); it runs while the
    repository's own coroutine awaits this call, so nothing else touches its trail."""
    resolved = resolve(context, job)
    keep(resolved)
    return grant_access(context, resolved, check_owner=check_owner)


def grant_access(context: Context, resolved: Resolved, *, check_owner: bool) -> Resolved:
    """Raises StageError (no token for the sandbox) or RepositorySkipped (foreign branch)."""
    github, manifest = context.github, context.manifest
    token = sandbox_credential(github, resolved.repository, manifest.agent_credentials)
    repository = dataclasses.replace(resolved.repository, sandbox_token=token)
    owner = None
    if check_owner:
        owner = check_branch_owner(github, repository, resolved.job.branch, manifest.name)
    return dataclasses.replace(resolved, repository=repository, branch_owner=owner)
