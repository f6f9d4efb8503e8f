"""YAML loading that remembers where every key and item came from.

Manifest errors must point at a line (``FILE:LINE: message``), so loading keeps the
source line of each node, keyed by its path (``("repositories", 2, "name")``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
import yaml.reader
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Path = tuple[str | int, ...]

# Bounds against hostile documents. Plain size is bounded by the file itself; what is not is
# alias expansion (a 1 KB "billion laughs" document names 10^9 nodes) and nesting (PyYAML's
# composer recurses once per level).
MAX_ALIASED_NODES = 200_000  # nodes built again because an alias refers to them
MAX_DEPTH = 64
TOO_DEEP = f"document is nested too deeply (over {MAX_DEPTH} levels)"


class YamlSourceError(ValueError):
    """The text is not a YAML document aodfix can read; carries the 1-based line."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class YamlDocument:
    """A parsed document plus the source line of every path in it."""

    data: Any
    lines: dict[Path, int] = field(default_factory=dict)

    def line_of(self, path: Sequence[str | int]) -> int:
        """The line of ``path``, or of its nearest ancestor that has one."""
        key = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get((), 1)


class _DepthLimitedLoader(yaml.SafeLoader):
    """A SafeLoader whose composer refuses a node nested deeper than MAX_DEPTH before it
    recurses into it. The parser under it is iterative, so the check reads the event
    stream as the composer consumes it: one pass, no RecursionError, the node's own line."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self._depth > MAX_DEPTH:
            line = self.peek_event().start_mark.line + 1  # type: ignore[no-untyped-call]
            raise YamlSourceError(TOO_DEEP, line)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load_yaml(text: str) -> YamlDocument:
    """Parse one YAML document with safe types only; raise YamlSourceError on any problem."""
    try:
        loader = _DepthLimitedLoader(text)
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        message = f"invalid YAML: character {chr(exc.character)!r} is not allowed"
        raise YamlSourceError(message, line) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(data=None, lines={(): 1})
        doc = YamlDocument(data=None, lines={(): node.start_mark.line + 1})
        builder = _Builder(loader, doc)
        doc.data = builder.build(node, (), 0)
        return doc
    except yaml.MarkedYAMLError as exc:
        # "while scanning a quoted scalar" (context) points where the mistake starts;
        # the problem mark is often just where the parser gave up (end of file).
        mark = exc.context_mark or exc.problem_mark
        line = mark.line + 1 if mark is not None else 1
        parts = [p for p in (exc.context, exc.problem) if p]
        raise YamlSourceError(f"invalid YAML: {', '.join(parts) or 'unreadable'}", line) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        message = f"invalid YAML: character {chr(exc.character)!r} is not allowed"
        raise YamlSourceError(message, line) from None
    except yaml.YAMLError as exc:
        raise YamlSourceError(f"invalid YAML: {exc}".splitlines()[0], 1) from None
    except RecursionError:  # the depth checks should make this unreachable; never a traceback
        raise YamlSourceError(TOO_DEEP, loader.line + 1) from None
    finally:
        loader.dispose()


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, doc: YamlDocument) -> None:
        self.loader = loader
        self.doc = doc
        self.built: set[int] = set()  # nodes built once; building one again is alias expansion
        self.aliased = 0
        self.active: set[int] = set()

    def build(self, node: Node, path: Path, depth: int) -> Any:
        line = node.start_mark.line + 1
        if id(node) in self.built:
            self.aliased += 1
            if self.aliased > MAX_ALIASED_NODES:
                # A node's mark is its anchor's, not the alias's: blame the top-level key.
                message = (
                    f"document is too large: its aliases expand to over {MAX_ALIASED_NODES} nodes"
                )
                raise YamlSourceError(message, self.doc.line_of(path[:1]))
        else:
            self.built.add(id(node))
        if depth > MAX_DEPTH:
            raise YamlSourceError(TOO_DEEP, line)
        if id(node) in self.active:
            raise YamlSourceError("recursive alias", line)
        self.active.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path, depth)
            if isinstance(node, SequenceNode):
                items = []
                for index, item in enumerate(node.value):
                    self.doc.lines.setdefault((*path, index), item.start_mark.line + 1)
                    items.append(self.build(item, (*path, index), depth + 1))
                return items
            return self._scalar(node)
        finally:
            self.active.discard(id(node))

    def _mapping(self, node: MappingNode, path: Path, depth: int) -> dict[Any, Any]:
        self.loader.flatten_mapping(node)  # resolves `<<` merge keys like PyYAML does
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode):
                raise YamlSourceError("mapping keys must be plain scalars", line)
            key = self._scalar(key_node)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise YamlSourceError(f"unsupported mapping key {key_node.value!r}", line)
            if key in out:
                raise YamlSourceError(f"duplicate key {key!r}", line)
            child: Path = (*path, key if isinstance(key, str | int) else str(key))
            self.doc.lines.setdefault(child, line)
            out[key] = self.build(value_node, child, depth + 1)
        return out

    def _scalar(self, node: Node) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError, TypeError) as exc:
            # e.g. a timestamp-looking scalar that is not a real date
            line = node.start_mark.line + 1
            raise YamlSourceError(f"cannot read value {node.value!r}: {exc}", line) from None
