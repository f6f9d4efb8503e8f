"""What the coding agent itself said about its run, read from its JSON-lines stdout.

Claude Code ends with a ``result`` line; a run failed when ``is_error`` is true (even with
subtype "success") or the subtype is an error one. Codex reports ``turn.failed``. All of
it is untrusted text: read leniently, never executed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from aodfix.safe_text import printable

CLAUDE_ERROR_SUBTYPES = frozenset(
    {"error_max_turns", "error_during_execution", "error_max_budget_usd"}
)
MAX_SUMMARY_CHARS = 4000


@dataclass(frozen=True)
class RuntimeVerdict:
    failed: bool
    reason: str | None
    summary: str | None
    cost_usd: float | None


def json_lines(stdout: str) -> Iterator[dict[str, Any]]:
    """The JSON objects among ``stdout``'s lines (chunks were joined before splitting)."""
    for line in stdout.split("\n"):  # not splitlines(): U+2028 may sit inside JSON strings
        text = line.strip()
        if not text.startswith("{"):
            continue
        try:
            value = json.loads(text)
        except ValueError:
            continue
        if isinstance(value, dict):
            yield value


def read_verdict(stdout: str) -> RuntimeVerdict:
    """The agent's own verdict on its last run in ``stdout``, with summary and cost."""
    failed, reason, summary, cost = False, None, None, None
    for obj in json_lines(stdout):
        kind = obj.get("type")
        if kind == "result":
            subtype = obj.get("subtype")
            is_error = obj.get("is_error") is True
            failed = is_error or subtype in CLAUDE_ERROR_SUBTYPES
            text = obj.get("result")
            summary = text if isinstance(text, str) else summary
            reason = None
            if failed:
                reason = f"agent reported an error ({subtype or 'is_error'})"
                if isinstance(text, str) and text.strip():
                    reason += ": " + text.strip().splitlines()[0][:200]
            raw_cost = obj.get("total_cost_usd")
            if isinstance(raw_cost, int | float) and not isinstance(raw_cost, bool):
                cost = (cost or 0.0) + float(raw_cost)
        elif kind == "turn.failed":
            error = obj.get("error")
            message = error.get("message") if isinstance(error, dict) else None
            failed, reason = True, f"agent turn failed: {message or 'no message'}"
        elif kind == "turn.completed":
            failed, reason = False, None
        elif kind == "item.completed":
            item = obj.get("item")
            if isinstance(item, dict) and item.get("type") == "agent_message":
                text = item.get("text")
                summary = text if isinstance(text, str) else summary
    if summary is not None:
        summary = printable(summary).strip()[:MAX_SUMMARY_CHARS] or None
    if reason is not None:
        reason = printable(reason)
    return RuntimeVerdict(failed=failed, reason=reason, summary=summary, cost_usd=cost)
