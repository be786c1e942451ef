"""The test peer itself, checked with the `websockets` client, so that a failing binary test
points at the binary and not at the server. These tests do not need jetstream-tail."""

from __future__ import annotations

import asyncio
import json
import ssl
import time

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.frames import Frame, Opcode

from support import ZSTD_DICTIONARY, assert_same_stream, event_payloads, lines


class FrameLog(ClientConnection):
    """A client connection that remembers every frame it receives, in wire order."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.frames: list[tuple[Opcode, bool, bytes]] = []

    def process_event(self, event):
        if isinstance(event, Frame):
            self.frames.append((event.opcode, event.fin, bytes(event.data)))
        super().process_event(event)


async def receive_all(url: str, limit: int | None = None, **kwargs) -> tuple[list, ClientConnection]:
    """Every message until the server closes (or `limit` messages), and the connection."""
    messages = []
    kwargs.setdefault("open_timeout", 10)
    async with connect(url, compression=None, create_connection=FrameLog, **kwargs) as ws:
        try:
            while limit is None or len(messages) < limit:
                messages.append(await asyncio.wait_for(ws.recv(decode=False), timeout=10))
        except ConnectionClosed:
            pass
    return messages, ws


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, timeout=30))


def test_replays_the_sample_file_verbatim_then_closes_normally(jetstream, sample_events):
    server = jetstream("--events", sample_events)
    messages, ws = run(receive_all(server.url))
    assert messages == lines(sample_events.read_bytes())
    assert ws.close_code == 1000
    server.wait_until_settled()
    assert_same_stream(server.sent(), sample_events.read_bytes(), "the record")


def test_generated_events_are_deterministic_realistic_and_ordered():
    first = event_payloads("--generate", "2000", "--seed", "7")
    assert first == event_payloads("--generate", "2000", "--seed", "7")
    assert first != event_payloads("--generate", "2000", "--seed", "8")
    events = [json.loads(p) for p in first]
    times = [e["time_us"] for e in events]
    assert all(a < b for a, b in zip(times, times[1:]))
    assert {e["kind"] for e in events} == {"commit", "identity", "account"}
    operations = {e["commit"]["operation"] for e in events if e["kind"] == "commit"}
    assert operations == {"create", "update", "delete"}
    collections = {e["commit"]["collection"] for e in events if e["kind"] == "commit"}
    assert {"app.bsky.feed.post", "app.bsky.feed.like", "app.bsky.graph.follow"} <= collections
    assert any(max(p) >= 0x80 for p in first), "no non-ASCII text"
    assert any("🦋".encode() in p for p in first), "no emoji"
    assert all(list(e)[:3] == ["did", "time_us", "kind"] for e in events), "wire key order"


def test_filters_by_collection_prefix_did_and_inclusive_cursor(jetstream):
    server = jetstream("--generate", "500")
    everything = [json.loads(p) for p in event_payloads("--generate", "500")]
    did = everything[10]["did"]
    cursor = everything[100]["time_us"]
    url = (f"{server.url}?wantedCollections=app.bsky.feed.like&wantedCollections=app.bsky.graph.*"
           f"&cursor={cursor}")
    messages, _ = run(receive_all(url))
    got = [json.loads(m) for m in messages]
    expected = [e for e in everything[100:] if e["kind"] != "commit"
                or e["commit"]["collection"] == "app.bsky.feed.like"
                or e["commit"]["collection"].startswith("app.bsky.graph.")]
    assert got == expected
    assert {e["kind"] for e in got} == {"commit", "identity", "account"}

    messages, _ = run(receive_all(f"{server.url}?cursor={cursor}"))
    assert [json.loads(m) for m in messages] == everything[100:], "the cursor is inclusive"

    messages, _ = run(receive_all(f"{server.url}?wantedDids={did}"))
    assert [json.loads(m) for m in messages] == [e for e in everything if e["did"] == did]
    server.wait_until_settled()
    assert server.query_values("wantedCollections", conn=1) == ["app.bsky.feed.like", "app.bsky.graph.*"]


@pytest.mark.parametrize("query, body", [
    ("cursor=abc", "invalid cursor: abc"),
    ("wantedCollections=app.bsky.graph.fo*", "invalid subscriber options: invalid collection: app.bsky.graph.fo*"),
    ("wantedCollections=a,b", "invalid subscriber options: invalid collection: a,b"),
    ("wantedDids=not-a-did", "invalid subscriber options"),
])
def test_refuses_bad_subscriptions_with_plain_text_400(jetstream, query, body):
    server = jetstream("--generate", "3")
    with pytest.raises(InvalidStatus) as refused:
        run(receive_all(f"{server.url}?{query}"))
    assert refused.value.response.status_code == 400
    assert refused.value.response.body.decode() == body
    assert refused.value.response.headers["Content-Type"].startswith("text/plain")


def test_status_mode_refuses_every_upgrade(jetstream):
    server = jetstream("--status", "503", "--body", "service not ready: warming up")
    with pytest.raises(InvalidStatus) as refused:
        run(receive_all(server.url))
    assert refused.value.response.status_code == 503
    assert refused.value.response.body == b"service not ready: warming up"
    assert server.entries("rejected")[0]["status"] == 503


def test_fragments_carry_pings_between_them_on_the_wire(jetstream, sample_events):
    server = jetstream("--events", sample_events, "--fragment", "100", "--ping-between")
    messages, ws = run(receive_all(server.url))
    assert messages == lines(sample_events.read_bytes())
    opcodes = [op for op, _, _ in ws.frames]
    first_text = opcodes.index(Opcode.TEXT)
    assert opcodes[first_text:first_text + 4] == [Opcode.TEXT, Opcode.PING, Opcode.CONT, Opcode.PING]
    assert not ws.frames[first_text][1], "the first fragment must not have FIN"
    pings = [data for op, _, data in ws.frames if op is Opcode.PING]
    assert len(pings) > 10
    log = server.wait_until_settled()
    assert [bytes.fromhex(e["data"]) for e in log if e["event"] == "ping"] == pings
    assert [bytes.fromhex(e["data"]) for e in log if e["event"] == "pong"] == pings


def test_one_byte_fragments_split_utf8_sequences(jetstream):
    server = jetstream("--generate", "40", "--fragment", "1")
    messages, ws = run(receive_all(server.url))
    assert messages == event_payloads("--generate", "40")
    assert all(len(data) <= 1 for op, _, data in ws.frames if op in (Opcode.TEXT, Opcode.CONT))


def test_pings_between_whole_messages(jetstream):
    server = jetstream("--generate", "5", "--ping-between")
    _, ws = run(receive_all(server.url))
    assert [op for op, _, _ in ws.frames][:4] == [Opcode.TEXT, Opcode.PING, Opcode.TEXT, Opcode.PING]


def test_close_after_sends_a_normal_close_frame(jetstream):
    server = jetstream("--generate", "10", "--close-after", "3", "--close-reason", "bye")
    messages, ws = run(receive_all(server.url))
    assert len(messages) == 3
    assert (ws.close_code, ws.close_reason) == (1000, "bye")
    log = server.wait_until_settled()
    assert [e for e in log if e["event"] == "closed"][0]["client_close_code"] == 1000
    # The close applies to the first connection only: a reconnecting client gets the rest.
    messages, _ = run(receive_all(server.url))
    assert len(messages) == 10


def test_drop_after_ends_the_connection_without_a_close_frame(jetstream):
    server = jetstream("--generate", "10", "--drop-after", "4")
    messages, ws = run(receive_all(server.url))
    assert len(messages) == 4
    assert ws.close_code == 1006
    assert server.sent().count(b"\n") == 4


def test_then_hold_keeps_the_connection_open(jetstream):
    async def scenario(url):
        async with connect(url, compression=None) as ws:
            for _ in range(3):
                await ws.recv()
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(ws.recv(), timeout=0.5)
    server = jetstream("--generate", "3", "--then-hold")
    run(scenario(server.url))
    server.wait_until_settled()
    assert server.entries("holding")


def test_big_events_use_extended_lengths(jetstream):
    server = jetstream("--big-event", "70000", "--big-event", "1100000")
    messages, ws = run(receive_all(server.url, max_size=4 << 20))
    assert len(messages[0]) >= 70000 and len(messages[1]) >= 1100000
    assert json.loads(messages[1])["commit"]["collection"] == "app.bsky.feed.post"


def test_serves_wss_with_the_trustme_certificate_and_picks_alpn(jetstream, certificates):
    server = jetstream("--generate", "20", "--alpn", "h2,http/1.1", tls=True)
    context = ssl.create_default_context(cafile=str(certificates.ca))
    context.set_alpn_protocols(["http/1.1"])
    for host in ("127.0.0.1", "localhost"):
        messages, _ = run(receive_all(server.url_for(host), ssl=context))
        assert messages == event_payloads("--generate", "20")
    server.wait_until_settled()
    assert [r["alpn"] for r in server.requests()] == ["http/1.1", "http/1.1"]
    untrusted = ssl.create_default_context(cafile=str(certificates.other_ca))
    with pytest.raises(ssl.SSLCertVerificationError):
        run(receive_all(server.url, ssl=untrusted))


@pytest.mark.skipif(not ZSTD_DICTIONARY.is_file(), reason="shared zstd dictionary not found")
def test_compress_sends_one_dictionary_zstd_frame_per_event(jetstream):
    import zstandard

    server = jetstream("--generate", "50", "--zstd-dict", ZSTD_DICTIONARY)
    messages, ws = run(receive_all(server.url + "?compress=true"))
    assert all(op in (Opcode.BINARY,) for op, _, _ in ws.frames if op not in (Opcode.CLOSE, Opcode.PING, Opcode.PONG))
    assert {zstandard.get_frame_parameters(m).dict_id for m in messages} == {1612007021}
    dictionary = zstandard.ZstdCompressionDict(ZSTD_DICTIONARY.read_bytes())
    decoder = zstandard.ZstdDecompressor(dict_data=dictionary)
    assert [decoder.decompress(m) for m in messages] == event_payloads("--generate", "50")
    assert_same_stream(server.sent(), b"".join(p + b"\n" for p in event_payloads("--generate", "50")), "the record")


def test_stalled_handshake_never_answers(jetstream):
    server = jetstream("--stall-handshake")
    with pytest.raises(TimeoutError):
        asyncio.run(receive_all(server.url, open_timeout=0.5))
    assert server.entries("stalled")


def test_exits_by_itself_after_its_lifetime(jetstream):
    server = jetstream("--generate", "1", lifetime=0.5)
    start = time.monotonic()
    server.process.wait(timeout=10)
    assert time.monotonic() - start < 10
    assert server.process.returncode == 0


async def hello_then_receive(url: str, hello: str | bytes | None, *more: str) -> tuple[list, ClientConnection]:
    """Connects, sends `hello` (and `more`) as the first messages, then reads until the server closes."""
    messages = []
    async with connect(url, compression=None, open_timeout=10) as ws:
        for message in ([hello] if hello is not None else []) + list(more):
            await ws.send(message)
        try:
            while True:
                messages.append(await asyncio.wait_for(ws.recv(decode=False), timeout=10))
        except ConnectionClosed:
            pass
    return messages, ws


def update(collections: list[str] | None = None, dids: list[str] | None = None, **extra) -> str:
    payload = {"wantedCollections": collections or [], "wantedDids": dids or [], **extra}
    return json.dumps({"type": "options_update", "payload": payload})


def test_require_hello_holds_events_until_an_options_update_and_applies_it(jetstream):
    everything = event_payloads("--generate", "300")
    events = [json.loads(p) for p in everything]
    dids = sorted({e["did"] for e in events})[:5]
    server = jetstream("--generate", "300")
    # The query's own DID filter is replaced wholesale by the update's lists.
    url = server.url + "?requireHello=true&wantedDids=did:plc:nobody"
    messages, ws = run(hello_then_receive(url, b"\x00binary is ignored", '{"type":"something_else"}', update(["app.bsky.feed.like"], dids)))
    expected = [p for p, e in zip(everything, events)
                if e["did"] in dids and (e["kind"] != "commit" or e["commit"]["collection"] == "app.bsky.feed.like")]
    assert expected and messages == expected
    log = server.wait_until_settled()
    (entry,) = [e for e in log if e["event"] == "options_update"]
    assert entry["dids"] == dids and entry["collections"] == ["app.bsky.feed.like"]
    assert [e["event"] for e in log if e["event"] in ("awaiting_hello", "options_update", "open")] == ["awaiting_hello", "options_update", "open"]


def test_require_hello_without_an_update_sends_nothing(jetstream):
    server = jetstream("--generate", "10")

    async def wait_a_little():
        async with connect(server.url + "?requireHello=true", compression=None, open_timeout=10) as ws:
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(ws.recv(), timeout=1)

    run(wait_a_little())
    assert not server.sent()


def test_the_update_size_limit_replaces_the_querys(jetstream):
    server = jetstream("--generate", "50", "--big-event", "5000")
    messages, _ = run(hello_then_receive(server.url + "?requireHello=true&maxMessageSizeBytes=100000",
                                         update(maxMessageSizeBytes=4000)))
    assert len(messages) == 50 and all(len(m) <= 4000 for m in messages)


@pytest.mark.parametrize("message, reason", [
    ("not json", "failed to parse subscriber message"),
    ('{"type":"options_update","payload":[]}', "failed to parse options_update payload"),
    (update(["app.bsky.feed.post", "bad..nsid"]), "invalid subscriber options: invalid collection: bad..nsid"),
    (update(dids=["handle.example"]), "invalid subscriber options"),
    (update(dids=[f"did:plc:{n}" for n in range(10_001)]), "invalid subscriber options: too many wanted DIDs"),
])
def test_a_refused_update_closes_with_1000_and_a_reason(jetstream, message, reason):
    server = jetstream("--generate", "10")
    messages, ws = run(hello_then_receive(server.url + "?requireHello=true", message))
    assert messages == []
    assert ws.close_code == 1000 and ws.close_reason.startswith(reason)
    assert not server.sent()


# --- Fault modes (--fault) and the v2 wire -----------------------------------------------------


def test_faults_apply_per_connection_number(jetstream):
    server = jetstream("--generate", "20", "--fault", "1:drop@5,2:close=1001@7", "--fault", "3:close=1011@2",
                       "--close-reason", "going")
    first, ws1 = run(receive_all(server.url))
    second, ws2 = run(receive_all(server.url))
    third, ws3 = run(receive_all(server.url))
    fourth, ws4 = run(receive_all(server.url))
    everything = event_payloads("--generate", "20")
    assert (first, second, third, fourth) == (everything[:5], everything[:7], everything[:2], everything)
    assert [ws.close_code for ws in (ws1, ws2, ws3, ws4)] == [1006, 1001, 1011, 1000]
    assert ws2.close_reason == "going"
    log = server.wait_until_settled()
    assert [e["records"] for e in log if e["event"] == "closed"] == [[0, 5], [5, 12], [12, 14], [14, 34]]
    assert [e["fault"] for e in log if e["event"] == "open"] == ["1:drop@5", "2:close=1001@7", "3:close=1011@2", None]


def test_midframe_cuts_the_next_frame_in_half_then_closes_tcp(jetstream):
    import socket

    server = jetstream("--generate", "3", "--fault", "1:midframe@2")
    everything = event_payloads("--generate", "3")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET /subscribe HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 101 ")
    body = data.split(b"\r\n\r\n", 1)[1]

    def frame(payload: bytes) -> bytes:  # every generated event is 126..65535 bytes: 16-bit length
        assert 126 <= len(payload) < 65536
        return bytes([0x81, 126]) + len(payload).to_bytes(2, "big") + payload
    whole = b"".join(frame(p) for p in everything)
    two = len(frame(everything[0]) + frame(everything[1]))
    assert whole.startswith(body), "what arrived is a prefix of the three frames"
    assert two + 4 < len(body) < len(whole), "it ends inside the third frame, past its header"
    assert server.wait_until_settled()[-2]["partial_frame_bytes"] == len(body) - two


def test_status_faults_refuse_some_connections_with_retry_after(jetstream):
    server = jetstream("--generate", "4", "--fault", "1-2:status=503/7")
    for _ in range(2):
        with pytest.raises(InvalidStatus) as refused:
            run(receive_all(server.url))
        assert refused.value.response.status_code == 503
        assert refused.value.response.headers["Retry-After"] == "7"
        assert refused.value.response.body == b"service unavailable"
    messages, _ = run(receive_all(server.url))
    assert messages == event_payloads("--generate", "4")


def test_hold_goes_silent_and_leaves_pings_unanswered(jetstream):
    async def scenario(url):
        async with connect(url, compression=None, ping_interval=None) as ws:
            for _ in range(3):
                await ws.recv()
            waiter = await ws.ping(b"anyone?")
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(waiter, timeout=0.5)
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(ws.recv(), timeout=0.2)
            # A newer connection releases the silent one.
            async with connect(url, compression=None) as again:
                assert len([await again.recv() for _ in range(5)]) == 5
    server = jetstream("--generate", "5", "--fault", "1:hold@3", "--then-hold")
    run(scenario(server.url))
    server.wait_until_settled()
    assert server.entries("silent", conn=1) and server.entries("aborted", conn=1)


def test_v2_adds_a_sequence_cursor_and_shares_time_us(jetstream):
    plain = [json.loads(p) for p in event_payloads("--generate", "40")]
    v2 = event_payloads("--generate", "40", "--v2", "--v2-batch", "3")
    events = [json.loads(p) for p in v2]
    assert [e["cursor"] for e in events] == list(range(469_000, 469_040))
    assert all(list(e)[:4] == ["did", "time_us", "cursor", "kind"] for e in events)
    assert [e["time_us"] for e in events] == [plain[i - i % 3]["time_us"] for i in range(40)]
    assert [{k: v for k, v in e.items() if k not in ("time_us", "cursor")} for e in events] == \
           [{k: v for k, v in e.items() if k != "time_us"} for e in plain]
    server = jetstream("--generate", "40", "--v2", "--v2-batch", "3")
    messages, _ = run(receive_all(f"{server.url}?cursor=469010"))
    assert messages == v2[10:], "a small cursor is a sequence number, inclusive"
    messages, _ = run(receive_all(f"{server.url}?cursor={events[10]['time_us']}"))
    assert messages == v2[9:], "a time cursor starts at the first event of that time_us"


def test_time_shift_moves_only_time_us(jetstream, tmp_path):
    plain = event_payloads("--generate", "30")
    shifted = event_payloads("--generate", "30", "--time-shift", "-250")
    for a, b in zip(plain, shifted):
        x, y = json.loads(a), json.loads(b)
        assert y.pop("time_us") == x.pop("time_us") - 250 and x == y
    server = jetstream("--generate", "30", "--time-shift", "-250", "--history", tmp_path / "history.jsonl")
    assert (tmp_path / "history.jsonl").read_bytes() == b"".join(p + b"\n" for p in shifted)
    messages, _ = run(receive_all(server.url))
    assert messages == shifted
