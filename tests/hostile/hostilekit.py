"""Helpers for hostile runs: the repository, and ``aodfix apply`` with its peak RSS measured.

The run goes through a fresh parent process that reports the peak RSS.

``RUSAGE_CHILDREN`` holds the largest resident set of any waited-for descendant, so it must
be read in a process whose only child is this one aodfix run (and its git commands): the
test process's own figure would mix in every earlier test. The parent also enforces the
time limit, killing aodfix itself, so a hang never leaves an orphan behind.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from apply.stack import Run, Stack

REPOSITORY = "acme/api"
FILES = {"greet.py": 'print("Helo")\n', "README.md": "# api\n"}
TIMED_OUT = 124

_PARENT = """
import resource, subprocess, sys
limit, out, command = float(sys.argv[1]), sys.argv[2], sys.argv[3:]
try:
    code = subprocess.run(command, timeout=limit, check=False).returncode
except subprocess.TimeoutExpired:
    code = 124
with open(out, "w") as handle:
    handle.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(code)
"""


@dataclass
class MeasuredRun:
    run: Run
    peak_rss_mb: float

    @property
    def timed_out(self) -> bool:
        return self.run.exit_code == TIMED_OUT


def apply_measured(stack: Stack, manifest: Path, *, timeout: float, **env: str) -> MeasuredRun:
    """``aodfix apply MANIFEST`` with its report in ``stack.root / "report"``."""
    report_dir = stack.root / "report"
    rss_file = stack.root / "peak-rss-kib"
    command = stack.command(manifest, report_dir=report_dir)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", _PARENT, str(timeout), str(rss_file), *command],
        env=stack.env(**env),
        capture_output=True,
        text=True,
        timeout=timeout + 30,
        check=False,
    )
    run = Run(done.returncode, done.stdout, done.stderr, report_dir, time.monotonic() - started)
    stack.check_no_secrets(run)
    stack.runs.append(run)
    return MeasuredRun(run, int(rss_file.read_text()) / 1024)
