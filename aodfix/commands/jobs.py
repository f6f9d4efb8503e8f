"""A command's jobs: the manifest's listed repositories, plus what its selectors find.

Selectors are expanded on GitHub (``aodfix.selection``); a run that ``--resume``s reuses the
selection its interrupted run stored beside the state file, so it runs the same set even
when an organisation gained repositories meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import click

from aodfix.forge.github_client import GitHubGateway, GitHubSettings
from aodfix.manifest import Manifest
from aodfix.plan import RepoJob, expand
from aodfix.redact import redact
from aodfix.selection.expand import select_repositories
from aodfix.selection.model import Selection, load_selection, save_selection


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
