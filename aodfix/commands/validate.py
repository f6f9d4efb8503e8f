"""``aodfix validate MANIFEST…``: check manifests without running anything."""

from __future__ import annotations

import click

from aodfix.commands.summary import plural
from aodfix.manifest import ManifestError, Problem, load_manifest
from aodfix.plan import expand


@click.command("validate")
@click.argument(
    "manifests", metavar="MANIFEST…", nargs=-1, required=True, type=click.Path(dir_okay=False)
)
def command(manifests: tuple[str, ...]) -> None:
    """Check manifests: exit 0 when all are valid, 2 otherwise (one line per problem)."""
    problems: list[Problem] = []  # of every manifest, printed once all are read
    for path in manifests:
        try:
            manifest = load_manifest(path)
            jobs = expand(manifest)
        except ManifestError as exc:
            problems += exc.problems
            continue
        for warning in manifest.warnings:
            click.echo(f"{warning.file}:{warning.line}: warning: {warning.message}", err=True)
        active = sum(1 for job in jobs if not job.skip)
        selectors = len(manifest.selectors)
        found = f", {plural(selectors, 'selector')}" if selectors else ""
        listed = plural(active, "repository")
        click.echo(f"{path}: ok ({listed}, {len(jobs) - active} skipped{found})")
    if problems:
        raise ManifestError(problems)
