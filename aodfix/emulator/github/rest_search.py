"""``GET /search/repositories`` and ``GET /search/code``, over what the caller can see, and
what every search endpoint shares (``rest_search_issues`` uses it): query parsing, the
``org:``/``user:``/``repo:`` scope, the 1,000-result window and its pages.

Results come in one stable order, which stands for GitHub's "best match": repositories by
full name, files by repository then path; ``sort`` and ``order`` are accepted and ignored.
As on GitHub only the first 1,000 results can be paged to, ``total_count`` still counts them
all, and each call spends the caller's ``search`` (or ``code_search``) window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from aodfix.emulator.github import shapes
from aodfix.emulator.github.git_repos import TreeFile
from aodfix.emulator.github.rest_router import RestCall, RestError, RestResult, Router
from aodfix.emulator.github.search_query import (
    Query,
    QueryError,
    Term,
    boolean,
    parse,
    time_range,
)
from aodfix.emulator.github.store import RepositoryRecord

SEARCH_DOCS = "https://docs.github.com/rest/search/search"
RESULT_CAP = 1000
_UNSEARCHABLE = (
    "The listed users and repositories cannot be searched either because the resources do not "
    "exist or you do not have permission to view them."
)
_MAX_CODE_FILE = 384 * 1024  # GitHub indexes only files smaller than 384 KB
_SCOPES = ("org", "user", "repo")
_REPOSITORY_QUALIFIERS = (
    *_SCOPES,
    *("topic", "language", "archived", "fork", "is", "in", "created", "pushed"),
)
_CODE_QUALIFIERS = (*_SCOPES, "filename", "path", "extension", "language", "in")
_REPOSITORY_FIELDS = frozenset({"name", "description", "topics", "readme"})
_DEFAULT_REPOSITORY_FIELDS = frozenset({"name", "description", "topics"})

# Linguist's names for the common extensions (``language:`` in code search).
_LANGUAGES = {
    "python": (".py", ".pyi"),
    "javascript": (".js", ".mjs", ".cjs", ".jsx"),
    "typescript": (".ts", ".tsx", ".mts", ".cts"),
    "go": (".go",),
    "rust": (".rs",),
    "java": (".java",),
    "kotlin": (".kt", ".kts"),
    "ruby": (".rb",),
    "php": (".php",),
    "c": (".c", ".h"),
    "c++": (".cpp", ".cc", ".cxx", ".hpp", ".hh"),
    "c#": (".cs",),
    "swift": (".swift",),
    "shell": (".sh", ".bash"),
    "yaml": (".yml", ".yaml"),
    "json": (".json",),
    "toml": (".toml",),
    "markdown": (".md", ".markdown"),
    "html": (".html", ".htm"),
    "css": (".css",),
    "hcl": (".tf", ".hcl"),
    "dockerfile": ("dockerfile",),  # matched against the whole file name
}
_LANGUAGE_ALIASES = {"cpp": "c++", "csharp": "c#", "js": "javascript", "ts": "typescript"}


def register(router: Router) -> None:
    router.add("GET", "/search/repositories", search_repositories, resource="search")
    router.add("GET", "/search/code", search_code, resource="code_search")


def invalid_query(message: str) -> RestError:
    error = {"message": message, "resource": "Search", "field": "q", "code": "invalid"}
    return RestError(422, "Validation Failed", errors=[error], docs=SEARCH_DOCS)


def parse_query(call: RestCall, qualifiers: tuple[str, ...], what: str) -> Query:
    text = call.query.get("q", "").strip()
    if not text:
        error = {"resource": "Search", "field": "q", "code": "missing"}
        raise RestError(422, "Validation Failed", errors=[error], docs=SEARCH_DOCS)
    try:
        return parse(text, qualifiers, what=what)
    except QueryError as exc:
        raise invalid_query(str(exc)) from None


def answer(
    call: RestCall, total: int, items: list[shapes.Json], *, issues: bool = False
) -> RestResult:
    """A page of results with ``Link`` up to the last page within the first 1,000."""
    page, per_page = call.page_request()
    last = max(1, -(-min(total, RESULT_CAP) // per_page))
    links = call.page_links(page, per_page, last)
    return RestResult(200, shapes.search_results(total, items, issues=issues), links)


def page_window(call: RestCall) -> slice:
    """The results the page asks for; 422 when it starts past the first 1,000."""
    page, per_page = call.page_request()
    start = (page - 1) * per_page
    if start >= RESULT_CAP:
        raise RestError(422, "Only the first 1000 search results are available", docs=SEARCH_DOCS)
    return slice(start, min(page * per_page, RESULT_CAP))


# -- scope: org:, user:, repo: ---------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    """Which repositories ``org:``/``user:``/``repo:`` allow: any of the positive ones (all,
    without any), none of the negated ones."""

    owners: frozenset[str]
    repos: frozenset[str]
    excluded_owners: frozenset[str]
    excluded_repos: frozenset[str]

    def allows(self, repo: RepositoryRecord) -> bool:
        owner, full = repo.owner.lower(), repo.full_name.lower()
        if owner in self.excluded_owners or full in self.excluded_repos:
            return False
        if not self.owners and not self.repos:
            return True
        return owner in self.owners or full in self.repos


def _scope(call: RestCall, query: Query) -> _Scope:
    store = call.context.store
    sets: dict[tuple[str, bool], set[str]] = {}
    for qualifier in query.qualifiers:
        if qualifier.name not in _SCOPES:
            continue
        value = qualifier.value.lower()
        if qualifier.name == "repo":
            repo = store.get(value) if value.count("/") == 1 else None
            known = repo is not None and call.sees(repo)
        else:
            known = store.account(value) is not None
        if not known:
            raise invalid_query(_UNSEARCHABLE)
        kind = "repo" if qualifier.name == "repo" else "owner"
        sets.setdefault((kind, qualifier.negated), set()).add(value)

    def of(kind: str, negated: bool) -> frozenset[str]:
        return frozenset(sets.get((kind, negated), ()))

    return _Scope(of("owner", False), of("repo", False), of("owner", True), of("repo", True))


def candidates(call: RestCall, query: Query) -> list[RepositoryRecord]:
    scope = _scope(call, query)
    repos = [r for r in call.context.store.all() if call.sees(r) and scope.allows(r)]
    return sorted(repos, key=lambda r: r.full_name.lower())


def value_filter(
    query: Query, name: str, test: Callable[[str, str], bool]
) -> Callable[[str], bool]:
    """A subject passes ``name:`` qualifiers when it meets one positive value (if any is
    given) and no negated one: repeated ``language:`` values are alternatives."""
    wanted = [q.value.lower() for q in query.named(name) if not q.negated]
    refused = [q.value.lower() for q in query.named(name) if q.negated]

    def passes(subject: str) -> bool:
        if wanted and not any(test(subject, value) for value in wanted):
            return False
        return not any(test(subject, value) for value in refused)

    return passes


def in_fields(query: Query, allowed: frozenset[str], default: frozenset[str]) -> frozenset[str]:
    """Where plain words are looked for: the ``in:`` fields (comma-separated, never
    negated), or ``default`` without any."""
    fields: set[str] = set()
    for qualifier in query.named("in"):
        if qualifier.negated:
            raise QueryError("in: cannot be negated")
        for field in qualifier.value.lower().split(","):
            if field not in allowed:
                raise QueryError(f"in:{field} is not one of {', '.join(sorted(allowed))}")
            fields.add(field)
    return frozenset(fields) or default


def _terms_match(terms: Iterable[Term], texts: list[str]) -> bool:
    """Every plain word is in one of ``texts`` (lower case), no negated word in any."""
    return all(any(t.text in text for text in texts) != t.negated for t in terms)


# -- repositories --------------------------------------------------------------------------


def search_repositories(call: RestCall) -> RestResult:
    query = parse_query(call, _REPOSITORY_QUALIFIERS, "repository search")
    window = page_window(call)
    try:
        matches = _repository_matcher(call, query)
    except QueryError as exc:
        raise invalid_query(str(exc)) from None
    found = [repo for repo in candidates(call, query) if matches(repo)]
    urls = call.context.urls
    items = [
        {**shapes.repository(urls, r, viewer=call.viewer, push=call.can_push(r)), "score": 1.0}
        for r in found[window]
    ]
    return answer(call, len(found), items)


def _repository_matcher(call: RestCall, query: Query) -> Callable[[RepositoryRecord], bool]:
    archived = query.single("archived")
    wants_archived = None if archived is None else boolean("archived", archived)
    fork = query.single("fork")
    if fork not in (None, "true", "false", "only"):
        raise QueryError(f"fork: takes true, false or only, not {fork!r}")
    visibility = {q.value.lower(): q.negated for q in query.named("is")}
    for value in visibility:
        if value not in ("public", "private"):
            raise QueryError(f"is:{value} is not supported by the GitHub emulator")
    fields = in_fields(query, _REPOSITORY_FIELDS, _DEFAULT_REPOSITORY_FIELDS)
    language = value_filter(query, "language", lambda subject, value: subject == value)
    topics = [(q.value.lower(), q.negated) for q in query.named("topic")]
    ranges = [(q.name, time_range(q.name, q.value), q.negated) for q in query.named("created")]
    ranges += [(q.name, time_range(q.name, q.value), q.negated) for q in query.named("pushed")]

    def matches(repo: RepositoryRecord) -> bool:
        if wants_archived is not None and repo.archived != wants_archived:
            return False
        if (fork == "only" and not repo.fork) or (fork in (None, "false") and repo.fork):
            return False
        visible = "private" if repo.private else "public"
        if any((visible == value) == negated for value, negated in visibility.items()):
            return False
        if not language((repo.language or "").lower()):
            return False
        if any((topic in repo.topics) == negated for topic, negated in topics):
            return False
        for name, span, negated in ranges:
            moment = repo.created_at if name == "created" else repo.updated_at
            if span.contains(moment) == negated:
                return False
        return not query.terms or _terms_match(query.terms, _repository_texts(call, repo, fields))

    return matches


def _repository_texts(call: RestCall, repo: RepositoryRecord, fields: frozenset[str]) -> list[str]:
    texts = []
    if "name" in fields:
        texts.append(repo.name.lower())
    if "description" in fields and repo.description:
        texts.append(repo.description.lower())
    if "topics" in fields:
        texts.extend(repo.topics)
    if "readme" in fields:
        texts.extend(_readme(call, repo))
    return texts


def _readme(call: RestCall, repo: RepositoryRecord) -> list[str]:
    head = repo.bare.branch_head(repo.default_branch)
    if head is None:
        return []
    files = call.context.files
    readmes = [f for f in files.files(repo.bare, head) if _is_readme(f.path)]
    contents = files.contents(repo.bare, readmes[:1])
    return [data.decode(errors="replace").lower() for data in contents.values()]


def _is_readme(path: str) -> bool:
    return "/" not in path and path.lower().split(".", 1)[0] == "readme"


# -- code ----------------------------------------------------------------------------------


def search_code(call: RestCall) -> RestResult:
    """Files of default branches (forks are not indexed, nor files of 384 KB or more, nor
    binary files) whose content has every plain word; ``in:path`` looks in paths instead."""
    if call.viewer is None:
        error = {
            "message": "Must be authenticated to access the code search API",
            "resource": "Search",
            "field": "q",
            "code": "invalid",
        }
        raise RestError(401, "Requires authentication", errors=[error], docs=SEARCH_DOCS)
    query = parse_query(call, _CODE_QUALIFIERS, "code search")
    window = page_window(call)
    try:
        selects = _file_filter(query)
        where = in_fields(query, frozenset({"file", "path"}), frozenset({"file"}))
    except QueryError as exc:
        raise invalid_query(str(exc)) from None
    if not any(not t.negated for t in query.terms) and not query.named("filename"):
        raise invalid_query("Code search needs at least one search term (or a filename: qualifier)")
    found: list[tuple[RepositoryRecord, str, TreeFile]] = []
    for repo in candidates(call, query):
        if repo.fork:
            continue
        head = repo.bare.branch_head(repo.default_branch)
        if head is None:
            continue
        files = [f for f in call.context.files.files(repo.bare, head) if selects(f)]
        found.extend((repo, head, f) for f in _matching_files(call, repo, files, query, where))
    urls = call.context.urls
    items = [
        shapes.code_search_item(urls, repo, head, f.path, f.blob, viewer=call.viewer)
        for repo, head, f in found[window]
    ]
    return answer(call, len(found), items)


def _file_filter(query: Query) -> Callable[[TreeFile], bool]:
    """``filename:``, ``extension:``, ``path:`` and ``language:`` as one test of a file."""
    for qualifier in query.named("language"):
        if _language_of_name(qualifier.value) is None:
            raise QueryError(f"language:{qualifier.value} is not a language the emulator knows")
    filename = value_filter(query, "filename", lambda name, value: name == value)
    extension = value_filter(
        query, "extension", lambda name, ext: _extension(name) == ext.lstrip(".")
    )
    path = value_filter(query, "path", _under)
    language = value_filter(
        query, "language", lambda name, value: _language(name) == _language_of_name(value)
    )

    def selects(file: TreeFile) -> bool:
        name = file.path.rsplit("/", 1)[-1].lower()
        return (
            file.size < _MAX_CODE_FILE
            and filename(name)
            and extension(name)
            and path(file.path.lower())
            and language(name)
        )

    return selects


def _matching_files(
    call: RestCall,
    repo: RepositoryRecord,
    files: list[TreeFile],
    query: Query,
    where: frozenset[str],
) -> list[TreeFile]:
    if not query.terms:
        return files
    contents = call.context.files.contents(repo.bare, files) if "file" in where else {}
    matching = []
    for file in files:
        data = contents.get(file.blob, b"")
        if b"\0" in data:
            continue  # GitHub does not index binary files
        texts = [data.decode(errors="replace").lower()] if "file" in where else []
        if "path" in where:
            texts.append(file.path.lower())
        if _terms_match(query.terms, texts):
            matching.append(file)
    return matching


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1] if "." in name.lstrip(".") else ""


def _under(path: str, value: str) -> bool:
    """``path:DIR`` matches files anywhere under DIR (``path:/``: files at the root)."""
    folder = path.rsplit("/", 1)[0] if "/" in path else ""
    wanted = value.strip("/")
    if not wanted:
        return folder == ""
    return folder == wanted or folder.startswith(wanted + "/")


def _language_of_name(value: str) -> str | None:
    name = value.lower()
    name = _LANGUAGE_ALIASES.get(name, name)
    return name if name in _LANGUAGES else None


def _language(file_name: str) -> str | None:
    for language, endings in _LANGUAGES.items():
        if any(file_name == e if not e.startswith(".") else file_name.endswith(e) for e in endings):
            return language
    return None
