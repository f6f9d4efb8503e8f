"""The ``aodfix`` command line: parses arguments and dispatches; the work lives elsewhere.

One error handler at the top: expected failures print one readable line; anything else
prints one line naming a log file that holds the (redacted) traceback. Never a raw
traceback on the terminal.
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
import traceback
from pathlib import Path

import click

from aodfix import __version__
from aodfix.errors import ConfigurationError
from aodfix.exit_codes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE
from aodfix.manifest import ManifestError
from aodfix.redact import redact
from aodfix.settings.environment import crash_log_dir, hold_secrets

# command name -> module under aodfix.commands; imported only when the command runs,
# so `aodfix --help` and `aodfix validate` stay fast.
COMMANDS: dict[str, str] = {
    "apply": "apply",
    "close": "close",
    "demo": "demo",
    "emulator": "emulator",
    "init": "init",
    "merge": "merge",
    "plan": "plan",
    "report": "report",
    "schema": "schema",
    "status": "status",
    "validate": "validate",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = COMMANDS.get(cmd_name)
        if module_name is None:
            return None
        module = importlib.import_module(f"aodfix.commands.{module_name}")
        command: click.Command = module.command
        return command


# Said in `aodfix --help` without importing the settings (slow); a test keeps it equal to
# aodfix.settings.services.DEFAULT_AOD_URL.
DEFAULT_AOD_URL = "http://localhost:8777"
ENVIRONMENT_HELP = (
    f"Environment: AOD_API_URL (default {DEFAULT_AOD_URL}: a local AoD dev server, as in"
    " the aod SDK; `aodfix demo --keep` prints its emulator's), AOD_API_TOKEN, AOD_AGENT_ID,"
    " GITHUB_TOKEN; the README lists them all."
)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=ENVIRONMENT_HELP,
)
@click.version_option(__version__, prog_name="aodfix")
def cli() -> None:
    """Apply one AI-driven fix across many GitHub repositories."""


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the CLI and turn every outcome into an exit code."""
    hold_secrets()  # before any child process can inherit a token
    try:
        result = cli.main(args=argv, prog_name="aodfix", standalone_mode=False)
    except ManifestError as exc:
        for problem in exc.problems:
            click.echo(redact(str(problem)), err=True)
        sys.exit(EXIT_USAGE)
    except ConfigurationError as exc:
        click.echo(f"aodfix: {redact(str(exc))}", err=True)
        sys.exit(EXIT_USAGE)
    except click.exceptions.Abort:
        click.echo("aodfix: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("aodfix: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:
        log = _write_crash_log()
        message = redact(f"{type(exc).__name__}: {exc}").splitlines()[0][:300]
        click.echo(f"aodfix: an unexpected error has occurred ({message}).", err=True)
        click.echo(f"aodfix: the full traceback is in {log}", err=True)
        sys.exit(EXIT_FAILED)
    sys.exit(result if isinstance(result, int) else 0)


def _write_crash_log() -> Path:
    """The traceback in a new file only this user can read: created with O_EXCL under a
    random name (mkstemp), in a private folder when no AODFIX_LOG_DIR is set, so a file or
    symlink planted in the shared temp folder is never followed or overwritten."""
    directory = crash_log_dir()
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
    else:
        directory = Path(tempfile.mkdtemp(prefix="aodfix-"))
    fd, name = tempfile.mkstemp(prefix="aodfix-crash-", suffix=".log", dir=directory)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"aodfix {__version__}\n{redact(traceback.format_exc())}")
    return Path(name)
