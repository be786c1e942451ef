"""Fixtures for the integration tests.

- `jetstream(*flags, tls=False)` starts Scripts/fake_jetstream.py on a free loopback port and
  stops it after the test (it also stops itself after its lifetime). It is given the shared zstd
  dictionary, so a client asking for compress=true is served as by a real server.
- `certificates`: a throwaway CA and a server certificate for 127.0.0.1, ::1 and localhost,
  made with trustme, plus an unrelated second CA.
- `tail(*args)` runs the built jetstream-tail (JETSTREAM_TAIL_BIN, else .build/debug) with a
  timeout and returns the CompletedProcess (bytes stdout and stderr).
- `spawn(*args, stdout=...)` starts jetstream-tail without waiting (for signals and slow
  readers): a `Popen` whose stderr goes to a file (`.stderr_bytes()` reads it); stopped and
  reaped after the test if still running.
- `sample_events`: the shared file of real Jetstream events, next to the repository.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import REPO, SAMPLE_EVENTS, SERVER_LIFETIME, ZSTD_DICTIONARY, FakeJetstream, require_shared

TAIL_TIMEOUT = 30.0


@dataclass
class Certificates:
    ca: Path  # PEM of the CA that signed `cert`: pass to --cacert
    cert: Path  # server certificate chain (PEM)
    key: Path  # server private key (PEM)
    other_ca: Path  # PEM of a CA that signed nothing here


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    import trustme

    directory = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1", "::1", "localhost")
    files = Certificates(directory / "ca.pem", directory / "server.pem", directory / "server.key", directory / "other-ca.pem")
    ca.cert_pem.write_to_path(str(files.ca))
    files.cert.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    leaf.private_key_pem.write_to_path(str(files.key))
    trustme.CA().cert_pem.write_to_path(str(files.other_ca))
    return files


@pytest.fixture
def jetstream(tmp_path: Path, certificates: Certificates):
    servers: list[FakeJetstream] = []

    def start(*flags: object, tls: bool = False, lifetime: float = SERVER_LIFETIME) -> FakeJetstream:
        directory = tmp_path / f"server{len(servers) + 1}"
        directory.mkdir()
        arguments = [str(f) for f in flags]
        if ZSTD_DICTIONARY.is_file() and "--zstd-dict" not in arguments:
            arguments += ["--zstd-dict", str(ZSTD_DICTIONARY)]  # so compress=true works like on a real server
        server = FakeJetstream(directory, arguments, certificates if tls else None, lifetime)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def tail_binary() -> Path:
    path = Path(os.environ.get("JETSTREAM_TAIL_BIN", REPO / ".build" / "debug" / "jetstream-tail"))
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.fail(f"no jetstream-tail binary at {path}: run `swift build` (or Scripts/test), or set JETSTREAM_TAIL_BIN")
    return path


@pytest.fixture
def tail(tail_binary: Path):
    def run(*args: object, timeout: float = TAIL_TIMEOUT) -> subprocess.CompletedProcess:
        command = [str(tail_binary), *[str(a) for a in args]]
        try:
            return subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired as error:
            stderr = (error.stderr or b"")[-2000:].decode(errors="replace")
            pytest.fail(f"jetstream-tail did not exit within {timeout}s: {command}\nstderr: {stderr}")

    return run


@pytest.fixture(scope="session")
def sample_events() -> Path:
    return require_shared(SAMPLE_EVENTS, "sample events")


@pytest.fixture
def spawn(tail_binary: Path, tmp_path: Path):
    processes: list[subprocess.Popen] = []

    def start(*args: object, stdout: int | None = subprocess.PIPE) -> subprocess.Popen:
        stderr_path = tmp_path / f"tail{len(processes) + 1}-stderr.txt"
        with open(stderr_path, "wb") as stderr:
            process = subprocess.Popen([str(tail_binary), *[str(a) for a in args]], stdin=subprocess.DEVNULL,
                                       stdout=stdout, stderr=stderr)
        process.stderr_bytes = stderr_path.read_bytes  # type: ignore[attr-defined]
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        if process.stdout is not None:
            process.stdout.close()
