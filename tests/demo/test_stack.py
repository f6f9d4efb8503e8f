"""``emulator_stack``: both emulators wired together, reachable through the environment it
gives aodfix, and gone (ports and temporary data) once it is left, however it is left."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aod import Client
from github import Auth, Github

from aodfix.emulator.stack import EmulatorStack, emulator_stack


def _listening(url: str) -> bool:
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    with socket.socket() as probe:
        return probe.connect_ex((parts.hostname, parts.port)) == 0


def _urls(stack: EmulatorStack) -> list[str]:
    return [stack.aod.url, stack.github.server_url]


def _source(tmp_path: Path) -> Path:
    source = tmp_path / "source"
    source.mkdir()
    (source / "README.md").write_text("# seeded\n")
    return source


def test_its_environment_reaches_both_emulators_and_sessions_clone_from_github(
    tmp_path: Path,
) -> None:
    repositories = [("acme/api", _source(tmp_path))]
    with emulator_stack(tmp_path / "data", repositories=repositories) as stack:
        env = stack.environment()
        github = Github(
            base_url=env["GITHUB_API_URL"],
            auth=Auth.Token(env["GITHUB_TOKEN"]),
            seconds_between_requests=None,
            seconds_between_writes=None,
        )
        assert github.get_repo("acme/api").default_branch == "main"
        resource = {
            "type": "github_repository",
            "url": f"{env['GITHUB_SERVER_URL']}/acme/api.git",
        }
        prompt = "Read it.\n```bash\ncat /workspace/api/README.md\n```\n"
        with Client(base_url=env["AOD_API_URL"], token=env["AOD_API_TOKEN"]) as client:
            ack = client.sessions.create(
                agent_id=env["AOD_AGENT_ID"], prompt=prompt, resources=[resource]
            )
            with client.sessions.stream(ack.id) as events:
                output = "".join(e.extra.get("data", "") for e in events if e.type == "output")
        assert '"content":"# seeded\\n"' in output
        assert env["AODFIX_GITHUB_WRITE_INTERVAL"] == "0"


def test_leaving_it_closes_both_ports_and_removes_its_temporary_data() -> None:
    with emulator_stack() as stack:
        urls, data_dir = _urls(stack), stack.data_dir
        assert all(_listening(url) for url in urls)
    assert not any(_listening(url) for url in urls)
    assert not data_dir.exists()


def test_an_error_inside_it_still_stops_both_emulators(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="boom"), emulator_stack(tmp_path) as stack:
        urls = _urls(stack)
        raise RuntimeError("boom")
    assert not any(_listening(url) for url in urls)


def test_a_refused_repository_stops_the_github_emulator_already_started(tmp_path: Path) -> None:
    with socket.socket() as spare:  # a free port, so the test knows where GitHub listened
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]
    with (
        pytest.raises(ValueError, match="not a directory"),
        emulator_stack(
            tmp_path, github_port=port, repositories=[("acme/api", tmp_path / "missing")]
        ),
    ):
        pass
    assert not _listening(f"http://127.0.0.1:{port}")
