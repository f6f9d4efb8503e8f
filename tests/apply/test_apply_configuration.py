"""``aodfix apply`` refuses to start without what it needs: one line, exit 2, nothing run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import MakeStack
from stack import Stack

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


def test_without_an_aod_token_apply_exits_2_in_one_line_and_writes_no_report(
    tmp_path: Path,
) -> None:
    done = _apply(tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "aodfix: AOD_API_TOKEN is not set (the Agent on Demand API token)"
    )
    assert not (tmp_path / "r").exists()


def test_without_an_agent_apply_exits_2_saying_where_to_set_one(tmp_path: Path) -> None:
    done = _apply(tmp_path, AOD_API_TOKEN="aod_x_not_a_real_token_1234567")
    assert done.returncode == 2
    assert "no agent: set `agent:` in the manifest or AOD_AGENT_ID" in done.stderr
    assert "aod_x_not_a_real_token" not in done.stderr


def test_without_a_github_token_a_real_run_exits_2(tmp_path: Path) -> None:
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


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def _status(stack: Stack, manifest: Path, **env: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "aodfix", "status", str(manifest)]
    return subprocess.run(
        command, env=stack.env(**env), capture_output=True, text=True, timeout=60, check=False
    )


def test_a_refused_github_token_is_one_line_before_any_session(make_stack: MakeStack) -> None:
    stack = make_stack()
    for name in ("acme/a", "acme/b"):
        stack.add_repository(name, {"x.txt": "x\n"})
    manifest = stack.manifest(["acme/a", "acme/b"])
    for args in ((), ("--dry-run",)):
        run = stack.apply(manifest, *args, GITHUB_TOKEN="ghp_refused_by_the_emulator_0000000000")
        assert run.exit_code == 2
        line = _one_line(run.stderr)
        assert line.startswith(f"aodfix: GitHub at {stack.github.api_url} refused the token")
    assert stack.aod.stats.created == 0
    done = _status(stack, manifest, GITHUB_TOKEN="ghp_refused_by_the_emulator_0000000000")
    assert done.returncode == 2
    assert "refused the token" in _one_line(done.stderr)


def test_an_unreachable_github_api_is_one_line_before_any_session(make_stack: MakeStack) -> None:
    stack = make_stack()
    stack.add_repository("acme/a", {"x.txt": "x\n"})
    manifest = stack.manifest(["acme/a"])
    nowhere = "http://127.0.0.1:9/api/v3"  # discard port: nothing listens
    run = stack.apply(manifest, GITHUB_API_URL=nowhere)
    assert run.exit_code == 2
    assert _one_line(run.stderr) == (
        f"aodfix: cannot reach the GitHub API at {nowhere} (ConnectionError); check GITHUB_API_URL"
    )
    assert stack.aod.stats.created == 0
    done = _status(stack, manifest, GITHUB_API_URL=nowhere)
    assert done.returncode == 2
    assert "cannot reach the GitHub API" in _one_line(done.stderr)
