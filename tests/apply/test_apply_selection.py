"""A selecting manifest through ``apply``: the selection is recorded in the report and kept
beside the state file, and ``--resume`` runs that same set after an interruption, even when
the organisation has gained a repository meanwhile."""

from __future__ import annotations

import json
import signal

from conftest import MakeStack
from stack import wait_for

FILES = {"greet.py": 'print("Helo")\n'}
FIX = {"edits": [{"replace": "greet.py", "old": "Helo", "new": "Hello"}], "delay": 4}
NAMES = ["acme/a", "acme/b", "acme/c"]


def test_resume_after_an_interrupt_runs_the_stored_selection(make_stack: MakeStack) -> None:
    stack = make_stack({"default": FIX})
    for name in NAMES:
        stack.add_repository(name, FILES)
    manifest = stack.manifest([{"select": {"org": "acme"}}], name="sel", concurrency=3)

    dry = stack.apply(manifest, "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    (hit,) = dry.report["selection"]
    line = manifest.read_text().splitlines().index("- select:") + 1
    assert hit == {"at": f"{manifest}:{line}", "selector": {"org": "acme"}, "repositories": NAMES}
    assert set(dry.statuses()) == set(NAMES)
    assert "Selection: 1 selector, 3 repositories" in (dry.report_dir / "report.md").read_text()

    process = stack.start(manifest)
    try:
        wait_for(lambda: stack.aod.stats.active == 3, timeout=60)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    stack.add_repository("acme/d", FILES)  # the organisation grows before the resume

    resumed = stack.apply(manifest, "--resume")
    assert resumed.exit_code == 0, resumed.stderr
    assert resumed.statuses() == dict.fromkeys(NAMES, "pr_opened")
    assert resumed.report["selection"][0]["repositories"] == NAMES
    stored = json.loads((resumed.report_dir / "sel.selection.json").read_text())
    assert stored[0]["repositories"] == NAMES
    assert list(stack.aod.stats.undeleted) == []
