"""``GET /search/issues``: issues and pull requests of the repositories the caller can see.

Words and quoted phrases match as GitHub's index matches them: case-insensitively, on whole
words, with punctuation ignored, so the phrase ``"<!-- aodfix:batch=fix -->"`` is the words
``aodfix batch fix`` in a row (and also finds ``aodfix:batch=fix-2``: callers confirm the
exact marker themselves, as they must on GitHub). ``head:`` matches branches beginning with
the given name (GitHub's ``head:change`` finds ``change-1``); every other qualifier is exact.
The default order is newest first; ``sort=created|updated|comments`` and ``order`` apply.
It shares the ``search`` window, the 1,000-result cap and ``Link`` pages with repository
search (``rest_search``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from aodfix.emulator.github import shapes
from aodfix.emulator.github.rest_router import RestCall, RestResult, Router
from aodfix.emulator.github.rest_search import (
    answer,
    candidates,
    in_fields,
    invalid_query,
    page_window,
    parse_query,
    value_filter,
)
from aodfix.emulator.github.search_query import (
    Query,
    QueryError,
    TimeRange,
    boolean,
    time_range,
)
from aodfix.emulator.github.store import IssueRecord, RepositoryRecord

Item = tuple[RepositoryRecord, IssueRecord]
Test = Callable[[RepositoryRecord, IssueRecord], bool]

_QUALIFIERS = (
    *("org", "user", "repo", "is", "type", "state", "in", "head", "base"),
    *("author", "assignee", "label", "draft", "created", "updated", "closed", "merged"),
)
_FIELDS = frozenset({"title", "body", "comments"})
_SORTS = frozenset(
    {"created", "updated", "comments", "interactions", "reactions"}
    | {f"reactions-{kind}" for kind in ("+1", "-1", "smile", "thinking_face", "heart", "tada")}
)
_WORD = re.compile(r"[^\W_]+")  # runs of letters and digits: GitHub ignores the symbols between


def register(router: Router) -> None:
    router.add("GET", "/search/issues", search_issues, resource="search")


def search_issues(call: RestCall) -> RestResult:
    query = parse_query(call, _QUALIFIERS, "issue search")
    window = page_window(call)
    try:
        tests = _tests(query)
        fields = in_fields(query, _FIELDS, _FIELDS)  # all three without in:
        order = _order(call)
    except QueryError as exc:
        raise invalid_query(str(exc)) from None
    phrases = [(_phrase(term.text), term.negated) for term in query.terms]
    phrases = [(phrase, negated) for phrase, negated in phrases if phrase.strip()]
    found = [
        (repo, record)
        for repo in candidates(call, query)
        for record in repo.issues.values()
        if all(test(repo, record) for test in tests)
        and _words_match(phrases, _texts(record, fields))
    ]
    found.sort(key=order[0], reverse=order[1])
    urls = call.context.urls
    items = [{**shapes.issue(urls, repo, record), "score": 1.0} for repo, record in found[window]]
    return answer(call, len(found), items, issues=True)


# -- words and phrases -------------------------------------------------------------------------


def _phrase(text: str) -> str:
    """Words padded with spaces, so that a substring test is a whole-word sequence test."""
    return f" {' '.join(_WORD.findall(text.lower()))} "


def _texts(record: IssueRecord, fields: frozenset[str]) -> list[str]:
    texts = []
    if "title" in fields:
        texts.append(record.title)
    if "body" in fields and record.body:
        texts.append(record.body)
    if "comments" in fields:
        texts.extend(comment.body for comment in record.comments)
    return [_phrase(text) for text in texts]


def _words_match(phrases: list[tuple[str, bool]], texts: list[str]) -> bool:
    """Every phrase is in one of the fields, no negated one in any. A term of symbols only
    has no words and was dropped, as GitHub ignores it."""
    return all(any(phrase in text for text in texts) != negated for phrase, negated in phrases)


# -- qualifiers --------------------------------------------------------------------------------


def _tests(query: Query) -> list[Test]:
    tests: list[Test] = []
    for qualifier in query.qualifiers:
        if qualifier.name in ("is", "type", "state"):
            kind = _kind_test(qualifier.name, qualifier.value.lower())
            tests.append(_negatable(kind, qualifier.negated))
        elif qualifier.name in _MOMENTS:
            span = time_range(qualifier.name, qualifier.value)
            tests.append(_negatable(_within(span, _MOMENTS[qualifier.name]), qualifier.negated))
        elif qualifier.name == "label":
            tests.append(_negatable(_labelled(qualifier.value), qualifier.negated))
    tests.extend(_value_tests(query))
    draft = query.single("draft")
    if draft is not None:
        wanted = boolean("draft", draft)
        tests.append(lambda repo, record: record.pull is not None and record.pull.draft == wanted)
    return tests


def _negatable(test: Test, negated: bool) -> Test:
    return test if not negated else lambda repo, record: not test(repo, record)


def _within(span: TimeRange, moment: Callable[[IssueRecord], datetime | None]) -> Test:
    def test(repo: RepositoryRecord, record: IssueRecord) -> bool:
        when = moment(record)
        return when is not None and span.contains(when)

    return test


def _labelled(value: str) -> Test:
    """``label:a``, or ``label:a,b`` for either (each ``label:`` must hold)."""
    options = {name.strip().lower() for name in value.split(",") if name.strip()}
    return lambda repo, record: any(label.lower() in options for label in record.labels)


def _kind_test(name: str, value: str) -> Test:
    """``is:``/``type:``/``state:`` values: what kind of thing, and where it stands."""
    allowed = {
        "is": _IS,
        "type": {"pr": _IS["pr"], "issue": _IS["issue"]},
        "state": {"open": _IS["open"], "closed": _IS["closed"]},
    }[name]
    test = allowed.get(value)
    if test is None:
        raise QueryError(f"{name}:{value} is not supported by the GitHub emulator")
    return test


_IS: dict[str, Test] = {
    "pr": lambda repo, record: record.pull is not None,
    "pull-request": lambda repo, record: record.pull is not None,
    "issue": lambda repo, record: record.pull is None,
    "open": lambda repo, record: record.state == "open",
    "closed": lambda repo, record: record.state == "closed",
    "merged": lambda repo, record: record.pull is not None and record.pull.merged,
    # GitHub: a PR that is open, or was closed without being merged.
    "unmerged": lambda repo, record: record.pull is not None and not record.pull.merged,
    "draft": lambda repo, record: record.pull is not None and record.pull.draft,
    "public": lambda repo, record: not repo.private,
    "private": lambda repo, record: repo.private,
}

_MOMENTS: dict[str, Callable[[IssueRecord], datetime | None]] = {
    "created": lambda record: record.created_at,
    "updated": lambda record: record.updated_at,
    "closed": lambda record: record.closed_at,
    "merged": lambda record: record.pull.merged_at if record.pull else None,
}


def _head_matches(ref: str, value: str) -> bool:
    """``head:NAME``: the branch is NAME or begins with it and a symbol follows."""
    return ref == value or (ref.startswith(value) and not ref[len(value)].isalnum())


def _value_tests(query: Query) -> list[Test]:
    """One-valued properties: any positive value may match, no negated one may."""
    head = value_filter(query, "head", _head_matches)
    base = value_filter(query, "base", lambda ref, value: ref == value)
    author = value_filter(query, "author", lambda login, value: login == value)
    tests: list[Test] = [lambda repo, record: author(record.user.lower())]
    if query.named("head") or query.named("base"):
        tests.append(
            lambda repo, record: (
                record.pull is not None
                and head(record.pull.head_ref.lower())
                and base(record.pull.base_ref.lower())
            )
        )
    assignees = [(q.value.lower(), q.negated) for q in query.named("assignee")]
    if assignees:
        wanted = {value for value, negated in assignees if not negated}
        refused = {value for value, negated in assignees if negated}
        tests.append(
            lambda repo, record: (
                (not wanted or bool(wanted & {a.lower() for a in record.assignees}))
                and not refused & {a.lower() for a in record.assignees}
            )
        )
    return tests


def _order(call: RestCall) -> tuple[Callable[[Item], tuple[datetime | int, int]], bool]:
    """The sort key and whether it runs descending; best match is newest first here."""
    sort = call.query.get("sort")
    order = call.query.get("order", "desc")
    if sort is not None and sort not in _SORTS:
        raise QueryError(f"sort={sort} is not a sort of issue search")
    if order not in ("asc", "desc"):
        raise QueryError(f"order={order} is neither asc nor desc")
    descending = order == "desc" or sort is None
    if sort == "updated":
        return (lambda item: (item[1].updated_at, item[1].id)), descending
    if sort == "comments":
        return (lambda item: (len(item[1].comments), item[1].id)), descending
    return (lambda item: (item[1].created_at, item[1].id)), descending
