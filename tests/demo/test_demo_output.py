"""What ``aodfix demo`` tells a person once its batch is done."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DROP = {"AOD_API_TOKEN", "AOD_API_URL", "AOD_AGENT_ID", "GITHUB_TOKEN", "GH_TOKEN"}


def test_demo_says_its_links_stop_with_it_and_ends_with_report_html(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in DROP and not k.startswith("GITHUB_")}
    report_dir = tmp_path / "report"
    done = subprocess.run(
        [sys.executable, "-m", "aodfix", "demo", "--quiet", "--report-dir", str(report_dir)],
        env={**env, "HOME": str(home), "CI": "true", "GIT_CONFIG_NOSYSTEM": "1"},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    note = next(i for i, line in enumerate(lines) if "stop working" in line)
    assert "`aodfix demo --keep`" in lines[note]
    first_link = next(i for i, line in enumerate(lines) if "PR opened http" in line)
    assert note < first_link  # read before the links it is about
    assert lines[-1].startswith(f"report: {report_dir / 'report.html'} ")
