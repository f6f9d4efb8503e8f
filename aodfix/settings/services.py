"""Where the services are and how to reach them: one ``Settings`` per command.

A command builds it from ``environment()`` and passes it down; nothing below
``aodfix/commands`` reads the environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from aodfix.agent.transport import DEFAULT_AOD_TIMEOUT
from aodfix.errors import ConfigurationError
from aodfix.forge.app_auth import AppCredentials
from aodfix.forge.github_client import DEFAULT_API_URL, DEFAULT_SERVER_URL, GitHubSettings
from aodfix.forge.pacing import DEFAULT_CONTENT_LIMITS, ENV_CONTENT_LIMITS, Window, parse_limits
from aodfix.manifest import Manifest
from aodfix.redact import register_secret
from aodfix.settings.environment import environment

DEFAULT_AOD_URL = "http://localhost:8777"


@dataclass(frozen=True)
class AodSettings:
    url: str
    token: str = field(repr=False)
    agent_id: str
    request_timeout: float = DEFAULT_AOD_TIMEOUT  # seconds per AoD request, streams excepted


@dataclass(frozen=True)
class ActionsContext:
    """What GitHub Actions tells a step about itself; empty outside Actions."""

    run_url: str = ""  # the workflow run, linked from PR bodies
    step_summary: Path | None = None  # GITHUB_STEP_SUMMARY: report.md is appended to it
    annotations: bool = False  # failed repositories become ::error annotations

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> ActionsContext:
        on_actions = env.get("GITHUB_ACTIONS") == "true"
        server, repo, run = (
            env.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
        )
        run_url = ""
        if on_actions and server and repo and run:
            run_url = f"{server.rstrip('/')}/{repo}/actions/runs/{run}"
        summary = env.get("GITHUB_STEP_SUMMARY")
        return cls(run_url, Path(summary) if summary else None, on_actions)


@dataclass(frozen=True)
class Settings:
    """One command's settings; ``aod`` is set only for commands that run sessions."""

    github: GitHubSettings
    actions: ActionsContext = ActionsContext()
    aod: AodSettings | None = None
    interactive: bool = True  # False when CI=true: plain progress lines, no live view

    @classmethod
    def for_github(cls, env: Mapping[str, str] | None = None) -> Settings:
        """GitHub and Actions only (``aodfix status``)."""
        env = environment() if env is None else env
        return cls(
            github=github_settings(env),
            actions=ActionsContext.from_environment(env),
            interactive=env.get("CI", "").lower() != "true",
        )

    @classmethod
    def for_batch(
        cls, manifest: Manifest, env: Mapping[str, str] | None = None, *, dry_run: bool
    ) -> Settings:
        """AoD, GitHub and Actions; a missing token is a ConfigurationError (exit 2)."""
        env = environment() if env is None else env
        aod = aod_settings(manifest, env)
        settings = cls.for_github(env)
        if not settings.github.can_write and not dry_run:
            raise ConfigurationError(
                "GITHUB_TOKEN (or GH_TOKEN) is not set, nor a GitHub App; it is needed to push"
            )
        return Settings(settings.github, settings.actions, aod, settings.interactive)

    def require_aod(self) -> AodSettings:
        if self.aod is None:
            raise ConfigurationError("no Agent on Demand settings for this command")
        return self.aod


def aod_settings(manifest: Manifest, env: Mapping[str, str]) -> AodSettings:
    token = env.get("AOD_API_TOKEN", "")
    if not token:
        raise ConfigurationError("AOD_API_TOKEN is not set (the Agent on Demand API token)")
    register_secret(token)
    agent = manifest.agent or env.get("AOD_AGENT_ID", "")
    if not agent:
        raise ConfigurationError(
            f"{manifest.path}: no agent: set `agent:` in the manifest or AOD_AGENT_ID"
        )
    return AodSettings(
        url=env.get("AOD_API_URL") or DEFAULT_AOD_URL,
        token=token,
        agent_id=agent,
        request_timeout=_seconds(env, "AODFIX_AOD_TIMEOUT", DEFAULT_AOD_TIMEOUT),
    )


def github_settings(env: Mapping[str, str]) -> GitHubSettings:
    """Raises ConfigurationError on a half-configured or unreadable GitHub App."""
    token = env.get("GITHUB_TOKEN") or env.get("GH_TOKEN") or ""
    sandbox_token = env.get("AODFIX_SANDBOX_TOKEN") or ""
    register_secret(token)
    register_secret(sandbox_token)
    if sandbox_token and sandbox_token == token:
        raise ConfigurationError(
            "AODFIX_SANDBOX_TOKEN is GITHUB_TOKEN: the sandbox token must be a separate,"
            " read-only token (aodfix will not hand its write token to the agent)"
        )
    try:
        app = AppCredentials.from_env(env)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    return GitHubSettings(
        app=app,
        sandbox_token=sandbox_token,
        api_url=(env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
        server_url=(env.get("GITHUB_SERVER_URL") or DEFAULT_SERVER_URL).rstrip("/"),
        token=token,
        write_interval=_seconds(env, "AODFIX_GITHUB_WRITE_INTERVAL", 1.0, zero=True),
        max_wait=_seconds(env, "AODFIX_GITHUB_MAX_WAIT", 900.0, zero=True),
        content_limits=_content_limits(env),
    )


def _content_limits(env: Mapping[str, str]) -> tuple[Window, ...]:
    raw = env.get(ENV_CONTENT_LIMITS, "").strip() or DEFAULT_CONTENT_LIMITS
    try:
        return parse_limits(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{ENV_CONTENT_LIMITS}: {exc}") from None


def _seconds(env: Mapping[str, str], name: str, default: float, *, zero: bool = False) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        seconds = float(raw)
    except ValueError:
        seconds = float("nan")
    lowest_ok = seconds >= 0 if zero else seconds > 0
    if not lowest_ok or seconds == float("inf"):
        above = "0 or more" if zero else "above 0"
        raise ConfigurationError(f"{name} must be a number of seconds {above}, got {raw!r}")
    return seconds
