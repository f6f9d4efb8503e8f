"""Manifest v1: the models (single source of truth for keys, defaults and checks) and loading.

Loading never raises anything but ``ManifestError``, whose problems each read
``FILE:LINE: message`` with the line of the offending key, so a typo in a 500-repository
manifest is found before anything runs.
"""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    StringConstraints,
    Tag,
    field_validator,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError

from aodfix.globs import GlobError, compile_glob
from aodfix.templates import BODY_VARIABLES, REPO_VARIABLES, TemplateProblem, check_template
from aodfix.yaml_source import YamlDocument, YamlSourceError, load_yaml

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$"
REPO_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$"
AUTHOR_PATTERN = r"^[^<>\n]+ <[^<>\s@]+@[^<>\s@]+>$"

# AoD's per-turn timeout range (reference §2.5); the manifest timeout bounds each session.
MIN_TIMEOUT = 10
MAX_TIMEOUT = 3600

DEFAULT_BRANCH = "aodfix/{{ name }}"
DEFAULT_TITLE = "{{ name }}: automated fix"
DEFAULT_COMMIT_MESSAGE = "{{ name }}: automated fix\n\nApplied by aodfix."
DEFAULT_AUTHOR = "aodfix <aodfix-bot@users.noreply.github.com>"
DEFAULT_BODY = """\
{{ summary }}

---
**Changes:** {{ diffstat }}
**Batch:** `{{ name }}` · **AoD session:** `{{ session_id }}`\
{% if run_url %} · [workflow run]({{ run_url }}){% endif %}

_Opened by aodfix._
"""

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
Login = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")]
TeamSlug = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,100}$")]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a manifest, at a line of a file."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class ManifestError(Exception):
    """A manifest that cannot be used; ``problems`` holds one line per problem."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def _check_glob(pattern: str) -> str:
    try:
        compile_glob(pattern)
    except GlobError as exc:
        raise ValueError(str(exc)) from None
    return pattern


PathGlob = Annotated[str, AfterValidator(_check_glob)]


def _check_repository_glob(pattern: str) -> str:
    if pattern.count("/") != 1:
        raise ValueError(f"{pattern!r} is not an owner/name glob (e.g. acme/sandbox-*)")
    return _check_glob(pattern)


RepositoryGlob = Annotated[str, AfterValidator(_check_repository_glob)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class VerifySettings(_Strict):
    """The repository's own checks, run in the session on the final tree before any PR."""

    commands: list[Annotated[str, StringConstraints(min_length=1, max_length=2000)]] = Field(
        min_length=1,
        max_length=20,
        description="Shell commands run in the repository (e.g. python -m pytest -q); each"
        " must exit 0.",
    )
    rounds: Annotated[int, Field(ge=0, le=10)] = Field(
        2, description="Feedback turns after a failing command (0: none)."
    )
    timeout: Annotated[int, Field(gt=0, le=MAX_TIMEOUT)] = Field(
        600, description="Seconds per command; a command past it fails."
    )
    on_failure: Literal["fail", "draft"] = Field(
        "fail",
        description="fail: no PR, failed at stage verify; draft: a draft PR labelled"
        " aodfix:verify-failed.",
    )


class JudgeSettings(_Strict):
    """A separate reviewing session per repository, after the checks pass."""

    agent: NonEmpty | None = Field(
        None, description="AoD agent id of the reviewer (default: the batch's agent)."
    )
    instructions: str | None = Field(None, description="Criteria added to aodfix's review prompt.")
    on_reject: Literal["fail", "draft"] = Field(
        "fail",
        description="fail: no PR, failed at stage judge; draft: a draft PR labelled"
        " aodfix:judge-rejected.",
    )


class RolloutSettings(_Strict):
    """How fast the batch reaches teams, and what it may spend."""

    max_open: Annotated[int, Field(gt=0)] | None = Field(
        None,
        description="Never more than this many open PRs of the batch at once; the rest are"
        " deferred before their session.",
    )
    max_new: Annotated[int, Field(gt=0)] | None = Field(
        None,
        description="At most this many new PRs per apply run (a canary); the rest are"
        " deferred before their session.",
    )
    ready_when_checks_pass: bool = Field(
        False,
        description="Open PRs as drafts; status and merge mark each ready once its head's"
        " checks pass.",
    )
    max_cost_usd: Annotated[float, Field(gt=0)] | None = Field(
        None,
        description="The batch's budget: once its sessions have cost this much, no new"
        " session starts and the rest are deferred.",
    )


class RepositoryEntry(_Strict):
    """One repository of the batch, with optional per-repository overrides."""

    name: str = Field(description="Repository as owner/name.")
    base: NonEmpty | None = Field(None, description="Base branch; default: the repository's.")
    prompt_append: str | None = Field(None, description="Appended to the prompt (template).")
    labels: list[NonEmpty] = Field(default_factory=list, description="Extra PR labels.")
    reviewers: list[Login] = Field(default_factory=list, description="Extra PR reviewers.")
    skip: bool = Field(False, description="Keep the repository listed but do not run it.")
    verify: VerifySettings | None = Field(
        None, description="Replaces the batch's whole verify for this repository."
    )

    @field_validator("name")
    @classmethod
    def _repo_name(cls, value: str) -> str:
        return check_repo_name(value)


SELECTOR_KINDS = ("org", "user", "search", "code")


class Selector(_Strict):
    """Repositories chosen by a GitHub query: exactly one of org, user, search or code."""

    org: Login | None = Field(None, description="Every repository of this organisation.")
    user: Login | None = Field(None, description="Every repository this user owns.")
    search: NonEmpty | None = Field(
        None, description="GitHub repository search, as typed on github.com."
    )
    code: NonEmpty | None = Field(
        None, description="GitHub code search: every repository with a match."
    )
    topics: list[NonEmpty] = Field(
        default_factory=list, description="org/user: only repositories with all these topics."
    )
    language: NonEmpty | None = Field(
        None, description="org/user: only repositories of this primary language."
    )
    archived: bool = Field(False, description="Include archived repositories.")
    forks: bool = Field(False, description="Include forks.")

    @model_validator(mode="after")
    def _one_kind(self) -> Selector:
        kinds = [kind for kind in SELECTOR_KINDS if getattr(self, kind) is not None]
        if len(kinds) != 1:
            found = f" (found {' and '.join(kinds)})" if kinds else ""
            raise ValueError(f"a selector needs exactly one of org, user, search, code{found}")
        if kinds[0] in ("search", "code") and (self.topics or self.language):
            raise ValueError(
                f"topics and language filter org and user selectors; in a {kinds[0]}"
                " selector write them into the query (topic:…, language:…)"
            )
        return self

    @property
    def kind(self) -> str:
        """org, user, search or code."""
        return next(kind for kind in SELECTOR_KINDS if getattr(self, kind) is not None)

    @property
    def query(self) -> str:
        """The organisation, user or query text the selector names."""
        value: str = getattr(self, self.kind)
        return value


class SelectEntry(_Strict):
    """A ``select:`` item of ``repositories``: a query that names repositories."""

    select: Selector = Field(description="The query (see the selector keys below).")


def _entry_kind(value: Any) -> str:
    if isinstance(value, SelectEntry) or (isinstance(value, dict) and "select" in value):
        return "<select>"
    return "<entry>"


# Error locations carry these tags; _source_path drops them again.
_ENTRY_TAGS = frozenset({"<select>", "<entry>"})
Entry = Annotated[
    Union[Annotated[RepositoryEntry, Tag("<entry>")], Annotated[SelectEntry, Tag("<select>")]],  # noqa: UP007
    Discriminator(_entry_kind),
]


def check_repo_name(value: str) -> str:
    """Validate ``owner/name`` (a trailing ``.git`` is dropped; see ``warnings``)."""
    name = value.strip()
    name = name.removesuffix(".git")
    if not re.match(REPO_PATTERN, name) or name.split("/")[1] in {".", ".."}:
        raise ValueError(f"{value!r} is not a repository in owner/name form")
    return name


class PullRequestSettings(_Strict):
    """How each repository's pull request looks."""

    branch: NonEmpty = Field(DEFAULT_BRANCH, description="Head branch name (template).")
    title: NonEmpty = Field(DEFAULT_TITLE, description="PR title (template).")
    body: str = Field(
        DEFAULT_BODY,
        description="PR body (template; may also use summary, diffstat, files, additions, "
        "deletions, session_id, run_url). A hidden batch marker is always appended.",
    )
    labels: list[NonEmpty] = Field(default_factory=list, description="Labels on every PR.")
    reviewers: list[Login] = Field(default_factory=list, description="Users asked to review.")
    team_reviewers: list[TeamSlug] = Field(
        default_factory=list, description="Teams (slugs) asked to review."
    )
    assignees: list[Login] = Field(default_factory=list, description="Users assigned.")
    draft: bool = Field(False, description="Open PRs as drafts.")
    close_obsolete: bool = Field(
        True,
        description="apply closes this batch's PRs whose change is no longer needed, or whose"
        " repository left the batch (comment, branch deleted).",
    )


class CommitSettings(_Strict):
    """The commit aodfix makes on the batch branch."""

    message: NonEmpty = Field(DEFAULT_COMMIT_MESSAGE, description="Commit message (template).")
    author: Annotated[str, StringConstraints(pattern=AUTHOR_PATTERN)] = Field(
        DEFAULT_AUTHOR, description="'Name <email>'; also used as committer."
    )


class Policy(_Strict):
    """What a patch may touch before anything is pushed."""

    max_files: Annotated[int, Field(gt=0)] | None = Field(
        200, description="Most files one patch may touch (null: no limit)."
    )
    max_patch_bytes: Annotated[int, Field(gt=0)] | None = Field(
        2_000_000, description="Largest patch in bytes (null: no limit)."
    )
    forbidden_paths: list[PathGlob] = Field(
        default_factory=lambda: [".github/workflows/**"],
        description="Path globs a patch must not touch ('**' spans directories; matched"
        " ignoring case).",
    )
    max_file_bytes: Annotated[int, Field(gt=0)] | None = Field(
        5_000_000, description="Largest file the patch may write, in bytes (null: no limit)."
    )
    allow_submodules: bool = Field(
        False, description="Whether the patch may add or change submodules (.gitmodules, gitlinks)."
    )
    block_secrets: bool = Field(
        True,
        description="Refuse a patch whose added lines hold a credential (the run's tokens,"
        " well-known token formats).",
    )


class Manifest(_Strict):
    """A batch: one fix prompt applied to many repositories."""

    version: Literal[1] = Field(description="Manifest format version; must be 1.")
    name: Slug = Field(description="Batch id: branch names, state and the PR marker use it.")
    prompt: str | None = Field(None, description="The fix prompt (template).")
    prompt_file: str | None = Field(
        None, description="File holding the prompt (template), relative to the manifest."
    )
    agent: NonEmpty | None = Field(None, description="AoD agent id (default: env AOD_AGENT_ID).")
    environment: NonEmpty | None = Field(
        None, description="AoD environment id (packages, env vars such as provider keys)."
    )
    timeout: Annotated[int, Field(ge=MIN_TIMEOUT, le=MAX_TIMEOUT)] = Field(
        900, description="Hard deadline per session in seconds (AoD allows 10..3600 per turn)."
    )
    concurrency: Annotated[int, Field(gt=0, le=1000)] = Field(
        5, description="Repositories in their agent stage at once."
    )
    repositories: list[Entry] = Field(
        min_length=1,
        description="'owner/name' strings, mappings with overrides, or `select:` queries (below).",
    )
    exclude: list[RepositoryGlob] = Field(
        default_factory=list,
        description="owner/name globs of repositories to leave out of what selectors found.",
    )
    agent_credentials: Literal["read-only", "write-token"] = Field(
        "read-only",
        description="What the agent's sandbox may hold to clone a private repository:"
        " read-only (a GitHub App's one-repository token or AODFIX_SANDBOX_TOKEN) or"
        " write-token (aodfix's own token: the agent could push anywhere it reaches).",
    )
    verify: VerifySettings | None = Field(
        None, description="Checks run in each session before its PR (keys below)."
    )
    judge: JudgeSettings | None = Field(
        None, description="An independent review session per repository (keys below)."
    )
    rollout: RolloutSettings = Field(default_factory=RolloutSettings)
    pull_request: PullRequestSettings = Field(default_factory=PullRequestSettings)
    commit: CommitSettings = Field(default_factory=CommitSettings)
    policy: Policy = Field(default_factory=Policy)

    _path: Path = PrivateAttr(default=Path("manifest.yml"))
    _prompt_text: str = PrivateAttr(default="")
    _warnings: list[Problem] = PrivateAttr(default_factory=list)
    _lines: YamlDocument = PrivateAttr(default_factory=lambda: YamlDocument(data=None))

    @field_validator("repositories", mode="before")
    @classmethod
    def _strings_are_names(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"name": item} if isinstance(item, str) else item for item in value]
        return value

    @property
    def path(self) -> Path:
        """The manifest file this was loaded from."""
        return self._path

    @property
    def entries(self) -> list[RepositoryEntry]:
        """The repositories listed by name, in manifest order."""
        return [e for e in self.repositories if isinstance(e, RepositoryEntry)]

    @property
    def selectors(self) -> list[tuple[int, Selector]]:
        """The ``select:`` items with their index in ``repositories``."""
        return [
            (i, e.select) for i, e in enumerate(self.repositories) if isinstance(e, SelectEntry)
        ]

    @property
    def prompt_text(self) -> str:
        """The prompt template, from ``prompt`` or the contents of ``prompt_file``."""
        return self._prompt_text

    def line_of(self, path: Sequence[str | int]) -> int:
        """The manifest line of a key path, for errors found after loading."""
        return self._lines.line_of(path)

    @property
    def warnings(self) -> list[Problem]:
        """Valid but almost surely wrong settings, with their lines."""
        return list(self._warnings)


def load_manifest(path: str | Path) -> Manifest:
    """Read, parse and validate a manifest file, or raise ManifestError."""
    file = Path(path)
    shown = str(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ManifestError([Problem(shown, 1, f"cannot read manifest: {reason}")]) from None
    return parse_manifest(text, file, shown=shown)


def parse_manifest(text: str, path: Path, *, shown: str | None = None) -> Manifest:
    """Validate manifest text; ``path`` anchors ``prompt_file`` and names the file in errors."""
    shown = shown or str(path)
    try:
        doc = load_yaml(text)
    except YamlSourceError as exc:
        raise ManifestError([Problem(shown, exc.line, exc.message)]) from None
    if not isinstance(doc.data, dict):
        kind = "empty" if doc.data is None else type(doc.data).__name__
        message = f"the manifest must be a mapping of keys (version, name, …), not {kind}"
        raise ManifestError([Problem(shown, doc.line_of(()), message)])
    try:
        manifest = Manifest.model_validate(doc.data)
    except PydanticValidationError as exc:
        problems = [
            Problem(shown, doc.line_of(_error_path(err)), _describe(err))
            for err in exc.errors(include_url=False)
        ]
        raise ManifestError(sorted(_dedupe(problems), key=lambda p: p.line)) from None
    problems = [Problem(shown, doc.line_of(p), m) for p, m in _semantic_problems(manifest)]
    prompt_text = manifest.prompt or ""
    if manifest.prompt_file is not None and not problems:
        prompt_path = path.parent / manifest.prompt_file
        try:
            prompt_text = _read_prompt_file(prompt_path, path.parent)
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            line = doc.line_of(("prompt_file",))
            problems.append(Problem(shown, line, f"prompt_file {prompt_path}: {reason}"))
        else:
            line = doc.line_of(("prompt_file",))
            if not prompt_text.strip():
                problems.append(Problem(shown, line, f"prompt_file: {prompt_path} is empty"))
            problems.extend(
                Problem(shown, line, f"prompt_file: {m}")
                for m in _template_problems(prompt_text, REPO_VARIABLES)
            )
    if problems:
        raise ManifestError(sorted(problems, key=lambda p: p.line))
    manifest._path = path
    manifest._prompt_text = prompt_text
    manifest._warnings = _warnings(manifest, doc, shown)
    manifest._lines = doc
    return manifest


MAX_PROMPT_FILE_BYTES = 1_000_000


def _read_prompt_file(prompt_path: Path, folder: Path) -> str:
    """The prompt file's text, from a regular file inside the manifest's folder tree only:
    a manifest shared across teams must not send ``/etc/passwd`` or ``/proc/self/environ``
    (with this run's tokens) to the agent as its prompt."""
    real = prompt_path.resolve()
    if not real.is_relative_to(folder.resolve()):
        raise OSError(0, "must be a file inside the manifest's folder (symlinks resolved)")
    if not real.is_file():
        raise OSError(0, "not a regular file")
    if real.stat().st_size > MAX_PROMPT_FILE_BYTES:
        raise OSError(0, f"larger than {MAX_PROMPT_FILE_BYTES} bytes")
    return real.read_text(encoding="utf-8")


def _semantic_problems(manifest: Manifest) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Checks across keys, each with the path of the key to blame."""
    if manifest.prompt is None and manifest.prompt_file is None:
        yield (), "missing prompt: set 'prompt' or 'prompt_file'"
    if manifest.prompt is not None and manifest.prompt_file is not None:
        yield ("prompt_file",), "set either 'prompt' or 'prompt_file', not both"
    if manifest.prompt is not None and not manifest.prompt.strip():
        yield ("prompt",), "prompt: the prompt is empty"
    seen: dict[str, int] = {}
    for index, entry in enumerate(manifest.repositories):
        if not isinstance(entry, RepositoryEntry):
            continue
        key = entry.name.lower()
        if key in seen:
            yield (
                ("repositories", index),
                f"duplicate repository {entry.name} (first listed as item {seen[key] + 1})",
            )
        else:
            seen[key] = index
    templates: list[tuple[tuple[str | int, ...], str | None, frozenset[str]]] = [
        (("prompt",), manifest.prompt, REPO_VARIABLES),
        (("pull_request", "branch"), manifest.pull_request.branch, REPO_VARIABLES),
        (("pull_request", "title"), manifest.pull_request.title, REPO_VARIABLES),
        (("pull_request", "body"), manifest.pull_request.body, BODY_VARIABLES),
        (("commit", "message"), manifest.commit.message, REPO_VARIABLES),
    ]
    templates += [
        (("repositories", i, "prompt_append"), entry.prompt_append, REPO_VARIABLES)
        for i, entry in enumerate(manifest.repositories)
        if isinstance(entry, RepositoryEntry)
    ]
    for path, source, allowed in templates:
        if source is not None:
            for message in _template_problems(source, allowed):
                yield path, f"{dotted(path)}: {message}"


def _template_problems(source: str, allowed: frozenset[str]) -> list[str]:
    try:
        check_template(source, allowed)
    except TemplateProblem as exc:
        return [str(exc)]
    return []


_VALIDATOR_TAG = re.compile(r"function-(after|before|wrap|plain)\[.*\]\Z", re.DOTALL)


def _source_path(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """Drop pydantic's validator tags from an error location, keeping the YAML keys."""
    return tuple(
        p for p in loc if isinstance(p, int) or not (_VALIDATOR_TAG.match(p) or p in _ENTRY_TAGS)
    )


def _error_path(err: Any) -> tuple[int | str, ...]:
    """The YAML path an error points at; an unknown key is kept verbatim whatever its name."""
    loc: tuple[int | str, ...] = tuple(err["loc"])
    if err["type"] == "extra_forbidden" and loc:
        return (*_source_path(loc[:-1]), loc[-1])
    return _source_path(loc)


def dotted(path: Sequence[int | str]) -> str:
    """A key path as a user writes it: ``repositories[2].prompt_append``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "manifest"


def _describe(err: Any) -> str:
    loc = _error_path(err)
    where = dotted(loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        if not loc:
            return "unknown key"
        parent = dotted(loc[:-1])
        key = loc[-1]
        known = _known_keys(loc[:-1])
        hint = difflib.get_close_matches(str(key), known, n=1, cutoff=0.5)
        suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
        scope = "" if parent == "manifest" else f" in {parent}"
        return f"unknown key {key!r}{scope}{suggestion}"
    if kind == "missing":
        return f"missing required key {where!r}"
    if kind == "literal_error" and loc == ("version",):
        return f"unsupported manifest version {err.get('input')!r}: this aodfix reads version 1"
    message = str(err["msg"]).removeprefix("Value error, ")
    if kind == "too_short" and loc == ("repositories",):
        message = "list at least one repository"
    if kind == "model_type" and loc[:1] == ("repositories",):
        message = (
            "a repository is 'owner/name' or a mapping with a 'name' key (or a 'select:' query)"
        )
    if kind == "string_pattern_mismatch":
        message = f"{err.get('input')!r} is not valid here"
        if loc and loc[0] == "name":
            message += " (a slug: lowercase letters, digits, '-' and '_')"
    return f"{where}: {message}"


def _known_keys(path: Sequence[int | str]) -> list[str]:
    models: list[type[BaseModel]] = [Manifest]
    for part in path:
        if isinstance(part, int):
            continue
        fields = [m.model_fields[part] for m in models if part in m.model_fields]
        models = [m for field in fields for m in _models_in(field.annotation)]
        if not models:
            return []
    return [name for model in models for name in model.model_fields]


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models an annotation holds, through lists, unions and ``Annotated``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[str] = set()
    out = []
    for problem in problems:
        if str(problem) not in seen:
            seen.add(str(problem))
            out.append(problem)
    return out


def _warnings(manifest: Manifest, doc: YamlDocument, shown: str) -> list[Problem]:
    """Valid but almost surely wrong: said out loud, never fatal."""
    found = []
    if manifest.concurrency > 100:
        found.append(
            Problem(
                shown,
                doc.line_of(("concurrency",)),
                f"concurrency {manifest.concurrency} exceeds AoD's default per-user cap of 100; "
                "aodfix adapts to the server's limit",
            )
        )
    for index, item in enumerate(doc.data.get("repositories") or []):
        raw = item.get("name") if isinstance(item, dict) else item
        if isinstance(raw, str) and raw.strip().endswith(".git"):
            line = doc.line_of(("repositories", index))
            found.append(Problem(shown, line, f"repository {raw!r}: drop the '.git' suffix"))
    if manifest.exclude and not manifest.selectors:
        message = "exclude: applies to what select: entries find, and there are none"
        found.append(Problem(shown, doc.line_of(("exclude",)), message))
    for index, entry in enumerate(manifest.repositories):
        if not isinstance(entry, RepositoryEntry):
            continue
        for pattern in manifest.exclude:
            if compile_glob(pattern, ignore_case=True).match(entry.name):
                line = doc.line_of(("repositories", index))
                message = (
                    f"repository {entry.name} matches exclude {pattern!r}, which leaves out"
                    " only what selectors find: it still runs"
                )
                found.append(Problem(shown, line, message))
    return found
