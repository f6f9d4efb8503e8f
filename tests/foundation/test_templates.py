"""Template rendering: output exactly as plain sandboxed Jinja renders it, but every render
bounded in time, output and the size of what it builds; every failure a TemplateProblem."""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from types import FrameType
from typing import Any

import jinja2
import jinja2.sandbox
import pytest

from aodfix.manifest import DEFAULT_BODY, DEFAULT_BRANCH, DEFAULT_COMMIT_MESSAGE, DEFAULT_TITLE
from aodfix.templates import (
    TemplateBudgetExceeded,
    TemplateProblem,
    check_template,
    render,
)

VARIABLES = {"repository": "acme/api", "owner": "acme", "repo": "api", "base": "main", "name": "b"}
BODY = {
    **VARIABLES,
    "summary": "Fixed it.\n\n@someone please look",
    "diffstat": "2 files, +3 -1",
    "files": 2,
    "additions": 3_000_000,
    "deletions": 1,
    "session_id": "s-1",
    "run_url": "https://example.test/run/1",
}

ORDINARY = [
    DEFAULT_BRANCH,
    DEFAULT_TITLE,
    DEFAULT_COMMIT_MESSAGE,
    "Fix {{ repository }} from {{ base }}\n",
    "aodfix/{{ name }}-{{ repo|lower|replace('.', '-') }}",
    "{% for p in repository.split('/') %}{{ p|upper }}{% if not loop.last %}-{% endif %}"
    "{% endfor %}",
    "{{ '%s/%s'|format(owner, repo) }} {{ '{}+{}'.format(1, 2) }} {{ '%05d' % 42 }}",
    "{{ [3, 1, 2]|sort|join(',') }} {{ 2 ** 10 }} {{ 'ab' * 3 }} {{ 7 % 3 }} {{ 'a' ~ 1 }}",
    "{{ [1, 2] + [3] }} {{ (1, 2) }} {{ {'k': repo} }} {{ repo[::-1] }} {{ 1.5 * 2 }}",
    "{% set ns = namespace(n=0) %}{% for i in range(10) %}{% set ns.n = ns.n + i %}"
    "{% endfor %}{{ ns.n }}",
    "{% macro m(x) %}<{{ x }}>{% endmacro %}{{ m(repo) }}",
    "{% macro w() %}[{{ caller() }}]{% endmacro %}{% call w() %}{{ repo }}{% endcall %}",
    "{% set block %}  {{ repo|center(9) }}\n{% endset %}{{ block|indent(2, true) }}",
    "{% filter upper %}{{ repository }}{% endfilter %} {{ repo|truncate(5) }} {{ none }}",
    "{{ ('word ' * 30)|wordwrap(20) }}",
    "{{ '{:>8}'.format(repo) }} {{ dict(a=1)|tojson }} {{ range(5)|list|sum }}",
]


def _plain(source: str, variables: dict[str, Any]) -> str:
    env = jinja2.sandbox.SandboxedEnvironment(
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True
    )
    return env.from_string(source).render(**variables)


@pytest.mark.parametrize("source", ORDINARY)
def test_ordinary_templates_render_exactly_as_plain_sandboxed_jinja(source: str) -> None:
    assert render(source, VARIABLES) == _plain(source, VARIABLES)


def test_the_default_body_renders_exactly_as_before_with_large_numbers() -> None:
    assert render(DEFAULT_BODY, BODY) == _plain(DEFAULT_BODY, BODY)
    source = "{{ '%d additions'|format(additions) }} {{ '{} added'.format(additions) }}"
    assert render(source, BODY) == "3000000 additions 3000000 added"


HOSTILE = {
    "loop": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "repeat": "{{ 'x' * 10000000000 }}",
    "center": "{{ 'x'|center(10000000000) }}",
    "repeat_twice": "{{ 'ab' * 100000 * 100000 }}",
    "namespace_doubling": "{% set ns = namespace(x='x') %}{% for i in range(40) %}"
    "{% set ns.x = ns.x ~ ns.x %}{% endfor %}{{ ns.x }}",
    "exponential_macro": "{% macro f(n) %}{% if n > 0 %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}"
    "{% endmacro %}{{ f(40) }}",
    "exponential_macro_output": "{% macro f(n) %}{% if n > 0 %}{{ f(n-1) }}{{ f(n-1) }}"
    "{% else %}x{% endif %}{% endmacro %}{{ f(40) }}",
    "huge_power": "{{ 9 ** 999999999 }}",
    "huge_product": "{{ (10 ** 3000) * (10 ** 3000) * (10 ** 3000) * (10 ** 3000) }}",
    "lipsum": "{{ lipsum(10**9) }}",
    "recursion": "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
    "output": "{% for i in range(100000) %}{{ 'x' * 100000 }}{% endfor %}",
    "replace": "{% set s = 'x' * 1000000 %}{{ s|replace('x', 'x' * 1000) }}",
    "str_replace": "{% set s = 'x' * 1000000 %}{{ s.replace('x', 'yy') }}",
    "join": "{% set s = 'x' * 100000 %}{{ range(100000)|join(s) }}",
    "list_doubling": "{% set ns = namespace(l=[1]) %}{% for i in range(60) %}"
    "{% set ns.l = [ns.l, ns.l] %}{% endfor %}{{ ns.l }}",
    "list_repeat": "{{ [1] * 10000000000 }}",
    "format_width": "{{ '{:>999999999}'.format('x') }}",
    "percent_width": "{{ '%999999999s' % 'x' }}",
    "indent": "{% set s = '\n' * 100000 %}{{ s|indent(100000) }}",
    "many_fresh_values": "{% set ns = namespace(l=[]) %}{% set s = 'x' * 999999 %}"
    "{% for i in range(100000) %}{% set _ = ns.l.append(s ~ i) %}{% endfor %}",
    "float_overflow": "{{ 2.0 ** 100000 }}",
}


@pytest.mark.parametrize("source", HOSTILE.values(), ids=HOSTILE.keys())
def test_runaway_templates_stop_at_a_bound_within_seconds(source: str) -> None:
    start = time.monotonic()
    with pytest.raises(TemplateBudgetExceeded):
        render(source, VARIABLES)
    assert time.monotonic() - start < 3.5


def test_a_template_as_deep_as_5000_parentheses_is_refused_when_checked() -> None:
    with pytest.raises(TemplateBudgetExceeded, match="nested too deeply"):
        check_template("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}")
    with pytest.raises(TemplateBudgetExceeded, match="nested too deeply"):
        check_template("{{ " + " + ".join(["1"] * 20000) + " }}")


def test_check_template_refuses_unknown_filters_and_huge_literals() -> None:
    with pytest.raises(TemplateProblem, match="No filter named 'nope'"):
        check_template("{{ repo|nope }}")
    with pytest.raises(TemplateProblem, match="4300 digits"):
        check_template("{{ " + "9" * 5000 + " }}")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ 1 / 0 }}", "template error: division by zero"),
        ("{{ repo.nope }}", "template error: 'str object' has no attribute 'nope'"),
        ("{{ repository.__class__ }}", "template error: access to attribute '__class__'"),
        ("{{ 'a' + 1 }}", "template error: can only concatenate str"),
    ],
)
def test_errors_raised_by_template_code_are_template_problems(source: str, message: str) -> None:
    with pytest.raises(TemplateProblem) as info:
        render(source, VARIABLES)
    assert str(info.value).startswith(message)
    assert not isinstance(info.value, TemplateBudgetExceeded)


def test_the_tracer_in_place_before_a_render_is_back_after_it() -> None:
    seen: list[str] = []

    def tracer(frame: FrameType, event: str, arg: Any) -> None:
        seen.append(event)

    sys.settrace(tracer)
    try:
        render("{{ repo }}", VARIABLES)
        with pytest.raises(TemplateBudgetExceeded):
            render(HOSTILE["loop"], VARIABLES)
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(None)
    assert sys.gettrace() is None


def test_a_render_in_a_worker_thread_is_bounded_too() -> None:
    with ThreadPoolExecutor(2) as pool:
        loops = [pool.submit(render, HOSTILE["loop"], VARIABLES) for _ in range(2)]
        for future in loops:
            with pytest.raises(TemplateBudgetExceeded, match="longer than 2 s"):
                future.result(timeout=10)
        assert pool.submit(render, "{{ repo }}", VARIABLES).result() == "api"
    assert sys.gettrace() is None


def test_a_failed_render_raises_a_fresh_problem_each_time() -> None:
    first = second = None
    for _ in range(2):
        try:
            render("{{ name ** 99999 }}", {"name": 7})
        except TemplateBudgetExceeded as exc:
            first, second = second, exc
    assert first is not None and second is not None and first is not second
    assert str(first) == str(second)
