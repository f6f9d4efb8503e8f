"""Manifest loading: defaults, overrides, prompt files, templates, warnings."""

from __future__ import annotations

from pathlib import Path

import pytest

from aodfix.manifest import ManifestError, load_manifest, parse_manifest
from aodfix.plan import UNRESOLVED_BASE, expand, parse_shard, select_shard

MINIMAL = """\
version: 1
name: demo
prompt: "Fix {{ repository }} from {{ base }}"
repositories: [acme/api, {name: acme/web, base: develop}]
"""


def test_defaults_are_applied() -> None:
    manifest = parse_manifest(MINIMAL, Path("m.yml"))
    assert manifest.timeout == 900 and manifest.concurrency == 5
    assert manifest.policy.forbidden_paths == [".github/workflows/**"]
    assert manifest.pull_request.branch == "aodfix/{{ name }}"
    assert manifest.agent is None


def test_prompt_file_is_read_relative_to_the_manifest(tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "fix.md").write_text("Fix {{ repo }} please\n")
    path = tmp_path / "m.yml"
    path.write_text("version: 1\nname: pf\nprompt_file: prompts/fix.md\nrepositories: [a/b]\n")
    manifest = load_manifest(path)
    assert expand(manifest)[0].prompt == "Fix b please\n"


def test_unknown_variable_in_prompt_file_is_a_load_error(tmp_path: Path) -> None:
    (tmp_path / "p.md").write_text("Fix {{ nope }}")
    path = tmp_path / "m.yml"
    path.write_text("version: 1\nname: pf\nprompt_file: p.md\nrepositories: [a/b]\n")
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    assert str(info.value) == f"{path}:3: prompt_file: unknown template variable nope " + (
        "(known: base, name, owner, repo, repository)"
    )


def test_base_is_the_override_or_rendered_once_known() -> None:
    manifest = parse_manifest(MINIMAL, Path("m.yml"))
    api, web = expand(manifest)
    assert web.prompt == "Fix acme/web from develop" and web.base == "develop"
    assert api.prompt == f"Fix acme/api from {UNRESOLVED_BASE}" and api.base is None
    resolved = api.for_base("trunk", "trunk")
    assert resolved.prompt == "Fix acme/api from trunk" and resolved.base is None


def test_git_suffix_is_dropped_with_a_warning() -> None:
    text = MINIMAL.replace("acme/api,", "acme/api.git,")
    manifest = parse_manifest(text, Path("m.yml"))
    assert manifest.repositories[0].name == "acme/api"
    assert [str(w) for w in manifest.warnings] == [
        "m.yml:4: repository 'acme/api.git': drop the '.git' suffix"
    ]


def test_duplicate_detection_ignores_case_and_git_suffix() -> None:
    text = MINIMAL.replace("acme/web, base", "ACME/api.git, base")
    with pytest.raises(ManifestError, match="duplicate repository ACME/api"):
        parse_manifest(text, Path("m.yml"))


def test_sandbox_blocks_unsafe_template_access() -> None:
    text = MINIMAL.replace("Fix {{ repository }}", "{{ repository.__class__.__mro__ }}")
    manifest = parse_manifest(text, Path("m.yml"))
    with pytest.raises(ManifestError):
        expand(manifest)


def test_repository_labels_and_reviewers_add_to_the_batch_ones() -> None:
    text = MINIMAL + "pull_request: {labels: [a, b], reviewers: [x]}\n"
    text = text.replace("{name: acme/web, base: develop}", "{name: acme/web, labels: [b, c]}")
    manifest = parse_manifest(text, Path("m.yml"))
    api, web = expand(manifest)
    assert api.labels == ("a", "b") and web.labels == ("a", "b", "c")
    assert web.reviewers == ("x",)


def test_shards_partition_the_jobs() -> None:
    names = ", ".join(f"o/r{i}" for i in range(10))
    manifest = parse_manifest(
        f"version: 1\nname: s\nprompt: p\nrepositories: [{names}]\n", Path("m.yml")
    )
    jobs = expand(manifest)
    shards = [select_shard(jobs, i, 3) for i in (1, 2, 3)]
    assert sorted(j.repository for s in shards for j in s) == sorted(j.repository for j in jobs)
    assert [len(s) for s in shards] == [4, 3, 3]
    assert parse_shard("2/3") == (2, 3)
    for bad in ("0/3", "4/3", "x", "1/0"):
        with pytest.raises(ValueError):
            parse_shard(bad)
