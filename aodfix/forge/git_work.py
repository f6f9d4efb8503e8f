"""The local git side: a shallow checkout of the base commit, the patch, one commit, a push.

Only the base commit is fetched (cost does not grow with history). git is authenticated
with an ``http.extraHeader`` scoped to the forge's URL and passed through the environment of
the commands that talk to the forge only, so the token never enters an argv, a URL, an
error message or any other git command's environment. aodfix sets author and
committer itself on every commit: where it runs there may be no git identity.

A batch branch is only ever replaced when its tip is aodfix's own commit for this batch
(recognised by the ``Aodfix-Batch`` trailer); a branch someone else pushed to is left
alone. Pushes use ``--force-with-lease`` against the tip that was inspected.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import TYPE_CHECKING

from aodfix.errors import RepositorySkipped, StageError
from aodfix.forge.smart_http import SmartHttp, SmartHttpError
from aodfix.patch import apply_patch
from aodfix.patch.result import ResultTree, TreeReadError, read_result
from aodfix.redact import register_secret
from aodfix.report.models import Stage
from aodfix.settings.environment import child_environment

if TYPE_CHECKING:  # GitPython is imported when a commit is made: a dry run never needs it
    import git

log = logging.getLogger(__name__)

TRAILER = "Aodfix-Batch"
TIP_REF = "refs/aodfix/tip"  # where the batch branch's remote tip is fetched to
GIT_TIMEOUT = 600  # seconds for one git command; a forge that stalls fails the repository
# git gives up on a transfer slower than 1 KB/s for a minute, well before GIT_TIMEOUT.
LOW_SPEED = (
    ("http.lowSpeedLimit", "1000"),
    ("http.lowSpeedTime", "60"),
)  # where the batch branch's remote tip is fetched to


@dataclass(frozen=True)
class GitIdentity:
    name: str
    email: str

    @classmethod
    def parse(cls, text: str) -> GitIdentity:
        name, email = parseaddr(text)
        if not email:
            raise ValueError(f"not a 'Name <email>' identity: {text!r}")
        return cls(name or email.split("@")[0], email)

    def env(self) -> dict[str, str]:
        return {
            "GIT_AUTHOR_NAME": self.name,
            "GIT_AUTHOR_EMAIL": self.email,
            "GIT_COMMITTER_NAME": self.name,
            "GIT_COMMITTER_EMAIL": self.email,
        }


@dataclass(frozen=True)
class GitRemote:
    """A repository's clone URL and the git configuration that authenticates against it.

    The auth header goes only to the commands that talk to the forge (``network=True``):
    nothing else git runs — apply, commit, a hook — needs it.
    """

    url: str
    auth: tuple[tuple[str, str], ...] = field(repr=False)  # holds the auth header
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # the same, for HTTP

    @classmethod
    def for_repository(cls, server_url: str, repository: str, token: str) -> GitRemote:
        auth: list[tuple[str, str]] = []
        headers: list[tuple[str, str]] = []
        if token:
            basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
            register_secret(basic)
            auth.append((f"http.{server_url}/.extraHeader", f"Authorization: Basic {basic}"))
            headers.append(("Authorization", f"Basic {basic}"))
        url = f"{server_url}/{repository}.git"
        return cls(url=url, auth=tuple(auth), headers=tuple(headers))

    def environment(self, *, network: bool) -> dict[str, str]:
        """A scrubbed environment for one git command (no token of this process in it)."""
        configs = [("credential.helper", ""), *LOW_SPEED, *(self.auth if network else ())]
        env = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "LC_ALL": "C"}
        return child_environment(env, git_config=configs)


class Checkout:
    """A throwaway local repository holding only the base commit, in its index (the work
    tree stays empty)."""

    def __init__(self, remote: GitRemote, base_sha: str, http: SmartHttp | None = None) -> None:
        self.remote = remote
        self.base_sha = base_sha
        self._http = http
        self.path = Path(tempfile.mkdtemp(prefix="aodfix-git-"))
        _init_repository(self.path, base_sha)  # HEAD detached at the base from the start
        self._repo: git.Repo | None = None
        self.fetched_branch: str | None = None
        self.remote_tip: git.Commit | None = None

    def __enter__(self) -> Checkout:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def repo(self) -> git.Repo:
        """GitPython's view, opened when first needed (a dry run never needs it)."""
        if self._repo is None:
            import git

            self._repo = git.Repo(self.path)
        return self._repo

    def close(self) -> None:
        if self._repo is not None:
            self._repo.close()
        shutil.rmtree(self.path, ignore_errors=True)

    def fetch(self, branch: str | None = None) -> None:
        """Fetch the base commit and, when ``branch`` exists on the remote, its tip: depth 1,
        in one fetch (each git round trip to the forge costs latency), then check out the base:
        in-process when the checkout has a ``SmartHttp`` and the server speaks protocol v2,
        else with ``git fetch``."""
        try:
            if self._http is None:
                raise SmartHttpError("no in-process git for this checkout")
            self._fetch_in_process(self._http, branch)
        except SmartHttpError as exc:
            log.debug("in-process fetch of %s fell back to git: %s", self.remote.url, exc)
            self._fetch_with_git(branch)
        # The base's tree in the index; no work tree is written (the patch is applied to the
        # index, and the commit is made from it).
        self._git(Stage.APPLY, "read-tree", self.base_sha)
        self.fetched_branch = branch
        tip = self.path / ".git" / TIP_REF
        self.remote_tip = self.repo.commit(TIP_REF) if tip.exists() else None

    def _fetch_in_process(self, http: SmartHttp, branch: str | None) -> None:
        headers = dict(self.remote.headers)
        tip = None
        if branch is not None:
            ref = f"refs/heads/{branch}"
            tip = http.ls_refs(self.remote.url, headers, ref).get(ref)
        wants = [self.base_sha, *([tip] if tip and tip != self.base_sha else [])]
        fetched = http.fetch(self.remote.url, headers, wants)
        index = subprocess.Popen(
            ["git", "index-pack", "--stdin"],
            cwd=self.path,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=self.remote.environment(network=False),
        )
        assert index.stdin is not None and index.stderr is not None
        try:
            for chunk in fetched.pack:
                index.stdin.write(chunk)
        except (SmartHttpError, BrokenPipeError):
            index.kill()
            index.wait()
            raise SmartHttpError("the pack did not arrive whole") from None
        finally:
            if not index.stdin.closed:
                index.stdin.close()
        failure = index.stderr.read()
        index.stderr.close()
        if index.wait(timeout=GIT_TIMEOUT) != 0:
            raise SmartHttpError(f"git index-pack: {failure.decode('utf-8', 'replace')[:200]}")
        git_dir = self.path / ".git"
        if fetched.shallow:
            (git_dir / "shallow").write_text("".join(f"{s}\n" for s in fetched.shallow))
        if tip:
            ref_file = git_dir / TIP_REF
            ref_file.parent.mkdir(parents=True, exist_ok=True)
            ref_file.write_text(f"{tip}\n", encoding="ascii")

    def _fetch_with_git(self, branch: str | None) -> None:
        wanted = [self.base_sha]
        if branch is not None:
            listed = self._git(
                Stage.APPLY, "ls-remote", self.remote.url, f"refs/heads/{branch}", network=True
            )
            if listed.strip():
                wanted.append(f"+refs/heads/{branch}:{TIP_REF}")
        self._git(
            Stage.APPLY,
            "fetch",
            "--quiet",
            "--depth=1",
            "--no-tags",
            "--no-auto-maintenance",  # a throwaway repository needs no upkeep
            "--no-write-fetch-head",
            self.remote.url,
            *wanted,
            network=True,
        )

    def apply(self, patch: bytes, *, three_way: bool) -> ResultTree:
        """Apply the patch to the index (or fail at stage apply with git's
        reason) and return what git wrote, for the policy to decide on."""
        result = apply_patch(self.path, patch, three_way_fallback=three_way)
        if not result.applies:
            raise StageError(
                Stage.APPLY, f"patch does not apply on {self.base_sha[:12]}: {result.message}"
            )
        try:
            return read_result(self.path)
        except TreeReadError as exc:
            raise StageError(Stage.POLICY, f"cannot read what the patch wrote: {exc}") from None

    def commit(self, *, message: str, author: GitIdentity, batch: str) -> str:
        """Commit the applied patch with the batch trailer."""
        message_file = Path(self.repo.git_dir) / "AODFIX_COMMIT_MSG"
        message_file.write_text(f"{message.rstrip()}\n\n{TRAILER}: {batch}\n", encoding="utf-8")
        self._git(
            Stage.APPLY,
            "-c",
            "commit.gpgsign=false",
            "commit",
            "--quiet",
            "--no-verify",
            f"--file={message_file}",
            extra_env=author.env(),
        )
        return self.repo.head.commit.hexsha

    def publish(self, branch: str, batch: str) -> bool:
        """Push HEAD to ``branch`` unless the branch already holds the same tree; True if pushed.

        Raises RepositorySkipped when the branch tip is not aodfix's commit for ``batch``.
        """
        if branch != self.fetched_branch:
            raise ValueError("publish() needs fetch(branch) first")
        head = self.repo.head.commit
        ref = f"refs/heads/{branch}"
        tip: str | None = None
        if self.remote_tip is not None:
            tip_commit = self.remote_tip
            tip = tip_commit.hexsha
            if not made_by_batch(str(tip_commit.message), batch):
                who = f"{tip_commit.author.name} <{tip_commit.author.email}>"
                raise RepositorySkipped(Stage.PUSH, foreign_branch(branch, tip, who))
            if tip_commit.tree.hexsha == head.tree.hexsha:
                return False
        lease = f"--force-with-lease={ref}:{tip or ''}"
        self._git(
            Stage.PUSH,
            "push",
            "--quiet",
            "--no-verify",
            lease,
            self.remote.url,
            f"HEAD:{ref}",
            network=True,
        )
        return True

    def _git(
        self,
        stage: Stage,
        *args: str,
        extra_env: dict[str, str] | None = None,
        network: bool = False,
    ) -> str:
        out = self._git_bytes(stage, *args, extra_env=extra_env, network=network)
        return out.decode("utf-8", "replace").rstrip("\n")

    def _git_bytes(
        self,
        stage: Stage,
        *args: str,
        extra_env: dict[str, str] | None = None,
        network: bool = False,
    ) -> bytes:
        env = {**self.remote.environment(network=network), **(extra_env or {})}
        command = args[0] if args else "git"
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=self.path,
                env=env,
                capture_output=True,
                check=False,
                timeout=GIT_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            raise StageError(stage, f"git {command} took longer than {GIT_TIMEOUT} s") from None
        if done.returncode != 0:
            stderr = done.stderr.decode("utf-8", "replace").strip()
            raise StageError(stage, f"git {command} failed: {stderr or done.returncode}")
        return done.stdout


def _init_repository(path: Path, head: str) -> None:
    """The least git takes as a repository (gitrepository-layout(5)), written without a
    process: ``HEAD`` (here detached at ``head``), ``objects/`` and ``refs/``. No config (its
    defaults are what ``git init`` writes), hooks or template; git adds the rest as it needs
    it. Each directory costs the file system a block, per repository of the batch."""
    git_dir = path / ".git"
    os.makedirs(git_dir / "objects")
    os.mkdir(git_dir / "refs")
    (git_dir / "HEAD").write_text(f"{head}\n", encoding="ascii")


def made_by_batch(message: str, batch: str) -> bool:
    """Whether a commit message carries this batch's trailer (aodfix wrote the commit)."""
    pattern = re.compile(rf"^{TRAILER}:\s*{re.escape(batch)}\s*$", re.MULTILINE)
    return bool(pattern.search(message))


def foreign_branch(branch: str, tip: str, who: str) -> str:
    return (
        f"branch {branch} has a commit not made by this aodfix batch (tip {tip[:12]} by"
        f" {who}); left alone — delete the branch or rename pull_request.branch to run again"
    )
