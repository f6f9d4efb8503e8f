"""What the scripted agent does, per repository and per turn.

A scenario is a mapping (YAML file or dict) from ``owner/name`` to a script, plus a
``default`` entry for repositories it does not name::

    default:
      edits:
        - {write: NOTES.md, content: "hello\\n"}
    acme/api:
      delay: 2
      edits:
        - {replace: src/app.py, old: "return 1", new: "return 2"}
      turns:
        2: {exit_code: 1}

The top-level fields of an entry describe turn 1; ``turns`` gives later (or the first)
turns their own script. A turn without one makes no edits and runs the prompt's fenced
``bash`` block, which is what a follow-up turn asks for.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WriteFile(_Strict):
    """Create or overwrite a file with text ``content`` or binary ``base64`` data."""

    write: str
    content: str | None = None
    base64: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> WriteFile:
        if (self.content is None) == (self.base64 is None):
            raise ValueError("a write needs exactly one of 'content' and 'base64'")
        if self.base64 is not None:
            try:
                base64.b64decode(self.base64, validate=True)
            except binascii.Error as exc:
                raise ValueError(f"'base64' is not valid base64: {exc}") from exc
        return self

    def data(self) -> bytes:
        if self.base64 is not None:
            return base64.b64decode(self.base64)
        return (self.content or "").encode()


class ReplaceText(_Strict):
    """Replace ``old`` with ``new`` in a file (first occurrence, or every one with ``all``)."""

    replace: str
    old: str
    new: str
    all: bool = False


class DeleteFile(_Strict):
    delete: str


class RunCommand(_Strict):
    """Run a shell command in the repository as a Bash tool call (e.g. check out a base)."""

    run: str


Edit = WriteFile | ReplaceText | DeleteFile | RunCommand


class TurnScript(_Strict):
    """One turn of the scripted agent. Paths are relative to the first repository."""

    edits: tuple[Edit, ...] = ()
    text: str = "I'll look at the repository and make the requested change."
    result: str = "Done. The requested change is in the working tree."
    delay: float = Field(default=0.0, ge=0)  # seconds spent "working" before the edits
    exit_code: int = Field(default=0, ge=0, le=255)  # the agent process's exit status
    hang: bool = False  # go silent after the first message until timeout or terminate
    # Go silent like ``hang``, and make this session's streams send ``stale`` after this
    # many seconds without output (the service's own threshold is 600 s).
    stale: float | None = Field(default=None, gt=0)
    huge_output: int = Field(default=0, ge=0)  # characters of extra assistant text
    forget_collect: bool = False  # do not run the prompt's fenced bash block
    is_error: bool = False  # the final ``result`` line reports an error
    subtype: str = "success"  # the final ``result`` line's subtype
    cost_usd: float = Field(default=0.0123, ge=0)
    stderr: str = ""  # diagnostics written to stderr
    # Drop the first stream connection opened during this turn after this many events.
    drop_stream_after: int | None = Field(default=None, ge=0)


# A reviewer asked for a verdict line and, unless a scenario says otherwise, approves.
APPROVING_REVIEW = "The change does what the fix prompt asks.\nVERDICT: approve"
# What marks a session as a review: its prompt asks for a verdict line.
REVIEW_HINT = "VERDICT:"


class RepositoryScript(TurnScript):
    """A repository's script: turn 1 in its own fields, other turns in ``turns``, and the
    script of review sessions (prompts asking for a ``VERDICT:`` line) in ``judge``."""

    turns: dict[int, TurnScript] = Field(default_factory=dict)
    judge: RepositoryScript | None = None

    def for_prompt(self, prompt: str) -> RepositoryScript:
        """This script, or its review script when ``prompt`` asks for a verdict."""
        if REVIEW_HINT not in prompt:
            return self
        if self.judge is not None:
            return self.judge
        return RepositoryScript(result=APPROVING_REVIEW, forget_collect=True)

    @field_validator("turns")
    @classmethod
    def _positive(cls, turns: dict[int, TurnScript]) -> dict[int, TurnScript]:
        if any(n < 1 for n in turns):
            raise ValueError("turn numbers start at 1")
        return turns

    def turn(self, number: int) -> TurnScript:
        if number in self.turns:
            return self.turns[number]
        if number == 1:
            return TurnScript.model_validate(self.model_dump(exclude={"turns", "judge"}))
        return TurnScript()


class Scenario(_Strict):
    default: RepositoryScript = Field(default_factory=RepositoryScript)
    repositories: dict[str, RepositoryScript] = Field(default_factory=dict)

    @field_validator("repositories")
    @classmethod
    def _names(cls, repositories: dict[str, RepositoryScript]) -> dict[str, RepositoryScript]:
        for name in repositories:
            if _REPOSITORY.fullmatch(name) is None:
                raise ValueError(f"scenario keys are 'default' or owner/name, got {name!r}")
        return repositories

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Scenario:
        """The scenario of a ``{default: …, owner/name: …}`` mapping."""
        entries = dict(data)
        default = entries.pop("default", {})
        return cls.model_validate({"default": default, "repositories": entries})

    @classmethod
    def load(cls, path: Path) -> Scenario:
        import yaml  # only scenario files need it

        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, Mapping):
            raise ValueError(f"{path}: a scenario is a mapping of owner/name to a script")
        return cls.from_mapping(data)

    @classmethod
    def coerce(cls, value: Scenario | Path | str | Mapping[str, Any] | None) -> Scenario:
        if value is None:
            return cls()
        if isinstance(value, Scenario):
            return value
        if isinstance(value, Path | str):
            return cls.load(Path(value))
        return cls.from_mapping(value)

    def for_repository(self, name: str | None) -> RepositoryScript:
        """The script of ``owner/name`` (compared case-insensitively, as GitHub does)."""
        if name is not None:
            for key, script in self.repositories.items():
                if key.lower() == name.lower():
                    return script
        return self.default
