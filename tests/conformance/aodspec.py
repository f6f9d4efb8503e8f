"""The AoD emulator's answers against tests/conformance/aod_schema.yaml.

The service publishes no machine-readable description of the era aod-sdk 0.1.0 targets, so
the schema is ours, written from the SDK's models and the reference; ``AodChecker`` makes
every exchange of a test pass through it, per record era, and records which operations
answered with which statuses so the suite can prove it drove them all.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any, Literal

import httpx
import yaml
from jsonschema import Draft202012Validator

from aodfix.emulator.aod import AodEmulator

Era = Literal["runtime", "provider"]
RECORD_SHAPES: dict[Era, str] = {"runtime": "sdk010", "provider": "current"}

SCHEMA: dict[str, Any] = yaml.safe_load((Path(__file__).parent / "aod_schema.yaml").read_text())
Draft202012Validator.check_schema(SCHEMA)
_ID = re.compile(r"/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def validate(definition: str, value: Any) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``value`` matches ``$defs/definition``."""
    schema = {**SCHEMA, "$ref": f"#/$defs/{definition}"}
    checker = Draft202012Validator.FORMAT_CHECKER
    Draft202012Validator(schema, format_checker=checker).validate(value)


def definition_for(shape: str, era: Era) -> str:
    """``agent`` is ``agent_runtime`` or ``agent_provider``; era-less shapes are themselves."""
    per_era = f"{shape}_{era}"
    return per_era if per_era in SCHEMA["$defs"] else shape


class AodChecker:
    """A raw HTTP client of one emulator whose every answer must match the schema."""

    def __init__(self, emulator: AodEmulator, era: Era) -> None:
        self.emulator = emulator
        self.era = era
        self.http = httpx.Client(base_url=emulator.url, timeout=30)
        self.answered: dict[str, set[int]] = defaultdict(set)  # "GET /agents/{id}" -> statuses

    def close(self) -> None:
        self.http.close()

    def call(
        self,
        method: str,
        path: str,
        expect: int,
        shape: str | None,
        *,
        json: Any = None,
        content: bytes | None = None,
        params: dict[str, str] | None = None,
        token: str | None = "",
    ) -> Any:
        """Send one request; ``shape`` names the answer's schema (``list:agent`` for a list of
        agents), or is None for the service's one non-JSON answer, an empty 405 with Allow.
        ``token=None`` sends no Authorization header; the default is the emulator's token."""
        response = self._send(method, path, params=params, json=json, content=content, token=token)
        assert response.status_code == expect, (method, path, response.status_code, response.text)
        if shape is None:
            assert response.content == b"", response.text
            assert response.headers["allow"], response.headers
            return None
        assert response.headers["content-type"] == "application/json", response.headers
        body = response.json()
        if shape.startswith("list:"):
            validate("list", body)
            for item in body["data"]:
                validate(definition_for(shape.removeprefix("list:"), self.era), item)
        else:
            validate(definition_for(shape, self.era), body)
        return body

    def stream(self, session_id: str, *, since: int | None = None) -> list[dict[str, Any]]:
        """Every event payload of one connection, read until the emulator closes it: the
        start event, then events."""
        params = {"since": str(since)} if since is not None else None
        response = self._send("GET", f"/sessions/{session_id}/stream", params=params)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/event-stream"
        payloads = [
            json.loads(line.removeprefix("data: "))
            for line in response.text.splitlines()
            if line.startswith("data: ")
        ]
        validate(definition_for("start", self.era), payloads[0])
        for payload in payloads[1:]:
            validate("event", payload)
        return payloads

    def _send(self, method: str, path: str, *, token: str | None = "", **kwargs: Any) -> Any:
        token = self.emulator.token if token == "" else token
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        response = self.http.request(method, path, headers=headers, **kwargs)
        self.answered[f"{method} {_ID.sub('/{id}', path)}"].add(response.status_code)
        return response
