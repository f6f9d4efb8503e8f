"""What the selectors of a manifest found: the record the report and ``--resume`` keep."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter


@dataclass(frozen=True)
class SelectorHit:
    at: str  # FILE:LINE of the selector
    selector: dict[str, Any]  # as written in the manifest
    repositories: tuple[str, ...]  # owner/name, sorted, after exclude


@dataclass(frozen=True)
class Selection:
    hits: tuple[SelectorHit, ...] = ()

    def owner_of(self) -> dict[str, str]:
        """Each selected repository → the FILE:LINE of the first selector that found it."""
        found: dict[str, str] = {}
        for hit in self.hits:
            for name in hit.repositories:
                found.setdefault(name.lower(), hit.at)
        return found

    def repositories(self) -> list[str]:
        """Every selected repository once, sorted by name."""
        names: dict[str, str] = {}
        for hit in self.hits:
            for name in hit.repositories:
                names.setdefault(name.lower(), name)
        return [names[key] for key in sorted(names)]

    def to_list(self) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = _HITS.dump_python(list(self.hits), mode="json")
        return data

    @classmethod
    def from_list(cls, data: Any) -> Selection:
        """Raises ValueError on a record of the wrong shape."""
        return cls(tuple(_HITS.validate_python(data)))


_HITS: TypeAdapter[list[SelectorHit]] = TypeAdapter(list[SelectorHit])


def selection_path(report_dir: Path, batch: str) -> Path:
    """Where a run keeps its selection, beside the state file, for ``--resume``."""
    return report_dir / f"{batch}.selection.json"


def save_selection(path: Path, selection: Selection) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(path.name + ".tmp")
    scratch.write_text(json.dumps(selection.to_list(), indent=2) + "\n", encoding="utf-8")
    scratch.replace(path)


def load_selection(path: Path) -> Selection | None:
    """The stored selection, or None when there is none (or it cannot be read)."""
    try:
        return Selection.from_list(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None
