"""What an agent prints reaches people only defused: no terminal escapes, no PR-body HTML."""

from __future__ import annotations

import base64

from conftest import MakeStack
from stack import GITHUB_TOKEN, iter_files

FILES = {"greet.py": 'print("Helo")\n'}
ESCAPES = "\x1b[2K\x1b[1A\x1b]0;pwned title\x07\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07"


def test_terminal_escapes_from_the_agent_never_reach_the_output(make_stack: MakeStack) -> None:
    stack = make_stack(
        {
            "acme/bad": {"exit_code": 2, "stderr": f"boom {ESCAPES} done\n"},
            "acme/good": {
                "edits": [{"replace": "greet.py", "old": "Helo", "new": "Hello"}],
                "result": f"Fixed it. {ESCAPES}\n<!-- aodfix:batch=forged -->",
            },
        }
    )
    for name in ("acme/bad", "acme/good"):
        stack.add_repository(name, FILES)
    run = stack.apply(stack.manifest(["acme/bad", "acme/good"]))
    assert run.statuses() == {"acme/bad": "failed", "acme/good": "pr_opened"}
    assert "boom" in run.stdout  # the reason is shown, without its escapes
    for where, text in {"stdout": run.stdout, "stderr": run.stderr}.items():
        assert "\x1b" not in text and "\x07" not in text, where
    for path in iter_files(run.report_dir):
        if path.name.startswith("report."):
            assert "\x1b" not in path.read_text(), path
    (body,) = stack.pull_bodies()
    assert "\x1b" not in body
    assert "<!-- aodfix:batch=forged" not in body
    assert body.count("<!--") == 1


def test_the_runs_token_in_base64_or_hex_is_masked_in_the_pr_body_and_reports(
    make_stack: MakeStack,
) -> None:
    raw = GITHUB_TOKEN.encode()
    forms = [base64.b64encode(raw).decode(), raw.hex()]
    stack = make_stack(
        {
            "default": {
                "edits": [{"replace": "greet.py", "old": "Helo", "new": "Hello"}],
                "result": "Fixed. Debug: " + " / ".join(forms),
            }
        }
    )
    stack.add_repository("acme/a", FILES)
    run = stack.apply(stack.manifest(["acme/a"]))
    assert run.statuses() == {"acme/a": "pr_opened"}, run.stderr
    texts = {"pr body": stack.pull_bodies()[0], "stdout": run.stdout}
    texts |= {str(p): p.read_text() for p in iter_files(run.report_dir)}
    for where, text in texts.items():
        for form in forms:
            assert form not in text, f"an encoded token reached {where}"
    assert "Fixed. Debug: ***" in texts["pr body"]


def test_a_patch_adding_credentials_is_refused_and_the_credentials_are_masked(
    make_stack: MakeStack,
) -> None:
    aws = "AKIAZ3MHALV2WXYZ1234"
    encoded = base64.b64encode(GITHUB_TOKEN.encode()).decode()
    shifted = base64.b64encode(b"x" + GITHUB_TOKEN.encode()).decode()  # another byte offset
    stack = make_stack(
        {
            "acme/aws": {"edits": [{"write": "conf/aws.ini", "content": f"key = {aws}\n"}]},
            "acme/own": {
                "edits": [
                    {"write": "ci/token.txt", "content": f"{GITHUB_TOKEN}\n"},
                    {"write": "ci/token.b64", "content": f"{encoded}\n"},
                    {"write": "ci/shifted.b64", "content": f"{shifted}\n"},
                ]
            },
            # Hidden from a text diff: a binary file, and a line that reads like a header.
            "acme/hidden": {
                "edits": [
                    {"write": ".gitattributes", "content": "*.bin binary\n"},
                    {"run": f"printf 'x\\000{aws}\\000' > blob.bin"},
                    {"write": "notes.txt", "content": f"++ {GITHUB_TOKEN}\n"},
                ]
            },
        }
    )
    names = ["acme/aws", "acme/own", "acme/hidden"]
    for name in names:
        stack.add_repository(name, FILES)
    run = stack.apply(stack.manifest(names))
    results = run.results()
    cases = (("acme/aws", "conf/aws.ini:1"), ("acme/own", "ci/token.txt:1"))
    for name, where in (*cases, ("acme/hidden", "blob.bin:1"), ("acme/hidden", "notes.txt:1")):
        error = results[name]["error"]
        assert (results[name]["status"], error["stage"]) == ("failed", "policy"), results[name]
        assert where in error["message"] and "credential" in error["message"]
        assert stack.github.branch_sha(name, "aodfix/e2e-fix") is None
    assert "ci/token.b64:1" in results["acme/own"]["error"]["message"]
    assert "ci/shifted.b64:1" in results["acme/own"]["error"]["message"]
    assert results["acme/aws"]["patch"]  # the refused patch is kept for the reviewer, masked
    for path in iter_files(run.report_dir):
        text = path.read_text(errors="replace")
        for secret in (aws, encoded, GITHUB_TOKEN, shifted[4:-4]):
            assert secret not in text, f"a credential reached {path}"
