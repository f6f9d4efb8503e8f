"""The repository's checks as the sandbox ran them: read from the verify block's listing.

Only the listing's own lines count — exit codes measured by the collect command, never
the agent's account of them. Each line: exit code, milliseconds, exit code on the base
(``-``: not run there), base64 of the command, base64 of its output's last bytes.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from aodfix.patch.errors import PatchIntegrityError


@dataclass(frozen=True)
class CheckResult:
    command: str
    exit_code: int | None  # None: the sandbox could not say
    seconds: float
    pre_existing: bool  # it fails on the untouched base too: not the change's doing
    output_tail: str

    @property
    def passed(self) -> bool:
        return self.exit_code == 0

    @property
    def blames_the_change(self) -> bool:
        return not self.passed and not self.pre_existing


def read_checks(listing: bytes) -> tuple[CheckResult, ...]:
    """Raises PatchIntegrityError on a line that is not the collect command's."""
    results = []
    for number, line in enumerate(listing.decode("utf-8", "replace").splitlines(), 1):
        parts = line.split(" ")
        if len(parts) != 5:
            raise PatchIntegrityError(f"verify listing line {number} is malformed")
        code, millis, on_base, command, tail = parts
        try:
            exit_code = int(code) if code.lstrip("-").isdigit() else None
            base_code = int(on_base) if on_base.isdigit() else None
            results.append(
                CheckResult(
                    command=_text(command),
                    exit_code=exit_code,
                    seconds=round(int(millis) / 1000, 3) if millis.isdigit() else 0.0,
                    pre_existing=exit_code != 0 and base_code is not None and base_code != 0,
                    output_tail=_text(tail),
                )
            )
        except (binascii.Error, ValueError) as exc:
            raise PatchIntegrityError(f"verify listing line {number}: {exc}") from None
    return tuple(results)


def _text(encoded: str) -> str:
    return base64.b64decode(encoded, validate=True).decode("utf-8", "replace")
