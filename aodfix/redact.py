"""Keep tokens out of everything aodfix writes: logs, reports, PR bodies, error lines."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

SECRET_ENV_VARS = ("AOD_API_TOKEN", "GITHUB_TOKEN", "GH_TOKEN")
MASK = "***"

_extra: set[str] = set()
# Shapes of GitHub and AoD tokens, masked even when aodfix was not told about them.
_TOKEN_SHAPES = re.compile(
    r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|aod_[A-Za-z0-9_-]{20,})"
)


def register_secret(value: str | None) -> None:
    """Remember a secret so ``redact`` masks it (values shorter than 6 are ignored)."""
    if value and len(value) >= 6:
        _extra.add(value)


def known_secrets() -> set[str]:
    found = {os.environ.get(name, "") for name in SECRET_ENV_VARS}
    return {s for s in found | _extra if len(s) >= 6}


def redact(text: str, secrets: Iterable[str] | None = None) -> str:
    """``text`` with every known secret and anything shaped like a token masked."""
    for secret in sorted(
        secrets if secrets is not None else known_secrets(), key=len, reverse=True
    ):
        text = text.replace(secret, MASK)
    return _TOKEN_SHAPES.sub(MASK, text)
