"""Jobs from a manifest: branch names checked against the base, `{{ base }}` rendered once
the base is known (``RepoJob.for_base``, no manifest needed), errors at the template's line."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aodfix.manifest import ManifestError, parse_manifest
from aodfix.plan import UNRESOLVED_BASE, BranchRefused, RepoJob, expand
from aodfix.templates import TemplateProblem

ROOT = Path(__file__).resolve().parents[2]


def aodfix(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aodfix", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def manifest_file(tmp_path: Path, pull_request: str, repositories: str = "[acme/api]") -> Path:
    path = tmp_path / "m.yml"
    path.write_text(
        f"version: 1\nname: demo\nprompt: fix it\nrepositories: {repositories}\n"
        f"pull_request:\n{pull_request}"
    )
    return path


def only_job(pull_request: str, repositories: str = "[acme/api]") -> RepoJob:
    text = (
        f"version: 1\nname: demo\nprompt: fix it\nrepositories: {repositories}\n"
        f"pull_request:\n{pull_request}"
    )
    (job,) = expand(parse_manifest(text, Path("m.yml")))
    return job


def test_a_branch_template_using_base_validates_and_renders_the_resolved_base(
    tmp_path: Path,
) -> None:
    path = manifest_file(tmp_path, '  branch: "aodfix/{{ name }}-{{ base }}"\n')
    result = aodfix("validate", str(path))
    assert result.returncode == 0, result.stderr
    job = only_job('  branch: "aodfix/{{ name }}-{{ base }}"\n')
    assert job.branch == f"aodfix/demo-{UNRESOLVED_BASE}"  # as plan shows it
    resolved = job.for_base("trunk", "trunk")
    assert resolved.branch == "aodfix/demo-trunk" and resolved.rendered_base == "trunk"
    assert resolved.base is None and resolved.repository == "acme/api"


def test_for_base_refuses_a_branch_equal_to_the_default_branch() -> None:
    job = only_job("  branch: production\n")
    with pytest.raises(BranchRefused) as info:
        job.for_base("production", "production")
    assert str(info.value) == "pull_request.branch: branch 'production' is the base branch"
    assert job.for_base("production-2", "production-2").branch == "production"


def test_for_base_refuses_the_default_branch_even_when_the_base_is_an_override() -> None:
    job = only_job("  branch: production\n", "[{name: acme/api, base: develop}]")
    assert job.for_base("develop", "main") is job
    with pytest.raises(BranchRefused, match="'production' is the base branch"):
        job.for_base("develop", "production")


def test_for_base_applies_every_branch_rule_to_the_rendered_branch() -> None:
    template = "  branch: \"{{ '-' ~ base if base != 'main' else 'fix-it' }}\"\n"
    job = only_job(template)  # checked with 'main' standing in for the default branch
    with pytest.raises(BranchRefused, match="starts with '-'"):
        job.for_base("trunk", "trunk")
    job = only_job("  branch: \"{{ 'stable' if base == 'stable' else 'fix-' ~ base }}\"\n")
    with pytest.raises(BranchRefused, match="'stable' is the base branch"):
        job.for_base("stable", "stable")


def test_for_base_reports_a_template_that_fails_for_the_real_base() -> None:
    job = only_job("  title: \"{{ 1 // (base != 'trunk')|int }}\"\n")
    with pytest.raises(TemplateProblem) as info:
        job.for_base("trunk", "trunk")
    assert not isinstance(info.value, BranchRefused)
    assert (
        str(info.value) == "pull_request.title: template error: integer division or modulo by zero"
    )


def test_for_base_reports_a_prompt_emptied_by_the_real_base() -> None:
    text = (
        "version: 1\nname: demo\nprompt: \"{% if base != 'trunk' %}fix it{% endif %}\"\n"
        "repositories: [acme/api]\n"
    )
    (job,) = expand(parse_manifest(text, Path("m.yml")))
    with pytest.raises(TemplateProblem, match=r"^prompt: the prompt is empty after templating$"):
        job.for_base("trunk", "trunk")


def test_plan_json_keeps_the_job_fields_it_always_showed_then_selected_by(
    tmp_path: Path,
) -> None:
    result = aodfix("plan", "config/examples/overrides.yml", "--json")
    assert result.returncode == 0, result.stderr
    for job in json.loads(result.stdout)["jobs"]:
        assert list(job) == [
            "repository",
            "owner",
            "repo",
            "base",
            "prompt",
            "branch",
            "title",
            "commit_message",
            "labels",
            "reviewers",
            "team_reviewers",
            "assignees",
            "draft",
            "skip",
            "rendered_base",
            "selected_by",  # issue 13: the selector's FILE:LINE, or null when listed
        ]


def test_a_prompt_append_may_fill_a_prompt_that_is_empty_for_its_repository() -> None:
    text = (
        "version: 1\nname: demo\nprompt: \"{% if repo == 'api' %}fix it{% endif %}\"\n"
        "repositories: [acme/api, {name: acme/web, prompt_append: do this}]\n"
    )
    api, web = expand(parse_manifest(text, Path("m.yml")))
    assert api.prompt == "fix it" and web.prompt == "\n\ndo this"


def test_an_empty_prompt_is_no_error_for_a_skipped_repository() -> None:
    text = (
        "version: 1\nname: demo\nprompt: \"{% if repo == 'api' %}fix it{% endif %}\"\n"
        "repositories: [acme/api, {name: acme/web, skip: true}]\n"
    )
    assert [job.skip for job in expand(parse_manifest(text, Path("m.yml")))] == [False, True]


def test_each_failing_template_is_reported_at_its_own_line_for_its_repository() -> None:
    text = (
        "version: 1\nname: demo\nprompt: \"{{ '' if repo == 'web' else 'fix' }}\"\n"
        "repositories: [acme/api, acme/web]\n"
        "pull_request:\n  branch: \"fix-{{ repo }}{{ '..' if repo == 'api' else '' }}\"\n"
        "commit:\n  message: \"{{ 1 // (repo == 'api')|int }}\"\n"
    )
    with pytest.raises(ManifestError) as info:
        expand(parse_manifest(text, Path("m.yml")))
    assert [str(p) for p in info.value.problems] == [
        "m.yml:6: pull_request.branch: for acme/api: branch 'fix-api..' is not a valid git"
        " branch name",
        "m.yml:3: prompt: for acme/web: the prompt is empty after templating",
        "m.yml:8: commit.message: for acme/web: template error: integer division or modulo by zero",
    ]


def test_a_runaway_template_is_reported_once_not_once_per_repository(tmp_path: Path) -> None:
    loop = "{% for i in range(100000) %}{% for j in range(100000) %}{{ repo[:0] }}{% endfor %}"
    path = manifest_file(tmp_path, f'  title: "{loop}{{% endfor %}}"\n', "[a/one, a/two, a/three]")
    start = time.monotonic()
    result = aodfix("validate", str(path))
    assert time.monotonic() - start < 10
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"{path}:6: pull_request.title: for a/one: template rendering took longer than 2 s"
    ]
