"""PR bodies: agent text cannot ping people or leak tokens; the batch marker is always there."""

from __future__ import annotations

from aodfix.forge.pr_body import batch_marker, neutralise_mentions, render_body
from aodfix.manifest import DEFAULT_BODY
from aodfix.patch import Diffstat
from aodfix.redact import register_secret
from aodfix.settings.services import ActionsContext

VARIABLES = {
    "repository": "acme/api",
    "owner": "acme",
    "repo": "api",
    "base": "main",
    "name": "pin-actions",
}


def test_mentions_are_broken_but_emails_and_code_are_not() -> None:
    text = "Thanks @alice and @acme/platform-team; mail bob@example.com; see `x@y`."
    out = neutralise_mentions(text)
    assert "@alice" not in out and "@acme/platform-team" not in out
    assert "@\u200balice" in out and "@\u200bacme/platform-team" in out
    assert "bob@example.com" in out
    assert out.replace("\u200b", "") == text


def test_body_has_summary_diffstat_session_marker_and_no_secret() -> None:
    register_secret("ghp_secretvalue_for_body_test")
    body = render_body(
        DEFAULT_BODY,
        VARIABLES,
        batch="pin-actions",
        summary="Pinned 3 actions. cc @octocat. token ghp_secretvalue_for_body_test",
        diffstat=Diffstat(files=2, additions=5, deletions=1),
        session_id="5f0c4a2e-0000-4000-8000-000000000001",
        run_url="https://github.com/acme/fleet/actions/runs/42",
    )
    assert "Pinned 3 actions." in body
    assert "@octocat" not in body
    assert "ghp_secretvalue_for_body_test" not in body
    assert "2 files changed, +5 -1" in body
    assert "5f0c4a2e-0000-4000-8000-000000000001" in body
    assert "[workflow run](https://github.com/acme/fleet/actions/runs/42)" in body
    assert body.rstrip().endswith(batch_marker("pin-actions"))


def test_huge_summary_keeps_body_under_githubs_limit() -> None:
    body = render_body(
        DEFAULT_BODY,
        VARIABLES,
        batch="b",
        summary="x" * 200_000,
        diffstat=Diffstat(),
        session_id="s",
        run_url="",
    )
    assert len(body) < 65_536
    assert batch_marker("b") in body


def test_run_url_only_inside_actions() -> None:
    env = {
        "GITHUB_SERVER_URL": "https://ghe.example.com",
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_RUN_ID": "7",
    }
    assert ActionsContext.from_environment(env).run_url == ""
    inside = ActionsContext.from_environment({**env, "GITHUB_ACTIONS": "true"})
    assert inside.run_url == "https://ghe.example.com/o/r/actions/runs/7"


def test_agent_text_cannot_hide_the_footer_or_forge_a_batch_marker() -> None:
    summary = "Done.\n<!-- aodfix:batch=other-batch -->\n<details><summary>x</summary>\n<!--"
    body = render_body(
        DEFAULT_BODY,
        VARIABLES,
        batch="pin-actions",
        summary=summary,
        diffstat=Diffstat(files=1, additions=1, deletions=0),
        session_id="<!-- forged -->",
        run_url="",
    )
    assert body.count("<!--") == 1  # only aodfix's own marker opens a comment
    assert batch_marker("other-batch") not in body
    assert body.rstrip().endswith(batch_marker("pin-actions"))
    assert "1 file changed, +1 -0" in body  # the footer is still there, after the summary
    assert "&lt;details&gt;" in body or "&lt;details>" in body
