"""``aodfix demo`` as a new user runs it: no token, no network, PRs on the local emulator."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def _env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    # A fresh user: no tokens, no git identity.
    drop = {
        "AOD_API_TOKEN",
        "AOD_API_URL",
        "AOD_AGENT_ID",
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "GITHUB_API_URL",
        "GITHUB_SERVER_URL",
    }
    env = {k: v for k, v in os.environ.items() if k not in drop}
    return {**env, "HOME": str(home), "CI": "true", "GIT_CONFIG_NOSYSTEM": "1"}


def test_demo_opens_prs_and_writes_three_reports(tmp_path: Path) -> None:
    report_dir = tmp_path / "report"
    done = subprocess.run(
        [sys.executable, "-m", "aodfix", "demo", "--report-dir", str(report_dir)],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("PR opened") == 3
    assert "no changes" in done.stdout
    for name in ("report.json", "report.md", "report.html"):
        assert (report_dir / name).stat().st_size > 0
    report = json.loads((report_dir / "report.json").read_text())
    assert report["totals"]["pr_opened"] == 3
    stats = next(r for r in report["results"] if r["repository"] == "demo/stats-py")
    assert "return sum(values) / len(values)" in stats["patch"]  # the report shows the change
    assert stats["diffstat"] == {"files": 1, "additions": 1, "deletions": 1}
    assert "Fixed mean()" in stats["summary"]
    # the demo shows verification: a check fails the first attempt, a feedback turn fixes it
    assert stats["verify"]["rounds"] == 1 and stats["turns"] == 2
    assert [c["exit_code"] for c in stats["verify"]["commands"]] == [0, 0]


def test_demo_keep_prints_the_environment_and_stops_on_sigint(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aodfix",
            "demo",
            "--keep",
            "--quiet",
            "--report-dir",
            str(tmp_path / "report"),
        ],
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        exports = dict(
            line.removeprefix("export ").strip().split("=", 1)
            for line in lines
            if line.startswith("export ")
        )
        assert {"AOD_API_URL", "AOD_API_TOKEN", "GITHUB_API_URL", "GITHUB_TOKEN"} <= set(exports)
        status = subprocess.run(
            [sys.executable, "-m", "aodfix", "status", "config/examples/demo.yml", "--json"],
            env={**_env(tmp_path), **exports},
            capture_output=True,
            text=True,
            timeout=60,
            cwd=Path(__file__).resolve().parents[2],
            check=False,
        )
        assert status.returncode == 0, status.stderr
        states = [row["state"] for row in json.loads(status.stdout)["pull_requests"]]
        assert states.count("open") == 3
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
