"""GitHub's JSON shapes for the objects the emulator serves.

Field names and nesting follow the REST API documentation closely enough for PyGithub to
parse them without lazy-completion surprises: every object carries the ``url`` that
PyGithub would fetch to complete it, and that url is under the emulator's ``/api/v3``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from aodfix.emulator.github.apps import AppRecord, InstallationRecord
from aodfix.emulator.github.git_repos import CommitInfo
from aodfix.emulator.github.rate_limit import RateSnapshot
from aodfix.emulator.github.store import (
    AccountRecord,
    BranchProtectionRecord,
    CheckRunRecord,
    CommentRecord,
    IssueRecord,
    LabelRecord,
    PullRecord,
    RepositoryRecord,
    ReviewRecord,
    StatusRecord,
)
from aodfix.emulator.github.urls import Urls

Json = dict[str, Any]
DOCS = "https://docs.github.com/rest"


@dataclass(frozen=True)
class PullDetail:
    """What only the single-pull endpoint reports (GitHub omits it from lists)."""

    mergeable: bool | None
    mergeable_state: str
    commits: int
    additions: int
    deletions: int
    changed_files: int


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def node_id(kind: str, number: int) -> str:
    return f"{kind}_emu{number}"


def error(
    message: str,
    status: int,
    *,
    errors: list[Json] | list[str] | None = None,
    docs: str | None = DOCS,
) -> Json:
    body: Json = {"message": message}
    if docs is not None:
        body["documentation_url"] = docs
    body["status"] = str(status)
    if errors is not None:
        body["errors"] = errors
    return body


def user(urls: Urls, login: str, *, organization: bool = False) -> Json:
    user_id = zlib.crc32(login.lower().encode()) % 100_000_000 + 1
    kind = "Organization" if organization else "Bot" if login.endswith("[bot]") else "User"
    api = urls.user_api(login)
    return {
        "login": login,
        "id": user_id,
        "node_id": node_id("U", user_id),
        "avatar_url": f"{urls.server}/avatars/{quote(login)}",
        "gravatar_id": "",
        "url": api,
        "html_url": urls.user_html(login),
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "organizations_url": f"{api}/orgs",
        "received_events_url": f"{api}/received_events",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "type": kind,
        "site_admin": False,
    }


def organization(urls: Urls, account: AccountRecord, *, public_repos: int) -> Json:
    """``GET /orgs/{org}``: PyGithub fetches it before listing the organisation's repositories."""
    login = account.login
    api = f"{urls.api}/orgs/{quote(login)}"
    data = user(urls, login, organization=True)
    return {
        "login": login,
        "id": data["id"],
        "node_id": data["node_id"],
        "url": api,
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events",
        "hooks_url": f"{api}/hooks",
        "issues_url": f"{api}/issues",
        "members_url": f"{api}/members{{/member}}",
        "public_members_url": f"{api}/public_members{{/member}}",
        "avatar_url": data["avatar_url"],
        "description": None,
        "html_url": data["html_url"],
        "has_organization_projects": False,
        "has_repository_projects": False,
        "public_repos": public_repos,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "type": "Organization",
        "created_at": iso(account.created_at),
        "updated_at": iso(account.created_at),
        "archived_at": None,
    }


def repository(
    urls: Urls, repo: RepositoryRecord, *, viewer: str | None, push: bool = True
) -> Json:
    """``push``: whether the caller's token may write here (False for a read-only token)."""
    full = repo.full_name
    api = urls.repo_api(full)
    host = urls.server.split("://", 1)[-1]
    open_issues = sum(1 for issue in repo.issues.values() if issue.state == "open")
    data: Json = {
        "id": repo.id,
        "node_id": node_id("R", repo.id),
        "name": repo.name,
        "full_name": full,
        "owner": user(urls, repo.owner, organization=repo.owner_type == "Organization"),
        "private": repo.private,
        "visibility": "private" if repo.private else "public",
        "html_url": urls.repo_html(full),
        "description": repo.description,
        "fork": repo.fork,
        "url": api,
        "clone_url": urls.clone(full),
        "git_url": f"git://{host}/{full}.git",
        "ssh_url": f"git@{host.split(':')[0]}:{full}.git",
        "svn_url": urls.repo_html(full),
        "branches_url": api + "/branches{/branch}",
        "commits_url": api + "/commits{/sha}",
        "git_refs_url": api + "/git/refs{/sha}",
        "issues_url": api + "/issues{/number}",
        "labels_url": api + "/labels{/name}",
        "pulls_url": api + "/pulls{/number}",
        "statuses_url": api + "/statuses/{sha}",
        **_repository_url_templates(api),
        "default_branch": repo.default_branch,
        "archived": repo.archived,
        "disabled": False,
        "is_template": False,
        "has_issues": True,
        "has_wiki": False,
        "has_downloads": False,
        "has_pages": False,
        "has_projects": False,
        "homepage": None,
        "license": None,
        "mirror_url": None,
        "open_issues_count": open_issues,
        "open_issues": open_issues,
        "forks_count": 0,
        "forks": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "watchers": 0,
        "size": 0,
        "language": repo.language,
        "topics": list(repo.topics),
        "allow_merge_commit": True,
        "allow_squash_merge": True,
        "allow_rebase_merge": True,
        "allow_auto_merge": False,
        "delete_branch_on_merge": False,
        "created_at": iso(repo.created_at),
        "updated_at": iso(repo.updated_at),
        "pushed_at": iso(repo.updated_at),
    }
    if viewer is not None:
        data["permissions"] = {
            "admin": push,
            "maintain": push,
            "push": push,
            "triage": push,
            "pull": True,
        }
    return data


def _repository_url_templates(api: str) -> Json:
    """The hypermedia URLs GitHub's description requires on every repository (none of
    them is followed by aodfix or PyGithub's calls; they are served so the shape is GitHub's)."""
    plain = (
        "contributors deployments downloads events forks hooks languages merges "
        "stargazers subscribers subscription tags teams"
    )
    data: Json = {f"{name}_url": f"{api}/{name}" for name in plain.split()}
    data.update(
        archive_url=api + "/{archive_format}{/ref}",
        assignees_url=api + "/assignees{/user}",
        blobs_url=api + "/git/blobs{/sha}",
        collaborators_url=api + "/collaborators{/collaborator}",
        comments_url=api + "/comments{/number}",
        compare_url=api + "/compare/{base}...{head}",
        contents_url=api + "/contents/{+path}",
        git_commits_url=api + "/git/commits{/sha}",
        git_tags_url=api + "/git/tags{/sha}",
        issue_comment_url=api + "/issues/comments{/number}",
        issue_events_url=api + "/issues/events{/number}",
        keys_url=api + "/keys{/key_id}",
        milestones_url=api + "/milestones{/number}",
        notifications_url=api + "/notifications{?since,all,participating}",
        releases_url=api + "/releases{/id}",
        trees_url=api + "/git/trees{/sha}",
    )
    return data


def commit(urls: Urls, repo: RepositoryRecord, info: CommitInfo) -> Json:
    api = urls.repo_api(repo.full_name)
    return {
        "sha": info.sha,
        "node_id": node_id("C", int(info.sha[:7], 16)),
        "url": urls.commit_api(repo.full_name, info.sha),
        "html_url": urls.commit_html(repo.full_name, info.sha),
        "comments_url": f"{urls.commit_api(repo.full_name, info.sha)}/comments",
        "commit": {
            "url": f"{api}/git/commits/{info.sha}",
            "author": {
                "name": info.author_name,
                "email": info.author_email,
                "date": iso(info.author_date),
            },
            "committer": {
                "name": info.committer_name,
                "email": info.committer_email,
                "date": iso(info.committer_date),
            },
            "message": info.message,
            "tree": {"sha": info.tree, "url": f"{api}/git/trees/{info.tree}"},
            "comment_count": 0,
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        },
        "author": None,
        "committer": None,
        "parents": [
            {
                "sha": parent,
                "url": urls.commit_api(repo.full_name, parent),
                "html_url": urls.commit_html(repo.full_name, parent),
            }
            for parent in info.parents
        ],
    }


def branch(urls: Urls, repo: RepositoryRecord, name: str, head: CommitInfo) -> Json:
    api = f"{urls.repo_api(repo.full_name)}/branches/{quote(name)}"
    protection = repo.protections.get(name)
    contexts = list(protection.required_checks) if protection else []
    return {
        "name": name,
        "commit": commit(urls, repo, head),
        "_links": {"self": api, "html": f"{urls.repo_html(repo.full_name)}/tree/{quote(name)}"},
        "protected": protection is not None,
        "protection": {
            "enabled": protection is not None,
            "required_status_checks": {
                "enforcement_level": "non_admins" if contexts else "off",
                "contexts": contexts,
                "checks": [{"context": context, "app_id": None} for context in contexts],
            },
        },
        "protection_url": f"{api}/protection",
    }


def required_status_checks(
    urls: Urls, repo: RepositoryRecord, name: str, protection: BranchProtectionRecord
) -> Json:
    api = f"{urls.repo_api(repo.full_name)}/branches/{quote(name)}/protection"
    contexts = list(protection.required_checks)
    return {
        "url": f"{api}/required_status_checks",
        "strict": protection.strict,
        "contexts": contexts,
        "contexts_url": f"{api}/required_status_checks/contexts",
        "checks": [{"context": context, "app_id": None} for context in contexts],
    }


def branch_protection(
    urls: Urls, repo: RepositoryRecord, name: str, protection: BranchProtectionRecord
) -> Json:
    """``GET /branches/{b}/protection``: a rule's parts appear only when it has them, as on
    GitHub (no ``required_status_checks`` without a required check)."""
    api = f"{urls.repo_api(repo.full_name)}/branches/{quote(name)}/protection"
    off = {"enabled": False}
    data: Json = {
        "url": api,
        "enforce_admins": {"url": f"{api}/enforce_admins", "enabled": False},
        "required_signatures": {"url": f"{api}/required_signatures", "enabled": False},
        "required_linear_history": off,
        "allow_force_pushes": off,
        "allow_deletions": off,
        "block_creations": off,
        "required_conversation_resolution": off,
        "lock_branch": off,
        "allow_fork_syncing": off,
    }
    if protection.required_checks or protection.strict:
        data["required_status_checks"] = required_status_checks(urls, repo, name, protection)
    if protection.required_approvals:
        data["required_pull_request_reviews"] = {
            "url": f"{api}/required_pull_request_reviews",
            "dismiss_stale_reviews": False,
            "require_code_owner_reviews": False,
            "required_approving_review_count": protection.required_approvals,
            "require_last_push_approval": False,
        }
    return data


def git_ref(urls: Urls, repo: RepositoryRecord, ref: str, sha: str, kind: str) -> Json:
    api = urls.repo_api(repo.full_name)
    plural = {"commit": "commits", "tag": "tags", "tree": "trees", "blob": "blobs"}.get(kind, kind)
    return {
        "ref": ref,
        "node_id": node_id("REF", zlib.crc32(ref.encode())),
        "url": f"{api}/git/{quote(ref)}",
        "object": {"type": kind, "sha": sha, "url": f"{api}/git/{plural}/{sha}"},
    }


def label(urls: Urls, repo: RepositoryRecord, record: LabelRecord) -> Json:
    return {
        "id": record.id,
        "node_id": node_id("LA", record.id),
        "url": urls.label_api(repo.full_name, record.name),
        "name": record.name,
        "color": record.color,
        "default": False,
        "description": record.description,
    }


def team(urls: Urls, org: str, slug: str) -> Json:
    team_id = zlib.crc32(f"{org}/{slug}".lower().encode()) % 10_000_000 + 1
    api = urls.team_api(org, slug)
    return {
        "id": team_id,
        "node_id": node_id("T", team_id),
        "url": api,
        "html_url": urls.team_html(org, slug),
        "name": slug,
        "slug": slug,
        "description": None,
        "privacy": "closed",
        "notification_setting": "notifications_enabled",
        "permission": "pull",
        "members_url": api + "/members{/member}",
        "repositories_url": api + "/repos",
        "parent": None,
    }


def _labels(urls: Urls, repo: RepositoryRecord, names: list[str]) -> list[Json]:
    return [label(urls, repo, repo.labels[name.lower()]) for name in names]


def _users(urls: Urls, logins: list[str]) -> list[Json]:
    return [user(urls, login) for login in logins]


def issue(urls: Urls, repo: RepositoryRecord, record: IssueRecord) -> Json:
    full = repo.full_name
    api = urls.issue_api(full, record.number)
    pull = record.pull
    html = urls.pull_html(full, record.number) if pull else urls.issue_html(full, record.number)
    data: Json = {
        "id": record.id,
        "node_id": node_id("I", record.id),
        "url": api,
        "repository_url": urls.repo_api(full),
        "labels_url": api + "/labels{/name}",
        "comments_url": api + "/comments",
        "events_url": api + "/events",
        "html_url": html,
        "number": record.number,
        "state": record.state,
        "state_reason": record.state_reason,
        "title": record.title,
        "body": record.body,
        "user": user(urls, record.user),
        "labels": _labels(urls, repo, record.labels),
        "assignee": user(urls, record.assignees[0]) if record.assignees else None,
        "assignees": _users(urls, record.assignees),
        "milestone": None,
        "locked": False,
        "active_lock_reason": None,
        "comments": len(record.comments),
        "closed_at": iso(record.closed_at),
        "created_at": iso(record.created_at),
        "updated_at": iso(record.updated_at),
        "author_association": "CONTRIBUTOR",
    }
    if pull is not None:
        pull_html = urls.pull_html(full, record.number)
        data["draft"] = pull.draft
        data["pull_request"] = {
            "url": urls.pull_api(full, record.number),
            "html_url": pull_html,
            "diff_url": pull_html + ".diff",
            "patch_url": pull_html + ".patch",
            "merged_at": iso(pull.merged_at),
        }
    return data


def comment(urls: Urls, repo: RepositoryRecord, record: CommentRecord, *, on_pull: bool) -> Json:
    full = repo.full_name
    html = (
        urls.pull_html(full, record.issue_number)
        if on_pull
        else urls.issue_html(full, record.issue_number)
    )
    return {
        "id": record.id,
        "node_id": node_id("IC", record.id),
        "url": f"{urls.repo_api(full)}/issues/comments/{record.id}",
        "html_url": f"{html}#issuecomment-{record.id}",
        "issue_url": urls.issue_api(full, record.issue_number),
        "body": record.body,
        "user": user(urls, record.user),
        "created_at": iso(record.created_at),
        "updated_at": iso(record.updated_at),
        "author_association": "CONTRIBUTOR",
    }


def _pull_part(urls: Urls, repo: RepositoryRecord, ref: str, sha: str, viewer: str | None) -> Json:
    return {
        "label": f"{repo.owner}:{ref}",
        "ref": ref,
        "sha": sha,
        "user": user(urls, repo.owner, organization=repo.owner_type == "Organization"),
        "repo": repository(urls, repo, viewer=viewer),
    }


def pull_request(
    urls: Urls,
    repo: RepositoryRecord,
    record: IssueRecord,
    pull: PullRecord,
    *,
    head_sha: str,
    base_sha: str,
    viewer: str | None,
    detail: PullDetail | None = None,
) -> Json:
    full = repo.full_name
    number = record.number
    api = urls.pull_api(full, number)
    issue_api = urls.issue_api(full, number)
    html = urls.pull_html(full, number)
    data: Json = {
        "url": api,
        "id": pull.id,
        "node_id": node_id("PR", pull.id),
        "html_url": html,
        "diff_url": html + ".diff",
        "patch_url": html + ".patch",
        "issue_url": issue_api,
        "commits_url": api + "/commits",
        "review_comments_url": api + "/comments",
        "review_comment_url": urls.repo_api(full) + "/pulls/comments{/number}",
        "comments_url": issue_api + "/comments",
        "statuses_url": f"{urls.repo_api(full)}/statuses/{head_sha}",
        "number": number,
        "state": record.state,
        "locked": False,
        "title": record.title,
        "user": user(urls, record.user),
        "body": record.body,
        "labels": _labels(urls, repo, record.labels),
        "milestone": None,
        "active_lock_reason": None,
        "created_at": iso(record.created_at),
        "updated_at": iso(record.updated_at),
        "closed_at": iso(record.closed_at),
        "merged_at": iso(pull.merged_at),
        "merge_commit_sha": pull.merge_commit_sha,
        "assignee": user(urls, record.assignees[0]) if record.assignees else None,
        "assignees": _users(urls, record.assignees),
        "requested_reviewers": _users(urls, pull.requested_reviewers),
        "requested_teams": [team(urls, repo.owner, slug) for slug in pull.requested_teams],
        "head": _pull_part(urls, repo, pull.head_ref, head_sha, viewer),
        "base": _pull_part(urls, repo, pull.base_ref, base_sha, viewer),
        "_links": {
            "self": {"href": api},
            "html": {"href": html},
            "issue": {"href": issue_api},
            "comments": {"href": issue_api + "/comments"},
            "review_comments": {"href": api + "/comments"},
            "review_comment": {"href": urls.repo_api(full) + "/pulls/comments{/number}"},
            "commits": {"href": api + "/commits"},
            "statuses": {"href": f"{urls.repo_api(full)}/statuses/{head_sha}"},
        },
        "author_association": "CONTRIBUTOR",
        "auto_merge": None,
        "draft": pull.draft,
    }
    if detail is not None:
        data.update(
            {
                "merged": pull.merged,
                "mergeable": detail.mergeable,
                "rebaseable": detail.mergeable,
                "mergeable_state": detail.mergeable_state,
                "merged_by": user(urls, pull.merged_by) if pull.merged_by else None,
                "comments": len(record.comments),
                "review_comments": 0,
                "maintainer_can_modify": pull.maintainer_can_modify,
                "commits": detail.commits,
                "additions": detail.additions,
                "deletions": detail.deletions,
                "changed_files": detail.changed_files,
            }
        )
    return data


def commit_status(
    urls: Urls, repo: RepositoryRecord, record: StatusRecord, *, with_creator: bool
) -> Json:
    """A commit status: ``with_creator`` for the ``/statuses`` list and the create answer,
    without it the combined status's entries."""
    data: Json = {
        "url": f"{urls.repo_api(repo.full_name)}/statuses/{record.sha}",
        "avatar_url": f"{urls.server}/avatars/{quote(record.creator)}",
        "id": record.id,
        "node_id": node_id("SC", record.id),
        "state": record.state,
        "description": record.description,
        "target_url": record.target_url,
        "context": record.context,
        "created_at": iso(record.created_at),
        "updated_at": iso(record.created_at),
    }
    if with_creator:
        data["creator"] = user(urls, record.creator)
    return data


def combined_status(
    urls: Urls,
    repo: RepositoryRecord,
    sha: str,
    state: str,
    statuses: list[StatusRecord],
    *,
    viewer: str | None,
) -> Json:
    commit_api = urls.commit_api(repo.full_name, sha)
    return {
        "state": state,
        "statuses": [commit_status(urls, repo, s, with_creator=False) for s in statuses],
        "sha": sha,
        "total_count": len(statuses),
        "repository": repository(urls, repo, viewer=viewer),
        "commit_url": commit_api,
        "url": f"{commit_api}/status",
    }


def _minimal_pull_part(urls: Urls, repo: RepositoryRecord, ref: str, sha: str) -> Json:
    repo_part = {"id": repo.id, "url": urls.repo_api(repo.full_name), "name": repo.name}
    return {"ref": ref, "sha": sha, "repo": repo_part}


def check_run(
    urls: Urls,
    repo: RepositoryRecord,
    record: CheckRunRecord,
    pulls: list[tuple[IssueRecord, PullRecord, str]],
) -> Json:
    """A check run; ``pulls``: the open PRs whose head is its commit, with their base tips.
    The emulator has no CI app behind its runs, so ``app`` is null."""
    api = f"{urls.repo_api(repo.full_name)}/check-runs/{record.id}"
    return {
        "id": record.id,
        "head_sha": record.head_sha,
        "node_id": node_id("CR", record.id),
        "external_id": str(record.id),
        "url": api,
        "html_url": f"{urls.repo_html(repo.full_name)}/runs/{record.id}",
        "details_url": record.details_url,
        "status": record.status,
        "conclusion": record.conclusion,
        "started_at": iso(record.started_at),
        "completed_at": iso(record.completed_at),
        "output": {
            "title": record.title,
            "summary": record.summary,
            "text": None,
            "annotations_count": 0,
            "annotations_url": f"{api}/annotations",
        },
        "name": record.name,
        "check_suite": {"id": record.id},
        "app": None,
        "pull_requests": [
            {
                "id": pull.id,
                "number": issue.number,
                "url": urls.pull_api(repo.full_name, issue.number),
                "head": _minimal_pull_part(urls, repo, pull.head_ref, record.head_sha),
                "base": _minimal_pull_part(urls, repo, pull.base_ref, base),
            }
            for issue, pull, base in pulls
        ],
    }


def rate_limit(
    core: RateSnapshot, search: RateSnapshot, code_search: RateSnapshot, graphql: RateSnapshot
) -> Json:
    """``GET /rate_limit``: the caller's windows (``search`` and ``code_search`` are per token)."""
    resources = {
        "core": core.json(),
        "search": search.json(),
        "code_search": code_search.json(),
        "graphql": graphql.json(),
    }
    return {"resources": resources, "rate": core.json()}


def search_results(total: int, items: list[Json], *, issues: bool = False) -> Json:
    """A search answer; the emulator always searches everything, so never incomplete.
    Issue search also says which kind of search ran (always the plain, lexical one)."""
    data: Json = {"total_count": total, "incomplete_results": False, "items": items}
    if issues:
        data["search_type"] = "lexical"
    return data


def code_search_item(
    urls: Urls, repo: RepositoryRecord, commit: str, path: str, blob: str, *, viewer: str | None
) -> Json:
    """One file of a code search answer, at the default branch's head ``commit``."""
    full = repo.full_name
    quoted = quote(path)
    return {
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": blob,
        "url": f"{urls.repo_api(full)}/contents/{quoted}?ref={commit}",
        "git_url": f"{urls.repo_api(full)}/git/blobs/{blob}",
        "html_url": f"{urls.repo_html(full)}/blob/{commit}/{quoted}",
        "repository": repository(urls, repo, viewer=viewer),
        "score": 1.0,
    }


def review(urls: Urls, repo: RepositoryRecord, number: int, record: ReviewRecord) -> Json:
    html = urls.pull_html(repo.full_name, number)
    return {
        "id": record.id,
        "node_id": node_id("PRR", record.id),
        "user": user(urls, record.user),
        "body": record.body,
        "state": record.state,
        "commit_id": record.commit_id,
        "html_url": f"{html}#pullrequestreview-{record.id}",
        "pull_request_url": urls.pull_api(repo.full_name, number),
        "_links": {
            "html": {"href": f"{html}#pullrequestreview-{record.id}"},
            "pull_request": {"href": urls.pull_api(repo.full_name, number)},
        },
        "submitted_at": iso(record.submitted_at),
        "author_association": "MEMBER",
    }


def app(urls: Urls, record: AppRecord) -> Json:
    """``GET /app``: the authenticated GitHub App."""
    return {
        "id": record.id,
        "slug": record.slug,
        "client_id": record.client_id,
        "node_id": node_id("A", record.id),
        "owner": user(urls, record.owner, organization=True),
        "name": record.slug,
        "description": "",
        "external_url": f"{urls.server}/apps/{quote(record.slug)}",
        "html_url": f"{urls.server}/apps/{quote(record.slug)}",
        "created_at": iso(record.created_at),
        "updated_at": iso(record.created_at),
        "permissions": dict(record.permissions),
        "events": [],
        "installations_count": len(record.installations),
    }


def installation(urls: Urls, record: InstallationRecord, app: AppRecord) -> Json:
    organization = record.account_type == "Organization"
    account = user(urls, record.account, organization=organization)
    settings = f"organizations/{quote(record.account)}/settings" if organization else "settings"
    return {
        "id": record.id,
        "account": account,
        "access_tokens_url": f"{urls.api}/app/installations/{record.id}/access_tokens",
        "repositories_url": f"{urls.api}/installation/repositories",
        "html_url": f"{urls.server}/{settings}/installations/{record.id}",
        "app_id": app.id,
        "app_slug": app.slug,
        "client_id": app.client_id,
        "target_id": account["id"],
        "target_type": record.account_type,
        "permissions": dict(record.permissions),
        "events": [],
        "single_file_name": None,
        "has_multiple_single_files": False,
        "single_file_paths": [],
        "repository_selection": record.selection,
        "created_at": iso(record.created_at),
        "updated_at": iso(record.created_at),
        "suspended_at": None,
        "suspended_by": None,
    }
