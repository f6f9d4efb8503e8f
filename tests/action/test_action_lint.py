"""Static checks of ``action.yml`` and the example workflows, all offline.

GitHub reports a malformed action or workflow only when a run starts, in someone else's
repository; these checks catch it here: the SchemaStore schemas that check-jsonschema ships,
actionlint (with shellcheck) on the workflow and on the action as the workflow uses it, and
shellcheck on the action's own scripts, which actionlint does not look into.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from actionkit import ACTION, ROOT, WORKFLOWS, action_steps, tool, uses, workflow_steps


def _run(command: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(
    ("schema", "path"),
    [
        ("vendor.github-actions", ACTION),
        *(("vendor.github-workflows", workflow) for workflow in WORKFLOWS),
    ],
    ids=["action", *(workflow.name for workflow in WORKFLOWS)],
)
def test_matches_schemastore_schema(schema: str, path: Path) -> None:
    # --builtin-schema reads the schema vendored in the package: no download.
    done = _run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)])
    assert done.returncode == 0, done.stdout + done.stderr


def _actionlint(paths: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # pyflakes is off: no run: step here is Python. shellcheck comes from the test extra.
    command = [tool("actionlint"), "-oneline", "-pyflakes=", "-shellcheck", tool("shellcheck")]
    return _run([*command, *paths], cwd=cwd)


def test_workflows_found() -> None:
    assert {w.name for w in WORKFLOWS} >= {"aodfix.yml", "aodfix-sharded.yml"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda w: w.name)
def test_workflow_passes_actionlint(workflow: Path) -> None:
    done = _actionlint([str(workflow)], ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda w: w.name)
def test_workflow_and_action_agree(workflow: Path, tmp_path: Path) -> None:
    """The workflow's ``with:`` and ``steps.*.outputs`` match the action's inputs and
    outputs, and the action's composite steps use only contexts a composite action has.

    actionlint reads an action's metadata only for a local ``uses: ./``, so the workflow is
    linted in a scratch repository where ``aodfix/aodfix@v1`` is the action beside it.
    """
    reference = uses(workflow_steps(workflow), "aodfix/aodfix")
    text = workflow.read_text(encoding="utf-8")
    assert text.count(f"uses: {reference}\n") == 1
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "aodfix.yml").write_text(
        text.replace(f"uses: {reference}\n", "uses: ./\n")
    )
    (tmp_path / "action.yml").write_text(ACTION.read_text(encoding="utf-8"))
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)

    done = _actionlint([], tmp_path)

    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("step", [s for s in action_steps() if "run" in s], ids=lambda s: s["name"])
def test_action_script_passes_shellcheck(step: dict[str, str]) -> None:
    assert step["shell"] == "bash"
    # Inputs reach scripts through env:, never spliced into the script text, where a value
    # with quotes or $(...) would run as code.
    assert not re.search(r"\$\{\{", step["run"]), "use env: for expressions in run:"
    done = subprocess.run(
        [tool("shellcheck"), "--shell=bash", "-"],
        input=step["run"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda w: w.name)
def test_pip_installs_what_the_action_runs(workflow: Path) -> None:
    # Jobs that run aodfix without the action install it with pip at the action's own ref.
    ref = uses(workflow_steps(workflow), "aodfix/aodfix").partition("@")[2]
    pinned = re.findall(r"git\+https://github\.com/aodfix/aodfix@([\w.-]+)", workflow.read_text())
    assert all(found == ref for found in pinned), (ref, pinned)
