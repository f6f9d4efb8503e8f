"""A repository's one result is built from its stages' results: what each stage learnt is
kept, also when a later stage fails, and the patch stays only where no PR shows it."""

from __future__ import annotations

import asyncio

from aodfix.errors import RepositorySkipped, StageError
from aodfix.patch import Diffstat
from aodfix.pipeline.agent import AgentResult
from aodfix.pipeline.checks import CheckedPatch
from aodfix.pipeline.publish import Published
from aodfix.pipeline.pull_request import OpenedPullRequest
from aodfix.pipeline.trail import Trail
from aodfix.report.models import PullRequestRef, Stage, Status

PATCH = b"diff --git a/x b/x\n"
STAT = Diffstat(1, 1, 1)


def _agent(patch: bytes | None = PATCH) -> AgentResult:
    return AgentResult(patch, "ses_1", 2, "Fixed it.", 0.5, "transcripts/a.log", 1.25, 30.0)


def _trail(*results: object) -> Trail:
    trail = Trail("acme/api", started=100.0)
    for result in results:
        trail.keep(result)  # type: ignore[arg-type]
    return trail


def test_an_opened_pull_request_carries_the_session_and_keeps_the_patch() -> None:
    opened = OpenedPullRequest(PullRequestRef(7, "u"), Status.PR_OPENED)
    trail = _trail(_agent(), CheckedPatch(PATCH, STAT), Published(True, ("note",)), opened)
    result = trail.result(now=142.0)
    assert result.status is Status.PR_OPENED
    assert result.pull_request == PullRequestRef(7, "u")
    assert (result.session_id, result.turns, result.summary) == ("ses_1", 2, "Fixed it.")
    assert result.diffstat == STAT and result.notes == ("note",)
    assert result.patch == PATCH.decode()  # readable in the report, not only on GitHub
    assert (result.timings.queued, result.timings.session, result.timings.total) == (
        1.25,
        30.0,
        42.0,
    )


def test_a_dry_run_keeps_the_patch_for_the_reviewer() -> None:
    result = _trail(_agent(), CheckedPatch(PATCH, STAT), Published(None, ())).result(now=101.0)
    assert result.status is Status.DRY_RUN
    assert result.patch == PATCH.decode()


def test_an_empty_patch_is_no_changes() -> None:
    assert _trail(_agent(b"")).result(now=101.0).status is Status.NO_CHANGES


def test_a_failure_keeps_what_earlier_stages_and_the_failing_one_learnt() -> None:
    failure = StageError(Stage.POLICY, "too many files", facts={"diffstat": STAT})
    result = _trail(_agent()).result(now=101.0, failure=failure)
    assert result.status is Status.FAILED
    assert result.error is not None and result.error.stage is Stage.POLICY
    assert result.diffstat == STAT and result.session_id == "ses_1"
    assert result.patch == PATCH.decode()


def test_a_later_word_of_a_stage_replaces_its_earlier_one() -> None:
    trail = _trail(_agent(None))  # kept before the session closed
    trail.keep(_agent())
    assert trail.result(now=101.0).patch == PATCH.decode()
    assert len(trail.results) == 1


def test_a_skip_names_its_stage_and_reason() -> None:
    skipped = RepositorySkipped(Stage.RESOLVE, "acme/api is archived")
    result = _trail().result(now=100.0, failure=skipped)
    assert result.status is Status.SKIPPED
    assert result.error is not None and result.error.message == "acme/api is archived"


def test_an_unexpected_error_is_an_internal_error_at_the_running_stage() -> None:
    trail = _trail()

    async def broken() -> CheckedPatch:
        raise KeyError("x")

    try:
        asyncio.run(trail.run(Stage.APPLY, broken()))
    except KeyError as exc:
        result = trail.result(now=100.0, failure=exc)
    assert result.error is not None and result.error.stage is Stage.APPLY
    assert result.error.message == "internal error: KeyError: 'x'"
