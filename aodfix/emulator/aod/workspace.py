"""A session's private stand-in for a Sprite's filesystem, and the path mapping onto it.

A real sandbox has the repositories under ``/workspace/<repo>`` (or a custom mount path) and
the agent user's home at ``/home/sprite``. The emulator cannot own those paths, so each
session gets a private directory ``root`` that plays ``/``: ``/workspace/api`` lives at
``root/workspace/api``. Commands and prompts name the sandbox paths; ``to_real`` rewrites
them before anything runs, ``to_virtual`` rewrites what comes back so agents and clients
only ever see sandbox paths, as they would on the real service.

This module is imported by the scripted agent's process: it stays free of heavy imports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

SANDBOX_HOME = "/home/sprite"
SANDBOX_WORKSPACE = "/workspace"

# A sandbox path starts where no path or shell-variable character precedes it (so
# ``/tmp/workspace`` or ``${X}/workspace`` are left alone) and ends at a path boundary.
_BEFORE = r"(?<![\w.~$}/-])"
_AFTER = r"(?=$|[/\s'\"`;:)\]|&<>,=*?])"


@dataclass(frozen=True)
class Sandbox:
    """The real directory standing in for a session's ``/`` and the sandbox paths it maps."""

    root: Path
    mount_paths: tuple[str, ...] = ()
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        prefixes = {SANDBOX_HOME, SANDBOX_WORKSPACE, *self.mount_paths}
        alternatives = "|".join(
            re.escape(p.rstrip("/")) for p in sorted(prefixes, key=len, reverse=True)
        )
        object.__setattr__(self, "_pattern", re.compile(f"{_BEFORE}(?:{alternatives}){_AFTER}"))

    @property
    def home(self) -> Path:
        return self.real(SANDBOX_HOME)

    @property
    def workspace(self) -> Path:
        return self.real(SANDBOX_WORKSPACE)

    def real(self, sandbox_path: str) -> Path:
        """The real path of an absolute sandbox path."""
        if not sandbox_path.startswith("/"):
            raise ValueError(f"sandbox paths are absolute, got {sandbox_path!r}")
        return self.root / sandbox_path.lstrip("/")

    def to_real(self, text: str) -> str:
        """``text`` (a command or prompt) with every sandbox path replaced by its real path."""
        root = str(self.root)
        return self._pattern.sub(lambda match: root + match.group(0), text)

    def to_virtual(self, text: str) -> str:
        """``text`` (command output) with the real root removed, leaving sandbox paths."""
        return text.replace(str(self.root), "")

    def create(self) -> None:
        """Make the home and the workspace directories (the ``create_sprite`` stage)."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.workspace.mkdir(parents=True, exist_ok=True)


def default_mount_path(url: str) -> str:
    """``/workspace/<last path segment>``, as the service resolves an omitted mount path."""
    return f"{SANDBOX_WORKSPACE}/{url.rstrip('/').rsplit('/', 1)[-1]}"


def strip_git_suffix(url: str) -> str:
    """The URL as the service stores and returns it: without a trailing ``.git``."""
    return url[: -len(".git")] if url.endswith(".git") else url


def repository_name(url: str) -> str:
    """``owner/name`` from the last two path segments of a repository URL."""
    parts = [p for p in strip_git_suffix(url).rstrip("/").split("/") if p]
    return "/".join(parts[-2:])
