"""A GitHub stand-in on 127.0.0.1: the REST subset aodfix uses, plus real git over HTTP.

Public surface: ``GitHubEmulator`` and the types its methods return; the modules behind
it are private and may move.
"""

from aodfix.emulator.github.emulator import DEFAULT_LOGIN, DEFAULT_TOKEN, GitHubEmulator
from aodfix.emulator.github.faults import Fault, Faults
from aodfix.emulator.github.pulls import MergeRefused
from aodfix.emulator.github.rate_limit import SearchLimits
from aodfix.emulator.github.request_log import LoggedRequest
from aodfix.emulator.github.secondary_limits import Refusal, SecondaryLimits, SecondaryLimitStats
from aodfix.emulator.github.seeding import RepositorySpec
from aodfix.emulator.github.views import GitHubAppView, PullRequestView, TokenView

__all__ = [
    "DEFAULT_LOGIN",
    "DEFAULT_TOKEN",
    "Fault",
    "Faults",
    "GitHubAppView",
    "GitHubEmulator",
    "LoggedRequest",
    "MergeRefused",
    "PullRequestView",
    "Refusal",
    "RepositorySpec",
    "SearchLimits",
    "SecondaryLimitStats",
    "SecondaryLimits",
    "TokenView",
]
