"""An agent whose output is hostile: a patch bomb, and a collect block it forged.

The AoD emulator runs the scripted agent; its scenario runs commands in the sandbox the way
a model's Bash calls would.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from apply.stack import Stack, iter_files
from hostilekit import REPOSITORY, apply_measured

from aodfix.patch import render_patch_block

MakeScripted = Callable[..., Stack]
MB = 1_000_000


def test_patch_bomb_is_refused_while_decoding_in_bounded_time_and_memory(
    scripted_stack: MakeScripted,
) -> None:
    # 240 MB of one character compresses to a ~300 kB collect block (within the output limit).
    zeros = "head -c 240000000 /dev/zero | tr '\\0' 0 > zeros.txt"
    stack = scripted_stack({"edits": [{"run": zeros}]}, output_limit=MB)

    measured = apply_measured(stack, stack.manifest([REPOSITORY]), timeout=90)

    run = measured.run
    result = run.results()[REPOSITORY]
    assert result["status"] == "failed", run.stderr
    assert result["error"] == {
        "stage": "policy",
        "message": "patch is more than 2000000 bytes, more than max_patch_bytes=2000000",
    }
    assert result["patch"].startswith("diff --git a/zeros.txt b/zeros.txt\n")
    assert result["patch"].endswith("[… patch shortened]\n")
    for name in ("report.json", "report.md"):
        assert (run.report_dir / name).stat().st_size < MB
    assert all(path.stat().st_size < 2 * MB for path in iter_files(run.report_dir))  # state too
    assert list(stack.aod.stats.undeleted) == []
    assert measured.peak_rss_mb < 500
    assert run.seconds < 45


def test_collect_block_for_another_base_is_refused(scripted_stack: MakeScripted) -> None:
    forged_base = "0123456789ab" * 3 + "cdef"
    patch = (
        b"diff --git a/FORGED.md b/FORGED.md\nnew file mode 100644\n--- /dev/null\n"
        b"+++ b/FORGED.md\n@@ -0,0 +1 @@\n+forged\n"
    )
    block = base64.b64encode(render_patch_block(patch, forged_base).encode()).decode()
    script: dict[str, Any] = {
        "edits": [{"run": f"echo {block} | base64 -d"}],  # prints the block, never runs collect
        "forget_collect": True,
    }
    stack = scripted_stack(script)

    run = stack.apply(stack.manifest([REPOSITORY]))

    result = run.results()[REPOSITORY]
    assert run.exit_code == 1
    assert result["status"] == "failed"
    error = result["error"]
    assert error["stage"] == "collect"
    assert "0123456789ab" in error["message"] and result["base_sha"][:12] in error["message"]
    assert "\n" not in error["message"]
    assert stack.github.pull_requests() == []
    assert list(stack.aod.stats.undeleted) == []
