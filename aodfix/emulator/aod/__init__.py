"""A local Agent on Demand: the service's HTTP API, SSE stream and quota on 127.0.0.1,
with sessions that clone real repositories and run a scripted (or any local) agent.

The names are imported lazily: the scripted agent runs as a module of this package in
every turn's process and must not pay for the server's imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aodfix.emulator.aod.emulator import AodEmulator, EmulatorStats
    from aodfix.emulator.aod.faults import Faults
    from aodfix.emulator.aod.scenario import RepositoryScript, Scenario, TurnScript

__all__ = ["AodEmulator", "EmulatorStats", "Faults", "RepositoryScript", "Scenario", "TurnScript"]

_HOMES = {
    "AodEmulator": "emulator",
    "EmulatorStats": "emulator",
    "Faults": "faults",
    "RepositoryScript": "scenario",
    "Scenario": "scenario",
    "TurnScript": "scenario",
}


def __getattr__(name: str) -> Any:
    module = _HOMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
