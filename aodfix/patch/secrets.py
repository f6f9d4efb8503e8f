"""Credentials in the lines a patch adds, found before anything is pushed.

Two sources: the run's own secrets (its tokens and everything registered for redaction, in
their encoded forms too) and well-known credential formats, recognised by detect-secrets'
format plugins. Its entropy and keyword plugins are left out on purpose: they flag lockfile
hashes and test fixtures, and a fleet-wide change often touches exactly those.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from detect_secrets.core.scan import scan_line
from detect_secrets.settings import (
    cache_bust,
    configure_settings_from_baseline,
    get_filters,
    get_plugins,
)

FORMAT_PLUGINS = (
    "ArtifactoryDetector",
    "AWSKeyDetector",
    "AzureStorageKeyDetector",
    "BasicAuthDetector",
    "DiscordBotTokenDetector",
    "GitHubTokenDetector",
    "GitLabTokenDetector",
    "JwtTokenDetector",
    "MailchimpDetector",
    "NpmDetector",
    "OpenAIDetector",
    "PrivateKeyDetector",
    "PypiTokenDetector",
    "SendGridDetector",
    "SlackDetector",
    "SquareOAuthDetector",
    "StripeDetector",
    "TelegramBotTokenDetector",
    "TwilioKeyDetector",
)
MAX_LINE_CHARS = 10_000  # minified files: a credential format is short, a 1 MB line is not


@dataclass(frozen=True)
class SecretFinding:
    path: str
    line: int  # in the new file
    kind: str
    value: str  # the matched text, to be masked wherever the patch is shown


def find_secrets(patch: bytes, run_secrets: Iterable[str]) -> list[SecretFinding]:
    """Every credential in the added lines of ``patch``."""
    _use_format_plugins()
    own = sorted({s for s in run_secrets if len(s) >= 6}, key=len, reverse=True)
    found: list[SecretFinding] = []
    for path, number, text in added_lines(patch):
        for secret in own:
            if secret in text:
                found.append(SecretFinding(path, number, "a token of this run", secret))
                break
        else:
            for potential in scan_line(text[:MAX_LINE_CHARS]):
                value = potential.secret_value or ""
                found.append(SecretFinding(path, number, potential.type, value))
                break
    return found


_settings_lock = threading.Lock()
_settings_done = False


def _use_format_plugins() -> None:
    """detect-secrets keeps its settings in the process: set them once (aodfix is their only
    user) and fill its caches, then scan from any thread. Setting them per scan (its
    ``transient_settings``) from several threads at once restored one thread's settings
    under another's scan ("dictionary changed size during iteration")."""
    global _settings_done
    with _settings_lock:
        if _settings_done:
            return
        cache_bust()
        configure_settings_from_baseline({"plugins_used": [{"name": n} for n in FORMAT_PLUGINS]})
        get_plugins()
        get_filters()
        _settings_done = True


def added_lines(patch: bytes) -> Iterator[tuple[str, int, str]]:
    """(path, new line number, text) of every ``+`` line of a text diff. File headers are
    read only between ``diff --git`` and the first hunk: inside a hunk, ``+++ x`` is an
    added line like any other."""
    path, number, in_header = "", 0, False
    for raw in patch.split(b"\n"):
        if raw.startswith(b"diff --git "):
            in_header = True
        elif in_header and raw.startswith(b"+++ "):
            name = raw[4:].decode("utf-8", "replace")
            path = name[2:] if name.startswith("b/") else name
        elif raw.startswith(b"@@ "):
            in_header = False
            plus = raw.split(b" ")[2] if raw.count(b" ") >= 2 else b"+0"
            number = int(plus[1:].split(b",")[0] or b"0") - 1
        elif in_header:
            continue
        elif raw.startswith(b"+"):
            number += 1
            yield path, number, raw[1:].decode("utf-8", "replace")
        elif raw.startswith(b" "):
            number += 1
