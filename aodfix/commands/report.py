"""``aodfix report REPORT.json…``: re-render a saved report as Markdown, HTML or JSON; given
several (the shards of one batch, from an Actions matrix), merge them into one."""

from __future__ import annotations

import json
from pathlib import Path

import click

from aodfix.exit_codes import EXIT_USAGE
from aodfix.report.html import render_html
from aodfix.report.markdown import render_markdown
from aodfix.report.models import Report, merge_reports


class BadInput(click.ClickException):
    """An input file aodfix cannot use: like a wrong command line, nothing was rendered."""

    exit_code = EXIT_USAGE


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
@click.option(
    "--mix", is_flag=True, help="Merge dry-run and real-run reports (refused without it)."
)
def command(report_paths: tuple[Path, ...], fmt: str, output: Path | None, mix: bool) -> None:
    """Print saved reports in another format (several are merged into one)."""
    reports = [_load(path) for path in report_paths]
    if not mix:
        _refuse_mixed(list(zip(report_paths, reports, strict=True)))
    try:
        report = merge_reports(reports)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    if fmt == "md":
        text = render_markdown(report)
    elif fmt == "html":
        text = render_html(report)
    else:
        text = json.dumps(report.to_dict(), indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"{output}: {exc.strerror or exc}") from None
        click.echo(f"report: {output}")


def _refuse_mixed(loaded: list[tuple[Path, Report]]) -> None:
    """A dry run's "dry run" rows beside a real run's PRs would read as one batch's state:
    merging them is a choice, said with --mix."""
    dry = [path for path, report in loaded if report.dry_run]
    real = [path for path, report in loaded if not report.dry_run]
    if dry and real:
        raise BadInput(
            f"{dry[0]} is a dry run and {real[0]} is not; pass --mix to merge them anyway"
        )


def _load(path: Path) -> Report:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise ValueError("no results list")
        return Report.from_dict(data)
    except OSError as exc:  # bad input, like a bad manifest: exit 2
        raise BadInput(f"{path}: {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BadInput(f"{path}: not an aodfix report ({exc})") from None
