"""Stage ``verify``: the repository's own checks, as the session ran them, decide.

The results come from the verify block the collect command printed (exit codes it
measured, never the agent's prose), after at most ``rounds`` feedback turns. A check that
fails on the untouched base too does not count against the change. A change that still
fails is ``failed`` at verify, or with ``on_failure: draft`` becomes a draft PR labelled
``aodfix:verify-failed``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aodfix.errors import StageError
from aodfix.pipeline.agent import AgentResult
from aodfix.pipeline.context import Context
from aodfix.pipeline.resolve import Resolved
from aodfix.report.models import Stage

FAILED_LABEL = "aodfix:verify-failed"


@dataclass(frozen=True)
class Verified:
    resolved: Resolved  # the job as it goes on: a draft with the label if the checks failed

    def facts(self) -> Mapping[str, Any]:
        return {}


def check_verification(context: Context, resolved: Resolved, agent: AgentResult) -> Verified:
    """Raises StageError (failed at verify) unless every check passed or ``on_failure`` is
    draft."""
    del context  # the results and the settings travel with the job
    settings, record = resolved.job.verify, agent.verify
    if settings is None:
        return Verified(resolved)
    if record is None:
        raise StageError(Stage.VERIFY, "the session returned no check results")
    failing = [c for c in record.commands if c.blames_the_change]
    if not failing:
        return Verified(resolved)
    if settings.on_failure == "draft":
        job = resolved.job
        labels = job.labels if FAILED_LABEL in job.labels else (*job.labels, FAILED_LABEL)
        job = dataclasses.replace(job, draft=True, labels=labels)
        return Verified(dataclasses.replace(resolved, job=job))
    first = failing[0]
    code = "no exit code" if first.exit_code is None else f"exit {first.exit_code}"
    more = f" (+{len(failing) - 1} more failing)" if len(failing) > 1 else ""
    rounds = f"after {record.rounds} feedback turn{'' if record.rounds == 1 else 's'}"
    raise StageError(Stage.VERIFY, f"`{first.command}` failed ({code}) {rounds}{more}")
