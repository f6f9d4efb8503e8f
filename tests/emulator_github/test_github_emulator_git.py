"""git smart HTTP against the emulator with a plain git client: fetch, push, auth, refusals."""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path

import httpx
import pytest
from ghkit import client, commit_and_push, git, shallow_checkout

from aodfix.emulator.github import GitHubEmulator


def _object_count(repository: Path) -> int:
    listing = git(repository, "rev-list", "--objects", "--all", token=None).stdout
    return len(listing.splitlines())


def test_shallow_fetch_of_one_commit_transfers_far_fewer_objects_than_a_full_clone(
    github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    head = github_emulator.create_repository("acme/big", history=2000)
    url = github_emulator.clone_url("acme/big")

    shallow = shallow_checkout(github_emulator, "acme/big", head, tmp_path / "shallow")
    git(tmp_path, "clone", "--quiet", "--bare", url, "full.git", token=github_emulator.token)

    shallow_objects = _object_count(shallow)
    full_objects = _object_count(tmp_path / "full.git")
    assert (shallow / ".git" / "shallow").read_text().strip() == head
    assert shallow_objects <= 5  # the commit, its tree, README.md
    assert full_objects >= 6000  # 2000 commits, each with a tree and a blob
    full_commits = git(tmp_path / "full.git", "rev-list", "--count", "HEAD", token=None)
    assert full_commits.stdout.strip() == "2000"


def test_seeded_repository_holds_exactly_the_source_folder(
    github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    source = tmp_path / "source"
    (source / "src").mkdir(parents=True)
    (source / "src" / "app.py").write_text("print('hi')\n")
    (source / "run.sh").write_text("#!/bin/sh\n")
    (source / "run.sh").chmod(0o755)
    head = github_emulator.create_repository("acme/app", source, history=3)

    work = shallow_checkout(github_emulator, "acme/app", head, tmp_path / "work")

    files = git(work, "ls-tree", "-r", "--format=%(objectmode) %(path)", "HEAD", token=None)
    assert files.stdout.splitlines() == ["100755 run.sh", "100644 src/app.py"]
    history = git(tmp_path, "ls-remote", github_emulator.clone_url("acme/app"), token=None)
    assert f"{head}\trefs/heads/main" in history.stdout.splitlines()


def test_pushing_to_a_protected_branch_fails_with_gh006(
    github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    base = github_emulator.create_repository("acme/api")
    github_emulator.protect_branch("acme/api", "main")
    work = shallow_checkout(github_emulator, "acme/api", base, tmp_path / "work")
    (work / "x.txt").write_text("x\n")
    git(work, "add", "x.txt", token=None)
    git(work, "commit", "--quiet", "-m", "direct", token=None)

    pushed = git(
        work,
        "push",
        github_emulator.clone_url("acme/api"),
        "HEAD:refs/heads/main",
        token=github_emulator.token,
        check=False,
    )

    assert pushed.returncode != 0
    assert "GH006: Protected branch update failed for refs/heads/main" in pushed.stderr
    assert github_emulator.branch_sha("acme/api", "main") == base
    commit_and_push(github_emulator, "acme/api", work, "feature", {"y.txt": "y\n"})


def test_git_with_a_bad_token_is_401_with_a_basic_challenge(
    github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    github_emulator.create_repository("acme/api")
    url = github_emulator.clone_url("acme/api")

    listed = git(tmp_path, "ls-remote", url, token="ghp_wrong", check=False)
    raw = httpx.get(
        f"{url}/info/refs?service=git-upload-pack",
        auth=("x-access-token", "ghp_wrong"),
    )

    assert listed.returncode != 0
    assert raw.status_code == 401
    assert raw.headers["WWW-Authenticate"] == 'Basic realm="GitHub"'


def test_anonymous_git_can_read_public_repositories_but_not_push(
    github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    base = github_emulator.create_repository("acme/public")
    github_emulator.create_repository("acme/private", private=True)

    public = git(tmp_path, "ls-remote", github_emulator.clone_url("acme/public"), token=None)
    hidden = git(
        tmp_path, "ls-remote", github_emulator.clone_url("acme/private"), token=None, check=False
    )
    work = shallow_checkout(github_emulator, "acme/public", base, tmp_path / "work")
    push = git(
        work,
        "push",
        github_emulator.clone_url("acme/public"),
        "HEAD:refs/heads/anon",
        token=None,
        check=False,
    )

    assert f"{base}\trefs/heads/main" in public.stdout
    assert hidden.returncode != 0
    assert push.returncode != 0
    assert github_emulator.branch_sha("acme/public", "anon") is None


def test_pushing_to_an_archived_repository_is_403(
    github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    base = github_emulator.create_repository("acme/api")
    work = shallow_checkout(github_emulator, "acme/api", base, tmp_path / "work")
    github_emulator.set_archived("acme/api")

    push = git(
        work,
        "push",
        github_emulator.clone_url("acme/api"),
        "HEAD:refs/heads/late",
        token=github_emulator.token,
        check=False,
    )

    assert push.returncode != 0
    assert "403" in push.stderr
    assert client(github_emulator).get_repo("acme/api").archived is True


def test_bearer_extra_header_authenticates_git(
    github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    github_emulator.create_repository("acme/secret", private=True)
    bearer = {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "http.extraHeader",
        "GIT_CONFIG_VALUE_0": f"Authorization: Bearer {github_emulator.token}",
    }

    listed = git(
        tmp_path,
        "ls-remote",
        github_emulator.clone_url("acme/secret"),
        token=None,
        extra_env=bearer,
    )

    assert "refs/heads/main" in listed.stdout


def test_token_as_user_name_with_x_oauth_basic_authenticates_git(
    github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    """The credential-store form AoD writes for a resource's authorization_token."""
    github_emulator.create_repository("acme/secret", private=True)
    basic = base64.b64encode(f"{github_emulator.token}:x-oauth-basic".encode()).decode()
    header = {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "http.extraHeader",
        "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
    }
    listed = git(
        tmp_path,
        "ls-remote",
        github_emulator.clone_url("acme/secret"),
        token=None,
        extra_env=header,
    )
    assert "refs/heads/main" in listed.stdout


def test_gzip_compressed_fetch_requests_are_understood(
    github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    github_emulator.create_repository("acme/api")
    for index in range(40):  # forty distinct wants make a request git gzips (> 1 KiB)
        github_emulator.commit_files("acme/api", f"b{index:02}", {f"{index}.txt": "x\n"})
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "--quiet", token=None)

    fetched = git(
        work,
        "fetch",
        github_emulator.clone_url("acme/api"),
        "refs/heads/*:refs/remotes/origin/*",
        token=github_emulator.token,
        extra_env={"GIT_TRACE_CURL": "1", "GIT_TRACE_CURL_NO_DATA": "1"},
    )

    assert "Content-Encoding: gzip" in fetched.stderr
    remote_branches = git(work, "branch", "--remotes", token=None).stdout.split()
    assert len(remote_branches) == 41


def test_git_requests_and_pushes_are_logged_without_credentials(
    github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    base = github_emulator.create_repository("acme/api")
    work = shallow_checkout(github_emulator, "acme/api", base, tmp_path / "work")
    commit_and_push(github_emulator, "acme/api", work, "fix", {"a.txt": "a\n"})

    pushes = github_emulator.git_pushes()

    assert [(p.method, p.path, p.status) for p in pushes] == [
        ("POST", "/acme/api.git/git-receive-pack", 200)
    ]
    assert all(github_emulator.token not in repr(entry) for entry in github_emulator.requests)


def _pkt(text: str) -> bytes:
    return f"{len(text) + 4:04x}{text}".encode()


def _unchunked(body: bytes) -> list[bytes]:
    """The answer's pkt-lines, with the pack's side-band packets joined into one: how
    upload-pack cuts the pack into packets depends on how pack-objects' output arrives."""
    lines: list[bytes] = []
    pack = bytearray()
    position = 0
    while position < len(body):
        size = int(body[position : position + 4], 16)
        payload = body[position + 4 : position + size] if size > 4 else b""
        position += max(size, 4)
        if lines and lines[-1] == b"packfile\n" and payload[:1] == b"\x01":
            pack += payload[1:]
        else:
            if pack:
                lines.append(bytes(pack))
                pack.clear()
            lines.append(payload if size > 4 else f"{size:04x}".encode())
    return lines if not pack else [*lines, bytes(pack)]


def _backend(bare: Path, method: str, rest: str, query: str, body: bytes, v2: bool) -> bytes:
    """What ``git http-backend`` itself answers (its CGI headers, then the body)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(
        GIT_PROJECT_ROOT=str(bare.parent),
        GIT_HTTP_EXPORT_ALL="1",
        PATH_INFO=f"/{bare.name}/{rest}",
        QUERY_STRING=query,
        REQUEST_METHOD=method,
        CONTENT_TYPE="application/x-git-upload-pack-request" if body else "",
        CONTENT_LENGTH=str(len(body)),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
    )
    if v2:
        env.update(GIT_PROTOCOL="version=2", HTTP_GIT_PROTOCOL="version=2")
    answer = subprocess.run(
        ["git", "http-backend"], input=body, env=env, capture_output=True, check=True
    )
    return answer.stdout


@pytest.mark.parametrize("v2", [False, True], ids=["protocol-v0", "protocol-v2"])
def test_fetch_requests_are_answered_as_git_http_backend_answers_them(
    github_emulator: GitHubEmulator, v2: bool
) -> None:
    head = github_emulator.create_repository("acme/api", history=3)
    bare = github_emulator.bare_path("acme/api")
    base = github_emulator.clone_url("acme/api")
    arguments = [f"want {head}\n", "deepen 1\n", "no-progress\n", "done\n"]
    fetch = b"".join([_pkt("command=fetch\n"), b"0001", *map(_pkt, arguments), b"0000"])
    ls_refs = b"".join([_pkt("command=ls-refs\n"), b"0001", _pkt("symrefs\n"), b"0000"])
    exchanges = [("GET", "info/refs", "service=git-upload-pack", b"")]
    if v2:
        exchanges += [
            ("POST", "git-upload-pack", "", ls_refs),
            ("POST", "git-upload-pack", "", fetch),
        ]
    headers = {"Authorization": f"Bearer {github_emulator.token}"}
    if v2:
        headers["Git-Protocol"] = "version=2"
    with httpx.Client(headers=headers) as http:
        for method, rest, query, body in exchanges:
            sent = {"Content-Type": "application/x-git-upload-pack-request"} if body else {}
            url = f"{base}/{rest}" + (f"?{query}" if query else "")
            answer = http.request(method, url, content=body, headers=sent)
            head_block, _, expected = _backend(bare, method, rest, query, body, v2).partition(
                b"\r\n\r\n"
            )
            expected_headers = dict(
                line.split(": ", 1) for line in head_block.decode().split("\r\n")
            )
            assert answer.status_code == 200
            for name, value in expected_headers.items():
                assert answer.headers[name] == value
            assert _unchunked(answer.content) == _unchunked(expected)
