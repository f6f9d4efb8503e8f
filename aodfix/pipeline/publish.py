"""Stage ``apply`` → ``push``: the patch on the base commit, checked as git wrote it, pushed.

What a diff's text can hide is checked on the tree git wrote (modes, symlinks, submodules,
sizes), and credentials among the lines git would add (``policy.block_secrets``). A dry run
stops after the checks; a real run commits and pushes the batch branch, refusing to push
over a commit aodfix did not write.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aodfix.errors import StageError
from aodfix.forge.app_auth import AppAuthError
from aodfix.forge.git_work import Checkout, GitRemote
from aodfix.patch.result import ResultTree
from aodfix.patch.secrets import find_secrets
from aodfix.patch.tree_policy import check_tree
from aodfix.pipeline.agent import AgentResult
from aodfix.pipeline.checks import CheckedPatch, violation_list
from aodfix.pipeline.context import Context
from aodfix.pipeline.resolve import Resolved
from aodfix.redact import known_secrets, register_secret
from aodfix.report.models import Stage, Status
from aodfix.report.transcripts import redact_transcript


@dataclass(frozen=True)
class Published:
    pushed: bool | None  # None: a dry run; False: the branch already held this change
    notes: tuple[str, ...]  # allowed but worth a reviewer's look (mode changes, …)

    def facts(self) -> Mapping[str, Any]:
        facts: dict[str, Any] = {"notes": self.notes}
        if self.pushed is None:
            facts["status"] = Status.DRY_RUN
        return facts


def publish(
    context: Context, resolved: Resolved, checked: CheckedPatch, agent: AgentResult
) -> Published:
    """Raises StageError at apply, policy or push."""
    job, repository = resolved.job, resolved.repository
    manifest, dry_run = context.manifest, context.options.dry_run
    owner = repository.full_name.split("/")[0]
    try:
        token = context.github.token(owner)
    except AppAuthError as exc:
        raise StageError(Stage.PUSH, f"no GitHub App token for {owner}: {exc}") from None
    remote = GitRemote.for_repository(
        context.github.settings.server_url, repository.full_name, token
    )
    with Checkout(remote, repository.base_sha, context.git_http) as checkout:
        checkout.fetch(None if dry_run else job.branch)
        tree = checkout.apply(checked.patch, three_way=not repository.base_is_default)
        notes = _check_tree(context, tree)
        if manifest.policy.block_secrets:
            _check_secrets(context, tree.added, job.repository, agent.transcript, notes)
        if dry_run:
            return Published(None, notes)
        checkout.commit(message=job.commit_message, author=context.author, batch=manifest.name)
        return Published(checkout.publish(job.branch, manifest.name), notes)


def _check_tree(context: Context, tree: ResultTree) -> tuple[str, ...]:
    """The policy on what git wrote; the notes (mode changes, non-ASCII names) it leaves."""
    policy = context.manifest.policy
    verdict = check_tree(
        tree,
        forbidden_paths=policy.forbidden_paths,
        allow_submodules=policy.allow_submodules,
        max_file_bytes=policy.max_file_bytes,
    )
    notes = tuple(verdict.notes)
    if verdict.violations:
        facts = {"notes": notes}
        raise StageError(Stage.POLICY, violation_list(verdict.violations), facts=facts)
    return notes


def _check_secrets(
    context: Context,
    added: bytes,
    repository: str,
    transcript: str | None,
    notes: tuple[str, ...],
) -> None:
    """Credentials among the lines git would add (binary files read as text); each is
    masked from here on, everywhere (the transcript, already written, is masked again)."""
    findings = find_secrets(added, known_secrets())
    if not findings:
        return
    for finding in findings:
        register_secret(finding.value)
    if transcript:
        redact_transcript(context.options.report_dir, transcript, repository)
    found = [
        f"{f.path}:{f.line}: adds a credential ({f.kind}) (policy.block_secrets)" for f in findings
    ]
    raise StageError(Stage.POLICY, violation_list(found), facts={"notes": notes})
