"""Manifest templates: sandboxed Jinja2 with strict undefined variables and bounded cost.

Templates come from a manifest that may be shared across teams, so they run in Jinja's
sandbox, and a name outside the allowed set is an error when the manifest is loaded —
not halfway through a 500-repository batch. The sandbox keeps a template away from
Python's internals but not from loops of 10^10 steps or 10 GB strings, so every render is
also bounded in time, output and the size of the values it builds (``_Budget``); a
template past a bound fails with ``TemplateBudgetExceeded`` instead of hanging or
exhausting memory.
"""

from __future__ import annotations

import functools
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import closing
from contextvars import ContextVar
from functools import lru_cache
from types import FrameType
from typing import TYPE_CHECKING, Any

import jinja2
import jinja2.meta
import jinja2.nodes
import jinja2.sandbox
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.runtime import Macro
from jinja2.utils import Namespace, _PassArg

if TYPE_CHECKING:
    from _typeshed import TraceFunction

# Variables every template may use (DESIGN.md §3).
REPO_VARIABLES: frozenset[str] = frozenset({"repository", "owner", "repo", "base", "name"})
# The pull request body is rendered after the session, so it may also use its results.
BODY_VARIABLES: frozenset[str] = REPO_VARIABLES | frozenset(
    {"summary", "diffstat", "files", "additions", "deletions", "session_id", "run_url"}
)

# Bounds of one render. Real templates render in microseconds and build a few kilobytes.
MAX_RENDER_SECONDS = 2.0
MAX_OUTPUT_CHARS = 1_000_000
MAX_VALUE_SIZE = 1_000_000  # characters (or items) of one value, and the largest size argument
MAX_BUILT_SIZE = 20_000_000  # characters (or items) of all the values one render builds
MAX_INT_BITS = 10_000


class TemplateProblem(ValueError):
    """A template that does not parse, names a variable it may not use, or fails to render."""


class TemplateBudgetExceeded(TemplateProblem):
    """A render stopped at a bound (time, size, depth): rendering it again will not help."""


class _Exceeded(BaseException):
    """Raised inside a render; a BaseException so that no ``except Exception`` in a filter
    (or in the template machinery) can swallow it and let the render run on unbounded."""


class _Budget:
    """What one render may still spend; checked from its hooks and its line tracer."""

    def __init__(self) -> None:
        self.deadline = time.monotonic() + MAX_RENDER_SECONDS
        self.built = 0

    def trace(self, frame: FrameType, event: str, arg: Any) -> TraceFunction | None:
        """A ``sys.settrace`` function: the clock is read at every Python call, and at every
        line of the template's own code (a loop there makes no call the hooks could see).
        Line events elsewhere are not asked for: they would make every render 5x slower."""
        if time.monotonic() > self.deadline:
            raise _Exceeded(f"template rendering took longer than {MAX_RENDER_SECONDS:g} s")
        return self.trace if frame.f_code.co_filename == _TEMPLATE_FILE else None

    def build(self, value: Any) -> Any:
        """Account for a value the template just built; refuse it when too large."""
        if _weight(value, MAX_VALUE_SIZE) > MAX_VALUE_SIZE:
            raise _Exceeded(f"template builds a value larger than {MAX_VALUE_SIZE} characters")
        if isinstance(value, str | bytes | list | tuple | dict | set):
            self.built += len(value)
            if self.built > MAX_BUILT_SIZE:
                message = f"template builds more than {MAX_BUILT_SIZE} characters in all"
                raise _Exceeded(message)
        return value


_TEMPLATE_FILE = "<template>"  # the file name Jinja compiles ``from_string`` templates under
_CURRENT: ContextVar[_Budget | None] = ContextVar("template_budget", default=None)


def _budget() -> _Budget:
    return _CURRENT.get() or _Budget()


def _children(item: object) -> list[object] | None:
    """The items of a container (None: not a container)."""
    if isinstance(item, dict):
        return [*item.keys(), *item.values()]
    if isinstance(item, list | tuple | set | frozenset):
        return list(item)
    if isinstance(item, Namespace):
        return [object.__getattribute__(item, "_Namespace__attrs")]
    return None


def _weight(value: object, limit: int = MAX_VALUE_SIZE) -> int:
    """About how many characters ``value`` becomes as text, counting an item shared by
    several containers each time (as ``str`` does); anything past ``limit`` is ``limit + 1``.

    Each container is weighed once (``[[x, x], [x, x]]`` built 40 times over costs 40 steps,
    not 2^40), and a container inside itself weighs 1, like the ``[...]`` ``str`` shows.
    """
    weights: dict[int, int] = {}  # id -> weight of the containers weighed so far
    pending: list[tuple[object, list[object] | None]] = [(value, None)]
    done: list[int] = []  # weights of the items of the containers being weighed
    while pending:
        item, items = pending.pop()
        if items is not None:  # all its items are weighed: sum them up
            total = 1 + sum(done[len(done) - len(items) :])
            del done[len(done) - len(items) :]
            weights[id(item)] = min(total, limit + 1)
            done.append(weights[id(item)])
        elif isinstance(item, str | bytes):
            done.append(len(item))
        elif isinstance(item, int):
            done.append(max(1, item.bit_length() // 3))
        elif id(item) in weights:
            done.append(weights[id(item)])
        elif (children := _children(item)) is None:
            done.append(1)
        elif len(children) > limit:
            done.append(limit + 1)
        else:
            weights[id(item)] = 1  # while it is being weighed: a cycle back to it shows as [...]
            pending.append((item, children))
            pending.extend((child, None) for child in children)
        if done and done[-1] > limit:
            return limit + 1
    return min(sum(done), limit + 1)


def _refuse_size(estimate: int) -> None:
    if estimate > MAX_VALUE_SIZE:
        raise _Exceeded(f"template builds a value larger than {MAX_VALUE_SIZE} characters")


def _refuse_large_ints(values: Iterable[Any]) -> None:
    """Size arguments (widths, counts) beyond any real template's."""
    for value in values:
        if isinstance(value, int) and abs(value) > MAX_VALUE_SIZE:
            shown = value if value.bit_length() < 64 else "a huge number"
            raise _Exceeded(f"template argument {shown} is too large (at most {MAX_VALUE_SIZE})")


def _largest_int(values: Iterable[Any]) -> int:
    return max((abs(v) for v in values if isinstance(v, int)), default=0)


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\d*)(?:\.(\d*))?")
_BRACE_FIELD = re.compile(r"\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}")


def _number(digits: str) -> int:
    return int(digits) if len(digits) <= 7 else 10**7


def _percent_format_size(fmt: str, values: Any) -> int:
    """Upper bound of ``len(fmt % values)``: each conversion may repeat the largest value
    (``%(a)s%(a)s``) padded to the widest width (``%999s`` or a ``*`` width)."""
    widths = [_number(d) for spec in _PERCENT_SPEC.findall(fmt) for d in spec if d]
    if "*" in fmt:  # widths taken from the values
        widths.append(_largest_int(values if isinstance(values, tuple) else (values,)))
    return len(fmt) + fmt.count("%") * (_weight(values) + max(widths, default=0))


def _brace_format_size(fmt: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    """Upper bound of ``len(fmt.format(*args, **kwargs))``, like ``_percent_format_size``."""
    fields = _BRACE_FIELD.findall(fmt)
    widths = [_number(d) for field in fields for d in re.findall(r"\d+", field)]
    if any("{" in field[1:] for field in fields):
        widths.append(_largest_int([*args, *kwargs.values()]))
    return len(fmt) + len(fields) * (_weight((args, kwargs)) + max(widths, default=0))


def _replace_size(text: Any, old: Any, new: Any) -> int:
    text, old, new = str(text), str(old), str(new)
    occurrences = text.count(old) if old else len(text) + 1
    return len(text) + occurrences * max(0, len(new) - len(old))


def _repeat_size(value: Any, inserted: int) -> int:
    """Output of a filter that may insert ``inserted`` characters at every character."""
    return (_weight(value) + 1) * (1 + inserted)


def _filter_size(name: str, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    """Upper bound of the size of a filter's result, computed before it runs."""

    def param(index: int, key: str, default: Any) -> Any:
        return kwargs.get(key, args[index] if len(args) > index else default)

    if name == "replace":
        return _replace_size(value, param(0, "old", ""), param(1, "new", ""))
    if name == "format":
        return _percent_format_size(str(value), kwargs or args)
    if name == "indent":
        width = param(0, "width", 4)
        pad = width if isinstance(width, int) else len(str(width))
        return _weight(value) + (str(value).count("\n") + 1) * pad
    if name == "join":
        return _repeat_size(value, len(str(param(0, "d", ""))))
    if name == "wordwrap":
        return _repeat_size(value, len(str(param(2, "wrapstring", None) or "\n")))
    if name == "urlize":
        extra = sum(len(str(kwargs.get(k) or "")) for k in ("target", "rel"))
        return _repeat_size(value, 16 + extra)
    if name == "tojson":
        return _repeat_size(value, 2 + abs(int(param(0, "indent", 0) or 0)))
    return _weight(value) + _weight((args, kwargs)) + _largest_int([*args, *kwargs.values()])


def _bounded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` with its result estimated before it runs and accounted after."""
    skip = 1 if _PassArg.from_obj(func) is not None else 0  # context/environment argument
    sized = name not in {"format", "default", "d", "sum"}  # their ints are values, not sizes

    @functools.wraps(func)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        value: Any = args[skip] if len(args) > skip else None
        params = args[skip + 1 :]
        if name == "join" and not isinstance(value, str | list | tuple | dict):
            value = list(value)  # a generator's length matters for the estimate
            args = (*args[:skip], value, *params)
        if sized:
            _refuse_large_ints([*params, *kwargs.values()])
        _refuse_size(_filter_size(name, value, params, kwargs))
        return _budget().build(func(*args, **kwargs))

    return bounded


def _method_size(method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    """Upper bound of a bound method's result (``'x'.replace``, ``list.extend``, …)."""
    owner, name = getattr(method, "__self__", None), getattr(method, "__name__", "")
    if isinstance(owner, str) and name == "replace" and len(args) >= 2:
        return _replace_size(owner, args[0], args[1])
    if isinstance(owner, str) and name == "expandtabs":
        size = args[0] if args else kwargs.get("tabsize", 8)
        return len(owner) + owner.count("\t") * (size if isinstance(size, int) else 8)
    if isinstance(owner, str) and name in {"join", "translate"}:
        return _repeat_size(args, len(owner) if name == "join" else _weight(args))
    return _weight(owner) + _weight((args, kwargs)) + _largest_int([*args, *kwargs.values()])


def _binop_size(operator: str, left: Any, right: Any) -> int:
    """Upper bound of an operator's result, before it runs (``'x' * 10**10``, ``9 ** 10**9``)."""
    if operator == "*":
        count, seq = (right, left) if isinstance(right, int) else (left, right)
        if isinstance(seq, str | bytes | list | tuple) and isinstance(count, int):
            return _weight(seq) * max(count, 0)
    if operator == "%" and isinstance(left, str):
        return _percent_format_size(left, right)
    return 0


def _int_bits(operator: str, left: Any, right: Any) -> int:
    if not (isinstance(left, int) and isinstance(right, int)):
        return 0
    if operator == "*":
        return left.bit_length() + right.bit_length()
    if operator == "**" and right > 0 and abs(left) > 1:
        return left.bit_length() * right
    return 0


class _StrFormat:
    """The sandbox's ``str.format``/``format_map``, estimated before it runs."""

    def __init__(self, fmt: str, name: str, format_: Callable[..., str]) -> None:
        self.fmt, self.is_map, self.format = fmt, name == "format_map", format_

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        if self.is_map and args and isinstance(args[0], Mapping):
            _refuse_size(_brace_format_size(self.fmt, (), dict(args[0])))
        else:
            _refuse_size(_brace_format_size(self.fmt, args, kwargs))
        return str(_budget().build(self.format(*args, **kwargs)))


class _BoundedCodeGenerator(CodeGenerator):
    """Routes what the sandbox hooks do not see (``~``, ``[…]``, ``(…)``, ``{…}``) through
    the environment, so a template cannot double a string or a list forty times."""

    @optimizeconst
    def visit_Concat(self, node: jinja2.nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:  # as CodeGenerator.visit_Concat picks the join
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        else:
            join = "markup_join" if frame.eval_ctx.autoescape else "str_join"
        self.write(f"environment.bounded_join({join}, (")
        for part in node.nodes:
            self.visit(part, frame)
            self.write(", ")
        self.write("))")

    def visit_List(self, node: jinja2.nodes.List, frame: Frame) -> None:
        self._built(super().visit_List, node, frame)

    def visit_Dict(self, node: jinja2.nodes.Dict, frame: Frame) -> None:
        self._built(super().visit_Dict, node, frame)

    def visit_Tuple(self, node: jinja2.nodes.Tuple, frame: Frame) -> None:
        if node.ctx != "load":  # an assignment target: `{% for a, b in … %}`
            super().visit_Tuple(node, frame)
        else:
            self._built(super().visit_Tuple, node, frame)

    def _built(self, visit: Callable[[Any, Frame], None], node: Any, frame: Frame) -> None:
        self.write("environment.built(")
        visit(node, frame)
        self.write(")")


class _BoundedEnvironment(jinja2.sandbox.SandboxedEnvironment):
    """The sandbox, with every operation that can build a large value estimated first."""

    code_generator_class = _BoundedCodeGenerator
    intercepted_binops = frozenset({"+", "*", "**", "%"})

    def __init__(self) -> None:
        super().__init__(
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            finalize=self._output_value,
        )
        self.filters = {name: _bounded_filter(name, f) for name, f in self.filters.items()}

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        _refuse_size(_binop_size(operator, left, right))
        if _int_bits(operator, left, right) > MAX_INT_BITS:
            raise _Exceeded(f"template computes a number larger than {MAX_INT_BITS} bits")
        return _budget().build(super().call_binop(context, operator, left, right))

    def call(self, context: jinja2.runtime.Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(obj, Macro | _StrFormat):  # their arguments are values, not sizes
            _refuse_large_ints([*args, *kwargs.values()])
        if getattr(obj, "__self__", None) is not None:
            if getattr(obj, "__name__", "") == "join" and args and isinstance(obj.__self__, str):
                args = (list(args[0]), *args[1:])  # a generator's length matters
            _refuse_size(_method_size(obj, args, kwargs))
        return _budget().build(super().call(context, obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        return None if wrapped is None else _StrFormat(value.__self__, value.__name__, wrapped)

    def getitem(self, obj: Any, argument: Any) -> Any:
        value = super().getitem(obj, argument)
        return _budget().build(value) if isinstance(argument, slice) else value

    def bounded_join(self, join: Callable[[Iterable[Any]], str], parts: tuple[Any, ...]) -> str:
        """``a ~ b ~ …``: ``str()`` of a part may be large, so the parts are weighed first."""
        _refuse_size(sum(_weight(part) for part in parts))
        return str(_budget().build(join(parts)))

    def built(self, value: Any) -> Any:
        """A list, tuple or dict display (``[a, a]``) — its items may be shared and large."""
        _refuse_size(_weight(value))
        return value

    def concat(self, parts: Iterable[str]) -> str:
        """Joins the output of a macro, ``{% set %}`` block, ``{% call %}`` or filter block."""
        pieces = list(parts)
        _refuse_size(sum(len(piece) for piece in pieces))
        return str(_budget().build("".join(pieces)))

    @staticmethod
    def _output_value(value: Any) -> Any:
        """Every ``{{ … }}`` before it becomes text: ``str()`` of a huge value is one step."""
        if _weight(value, MAX_OUTPUT_CHARS) > MAX_OUTPUT_CHARS:
            raise _Exceeded(f"template output is longer than {MAX_OUTPUT_CHARS} characters")
        return value


_ENV = _BoundedEnvironment()


@lru_cache(maxsize=256)
def _compile(source: str) -> jinja2.Template | TemplateProblem:
    """The compiled template, or the problem compiling it (kept: it fails the same every time)."""
    try:
        return _ENV.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        return TemplateProblem(f"template syntax error: {_one_line(exc.message or 'unreadable')}")
    except (RecursionError, MemoryError):
        return TemplateBudgetExceeded("template is nested too deeply")
    except Exception as exc:  # a template is user code: whatever it raises is its problem
        return TemplateProblem(f"template error: {_describe(exc)}")


def check_template(source: str, allowed: Iterable[str] = REPO_VARIABLES) -> None:
    """Raise TemplateProblem when ``source`` is invalid or uses an unknown variable."""
    used = _undeclared(source)
    if isinstance(used, TemplateProblem):
        raise type(used)(str(used))
    unknown = sorted(used - set(allowed))
    if unknown:
        names = ", ".join(unknown)
        known = ", ".join(sorted(allowed))
        raise TemplateProblem(f"unknown template variable {names} (known: {known})")


@lru_cache(maxsize=256)
def _undeclared(source: str) -> frozenset[str] | TemplateProblem:
    """The variables ``source`` reads, or why it cannot be read (kept, like ``_compile``)."""
    try:
        return frozenset(jinja2.meta.find_undeclared_variables(_ENV.parse(source)))
    except jinja2.TemplateSyntaxError as exc:
        return TemplateProblem(f"template syntax error: {_one_line(exc.message or 'unreadable')}")
    except (RecursionError, MemoryError):
        return TemplateBudgetExceeded("template is nested too deeply")
    except _Exceeded as exc:  # reading it folds constants: `{{ 'x'|center(10**10) }}`
        return TemplateBudgetExceeded(str(exc))
    except Exception as exc:  # e.g. an integer literal of 5,000 digits
        return TemplateProblem(f"template syntax error: {_describe(exc)}")


def render(source: str, variables: Mapping[str, Any]) -> str:
    """Render a template checked by ``check_template``, within the bounds above; every
    failure (a template error, a bound, anything the template's code raises) becomes
    TemplateProblem."""
    shared = _shared_variables(source, variables)
    outcome = _render(source, variables) if shared is None else _render_shared(source, shared)
    if isinstance(outcome, TemplateProblem):
        raise type(outcome)(str(outcome))  # a fresh exception: a raised one keeps a traceback
    return outcome


# Variables with the same value for most repositories of a batch.
_BATCH_VARIABLES = frozenset({"name", "base"})


def _shared_variables(
    source: str, variables: Mapping[str, Any]
) -> tuple[tuple[str, str], ...] | None:
    """The values deciding the output of a template that uses only batch-wide variables (and
    no random values), so that the title ``{{ name }}: fix`` of a 50,000-repository batch is
    rendered once, not 50,000 times; None for any other template."""
    used = _undeclared(source)
    if isinstance(used, TemplateProblem) or not used <= _BATCH_VARIABLES:
        return None
    if "random" in source or "lipsum" in source:
        return None
    values = {name: variables.get(name) for name in sorted(used)}
    if not all(isinstance(value, str) for value in values.values()):
        return None
    return tuple((name, str(value)) for name, value in values.items())


@lru_cache(maxsize=64)  # outputs are at most MAX_OUTPUT_CHARS each
def _render_shared(source: str, variables: tuple[tuple[str, str], ...]) -> str | TemplateProblem:
    return _render(source, dict(variables))


def _render(source: str, variables: Mapping[str, Any]) -> str | TemplateProblem:
    """One bounded render: its output, or the problem that stopped it."""
    budget = _Budget()
    token = _CURRENT.set(budget)
    previous = sys.gettrace()
    sys.settrace(budget.trace)
    try:
        template = _compile(source)
        if isinstance(template, TemplateProblem):
            return template
        return _collect(template.generate(**variables))
    except _Exceeded as exc:
        return TemplateBudgetExceeded(str(exc))
    except RecursionError:
        return TemplateBudgetExceeded("template recursion is too deep")
    except MemoryError:
        return TemplateBudgetExceeded("template needs too much memory")
    except OverflowError:
        return TemplateBudgetExceeded("template computes a number that is too large")
    except TemplateProblem as exc:
        return exc
    except Exception as exc:  # a template is user code: whatever it raises is its problem
        return TemplateProblem(f"template error: {_describe(exc)}")
    finally:
        sys.settrace(previous)
        _CURRENT.reset(token)


def _collect(chunks: Iterator[str]) -> str:
    """The output, stopped as soon as it grows past MAX_OUTPUT_CHARS."""
    out: list[str] = []
    size = 0
    with closing(chunks):  # type: ignore[type-var]
        for chunk in chunks:
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                raise _Exceeded(f"template output is longer than {MAX_OUTPUT_CHARS} characters")
            out.append(chunk)
    return "".join(out)


def _describe(exc: BaseException) -> str:
    return _one_line(str(exc)) or type(exc).__name__


def _one_line(text: str) -> str:
    return " ".join(text.split())
