"""``aodfix schema``: print the manifest JSON Schema."""

from __future__ import annotations

import click

from aodfix.schema import schema_text


@click.command("schema")
def command() -> None:
    """Print the manifest's JSON Schema (for editors and linters)."""
    click.echo(schema_text(), nl=False)
