"""Each session's raw output, kept beside the report so a failure can be read afterwards.

One text file per repository under ``transcripts/``: every turn's stdout (the runtime's JSON
lines) and stderr, in order, redacted, with very long turns shortened in the middle. Beside
it, the same text as a page a person reads (``transcript_page``): the ``.log`` is for machines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from aodfix.agent.sse import TurnOutput
from aodfix.redact import redact
from aodfix.report.transcript_page import render_transcript_page

DIRECTORY = "transcripts"
MAX_TURN_CHARS = 1_000_000


def transcript_name(repository: str) -> str:
    """``transcripts/owner__name.log``, relative to the report directory."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", repository.replace("/", "__"))
    return f"{DIRECTORY}/{safe}.log"


def page_name(transcript: str | None) -> str | None:
    """The readable page written beside a transcript ``.log`` (None for any other file)."""
    if not transcript or not transcript.endswith(".log"):
        return None
    return transcript.removesuffix(".log") + ".html"


def write_transcript(
    report_dir: Path,
    repository: str,
    session_id: str | None,
    turns: Sequence[TurnOutput],
    *,
    page: bool = True,
) -> str:
    """Write the transcript and (``page``) its readable page beside it; returns the
    transcript's path relative to ``report_dir``. The page costs more than the text: an
    interrupted batch writes the text alone."""
    name = transcript_name(repository)
    parts = [f"# aodfix transcript of {repository}, AoD session {session_id or '-'}\n"]
    for number, turn in enumerate(turns, start=1):
        ending = turn.end + (f" {turn.exit_code}" if turn.exit_code is not None else "")
        parts.append(f"\n=== turn {turn.turn or number}: {ending} ===\n")
        parts.append(_shorten(turn.stdout))
        if turn.stderr:
            parts.append(f"\n--- stderr of turn {turn.turn or number} ---\n")
            parts.append(_shorten(turn.stderr))
    path = report_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    text = redact("".join(parts))
    path.write_text(text, encoding="utf-8")
    if page:
        _write_page(path, text, repository)
    return name


def redact_transcript(report_dir: Path, name: str, repository: str) -> None:
    """Mask, in the transcript ``name`` and its page, what was registered after they were
    written (a credential the patch added)."""
    path = report_dir / name
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return
    masked = redact(text)
    path.write_text(masked, encoding="utf-8")
    _write_page(path, masked, repository)


def _write_page(path: Path, text: str, repository: str) -> None:
    """The page of the transcript at ``path`` (holding ``text``), beside it."""
    page = render_transcript_page(text, repository=repository, raw_log=path.name)
    path.with_suffix(".html").write_text(page, encoding="utf-8")


def _shorten(text: str) -> str:
    if len(text) <= MAX_TURN_CHARS:
        return text
    half = MAX_TURN_CHARS // 2
    cut = len(text) - 2 * half
    return f"{text[:half]}\n… [{cut} characters left out] …\n{text[-half:]}"
