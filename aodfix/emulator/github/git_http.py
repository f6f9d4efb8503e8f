"""git smart HTTP for the emulator's bare repositories, served by ``git http-backend``.

Running git's own CGI backend means clone, shallow fetch and push are the real protocol
(v2 included), not an imitation. Fetches skip the backend's own process and run
``git upload-pack`` as it would (same arguments, headers and bytes; a test compares them):
half the processes for the requests every repository of a batch makes. This module only
adds what GitHub puts in front of it: token authentication and scope (a token limited to
other repositories does not see a private one; ``contents: read`` fetches but cannot push),
hidden private repositories, and read-only archived repositories.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from aodfix.emulator.github.access import TokenGrant
from aodfix.emulator.github.context import EmulatorContext
from aodfix.emulator.github.git_repos import git_environment
from aodfix.emulator.github.request_log import LoggedRequest
from aodfix.emulator.github.store import RepositoryRecord, utc_now

_log = logging.getLogger(__name__)
_GIT_PATH = re.compile(
    r"^/(?P<owner>[^/]+)/(?P<name>[^/]+?)(?:\.git)?"
    r"/(?P<rest>info/refs|git-upload-pack|git-receive-pack|HEAD|objects/.+)$"
)
_CHUNK = 64 * 1024
_REQUEST_TYPE = "application/x-git-upload-pack-request"
_SERVICE_LINE = b"001e# service=git-upload-pack\n0000"
_NO_CACHE = {  # what http-backend sends with every smart answer
    "Expires": "Fri, 01 Jan 1980 00:00:00 GMT",
    "Pragma": "no-cache",
    "Cache-Control": "no-cache, max-age=0, must-revalidate",
}
_CHALLENGE = {"WWW-Authenticate": 'Basic realm="GitHub"'}


async def serve_git(context: EmulatorContext, request: Request) -> Response:
    path = request.url.path
    query = request.url.query
    found = _GIT_PATH.match(path)
    if found is None:
        return _plain(context, request, 404, "Not Found\n")
    rest = found["rest"]
    service = request.query_params.get("service") if rest == "info/refs" else rest
    pushing = service == "git-receive-pack"

    caller = context.access.identify(request.headers.get("authorization"))
    label = caller.label
    if caller.refusal is not None or caller.app is not None:  # git takes no app JWT
        return _plain(
            context,
            request,
            401,
            "Invalid username or token. Password authentication is not supported for Git "
            "operations.\n",
            _CHALLENGE,
        )
    grant = caller.grant
    anonymous = grant is None
    repo = context.store.get(f"{found['owner']}/{found['name']}")
    covered = repo is not None and (grant is None or grant.covers(repo.full_name))
    if repo is None or (repo.private and (anonymous or not covered)):
        # GitHub asks an anonymous client for credentials rather than confirm a repo exists.
        if anonymous:
            return _plain(context, request, 401, "Authentication required\n", _CHALLENGE)
        return _plain(context, request, 404, "Repository not found.\n", label=label)
    if pushing and anonymous:
        return _plain(context, request, 401, "Authentication required\n", _CHALLENGE)
    if grant is not None and (
        (pushing and not covered)
        or (covered and not grant.allows(("contents",), "write" if pushing else "read"))
    ):
        denied = f"Permission to {repo.full_name}.git denied to {grant.login}.\n"
        return _plain(context, request, 403, denied, label=label)
    if pushing and repo.archived:
        archived = "This repository was archived so it is read-only.\n"
        return _plain(context, request, 403, archived, label=label)

    body = await request.body()
    direct = _upload_pack(request, rest, service)
    preamble = b""
    if direct is None:
        env = _cgi_environment(context, request, repo, rest, body, grant)
        command = ["git", "http-backend"]
    else:
        arguments, preamble = direct
        protocol = request.headers.get("git-protocol")
        env = git_environment({"GIT_PROTOCOL": protocol} if protocol else None)
        command = ["git", "upload-pack", "--stateless-rpc", *arguments]
        command.append(str(context.store.bare_path(repo.full_name)))
    process = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    feeding = asyncio.create_task(_feed(process, body))
    errors = asyncio.create_task(_drain_stderr(process))
    assert process.stdout is not None
    if direct is None:
        status, headers = await _read_cgi_headers(process.stdout)
    else:
        status, headers = 200, _advertised(rest)
    context.log.add(LoggedRequest("git", request.method, path, status, query, label))

    async def stream() -> AsyncIterator[bytes]:
        assert process.stdout is not None
        try:
            if preamble:
                yield preamble
            while chunk := await process.stdout.read(_CHUNK):
                yield chunk
            await process.wait()
            if pushing and rest == "git-receive-pack" and process.returncode == 0:
                repo.pushed_at = utc_now()
        finally:
            if process.returncode is None:  # the client went away mid-transfer
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
            feeding.cancel()
            await asyncio.gather(feeding, errors, return_exceptions=True)

    return StreamingResponse(stream(), status_code=status, headers=headers)


def _upload_pack(
    request: Request, rest: str, service: str | None
) -> tuple[list[str], bytes] | None:
    """How ``git http-backend`` would run upload-pack for this request (its arguments, and
    what it writes before upload-pack's output), run here without the backend's own
    process; None for anything else, which the backend serves (pushes, the dumb protocol,
    a compressed or mistyped request and its error answers)."""
    if service != "git-upload-pack" or "content-encoding" in request.headers:
        return None
    if rest == "info/refs" and request.method == "GET":
        v2 = "version=2" in request.headers.get("git-protocol", "")
        return ["--advertise-refs"], b"" if v2 else _SERVICE_LINE
    if (
        rest == "git-upload-pack"
        and request.method == "POST"
        and request.headers.get("content-type") == _REQUEST_TYPE
    ):
        return [], b""
    return None


def _advertised(rest: str) -> dict[str, str]:
    kind = "advertisement" if rest == "info/refs" else "result"
    return {**_NO_CACHE, "Content-Type": f"application/x-git-upload-pack-{kind}"}


def _cgi_environment(
    context: EmulatorContext,
    request: Request,
    repo: RepositoryRecord,
    rest: str,
    body: bytes,
    grant: TokenGrant | None,
) -> dict[str, str]:
    env = git_environment(
        {
            "GIT_PROJECT_ROOT": str(context.store.repos_root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": f"/{repo.owner}/{repo.name}.git/{rest}",
            "QUERY_STRING": request.url.query,
            "REQUEST_METHOD": request.method,
            "CONTENT_TYPE": request.headers.get("content-type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": "" if grant is None else grant.login,
            "REMOTE_ADDR": request.client.host if request.client else "127.0.0.1",
        }
    )
    for header, variable in (
        ("content-encoding", "HTTP_CONTENT_ENCODING"),
        ("git-protocol", "GIT_PROTOCOL"),
    ):
        if header in request.headers:
            env[variable] = request.headers[header]
    if "GIT_PROTOCOL" in env:
        env["HTTP_GIT_PROTOCOL"] = env["GIT_PROTOCOL"]
    return env


async def _feed(process: asyncio.subprocess.Process, body: bytes) -> None:
    assert process.stdin is not None
    try:
        process.stdin.write(body)
        await process.stdin.drain()
    except (BrokenPipeError, ConnectionResetError):
        pass  # the backend answered without reading everything (e.g. an error status)
    finally:
        process.stdin.close()


async def _drain_stderr(process: asyncio.subprocess.Process) -> None:
    assert process.stderr is not None
    message = (await process.stderr.read()).decode(errors="replace").strip()
    if message:
        _log.debug("git http-backend: %s", message)


async def _read_cgi_headers(stdout: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    """The CGI header block: an optional ``Status:`` line and the response headers."""
    status = 200
    headers: dict[str, str] = {}
    while True:
        raw = await stdout.readline()
        if not raw:  # the backend died before finishing its headers
            return (status if headers else 500), headers
        line = raw.decode("latin-1").rstrip("\r\n")
        if not line:
            return status, headers
        name, _, value = line.partition(":")
        if name.lower() == "status":
            status = int(value.strip().split()[0])
        else:
            headers[name.strip()] = value.strip()


def _plain(
    context: EmulatorContext,
    request: Request,
    status: int,
    text: str,
    headers: dict[str, str] | None = None,
    *,
    label: str | None = None,
) -> Response:
    url = request.url
    entry = LoggedRequest("git", request.method, url.path, status, url.query, label)
    context.log.add(entry)
    return PlainTextResponse(text, status_code=status, headers=headers)
