"""Ending a run from outside: SIGINT/SIGTERM during a burst, a second SIGINT, and a reader that
goes away (`| head -n 3`)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time

import pytest

from support import event_payloads, lines, summary_of

BURST = ("--generate", 20000, "--delay", 0.0002)


def read_lines(process, count: int, timeout: float = 10.0) -> bytes:
    """Reads stdout until at least `count` whole lines arrived; returns the bytes read."""
    data = b""
    fd = process.stdout.fileno()
    deadline = time.monotonic() + timeout
    while data.count(b"\n") < count:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"only {len(lines(data))} lines within {timeout}s"
        if select.select([fd], [], [], remaining)[0]:
            chunk = os.read(fd, 65536)
            assert chunk, "stdout closed early"
            data += chunk
    return data


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_during_a_burst_ends_cleanly_with_a_prefix_of_the_history(jetstream, spawn, signum):
    history = event_payloads(*BURST)
    server = jetstream(*BURST)
    process = spawn("--host", server.url, "--stats-interval", 0)
    head = read_lines(process, 300)
    process.send_signal(signum)
    rest, _ = process.communicate(timeout=10)
    stderr = process.stderr_bytes()
    assert process.returncode == 0, stderr.decode(errors="replace")[-3000:]
    out = head + rest
    assert out.endswith(b"\n"), "the last line is cut"
    got = lines(out)
    assert 300 <= len(got) < len(history), "the burst was not interrupted"
    assert got == history[:len(got)], "stdout is not an exact prefix of the history"
    summary = summary_of(stderr)
    assert summary["written"] == str(len(got))
    # The tail said goodbye with a close frame (RFC 6455 §7.1.2), not by dropping TCP.
    closed = server.wait_until_settled()[-1]
    assert closed["event"] == "closed" and closed["client_close_code"] == 1000


def test_second_sigint_exits_at_once_with_130(jetstream, spawn):
    server = jetstream("--generate", 4000, "--then-hold")
    process = spawn("--host", server.url, "--buffer", 100, "--buffer-bytes", "64K", "--stats-interval", 0)
    time.sleep(1.0)  # stdout is never read: the pipe and the queue fill, reading pauses
    assert process.poll() is None
    process.send_signal(signal.SIGINT)
    time.sleep(0.5)
    assert process.poll() is None, "with stdout stalled, the first SIGINT cannot write out the queue"
    process.send_signal(signal.SIGINT)
    start = time.monotonic()
    process.wait(timeout=5)
    assert time.monotonic() - start < 1.0
    assert process.returncode == 130


def test_first_sigint_closes_the_connection_even_while_stdout_is_stalled(jetstream, spawn):
    """"Stop reading, send a close frame, write out what is queued": the server hears the close
    although stdout has not drained yet."""
    server = jetstream("--generate", 4000, "--then-hold")
    process = spawn("--host", server.url, "--buffer", 100, "--buffer-bytes", "64K", "--stats-interval", 0)
    time.sleep(1.0)
    process.send_signal(signal.SIGINT)
    closed = server.wait_for(lambda log: any(e["event"] == "closed" for e in log), timeout=3,
                             what="the connection closing after SIGINT")
    assert [e for e in closed if e["event"] == "closed"][0]["client_close_code"] == 1000
    out, _ = process.communicate(timeout=10)
    assert process.returncode == 0
    got = lines(out)
    assert got == event_payloads("--generate", 4000)[:len(got)]


def test_closed_stdout_ends_quietly_with_status_0(jetstream, tail_binary):
    flags = ("--generate", 5000)
    server = jetstream(*flags, "--then-hold")
    tail = subprocess.Popen([str(tail_binary), "--host", server.url, "-q"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    head = subprocess.Popen(["head", "-n", "3"], stdin=tail.stdout, stdout=subprocess.PIPE)
    tail.stdout.close()  # head holds the only reader: when it exits, the pipe breaks
    try:
        out, _ = head.communicate(timeout=10)
        _, stderr = tail.communicate(timeout=10)
    finally:
        for process in (tail, head):
            if process.poll() is None:
                process.kill()
                process.wait()
    assert lines(out) == event_payloads(*flags)[:3]
    assert tail.returncode == 0
    assert stderr == b""
