"""Benchmark: how close ``aodfix apply`` keeps the AoD quota to full, on real sessions.

N repositories x scripted sessions of ``--duration`` seconds at concurrency C against the
full emulators (each session clones its repository and runs the scripted agent: the cost
of an emulated session is real, unlike ``bench_scale``'s light ones). Prints wall time, the
ideal ceil(N/C) x duration and the ideal from the session times aodfix observed, their
ratios, AoD requests per session and aodfix's CPU and peak RSS. Run on demand:

    python tests/benchmarks/bench_apply.py --repos 200 --concurrency 20 --duration 2
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from pathlib import Path

from benchkit import run_aodfix, scenario, template, write_manifest

from aodfix.emulator.stack import emulator_stack


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--duration", type=float, default=2.0)
    parser.add_argument("--dry-run", action="store_true", help="Skip pushes and PRs.")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="aodfix-bench-") as scratch:
        root = Path(scratch)
        with emulator_stack(
            root / "emulators", scenario=scenario(args.duration), max_active=1000
        ) as stack:
            names = [f"bench/repo-{i:04d}" for i in range(args.repos)]
            source = template(root)
            for name in names:
                stack.github.create_repository(name, source)
            manifest = write_manifest(root / "bench.yml", names, concurrency=args.concurrency)
            report_dir = root / "report"
            command = ["apply", str(manifest), "--quiet", "--report-dir", str(report_dir)]
            if args.dry_run:
                command.append("--dry-run")
            measured = run_aodfix(command, {**stack.environment(), "CI": "true"}, root / "log")
            stats = stack.aod.stats
        report = json.loads((report_dir / "report.json").read_text())
    sessions = [r["timings"]["session"] for r in report["results"]]
    ideal = math.ceil(args.repos / args.concurrency) * args.duration
    observed = sum(sessions) / args.concurrency  # the emulator's sessions outlast the delay
    requests = sum(stats.requests.values())
    print(
        f"repos {args.repos} C {args.concurrency} session {args.duration:g} s"
        f" | exit {measured.exit_code} | wall {measured.wall:.1f} s"
        f" ideal {ideal:.1f} s ratio {measured.wall / ideal:.2f}"
        f" | observed ideal {observed:.1f} s ratio {measured.wall / observed:.2f}"
        f" | peak active {stats.peak_active}"
        f" | aod {requests / max(stats.created, 1):.2f} requests/session"
        f" | cpu {1000 * measured.cpu / args.repos:.0f} ms/repo, rss {measured.rss_mib:.0f} MiB"
    )
    if measured.exit_code != 0:
        print(measured.output, file=sys.stderr)
    return measured.exit_code


if __name__ == "__main__":
    sys.exit(main())
