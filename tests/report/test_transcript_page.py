"""The readable transcript page: a session's raw log read back as a conversation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_report_browser import ARTIFACTS, CHROMIUM

from aodfix.agent.sse import TurnOutput
from aodfix.patch import render_patch_block
from aodfix.patch.payload import encode_patch, sha256_hex
from aodfix.report.files import write_reports
from aodfix.report.models import RepoResult, Report, Status
from aodfix.report.transcript_page import (
    Finished,
    Raw,
    ToolCall,
    parse_transcript,
    render_transcript_page,
)
from aodfix.report.transcripts import write_transcript

BASE = "c" * 40
PATCH = b"diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"
BLOCK = render_patch_block(PATCH, BASE)
PAYLOAD = encode_patch(PATCH)
HOSTILE = "<script>alert(1)</script>"


def _line(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False) + "\n"


def _say(text: str) -> str:
    return _line({"type": "assistant", "message": {"content": [{"type": "text", "text": text}]}})


def _tool(tool_id: str, name: str, tool_input: dict[str, Any], result: str) -> str:
    use = {"type": "tool_use", "id": tool_id, "name": name, "input": tool_input}
    done = {"type": "tool_result", "tool_use_id": tool_id, "content": result, "is_error": False}
    return _line({"type": "assistant", "message": {"content": [use]}}) + _line(
        {"type": "user", "message": {"content": [done]}}
    )


def _stdout() -> str:
    return (
        _line({"type": "system", "subtype": "init", "model": "m-1", "cwd": "/home/sprite"})
        + _say(f"First I look around. {HOSTILE}")
        + _tool(
            "t1",
            "Edit",
            {"file_path": "/w/a.py", "old_string": "x = 1", "new_string": "x = 2"},
            "ok",
        )
        + _tool("t2", "Bash", {"command": "collect --now"}, "checks passed\n" + BLOCK)
        + '{"type":"assistant","message":{"content":[{"type":"text","text":"cut sho\n'  # malformed
        + "plain words from the runtime\n"
        + _line({"type": "result", "subtype": "success", "num_turns": 4, "total_cost_usd": 0.0123})
    )


def _log(tmp_path: Path) -> tuple[str, str]:
    turns = [
        TurnOutput("exit", 0, 9, stdout=_stdout(), stderr=f"warning: {HOSTILE}\n", turn=1),
        # a collect block cut short in a JSON line itself cut short (its newlines escaped)
        TurnOutput("exit", 1, 12, stdout=json.dumps(BLOCK)[:-30] + "\n", turn=2),
    ]
    name = write_transcript(tmp_path, "acme/api", "ses_1", turns)
    log = tmp_path / name
    return log.read_text(), log.with_suffix(".html").read_text()


def test_the_parser_reads_turns_tool_calls_results_and_the_final_cost(tmp_path: Path) -> None:
    raw, _ = _log(tmp_path)
    transcript = parse_transcript(raw)

    assert (transcript.repository, transcript.session_id) == ("acme/api", "ses_1")
    assert [t.label for t in transcript.turns] == ["1", "2"]
    first = transcript.turns[0]
    edit, bash = (e for e in first.events if isinstance(e, ToolCall))
    assert edit.target == "/w/a.py"
    assert [(d.sign, d.text) for d in edit.diff] == [("-", "x = 1"), ("+", "x = 2")]
    assert bash.command is not None and bash.command.plain == "collect --now"
    assert bash.result is not None
    folded = [p.text for p in bash.result.text.pieces if p.folded]
    assert folded == [
        f"collect block: patch, {len(PAYLOAD)} B encoded, sha256 "
        f"{sha256_hex(PATCH)[:12]}…, base {BASE[:12]}"
    ]
    assert bash.result.text.plain.startswith("checks passed\n")
    raws = [e.text.plain for e in first.events if isinstance(e, Raw)]
    assert raws == [
        '{"type":"assistant","message":{"content":[{"type":"text","text":"cut sho\n'
        "plain words from the runtime"
    ]
    (finished,) = (e for e in first.events if isinstance(e, Finished))
    assert (finished.cost_usd, finished.turns) == (0.0123, 4)
    assert first.stderr is not None and "warning:" in first.stderr.plain
    (cut,) = transcript.turns[1].events
    assert isinstance(cut, Raw)
    assert cut.text.pieces[1].folded and "cut short" in cut.text.pieces[1].text
    assert PAYLOAD[:40] not in cut.text.plain


def test_the_page_escapes_the_agents_text_and_never_prints_a_payload(tmp_path: Path) -> None:
    raw, page = _log(tmp_path)
    assert HOSTILE in raw  # the raw log keeps the agent's words as they were

    assert "<script" not in page.lower()
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2  # message and stderr
    assert PAYLOAD[:40] not in page and PAYLOAD[-40:] not in page
    assert "collect block: patch" in page
    assert "cost $0.0123" in page and "4 agent turns" in page
    assert '<details class="stderr">' in page
    assert "plain words from the runtime" in page
    assert 'href="acme__api.log"' in page


def test_lines_of_any_shape_are_shown_raw_without_an_error() -> None:
    lines = [
        "{",
        "[1, 2]",
        '{"type": 5}',
        '{"type": "assistant", "message": []}',
        '{"type": "assistant", "message": {"content": [1, {"type": "tool_use", "name": 7}]}}',
        '{"type": "user", "message": {"content": [{"type": "tool_result", "content": [3]}]}}',
        '{"type": "result", "total_cost_usd": "free", "num_turns": true, "duration_ms": 1'
        + "0" * 400
        + "}",
        "[" * 100_000,
        "AODFIX-PATCH-BEGIN v1 base=zz",
        "AODFIX-SLICE-BEGIN\\nAAAA\\nAODFIX-SLICE-END v1",
        "=== turn x: y ===",
        "--- stderr of turn x ---",
        "\x1b]0;title\x07\x00",
    ]
    text = "\n".join(lines)

    page = render_transcript_page(text)

    assert "AODFIX-PATCH-BEGIN" not in page and "collect block: patch (header unreadable)" in page
    assert "\x1b" not in page and "\x00" not in page
    assert parse_transcript(text).turns[0].stderr is not None


def test_report_rows_link_the_readable_page_and_the_raw_log(tmp_path: Path) -> None:
    result = RepoResult("acme/api", Status.FAILED, transcript="transcripts/acme__api.log")
    report = Report("b", "m.yml", False, "2026-12-01T10:00:00Z", None, [result])

    html = write_reports(report, tmp_path)["html"].read_text()

    assert '<a class="log" href="transcripts/acme__api.html">' in html
    assert '<a class="log raw" href="transcripts/acme__api.log">raw log</a>' in html


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium not installed")
def test_a_demo_sessions_transcript_reads_as_a_conversation_in_a_browser(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    home = tmp_path / "home"
    home.mkdir()
    drop = {"AOD_API_TOKEN", "AOD_API_URL", "GITHUB_TOKEN", "GH_TOKEN", "GITHUB_API_URL"}
    env = {k: v for k, v in os.environ.items() if k not in drop} | {"HOME": str(home)}
    report_dir = tmp_path / "report"
    done = subprocess.run(
        [sys.executable, "-m", "aodfix", "demo", "--quiet", "--report-dir", str(report_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    log = report_dir / "transcripts" / "demo__stats-py.log"
    payloads = [line for line in log.read_text().split("\\n") if line.startswith("H4sI")]
    assert payloads  # the raw log holds the collect blocks' base64 (gzip: "H4sI…")
    requests: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.goto((report_dir / "report.html").as_uri())
            page.click("tbody.repo[data-repo='demo/stats-py'] a.log >> nth=0")
            page.wait_for_url("**/demo__stats-py.html")
            text = page.inner_text("body")
            assert "I'll look at the repository and make the requested change." in text
            assert "-     return sum(values) / (len(values) - 1)" in text  # the edit, as text
            assert "+     return sum(values) / len(values)" in text
            assert "collect block: patch, " in text and "collect block: verify results" in text
            assert "cost $0.0123" in text
            page.click("details.result >> nth=1 >> summary")  # the collect command's result, opened
            opened = page.inner_text("body")
            assert all(payload not in opened for payload in payloads)
            assert all(payload not in page.content() for payload in payloads)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "transcript.png"), full_page=True)
        finally:
            browser.close()
    assert all(url.startswith("file://") for url in requests), requests
