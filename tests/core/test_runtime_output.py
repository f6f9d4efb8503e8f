"""The runtime's own verdict: Claude result lines and Codex turn events."""

from __future__ import annotations

import json

from aodfix.agent.runtime_output import read_verdict


def _lines(*objs: object) -> str:
    return "\n".join(json.dumps(o) for o in objs) + "\n"


def test_claude_success_keeps_summary_and_cost() -> None:
    out = _lines(
        {"type": "system", "subtype": "init"},
        {
            "type": "result",
            "subtype": "success",
            "is_error": False,
            "result": "Done.\u2028ok",
            "total_cost_usd": 0.25,
        },
    )
    verdict = read_verdict(out)
    assert not verdict.failed
    assert verdict.summary == "Done.\u2028ok"
    assert verdict.cost_usd == 0.25


def test_claude_is_error_fails_even_with_success_subtype() -> None:
    verdict = read_verdict(
        _lines(
            {
                "type": "result",
                "subtype": "success",
                "is_error": True,
                "result": "API error: overloaded",
            }
        )
    )
    assert verdict.failed
    assert verdict.reason is not None and "overloaded" in verdict.reason


def test_claude_error_subtype_fails() -> None:
    verdict = read_verdict(
        _lines({"type": "result", "subtype": "error_max_turns", "is_error": False})
    )
    assert verdict.failed and "error_max_turns" in (verdict.reason or "")


def test_codex_turn_failed_fails_and_its_agent_message_is_the_summary() -> None:
    out = _lines(
        {"type": "item.completed", "item": {"type": "agent_message", "text": "Tried."}},
        {"type": "turn.failed", "error": {"message": "stream disconnected"}},
    )
    verdict = read_verdict(out)
    assert verdict.failed and "stream disconnected" in (verdict.reason or "")
    assert verdict.summary == "Tried."
    assert verdict.cost_usd is None


def test_garbage_is_not_a_failure() -> None:
    verdict = read_verdict("not json\n{broken\n[1,2]\n")
    assert not verdict.failed and verdict.summary is None
