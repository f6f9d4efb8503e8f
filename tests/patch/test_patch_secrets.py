"""Credentials in added lines: the run's own tokens (in any encoding) and known formats."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor

from aodfix.patch.secrets import added_lines, find_secrets
from aodfix.redact import encoded_forms

RUN_TOKEN = "ghp_run_token_for_secret_scan_0123456789"


def _patch(path: str, *added: str, context: str = "keep") -> bytes:
    body = "".join(f"+{line}\n" for line in added)
    return (
        f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n"
        f"@@ -1,2 +1,{2 + len(added)} @@\n {context}\n{body} {context}\n"
    ).encode()


def test_added_lines_carry_their_new_line_numbers() -> None:
    assert list(added_lines(_patch("a.txt", "x", "y"))) == [("a.txt", 2, "x"), ("a.txt", 3, "y")]


def test_a_known_format_is_found_with_file_and_line() -> None:
    (finding,) = find_secrets(_patch("conf/aws.ini", "key = AKIAZ3MHALV2WXYZ1234"), [])
    assert (finding.path, finding.line, finding.kind) == ("conf/aws.ini", 2, "AWS Access Key")
    assert finding.value == "AKIAZ3MHALV2WXYZ1234"


def test_the_runs_own_token_is_found_verbatim_and_base64d() -> None:
    encoded = base64.b64encode(RUN_TOKEN.encode()).decode()
    forms = encoded_forms(RUN_TOKEN)
    assert [f.line for f in find_secrets(_patch("x", "t=" + RUN_TOKEN), forms)] == [2]
    assert [f.kind for f in find_secrets(_patch("x", encoded), forms)] == ["a token of this run"]


def test_lockfile_hashes_and_ordinary_code_are_not_secrets() -> None:
    patch = _patch(
        "package-lock.json",
        '"integrity": "sha512-v2kDEe57lecTulaDIuNTPy3Ry4gLGJ6Z1O3vE1krgXZNrsQ+5wdYH0yWaZUeg=="',
        'password = os.environ["DB_PASSWORD"]',
        "commit = 3f786850e387550fdab836ed7e6dc881de23001b",
    )
    assert find_secrets(patch, []) == []


def test_an_added_line_that_looks_like_a_file_header_is_still_an_added_line() -> None:
    patch = _patch("a.txt", "++ AKIAZ3MHALV2WXYZ1234")
    assert [(f.path, f.line) for f in find_secrets(patch, [])] == [("a.txt", 2)]


def test_the_runs_token_base64d_at_any_byte_offset_is_found() -> None:
    forms = encoded_forms(RUN_TOKEN)
    for prefix in (b"", b"x", b"xy"):
        shifted = base64.b64encode(prefix + RUN_TOKEN.encode() + b"\n").decode()
        assert find_secrets(_patch("x", shifted), forms), prefix


def test_scans_from_many_threads_at_once_each_use_the_format_plugins_alone() -> None:
    # The git pool scans several repositories' patches at the same time.
    patch = _patch(
        "settings.py",
        "KEY = 'AKIAZ3MHALV2WXYZ1234'",
        "SALT = '8f14e45fceea167a5a36dedd4bea2543a1b2c3d4e5f60718293a4b5c6d7e8f90'",
        "password = 'hunter2-but-longer'",
    )

    def scan(_: int) -> list[tuple[int, str]]:
        return [(f.line, f.kind) for f in find_secrets(patch, [])]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(scan, range(400)))
    assert all(found == [(2, "AWS Access Key")] for found in results)
