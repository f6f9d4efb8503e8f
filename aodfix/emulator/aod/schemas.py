"""Request bodies, validated the way the service's pydantic schemas do (reference §2).

Schema violations become 422 with a *list* ``detail`` (``errors(include_context=False)``);
semantic problems found afterwards (unknown provider, model prefix) become 422 with a
*string* ``detail``, raised as ``SemanticError``.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from aodfix.emulator.aod.workspace import SANDBOX_HOME, default_mount_path, strip_git_suffix

MAX_RESOURCES = 10
GITHUB_URL = re.compile(r"^https://github\.com/[\w.-]+/[\w.-]+(\.git)?$")
ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PACKAGE_MANAGERS = ("apt", "cargo", "gem", "go", "npm", "pip")
PROVIDERS = {"anthropic": "claude", "openai": "codex"}  # provider -> runtime
RUNTIMES = {"claude": "anthropic", "claude-code": "anthropic", "codex": "openai"}
MODEL_PREFIXES = ("anthropic", "openai", "google", "kimi")


class SemanticError(ValueError):
    """A body that parsed but makes no sense: 422 with a string ``detail``."""


# --- agents ---------------------------------------------------------------------------------


class McpServerIn(BaseModel):
    name: str
    type: Literal["url", "stdio"]
    url: str | None = None
    headers: dict[str, str] | None = None
    command: str | None = None
    args: list[str] | None = None
    env: dict[str, str] | None = None

    @model_validator(mode="after")
    def _needs_target(self) -> McpServerIn:
        if self.type == "url" and not self.url:
            raise ValueError("url is required for type 'url'")
        if self.type == "stdio" and not self.command:
            raise ValueError("command is required for type 'stdio'")
        return self


class AgentIn(BaseModel):
    """The current server's agent body: ``provider`` is required, ``runtime`` ignored."""

    name: str = Field(max_length=200)
    provider: str = Field(max_length=32)
    model: str = Field(max_length=100)
    system: str = ""
    description: str = ""
    environment_id: str | None = None
    skills: list[dict[str, Any]] = Field(default_factory=list, max_length=20)
    mcp_servers: list[McpServerIn] = Field(default_factory=list, max_length=20)
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("mcp_servers")
    @classmethod
    def _unique_names(cls, servers: list[McpServerIn]) -> list[McpServerIn]:
        names = [s.name for s in servers]
        if len(names) != len(set(names)):
            raise ValueError("MCP server names must be unique")
        return servers

    def kind(self) -> tuple[str, str]:
        """``(provider, runtime)``; an unknown provider is a semantic error."""
        provider = self.provider.strip()
        if provider not in PROVIDERS:
            raise SemanticError(
                f"Unknown provider: {provider}. Must be one of: {sorted(PROVIDERS)}"
            )
        return provider, PROVIDERS[provider]

    def normalized_model(self, provider: str) -> str:
        model = self.model.strip()
        if not model:
            raise SemanticError("Model must be a non-empty string")
        prefix, slash, rest = model.partition("/")
        if slash and prefix in MODEL_PREFIXES:
            if prefix != provider:
                raise SemanticError(
                    f"Model provider prefix '{prefix}' does not match provider '{provider}'"
                )
            return rest
        return model


class AgentInSdk010(AgentIn):
    """The SDK 0.1.0 era's body: ``runtime`` names the agent's kind; ``provider`` is
    accepted instead so newer clients work too (reference §7.4)."""

    provider: str = Field(default="", max_length=32)
    runtime: str | None = Field(default=None, validate_default=True)

    @field_validator("runtime")
    @classmethod
    def _runtime_or_provider(cls, runtime: str | None, info: ValidationInfo) -> str | None:
        if runtime is None and not info.data.get("provider"):
            raise PydanticCustomError("missing", "Field required")
        return runtime

    def kind(self) -> tuple[str, str]:
        if self.provider:
            return super().kind()
        runtime = (self.runtime or "").strip()
        if runtime not in RUNTIMES:
            raise SemanticError(f"Unknown runtime: {runtime}. Must be one of: {sorted(RUNTIMES)}")
        provider = RUNTIMES[runtime]
        return provider, PROVIDERS[provider]

    def normalized_model(self, provider: str) -> str:
        # That era kept canonical ``provider/model`` strings as given.
        if not self.model.strip():
            raise SemanticError("Model must be a non-empty string")
        return self.model.strip()


# --- environments ---------------------------------------------------------------------------


class NetworkingIn(BaseModel):
    type: Literal["unrestricted", "limited"] = "unrestricted"
    allowed_hosts: list[str] = Field(default_factory=list)

    def rendered(self) -> dict[str, Any]:
        if self.type == "unrestricted":
            return {"type": "unrestricted"}
        return {"type": "limited", "allowed_hosts": self.allowed_hosts}


def _check_env_keys(values: dict[str, str]) -> dict[str, str]:
    for key in values:
        if ENV_KEY.fullmatch(key) is None:
            raise ValueError(f"Invalid environment variable name: {key}")
    return values


class EnvironmentIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    packages: dict[str, list[str]] = Field(default_factory=dict)
    env_vars: dict[str, str] = Field(default_factory=dict)
    setup_script: str = ""
    networking: NetworkingIn = Field(default_factory=NetworkingIn)

    @field_validator("packages")
    @classmethod
    def _managers(cls, packages: dict[str, list[str]]) -> dict[str, list[str]]:
        for manager in packages:
            if manager not in PACKAGE_MANAGERS:
                raise ValueError(f"Unknown package manager: {manager}")
        return packages

    @field_validator("env_vars")
    @classmethod
    def _env_keys(cls, values: dict[str, str]) -> dict[str, str]:
        return _check_env_keys(values)


# --- sessions -------------------------------------------------------------------------------


class ResourceIn(BaseModel):
    type: Literal["github_repository"]
    url: str
    mount_path: str | None = None
    authorization_token: str | None = None

    @field_validator("url")
    @classmethod
    def _github_url(cls, url: str, info: ValidationInfo) -> str:
        # The service takes github.com only; the emulator also takes its configured git
        # servers (``git_base_urls``), e.g. the local GitHub emulator or file:// URLs.
        bases: tuple[str, ...] = (info.context or {}).get("git_base_urls", ())
        if GITHUB_URL.match(url) is None and not any(url.startswith(b) for b in bases if b):
            raise ValueError("Must be a valid https://github.com/<owner>/<repo> URL")
        return url

    @field_validator("mount_path")
    @classmethod
    def _mount_path(cls, path: str | None) -> str | None:
        if path is None:
            return None
        if not path.startswith("/"):
            raise ValueError("mount_path must be an absolute path")
        if path in ("/", SANDBOX_HOME):
            raise ValueError("mount_path must not be the Sprite root")
        return path

    @property
    def stored_url(self) -> str:
        return strip_git_suffix(self.url)

    @property
    def resolved_mount_path(self) -> str:
        return self.mount_path or default_mount_path(self.stored_url)


class SessionIn(BaseModel):
    agent_id: str
    prompt: str
    timeout: int = Field(default=600, ge=10, le=3600)
    environment_id: str | None = None
    resources: list[ResourceIn] = Field(default_factory=list)
    secret_env_vars: dict[str, str] = Field(default_factory=dict)

    @field_validator("resources")
    @classmethod
    def _resource_list(cls, resources: list[ResourceIn]) -> list[ResourceIn]:
        if len(resources) > MAX_RESOURCES:
            raise ValueError(f"Maximum {MAX_RESOURCES} resources per session")
        mounts = [r.resolved_mount_path for r in resources]
        if len(mounts) != len(set(mounts)):
            raise ValueError("Duplicate mount_path in resources")
        return resources

    @field_validator("secret_env_vars")
    @classmethod
    def _env_keys(cls, values: dict[str, str]) -> dict[str, str]:
        return _check_env_keys(values)


class PromptIn(BaseModel):
    prompt: str
    timeout: int = Field(default=600, ge=10, le=3600)
