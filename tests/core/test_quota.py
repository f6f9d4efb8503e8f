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


async def test_freed_slots_go_to_the_longest_waiting_first() -> None:
    gate = QuotaGate(1)
    await gate.acquire()
    order: list[int] = []

    async def waiter(number: int) -> None:
        await gate.acquire()
        order.append(number)
        await gate.release()

    waiting = [asyncio.create_task(waiter(n)) for n in range(5)]
    await asyncio.sleep(0)
    await gate.release()
    await asyncio.gather(*waiting)
    assert order == [0, 1, 2, 3, 4]
    assert gate.in_flight == 0


async def test_a_waiter_cancelled_after_its_slot_was_freed_hands_it_on() -> None:
    gate = QuotaGate(1)
    await gate.acquire()
    first = asyncio.create_task(gate.acquire())
    second = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0)
    await gate.release()  # the slot is first's now, but first is cancelled before it runs
    first.cancel()
    await asyncio.wait_for(second, timeout=5)
    assert first.cancelled()
    assert gate.in_flight == 1


async def test_a_waiter_cancelled_while_queued_leaves_the_queue() -> None:
    gate = QuotaGate(1)
    await gate.acquire()
    gone = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0)
    gone.cancel()
    await asyncio.sleep(0)
    await gate.release()
    await asyncio.wait_for(gate.acquire(), timeout=5)  # nobody else holds it
    assert gate.in_flight == 1


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
