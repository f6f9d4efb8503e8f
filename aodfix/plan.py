"""Manifest -> one ``RepoJob`` per repository: overrides applied, templates rendered.

The base branch of a repository without a ``base`` override is only known once the
repository is resolved on GitHub; ``expand`` renders with the manifest's bases (and checks
branch names against a ref-safe sample base meanwhile), and the resolve stage re-renders a
job with ``RepoJob.for_base`` once it knows the real one. A job carries its templates for that, so
the batch needs no manifest to do it.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from aodfix.errors import ConfigurationError
from aodfix.manifest import (
    JudgeSettings,
    Manifest,
    ManifestError,
    Problem,
    RepositoryEntry,
    VerifySettings,
    dotted,
)
from aodfix.selection.model import Selection
from aodfix.templates import TemplateBudgetExceeded, TemplateProblem, render

# Shown where a template uses {{ base }} before the default branch is known (plan only).
UNRESOLVED_BASE = "(default branch)"
# Stands in for an unknown default branch when checking branch names: a valid ref, and the
# commonest default branch, so `branch: "{{ base }}"` is refused before anything runs.
SAMPLE_BASE = "main"
# Branch names that are some repository's default branch far too often to be a batch branch.
DEFAULT_BRANCH_NAMES = frozenset({"main", "master", "trunk", "develop", "default"})

_BAD_REF = re.compile(r"(^[/.]|[/.]$|\.\.|//|@\{|[\x00-\x20~^:?*\[\\\x7f]|\.lock(/|$))")


class BranchRefused(ValueError):
    """A rendered batch branch aodfix must not push to: the base, HEAD, an invalid name, …"""


@dataclass(frozen=True)
class JobTemplates:
    """The templates a job is rendered from, so that it can re-render itself for its base."""

    name: str  # the batch
    prompt_key: str  # "prompt" or "prompt_file": where errors in the prompt point
    prompt: str
    prompt_append: str | None
    branch: str
    title: str
    commit_message: str


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
    templates: JobTemplates = field(repr=False, compare=False)
    selected_by: str | None = None  # FILE:LINE of the selector that found it; None: listed
    verify: VerifySettings | None = None  # the repository's checks (its own, or the batch's)
    judge: JudgeSettings | None = None  # the batch's reviewing session, if it has one

    def for_base(self, base: str, default_branch: str) -> RepoJob:
        """This job rendered for its resolved ``base`` (``default_branch``: the repository's).

        Raises BranchRefused when the branch would be the base, the default branch or any
        other name aodfix must not push to, and TemplateProblem when a template fails.
        """
        bases = (base, default_branch, self.base)
        if base == self.rendered_base:
            refusal = branch_refusal(self.branch, bases)
            if refusal is not None:
                raise BranchRefused(f"pull_request.branch: {refusal}")
            return self
        try:
            job = _texts(self.templates, self.repository, base, bases, runs=not self.skip)
        except _JobProblems as exc:
            key, problem = exc.problems[0]
            name = self.templates.prompt_key if key == "prompt" else _KEYS[key]
            kind = BranchRefused if key == "branch" else TemplateProblem
            raise kind(f"{name}: {problem}") from None
        return dataclasses.replace(
            self,
            prompt=job.prompt,
            branch=job.branch,
            title=job.title,
            commit_message=job.commit_message,
            rendered_base=base,
        )


def branch_refusal(branch: str, bases: Iterable[str | None]) -> str | None:
    """Why ``branch`` may not be a batch branch, or None; ``bases``: branches it must not be.

    A batch branch equal to the base would put the agent's commit on the base itself.
    """
    folded = branch.casefold()
    if not branch or _BAD_REF.search(branch):
        return f"branch {branch!r} is not a valid git branch name"
    if any(base is not None and folded == base.casefold() for base in bases):
        return f"branch {branch!r} is the base branch"
    if folded in {"head", "@"}:
        return f"branch {branch!r} names HEAD, not a branch of its own"
    if branch.startswith("-"):
        return f"branch {branch!r} starts with '-' (git would read it as an option)"
    if folded.startswith("refs/"):
        return f"branch {branch!r} is a full ref: give the branch name without 'refs/'"
    if folded in DEFAULT_BRANCH_NAMES:
        return f"branch {branch!r} is a well-known default branch name"
    return None


def only_names(values: Iterable[str]) -> list[str]:
    """The repositories ``--only`` names: each value may list several, separated by commas,
    or be ``@FILE``, one name per line (blank lines and ``#`` comments ignored), since
    click takes one value per flag and a batch's subset can be long.

    Raises ConfigurationError naming an ``@FILE`` that cannot be read or names nothing."""
    names: list[str] = []
    for value in values:
        if value.startswith("@"):
            try:
                text = Path(value[1:]).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
                raise ConfigurationError(f"--only {value}: {reason}") from None
            lines = (line.split("#", 1)[0] for line in text.splitlines())
            listed = [line.strip() for line in lines if line.strip()]
            if not listed:  # an empty list must not mean "no filter": run nothing, say so
                raise ConfigurationError(f"--only {value}: the file names no repository")
            names += listed
        else:
            names += [part.strip() for part in value.split(",") if part.strip()]
    return names


def _unknown_only(unknown: Sequence[str], known: Collection[str]) -> str:
    """One line naming what ``--only`` got wrong, with the closest batch repository for
    each of the first few (a typo is the usual cause)."""
    shown = []
    for name in unknown[:5]:
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
        shown.append(f"{name} (did you mean {close[0]}?)" if close else name)
    more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
    what = "a repository" if len(unknown) == 1 else "repositories"
    return f"--only names {what} not in the batch: {', '.join(shown)}{more}"


def expand(
    manifest: Manifest,
    *,
    only: Iterable[str] = (),
    selection: Selection | None = None,
) -> list[RepoJob]:
    """The batch's jobs: listed repositories in manifest order, then those the
    ``selection`` found (sorted by name; a listed one keeps its entry). ``only`` keeps the
    named repositories (as ``only_names`` reads them), after selection.

    Raises ManifestError when ``only`` names a repository that is not in the batch, or a
    template fails for a repository (at the template's line, naming the repository): a
    render error, an empty prompt, a branch name that is invalid or the base.
    """
    wanted = {name.lower().removesuffix(".git") for name in only_names(only)}
    entries = _entries(manifest, selection)
    known = {entry.name.lower() for _, entry, _ in entries}
    shown = str(manifest.path)
    unknown = sorted(wanted - known)
    if unknown:
        message = _unknown_only(unknown, known)
        raise ManifestError([Problem(shown, manifest.line_of(("repositories",)), message)])
    jobs = []
    problems = []
    # Batch-wide templates past a bound (2 s, 1 MB) once: not rendered for 49,999 more.
    exhausted: set[str] = set()
    for index, entry, selected_by in entries:
        if wanted and entry.name.lower() not in wanted:
            continue
        base = entry.base or UNRESOLVED_BASE
        try:
            job = _build(manifest, entry, base, exhausted=exhausted)
            jobs.append(dataclasses.replace(job, selected_by=selected_by))
        except _JobProblems as exc:
            found = []
            for key, problem in exc.problems:
                path = _template_path(manifest, key, index)
                message = f"{dotted(path)}: for {entry.name}: {problem}"
                found.append(Problem(shown, manifest.line_of(path), message))
                if isinstance(problem, TemplateBudgetExceeded) and key != "prompt_append":
                    exhausted.add(key)
            problems += sorted(found, key=lambda p: p.line)
    if problems:
        raise ManifestError(problems)
    return jobs


def _entries(
    manifest: Manifest, selection: Selection | None
) -> list[tuple[int | None, RepositoryEntry, str | None]]:
    """(index in ``repositories``, entry, selector FILE:LINE) of every repository; a
    selected repository has no entry of its own (no index, no overrides)."""
    listed: list[tuple[int | None, RepositoryEntry, str | None]] = [
        (index, entry, None)
        for index, entry in enumerate(manifest.repositories)
        if isinstance(entry, RepositoryEntry)
    ]
    if selection is None:
        return listed
    seen = {entry.name.lower() for _, entry, _ in listed}
    found_by = selection.owner_of()
    selected = [
        (None, RepositoryEntry(name=name), found_by[name.lower()])
        for name in selection.repositories()
        if name.lower() not in seen
    ]
    return listed + selected


# Manifest keys of the templates, by RepoJob field (prompt_append: of the repository entry).
_KEYS = {
    "branch": "pull_request.branch",
    "title": "pull_request.title",
    "commit_message": "commit.message",
    "prompt_append": "prompt_append",
}


class _JobProblems(Exception):
    """What went wrong rendering one job, each with the template (job field) it came from."""

    def __init__(self, problems: Sequence[tuple[str, Exception]]) -> None:
        super().__init__(problems)
        self.problems = list(problems)


def _template_path(manifest: Manifest, key: str, index: int | None) -> tuple[str | int, ...]:
    if key == "prompt":
        return ("prompt_file",) if manifest.prompt_file is not None else ("prompt",)
    if key == "prompt_append" and index is not None:
        return ("repositories", index, "prompt_append")
    return tuple(_KEYS[key].split("."))


def _build(
    manifest: Manifest, entry: RepositoryEntry, base: str, *, exhausted: Collection[str] = ()
) -> RepoJob:
    """One job; raises _JobProblems (``exhausted``: templates not to render, they failed)."""
    pr = manifest.pull_request
    templates = JobTemplates(
        name=manifest.name,
        prompt_key="prompt_file" if manifest.prompt_file is not None else "prompt",
        prompt=manifest.prompt_text,
        prompt_append=entry.prompt_append,
        branch=pr.branch,
        title=pr.title,
        commit_message=manifest.commit.message,
    )
    job = _texts(
        templates, entry.name, base, (entry.base,), runs=not entry.skip, exhausted=exhausted
    )
    owner, repo = entry.name.split("/", 1)
    return RepoJob(
        repository=entry.name,
        owner=owner,
        repo=repo,
        base=entry.base,
        prompt=job.prompt,
        branch=job.branch,
        title=job.title,
        commit_message=job.commit_message,
        labels=_union(pr.labels, entry.labels),
        reviewers=_union(pr.reviewers, entry.reviewers),
        team_reviewers=tuple(pr.team_reviewers),
        assignees=tuple(pr.assignees),
        draft=pr.draft,
        skip=entry.skip,
        verify=entry.verify or manifest.verify,
        judge=manifest.judge,
        rendered_base=base,
        templates=templates,
    )


def _variables(templates: JobTemplates, repository: str, base: str) -> dict[str, str]:
    owner, repo = repository.split("/", 1)
    return {
        "repository": repository,
        "owner": owner,
        "repo": repo,
        "base": base,
        "name": templates.name,
    }


_FIELDS = ("prompt", "prompt_append", "branch", "title", "commit_message")


class _JobTexts(NamedTuple):
    prompt: str
    branch: str
    title: str
    commit_message: str


def _texts(
    templates: JobTemplates,
    repository: str,
    base: str,
    bases: Iterable[str | None],
    *,
    runs: bool,
    exhausted: Collection[str] = (),
) -> _JobTexts:
    """A job's texts rendered for ``base``; raises _JobProblems naming every template that
    fails: a render error, a branch that is invalid or one of ``bases`` (or ``base``), an
    empty prompt for a job that ``runs``. Templates in ``exhausted`` are not rendered."""
    variables = _variables(templates, repository, base)
    texts: dict[str, str] = {}
    problems: list[tuple[str, Exception]] = []
    for key in _FIELDS:
        source = getattr(templates, key)
        if source is not None and key not in exhausted:
            try:
                texts[key] = render(source, variables)
            except TemplateProblem as exc:
                problems.append((key, exc))
    prompt = texts.get("prompt", "")
    if "prompt_append" in texts:
        prompt = prompt.rstrip("\n") + "\n\n" + texts["prompt_append"]
    if runs and "prompt" in texts and not prompt.strip():
        problems.append(("prompt", TemplateProblem("the prompt is empty after templating")))
    if "branch" in texts:
        try:
            refusal = _branch_check(templates, texts["branch"].strip(), variables, bases)
        except TemplateProblem as exc:
            refusal = str(exc)
        if refusal is not None:
            problems.append(("branch", BranchRefused(refusal)))
    if problems or exhausted:
        raise _JobProblems(problems)
    title = " ".join(texts["title"].split())
    return _JobTexts(prompt, texts["branch"].strip(), title, texts["commit_message"])


def _branch_check(
    templates: JobTemplates,
    branch: str,
    variables: Mapping[str, str],
    bases: Iterable[str | None],
) -> str | None:
    """``branch_refusal`` for a rendered branch; before the default branch is known (plan,
    validate), for the branch rendered with SAMPLE_BASE standing in for it."""
    base = variables["base"]
    if base != UNRESOLVED_BASE:
        return branch_refusal(branch, (base, *bases))
    sample = render(templates.branch, {**variables, "base": SAMPLE_BASE}).strip()
    if sample == branch:  # the branch does not depend on the base
        return branch_refusal(branch, bases)
    refusal = branch_refusal(sample, (SAMPLE_BASE, *bases))
    return refusal and f"{refusal} (with {SAMPLE_BASE!r} standing in for the default branch)"


def _union(first: Sequence[str], second: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*first, *second]))


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
