"""The failures aodfix turns into exit codes and results: a configuration that stops a
command before anything runs (exit 2), and a repository that failed at, or was left alone
at, one stage of its pipeline (its result, never the batch's end)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aodfix.report.models import Stage
from aodfix.safe_text import one_line


class ConfigurationError(Exception):
    """A setting is missing or refused (a token, an unreachable service); nothing ran."""


class StageError(Exception):
    """The repository failed at ``stage``; ``message`` is one redacted, printable line.

    ``facts`` are what the failing stage still learnt, as ``RepoResult`` fields: the
    diffstat of a refused patch, or the start of one too large to keep whole."""

    def __init__(
        self, stage: Stage, message: str, *, facts: Mapping[str, Any] | None = None
    ) -> None:
        self.stage = stage
        self.message = one_line(message)
        self.facts: Mapping[str, Any] = facts or {}
        super().__init__(self.message)


class RepositoryDeferred(Exception):
    """A limit holds the repository back — the rollout's before its session, GitHub's
    content-creation budget before its PR; a later run (``--resume``) does the rest."""

    def __init__(self, reason: str, stage: Stage = Stage.ROLLOUT) -> None:
        self.stage = stage
        self.reason = one_line(reason)
        super().__init__(self.reason)


class RepositorySkipped(Exception):
    """The repository is left alone on purpose (archived, a branch someone else owns)."""

    def __init__(self, stage: Stage, reason: str) -> None:
        self.stage = stage
        self.reason = one_line(reason)
        super().__init__(self.reason)
