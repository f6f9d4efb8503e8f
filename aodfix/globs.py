"""Path globs as the manifest's ``policy.forbidden_paths`` uses them.

Semantics (gitignore-like, always relative to the repository root): ``*`` and ``?`` stay
within one path segment, ``**`` spans any number of segments, ``[...]`` is a character
class. A pattern with no ``/`` matches the file name in any directory (``*.pem``).
"""

from __future__ import annotations

import re
from functools import lru_cache


class GlobError(ValueError):
    """A pattern that cannot be a path glob."""


@lru_cache(maxsize=512)
def compile_glob(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    """Translate a path glob into an anchored regular expression, or raise GlobError."""
    if not pattern or not pattern.strip():
        raise GlobError("empty glob")
    if pattern.startswith("/") or "\\" in pattern:
        raise GlobError(f"glob {pattern!r} must be a relative path with '/' separators")
    if any(part == ".." for part in pattern.split("/")):
        raise GlobError(f"glob {pattern!r} must not contain '..'")
    body = pattern if "/" in pattern.rstrip("/") else "**/" + pattern
    if body.endswith("/"):
        body += "**"
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if body.startswith("**", i):
            if body.startswith("***", i):
                raise GlobError(f"glob {pattern!r} has '***'")
            at_start = i == 0 or body[i - 1] == "/"
            at_end = i + 2 == len(body) or body[i + 2] == "/"
            if not (at_start and at_end):
                raise GlobError(f"glob {pattern!r}: '**' must be a whole path segment")
            if i + 2 == len(body):
                out.append(".*")
                i += 2
            else:
                out.append("(?:.*/)?")
                i += 3
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            end = body.find("]", i + 2 if body.startswith("[!", i) else i + 1)
            if end == -1:
                raise GlobError(f"glob {pattern!r} has an unclosed '['")
            inner = body[i + 1 : end]
            if inner.startswith("!"):
                inner = "^" + inner[1:]
            out.append("[" + inner.replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(c))
            i += 1
    try:
        return re.compile("".join(out) + r"\Z", re.IGNORECASE if ignore_case else 0)
    except re.error as exc:
        raise GlobError(f"glob {pattern!r}: {exc}") from None


def matches(pattern: str, path: str, *, ignore_case: bool = False) -> bool:
    """Whether the repository-relative ``path`` matches ``pattern``."""
    return compile_glob(pattern, ignore_case=ignore_case).match(path) is not None


def literal_parts(pattern: str) -> list[str]:
    """The path segments of ``pattern`` without wildcards (``.github``, ``workflows``)."""
    return [part for part in pattern.split("/") if part and not re.search(r"[*?\[]", part)]
