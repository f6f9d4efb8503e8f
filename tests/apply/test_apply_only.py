"""``apply --only``: several repositories at once, from the flag or a file."""

from __future__ import annotations

from conftest import MakeStack

FILES = {"greet.py": 'print("Helo")\n'}
FIX = {"edits": [{"replace": "greet.py", "old": "Helo", "new": "Hello"}]}


def test_only_runs_the_comma_separated_and_file_named_repositories(make_stack: MakeStack) -> None:
    stack = make_stack({"default": FIX})
    for name in ("acme/a", "acme/b", "acme/c", "acme/d"):
        stack.add_repository(name, FILES)
    manifest = stack.manifest(["acme/a", "acme/b", "acme/c", "acme/d"])
    listed = stack.root / "repos.txt"
    listed.write_text("acme/d\n")
    run = stack.apply(manifest, "--only", "acme/a,acme/b", "--only", f"@{listed}")
    assert run.exit_code == 0, run.stderr
    assert run.statuses() == {"acme/a": "pr_opened", "acme/b": "pr_opened", "acme/d": "pr_opened"}
