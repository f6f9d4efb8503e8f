"""Everything one emulator's request handlers share, handed to them as one object."""

from __future__ import annotations

from dataclasses import dataclass

from aodfix.emulator.github.access import Access
from aodfix.emulator.github.code_files import FileCache
from aodfix.emulator.github.faults import Faults
from aodfix.emulator.github.rate_limit import RateWindow, SearchRate
from aodfix.emulator.github.request_log import RequestLog
from aodfix.emulator.github.secondary_limits import SecondaryRate
from aodfix.emulator.github.store import Store
from aodfix.emulator.github.urls import Urls


@dataclass(frozen=True)
class EmulatorContext:
    urls: Urls
    store: Store
    access: Access  # every token's scope, and the registered GitHub Apps
    login: str  # the account the constructor's (classic, full-access) tokens belong to
    faults: Faults
    log: RequestLog
    rate: RateWindow  # the core window
    graphql_rate: RateWindow  # POST /api/graphql calls
    search_rate: SearchRate  # each token's search and code_search windows
    secondary: SecondaryRate  # GitHub's secondary limits (off unless configured)
    files: FileCache  # default-branch files, for code search and ``in:readme``
