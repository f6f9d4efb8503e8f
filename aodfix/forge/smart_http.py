"""The two git requests a checkout makes, in-process: git's smart HTTP protocol, version 2.

``git fetch`` costs ~25 ms of CPU per repository before it moves a byte (``git
remote-http`` and its libraries load, a TLS handshake per process, five processes in
all); a batch of thousands pays that per repository. Here ``ls-refs`` and a depth-1
``fetch`` are two POSTs on one kept-alive ``requests`` session for the whole batch, and
the pack goes to ``git index-pack`` — the one process left. Anything unexpected (a server
without protocol v2, an HTTP error, a malformed answer) raises ``SmartHttpError`` and the
caller runs git's own fetch instead, so this path can only make a fetch cheaper, never
break one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import requests

CONNECT_TIMEOUT = 30.0
READ_TIMEOUT = 60.0  # seconds without a byte, as git's low-speed limit would give up
REQUEST_TYPE = "application/x-git-upload-pack-request"
RESULT_TYPE = "application/x-git-upload-pack-result"
FLUSH, DELIMITER = b"0000", b"0001"


class SmartHttpError(Exception):
    """The server did not answer as protocol v2 says; git's own fetch should try."""


@dataclass(frozen=True)
class FetchedPack:
    pack: Iterator[bytes]  # the pack's bytes, as they arrive
    shallow: tuple[str, ...]  # commits whose parents were not sent


class SmartHttp:
    """Kept-alive HTTP sessions (one per thread) for every repository of the batch."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self._sessions: list[requests.Session] = []

    def ls_refs(self, url: str, headers: Mapping[str, str], prefix: str) -> dict[str, str]:
        """Ref name → sha of the refs under ``prefix`` (``refs/heads/main``: that branch)."""
        body = _command("ls-refs", [f"ref-prefix {prefix}"])
        refs: dict[str, str] = {}
        with self._post(url, headers, body) as answer:
            for line in _lines(answer):
                if line is None:
                    break
                sha, _, name = line.decode("utf-8", "replace").rstrip("\n").partition(" ")
                if len(sha) != 40 or not name:
                    raise SmartHttpError(f"ls-refs answered {line[:80]!r}")
                refs[name.split(" ")[0]] = sha
        return refs

    def fetch(self, url: str, headers: Mapping[str, str], wants: list[str]) -> FetchedPack:
        """The commits ``wants`` at depth 1, as a pack (no thin pack, no progress)."""
        arguments = ["no-progress", "ofs-delta", "deepen 1", *(f"want {w}" for w in wants)]
        answer = self._post(url, headers, _command("fetch", [*arguments, "done"]))
        try:
            lines = _lines(answer)
            shallow: list[str] = []
            section = _expect_section(lines)
            if section == "shallow-info":
                for line in lines:
                    if line is None:
                        break
                    kind, _, sha = line.decode("ascii", "replace").strip().partition(" ")
                    if kind == "shallow":
                        shallow.append(sha)
                section = _expect_section(lines)
            if section != "packfile":
                raise SmartHttpError(f"fetch answered section {section!r}, not packfile")
        except BaseException:
            answer.close()
            raise
        return FetchedPack(_sideband(lines, answer), tuple(shallow))

    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()

    def _post(self, url: str, headers: Mapping[str, str], body: bytes) -> requests.Response:
        session = self._session()
        try:
            answer = session.post(
                f"{url}/git-upload-pack",
                data=body,
                headers={
                    **headers,
                    "Content-Type": REQUEST_TYPE,
                    "Accept": RESULT_TYPE,
                    "Git-Protocol": "version=2",
                },
                stream=True,
                timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise SmartHttpError(f"{type(exc).__name__}") from None
        content_type = answer.headers.get("content-type", "")
        if answer.status_code != 200 or content_type != RESULT_TYPE:
            answer.close()
            raise SmartHttpError(f"HTTP {answer.status_code} ({content_type or 'no type'})")
        return answer

    def _session(self) -> requests.Session:
        # One session per thread: requests does not promise a shared one is thread-safe.
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = True  # proxies as git would take them from the environment
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session


def _command(name: str, arguments: list[str]) -> bytes:
    parts = [_pkt(f"command={name}\n"), _pkt("agent=aodfix\n"), DELIMITER]
    parts += [_pkt(f"{argument}\n") for argument in arguments]
    return b"".join([*parts, FLUSH])


def _pkt(text: str) -> bytes:
    data = text.encode()
    return f"{len(data) + 4:04x}".encode() + data


def _read(answer: requests.Response, size: int) -> bytes:
    """Exactly ``size`` bytes of the body (fewer only at its end)."""
    parts: list[bytes] = []
    left = size
    while left > 0:
        part = answer.raw.read(left, decode_content=True)
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _lines(answer: requests.Response) -> Iterator[bytes | None]:
    """Each pkt-line's payload; None for a flush or delimiter packet."""
    while True:
        head = _read(answer, 4)
        if len(head) < 4:
            raise SmartHttpError("the answer ended inside a pkt-line")
        try:
            size = int(head, 16)
        except ValueError:
            raise SmartHttpError(f"not a pkt-line: {head!r}") from None
        if size in (0, 1, 2):  # flush (the answer's end), delimiter, response end
            yield None
            if size == 0:
                return
            continue
        if size < 4:
            raise SmartHttpError(f"bad pkt-line length {size}")
        payload = _read(answer, size - 4)
        if len(payload) < size - 4:
            raise SmartHttpError("the answer ended inside a pkt-line")
        if payload.startswith(b"ERR "):
            raise SmartHttpError(payload[4:].decode("utf-8", "replace").strip()[:200])
        yield payload


def _expect_section(lines: Iterator[bytes | None]) -> str:
    line = next(lines, None)
    if line is None:
        raise SmartHttpError("the answer has no section")
    return line.decode("ascii", "replace").strip()


def _sideband(lines: Iterator[bytes | None], answer: requests.Response) -> Iterator[bytes]:
    """Band 1 (pack data) of the packfile section; band 3 is the server's error."""
    try:
        for line in lines:
            if line is None:
                return
            band, data = line[:1], line[1:]
            if band == b"\x01":
                yield data
            elif band == b"\x03":
                raise SmartHttpError(data.decode("utf-8", "replace").strip()[:200])
    finally:
        answer.close()
