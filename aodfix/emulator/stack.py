"""Both emulators started together and wired to each other: GitHub first, then an AoD
whose sessions may clone from it, plus an agent and the variables that point aodfix there.

The one place that knows how the two emulators fit together, so ``aodfix demo``,
``aodfix emulator`` and the end-to-end tests cannot drift apart on it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aodfix.emulator.aod.emulator import DEFAULT_TOKEN as AOD_DEFAULT_TOKEN
from aodfix.emulator.aod.emulator import AodEmulator
from aodfix.emulator.github import DEFAULT_TOKEN as GITHUB_DEFAULT_TOKEN
from aodfix.emulator.github import GitHubEmulator


def aodfix_environment(
    *,
    aod_url: str,
    aod_token: str,
    agent_id: str,
    github_api_url: str,
    github_server_url: str,
    github_token: str,
) -> dict[str, str]:
    """What ``aodfix apply`` needs to run against this AoD and GitHub (no write pacing:
    the emulator has no secondary rate limit to respect)."""
    return {
        "AOD_API_URL": aod_url,
        "AOD_API_TOKEN": aod_token,
        "AOD_AGENT_ID": agent_id,
        "GITHUB_API_URL": github_api_url,
        "GITHUB_SERVER_URL": github_server_url,
        "GITHUB_TOKEN": github_token,
        "AODFIX_GITHUB_WRITE_INTERVAL": "0",
    }


@dataclass(frozen=True)
class EmulatorStack:
    """Running emulators, the agent created on the AoD one, and where their data lives."""

    github: GitHubEmulator
    aod: AodEmulator
    agent_id: str
    data_dir: Path

    def environment(self) -> dict[str, str]:
        """The variables for aodfix, with each emulator's first token."""
        return aodfix_environment(
            aod_url=self.aod.url,
            aod_token=self.aod.token,
            agent_id=self.agent_id,
            github_api_url=self.github.api_url,
            github_server_url=self.github.server_url,
            github_token=self.github.token,
        )


@contextmanager
def emulator_stack(
    data_dir: Path | None = None,
    *,
    aod_tokens: Sequence[str] = (AOD_DEFAULT_TOKEN,),
    github_tokens: Sequence[str] = (GITHUB_DEFAULT_TOKEN,),
    repositories: Iterable[tuple[str, Path]] = (),
    aod_port: int = 0,
    github_port: int = 0,
    extra_git_base_urls: Sequence[str] = (),
    temp_prefix: str = "aodfix-emulators-",
    **aod_options: Any,
) -> Iterator[EmulatorStack]:
    """Start GitHub (seeded with ``repositories``, ``(OWNER/NAME, folder)`` pairs), then an
    AoD that accepts repositories on it (and on ``extra_git_base_urls``), and create an agent.

    ``aod_options`` go to ``AodEmulator`` (a ``git_base_urls`` there replaces the wiring).
    Without ``data_dir`` the data lives in a temporary directory removed afterwards. On the
    way out, or when anything on the way in fails, what started stops in reverse order.
    """
    with ExitStack() as started:
        if data_dir is None:
            scratch = tempfile.TemporaryDirectory(prefix=temp_prefix, ignore_cleanup_errors=True)
            root = Path(started.enter_context(scratch))
        else:
            root = data_dir
            root.mkdir(parents=True, exist_ok=True)
        github = GitHubEmulator(root / "github", tokens=github_tokens, port=github_port)
        started.callback(github.stop)  # also closes the bound port if start fails
        github.start()
        for name, source in repositories:
            github.create_repository(name, source)
        options: dict[str, Any] = {
            "git_base_urls": (github.server_url + "/", *extra_git_base_urls),
            **aod_options,
        }
        aod = AodEmulator(root / "aod", tokens=aod_tokens, port=aod_port, **options)
        started.callback(aod.stop)
        aod.start()
        yield EmulatorStack(github=github, aod=aod, agent_id=aod.create_agent(), data_dir=root)
