"""The policy decides on what git writes, not on what the patch text says: spellings that
git normalises, lookalike names, symlink chains, submodules and big files are refused at
stage policy and nothing is pushed; a mode change is allowed but shown to reviewers."""

from __future__ import annotations

from typing import Any

from conftest import MakeStack

from aodfix.patch import render_patch_block

FILES = {"README.md": "# x\n", "tool.sh": "echo hi\n"}


def _doubled_slash_patch() -> bytes:
    path = ".github//workflows/evil.yml"  # git apply writes .github/workflows/evil.yml
    return (
        f"diff --git a/x.yml b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
        "@@ -0,0 +1 @@\n+on: push\n"
    ).encode()


def _write(path: str, content: str = "on: push\n") -> dict[str, Any]:
    return {"edits": [{"write": path, "content": content}]}


def _run(command: str) -> dict[str, Any]:
    return {"edits": [{"run": command}]}


SCRIPTS: dict[str, dict[str, Any]] = {
    "acme/case": _write(".GitHub/Workflows/evil.yml"),
    "acme/lookalike": _write(".githu\u0185/workflows/evil.yml"),
    "acme/trailing": _write("README.md "),
    "acme/invisible": _write("READ\u200bME.md"),
    "acme/chain": _run("ln -s . a && ln -s a/a/a/../../../etc/passwd leak"),
    "acme/through": _run("ln -s .github/workflows w && mkdir -p .github && echo x > notes"),
    "acme/gitlink": _run(
        "git init -q sub && git -C sub -c user.name=a -c user.email=a@b commit -q"
        " --allow-empty -m x && git add sub"
    ),
    "acme/big": _run("head -c 6000000 /dev/zero > blob.bin"),
    "acme/exec": _run("chmod +x tool.sh"),
}
REFUSED = {
    "acme/slash": "forbidden by policy pattern",
    "acme/case": "forbidden by policy pattern",
    "acme/lookalike": "looks like '.github'",
    "acme/trailing": "ends with a space or a dot",
    "acme/invisible": "invisible",
    "acme/chain": "leads outside the repository",
    "acme/gitlink": "submodule",
    "acme/big": "more than max_file_bytes=5000000",
}


def test_policy_refuses_what_git_would_write_and_lists_mode_changes(
    make_stack: MakeStack,
) -> None:
    names = ["acme/slash", *SCRIPTS]
    scenario: dict[str, Any] = dict(SCRIPTS)
    stack = make_stack(scenario)
    for name in names:
        stack.add_repository(name, FILES)
    base = stack.github.branch_sha("acme/slash", "main")
    assert base is not None
    forged = render_patch_block(_doubled_slash_patch(), base)
    scenario["acme/slash"] = {"forget_collect": True, "result": f"Done.\n{forged}"}
    stack.aod.set_scenario(scenario)

    run = stack.apply(stack.manifest(names, concurrency=5))
    results = run.results()
    for name, reason in REFUSED.items():
        result = results[name]
        assert (result["status"], result["error"]["stage"]) == ("failed", "policy"), (name, result)
        assert reason in result["error"]["message"], (name, result["error"]["message"])
        assert stack.github.branch_sha(name, "aodfix/e2e-fix") is None, name  # nothing pushed
    assert results["acme/through"]["status"] == "pr_opened"  # a symlink alone writes nothing
    exec_result = results["acme/exec"]
    assert exec_result["status"] == "pr_opened", exec_result
    assert exec_result["notes"] == ["executable: tool.sh (100644 → 100755)"]
    (body,) = [b for b in stack.pull_bodies() if "tool.sh" in b]
    assert "executable: tool.sh (100644 → 100755)" in body
