"""Backfills: --cursor-file runs that continue each other exactly, survive SIGKILL without a gap,
refuse to race, warn when the server clamped the cursor, and stop once caught up with --until;
and the crontab line from the manual, run three times against a server that keeps producing."""

from __future__ import annotations

import datetime
import json
import os
import pty
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from support import REPO, event_payloads, fake_module, lines

HOUR_US = 3600 * 1_000_000
CRON_LINE = re.compile(r"^\*/5 \* \* \* \* (jetstream-tail .*)$")


def now_us() -> int:
    return time.time_ns() // 1000


def time_us(payload: bytes) -> int:
    return json.loads(payload)["time_us"]


def rfc3339(micros: int) -> str:
    """The tool's own spelling: UTC, six fraction digits, Z."""
    t = datetime.datetime.fromtimestamp(micros // 1_000_000, tz=datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{micros % 1_000_000:06d}Z"


def stderr_of(result: subprocess.CompletedProcess) -> str:
    return result.stderr.decode(errors="replace")


def saved_time_us(path: Path) -> int:
    line = path.read_text()
    match = re.match(r"time_us=(\d+) time=(\S+)", line)
    assert match, f"not a cursor line: {line!r}"
    assert match.group(2) == rfc3339(int(match.group(1))), line
    return int(match.group(1))


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JETSTREAM_TAIL_")}
    env.update(extra)
    return env


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


# --------------------------------------------------------------------------------------------
# Runs that continue each other


def test_two_runs_with_until_continue_each_other_exactly(jetstream, tail, tmp_path):
    flags = ("--generate", 3000)
    payloads = event_payloads(*flags)
    times = [time_us(p) for p in payloads]
    server = jetstream(*flags, "--then-hold")
    cursor = tmp_path / "cursor"

    first = tail("--host", server.url, "--cursor-file", cursor, "--until", times[1200], "-q")
    assert first.returncode == 0, stderr_of(first)
    assert lines(first.stdout) == payloads[:1200]
    # The run met --until, so the point saved is just before it: nothing before it is left to fetch.
    assert saved_time_us(cursor) == times[1200] - 1

    second = tail("--host", server.url, "--cursor-file", cursor, "--cursor", times[0], "--until", times[-1], "-q")
    assert second.returncode == 0, stderr_of(second)
    assert lines(second.stdout) == payloads[1200:-1], "the second run must start right after the first one's last event"
    assert saved_time_us(cursor) == times[-1] - 1
    assert first.stdout + second.stdout == b"".join(p + b"\n" for p in payloads[:-1])
    # The saved point won over --cursor, and the request started at or before it.
    asked = int(server.query_values("cursor", conn=2)[0])
    assert times[1199] - 60 * 1_000_000 <= asked <= times[1199]


def test_a_run_killed_with_sigkill_is_continued_without_a_gap(jetstream, tail, tail_binary, tmp_path):
    flags = ("--generate", 600)
    payloads = event_payloads(*flags)
    times = [time_us(p) for p in payloads]
    server = jetstream(*flags, "--delay", 0.005, "--then-hold")
    cursor = tmp_path / "cursor"
    args = ["--host", server.url, "--cursor-file", cursor, "--until", times[-1], "--save-every", 20, "--save-interval", 0, "-q"]
    out1 = tmp_path / "out1.jsonl"
    with open(out1, "wb") as stdout:
        process = subprocess.Popen([str(tail_binary), *map(str, args)], stdin=subprocess.DEVNULL, stdout=stdout,
                                   stderr=subprocess.PIPE, env=environment())
    try:
        wait_until(lambda: cursor.exists() and out1.read_bytes().count(b"\n") >= 150, 15, "150 events and a saved cursor")
    finally:
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=10)
    saved = saved_time_us(cursor)
    written = out1.read_bytes()
    if not written.endswith(b"\n"):
        written = written[: written.rfind(b"\n") + 1]  # a line cut by the kill is not counted as written
    written_lines = lines(written)
    assert len(written_lines) < len(payloads) - 1, "the run was not killed mid-stream"
    assert written_lines == payloads[: len(written_lines)], "the killed run's output must be a gapless prefix"
    assert saved in times[: len(written_lines)], "the saved point must be an event already on stdout"

    second = tail("--host", server.url, "--cursor-file", cursor, "--until", times[-1], "-q")
    assert second.returncode == 0, stderr_of(second)
    resume = times.index(saved) + 1
    assert lines(second.stdout) == payloads[resume:-1], "the next run must start right after the saved point"
    # Everything up to the saved point exactly once; only events after it may repeat.
    combined = written_lines + lines(second.stdout)
    for index, payload in enumerate(payloads[:-1]):
        assert combined.count(payload) == (1 if index < resume or index >= len(written_lines) else 2), index
    assert saved_time_us(cursor) == times[-1] - 1


def test_a_second_run_on_the_same_cursor_file_exits_1_at_once(jetstream, tail, tail_binary, tmp_path):
    flags = ("--generate", 10)
    payloads = event_payloads(*flags)
    server = jetstream(*flags, "--then-hold")
    cursor = tmp_path / "cursor"
    first = subprocess.Popen([str(tail_binary), "--host", server.url, "--cursor-file", str(cursor), "-q"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment())
    try:
        server.wait_for(lambda log: any(e["event"] == "holding" for e in log), what="the first run reading")
        started = time.monotonic()
        second = tail("--host", server.url, "--cursor-file", cursor, "-q", timeout=10)
        elapsed = time.monotonic() - started
    finally:
        first.send_signal(signal.SIGTERM)
        out, err = first.communicate(timeout=10)
    assert second.returncode == 1, stderr_of(second)
    assert f"another jetstream-tail is using {cursor}" in stderr_of(second)
    assert second.stdout == b""
    assert elapsed < 5, f"the second run took {elapsed:.1f}s to give up"
    assert len(server.requests()) == 1, "the second run must not connect"
    assert first.returncode == 0, err.decode(errors="replace")
    assert lines(out) == payloads
    # Caught up with --until now: the point saved is just before the run's start, past the last event.
    assert time_us(payloads[-1]) <= saved_time_us(cursor) < now_us()


# --------------------------------------------------------------------------------------------
# Cursors: clamped by the server, RFC 3339 and relative forms; --until now


def test_a_cursor_older_than_the_servers_history_warns_with_both_times(jetstream, tail):
    start = now_us() - 30 * HOUR_US
    flags = ("--generate", 50, "--start-time-us", start)
    payloads = event_payloads(*flags)
    first_event = time_us(payloads[0])
    server = jetstream(*flags, "--then-hold")

    before = now_us()
    result = tail("--host", server.url, "--cursor", "-40h", "--limit", 50)
    after = now_us()
    assert result.returncode == 0, stderr_of(result)
    assert lines(result.stdout) == payloads
    asked = int(server.query_values("cursor")[0])
    assert before - 40 * HOUR_US <= asked <= after - 40 * HOUR_US
    warnings = [line for line in stderr_of(result).splitlines() if "asked to start at" in line]
    assert len(warnings) == 1, stderr_of(result)
    assert rfc3339(asked) in warnings[0] and rfc3339(first_event) in warnings[0], warnings[0]
    assert "lost" in warnings[0]

    # A cursor just before the first event is served as asked: no warning.
    close = tail("--host", server.url, "--cursor", first_event - 60 * 1_000_000, "--limit", 50)
    assert close.returncode == 0, stderr_of(close)
    assert "asked to start at" not in stderr_of(close)


def test_until_now_ends_a_backfill_that_has_caught_up(jetstream, tail, tmp_path):
    flags = ("--generate", 200, "--start-time-us", now_us() - HOUR_US)
    payloads = event_payloads(*flags)
    server = jetstream(*flags, "--then-hold")
    cursor = tmp_path / "cursor"
    started = time.monotonic()
    result = tail("--host", server.url, "--cursor", time_us(payloads[0]), "--until", "now", "--cursor-file", cursor, timeout=25)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, stderr_of(result)
    assert lines(result.stdout) == payloads
    assert time_us(payloads[-1]) <= saved_time_us(cursor) < now_us()
    assert server.entries("holding"), "the server held the connection open: the run ended by itself"
    assert elapsed < 20
    assert "\r" not in stderr_of(result) and "\x1b[" not in stderr_of(result), "no progress bar when stderr is not a terminal"


@pytest.mark.parametrize("progress", [True, False], ids=["bar", "no-progress"])
def test_the_progress_bar_is_drawn_on_a_terminal_only_unless_turned_off(jetstream, tail_binary, progress):
    flags = ("--generate", 400, "--start-time-us", now_us() - HOUR_US)
    payloads = event_payloads(*flags)
    server = jetstream(*flags, "--delay", 0.005, "--then-hold")
    args = ["--host", server.url, "--cursor", time_us(payloads[0]), "--until", time_us(payloads[-1])]
    if not progress:
        args.append("--no-progress")
    master, slave = pty.openpty()
    try:
        process = subprocess.Popen([str(tail_binary), *map(str, args)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=slave, env=environment())
        os.close(slave)
        terminal = bytearray()
        reader = threading.Thread(target=read_all, args=(master, terminal), daemon=True)
        reader.start()
        out, _ = process.communicate(timeout=20)
        reader.join(timeout=5)
    finally:
        os.close(master)
    assert process.returncode == 0, terminal.decode(errors="replace")
    assert lines(out) == payloads[:-1]
    text = terminal.decode(errors="replace")
    bars = re.findall(r"\r\[[#.]+\] +\d+%  [\d,]+ ev/s", text)
    if progress:
        assert bars, f"no progress bar on the terminal: {text!r}"
        assert text.count("summary events=") == 1 and "\r\x1b[K" in text, "the bar is erased before the summary"
    else:
        assert not bars and "\r" not in text.replace("\r\n", "\n"), text


def read_all(fd: int, into: bytearray) -> None:
    """Reads a pty's master side until the other side is closed (EIO on Linux)."""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            return
        if not chunk:
            return
        into += chunk


def test_an_rfc3339_cursor_with_fraction_and_offset_is_sent_as_microseconds(jetstream, tail):
    server = jetstream("--generate", 5, "--start-time-us", now_us() - HOUR_US, "--then-hold")
    zone = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
    moment = datetime.datetime.now(tz=zone).replace(microsecond=250_000) - datetime.timedelta(hours=2)
    text = moment.isoformat()  # e.g. 2026-11-23T13:35:12.250000+05:30
    expected = int(moment.timestamp()) * 1_000_000 + 250_000
    result = tail("--host", server.url, "--cursor", text, "--limit", 5)
    assert result.returncode == 0, stderr_of(result)
    assert server.query_values("cursor") == [str(expected)], text
    assert len(lines(result.stdout)) == 5


def test_a_relative_cursor_is_counted_back_from_the_start(jetstream, tail):
    server = jetstream("--generate", 5, "--start-time-us", now_us() - 60 * 1_000_000, "--then-hold")
    before = now_us()
    result = tail("--host", server.url, "--cursor", "-90s", "--limit", 5)
    after = now_us()
    assert result.returncode == 0, stderr_of(result)
    asked = int(server.query_values("cursor")[0])
    assert before - 90 * 1_000_000 <= asked <= after - 90 * 1_000_000
    assert len(lines(result.stdout)) == 5


# --------------------------------------------------------------------------------------------
# The crontab example


def manual_cron_command() -> str:
    """The command of the crontab line in the man page, as cron's shell would receive it."""
    text = (REPO / "man" / "jetstream-tail.1").read_text()
    for line in text.splitlines():
        match = CRON_LINE.match(line.replace("\\-", "-"))
        if match:
            return match.group(1)
    raise AssertionError("no '*/5 * * * * jetstream-tail …' line in man/jetstream-tail.1")


def test_the_readme_shows_the_same_crontab_line_as_the_manual():
    readme = [m.group(1) for m in map(CRON_LINE.match, (REPO / "README.md").read_text().splitlines()) if m]
    assert manual_cron_command() in readme, readme


def history_file(path: Path, start: int, count: int, step: int) -> Path:
    """`count` generated events, one every `step` µs from `start` (plus up to 3 ms each)."""
    generator = fake_module().Generator(7, 0)
    with open(path, "wb") as f:
        for k in range(count):
            generator.time_us = start + k * step
            f.write(generator.next().payload + b"\n")
    return path


def server_history(url: str, collection: str, past: int) -> list[bytes]:
    """Every event the server holds in `collection`, read until one at or past `past` arrives."""
    from websockets.sync.client import connect

    events: list[bytes] = []
    with connect(f"{url}?cursor=0&wantedCollections={collection}", compression=None, open_timeout=10) as ws:
        while not events or time_us(events[-1]) < past:
            events.append(ws.recv(timeout=10).encode())
    return events


def test_the_manuals_crontab_line_run_three_times_yields_one_gapless_file(jetstream, tail_binary, tmp_path):
    command = manual_cron_command()
    assert command.startswith("jetstream-tail ")
    home = tmp_path / "home"
    home.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "jetstream-tail").symlink_to(tail_binary)

    # Eight minutes of history, one event a second, then 50 new events a second for as long as it runs.
    history = history_file(tmp_path / "history.jsonl", now_us() - 480 * 1_000_000, 470, 1_000_000)
    server = jetstream("--events", history, "--live-rate", 50)
    line = command.replace("jetstream-tail ", f"jetstream-tail --host {server.url} ", 1)
    env = environment(HOME=str(home), PATH=f"{bin_dir}:/usr/bin:/bin", SHELL="/bin/sh")
    output = home / "posts.jsonl"

    launches = []
    sizes = []
    for run in range(3):
        if run:
            time.sleep(1)
        before = now_us()
        result = subprocess.run(["/bin/sh", "-c", line], env=env, cwd=home, stdin=subprocess.DEVNULL,
                                capture_output=True, timeout=30)
        after = now_us()
        assert result.returncode == 0, f"run {run + 1}: {stderr_of(result)}"
        assert result.stdout == b"" and result.stderr == b"", f"run {run + 1} printed: {result.stdout[:200]!r} {stderr_of(result)}"
        launches.append((before, after))
        sizes.append(output.stat().st_size)
    assert sizes[0] > 0 and sizes[0] < sizes[1] < sizes[2], f"every run must append new events: {sizes}"

    written = lines(output.read_bytes())
    posts = server_history(server.url, "app.bsky.feed.post", launches[-1][1])
    position = {payload: index for index, payload in enumerate(posts)}
    missing = [p[:120] for p in written if p not in position]
    assert not missing, f"lines the server never sent: {missing[:3]}"
    indices = [position[p] for p in written]
    first, last = indices[0], indices[-1]
    assert indices == list(range(first, last + 1)), "the file must hold one gapless, duplicate-free run of the server's posts"
    commits = [json.loads(p)["commit"] for p in written if json.loads(p)["kind"] == "commit"]
    assert commits and all(c["collection"] == "app.bsky.feed.post" for c in commits)

    # It starts five minutes before the first run (from the history), and ends before the last run's start.
    (first_before, first_after), (last_before, last_after) = launches[0], launches[-1]
    assert first > 0, "the history older than five minutes must not be fetched"
    assert time_us(posts[first]) >= first_before - 300 * 1_000_000
    assert time_us(posts[first - 1]) < first_after - 300 * 1_000_000
    assert time_us(posts[last]) < last_after
    assert time_us(posts[last + 1]) >= last_before, "the last run stopped before an event it should have written"
    assert time_us(posts[last]) <= saved_time_us(home / ".jt.cursor") < last_after


def test_a_run_that_writes_nothing_still_moves_the_cursor_file(jetstream, tail, tmp_path):
    """A cron run whose filter matches nothing must still record that it covered the time up to
    --until, or the next run would fall back to --cursor and leave a gap between runs."""
    flags = ("--generate", 100, "--start-time-us", now_us() - HOUR_US)
    server = jetstream(*flags, "--then-hold")
    cursor = tmp_path / "cursor"
    before = now_us()
    result = tail("--host", server.url, "--did", "did:plc:nobodyhereatall", "--cursor", "-2h", "--until", "now",
                  "--cursor-file", cursor, "-q", timeout=25)
    assert result.returncode == 0, stderr_of(result)
    assert lines(result.stdout) == []
    assert before - 1 <= saved_time_us(cursor) < now_us()
