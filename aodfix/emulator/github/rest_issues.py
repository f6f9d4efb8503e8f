"""REST endpoints for issues, which pull requests share: labels, assignees, comments, state.

aodfix sets labels and assignees on a new PR with one ``PATCH /issues/N`` (one write), so
that endpoint accepts both at once, creating unknown labels as GitHub does.
"""

from __future__ import annotations

from aodfix.emulator.github import shapes
from aodfix.emulator.github.rest_router import (
    RestCall,
    RestError,
    RestResult,
    Router,
    missing_field,
    not_found,
    validation_failed,
)
from aodfix.emulator.github.store import CommentRecord, IssueRecord, RepositoryRecord, utc_now


def register(router: Router) -> None:
    base = "/repos/{owner}/{repo}/issues"
    either = ("issues", "pull_requests")  # these endpoints serve pull requests too
    router.add("POST", base, create_issue, permission="issues")
    router.add("GET", base + "/comments/{comment:int}", get_comment, permission=either)
    router.add("PATCH", base + "/comments/{comment:int}", update_comment, permission=either)
    router.add("DELETE", base + "/comments/{comment:int}", delete_comment, permission=either)
    router.add("GET", base + "/{number:int}", get_issue, permission=either)
    router.add("PATCH", base + "/{number:int}", update_issue, permission=either)
    router.add("GET", base + "/{number:int}/labels", list_labels, permission=either)
    router.add("POST", base + "/{number:int}/labels", add_labels, permission=either)
    router.add("PUT", base + "/{number:int}/labels", set_labels, permission=either)
    router.add("DELETE", base + "/{number:int}/labels", clear_labels, permission=either)
    router.add("DELETE", base + "/{number:int}/labels/{name:path}", remove_label, permission=either)
    router.add("POST", base + "/{number:int}/assignees", add_assignees, permission=either)
    router.add("DELETE", base + "/{number:int}/assignees", remove_assignees, permission=either)
    router.add("GET", base + "/{number:int}/comments", list_comments, permission=either)
    router.add("POST", base + "/{number:int}/comments", create_comment, permission=either)


def _issue(call: RestCall, repo: RepositoryRecord) -> IssueRecord:
    record = repo.issues.get(call.number())
    if record is None:
        raise not_found()
    return record


def _issue_json(call: RestCall, repo: RepositoryRecord, record: IssueRecord) -> shapes.Json:
    return shapes.issue(call.context.urls, repo, record)


def _label_list(call: RestCall, repo: RepositoryRecord, record: IssueRecord) -> RestResult:
    urls = call.context.urls
    return RestResult(
        200, [shapes.label(urls, repo, repo.labels[name.lower()]) for name in record.labels]
    )


def _label_names(call: RestCall) -> list[str]:
    """Labels from a body that is a bare list or ``{"labels": [...]}`` (GitHub takes both)."""
    if isinstance(call.body, list):
        names = [str(item["name"]) if isinstance(item, dict) else str(item) for item in call.body]
    else:
        names = call.names("labels")
    if any(not name.strip() for name in names):
        raise validation_failed({"resource": "Label", "code": "invalid", "field": "name"})
    return names


def _apply_labels(
    call: RestCall, repo: RepositoryRecord, record: IssueRecord, names: list[str], *, replace: bool
) -> None:
    labels = [] if replace else list(record.labels)
    present = {name.lower() for name in labels}
    for name in names:
        label = call.context.store.label(repo, name)
        if label.name.lower() not in present:
            labels.append(label.name)
            present.add(label.name.lower())
    record.labels = labels
    record.touch()


def _add_assignees(record: IssueRecord, logins: list[str]) -> None:
    known = {login.lower() for login in record.assignees}
    for login in logins:
        if login.lower() not in known:
            record.assignees.append(login)
            known.add(login.lower())


def create_issue(call: RestCall) -> RestResult:
    repo = call.writable_repo()
    title = call.text("title")
    if not title:
        raise missing_field("Issue", "title")
    now = utc_now()
    assert call.viewer is not None
    record = IssueRecord(
        id=call.context.store.next_id(),
        number=repo.next_number(),
        title=title,
        body=call.text("body"),
        user=call.viewer,
        created_at=now,
        updated_at=now,
    )
    repo.issues[record.number] = record
    _apply_labels(call, repo, record, call.names("labels"), replace=True)
    _add_assignees(record, call.names("assignees"))
    data = _issue_json(call, repo, record)
    return RestResult(201, data, {"Location": data["url"]})


def get_issue(call: RestCall) -> RestResult:
    repo = call.repo()
    return RestResult(200, _issue_json(call, repo, _issue(call, repo)))


def update_issue(call: RestCall) -> RestResult:
    repo = call.writable_repo()
    record = _issue(call, repo)
    if call.has("title"):
        title = call.text("title")
        if not title:
            raise missing_field("Issue", "title")
        record.title = title
    if call.has("body"):
        record.body = call.text("body")
    if call.has("labels"):
        _apply_labels(call, repo, record, call.names("labels"), replace=True)
    if call.has("assignees"):
        record.assignees = []
        _add_assignees(record, call.names("assignees"))
    elif call.has("assignee"):
        assignee = call.text("assignee")
        record.assignees = [assignee] if assignee else []
    state = call.text("state")
    if state not in (None, "open", "closed"):
        raise validation_failed({"resource": "Issue", "field": "state", "code": "invalid"})
    if state and state != record.state:
        if state == "open" and record.pull is not None and record.pull.merged:
            raise RestError(422, "Cannot reopen a merged pull request")
        record.state = state
        record.closed_at = utc_now() if state == "closed" else None
        record.state_reason = call.text("state_reason") or (
            "completed" if state == "closed" else "reopened"
        )
    record.touch()
    return RestResult(200, _issue_json(call, repo, record))


def list_labels(call: RestCall) -> RestResult:
    repo = call.repo()
    return _label_list(call, repo, _issue(call, repo))


def add_labels(call: RestCall) -> RestResult:
    repo = call.writable_repo()
    record = _issue(call, repo)
    _apply_labels(call, repo, record, _label_names(call), replace=False)
    return _label_list(call, repo, record)


def set_labels(call: RestCall) -> RestResult:
    repo = call.writable_repo()
    record = _issue(call, repo)
    _apply_labels(call, repo, record, _label_names(call), replace=True)
    return _label_list(call, repo, record)


def clear_labels(call: RestCall) -> RestResult:
    repo = call.writable_repo()
    record = _issue(call, repo)
    record.labels = []
    record.touch()
    return RestResult(204, None)


def remove_label(call: RestCall) -> RestResult:
    repo = call.writable_repo()
    record = _issue(call, repo)
    name = call.params["name"].lower()
    if name not in {label.lower() for label in record.labels}:
        raise RestError(404, "Label does not exist")
    record.labels = [label for label in record.labels if label.lower() != name]
    record.touch()
    return _label_list(call, repo, record)


def add_assignees(call: RestCall) -> RestResult:
    repo = call.writable_repo()
    record = _issue(call, repo)
    _add_assignees(record, call.names("assignees"))
    record.touch()
    return RestResult(201, _issue_json(call, repo, record))


def remove_assignees(call: RestCall) -> RestResult:
    repo = call.writable_repo()
    record = _issue(call, repo)
    drop = {login.lower() for login in call.names("assignees")}
    record.assignees = [login for login in record.assignees if login.lower() not in drop]
    record.touch()
    return RestResult(200, _issue_json(call, repo, record))


def _comment_json(call: RestCall, repo: RepositoryRecord, comment: CommentRecord) -> shapes.Json:
    on_pull = repo.issues[comment.issue_number].pull is not None
    return shapes.comment(call.context.urls, repo, comment, on_pull=on_pull)


def list_comments(call: RestCall) -> RestResult:
    repo = call.repo()
    record = _issue(call, repo)
    return call.paginate([_comment_json(call, repo, comment) for comment in record.comments])


def create_comment(call: RestCall) -> RestResult:
    repo = call.writable_repo()
    record = _issue(call, repo)
    body = call.text("body")
    if not body:
        raise missing_field("IssueComment", "body")
    now = utc_now()
    assert call.viewer is not None
    comment = CommentRecord(
        call.context.store.next_id(), record.number, body, call.viewer, now, now
    )
    record.comments.append(comment)
    record.touch()
    data = _comment_json(call, repo, comment)
    return RestResult(201, data, {"Location": data["url"]})


def _comment(call: RestCall, repo: RepositoryRecord) -> tuple[IssueRecord, CommentRecord]:
    found = repo.find_comment(int(call.params["comment"]))
    if found is None:
        raise not_found()
    return found


def get_comment(call: RestCall) -> RestResult:
    repo = call.repo()
    _, comment = _comment(call, repo)
    return RestResult(200, _comment_json(call, repo, comment))


def update_comment(call: RestCall) -> RestResult:
    repo = call.writable_repo()
    _, comment = _comment(call, repo)
    body = call.text("body")
    if not body:
        raise missing_field("IssueComment", "body")
    comment.body = body
    comment.updated_at = utc_now()
    return RestResult(200, _comment_json(call, repo, comment))


def delete_comment(call: RestCall) -> RestResult:
    repo = call.writable_repo()
    record, comment = _comment(call, repo)
    record.comments.remove(comment)
    return RestResult(204, None)
