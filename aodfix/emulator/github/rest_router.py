"""The small request/response vocabulary the REST handlers are written in.

Handlers are plain synchronous functions from a ``RestCall`` to a ``RestResult``; they
raise ``RestError`` for GitHub's error answers. The pipeline (``rest_pipeline``) does
authentication, token scope, faults, rate-limit headers and logging around them; each route
declares what that needs (which permission, or an app JWT) where it is registered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

from aodfix.emulator.github import shapes
from aodfix.emulator.github.access import Caller
from aodfix.emulator.github.context import EmulatorContext
from aodfix.emulator.github.rate_limit import SearchResource
from aodfix.emulator.github.store import RepositoryRecord

_DEFAULT_PER_PAGE = 30
_MAX_PER_PAGE = 100


class RestError(Exception):
    """A GitHub error answer: status plus the usual ``message``/``errors`` body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list[shapes.Json] | list[str] | None = None,
        docs: str = shapes.DOCS,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = shapes.error(message, status, errors=errors, docs=docs)


def not_found() -> RestError:
    return RestError(404, "Not Found")


def validation_failed(*errors: shapes.Json, message: str = "Validation Failed") -> RestError:
    return RestError(422, message, errors=list(errors))


def missing_field(resource: str, name: str) -> RestError:
    return validation_failed({"resource": resource, "code": "missing_field", "field": name})


@dataclass
class RestResult:
    status: int
    payload: Any  # JSON-able; None means an empty body (204)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RestCall:
    context: EmulatorContext
    method: str
    path: str  # relative to /api/v3
    params: Mapping[str, str]
    query: Mapping[str, str]
    body: Any
    viewer: str | None  # login of the token's account; None when anonymous
    caller: Caller = field(default_factory=Caller)

    def repo(self) -> RepositoryRecord:
        """The repository named by the path; 404 when missing or hidden from the caller."""
        repo = self.context.store.get(f"{self.params['owner']}/{self.params['repo']}")
        if repo is None or (repo.private and self.viewer is None):
            raise not_found()
        return repo

    def sees(self, repo: RepositoryRecord) -> bool:
        """Whether ``repo`` exists for the caller: a private one only when the token reaches
        it (lists and searches leave out what ``repo()`` would answer 404 for)."""
        grant = self.caller.grant
        return not repo.private or (grant is not None and grant.covers(repo.full_name))

    def can_push(self, repo: RepositoryRecord) -> bool:
        """The ``permissions.push`` a repository's JSON reports to this caller."""
        grant = self.caller.grant
        return grant is None or (
            grant.covers(repo.full_name) and grant.allows(("contents",), "write")
        )

    def writable_repo(self) -> RepositoryRecord:
        repo = self.repo()
        if self.viewer is None:
            raise RestError(401, "Requires authentication")
        if repo.archived:
            raise RestError(403, "Repository was archived so is read-only.")
        return repo

    def number(self) -> int:
        return int(self.params["number"])

    def get(self, name: str) -> Any:
        """A field of the JSON object body (None when absent)."""
        return self.body.get(name) if isinstance(self.body, dict) else None

    def has(self, name: str) -> bool:
        return isinstance(self.body, dict) and name in self.body

    def text(self, name: str) -> str | None:
        value = self.get(name)
        if value is not None and not isinstance(value, str):
            raise validation_failed(
                {"resource": "Request", "code": "invalid", "field": name},
                message=f"Invalid request.\n\nFor '{name}', {value!r} is not a string.",
            )
        return value

    def names(self, name: str) -> list[str]:
        """A list field of names; GitHub also accepts ``{"name": ...}`` objects in label lists."""
        value = self.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise validation_failed(
                {"resource": "Request", "code": "invalid", "field": name},
                message=f"Invalid request.\n\nFor '{name}', {value!r} is not an array.",
            )
        return [str(item["name"]) if isinstance(item, dict) else str(item) for item in value]

    def page_request(self) -> tuple[int, int]:
        """The ``page`` and ``per_page`` asked for, ``per_page`` within GitHub's 1..100."""
        per_page = _int(self.query.get("per_page"), _DEFAULT_PER_PAGE)
        per_page = max(1, min(per_page, _MAX_PER_PAGE))
        return max(1, _int(self.query.get("page"), 1)), per_page

    def page_links(self, page: int, per_page: int, last: int) -> dict[str, str]:
        """GitHub's ``Link`` header (prev/next/last/first) for ``page`` of ``last`` pages."""
        links = []
        url = self.context.urls.api + self.path
        for rel, target in (("prev", page - 1), ("next", page + 1), ("last", last), ("first", 1)):
            if (rel in ("prev", "first") and page > 1) or (rel in ("next", "last") and page < last):
                query = {**self.query, "per_page": str(per_page), "page": str(target)}
                links.append(f'<{url}?{urlencode(query)}>; rel="{rel}"')
        return {"Link": ", ".join(links)} if links else {}

    def paginate(self, items: list[Any]) -> RestResult:
        """One page of ``items`` with GitHub's ``Link`` header, which PyGithub follows."""
        page, per_page = self.page_request()
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        return RestResult(200, chunk, self.page_links(page, per_page, last))


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


Handler = Callable[[RestCall], RestResult]
RouteAuth = Literal["token", "app"]
RouteResource = Literal["core"] | SearchResource

_PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")
_PATTERNS = {None: r"[^/]+", "path": r".+", "int": r"[0-9]+"}


@dataclass(frozen=True)
class Route:
    """One endpoint. ``permissions``: a scoped token needs one of them (read for GET, write
    otherwise) on the repository in the path; empty means ``metadata: read`` is enough.
    ``auth="app"``: only a GitHub App's JWT may call it. ``resource``: ``search`` and
    ``code_search`` routes spend the caller's search budget instead of ``core``."""

    method: str
    regex: re.Pattern[str]
    handler: Handler
    permissions: tuple[str, ...] = ()
    auth: RouteAuth = "token"
    resource: RouteResource = "core"  # the rate-limit window its calls count against


class Router:
    """Method + path pattern dispatch; ``{name}``, ``{name:path}`` and ``{name:int}``."""

    def __init__(self) -> None:
        self._routes: list[Route] = []

    def add(
        self,
        method: str,
        pattern: str,
        handler: Handler,
        *,
        permission: str | tuple[str, ...] = (),
        auth: RouteAuth = "token",
        resource: RouteResource = "core",
    ) -> None:
        # Patterns are literal paths apart from their {params}, so no escaping is needed.
        regex = _PARAM.sub(lambda m: f"(?P<{m.group(1)}>{_PATTERNS[m.group(2)]})", pattern)
        permissions = (permission,) if isinstance(permission, str) else permission
        route = Route(method, re.compile(f"^{regex}$"), handler, permissions, auth, resource)
        self._routes.append(route)

    @property
    def routes(self) -> tuple[Route, ...]:
        """Every endpoint, in dispatch order (the conformance suite checks it drives each)."""
        return tuple(self._routes)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self._routes:
            if route.method == method:
                found = route.regex.match(path)
                if found:
                    return route, found.groupdict()
        return None
