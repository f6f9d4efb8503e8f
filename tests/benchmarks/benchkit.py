"""What the benchmarks share: one aodfix run measured from outside, and its figures.

aodfix runs as a child process, as a user runs it; ``os.wait4`` gives its own rusage and
that of its git children (not the emulators', which run in this process and start their
own children). Not collected by pytest (``--ignore=tests/benchmarks``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from aodfix.emulator.github import GitHubEmulator

# How often an idle emulated event stream checks for rows: the real service's 0.5 s (it
# wakes at once when a row arrives), not the tests' 0.05 s, whose wake-ups at hundreds of
# streams would cost the emulator the CPU aodfix is measured on.
POLL_INTERVAL = 0.5


@dataclass(frozen=True)
class Measured:
    """One aodfix run: exit code, wall seconds, CPU seconds (own + git), peak RSS (MiB)."""

    exit_code: int
    wall: float
    cpu: float
    rss_mib: float
    output: str
    own_cpu: float  # aodfix's threads alone (its last /proc sample before it exited)


def template(root: Path) -> Path:
    """The tiny repository every benchmark repository is seeded from."""
    folder = root / "template"
    folder.mkdir()
    (folder / "app.py").write_text("VALUE = 1\n")
    return folder


def scenario(delay: float) -> dict[str, Any]:
    """Light sessions that change the template's one line after ``delay`` seconds."""
    return {"default": {"delay": delay, "edits": [{"replace": "app.py", "old": "1", "new": "2"}]}}


def write_manifest(path: Path, names: Sequence[str], **keys: Any) -> Path:
    document = {
        "version": 1,
        "name": keys.pop("name", "bench"),
        "prompt": "Change the value.",
        "timeout": 600,
        "repositories": list(names),
        **keys,
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def run_aodfix(args: Sequence[str], env: Mapping[str, str], log: Path) -> Measured:
    """``python -m aodfix ARGS`` to its end, measured."""
    command = [sys.executable, "-m", "aodfix", *args]
    started = time.monotonic()
    with log.open("w") as output:
        process = subprocess.Popen(
            command, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT
        )
        own = 0.0
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            own = _own_cpu(process.pid) or own
            time.sleep(0.2)
    wall = time.monotonic() - started
    return Measured(
        exit_code=os.waitstatus_to_exitcode(status),
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        rss_mib=usage.ru_maxrss / 1024,
        output=log.read_text(errors="replace")[-3000:],
        own_cpu=own,
    )


def _own_cpu(pid: int) -> float | None:
    """utime + stime of ``pid``'s own threads, from /proc (None once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def statuses(report_dir: Path) -> Counter[str]:
    report = json.loads((report_dir / "report.json").read_text())
    return Counter(r["status"] for r in report["results"])


def mean_session(report_dir: Path) -> float:
    """The mean session as aodfix observed it (create to delete), from report.json."""
    results = json.loads((report_dir / "report.json").read_text())["results"]
    seconds = [r["timings"]["session"] for r in results if r["timings"]["session"]]
    return sum(seconds) / max(len(seconds), 1)


def github_calls(github: GitHubEmulator, repositories: int) -> str:
    """REST reads and writes, and git requests, per repository."""
    kinds: Counter[str] = Counter()
    for request in github.requests:
        if request.kind == "git":
            kinds["git"] += 1
        elif request.is_write:
            kinds["writes"] += 1
        else:
            kinds["reads"] += 1
    per = max(repositories, 1)
    return (
        f"github {kinds['reads'] / per:.2f} reads {kinds['writes'] / per:.2f} writes"
        f" {kinds['git'] / per:.2f} git requests per repository"
    )


def sizes(report_dir: Path) -> str:
    def mib(name: str) -> str:
        return f"{(report_dir / name).stat().st_size / 2**20:.1f} MiB"

    return " ".join(f"{name} {mib(name)}" for name in ("report.json", "report.html", "report.md"))
