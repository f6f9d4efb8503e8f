"""Stage ``policy``, on the patch itself: a valid git diff, within the manifest's policy.

The tree git writes is checked again at ``publish`` (what a diff's text can hide: modes,
symlinks, submodules, sizes after apply).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aodfix.errors import StageError
from aodfix.patch import Diffstat, PatchFormatError, check_policy, inspect_patch
from aodfix.pipeline.agent import AgentResult
from aodfix.pipeline.context import Context
from aodfix.report.models import Stage


@dataclass(frozen=True)
class CheckedPatch:
    patch: bytes
    diffstat: Diffstat

    def facts(self) -> Mapping[str, Any]:
        return {"diffstat": self.diffstat}


def check_patch(context: Context, agent: AgentResult) -> CheckedPatch:
    """Raises StageError (failed at policy) naming at most three violations."""
    patch = agent.patch or b""
    try:
        summary = inspect_patch(patch)
    except PatchFormatError as exc:
        raise StageError(Stage.POLICY, f"the patch is not a valid git diff: {exc}") from None
    policy = context.manifest.policy
    violations = check_policy(
        summary,
        patch,
        max_files=policy.max_files,
        max_patch_bytes=policy.max_patch_bytes,
        forbidden_paths=policy.forbidden_paths,
        max_file_bytes=policy.max_file_bytes,
    )
    if violations:
        facts = {"diffstat": summary.diffstat}
        raise StageError(Stage.POLICY, violation_list(violations), facts=facts)
    return CheckedPatch(patch, summary.diffstat)


def violation_list(found: Sequence[str]) -> str:
    """Violations as one line: the first three, then how many more."""
    more = f" (+{len(found) - 3} more)" if len(found) > 3 else ""
    return "; ".join(found[:3]) + more
