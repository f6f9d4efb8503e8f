"""`aodfix validate` and friends, run as a user runs them: a real subprocess."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BAD = sorted((ROOT / "tests" / "data" / "bad").glob("*.yml"))
EXAMPLES = sorted((ROOT / "config" / "examples").glob("*.yml"))


def aodfix(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aodfix", *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_manifest_exits_2_with_one_line_naming_file_line_and_problem(path: Path) -> None:
    expected = path.read_text().splitlines()[0].removeprefix("# expect: ")
    line, _, message = expected.partition(": ")
    relative = path.relative_to(ROOT)
    result = aodfix("validate", str(relative))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{relative}:{line}: "), lines[0]
    assert message in lines[0]
    assert "Traceback" not in result.stderr


def test_examples_validate() -> None:
    result = aodfix("validate", *(str(p.relative_to(ROOT)) for p in EXAMPLES))
    assert result.returncode == 0, result.stderr
    assert len(EXAMPLES) >= 3
    assert result.stdout.count(": ok (") == len(EXAMPLES)


def test_one_bad_manifest_among_good_ones_still_reports_the_good_ones() -> None:
    result = aodfix("validate", str(EXAMPLES[0]), str(BAD[0]))
    assert result.returncode == 2
    assert f"{EXAMPLES[0]}: ok" in result.stdout


def test_plan_json_lists_rendered_jobs() -> None:
    result = aodfix("plan", "config/examples/overrides.yml", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    jobs = {job["repository"]: job for job in payload["jobs"]}
    assert jobs["acme/billing"]["base"] == "release-2.x"
    assert jobs["acme/billing"]["labels"] == ["python", "billing"]
    assert jobs["acme/billing"]["title"] == "Drop Python 3.8 support (billing)"
    assert jobs["acme/frozen-service"]["skip"] is True
    assert "needed for Python 3.9" in jobs["acme/ml-pipeline"]["prompt"]


def test_plan_only_filters_and_unknown_only_is_a_usage_error() -> None:
    result = aodfix("plan", "config/examples/overrides.yml", "--json", "--only", "acme/api")
    assert [j["repository"] for j in json.loads(result.stdout)["jobs"]] == ["acme/api"]
    result = aodfix("plan", "config/examples/overrides.yml", "--only", "acme/nope")
    assert result.returncode == 2
    assert re.match(r"config/examples/overrides\.yml:\d+: --only names", result.stderr)


def test_plan_prints_a_table() -> None:
    result = aodfix("plan", "config/examples/minimal.yml")
    assert result.returncode == 0
    assert "acme/api" in result.stdout and "aodfix/fix-readme-typos" in result.stdout


def test_plan_shards_prints_an_actions_matrix() -> None:
    result = aodfix("plan", "config/examples/minimal.yml", "--shards", "3")
    assert json.loads(result.stdout) == {
        "include": [{"shard": "1/3"}, {"shard": "2/3"}, {"shard": "3/3"}]
    }


def test_version_prints_and_a_missing_argument_exits_2_without_a_traceback() -> None:
    assert aodfix("--version").stdout.startswith("aodfix, version ")
    result = aodfix("validate")
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_checked_in_schema_is_current() -> None:
    result = aodfix("schema")
    checked_in = (ROOT / "config" / "manifest.schema.json").read_text()
    assert result.stdout == checked_in, "run: aodfix schema > config/manifest.schema.json"


def test_readme_manifest_reference_is_current() -> None:
    from aodfix.schema import reference_markdown

    readme = (ROOT / "README.md").read_text()
    start = readme.index("<!-- manifest-reference:start -->\n") + len(
        "<!-- manifest-reference:start -->\n"
    )
    end = readme.index("<!-- manifest-reference:end -->")
    assert readme[start:end] == reference_markdown()
