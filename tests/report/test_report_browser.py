"""The HTML report as a person sees it, in headless Chromium from a file:// URL (offline)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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
+# </script><script>window.pwned = 1</script><!-- <img src=x onerror="window.pwned = 2">
"""
HOSTILE_LINE = PATCH.splitlines()[-1][1:]
TOKEN = "ghp_" + "x1" * 18  # after a tab: in the page's JSON "\tghp_…", not a word start
PATCH += f"+\t{TOKEN}\n"


@contextmanager
def chromium(requests: list[str]) -> Iterator[Callable[..., Any]]:
    """Headless Chromium (Debian's, no download); yields ``new_page(javascript=True)``, which
    opens a page that records every URL it asks for in ``requests``."""
    sync_api = pytest.importorskip("playwright.sync_api")
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

        def new_page(javascript: bool = True) -> Any:
            context = browser.new_context(
                java_script_enabled=javascript, viewport={"width": 1280, "height": 900}
            )
            page = context.new_page()
            page.on("request", lambda r: requests.append(r.url))
            return page

        try:
            yield new_page
        finally:
            browser.close()


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
            diffstat=Diffstat(1, 3, 1),
            patch=PATCH,
            turns=1,
            summary="Fixed mean(). </script><!--",
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
    html = write_reports(_report(), tmp_path)["html"]
    requests: list[str] = []
    with chromium(requests) as new_page:
        page = new_page()
        page.goto(html.as_uri())
        rows = page.locator("tbody.repo:visible")
        assert rows.count() == 11
        assert page.locator("#totals .total[data-status=pr_opened] .n").inner_text() == "8"
        assert page.locator(".pager").count() == 0  # one page: no pager

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
        assert page.locator("tbody.repo").first.get_attribute("data-repo") == ("acme/service-08")

        diff = page.locator("tr.detail .diff")
        assert not diff.is_visible()
        page.click("button.toggle:has-text('show diff')")
        assert diff.is_visible()
        page.click("button.toggle:has-text('hide diff')")
        assert not diff.is_visible()
        page.click("button.toggle:has-text('show diff')")
        assert "return sum(values) / len(values)" in diff.inner_text()
        added = diff.locator(".ln-add").first
        assert added.evaluate("e => getComputedStyle(e).color") != "rgb(0, 0, 0)"
        # agent-written text is shown as text: it neither ran nor ended the data block
        assert HOSTILE_LINE in diff.inner_text()
        assert "</script><!--" in page.locator("tbody.repo", has=diff).inner_text()
        assert page.evaluate("window.pwned") is None
        assert "\t***" in diff.inner_text() and TOKEN not in html.read_text()

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    assert all(url.startswith("file://") for url in requests), requests
