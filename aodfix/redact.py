"""Keep tokens out of everything aodfix writes: logs, reports, PR bodies, error lines."""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

SECRET_ENV_VARS = (
    "AOD_API_TOKEN",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "AODFIX_SANDBOX_TOKEN",
    "AODFIX_GITHUB_APP_PRIVATE_KEY",
)
MASK = "***"

_extra: set[str] = set()
_held: dict[str, str] = {}
# Shapes of GitHub and AoD tokens, masked even when aodfix was not told about them.
_TOKEN_SHAPES = re.compile(
    r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|aod_[A-Za-z0-9_-]{20,})"
)


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


def hold_secrets() -> None:
    """Move the tokens out of this process's environment before anything starts a child
    process (git, GitPython's helpers, a hook), so none inherits them; ``environment()``
    still hands them to the settings, and they stay masked."""
    for name in SECRET_ENV_VARS:
        value = os.environ.pop(name, None)
        if value is not None:
            _held[name] = value
            register_secret(value)


def environment() -> dict[str, str]:
    """This process's settings: its environment plus the tokens ``hold_secrets`` took out."""
    return {**os.environ, **_held}


# What a git child needs from this environment, and nothing else: where programs and home
# are, locale, temp folder, proxies and certificates (Enterprise Server behind a proxy or a
# private CA), and git's own variables.
CHILD_VARIABLES = frozenset(
    {"PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TMPDIR", "TZ", "XDG_CONFIG_HOME"}
    | {"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY"}
    | {"http_proxy", "https_proxy", "no_proxy", "all_proxy"}
    | {"SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE"}
)


def child_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a git child process: only what it needs (``CHILD_VARIABLES``,
    ``LC_*`` and ``GIT_*``) from this one's, and nothing that holds a secret."""
    secrets = known_secrets()
    env = {
        name: value
        for name, value in os.environ.items()
        if (name in CHILD_VARIABLES or name.startswith(("LC_", "GIT_")))
        and not any(s in value for s in secrets)
    }
    env.update(extra or {})
    return env


def known_secrets() -> set[str]:
    found = {environment().get(name, "") for name in SECRET_ENV_VARS}
    forms = {form for secret in found if len(secret) >= 6 for form in encoded_forms(secret)}
    return forms | _extra


def redact(text: str, secrets: Iterable[str] | None = None) -> str:
    """``text`` with every known secret and anything shaped like a token masked."""
    for secret in sorted(
        secrets if secrets is not None else known_secrets(), key=len, reverse=True
    ):
        text = text.replace(secret, MASK)
    return _TOKEN_SHAPES.sub(MASK, text)


def redact_file(path: Path) -> None:
    """Mask, in place, what was registered after ``path`` was written."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return
    path.write_text(redact(text), encoding="utf-8")
