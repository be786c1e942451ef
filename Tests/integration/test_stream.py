"""jetstream-tail's stdout is exactly what the server sent: every message + "\\n", in order."""

from __future__ import annotations

import json
import os
import select
import subprocess
import time

import pytest

from support import assert_same_stream, event_payloads, lines


def expect_clean_exit(result) -> None:
    assert result.returncode == 0, f"exit {result.returncode}; stderr: {result.stderr.decode(errors='replace')[-2000:]}"


def test_sample_events_reach_stdout_byte_for_byte(jetstream, tail, sample_events):
    server = jetstream("--events", sample_events, "--then-hold")
    result = tail("--host", server.url, "--limit", 6)
    expect_clean_exit(result)
    server.wait_until_settled()
    assert_same_stream(result.stdout, server.sent())
    assert result.stdout == b"".join(line + b"\n" for line in lines(sample_events.read_bytes()))


def test_thousands_of_generated_events_over_ws(jetstream, tail, sample_events):
    flags = ("--events", sample_events, "--generate", 5000)
    server = jetstream(*flags, "--then-hold")
    result = tail("--host", server.url, "--limit", 5006)
    expect_clean_exit(result)
    server.wait_until_settled()
    assert_same_stream(result.stdout, server.sent())
    assert lines(result.stdout) == event_payloads(*flags)


@pytest.mark.parametrize("host", ["wss://127.0.0.1:{port}/subscribe", "wss://localhost:{port}/subscribe", "localhost:{port}"])
def test_events_over_wss_with_cacert(jetstream, tail, sample_events, certificates, host):
    flags = ("--events", sample_events, "--generate", 1000)
    server = jetstream(*flags, "--then-hold", tls=True)
    result = tail("--host", host.format(port=server.port), "--cacert", certificates.ca, "--limit", 1006)
    expect_clean_exit(result)
    server.wait_until_settled()
    assert_same_stream(result.stdout, server.sent())
    assert lines(result.stdout) == event_payloads(*flags)
    assert server.requests()[0]["tls"] is True


def test_messages_with_16_and_64_bit_lengths(jetstream, tail):
    # 126..65535 bytes use the 16-bit length, larger ones the 64-bit length (RFC 6455 §5.2);
    # 1.1 MB stays under the default --max-message-size of 4 MiB.
    server = jetstream("--generate", 20, "--big-event", 300, "--big-event", 70000, "--big-event", 1_100_000, "--then-hold")
    result = tail("--host", server.url, "--limit", 23)
    expect_clean_exit(result)
    server.wait_until_settled()
    assert_same_stream(result.stdout, server.sent())
    assert len(lines(result.stdout)[-1]) >= 1_100_000


def test_cursor_reaches_the_server_and_replay_starts_there(jetstream, tail):
    everything = event_payloads("--generate", 300)
    cursor = json.loads(everything[120])["time_us"]
    server = jetstream("--generate", 300, "--then-hold")
    result = tail("--host", server.url, "--cursor", cursor, "--limit", 180)
    expect_clean_exit(result)
    server.wait_until_settled()
    assert server.query_values("cursor") == [str(cursor)]
    assert_same_stream(result.stdout, server.sent())
    assert lines(result.stdout) == everything[120:]


def test_the_request_goes_to_the_subscribe_path_as_a_websocket_upgrade(jetstream, tail):
    server = jetstream("--generate", 1, "--then-hold")
    expect_clean_exit(tail("--host", server.url, "--limit", 1))
    server.wait_until_settled()
    request = server.requests()[0]
    assert request["route"] == "/subscribe"
    headers = {k.lower(): v for k, v in request["headers"]}
    assert headers["upgrade"].lower() == "websocket"
    assert headers["sec-websocket-version"] == "13"
    assert headers["host"] == f"127.0.0.1:{server.port}"
    # Jetstream's own compression is zstd; permessage-deflate next to it is refused by v2 servers.
    assert "permessage-deflate" not in headers.get("sec-websocket-extensions", "")


def test_an_event_over_several_lines_comes_out_on_one(jetstream, tail):
    # Indented JSON is still one event: its line breaks (whitespace between tokens) become spaces.
    flags = ("--generate", 20)
    payloads = event_payloads(*flags)
    server = jetstream(*flags, "--inject", "pretty:5", "--then-hold")
    result = tail("--host", server.url, "--limit", 20)
    expect_clean_exit(result)
    pretty = json.dumps(json.loads(payloads[5]), indent=1, ensure_ascii=False).encode()
    assert pretty.count(b"\n") > 3 and pretty in server.sent()
    assert lines(result.stdout) == payloads[:5] + [pretty.replace(b"\n", b" ")] + payloads[6:]


def test_a_text_message_that_is_not_json_is_skipped_and_reported(jetstream, tail):
    flags = ("--generate", 20)
    server = jetstream(*flags, "--inject", "notjson:7", "--then-hold")
    result = tail("--host", server.url, "--limit", 20)
    expect_clean_exit(result)
    assert lines(result.stdout) == event_payloads(*flags)
    assert b"not a JSON object (16 bytes), skipped" in result.stderr


@pytest.mark.parametrize("output", ["file", "pipe", "file with a cursor file"])
def test_a_file_is_written_by_the_reader_itself_and_a_pipe_by_a_writer_thread(jetstream, spawn, tmp_path, output):
    """A regular file never makes a write wait for a reader, so under --on-full block the reader
    writes its batches there itself; a pipe gets the writer thread, and so does a file whose
    cursor file's saves fsync it. The stream is the same."""
    flags = ("--generate", 300)
    history = event_payloads(*flags)
    server = jetstream(*flags, "--then-hold")
    out_path = tmp_path / "out.jsonl"
    args = ["--host", server.url, "-q"]
    if output == "file with a cursor file":
        args += ["--cursor-file", tmp_path / "cursor"]
    with open(out_path, "wb") as out_file:
        process = spawn(*args, stdout=subprocess.PIPE if output == "pipe" else out_file)
    received = b""
    deadline = time.monotonic() + 10
    while received.count(b"\n") < len(history) and process.poll() is None and time.monotonic() < deadline:
        if output != "pipe":
            time.sleep(0.05)
            received = out_path.read_bytes()
        elif select.select([process.stdout], [], [], 0.2)[0]:
            received += os.read(process.stdout.fileno(), 1 << 16)
    threads = len(os.listdir(f"/proc/{process.pid}/task"))
    process.terminate()
    rest, _ = process.communicate(timeout=10)
    assert process.returncode == 0, process.stderr_bytes().decode(errors="replace")
    assert_same_stream(received + (rest or b""), b"".join(p + b"\n" for p in history))
    assert threads == (1 if output == "file" else 2), f"{threads} threads"


@pytest.mark.parametrize("limit", [1, 50])
@pytest.mark.parametrize("stdout", ["read-only file", "/dev/full"])
def test_a_stdout_that_cannot_be_written_ends_the_run_with_one_line_and_status_1(jetstream, tail_binary, tmp_path, stdout, limit):
    """With --limit 1 the only write comes after the reader has stopped: that failure counts too."""
    server = jetstream("--generate", 50, "--then-hold")
    target = tmp_path / "read-only"
    target.write_bytes(b"")
    with open(target if stdout == "read-only file" else "/dev/full", "rb" if stdout == "read-only file" else "wb") as out:
        result = subprocess.run([str(tail_binary), "--host", server.url, "--limit", str(limit), "-q"], stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.PIPE, timeout=20)
    message = result.stderr.decode(errors="replace").strip().splitlines()
    assert result.returncode == 1, message
    assert len(message) == 1 and "cannot write to stdout" in message[0], message
    assert target.read_bytes() == b""
