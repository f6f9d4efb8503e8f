"""This process's environment: the only place aodfix reads it.

``hold_secrets`` runs first, at the CLI's start: it takes the tokens out of the process
environment so no child process (git, GitPython's helpers, a hook) inherits them;
``environment()`` still has them, for the settings. Child processes get
``child_environment``: an allowlist of this one's variables, never a secret.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from aodfix.redact import SECRET_ENV_VARS, known_secrets, register_secret

_held: dict[str, str] = {}

# What a git child needs from this environment, and nothing else: where programs and home
# are, locale, temp folder, proxies and certificates (Enterprise Server behind a proxy or a
# private CA), and git's own variables.
CHILD_VARIABLES = frozenset(
    {"PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TMPDIR", "TZ", "XDG_CONFIG_HOME"}
    | {"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY"}
    | {"http_proxy", "https_proxy", "no_proxy", "all_proxy"}
    | {"SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE"}
)


def hold_secrets() -> None:
    """Move the tokens out of this process's environment before anything starts a child
    process; ``environment()`` still hands them to the settings, and they stay masked."""
    for name in SECRET_ENV_VARS:
        value = os.environ.pop(name, None)
        if value is not None:
            _held[name] = value
            register_secret(value)


def environment() -> dict[str, str]:
    """This process's environment plus the tokens ``hold_secrets`` took out of it."""
    return {**os.environ, **_held}


def child_environment(
    extra: Mapping[str, str] | None = None, *, git_config: Iterable[tuple[str, str]] = ()
) -> dict[str, str]:
    """The environment for a git child process: only what it needs (``CHILD_VARIABLES``,
    ``LC_*`` and ``GIT_*``) from this one's, nothing that holds a secret, then ``extra``;
    ``git_config`` pairs are added after any ``GIT_CONFIG_*`` this process inherited."""
    secrets = known_secrets()
    env = {
        name: value
        for name, value in os.environ.items()
        if (name in CHILD_VARIABLES or name.startswith(("LC_", "GIT_")))
        and not any(s in value for s in secrets)
    }
    env.update(extra or {})
    pairs = list(git_config)
    if pairs:
        start = int(env.get("GIT_CONFIG_COUNT", "0") or 0)
        for offset, (key, value) in enumerate(pairs):
            env[f"GIT_CONFIG_KEY_{start + offset}"] = key
            env[f"GIT_CONFIG_VALUE_{start + offset}"] = value
        env["GIT_CONFIG_COUNT"] = str(start + len(pairs))
    return env


def crash_log_dir() -> Path | None:
    """``AODFIX_LOG_DIR``: where the CLI's crash logs go (None: a new private folder)."""
    chosen = os.environ.get("AODFIX_LOG_DIR")
    return Path(chosen) if chosen else None
