"""``aodfix.forge.app_auth`` against the GitHub emulator: finding installations, minting,
caching and refreshing tokens, and the read-only sandbox token refused by real git."""

from __future__ import annotations

import base64
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from emulator_github.ghkit import client, git
from github import GithubException

from aodfix.emulator.github import GitHubAppView, GitHubEmulator
from aodfix.forge.app_auth import AppAuthError, AppCredentials, InstallationTokens
from aodfix.redact import redact


def _tokens(
    emulator: GitHubEmulator, app: GitHubAppView, **options: timedelta
) -> InstallationTokens:
    credentials = AppCredentials(app.app_id, app.private_key_pem)
    return InstallationTokens(credentials, emulator.api_url, **options)


def _mints(emulator: GitHubEmulator) -> int:
    return sum(1 for r in emulator.rest_calls() if r.path.endswith("/access_tokens"))


def _pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture(scope="module")
def pem() -> str:
    return _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))


# -- AppCredentials --------------------------------------------------------------------------


def test_from_env_is_none_when_no_app_is_configured() -> None:
    assert AppCredentials.from_env({"GITHUB_TOKEN": "ghp_x"}) is None


def test_from_env_reads_the_key_text_or_a_key_file(pem: str, tmp_path: Path) -> None:
    key_file = tmp_path / "app.pem"
    key_file.write_text(pem)

    inline = AppCredentials.from_env(
        {"AODFIX_GITHUB_APP_ID": "12", "AODFIX_GITHUB_APP_PRIVATE_KEY": pem}
    )
    from_file = AppCredentials.from_env(
        {"AODFIX_GITHUB_APP_ID": "12", "AODFIX_GITHUB_APP_PRIVATE_KEY_FILE": str(key_file)}
    )

    assert inline == from_file == AppCredentials(12, pem)


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"AODFIX_GITHUB_APP_ID": "12"}, "AODFIX_GITHUB_APP_PRIVATE_KEY"),
        ({"AODFIX_GITHUB_APP_PRIVATE_KEY": "PEM"}, "AODFIX_GITHUB_APP_ID"),
        ({"AODFIX_GITHUB_APP_PRIVATE_KEY_FILE": "/k.pem"}, "AODFIX_GITHUB_APP_ID"),
        ({"AODFIX_GITHUB_APP_ID": "my-app", "AODFIX_GITHUB_APP_PRIVATE_KEY": "PEM"}, "numeric"),
        ({"AODFIX_GITHUB_APP_ID": "12", "AODFIX_GITHUB_APP_PRIVATE_KEY": "not a key"}, "PEM"),
        (
            {"AODFIX_GITHUB_APP_ID": "12", "AODFIX_GITHUB_APP_PRIVATE_KEY_FILE": "/nope.pem"},
            "/nope",
        ),
    ],
    ids=["id-only", "key-only", "key-file-only", "id-not-a-number", "key-unparsable", "no-file"],
)
def test_from_env_refuses_half_or_broken_configuration_in_one_line(
    environ: dict[str, str], named: str
) -> None:
    with pytest.raises(ValueError) as refused:
        AppCredentials.from_env(environ)

    assert named in str(refused.value)
    assert "\n" not in str(refused.value)


def test_an_elliptic_curve_key_is_refused_because_github_signs_rs256() -> None:
    with pytest.raises(ValueError, match="RSA"):
        AppCredentials(12, _pem(ec.generate_private_key(ec.SECP256R1())))


def test_repr_and_str_hide_the_private_key(pem: str) -> None:
    credentials = AppCredentials(12, pem)

    assert (
        repr(credentials) == str(credentials) == "AppCredentials(app_id=12, private_key=<hidden>)"
    )


# -- InstallationTokens ----------------------------------------------------------------------


def test_token_for_uses_the_owners_installation_and_is_cached(
    github_emulator: GitHubEmulator,
) -> None:
    github_emulator.create_repository("acme/api", private=True)
    app = github_emulator.register_app({"acme": "all"})
    tokens = _tokens(github_emulator, app)

    first = tokens.token_for("acme")
    again = tokens.token_for("ACME")

    assert first == again
    assert _mints(github_emulator) == 1
    info = github_emulator.token_info(first)
    assert info is not None and info.installation_id == app.installations["acme"]
    repo = client(github_emulator, first).get_repo("acme/api")
    assert repo.permissions.push is True


def test_token_for_falls_back_to_the_user_installation(github_emulator: GitHubEmulator) -> None:
    app = github_emulator.register_app()
    installation = github_emulator.install_app(app.app_id, "octo", account_type="User")

    token = _tokens(github_emulator, app).token_for("octo")

    info = github_emulator.token_info(token)
    assert info is not None and info.installation_id == installation
    paths = [r.path for r in github_emulator.rest_calls()]
    assert paths[:2] == ["/api/v3/orgs/octo/installation", "/api/v3/users/octo/installation"]


def test_token_for_mints_anew_when_the_token_is_within_the_refresh_margin(
    github_emulator: GitHubEmulator,
) -> None:
    app = github_emulator.register_app({"acme": "all"}, token_lifetime=timedelta(minutes=4))
    tokens = _tokens(github_emulator, app)  # default margin: five minutes

    assert tokens.token_for("acme") != tokens.token_for("acme")
    assert _mints(github_emulator) == 2


def test_token_for_refreshes_an_expired_token(github_emulator: GitHubEmulator) -> None:
    github_emulator.create_repository("acme/api", private=True)
    app = github_emulator.register_app({"acme": "all"}, token_lifetime=timedelta(seconds=2))
    tokens = _tokens(github_emulator, app, refresh_margin=timedelta(0))
    old = tokens.token_for("acme")

    time.sleep(2.2)
    new = tokens.token_for("acme")

    assert new != old
    with pytest.raises(GithubException) as expired:
        client(github_emulator, old).get_repo("acme/api")
    assert expired.value.status == 401
    assert client(github_emulator, new).get_repo("acme/api").name == "api"


def test_worker_threads_asking_at_once_share_one_minted_token(
    github_emulator: GitHubEmulator,
) -> None:
    app = github_emulator.register_app({"acme": "all"})
    tokens = _tokens(github_emulator, app)
    got: list[str] = []
    workers = [
        threading.Thread(target=lambda: got.append(tokens.token_for("acme"))) for _ in range(8)
    ]

    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert len(got) == 8 and len(set(got)) == 1
    assert _mints(github_emulator) == 1


def test_sandbox_token_reads_its_repository_only_and_its_push_is_refused(
    github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    base = github_emulator.create_repository("acme/app", private=True)
    github_emulator.create_repository("acme/other", private=True)
    app = github_emulator.register_app({"acme": "all"})
    token = _tokens(github_emulator, app).sandbox_token("acme/app")
    url = github_emulator.clone_url("acme/app")

    git(tmp_path, "clone", "--quiet", url, "work", token=token)
    work = tmp_path / "work"
    (work / "evil.yml").write_text("on: push\n")
    git(work, "add", "evil.yml", token=None)
    git(work, "commit", "--quiet", "-m", "evil", token=None)
    pushed = git(work, "push", url, "HEAD:refs/heads/main", token=token, check=False)
    other = git(
        tmp_path, "ls-remote", github_emulator.clone_url("acme/other"), token=token, check=False
    )

    assert pushed.returncode != 0
    assert "denied" in pushed.stderr and "403" in pushed.stderr
    assert github_emulator.branch_sha("acme/app", "main") == base
    assert other.returncode != 0
    info = github_emulator.token_info(token)
    assert info is not None
    assert info.repositories == ["acme/app"]
    assert info.permissions == {"metadata": "read", "contents": "read"}


def test_each_sandbox_gets_a_fresh_token(github_emulator: GitHubEmulator) -> None:
    github_emulator.create_repository("acme/app", private=True)
    app = github_emulator.register_app({"acme": "all"})
    tokens = _tokens(github_emulator, app)

    assert tokens.sandbox_token("acme/app") != tokens.sandbox_token("acme/app")


def test_sandbox_token_for_a_repository_outside_the_installation_is_an_app_auth_error(
    github_emulator: GitHubEmulator,
) -> None:
    github_emulator.create_repository("acme/app", private=True)
    github_emulator.create_repository("acme/secret", private=True)
    app = github_emulator.register_app({"acme": ["app"]})

    with pytest.raises(AppAuthError) as refused:
        _tokens(github_emulator, app).sandbox_token("acme/secret")

    message = str(refused.value)
    assert "acme/secret" in message and "422" in message and "installation" in message
    assert "\n" not in message


def test_an_owner_without_the_app_installed_is_an_app_auth_error(
    github_emulator: GitHubEmulator,
) -> None:
    app = github_emulator.register_app({"acme": "all"})
    tokens = _tokens(github_emulator, app)

    with pytest.raises(AppAuthError, match="not installed on elsewhere"):
        tokens.token_for("elsewhere")
    with pytest.raises(AppAuthError, match="not installed on elsewhere"):
        tokens.sandbox_token("elsewhere/app")


def test_a_key_github_does_not_know_is_an_app_auth_error_without_the_key(
    github_emulator: GitHubEmulator, pem: str
) -> None:
    app = github_emulator.register_app({"acme": "all"})
    tokens = InstallationTokens(AppCredentials(app.app_id, pem), github_emulator.api_url)

    with pytest.raises(AppAuthError) as refused:
        tokens.token_for("acme")

    message = str(refused.value)
    assert "401" in message and "A JSON web token could not be decoded" in message
    assert "PRIVATE KEY" not in message and "\n" not in message


def test_every_minted_token_is_masked_by_redact(github_emulator: GitHubEmulator) -> None:
    github_emulator.create_repository("acme/app", private=True)
    app = github_emulator.register_app({"acme": "all"})
    tokens = _tokens(github_emulator, app)
    own, sandbox = tokens.token_for("acme"), tokens.sandbox_token("acme/app")
    # base64, because the ghs_ shape alone is masked even for a token nobody registered
    encoded = [base64.b64encode(token.encode()).decode() for token in (own, sandbox)]

    shown = redact(f"{own} {sandbox} {encoded[0]} {encoded[1]} key={app.private_key_pem}")

    assert shown == "*** *** *** *** key=***"
