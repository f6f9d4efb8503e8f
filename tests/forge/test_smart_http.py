"""The in-process fetch (git's smart HTTP, protocol v2) against the GitHub emulator's real
``git http-backend``, and git's own fetch taking over where a server does not speak v2."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from aodfix.emulator.github import GitHubEmulator
from aodfix.errors import StageError
from aodfix.forge.git_work import Checkout, GitRemote
from aodfix.forge.github_client import GitHubGateway, GitHubSettings
from aodfix.forge.resolve import resolve_repository
from aodfix.forge.smart_http import SmartHttp, SmartHttpError

FILES = {"app.py": "VALUE = 1\n"}
PATCH = b"""diff --git a/app.py b/app.py
--- a/app.py
+++ b/app.py
@@ -1 +1 @@
-VALUE = 1
+VALUE = 2
"""


def _repository(github: GitHubEmulator, tmp_path: Path) -> tuple[GitRemote, str]:
    source = tmp_path / "source"
    source.mkdir()
    (source / "app.py").write_text(FILES["app.py"])
    sha = github.create_repository("acme/app", source)
    return GitRemote.for_repository(github.server_url, "acme/app", github.token), sha


def test_a_base_and_a_branch_tip_are_fetched_in_process(
    github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    remote, base = _repository(github_emulator, tmp_path)
    tip = github_emulator.commit_files("acme/app", "aodfix/fix", {"app.py": "VALUE = 3\n"})
    github_emulator.clear_requests()
    http = SmartHttp()
    try:
        with Checkout(remote, base, http) as checkout:
            checkout.fetch("aodfix/fix")
            assert checkout.remote_tip is not None and checkout.remote_tip.hexsha == tip
            tree = checkout.apply(PATCH, three_way=False)
            assert [c.path for c in tree.changes] == ["app.py"]
    finally:
        http.close()
    git = [(r.method, r.path.rsplit("/", 1)[-1]) for r in github_emulator.git_requests()]
    # ls-refs and fetch, both POSTs: git's own fetch would have asked for info/refs first
    assert git == [("POST", "git-upload-pack"), ("POST", "git-upload-pack")]


def test_without_a_branch_only_the_base_is_fetched(
    github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    remote, base = _repository(github_emulator, tmp_path)
    http = SmartHttp()
    try:
        with Checkout(remote, base, http) as checkout:
            checkout.fetch()
            assert checkout.remote_tip is None
            shown = subprocess.run(
                ["git", "show", f"{base}:app.py"], cwd=checkout.path, capture_output=True
            )
            assert shown.stdout == b"VALUE = 1\n"
            assert (checkout.path / ".git" / "shallow").read_text().strip() == base
    finally:
        http.close()


class _ProtocolZeroBackend(BaseHTTPRequestHandler):
    """``git http-backend`` as a CGI that never hears of protocol v2 (an old server)."""

    root: Path

    def do_GET(self) -> None:
        self._cgi(b"")

    def do_POST(self) -> None:
        self._cgi(self.rfile.read(int(self.headers.get("content-length", "0"))))

    def _cgi(self, body: bytes) -> None:
        path, _, query = self.path.partition("?")
        env = {
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("content-type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "PATH": "/usr/bin:/bin",
        }
        done = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True)
        head, _, content = done.stdout.partition(b"\r\n\r\n")
        self.send_response(int(head.split(b"Status: ")[1][:3]) if b"Status: " in head else 200)
        for line in head.split(b"\r\n"):
            name, _, value = line.decode().partition(": ")
            if name.lower() != "status":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def old_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A protocol-0 git server holding one repository: (its URL, its commit)."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "app.py").write_text(FILES["app.py"])
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=work, check=True)
    subprocess.run([*git, "add", "."], cwd=work, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=work, check=True)
    root = tmp_path / "served"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(root / "app.git")], check=True)
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=work, capture_output=True, text=True, check=True
    ).stdout.strip()
    handler = type("Handler", (_ProtocolZeroBackend,), {"root": root})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/app.git", sha
    finally:
        server.shutdown()
        server.server_close()


def test_a_server_without_protocol_v2_is_refused_in_process(old_server: tuple[str, str]) -> None:
    url, sha = old_server
    http = SmartHttp()
    try:
        with pytest.raises(SmartHttpError):
            fetched = http.fetch(url, {}, [sha])
            for _ in fetched.pack:
                pass
    finally:
        http.close()


def test_git_fetches_instead_when_the_server_does_not_speak_v2(
    old_server: tuple[str, str],
) -> None:
    url, sha = old_server
    http = SmartHttp()
    try:
        with Checkout(GitRemote(url=url, auth=()), sha, http) as checkout:
            checkout.fetch()
            tree = checkout.apply(PATCH, three_way=False)
            assert [c.path for c in tree.changes] == ["app.py"]
    finally:
        http.close()


def test_resolve_asks_git_for_the_base_commit_and_the_rest_api_once(
    github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    _, base = _repository(github_emulator, tmp_path)
    settings = GitHubSettings(
        api_url=github_emulator.api_url,
        server_url=github_emulator.server_url,
        token=github_emulator.token,
    )
    gateway, http = GitHubGateway(settings), SmartHttp()
    try:
        github_emulator.clear_requests()
        resolved = resolve_repository(gateway, "acme/app", None, git_http=http)
        assert (resolved.base, resolved.base_sha) == ("main", base)
        rest = [r.path for r in github_emulator.rest_calls()]
        assert rest == ["/api/v3/repos/acme/app"]  # no GET …/branches/main
        with pytest.raises(StageError, match="base branch 'gone' not found in acme/app"):
            resolve_repository(gateway, "acme/app", "gone", git_http=http)
    finally:
        http.close()
        gateway.close()


class _BogusRefs(BaseHTTPRequestHandler):
    """A git server whose ls-refs names a "commit" that is no commit id."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        line = b"refs/heads/hijacked-by-the-server-HEAD~1 refs/heads/main\n"
        content = f"{len(line) + 4:04x}".encode() + line + b"0000"
        self.send_response(200)
        self.send_header("Content-Type", "application/x-git-upload-pack-result")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, *_: object) -> None:
        pass


def test_a_base_commit_that_is_not_a_commit_id_fails_resolve(
    github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    _repository(github_emulator, tmp_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BogusRefs)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings = GitHubSettings(
        api_url=github_emulator.api_url,
        server_url=f"http://127.0.0.1:{server.server_port}",
        token=github_emulator.token,
    )
    gateway, http = GitHubGateway(settings), SmartHttp()
    try:
        with pytest.raises(StageError, match="as the tip of 'main' in acme/app: not a commit id"):
            resolve_repository(gateway, "acme/app", None, git_http=http)
    finally:
        http.close()
        gateway.close()
        server.shutdown()
        server.server_close()
