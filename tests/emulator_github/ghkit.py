"""Helpers for the GitHub emulator tests: plain git subprocesses and a plain PyGithub client.

git runs with its own identity and no global config (CI machines have none), and gets the
token through ``GIT_CONFIG_*`` as an ``http.extraHeader`` — never in a URL.
"""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path

from github import Auth, Github
from github.GithubRetry import GithubRetry

from aodfix.emulator.github import GitHubEmulator

IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.com",
}


def git_env(token: str | None) -> dict[str, str]:
    """Environment for a git client; ``token=None`` means anonymous."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(IDENTITY)
    env.update(
        GIT_TERMINAL_PROMPT="0",
        GIT_ASKPASS="",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        LC_ALL="C",
    )
    configs = [("credential.helper", ""), ("init.defaultBranch", "main")]
    if token is not None:
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        configs.append(("http.extraHeader", f"Authorization: Basic {basic}"))
    for index, (key, value) in enumerate(configs):
        env[f"GIT_CONFIG_KEY_{index}"] = key
        env[f"GIT_CONFIG_VALUE_{index}"] = value
    env["GIT_CONFIG_COUNT"] = str(len(configs))
    return env


def git(
    cwd: Path,
    *args: str,
    token: str | None,
    check: bool = True,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    env = git_env(token)
    if extra_env:
        env.update(extra_env)
    result = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed:\n{result.stderr}")
    return result


def shallow_checkout(emulator: GitHubEmulator, full_name: str, sha: str, path: Path) -> Path:
    """What aodfix does: an empty repository that fetches one commit at depth 1."""
    path.mkdir(parents=True)
    git(path, "init", "--quiet", token=None)
    git(
        path,
        "fetch",
        "--quiet",
        "--depth=1",
        emulator.clone_url(full_name),
        sha,
        token=emulator.token,
    )
    git(path, "checkout", "--quiet", "--detach", sha, token=None)
    return path


def commit_and_push(
    emulator: GitHubEmulator, full_name: str, work: Path, branch: str, files: dict[str, str]
) -> str:
    for name, content in files.items():
        (work / name).write_text(content)
    git(work, "add", "--all", token=None)
    git(work, "commit", "--quiet", "-m", f"Change {', '.join(files)}", token=None)
    git(
        work,
        "push",
        "--quiet",
        emulator.clone_url(full_name),
        f"HEAD:refs/heads/{branch}",
        token=emulator.token,
    )
    return git(work, "rev-parse", "HEAD", token=None).stdout.strip()


def client(emulator: GitHubEmulator, token: str | None = None, *, retry: bool = False) -> Github:
    """PyGithub against the emulator, throttling off (tests would wait 1 s per write)."""
    return Github(
        base_url=emulator.api_url,
        auth=Auth.Token(token or emulator.token),
        retry=GithubRetry() if retry else None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
