"""Stage ``resolve``, second half: what the session may read and where the batch may write.

A private repository's session gets a read-only token of its own (``forge.sandbox``), never
aodfix's write token. With ``check_owner``, a batch branch whose tip aodfix did not write
skips the repository before any agent time is spent on it (the push checks again).
"""

from __future__ import annotations

import dataclasses

from aodfix.forge.resolve import check_branch_owner
from aodfix.forge.sandbox import sandbox_credential
from aodfix.pipeline.context import Context
from aodfix.pipeline.resolve import Resolved


def grant_access(context: Context, resolved: Resolved, *, check_owner: bool) -> Resolved:
    """Raises StageError (no token for the sandbox) or RepositorySkipped (foreign branch)."""
    github, manifest = context.github, context.manifest
    token = sandbox_credential(github, resolved.repository, manifest.agent_credentials)
    repository = dataclasses.replace(resolved.repository, sandbox_token=token)
    owner = None
    if check_owner:
        owner = check_branch_owner(github, repository, resolved.job.branch, manifest.name)
    return dataclasses.replace(resolved, repository=repository, branch_owner=owner)
