"""The README's commands table says what ``--help`` says: every command, every option (by
one of its names, with a value exactly when it takes one) and every argument."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from aodfix.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def table_rows() -> dict[str, str]:
    """Command name -> the usage cell of its row (`aodfix --version` keyed as --version)."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        found = re.match(r"^\| `aodfix ([^`]+)` \|", line)
        if found:
            usage = found.group(1)
            rows[usage.split()[0]] = usage
    return rows


def usage_options(usage: str) -> dict[str, str | None]:
    """Each option name in a usage cell -> the value written after it (None for a flag)."""
    tokens = usage.replace("\\|", " | ").replace("[", " ").replace("]", " ").split()
    options: dict[str, str | None] = {}
    for i, token in enumerate(tokens):
        if token.startswith("-"):
            after = tokens[i + 1] if i + 1 < len(tokens) else None
            is_value = after is not None and not after.startswith("-") and after != "|"
            options[token] = after if is_value else None
    return options


def commands() -> dict[str, click.Command]:
    ctx = click.Context(cli)
    found = {name: cli.get_command(ctx, name) for name in cli.list_commands(ctx)}
    return {name: command for name, command in found.items() if command is not None}


def test_the_table_lists_every_command_and_only_those() -> None:
    assert set(table_rows()) - {"--version"} == set(commands())
    assert "--version" in table_rows()


@pytest.mark.parametrize("name", sorted(commands()))
def test_a_command_row_matches_its_options_and_arguments(name: str) -> None:
    command = commands()[name]
    usage = table_rows()[name]
    written = usage_options(usage)
    known: set[str] = set()
    for param in command.params:
        if isinstance(param, click.Argument):
            assert param.human_readable_name in usage.split(), (name, param.human_readable_name)
            continue
        assert isinstance(param, click.Option)
        names = [*param.opts, *param.secondary_opts]
        known.update(names)
        shown = [n for n in names if n in written]
        assert shown, f"{name}: {param.opts[0]} is not in the README row"
        for option in shown:
            takes_value = not param.is_flag
            assert (written[option] is not None) == takes_value, (name, option, written[option])
    assert set(written) <= known, f"{name}: README names unknown options {set(written) - known}"
