"""REST endpoints for what gates a merge: commit statuses, check runs, branch protection.

Check runs are set by tests (``GitHubEmulator.set_check``: GitHub lets only apps create
them); statuses also through ``POST /statuses/{sha}``, as any CI can. These routes must be
registered before ``/commits/{ref}`` and ``/branches/{branch}``, whose path parameters
would swallow them.
"""

from __future__ import annotations

from aodfix.emulator.github import checks, shapes
from aodfix.emulator.github.rest_repos import commit_sha
from aodfix.emulator.github.rest_router import (
    RestCall,
    RestError,
    RestResult,
    Router,
    validation_failed,
)
from aodfix.emulator.github.store import (
    BranchProtectionRecord,
    IssueRecord,
    PullRecord,
    RepositoryRecord,
    StatusRecord,
    utc_now,
)

_MAX_STATUSES = 1000  # GitHub's limit of statuses per sha and context


def register(router: Router) -> None:
    repo = "/repos/{owner}/{repo}"
    commits = repo + "/commits/{ref:path}"
    protection = repo + "/branches/{branch:path}/protection"
    router.add("GET", commits + "/status", get_combined_status, permission="statuses")
    router.add("GET", commits + "/statuses", list_statuses, permission="statuses")
    router.add("GET", commits + "/check-runs", list_check_runs, permission="checks")
    router.add("POST", repo + "/statuses/{sha}", create_status, permission="statuses")
    # The older spelling of /commits/{ref}/statuses, which PyGithub's Commit.get_statuses calls.
    router.add("GET", repo + "/statuses/{ref}", list_statuses, permission="statuses")
    router.add("GET", protection, get_protection, permission="administration")
    router.add(
        "GET",
        protection + "/required_status_checks",
        get_required_status_checks,
        permission="administration",
    )


# -- statuses --------------------------------------------------------------------------------


def get_combined_status(call: RestCall) -> RestResult:
    repo = call.repo()
    sha = commit_sha(call, repo)
    statuses = checks.latest_statuses(repo, sha)
    state = checks.combined_state(statuses)
    urls = call.context.urls
    data = shapes.combined_status(urls, repo, sha, state, statuses, viewer=call.viewer)
    return RestResult(200, data)


def list_statuses(call: RestCall) -> RestResult:
    repo = call.repo()
    sha = commit_sha(call, repo)
    urls = call.context.urls
    return call.paginate(
        [
            shapes.commit_status(urls, repo, status, with_creator=True)
            for status in checks.all_statuses(repo, sha)
        ]
    )


def create_status(call: RestCall) -> RestResult:
    repo = call.writable_repo()
    sha = repo.bare.resolve(call.params["sha"]) if len(call.params["sha"]) == 40 else None
    if sha is None:
        raise RestError(422, f"No commit found for SHA: {call.params['sha']}")
    state = call.text("state")
    if state not in checks.STATUS_STATES:
        raise validation_failed(
            {
                "resource": "Status",
                "field": "state",
                "code": "custom",
                "message": "state is not included in the list",
            }
        )
    context = call.text("context") or "default"
    if sum(1 for s in repo.statuses if s.sha == sha and s.context == context) >= _MAX_STATUSES:
        raise RestError(422, "This SHA and context has reached the maximum number of statuses.")
    assert call.viewer is not None  # writable_repo() requires a token
    record = StatusRecord(
        id=call.context.store.next_id(),
        sha=sha,
        context=context,
        state=state,
        creator=call.viewer,
        created_at=utc_now(),
        description=call.text("description"),
        target_url=call.text("target_url"),
    )
    repo.statuses.append(record)
    data = shapes.commit_status(call.context.urls, repo, record, with_creator=True)
    return RestResult(201, data, {"Location": data["url"]})


# -- check runs ------------------------------------------------------------------------------


def list_check_runs(call: RestCall) -> RestResult:
    """Newest first; ``filter=latest`` (the default) keeps the newest run of each name."""
    repo = call.repo()
    sha = commit_sha(call, repo)
    wanted = call.query.get("filter", "latest")
    if wanted not in ("latest", "all"):
        raise validation_failed({"resource": "CheckRun", "field": "filter", "code": "invalid"})
    runs = checks.check_runs(repo, sha, latest=wanted == "latest")
    name = call.query.get("check_name")
    status = call.query.get("status")
    runs = [
        run
        for run in runs
        if (name is None or run.name == name) and (status is None or run.status == status)
    ]
    pulls = _open_pulls_at(repo, sha)
    urls = call.context.urls
    page = call.paginate([shapes.check_run(urls, repo, run, pulls) for run in runs])
    page.payload = {"total_count": len(runs), "check_runs": page.payload}
    return page


def _open_pulls_at(repo: RepositoryRecord, sha: str) -> list[tuple[IssueRecord, PullRecord, str]]:
    """Open PRs whose head branch is at ``sha``, with their base tips (what a check run's
    ``pull_requests`` lists); tips are read from the ref files, so no git runs."""
    found = []
    for record, pull in repo.pulls():
        if record.state == "open" and repo.bare.branch_head(pull.head_ref) == sha:
            base = repo.bare.branch_head(pull.base_ref) or ""
            found.append((record, pull, base))
    return found


# -- branch protection -----------------------------------------------------------------------


def _protection(call: RestCall, repo: RepositoryRecord) -> BranchProtectionRecord:
    name = call.params["branch"]
    if repo.bare.resolve(f"refs/heads/{name}") is None:
        raise RestError(404, "Branch not found")
    protection = repo.protections.get(name)
    if protection is None:
        raise RestError(404, "Branch not protected")
    return protection


def get_protection(call: RestCall) -> RestResult:
    repo = call.repo()
    protection = _protection(call, repo)
    data = shapes.branch_protection(call.context.urls, repo, call.params["branch"], protection)
    return RestResult(200, data)


def get_required_status_checks(call: RestCall) -> RestResult:
    repo = call.repo()
    protection = _protection(call, repo)
    if not (protection.required_checks or protection.strict):
        raise RestError(404, "Required status checks not enabled")
    name = call.params["branch"]
    return RestResult(200, shapes.required_status_checks(call.context.urls, repo, name, protection))
