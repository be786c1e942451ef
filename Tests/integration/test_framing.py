"""WebSocket framing as a real server may produce it: fragmented messages, pings between
fragments (each must be answered by a pong with the same payload), and the server ending the
connection with or without a close frame."""

from __future__ import annotations

import json

import pytest

from support import assert_same_stream, event_payloads, lines


def expect_clean_exit(result) -> None:
    assert result.returncode == 0, f"exit {result.returncode}; stderr: {result.stderr.decode(errors='replace')[-2000:]}"


@pytest.mark.parametrize("size", [1, 7, 125, 4096])
def test_fragmented_messages_are_reassembled(jetstream, tail, sample_events, size):
    count = 40 if size == 1 else 1000
    flags = ("--events", sample_events, "--generate", count)
    server = jetstream(*flags, "--fragment", size, "--then-hold")
    result = tail("--host", server.url, "--limit", count + 6)
    expect_clean_exit(result)
    server.wait_until_settled()
    assert_same_stream(result.stdout, server.sent())
    assert lines(result.stdout) == event_payloads(*flags)


def pings_and_pongs(server) -> tuple[list[str], list[str]]:
    log = server.wait_until_settled()
    return [e["data"] for e in log if e["event"] == "ping"], [e["data"] for e in log if e["event"] == "pong"]


def assert_pongs_answer(pings: list[str], pongs: list[str]) -> None:
    """RFC 6455 §5.5.3: a pong "MUST have identical 'Application data'" to the ping it answers,
    and an endpoint MAY answer only the most recent of several pings it has not answered yet.
    So: pongs are an in-order subsequence of the pings, and the last ping is answered."""
    assert pongs, "the tail sent no pong"
    remaining = iter(pings)
    for pong in pongs:
        assert any(ping == pong for ping in remaining), f"pong {bytes.fromhex(pong)!r} answers no ping (or is out of order)"
    assert pongs[-1] == pings[-1], "the last ping was not answered"


def test_pings_between_fragments_are_answered_with_matching_pongs(jetstream, tail, sample_events):
    flags = ("--events", sample_events, "--generate", 300)
    server = jetstream(*flags, "--fragment", 64, "--ping-between", "--then-hold")
    result = tail("--host", server.url, "--limit", 306)
    expect_clean_exit(result)
    pings, pongs = pings_and_pongs(server)
    assert_same_stream(result.stdout, server.sent())
    assert len(pings) > 1000
    assert_pongs_answer(pings, pongs)


def test_pings_between_messages_are_answered(jetstream, tail):
    server = jetstream("--generate", 200, "--ping-between", "--then-hold")
    result = tail("--host", server.url, "--limit", 200)
    expect_clean_exit(result)
    pings, pongs = pings_and_pongs(server)
    assert_same_stream(result.stdout, server.sent())
    assert len(pings) == 199
    assert_pongs_answer(pings, pongs)


@pytest.mark.parametrize("mode", ["--close-after", "--drop-after"], ids=["close-frame", "no-close-frame"])
def test_server_ending_the_connection(jetstream, tail, mode):
    # The first connection ends after 25 of 100 events, with a 1000 close frame or by a bare TCP
    # close. A tail that exits then must have printed exactly those 25 (exit 0 or 1); one that
    # reconnects (with its cursor) must print all 100 once each, in order.
    total, first = 100, 25
    everything = event_payloads("--generate", total)
    server = jetstream("--generate", total, mode, first, "--then-hold")
    result = tail("--host", server.url, "--limit", total, timeout=90)
    log = server.wait_until_settled()
    printed = lines(result.stdout)
    connections = len([e for e in log if e["event"] == "request"])
    if connections == 1:
        assert result.returncode in (0, 1), result.stderr.decode(errors="replace")
        assert printed == everything[:first]
    else:
        expect_clean_exit(result)
        assert printed == everything
    if mode == "--close-after":
        closed = [e for e in log if e["event"] == "closed" and e["conn"] == 1][0]
        # RFC 6455 §5.5.1: an endpoint that receives a Close frame "MUST send a Close frame in response".
        assert closed["client_close_code"] is not None, "the tail did not answer the server's close frame"


def test_a_server_close_before_any_event(jetstream, tail):
    server = jetstream("--generate", 5, "--close-after", 0, "--then-hold")
    result = tail("--host", server.url, "--limit", 5, timeout=90)
    log = server.wait_until_settled()
    if len([e for e in log if e["event"] == "request"]) == 1:
        assert result.returncode in (0, 1)
        assert result.stdout == b""
    else:
        expect_clean_exit(result)
        assert [json.loads(line)["time_us"] for line in lines(result.stdout)] == \
            [json.loads(p)["time_us"] for p in event_payloads("--generate", 5)]
