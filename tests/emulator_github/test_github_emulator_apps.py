"""GitHub Apps and token scope in the emulator: JWT checks, minting, and what a limited token
may do over REST and over git (plain PyGithub, plain requests, real git)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from ghkit import client, git
from github import Auth, GithubException, GithubIntegration

from aodfix.emulator.github import GitHubAppView, GitHubEmulator


def _app_jwt(app: GitHubAppView, *, key: str | None = None, **claims: Any) -> str:
    now = int(time.time())
    payload = {"iat": now - 60, "exp": now + 300, "iss": str(app.app_id), **claims}
    return jwt.encode(payload, key or app.private_key_pem, algorithm="RS256")


def _as_app(emulator: GitHubEmulator, app: GitHubAppView, method: str, path: str, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {_app_jwt(app)}", "Accept": "application/vnd.github+json"}
    return requests.request(method, emulator.api_url + path, headers=headers, timeout=30, **kw)


def _mint(emulator: GitHubEmulator, app: GitHubAppView, owner: str, **body: Any) -> Any:
    return _as_app(
        emulator,
        app,
        "POST",
        f"/app/installations/{app.installations[owner]}/access_tokens",
        json=body,
    )


def _integration(emulator: GitHubEmulator, app: GitHubAppView) -> GithubIntegration:
    return GithubIntegration(
        base_url=emulator.api_url,
        auth=Auth.AppAuth(app.app_id, app.private_key_pem),
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


def _other_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _read_only_token(emulator: GitHubEmulator, app: GitHubAppView, repo: str) -> str:
    owner, name = repo.split("/")
    answer = _mint(emulator, app, owner, repositories=[name], permissions={"contents": "read"})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["token"])


def _commit(work: Path, name: str) -> None:
    (work / name).write_text(f"{name}\n")
    git(work, "add", name, token=None)
    git(work, "commit", "--quiet", "-m", f"Add {name}", token=None)


# -- the app and its installations -------------------------------------------------------


def test_pygithub_finds_the_app_and_its_installation_per_owner(
    github_emulator: GitHubEmulator,
) -> None:
    github_emulator.create_repository("acme/api", private=True)
    app = github_emulator.register_app({"acme": "all"}, slug="fixer")
    user_install = github_emulator.install_app(app.app_id, "octo", ["tools"], account_type="User")
    integration = _integration(github_emulator, app)

    assert integration.get_app().slug == "fixer"
    org = integration.get_org_installation("acme")
    assert (org.id, org.target_type, org.app_id) == (
        app.installations["acme"],
        "Organization",
        app.app_id,
    )
    assert integration.get_repo_installation("acme", "api").id == org.id
    assert integration.get_user_installation("octo").id == user_install
    assert integration.get_user_installation("acme").id == org.id  # organisations are accounts
    with pytest.raises(GithubException) as not_an_org:
        integration.get_org_installation("octo")
    assert not_an_org.value.status == 404
    assert sorted(i.id for i in integration.get_installations()) == sorted([org.id, user_install])


def test_repository_installation_is_404_for_a_repository_outside_it(
    github_emulator: GitHubEmulator,
) -> None:
    github_emulator.create_repository("acme/api")
    github_emulator.create_repository("acme/web")
    app = github_emulator.register_app({"acme": ["api"]})

    inside = _as_app(github_emulator, app, "GET", "/repos/acme/api/installation")
    outside = _as_app(github_emulator, app, "GET", "/repos/acme/web/installation")

    assert inside.status_code == 200
    assert inside.json()["repository_selection"] == "selected"
    assert outside.status_code == 404


@pytest.mark.parametrize(
    ("claim", "value", "message"),
    [
        ("exp", 660, "'Expiration time' claim ('exp') is too far in the future"),
        ("exp", -5, "'Expiration time' claim ('exp') must be a numeric value"),
        ("iat", 120, "'Issued at' claim ('iat') must be an Integer"),
        ("iss", "424242", "A JSON web token could not be decoded"),
    ],
    ids=["exp-too-far", "expired", "issued-in-the-future", "unknown-app"],
)
def test_a_jwt_breaking_githubs_rules_is_401(
    github_emulator: GitHubEmulator, claim: str, value: int | str, message: str
) -> None:
    app = github_emulator.register_app({"acme": "all"})
    # Times are seconds from now, taken when the test runs.
    claimed = value if isinstance(value, str) else int(time.time()) + value
    token = _app_jwt(app, **{claim: claimed})

    answer = requests.get(
        github_emulator.api_url + "/app", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )

    assert answer.status_code == 401
    assert answer.json()["message"].startswith(message)


def test_a_jwt_signed_with_another_key_is_401(github_emulator: GitHubEmulator) -> None:
    app = github_emulator.register_app({"acme": "all"})
    forged = _app_jwt(app, key=_other_key())

    answer = requests.get(
        github_emulator.api_url + "/app", headers={"Authorization": f"Bearer {forged}"}, timeout=30
    )

    assert answer.status_code == 401
    assert answer.json()["message"] == "A JSON web token could not be decoded"


def test_app_endpoints_refuse_a_token_and_repository_endpoints_refuse_a_jwt(
    github_emulator: GitHubEmulator,
) -> None:
    github_emulator.create_repository("acme/api")
    app = github_emulator.register_app({"acme": "all"})
    headers = {"Authorization": f"token {github_emulator.token}"}

    with_token = requests.get(github_emulator.api_url + "/app", headers=headers, timeout=30)
    with_jwt = _as_app(github_emulator, app, "GET", "/repos/acme/api")

    assert with_token.status_code == 401
    assert with_jwt.status_code == 403
    assert with_jwt.json()["message"] == "Resource not accessible by integration"


# -- minting ------------------------------------------------------------------------------


def test_a_minted_token_has_githubs_shape_and_only_what_was_asked(
    github_emulator: GitHubEmulator,
) -> None:
    github_emulator.create_repository("acme/api", private=True)
    github_emulator.create_repository("acme/web", private=True)
    app = github_emulator.register_app({"acme": "all"})

    answer = _mint(
        github_emulator, app, "acme", repositories=["api"], permissions={"contents": "read"}
    )

    assert answer.status_code == 201
    body = answer.json()
    assert re.fullmatch(r"ghs_[A-Za-z0-9]{36}", body["token"])
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert timedelta(minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=1)
    assert body["permissions"] == {"metadata": "read", "contents": "read"}
    assert body["repository_selection"] == "selected"
    assert [repo["full_name"] for repo in body["repositories"]] == ["acme/api"]
    info = github_emulator.token_info(body["token"])
    assert info is not None
    assert (info.kind, info.login, info.repositories) == (
        "installation",
        "aodfix[bot]",
        ["acme/api"],
    )


def test_pygithub_get_access_token_gets_every_repository_of_the_installation(
    github_emulator: GitHubEmulator,
) -> None:
    github_emulator.create_repository("acme/api", private=True)
    github_emulator.create_repository("acme/web", private=True)
    app = github_emulator.register_app({"acme": "all"})

    minted = _integration(github_emulator, app).get_access_token(app.installations["acme"])

    listing = requests.get(
        github_emulator.api_url + "/installation/repositories",
        headers={"Authorization": f"token {minted.token}"},
        timeout=30,
    ).json()
    assert minted.token.startswith("ghs_")
    assert minted.permissions["pull_requests"] == "write"
    assert [repo["full_name"] for repo in listing["repositories"]] == ["acme/api", "acme/web"]


@pytest.mark.parametrize(
    "body",
    [
        {"repositories": ["web"]},  # not selected for the installation
        {"repositories": ["acme/api"]},  # a full name is not a repository name
        {"repositories": ["missing"]},
        {"repository_ids": [999_999]},
    ],
    ids=["not-selected", "full-name", "missing", "unknown-id"],
)
def test_minting_a_repository_outside_the_installation_is_422(
    github_emulator: GitHubEmulator, body: dict[str, Any]
) -> None:
    github_emulator.create_repository("acme/api")
    github_emulator.create_repository("acme/web")
    app = github_emulator.register_app({"acme": ["api"]})

    answer = _mint(github_emulator, app, "acme", **body)

    assert answer.status_code == 422
    assert "not accessible to the parent installation" in answer.json()["message"]


def test_minting_a_permission_the_installation_lacks_is_422(
    github_emulator: GitHubEmulator,
) -> None:
    app = github_emulator.register_app({"acme": "all"}, permissions={"contents": "read"})

    answer = _mint(github_emulator, app, "acme", permissions={"contents": "write"})

    assert answer.status_code == 422
    assert answer.json()["message"] == (
        "The permissions requested are not granted to this installation."
    )


def test_minting_for_an_unknown_installation_is_404(github_emulator: GitHubEmulator) -> None:
    app = github_emulator.register_app({"acme": "all"})

    answer = _as_app(github_emulator, app, "POST", "/app/installations/31337/access_tokens")

    assert answer.status_code == 404


# -- what a limited token may do ----------------------------------------------------------


def test_a_read_only_token_clones_but_git_push_is_refused(
    github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    base = github_emulator.create_repository("acme/app", private=True)
    app = github_emulator.register_app({"acme": "all"})
    token = _read_only_token(github_emulator, app, "acme/app")
    url = github_emulator.clone_url("acme/app")

    git(tmp_path, "clone", "--quiet", url, "work", token=token)
    work = tmp_path / "work"
    _commit(work, "workflow.yml")
    pushed = git(work, "push", url, "HEAD:refs/heads/main", token=token, check=False)

    assert pushed.returncode != 0
    assert "Permission to acme/app.git denied to aodfix[bot]" in pushed.stderr
    assert "The requested URL returned error: 403" in pushed.stderr
    assert github_emulator.branch_sha("acme/app", "main") == base
    assert github_emulator.git_pushes() == []  # refused before any pack was sent


def test_a_read_only_token_rest_writes_are_403_and_reads_show_no_push_permission(
    github_emulator: GitHubEmulator,
) -> None:
    base = github_emulator.create_repository("acme/app", private=True)
    app = github_emulator.register_app({"acme": "all"})
    repo = client(github_emulator, _read_only_token(github_emulator, app, "acme/app")).get_repo(
        "acme/app"
    )

    with pytest.raises(GithubException) as ref:
        repo.create_git_ref("refs/heads/evil", base)
    with pytest.raises(GithubException) as pull:
        repo.create_pull(title="x", body="", head="main", base="main")
    with pytest.raises(GithubException) as listing:
        repo.get_pulls().totalCount  # noqa: B018  (pull_requests: read is not granted either)

    assert repo.permissions.push is False
    assert repo.get_branch("main").commit.sha == base
    for refused in (ref, pull, listing):
        assert refused.value.status == 403
        assert refused.value.data["message"] == "Resource not accessible by integration"


def test_a_token_for_one_repository_does_not_see_another_private_one(
    github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    github_emulator.create_repository("acme/a", private=True)
    github_emulator.create_repository("acme/b", private=True)
    app = github_emulator.register_app({"acme": "all"})
    token = _read_only_token(github_emulator, app, "acme/a")

    with pytest.raises(GithubException) as rest:
        client(github_emulator, token).get_repo("acme/b")
    fetched = git(
        tmp_path, "ls-remote", github_emulator.clone_url("acme/b"), token=token, check=False
    )

    assert rest.value.status == 404
    assert fetched.returncode != 0
    assert "Repository not found" in fetched.stderr


def test_a_limited_token_reads_public_repositories_but_cannot_write_them(
    github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    github_emulator.create_repository("acme/a", private=True)
    base = github_emulator.create_repository("acme/public")
    app = github_emulator.register_app({"acme": ["a"]})
    token = _mint(github_emulator, app, "acme").json()["token"]  # all of a, but only a
    url = github_emulator.clone_url("acme/public")

    repo = client(github_emulator, token).get_repo("acme/public")
    git(tmp_path, "clone", "--quiet", url, "work", token=token)
    _commit(tmp_path / "work", "x.txt")
    pushed = git(tmp_path / "work", "push", url, "HEAD:refs/heads/x", token=token, check=False)
    with pytest.raises(GithubException) as write:
        repo.create_git_ref("refs/heads/x", base)

    assert repo.full_name == "acme/public"
    assert pushed.returncode != 0
    assert "403" in pushed.stderr
    assert write.value.status == 403


def test_an_installation_token_cannot_call_get_user(github_emulator: GitHubEmulator) -> None:
    app = github_emulator.register_app({"acme": "all"})
    token = _mint(github_emulator, app, "acme").json()["token"]

    with pytest.raises(GithubException) as refused:
        client(github_emulator, token).get_user().login  # noqa: B018

    assert refused.value.status == 403


def test_an_expired_installation_token_is_bad_credentials_on_rest_and_git(
    github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    github_emulator.create_repository("acme/app", private=True)
    app = github_emulator.register_app({"acme": "all"}, token_lifetime=timedelta(seconds=2))
    token = _read_only_token(github_emulator, app, "acme/app")
    assert client(github_emulator, token).get_repo("acme/app").name == "app"

    time.sleep(2.2)
    with pytest.raises(GithubException) as rest:
        client(github_emulator, token).get_repo("acme/app")
    fetched = git(
        tmp_path, "ls-remote", github_emulator.clone_url("acme/app"), token=token, check=False
    )

    assert rest.value.status == 401
    assert rest.value.data["message"] == "Bad credentials"
    assert fetched.returncode != 0


def test_a_fine_grained_token_without_pull_requests_write_gets_the_pat_message(
    github_emulator: GitHubEmulator,
) -> None:
    github_emulator.create_repository("acme/app", private=True)
    github_emulator.add_token(
        "github_pat_reader",
        repositories=["acme/app"],
        permissions={"contents": "read", "pull_requests": "read"},
    )
    repo = client(github_emulator, "github_pat_reader").get_repo("acme/app")

    with pytest.raises(GithubException) as refused:
        repo.create_pull(title="x", body="", head="main", base="main")

    assert repo.get_pulls().totalCount == 0
    assert refused.value.status == 403
    assert refused.value.data["message"] == "Resource not accessible by personal access token"


def test_the_request_log_names_the_token_of_each_call_and_push(
    github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    github_emulator.create_repository("acme/app", private=True)
    label = github_emulator.add_token("github_pat_reader", permissions={"contents": "read"})
    url = github_emulator.clone_url("acme/app")
    git(tmp_path, "clone", "--quiet", url, "work", token="github_pat_reader")
    _commit(tmp_path / "work", "x.txt")

    refused = git(
        tmp_path / "work", "push", url, "HEAD:refs/heads/x", token="github_pat_reader", check=False
    )
    git(tmp_path / "work", "push", "--quiet", url, "HEAD:refs/heads/x", token=github_emulator.token)

    assert refused.returncode != 0
    writer = github_emulator.token_label(github_emulator.token)
    assert [push.token_label for push in github_emulator.git_pushes()] == [writer]
    refusals = [r for r in github_emulator.git_requests() if r.status == 403]
    assert {r.token_label for r in refusals} == {label}
    assert all(github_emulator.token not in str(entry) for entry in github_emulator.requests)
