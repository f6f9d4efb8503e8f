"""Benchmark: how close ``aodfix apply`` keeps the AoD quota to full.

Runs N repositories x fixed-duration scripted sessions at concurrency C against the local
emulators and prints wall time, the ideal time ceil(N/C) x duration, their ratio, AoD
requests per session and aodfix's peak RSS. Not collected by pytest; run on demand:

    python tests/benchmarks/bench_apply.py --repos 200 --concurrency 20 --duration 2
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from aodfix.emulator.aod import AodEmulator
from aodfix.emulator.github import GitHubEmulator

AOD_TOKEN = "aod_benchmark_token_0123456789"
GITHUB_TOKEN = "ghp_benchmark_token_0123456789"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--duration", type=float, default=2.0)
    parser.add_argument("--dry-run", action="store_true", help="Skip pushes and PRs.")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="aodfix-bench-") as scratch:
        root = Path(scratch)
        scenario = {
            "default": {
                "delay": args.duration,
                "edits": [{"replace": "app.py", "old": "1", "new": "2"}],
            }
        }
        github = GitHubEmulator(root / "github", tokens=(GITHUB_TOKEN,))
        github.start()
        aod = AodEmulator(
            root / "aod",
            tokens=(AOD_TOKEN,),
            scenario=scenario,
            git_base_urls=(github.server_url,),
            max_active=1000,
        )
        aod.start()
        try:
            source = root / "source"
            source.mkdir()
            (source / "app.py").write_text("VALUE = 1\n")
            names = [f"bench/repo-{i:04d}" for i in range(args.repos)]
            for name in names:
                github.create_repository(name, source)
            manifest = root / "bench.yml"
            manifest.write_text(
                yaml.safe_dump(
                    {
                        "version": 1,
                        "name": "bench",
                        "prompt": "Change the value.",
                        "timeout": 600,
                        "concurrency": args.concurrency,
                        "repositories": names,
                    }
                )
            )
            env = {
                **os.environ,
                "AOD_API_URL": aod.url,
                "AOD_API_TOKEN": AOD_TOKEN,
                "AOD_AGENT_ID": aod.create_agent(),
                "GITHUB_API_URL": github.api_url,
                "GITHUB_SERVER_URL": github.server_url,
                "GITHUB_TOKEN": GITHUB_TOKEN,
                "AODFIX_GITHUB_WRITE_INTERVAL": "0",
                "CI": "true",
            }
            command = [
                sys.executable,
                "-m",
                "aodfix",
                "apply",
                str(manifest),
                "--quiet",
                "--report-dir",
                str(root / "report"),
            ]
            if args.dry_run:
                command.append("--dry-run")
            log = root / "aodfix.log"
            started = time.monotonic()
            with log.open("w") as output:
                process = subprocess.Popen(command, env=env, stdout=output, stderr=output)
                # wait4 gives this process's own rusage (and its git children's), not the
                # emulator's agent processes, which are children of this script too.
                _, status, usage = os.wait4(process.pid, 0)
            wall = time.monotonic() - started
            returncode = os.waitstatus_to_exitcode(status)
            stats = aod.stats
            requests = sum(stats.requests.values())
            report = json.loads((root / "report" / "report.json").read_text())
            sessions = [r["timings"]["session"] for r in report["results"]]
            outside = sorted(
                r["timings"]["total"] - r["timings"]["queued"] - r["timings"]["session"]
                for r in report["results"]
            )
            tail = log.read_text()[-2000:]
        finally:
            aod.stop()
            github.stop()
    ideal = math.ceil(args.repos / args.concurrency) * args.duration
    # The emulator's sessions take longer than the scripted delay (clone, agent start,
    # collect command); this ideal uses the session time aodfix actually observed.
    observed_ideal = sum(sessions) / args.concurrency
    print(f"repositories     {args.repos}")
    print(f"concurrency      {args.concurrency}")
    print(f"session duration {args.duration:g} s")
    print(f"exit code        {returncode}")
    print(f"wall time        {wall:.1f} s")
    print(f"ideal time       {ideal:.1f} s")
    print(f"ratio            {wall / ideal:.2f}")
    print(f"mean session     {sum(sessions) / len(sessions):.2f} s (as observed by aodfix)")
    print(
        f"observed ideal   {observed_ideal:.1f} s = sum(session) / C;"
        f" ratio {wall / observed_ideal:.2f}"
    )
    print(f"peak active      {stats.peak_active}")
    print(
        f"outside session  median {outside[len(outside) // 2]:.2f} s, max {outside[-1]:.2f} s"
        " (resolve before, verify/push/PR after, per repository)"
    )
    print(f"AoD requests     {requests} ({requests / max(stats.created, 1):.2f} per session)")
    for endpoint, count in sorted(stats.requests.items()):
        print(f"  {endpoint:28} {count}")
    print(f"aodfix peak RSS  {usage.ru_maxrss / 1024:.0f} MiB")
    print(f"aodfix CPU       {usage.ru_utime + usage.ru_stime:.1f} s (with its git commands)")
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    emulators = own.ru_utime + own.ru_stime
    agents = children.ru_utime + children.ru_stime - (usage.ru_utime + usage.ru_stime)
    print(
        f"emulators CPU    {emulators:.1f} s in-process, {agents:.1f} s in agents and git"
        f" ({os.cpu_count()} CPUs x {wall:.0f} s = {(os.cpu_count() or 1) * wall:.0f} CPU-s)"
    )
    if returncode != 0:
        print(tail, file=sys.stderr)
    return returncode


if __name__ == "__main__":
    sys.exit(main())
