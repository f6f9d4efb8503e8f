"""Untrusted text (from the agent, AoD or GitHub) made safe to print.

An ANSI or OSC escape sequence in agent output can move the cursor over earlier lines of a
CI log, set the terminal's title or plant a hyperlink; other control characters garble
tables. Everything such a source said is passed through ``printable`` before it is shown.
"""

from __future__ import annotations

import re

from aodfix.redact import redact

# ESC-introduced sequences (CSI, OSC up to BEL or ST, two-character escapes), the C1
# controls, and every other C0 control but tab and newline.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: cursor movement, colours, erase
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: titles, hyperlinks
    r"|\x1b[@-_]?"  # other escapes, or a lone ESC
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
)


def printable(text: str) -> str:
    """``text`` without escape sequences and control characters (tab and newline kept)."""
    return _ESCAPES.sub("", text)


def one_line(text: str, limit: int = 500) -> str:
    """``text`` redacted, printable and folded onto one line, for errors shown in tables,
    logs and reports."""
    folded = " ".join(printable(redact(text)).split())
    return folded if len(folded) <= limit else folded[: limit - 1] + "…"


def escape_html(text: str) -> str:
    """``&``, ``<`` and ``>`` escaped: Markdown renderers then show the text, never HTML."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
