"""The scripted agent: Claude stream-json, Bash emulation, truncation, scripted misbehaviour."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from aodkit import (
    bash_prompt,
    connect,
    json_lines,
    make_origin,
    read_turn,
    repository,
    result_line,
    stderr_of,
    stdout_of,
    tool_results,
    tool_uses,
)
from pydantic import ValidationError

from aodfix.agent.runtime_output import read_verdict
from aodfix.emulator.aod import AodEmulator, Scenario
from aodfix.emulator.aod.scripted_agent import last_bash_block, truncate_middle
from aodfix.emulator.aod.workspace import Sandbox

BIG = "python3 -c \"print('\\n'.join('line %05d' % i for i in range(3000)))\""


async def _run(
    emulator: AodEmulator, prompt: str, resources: list[dict[str, str]] | None = None
) -> str:
    async with connect(emulator) as client:
        ack = await client.sessions.create(
            agent_id=emulator.create_agent(), prompt=prompt, resources=resources or []
        )
        events = await read_turn(client, str(ack.id))
    assert events[-1].type == "exit", events[-1]
    return stdout_of(events)


async def test_stream_json_has_init_messages_tool_calls_and_a_result(
    aod_emulator: AodEmulator,
) -> None:
    stdout = await _run(aod_emulator, bash_prompt("echo hi"))
    lines = json_lines(stdout)
    assert (lines[0]["type"], lines[0]["subtype"], lines[0]["cwd"]) == (
        "system",
        "init",
        "/home/sprite",
    )
    assert [line["type"] for line in lines[1:]] == [
        "assistant",
        "assistant",
        "user",
        "assistant",
        "result",
    ]
    result = result_line(stdout)
    assert (result["subtype"], result["is_error"], result["total_cost_usd"]) == (
        "success",
        False,
        0.0123,
    )
    verdict = read_verdict(stdout)
    assert not verdict.failed
    assert verdict.summary == "Done. The requested change is in the working tree."


async def test_long_output_is_middle_truncated_like_claude_code(
    make_aod_emulator: Callable[..., AodEmulator],
) -> None:
    emulator = make_aod_emulator(output_limit=2000)
    [result] = tool_results(await _run(emulator, bash_prompt(BIG)))
    content = result["content"]
    assert content.startswith("line 00000\n")
    assert content.endswith("line 02999\n")
    assert "lines truncated] ...\n\n" in content
    assert len(content) < 2100
    assert result["details"]["stdout"] == content


async def test_long_output_becomes_a_preview_and_a_saved_file_in_preview_mode(
    make_aod_emulator: Callable[..., AodEmulator],
) -> None:
    emulator = make_aod_emulator(output_limit=2000, truncation="preview")
    async with connect(emulator) as client:
        ack = await client.sessions.create(
            agent_id=emulator.create_agent(), prompt=bash_prompt(BIG)
        )
        first = await read_turn(client, str(ack.id))
        [result] = tool_results(stdout_of(first))
        head, _, preview = result["content"].partition("\n\n")
        assert head.startswith("Output too large (33000 characters). Full output saved to: ")
        saved = head.rsplit(": ", 1)[1]
        assert saved.startswith("/home/sprite/.claude/tool-results/")
        assert preview.startswith("Preview (first 2000 characters):\nline 00000\n")
        assert "line 02999" not in result["content"]

        await client.sessions.prompt(ack.id, prompt=bash_prompt(f"tail -n 1 {saved}"))
        second = await read_turn(client, str(ack.id), since=first[-1].id)
    assert tool_results(stdout_of(second))[0]["content"] == "line 02999\n"


async def test_forget_collect_skips_the_bash_block_in_turn_one_only(
    make_aod_emulator: Callable[..., AodEmulator],
) -> None:
    emulator = make_aod_emulator(scenario={"default": {"forget_collect": True}})
    async with connect(emulator) as client:
        ack = await client.sessions.create(
            agent_id=emulator.create_agent(), prompt=bash_prompt("echo collected")
        )
        first = await read_turn(client, str(ack.id))
        assert tool_uses(stdout_of(first)) == []
        await client.sessions.prompt(ack.id, prompt=bash_prompt("echo collected"))
        second = await read_turn(client, str(ack.id), since=first[-1].id)
    assert tool_results(stdout_of(second))[0]["content"] == "collected\n"


async def test_is_error_and_subtype_make_the_runtime_report_failure(
    make_aod_emulator: Callable[..., AodEmulator],
) -> None:
    scenario = {"default": {"is_error": True, "result": "Credit balance is too low"}}
    stdout = await _run(make_aod_emulator(scenario=scenario), "x")
    result = result_line(stdout)
    assert (result["is_error"], result["subtype"]) == (True, "success")
    verdict = read_verdict(stdout)
    assert verdict.failed
    assert verdict.reason is not None and "Credit balance is too low" in verdict.reason


async def test_huge_output_and_stderr_come_through_whole(
    make_aod_emulator: Callable[..., AodEmulator],
) -> None:
    scenario = {"default": {"huge_output": 300_000, "stderr": "warning: slow disk\n"}}
    emulator = make_aod_emulator(scenario=scenario)
    async with connect(emulator) as client:
        ack = await client.sessions.create(agent_id=emulator.create_agent(), prompt="x")
        events = await read_turn(client, str(ack.id))
    texts = [
        block["text"]
        for line in json_lines(stdout_of(events))
        if line["type"] == "assistant"
        for block in line["message"]["content"]
        if block["type"] == "text"
    ]
    assert max(len(t) for t in texts) == 300_000
    assert stderr_of(events) == "warning: slow disk\n"
    assert all(e.extra["stream"] in ("stdout", "stderr") for e in events if e.type == "output")


async def test_later_turns_follow_their_own_script(
    make_aod_emulator: Callable[..., AodEmulator],
) -> None:
    scenario = {"default": {"turns": {2: {"exit_code": 7, "forget_collect": True}}}}
    emulator = make_aod_emulator(scenario=scenario)
    async with connect(emulator) as client:
        ack = await client.sessions.create(agent_id=emulator.create_agent(), prompt="x")
        first = await read_turn(client, str(ack.id))
        await client.sessions.prompt(ack.id, prompt="y")
        second = await read_turn(client, str(ack.id), since=first[-1].id)
    assert (first[-1].extra, second[-1].extra) == ({"code": 0}, {"code": 7})


async def test_the_scenario_is_chosen_by_repository(
    make_aod_emulator: Callable[..., AodEmulator], tmp_path: Path
) -> None:
    web = make_origin(tmp_path, "acme/web")
    emulator = make_aod_emulator(scenario={"ACME/Web": {"result": "web script"}})
    stdout = await _run(emulator, "x", [repository(web)])
    assert result_line(stdout)["result"] == "web script"


def test_a_scenario_file_is_validated(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yml"
    path.write_text("default:\n  delay: 1\nacme/api:\n  edits:\n    - {write: a.txt}\n")
    with pytest.raises(ValidationError, match="exactly one of 'content' and 'base64'"):
        Scenario.load(path)
    path.write_text("acme/api:\n  typo_field: 1\n")
    with pytest.raises(ValidationError, match="typo_field"):
        Scenario.load(path)
    path.write_text("acme/api:\n  edits:\n    - {delete: old.txt}\n  turns: {2: {hang: true}}\n")
    script = Scenario.load(path).for_repository("acme/api")
    assert script.turn(2).hang and not script.turn(1).hang


def test_the_last_fenced_bash_block_is_the_command() -> None:
    prompt = "```bash\nfirst\n```\ntext\n```python\nno\n```\n```bash\nsecond\nline\n```\n"
    assert last_bash_block(prompt) == "second\nline"
    assert last_bash_block("no block here") is None


def test_middle_truncation_keeps_both_ends_and_counts_lines() -> None:
    text = "".join(f"{i}\n" for i in range(1000))
    shortened = truncate_middle(text, 100)
    assert shortened.startswith(text[:50]) and shortened.endswith(text[-50:])
    assert f"... [{text[50:-50].count(chr(10)) + 1} lines truncated] ..." in shortened
    assert truncate_middle("short", 100) == "short"


def test_sandbox_paths_map_to_the_session_root_and_back(tmp_path: Path) -> None:
    sandbox = Sandbox(tmp_path / "root", ("/src/api",))
    command = "cd '/workspace/api' && cat /home/sprite/x /src/api/y /tmp/workspace ${D}/workspace"
    real = sandbox.to_real(command)
    root = str(tmp_path / "root")
    assert real == (
        f"cd '{root}/workspace/api' && cat {root}/home/sprite/x {root}/src/api/y"
        " /tmp/workspace ${D}/workspace"
    )
    assert sandbox.to_real(real) == real
    assert sandbox.to_virtual(real) == command
