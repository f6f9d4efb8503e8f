"""``aodfix apply`` refuses to start without what it needs: one line, exit 2, nothing run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

MANIFEST = "version: 1\nname: cfg\nprompt: Fix it.\nrepositories: [acme/api]\n"


def _apply(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    manifest = tmp_path / "m.yml"
    manifest.write_text(MANIFEST)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AOD_", "GITHUB_", "GH_"))}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "aodfix",
            "apply",
            str(manifest),
            "--report-dir",
            str(tmp_path / "r"),
        ],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_missing_aod_token(tmp_path: Path) -> None:
    done = _apply(tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "aodfix: AOD_API_TOKEN is not set (the Agent on Demand API token)"
    )
    assert not (tmp_path / "r").exists()


def test_missing_agent(tmp_path: Path) -> None:
    done = _apply(tmp_path, AOD_API_TOKEN="aod_x_not_a_real_token_1234567")
    assert done.returncode == 2
    assert "no agent: set `agent:` in the manifest or AOD_AGENT_ID" in done.stderr
    assert "aod_x_not_a_real_token" not in done.stderr


def test_missing_github_token_outside_dry_run(tmp_path: Path) -> None:
    done = _apply(tmp_path, AOD_API_TOKEN="aod_x_not_a_real_token_1234567", AOD_AGENT_ID="a")
    assert done.returncode == 2
    assert "GITHUB_TOKEN (or GH_TOKEN) is not set" in done.stderr


def test_unreachable_aod_stops_before_anything_runs(tmp_path: Path) -> None:
    done = _apply(
        tmp_path,
        AOD_API_TOKEN="aod_x_not_a_real_token_1234567",
        AOD_AGENT_ID="7d3c6a0e-0000-4000-8000-000000000000",
        AOD_API_URL="http://127.0.0.1:9",  # discard port: nothing listens
        GITHUB_TOKEN="ghp_x_not_a_real_token_1234567",
    )
    assert done.returncode == 2
    assert done.stderr.startswith("aodfix: cannot reach Agent on Demand at http://127.0.0.1:9")
    assert len(done.stderr.strip().splitlines()) == 1
