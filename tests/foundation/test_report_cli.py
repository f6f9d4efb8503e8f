"""``aodfix report``: bad input files are exit 2 in one line, and a dry run is merged with a
real run only when asked (``--mix``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def aodfix(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aodfix", *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def write_report(path: Path, *, dry_run: bool, status: str) -> Path:
    path.write_text(
        json.dumps(
            {
                "manifest": {"name": "fix", "path": "fix.yml"},
                "dry_run": dry_run,
                "started_at": "2026-01-01T00:00:00Z",
                "finished_at": "2026-01-01T00:01:00Z",
                "results": [{"repository": "acme/api", "status": status}],
            }
        )
    )
    return path


def test_a_missing_input_file_exits_2_in_one_line(tmp_path: Path) -> None:
    done = aodfix("report", "nowhere.json", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == "Error: nowhere.json: No such file or directory\n"


def test_a_file_that_is_not_a_report_exits_2_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("[1, 2]")
    done = aodfix("report", "bad.json", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("Error: bad.json: not an aodfix report (")
    assert len(done.stderr.splitlines()) == 1


def test_dry_run_and_real_run_reports_are_not_merged_without_mix(tmp_path: Path) -> None:
    write_report(tmp_path / "dry.json", dry_run=True, status="dry_run")
    write_report(tmp_path / "real.json", dry_run=False, status="pr_opened")
    done = aodfix("report", "dry.json", "real.json", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        "Error: dry.json is a dry run and real.json is not; pass --mix to merge them anyway\n"
    )


def test_mix_merges_a_dry_run_with_a_real_run_the_later_file_winning(tmp_path: Path) -> None:
    write_report(tmp_path / "dry.json", dry_run=True, status="dry_run")
    write_report(tmp_path / "real.json", dry_run=False, status="pr_opened")
    done = aodfix("report", "dry.json", "real.json", "--mix", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    merged = json.loads(done.stdout)
    assert merged["dry_run"] is False
    assert [r["status"] for r in merged["results"]] == ["pr_opened"]


def test_reports_of_one_kind_merge_without_mix(tmp_path: Path) -> None:
    write_report(tmp_path / "a.json", dry_run=True, status="dry_run")
    write_report(tmp_path / "b.json", dry_run=True, status="dry_run")
    assert aodfix("report", "a.json", "b.json", cwd=tmp_path).returncode == 0


def test_writing_to_a_file_ends_by_naming_it(tmp_path: Path) -> None:
    write_report(tmp_path / "a.json", dry_run=False, status="pr_opened")
    done = aodfix("report", "a.json", "--format", "html", "-o", "out.html", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "report: out.html\n"
    assert (tmp_path / "out.html").read_text().startswith("<!")
