"""The GitHub Action's outputs, read from report.json and printed as ``name=value`` lines.

Run as ``python -m aodfix.action_outputs REPORT.json >> "$GITHUB_OUTPUT"``. A missing report
(aodfix stopped before the batch ran) gives empty outputs, so the workflow can still branch.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def outputs(report_path: Path) -> dict[str, str]:
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"report-json": "", "pull-requests": "[]", "failed": ""}
    results = report.get("results") or []
    urls = [
        r["pull_request"]["url"]
        for r in results
        if r.get("pull_request") and r.get("status") in ("pr_opened", "pr_updated", "unchanged")
    ]
    failed = sum(1 for r in results if r.get("status") == "failed")
    return {
        "report-json": str(report_path.resolve()),
        "pull-requests": json.dumps(urls),
        "failed": str(failed),
    }


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m aodfix.action_outputs REPORT.json", file=sys.stderr)
        return 2
    for name, value in outputs(Path(argv[0])).items():
        print(f"{name}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
