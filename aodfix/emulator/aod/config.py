"""The emulator's settings: one frozen value shared by the routes, the streams and the runner."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

RecordShape = Literal["sdk010", "current"]
Truncation = Literal["middle", "preview"]
# "synthesized": one made-up terminal event per connection reusing the last row id, as the
# service does; "stored": each turn's ending stored as a row with an id of its own, as a
# plausible other server might (clients must survive both).
TerminalEvents = Literal["synthesized", "stored"]

SERVICE_STALE_AFTER = 600.0  # seconds without new rows before the service sends ``stale``


@dataclass(frozen=True)
class EmulatorConfig:
    data_dir: Path
    tokens: tuple[str, ...]
    max_active: int
    agent_command: tuple[str, ...] | None
    record_shape: RecordShape
    heartbeat_interval: float
    stale_after: float
    poll_interval: float
    truncation: Truncation
    output_limit: int
    git_base_urls: tuple[str, ...]
    timeout_scale: float = 1.0  # tests shrink per-turn timeouts (the API still says 10..3600)
    terminal_events: TerminalEvents = "synthesized"

    @property
    def sessions_dir(self) -> Path:
        return self.data_dir / "sessions"
