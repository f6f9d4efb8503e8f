"""Every selector of a manifest, expanded on GitHub, with the manifest's ``exclude`` applied.

Selectors run one after another through the batch's one gateway, which paces searches on
their own rate-limit budgets. A selector GitHub refuses stops the command before anything
runs: one line at the selector's FILE:LINE (exit 2). One that matches nothing is a warning.
"""

from __future__ import annotations

from aodfix.forge.github_client import GitHubGateway
from aodfix.globs import compile_glob
from aodfix.manifest import Manifest, ManifestError, Problem
from aodfix.selection.model import Selection, SelectorHit
from aodfix.selection.queries import SelectionError, run_selector


def select_repositories(
    manifest: Manifest, gateway: GitHubGateway
) -> tuple[Selection, list[Problem]]:
    """The selection and its warnings; raises ManifestError naming the selector's line."""
    shown = str(manifest.path)
    excludes = [compile_glob(p, ignore_case=True) for p in manifest.exclude]
    hits: list[SelectorHit] = []
    warnings: list[Problem] = []
    for index, selector in manifest.selectors:
        line = manifest.line_of(("repositories", index))
        at = f"{shown}:{line}"
        try:
            found = run_selector(gateway, selector)
        except SelectionError as exc:
            raise ManifestError([Problem(shown, line, f"select: {exc}")]) from None
        warnings += [Problem(shown, line, f"select: {w}") for w in found.warnings]
        names = sorted(
            {c.full_name.lower(): c.full_name for c in found.candidates}.values(), key=str.lower
        )
        kept = tuple(n for n in names if not any(g.match(n) for g in excludes))
        if not kept:
            left = f" ({len(names)} left out by exclude)" if names else ""
            warnings.append(Problem(shown, line, f"select: matched no repositories{left}"))
        written = selector.model_dump(exclude_unset=True)
        hits.append(SelectorHit(at=at, selector=written, repositories=kept))
    return Selection(tuple(hits)), warnings
