"""Manifest templates: sandboxed Jinja2 with strict undefined variables.

Templates come from a manifest that may be shared across teams, so they run in Jinja's
sandbox, and a name outside the allowed set is an error when the manifest is loaded —
not halfway through a 500-repository batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import jinja2
import jinja2.meta
import jinja2.sandbox

# Variables every template may use (DESIGN.md §3).
REPO_VARIABLES: frozenset[str] = frozenset({"repository", "owner", "repo", "base", "name"})
# The pull request body is rendered after the session, so it may also use its results.
BODY_VARIABLES: frozenset[str] = REPO_VARIABLES | frozenset(
    {"summary", "diffstat", "files", "additions", "deletions", "session_id", "run_url"}
)


class TemplateProblem(ValueError):
    """A template that does not parse or names a variable it may not use."""


_ENV = jinja2.sandbox.SandboxedEnvironment(
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    keep_trailing_newline=True,
)


@lru_cache(maxsize=256)
def _compile(source: str) -> jinja2.Template:
    return _ENV.from_string(source)


def check_template(source: str, allowed: Iterable[str] = REPO_VARIABLES) -> None:
    """Raise TemplateProblem when ``source`` is invalid or uses an unknown variable."""
    try:
        ast = _ENV.parse(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateProblem(f"template syntax error: {exc.message}") from None
    unknown = sorted(jinja2.meta.find_undeclared_variables(ast) - set(allowed))
    if unknown:
        names = ", ".join(unknown)
        known = ", ".join(sorted(allowed))
        raise TemplateProblem(f"unknown template variable {names} (known: {known})")


def render(source: str, variables: Mapping[str, Any]) -> str:
    """Render a template checked by ``check_template``; errors become TemplateProblem."""
    try:
        return _compile(source).render(**variables)
    except jinja2.TemplateError as exc:
        raise TemplateProblem(f"template error: {exc}") from None
