"""``GitHubEmulator``: the GitHub stand-in that tests and ``aodfix demo`` start and seed.

It serves PyGithub at ``api_url`` (a GitHub Enterprise base URL, GraphQL at
``server_url/api/graphql``) and git at ``server_url/OWNER/NAME.git``, and gives its owner a
Python API to seed repositories (one, or organisations of hundreds) and pull requests,
protect branches, report checks and reviews, register GitHub Apps and scoped tokens, arm
faults, set search rate limits and GitHub's secondary limits, and inspect what was asked
(and with which token) and what pull requests exist.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from starlette.types import ASGIApp, Receive, Scope, Send

from aodfix.emulator.github import checks, pulls
from aodfix.emulator.github.access import LEVELS, Access, TokenGrant
from aodfix.emulator.github.app import build_app
from aodfix.emulator.github.apps import (
    DEFAULT_APP_PERMISSIONS,
    DEFAULT_TOKEN_LIFETIME,
    AccountType,
    AppRecord,
    InstallationRecord,
    generate_private_key,
)
from aodfix.emulator.github.code_files import FileCache
from aodfix.emulator.github.context import EmulatorContext
from aodfix.emulator.github.faults import Faults
from aodfix.emulator.github.rate_limit import RateWindow, SearchLimits, SearchRate
from aodfix.emulator.github.request_log import LoggedRequest, RequestLog
from aodfix.emulator.github.secondary_limits import (
    SecondaryLimits,
    SecondaryLimitStats,
    SecondaryRate,
)
from aodfix.emulator.github.seeding import (
    PullSeed,
    RepositorySpec,
    as_utc,
    create_from_template,
    create_repositories,
    seed_pull_requests,
)
from aodfix.emulator.github.shapes import node_id
from aodfix.emulator.github.store import (
    AccountKind,
    BranchProtectionRecord,
    CheckRunRecord,
    IssueRecord,
    PullRecord,
    RepositoryRecord,
    ReviewRecord,
    StatusRecord,
    Store,
    split_full_name,
    utc_now,
)
from aodfix.emulator.github.urls import Urls
from aodfix.emulator.github.views import GitHubAppView, PullRequestView, TokenView
from aodfix.emulator.server import BackgroundServer, Lifecycle

DEFAULT_TOKEN = "ghp_emulator_token"
DEFAULT_LOGIN = "aodfix-bot"

RepositorySelection = Sequence[str] | Literal["all"]
_SEED_START = datetime(2024, 1, 1, tzinfo=UTC)
_PERSON = ("Octo Human", "octo.human@example.com")


class GitHubEmulator(Lifecycle):
    """GitHub's REST API subset and git smart HTTP on one loopback port."""

    def __init__(
        self,
        data_dir: Path,
        *,
        tokens: Sequence[str] = (DEFAULT_TOKEN,),
        host: str = "127.0.0.1",
        port: int = 0,
        login: str = DEFAULT_LOGIN,
        search_limits: SearchLimits | None = None,
        secondary_limits: SecondaryLimits | None = None,
    ) -> None:
        if not tokens:
            raise ValueError("the GitHub emulator needs at least one valid token")
        self.data_dir = Path(data_dir)
        repos_root = self.data_dir / "repos"
        repos_root.mkdir(parents=True, exist_ok=True)
        self.tokens = tuple(tokens)
        self._app: ASGIApp | None = None

        async def serve(scope: Scope, receive: Receive, send: Send) -> None:
            # The server binds its port before the app can know its own URLs, so the app is
            # built after and reached through this function (a plain async function, so
            # that uvicorn detects ASGI 3).
            assert self._app is not None
            await self._app(scope, receive, send)

        self._server = BackgroundServer(serve, host=host, port=port)
        self._context = EmulatorContext(
            urls=Urls(self._server.url),
            store=Store(repos_root),
            access=Access.with_classic_tokens(login, tokens),
            login=login,
            faults=Faults(),
            log=RequestLog(),
            rate=RateWindow(),
            graphql_rate=RateWindow(resource="graphql"),
            search_rate=SearchRate(search_limits),
            secondary=SecondaryRate(secondary_limits),
            files=FileCache(),
        )
        self._app = build_app(self._context)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> GitHubEmulator:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    # -- addresses -----------------------------------------------------------------------------

    @property
    def server_url(self) -> str:
        """``GITHUB_SERVER_URL``: web and git root, e.g. ``http://127.0.0.1:PORT``."""
        return self._context.urls.server

    @property
    def api_url(self) -> str:
        """``GITHUB_API_URL``: the REST base PyGithub is given (``server_url/api/v3``)."""
        return self._context.urls.api

    @property
    def token(self) -> str:
        """The first valid token, for callers that need just one."""
        return self.tokens[0]

    @property
    def login(self) -> str:
        """The account the constructor's tokens belong to (author of the PRs they open)."""
        return self._context.login

    @property
    def faults(self) -> Faults:
        return self._context.faults

    def clone_url(self, full_name: str) -> str:
        return self._context.urls.clone(full_name)

    # -- seeding -------------------------------------------------------------------------------

    def create_repository(
        self,
        full_name: str,
        source: Path | None = None,
        *,
        default_branch: str = "main",
        private: bool = False,
        archived: bool = False,
        history: int = 1,
        files: Mapping[str, str | bytes] | None = None,
        fork: bool = False,
        topics: Sequence[str] = (),
        language: str | None = None,
        description: str | None = None,
        created_at: datetime | None = None,
        pushed_at: datetime | None = None,
    ) -> str:
        """Create ``OWNER/NAME`` whose default branch holds ``source`` (a folder), ``files``
        (path to content) or a README.

        ``history=N`` gives the branch N commits, the last one holding exactly those files.
        ``language`` is what GitHub would detect (the emulator does not). Returns the default
        branch head sha.
        """
        spec = RepositorySpec(
            full_name,
            source=source,
            files=files,
            default_branch=default_branch,
            private=private,
            archived=archived,
            fork=fork,
            topics=topics,
            language=language,
            description=description,
            created_at=created_at,
            pushed_at=pushed_at,
            history=history,
        )
        return self.create_repositories([spec])[0]

    def create_repositories(self, specs: Iterable[RepositorySpec]) -> list[str]:
        """Create many repositories at once; returns their head shas, in order. Repositories
        with the same content share one git import (300 take about half a second; 300
        distinct ones about three)."""
        return create_repositories(self._context.store, list(specs), self.login)

    def create_repositories_from_template(
        self, names: Sequence[str], source: Path, *, default_branch: str = "main"
    ) -> str:
        """Create every ``OWNER/NAME`` of ``names`` holding the folder ``source`` on
        ``default_branch``, all at the same commit, whose sha it returns: for benchmarks of
        thousands (10,000 take seconds: hard links, no git process per repository)."""
        store = self._context.store
        return create_from_template(store, names, source, self.login, default_branch=default_branch)

    def seed_organisation(
        self,
        org: str,
        count: int,
        *,
        files: Mapping[str, str | bytes] | None = None,
        name: str = "repo-{index:03d}",
        private: bool = False,
        topics: Sequence[str] = (),
        language: str | None = None,
        first_created: datetime = _SEED_START,
        created_every: timedelta = timedelta(days=1),
    ) -> list[str]:
        """Organisation ``org`` with ``count`` repositories named ``name.format(index=i)``,
        all holding ``files`` (default: a README), created ``created_every`` apart from
        ``first_created`` so that ``created:`` ranges split them. Returns their full names.
        """
        self.create_account(org, "Organization")
        content = files if files is not None else {"README.md": f"# {org}\n"}
        specs = [
            RepositorySpec(
                f"{org}/{name.format(index=index)}",
                files=content,
                private=private,
                topics=topics,
                language=language,
                created_at=first_created + index * created_every,
            )
            for index in range(count)
        ]
        self.create_repositories(specs)
        return [spec.full_name for spec in specs]

    def create_account(self, login: str, kind: AccountKind = "User") -> None:
        """Register a user (or organisation) before its repositories exist: an owner first
        seen in ``create_repository`` is an organisation, unless it is ``login``."""
        self._context.store.add_account(login, kind)

    def set_search_limits(self, limits: SearchLimits) -> None:
        """Each token's search budgets from now on (every window restarts)."""
        self._context.search_rate.configure(limits)

    def configure_secondary_limits(self, limits: SecondaryLimits) -> None:
        """GitHub's secondary limits from now on (``SecondaryLimits()``: none); every window
        and the ``secondary_limit_stats`` counters restart."""
        self._context.secondary.configure(limits)

    @property
    def secondary_limits(self) -> SecondaryLimits:
        return self._context.secondary.limits

    def secondary_limit_stats(self) -> SecondaryLimitStats:
        """Accepted content-creating calls (when), the most one token had in each window,
        and how many calls each rule refused, since the limits were last configured."""
        return self._context.secondary.stats()

    def set_archived(self, full_name: str, archived: bool = True) -> None:
        """Archive (read-only: pushes get 403, REST writes get 403) or unarchive."""
        with self._context.store.lock:
            self._repo(full_name).archived = archived

    def protect_branch(
        self,
        full_name: str,
        branch: str,
        protected: bool = True,
        *,
        required_checks: Sequence[str] = (),
        required_approvals: int = 0,
        strict: bool = False,
    ) -> None:
        """Give ``branch`` a protection rule (replacing any): pushes that update it fail
        (GH006), and PRs into it merge only once every ``required_checks`` name (a status
        context or check-run name) passed and ``required_approvals`` reviewers approved with
        none asking for changes; ``strict``: the head must contain the base tip too. An unmet
        rule is ``mergeable_state`` "blocked" (or "behind") and a 405 on merge.
        ``protected=False`` removes the rule."""
        if required_approvals < 0:
            raise ValueError("required_approvals cannot be negative")
        with self._context.store.lock:
            repo = self._repo(full_name)
            repo.protections.pop(branch, None)
            if protected:
                repo.protections[branch] = BranchProtectionRecord(
                    tuple(dict.fromkeys(required_checks)), strict, required_approvals
                )
            repo.bare.set_protected_branches(repo.protected_branches)

    def set_check(
        self,
        full_name: str,
        ref: str,
        name: str,
        status: str = "completed",
        conclusion: str | None = None,
        *,
        details_url: str | None = None,
        title: str | None = None,
        summary: str | None = None,
    ) -> int:
        """Report check run ``name`` on ``ref`` (a sha or branch) as a CI app would; a later
        report of the same name is a re-run whose verdict replaces this one. A completed run
        without a ``conclusion`` succeeded; an unfinished one has none. Returns its id."""
        if status not in checks.CHECK_STATUSES:
            raise ValueError(f"check run status {status!r} is not one of {checks.CHECK_STATUSES}")
        if status == "completed":
            conclusion = conclusion or "success"
            if conclusion not in checks.CHECK_CONCLUSIONS:
                raise ValueError(
                    f"conclusion {conclusion!r} is not one of {checks.CHECK_CONCLUSIONS}"
                )
        elif conclusion is not None:
            raise ValueError("only a completed check run has a conclusion")
        store = self._context.store
        with store.lock:
            repo = self._repo(full_name)
            now = utc_now()
            run = CheckRunRecord(
                id=store.next_id(),
                head_sha=self._commit(repo, ref),
                name=name,
                status=status,
                conclusion=conclusion,
                started_at=now,
                completed_at=now if status == "completed" else None,
                details_url=details_url,
                title=title,
                summary=summary,
            )
            repo.check_runs.append(run)
            return run.id

    def set_status(
        self,
        full_name: str,
        ref: str,
        context: str,
        state: str = "success",
        *,
        description: str | None = None,
        target_url: str | None = None,
    ) -> int:
        """Report commit status ``context`` on ``ref`` (a sha or branch) as ``login``; the
        newest status of a context is the one that counts. Returns its id."""
        if state not in checks.STATUS_STATES:
            raise ValueError(f"status state {state!r} is not one of {checks.STATUS_STATES}")
        store = self._context.store
        with store.lock:
            repo = self._repo(full_name)
            status = StatusRecord(
                id=store.next_id(),
                sha=self._commit(repo, ref),
                context=context,
                state=state,
                creator=self.login,
                created_at=utc_now(),
                description=description,
                target_url=target_url,
            )
            repo.statuses.append(status)
            return status.id

    def _commit(self, repo: RepositoryRecord, ref: str) -> str:
        sha = repo.bare.resolve(ref)
        if sha is None:
            raise KeyError(f"{ref} names no commit in {repo.full_name}")
        return sha

    def commit_files(
        self,
        full_name: str,
        branch: str,
        files: Mapping[str, str | bytes | None],
        *,
        message: str = "Edit files",
        author: tuple[str, str] = _PERSON,
    ) -> str:
        """Commit on ``branch`` server-side, as a person pushing there would; None deletes.

        A branch that does not exist yet starts from the default branch.
        """
        with self._context.store.lock:
            repo = self._repo(full_name)
            return repo.bare.commit_files(
                branch,
                files,
                message=message,
                author=author,
                start=f"refs/heads/{repo.default_branch}",
            )

    def bare_path(self, full_name: str) -> Path:
        return self._repo(full_name).bare.path

    def branch_sha(self, full_name: str, branch: str) -> str | None:
        """The tip of ``branch``, or None when it does not exist."""
        return self._repo(full_name).bare.resolve(f"refs/heads/{branch}")

    # -- tokens and GitHub Apps ----------------------------------------------------------------

    def add_token(
        self,
        token: str,
        *,
        repositories: Sequence[str] | None = None,
        permissions: Mapping[str, str] | None = None,
        label: str | None = None,
        login: str | None = None,
    ) -> str:
        """Accept ``token`` as a personal token of ``login`` (default: the emulator's own
        account; another one is how a test reviews a PR as someone else); returns its label.

        With neither limit it is a classic token (full access, as the constructor's). With
        ``repositories`` (full names) or ``permissions`` ({"contents": "read", ...}; None:
        all) it is a fine-grained one: other private repositories are 404, other public ones
        read-only, and a missing permission is 403 "Resource not accessible by personal
        access token" (on git: 403 "Permission to O/N.git denied").
        """
        access = self._context.access
        label = label or f"token-{access.count() + 1}"
        limited = repositories is not None or permissions is not None
        access.add(
            token,
            TokenGrant(
                label=label,
                login=login or self.login,
                kind="fine_grained" if limited else "classic",
                repositories=None if repositories is None else _full_names(repositories),
                permissions=None if permissions is None else _checked(permissions),
            ),
        )
        return label

    def token_label(self, token: str) -> str:
        """The label the request log records ``token``'s calls under."""
        grant = self._context.access.grant(token)
        if grant is None:
            raise KeyError("the GitHub emulator does not know this token")
        return grant.label

    def token_info(self, token: str) -> TokenView | None:
        """What ``token`` may do (None for a token the emulator never issued or accepted)."""
        grant = self._context.access.grant(token)
        if grant is None:
            return None
        return TokenView(
            label=grant.label,
            kind=grant.kind,
            login=grant.login,
            repositories=None if grant.repositories is None else sorted(grant.repositories),
            permissions=None if grant.permissions is None else dict(grant.permissions),
            expires_at=grant.expires_at,
            installation_id=grant.installation_id,
        )

    def register_app(
        self,
        installations: Mapping[str, RepositorySelection] | None = None,
        *,
        app_id: int | None = None,
        slug: str = "aodfix",
        permissions: Mapping[str, str] | None = None,
        token_lifetime: timedelta = DEFAULT_TOKEN_LIFETIME,
    ) -> GitHubAppView:
        """Register a GitHub App with a freshly generated key pair, installed on each account
        of ``installations`` ({"acme": "all", "octo": ["api"]}: repository names) as an
        organisation (``install_app`` installs on a user account).

        The returned view holds the app id and the private key PEM that aodfix signs its
        JWTs with. ``permissions`` are what the app (and so each installation) was granted;
        ``token_lifetime`` is how long minted installation tokens live (GitHub: one hour).
        """
        key, pem = generate_private_key()
        store = self._context.store
        with store.lock:
            record = AppRecord(
                id=app_id if app_id is not None else store.next_id(),
                slug=slug,
                client_id=f"Iv1.{secrets.token_hex(8)}",
                owner=self.login,
                public_key=key.public_key(),
                permissions=_checked(permissions or DEFAULT_APP_PERMISSIONS),
                token_lifetime=token_lifetime,
                created_at=utc_now(),
            )
            self._context.access.add_app(record)
            for account, repositories in (installations or {}).items():
                self.install_app(record.id, account, repositories)
            return self._app_view(record, pem)

    def install_app(
        self,
        app_id: int,
        account: str,
        repositories: RepositorySelection = "all",
        *,
        account_type: AccountType = "Organization",
    ) -> int:
        """Install app ``app_id`` on ``account`` (all its repositories, or the named ones);
        returns the installation id. ``GET /orgs/{account}/installation`` finds only an
        organisation's installation; ``/users/{account}/installation`` finds either."""
        store = self._context.store
        with store.lock:
            app = self._registered_app(app_id)
            if app.installation_on(account) is not None:
                raise ValueError(f"app {app_id} is already installed on {account}")
            selected = None if repositories == "all" else [str(name) for name in repositories]
            installation = InstallationRecord(
                id=store.next_id(),
                app_id=app.id,
                account=account,
                account_type=account_type,
                repositories=selected,
                permissions=dict(app.permissions),
                created_at=utc_now(),
            )
            app.installations[installation.id] = installation
            return installation.id

    def set_token_lifetime(self, app_id: int, lifetime: timedelta) -> None:
        """How long the installation tokens app ``app_id`` mints from now on live."""
        with self._context.store.lock:
            self._registered_app(app_id).token_lifetime = lifetime

    def _registered_app(self, app_id: int) -> AppRecord:
        app = self._context.access.apps.get(app_id)
        if app is None:
            raise KeyError(f"no GitHub App {app_id} in the GitHub emulator")
        return app

    def _app_view(self, app: AppRecord, pem: str) -> GitHubAppView:
        return GitHubAppView(
            app_id=app.id,
            slug=app.slug,
            client_id=app.client_id,
            private_key_pem=pem,
            installations={i.account: i.id for i in app.installations.values()},
        )

    # -- pull requests -------------------------------------------------------------------------

    def pull_requests(self, full_name: str | None = None) -> list[PullRequestView]:
        """Snapshots of every PR (of one repository, if named), by repository then number."""
        store = self._context.store
        with store.lock:
            repos = [self._repo(full_name)] if full_name else store.all()
            return [
                self._view(repo, record, pull)
                for repo in sorted(repos, key=lambda r: r.full_name.lower())
                for record, pull in sorted(repo.pulls(), key=lambda pair: pair[0].number)
            ]

    def seed_pull_requests(
        self,
        repositories: str | Sequence[str],
        *,
        count: int | None = None,
        branch: str = "aodfix/change",
        title: str = "Apply a change",
        body: str | None = None,
        files: Mapping[str, str | bytes] | None = None,
        message: str = "Apply a change",
        draft: bool = False,
        first_created: datetime | None = None,
        created_every: timedelta = timedelta(0),
    ) -> dict[str, int]:
        """Open the same PR (a commit changing ``files`` on ``branch``, by ``login``) in
        each repository, or in the first ``count`` repositories of an owner by name; fast
        (300 in a tenth of a second) for repositories seeded alike. ``first_created`` and
        ``created_every`` date them for burndown charts. The commit is not aodfix's unless
        ``message`` carries its ``Aodfix-Batch: NAME`` trailer. Returns the PR number by
        full name."""
        store = self._context.store
        with store.lock:
            if isinstance(repositories, str):
                owner = repositories.lower()
                repos = [r for r in store.all() if r.owner.lower() == owner]
                repos.sort(key=lambda repo: repo.name.lower())
            else:
                repos = [self._repo(name) for name in repositories]
            seed = PullSeed(
                branch=branch,
                title=title,
                body=body,
                files=files if files is not None else {"CHANGE.md": f"{title}\n"},
                message=message,
                author=("aodfix", "aodfix@users.noreply.github.invalid"),
                user=self.login,
                draft=draft,
                first_created=first_created,
                created_every=created_every,
            )
            return seed_pull_requests(store, repos[:count], seed)

    def merge_pull(
        self,
        full_name: str,
        number: int,
        *,
        method: str = "merge",
        bypass_protection: bool = True,
        merged_at: datetime | None = None,
    ) -> str:
        """Merge PR ``number`` as a maintainer would (an administrator: the base's protection
        does not stop it unless ``bypass_protection=False``); ``merged_at`` back-dates it.
        Returns the merge commit sha; raises ``MergeRefused`` as the REST API answers."""
        with self._context.store.lock:
            repo = self._repo(full_name)
            record, pull = self._pull(repo, number)
            sha = pulls.merge(
                repo,
                record,
                pull,
                merger=self.login,
                method=method,
                enforce_protection=not bypass_protection,
            )
            if merged_at is not None:
                pull.merged_at = record.closed_at = record.updated_at = as_utc(merged_at)
            return sha

    def add_review(
        self, full_name: str, number: int, login: str, state: str = "APPROVED", body: str = ""
    ) -> int:
        """Submit a review on PR ``number`` as ``login`` (APPROVED, CHANGES_REQUESTED,
        COMMENTED or DISMISSED) on the head as it is now; returns the review id."""
        if state not in pulls.REVIEW_STATES:
            raise ValueError(f"review state {state!r} is not one of {pulls.REVIEW_STATES}")
        store = self._context.store
        with store.lock:
            repo = self._repo(full_name)
            record, pull = self._pull(repo, number)
            head = pulls.head_sha(repo, record, pull)
            review = ReviewRecord(store.next_id(), login, state, body, head, utc_now())
            pulls.add_review(pull, review)
            return review.id

    def make_conflict(self, full_name: str, number: int) -> str:
        """Commit to PR ``number``'s base, editing every file the PR changes differently,
        so that the PR no longer merges (``mergeable`` false, "dirty"); returns the new base
        tip."""
        with self._context.store.lock:
            repo = self._repo(full_name)
            record, pull = self._pull(repo, number)
            head = pulls.head_sha(repo, record, pull)
            base = pulls.base_sha(repo, pull)
            paths = repo.bare.changed_paths(base, head)
            if not paths:
                raise ValueError(f"{full_name}#{number} changes no file to conflict with")
            edit = f"Edited on {pull.base_ref} to conflict with #{number}\n"
            tip = repo.bare.commit_files(
                pull.base_ref,
                dict.fromkeys(paths, edit),
                message=f"Conflict with #{number}",
                author=_PERSON,
            )
            if repo.bare.merge_tree(tip, head) is not None:  # pragma: no cover - git decides
                raise ValueError(f"{full_name}#{number} still merges cleanly")
            return tip

    def delay_mergeability(self, full_name: str, number: int, reads: int = 1) -> None:
        """The next ``reads`` reads of PR ``number`` answer ``mergeable: null`` and
        ``mergeable_state: "unknown"``, as GitHub does while it is still computing them."""
        with self._context.store.lock:
            _, pull = self._pull(self._repo(full_name), number)
            pull.unknown_reads = reads

    def _pull(self, repo: RepositoryRecord, number: int) -> tuple[IssueRecord, PullRecord]:
        record = repo.issues.get(number)
        if record is None or record.pull is None:
            raise KeyError(f"no pull request #{number} in {repo.full_name}")
        return record, record.pull

    def _view(
        self, repo: RepositoryRecord, record: IssueRecord, pull: PullRecord
    ) -> PullRequestView:
        return PullRequestView(
            full_name=repo.full_name,
            number=record.number,
            title=record.title,
            body=record.body,
            state=record.state,
            draft=pull.draft,
            merged=pull.merged,
            head_ref=pull.head_ref,
            head_sha=pulls.head_sha(repo, record, pull),
            base_ref=pull.base_ref,
            user=record.user,
            labels=list(record.labels),
            assignees=list(record.assignees),
            requested_reviewers=list(pull.requested_reviewers),
            requested_teams=list(pull.requested_teams),
            comments=[comment.body for comment in record.comments],
            html_url=self._context.urls.pull_html(repo.full_name, record.number),
            merge_commit_sha=pull.merge_commit_sha,
            node_id=node_id("PR", pull.id),
            reviews=[(review.user, review.state) for review in pull.reviews],
        )

    # -- request log ---------------------------------------------------------------------------

    @property
    def requests(self) -> list[LoggedRequest]:
        """Every request so far (REST and git), oldest first, each with the label of the token
        that made it (``token_label``); a copy."""
        return self._context.log.entries()

    def rest_calls(self) -> list[LoggedRequest]:
        return [entry for entry in self.requests if entry.kind == "rest"]

    def rest_writes(self) -> list[LoggedRequest]:
        """Calls that change something (REST POST/PATCH/PUT/DELETE, GraphQL mutations): what
        GitHub throttles."""
        return [entry for entry in self.requests if entry.is_write]

    def graphql_calls(self) -> list[LoggedRequest]:
        """``POST /api/graphql`` calls (also counted among ``rest_writes``: all mutations)."""
        return [entry for entry in self.requests if entry.kind == "graphql"]

    def git_requests(self) -> list[LoggedRequest]:
        return [entry for entry in self.requests if entry.kind == "git"]

    def git_pushes(self) -> list[LoggedRequest]:
        """``git-receive-pack`` POSTs: one per push that sent commits, including pushes that
        branch protection then refused (git reports those in-band, with HTTP 200)."""
        return [entry for entry in self.requests if entry.is_push]

    def clear_requests(self) -> None:
        self._context.log.clear()

    def _repo(self, full_name: str) -> RepositoryRecord:
        return self._context.store.require(full_name)


def _full_names(repositories: Sequence[str]) -> frozenset[str]:
    for name in repositories:
        split_full_name(name)  # refuses anything that is not OWNER/NAME
    return frozenset(name.lower() for name in repositories)


def _checked(permissions: Mapping[str, str]) -> dict[str, str]:
    for name, level in permissions.items():
        if level not in LEVELS:
            raise ValueError(f"permission {name}: {level!r} is not read, write or admin")
    return dict(permissions)
