"""The write pacer: slots under every sliding window, booked in order, refused past the
horizon with nothing booked (a fake clock; no request is sent here)."""

from __future__ import annotations

import pytest

from aodfix.forge.pacing import BudgetSpent, ContentPacer, Window, parse_limits


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limits_parse_from_githubs_defaults_and_none_turns_pacing_off() -> None:
    assert parse_limits("80/60,500/3600") == (Window(80, 60.0), Window(500, 3600.0))
    assert parse_limits(" 15/10 , 60/60 ") == (Window(15, 10.0), Window(60, 60.0))
    assert parse_limits("none") == ()


@pytest.mark.parametrize("text", ["80", "80/0", "0/60", "x/60", "80/60,", "80/inf"])
def test_a_malformed_limit_names_itself(text: str) -> None:
    with pytest.raises(ValueError, match="LIMIT/SECONDS"):
        parse_limits(text)


def test_slots_fill_a_window_then_wait_for_its_oldest_slot_to_leave() -> None:
    clock = Clock()
    pacer = ContentPacer([Window(3, 10.0)], clock=clock)
    first = [pacer.book(horizon=100)[0] for _ in range(3)]
    assert first == [1000.0] * 3
    fourth = pacer.book(horizon=100)[0]
    assert 1010.0 < fourth <= 1011.0  # the window and its small margin
    clock.now = fourth
    assert pacer.book(horizon=100)[0] == fourth  # two of the first three left with it


def test_the_longer_window_binds_after_the_shorter_one() -> None:
    clock = Clock()
    pacer = ContentPacer([Window(2, 10.0), Window(4, 60.0)], clock=clock)
    slots = pacer.book(horizon=1000, count=5)
    assert slots[:4] == pytest.approx([1000, 1000, 1010.5, 1010.5])
    assert slots[4] == pytest.approx(1061.0)  # 60 s after the first, plus the margin


def test_an_interval_spaces_every_slot() -> None:
    clock = Clock()
    pacer = ContentPacer([], interval=1.0, clock=clock)
    assert pacer.book(horizon=10, count=3) == [1000.0, 1001.0, 1002.0]


def test_a_booking_past_the_horizon_books_nothing() -> None:
    clock = Clock()
    pacer = ContentPacer([Window(2, 100.0)], clock=clock)
    pacer.book(horizon=5)
    with pytest.raises(BudgetSpent) as refused:
        pacer.book(horizon=5, count=2)  # the second slot would be 100 s away
    assert refused.value.window == Window(2, 100.0)
    assert "2 writes per 100 s" in str(refused.value)
    assert pacer.book(horizon=5) == [1000.0]  # the refused booking held no slot
