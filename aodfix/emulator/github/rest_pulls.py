"""REST endpoints for pull requests: list, create, read, edit, merge, reviews, review
requests, commits.

Validation answers copy GitHub's (422 with ``errors``), because aodfix branches on them: a
duplicate PR for the same head and base is "A pull request already exists for OWNER:BRANCH.",
and a merge the base's protection forbids is 405 with GitHub's sentence for the reason.
"""

from __future__ import annotations

from aodfix.emulator.github import pulls, shapes
from aodfix.emulator.github.rest_router import (
    RestCall,
    RestError,
    RestResult,
    Router,
    missing_field,
    not_found,
    validation_failed,
)
from aodfix.emulator.github.store import (
    IssueRecord,
    PullRecord,
    RepositoryRecord,
    ReviewRecord,
    utc_now,
)

# A review's ``event`` and the state it leaves; without an event GitHub keeps a PENDING
# draft review, which the emulator does not model (it answers 422).
_REVIEW_EVENTS = {
    "APPROVE": "APPROVED",
    "REQUEST_CHANGES": "CHANGES_REQUESTED",
    "COMMENT": "COMMENTED",
}


def register(router: Router) -> None:
    base = "/repos/{owner}/{repo}/pulls"
    needs = "pull_requests"
    router.add("GET", base, list_pulls, permission=needs)
    router.add("POST", base, create_pull, permission=needs)
    router.add("GET", base + "/{number:int}", get_pull, permission=needs)
    router.add("PATCH", base + "/{number:int}", update_pull, permission=needs)
    router.add("GET", base + "/{number:int}/merge", is_merged, permission=needs)
    router.add("PUT", base + "/{number:int}/merge", merge_pull, permission="contents")
    router.add("PUT", base + "/{number:int}/update-branch", update_branch, permission="contents")
    router.add("GET", base + "/{number:int}/commits", list_commits, permission=needs)
    router.add("GET", base + "/{number:int}/reviews", list_reviews, permission=needs)
    router.add("POST", base + "/{number:int}/reviews", create_review, permission=needs)
    router.add("GET", base + "/{number:int}/reviews/{review:int}", get_review, permission=needs)
    router.add(
        "GET", base + "/{number:int}/requested_reviewers", get_review_requests, permission=needs
    )
    router.add(
        "POST", base + "/{number:int}/requested_reviewers", request_reviewers, permission=needs
    )
    router.add(
        "DELETE",
        base + "/{number:int}/requested_reviewers",
        remove_review_requests,
        permission=needs,
    )


def find_pull(call: RestCall, repo: RepositoryRecord) -> tuple[IssueRecord, PullRecord]:
    record = repo.issues.get(call.number())
    if record is None or record.pull is None:
        raise not_found()
    return record, record.pull


def pull_json(
    call: RestCall, repo: RepositoryRecord, record: IssueRecord, pull: PullRecord, *, full: bool
) -> shapes.Json:
    """The PR as GitHub shows it: ``full`` adds mergeability and counts (single-PR GET)."""
    return shapes.pull_request(
        call.context.urls,
        repo,
        record,
        pull,
        head_sha=pulls.head_sha(repo, record, pull),
        base_sha=pulls.base_sha(repo, pull),
        viewer=call.viewer,
        detail=pulls.detail(repo, record, pull) if full else None,
    )


def list_pulls(call: RestCall) -> RestResult:
    repo = call.repo()
    state = call.query.get("state", "open")
    head = call.query.get("head")
    base = call.query.get("base")
    selected: list[tuple[IssueRecord, PullRecord]] = []
    for record, pull in repo.pulls():
        if state != "all" and record.state != state:
            continue
        # GitHub only honours ``head`` in the USER:BRANCH form; a bare branch is ignored.
        if head and ":" in head:
            owner, _, ref = head.partition(":")
            if owner.lower() != repo.owner.lower() or pull.head_ref != ref:
                continue
        if base and pull.base_ref != base:
            continue
        selected.append((record, pull))
    sort = call.query.get("sort", "created")
    key = "updated_at" if sort in ("updated", "long-running") else "created_at"
    descending = call.query.get("direction", "desc" if sort != "long-running" else "asc") == "desc"
    selected.sort(key=lambda pair: (getattr(pair[0], key), pair[0].number), reverse=descending)
    items = [pull_json(call, repo, record, pull, full=False) for record, pull in selected]
    return call.paginate(items)


def _head_ref(repo: RepositoryRecord, head: str) -> str:
    owner, sep, ref = head.partition(":")
    if not sep:
        return head
    if owner.lower() != repo.owner.lower():
        # Pull requests from forks are outside what the emulator models.
        raise validation_failed({"resource": "PullRequest", "field": "head", "code": "invalid"})
    return ref


def create_pull(call: RestCall) -> RestResult:
    repo = call.writable_repo()
    head = call.text("head")
    base = call.text("base")
    title = call.text("title")
    if not head:
        raise missing_field("PullRequest", "head")
    if not base:
        raise missing_field("PullRequest", "base")
    if not title:
        raise missing_field("PullRequest", "title")
    head_ref = _head_ref(repo, head)
    head_tip = repo.bare.resolve(f"refs/heads/{head_ref}")
    if head_tip is None:
        raise validation_failed({"resource": "PullRequest", "field": "head", "code": "invalid"})
    base_tip = repo.bare.resolve(f"refs/heads/{base}")
    if base_tip is None:
        raise validation_failed({"resource": "PullRequest", "field": "base", "code": "invalid"})
    if pulls.open_duplicate(repo, head_ref, base) is not None:
        raise validation_failed(
            {
                "resource": "PullRequest",
                "code": "custom",
                "message": f"A pull request already exists for {repo.owner}:{head_ref}.",
            }
        )
    if repo.bare.count_commits(base_tip, head_tip) == 0:
        raise validation_failed(
            {
                "resource": "PullRequest",
                "code": "custom",
                "message": f"No commits between {base} and {head}",
            }
        )
    store = call.context.store
    now = utc_now()
    assert call.viewer is not None  # writable_repo() requires a token
    record = IssueRecord(
        id=store.next_id(),
        number=repo.next_number(),
        title=title,
        body=call.text("body"),
        user=call.viewer,
        created_at=now,
        updated_at=now,
        pull=PullRecord(
            id=store.next_id(),
            head_ref=head_ref,
            head_sha=head_tip,
            base_ref=base,
            draft=bool(call.get("draft")),
            maintainer_can_modify=call.get("maintainer_can_modify") is not False,
        ),
    )
    repo.issues[record.number] = record
    assert record.pull is not None
    data = pull_json(call, repo, record, record.pull, full=True)
    return RestResult(201, data, {"Location": data["url"]})


def get_pull(call: RestCall) -> RestResult:
    repo = call.repo()
    record, pull = find_pull(call, repo)
    return RestResult(200, pull_json(call, repo, record, pull, full=True))


def update_pull(call: RestCall) -> RestResult:
    repo = call.writable_repo()
    record, pull = find_pull(call, repo)
    if call.has("title"):
        title = call.text("title")
        if not title:
            raise missing_field("PullRequest", "title")
        record.title = title
    if call.has("body"):
        record.body = call.text("body")
    if call.has("base"):
        base = call.text("base") or ""
        if repo.bare.resolve(f"refs/heads/{base}") is None:
            raise validation_failed({"resource": "PullRequest", "field": "base", "code": "invalid"})
        pull.base_ref = base
    if call.has("maintainer_can_modify"):
        pull.maintainer_can_modify = bool(call.get("maintainer_can_modify"))
    state = call.text("state")
    if state == "closed" and record.state == "open":
        record.state = "closed"
        record.closed_at = utc_now()
    elif state == "open" and record.state == "closed":
        _reopen(repo, record, pull)
    elif state not in (None, "open", "closed"):
        raise validation_failed({"resource": "PullRequest", "field": "state", "code": "invalid"})
    record.touch()
    return RestResult(200, pull_json(call, repo, record, pull, full=True))


def _reopen(repo: RepositoryRecord, record: IssueRecord, pull: PullRecord) -> None:
    if pull.merged:
        raise RestError(422, "Cannot reopen a merged pull request")
    if repo.bare.resolve(f"refs/heads/{pull.head_ref}") is None:
        raise validation_failed(
            {"resource": "PullRequest", "code": "custom", "message": "The head branch was deleted"}
        )
    if pulls.open_duplicate(repo, pull.head_ref, pull.base_ref, other_than=record.number):
        raise validation_failed(
            {
                "resource": "PullRequest",
                "code": "custom",
                "message": f"A pull request already exists for {repo.owner}:{pull.head_ref}.",
            }
        )
    record.state = "open"
    record.closed_at = None


def is_merged(call: RestCall) -> RestResult:
    repo = call.repo()
    _, pull = find_pull(call, repo)
    if not pull.merged:
        raise not_found()
    return RestResult(204, None)


def merge_pull(call: RestCall) -> RestResult:
    repo = call.writable_repo()
    record, pull = find_pull(call, repo)
    method = call.text("merge_method") or "merge"
    if method not in ("merge", "squash", "rebase"):
        raise validation_failed(
            {"resource": "PullRequest", "field": "merge_method", "code": "invalid"}
        )
    assert call.viewer is not None
    try:
        sha = pulls.merge(
            repo,
            record,
            pull,
            merger=call.viewer,
            method=method,
            title=call.text("commit_title"),
            message=call.text("commit_message"),
            expected_head=call.text("sha"),
        )
    except pulls.MergeRefused as refused:
        docs = refused.docs or shapes.DOCS
        raise RestError(refused.status, str(refused), docs=docs) from None
    return RestResult(
        200, {"sha": sha, "merged": True, "message": "Pull Request successfully merged"}
    )


def update_branch(call: RestCall) -> RestResult:
    """Merge the base into the head (202, as GitHub answers: it would run in the background)."""
    repo = call.writable_repo()
    record, pull = find_pull(call, repo)
    try:
        pulls.update_branch(repo, record, pull, expected_head=call.text("expected_head_sha"))
    except pulls.MergeRefused as refused:
        raise RestError(refused.status, str(refused)) from None
    record.touch()
    url = call.context.urls.pull_html(repo.full_name, record.number)
    return RestResult(202, {"message": "Updating pull request branch.", "url": url})


def list_commits(call: RestCall) -> RestResult:
    repo = call.repo()
    record, pull = find_pull(call, repo)
    head = pulls.head_sha(repo, record, pull)
    base = pulls.compare_base(repo, pull)
    infos = repo.bare.commits(f"{base}..{head}" if base else head, limit=250)
    return call.paginate([shapes.commit(call.context.urls, repo, info) for info in infos])


def list_reviews(call: RestCall) -> RestResult:
    repo = call.repo()
    record, pull = find_pull(call, repo)
    urls = call.context.urls
    return call.paginate([shapes.review(urls, repo, record.number, r) for r in pull.reviews])


def get_review(call: RestCall) -> RestResult:
    repo = call.repo()
    record, pull = find_pull(call, repo)
    wanted = int(call.params["review"])
    review = next((r for r in pull.reviews if r.id == wanted), None)
    if review is None:
        raise not_found()
    return RestResult(200, shapes.review(call.context.urls, repo, record.number, review))


def _unprocessable(reason: str) -> RestError:
    """GitHub's terse 422 for reviews: the reasons are plain strings, not error objects."""
    return RestError(422, "Unprocessable Entity", errors=[reason])


def create_review(call: RestCall) -> RestResult:
    """Submit a review at once (``event`` given); the reviewer's review request is fulfilled."""
    repo = call.writable_repo()
    record, pull = find_pull(call, repo)
    assert call.viewer is not None  # writable_repo() requires a token
    event = call.text("event")
    if event is None:
        raise _unprocessable("The GitHub emulator submits reviews at once: give an event")
    state = _REVIEW_EVENTS.get(event)
    if state is None:
        raise validation_failed(
            {"resource": "PullRequestReview", "field": "event", "code": "invalid"}
        )
    body = call.text("body") or ""
    own = call.viewer.lower() == record.user.lower()
    if own and state == "APPROVED":
        raise _unprocessable("Can not approve your own pull request")
    if own and state == "CHANGES_REQUESTED":
        raise _unprocessable("Can not request changes on your own pull request")
    if state != "APPROVED" and not body.strip():
        raise _unprocessable("Body can't be blank")
    commit = call.text("commit_id") or pulls.head_sha(repo, record, pull)
    if repo.bare.resolve(commit) is None:
        raise _unprocessable(f"Commit {commit} does not exist")
    review = ReviewRecord(call.context.store.next_id(), call.viewer, state, body, commit, utc_now())
    pulls.add_review(pull, review)
    record.touch()
    return RestResult(200, shapes.review(call.context.urls, repo, record.number, review))


def get_review_requests(call: RestCall) -> RestResult:
    repo = call.repo()
    _, pull = find_pull(call, repo)
    urls = call.context.urls
    return RestResult(
        200,
        {
            "users": [shapes.user(urls, login) for login in pull.requested_reviewers],
            "teams": [shapes.team(urls, repo.owner, slug) for slug in pull.requested_teams],
        },
    )


def _merge_names(current: list[str], extra: list[str]) -> None:
    known = {name.lower() for name in current}
    for name in extra:
        if name.lower() not in known:
            current.append(name)
            known.add(name.lower())


def _reviewers(call: RestCall) -> tuple[list[str], list[str]]:
    users = call.names("reviewers")
    teams = [slug.split("/")[-1] for slug in call.names("team_reviewers")]
    return users, teams


def request_reviewers(call: RestCall) -> RestResult:
    repo = call.writable_repo()
    record, pull = find_pull(call, repo)
    users, teams = _reviewers(call)
    if any(login.lower() == record.user.lower() for login in users):
        raise RestError(422, "Review cannot be requested from pull request author.")
    _merge_names(pull.requested_reviewers, users)
    _merge_names(pull.requested_teams, teams)
    record.touch()
    return RestResult(201, pull_json(call, repo, record, pull, full=False))


def remove_review_requests(call: RestCall) -> RestResult:
    repo = call.writable_repo()
    record, pull = find_pull(call, repo)
    users, teams = _reviewers(call)
    drop_users = {login.lower() for login in users}
    drop_teams = {slug.lower() for slug in teams}
    pull.requested_reviewers = [u for u in pull.requested_reviewers if u.lower() not in drop_users]
    pull.requested_teams = [t for t in pull.requested_teams if t.lower() not in drop_teams]
    record.touch()
    return RestResult(200, pull_json(call, repo, record, pull, full=False))
