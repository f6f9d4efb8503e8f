"""The scripted coding agent: a stand-in for Claude Code that the emulator runs per turn.

Run as ``python -m aodfix.emulator.aod.scripted_agent`` with the prompt on stdin and the
turn's plan (a JSON file written by the emulator) named by ``--plan`` or
``$AODFIX_EMULATOR_TURN_PLAN``. It prints Claude Code ``stream-json`` (one JSON object per
line on stdout), makes the scenario's edits, and — like a model that follows instructions —
runs the prompt's last fenced ``bash`` block as a Bash tool call, shortening long output the
way Claude Code does. It exits with the scenario's exit code.
"""

from __future__ import annotations

import argparse
import json
import os
import posixpath
import re
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TextIO

from pydantic import BaseModel, ConfigDict

from aodfix.emulator.aod.scenario import (
    DeleteFile,
    Edit,
    ReplaceText,
    RunCommand,
    TurnScript,
    WriteFile,
)
from aodfix.emulator.aod.workspace import SANDBOX_HOME, SANDBOX_WORKSPACE, Sandbox

PLAN_ENV = "AODFIX_EMULATOR_TURN_PLAN"
PREVIEW_CHARS = 2000
TOOLS = ["Task", "Bash", "Glob", "Grep", "Read", "Edit", "Write", "WebFetch", "TodoWrite"]
Truncation = Literal["middle", "preview"]

_BASH_BLOCK = re.compile(r"^```bash[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


class TurnPlan(BaseModel):
    """Everything one turn needs, handed over by the emulator in a file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    script: TurnScript
    root: Path
    mount_paths: tuple[str, ...]
    turn: int
    output_limit: int
    truncation: Truncation
    model: str
    session_id: str


@dataclass(frozen=True)
class ToolOutcome:
    content: str
    is_error: bool = False
    details: dict[str, Any] | str | None = None  # the line's ``tool_use_result``


def last_bash_block(prompt: str) -> str | None:
    """The body of the prompt's last fenced block tagged ``bash``."""
    blocks = _BASH_BLOCK.findall(prompt)
    return str(blocks[-1]).removesuffix("\n") if blocks else None


def truncate_middle(text: str, limit: int) -> str:
    """Claude Code's Bash output shortening: keep both ends, count the lines dropped."""
    if len(text) <= limit:
        return text
    half = limit // 2
    dropped = text[half : len(text) - half].count("\n") + 1
    return f"{text[:half]}\n\n... [{dropped} lines truncated] ...\n\n{text[len(text) - half :]}"


class ClaudeStream:
    """Writes Claude Code ``--output-format stream-json`` lines."""

    def __init__(self, plan: TurnPlan, out: TextIO) -> None:
        self._plan = plan
        self._out = out
        self._tool_ids = 0
        self.messages = 0

    def _emit(self, obj: dict[str, Any]) -> None:
        obj["session_id"] = self._plan.session_id
        obj["uuid"] = str(uuid.uuid4())
        self._out.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
        self._out.flush()

    def init(self) -> None:
        self._emit(
            {
                "type": "system",
                "subtype": "init",
                "cwd": SANDBOX_HOME,
                "tools": TOOLS,
                "mcp_servers": [],
                "model": self._plan.model,
                "permissionMode": "bypassPermissions",
                "apiKeySource": "ANTHROPIC_API_KEY",
            }
        )

    def _assistant(self, content: list[dict[str, Any]]) -> None:
        self.messages += 1
        message = {
            "id": f"msg_emulator_{self.messages:04d}",
            "type": "message",
            "role": "assistant",
            "model": self._plan.model,
            "content": content,
            "stop_reason": None,
            "usage": {"input_tokens": 12, "output_tokens": 34},
        }
        self._emit({"type": "assistant", "message": message, "parent_tool_use_id": None})

    def say(self, text: str) -> None:
        self._assistant([{"type": "text", "text": text}])

    def tool(
        self, name: str, tool_input: dict[str, Any], run: Callable[[str], ToolOutcome]
    ) -> None:
        """A tool call: the ``tool_use``, then ``run(tool_use_id)``'s ``tool_result``."""
        self._tool_ids += 1
        tool_id = f"toolu_emulator_{self._plan.turn:02d}_{self._tool_ids:03d}"
        self._assistant([{"type": "tool_use", "id": tool_id, "name": name, "input": tool_input}])
        outcome = run(tool_id)
        result = {
            "type": "tool_result",
            "tool_use_id": tool_id,
            "content": outcome.content,
            "is_error": outcome.is_error,
        }
        line: dict[str, Any] = {
            "type": "user",
            "message": {"role": "user", "content": [result]},
            "parent_tool_use_id": None,
        }
        if outcome.details is not None:
            line["tool_use_result"] = outcome.details
        self._emit(line)

    def result(self, script: TurnScript, started: float) -> None:
        elapsed = int((time.monotonic() - started) * 1000)
        self._emit(
            {
                "type": "result",
                "subtype": script.subtype,
                "is_error": script.is_error,
                "duration_ms": elapsed,
                "duration_api_ms": elapsed,
                "num_turns": self.messages,
                "result": script.result,
                "total_cost_usd": script.cost_usd,
                "usage": {
                    "input_tokens": 12 * self.messages,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                    "output_tokens": 34 * self.messages,
                },
                "permission_denials": [],
            }
        )


class ScriptedAgent:
    """Carries out one turn's script inside the session's sandbox."""

    def __init__(self, plan: TurnPlan, out: TextIO) -> None:
        self.plan = plan
        self.script = plan.script
        self.sandbox = Sandbox(plan.root, plan.mount_paths)
        self.stream = ClaudeStream(plan, out)

    def run(self, prompt: str) -> int:
        started = time.monotonic()
        if self.script.stderr:
            sys.stderr.write(self.script.stderr)
            sys.stderr.flush()
        self.stream.init()
        self.stream.say(self.script.text)
        if self.script.hang or self.script.stale is not None:
            while True:  # silent until the emulator's timeout or terminate kills the group
                time.sleep(3600)
        if self.script.delay:
            time.sleep(self.script.delay)
        for edit in self.script.edits:
            self._edit(edit)
        if self.script.huge_output:
            line = "x" * 99 + "\n"
            text = line * (self.script.huge_output // len(line))
            self.stream.say(text + "y" * (self.script.huge_output - len(text)))
        command = last_bash_block(prompt)
        if command is not None and not self.script.forget_collect:
            self.stream.tool(
                "Bash",
                {"command": command, "description": "Run the command the task asks for"},
                lambda tool_id: self._bash(command, tool_id),
            )
        self.stream.say(self.script.result)
        self.stream.result(self.script, started)
        return self.script.exit_code

    # --- edits ---------------------------------------------------------------------------

    def _sandbox_path(self, path: str) -> str:
        base = self.plan.mount_paths[0] if self.plan.mount_paths else SANDBOX_WORKSPACE
        return posixpath.normpath(posixpath.join(base, path))

    def _edit(self, edit: Edit) -> None:
        tool_input: dict[str, Any]
        if isinstance(edit, WriteFile):
            path = self._sandbox_path(edit.write)
            if edit.content is not None:
                tool_input = {"file_path": path, "content": edit.content}
                self.stream.tool("Write", tool_input, lambda _: self._write(path, edit.data()))
            else:
                command = f"base64 -d > {path} <<'EOF'\n{edit.base64}\nEOF"
                tool_input = {"command": command, "description": "Write a binary file"}
                self.stream.tool("Bash", tool_input, lambda _: self._write(path, edit.data()))
        elif isinstance(edit, ReplaceText):
            path = self._sandbox_path(edit.replace)
            tool_input = {
                "file_path": path,
                "old_string": edit.old,
                "new_string": edit.new,
                "replace_all": edit.all,
            }
            self.stream.tool("Edit", tool_input, lambda _: self._replace(path, edit))
        elif isinstance(edit, DeleteFile):
            path = self._sandbox_path(edit.delete)
            tool_input = {"command": f"rm {path}", "description": "Delete a file"}
            self.stream.tool("Bash", tool_input, lambda _: self._delete(path))
        elif isinstance(edit, RunCommand):
            command = f"cd {shlex.quote(self._sandbox_path('.'))} && {edit.run}"
            tool_input = {"command": command, "description": "Run a command in the repository"}
            self.stream.tool("Bash", tool_input, lambda tool_id: self._bash(command, tool_id))

    def _write(self, path: str, data: bytes) -> ToolOutcome:
        target = self.sandbox.real(path)
        existed = target.exists()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        if existed:
            return ToolOutcome(f"The file {path} has been updated.")
        return ToolOutcome(f"File created successfully at: {path}")

    def _replace(self, path: str, edit: ReplaceText) -> ToolOutcome:
        target = self.sandbox.real(path)
        if not target.is_file():
            return ToolOutcome("<tool_use_error>File does not exist.</tool_use_error>", True)
        text = target.read_text(encoding="utf-8")
        if edit.old not in text:
            return ToolOutcome(
                "<tool_use_error>String to replace not found in file.\n"
                f"String: {edit.old}</tool_use_error>",
                True,
            )
        text = text.replace(edit.old, edit.new, -1 if edit.all else 1)
        target.write_text(text, encoding="utf-8")
        return ToolOutcome(f"The file {path} has been updated.")

    def _delete(self, path: str) -> ToolOutcome:
        target = self.sandbox.real(path)
        if not target.is_file():
            message = f"rm: cannot remove '{path}': No such file or directory"
            return ToolOutcome(
                f"Error: Exit code 1\n{message}", True, {"stdout": "", "stderr": message}
            )
        target.unlink()
        return ToolOutcome("", details={"stdout": "", "stderr": "", "interrupted": False})

    # --- Bash ----------------------------------------------------------------------------

    def _bash(self, command: str, tool_id: str) -> ToolOutcome:
        completed = subprocess.run(
            ["bash", "-c", self.sandbox.to_real(command)],
            cwd=self.sandbox.workspace,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )
        stdout = self.sandbox.to_virtual(completed.stdout.decode("utf-8", errors="replace"))
        stderr = self.sandbox.to_virtual(completed.stderr.decode("utf-8", errors="replace"))
        separator = "\n" if stdout and stderr and not stdout.endswith("\n") else ""
        combined = stdout + separator + stderr
        content = self._shorten(combined, tool_id)
        if completed.returncode != 0:
            content = f"Error: Exit code {completed.returncode}\n{content}"
        details: dict[str, Any] = {
            "stdout": self._shorten(stdout, f"{tool_id}-stdout"),
            "stderr": self._shorten(stderr, f"{tool_id}-stderr"),
            "interrupted": False,
            "isImage": False,
        }
        return ToolOutcome(content, completed.returncode != 0, details)

    def _shorten(self, text: str, name: str) -> str:
        """What the model gets to see of long output, per the configured Claude Code build."""
        limit = self.plan.output_limit
        if len(text) <= limit:
            return text
        if self.plan.truncation == "middle":
            return truncate_middle(text, limit)
        saved = f"{SANDBOX_HOME}/.claude/tool-results/{name}.txt"
        target = self.sandbox.real(saved)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return (
            f"Output too large ({len(text)} characters). Full output saved to: {saved}\n\n"
            f"Preview (first {PREVIEW_CHARS} characters):\n{text[:PREVIEW_CHARS]}\n..."
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aodfix.emulator.aod.scripted_agent")
    parser.add_argument("--plan", default=os.environ.get(PLAN_ENV), help="turn plan (JSON)")
    args = parser.parse_args(argv)
    if not args.plan:
        parser.error(f"no turn plan: pass --plan or set {PLAN_ENV}")
    plan = TurnPlan.model_validate_json(Path(args.plan).read_text(encoding="utf-8"))
    return ScriptedAgent(plan, sys.stdout).run(sys.stdin.read())


if __name__ == "__main__":
    sys.exit(main())
