"""The example workflow and the composite action run for real by nektos/act, against both
emulators, with no Docker (actrun says how). The workflow is the shipped example with one
step added at the end, which writes the action's outputs to a file.

One act run serves every test in this module (about 10 s, most of it pip installing aodfix).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from actionkit import ACTION, WORKFLOW, load_yaml
from actrun import (
    AOD_TOKEN,
    FIX,
    FIXES_REPOSITORY,
    GITHUB_TOKEN,
    GREET,
    ActRun,
    base_python,
    emulators,
    run_act,
    wheelhouse,
)

REPOSITORIES = ["acme/svc-01", "acme/svc-02"]
JOB = "[aodfix/apply]"  # act's prefix of the job's log lines: [workflow name/job id]

# Appended to the example workflow's only job: the outputs as the next step sees them.
PROBE_STEP = """
      - name: Record the outputs for the test
        if: always()
        env:
          OUTPUTS: ${{ toJSON(steps.aodfix.outputs) }}
        run: printf '%s' "$OUTPUTS" > "$AODFIX_TEST_OUT/outputs.json"
"""


def outputs_of(run: ActRun) -> dict[str, str]:
    data: dict[str, str] = json.loads((run.out / "outputs.json").read_text())
    return data


@pytest.fixture(scope="module")
def act_run(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[ActRun]:
    root = tmp_path_factory.mktemp("act")
    with emulators(root, {"default": FIX}, dict.fromkeys(REPOSITORIES, GREET)) as (github, aod):
        manifest = {
            "version": 1,
            "name": "act-fix",
            "prompt": "Fix the greeting in {{ repository }}.",
            "agent": aod.create_agent(),
            "timeout": 60,
            "concurrency": 2,
            "repositories": REPOSITORIES,
        }
        inputs = {"manifest": "fixes/act-fix.yml", "dry-run": False}
        yield run_act(
            root,
            WORKFLOW,
            manifest,
            inputs,
            github,
            aod,
            python_bin=base_python(root),
            wheels=wheelhouse(pytestconfig.cache),
            extra=(PROBE_STEP,),
        )


def test_job_succeeds(act_run: ActRun) -> None:
    assert act_run.exit_code == 0, act_run.log_tail()
    assert act_run.succeeded(JOB)


def test_outputs_name_the_pull_requests(act_run: ActRun) -> None:
    outputs = outputs_of(act_run)
    urls = sorted(pr.html_url for pr in act_run.github.pull_requests())
    assert len(urls) == len(REPOSITORIES)
    assert sorted(json.loads(outputs["pull-requests"])) == urls
    assert outputs["failed"] == "0"
    assert outputs["report-json"].endswith("aodfix-report/report.json")


def test_pull_requests_hold_the_fix(act_run: ActRun) -> None:
    pulls = act_run.github.pull_requests()
    assert sorted(pr.full_name for pr in pulls) == REPOSITORIES
    assert all(pr.state == "open" and pr.head_ref == "aodfix/act-fix" for pr in pulls)
    for pr in pulls:
        fixed = subprocess.run(
            ["git", "show", f"refs/heads/{pr.head_ref}:greet.py"],
            cwd=act_run.github.bare_path(pr.full_name),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert fixed == GREET.replace("Helo", "Hello")
    # The body links the Actions run that opened it, from the runner's GITHUB_* variables.
    run_url = f"{act_run.github.server_url}/{FIXES_REPOSITORY}/actions/runs/1"
    assert all(f"[workflow run]({run_url})" in (pr.body or "") for pr in pulls)


def test_job_summary_is_the_report(act_run: ActRun) -> None:
    # act, like Actions, gives each step a fresh summary file and shows what the step wrote.
    report = (act_run.artifact("aodfix-report") / "report.md").read_text()
    assert report.startswith("# aodfix: act-fix\n")
    summaries = act_run.summaries(JOB)
    assert summaries, "no job summary in act's log"
    assert report.strip() in [s.strip() for s in summaries], summaries


def test_report_kept_as_artifact(act_run: ActRun) -> None:
    kept = act_run.artifact("aodfix-report")
    report: dict[str, Any] = json.loads((kept / "report.json").read_text())
    assert {r["status"] for r in report["results"]} == {"pr_opened"}
    assert {p.name for p in kept.iterdir()} >= {"report.json", "report.md", "report.html"}


def test_python_version_passed_to_setup_python(act_run: ActRun) -> None:
    default = load_yaml(ACTION)["inputs"]["python-version"]["default"]
    assert (act_run.out / "python-version").read_text() == default


def test_no_token_in_log_or_files(act_run: ActRun) -> None:
    # The action masks both tokens (act prints each ::add-mask:: as "⚙  ***"), and neither
    # shows up in act's log or in the kept report.
    assert act_run.stdout.count("⚙  ***") >= 2
    for token in (AOD_TOKEN, GITHUB_TOKEN):
        assert token not in act_run.stdout + act_run.stderr
        for path in (act_run.out / "artifacts").rglob("*"):
            if path.is_file():
                assert token not in path.read_text(errors="replace"), path
