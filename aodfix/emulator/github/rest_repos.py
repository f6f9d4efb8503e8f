"""REST endpoints about repositories and their git data: repo, topics, branches, refs,
commits, labels, plus the account endpoints (``/user``, ``/rate_limit``). Checks, statuses
and branch protection are in ``rest_checks``.
"""

from __future__ import annotations

from aodfix.emulator.github import shapes
from aodfix.emulator.github.access import NOT_FOR_INTEGRATIONS
from aodfix.emulator.github.rest_router import (
    RestCall,
    RestError,
    RestResult,
    Router,
    not_found,
    validation_failed,
)
from aodfix.emulator.github.store import RepositoryRecord


def register(router: Router) -> None:
    repo = "/repos/{owner}/{repo}"
    router.add("GET", "/user", get_viewer)
    router.add("GET", "/users/{login}", get_user)
    router.add("GET", "/rate_limit", get_rate_limit)
    router.add("GET", repo, get_repo)
    router.add("GET", repo + "/topics", get_topics)
    router.add("GET", repo + "/branches", list_branches)
    router.add("GET", repo + "/branches/{branch:path}", get_branch)
    router.add("GET", repo + "/git/ref/{ref:path}", get_ref, permission="contents")
    router.add("GET", repo + "/git/refs", list_refs, permission="contents")
    router.add("GET", repo + "/git/refs/{ref:path}", get_refs, permission="contents")
    router.add("GET", repo + "/git/matching-refs/{ref:path}", matching_refs, permission="contents")
    router.add("POST", repo + "/git/refs", create_ref, permission="contents")
    router.add("PATCH", repo + "/git/refs/{ref:path}", update_ref, permission="contents")
    router.add("DELETE", repo + "/git/refs/{ref:path}", delete_ref, permission="contents")
    router.add("GET", repo + "/commits/{ref:path}", get_commit, permission="contents")
    router.add("GET", repo + "/labels", list_labels, permission=_ISSUES_OR_PULLS)
    router.add("GET", repo + "/labels/{name:path}", get_label, permission=_ISSUES_OR_PULLS)
    router.add("POST", repo + "/labels", create_label, permission=_ISSUES_OR_PULLS)


_ISSUES_OR_PULLS = ("issues", "pull_requests")


# -- account ---------------------------------------------------------------------------------


def get_viewer(call: RestCall) -> RestResult:
    if call.viewer is None:
        raise RestError(401, "Requires authentication")
    grant = call.caller.grant
    if grant is not None and grant.kind == "installation":
        raise RestError(403, NOT_FOR_INTEGRATIONS)  # an installation is not a user
    return RestResult(200, shapes.user(call.context.urls, call.viewer))


def get_user(call: RestCall) -> RestResult:
    login = call.params["login"]
    account = call.context.store.account(login)
    organization = account is not None and account.kind == "Organization"
    return RestResult(200, shapes.user(call.context.urls, login, organization=organization))


def get_rate_limit(call: RestCall) -> RestResult:
    windows = call.context.search_rate
    token = call.caller.label
    search = windows.window("search", token).count(0)
    code_search = windows.window("code_search", token).count(0)
    graphql = call.context.graphql_rate.count(0)
    core = call.context.rate.count(0)
    return RestResult(200, shapes.rate_limit(core, search, code_search, graphql))


# -- repository and branches -----------------------------------------------------------------


def get_repo(call: RestCall) -> RestResult:
    repo = call.repo()
    data = shapes.repository(call.context.urls, repo, viewer=call.viewer, push=call.can_push(repo))
    # GET /repos/{owner}/{repo} answers GitHub's "full-repository", a few counts more.
    data.update(has_discussions=False, network_count=0, subscribers_count=0)
    return RestResult(200, data)


def get_topics(call: RestCall) -> RestResult:
    return RestResult(200, {"names": list(call.repo().topics)})


def list_branches(call: RestCall) -> RestResult:
    repo = call.repo()
    urls = call.context.urls
    items = [
        {
            "name": name,
            "commit": {"sha": sha, "url": urls.commit_api(repo.full_name, sha)},
            "protected": name in repo.protected_branches,
        }
        for name, sha in sorted(repo.bare.branches().items())
    ]
    return call.paginate(items)


def get_branch(call: RestCall) -> RestResult:
    repo = call.repo()
    name = call.params["branch"]
    sha = repo.bare.resolve(f"refs/heads/{name}")
    if sha is None:
        raise RestError(404, "Branch not found")
    head = repo.bare.commit(sha)
    return RestResult(200, shapes.branch(call.context.urls, repo, name, head))


# -- git refs ----------------------------------------------------------------------------------


def _ref_json(call: RestCall, repo: RepositoryRecord, ref: str, sha: str, kind: str) -> shapes.Json:
    return shapes.git_ref(call.context.urls, repo, ref, sha, kind)


def _full_ref(call: RestCall) -> str:
    return "refs/" + call.params["ref"].removeprefix("refs/")


def get_ref(call: RestCall) -> RestResult:
    repo = call.repo()
    ref = _full_ref(call)
    found = repo.bare.refs(ref).get(ref)
    if found is None:
        raise not_found()
    return RestResult(200, _ref_json(call, repo, ref, *found))


def list_refs(call: RestCall) -> RestResult:
    repo = call.repo()
    refs = repo.bare.refs()
    return call.paginate([_ref_json(call, repo, ref, *refs[ref]) for ref in sorted(refs)])


def get_refs(call: RestCall) -> RestResult:
    """``/git/refs/X``: the ref itself when X names one, else the refs under X (legacy)."""
    repo = call.repo()
    ref = _full_ref(call)
    refs = repo.bare.refs()
    if ref in refs:
        return RestResult(200, _ref_json(call, repo, ref, *refs[ref]))
    under = [name for name in sorted(refs) if name.startswith(ref.rstrip("/") + "/")]
    if not under:
        raise not_found()
    return RestResult(200, [_ref_json(call, repo, name, *refs[name]) for name in under])


def matching_refs(call: RestCall) -> RestResult:
    repo = call.repo()
    prefix = _full_ref(call)
    refs = repo.bare.refs()
    matching = [name for name in sorted(refs) if name.startswith(prefix)]
    return call.paginate([_ref_json(call, repo, name, *refs[name]) for name in matching])


def create_ref(call: RestCall) -> RestResult:
    repo = call.writable_repo()
    ref = call.text("ref")
    sha = call.text("sha")
    if not ref or not sha:
        raise validation_failed(
            {"resource": "Reference", "code": "missing_field", "field": "ref" if not ref else "sha"}
        )
    if not ref.startswith("refs/") or ref.count("/") < 2:
        raise RestError(
            422, "Reference name must start with 'refs/' and have at least two slashes."
        )
    if repo.bare.resolve(sha) is None:
        raise RestError(422, "Object does not exist")
    if ref in repo.bare.refs(ref):
        raise RestError(422, "Reference already exists")
    repo.bare.update_ref(ref, sha)
    kind = repo.bare.object_type(sha)
    data = _ref_json(call, repo, ref, sha, kind)
    return RestResult(201, data, {"Location": data["url"]})


def _protected_ref(repo: RepositoryRecord, ref: str) -> bool:
    return ref.removeprefix("refs/heads/") in repo.protected_branches and ref.startswith(
        "refs/heads/"
    )


def update_ref(call: RestCall) -> RestResult:
    repo = call.writable_repo()
    ref = _full_ref(call)
    sha = call.text("sha")
    if not sha:
        raise validation_failed({"resource": "Reference", "code": "missing_field", "field": "sha"})
    current = repo.bare.refs(ref).get(ref)
    if current is None:
        raise RestError(422, "Reference does not exist")
    if repo.bare.resolve(sha) is None:
        raise RestError(422, "Object does not exist")
    if _protected_ref(repo, ref):
        raise RestError(422, f"Protected branch update failed for {ref}.")
    if not call.get("force") and not repo.bare.is_ancestor(current[0], sha):
        raise RestError(422, "Update is not a fast forward")
    if not repo.bare.update_ref(ref, sha, current[0]):
        raise RestError(422, "Reference cannot be updated")
    return RestResult(200, _ref_json(call, repo, ref, sha, repo.bare.object_type(sha)))


def delete_ref(call: RestCall) -> RestResult:
    repo = call.writable_repo()
    ref = _full_ref(call)
    if ref not in repo.bare.refs(ref):
        raise RestError(422, "Reference does not exist")
    if _protected_ref(repo, ref) or ref == f"refs/heads/{repo.default_branch}":
        raise RestError(422, f"Cannot delete protected or default branch {ref}.")
    repo.bare.delete_ref(ref)
    return RestResult(204, None)


# -- commits and their statuses ----------------------------------------------------------------


def commit_sha(call: RestCall, repo: RepositoryRecord) -> str:
    """The commit the path's ``ref`` (a sha, branch or tag) names; 422 when none."""
    ref = call.params["ref"]
    sha = repo.bare.resolve(ref) if not ref.startswith("-") else None
    if sha is None:
        raise RestError(422, f"No commit found for SHA: {ref}")
    return sha


def get_commit(call: RestCall) -> RestResult:
    repo = call.repo()
    info = repo.bare.commit(commit_sha(call, repo))
    return RestResult(200, shapes.commit(call.context.urls, repo, info))


# -- labels ------------------------------------------------------------------------------------


def list_labels(call: RestCall) -> RestResult:
    repo = call.repo()
    urls = call.context.urls
    return call.paginate([shapes.label(urls, repo, label) for label in repo.labels.values()])


def get_label(call: RestCall) -> RestResult:
    repo = call.repo()
    label = repo.labels.get(call.params["name"].lower())
    if label is None:
        raise not_found()
    return RestResult(200, shapes.label(call.context.urls, repo, label))


def create_label(call: RestCall) -> RestResult:
    repo = call.writable_repo()
    name = call.text("name")
    if not name:
        raise validation_failed({"resource": "Label", "code": "missing_field", "field": "name"})
    if name.lower() in repo.labels:
        raise validation_failed({"resource": "Label", "code": "already_exists", "field": "name"})
    label = call.context.store.label(repo, name)
    label.color = (call.text("color") or label.color).lstrip("#")
    label.description = call.text("description")
    data = shapes.label(call.context.urls, repo, label)
    return RestResult(201, data, {"Location": data["url"]})
