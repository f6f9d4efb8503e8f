"""A command's jobs: the manifest's listed repositories, plus what its selectors find.

Selectors are expanded on GitHub (``aodfix.selection``); a run that ``--resume``s reuses the
selection its interrupted run stored beside the state file, so it runs the same set even
when an organisation gained repositories meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
import requests
from github import GithubException

from aodfix.errors import ConfigurationError
from aodfix.forge.github_client import (
    GitHubGateway,
    GitHubRateLimited,
    GitHubSettings,
    github_reason,
)
from aodfix.forge.preflight import check_github
from aodfix.manifest import Manifest, load_manifest
from aodfix.plan import RepoJob, expand
from aodfix.redact import redact
from aodfix.selection.expand import select_repositories
from aodfix.selection.model import Selection, load_selection, save_selection
from aodfix.settings.services import Settings

F = TypeVar("F", bound=Callable[..., Any])


def batch_jobs(
    manifest: Manifest,
    github: GitHubSettings,
    *,
    only: Iterable[str] = (),
    stored: Path | None = None,
    reuse: bool = False,
) -> tuple[list[RepoJob], Selection | None]:
    """The jobs and the selection behind them (None: the manifest has no selectors).

    ``stored``: where the selection is kept; with ``reuse`` one found there is run again
    instead of a fresh expansion, and a fresh one is written there.
    """
    if not manifest.selectors:
        return expand(manifest, only=only), None
    selection = load_selection(stored) if stored is not None and reuse else None
    if selection is None:
        gateway = GitHubGateway(github)
        try:
            selection, warnings = select_repositories(manifest, gateway)
        finally:
            gateway.close()
        for warning in warnings:
            click.echo(
                redact(f"{warning.file}:{warning.line}: warning: {warning.message}"), err=True
            )
        if stored is not None:
            save_selection(stored, selection)
    return expand(manifest, only=only, selection=selection), selection


@contextmanager
def batch_on_github(
    manifest_path: str, only: Iterable[str]
) -> Iterator[tuple[Manifest, list[RepoJob], GitHubGateway]]:
    """The manifest, its runnable jobs and a gateway, for the commands that work on the
    batch's PRs; GitHub trouble that stops the whole command is one line, exit 2."""
    manifest = load_manifest(manifest_path)
    settings = Settings.for_github().github
    listed, _ = batch_jobs(manifest, settings, only=only)
    jobs = [job for job in listed if not job.skip]
    check_github(settings, jobs[0].repository if jobs else None)  # a refused token: one line
    gateway = GitHubGateway(settings)
    try:
        yield manifest, jobs, gateway
    except GithubException as exc:
        reason = github_reason(exc)
        raise ConfigurationError(f"GitHub refused a request for the batch: {reason}") from None
    except (ValueError, GitHubRateLimited) as exc:
        raise ConfigurationError(str(exc)) from None
    except requests.RequestException as exc:
        raise ConfigurationError(f"cannot reach GitHub ({type(exc).__name__})") from None
    finally:
        gateway.close()


def only_option(verb: str = "Only these repositories") -> Callable[[F], F]:
    """``--only`` as every command takes it (``expand`` reads commas and @FILE)."""
    return click.option(
        "--only",
        multiple=True,
        metavar="OWNER/NAME",
        help=f"{verb} (repeat the flag, separate with commas, or @FILE).",
    )
