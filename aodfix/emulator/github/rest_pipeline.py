"""One REST call from raw request to raw response: auth, faults, dispatch, headers, log.

The order matches GitHub: bad credentials are refused before anything else, an armed fault
(rate limit, 5xx) answers next, then a spent secondary limit (``secondary_limits``; the
refused call is not performed), then a spent search window, then the route's needs (an app
JWT, or a token whose scope covers the repository and grants the permission), and every
answer — errors included — carries the ``X-RateLimit-*`` headers of the window it counted
against (``core``, or the caller's ``search``/``code_search``), which aodfix paces itself by.
"""

from __future__ import annotations

import itertools
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from aodfix.emulator.github import (
    rest_apps,
    rest_checks,
    rest_issues,
    rest_listings,
    rest_pulls,
    rest_repos,
    rest_search,
    rest_search_issues,
    shapes,
)
from aodfix.emulator.github.access import BAD_JWT, NOT_FOR_INTEGRATIONS, Caller
from aodfix.emulator.github.context import EmulatorContext
from aodfix.emulator.github.faults import PRIMARY_RATE_LIMIT_MESSAGE, RATE_LIMIT_DOCS
from aodfix.emulator.github.git_repos import GitCommandError
from aodfix.emulator.github.rate_limit import RateSnapshot, retry_after
from aodfix.emulator.github.request_log import WRITE_METHODS, LoggedRequest
from aodfix.emulator.github.rest_router import (
    RestCall,
    RestError,
    RestResult,
    Route,
    Router,
    not_found,
)
from aodfix.emulator.github.urls import API_PREFIX

_log = logging.getLogger(__name__)
_UNCOUNTED = frozenset({"/rate_limit"})  # GitHub does not charge for reading the limit


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def build_router() -> Router:
    router = Router()
    rest_checks.register(router)  # before rest_repos: /commits/{ref} would swallow its paths
    rest_repos.register(router)
    rest_pulls.register(router)
    rest_issues.register(router)
    rest_apps.register(router)
    rest_listings.register(router)
    rest_search.register(router)
    rest_search_issues.register(router)
    return router


class RestApi:
    """The ``/api/v3`` side of one emulator."""

    def __init__(self, context: EmulatorContext) -> None:
        self.context = context
        self.router = build_router()
        self._request_ids = itertools.count(1)

    def handle(
        self,
        method: str,
        path: str,
        query: str,
        authorization: str | None,
        body: bytes,
        *,
        crowded: bool = False,
    ) -> RawResponse:
        """``crowded``: the caller had no concurrent slot left (the secondary limit)."""
        api_path = path.removeprefix(API_PREFIX).rstrip("/") or "/"
        caller = self.context.access.identify(authorization)
        matched = self.router.match(method, api_path)
        snapshot, spent = self._count(matched[0] if matched else None, api_path, caller)
        headers = {
            **snapshot.headers(),
            "Content-Type": "application/json; charset=utf-8",
            "X-GitHub-Media-Type": "github.v3; format=json",
            "X-GitHub-Request-Id": f"EMU:{next(self._request_ids):08X}",
        }
        exhausted = None if spent else snapshot
        result = self._answer(method, api_path, query, caller, body, matched, exhausted, crowded)
        headers.update(result.headers)
        payload = b"" if result.payload is None else json.dumps(result.payload).encode()
        entry = LoggedRequest("rest", method, path, result.status, query, caller.label)
        self.context.log.add(entry)
        return RawResponse(result.status, headers, payload)

    def _count(
        self, route: Route | None, api_path: str, caller: Caller
    ) -> tuple[RateSnapshot, bool]:
        """Charge the call to its window: the shared core one, or the caller's search one
        (which refuses once spent: False)."""
        if route is None or route.resource == "core":
            return self.context.rate.count(0 if api_path in _UNCOUNTED else 1), True
        return self.context.search_rate.window(route.resource, caller.label).take()

    def _answer(
        self,
        method: str,
        api_path: str,
        query: str,
        caller: Caller,
        body: bytes,
        matched: tuple[Route, dict[str, str]] | None,
        exhausted: RateSnapshot | None,
        crowded: bool,
    ) -> RestResult:
        if caller.refusal is not None:
            return _error(RestError(401, caller.refusal))
        fault = self.context.faults.take(method)
        if fault is not None:
            error = shapes.error(fault.message, fault.status, docs=fault.documentation_url)
            return RestResult(fault.status, error, dict(fault.headers))
        write = method in WRITE_METHODS
        refusal = self.context.secondary.admit(caller.label, write=write, crowded=crowded)
        if refusal is not None:
            return RestResult(refusal.status, refusal.body(), refusal.headers())
        if exhausted is not None:
            return _rate_limited(exhausted)
        if matched is None:
            return _error(RestError(404, "Not Found"))
        route, params = matched
        if route.auth == "app" and caller.app is None:
            return _error(RestError(401, BAD_JWT))
        if route.auth != "app" and caller.app is not None:
            return _error(RestError(403, NOT_FOR_INTEGRATIONS))  # a JWT only finds installations
        try:
            parsed = _parse_body(body)
        except ValueError:
            return _error(RestError(400, "Problems parsing JSON"))
        call = RestCall(
            context=self.context,
            method=method,
            path=api_path,
            params=params,
            query=dict(parse_qsl(query, keep_blank_values=True)),
            body=parsed,
            viewer=caller.grant.login if caller.grant is not None else None,
            caller=caller,
        )
        try:
            with self.context.store.lock:
                self._check_scope(call, route)
                return route.handler(call)
        except RestError as exc:
            return _error(exc)
        except GitCommandError:
            _log.exception("git failed while answering %s %s", method, api_path)
            return _error(RestError(500, "Server Error"))

    def _check_scope(self, call: RestCall, route: Route) -> None:
        """GitHub's rules for a limited token: a private repository outside its scope does not
        exist (404); a public one is read-only (403 on writes); inside it, the route's
        permission decides (403)."""
        grant = call.caller.grant
        if grant is None or "owner" not in call.params or "repo" not in call.params:
            return
        repo = self.context.store.get(f"{call.params['owner']}/{call.params['repo']}")
        if repo is None:
            return  # the handler answers 404
        writing = call.method not in ("GET", "HEAD")
        if not grant.covers(repo.full_name):
            if repo.private:
                raise not_found()
            if writing:
                raise RestError(403, grant.refusal)
            return
        if not grant.allows(route.permissions, "write" if writing else "read"):
            raise RestError(403, grant.refusal)


def _parse_body(body: bytes) -> Any:
    if not body.strip():
        return None
    return json.loads(body)


def _error(exc: RestError) -> RestResult:
    return RestResult(exc.status, exc.body)


def _rate_limited(window: RateSnapshot) -> RestResult:
    """GitHub's answer once a search window is spent: 403, remaining 0, and when to retry."""
    docs = f"{RATE_LIMIT_DOCS}#about-primary-rate-limits"
    error = shapes.error(PRIMARY_RATE_LIMIT_MESSAGE, 403, docs=docs)
    return RestResult(403, error, {"Retry-After": str(retry_after(window))})
