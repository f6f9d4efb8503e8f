"""Run the demo: both emulators, sample repositories, the demo manifest through ``apply``.

Nothing here is demo-only logic beyond setup: the batch runs through ``run_apply``, the
same path ``aodfix apply`` takes, against emulators that speak the real protocols.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aodfix
from aodfix.emulator.aod import AodEmulator
from aodfix.emulator.aod.scenario import Scenario
from aodfix.emulator.github import GitHubEmulator

DEMO_DIR = Path(__file__).parent
SAMPLES = DEMO_DIR / "samples"
SCENARIO = DEMO_DIR / "scenario.yml"
OWNER = "demo"


def demo_manifest() -> Path:
    """config/examples/demo.yml from the checkout (or the copy shipped in the wheel)."""
    for candidate in (
        Path(aodfix.__file__).parent.parent / "config" / "examples" / "demo.yml",
        Path(aodfix.__file__).parent / "_config" / "examples" / "demo.yml",
    ):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("config/examples/demo.yml is missing from this installation")


@dataclass(frozen=True)
class DemoStack:
    github: GitHubEmulator
    aod: AodEmulator
    agent_id: str
    aod_token: str
    github_token: str
    data_dir: Path

    def environment(self) -> dict[str, str]:
        """What ``aodfix apply`` needs to run against these emulators."""
        return {
            "AOD_API_URL": self.aod.url,
            "AOD_API_TOKEN": self.aod_token,
            "AOD_AGENT_ID": self.agent_id,
            "GITHUB_API_URL": self.github.api_url,
            "GITHUB_SERVER_URL": self.github.server_url,
            "GITHUB_TOKEN": self.github_token,
            "AODFIX_GITHUB_WRITE_INTERVAL": "0",
        }


@contextmanager
def demo_stack(data_dir: Path | None = None) -> Iterator[DemoStack]:
    """Start both emulators on free loopback ports with the sample repositories in them."""
    with _data_dir(data_dir) as root:
        aod_token = "aod_demo_" + secrets.token_urlsafe(24)
        github_token = "ghp_demo" + secrets.token_hex(16)
        github = GitHubEmulator(root / "github", tokens=(github_token,))
        github.start()
        try:
            aod = AodEmulator(
                root / "aod",
                tokens=(aod_token,),
                scenario=Scenario.load(SCENARIO),
                git_base_urls=(github.server_url,),
            )
            aod.start()
            try:
                for sample in sorted(p for p in SAMPLES.iterdir() if p.is_dir()):
                    github.create_repository(f"{OWNER}/{sample.name}", sample)
                yield DemoStack(github, aod, aod.create_agent(), aod_token, github_token, root)
            finally:
                aod.stop()
        finally:
            github.stop()


@contextmanager
def _data_dir(path: Path | None) -> Iterator[Path]:
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="aodfix-demo-") as scratch:
        yield Path(scratch)


def shell_exports(env: dict[str, str]) -> str:
    return "\n".join(f"export {k}={v}" for k, v in env.items()) + "\n"
