"""GitHub's search query language, as far as the emulator understands it.

A query is words and ``qualifier:value`` pairs separated by spaces; double quotes keep a
phrase (``"two words"``, ``topic:"x"``) together, and a leading ``-`` or a ``NOT`` before a
word or qualifier negates it. ``AND`` is what juxtaposition means anyway. ``OR`` is refused
rather than misread, as is any qualifier the emulator does not implement: a test must not
pass on results a real search would not give.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_QUALIFIER = re.compile(r"^(-?)([A-Za-z][A-Za-z_-]*):(.*)$", re.DOTALL)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:?\d{2})?$")


class QueryError(ValueError):
    """A query GitHub answers with 422; the message says what is wrong with it."""


@dataclass(frozen=True)
class Term:
    text: str  # lower case: every match is case-insensitive
    negated: bool = False


@dataclass(frozen=True)
class Qualifier:
    name: str  # lower case
    value: str
    negated: bool = False


@dataclass(frozen=True)
class Query:
    terms: tuple[Term, ...]
    qualifiers: tuple[Qualifier, ...]

    def named(self, name: str) -> list[Qualifier]:
        return [q for q in self.qualifiers if q.name == name]

    def single(self, name: str) -> str | None:
        """The value of a qualifier that may be given once (``archived:``, ``fork:``)."""
        found = self.named(name)
        if len(found) > 1 or any(q.negated for q in found):
            raise QueryError(f"give {name}: once, without negation")
        return found[0].value.lower() if found else None


@dataclass(frozen=True)
class TimeRange:
    """A half-open interval ``[start, end)``; None is unbounded."""

    start: datetime | None
    end: datetime | None

    def contains(self, moment: datetime) -> bool:
        return (self.start is None or moment >= self.start) and (
            self.end is None or moment < self.end
        )


def parse(text: str, qualifiers: Collection[str], *, what: str) -> Query:
    """``text`` as a query whose qualifier names must be among ``qualifiers``."""
    terms: list[Term] = []
    found: list[Qualifier] = []
    negate_next = False
    for token in _tokens(text):
        if token == "NOT":
            if negate_next:
                raise QueryError("NOT NOT is not a query")
            negate_next = True
            continue
        if token == "AND" and not negate_next:
            continue
        if token == "OR":
            raise QueryError("OR is not supported by the GitHub emulator; run one query per branch")
        matched = _QUALIFIER.match(token) if not token.startswith('"') else None
        if matched:
            minus, name, value = matched.groups()
            name = name.lower()
            if name not in qualifiers:
                raise QueryError(f"{name}: is not a {what} qualifier the GitHub emulator supports")
            value = _unquote(value)
            if not value:
                raise QueryError(f"{name}: needs a value")
            found.append(Qualifier(name, value, negated=bool(minus) != negate_next))
        else:
            minus = token.startswith("-") and len(token) > 1
            word = _unquote(token[1:] if minus else token)
            if word:
                terms.append(Term(word.lower(), negated=minus != negate_next))
        negate_next = False
    if negate_next:
        raise QueryError("NOT must be followed by a word or a qualifier")
    return Query(tuple(terms), tuple(found))


def _tokens(text: str) -> list[str]:
    """Split on whitespace outside double quotes (the quotes are kept)."""
    tokens: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char.isspace() and not quoted:
            if current:
                tokens.append("".join(current))
                current = []
            continue
        current.append(char)
    if quoted:
        raise QueryError("the query has an unclosed double quote")
    if current:
        tokens.append("".join(current))
    return tokens


def _unquote(value: str) -> str:
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        return value[1:-1]
    if '"' in value:
        raise QueryError(f"misplaced double quote in {value!r}")
    return value


def boolean(qualifier: str, value: str) -> bool:
    if value not in ("true", "false"):
        raise QueryError(f"{qualifier}: takes true or false, not {value!r}")
    return value == "true"


def time_range(qualifier: str, value: str) -> TimeRange:
    """``>=D``, ``>D``, ``<=D``, ``<D``, ``D..E`` (``*`` open), or ``D``: a date is its whole
    day (UTC), a date-time its second, so ``<2020-01-01`` and ``>=2020-01-01`` split exactly."""
    for operator in (">=", "<=", ">", "<"):
        if value.startswith(operator):
            low, high = _moment(qualifier, value[len(operator) :])
            if operator == ">=":
                return TimeRange(low, None)
            if operator == ">":
                return TimeRange(high, None)
            if operator == "<=":
                return TimeRange(None, high)
            return TimeRange(None, low)
    if ".." in value:
        first, _, last = value.partition("..")
        start = None if first == "*" else _moment(qualifier, first)[0]
        end = None if last == "*" else _moment(qualifier, last)[1]
        return TimeRange(start, end)
    return TimeRange(*_moment(qualifier, value))


def _moment(qualifier: str, text: str) -> tuple[datetime, datetime]:
    """The interval a date (its day) or a date-time (its second) stands for."""
    try:
        if _DATE.match(text):
            day = datetime.fromisoformat(text).replace(tzinfo=UTC)
            return day, day + timedelta(days=1)
        if _DATETIME.match(text):
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            moment = moment.astimezone(UTC)
            return moment, moment + timedelta(seconds=1)
    except ValueError:
        pass
    raise QueryError(f"{qualifier}: takes a date (YYYY-MM-DD) or a range of dates, not {text!r}")
