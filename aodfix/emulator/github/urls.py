"""Every address the emulator hands out, built in one place.

PyGithub follows the ``url`` fields of its responses (lazy completion, pagination), so they
must all live under the same ``/api/v3`` base the client was given; ``html_url`` and clone
URLs live under the server root, as on GitHub Enterprise.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

API_PREFIX = "/api/v3"


@dataclass(frozen=True)
class Urls:
    """Addresses under one emulator's ``http://host:port`` root."""

    server: str

    @property
    def api(self) -> str:
        return self.server + API_PREFIX

    def repo_api(self, full_name: str) -> str:
        return f"{self.api}/repos/{full_name}"

    def repo_html(self, full_name: str) -> str:
        return f"{self.server}/{full_name}"

    def clone(self, full_name: str) -> str:
        return f"{self.server}/{full_name}.git"

    def user_api(self, login: str) -> str:
        return f"{self.api}/users/{quote(login)}"

    def user_html(self, login: str) -> str:
        return f"{self.server}/{quote(login)}"

    def issue_api(self, full_name: str, number: int) -> str:
        return f"{self.repo_api(full_name)}/issues/{number}"

    def pull_api(self, full_name: str, number: int) -> str:
        return f"{self.repo_api(full_name)}/pulls/{number}"

    def pull_html(self, full_name: str, number: int) -> str:
        return f"{self.repo_html(full_name)}/pull/{number}"

    def issue_html(self, full_name: str, number: int) -> str:
        return f"{self.repo_html(full_name)}/issues/{number}"

    def commit_api(self, full_name: str, sha: str) -> str:
        return f"{self.repo_api(full_name)}/commits/{sha}"

    def commit_html(self, full_name: str, sha: str) -> str:
        return f"{self.repo_html(full_name)}/commit/{sha}"

    def label_api(self, full_name: str, name: str) -> str:
        return f"{self.repo_api(full_name)}/labels/{quote(name, safe='')}"

    def team_api(self, org: str, slug: str) -> str:
        return f"{self.api}/orgs/{quote(org)}/teams/{quote(slug)}"

    def team_html(self, org: str, slug: str) -> str:
        return f"{self.server}/orgs/{quote(org)}/teams/{quote(slug)}"
