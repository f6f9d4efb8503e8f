"""``aodfix init [NAME]``: start a manifest from a commented template instead of copying an
example; what it writes validates as it is, so the first edit is the prompt, not a fix."""

from __future__ import annotations

import re
from pathlib import Path

import click

from aodfix.errors import ConfigurationError
from aodfix.manifest import SLUG_PATTERN

# The checked-in schema (config/manifest.schema.json) where an editor can fetch it from any
# folder; `aodfix schema` prints the same document offline.
SCHEMA_URL = "https://raw.githubusercontent.com/aodfix/aodfix/main/config/manifest.schema.json"

TEMPLATE = """\
# The aodfix batch __NAME__: one fix, one pull request per repository.
# Check it with `aodfix validate __FILE__`; every key is described in the README
# ("Manifest reference") and in config/examples/full.yml.
# yaml-language-server: $schema=__SCHEMA__
version: 1
name: __NAME__                   # batch id: the branch, the state file and the PR marker use it

# What the agent does in each repository: say what to change and what to leave alone.
# A template over {{ repository }}, {{ owner }}, {{ repo }}, {{ base }} and {{ name }}.
prompt: |
  Fix the spelling mistakes in README.md of {{ repository }}.
  Change nothing else.

# agent: 7d3c6a0e-…             # AoD agent id; default: the AOD_AGENT_ID environment variable
timeout: 900                     # seconds per session, a hard deadline
concurrency: 5                   # sessions at once

# owner/name of each repository (with `aodfix demo --keep`: demo/stats-py, demo/pager-js, …)
repositories:
  - acme/api
  # - name: acme/legacy          # per-repository overrides
  #   base: develop
  #   prompt_append: "This repository still uses Python 3.8."
  # - select: {org: acme, topics: [python]}   # every matching repository, found on GitHub

pull_request:
  title: "{{ name }}: automated fix"
  labels: [aodfix]
  draft: false

# Checks run in the session on the changed tree; a failing one gets feedback turns.
# verify:
#   commands: ["python -m pytest -q"]

policy:
  forbidden_paths: [".github/workflows/**"]   # paths no patch may touch
"""


@click.command("init")
@click.argument("name", default="fix", metavar="[NAME]")
def command(name: str) -> None:
    """Write NAME.yml (default fix.yml) here: a commented manifest to edit."""
    batch = name.removesuffix(".yml")
    if not re.match(SLUG_PATTERN, batch):
        raise ConfigurationError(
            f"{name!r} is not a batch name: lowercase letters, digits, '-' and '_'"
        )
    path = Path(f"{batch}.yml")
    text = (
        TEMPLATE.replace("__NAME__", batch)
        .replace("__FILE__", str(path))
        .replace("__SCHEMA__", SCHEMA_URL)
    )
    try:
        with path.open("x", encoding="utf-8") as handle:  # never over an existing file
            handle.write(text)
    except FileExistsError:
        raise ConfigurationError(f"{path} already exists; nothing written") from None
    click.echo(f"wrote {path}: edit its prompt and repositories, then")
    click.echo(f"  aodfix validate {path}")
    click.echo(f"  aodfix apply {path} --dry-run   # then open aodfix-report/report.html")
    click.echo(f"  aodfix apply {path}")
