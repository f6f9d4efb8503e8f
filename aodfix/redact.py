"""Keep tokens out of everything aodfix writes: logs, reports, PR bodies, error lines."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from functools import lru_cache

SECRET_ENV_VARS = (
    "AOD_API_TOKEN",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "AODFIX_SANDBOX_TOKEN",
    "AODFIX_GITHUB_APP_PRIVATE_KEY",
)
MASK = "***"

_extra: set[str] = set()
# Shapes of GitHub and AoD tokens, masked even when aodfix was not told about them: at a
# word's start, also right after a JSON escape ("\nghp_…" in a report is a token after a
# newline, not inside a word). The start is checked in ``_mask_token``: a pattern that
# begins with look-behinds is several times slower to scan.
_TOKEN_SHAPES = re.compile(
    r"gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|aod_[A-Za-z0-9_-]{20,}"
)
_JSON_ESCAPES = frozenset({"\\n", "\\r", "\\t", "\\b", "\\f"})
_UNICODE_ESCAPE = re.compile(r"\\u[0-9a-fA-F]{4}")


def _mask_token(match: re.Match[str]) -> str:
    text, start = match.string, match.start()
    before = text[start - 1] if start else " "
    starts_word = not (before.isalnum() or before == "_")
    after_escape = text[start - 2 : start] in _JSON_ESCAPES or bool(
        _UNICODE_ESCAPE.fullmatch(text, max(0, start - 6), start)
    )
    return MASK if starts_word or after_escape else match.group(0)


def register_secret(value: str | None) -> None:
    """Remember a secret so ``redact`` masks it, also base64- or hex-encoded, the forms an
    agent would print it in (values shorter than 6 are ignored)."""
    if value and len(value) >= 6:
        _extra.update(encoded_forms(value))


@lru_cache(maxsize=64)
def encoded_forms(secret: str) -> frozenset[str]:
    """``secret`` and its hex and base64 spellings (standard and URL-safe), the latter at
    each of the three byte offsets it can start at inside longer encoded data: the part of
    the encoding that depends on the secret's bytes alone."""
    raw = secret.encode()
    forms = {secret, raw.hex(), raw.hex().upper()}
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(raw).decode()
        forms |= {whole, whole.rstrip("=")}
        for offset in range(3):
            shifted = encode(b"\0" * offset + raw).decode().rstrip("=")
            core = shifted[4 if offset else 0 : -4]  # groups mixed with other bytes dropped
            if len(core) >= 12:
                forms.add(core)
    return frozenset(forms)


def known_secrets() -> set[str]:
    """Every registered secret in every spelling ``encoded_forms`` knows."""
    return set(_extra)


def redact(text: str, secrets: Iterable[str] | None = None) -> str:
    """``text`` with every known secret and anything shaped like a token masked."""
    for secret in sorted(
        secrets if secrets is not None else known_secrets(), key=len, reverse=True
    ):
        text = text.replace(secret, MASK)
    return _TOKEN_SHAPES.sub(_mask_token, text)
