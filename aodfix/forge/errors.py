"""How the GitHub side says a repository cannot go on: failed at a stage, or skipped."""

from __future__ import annotations

from aodfix.redact import redact
from aodfix.report.models import Stage
from aodfix.safe_text import printable


class ForgeError(Exception):
    """The repository failed at ``stage``; ``message`` is one redacted line."""

    def __init__(self, stage: Stage, message: str) -> None:
        self.stage = stage
        self.message = one_line(message)
        super().__init__(self.message)


class RepositorySkipped(Exception):
    """The repository is left alone on purpose (archived, a branch someone else owns)."""

    def __init__(self, stage: Stage, reason: str) -> None:
        self.stage = stage
        self.reason = one_line(reason)
        super().__init__(self.reason)


def one_line(text: str, limit: int = 500) -> str:
    """``text`` redacted, without control characters and folded onto one line, for errors
    shown in tables, logs and reports."""
    folded = " ".join(printable(redact(text)).split())
    return folded if len(folded) <= limit else folded[: limit - 1] + "…"
