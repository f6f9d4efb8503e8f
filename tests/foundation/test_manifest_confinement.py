"""A manifest may be shared across teams: its prompt_file stays inside the manifest's folder,
and what commands print about it never shows a token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TOKEN = "plan-output-token-without-a-known-shape-0123"  # masked because it is the token


def _aodfix(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aodfix", *args],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _manifest(folder: Path, prompt_file: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "m.yml"
    path.write_text(f"version: 1\nname: c\nprompt_file: {prompt_file}\nrepositories: [a/b]\n")
    return path


@pytest.mark.parametrize("where", ["/etc/passwd", "/proc/self/environ", "../outside.txt"])
def test_a_prompt_file_outside_the_manifests_folder_is_refused(tmp_path: Path, where: str) -> None:
    (tmp_path / "outside.txt").write_text("Fix it.\n")
    manifest = _manifest(tmp_path / "batch", where)
    done = _aodfix("validate", str(manifest), cwd=tmp_path)
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"{manifest}:3: prompt_file ")
    assert "inside the manifest's folder" in line


def test_a_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("Fix it.\n")
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "prompt.md").symlink_to(tmp_path / "secret.txt")
    done = _aodfix("validate", str(_manifest(folder, "prompt.md")), cwd=tmp_path)
    assert done.returncode == 2 and "inside the manifest's folder" in done.stderr


def test_a_prompt_file_inside_the_folder_tree_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    (folder / "prompts").mkdir(parents=True)
    (folder / "prompts" / "fix.md").write_text("Fix {{ repository }}.\n")
    done = _aodfix("plan", str(_manifest(folder, "prompts/fix.md")), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Fix a/b." in done.stdout


def test_plan_json_masks_the_runs_tokens(tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "p.md").write_text(f"Use {TOKEN} to log in.\n")
    done = _aodfix("plan", str(_manifest(folder, "p.md")), "--json", cwd=tmp_path, GH_TOKEN=TOKEN)
    assert done.returncode == 0, done.stderr
    assert TOKEN not in done.stdout
    assert "Use *** to log in." in done.stdout
