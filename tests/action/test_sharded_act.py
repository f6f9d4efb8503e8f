"""The sharded example workflow run for real by nektos/act with 3 shards, against both
emulators, with no Docker (actrun says how): plan, three apply jobs through the composite
action, and the report job that merges their reports into one report and job summary.

The batch lists two repositories and selects four of an organisation; one of them fails.
Once the plan job has kept its plan, the organisation gains a repository that sorts first:
shards that expanded the selector for themselves would then cut other slices, so the test
shows that they run the plan's set. One act run serves every test in this module
(30-45 s: five installs of aodfix, three of them at once on two cores).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from actionkit import SHARDED_WORKFLOW, load_yaml
from actrun import FIX, GREET, ActRun, emulators, run_act, venv_python, wheelhouse

from aodfix.emulator.github import GitHubEmulator

LISTED = ["acme/svc-01", "acme/svc-02"]
SELECTED = [f"widgets/app-{i}" for i in range(1, 5)]  # select: {org: widgets}
BATCH = LISTED + SELECTED  # the batch's order: listed ones, then selected ones by name
FAILING = "widgets/app-3"
LATE = "widgets/app-0"  # created after the plan; sorts before every selected one
SHARDS = 3
WORKFLOW_NAME = load_yaml(SHARDED_WORKFLOW)["name"]
APPLY_STEP = "Apply the fix to this shard"  # the apply job's step that uses the action


def job(name: str) -> str:
    """act's prefix of a job's log lines: [workflow name/job id], a matrix job's id -N."""
    return f"[{WORKFLOW_NAME}/{name}]"


def report_of(run: ActRun, artifact: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((run.artifact(artifact) / "report.json").read_text())
    return data


def names(report: dict[str, Any]) -> list[str]:
    return [result["repository"] for result in report["results"]]


def _add_late_repository(github: GitHubEmulator, plan: Path, stop: threading.Event) -> None:
    """Once the plan is kept, the organisation gains LATE (before any shard starts)."""
    while not stop.is_set():
        if plan.is_file():
            github.create_repository(LATE, files={"greet.py": GREET})
            return
        time.sleep(0.05)


@pytest.fixture(scope="module")
def act_run(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[ActRun]:
    root = tmp_path_factory.mktemp("act-shards")
    scenario = {"default": FIX, FAILING: {"exit_code": 1}}
    with emulators(root, scenario, dict.fromkeys(BATCH, GREET)) as (github, aod):
        manifest = {
            "version": 1,
            "name": "act-shards",
            "prompt": "Fix the greeting in {{ repository }}.",
            "agent": aod.create_agent(),
            "timeout": 60,
            "concurrency": 2,
            "repositories": [*LISTED, {"select": {"org": "widgets"}}],
        }
        inputs = {"manifest": "fixes/act-fix.yml", "shards": SHARDS, "dry-run": False}
        plan = root / "out" / "artifacts" / "aodfix-plan" / "repositories.txt"
        stop = threading.Event()
        watcher = threading.Thread(target=_add_late_repository, args=(github, plan, stop))
        watcher.start()
        try:
            run = run_act(
                root,
                SHARDED_WORKFLOW,
                manifest,
                inputs,
                github,
                aod,
                python_bin=venv_python(root),
                wheels=wheelhouse(pytestconfig.cache),
                concurrent_jobs=SHARDS,
            )
        finally:
            stop.set()
            watcher.join()
        yield run


def test_jobs_end_as_their_repositories_did(act_run: ActRun) -> None:
    # The shard holding the failing repository fails (exit 1), the others do not, and the
    # report job runs after all and succeeds; act as a whole reports the failure.
    assert act_run.succeeded(job("plan")), act_run.log_tail()
    steps = load_yaml(SHARDED_WORKFLOW)["jobs"]["apply"]["steps"]
    assert [s["uses"].partition("@")[0] for s in steps if s.get("name") == APPLY_STEP] == [
        "aodfix/aodfix"
    ]
    failing_shard = BATCH.index(FAILING) % SHARDS + 1
    for shard in range(1, SHARDS + 1):
        ended_well = act_run.step_succeeded(job(f"apply-{shard}"), APPLY_STEP)
        assert ended_well == (shard != failing_shard), f"shard {shard}: {act_run.log_tail()}"
    assert act_run.succeeded(job("report")), act_run.log_tail()
    assert act_run.exit_code != 0


def test_plan_pins_the_batch(act_run: ActRun) -> None:
    plan = act_run.artifact("aodfix-plan") / "repositories.txt"
    assert plan.read_text().split() == BATCH


def test_each_shard_reports_its_slice_of_the_plan(act_run: ActRun) -> None:
    # Shard I of N: every N-th repository of the planned batch from the I-th. LATE, which
    # the shards' own expansion found, is in none of them.
    for shard in range(1, SHARDS + 1):
        assert names(report_of(act_run, f"aodfix-report-{shard}")) == BATCH[shard - 1 :: SHARDS]


def test_merged_report_has_every_repository_once(act_run: ActRun) -> None:
    merged = report_of(act_run, "aodfix-report")
    assert sorted(names(merged)) == sorted(BATCH)
    statuses = {r["repository"]: r["status"] for r in merged["results"]}
    assert statuses == {name: "failed" if name == FAILING else "pr_opened" for name in BATCH}
    # One pull request for each repository that ran well: none ran in two shards.
    opened = sorted(pr.full_name for pr in act_run.github.pull_requests())
    assert opened == sorted(set(BATCH) - {FAILING})


def test_job_summary_is_the_merged_report(act_run: ActRun) -> None:
    merged = act_run.artifact("aodfix-report")
    assert {p.name for p in merged.iterdir()} >= {"report.json", "report.md", "report.html"}
    markdown = (merged / "report.md").read_text()
    assert markdown.startswith("# aodfix: act-shards\n")
    assert all(f"{name}" in markdown for name in BATCH)
    summaries = [s.strip() for s in act_run.summaries(job("report"))]
    assert markdown.strip() in summaries, summaries
