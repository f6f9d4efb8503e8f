"""``AOD_API_URL`` pointed at a server that is not Agent on Demand is named as such, not as
a missing agent; the real AoD (its emulator) still says which agent it lacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import MakeStack

MANIFEST = "version: 1\nname: cfg\nprompt: Fix it.\nrepositories: [acme/api]\n"
AGENT = "7d3c6a0e-0000-4000-8000-000000000000"


@contextmanager
def serving(status: int, content_type: str, body: str) -> Iterator[str]:
    """A server that answers every GET alike: what a wrong AOD_API_URL often reaches."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def apply(tmp_path: Path, url: str) -> subprocess.CompletedProcess[str]:
    manifest = tmp_path / "m.yml"
    manifest.write_text(MANIFEST)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AOD_", "GITHUB_", "GH_"))}
    env = {
        **base,
        "AOD_API_URL": url,
        "AOD_API_TOKEN": "aod_x_not_a_real_token_1234567",
        "AOD_AGENT_ID": AGENT,
        "GITHUB_TOKEN": "ghp_x_not_a_real_token_1234567",
    }
    command = [sys.executable, "-m", "aodfix", "apply", str(manifest), "--report-dir"]
    return subprocess.run(
        [*command, str(tmp_path / "r")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("status", "content_type", "body"),
    [
        (200, "text/html", "<html><body>Welcome to nginx!</body></html>"),
        (200, "application/json", json.dumps({"hello": "world"})),
        (404, "text/html", "<h1>Not Found</h1>"),
        (404, "application/json", json.dumps({"detail": "Not found"})),
    ],
    ids=["html-page", "json-without-an-agent", "404-html", "404-json-without-health"],
)
def test_a_server_that_is_not_aod_is_named_as_such(
    tmp_path: Path, status: int, content_type: str, body: str
) -> None:
    with serving(status, content_type, body) as url:
        done = apply(tmp_path, url)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(
        f"aodfix: the server at {url} does not answer like Agent on Demand ("
    ), lines[0]
    assert lines[0].endswith("; check AOD_API_URL")
    assert not (tmp_path / "r").exists()


def test_the_real_aod_without_the_agent_still_names_the_agent(
    make_stack: MakeStack,
) -> None:
    stack = make_stack()
    stack.add_repository("acme/a", {"a.txt": "a\n"})
    run = stack.apply(stack.manifest(["acme/a"]), AOD_AGENT_ID=AGENT)
    assert run.exit_code == 2
    assert f"agent {AGENT} not found at {stack.aod.url}" in run.stderr
