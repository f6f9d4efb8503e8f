"""Property: the loader never raises anything but ManifestError, whatever the input."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aodfix.manifest import ManifestError, parse_manifest
from aodfix.plan import expand

VALID: dict[str, Any] = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "config" / "examples" / "full.yml").read_text()
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(["{{ nope }}", "{{", "a/b", "o/r.git", "**", "[", "/abs", "..", "{% x %}"]),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=12), children, max_size=4),
    ),
    max_leaves=12,
)


def _load(text: str) -> None:
    try:
        manifest = parse_manifest(text, Path("/nonexistent/fuzz.yml"))
        expand(manifest)
    except ManifestError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert "\n" not in problem.message.strip() or problem.message.startswith("invalid")
            assert problem.line >= 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_random_text_only_raises_manifest_error(text: str) -> None:
    _load(text)


@settings(max_examples=300, deadline=None)
@given(values)
def test_random_yaml_documents_only_raise_manifest_error(document: Any) -> None:
    _load(yaml.safe_dump(document))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, child in node.items():
            out += _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            out += _paths(child, (*prefix, index))
    return out


ALL_PATHS = _paths(VALID)[1:]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(ALL_PATHS), values), min_size=1, max_size=3))
def test_mutated_valid_manifests_only_raise_manifest_error(
    mutations: list[tuple[tuple[Any, ...], Any]],
) -> None:
    document = copy.deepcopy(VALID)
    for path, value in mutations:
        node = document
        try:
            for part in path[:-1]:
                node = node[part]
            node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    _load(yaml.safe_dump(document))


def test_alias_bomb_is_a_manifest_error() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n"
        for i in range(8)
    )
    try:
        parse_manifest(bomb, Path("bomb.yml"))
    except ManifestError as exc:
        assert "too large" in str(exc)
    else:
        raise AssertionError("an alias bomb must not load")


def test_unknown_keys_that_look_like_validator_tags_are_named() -> None:
    """Regression (found by the fuzzer): keys spelled like pydantic's loc tags keep their name."""
    for key in ("function-", "function-after[_check(), Manifest]"):
        try:
            parse_manifest(f"{key}: null\n", Path("/nonexistent/tag.yml"))
        except ManifestError as exc:
            assert any(f"unknown key {key!r}" in str(p) for p in exc.problems)
        else:
            raise AssertionError("an unknown key must be rejected")
