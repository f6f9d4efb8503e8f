"""Benchmark: the PR phase at GitHub's content-creation limits, scaled down in time.

N light sessions (dry run off) against a GitHub emulator enforcing secondary limits of
``--per-window`` writes per ``--window`` seconds and ``--per-hour`` per ``--hour`` seconds
(the "hour" shortened); aodfix is told the same limits (AODFIX_GITHUB_CONTENT_LIMITS).
Prints one line: PRs opened/failed/deferred, writes per new PR, requests GitHub refused,
and throughput: the time the limits allow for these writes (a greedy schedule under both
windows, from the first write) over the time they took.

    python tests/benchmarks/bench_pull_requests.py --repos 100

Measured on the 2-core box (2026-12-01): 100 PRs under 15/10 s and 60/60 s: 0 failed,
0 refused by GitHub, 1.00 write per new PR, 100 writes in 82.6 s where the limits allow
80.0 s (96.9 % of the limits' throughput; the 60-per-60 s window held the last 40 back).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import deque
from pathlib import Path

from benchkit import POLL_INTERVAL, run_aodfix, scenario, statuses, template, write_manifest

from aodfix.emulator.github import SecondaryLimits
from aodfix.emulator.stack import emulator_stack


def fastest(writes: int, windows: list[tuple[int, float]]) -> float:
    """Seconds from the first to the last of ``writes`` sent as early as the sliding
    windows allow."""
    times: list[float] = []
    recent = [deque[float]() for _ in windows]
    for _ in range(writes):
        slot = times[-1] if times else 0.0
        for (limit, seconds), booked in zip(windows, recent, strict=True):
            if len(booked) >= limit:
                slot = max(slot, booked[-limit] + seconds)
        times.append(slot)
        for booked in recent:
            booked.append(slot)
    return times[-1] - times[0] if times else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--per-window", type=int, default=15)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--per-hour", type=int, default=60)
    parser.add_argument("--hour", type=float, default=60.0)
    parser.add_argument("--labels", action="store_true", help="Labels too: two writes per PR.")
    args = parser.parse_args()

    limits = SecondaryLimits(
        content_per_minute=args.per_window,
        minute_seconds=args.window,
        content_per_hour=args.per_hour,
        hour_seconds=args.hour,
    )
    with tempfile.TemporaryDirectory(prefix="aodfix-bench-") as scratch:
        root = Path(scratch)
        with emulator_stack(
            root / "emulators",
            scenario=scenario(0.5),
            light=True,
            max_active=args.concurrency,
            poll_interval=POLL_INTERVAL,
        ) as stack:
            names = [f"bench/repo-{i:04d}" for i in range(args.repos)]
            stack.github.create_repositories_from_template(names, template(root))
            stack.github.configure_secondary_limits(limits)
            pull_request = {"labels": ["automated"]} if args.labels else {}
            manifest = write_manifest(
                root / "bench.yml", names, concurrency=args.concurrency, pull_request=pull_request
            )
            report_dir = root / "report"
            env = {
                **stack.environment(),
                "CI": "true",
                "AODFIX_GITHUB_CONTENT_LIMITS": (
                    f"{args.per_window}/{args.window:g},{args.per_hour}/{args.hour:g}"
                ),
            }
            run = ["apply", str(manifest), "--quiet", "--report-dir", str(report_dir)]
            measured = run_aodfix(run, env, root / "aodfix.log")
            seen = stack.github.secondary_limit_stats()
            pulls = len(stack.github.pull_requests())
        counts = statuses(report_dir)
        times = seen.content_times
        took = times[-1] - times[0] if len(times) > 1 else 0.0
        allowed = fastest(len(times), [(args.per_window, args.window), (args.per_hour, args.hour)])
        print(
            f"repos {args.repos} limits {args.per_window}/{args.window:g}s"
            f" {args.per_hour}/{args.hour:g}s | exit {measured.exit_code} {dict(counts)}"
            f" | {pulls} PRs, {len(times) / max(pulls, 1):.2f} writes per new PR"
            f" | refused by GitHub {seen.refused_total}"
            f" | writes {len(times)} in {took:.1f} s, the limits allow {allowed:.1f} s:"
            f" throughput {allowed / took if took else 1:.1%} of the limit"
            f" | wall {measured.wall:.1f} s, cpu {measured.cpu:.1f} s"
        )
        if measured.exit_code != 0 or counts.get("pr_opened") != args.repos:
            print(measured.output, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
