"""A complete local stack for end-to-end runs of ``aodfix apply``: both emulators, sample
repositories, a manifest, and the real CLI as a subprocess.

Every run is checked for leaked tokens (stdout, stderr, report files), so each test that
runs aodfix also guards the "no secret in any output" rule.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from aodfix.emulator.aod import AodEmulator
from aodfix.emulator.github import GitHubEmulator
from aodfix.emulator.stack import aodfix_environment

AOD_TOKEN = "aod_emulator_token_e2e_0123456789abcdef"
GITHUB_TOKEN = "ghp_emulator_token_e2e_0123456789abcdef"
TOKENS = (AOD_TOKEN, GITHUB_TOKEN)


@dataclass
class Run:
    """One finished ``aodfix`` process."""

    exit_code: int
    stdout: str
    stderr: str
    report_dir: Path
    seconds: float

    @property
    def report(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.report_dir / "report.json").read_text())
        return data

    def results(self) -> dict[str, dict[str, Any]]:
        return {r["repository"]: r for r in self.report["results"]}

    def statuses(self) -> dict[str, str]:
        return {name: r["status"] for name, r in self.results().items()}


@dataclass
class Stack:
    root: Path
    github: GitHubEmulator
    aod: AodEmulator
    agent_id: str
    runs: list[Run] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        home = self.root / "home"  # no git identity, no config: as on a fresh CI runner
        home.mkdir(exist_ok=True)
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "CI": "true",
            "GIT_CONFIG_NOSYSTEM": "1",
            **aodfix_environment(
                aod_url=self.aod.url,
                aod_token=AOD_TOKEN,  # not ``aod.token``: tests/hostile's stand-in AoD has none
                agent_id=self.agent_id,
                github_api_url=self.github.api_url,
                github_server_url=self.github.server_url,
                github_token=GITHUB_TOKEN,
            ),
            "AODFIX_LOG_DIR": str(self.root / "logs"),
        }
        env.update(extra)
        return env

    def add_repository(self, name: str, files: Mapping[str, str | bytes], **options: Any) -> str:
        source = self.root / "sources" / name
        for path, content in files.items():
            target = source / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content)
        return self.github.create_repository(name, source, **options)

    def manifest(self, repositories: list[Any], **keys: Any) -> Path:
        document = {
            "version": 1,
            "name": keys.pop("name", "e2e-fix"),
            "prompt": keys.pop("prompt", "Fix the greeting in {{ repository }}."),
            "timeout": keys.pop("timeout", 60),
            "concurrency": keys.pop("concurrency", 4),
            "repositories": repositories,
            **keys,
        }
        path = self.root / f"{document['name']}.yml"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return path

    def command(self, manifest: Path, *args: str, report_dir: Path | None = None) -> list[str]:
        directory = report_dir or self.root / "report"
        return [
            sys.executable,
            "-m",
            "aodfix",
            "apply",
            str(manifest),
            "--report-dir",
            str(directory),
            *args,
        ]

    def apply(self, manifest: Path, *args: str, timeout: float = 180, **env: str) -> Run:
        report_dir = self.root / "report"
        started = time.monotonic()
        done = subprocess.run(
            self.command(manifest, *args, report_dir=report_dir),
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        run = Run(done.returncode, done.stdout, done.stderr, report_dir, time.monotonic() - started)
        self.check_no_secrets(run)
        self.runs.append(run)
        return run

    def start(self, manifest: Path, *args: str, **env: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(manifest, *args),
            env=self.env(**env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def check_no_secrets(self, run: Run) -> None:
        texts = {"stdout": run.stdout, "stderr": run.stderr}
        if run.report_dir.exists():
            for path in iter_files(run.report_dir):  # report files, state, transcripts
                texts[str(path)] = path.read_text(errors="replace")
        logs = self.root / "logs"
        if logs.exists():
            for path in logs.iterdir():
                texts[str(path)] = path.read_text(errors="replace")
        for where, text in texts.items():
            for token in TOKENS:
                assert token not in text, f"a token leaked into {where}"

    def pull_bodies(self) -> list[str]:
        return [str(pr.body or "") for pr in self.github.pull_requests()]


def interrupt(process: subprocess.Popen[str], sig: int = signal.SIGINT) -> None:
    process.send_signal(sig)


def wait_for(predicate: Any, timeout: float = 30.0, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(interval)


def branch_files(github: GitHubEmulator, repository: str, branch: str) -> dict[str, bytes]:
    """Every file on ``branch`` of the emulator's bare repository, read with plain git."""
    bare = github.bare_path(repository)
    listing = (
        subprocess.run(
            ["git", "ls-tree", "-r", "-z", "--name-only", f"refs/heads/{branch}"],
            cwd=bare,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    return {
        name: subprocess.run(
            ["git", "show", f"refs/heads/{branch}:{name}"],
            cwd=bare,
            capture_output=True,
            check=True,
        ).stdout
        for name in listing
        if name
    }


def iter_files(root: Path) -> Iterator[Path]:
    yield from (p for p in root.rglob("*") if p.is_file())
