"""The SSE stream: wire format, replay, resume, heartbeats, stale, dropped connections."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest
from aod import AsyncClient
from aod.models import StreamEvent
from aodkit import (
    bash_prompt,
    connect,
    data_of,
    raw_stream,
    read_turn,
    sse_frames,
    wait_for_output,
)

from aodfix.emulator.aod import AodEmulator


def _rows(events: list[StreamEvent]) -> list[tuple[str, int | None, dict[str, object]]]:
    """Stored rows only: no ``start``, ``turn_start`` or terminal event."""
    return [(e.type, e.id, e.extra) for e in events if e.type in ("stage", "output")]


async def _finished_session(client: AsyncClient, agent_id: str) -> tuple[str, list[StreamEvent]]:
    ack = await client.sessions.create(agent_id=agent_id, prompt=bash_prompt("seq 1 5"))
    return str(ack.id), await read_turn(client, str(ack.id))


async def test_the_wire_format_is_the_services(
    aod_emulator: AodEmulator, client: AsyncClient, agent_id: str
) -> None:
    session_id, _ = await _finished_session(client, agent_id)
    response = await raw_stream(aod_emulator, session_id)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    assert response.text.startswith(
        f'data: {{"type": "start", "runtime": "claude", "session_id": "{session_id}"}}\n\n'
    )
    frames = sse_frames(response.text)
    for frame in frames[1:]:
        payload = data_of(frame)
        if payload["type"] == "turn_start":
            assert len(frame) == 1  # no id: line, though the JSON carries the next id
            continue
        assert frame[0] == f"id: {payload['id']}"
        assert list(payload)[:2] == ["type", "id"]
    last_row, terminal = data_of(frames[-2]), data_of(frames[-1])
    assert terminal == {"type": "exit", "id": last_row["id"], "code": 0}


async def test_since_resumes_after_exactly_that_event(client: AsyncClient, agent_id: str) -> None:
    session_id, full = await _finished_session(client, agent_id)
    rows = _rows(full)
    cursor = rows[len(rows) // 2][1]
    assert cursor is not None
    resumed = await read_turn(client, session_id, since=cursor)
    assert resumed[0].type == "start"
    assert _rows(resumed) == [r for r in rows if r[1] is not None and r[1] > cursor]
    assert [e.type for e in resumed].count("turn_start") == 1  # repeated after a resume
    assert resumed[-1].type == "exit"


async def test_last_event_id_resumes_and_wins_over_since(
    aod_emulator: AodEmulator, client: AsyncClient, agent_id: str
) -> None:
    session_id, full = await _finished_session(client, agent_id)
    rows = _rows(full)
    cursor = rows[3][1]
    response = await raw_stream(
        aod_emulator, session_id, headers={"Last-Event-ID": str(cursor)}, params={"since": "0"}
    )
    ids = [data_of(f)["id"] for f in sse_frames(response.text)[1:]]
    assert ids[0] == rows[4][1]
    assert sorted(set(ids)) == [r[1] for r in rows[4:]]


@pytest.mark.parametrize(
    ("headers", "params"),
    [({}, {"since": "abc"}), ({"Last-Event-ID": "1.5"}, {}), ({}, {"since": ""})],
)
async def test_a_cursor_that_is_not_an_integer_is_a_400(
    aod_emulator: AodEmulator,
    client: AsyncClient,
    agent_id: str,
    headers: dict[str, str],
    params: dict[str, str],
) -> None:
    session_id, _ = await _finished_session(client, agent_id)
    response = await raw_stream(aod_emulator, session_id, headers=headers, params=params)
    assert response.status_code == 400
    assert response.json() == {"detail": "since must be an integer"}


async def test_a_negative_cursor_replays_everything(client: AsyncClient, agent_id: str) -> None:
    session_id, full = await _finished_session(client, agent_id)
    assert _rows(await read_turn(client, session_id, since=-5)) == _rows(full)


async def test_heartbeats_follow_the_clock_even_while_output_flows(
    make_aod_emulator: Callable[..., AodEmulator],
) -> None:
    emulator = make_aod_emulator(heartbeat_interval=0.2, scenario={"default": {"delay": 0.8}})
    async with connect(emulator) as client:
        ack = await client.sessions.create(agent_id=emulator.create_agent(), prompt="x")
        response = await raw_stream(emulator, str(ack.id))
    assert response.text.count(": heartbeat\n\n") >= 3
    assert data_of(sse_frames(response.text)[-1])["type"] == "exit"


async def test_a_silent_agent_makes_the_stream_stale_while_the_session_runs(
    make_aod_emulator: Callable[..., AodEmulator],
) -> None:
    emulator = make_aod_emulator(stale_after=0.6, scenario={"default": {"hang": True}})
    async with connect(emulator) as client:
        ack = await client.sessions.create(agent_id=emulator.create_agent(), prompt="x")
        await wait_for_output(client, str(ack.id))
        started = time.monotonic()
        events = await read_turn(client, str(ack.id), since=0)
        assert time.monotonic() - started >= 0.6
        last_row = [e for e in events if e.type == "output"][-1]
        assert events[-1].type == "stale"
        assert events[-1].id == last_row.id
        assert events[-1].extra == {"message": "No output for 0.6s"}
        assert (await client.sessions.get(ack.id)).status == "running"
        await client.sessions.terminate(ack.id)


async def test_the_scenario_can_make_one_session_go_stale(
    make_aod_emulator: Callable[..., AodEmulator],
) -> None:
    emulator = make_aod_emulator(scenario={"default": {"stale": 0.3}})
    async with connect(emulator) as client:
        ack = await client.sessions.create(agent_id=emulator.create_agent(), prompt="x")
        events = await read_turn(client, str(ack.id))
        assert events[-1].type == "stale"
        assert events[-1].extra == {"message": "No output for 0.3s"}
        await client.sessions.terminate(ack.id)


async def test_a_dropped_stream_resumes_with_since_losing_and_repeating_nothing(
    aod_emulator: AodEmulator, client: AsyncClient, agent_id: str
) -> None:
    session_id, full = await _finished_session(client, agent_id)
    aod_emulator.faults.drop_stream_after(6)
    before: list[StreamEvent] = []
    with pytest.raises(httpx.RemoteProtocolError):
        async with client.sessions.stream(session_id) as events:
            async for event in events:
                before.append(event)
    assert len(before) == 6
    cursor = [e.id for e in before if e.type in ("stage", "output")][-1]
    after = await read_turn(client, session_id, since=cursor)
    assert _rows(before) + _rows(after) == _rows(full)


async def test_a_slow_stream_waits_before_every_event(
    aod_emulator: AodEmulator, client: AsyncClient, agent_id: str
) -> None:
    session_id, full = await _finished_session(client, agent_id)
    aod_emulator.faults.slow_stream(0.02)
    started = time.monotonic()
    slow = await read_turn(client, session_id)
    assert time.monotonic() - started >= 0.02 * len(full)
    assert _rows(slow) == _rows(full)


async def test_streaming_an_unknown_session_is_a_json_404(
    aod_emulator: AodEmulator,
) -> None:
    response = await raw_stream(aod_emulator, "00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404
    assert response.json() == {"detail": "Session not found"}
