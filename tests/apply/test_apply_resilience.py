"""Server trouble does not fail repositories: 5xx on create, 429 storms, dropped streams,
and a private repository cloned with the resource token."""

from __future__ import annotations

from conftest import MakeStack
from stack import branch_files

FILES = {"greet.py": 'print("Helo")\n', "README.md": "# x\n"}
FIX = {"edits": [{"replace": "greet.py", "old": "Helo", "new": "Hello"}], "delay": 0.5}


def test_5xx_429_storm_and_dropped_streams_are_absorbed(make_stack: MakeStack) -> None:
    stack = make_stack({"default": FIX})
    names = ["acme/a", "acme/b", "acme/c"]
    for name in names:
        stack.add_repository(name, FILES)
    stack.aod.server_error_on_create(2)
    stack.aod.rate_limit_storm(3)
    stack.aod.drop_stream_after(4)  # the first stream is cut mid-turn and resumed
    run = stack.apply(stack.manifest(names))
    assert run.exit_code == 0, run.stderr
    assert set(run.statuses().values()) == {"pr_opened"}
    for name in names:
        assert branch_files(stack.github, name, "aodfix/e2e-fix")["greet.py"] == (
            b'print("Hello")\n'
        )
    # 3 sessions, 2 creates answered 5xx and 3 answered 429, all retried.
    assert stack.aod.stats.created == 3
    assert stack.aod.stats.requests["POST /sessions"] == 3 + 2 + 3
    assert stack.aod.stats.requests["GET /sessions/{id}/stream"] >= 4  # one reconnect
    assert list(stack.aod.stats.undeleted) == []


def test_private_repository_is_cloned_with_the_resource_token(make_stack: MakeStack) -> None:
    # Handing aodfix's own token to the sandbox now takes the manifest's explicit opt-in
    # (see test_sandbox_credentials.py for the read-only ways).
    stack = make_stack({"default": FIX})
    stack.add_repository("acme/private", FILES, private=True)
    run = stack.apply(stack.manifest(["acme/private"], agent_credentials="write-token"))
    assert run.statuses() == {"acme/private": "pr_opened"}, run.stderr


def test_a_forge_aod_cannot_clone_is_explained(make_stack: MakeStack) -> None:
    stack = make_stack({"default": FIX}, git_base_urls=())  # AoD accepts github.com only
    stack.add_repository("acme/ghes", FILES)
    run = stack.apply(stack.manifest(["acme/ghes"]))
    result = run.results()["acme/ghes"]
    assert run.exit_code == 1
    assert result["status"] == "failed" and result["error"]["stage"] == "agent"
    assert "only clones https://github.com repositories" in result["error"]["message"]
    assert list(stack.aod.stats.undeleted) == []


def test_an_archived_repository_is_skipped_and_a_missing_one_fails_without_a_session(
    make_stack: MakeStack,
) -> None:
    stack = make_stack({"default": FIX})
    stack.add_repository("acme/old", FILES, archived=True)
    stack.add_repository("acme/ok", FILES)
    run = stack.apply(stack.manifest(["acme/old", "acme/gone", "acme/ok"]))
    results = run.results()
    assert results["acme/old"]["status"] == "skipped"
    assert "archived" in results["acme/old"]["error"]["message"]
    assert results["acme/gone"]["status"] == "failed"
    assert results["acme/gone"]["error"]["stage"] == "resolve"
    assert results["acme/ok"]["status"] == "pr_opened"
    assert stack.aod.stats.created == 1  # no session for repositories that cannot run


def test_stale_session_fails_the_repository_and_is_deleted(make_stack: MakeStack) -> None:
    stack = make_stack({"default": FIX, "acme/quiet": {"stale": 1.5}})
    for name in ("acme/quiet", "acme/ok"):
        stack.add_repository(name, FILES)
    run = stack.apply(stack.manifest(["acme/quiet", "acme/ok"]))
    results = run.results()
    assert results["acme/quiet"]["status"] == "failed"
    assert results["acme/quiet"]["error"]["stage"] == "agent"
    assert "stale" in results["acme/quiet"]["error"]["message"]
    assert results["acme/ok"]["status"] == "pr_opened"
    assert list(stack.aod.stats.undeleted) == []


def test_wrong_aod_token_or_agent_is_one_line_and_exit_2(make_stack: MakeStack) -> None:
    stack = make_stack({"default": FIX})
    stack.add_repository("acme/a", FILES)
    manifest = stack.manifest(["acme/a"])
    wrong_token = stack.apply(manifest, AOD_API_TOKEN="aod_wrong_token_0123456789abcdef")
    assert wrong_token.exit_code == 2
    assert "refused AOD_API_TOKEN" in wrong_token.stderr
    assert "aod_wrong_token" not in wrong_token.stderr
    wrong_agent = stack.apply(manifest, AOD_AGENT_ID="7d3c6a0e-0000-4000-8000-000000000000")
    assert wrong_agent.exit_code == 2
    assert "agent 7d3c6a0e-0000-4000-8000-000000000000 not found" in wrong_agent.stderr
    assert stack.aod.stats.created == 0


def test_resume_after_a_prompt_edit_is_refused_naming_the_prompt(make_stack: MakeStack) -> None:
    stack = make_stack(
        {"default": {"edits": [{"replace": "greet.py", "old": "Helo", "new": "Hello"}]}}
    )
    stack.add_repository("acme/a", {"greet.py": 'print("Helo")\n'})
    stack.add_repository("acme/b", {"greet.py": 'print("Helo")\n'})
    manifest = stack.manifest(["acme/a", "acme/b"], prompt="Fix the greeting.")
    assert stack.apply(manifest).exit_code == 0
    created = stack.aod.stats.created

    stack.manifest(["acme/a", "acme/b"], prompt="Fix the greeting and the farewell.")
    refused = stack.apply(manifest, "--resume")
    assert refused.exit_code == 2
    (line,) = refused.stderr.splitlines()
    assert line.startswith(f"aodfix: {manifest}: prompt changed since the run --resume")
    assert stack.aod.stats.created == created  # nothing ran

    forced = stack.apply(manifest, "--resume", "--force")
    assert forced.exit_code == 0, forced.stderr
