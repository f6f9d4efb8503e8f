"""Run the demo: both emulators, sample repositories, the demo manifest through ``apply``.

Nothing here is demo-only logic beyond setup: the batch runs through ``run_apply``, the
same path ``aodfix apply`` takes, against emulators that speak the real protocols.
"""

from __future__ import annotations

import secrets
from contextlib import AbstractContextManager
from pathlib import Path

import aodfix
from aodfix.emulator.stack import EmulatorStack, emulator_stack

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


def demo_stack(data_dir: Path | None = None) -> AbstractContextManager[EmulatorStack]:
    """Both emulators on free loopback ports, with fresh tokens and the sample repositories."""
    return emulator_stack(
        data_dir,
        aod_tokens=("aod_demo_" + secrets.token_urlsafe(24),),
        github_tokens=("ghp_demo" + secrets.token_hex(16),),
        repositories=[
            (f"{OWNER}/{sample.name}", sample)
            for sample in sorted(p for p in SAMPLES.iterdir() if p.is_dir())
        ],
        scenario=SCENARIO,
        temp_prefix="aodfix-demo-",
    )


def shell_exports(env: dict[str, str]) -> str:
    return "\n".join(f"export {k}={v}" for k, v in env.items()) + "\n"
