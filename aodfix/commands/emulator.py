"""``aodfix emulator``: run the local AoD (and GitHub) emulators in the foreground.

For trying aodfix without an AoD deployment or GitHub, and for pointing a real local coding
CLI at aodfix (``--agent-command``). One line per server is printed once it answers, with
the environment variables that point aodfix at it; SIGINT or SIGTERM stops everything.
"""

from __future__ import annotations

import shlex
import signal
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import FrameType

import click

from aodfix.emulator.aod.emulator import DEFAULT_TOKEN
from aodfix.emulator.aod.scenario import Scenario
from aodfix.emulator.stack import emulator_stack


def _repo_seed(value: str) -> tuple[str, Path]:
    name, sep, path = value.partition("=")
    if not sep or name.count("/") != 1 or not path:
        raise click.BadParameter(f"expected OWNER/NAME=PATH, got {value!r}", param_hint="--repo")
    return name, Path(path)


@contextmanager
def _until_signalled() -> Iterator[threading.Event]:
    """An event set by SIGINT or SIGTERM; the previous handlers come back afterwards."""
    stop = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@click.command("emulator")
@click.option("--aod-port", type=int, default=0, show_default=True, help="0 picks a free port.")
@click.option("--github-port", type=int, default=0, show_default=True, help="0 picks a free port.")
@click.option(
    "--token",
    "tokens",
    multiple=True,
    default=(DEFAULT_TOKEN,),
    show_default=True,
    help="AoD API token to accept (repeatable; one user per token).",
)
@click.option(
    "--scenario",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML scenario for the scripted agent.",
)
@click.option(
    "--agent-command",
    help="Run this command as the agent instead (prompt on stdin), e.g. a coding CLI.",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where sessions and repositories live (default: a temporary directory).",
)
@click.option(
    "--repo",
    "repos",
    multiple=True,
    metavar="OWNER/NAME=PATH",
    help="Seed the GitHub emulator with the repository at PATH (repeatable).",
)
@click.option(
    "--max-active",
    type=int,
    default=100,
    show_default=True,
    help="Per-user cap on active sessions (429 past it).",
)
def command(
    aod_port: int,
    github_port: int,
    tokens: tuple[str, ...],
    scenario: Path | None,
    agent_command: str | None,
    data_dir: Path | None,
    repos: tuple[str, ...],
    max_active: int,
) -> None:
    """Run the local AoD and GitHub emulators until interrupted."""
    seeds = [_repo_seed(value) for value in repos]
    # Parsed first, so that the only ValueError the stack can raise below is a --repo one.
    script = Scenario.load(scenario) if scenario is not None else None
    agent = shlex.split(agent_command) if agent_command else None
    with _until_signalled() as stop, ExitStack() as running:
        try:
            stack = running.enter_context(
                emulator_stack(
                    data_dir,
                    aod_tokens=tokens,
                    repositories=seeds,
                    aod_port=aod_port,
                    github_port=github_port,
                    extra_git_base_urls=("file://",),
                    temp_prefix="aodfix-emulator-",
                    max_active=max_active,
                    scenario=script,
                    agent_command=agent,
                )
            )
        except ValueError as exc:  # a seed the GitHub emulator refused
            raise click.BadParameter(str(exc), param_hint="--repo") from exc
        github, aod = stack.github, stack.aod
        click.echo(
            f"GitHub emulator: {github.server_url}  GITHUB_SERVER_URL={github.server_url}"
            f" GITHUB_API_URL={github.api_url} GITHUB_TOKEN={github.token}"
        )
        click.echo(
            f"AoD emulator: {aod.url}  AOD_API_URL={aod.url} AOD_API_TOKEN={aod.token}"
            f" AOD_AGENT_ID={stack.agent_id}"
        )
        stop.wait()
