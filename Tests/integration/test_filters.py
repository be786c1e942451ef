"""--collection and --did reach the server as repeated query keys, and the filtered stream is
printed as sent. The expected events are computed here from the unfiltered list, independently
of the server's own filter code."""

from __future__ import annotations

import json

from support import assert_same_stream, event_payloads, lines

FLAGS = ("--generate", 3000)


def parsed(payloads: list[bytes]) -> list[dict]:
    return [json.loads(p) for p in payloads]


def collection_wanted(event: dict, exact: set[str], prefixes: list[str]) -> bool:
    """Jetstream filters commits only; identity and account events always pass."""
    if event["kind"] != "commit":
        return True
    collection = event["commit"]["collection"]
    return collection in exact or any(collection.startswith(p) for p in prefixes)


def test_collections_are_repeated_query_keys_and_filter_commits_only(jetstream, tail):
    everything = event_payloads(*FLAGS)
    expected = [p for p, e in zip(everything, parsed(everything))
                if collection_wanted(e, {"app.bsky.feed.post"}, ["app.bsky.graph."])]
    server = jetstream(*FLAGS, "--then-hold")
    result = tail("--host", server.url, "-c", "app.bsky.feed.post", "--collection", "app.bsky.graph.*",
                  "--limit", len(expected))
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    server.wait_until_settled()
    assert server.query_values("wantedCollections") == ["app.bsky.feed.post", "app.bsky.graph.*"]
    assert_same_stream(result.stdout, server.sent())
    assert lines(result.stdout) == expected
    kinds = {e["kind"] for e in parsed(expected)}
    assert kinds == {"commit", "identity", "account"}, "the sample must exercise the identity/account rule"


def test_dids_are_repeated_query_keys_and_filter_every_kind(jetstream, tail):
    everything = event_payloads(*FLAGS)
    events = parsed(everything)
    # Three authors, one of whom has an identity or account event in the stream.
    other = next(e["did"] for e in events if e["kind"] != "commit")
    wanted = [events[0]["did"], events[1]["did"], other]
    expected = [p for p, e in zip(everything, events) if e["did"] in wanted]
    server = jetstream(*FLAGS, "--then-hold")
    result = tail("--host", server.url, "-d", wanted[0], "--did", wanted[1], "-d", wanted[2], "--limit", len(expected))
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    server.wait_until_settled()
    assert sorted(server.query_values("wantedDids")) == sorted(wanted)
    assert_same_stream(result.stdout, server.sent())
    assert lines(result.stdout) == expected


def test_collections_dids_and_cursor_together(jetstream, tail):
    everything = event_payloads(*FLAGS)
    events = parsed(everything)
    cursor = events[1000]["time_us"]
    dids = sorted({e["did"] for e in events[1000:1100]})[:20]
    expected = [p for p, e in zip(everything, events)
                if e["time_us"] >= cursor and e["did"] in dids and collection_wanted(e, {"app.bsky.feed.like"}, [])]
    assert expected, "the chosen filters must select something"
    server = jetstream(*FLAGS, "--then-hold")
    args = ["--host", server.url, "-c", "app.bsky.feed.like", "--cursor", cursor, "--limit", len(expected)]
    for did in dids:
        args += ["-d", did]
    result = tail(*args)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    server.wait_until_settled()
    assert server.query_values("wantedCollections") == ["app.bsky.feed.like"]
    assert sorted(server.query_values("wantedDids")) == dids
    assert server.query_values("cursor") == [str(cursor)]
    assert lines(result.stdout) == expected
