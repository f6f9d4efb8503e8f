"""Manifest -> one ``RepoJob`` per repository: overrides applied, templates rendered.

The base branch of a repository without a ``base`` override is only known once the
repository is resolved on GitHub; ``expand`` renders with the bases it is given and the
batch re-renders a job with ``for_base`` once it knows the real one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from aodfix.manifest import Manifest, ManifestError, Problem, RepositoryEntry
from aodfix.templates import TemplateProblem, render

# Shown where a template uses {{ base }} before the default branch is known (plan only).
UNRESOLVED_BASE = "(default branch)"

_BAD_REF = re.compile(r"(^[/.]|[/.]$|\.\.|//|@\{|[\x00-\x20~^:?*\[\\\x7f]|\.lock(/|$))")


@dataclass(frozen=True)
class RepoJob:
    """Everything aodfix needs to run one repository of the batch."""

    repository: str
    owner: str
    repo: str
    base: str | None  # the manifest's override; None: the repository's default branch
    prompt: str
    branch: str
    title: str
    commit_message: str
    labels: tuple[str, ...]
    reviewers: tuple[str, ...]
    team_reviewers: tuple[str, ...]
    assignees: tuple[str, ...]
    draft: bool
    skip: bool
    rendered_base: str  # the base the templates were rendered with

    def for_base(self, manifest: Manifest, base: str) -> RepoJob:
        """This job with templates rendered for the resolved base branch."""
        if base == self.rendered_base:
            return self
        entry = _entry(manifest, self.repository)
        return _build(manifest, entry, base)


def expand(
    manifest: Manifest,
    *,
    only: Iterable[str] = (),
    bases: Mapping[str, str] | None = None,
) -> list[RepoJob]:
    """The batch's jobs in manifest order; ``only`` keeps the named repositories.

    Raises ManifestError when ``only`` names a repository that is not in the manifest or a
    rendered branch name is not a valid git ref.
    """
    wanted = {name.lower().removesuffix(".git") for name in only}
    known = {entry.name.lower() for entry in manifest.repositories}
    shown = str(manifest.path)
    unknown = sorted(wanted - known)
    if unknown:
        names = ", ".join(unknown)
        message = f"--only names repositories not listed: {names}"
        raise ManifestError([Problem(shown, manifest.line_of(("repositories",)), message)])
    jobs = []
    problems = []
    for index, entry in enumerate(manifest.repositories):
        if wanted and entry.name.lower() not in wanted:
            continue
        base = entry.base or (bases or {}).get(entry.name) or UNRESOLVED_BASE
        try:
            jobs.append(_build(manifest, entry, base))
        except (TemplateProblem, ValueError) as exc:
            line = manifest.line_of(("repositories", index))
            problems.append(Problem(shown, line, f"{entry.name}: {exc}"))
    if problems:
        raise ManifestError(problems)
    return jobs


def _entry(manifest: Manifest, repository: str) -> RepositoryEntry:
    for entry in manifest.repositories:
        if entry.name == repository:
            return entry
    raise KeyError(repository)


def _build(manifest: Manifest, entry: RepositoryEntry, base: str) -> RepoJob:
    owner, repo = entry.name.split("/", 1)
    variables = {
        "repository": entry.name,
        "owner": owner,
        "repo": repo,
        "base": base,
        "name": manifest.name,
    }
    prompt = render(manifest.prompt_text, variables)
    if entry.prompt_append:
        prompt = prompt.rstrip("\n") + "\n\n" + render(entry.prompt_append, variables)
    pr = manifest.pull_request
    branch = render(pr.branch, variables).strip()
    if _BAD_REF.search(branch) or not branch:
        raise ValueError(f"branch {branch!r} is not a valid git branch name")
    return RepoJob(
        repository=entry.name,
        owner=owner,
        repo=repo,
        base=entry.base,
        prompt=prompt,
        branch=branch,
        title=" ".join(render(pr.title, variables).split()),
        commit_message=render(manifest.commit.message, variables),
        labels=_union(pr.labels, entry.labels),
        reviewers=_union(pr.reviewers, entry.reviewers),
        team_reviewers=tuple(pr.team_reviewers),
        assignees=tuple(pr.assignees),
        draft=pr.draft,
        skip=entry.skip,
        rendered_base=base,
    )


def _union(first: Sequence[str], second: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*first, *second]))


def job_warnings(jobs: Sequence[RepoJob]) -> list[str]:
    """Jobs that are valid but almost surely wrong."""
    return [
        f"{job.repository}: the prompt is empty after templating"
        for job in jobs
        if not job.skip and not job.prompt.strip()
    ]


def parse_shard(value: str) -> tuple[int, int]:
    """``"I/N"`` (1-based) -> (I, N); raises ValueError on anything else."""
    index_text, _, count_text = value.partition("/")
    index, count = int(index_text), int(count_text)
    if not 1 <= index <= count:
        raise ValueError(f"shard {value!r} must be I/N with 1 <= I <= N")
    return index, count


def select_shard(jobs: Sequence[RepoJob], index: int, count: int) -> list[RepoJob]:
    """The jobs of shard ``index`` of ``count``: every count-th job in manifest order."""
    return [job for position, job in enumerate(jobs) if position % count == index - 1]


def shard_matrix(count: int) -> dict[str, list[dict[str, str]]]:
    """A GitHub Actions ``strategy.matrix`` running ``aodfix apply --shard I/N``."""
    return {"include": [{"shard": f"{i}/{count}"} for i in range(1, count + 1)]}
