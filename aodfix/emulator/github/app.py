"""The emulator's Starlette app: ``/api/v3/...`` is the REST API, ``/api/graphql`` its
GraphQL sliver, ``/O/N/pull/N`` a PR page, everything else git smart HTTP.

An API call holds one of its token's concurrent slots (the secondary limit) from the moment
it arrives, body upload included, until it is answered.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aodfix.emulator.github import web_pages
from aodfix.emulator.github.context import EmulatorContext
from aodfix.emulator.github.git_http import serve_git
from aodfix.emulator.github.graphql import GRAPHQL_PATH, GraphQLApi
from aodfix.emulator.github.rest_pipeline import RestApi
from aodfix.emulator.github.urls import API_PREFIX

_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


def build_app(context: EmulatorContext) -> Starlette:
    rest = RestApi(context)
    graphql_api = GraphQLApi(context)

    def slot(request: Request) -> AbstractContextManager[bool]:
        """One of the caller's concurrent slots: True when it got one (or the rule is off)."""
        if context.secondary.limits.concurrent is None:
            return nullcontext(True)
        label = context.access.identify(request.headers.get("authorization")).label
        return context.secondary.slot(label)

    async def api(request: Request) -> Response:
        with slot(request) as admitted:
            body = await request.body()
            # Handlers run git subprocesses and take the store lock: keep them off the loop.
            raw = await run_in_threadpool(
                rest.handle,
                request.method,
                request.url.path,
                request.url.query,
                request.headers.get("authorization"),
                body,
                crowded=not admitted,
            )
        return Response(raw.body, status_code=raw.status, headers=raw.headers)

    async def graphql(request: Request) -> Response:
        with slot(request) as admitted:
            body = await request.body()
            raw = await run_in_threadpool(
                graphql_api.handle,
                request.url.path,
                request.headers.get("authorization"),
                body,
                crowded=not admitted,
            )
        return Response(raw.body, status_code=raw.status, headers=raw.headers)

    async def git(request: Request) -> Response:
        return await serve_git(context, request)

    async def pull_page(request: Request) -> Response:
        params = request.path_params
        status, media_type, text = await run_in_threadpool(
            web_pages.pull_page,
            context,
            params["owner"],
            params["name"],
            params["number"],
            diff_only=request.url.path.endswith(".diff"),
            path=request.url.path,
        )
        return Response(text, status_code=status, media_type=media_type)

    return Starlette(
        routes=[
            Route(GRAPHQL_PATH, graphql, methods=["POST"]),
            Route(API_PREFIX, api, methods=_ALL_METHODS),
            Route(API_PREFIX + "/{path:path}", api, methods=_ALL_METHODS),
            Route("/{owner}/{name}/pull/{number:int}", pull_page, methods=["GET"]),
            Route("/{owner}/{name}/pull/{number:int}.diff", pull_page, methods=["GET"]),
            Route("/{path:path}", git, methods=["GET", "POST"]),
        ]
    )
