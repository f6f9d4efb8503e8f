"""Which listed sessions belong to a create whose answer was lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aodfix.agent.orphans import AmbiguousCreate, orphans

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
ATTEMPT = AmbiguousCreate(
    frozenset({"https://github.com/acme/api"}), T0, T0 + timedelta(seconds=30)
)


def _record(session_id: str, url: str, at: datetime) -> dict[str, object]:
    return {
        "id": session_id,
        "created_at": at.isoformat().replace("+00:00", "Z"),
        "status": "running",
        "resources": [{"type": "github_repository", "url": url}],
    }


def test_only_a_session_of_the_same_repository_made_in_the_window_is_an_orphan() -> None:
    records = [
        _record("lost", "https://github.com/ACME/api.git", T0 + timedelta(seconds=1)),
        _record("ours", "https://github.com/acme/api", T0 + timedelta(seconds=2)),
        _record("other-repo", "https://github.com/acme/web", T0 + timedelta(seconds=1)),
        _record("yesterday", "https://github.com/acme/api", T0 - timedelta(days=1)),
        {"id": "garbage", "created_at": "not a time", "resources": "nope"},
        {"no": "id"},
    ]
    assert orphans(records, known={"ours"}, ambiguous=[ATTEMPT]) == ["lost"]


def test_without_an_ambiguous_create_no_session_is_an_orphan() -> None:
    records = [_record("x", "https://github.com/acme/api", T0)]
    assert orphans(records, known=set(), ambiguous=[]) == []
