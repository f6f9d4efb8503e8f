"""The campaign after the PRs: ``merge`` merges exactly the ready ones and says why for the
rest, ``apply`` closes PRs that became obsolete, ``close`` withdraws the batch, and
``status`` finds everything with one search. The real CLI against the emulators."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import MakeStack
from github import Auth, Github
from stack import GITHUB_TOKEN, Stack

CHROMIUM = os.environ.get("AODFIX_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FILES = {"greet.py": 'print("Helo")\n'}
IDEMPOTENT_FIX = {"edits": [{"run": "grep -q Hello greet.py || sed -i 's/Helo/Hello/' greet.py"}]}


def _cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aodfix", *args],
        env=stack.env(),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _comments(stack: Stack, name: str, number: int) -> list[str]:
    client = Github(base_url=stack.github.api_url, auth=Auth.Token(GITHUB_TOKEN))
    return [str(c.body) for c in client.get_repo(name).get_issue(number).get_comments()]


def _opened(stack: Stack, names: list[str], **keys: Any) -> tuple[Any, dict[str, int]]:
    for name in names:
        stack.add_repository(name, FILES)
    manifest = stack.manifest(names, concurrency=10, **keys)
    run = stack.apply(manifest)
    assert run.exit_code == 0, run.stderr
    return manifest, {n: r["pull_request"]["number"] for n, r in run.results().items()}


def test_merge_takes_exactly_the_ready_pull_requests(make_stack: MakeStack) -> None:
    stack = make_stack({"default": IDEMPOTENT_FIX})
    names = [f"acme/svc-{i:02d}" for i in range(20)]
    manifest, numbers = _opened(stack, names)
    github = stack.github
    heads = {p.full_name: p.head_sha for p in github.pull_requests()}
    for i, name in enumerate(names):
        if i < 6 or i >= 10:
            github.set_check(name, heads[name], "ci", conclusion="success")
    for name in names[6:8]:
        github.set_check(name, heads[name], "ci", conclusion="failure")
    for name in names[8:10]:
        github.set_check(name, heads[name], "ci", status="in_progress")
    for name in names[10:12]:
        github.make_conflict(name, numbers[name])
    for name in names[12:14]:
        github.protect_branch(name, "main", required_approvals=1)
    for name in names[14:16]:
        github.add_review(name, numbers[name], "octocat", "APPROVED")
    for name in names[16:18]:
        github.add_review(name, numbers[name], "octocat", "CHANGES_REQUESTED")

    approved = _cli(stack, "merge", str(manifest), "--require-approval", "--dry-run", "--json")
    assert approved.returncode == 0, approved.stderr
    rows = {r["repository"]: r for r in json.loads(approved.stdout)["pull_requests"]}
    assert sorted(n for n, r in rows.items() if r["outcome"] == "would merge") == names[14:16]
    assert rows[names[0]]["reason"] == "not approved"
    assert rows[names[16]]["reason"] == "changes requested"

    merged = _cli(stack, "merge", str(manifest), "--json")
    assert merged.returncode == 0, merged.stderr
    rows = {r["repository"]: r for r in json.loads(merged.stdout)["pull_requests"]}
    eligible = names[:6] + names[14:20]
    assert sorted(n for n, r in rows.items() if r["outcome"] == "merged") == eligible
    assert rows[names[6]]["reason"].startswith("checks failing")
    assert rows[names[8]]["reason"].startswith("checks pending")
    assert rows[names[10]]["reason"] == "conflicts with its base"
    assert rows[names[12]]["reason"] == "GitHub reports it cannot be merged (blocked)"
    views = {p.full_name: p for p in github.pull_requests()}
    assert all(views[n].merged for n in eligible)
    assert not any(views[n].merged for n in set(names) - set(eligible))
    assert all(github.branch_sha(n, "aodfix/e2e-fix") is None for n in eligible)  # deleted
    assert github.branch_sha(names[6], "aodfix/e2e-fix") is not None


def test_apply_closes_pull_requests_that_became_obsolete_and_close_withdraws_the_rest(
    make_stack: MakeStack,
) -> None:
    stack = make_stack({"default": IDEMPOTENT_FIX})
    names = [f"acme/svc-{i}" for i in range(6)]
    manifest, numbers = _opened(stack, names)
    github = stack.github
    github.commit_files("acme/svc-5", "main", {"greet.py": 'print("Hello")\n'})  # fixed by hand
    kept = stack.manifest(names[:2] + names[5:], concurrency=10)  # svc-2, -3 and -4 leave
    assert kept == manifest

    rerun = stack.apply(kept)
    assert rerun.exit_code == 0, rerun.stderr
    statuses = rerun.statuses()
    assert statuses == {
        "acme/svc-0": "unchanged",
        "acme/svc-1": "unchanged",
        "acme/svc-5": "pr_closed",  # nothing left to change
        "acme/svc-2": "pr_closed",  # left the batch
        "acme/svc-3": "pr_closed",
        "acme/svc-4": "pr_closed",
    }
    views = {p.full_name: p for p in github.pull_requests()}
    closed = ["acme/svc-2", "acme/svc-3", "acme/svc-4", "acme/svc-5"]
    assert all(views[n].state == "closed" and not views[n].merged for n in closed)
    assert all(github.branch_sha(n, "aodfix/e2e-fix") is None for n in closed)
    comments = [c for n in closed for c in _comments(stack, n, numbers[n])]
    assert len(comments) == 4 and all(c.startswith("Closed by aodfix: ") for c in comments)

    withdrawn = _cli(stack, "close", str(kept), "--comment", "Withdrawn: superseded.")
    assert withdrawn.returncode == 0, withdrawn.stderr
    assert "acme/svc-0#1: closed" in withdrawn.stdout
    views = {p.full_name: p for p in github.pull_requests()}
    assert all(p.state == "closed" for p in views.values())
    assert _comments(stack, "acme/svc-1", numbers["acme/svc-1"]) == ["Withdrawn: superseded."]


def test_status_of_300_pull_requests_costs_one_search_per_100(make_stack: MakeStack) -> None:
    stack = make_stack()
    github = stack.github
    github.seed_organisation("big", 300)
    body = "Fixed.\n\n<!-- aodfix:batch=e2e-fix -->\n"
    start = datetime.now(UTC) - timedelta(days=30)
    numbers = github.seed_pull_requests(
        "big",
        branch="aodfix/e2e-fix",
        body=body,
        first_created=start,
        created_every=timedelta(hours=2),
    )
    names = sorted(numbers)
    for name in names[:200]:
        (view,) = github.pull_requests(name)
        github.set_check(name, view.head_sha, "ci", conclusion="success")
    for name in names[200:250]:
        github.merge_pull(name, numbers[name])
    manifest = stack.manifest(names)
    github.clear_requests()

    done = _cli(stack, "status", str(manifest), "--json")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["totals"] == {"merged": 50, "open": 250}
    calls = github.rest_calls()
    searches = [c for c in calls if c.path.endswith("/search/issues")]
    assert len(searches) <= 3
    per_pull = [c for c in calls if "/pulls/" in c.path or "/commits/" in c.path]
    assert len(per_pull) <= 3 * 250

    page = stack.root / "status.html"
    drawn = _cli(stack, "status", str(manifest), "--html", str(page))
    assert drawn.returncode == 0, drawn.stderr
    _check_status_page_in_chromium(page)


def _check_status_page_in_chromium(page_path: Path) -> None:
    """The page as a person sees it: the burndown drawn, 300 rows, the filter working."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium not installed (.ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    requests: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_path.as_uri())
            assert page.locator("tr.pull:visible").count() == 300
            merged = page.locator("#burndown polyline.merged").get_attribute("points") or ""
            assert len(merged.split()) > 10  # a line, not a point
            assert page.locator("#totals [data-state=merged] .n").inner_text() == "50"
            page.fill("#filter", "merged")
            assert page.locator("tr.pull:visible").count() == 50
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "status.png"), full_page=False)
        finally:
            browser.close()
    assert all(url.startswith("file://") for url in requests), requests


def test_drafts_become_ready_only_once_their_checks_pass(make_stack: MakeStack) -> None:
    stack = make_stack({"default": IDEMPOTENT_FIX})
    names = ["acme/green", "acme/red"]
    manifest, _ = _opened(stack, names, rollout={"ready_when_checks_pass": True})
    github = stack.github
    views = {p.full_name: p for p in github.pull_requests()}
    assert all(v.draft for v in views.values())
    github.set_check("acme/green", views["acme/green"].head_sha, "ci", conclusion="success")
    github.set_check("acme/red", views["acme/red"].head_sha, "ci", conclusion="failure")

    done = _cli(stack, "status", str(manifest), "--json")
    assert done.returncode == 0, done.stderr
    rows = {r["repository"]: r for r in json.loads(done.stdout)["pull_requests"]}
    assert rows["acme/green"]["state"] == "open" and rows["acme/red"]["state"] == "draft"
    views = {p.full_name: p for p in github.pull_requests()}
    assert not views["acme/green"].draft and views["acme/red"].draft

    merged = _cli(stack, "merge", str(manifest), "--json")
    rows = {r["repository"]: r for r in json.loads(merged.stdout)["pull_requests"]}
    assert rows["acme/green"]["outcome"] == "merged"
    assert rows["acme/red"]["reason"] == "draft"
