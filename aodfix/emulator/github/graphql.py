"""``POST /api/graphql``: the two mutations PyGithub sends for drafts, and nothing else.

GitHub's REST API cannot mark a draft PR ready for review; PyGithub's
``PullRequest.mark_ready_for_review`` (and ``convert_to_draft``) send the GraphQL mutations
``markPullRequestReadyForReview`` / ``convertPullRequestToDraft`` with the PR's
``node_id``. This module parses just enough GraphQL for any client's spelling of those
(variables, inline input, aliases, ``__typename``) and answers everything else as GitHub
answers a query it cannot run: HTTP 200 with ``errors``. Calls count against the
``graphql`` window and the secondary limits (a mutation creates content) and are logged as
kind ``graphql``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aodfix.emulator.github.access import NOT_FOR_INTEGRATIONS, Caller
from aodfix.emulator.github.context import EmulatorContext
from aodfix.emulator.github.request_log import LoggedRequest
from aodfix.emulator.github.rest_pipeline import RawResponse
from aodfix.emulator.github.shapes import Json, node_id
from aodfix.emulator.github.store import IssueRecord, PullRecord, RepositoryRecord

GRAPHQL_PATH = "/api/graphql"
_AUTH_DOCS = (
    "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql"
)
_TOKEN = re.compile(
    r'\s+|,|#[^\n]*|(?P<string>"(?:[^"\\]|\\.)*")|(?P<name>[_A-Za-z][_0-9A-Za-z]*)'
    r"|(?P<number>-?\d+(?:\.\d+)?)|(?P<spread>\.\.\.)|(?P<punct>[{}()\[\]:$!=@])"
)
_NODE_ID = re.compile(r"^PR_emu(\d+)$")


class GraphQLError(Exception):
    """One entry of the answer's ``errors``: ``kind`` is GitHub's ``type`` (NOT_FOUND, ...)."""

    def __init__(self, message: str, *, kind: str | None = None, path: list[str] | None = None):
        super().__init__(message)
        self.kind = kind
        self.path = path

    def json(self) -> Json:
        entry: Json = {"message": str(self)}
        if self.kind is not None:
            entry["type"] = self.kind
        if self.path is not None:
            entry["path"] = self.path
        return entry


# -- parsing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variable:
    name: str


@dataclass
class Selection:
    """A field asked for: its answer key (alias or name), arguments and sub-selections."""

    name: str
    key: str
    arguments: dict[str, Any] = field(default_factory=dict)
    children: list[Selection] = field(default_factory=list)


@dataclass
class Operation:
    kind: str  # "query" or "mutation"
    selections: list[Selection]


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        found = _TOKEN.match(text, position)
        if found is None:
            raise GraphQLError(f"Parse error on {text[position]!r} at offset {position}")
        position = found.end()
        if found.lastgroup is not None:
            tokens.append((found.lastgroup, found.group()))
    return tokens


class _Parser:
    """A recursive-descent reader of one operation (no fragments or directives)."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.index = 0

    def peek(self) -> str | None:
        return self.tokens[self.index][1] if self.index < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.index >= len(self.tokens):
            raise GraphQLError("Parse error: unexpected end of document")
        token = self.tokens[self.index]
        if expected is not None and token[1] != expected:
            raise GraphQLError(f"Parse error on {token[1]!r}: expected {expected!r}")
        self.index += 1
        return token

    def name(self) -> str:
        kind, text = self.take()
        if kind != "name":
            raise GraphQLError(f"Parse error on {text!r}: expected a name")
        return text

    def operation(self) -> Operation:
        kind = "query"
        if self.peek() in ("query", "mutation", "subscription"):
            kind = self.name()
            if self.peek() not in ("(", "{"):
                self.name()
            if self.peek() == "(":
                self.variable_definitions()
        selections = self.selection_set()
        if self.peek() is not None:
            raise GraphQLError("The GitHub emulator runs one operation per document")
        return Operation(kind, selections)

    def variable_definitions(self) -> None:
        self.take("(")
        while self.peek() != ")":
            self.take("$")
            self.name()
            self.take(":")
            self.type_reference()
            if self.peek() == "=":
                self.take("=")
                self.value()
        self.take(")")

    def type_reference(self) -> None:
        if self.peek() == "[":
            self.take("[")
            self.type_reference()
            self.take("]")
        else:
            self.name()
        if self.peek() == "!":
            self.take("!")

    def selection_set(self) -> list[Selection]:
        self.take("{")
        selections = []
        while self.peek() != "}":
            if self.peek() in ("...", "@"):
                raise GraphQLError("Fragments and directives are not supported by the emulator")
            key = self.name()
            name = key
            if self.peek() == ":":
                self.take(":")
                name = self.name()
            selection = Selection(name, key)
            if self.peek() == "(":
                selection.arguments = self.arguments()
            if self.peek() == "{":
                selection.children = self.selection_set()
            selections.append(selection)
        self.take("}")
        return selections

    def arguments(self) -> dict[str, Any]:
        self.take("(")
        found = {}
        while self.peek() != ")":
            key = self.name()
            self.take(":")
            found[key] = self.value()
        self.take(")")
        return found

    def value(self) -> Any:
        kind, text = self.take()
        if text == "$":
            return Variable(self.name())
        if kind == "string":
            return json.loads(text)
        if kind == "number":
            return float(text) if "." in text else int(text)
        if text == "{":
            found = {}
            while self.peek() != "}":
                key = self.name()
                self.take(":")
                found[key] = self.value()
            self.take("}")
            return found
        if text == "[":
            items = []
            while self.peek() != "]":
                items.append(self.value())
            self.take("]")
            return items
        if kind == "name":
            return {"true": True, "false": False, "null": None}.get(text, text)
        raise GraphQLError(f"Parse error on {text!r}: expected a value")


def _resolve(value: Any, variables: dict[str, Any]) -> Any:
    """``value`` with every ``$variable`` replaced by what the request's variables hold."""
    if isinstance(value, Variable):
        if value.name not in variables:
            raise GraphQLError(f"Variable ${value.name} was provided invalid value")
        return variables[value.name]
    if isinstance(value, dict):
        return {key: _resolve(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, variables) for item in value]
    return value


# -- answering -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    repo: RepositoryRecord
    record: IssueRecord
    pull: PullRecord


def _pull_fields(context: EmulatorContext, found: _Found) -> dict[str, Any]:
    record, pull = found.record, found.pull
    state = "MERGED" if pull.merged else record.state.upper()
    return {
        "__typename": "PullRequest",
        "id": node_id("PR", pull.id),
        "number": record.number,
        "title": record.title,
        "isDraft": pull.draft,
        "state": state,
        "merged": pull.merged,
        "url": context.urls.pull_html(found.repo.full_name, record.number),
        "headRefName": pull.head_ref,
        "baseRefName": pull.base_ref,
    }


def _project(value: dict[str, Any], selections: list[Selection], type_name: str) -> Json:
    """Only the fields the client selected, as GraphQL answers; an unknown field is an error."""
    answer: Json = {}
    for selection in selections:
        if selection.name not in value:
            raise GraphQLError(f"Field '{selection.name}' doesn't exist on type '{type_name}'")
        item = value[selection.name]
        if isinstance(item, dict):
            if not selection.children:
                raise GraphQLError(f"Field must have selections ('{selection.name}')")
            answer[selection.key] = _project(item, selection.children, str(item["__typename"]))
        else:
            answer[selection.key] = item
    return answer


def _operation_kind(body: bytes) -> str:
    """The operation's kind, for the secondary limits: a document the emulator cannot
    parse counts as a query."""
    try:
        request = json.loads(body)
        return _Parser(str(request["query"])).operation().kind
    except (ValueError, TypeError, KeyError, GraphQLError):
        return "query"


class GraphQLApi:
    """The ``/api/graphql`` side of one emulator."""

    def __init__(self, context: EmulatorContext) -> None:
        self.context = context
        self._mutations: dict[str, Callable[[_Found], None]] = {
            "markPullRequestReadyForReview": self._mark_ready,
            "convertPullRequestToDraft": self._convert_to_draft,
        }

    def handle(
        self, path: str, authorization: str | None, body: bytes, *, crowded: bool = False
    ) -> RawResponse:
        """``crowded``: the caller had no concurrent slot left (the secondary limit)."""
        caller = self.context.access.identify(authorization)
        headers = {
            **self.context.graphql_rate.count().headers(),
            "Content-Type": "application/json; charset=utf-8",
        }
        status, answer = self._answer(caller, body, crowded, headers)
        self.context.log.add(LoggedRequest("graphql", "POST", path, status, "", caller.label))
        return RawResponse(status, headers, json.dumps(answer).encode())

    def _answer(
        self, caller: Caller, body: bytes, crowded: bool, headers: dict[str, str]
    ) -> tuple[int, Json]:
        if caller.refusal is not None:
            return 401, {"message": caller.refusal, "documentation_url": _AUTH_DOCS}
        if caller.anonymous:
            message = "This endpoint requires you to be authenticated."
            return 401, {"message": message, "documentation_url": _AUTH_DOCS}
        if caller.app is not None:
            return 403, {"message": NOT_FOR_INTEGRATIONS, "documentation_url": _AUTH_DOCS}
        write = _operation_kind(body) == "mutation"  # points and content: a simplification
        refusal = self.context.secondary.admit(caller.label, write=write, crowded=crowded)
        if refusal is not None:
            headers.update(refusal.headers())
            return refusal.status, refusal.body()
        try:
            request = json.loads(body)
        except ValueError:
            return 400, {"message": "Problems parsing JSON", "documentation_url": _AUTH_DOCS}
        if not isinstance(request, dict) or not isinstance(request.get("query"), str):
            return 200, {"errors": [{"message": "A query attribute must be specified"}]}
        variables = request.get("variables") or {}
        try:
            operation = _Parser(request["query"]).operation()
            if operation.kind != "mutation":
                raise GraphQLError(self._only_mutations())
            with self.context.store.lock:
                return 200, self._run(caller, operation, dict(variables))
        except GraphQLError as error:
            return 200, {"errors": [error.json()]}

    def _only_mutations(self) -> str:
        names = " and ".join(self._mutations)
        return f"The GitHub emulator serves only the mutations {names}"

    def _run(self, caller: Caller, operation: Operation, variables: dict[str, Any]) -> Json:
        data: Json = {}
        errors: list[Json] = []
        for selection in operation.selections:
            apply = self._mutations.get(selection.name)
            if apply is None:
                raise GraphQLError(
                    f"Field '{selection.name}' doesn't exist on type 'Mutation'. "
                    + self._only_mutations()
                )
            try:
                data[selection.key] = self._mutate(caller, selection, variables, apply)
            except GraphQLError as error:
                error.path = [selection.key]
                errors.append(error.json())
                data[selection.key] = None
        return {"data": data, "errors": errors} if errors else {"data": data}

    def _mutate(
        self,
        caller: Caller,
        selection: Selection,
        variables: dict[str, Any],
        apply: Callable[[_Found], None],
    ) -> Json:
        given = _resolve(selection.arguments.get("input"), variables)
        if not isinstance(given, dict) or not isinstance(given.get("pullRequestId"), str):
            raise GraphQLError("Argument 'input' on Field must have a pullRequestId")
        found = self._writable_pull(caller, given["pullRequestId"])
        apply(found)
        found.record.touch()
        type_name = selection.name[:1].upper() + selection.name[1:] + "Payload"
        payload = {
            "__typename": type_name,
            "clientMutationId": given.get("clientMutationId"),
            "pullRequest": _pull_fields(self.context, found),
        }
        return _project(payload, selection.children, type_name)

    def _writable_pull(self, caller: Caller, global_id: str) -> _Found:
        missing = GraphQLError(
            f"Could not resolve to a node with the global id of '{global_id}'", kind="NOT_FOUND"
        )
        matched = _NODE_ID.match(global_id)
        hit = self.context.store.pull_by_id(int(matched.group(1))) if matched else None
        if hit is None:
            raise missing
        repo, record, pull = hit
        grant = caller.grant
        if grant is not None and not grant.covers(repo.full_name):
            if repo.private:
                raise missing
            raise GraphQLError(grant.refusal, kind="FORBIDDEN")
        if grant is not None and not grant.allows(("pull_requests",), "write"):
            raise GraphQLError(grant.refusal, kind="FORBIDDEN")
        if repo.archived:
            raise GraphQLError("Repository was archived so is read-only.", kind="UNPROCESSABLE")
        if record.state != "open":
            raise GraphQLError("Pull request is closed", kind="UNPROCESSABLE")
        return _Found(repo, record, pull)

    @staticmethod
    def _mark_ready(found: _Found) -> None:
        found.pull.draft = False

    @staticmethod
    def _convert_to_draft(found: _Found) -> None:
        found.pull.draft = True
