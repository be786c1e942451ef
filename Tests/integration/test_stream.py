"""jetstream-tail's stdout is exactly what the server sent: every message + "\\n", in order."""

from __future__ import annotations

import json

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
