"""Stage ``resolve``: the repository on GitHub, just before its session.

The base branch and commit are fixed here, once, and the job is rendered for the real
base. (``access`` then settles what the session may read and the batch may write.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from aodfix.errors import StageError
from aodfix.forge.resolve import ResolvedRepository, resolve_repository
from aodfix.pipeline.context import Context
from aodfix.plan import RepoJob
from aodfix.report.models import Stage


@dataclass(frozen=True)
class Resolved:
    job: RepoJob  # rendered for ``repository.base``
    repository: ResolvedRepository
    branch_owner: Literal["absent", "ours"] | None = None  # None: not checked (see access)

    def facts(self) -> Mapping[str, Any]:
        return {
            "branch": self.job.branch,
            "base": self.repository.base,
            "base_sha": self.repository.base_sha,
        }


def resolve(context: Context, job: RepoJob) -> Resolved:
    """Raises StageError (failed at resolve) or RepositorySkipped (archived)."""
    repository = resolve_repository(
        context.github,
        job.repository,
        job.base,
        need_push=not context.options.dry_run,
        git_http=context.git_http,
    )
    try:
        job = job.for_base(repository.base, repository.default_branch)
    except ValueError as exc:  # BranchRefused, TemplateProblem: one line each
        raise StageError(Stage.RESOLVE, f"{job.repository}: {exc}") from None
    return Resolved(job, repository)
