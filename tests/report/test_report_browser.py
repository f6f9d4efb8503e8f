"""The HTML report as a person sees it, in headless Chromium from a file:// URL (offline)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from aodfix.patch import Diffstat
from aodfix.report.files import write_reports
from aodfix.report.models import (
    ErrorInfo,
    PullRequestRef,
    RepoResult,
    Report,
    Stage,
    Status,
    Timings,
)

CHROMIUM = os.environ.get("AODFIX_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Chromium not installed (.ci/run installs it)"
)

PATCH = """diff --git a/stats/__init__.py b/stats/__init__.py
index 1111111..2222222 100644
--- a/stats/__init__.py
+++ b/stats/__init__.py
@@ -5,4 +5,4 @@ def mean(values: list[float]) -> float:
     if not values:
         raise ValueError("mean() of an empty list")
-    return sum(values) / (len(values) - 1)
+    return sum(values) / len(values)
"""


def _report() -> Report:
    results = [
        RepoResult(
            f"acme/service-{i:02d}",
            Status.PR_OPENED,
            branch="aodfix/fix",
            pull_request=PullRequestRef(i, f"https://github.com/acme/service-{i:02d}/pull/{i}"),
            diffstat=Diffstat(1, i, 1),
            timings=Timings(1, 10 + i, 12 + i),
            turns=1,
        )
        for i in range(1, 9)
    ]
    results += [
        RepoResult(
            "acme/stats",
            Status.DRY_RUN,
            diffstat=Diffstat(1, 1, 1),
            patch=PATCH,
            turns=1,
            summary="Fixed mean().",
        ),
        RepoResult(
            "acme/legacy",
            Status.FAILED,
            error=ErrorInfo(Stage.AGENT, "exit code 2"),
            timings=Timings(0, 5, 6),
        ),
        RepoResult("acme/docs", Status.NO_CHANGES, turns=1),
    ]
    return Report(
        "fix-known-issues",
        "demo.yml",
        False,
        "2026-11-26T10:00:00Z",
        "2026-11-26T10:03:00Z",
        results,
    )


def test_the_html_report_filters_sorts_and_opens_diffs_in_a_browser_offline(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    html = write_reports(_report(), tmp_path)["html"]
    requests: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.goto(html.as_uri())
            rows = page.locator("tbody.repo:visible")
            assert rows.count() == 11
            assert page.locator("#totals .total[data-status=pr_opened] .n").inner_text() == "8"

            page.fill("#filter", "service-0")
            assert rows.count() == 8
            page.fill("#filter", "")
            page.click("#totals .total[data-status=failed]")
            assert rows.count() == 1
            assert "exit code 2" in rows.first.inner_text()
            page.click("#totals .total[data-status=failed]")  # toggles back to all
            assert rows.count() == 11

            page.click("th[data-key=total]")
            page.click("th[data-key=total]")  # descending
            assert page.locator("tbody.repo").first.get_attribute("data-repo") == (
                "acme/service-08"
            )

            diff = page.locator("tr.diffrow")
            assert not diff.is_visible()
            page.click("button.toggle")
            assert diff.is_visible()
            assert "return sum(values) / len(values)" in diff.inner_text()
            added = diff.locator(".gi").first  # pygments' class for inserted lines
            assert added.evaluate("e => getComputedStyle(e).color") != "rgb(0, 0, 0)"

            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        finally:
            browser.close()
    assert all(url.startswith("file://") for url in requests), requests
