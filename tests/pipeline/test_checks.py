"""The policy stage on its own: a patch is parsed and held to the manifest's policy, with
the diffstat kept for the report also when the patch is refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from aodfix.errors import StageError
from aodfix.patch import Diffstat
from aodfix.pipeline.agent import AgentResult
from aodfix.pipeline.checks import check_patch
from aodfix.pipeline.context import Context
from aodfix.report.models import Stage

MANIFEST = """\
version: 1
name: checks
prompt: Fix it.
policy:
  forbidden_paths: [".github/**"]
repositories: [acme/api]
"""


def _patch(path: str) -> bytes:
    return (
        f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-old\n+new\n"
    ).encode()


@pytest.fixture
def context(offline_context: Callable[[str], Context]) -> Context:
    return offline_context(MANIFEST)  # the stage reads only the manifest's policy


def _agent(patch: bytes) -> AgentResult:
    return AgentResult(patch, "ses_1", 1, None, None, None, 0.0, 1.0)


async def test_an_allowed_patch_passes_with_its_diffstat(context: Context) -> None:
    checked = check_patch(context, _agent(_patch("app.py")))
    assert checked.diffstat == Diffstat(1, 1, 1)


async def test_a_forbidden_path_fails_at_policy_keeping_the_diffstat(context: Context) -> None:
    with pytest.raises(StageError) as failure:
        check_patch(context, _agent(_patch(".github/workflows/ci.yml")))
    assert failure.value.stage is Stage.POLICY
    assert ".github/workflows/ci.yml" in failure.value.message
    assert failure.value.facts == {"diffstat": Diffstat(1, 1, 1)}


async def test_text_that_is_not_a_diff_fails_at_policy_in_one_line(context: Context) -> None:
    with pytest.raises(StageError) as failure:
        check_patch(context, _agent(b"diff --git a/x\n@@ nonsense\n"))
    assert failure.value.message.startswith("the patch is not a valid git diff")
    assert "\n" not in failure.value.message
