"""GitHub's secondary limits in the emulator: each rule refuses as GitHub does, with nothing
done, until its window lets the call through; aodfix's gateway waits and succeeds."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from github import RateLimitExceededException

from aodfix.emulator.github import GitHubEmulator, SecondaryLimits
from aodfix.emulator.github.faults import (
    CONTENT_CREATION_LIMIT_MESSAGE,
    SECONDARY_RATE_LIMIT_MESSAGE,
)
from aodfix.forge.github_client import GitHubGateway, GitHubSettings

DOCS = (
    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)
ISSUES = "/repos/acme/api/issues"


def _api(emulator: GitHubEmulator, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"token {token or emulator.token}"}
    return httpx.Client(base_url=emulator.api_url, headers=headers, timeout=30)


def _statuses(responses: list[httpx.Response]) -> list[int]:
    return [response.status_code for response in responses]


def test_limits_are_off_by_default_and_checked() -> None:
    assert not SecondaryLimits().enabled
    documented = SecondaryLimits.github()
    assert (documented.content_per_minute, documented.content_per_hour) == (80, 500)
    assert (documented.points_per_minute, documented.concurrent) == (900, 100)
    with pytest.raises(ValueError):
        SecondaryLimits(content_per_minute=0)
    with pytest.raises(ValueError):
        SecondaryLimits(points_per_minute=4)  # not even one write would fit


def test_content_per_minute_refuses_a_write_without_doing_it_until_the_window_passes(
    github_emulator: GitHubEmulator,
) -> None:
    github_emulator.create_repository("acme/api")
    for branch in ("one", "two", "three"):
        github_emulator.commit_files("acme/api", branch, {f"{branch}.txt": "x\n"})
    limits = SecondaryLimits(content_per_minute=2, minute_seconds=1)
    github_emulator.configure_secondary_limits(limits)

    def open_pull(api: httpx.Client, branch: str) -> httpx.Response:
        return api.post(
            "/repos/acme/api/pulls", json={"head": branch, "base": "main", "title": branch}
        )

    with _api(github_emulator) as api:
        opened = [open_pull(api, branch) for branch in ("one", "two", "three")]
        read = api.get("/repos/acme/api")
        refused = opened[-1]
        assert _statuses(opened) == [201, 201, 403]
        assert refused.headers["Retry-After"] == "1"
        assert refused.headers["X-RateLimit-Remaining"] != "0"  # secondary, not primary
        assert refused.json() == {
            "message": CONTENT_CREATION_LIMIT_MESSAGE,
            "documentation_url": DOCS,
            "status": "403",
        }
        assert read.status_code == 200  # a read creates no content
        assert [pull.head_ref for pull in github_emulator.pull_requests()] == ["one", "two"]

        time.sleep(int(refused.headers["Retry-After"]))
        assert open_pull(api, "three").status_code == 201

    stats = github_emulator.secondary_limit_stats()
    assert stats.content_accepted == 3
    assert stats.refused["content_per_minute"] == 1
    assert stats.peak["content_per_minute"] == 2


def test_the_hour_window_binds_once_the_minute_one_has_passed(
    github_emulator: GitHubEmulator,
) -> None:
    github_emulator.create_repository("acme/api")
    limits = SecondaryLimits(
        content_per_minute=2, content_per_hour=3, minute_seconds=1, hour_seconds=3
    )
    github_emulator.configure_secondary_limits(limits)

    with _api(github_emulator) as api:
        first = [api.post(ISSUES, json={"title": str(n)}) for n in range(3)]
        time.sleep(1.05)
        second = [api.post(ISSUES, json={"title": str(n)}) for n in range(3, 5)]

    assert _statuses(first) == [201, 201, 403]
    assert first[-1].headers["Retry-After"] == "1"
    assert _statuses(second) == [201, 403]
    assert second[-1].headers["Retry-After"] == "2"  # the first issue leaves the hour at 3 s
    stats = github_emulator.secondary_limit_stats()
    assert stats.refused == {
        "content_per_minute": 1,
        "content_per_hour": 1,
        "points_per_minute": 0,
        "concurrent": 0,
    }
    assert stats.peak["content_per_hour"] == 3
    assert len(stats.content_times) == 3


def test_points_count_a_read_as_one_and_a_write_as_five_per_token(
    github_emulator: GitHubEmulator,
) -> None:
    github_emulator.create_repository("acme/api")
    github_emulator.add_token("ghp_other")
    github_emulator.configure_secondary_limits(SecondaryLimits(points_per_minute=7, status=429))

    with _api(github_emulator) as api, _api(github_emulator, "ghp_other") as other_api:
        answers = [
            api.get("/repos/acme/api"),  # 1
            api.post(ISSUES, json={"title": "one"}),  # 6
            api.post(ISSUES, json={"title": "two"}),  # 11: refused
            api.get("/repos/acme/api"),  # 7
            api.get("/repos/acme/api"),  # 8: refused
        ]
        # Another token has a budget of its own; the refused write opened nothing.
        elsewhere = [other_api.get(f"{ISSUES}/{number}") for number in (1, 2)]

    assert _statuses(answers) == [200, 201, 429, 200, 429]
    for refused in (answers[2], answers[4]):
        assert refused.headers["Retry-After"] == "60"
        assert refused.json()["message"] == SECONDARY_RATE_LIMIT_MESSAGE
        assert refused.json()["status"] == "429"
    assert _statuses(elsewhere) == [200, 404]
    assert elsewhere[0].json()["title"] == "one"
    stats = github_emulator.secondary_limit_stats()
    assert (stats.refused["points_per_minute"], stats.peak["points_per_minute"]) == (2, 7)
    assert stats.content_accepted == 1


def test_a_call_past_the_concurrent_limit_is_refused_while_another_is_in_flight(
    github_emulator: GitHubEmulator,
) -> None:
    github_emulator.create_repository("acme/api")
    github_emulator.configure_secondary_limits(SecondaryLimits(concurrent=1))
    release = threading.Event()

    def slow_body() -> Iterator[bytes]:
        yield b'{"title": '
        release.wait(10)
        yield b'"slow"}'

    with _api(github_emulator) as api, _api(github_emulator) as uploader:
        with ThreadPoolExecutor(1) as pool:
            slow = pool.submit(uploader.post, ISSUES, content=slow_body())
            deadline = time.monotonic() + 5
            while github_emulator.secondary_limit_stats().peak["concurrent"] == 0:
                assert time.monotonic() < deadline, "the slow upload never reached the server"
                time.sleep(0.01)
            crowded = api.get("/repos/acme/api")  # while the slow upload holds the only slot
            release.set()
            assert slow.result().status_code == 201
        after = api.get("/repos/acme/api")

    assert crowded.status_code == 403
    assert crowded.headers["Retry-After"] == "1"
    assert crowded.json()["message"] == SECONDARY_RATE_LIMIT_MESSAGE
    assert after.status_code == 200
    stats = github_emulator.secondary_limit_stats()
    assert (stats.refused["concurrent"], stats.peak["concurrent"]) == (1, 1)


def test_a_graphql_mutation_is_content_and_a_refused_one_changes_nothing(
    github_emulator: GitHubEmulator,
) -> None:
    github_emulator.create_repository("acme/api")
    github_emulator.seed_pull_requests(["acme/api"], draft=True)
    (view,) = github_emulator.pull_requests()
    github_emulator.configure_secondary_limits(SecondaryLimits(content_per_minute=1))
    headers = {"Authorization": f"bearer {github_emulator.token}"}
    variables = {"input": {"pullRequestId": view.node_id}}

    def post(query: str) -> httpx.Response:
        body = {"query": query, "variables": variables}
        return httpx.post(f"{github_emulator.server_url}/api/graphql", headers=headers, json=body)

    ready = post(
        "mutation($input: MarkPullRequestReadyForReviewInput!) {"
        " markPullRequestReadyForReview(input: $input) { pullRequest { isDraft } } }"
    )
    query = post("query { viewer { login } }")
    back = post(
        "mutation($input: ConvertPullRequestToDraftInput!) {"
        " convertPullRequestToDraft(input: $input) { pullRequest { isDraft } } }"
    )

    assert ready.status_code == 200
    assert query.status_code == 200  # a query is not content (the emulator answers errors)
    assert back.status_code == 403
    assert int(back.headers["Retry-After"]) >= 59
    assert back.json()["message"] == CONTENT_CREATION_LIMIT_MESSAGE
    assert github_emulator.pull_requests()[0].draft is False
    assert github_emulator.secondary_limit_stats().content_accepted == 1


def test_the_gateway_waits_out_retry_after_and_then_writes(tmp_path: Path) -> None:
    limits = SecondaryLimits(content_per_minute=1, minute_seconds=1)
    with GitHubEmulator(tmp_path / "github", secondary_limits=limits) as emulator:
        emulator.create_repository("acme/api")
        settings = GitHubSettings(
            emulator.api_url, emulator.server_url, emulator.token, write_interval=0, max_wait=30
        )
        gateway = GitHubGateway(settings)
        try:
            repo = gateway.read(lambda: gateway.github.get_repo("acme/api"))
            gateway.write(lambda: repo.create_issue("one"))
            with pytest.raises(RateLimitExceededException):  # PyGithub sees a rate limit
                repo.create_issue("refused")
            started = time.monotonic()
            second = gateway.write(lambda: repo.create_issue("two"))
            waited = time.monotonic() - started
        finally:
            gateway.close()
        writes = [(entry.method, entry.status) for entry in emulator.rest_writes()]

    assert second.title == "two"
    assert waited >= 0.9
    assert writes == [("POST", 201), ("POST", 403), ("POST", 403), ("POST", 201)]
