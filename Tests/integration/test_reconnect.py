"""Reconnect and resume against real faults: whatever ends a connection, stdout carries every
event the server has exactly once, in order, and the stats say what happened.

Each server offers a fixed list of events; the tail runs with `--limit` = that many, so it ends
once it has written the whole unique history. The server's record (every message it sent,
replays included) is the other witness: its repeats removed, it must be the same history."""

from __future__ import annotations

import json

import pytest

from support import assert_same_stream, event_payloads, lines, report_fields, summary_of, unique_in_order

TOTAL = 2000
CUT = 700  # events the first connection delivers before its fault
FAST = ("--backoff", 0.05, "--stats-interval", 0)


def expect_exit(result, status: int = 0) -> None:
    assert result.returncode == status, f"exit {result.returncode}; stderr: {result.stderr.decode(errors='replace')[-3000:]}"


def time_us(payload: bytes) -> int:
    return json.loads(payload)["time_us"]


def assert_exact_history(result, server, history: list[bytes]) -> None:
    """stdout is the history, byte for byte; the record, repeats removed, is too."""
    server.wait_until_settled()
    assert_same_stream(result.stdout, b"".join(p + b"\n" for p in history))
    sent = lines(server.sent())
    assert unique_in_order(sent) == history, "the record is not the history the test expects"
    assert len(sent) > len(history), "the server never replayed anything: no reconnect happened"


@pytest.mark.parametrize("fault, cause", [
    ("midframe", "eof"),
    ("drop", "eof"),
    ("close=1000", "close-1000"),
    ("close=1001", "close-1001"),
    ("close=1011", "close-1011"),
])
def test_resumes_without_gap_or_duplicate_after_the_connection_ends(jetstream, tail, fault, cause):
    flags = ("--generate", TOTAL)
    history = event_payloads(*flags)
    server = jetstream(*flags, "--then-hold", "--fault", f"1:{fault}@{CUT}", "--close-reason", "bye")
    result = tail("--host", server.url, "--limit", TOTAL, "--rewind", 0.5, *FAST)
    expect_exit(result)
    assert_exact_history(result, server, history)
    # The second request resumes --rewind before the last event written, and the events the
    # server replays up to that one are skipped as duplicates.
    cursor = time_us(history[CUT - 1]) - 500_000
    assert server.query_values("cursor", conn=2) == [str(cursor)]
    replayed = sum(1 for p in history[:CUT] if time_us(p) >= cursor)
    summary = summary_of(result.stderr)
    assert (summary["reconnects"], summary["cause"]) == ("1", cause)
    assert summary["duplicates"] == str(replayed) and summary["written"] == str(TOTAL)
    assert len(server.requests()) == 2


def test_midframe_cut_is_reported_and_the_partial_event_is_not_written(jetstream, tail):
    flags = ("--generate", TOTAL)
    history = event_payloads(*flags)
    server = jetstream(*flags, "--then-hold", "--fault", f"1:midframe@{CUT},2:midframe@{CUT}")
    result = tail("--host", server.url, "--limit", TOTAL, *FAST)
    expect_exit(result)
    assert_exact_history(result, server, history)
    assert [e["partial_frame_bytes"] > 4 for e in server.entries("aborted")] == [True, True]
    assert summary_of(result.stderr)["reconnects"] == "2"
    assert b"without a close frame" in result.stderr


def test_silent_connection_is_abandoned_after_the_idle_timeout(jetstream, tail):
    flags = ("--generate", TOTAL)
    history = event_payloads(*flags)
    server = jetstream(*flags, "--then-hold", "--fault", f"1:hold@{CUT}")
    result = tail("--host", server.url, "--limit", TOTAL, "--idle-timeout", 1, "--keepalive", 0.3,
                  "--backoff", 0.05, "--stats-interval", 0.2)
    expect_exit(result)
    assert_exact_history(result, server, history)
    summary = summary_of(result.stderr)
    assert (summary["reconnects"], summary["cause"]) == ("1", "idle-timeout")
    stats = report_fields(result.stderr, "stats")
    assert stats[0]["reconnects"] == "0" and stats[0]["cause"] == "-"
    assert b"nothing received for 1.0s" in result.stderr
    assert server.entries("silent", conn=1)


def test_many_faults_in_a_row(jetstream, tail):
    flags = ("--generate", 5000)
    history = event_payloads(*flags)
    faults = "1:drop@900,2:midframe@1100,3:status=503,4:close=1001@1000,5:close=1011@1000,6:drop@1000"
    server = jetstream(*flags, "--then-hold", "--fault", faults)
    result = tail("--host", server.url, "--limit", 5000, "--rewind", 0.3, "--backoff", 0.02, "--stats-interval", 0)
    expect_exit(result)
    assert_exact_history(result, server, history)
    summary = summary_of(result.stderr)
    assert (summary["reconnects"], summary["cause"]) == ("6", "eof")


def test_503_then_101_retries_and_loses_nothing(jetstream, tail):
    flags = ("--generate", 300)
    history = event_payloads(*flags)
    server = jetstream(*flags, "--then-hold", "--fault", "1-2:status=503")
    result = tail("--host", server.url, "--limit", 300, *FAST)
    expect_exit(result)
    server.wait_until_settled()
    assert_same_stream(result.stdout, b"".join(p + b"\n" for p in history))
    assert len(server.requests()) == 3
    assert server.query_values("cursor", conn=3) == [], "nothing was written yet: no cursor to resume from"
    summary = summary_of(result.stderr)
    assert (summary["reconnects"], summary["cause"]) == ("2", "http-503")
    assert result.stderr.count(b"503") >= 2


def test_503_with_retry_after_waits_at_least_that_long(jetstream, tail):
    flags = ("--generate", 50)
    server = jetstream(*flags, "--then-hold", "--fault", "1:status=503/1")
    result = tail("--host", server.url, "--limit", 50, "--backoff", 0.01, "--stats-interval", 0)
    expect_exit(result)
    first, second = server.requests()
    assert second["at"] - first["at"] >= 0.95, "Retry-After: 1 was not honoured"
    assert_same_stream(result.stdout, b"".join(p + b"\n" for p in event_payloads(*flags)))


def test_400_is_fatal_with_the_reason_after_one_attempt(jetstream, tail):
    server = jetstream("--generate", 10, "--fault", "*:status=400", "--body", "invalid subscriber options: nope")
    result = tail("--host", server.url, *FAST)
    expect_exit(result, 1)
    assert result.stdout == b""
    assert b"invalid subscriber options: nope" in result.stderr
    assert b"400" in result.stderr
    server.wait_until_settled()
    assert len(server.requests()) == 1


def test_max_reconnects_gives_up_with_status_1(jetstream, tail):
    server = jetstream("--generate", 10, "--fault", "*:status=503")
    result = tail("--host", server.url, "--max-reconnects", 2, "--backoff", 0.01, "--stats-interval", 0)
    expect_exit(result, 1)
    assert b"giving up after 2 reconnects" in result.stderr
    server.wait_until_settled()
    assert len(server.requests()) == 3
    summary = summary_of(result.stderr)
    assert (summary["reconnects"], summary["cause"]) == ("2", "http-503")


@pytest.mark.parametrize("fault", ["drop", "close=1001", "midframe"])
def test_v2_server_resumes_by_sequence_cursor_despite_shared_time_us(jetstream, tail, fault):
    flags = ("--generate", TOTAL, "--v2", "--v2-batch", 5)
    history = event_payloads(*flags)
    # Cut inside a batch of shared time_us: resuming by time would repeat or lose events.
    cut = CUT + 2
    server = jetstream(*flags, "--then-hold", "--fault", f"1:{fault}@{cut},2:drop@{cut}")
    result = tail("--host", server.url, "--limit", TOTAL, *FAST)
    expect_exit(result)
    assert_exact_history(result, server, history)
    seq = json.loads(history[cut - 1])["cursor"]
    assert server.query_values("cursor", conn=2) == [str(seq)]
    # The second connection started at that sequence number and delivered `cut` events.
    assert server.query_values("cursor", conn=3) == [str(seq + cut - 1)]
    summary = summary_of(result.stderr)
    assert summary["reconnects"] == "2"
    assert summary["duplicates"] == "2", "an inclusive replay repeats exactly the last event each time"


def without_time(payload: bytes) -> dict:
    event = json.loads(payload)
    del event["time_us"]
    return event


def boundary_cut(history: list[bytes], rewind_us: int, shift: int) -> int:
    """A cut after which the failover replay starts at an event the first host's rewind window
    does not cover (an event between `last - rewind - |shift|` and `last - rewind`)."""
    times = [time_us(p) for p in history]
    for cut in range(CUT, len(times) - 200):
        low, high = times[cut - 1] - rewind_us - abs(shift), times[cut - 1] - rewind_us
        if any(low <= t < high for t in times):
            return cut
    raise AssertionError("no cut with an event at the window's edge")


@pytest.mark.parametrize("rewind, shift", [
    (5, 300), (5, -300), (0.2, -300), (0.2, 300),
])
def test_failover_to_another_host_writes_each_event_once(jetstream, tail, shift, rewind):
    """With --rewind 5 the whole stream (3 s) is inside the window; with 0.2 the cut is chosen so
    the second host's replay begins right at the window's edge."""
    flags = ("--generate", TOTAL)
    history = event_payloads(*flags)
    other = event_payloads(*flags, "--time-shift", shift)
    cut = CUT if rewind == 5 else boundary_cut(history, int(rewind * 1e6), shift)
    a = jetstream(*flags, "--then-hold", "--fault", f"1:drop@{cut}")
    b = jetstream(*flags, "--then-hold", "--time-shift", shift)
    result = tail("--host", a.url, "--host", b.url, "--limit", TOTAL, "--rewind", rewind, *FAST)
    expect_exit(result)
    a.wait_until_settled()
    b.wait_until_settled()
    got = lines(result.stdout)
    assert [without_time(p) for p in got] == [without_time(p) for p in history], \
        "by content (time_us aside) stdout is not each event once, in order"
    assert got == history[:cut] + other[cut:], "the first host's bytes up to the cut, then the second's"
    assert b.query_values("cursor") == [str(time_us(history[cut - 1]) - int(rewind * 1e6))]
    summary = summary_of(result.stderr)
    assert summary["reconnects"] == "1" and summary["cause"] == "eof"
    assert int(summary["duplicates"]) == len(lines(b.sent())) - (TOTAL - cut)
