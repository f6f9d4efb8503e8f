"""Command-line conventions a person relies on, checked offline through the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def aodfix(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aodfix", *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_quiet_and_json_together_are_a_usage_error() -> None:
    result = aodfix("apply", "config/examples/minimal.yml", "--quiet", "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Error: --quiet and --json cannot be used together" in result.stderr


def planned(*args: str, cwd: Path = ROOT) -> list[str]:
    result = aodfix("plan", str(ROOT / "config/examples/overrides.yml"), "--json", *args, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return [job["repository"] for job in json.loads(result.stdout)["jobs"]]


def test_only_takes_comma_separated_and_repeated_values() -> None:
    names = planned("--only", "acme/api, acme/billing", "--only", "acme/ml-pipeline")
    assert names == ["acme/api", "acme/billing", "acme/ml-pipeline"]


def test_only_reads_one_name_per_line_from_an_at_file(tmp_path: Path) -> None:
    (tmp_path / "repos.txt").write_text("# the canary\nacme/billing\n\nacme/api  # first\n")
    assert planned("--only", "@repos.txt", cwd=tmp_path) == ["acme/api", "acme/billing"]


def test_only_with_a_typo_is_one_line_with_a_did_you_mean() -> None:
    result = aodfix("plan", "config/examples/overrides.yml", "--only", "acme/api,acme/biling")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "config/examples/overrides.yml:14: --only names a repository not in the batch:"
        " acme/biling (did you mean acme/billing?)"
    ]


def test_only_with_an_unreadable_at_file_is_one_line_exit_2(tmp_path: Path) -> None:
    result = aodfix("apply", "config/examples/overrides.yml", "--only", f"@{tmp_path}/none.txt")
    assert result.returncode == 2
    assert result.stderr == f"aodfix: --only @{tmp_path}/none.txt: No such file or directory\n"


def test_only_with_an_at_file_naming_nothing_runs_nothing_exit_2(tmp_path: Path) -> None:
    """An empty list (a plan that found no repository) must not mean "every repository"."""
    (tmp_path / "empty.txt").write_text("# nothing planned\n\n")
    result = aodfix("apply", "config/examples/overrides.yml", "--only", f"@{tmp_path}/empty.txt")
    assert result.returncode == 2
    assert result.stderr == f"aodfix: --only @{tmp_path}/empty.txt: the file names no repository\n"


def test_status_only_reads_the_same_values_offline() -> None:
    result = aodfix("status", "config/examples/overrides.yml", "--only", "acme/api,acme/biling")
    assert result.returncode == 2
    assert result.stderr.endswith(": acme/biling (did you mean acme/billing?)\n")


def test_only_suggests_nothing_for_a_name_unlike_any_in_the_batch() -> None:
    result = aodfix("plan", "config/examples/overrides.yml", "--only", "acme/nope")
    assert result.returncode == 2
    assert result.stderr.endswith("--only names a repository not in the batch: acme/nope\n")


ONE = "version: 1\nname: one\nprompt: Fix it.\nrepositories: [acme/api]\n"


def test_one_repository_is_said_in_the_singular_by_validate_and_plan(tmp_path: Path) -> None:
    (tmp_path / "one.yml").write_text(ONE)
    assert (
        aodfix("validate", "one.yml", cwd=tmp_path).stdout
        == "one.yml: ok (1 repository, 0 skipped)\n"
    )
    title = aodfix("plan", "one.yml", cwd=tmp_path).stdout.splitlines()[0]
    assert title.rstrip() == "one: 1 repository"
    (tmp_path / "two.yml").write_text(ONE.replace("[acme/api]", "[acme/api, acme/web]"))
    assert "(2 repositories, 0 skipped)" in aodfix("validate", "two.yml", cwd=tmp_path).stdout


def test_report_md_and_html_say_one_repository_in_the_singular(tmp_path: Path) -> None:
    report = {
        "manifest": {"name": "one", "path": "one.yml"},
        "dry_run": False,
        "started_at": "2026-01-01T00:00:00Z",
        "finished_at": "2026-01-01T00:01:00Z",
        "results": [{"repository": "acme/api", "status": "no_changes"}],
    }
    (tmp_path / "report.json").write_text(json.dumps(report))
    markdown = aodfix("report", "report.json", cwd=tmp_path)
    assert markdown.returncode == 0, markdown.stderr
    assert "1 repository: 1 no changes." in markdown.stdout
    html = aodfix("report", "report.json", "--format", "html", cwd=tmp_path).stdout
    assert "1 repository ·" in html and "1 repositories" not in html


def test_help_and_readme_state_the_aod_api_url_default() -> None:
    from aodfix.settings.services import DEFAULT_AOD_URL

    assert f"AOD_API_URL (default {DEFAULT_AOD_URL}" in " ".join(aodfix("--help").stdout.split())
    assert f"defaults to {DEFAULT_AOD_URL}" in " ".join(aodfix("apply", "--help").stdout.split())
    readme = (ROOT / "README.md").read_text()
    (row,) = [line for line in readme.splitlines() if line.startswith("| `AOD_API_URL` |")]
    assert f"default `{DEFAULT_AOD_URL}`" in row
