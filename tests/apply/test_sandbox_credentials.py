"""The agent's sandbox never holds a token that can write: private repositories are cloned
with a read-only token (a GitHub App's one-repository token, or AODFIX_SANDBOX_TOKEN), and
without one they fail at resolve — unless the manifest opts in to the risk."""

from __future__ import annotations

from typing import Any

from conftest import MakeStack
from stack import GITHUB_TOKEN, Stack

FILES = {"greet.py": 'print("Helo")\n'}
# The agent fixes the file, then tries to abuse whatever credential its sandbox holds.
HOSTILE = {
    "edits": [
        {"replace": "greet.py", "old": "Helo", "new": "Hello"},
        {"run": "git push -q origin HEAD:refs/heads/main-evil 2>&1 || true"},
        {"run": "git push -q origin HEAD:refs/heads/main 2>&1 || true"},
    ]
}
SANDBOX_TOKEN = "ghp_sandbox_read_only_token_0123456789ab"


def _private_stack(make_stack: MakeStack) -> tuple[Stack, str]:
    stack = make_stack({"default": HOSTILE})
    stack.add_repository("acme/p", FILES, private=True)
    main = stack.github.branch_sha("acme/p", "main")
    assert main is not None
    return stack, main


def _assert_agent_pushed_nothing(stack: Stack, main: str, sandbox_token: str) -> None:
    assert stack.github.branch_sha("acme/p", "main") == main
    assert stack.github.branch_sha("acme/p", "main-evil") is None
    # The agent did try, with its credential, and the forge refused it.
    label = stack.github.token_label(sandbox_token)
    refused = [
        r
        for r in stack.github.requests
        if r.kind == "git" and "receive-pack" in r.path + r.query and r.token_label == label
    ]
    assert refused and all(r.status == 403 for r in refused), refused


def test_private_repository_without_a_read_only_token_fails_at_resolve(
    make_stack: MakeStack,
) -> None:
    stack, _ = _private_stack(make_stack)
    run = stack.apply(stack.manifest(["acme/p"]))
    result = run.results()["acme/p"]
    assert (result["status"], result["error"]["stage"]) == ("failed", "resolve")
    assert "will not hand its own GitHub token" in result["error"]["message"]
    assert "AODFIX_SANDBOX_TOKEN" in result["error"]["message"]
    assert stack.aod.stats.created == 0


def test_a_read_only_sandbox_token_clones_and_the_agents_push_is_refused(
    make_stack: MakeStack,
) -> None:
    stack, main = _private_stack(make_stack)
    stack.github.add_token(SANDBOX_TOKEN, repositories=["acme/p"], permissions={"contents": "read"})
    run = stack.apply(stack.manifest(["acme/p"]), AODFIX_SANDBOX_TOKEN=SANDBOX_TOKEN)
    assert run.statuses() == {"acme/p": "pr_opened"}, run.stderr
    assert [r.token for r in stack.aod.stats.resources] == [SANDBOX_TOKEN]
    _assert_agent_pushed_nothing(stack, main, SANDBOX_TOKEN)
    assert SANDBOX_TOKEN not in run.stdout + run.stderr


def test_with_a_github_app_the_sandbox_gets_a_one_repository_read_token(
    make_stack: MakeStack,
) -> None:
    stack, main = _private_stack(make_stack)
    stack.add_repository("acme/other", FILES, private=True)
    app = stack.github.register_app({"acme": "all"})
    env: dict[str, Any] = {
        "GITHUB_TOKEN": "",
        "AODFIX_GITHUB_APP_ID": str(app.app_id),
        "AODFIX_GITHUB_APP_PRIVATE_KEY": app.private_key_pem,
    }
    run = stack.apply(stack.manifest(["acme/p"]), **env)
    assert run.statuses() == {"acme/p": "pr_opened"}, run.stderr
    (resource,) = stack.aod.stats.resources
    assert resource.token is not None and resource.token.startswith("ghs_")
    info = stack.github.token_info(resource.token)
    assert info is not None
    assert list(info.repositories or []) == ["acme/p"]
    permissions = dict(info.permissions or {})
    assert permissions["contents"] == "read"
    assert "write" not in permissions.values()
    _assert_agent_pushed_nothing(stack, main, resource.token)
    sandbox = stack.github.token_label(resource.token)
    assert all(push.token_label != sandbox for push in stack.github.git_pushes())
    for where in (run.stdout, run.stderr):
        assert app.private_key_pem.splitlines()[1] not in where


def test_the_write_token_opt_in_hands_aodfixs_token_to_the_sandbox(make_stack: MakeStack) -> None:
    stack, _ = _private_stack(make_stack)
    stack.aod.set_scenario({"default": {"edits": HOSTILE["edits"][:1]}})
    run = stack.apply(stack.manifest(["acme/p"], agent_credentials="write-token"))
    assert run.statuses() == {"acme/p": "pr_opened"}, run.stderr
    assert [r.token for r in stack.aod.stats.resources] == [GITHUB_TOKEN]


def test_a_sandbox_token_equal_to_the_write_token_is_refused_before_anything_runs(
    make_stack: MakeStack,
) -> None:
    stack, _ = _private_stack(make_stack)
    run = stack.apply(stack.manifest(["acme/p"]), AODFIX_SANDBOX_TOKEN=GITHUB_TOKEN)
    assert run.exit_code == 2
    assert "AODFIX_SANDBOX_TOKEN is GITHUB_TOKEN" in run.stderr
    assert stack.aod.stats.created == 0
