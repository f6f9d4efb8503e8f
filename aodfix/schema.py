"""The manifest's JSON Schema, derived from the models (checked in under config/)."""

from __future__ import annotations

import json
from typing import Any

from aodfix.manifest import REPO_PATTERN, SELECTOR_KINDS, Manifest

SCHEMA_ID = "https://github.com/aodfix/aodfix/config/manifest.schema.json"


def manifest_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) for manifest v1, for editors and CI linters."""
    schema = Manifest.model_json_schema(mode="validation")
    repo_string = {"type": "string", "pattern": REPO_PATTERN, "description": "owner/name"}
    items = schema["properties"]["repositories"]["items"]
    schema["properties"]["repositories"]["items"] = {"anyOf": [repo_string, items]}
    schema["$defs"]["RepositoryEntry"]["properties"]["name"].update(
        {"pattern": REPO_PATTERN.replace("{1,100}$", "{1,100}(?:\\.git)?$")}
    )
    schema["oneOf"] = [{"required": ["prompt"]}, {"required": ["prompt_file"]}]
    schema["$defs"]["Selector"]["oneOf"] = [{"required": [kind]} for kind in SELECTOR_KINDS]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "aodfix manifest",
    }


def schema_text() -> str:
    return json.dumps(manifest_schema(), indent=2, sort_keys=False) + "\n"


# Manifest keys whose own keys get rows of their own in the reference table.
SECTIONS = frozenset({"pull_request", "commit", "policy", "verify", "judge", "rollout"})


def reference_markdown() -> str:
    """The README's manifest reference table, derived from the models like the schema."""
    from pydantic import BaseModel

    from aodfix.manifest import (
        CommitSettings,
        JudgeSettings,
        Policy,
        PullRequestSettings,
        RepositoryEntry,
        RolloutSettings,
        Selector,
        VerifySettings,
    )

    sections: list[tuple[str, type[BaseModel]]] = [
        ("", Manifest),
        ("repositories[]", RepositoryEntry),
        ("repositories[].select", Selector),
        ("pull_request.", PullRequestSettings),
        ("commit.", CommitSettings),
        ("policy.", Policy),
        ("verify.", VerifySettings),
        ("judge.", JudgeSettings),
        ("rollout.", RolloutSettings),
    ]
    rows = ["| key | default | meaning |", "|---|---|---|"]
    for prefix, model in sections:
        for name, field in model.model_fields.items():
            if prefix == "" and name in SECTIONS:
                continue
            key = f"{prefix}{name}" if not prefix or prefix.endswith(".") else f"{prefix}.{name}"
            if field.is_required():
                default = "required"
            else:
                value = field.get_default(call_default_factory=True)
                default = "`" + json.dumps(value).replace("|", "\\|") + "`"
                if isinstance(value, str) and "\n" in value:
                    default = "see `aodfix schema`"
            meaning = (field.description or "").replace("|", "\\|")
            rows.append(f"| `{key}` | {default} | {meaning} |")
    return "\n".join(rows) + "\n"
