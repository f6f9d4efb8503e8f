"""``aodfix report REPORT.json…``: re-render a saved report as Markdown, HTML or JSON; given
several (the shards of one batch, from an Actions matrix), merge them into one."""

from __future__ import annotations

import json
from pathlib import Path

import click

from aodfix.report.html import render_html
from aodfix.report.markdown import render_markdown
from aodfix.report.models import Report, merge_reports


@click.command("report")
@click.argument(
    "report_paths",
    metavar="REPORT.json…",
    nargs=-1,
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
)
@click.option(
    "--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md", show_default=True
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
def command(report_paths: tuple[Path, ...], fmt: str, output: Path | None) -> None:
    """Print saved reports in another format (several are merged into one)."""
    try:
        report = merge_reports([_load(path) for path in report_paths])
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if fmt == "md":
        text = render_markdown(report)
    elif fmt == "html":
        text = render_html(report)
    else:
        text = json.dumps(report.to_dict(), indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


def _load(path: Path) -> Report:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise ValueError("no results list")
        return Report.from_dict(data)
    except OSError as exc:
        raise click.ClickException(f"{path}: {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise click.ClickException(f"{path}: not an aodfix report ({exc})") from None
