"""Which GitHub credential, if any, the agent's sandbox gets to clone a private repository.

The agent is untrusted (it reads issues, code and READMEs that may carry instructions), and
AoD writes a resource's token into the sandbox's git credentials. So the sandbox never gets
a token that can write unless the manifest says so out loud: with a GitHub App, a token
minted for that one repository with ``contents: read``; with a personal token, the
read-only ``AODFIX_SANDBOX_TOKEN`` the user made for cloning.
"""

from __future__ import annotations

from aodfix.errors import StageError
from aodfix.forge.app_auth import AppAuthError
from aodfix.forge.github_client import GitHubGateway
from aodfix.forge.resolve import ResolvedRepository
from aodfix.report.models import Stage

WRITE_TOKEN = "write-token"  # the manifest's opt-in: agent_credentials: write-token


def sandbox_credential(
    gateway: GitHubGateway, repo: ResolvedRepository, agent_credentials: str
) -> str | None:
    """The token for the session's resource; None for a public repository (none needed)."""
    if not repo.private:
        return None
    settings = gateway.settings
    if settings.app is not None:
        try:
            return gateway.sandbox_token(repo.full_name)
        except AppAuthError as exc:
            raise StageError(
                Stage.RESOLVE, f"cannot mint a read-only sandbox token: {exc}"
            ) from None
    if settings.sandbox_token:
        return settings.sandbox_token
    if agent_credentials == WRITE_TOKEN:
        return gateway.token(repo.full_name.split("/")[0])
    raise StageError(
        Stage.RESOLVE,
        f"{repo.full_name} is private and aodfix will not hand its own GitHub token (which can"
        " push) to the agent's sandbox: set AODFIX_SANDBOX_TOKEN to a read-only token, use a"
        " GitHub App (AODFIX_GITHUB_APP_ID), or accept the risk with"
        " `agent_credentials: write-token` in the manifest",
    )
