"""``aodfix init``: a manifest to start from that validates as written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]


def aodfix(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aodfix", *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_init_writes_fix_yml_that_validate_accepts_as_written(tmp_path: Path) -> None:
    done = aodfix("init", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    checked = aodfix("validate", "fix.yml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout == "fix.yml: ok (1 repository, 0 skipped)\n"
    assert checked.stderr == ""  # not even a warning


def test_init_output_matches_the_json_schema_its_comment_names(tmp_path: Path) -> None:
    aodfix("init", "pin-actions", cwd=tmp_path)
    text = (tmp_path / "pin-actions.yml").read_text()
    (comment,) = [line for line in text.splitlines() if "yaml-language-server" in line]
    assert comment.startswith("# yaml-language-server: $schema=https://")
    assert comment.endswith("/config/manifest.schema.json")
    schema = json.loads((ROOT / "config" / "manifest.schema.json").read_text())
    document = yaml.safe_load(text)
    jsonschema.validate(document, schema)
    assert document["name"] == "pin-actions"


def test_init_prints_the_next_three_commands(tmp_path: Path) -> None:
    lines = aodfix("init", "pin-actions", cwd=tmp_path).stdout.splitlines()
    assert lines[0].startswith("wrote pin-actions.yml")
    commands = [line.split("#")[0].strip() for line in lines[1:]]
    assert commands == [
        "aodfix validate pin-actions.yml",
        "aodfix apply pin-actions.yml --dry-run",
        "aodfix apply pin-actions.yml",
    ]


def test_init_refuses_to_overwrite_an_existing_file_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "fix.yml").write_text("mine\n")
    done = aodfix("init", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "aodfix: fix.yml already exists; nothing written\n"
    assert (tmp_path / "fix.yml").read_text() == "mine\n"


def test_init_refuses_a_name_that_is_not_a_batch_name(tmp_path: Path) -> None:
    done = aodfix("init", "Pin Actions", cwd=tmp_path)
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []
