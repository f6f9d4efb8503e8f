"""Write the report files, also for an interrupted batch, and the Actions job summary."""

from __future__ import annotations

import json
from pathlib import Path

from aodfix.redact import redact
from aodfix.report.html import render_html
from aodfix.report.markdown import render_markdown
from aodfix.report.models import Report


def write_reports(
    report: Report, report_dir: Path, *, step_summary: Path | None = None
) -> dict[str, Path]:
    """Write ``report.json``, ``report.md`` and ``report.html`` (redacted, atomically);
    ``step_summary``: the Actions job summary file, which gets report.md appended."""
    report_dir.mkdir(parents=True, exist_ok=True)
    markdown = render_markdown(report)
    paths = {
        "json": _write(report_dir / "report.json", json.dumps(report.to_dict(), indent=2)),
        "md": _write(report_dir / "report.md", markdown),
        "html": _write(report_dir / "report.html", render_html(report)),
    }
    if step_summary is not None:
        with step_summary.open("a", encoding="utf-8") as handle:
            handle.write(redact(markdown) + "\n")
    return paths


def _write(path: Path, text: str) -> Path:
    scratch = path.with_name(path.name + ".tmp")
    scratch.write_text(redact(text) + ("" if text.endswith("\n") else "\n"), encoding="utf-8")
    scratch.replace(path)
    return path
