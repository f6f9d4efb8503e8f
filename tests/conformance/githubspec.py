"""GitHub's published OpenAPI description, and checking emulator exchanges against it.

The description is ``@octokit/openapi``'s ``generated/api.github.com.json`` at the version
pinned below, fetched by ``.ci/run`` (or README's one-liner) into ``.cache/``; nothing of it is
committed. Responses are validated by ``openapi-core`` (status declared for the operation,
body against its schema, declared headers against theirs); on top of that a header GitHub
declares for the answer (``Location``, ``X-RateLimit-*``) must be sent. ``Link`` is checked
where it applies: on a list that has another page (see the pagination test).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from jsonschema.exceptions import best_match
from jsonschema_path import SchemaPath
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from aodfix.emulator.github import GitHubEmulator
from aodfix.emulator.github.rest_pipeline import build_router
from aodfix.emulator.github.rest_router import Route

PINNED_VERSION = "23.0.2"  # @octokit/openapi; .ci/run and README fetch the same version
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PATH = (
    ROOT / ".cache" / f"octokit-openapi-{PINNED_VERSION}" / "package/generated/api.github.com.json"
)
FETCH_HINT = (
    f"GitHub's OpenAPI description (@octokit/openapi {PINNED_VERSION}) was not fetched; "
    "run the fetch one-liner in README's Test section (.ci/run does)"
)
_SERVER = "https://api.github.com"  # the description's server; the emulator serves /api/v3

# Where the emulator deliberately differs from GitHub: (method, route regex, status) -> why.
# Keep it short; every entry must still be needed (test_every_emulator_route_is_covered).
# Where the description contradicts itself it is corrected instead (_correct_* below).
_REF = "^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/git/refs"
EXCEPTIONS: dict[tuple[str, str, int], str] = {
    ("GET", _REF + "$", 200): "undocumented but served by GitHub; PyGithub's get_git_refs calls it",
    ("GET", _REF + "/(?P<ref>.+)$", 200): "undocumented but served by GitHub; PyGithub calls it",
    ("GET", "^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/statuses/(?P<ref>[^/]+)$", 200): (
        "undocumented but served by GitHub; PyGithub's Commit.get_statuses calls it"
    ),
    ("GET", "^/app$", 401): "GitHub answers a bad JWT with 401; the description declares only 200",
    ("GET", "^/orgs/(?P<org>[^/]+)/installation$", 404): (
        "GitHub answers 404 for an account without the app; the description declares only 200"
    ),
    (
        "GET",
        "^/user$",
        200,
    ): "profile fields (name, bio, counts) are not served; no client reads them",
    ("GET", "^/users/(?P<login>[^/]+)$", 200): "as GET /user: the simple-user fields only",
    ("GET", "^/orgs/(?P<org>[^/]+)/repos$", 404): (
        "GitHub answers 404 for an unknown organisation; the description declares only 200"
    ),
    ("GET", "^/users/(?P<username>[^/]+)/repos$", 404): (
        "GitHub answers 404 for an unknown user; the description declares only 200"
    ),
    ("GET", "^/search/repositories$", 403): (
        "a spent search window is 403 on GitHub too; the description declares no 403 here"
    ),
    ("GET", "^/search/code$", 401): (
        "GitHub documents that code search requires authentication; no 401 is declared"
    ),
    ("POST", "^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/statuses/(?P<sha>[^/]+)$", 422): (
        "GitHub answers a state other than error/failure/pending/success with 422; the "
        "description declares only 201"
    ),
}


def explain(exc: Exception) -> str:
    """openapi-core's error, reduced to where in the body each schema violation is."""
    cause = exc.__cause__
    errors = getattr(cause, "schema_errors", None)
    if not errors:
        return f"{type(exc).__name__}: {exc}"
    lines = []
    for error in errors:
        # Under oneOf/anyOf, the branch that came closest says what is missing.
        deepest = best_match(error.context) if error.context else error
        where = "/".join(str(part) for part in deepest.absolute_path) or "(body)"
        lines.append(f"{where}: {deepest.message[:300]}")
    return "; ".join(lines)


def description_path() -> Path:
    return Path(os.environ.get("AODFIX_GITHUB_OPENAPI", DEFAULT_PATH))


@dataclass(frozen=True)
class Exchange:
    """One request the suite made and what the emulator answered."""

    method: str
    route: str  # the emulator route's regex, e.g. "^/repos/(?P<owner>[^/]+)/..."
    status: int


@dataclass
class Coverage:
    """Which emulator routes answered, and with which statuses."""

    exchanges: list[Exchange] = field(default_factory=list)
    excused: set[tuple[str, str, int]] = field(default_factory=set)

    def routes(self) -> set[tuple[str, str]]:
        return {(e.method, e.route) for e in self.exchanges} | {(m, r) for m, r, _ in self.excused}


_NULL = {"type": "object", "nullable": True, "enum": [None]}


def _admit_null_where_nullable(node: Any) -> None:
    """Read ``nullable: true`` as GitHub means it (null is a valid value) where openapi-core's
    OpenAPI 3.0 validator, following 3.0.3's letter, still rejects null: beside ``enum``
    (``state_reason``) and beside ``oneOf``/``anyOf``/``allOf`` (a commit's ``author``)."""
    if isinstance(node, list):
        for item in node:
            _admit_null_where_nullable(item)
        return
    if not isinstance(node, dict):
        return
    for value in node.values():
        _admit_null_where_nullable(value)
    if node.get("nullable") is not True:
        return
    if "enum" in node and None not in node["enum"]:
        node["enum"] = [*node["enum"], None]
    for keyword in ("oneOf", "anyOf"):
        if keyword in node:
            node[keyword] = [*node[keyword], _NULL]
    if "allOf" in node:
        node["anyOf"] = [{"allOf": node.pop("allOf")}, _NULL]


def _correct_listed_installation_account(document: dict[str, Any]) -> None:
    """Undo one generator slip in the description: ``GET /app/installations`` inlines the
    installation schema but joins ``account``'s two shapes (simple-user, enterprise) with
    ``allOf`` where ``components/schemas/installation`` (and so ``GET /app/installations/
    {id}``) says ``anyOf``. Under ``allOf`` only an account that is a user *and* an
    enterprise (``slug``, ``created_at`` ...) validates; not even the operation's own example
    (``base-installation-items``, a plain user account) does. The component's ``anyOf`` is
    what GitHub means. Fails loudly once the description no longer has the slip."""
    operation = document["paths"]["/app/installations"]["get"]
    items = operation["responses"]["200"]["content"]["application/json"]["schema"]["items"]
    account = items["properties"]["account"]
    titles = [branch.get("title") for branch in account.get("allOf", [])]
    if titles != ["Simple User", "Enterprise"]:
        raise AssertionError(f"GET /app/installations account changed: {account}; drop this")
    items["properties"]["account"] = document["components"]["schemas"]["installation"][
        "properties"
    ]["account"]


class GitHubDescription:
    def __init__(self, path: Path) -> None:
        self.document: dict[str, Any] = json.loads(path.read_text())
        _correct_listed_installation_account(self.document)
        _admit_null_where_nullable(self.document)
        # The description itself is GitHub's to validate (and doing so takes minutes).
        self._openapi = OpenAPI(
            SchemaPath.from_dict(self.document), config=Config(spec_validator_cls=None)
        )
        self._router = build_router()

    @property
    def version(self) -> str:
        return str(self.document["info"]["version"])

    def route_of(self, method: str, api_path: str) -> tuple[Route, dict[str, str]]:
        matched = self._router.match(method, api_path)
        if matched is None:
            raise AssertionError(f"the emulator serves no route {method} {api_path}")
        return matched

    def spec_path(self, method: str, api_path: str) -> str:
        """``api_path`` as the description's templates match it: GitHub's multi-segment
        parameters (a ref ``heads/main``, a branch ``feat/x``) arrive percent-encoded."""
        route, params = self.route_of(method, api_path)
        pattern = route.regex.pattern
        path = api_path
        for name, value in params.items():
            if f"(?P<{name}>.+)" in pattern and "/" in value:
                path = path.replace(value, quote(value, safe=""), 1)
        return path

    def template_of(self, method: str, spec_path: str) -> str:
        """The description's path template for ``spec_path`` (the most literal match)."""
        segments = spec_path.split("/")
        best: tuple[int, str] | None = None
        for template, item in self.document["paths"].items():
            parts = template.split("/")
            if method.lower() not in item or len(parts) != len(segments):
                continue
            literal = 0
            for part, segment in zip(parts, segments, strict=True):
                if part.startswith("{"):
                    continue
                if part != segment:
                    break
                literal += 1
            else:
                if best is None or literal > best[0]:
                    best = (literal, template)
        if best is None:
            raise AssertionError(f"GitHub describes no operation {method} {spec_path}")
        return best[1]

    def declared_headers(self, method: str, template: str, status: int) -> set[str]:
        operation = self.document["paths"][template][method.lower()]
        response = operation["responses"].get(str(status), {})
        if "$ref" in response:
            response = self.document["components"]["responses"][response["$ref"].split("/")[-1]]
        return set(response.get("headers", {}))

    def check(self, response: httpx.Response) -> Exchange:
        """Raise when ``response`` is not what the description declares for its request."""
        request = response.request
        method = request.method
        api_path = request.url.path.split("/api/v3", 1)[1] or "/"
        route, _ = self.route_of(method, api_path)
        path = self.spec_path(method, api_path)
        content_type = response.headers.get("content-type", "application/json").split(";")[0]
        self._openapi.validate_response(
            MockRequest(_SERVER, method.lower(), path),
            MockResponse(
                response.content,
                status_code=response.status_code,
                headers=dict(response.headers),
                content_type=content_type,
            ),
        )
        template = self.template_of(method, path)
        declared = self.declared_headers(method, template, response.status_code)
        missing = {name for name in declared - {"Link"} if name not in response.headers}
        if missing:
            raise AssertionError(f"{method} {api_path} {response.status_code} lacks {missing}")
        return Exchange(method, route.regex.pattern, response.status_code)


class CheckedApi:
    """A raw REST client whose every answer must match GitHub's description."""

    def __init__(
        self, emulator: GitHubEmulator, description: GitHubDescription, coverage: Coverage
    ) -> None:
        self.emulator = emulator
        self.description = description
        self.coverage = coverage

    def call(
        self,
        method: str,
        path: str,
        expect: int,
        *,
        json: Any = None,
        token: str | None = None,
        bearer: str | None = None,
        params: dict[str, str] | None = None,
        anonymous: bool = False,
    ) -> httpx.Response:
        headers = {"Accept": "application/vnd.github+json"}
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        elif not anonymous:
            headers["Authorization"] = f"token {token or self.emulator.token}"
        response = httpx.request(
            method,
            self.emulator.api_url + path,
            headers=headers,
            json=json,
            params=params,
            timeout=30,
        )
        assert response.status_code == expect, (method, path, response.text)
        route = self.description.route_of(method, path.split("?")[0])[0].regex.pattern
        key = (method, route, response.status_code)
        try:
            exchange = self.description.check(response)
        except Exception as exc:
            if key not in EXCEPTIONS:
                message = f"{method} {path} -> {response.status_code}: {explain(exc)}"
                if os.environ.get("AODFIX_CONFORMANCE_COLLECT"):
                    with open(os.environ["AODFIX_CONFORMANCE_COLLECT"], "a") as out:
                        out.write(message + "\n")
                    return response
                raise AssertionError(message) from exc
            self.coverage.excused.add(key)
        else:
            self.coverage.exchanges.append(exchange)
        return response
