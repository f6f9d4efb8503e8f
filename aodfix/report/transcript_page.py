"""A session's raw transcript read back as a conversation, for a person to follow.

The ``.log`` beside it (``transcripts.py``) stays the machine-readable record; this page is
derived from the same redacted text: per turn the agent's messages, each tool call with its
command or file (an Edit as a small diff), tool results collapsed, and every collect block
folded to one line that says what it held — its base64 is never shown. Everything in the
log is the agent's (hostile) text: read leniently, a line it cannot read is shown as it is,
and the template escapes all of it.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from aodfix.patch.block_format import ANY_BEGIN, PATCH_BEGIN, SLICE_BEGIN, VERIFY_BEGIN
from aodfix.patch.payload import clean_payload
from aodfix.redact import redact
from aodfix.report.templating import environment
from aodfix.safe_text import printable

LONG_LINES = 12  # text longer than this is collapsed behind its first line
LONG_CHARS = 1200
MAX_DIFF_LINES = 400  # an Edit larger than this is shown as old, then new (no matching)

_HEADER = re.compile(r"# aodfix transcript of (?P<repository>.+), AoD session (?P<session>\S+)")
_TURN = re.compile(r"=== turn (?P<turn>\S+): (?P<ending>.*) ===")
_STDERR = re.compile(r"--- stderr of turn (?P<turn>\S+) ---")
_BEGINS = {"PATCH": PATCH_BEGIN, "SLICE": SLICE_BEGIN, "VERIFY": VERIFY_BEGIN}
_KIND = re.compile(r"AODFIX-(PATCH|SLICE|VERIFY)-BEGIN")
# A newline, also JSON-escaped (a JSON line cut short is shown raw, its strings still escaped).
_NL = r"(?:\r?\n|\\r\\n|\\n)"
_HEADER_REST = re.compile(r"(?:(?!\r?\n|\\n).)*")
# Without an end marker the payload is the base64 lines right after the begin marker.
_PAYLOAD_LINES = re.compile(rf"(?:{_NL}(?:[A-Za-z0-9+/=]|\\/)+(?={_NL}|$))*")
_WORDY = re.compile(r"\w\w")


# --- text with folded collect blocks ------------------------------------------------------


@dataclass(frozen=True)
class Piece:
    """A run of the agent's text, or (``folded``) the one line that stands for a block."""

    text: str
    folded: bool = False


@dataclass(frozen=True)
class Text:
    """Text to show: redacted, control characters removed, collect blocks folded."""

    pieces: tuple[Piece, ...]

    @classmethod
    def of(cls, text: str) -> Text:
        return cls(tuple(fold_blocks(printable(redact(text)))))

    @property
    def plain(self) -> str:
        return "".join(p.text for p in self.pieces)

    @property
    def lines(self) -> int:
        return self.plain.rstrip("\n").count("\n") + 1

    @property
    def long(self) -> bool:
        return self.lines > LONG_LINES or len(self.plain) > LONG_CHARS

    @property
    def first_line(self) -> str:
        """The first line that says something (a lone ``(`` or ``{`` does not); for output
        that is only collect blocks, all their lines."""
        if all(p.folded or not p.text.strip() for p in self.pieces):
            return " · ".join(p.text for p in self.pieces if p.folded)
        lines = [line.strip() for line in self.plain.strip().split("\n")]
        line = next((t for t in lines if _WORDY.search(t)), lines[0])
        return line if len(line) <= 120 else line[:119] + "…"


def fold_blocks(text: str) -> Iterator[Piece]:
    """``text`` in pieces, each AODFIX collect, verify or slice block as one folded piece."""
    position = 0
    while (begin := _KIND.search(text, position)) is not None:
        end, line = _block(text, begin)
        if begin.start() > position:
            yield Piece(text[position : begin.start()])
        yield Piece(line, folded=True)
        position = end
    if position < len(text):
        yield Piece(text[position:])


def _block(text: str, begin: re.Match[str]) -> tuple[int, str]:
    """Where the block that starts at ``begin`` ends, and the line that says what it is."""
    kind = begin.group(1)
    header = _BEGINS[kind].match(text, begin.start())
    fields = header.groupdict() if header else {}
    rest = _HEADER_REST.match(text, begin.end())
    after = header.end() if header else rest.end() if rest else begin.end()
    following = ANY_BEGIN.search(text, after)
    limit = following.start() if following else len(text)
    closing = re.compile(rf"AODFIX-{kind}-END(?:\s+v\d+)?").search(text, after, limit)
    if closing is not None:
        arrived = len(clean_payload(text[after : closing.start()]))
        end = closing.end()
    else:
        payload = _PAYLOAD_LINES.match(text, after, limit)
        end = payload.end() if payload else after
        arrived = len(clean_payload(text[after:end]))
    line = _describe(kind, fields)
    expected = fields.get("payload_length") or fields.get("length")
    if closing is None:
        line += " — cut short (no end marker)"
    elif expected is not None and int(expected) != arrived:
        line += f" — damaged ({arrived} of {expected} characters arrived)"
    return end, line


def _describe(kind: str, fields: dict[str, str]) -> str:
    if not fields:
        return f"collect block: {kind.lower()} (header unreadable)"
    if kind == "SLICE":
        start = int(fields["offset"])
        stop = start + int(fields["length"])
        return f"collect block: patch slice, characters {start} to {stop} of {fields['total']}"
    size = int(fields["payload_length"])
    if kind == "VERIFY":
        return (
            f"collect block: verify results, {_size(size)} encoded,"
            f" for patch sha256 {fields['patch_sha256'][:12]}…"
        )
    if size == 0:
        return f"collect block: empty patch (no changes), base {fields['base'][:12]}"
    return (
        f"collect block: patch, {_size(size)} encoded, sha256 {fields['patch_sha256'][:12]}…,"
        f" base {fields['base'][:12]}"
    )


def _size(count: int) -> str:
    if count < 1000:
        return f"{count} B"
    if count < 1_000_000:
        return f"{count / 1000:.1f} KB"
    return f"{count / 1_000_000:.1f} MB"


# --- the conversation ---------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    kind: ClassVar[str] = "message"
    role: str  # agent | thinking | user
    text: Text


@dataclass(frozen=True)
class DiffLine:
    sign: str  # " ", "-" or "+"
    text: str


@dataclass(frozen=True)
class ToolResult:
    kind: ClassVar[str] = "result"
    text: Text
    is_error: bool


@dataclass
class ToolCall:
    kind: ClassVar[str] = "tool"
    name: str
    tool_id: str | None
    description: str | None = None
    target: str | None = None  # the file, pattern or URL, shown beside the name
    command: Text | None = None
    diff: list[DiffLine] = field(default_factory=list)
    content: Text | None = None  # what a Write wrote; other tools' input as JSON
    result: ToolResult | None = None


@dataclass(frozen=True)
class Started:
    kind: ClassVar[str] = "started"
    model: str | None
    cwd: str | None


@dataclass(frozen=True)
class Finished:
    kind: ClassVar[str] = "finished"
    subtype: str | None
    is_error: bool
    cost_usd: float | None
    turns: int | None
    seconds: float | None
    text: Text | None  # the final words, when they differ from the last message


@dataclass(frozen=True)
class Raw:
    """Lines shown as they are: not JSON, malformed, or an event of a kind not known here."""

    kind: ClassVar[str] = "raw"
    label: str
    text: Text


Event = Message | ToolCall | ToolResult | Started | Finished | Raw


@dataclass
class Turn:
    label: str
    ending: str
    events: list[Event] = field(default_factory=list)
    stderr: Text | None = None

    @property
    def finished(self) -> list[Finished]:
        return [e for e in self.events if isinstance(e, Finished)]


@dataclass
class Transcript:
    repository: str | None
    session_id: str | None
    preamble: list[Raw] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)

    @property
    def cost_usd(self) -> float | None:
        costs = [f.cost_usd for t in self.turns for f in t.finished if f.cost_usd is not None]
        return sum(costs) if costs else None

    @property
    def agent_turns(self) -> int | None:
        counts = [f.turns for t in self.turns for f in t.finished if f.turns is not None]
        return sum(counts) if counts else None


def parse_transcript(text: str) -> Transcript:
    """The conversation in a raw transcript (``write_transcript``'s format); never raises."""
    lines = text.split("\n")  # not splitlines(): U+2028 may sit inside JSON strings
    transcript = Transcript(None, None)
    if lines and (header := _HEADER.fullmatch(lines[0])) is not None:
        transcript.repository, transcript.session_id = header["repository"], header["session"]
        lines = lines[1:]
    turn: Turn | None = None
    pending: list[str] = []  # lines of the current section not read yet
    in_stderr = False

    def flush() -> None:
        if turn is None:
            transcript.preamble.extend(_raw(pending, "before the first turn"))
        elif in_stderr:
            body = "\n".join(pending).strip("\n")
            turn.stderr = Text.of(body) if body else None
        else:
            turn.events.extend(_events(pending))
        pending.clear()

    for line in lines:
        if (start := _TURN.fullmatch(line)) is not None:
            flush()
            turn = Turn(start["turn"], start["ending"])
            transcript.turns.append(turn)
            in_stderr = False
        elif turn is not None and not in_stderr and _STDERR.fullmatch(line):
            flush()
            in_stderr = True
        else:
            pending.append(line)
    flush()
    return transcript


def _raw(lines: list[str], label: str) -> list[Raw]:
    body = "\n".join(lines).strip("\n")
    return [Raw(label, Text.of(body))] if body.strip() else []


def _events(lines: list[str]) -> list[Event]:
    events: list[Event] = []
    calls: dict[str, ToolCall] = {}
    unread: list[str] = []
    for line in lines:
        value = _json(line)
        if value is None:
            unread.append(line)
            continue
        events.extend(_raw(unread, "output"))
        unread.clear()
        for event in _read(value, line, calls, events):
            if isinstance(event, ToolCall) and event.tool_id:
                calls[event.tool_id] = event
            events.append(event)
    events.extend(_raw(unread, "output"))
    return events


def _json(line: str) -> dict[str, Any] | None:
    if not line.lstrip().startswith("{"):
        return None
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _read(
    obj: dict[str, Any], line: str, calls: dict[str, ToolCall], events: list[Event]
) -> list[Event]:
    """The events one stream-json line holds (tool results are attached to their call)."""
    kind = obj.get("type")
    message = _dict(obj.get("message"))
    content = message.get("content") if message is not None else None
    if kind == "system" and obj.get("subtype") == "init":
        return [Started(_clean(obj.get("model")), _clean(obj.get("cwd")))]
    if kind in ("assistant", "user") and isinstance(content, str):
        return [Message("agent" if kind == "assistant" else "user", Text.of(content))]
    if kind == "assistant":
        return [e for block in _blocks(content) for e in _assistant(block)]
    if kind == "user" and message is not None:
        found: list[Event] = []
        for block in _blocks(content):
            if block.get("type") == "tool_result":
                result = ToolResult(Text.of(_result_text(block.get("content"))), _true(block))
                call = calls.get(_str(block.get("tool_use_id")) or "")
                if call is not None and call.result is None:
                    call.result = result
                else:
                    found.append(result)
            elif isinstance(text := block.get("text"), str):
                found.append(Message("user", Text.of(text)))
        return found
    if kind == "result":
        return [_finished(obj, events)]
    label = f"{kind} event" if isinstance(kind, str) else "JSON line"
    return [Raw(printable(label)[:80], Text.of(line))]


def _assistant(block: dict[str, Any]) -> list[Event]:
    kind = block.get("type")
    if kind == "text" and isinstance(text := block.get("text"), str):
        return [Message("agent", Text.of(text))] if text.strip() else []
    if kind == "thinking" and isinstance(text := block.get("thinking"), str):
        return [Message("thinking", Text.of(text))] if text.strip() else []
    if kind == "tool_use":
        return [_tool_call(block)]
    return [Raw(f"{printable(str(kind))[:40]} block", Text.of(_dump(block)))]


def _tool_call(block: dict[str, Any]) -> ToolCall:
    name = printable(_str(block.get("name")) or "tool")[:80]
    tool_input = _dict(block.get("input")) or {}
    call = ToolCall(name, _str(block.get("id")), _clean(tool_input.get("description")))
    for key in ("file_path", "notebook_path", "path", "pattern", "url"):
        if isinstance(value := tool_input.get(key), str):
            call.target = _clean(value)
            break
    if isinstance(command := tool_input.get("command"), str):
        call.command = Text.of(command)
    elif name == "Edit":
        call.diff = _diff(tool_input.get("old_string"), tool_input.get("new_string"))
    elif name == "MultiEdit":
        for edit in _blocks(tool_input.get("edits")):
            call.diff += _diff(edit.get("old_string"), edit.get("new_string"))
    elif name == "Write" and isinstance(content := tool_input.get("content"), str):
        call.content = Text.of(content)
    else:
        rest = {k: v for k, v in tool_input.items() if k != "description"}
        if rest and set(rest) != {"file_path"}:
            call.content = Text.of(_dump(rest))
    return call


def _diff(old: object, new: object) -> list[DiffLine]:
    """An Edit's old and new strings, line by line (unchanged lines kept for context)."""
    before = printable(redact(old)).split("\n") if isinstance(old, str) else []
    after = printable(redact(new)).split("\n") if isinstance(new, str) else []
    if len(before) + len(after) > MAX_DIFF_LINES:
        return [DiffLine("-", t) for t in before] + [DiffLine("+", t) for t in after]
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            lines += [DiffLine(" ", t) for t in before[i1:i2]]
        else:
            lines += [DiffLine("-", t) for t in before[i1:i2]]
            lines += [DiffLine("+", t) for t in after[j1:j2]]
    return lines


def _finished(obj: dict[str, Any], events: list[Event]) -> Finished:
    turns = obj.get("num_turns")
    millis = _float(obj.get("duration_ms"))
    text = _str(obj.get("result"))
    last = next((e for e in reversed(events) if isinstance(e, Message)), None)
    said = Text.of(text) if text and text.strip() else None
    if said is not None and last is not None and said.plain.strip() == last.text.plain.strip():
        said = None
    return Finished(
        subtype=_clean(obj.get("subtype")),
        is_error=_true(obj),
        cost_usd=_float(obj.get("total_cost_usd")),
        turns=turns if isinstance(turns, int) and not isinstance(turns, bool) else None,
        seconds=millis / 1000 if millis is not None else None,
        text=said,
    )


def _result_text(content: object) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for block in _blocks(content):
        if isinstance(text := block.get("text"), str):
            parts.append(text)
        else:
            parts.append(f"[{printable(str(block.get('type')))[:40]}]")
    return "\n".join(parts)


def _dump(value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, indent=1)
    except (RecursionError, ValueError):
        return "(nested too deeply to show)"


def _blocks(value: object) -> list[dict[str, Any]]:
    return [b for b in value if isinstance(b, dict)] if isinstance(value, list) else []


def _dict(value: object) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _clean(value: object) -> str | None:
    return printable(redact(value)) if isinstance(value, str) else None


def _true(obj: dict[str, Any]) -> bool:
    return obj.get("is_error") is True


def _float(value: object) -> float | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        return float(value)
    except OverflowError:  # an integer of hundreds of digits
        return None


# --- the page -----------------------------------------------------------------------------


def render_transcript_page(
    text: str, *, repository: str | None = None, raw_log: str | None = None
) -> str:
    """The readable page of a raw transcript; ``raw_log``: the ``.log``'s link from the page."""
    transcript = parse_transcript(text)
    template = environment().get_template("transcript.html.j2")
    return template.render(
        transcript=transcript,
        repository=repository or transcript.repository or "unknown repository",
        raw_log=raw_log,
    )
