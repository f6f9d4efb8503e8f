"""Benchmark: a large dry run on light sessions, so the figures are aodfix's own.

N repositories bulk-seeded from one tiny template, light AoD sessions (a replayed, correct
collect block after ``--duration`` seconds: no clone, no agent process) at concurrency C.
Prints one line of figures: wall; the ideal both as ceil(N/C) x duration and as issue 16
defines it, ceil(N/C) x the mean session aodfix observed (create request to deletion, from
report.json), with the ratios; aodfix's CPU per repository (its own and its git children's,
from wait4), peak RSS, AoD requests per session, GitHub calls per repository and the report
sizes. ``--browser`` also opens report.html in headless Chromium, filters it and expands a
patch, timing it, and keeps a screenshot in test-artifacts/.

    python tests/benchmarks/bench_scale.py --repos 1000 --concurrency 100 --duration 5
    python tests/benchmarks/bench_scale.py --repos 10000 --concurrency 500 --duration 1 --browser

Measured on the 2-core box (2026-12-01, session 4; README "Large batches" quotes them):
    10,000 x C 500 x 1 s: all dry_run, wall 222 s (CPU-bound: aodfix and both emulators on
      2 cores; peak active 249: sessions wait for the git work), 24.6 ms CPU/repo (aodfix
      16.1), peak RSS 206 MiB; report.json 9.4 MiB, report.html 4.9 MiB (loaded 0.33 s,
      paged, filtered and a patch opened 0.60 s), report.md 3.2 MiB.
    1,000 x C 100 x 5 s (five runs on the final code): wall 53.3-53.8 s = 1.040-1.046 x
      the observed ideal (mean session 5.12-5.15 s), 1.066-1.076 x 50 s; 23.9-27.6 ms
      CPU/repo (aodfix 15.2-18.0, its git 8.6-9.7; the machine's noise is +-3 ms); 3.00 AoD
      requests/session; 1 GitHub REST read, 2 git requests per repository. Where the rest
      goes: ~0.55 s start-up (imports, preflights), ~0.6 s for the first wave's lookups,
      ~0.6 s from the last deletion to exit (its checks, the reports), and each wave's
      hand-over while 100 sessions end at once.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchkit import (
    POLL_INTERVAL,
    github_calls,
    mean_session,
    run_aodfix,
    scenario,
    sizes,
    statuses,
    template,
    write_manifest,
)

from aodfix.emulator.stack import emulator_stack

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--browser", action="store_true", help="Time report.html in Chromium.")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="aodfix-bench-") as scratch:
        root = Path(scratch)
        with emulator_stack(
            root / "emulators",
            scenario=scenario(args.duration),
            light=True,
            max_active=args.concurrency,
            poll_interval=POLL_INTERVAL,
        ) as stack:
            names = [f"bench/repo-{i:05d}" for i in range(args.repos)]
            seeding = time.monotonic()
            stack.github.create_repositories_from_template(names, template(root))
            seeded = time.monotonic() - seeding
            manifest = write_manifest(root / "bench.yml", names, concurrency=args.concurrency)
            report_dir = root / "report"
            env = {**stack.environment(), "CI": "true"}
            run = ["apply", str(manifest), "--dry-run", "--quiet", "--report-dir", str(report_dir)]
            measured = run_aodfix(run, env, root / "aodfix.log")
            stats = stack.aod.stats
            aod_requests = sum(stats.requests.values()) / max(stats.created, 1)
            github = github_calls(stack.github, args.repos)
        counts = statuses(report_dir)
        waves = math.ceil(args.repos / args.concurrency)
        ideal = waves * args.duration
        observed = waves * mean_session(report_dir)
        print(
            f"repos {args.repos} C {args.concurrency} session {args.duration:g} s"
            f" | exit {measured.exit_code} {dict(counts)}"
            f" | wall {measured.wall:.1f} s ideal {ideal:.1f} s ratio {measured.wall / ideal:.3f}"
            f" (observed sessions: ideal {observed:.1f} s ratio {measured.wall / observed:.3f})"
            f" | cpu {1000 * measured.cpu / args.repos:.1f} ms/repo"
            f" ({1000 * measured.own_cpu / args.repos:.1f} own)"
            f" | rss {measured.rss_mib:.0f} MiB"
            f" | aod {aod_requests:.2f} requests/session, peak {stats.peak_active}"
            f" | {github} | {sizes(report_dir)} | seeded in {seeded:.1f} s"
        )
        if measured.exit_code != 0 or counts["dry_run"] != args.repos:
            print(measured.output, file=sys.stderr)
            return 1
        if args.browser:
            print(browse(report_dir / "report.html", args.repos))
    return 0


def browse(page_path: Path, repos: int) -> str:
    """Open report.html, filter it to failures and back, expand the first patch; timed."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            started = time.monotonic()
            page.goto(page_path.as_uri())
            loaded = time.monotonic() - started
            interactive = exercise(page)
            took = time.monotonic() - started
            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / f"bench-report-{repos}.png"
            page.screenshot(path=str(shot))
        finally:
            browser.close()
    return (
        f"report.html: loaded in {loaded:.2f} s, {interactive},"
        f" interactive after {took:.2f} s ({shot})"
    )


def exercise(page: Any) -> str:
    """What a reviewer does first: next page, search down to one repository, open its
    patch and read a changed line."""
    page.click(".controls .pager .next")
    page.wait_for_selector("text=page 2 of")
    page.fill("#filter", "repo-00042")
    page.wait_for_function("document.querySelector('#shown').textContent.startsWith('1 of')")
    page.click("button.toggle")
    added = page.wait_for_selector("tr.detail .diff .ln-add")
    line = added.text_content().strip()
    if "VALUE = 2" not in line:
        raise AssertionError(f"the expanded patch shows {line!r}")
    return f"paged, filtered to 1 row and opened its patch ({line!r})"


if __name__ == "__main__":
    sys.exit(main())
