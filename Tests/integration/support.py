"""Helpers shared by the integration tests: the fake server handle and stream assertions."""

from __future__ import annotations

import functools
import http.server
import importlib.util
import json
import os
import select
import signal
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[2]
FAKE_JETSTREAM = REPO / "Scripts" / "fake_jetstream.py"
SHARED_DATA = Path(os.environ.get("JETSTREAM_SHARED_DATA", REPO.parent / "shared" / "data" / "jetstream"))
SAMPLE_EVENTS = SHARED_DATA / "sample-events.jsonl"
ZSTD_DICTIONARY = SHARED_DATA / "zstd_dictionary"

SERVER_START_TIMEOUT = 20.0
SERVER_LIFETIME = 120.0
SETTLE_TIMEOUT = 10.0


def lines(data: bytes) -> list[bytes]:
    """Splits a JSON-lines byte stream; a missing final newline keeps the partial last line."""
    parts = data.split(b"\n")
    if parts and parts[-1] == b"":
        parts.pop()
    return parts


def assert_same_stream(actual: bytes, expected: bytes, what: str = "stdout") -> None:
    """Byte equality, reported as the first differing line instead of two huge blobs."""
    if actual == expected:
        return
    a, e = lines(actual), lines(expected)
    for index, (x, y) in enumerate(zip(a, e)):
        if x != y:
            raise AssertionError(f"{what} differs from what the server sent at line {index + 1}:\n"
                                 f"  got:      {x[:300]!r}\n  expected: {y[:300]!r}")
    if len(a) != len(e):
        raise AssertionError(f"{what} has {len(a)} lines, the server sent {len(e)}; the common prefix matches")
    raise AssertionError(f"{what} differs from what the server sent only in line endings "
                         f"(last bytes {actual[-20:]!r} vs {expected[-20:]!r})")


@functools.cache
def fake_module() -> Any:
    """Scripts/fake_jetstream.py as a module, to compute the events a set of flags produces."""
    spec = importlib.util.spec_from_file_location("fake_jetstream", FAKE_JETSTREAM)
    module = importlib.util.module_from_spec(spec)
    sys.modules["fake_jetstream"] = module
    spec.loader.exec_module(module)
    return module


def event_payloads(*flags: str) -> list[bytes]:
    """The exact messages a server started with these event flags would offer, unfiltered."""
    module = fake_module()
    return [event.payload for event in module.load_events(module.parse_args([str(f) for f in flags]))]


class FakeJetstream:
    """One running Scripts/fake_jetstream.py, with its record and log files."""

    def __init__(self, directory: Path, flags: list[str], tls: Any = None, lifetime: float = SERVER_LIFETIME):
        self.directory = directory
        self.record_path = directory / "sent.jsonl"
        self.log_path = directory / "server-log.jsonl"
        self.stderr_path = directory / "server-stderr.txt"
        command = [sys.executable, str(FAKE_JETSTREAM), "--record", str(self.record_path), "--log", str(self.log_path),
                   "--lifetime", str(lifetime), *flags]
        if tls is not None:
            command += ["--tls-cert", str(tls.cert), "--tls-key", str(tls.key)]
        self.command = command
        with open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr,
                                            start_new_session=True)
        ready = self._ready_line()
        self.port: int = ready["port"]
        self.url: str = ready["url"]
        self.scheme = "wss" if tls is not None else "ws"

    def _ready_line(self) -> dict:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        buffer = b""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        while b"\n" not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                raise AssertionError(f"fake_jetstream did not become ready in {SERVER_START_TIMEOUT}s: {self.stderr()}")
            readable, _, _ = select.select([fd], [], [], remaining)
            if readable:
                chunk = os.read(fd, 4096)
                if not chunk:
                    self.stop()
                    raise AssertionError(f"fake_jetstream exited before it was ready: {self.stderr()}")
                buffer += chunk
        return json.loads(buffer.split(b"\n", 1)[0])

    def url_for(self, host: str, scheme: str | None = None) -> str:
        return f"{scheme or self.scheme}://{host}:{self.port}/subscribe"

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log(self) -> list[dict]:
        if not self.log_path.exists():
            return []
        text = self.log_path.read_text(encoding="utf-8")
        # The server may be writing a line right now: only whole lines are read.
        whole = text[:text.rfind("\n") + 1]
        return [json.loads(line) for line in whole.splitlines() if line.strip()]

    def entries(self, event: str, conn: int | None = None) -> list[dict]:
        return [e for e in self.log() if e["event"] == event and (conn is None or e.get("conn") == conn)]

    def requests(self) -> list[dict]:
        return self.entries("request")

    def query(self, conn: int = 1) -> list[tuple[str, str]]:
        request = self.entries("request", conn)
        assert request, f"the server received no request (connection {conn})"
        return [tuple(pair) for pair in request[0]["query"]]

    def query_values(self, key: str, conn: int = 1) -> list[str]:
        return [v for k, v in self.query(conn) if k == key]

    def sent(self) -> bytes:
        return self.record_path.read_bytes() if self.record_path.exists() else b""

    def wait_for(self, predicate: Callable[[list[dict]], bool], timeout: float = SETTLE_TIMEOUT, what: str = "") -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            log = self.log()
            if predicate(log):
                return log
            if time.monotonic() > deadline:
                raise AssertionError(f"server log never showed {what or 'the expected entries'} within {timeout}s: {log[-5:]}")
            time.sleep(0.02)

    def wait_until_settled(self, timeout: float = SETTLE_TIMEOUT) -> list[dict]:
        """Waits until every connection the server accepted has finished (closed or rejected)."""
        def settled(log: list[dict]) -> bool:
            opened = {e["conn"] for e in log if e["event"] == "request"}
            finished = {e["conn"] for e in log if e["event"] in ("closed", "rejected")}
            return opened <= finished
        return self.wait_for(settled, timeout, "every connection closed")

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()


def unique_in_order(items: list[bytes]) -> list[bytes]:
    """Each item once, where it first appeared: the history a record with replays describes."""
    seen: set[bytes] = set()
    return [x for x in items if not (x in seen or seen.add(x))]


def report_fields(stderr: bytes, kind: str) -> list[dict[str, str]]:
    """The `key=value` fields of every `jetstream-tail: <kind> ...` line (kind: stats, summary)."""
    prefix = f"jetstream-tail: {kind} "
    found = []
    for line in stderr.decode(errors="replace").splitlines():
        if line.startswith(prefix):
            found.append(dict(token.split("=", 1) for token in line[len(prefix):].split() if "=" in token))
    return found


def summary_of(stderr: bytes) -> dict[str, str]:
    """The fields of the single summary line; fails if there is not exactly one."""
    summaries = report_fields(stderr, "summary")
    assert len(summaries) == 1, f"expected one summary line on stderr, got {len(summaries)}:\n{stderr.decode(errors='replace')[-3000:]}"
    return summaries[0]


def is_subsequence(part: list[bytes], whole: list[bytes]) -> bool:
    """True when `part` is `whole` with some items left out, order kept."""
    remaining = iter(whole)
    return all(any(x == y for y in remaining) for x in part)


class LocalHTTPSServer:
    """A loopback HTTPS server (certificate from the `certificates` fixture) on a free port.
    `answer(path, headers)` gives (status, content type, body) for each GET."""

    def __init__(self, certificates, answer: Callable[[str, Any], tuple[int, str, bytes]]):
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                status, content_type, body = answer(self.path, self.headers)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(certificates.cert), str(certificates.key))
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.base_url = f"https://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def require_shared(path: Path, what: str) -> Path:
    """`path` from ../shared/data: a test that needs it fails under CI (where it must exist) and is
    skipped elsewhere, with one message naming the file."""
    if not path.is_file():
        import pytest

        message = f"shared {what} not found at {path} (set JETSTREAM_SHARED_DATA)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
