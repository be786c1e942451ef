#!/usr/bin/env python3
"""A loopback Jetstream `/subscribe` server for jetstream-tail's integration tests.

It speaks the v1 wire the way the public servers do:
one JSON event per WebSocket text message, filters taken from repeated query keys, and
plain-text HTTP 400 bodies for bad subscriptions. It is built on the `websockets` library
(asyncio API, 14 or later); where a fault mode needs frames that the high-level API cannot
produce (a ping between two fragments of one message), it drives the library's sans-I/O
protocol object, so every frame on the wire is a real one.

Start-up: it listens on 127.0.0.1, port 0 unless `--port` says otherwise, and prints one
JSON line on stdout when it is ready, e.g. `{"port": 40123, "url": "ws://127.0.0.1:40123/subscribe"}`.
Nothing else goes to stdout. It exits by itself after `--lifetime` seconds, on SIGTERM or SIGINT.

Events: the lines of each `--events FILE` (sent byte for byte), then `--generate N`
deterministic synthetic events (seeded; posts with non-ASCII text and emoji, likes, reposts,
follows, blocks, deletes, profile updates, identity and account events; strictly increasing
`time_us`), then one padded post per `--big-event BYTES`. `--time-shift US` moves every
`time_us` (a second instance's stamps for the same events); `--v2` gives each event the v2
server's `"cursor":SEQ` field right after `time_us` and makes `--v2-batch` consecutive events
share one `time_us`. Every connection gets the same list, narrowed by its own query:

  wantedCollections  repeated; exact NSID, or `prefix.*`. Filters commits only: identity and
                     account events always pass. More than 100, or a bad NSID, is a 400.
  wantedDids         repeated; applies to every kind. A bad DID or more than 10,000 is a 400.
  cursor             integer unix microseconds; replay starts at the first event whose
                     `time_us` >= cursor (inclusive). Not an integer is a 400. Unlike a real
                     server there is no "future cursor means live": the result never depends
                     on the clock. With `--v2`, a cursor below 10^15 is a sequence number
                     instead: replay starts at the event whose `cursor` field is that number.
  maxMessageSizeBytes  skip events longer than this many bytes (0 or garbage: no limit).
  compress=true (or a `Socket-Encoding: zstd` header)  send each event as one binary message
                     holding one zstd frame made with `--zstd-dict` (a 400 without one).
  requireHello=true  send nothing until the client's first valid `options_update` message:
                     `{"type":"options_update","payload":{"wantedCollections":[…],"wantedDids":[…],
                     "maxMessageSizeBytes":N}}`. Its lists replace the query's wholesale (absent or
                     empty: no filter), with the same checks and limits; `maxMessageSizeBytes` replaces
                     the query's when present. Messages of another type and binary messages are
                     ignored; a malformed envelope or payload, or options the checks refuse, get a close
                     1000 whose reason says why, as the legacy server does. Updates after the first
                     are not applied: the event list is chosen once, when the hello arrives.

Live mode (`--live-rate N`): the server also appends N generated events per second, stamped with
the current time, to the same list. A connection with a cursor replays from it and then follows
the new events as they come; one without a cursor gets only events newer than its arrival, as on
a real server. The list lives as long as the server (`--lifetime`), so it stays bounded.

Faults for compressed streams (`--inject KIND:K`, repeatable): before a connection's event number
K, a message that no client should write (not recorded): `garbage` (zstd magic, then bytes no
decoder accepts), `bomb` (a frame of a few hundred bytes made with `--zstd-dict` that inflates to
over 5 MiB), `otherdict` (a frame naming another dictionary ID), `notjson` (a text message that
is not JSON). Or event K itself goes out differently, and is recorded as sent: `text` (as a text
message on a compressed stream), `nodict` (compressed without a dictionary), `pretty` (indented
JSON over several lines).

Records for the tests to assert on:

  --record FILE   every message payload this server finished sending, exactly, each followed
                  by "\\n", in order, across connections (JSON text, also in zstd mode).
                  Replays after a reconnect show up again, so the unique history is the
                  record with repeats removed, in order of first appearance.
  --log FILE      one JSON object per line: `request` (path, query pairs, headers, ALPN,
                  monotonic `at`), `rejected`, `awaiting_hello`, `options_update` (the filters
                  it set) or `hello_refused`, `open` (with the connection's fault), `ping`,
                  `pong` (payloads in hex), `client_message`, `close_sent`, `silent`, `aborted`
                  and `closed` (messages sent, `records` = [first, end) line numbers of this
                  connection's messages in the record, the client's close code).
  --history FILE  every event once, in order, written at start-up (for long runs that do
                  not keep a record).

Run with `--help` for the fault and behaviour modes. `--make-cert DIR` is a helper mode: it
writes a throwaway CA (`ca.pem`) and a server certificate for 127.0.0.1, ::1 and localhost
(`server.pem`, `server.key`) made with `trustme`, prints their paths as JSON and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import datetime
import json
import os
import random
import re
import signal
import ssl
import sys
import time
import urllib.parse
from dataclasses import dataclass, field, replace
from typing import Any

MAX_LIFETIME = 600.0
MAX_LIVE_RATE = 1000.0
MAX_COLLECTIONS = 100
MAX_DIDS = 10_000

# Syntax checks with the same shape as the atproto rules the real server applies.
NSID_RE = re.compile(
    r"^[a-zA-Z]([a-zA-Z0-9-]{0,62})?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,62})?)+(\.[a-zA-Z]([a-zA-Z0-9]{0,62})?)$"
)
DID_RE = re.compile(r"^did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]$")


def valid_nsid(value: str) -> bool:
    return len(value) <= 317 and NSID_RE.match(value) is not None


def valid_did(value: str) -> bool:
    return len(value) <= 2048 and DID_RE.match(value) is not None


# --------------------------------------------------------------------------------------------
# Events


@dataclass(slots=True)
class Event:
    """One event as it goes on the wire, plus the fields the filters look at."""

    payload: bytes
    did: str
    time_us: int
    collection: str  # "" for identity and account events
    seq: int = 0  # the v2 server's sequence number (`--v2`), exposed as the `cursor` field

    @staticmethod
    def from_line(line: bytes) -> "Event":
        obj = json.loads(line)
        commit = obj.get("commit") or {}
        return Event(line, obj.get("did", ""), int(obj.get("time_us", 0)), commit.get("collection", "") or "")


B32_SORT = "234567abcdefghijklmnopqrstuvwxyz"  # atproto's base32-sortable alphabet (TIDs)
B32_CID = "abcdefghijklmnopqrstuvwxyz234567"  # multibase base32 lower


def tid(time_us: int, clock_id: int) -> str:
    """A record key / revision in atproto TID form: 53 bits of microseconds, 10 of clock id."""
    value = (time_us << 10) | (clock_id & 0x3FF)
    return "".join(B32_SORT[(value >> (60 - 5 * i)) & 31] for i in range(13))


def go_json(obj: Any) -> bytes:
    """Compact JSON the way Go's encoding/json writes it: raw UTF-8, HTML characters escaped."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text.encode("utf-8")


def sorted_keys(obj: Any) -> Any:
    """Records come from a Go map, so their keys are sorted at every level."""
    if isinstance(obj, dict):
        return {k: sorted_keys(obj[k]) for k in sorted(obj)}
    if isinstance(obj, list):
        return [sorted_keys(v) for v in obj]
    return obj


TEXT_PIECES = [
    "Good morning, Bluesky! ☀️",
    "Bom dia! Alguém mais acordado às 5h? 😴",
    "今日はとても良い天気ですね。散歩に行きます 🚶‍♀️",
    "Käsekuchen > Apfelstrudel, fight me 🧀🍰",
    "Привет из Москвы! ❄️❄️",
    "مرحبا بالجميع 👋",
    "¿Alguien vio el partido anoche? ⚽🇦🇷",
    "new blog post: \"Why I moved my cursor to microseconds\" — thoughts welcome",
    "👩‍💻👨🏽‍🚀🏳️‍🌈 emoji soup: family 👨‍👩‍👧‍👦 and flags 🇧🇷🇯🇵🇺🇦",
    "tabs\tand\nnewlines\nin a post",
    "a backslash \\ and a quote \" in one line",
    "<b>not html</b> & friends",
    "𝕌𝕟𝕚𝕔𝕠𝕕𝕖 math letters and 𓀀 hieroglyphs",
    "line\u2028separator inside",
    "zero-width joiner test: 🧑‍🤝‍🧑 and combining é (e\u0301)",
    "जयपुर में आज बहुत गर्मी है 🔥",
    "한국어 텍스트도 잘 나오나요? 🤔",
    "just setting up my jetstream 🦋",
]
HANDLE_WORDS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar"]
OTHER_COLLECTIONS = ["fyi.unravel.frontpage.post", "sh.tangled.repo", "chat.bsky.actor.declaration", "org.hypercerts.claim.activity"]
ACCOUNT_STATUSES = ["deactivated", "takendown", "suspended", "deleted", "desynchronized", "throttled"]


def iso(time_us: int) -> str:
    t = datetime.datetime.fromtimestamp(time_us / 1_000_000, tz=datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


class Generator:
    """Deterministic synthetic events: the same seed, count and start give the same bytes."""

    def __init__(self, seed: int, start_us: int):
        self.rng = random.Random(seed)
        self.time_us = start_us
        self.seq = 30_340_180_350
        rng = self.rng
        self.dids = ["did:plc:" + "".join(rng.choice(B32_CID) for _ in range(24)) for _ in range(240)]
        self.dids += [f"did:web:{w}.example.com" for w in HANDLE_WORDS[:4]]

    def cid(self, prefix: str = "bafyrei") -> str:
        return prefix + "".join(self.rng.choice(B32_CID) for _ in range(52))

    def at_uri(self, collection: str) -> str:
        return f"at://{self.rng.choice(self.dids)}/{collection}/{tid(self.time_us - self.rng.randint(10**6, 10**10), self.rng.randint(0, 1023))}"

    def strong_ref(self, collection: str = "app.bsky.feed.post") -> dict:
        return {"cid": self.cid(), "uri": self.at_uri(collection)}

    def blob(self, mime: str = "image/jpeg") -> dict:
        return {"$type": "blob", "ref": {"$link": self.cid("bafkrei")}, "mimeType": mime, "size": self.rng.randint(1_000, 1_000_000)}

    def post_record(self, min_text: int = 0) -> dict:
        rng = self.rng
        text = " ".join(rng.choice(TEXT_PIECES) for _ in range(rng.randint(1, 3)))
        record: dict = {"$type": "app.bsky.feed.post", "createdAt": iso(self.time_us - rng.randint(0, 900_000)), "text": text}
        record["langs"] = [rng.choice(["en", "pt", "ja", "de", "ru", "ar", "es", "hi", "ko"])]
        if rng.random() < 0.3:
            url = f"https://example.com/{rng.randint(1, 99999)}?q=a&b=c"
            text = text + " " + url
            start = len((text[: -len(url)]).encode("utf-8"))
            record["text"] = text
            record["facets"] = [{
                "$type": "app.bsky.richtext.facet",
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": url}],
                "index": {"byteEnd": start + len(url.encode("utf-8")), "byteStart": start},
            }]
        if rng.random() < 0.35:
            root = self.strong_ref()
            record["reply"] = {"parent": self.strong_ref() if rng.random() < 0.5 else root, "root": root}
        if rng.random() < 0.2:
            record["embed"] = {"$type": "app.bsky.embed.images", "images": [
                {"alt": rng.choice(["", "a cat 🐈", "sunset über dem Meer"]), "aspectRatio": {"height": 1080, "width": 1920}, "image": self.blob()}
                for _ in range(rng.randint(1, 4))
            ]}
        if min_text and len(record["text"].encode("utf-8")) < min_text:
            filler = "Jetstream 🦋 ünïcödé "  # mixed widths so padding crosses UTF-8 boundaries
            count = min_text // len(filler.encode("utf-8")) + 1
            record["text"] = record["text"] + " " + filler * count
        return record

    def commit(self, did: str, operation: str, collection: str, rkey: str, record: dict | None) -> dict:
        commit: dict = {"rev": tid(self.time_us, self.rng.randint(0, 1023)), "operation": operation, "collection": collection, "rkey": rkey}
        if record is not None:
            commit["record"] = sorted_keys(record)
            commit["cid"] = self.cid()
        return {"did": did, "time_us": self.time_us, "kind": "commit", "commit": commit}

    def next(self, big: int = 0) -> Event:
        rng = self.rng
        self.time_us += rng.randint(1, 3_000)
        did = rng.choice(self.dids)
        rkey = tid(self.time_us - rng.randint(0, 5_000), rng.randint(0, 1023))
        created = iso(self.time_us - rng.randint(0, 900_000))
        roll = rng.random() if not big else 0.0
        if big or roll < 0.20:
            obj = self.commit(did, "create", "app.bsky.feed.post", rkey, self.post_record(big))
        elif roll < 0.62:
            obj = self.commit(did, "create", "app.bsky.feed.like", rkey, {"$type": "app.bsky.feed.like", "createdAt": created, "subject": self.strong_ref()})
        elif roll < 0.70:
            obj = self.commit(did, "create", "app.bsky.feed.repost", rkey, {"$type": "app.bsky.feed.repost", "createdAt": created, "subject": self.strong_ref()})
        elif roll < 0.80:
            obj = self.commit(did, "create", "app.bsky.graph.follow", rkey, {"$type": "app.bsky.graph.follow", "createdAt": created, "subject": rng.choice(self.dids)})
        elif roll < 0.82:
            obj = self.commit(did, "create", "app.bsky.graph.block", rkey, {"$type": "app.bsky.graph.block", "createdAt": created, "subject": rng.choice(self.dids)})
        elif roll < 0.89:
            collection = rng.choice(["app.bsky.feed.post", "app.bsky.feed.like", "app.bsky.graph.follow", "app.bsky.feed.repost"])
            obj = self.commit(did, "delete", collection, rkey, None)
        elif roll < 0.91:
            profile = {"$type": "app.bsky.actor.profile", "avatar": self.blob(), "createdAt": created,
                       "description": rng.choice(TEXT_PIECES), "displayName": rng.choice(HANDLE_WORDS).title() + " 🦋"}
            obj = self.commit(did, "update", "app.bsky.actor.profile", "self", profile)
        elif roll < 0.94:
            collection = rng.choice(OTHER_COLLECTIONS)
            obj = self.commit(did, "create", collection, rkey, {"$type": collection, "createdAt": created, "name": rng.choice(TEXT_PIECES)})
        elif roll < 0.97:
            self.seq += 1
            identity: dict = {"did": did}
            if rng.random() < 0.5:
                identity["handle"] = f"{rng.choice(HANDLE_WORDS)}{rng.randint(1, 999)}.bsky.social"
            identity.update({"seq": self.seq, "time": iso(self.time_us - rng.randint(100_000, 400_000))})
            obj = {"did": did, "time_us": self.time_us, "kind": "identity", "identity": identity}
        else:
            self.seq += 1
            active = rng.random() < 0.6
            account: dict = {"active": active, "did": did, "seq": self.seq}
            if not active:
                account["status"] = rng.choice(ACCOUNT_STATUSES)
            account["time"] = iso(self.time_us - rng.randint(100_000, 400_000))
            obj = {"did": did, "time_us": self.time_us, "kind": "account", "account": account}
        payload = go_json(obj)
        return Event(payload, did, self.time_us, obj.get("commit", {}).get("collection", ""))


def load_events(args: argparse.Namespace) -> list[Event]:
    events: list[Event] = []
    for path in args.events:
        with open(path, "rb") as f:
            for number, line in enumerate(f, 1):
                line = line.rstrip(b"\r\n")
                if not line.strip():
                    continue
                try:
                    events.append(Event.from_line(line))
                except (ValueError, TypeError) as error:
                    raise SystemExit(f"fake_jetstream: {path}:{number}: not a JSON event: {error}")
    start = max([args.start_time_us] + [e.time_us + 1 for e in events])
    generator = Generator(args.seed, start - 1)
    for _ in range(args.generate):
        events.append(generator.next())
    for size in args.big_event:
        events.append(generator.next(big=size))
    if args.time_shift:
        shift_time(events, args.time_shift)
    if args.v2:
        stamp_v2(events, args.v2_first_seq, args.v2_batch)
    return events


TIME_US_RE = re.compile(rb'"time_us":(-?[0-9]+)')


def shift_time(events: list[Event], shift: int) -> None:
    """Another instance's view of the same events: every `time_us` moved by `shift` µs."""
    for event in events:
        event.time_us += shift
        event.payload = TIME_US_RE.sub(b'"time_us":%d' % event.time_us, event.payload, count=1)


def stamp_v2(events: list[Event], first_seq: int, batch: int) -> None:
    """The v2 wire: a `cursor` field (the sequence number) right after `time_us`, and one
    `time_us` per ingest batch of `batch` events, as the v2 server's `witnessed_at` is."""
    shared = 0
    for index, event in enumerate(events):
        if index % batch == 0:
            shared = event.time_us
        event.seq = first_seq + index
        event.time_us = shared
        event.payload = TIME_US_RE.sub(b'"time_us":%d,"cursor":%d' % (shared, event.seq), event.payload, count=1)


# --------------------------------------------------------------------------------------------
# Subscription options, validated like the legacy server's parseSubscriberOptions


class BadRequest(Exception):
    """A subscription the real server would refuse with HTTP 400; the message is the body."""


@dataclass
class Options:
    collections: set[str] = field(default_factory=set)
    prefixes: list[str] = field(default_factory=list)
    dids: set[str] = field(default_factory=set)
    cursor: int | None = None
    max_size: int = 0
    compress: bool = False
    require_hello: bool = False

    def wants(self, event: Event) -> bool:
        if self.dids and event.did not in self.dids:
            return False
        if not self.collections and not self.prefixes or event.collection == "":
            return True
        return event.collection in self.collections or any(event.collection.startswith(p) for p in self.prefixes)


def go_parse_int64(text: str) -> int:
    """strconv.ParseInt(text, 10, 64): optional sign, ASCII digits only, in range."""
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise ValueError(text)
    value = int(text)
    if not -(2**63) <= value < 2**63:
        raise ValueError(text)
    return value


def set_filters(options: Options, collections: list[str], dids: list[str]) -> None:
    """Replaces the collection and DID filters, checked as the legacy server checks them."""
    options.collections, options.prefixes, options.dids = set(), [], set()
    for value in collections:
        if value.endswith(".*"):
            options.prefixes.append(value[:-1])
        elif valid_nsid(value):
            options.collections.add(value)
        else:
            raise BadRequest(f"invalid subscriber options: invalid collection: {value}")
    for value in dids:
        if not valid_did(value):
            raise BadRequest("invalid subscriber options")
        options.dids.add(value)
    if len(options.prefixes) + len(options.collections) > MAX_COLLECTIONS:
        raise BadRequest("invalid subscriber options: too many wanted collections")
    if len(options.dids) > MAX_DIDS:
        raise BadRequest("invalid subscriber options: too many wanted DIDs")


def apply_update(options: Options, message: str | bytes) -> bool:
    """Applies one subscriber message. True for a valid options_update, False for one to ignore;
    BadRequest (its text is the close reason) for a malformed or refused one."""
    if isinstance(message, bytes):
        return False
    try:
        envelope = json.loads(message)
    except ValueError as error:
        raise BadRequest(f"failed to parse subscriber message: {error}")
    if not isinstance(envelope, dict):
        raise BadRequest("failed to parse subscriber message: not an object")
    if envelope.get("type") != "options_update":
        return False
    payload = envelope.get("payload")
    if not isinstance(payload, dict):
        raise BadRequest("failed to parse options_update payload")
    lists = []
    for key in ("wantedCollections", "wantedDids"):
        value = payload.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise BadRequest(f"failed to parse options_update payload: {key} is not a list of strings")
        lists.append(value)
    set_filters(options, lists[0], lists[1])
    if "maxMessageSizeBytes" in payload:
        size = payload["maxMessageSizeBytes"]
        options.max_size = size if isinstance(size, int) and size > 0 else 0
    return True


def parse_options(query: list[tuple[str, str]], headers: Any) -> Options:
    options = Options()
    set_filters(options, [v for k, v in query if k == "wantedCollections"], [v for k, v in query if k == "wantedDids"])
    cursors = [v for k, v in query if k == "cursor"]
    if cursors and cursors[0] != "":
        try:
            options.cursor = go_parse_int64(cursors[0])
        except ValueError:
            raise BadRequest(f"invalid cursor: {cursors[0]}")
    sizes = [v for k, v in query if k == "maxMessageSizeBytes"]
    if sizes:
        try:
            options.max_size = max(0, go_parse_int64(sizes[0]))
        except ValueError:
            options.max_size = 0
    compress = [v for k, v in query if k == "compress"]
    options.compress = (bool(compress) and compress[0] == "true") or "zstd" in headers.get("Socket-Encoding", "")
    hello = [v for k, v in query if k == "requireHello"]
    options.require_hello = bool(hello) and hello[0] == "true"
    return options


# --------------------------------------------------------------------------------------------
# Faults, chosen per connection number


FAULT_HELP = """\
--fault WHICH:ACTION (repeatable, or several separated by commas; the first rule whose WHICH
matches a connection applies to it). Connections are numbered from 1 in the order their
upgrade requests arrive. WHICH is N, N-M, N+ (N and every later one) or * (all). ACTION:

  drop@K         after K events, close the TCP connection without a close frame (the client
                 sees 1006 / EOF), as a restarting or overloaded server does
  midframe@K     after K events, write the first half of the next event's frame (its header and
                 part of its payload), wait until it is on the wire, then close the TCP connection
  hold@K         after K events, go silent: send nothing and stop reading, so pings go
                 unanswered (a half-open connection); released when a newer connection arrives
  close=CODE@K   after K events, send a close frame with CODE (reason: --close-reason), e.g.
                 close=1000@50, close=1001@50, close=1011@50
  status=CODE    refuse the upgrade with HTTP CODE (body: --body, or a stock one per status);
  status=CODE/S  the same with `Retry-After: S`

K counts events sent on that connection, replays included. A fault whose K is not reached
(fewer events to send) does not fire. Example: --fault '1:drop@300,2:close=1001@200,3:status=503'.
"""

STOCK_BODIES = {400: "invalid subscriber options", 404: "Not Found", 429: "rate limited", 500: "internal error",
                502: "bad gateway", 503: "service unavailable", 504: "gateway timeout"}


@dataclass
class Fault:
    """One `--fault` rule: the connections it applies to and what happens on them."""

    spec: str
    first: int
    last: int | None  # None: no upper bound
    action: str  # drop, midframe, hold, close or status
    after: int = 0
    code: int = 0
    retry_after: str | None = None

    def applies(self, number: int) -> bool:
        return self.first <= number and (self.last is None or number <= self.last)


FAULT_RE = re.compile(r"^(?P<which>\*|[0-9]+|[0-9]+-[0-9]+|[0-9]+\+):(?:"
                      r"(?P<action>drop|midframe|hold)@(?P<after>[0-9]+)"
                      r"|close=(?P<close>[0-9]{4})@(?P<close_after>[0-9]+)"
                      r"|status=(?P<status>[0-9]{3})(?:/(?P<retry>[0-9]+))?)$")


def parse_faults(specs: list[str]) -> list[Fault]:
    """The `--fault` rules in order; ValueError names the first one that does not parse."""
    faults = []
    for spec in (part.strip() for item in specs for part in item.split(",")):
        if not spec:
            continue
        match = FAULT_RE.match(spec)
        if not match:
            raise ValueError(f"bad --fault {spec!r} (see --help)")
        which = match["which"]
        if which == "*":
            first, last = 1, None
        elif which.endswith("+"):
            first, last = int(which[:-1]), None
        elif "-" in which:
            first, last = (int(x) for x in which.split("-"))
        else:
            first = last = int(which)
        if match["action"]:
            fault = Fault(spec, first, last, match["action"], after=int(match["after"]))
        elif match["close"]:
            fault = Fault(spec, first, last, "close", after=int(match["close_after"]), code=int(match["close"]))
        else:
            fault = Fault(spec, first, last, "status", code=int(match["status"]), retry_after=match["retry"])
        faults.append(fault)
    return faults


def frame_bytes(payload: bytes, binary: bool) -> bytes:
    """One unmasked, final server frame (RFC 6455 §5.2), built by hand so it can be cut."""
    n = len(payload)
    head = bytes([0x82 if binary else 0x81])
    if n < 126:
        head += bytes([n])
    elif n < 65536:
        head += bytes([126]) + n.to_bytes(2, "big")
    else:
        head += bytes([127]) + n.to_bytes(8, "big")
    return head + payload


# --------------------------------------------------------------------------------------------
# Injected messages (--inject)

INJECT_KINDS = ("garbage", "bomb", "otherdict", "notjson", "text", "nodict", "pretty")
# A zstd magic number, then a frame header descriptor with its reserved bit set: no decoder takes it.
GARBAGE_FRAME = bytes.fromhex("28b52ffd") + b"\xff" * 28
BOMB_SIZE = 5 * 1024 * 1024  # bytes of spaces in the bomb's JSON string; a few hundred once compressed


def parse_injections(values: list[str]) -> dict[int, tuple[str, ...]]:
    """`KIND:K` values, by K."""
    by_index: dict[int, tuple[str, ...]] = {}
    for value in values:
        kind, _, k = value.partition(":")
        if kind not in INJECT_KINDS or not k.isdigit():
            raise SystemExit(f"fake_jetstream: --inject {value}: expected KIND:K, KIND one of {', '.join(INJECT_KINDS)}")
        by_index[int(k)] = by_index.get(int(k), ()) + (kind,)
    return by_index


# --------------------------------------------------------------------------------------------
# The server


class Journal:
    """The `--record` and `--log` files; every write is flushed so a test can read at any time."""

    def __init__(self, record_path: str | None, log_path: str | None):
        self.record = open(record_path, "ab") if record_path else None
        self.log_file = open(log_path, "a", encoding="utf-8") if log_path else None
        self.records = 0  # lines in the record so far: `closed` entries name each connection's range

    def sent(self, payload: bytes) -> None:
        self.records += 1
        if self.record:
            self.record.write(payload + b"\n")
            self.record.flush()

    def log(self, event: str, **fields: Any) -> None:
        if self.log_file:
            self.log_file.write(json.dumps({"event": event, **fields}, ensure_ascii=False) + "\n")
            self.log_file.flush()


def make_server_connection_class():
    from websockets.asyncio.server import ServerConnection
    from websockets.frames import Frame, Opcode

    class RecordingConnection(ServerConnection):
        """Logs every pong and client message as it arrives, before the library handles it."""

        journal: Journal | None = None
        number = 0

        def process_event(self, event: Any) -> None:
            if self.journal is not None and isinstance(event, Frame):
                if event.opcode is Opcode.PONG:
                    self.journal.log("pong", conn=self.number, data=bytes(event.data).hex())
                elif event.opcode in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT):
                    data = bytes(event.data)
                    self.journal.log("client_message", conn=self.number, opcode=event.opcode.name,
                                     fin=event.fin, text=data.decode("utf-8", "replace"))
            super().process_event(event)

    return RecordingConnection


class FakeJetstream:
    def __init__(self, args: argparse.Namespace, events: list[Event]):
        self.args = args
        self.events = events
        self.journal = Journal(args.record, args.log)
        self.connections = 0
        self.faults = parse_faults(args.fault)
        self.stop = asyncio.Event()
        # Start positions for a cursor by bisection when the list is ordered (always, unless an
        # --events file is out of order); a million events make a linear scan per connection slow.
        self.times = [e.time_us for e in events]
        self.seqs = [e.seq for e in events]
        self.ordered = all(a <= b for a, b in zip(self.times, self.times[1:]))
        self.compressor = None
        if args.zstd_dict:
            import zstandard

            with open(args.zstd_dict, "rb") as f:
                dictionary = zstandard.ZstdCompressionDict(f.read())
            self.compressor = zstandard.ZstdCompressor(dict_data=dictionary, write_dict_id=True, write_content_size=True)
        self.injections = parse_injections(args.inject)
        self.grew = asyncio.Condition()  # --live-rate: notified when an event is appended

    async def process_request(self, connection: Any, request: Any) -> Any:
        self.connections += 1
        connection.number = self.connections
        connection.journal = self.journal
        url = urllib.parse.urlsplit(request.path)
        query = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
        ssl_object = connection.transport.get_extra_info("ssl_object")
        self.journal.log("request", conn=connection.number, path=request.path, route=url.path, query=query,
                         headers=list(request.headers.raw_items()), tls=ssl_object is not None,
                         alpn=ssl_object.selected_alpn_protocol() if ssl_object else None,
                         at=round(time.monotonic(), 4))
        if self.args.stall_handshake:
            self.journal.log("stalled", conn=connection.number)
            await self.stop.wait()
            return connection.respond(503, "service not ready: shutting down")
        if self.args.status is not None:
            return self.reject(connection, self.args.status, self.args.body)
        fault = self.fault_for(connection.number)
        if fault is not None and fault.action == "status":
            body = self.args.body or STOCK_BODIES.get(fault.code, "refused")
            return self.reject(connection, fault.code, body, fault.retry_after, fault.spec)
        if url.path != self.args.path:
            return self.reject(connection, 404, "Not Found")
        try:
            connection.options = parse_options(query, request.headers)
        except BadRequest as error:
            return self.reject(connection, 400, str(error))
        if connection.options.compress and self.compressor is None:
            return self.reject(connection, 400, "compression was requested but this fake server has no --zstd-dict")
        return None

    def reject(self, connection: Any, status: int, body: str, retry_after: str | None = None, fault: str | None = None) -> Any:
        self.journal.log("rejected", conn=connection.number, status=status, body=body, retry_after=retry_after, fault=fault)
        response = connection.respond(status, body)
        if self.args.chunked:
            response.body = body.replace("\\r", "\r").replace("\\n", "\n").encode()
            del response.headers["Content-Length"]
            response.headers["Transfer-Encoding"] = "chunked"
        if retry_after is not None:
            response.headers["Retry-After"] = retry_after
        return response

    def fault_for(self, number: int) -> Fault | None:
        return next((f for f in self.faults if f.applies(number)), None)

    def selected(self, options: Options) -> list[Event]:
        """The events one connection gets: from its cursor on, narrowed by its filters.

        With `--v2`, a cursor below 10^15 is a sequence number (the v2 server's `cursor`
        field), else unix microseconds; either way replay is inclusive."""
        if self.args.live_rate and options.cursor is None:
            return []  # live mode without a cursor: new events only, as on a real server
        events = self.events
        cursor = options.cursor
        by_seq = self.args.v2 and cursor is not None and cursor < 10**15
        if cursor is not None and (self.ordered or by_seq):
            events = events[bisect.bisect_left(self.seqs if by_seq else self.times, cursor):]
            cursor = None
        if cursor is None and not options.max_size and not options.collections and not options.prefixes and not options.dids:
            return events
        chosen = []
        for event in events:
            if cursor is not None and event.time_us < cursor:
                continue
            if options.max_size and len(event.payload) > options.max_size:
                continue
            if options.wants(event):
                chosen.append(event)
        return chosen

    async def send_one(self, connection: Any, index: int, event: Event) -> None:
        """One event, whole or in fragments, with pings between fragments or messages if asked.

        The event is recorded as soon as its last frame is handed to the transport, before
        waiting for the socket buffer to drain: a client that reads it and hangs up at once
        (`--limit`) must still find it in the record.
        """
        args = self.args
        payload = event.payload
        binary = connection.options.compress
        kinds = self.injections.get(index, ())
        if kinds:
            await self.inject(connection, index, kinds)
            binary = binary and "text" not in kinds
            if "pretty" in kinds:
                payload = json.dumps(json.loads(payload), indent=1, ensure_ascii=False).encode()
                event = replace(event, payload=payload)
        if binary:
            payload = (self.plain_compressor() if "nodict" in kinds else self.compressor).compress(payload)
        protocol = connection.protocol
        first = protocol.send_binary if binary else protocol.send_text
        if args.ping_between and index > 0 and not args.fragment:
            await self.ping(connection, f"ping-{connection.number}-{index}")
        if not args.fragment or len(payload) <= args.fragment:
            await self.write(connection, lambda: first(payload), event.payload)
            return
        chunks = [payload[i:i + args.fragment] for i in range(0, len(payload), args.fragment)]
        for number, chunk in enumerate(chunks):
            last = number == len(chunks) - 1
            if number == 0:
                await self.write(connection, lambda: first(chunk, fin=False), None)
            else:
                await self.write(connection, lambda: protocol.send_continuation(chunk, fin=last), event.payload if last else None)
            if args.ping_between and not last:
                await self.ping(connection, f"ping-{connection.number}-{index}-{number}")

    async def write(self, connection: Any, frame: Any, record: bytes | None) -> None:
        """Queue one frame on the sans-I/O protocol, write it out, record, then wait for drain."""
        async with connection.send_context():
            frame()
            connection.send_data()
            if record is not None:
                self.journal.sent(record)

    async def ping(self, connection: Any, text: str) -> None:
        data = text.encode()
        self.journal.log("ping", conn=connection.number, data=data.hex())
        await connection.ping(data)  # does not wait for the pong; the log records it when it comes

    async def await_hello(self, connection: Any) -> bool:
        """With requireHello=true: waits for the first valid options_update and applies it.
        False when the connection ended first or the update was refused (and the close sent)."""
        number = connection.number
        self.journal.log("awaiting_hello", conn=number)
        while True:
            message = await connection.recv()  # ConnectionClosed ends the handler
            try:
                if not apply_update(connection.options, message):
                    continue
            except BadRequest as error:
                self.journal.log("hello_refused", conn=number, reason=str(error))
                await connection.close(1000, str(error)[:123])
                return False
            options = connection.options
            self.journal.log("options_update", conn=number, collections=sorted(options.collections) + [p + "*" for p in options.prefixes],
                             dids=sorted(options.dids), max_size=options.max_size)
            return True

    def numbered(self, events: list[Event], options: Options) -> Any:
        """The connection's events with their index: `events`, then, with --live-rate, every event
        appended from now on that the options want, for as long as the connection lasts."""
        live_from = len(self.events)  # taken now, together with `events`

        async def follow() -> Any:
            for index, event in enumerate(events):
                yield index, event
            if not self.args.live_rate:
                return
            index, position = len(events), live_from
            while True:
                async with self.grew:
                    await self.grew.wait_for(lambda: position < len(self.events) or self.stop.is_set())
                if self.stop.is_set():
                    return
                while position < len(self.events):
                    event = self.events[position]
                    position += 1
                    if options.wants(event) and not (options.max_size and len(event.payload) > options.max_size):
                        yield index, event
                        index += 1

        return follow()

    async def produce(self) -> None:
        """--live-rate: appends generated events stamped with the current time, N per second, as a
        real server ingests them; connections replay them to a cursor and follow them live."""
        rate = self.args.live_rate
        generator = Generator(self.args.seed + 1, 0)
        loop = asyncio.get_running_loop()
        started = loop.time()
        count = 0
        while True:
            count += 1
            await asyncio.sleep(max(0.0, started + count / rate - loop.time()))
            last = self.events[-1].time_us if self.events else 0
            # next() adds 1 to 3000 µs: the stamp lands in (now - 3 ms, now], and after the last one.
            generator.time_us = max(last, time.time_ns() // 1000 - 3_000)
            event = generator.next()
            async with self.grew:
                self.events.append(event)
                self.times.append(event.time_us)
                self.seqs.append(event.seq)
                self.grew.notify_all()

    def plain_compressor(self) -> Any:
        import zstandard

        return zstandard.ZstdCompressor(write_content_size=True)

    async def inject(self, connection: Any, index: int, kinds: tuple[str, ...]) -> None:
        """--inject: the extra messages due before event `index` (not recorded: no client should
        write them). `text` and `nodict` only change how that event itself is sent."""
        for kind in kinds:
            if kind in ("text", "nodict", "pretty"):
                payload = None
            elif kind == "notjson":
                payload = b"this is not JSON"
            elif kind == "garbage":
                payload = GARBAGE_FRAME
            elif kind == "bomb":
                body = b'{"did":"did:plc:bomb","time_us":1,"kind":"commit","commit":{"text":"' + b" " * BOMB_SIZE + b'"}}'
                payload = self.require_compressor(kind).compress(body)
            else:  # otherdict
                import zstandard

                self.require_compressor(kind)
                data = bytearray(open(self.args.zstd_dict, "rb").read())
                other = (int.from_bytes(data[4:8], "little") + 1) & 0xFFFFFFFF
                data[4:8] = other.to_bytes(4, "little")
                compressor = zstandard.ZstdCompressor(dict_data=zstandard.ZstdCompressionDict(bytes(data)), write_dict_id=True)
                payload = compressor.compress(b'{"did":"did:plc:other","time_us":1,"kind":"identity","identity":{}}')
            self.journal.log("injected", conn=connection.number, kind=kind, before=index, bytes=len(payload) if payload else None)
            if payload is not None:
                send = connection.protocol.send_text if kind == "notjson" else connection.protocol.send_binary
                await self.write(connection, lambda: send(payload), None)

    def require_compressor(self, kind: str) -> Any:
        if self.compressor is None:
            raise SystemExit(f"fake_jetstream: --inject {kind} needs --zstd-dict")
        return self.compressor

    async def handler(self, connection: Any) -> None:
        args = self.args
        number = connection.number
        fault = self.fault_for(number)
        if fault is not None and fault.action == "status":
            fault = None
        if number == 1 and fault is None:  # the older single-purpose flags act on connection 1
            if args.close_after is not None:
                fault = Fault("--close-after", 1, 1, "close", after=args.close_after, code=1000)
            elif args.drop_after is not None:
                fault = Fault("--drop-after", 1, 1, "drop", after=args.drop_after)
        sent = 0
        first_record = self.journal.records
        end_record: int | None = None
        ended = "all"
        try:
            if connection.options.require_hello and not await self.await_hello(connection):
                return
            events = self.selected(connection.options)
            self.journal.log("open", conn=number, selected=len(events), compressed=connection.options.compress,
                             fault=fault.spec if fault else None)
            async for index, event in self.numbered(events, connection.options):
                if fault is not None and sent == fault.after:
                    ended = fault.action
                    break
                await self.send_one(connection, index, event)
                sent += 1
                if args.delay:
                    await asyncio.sleep(args.delay)
            else:
                if fault is not None and sent == fault.after:
                    ended = fault.action
            end_record = self.journal.records
            if ended == "drop":
                self.journal.log("aborted", conn=number, sent=sent)
                connection.transport.abort()
            elif ended == "midframe":
                await self.cut_frame(connection, events[sent] if sent < len(events) else None, sent)
            elif ended == "hold":
                await self.go_silent(connection, sent)
            elif ended == "close":
                self.journal.log("close_sent", conn=number, code=fault.code, sent=sent)
                await connection.close(fault.code, args.close_reason)
            elif args.then_hold:
                self.journal.log("holding", conn=number, sent=sent)
                await connection.wait_closed()
            else:
                self.journal.log("close_sent", conn=number, code=1000, sent=sent)
                await connection.close(1000, args.close_reason)
        except Exception as error:  # a client going away mid-send is an ordinary test outcome
            self.journal.log("send_failed", conn=number, sent=sent, error=f"{type(error).__name__}: {error}")
        finally:
            received = connection.protocol.close_rcvd
            self.journal.log("closed", conn=number, sent=sent, records=[first_record, self.journal.records if end_record is None else end_record],
                             client_close_code=received.code if received else None,
                             client_close_reason=received.reason if received else None)

    async def wait_written(self, connection: Any, limit: float = 2.0) -> None:
        """Until the transport has handed everything to the kernel (bounded: the peer may not read)."""
        deadline = time.monotonic() + limit
        while connection.transport.get_write_buffer_size() > 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.005)

    async def cut_frame(self, connection: Any, event: Event | None, sent: int) -> None:
        """`midframe`: half of the next event's frame on the wire, then the TCP connection closes."""
        written = 0
        if event is not None:
            payload = event.payload
            if connection.options.compress:
                payload = self.compressor.compress(payload)
            frame = frame_bytes(payload, connection.options.compress)
            written = max(len(frame) - len(payload) + 1, len(frame) // 2)
            await self.wait_written(connection)
            connection.transport.write(frame[:written])
            await self.wait_written(connection)
        self.journal.log("aborted", conn=connection.number, sent=sent, partial_frame_bytes=written)
        connection.transport.abort()

    async def go_silent(self, connection: Any, sent: int) -> None:
        """`hold`: send nothing and read nothing (so pings go unanswered) until the client comes
        back on a newer connection or the server stops; then drop this one."""
        number = connection.number
        connection.transport.pause_reading()
        self.journal.log("silent", conn=number, sent=sent)
        while self.connections <= number and not self.stop.is_set():
            await asyncio.sleep(0.02)
        self.journal.log("aborted", conn=number, sent=sent, after_silence=True)
        connection.transport.abort()

    async def run(self) -> None:
        from websockets.asyncio.server import serve

        args = self.args
        context = None
        if args.tls_cert:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(args.tls_cert, args.tls_key)
            if args.alpn:
                context.set_alpn_protocols(args.alpn.split(","))
        connection_class = make_server_connection_class()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop.set)
        async with serve(
            self.handler, args.bind, args.port, ssl=context, process_request=self.process_request,
            compression=None, ping_interval=None, max_size=args.max_client_message,
            create_connection=connection_class, close_timeout=2,
            open_timeout=None if args.stall_handshake else 10, server_header="fake-jetstream",
        ) as server:
            port = next(s.getsockname()[1] for s in server.sockets)
            scheme = "wss" if context else "ws"
            ready = {"port": port, "url": f"{scheme}://{args.bind}:{port}{args.path}", "events": len(self.events)}
            print(json.dumps(ready), flush=True)
            self.journal.log("listening", **ready)
            producer = asyncio.create_task(self.produce()) if args.live_rate else None
            try:
                await asyncio.wait_for(self.stop.wait(), timeout=args.lifetime)
            except asyncio.TimeoutError:
                self.journal.log("lifetime_over", seconds=args.lifetime)
            self.stop.set()
            if producer:
                producer.cancel()
                async with self.grew:
                    self.grew.notify_all()  # connections following live events end
            server.close()
            try:
                await asyncio.wait_for(server.wait_closed(), timeout=3)
            except asyncio.TimeoutError:
                pass


# --------------------------------------------------------------------------------------------
# Helper mode and the command line


def make_cert(directory: str) -> None:
    import trustme

    os.makedirs(directory, exist_ok=True)
    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1", "::1", "localhost")
    paths = {"ca": os.path.join(directory, "ca.pem"), "cert": os.path.join(directory, "server.pem"),
             "key": os.path.join(directory, "server.key")}
    ca.cert_pem.write_to_path(paths["ca"])
    with open(paths["cert"], "wb") as f:
        for blob in leaf.cert_chain_pems:
            f.write(blob.bytes())
    leaf.private_key_pem.write_to_path(paths["key"])
    print(json.dumps(paths), flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="fake_jetstream.py", description="Loopback Jetstream /subscribe server for tests.",
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1] + "\n" + FAULT_HELP)
    g = p.add_argument_group("listening")
    g.add_argument("--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    g.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    g.add_argument("--path", default="/subscribe", help="the WebSocket route (default /subscribe)")
    g.add_argument("--tls-cert", help="PEM certificate chain: serve wss://")
    g.add_argument("--tls-key", help="PEM private key for --tls-cert")
    g.add_argument("--alpn", help="comma list of ALPN protocols the TLS server selects from, e.g. h2,http/1.1")
    g.add_argument("--lifetime", type=float, default=60.0, help=f"exit after this many seconds (default 60, at most {MAX_LIFETIME:.0f})")
    g.add_argument("--max-client-message", type=int, default=10_000_000, help="largest client message accepted")
    g = p.add_argument_group("events")
    g.add_argument("--events", action="append", default=[], metavar="FILE", help="JSONL file of events, sent verbatim (repeatable)")
    g.add_argument("--generate", type=int, default=0, metavar="N", help="append N generated events")
    g.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    g.add_argument("--start-time-us", type=int, default=1_779_719_100_000_000, help="first generated time_us (raised past loaded events)")
    g.add_argument("--big-event", type=int, action="append", default=[], metavar="BYTES", help="append a post at least BYTES long (repeatable)")
    g.add_argument("--zstd-dict", help="zstd dictionary for compress=true subscribers")
    g.add_argument("--live-rate", type=float, default=0.0, metavar="N",
                   help=f"also generate N new events per second (at most {MAX_LIVE_RATE:.0f}) stamped with the current time; "
                        "a cursor replays history and then follows them, no cursor gets only new ones")
    g.add_argument("--time-shift", type=int, default=0, metavar="US",
                   help="add US microseconds to every time_us: another instance's stamps for the same events")
    g.add_argument("--v2", action="store_true",
                   help="v2 wire: a `cursor` field (sequence number) after time_us, time_us shared by batches, "
                        "and a query cursor below 10^15 read as a sequence number")
    g.add_argument("--v2-first-seq", type=int, default=469_000, metavar="SEQ", help="first sequence number with --v2 (default 469000)")
    g.add_argument("--v2-batch", type=int, default=4, metavar="N", help="events sharing one time_us with --v2 (default 4)")
    g.add_argument("--history", metavar="FILE",
                   help="write every event (payload + newline) to FILE at start-up: what a client that never lost "
                        "or repeated an event prints, unfiltered")
    g = p.add_argument_group("behaviour and faults")
    g.add_argument("--fragment", type=int, default=0, metavar="N", help="send each message as fragments of N bytes")
    g.add_argument("--ping-between", action="store_true", help="send a ping between fragments (or between messages without --fragment)")
    g.add_argument("--delay", type=float, default=0.0, metavar="SECONDS", help="pause after each event")
    g.add_argument("--fault", "--faults", action="append", default=[], metavar="WHICH:ACTION",
                   help="a fault on chosen connections, e.g. 1:drop@300, 2:midframe@10, 3:close=1001@200, 1-2:status=503/1, "
                        "2+:hold@5; comma lists and repeats allowed (grammar below)")
    g.add_argument("--close-after", type=int, metavar="K", help="first connection: send close 1000 after K events")
    g.add_argument("--close-reason", default="", help="reason text for the close frames this server sends")
    g.add_argument("--drop-after", type=int, metavar="K", help="first connection: abort TCP (no close frame) after K events")
    g.add_argument("--then-hold", action="store_true", help="after the last event keep the connection open, sending nothing")
    g.add_argument("--inject", action="append", default=[], metavar="KIND:K",
                   help="on every connection, before its event number K (from 0): garbage (a binary message that is no "
                        f"valid zstd frame), bomb (a small zstd frame that inflates to over {BOMB_SIZE >> 20} MiB), otherdict (a "
                        "frame naming another dictionary ID), notjson (a text message that is not JSON); or send event K "
                        "itself as text, as nodict (a frame made without dictionary) or pretty (indented JSON); "
                        "repeatable. Injected messages are not recorded")
    g.add_argument("--status", type=int, help="refuse every upgrade with this HTTP status")
    g.add_argument("--body", default="", help="plain-text body for --status")
    g.add_argument("--chunked", action="store_true",
                   help="send the --status refusal with Transfer-Encoding: chunked and --body as its framing, "
                        "verbatim (\\r and \\n in --body stand for CR and LF), to test how a client reads chunked bodies")
    g.add_argument("--stall-handshake", action="store_true", help="accept TCP and TLS, never answer the HTTP upgrade")
    g = p.add_argument_group("records")
    g.add_argument("--record", metavar="FILE", help="append each sent message + newline")
    g.add_argument("--log", metavar="FILE", help="append JSON lines describing requests, pings, pongs and closes")
    g = p.add_argument_group("helper mode")
    g.add_argument("--make-cert", metavar="DIR", help="write ca.pem, server.pem and server.key into DIR and exit")
    args = p.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key go together")
    if not 0 < args.lifetime <= MAX_LIFETIME:
        p.error(f"--lifetime must be in (0, {MAX_LIFETIME:.0f}]")
    if args.fragment < 0 or args.generate < 0:
        p.error("--fragment and --generate must not be negative")
    if not 0 <= args.live_rate <= MAX_LIVE_RATE:
        p.error(f"--live-rate must be in [0, {MAX_LIVE_RATE:.0f}]")
    if args.live_rate and args.v2:
        p.error("--live-rate does not combine with --v2")
    parse_injections(args.inject)
    if args.v2_batch < 1:
        p.error("--v2-batch must be at least 1")
    try:
        parse_faults(args.fault)
    except ValueError as error:
        p.error(str(error))
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.make_cert:
        make_cert(args.make_cert)
        return 0
    events = load_events(args)
    if args.history:
        with open(args.history, "wb") as f:
            f.writelines(event.payload + b"\n" for event in events)
    try:
        asyncio.run(FakeJetstream(args, events).run())
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
