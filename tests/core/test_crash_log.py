"""An unexpected error: one line naming a private log file, never a traceback on screen."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

# A command whose module does not exist: the top-level handler's "unexpected error" path.
CRASH = "import aodfix.cli as c; c.COMMANDS['boom'] = 'no_such_module'; c.main(['boom'])"


def test_crash_log_is_a_new_private_file_in_a_private_folder(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "AODFIX_LOG_DIR"}
    done = subprocess.run(
        [sys.executable, "-c", CRASH],
        env={**env, "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    first, second = done.stderr.strip().splitlines()
    assert first.startswith("aodfix: an unexpected error has occurred (ModuleNotFoundError")
    log = Path(second.removeprefix("aodfix: the full traceback is in "))
    assert log.parent.parent == tmp_path  # a folder of its own, not the shared temp folder
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(log.lstat().st_mode) == 0o600
    assert not log.is_symlink()
    assert "no_such_module" in log.read_text()
