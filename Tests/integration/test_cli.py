"""The process contract: exit statuses, the refused-upgrade message, usage errors, and a
closed stdout (`| head`) as a normal stop."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from support import lines


def test_a_refused_upgrade_prints_the_status_and_the_servers_reason(jetstream, tail):
    server = jetstream("--status", 400, "--body", "invalid cursor: abc")
    result = tail("--host", server.url, "--limit", 1)
    stderr = result.stderr.decode(errors="replace")
    assert result.returncode == 1, stderr
    assert result.stdout == b""
    assert "400" in stderr
    assert "invalid cursor: abc" in stderr
    assert len(server.entries("rejected")) == 1, "a 400 is final: no retry"


@pytest.mark.parametrize("framing, shown", [
    ("5\\r\\nslow \\r\\n4\\r\\ndown\\r\\n0\\r\\n\\r\\n", "slow down"),
    # A size with a sign is not chunked framing; it once made a negative length that crashed the tool.
    ("-5\\r\\nslow down\\r\\n0\\r\\n\\r\\n", None),
])
def test_a_chunked_refusal_is_read_or_refused_but_never_crashes(jetstream, tail, framing, shown):
    server = jetstream("--status", 429, "--chunked", "--body", framing)
    result = tail("--host", server.url, "--max-reconnects", 0, "--limit", 1)
    stderr = result.stderr.decode(errors="replace")
    assert result.returncode == 1, stderr
    assert result.stdout == b""
    assert "429" in stderr
    if shown:
        assert shown in stderr
    assert all(line.startswith("jetstream-tail: ") for line in stderr.splitlines()), stderr


def test_a_refused_subscription_reason_is_passed_through_verbatim(jetstream, tail):
    body = "invalid subscriber options: invalid collection: app.bsky.feed.post"
    server = jetstream("--status", 400, "--body", body)
    result = tail("--host", server.url, "-c", "app.bsky.feed.post", "--limit", 1)
    assert result.returncode == 1
    assert body in result.stderr.decode(errors="replace")


@pytest.mark.parametrize("args", [
    ["--no-such-flag"],
    ["--limit", "abc"],
    ["--limit"],
    ["--collection"],
    ["--cursor", "not-a-number"],
    ["--stats-interval", "soon"],
], ids=lambda a: " ".join(a))
def test_usage_errors_exit_2_before_connecting(jetstream, tail, args):
    server = jetstream("--generate", 3, "--then-hold")
    result = tail("--host", server.url, *args)
    assert result.returncode == 2, result.stderr.decode(errors="replace")
    assert result.stdout == b""
    assert result.stderr.strip(), "a usage error must say what is wrong"
    assert not server.requests(), "a usage error must not connect"


def test_a_usage_error_shows_control_characters_as_escapes(tail):
    # A pasted line break or an escape sequence in a value must not break the message or reach
    # the terminal: the message is two lines (the error and the hint), with the value escaped.
    result = tail("--collection", "app.bsky.feed.post\n\x1b[2Japp")
    assert result.returncode == 2
    stderr = result.stderr.decode()
    assert "\x1b" not in stderr
    error, hint = stderr.splitlines()
    assert error.startswith("jetstream-tail: invalid value 'app.bsky.feed.post\\n\\u{1b}[2Japp' for '--collection': ")
    assert hint == "Try 'jetstream-tail --help' for more information."


def test_help_goes_to_stdout_and_names_the_flags(tail):
    result = tail("--help")
    assert result.returncode == 0
    text = result.stdout.decode()
    for flag in ("--host", "--collection", "--did", "--cursor", "--limit", "--cacert", "--insecure"):
        assert flag in text


def test_version(tail):
    result = tail("--version")
    assert result.returncode == 0
    assert result.stdout.strip()
    assert tail("-V").stdout == result.stdout


def test_a_closed_stdout_is_a_normal_stop(jetstream, tail_binary, tmp_path):
    # More than a pipe buffer of events, and the connection stays open after them: the tail
    # only stops because `head` closed the pipe.
    server = jetstream("--generate", 5000, "--then-hold")
    environment = dict(os.environ, TAIL=str(tail_binary), URL=server.url)
    pipeline = subprocess.Popen(["bash", "-c", 'set -o pipefail; "$TAIL" --host "$URL" -q | head -n 3'],
                                env=environment, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
    try:
        stdout, stderr = pipeline.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(pipeline.pid, signal.SIGKILL)
        pipeline.communicate()
        pytest.fail("jetstream-tail kept running after head closed its stdout")
    assert pipeline.returncode == 0, f"pipeline exit {pipeline.returncode} (141 = killed by SIGPIPE): {stderr!r}"
    assert stderr == b""
    server.wait_until_settled()
    assert lines(stdout) == lines(server.sent())[:3]
