"""Seed inputs for the fuzz targets of Tests/fuzz/FuzzTargets.swift, one directory per target.

    seeds.py OUT_DIR SHARED_JETSTREAM_DIR

Made fresh on every run from the Jetstream samples in ../shared (which are never copied into the
repository) and from the benchmark's event generator, so the fuzzer starts from real events,
frames, upgrade answers, zstd frames and cursor lines rather than from nothing. A libFuzzer
dictionary of the tokens these formats are built from goes to OUT_DIR/tokens.dict.
"""

from __future__ import annotations

import base64
import hashlib
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench.d"))
import events  # noqa: E402  (the benchmark's deterministic event generator)

# Sec-WebSocket-Accept for the fixed key the handshake target sends.
KEY = b"dGhlIHNhbXBsZSBub25jZQ=="
ACCEPT = base64.b64encode(hashlib.sha1(KEY + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())

# The message size limits the frames target picks from with its first byte (its `limits`).
LIMIT_1MIB = bytes([6])
LIMIT_125 = bytes([2])


def frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    """A server frame (the benchmark's header), with FIN cleared for a fragment."""
    head = events.frame_header(opcode, len(payload))
    return (head if fin else bytes([head[0] & 0x7F]) + head[1:]) + payload


def main() -> None:
    out, shared = sys.argv[1], sys.argv[2]
    samples = []
    for name in ("sample-events.jsonl", "sample-events-v2-server-subscribe.jsonl"):
        with open(os.path.join(shared, name), "rb") as f:
            samples += [line.rstrip(b"\n") for line in f if line.strip()]
    generated = list(events.iterate(20261206, 64))
    corpus = samples + generated
    with open(os.path.join(shared, "zstd_dictionary"), "rb") as f:
        compress = events.compressor(f.read())

    seeds: dict[str, list[bytes]] = {name: [] for name in
                                     ("utf8", "scan", "frames", "handshake", "close", "zstd", "cursor", "args", "resolver", "tail")}
    seeds["utf8"] += corpus + ["héllo wörld ✓ 𝄞 日本語".encode(), b"\xed\x9f\xbf", b"\xf4\x8f\xbf\xbf"]
    seeds["scan"] += corpus + [b'{"did":"x","time_us":1,"kind":"commit"}', b" {\n} "]
    for i, event in enumerate(corpus[:16]):
        seeds["frames"].append(LIMIT_1MIB + frame(1, event))
        half = len(event) // 2
        seeds["frames"].append(LIMIT_1MIB + frame(1, event[:half], fin=False) + frame(9, b"hi")
                               + frame(0, event[half:]) + frame(8, b"\x03\xe8bye"))
    seeds["frames"] += [LIMIT_125 + frame(1, b"x" * 126), LIMIT_1MIB + frame(2, b"\x00" * 70000),
                        LIMIT_1MIB + frame(10, b"") + frame(8, b"")]
    upgrade = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               b"Sec-WebSocket-Accept: " + ACCEPT + b"\r\n\r\n")
    seeds["handshake"] += [
        upgrade, upgrade + frame(1, corpus[0]),
        b"HTTP/1.1 100 Continue\r\n\r\n" + upgrade,
        b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nbad request",
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nslow \r\n4;x=y\r\ndown\r\n0\r\n\r\n",
        b"HTTP/1.0 503 Service Unavailable\nRetry-After: Wed, 21 Oct 2026 07:28:00 GMT\n\n",
    ]
    seeds["close"] += [b"", b"\x03\xe8", b"\x03\xe8going away", b"\x0f\xa0\xc3\xa9"]
    seeds["zstd"] += [compress.compress(event) for event in corpus[:32]]
    seeds["cursor"] += [
        b"time_us=1764000000000000 time=2025-11-24T16:00:00Z",
        b"time_us=1764000000000000 time=2025-11-24T16:00:00Z cursor=469083 host=jetstream.example",
        b"1764000000000000", b"2026-11-22T10:00:00.123456+05:30", b"-1d12h", b"-90s", b"seq:469083",
        b"live", b"now", b"1999-12-31T23:59:60Z",
    ]
    seeds["args"] += [b"\0".join(a) for a in (
        [b"--collection", b"app.bsky.feed.post", b"-n", b"10"],
        [b"--cursor", b"-15m", b"--until", b"now", b"--cursor-file", b"cursor", b"-q"],
        [b"--host", b"us-east", b"--host", b"wss://[::1]:6008/subscribe", b"--compress"],
        [b"-c", b"app.bsky.*", b"--kind", b"commit", b"--operation", b"delete", b"--did", b"-"],
        [b"--buffer-bytes", b"4MiB", b"--on-full", b"drop", b"--max-lag", b"30s", b"--backoff", b"1s"],
        [b"--completions", b"zsh"], [b"--version"], [b"--help"],
    )]
    seeds["args"] += [b"--did\0-\x02did:plc:z72i7hdynmk6r22z27h6tvur\n# a comment\n",
                      b"-n\0005\x01host=ws://localhost:6008\ncollection=app.bsky.feed.like,app.bsky.feed.post\n"]
    # The resolver target: the first byte picks the status (200, 400, 404, 500, 302), the rest is the body.
    seeds["resolver"] += [b"\0" + b'{"did":"did:plc:z72i7hdynmk6r22z27h6tvur"}',
                          b"\1" + b'{"error":"InvalidRequest","message":"Unable to resolve handle"}',
                          b"\0" + b'{ "x": [1, {"y": "\\ud83d\\ude00"}], "did" : "did:web:example.com" }',
                          b"\3" + b"<html>Internal Server Error</html>"]
    # The tail target: a flags byte (1: --compress, 2: stdout through the writer thread), then what
    # the server sends after its 101.
    text_stream = b"".join(frame(1, event) for event in corpus[:24]) + frame(8, b"\x03\xe8")
    zstd_stream = b"".join(frame(2, compress.compress(event)) for event in corpus[:40]) + frame(8, b"\x03\xe8")
    seeds["tail"] += [b"\0" + text_stream, b"\2" + text_stream, b"\1" + zstd_stream, b"\3" + zstd_stream,
                      b"\0" + frame(1, corpus[0][:40], fin=False) + frame(9, b"") + frame(0, corpus[0][40:]),
                      b"\1" + frame(1, corpus[1]) + frame(2, compress.compress(corpus[2]))]
    for name, items in seeds.items():
        directory = os.path.join(out, name)
        os.makedirs(directory, exist_ok=True)
        for item in items:
            with open(os.path.join(directory, hashlib.sha1(item).hexdigest()), "wb") as f:
                f.write(item)

    tokens = [b'"did"', b'"time_us"', b'"cursor"', b'"kind"', b'"commit"', b'"identity"', b'"account"',
              b'"rev"', b'"operation"', b'"collection"', b'"rkey"', b'"record"', b'"create"', b'"update"',
              b'"delete"', b'":"', b'":{', b'},"', b"\\u00", b'\\"', b"did:plc:", b"true", b"false", b"null",
              b"HTTP/1.1 ", b"\r\n", b"Sec-WebSocket-Accept: ", b"Upgrade: websocket", b"Connection: Upgrade",
              b"Transfer-Encoding: chunked", b"Content-Length: ", b"Retry-After: ", b"time_us=", b" time=",
              b" cursor=", b" host=", b"seq:", b"T00:00:00Z", "\U0001F600".encode(), b"\xed\xa0\x80",
              b"\x28\xb5\x2f\xfd"]
    with open(os.path.join(out, "tokens.dict"), "w") as f:
        for token in tokens:
            f.write('"' + "".join(chr(b) if 0x20 <= b < 0x7F and b not in b'"\\' else f"\\x{b:02x}"
                                  for b in token) + '"\n')


if __name__ == "__main__":
    main()
