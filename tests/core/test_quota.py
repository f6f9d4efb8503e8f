"""The quota gate keeps in-flight sessions within the target and adapts to 429s."""

from __future__ import annotations

import asyncio
import random

from aodfix.agent.quota import QuotaGate


async def test_never_more_in_flight_than_the_ceiling() -> None:
    gate = QuotaGate(3)
    running = 0
    seen = 0

    async def worker() -> None:
        nonlocal running, seen
        await gate.acquire()
        running += 1
        seen = max(seen, running)
        await asyncio.sleep(0.001)
        running -= 1
        await gate.release()

    await asyncio.gather(*(worker() for _ in range(20)))
    assert seen == 3
    assert gate.in_flight == 0


async def test_rate_limit_lowers_target_to_what_the_server_allows() -> None:
    now = [100.0]
    gate = QuotaGate(10, clock=lambda: now[0], rng=random.Random(1))
    for _ in range(5):
        await gate.acquire()
    # Five of ours are in flight (the caller holds one of them); the server says 4 of 4 used
    # by others beyond ours: limit 8, active 8 -> others = 8 - 4 = 4, allowed = 4.
    gate.on_rate_limited(limit=8, active=8)
    assert gate.target == 4
    await gate.release(finished=False)  # the limited caller gives its slot back to retry
    # Four in flight is all the server allows: the retry waits for a session to finish.
    retry = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0.05)
    assert not retry.done()
    # Right after a 429 a finished session does not raise the target again...
    await gate.release()
    await asyncio.wait_for(retry, timeout=5)
    assert gate.target == 4
    # ...but after a quiet period it probes one higher per finished session.
    now[0] += 5
    await gate.release()
    assert gate.target == 5


async def test_rate_limit_without_numbers_keeps_what_is_running() -> None:
    gate = QuotaGate(6)
    for _ in range(3):
        await gate.acquire()
    gate.on_rate_limited(limit=None, active=None)
    assert gate.target == 2


def test_backoff_is_jittered_and_capped() -> None:
    gate = QuotaGate(1, rng=random.Random(7), base_backoff=0.5, max_backoff=4.0)
    for attempt in range(10):
        delay = gate.backoff(attempt)
        cap = min(4.0, 0.5 * 2**attempt)
        assert cap / 2 <= delay <= cap
