"""The patch protocol end to end: reminder turn, sliced retrieval in both truncation modes.

Every multi-turn case runs against both ways a server may end turns: one made-up terminal
event per connection (the service) and a stored ending per turn with its own id.
"""

from __future__ import annotations

import hashlib
import random

import pytest
from conftest import MakeStack
from stack import branch_files

TERMINAL_EVENTS = pytest.mark.parametrize("terminal_events", ["synthesized", "stored"])
FILES = {"greet.py": 'print("Helo")\n', "README.md": "# x\n"}


def _big_text(seed: int, lines: int = 1500) -> str:
    rng = random.Random(seed)  # incompressible enough that the block passes 30 000 chars
    return "".join(f"{rng.getrandbits(128):032x}\n" for _ in range(lines))


@TERMINAL_EVENTS
def test_forgotten_collect_step_takes_one_reminder_turn(
    make_stack: MakeStack, terminal_events: str
) -> None:
    stack = make_stack(
        {
            "default": {
                "edits": [{"replace": "greet.py", "old": "Helo", "new": "Hello"}],
                "forget_collect": True,
            }
        },
        terminal_events=terminal_events,
    )
    stack.add_repository("acme/one", FILES)
    run = stack.apply(stack.manifest(["acme/one"]))
    result = run.results()["acme/one"]
    assert result["status"] == "pr_opened", run.stderr
    assert result["turns"] == 2
    assert branch_files(stack.github, "acme/one", "aodfix/e2e-fix")["greet.py"] == (
        b'print("Hello")\n'
    )


@TERMINAL_EVENTS
@pytest.mark.parametrize("truncation", ["middle", "preview"])
def test_truncated_block_is_read_back_in_slices(
    make_stack: MakeStack, truncation: str, terminal_events: str
) -> None:
    big = _big_text(7)
    stack = make_stack(
        {"default": {"edits": [{"write": "data/big.txt", "content": big}]}},
        truncation=truncation,
        terminal_events=terminal_events,
    )
    stack.add_repository("acme/big", FILES)
    run = stack.apply(stack.manifest(["acme/big"]))
    result = run.results()["acme/big"]
    assert result["status"] == "pr_opened", run.stderr
    assert result["turns"] > 2  # the task turn, then slices
    pushed = branch_files(stack.github, "acme/big", "aodfix/e2e-fix")["data/big.txt"]
    assert hashlib.sha256(pushed).hexdigest() == hashlib.sha256(big.encode()).hexdigest()
    assert list(stack.aod.stats.undeleted) == []
