"""A hostile or broken AoD: every call is bounded in time and size, cleanup never crashes,
and the report is always written.

Each test drives the real CLI against the stand-in in ``hostile_aod`` and a real GitHub
emulator, in a fresh parent process that measures the run's peak RSS.
"""

from __future__ import annotations

from collections.abc import Callable

from apply.stack import Stack
from hostile_aod import HostileAod
from hostilekit import REPOSITORY, MeasuredRun, apply_measured

MakeHostile = Callable[..., tuple[Stack, HostileAod]]
MAX_RSS_MB = 500


def _run(stack: Stack, *, deadline: int = 60, limit: float = 60, **env: str) -> MeasuredRun:
    measured = apply_measured(
        stack, stack.manifest([REPOSITORY], timeout=deadline), timeout=limit, **env
    )
    assert not measured.timed_out, f"aodfix was still running after {limit} s"
    return measured


def _assert_failed_at_agent(measured: MeasuredRun, aod: HostileAod) -> str:
    """The repository failed at stage agent with one line, its session is gone, the report
    is written and memory stayed bounded; returns the line."""
    run = measured.run
    assert run.exit_code == 1, run.stderr
    result = run.results()[REPOSITORY]  # report.json was written
    assert result["status"] == "failed"
    assert result["error"]["stage"] == "agent", result["error"]
    message: str = result["error"]["message"]
    assert "\n" not in message and "internal error" not in message
    assert (run.report_dir / "report.md").exists()
    assert aod.sessions and aod.undeleted == set()
    assert measured.peak_rss_mb < MAX_RSS_MB
    return message


def test_trickled_create_answer_is_given_up_and_its_session_swept(
    hostile_stack: MakeHostile,
) -> None:
    stack, aod = hostile_stack(create="trickle_first")

    measured = _run(stack, AODFIX_AOD_TIMEOUT="2")

    run = measured.run
    assert run.exit_code == 0, run.stderr
    assert run.statuses() == {REPOSITORY: "no_changes"}
    assert len(aod.sessions) == 2  # the one whose answer trickled, and the retry
    assert aod.undeleted == set()  # the first was ambiguous: the final sweep deleted it
    assert run.seconds < 20


def test_delete_that_never_answers_is_given_up_and_the_report_written(
    hostile_stack: MakeHostile,
) -> None:
    stack, aod = hostile_stack(delete="hang")

    measured = _run(stack, AODFIX_AOD_TIMEOUT="2")

    run = measured.run
    assert run.exit_code == 0, run.stderr
    assert run.statuses() == {REPOSITORY: "no_changes"}  # report.json was written
    (session,) = aod.sessions
    assert session in aod.deleted
    warnings = [line for line in run.stderr.splitlines() if "could not delete session" in line]
    assert warnings and all(session in line for line in warnings), run.stderr
    assert "Traceback" not in run.stderr and "unexpected error" not in run.stderr
    assert run.seconds < 20


def test_huge_create_answer_fails_the_repository_in_bounded_memory(
    hostile_stack: MakeHostile,
) -> None:
    stack, aod = hostile_stack(create="huge")

    measured = _run(stack)

    message = _assert_failed_at_agent(measured, aod)  # the session made all the same is swept
    assert message == "AoD sent an answer larger than 1 MiB to POST /sessions"


def test_endless_stream_line_fails_the_repository_in_bounded_memory(
    hostile_stack: MakeHostile,
) -> None:
    """Needs sse.py's line-length cap."""
    stack, aod = hostile_stack(stream="endless_line")

    measured = _run(stack, deadline=45, limit=90)

    _assert_failed_at_agent(measured, aod)
    assert measured.run.seconds < 30  # the cap, not the session's 45 s deadline


def test_output_flood_fails_the_repository_in_bounded_memory(hostile_stack: MakeHostile) -> None:
    """Needs sse.py's cap on the output of a session."""
    stack, aod = hostile_stack(stream="flood")

    measured = _run(stack, deadline=45, limit=90)

    _assert_failed_at_agent(measured, aod)
    assert measured.run.seconds < 30
