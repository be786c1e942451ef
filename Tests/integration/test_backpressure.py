"""A slow consumer: stdout is a pipe the test leaves unread for a while, then drains.

Under `--on-full block` reading pauses and nothing is lost; under `--on-full drop` the tail keeps
reading, drops the oldest queued events, counts them and warns, and what it does write is still
the history in order with nothing repeated."""

from __future__ import annotations

import time


from support import assert_same_stream, event_payloads, is_subsequence, lines, report_fields, summary_of

TOTAL = 4000
STALL = 1.5  # seconds the test leaves stdout unread
SMALL_QUEUE = ("--buffer", 100, "--buffer-bytes", "64K", "--stats-interval", 0.2)


def read_slowly(process, timeout: float = 30.0) -> bytes:
    """Leaves the pipe unread for STALL seconds (the tail must still be running), then drains it."""
    time.sleep(STALL)
    assert process.poll() is None, "the tail finished while its stdout was not being read"
    out, _ = process.communicate(timeout=timeout)
    return out


def test_block_pauses_reading_and_loses_nothing(jetstream, spawn):
    flags = ("--generate", TOTAL)
    history = event_payloads(*flags)
    server = jetstream(*flags, "--then-hold")
    process = spawn("--host", server.url, "--limit", TOTAL, "--on-full", "block", *SMALL_QUEUE)
    out = read_slowly(process)
    stderr = process.stderr_bytes()
    assert process.returncode == 0, stderr.decode(errors="replace")[-3000:]
    assert_same_stream(out, b"".join(p + b"\n" for p in history))
    summary = summary_of(stderr)
    assert (summary["dropped"], summary["written"], summary["reconnects"]) == ("0", str(TOTAL), "0")
    # While stdout was stalled the server could not send everything: TCP pushed back.
    assert any(int(s["written"]) < TOTAL for s in report_fields(stderr, "stats"))


def test_drop_keeps_reading_drops_the_oldest_counts_and_warns(jetstream, spawn):
    flags = ("--generate", TOTAL)
    history = event_payloads(*flags)
    server = jetstream(*flags, "--then-hold")
    process = spawn("--host", server.url, "--limit", TOTAL, "--on-full", "drop", "--max-lag", 50, *SMALL_QUEUE)
    out = read_slowly(process)
    stderr = process.stderr_bytes()
    assert process.returncode == 0, stderr.decode(errors="replace")[-3000:]
    got = lines(out)
    assert out.endswith(b"\n"), "the last line is cut"
    assert len(set(got)) == len(got), "an event was written twice"
    assert is_subsequence(got, history), "stdout is not the history in order with some events left out"
    assert got[-1] == history[-1], "the newest events are kept"
    summary = summary_of(stderr)
    assert int(summary["dropped"]) > 0
    assert int(summary["dropped"]) + len(got) == TOTAL, "every event is either written or counted as dropped"
    assert summary["written"] == str(len(got))
    assert b"falling behind" in stderr
    server.wait_until_settled()
    assert len(server.requests()) == 1


def test_the_queue_stays_within_buffer_limits_while_stdout_is_stalled(jetstream, spawn):
    flags = ("--generate", TOTAL)
    server = jetstream(*flags, "--then-hold")
    process = spawn("--host", server.url, "--limit", TOTAL, "--on-full", "block", *SMALL_QUEUE)
    out = read_slowly(process)
    assert process.returncode == 0 and len(lines(out)) == TOTAL
    queued = [int(s["queued"]) for s in report_fields(process.stderr_bytes(), "stats")]
    assert queued and max(queued) <= 100, f"queued events went up to {max(queued)} with --buffer 100"


def test_a_stdout_stall_longer_than_the_idle_timeout_is_not_a_dead_connection(jetstream, spawn):
    flags = ("--generate", TOTAL)
    history = event_payloads(*flags)
    server = jetstream(*flags, "--then-hold")
    process = spawn("--host", server.url, "--limit", TOTAL, "--idle-timeout", 1, "--keepalive", 0.3, *SMALL_QUEUE)
    out = read_slowly(process)
    assert process.returncode == 0
    assert_same_stream(out, b"".join(p + b"\n" for p in history))
    summary = summary_of(process.stderr_bytes())
    assert summary["reconnects"] == "0", f"reconnected after a stdout stall: cause={summary['cause']}"


def status_kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))


def test_memory_while_stdout_is_stalled_follows_the_queued_bytes_not_the_number_of_batches(jetstream, spawn):
    flags = ("--generate", 3000)
    server = jetstream(*flags, "--then-hold", "--delay", 0.0003)  # a trickle: the socket idles between events
    process = spawn("--host", server.url, "--limit", 3000, "--stats-interval", 0.5)
    time.sleep(0.3)
    before = status_kb(process.pid, "VmSize")
    time.sleep(3.0)  # stdout unread: about 2,500 events (some 1.3 MB) wait in the queue
    grown = status_kb(process.pid, "VmSize") - before
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 0 and len(lines(out)) == 3000
    queued = max(int(s["queued"]) for s in report_fields(process.stderr_bytes(), "stats"))
    assert queued > 1000, "the stall did not queue enough events to measure"
    assert grown < 64 * 1024, f"address space grew by {grown // 1024} MiB while {queued} events were queued"
