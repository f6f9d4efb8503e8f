"""Links a report may carry: http(s) or relative only.

A report can be re-rendered from JSON that someone else wrote (merged shard reports), so a
``javascript:`` or ``data:`` URL in it must never become a clickable link.
"""

from __future__ import annotations

import re

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_UNSAFE_CHARS = re.compile(r"[\x00-\x20\x7f<>\"'`\\]")


def safe_link(url: str | None) -> str | None:
    """``url`` when it is an http(s) or a relative link, else None (shown as text)."""
    if not url or _UNSAFE_CHARS.search(url) or url.startswith("//"):
        return None
    scheme = _SCHEME.match(url)
    if scheme is None:
        return url  # relative: a transcript beside the report
    return url if scheme.group(1).lower() in ("http", "https") else None
