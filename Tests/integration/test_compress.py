"""--compress: zstd frames made with Jetstream's dictionary are written exactly as the JSON the
server would have sent uncompressed; faulty frames are skipped, a foreign dictionary is fatal;
the dictionary comes from --zstd-dict or a verified cache, downloaded over HTTPS when missing."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from support import ZSTD_DICTIONARY, LocalHTTPSServer, event_payloads, require_shared

DICTIONARY_ID = 1_612_007_021
DICTIONARY_SHA256 = "b8d77b46933aceecbdd5275a01241efc985c970c78162b8150cf67a26522f70c"
CACHE_FILE = f"zstd-dictionary-{DICTIONARY_ID}-{DICTIONARY_SHA256[:16]}.zdict"  # ZstdDictionary.cacheFileName


@pytest.fixture(scope="module")
def dictionary() -> bytes:
    data = require_shared(ZSTD_DICTIONARY, "zstd dictionary").read_bytes()
    assert hashlib.sha256(data).hexdigest() == DICTIONARY_SHA256, "the shared file is not Jetstream's dictionary"
    return data


@pytest.fixture
def run(tail_binary: Path, tmp_path: Path):
    """The tail with HOME and XDG_CACHE_HOME inside the test's folder, so no run reads or fills
    the real cache (or downloads from the internet because the cache is empty)."""
    home = tmp_path / "home"
    home.mkdir()

    def start(*args: object, cache: Path | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("JETSTREAM_TAIL_")}
        env["HOME"] = str(home)
        env["XDG_CACHE_HOME"] = str(cache or tmp_path / "unused-cache")
        return subprocess.run([str(tail_binary), *map(str, args)], stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout, env=env)

    return start


def stderr_of(result: subprocess.CompletedProcess) -> str:
    return result.stderr.decode(errors="replace")


def summary(result: subprocess.CompletedProcess) -> dict[str, str]:
    line = next((l for l in stderr_of(result).splitlines() if "summary events=" in l), None)
    assert line, f"no summary line: {stderr_of(result)}"
    return dict(re.findall(r"(\w+)=(\S+)", line))


def joined(payloads: list[bytes]) -> bytes:
    return b"".join(p + b"\n" for p in payloads)


def expect_success(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, f"exit {result.returncode}: {stderr_of(result)[-2000:]}"


# --------------------------------------------------------------------------------------------
# The stream


@pytest.mark.parametrize("tls", [False, True], ids=["ws", "wss"])
def test_compressed_events_are_written_byte_equal_to_the_uncompressed_history(jetstream, run, dictionary, certificates, tls):
    flags = ("--generate", 2000, "--big-event", 300_000)
    payloads = event_payloads(*flags)
    server = jetstream(*flags, "--then-hold", tls=tls)
    extra = ["--cacert", certificates.ca] if tls else []
    result = run("--host", server.url, "--compress", "--zstd-dict", ZSTD_DICTIONARY, "--limit", len(payloads), *extra)
    expect_success(result)
    assert result.stdout == joined(payloads)
    assert ("compress", "true") in server.query()
    stats = summary(result)
    assert stats["rejected"] == "0"
    assert int(stats["compressed"]) < int(stats["bytes"]) and float(stats["ratio"]) > 1.5, stats
    assert server.entries("open")[0]["compressed"] is True


@pytest.mark.parametrize("shape", [("--ping-between",), ("--fragment", 100)], ids=["pings-between", "fragmented"])
def test_compressed_events_between_pings_or_in_fragments_are_written_exactly(jetstream, run, dictionary, shape):
    """Whole binary messages that arrive together are decoded as a run (on two threads where
    there are two cores); a ping or a fragmented message in the stream ends a run and is taken
    in its place."""
    flags = ("--generate", 3000)
    payloads = event_payloads(*flags)
    server = jetstream(*flags, *shape, "--then-hold")
    result = run("--host", server.url, "--compress", "--zstd-dict", ZSTD_DICTIONARY, "--limit", len(payloads))
    expect_success(result)
    assert result.stdout == joined(payloads)
    assert summary(result)["rejected"] == "0"
    if shape[0] == "--ping-between":
        log = server.wait_until_settled()
        pings = [e["data"] for e in log if e["event"] == "ping"]
        pongs = [e["data"] for e in log if e["event"] == "pong"]
        assert pings and pongs and pongs[-1] == pings[-1], "the last ping was not answered"


@pytest.mark.parametrize("fault", ["midframe", "drop"])
def test_a_compressed_stream_cut_mid_run_resumes_without_gap_or_duplicate(jetstream, run, dictionary, fault):
    flags = ("--generate", 3000)
    payloads = event_payloads(*flags)
    server = jetstream(*flags, "--then-hold", "--fault", f"1:{fault}@1700")
    result = run("--host", server.url, "--compress", "--zstd-dict", ZSTD_DICTIONARY, "--limit", len(payloads),
                 "--backoff", 0.05)
    expect_success(result)
    assert result.stdout == joined(payloads)
    assert summary(result)["reconnects"] == "1"


@pytest.mark.parametrize("cpus", ["0", "all"])
def test_a_second_decoding_thread_only_where_a_second_cpu_is_allowed(jetstream, tail_binary, dictionary, tmp_path, cpus):
    """--compress decodes on a helper thread beside the reader, unless the process may run on one
    CPU only (taskset, a cpuset). (stdout is a file, which the reader writes itself.)"""
    if cpus == "all" and len(os.sched_getaffinity(0)) < 2:
        pytest.skip("one CPU here")
    server = jetstream("--generate", 20, "--then-hold")
    command = [str(tail_binary), "--host", server.url, "--compress", "--zstd-dict", str(ZSTD_DICTIONARY)]
    if cpus == "0":
        command = ["taskset", "-c", "0"] + command
    out = tmp_path / "out"
    with open(out, "wb") as stdout:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.DEVNULL,
                                   env={**os.environ, "XDG_CACHE_HOME": str(tmp_path), "HOME": str(tmp_path)})
        try:
            # Once the 20 events are out, every thread the run uses has been started.
            deadline = time.monotonic() + 10
            while out.read_bytes().count(b"\n") < 20 and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            threads = len(os.listdir(f"/proc/{process.pid}/task"))
        finally:
            process.terminate()
            process.wait(timeout=10)
    assert out.read_bytes().count(b"\n") == 20
    assert threads == (1 if cpus == "0" else 2), f"{threads} threads"


def test_text_and_dictionary_less_messages_on_a_compressed_stream_are_accepted(jetstream, run, dictionary):
    flags = ("--generate", 50)
    payloads = event_payloads(*flags)
    server = jetstream(*flags, "--inject", "text:3", "--inject", "text:4", "--inject", "nodict:10", "--then-hold")
    result = run("--host", server.url, "--compress", "--zstd-dict", ZSTD_DICTIONARY, "--limit", 50)
    expect_success(result)
    assert result.stdout == joined(payloads)
    assert summary(result)["rejected"] == "0"
    assert {e["kind"] for e in server.entries("injected")} == {"text", "nodict"}


def test_a_corrupt_frame_is_skipped_and_reported_once(jetstream, run, dictionary):
    flags = ("--generate", 60)
    payloads = event_payloads(*flags)
    server = jetstream(*flags, "--inject", "garbage:10", "--inject", "garbage:40", "--then-hold")
    result = run("--host", server.url, "--compress", "--zstd-dict", ZSTD_DICTIONARY, "--limit", 60)
    expect_success(result)
    assert result.stdout == joined(payloads), "the stream must go on past a corrupt frame"
    assert summary(result)["rejected"] == "2"
    reports = [l for l in stderr_of(result).splitlines() if "corrupt compressed message" in l]
    assert len(reports) == 1, stderr_of(result)


def test_a_decompression_bomb_is_skipped_and_reported(jetstream, run, dictionary):
    flags = ("--generate", 60)
    payloads = event_payloads(*flags)
    server = jetstream(*flags, "--inject", "bomb:20", "--then-hold")
    result = run("--host", server.url, "--compress", "--zstd-dict", ZSTD_DICTIONARY, "--limit", 60)
    expect_success(result)
    assert result.stdout == joined(payloads), "the stream must go on past a bomb"
    assert summary(result)["rejected"] == "1"
    reports = [l for l in stderr_of(result).splitlines() if "decompresses to more than" in l]
    assert len(reports) == 1 and str(4 << 20) in reports[0], stderr_of(result)
    injected = server.entries("injected")
    assert len(injected) == 1 and injected[0]["bytes"] < 4096, "the bomb must be a small frame"


def test_a_frame_made_with_another_dictionary_is_fatal(jetstream, run, dictionary):
    flags = ("--generate", 30)
    payloads = event_payloads(*flags)
    server = jetstream(*flags, "--inject", "otherdict:10", "--then-hold")
    result = run("--host", server.url, "--compress", "--zstd-dict", ZSTD_DICTIONARY, "--limit", 30)
    assert result.returncode == 1, stderr_of(result)
    assert f"this server's frames need dictionary {DICTIONARY_ID + 1}" in stderr_of(result)
    assert result.stdout == joined(payloads[:10]), "the events before it are still written"


def test_faults_inside_a_long_fast_compressed_stream_are_handled_in_order(jetstream, run, dictionary):
    """Thousands of frames arrive together and are decoded as runs: a corrupt frame and a bomb in
    the middle are skipped and reported once each, and a frame that needs another dictionary
    still ends the run after exactly the events before it."""
    flags = ("--generate", 3000)
    payloads = event_payloads(*flags)
    server = jetstream(*flags, "--inject", "garbage:1000", "--inject", "bomb:1500", "--inject", "garbage:2200",
                       "--inject", "otherdict:2900", "--then-hold")
    result = run("--host", server.url, "--compress", "--zstd-dict", ZSTD_DICTIONARY, "--limit", len(payloads))
    assert result.returncode == 1, stderr_of(result)
    assert result.stdout == joined(payloads[:2900])
    assert summary(result)["rejected"] == "3"
    warnings = [l for l in stderr_of(result).splitlines() if "skipped" in l]
    assert len(warnings) == 2, stderr_of(result)
    assert f"need dictionary {DICTIONARY_ID + 1}" in stderr_of(result)


# --------------------------------------------------------------------------------------------
# The dictionary: user file, cache, download


class DictionaryServer(LocalHTTPSServer):
    """A loopback HTTPS server that answers every GET with `body`, counting requests."""

    def __init__(self, certificates, body: bytes):
        self.requests: list[str] = []

        def answer(path: str, headers) -> tuple[int, str, bytes]:
            self.requests.append(path)
            return 200, "application/octet-stream", body

        super().__init__(certificates, answer)
        self.url = self.base_url + "/legacy_subscribe.zdict"


@pytest.fixture
def dictionary_server(certificates):
    started: list[DictionaryServer] = []

    def start(body: bytes) -> DictionaryServer:
        started.append(DictionaryServer(certificates, body))
        return started[-1]

    yield start
    for server in started:
        server.stop()


def damaged(data: bytes) -> bytes:
    """Same size, one byte changed: only the SHA-256 tells."""
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1:]


def test_a_cached_dictionary_with_a_wrong_hash_is_replaced_by_a_verified_download(
        jetstream, run, dictionary, dictionary_server, certificates, tmp_path):
    cache = tmp_path / "cache"
    cached = cache / "jetstream-tail" / CACHE_FILE
    cached.parent.mkdir(parents=True)
    cached.write_bytes(damaged(dictionary))
    origin = dictionary_server(dictionary)
    flags = ("--generate", 40)
    server = jetstream(*flags, "--then-hold")
    args = ("--host", server.url, "--compress", "--zstd-dict-url", origin.url, "--cacert", certificates.ca, "--limit", 40)

    result = run(*args, cache=cache)
    expect_success(result)
    assert result.stdout == joined(event_payloads(*flags))
    assert len(origin.requests) == 1
    assert "is damaged" in stderr_of(result) and "downloaded" in stderr_of(result), stderr_of(result)
    assert cached.read_bytes() == dictionary
    assert sorted(p.name for p in cached.parent.iterdir()) == [CACHE_FILE]

    # The next run uses the verified copy without asking the network.
    again = run(*args, cache=cache)
    expect_success(again)
    assert again.stdout == joined(event_payloads(*flags))
    assert len(origin.requests) == 1
    assert "download" not in stderr_of(again)


@pytest.mark.parametrize("before", ["absent", "damaged"])
def test_a_download_that_is_not_jetstreams_dictionary_is_refused(
        jetstream, run, dictionary, dictionary_server, certificates, tmp_path, before):
    cache = tmp_path / "cache"
    cached = cache / "jetstream-tail" / CACHE_FILE
    if before == "damaged":
        cached.parent.mkdir(parents=True)
        cached.write_bytes(damaged(dictionary))
    origin = dictionary_server(damaged(dictionary[::-1]))
    server = jetstream("--generate", 5, "--then-hold")
    result = run("--host", server.url, "--compress", "--zstd-dict-url", origin.url, "--cacert", certificates.ca,
                 "--limit", 5, cache=cache)
    assert result.returncode == 1, stderr_of(result)
    assert result.stdout == b""
    assert "not Jetstream's zstd dictionary" in stderr_of(result) and "--zstd-dict" in stderr_of(result), stderr_of(result)
    assert len(origin.requests) == 1
    assert not server.requests(), "nothing may connect without a usable dictionary"
    if before == "absent":
        assert not cached.parent.exists() or not any(cached.parent.iterdir())
    else:
        assert cached.read_bytes() == damaged(dictionary)
        assert sorted(p.name for p in cached.parent.iterdir()) == [CACHE_FILE]


def test_offline_with_no_cache_says_to_pass_zstd_dict(jetstream, run, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    server = jetstream("--generate", 5, "--then-hold")
    result = run("--host", server.url, "--compress", "--zstd-dict-url", "http://127.0.0.1:1/x", "--limit", 5,
                 "--connect-timeout", 5, cache=cache)
    assert result.returncode == 1, stderr_of(result)
    assert result.stdout == b""
    errors = [l for l in stderr_of(result).splitlines() if "error" in l]
    assert len(errors) == 1 and "--zstd-dict" in errors[0], stderr_of(result)
    assert not server.requests()
    assert not any(cache.rglob("*.zdict"))


def test_a_user_dictionary_without_the_zstd_magic_is_refused(jetstream, run, dictionary, tmp_path):
    fake = tmp_path / "not-a-dictionary"
    fake.write_bytes(dictionary[4:])  # everything but the magic number
    server = jetstream("--generate", 5, "--then-hold")
    result = run("--host", server.url, "--compress", "--zstd-dict", fake, "--limit", 5)
    assert result.returncode == 1, stderr_of(result)
    assert "is not a zstd dictionary" in stderr_of(result) and str(fake) in stderr_of(result), stderr_of(result)
    assert result.stdout == b""
    assert not server.requests()
