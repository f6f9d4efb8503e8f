"""report.html for a batch of 10,000 repositories: one file within 25 MB that Chromium opens,
pages, sorts and filters over every row, and whose diffs are drawn when a row is opened."""

from __future__ import annotations

import time
from pathlib import Path

from report.test_report_browser import ARTIFACTS, chromium
from report.test_report_browser import pytestmark as needs_chromium

from aodfix.patch import Diffstat
from aodfix.patch.checks import CheckResult
from aodfix.report.html import (
    MAX_PATCH_CHARS,
    PAGE_SIZE,
    PATCHES_BUDGET_CHARS,
    patch_limit,
    render_html,
)
from aodfix.report.models import (
    ErrorInfo,
    JudgeRecord,
    PullRequestRef,
    RepoResult,
    Report,
    Stage,
    Status,
    Timings,
    VerifyRecord,
)

COUNT = 10_000
MAX_BYTES = 25_000_000
# Each row's cells as text (less the script's own buttons) and its links.
ROW_TEXTS = """bodies => bodies.map(b => [
  [...b.querySelectorAll("tr:first-child > td")].map(td => [...td.childNodes]
    .filter(n => n.nodeName !== "BUTTON").map(n => n.textContent).join(" ")
    .replace(/\\s+/g, " ").trim()),
  [...b.querySelectorAll("a")].map(a => a.getAttribute("href"))])"""


def scale_patch(i: int) -> str:
    """A patch of about 1.5 KB: one file, one hunk, nine lines changed."""
    lines = "".join(
        f"-    value_{k} = compute(alpha, beta, gamma)  # legacy path {i}\n"
        f"+    value_{k} = compute(alpha, beta, gamma, strict=True)  # checked {i}\n"
        for k in range(9)
    )
    return (
        f"diff --git a/src/module_{i}.py b/src/module_{i}.py\n"
        "index 1111111..2222222 100644\n"
        f"--- a/src/module_{i}.py\n+++ b/src/module_{i}.py\n"
        "@@ -10,11 +10,11 @@ def handler(request: Request) -> Response:\n"
        "     config = load_config(request)\n" + lines + "     return respond(config)\n"
    )


def scale_report(count: int = COUNT) -> Report:
    """``count`` results as a large batch leaves them: each with a patch, diffstat, PR,
    transcript and summary; every tenth failed with a 300-character error instead of a PR,
    and every hundredth ran checks, had a judge and a note."""
    checks = (
        CheckResult("pytest -q", 0, 4.2, False, ""),
        CheckResult("ruff check .", 1, 0.8, True, "E501 Line too long\n" * 20),
    )
    judge = JudgeRecord("approve", "It does what the prompt asks.", "s-judge", 0.01, 1)
    results = []
    for i in range(count):
        checked = i % 100 == 3
        repo = f"org-{i % 50:02d}/service-{i:05d}"
        failed = i % 10 == 9
        error = ErrorInfo(Stage.POLICY, (f"refused {i}: " + "x" * 300)[:292])  # 300 as text
        results.append(
            RepoResult(
                repo,
                Status.FAILED if failed else Status.PR_OPENED,
                branch="aodfix/strict-compute",
                pull_request=None
                if failed
                else PullRequestRef(i + 1, f"https://github.com/{repo}/pull/{i + 1}"),
                diffstat=Diffstat(1, 9, 9),
                error=error if failed else None,
                timings=Timings(0.5, 20 + (i * 7919) % 600 / 10, 25 + (i * 7919) % 600 / 10),
                turns=1 + i % 3,
                summary="Called compute() in strict mode everywhere; the tests pass.",
                patch=scale_patch(i),
                transcript=f"transcripts/{repo.replace('/', '__')}.log",
                verify=VerifyRecord(1, checks) if checked else None,
                judge=judge if checked else None,
                notes=("src/run.sh: mode 100644 -> 100755",) if checked else (),
            )
        )
    return Report("strict-compute", "fleet.yml", False, "2026-12-01T10:00:00Z", None, results)


@needs_chromium
def test_a_10000_repository_report_is_one_small_file_chromium_can_use(tmp_path: Path) -> None:
    report = scale_report()
    started = time.perf_counter()
    text = render_html(report)
    rendered = time.perf_counter() - started
    html = tmp_path / "report.html"
    html.write_text(text, encoding="utf-8")
    size = html.stat().st_size
    print(f"\nreport.html, {COUNT} repositories: {size / 1e6:.1f} MB, rendered in {rendered:.2f} s")
    assert size <= MAX_BYTES
    assert text.count('<tbody class="repo"') == PAGE_SIZE  # only the first page is HTML

    names = [r.repository for r in report.results]
    slowest = max(range(COUNT), key=lambda i: report.results[i].timings.total)
    assert slowest >= PAGE_SIZE  # not on the first page: sorting must reach past it
    requests: list[str] = []
    with chromium(requests) as new_page:
        plain = new_page(javascript=False)  # without a script: the totals and the first page
        plain.goto(html.as_uri())
        assert plain.locator("tbody.repo").count() == PAGE_SIZE
        assert plain.inner_text("#totals .total[data-status=failed] .n") == str(COUNT // 10)
        assert f"first {PAGE_SIZE} repositories" in plain.inner_text("body")
        assert not plain.locator(".pager").first.is_visible()  # it needs the script

        page = new_page()
        started = time.perf_counter()
        page.goto(html.as_uri())
        rows = page.locator("tbody.repo")
        assert page.inner_text("#shown") == f"{COUNT} of {COUNT} shown"  # the script ran
        loaded = time.perf_counter() - started
        assert rows.count() == PAGE_SIZE
        # the script draws the rows as the HTML has them: texts and links alike
        assert rows.evaluate_all(ROW_TEXTS) == plain.locator("tbody.repo").evaluate_all(ROW_TEXTS)
        pages = page.locator(".controls .pager .page")
        assert pages.inner_text() == f"page 1 of {COUNT // PAGE_SIZE}"

        page.click(".controls .pager .next")
        assert pages.inner_text() == f"page 2 of {COUNT // PAGE_SIZE}"
        assert rows.first.get_attribute("data-repo") == names[PAGE_SIZE]

        page.click("th[data-key=total]")
        page.click("th[data-key=total]")  # descending, over all rows, back on page 1
        assert pages.inner_text() == f"page 1 of {COUNT // PAGE_SIZE}"
        assert rows.first.get_attribute("data-repo") == names[slowest]

        page.click("#totals .total[data-status=failed]")
        assert page.inner_text("#shown") == f"{COUNT // 10} of {COUNT} shown"
        assert rows.evaluate_all("bs => bs.every(b => b.dataset.status === 'failed')")

        page.click("#totals .total[data-status=failed]")
        page.fill("#filter", "service-09998")
        assert rows.count() == 1
        page.click("button.toggle")
        diff = page.locator("tr.detail .diff")
        assert "strict=True)  # checked 9998" in diff.inner_text()
        assert diff.locator(".ln-add").count() == 9  # each added line after its deletion
        page.fill("#filter", "service-00003")  # its checks, judge and note: in the details
        page.click("button.toggle")
        details = page.locator("tr.detail").inner_text()
        assert "ruff check .: fails on the base too" in details and "E501 Line too long" in details
        assert "It does what the prompt asks." in details and "mode 100644 -> 100755" in details
        interactive = time.perf_counter() - started
        print(f"Chromium: loaded in {loaded:.2f} s, all of the above done in {interactive:.2f} s")

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report-scale.png"))
    assert all(url.startswith("file://") for url in requests), requests


def test_past_the_pages_budget_the_longest_patches_are_shortened_first() -> None:
    assert patch_limit([1_500] * COUNT) == MAX_PATCH_CHARS  # within the budget: whole
    lengths = [1_500] * COUNT + [MAX_PATCH_CHARS] * 100
    limit = patch_limit(lengths)
    assert 1_500 < limit < MAX_PATCH_CHARS
    assert sum(min(n, limit) for n in lengths) <= PATCHES_BUDGET_CHARS
