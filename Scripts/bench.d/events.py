"""The benchmark's input: deterministic, realistic Jetstream v1 events and their WebSocket frames.

The mix follows what the public firehose carries: about half likes, then posts (non-ASCII text
in many scripts, emoji, link/mention/tag facets, replies, image, link-card and quote embeds),
follows, reposts, deletes, a few blocks, profile updates and records of other apps, and a few
identity and account events. Keys are in the order the server writes them (records with
sorted keys, as they come out of CBOR), JSON is compact with Go's HTML escaping, and `time_us`
strictly increases. The same seed and count always give the same bytes (for one Python
version: the cache key includes it).

`build(directory, count, seed, dictionary)` writes:

  events.jsonl   every event + "\\n": what each client's output must equal byte for byte
  text.frames    one unmasked, unfragmented text frame (FIN, opcode 0x1) per event
  zstd.frames    one binary frame (FIN, opcode 0x2) per event holding one zstd frame made with
                 the dictionary, as Jetstream's compress=true sends them
  meta.json      counts, sizes and averages

The compressor is set up like Jetstream's encoder: zstd's default level (3), a 128 KiB window,
the frame content size, dictionary ID and a checksum in every frame.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import os
import random
import struct
import sys
from pathlib import Path
from typing import Iterator

# The JSON formatting is the test server's: events here are written exactly as it writes them.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from fake_jetstream import go_json, sorted_keys  # noqa: E402

B32_SORT = "234567abcdefghijklmnopqrstuvwxyz"  # atproto TIDs

TEXTS = [
    "Good morning everyone! Coffee first, then the world ☕",
    "Bom dia! Alguém mais acordado às 5h? 😴",
    "今日はとても良い天気ですね。散歩に行きます 🚶‍♀️",
    "Käsekuchen schlägt Apfelstrudel, keine Diskussion 🧀🍰",
    "Привет из Москвы! Снег идёт уже третий день ❄️",
    "مرحبا بالجميع، كيف حالكم اليوم؟ 👋",
    "¿Alguien vio el partido anoche? Qué golazo ⚽🇦🇷",
    "new blog post: \"Why timestamps should be microseconds\" — thoughts welcome",
    "family 👨‍👩‍👧‍👦 flags 🇧🇷🇯🇵🇺🇦 and a rainbow 🏳️‍🌈",
    "the thread below is long, sorry in advance 🧵\n\n1/",
    "a backslash \\ and a \"quote\" in one line",
    "<b>not html</b> & friends",
    "𝕄𝕒𝕥𝕙 letters, and 𓀀 hieroglyphs for good measure",
    "जयपुर में आज बहुत गर्मी है 🔥",
    "한국어 텍스트도 잘 나오나요? 🤔",
    "finally finished the painting I started in March. swipe for details 🎨",
    "Il pleut encore à Paris. Évidemment. ☔",
    "this is the best thing I've read all week, go read it",
    "lol",
    "same",
    "Ce soir : concert, pizza, et dodo 🎶🍕😴",
    "Wer hat Lust auf eine Runde Brettspiele am Samstag? 🎲",
    "ok but why does the train always stop right before the station 🚆",
    "ไปเที่ยวเชียงใหม่มา อากาศดีมาก 🌄",
    "Το καλοκαίρι έφτασε επιτέλους ☀️🏖️",
]
WORDS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar", "peggy", "trent", "victor", "walter"]
TAGS = ["art", "bluesky", "photography", "gamedev", "books", "music", "science", "caturday", "rust", "swift"]
LANGS = ["en", "en", "en", "ja", "pt", "de", "es", "fr", "ko", "ru", "ar", "hi"]
OTHER_COLLECTIONS = ["fyi.unravel.frontpage.post", "sh.tangled.repo", "chat.bsky.actor.declaration", "org.hypercerts.claim.activity", "app.bsky.graph.listitem"]
ACCOUNT_STATUSES = ["deactivated", "takendown", "suspended", "deleted"]


def tid(time_us: int, clock_id: int) -> str:
    """A record key or revision in atproto TID form: 53 bits of microseconds, 10 of clock id."""
    value = (time_us << 10) | (clock_id & 0x3FF)
    return "".join(B32_SORT[(value >> (60 - 5 * i)) & 31] for i in range(13))


def iso(time_us: int) -> str:
    t = datetime.datetime.fromtimestamp(time_us / 1_000_000, tz=datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


class Generator:
    """Deterministic events: the same seed gives the same sequence."""

    def __init__(self, seed: int, start_us: int = 1_779_719_009_000_000):
        self.rng = random.Random(seed)
        self.time_us = start_us
        self.seq = 30_340_180_350
        self.clock_id = 0
        self.rev_us = start_us
        self.dids = ["did:plc:" + self.b32(24) for _ in range(20_000)]
        self.dids += [f"did:web:{w}.example.com" for w in WORDS[:4]]

    def b32(self, length: int) -> str:
        raw = self.rng.getrandbits(length * 5 + 8).to_bytes((length * 5 + 8 + 7) // 8, "big")
        return base64.b32encode(raw).decode("ascii").lower()[:length]

    def did(self) -> str:
        return self.dids[self.rng.randrange(len(self.dids))]

    def cid(self, codec: int = 0x71) -> str:
        """A CIDv1 of a sha2-256 hash in base32: dag-cbor (0x71, "bafyrei…") or raw (0x55, "bafkrei…")."""
        raw = bytes((0x01, codec, 0x12, 0x20)) + self.rng.getrandbits(256).to_bytes(32, "big")
        return "b" + base64.b32encode(raw).decode("ascii").lower().rstrip("=")

    def at_uri(self, collection: str = "app.bsky.feed.post") -> str:
        rkey = tid(self.time_us - int(10 ** self.rng.uniform(6, 10)), self.rng.randint(0, 31))
        return f"at://{self.did()}/{collection}/{rkey}"

    def strong_ref(self, collection: str = "app.bsky.feed.post") -> dict:
        return {"cid": self.cid(), "uri": self.at_uri(collection)}

    def blob(self, mime: str = "image/jpeg") -> dict:
        return {"$type": "blob", "ref": {"$link": self.cid(0x55)}, "mimeType": mime, "size": self.rng.randint(20_000, 1_000_000)}

    def created(self) -> str:
        return iso(self.time_us - self.rng.randint(0, 900_000))

    def post(self) -> dict:
        rng = self.rng
        text = " ".join(rng.choice(TEXTS) for _ in range(rng.choice([1, 1, 1, 2, 2, 3])))
        facets = []

        def add_facet(piece: str, feature: dict) -> None:
            nonlocal text
            text = text + " "
            start = len(text.encode("utf-8"))
            text = text + piece
            facets.append({"$type": "app.bsky.richtext.facet", "features": [feature],
                           "index": {"byteEnd": start + len(piece.encode("utf-8")), "byteStart": start}})

        if rng.random() < 0.25:
            url = f"https://example.com/{rng.choice(WORDS)}/{rng.randint(1, 99999)}?utm_source=bsky&ref=a"
            add_facet(url, {"$type": "app.bsky.richtext.facet#link", "uri": url})
        if rng.random() < 0.15:
            add_facet(f"@{rng.choice(WORDS)}.bsky.social", {"$type": "app.bsky.richtext.facet#mention", "did": self.did()})
        if rng.random() < 0.15:
            tag = rng.choice(TAGS)
            add_facet(f"#{tag}", {"$type": "app.bsky.richtext.facet#tag", "tag": tag})
        record: dict = {"$type": "app.bsky.feed.post", "createdAt": self.created(), "langs": [rng.choice(LANGS)], "text": text}
        if facets:
            record["facets"] = facets
        if rng.random() < 0.4:
            root = self.strong_ref()
            record["reply"] = {"parent": self.strong_ref() if rng.random() < 0.6 else root, "root": root}
        roll = rng.random()
        if roll < 0.2:
            record["embed"] = {"$type": "app.bsky.embed.images", "images": [
                {"alt": rng.choice(["", "", "a cat asleep on a keyboard 🐈", "Sonnenuntergang über dem Meer"]),
                 "aspectRatio": {"height": rng.choice([1080, 1350, 2000]), "width": rng.choice([1080, 1440, 1920])},
                 "image": self.blob()}
                for _ in range(rng.choice([1, 1, 1, 2, 4]))]}
        elif roll < 0.28:
            record["embed"] = {"$type": "app.bsky.embed.external", "external": {
                "description": rng.choice(TEXTS), "thumb": self.blob(),
                "title": rng.choice(TEXTS)[:40], "uri": f"https://news.example.org/{rng.randint(2020, 2026)}/{rng.choice(WORDS)}-{rng.randint(1, 9999)}"}}
        elif roll < 0.34:
            record["embed"] = {"$type": "app.bsky.embed.record", "record": self.strong_ref()}
        return record

    def commit(self, did: str, operation: str, collection: str, rkey: str, record: dict | None) -> dict:
        # The PDS makes the revision and (for creates) the record key with one clock id.
        commit: dict = {"rev": tid(self.rev_us, self.clock_id), "operation": operation, "collection": collection, "rkey": rkey}
        if record is not None:
            commit["record"] = sorted_keys(record)
            commit["cid"] = self.cid()
        return {"did": did, "time_us": self.time_us, "kind": "commit", "commit": commit}

    def next(self) -> bytes:
        rng = self.rng
        self.time_us += rng.randint(1, 400)
        did = self.did()
        # The PDS commits a little before Jetstream sees it; the record key is made just before.
        self.clock_id = rng.randint(0, 31)
        self.rev_us = self.time_us - rng.randint(50_000, 400_000)
        rkey = tid(self.rev_us - rng.randint(0, 20_000), self.clock_id)
        roll = rng.random()
        if roll < 0.50:
            obj = self.commit(did, "create", "app.bsky.feed.like", rkey,
                              {"$type": "app.bsky.feed.like", "createdAt": self.created(), "subject": self.strong_ref()})
        elif roll < 0.65:
            obj = self.commit(did, "create", "app.bsky.feed.post", rkey, self.post())
        elif roll < 0.74:
            obj = self.commit(did, "create", "app.bsky.graph.follow", rkey,
                              {"$type": "app.bsky.graph.follow", "createdAt": self.created(), "subject": self.did()})
        elif roll < 0.81:
            obj = self.commit(did, "create", "app.bsky.feed.repost", rkey,
                              {"$type": "app.bsky.feed.repost", "createdAt": self.created(), "subject": self.strong_ref()})
        elif roll < 0.89:
            collection = rng.choice(["app.bsky.feed.like", "app.bsky.feed.like", "app.bsky.feed.post", "app.bsky.graph.follow", "app.bsky.feed.repost"])
            old = tid(self.time_us - int(10 ** rng.uniform(6, 10)), rng.randint(0, 31))
            obj = self.commit(did, "delete", collection, old, None)
        elif roll < 0.905:
            obj = self.commit(did, "create", "app.bsky.graph.block", rkey,
                              {"$type": "app.bsky.graph.block", "createdAt": self.created(), "subject": self.did()})
        elif roll < 0.925:
            profile = {"$type": "app.bsky.actor.profile", "avatar": self.blob(), "banner": self.blob(),
                       "createdAt": self.created(), "description": rng.choice(TEXTS),
                       "displayName": rng.choice(WORDS).title() + " 🦋"}
            obj = self.commit(did, "update", "app.bsky.actor.profile", "self", profile)
        elif roll < 0.96:
            collection = rng.choice(OTHER_COLLECTIONS)
            obj = self.commit(did, "create", collection, rkey,
                              {"$type": collection, "createdAt": self.created(), "name": rng.choice(TEXTS), "subject": self.did()})
        elif roll < 0.98:
            self.seq += 1
            identity: dict = {"did": did}
            if rng.random() < 0.7:
                identity["handle"] = f"{rng.choice(WORDS)}{rng.randint(1, 9999)}.bsky.social"
            identity.update({"seq": self.seq, "time": iso(self.time_us - rng.randint(100_000, 400_000))})
            obj = {"did": did, "time_us": self.time_us, "kind": "identity", "identity": identity}
        else:
            self.seq += 1
            active = rng.random() < 0.7
            account: dict = {"active": active, "did": did, "seq": self.seq}
            if not active:
                account["status"] = rng.choice(ACCOUNT_STATUSES)
            account["time"] = iso(self.time_us - rng.randint(100_000, 400_000))
            obj = {"did": did, "time_us": self.time_us, "kind": "account", "account": account}
        return go_json(obj)


def frame_header(opcode: int, length: int) -> bytes:
    """A server frame header (RFC 6455 §5.2): FIN set, no mask, the shortest length form."""
    first = 0x80 | opcode
    if length < 126:
        return bytes((first, length))
    if length < 65536:
        return struct.pack("!BBH", first, 126, length)
    return struct.pack("!BBQ", first, 127, length)


def compressor(dictionary: bytes):
    """A zstd compressor set up like Jetstream's encoder (see the module doc)."""
    import zstandard

    params = zstandard.ZstdCompressionParameters.from_level(
        3, window_log=17, write_content_size=1, write_checksum=1, write_dict_id=1)
    return zstandard.ZstdCompressor(dict_data=zstandard.ZstdCompressionDict(dictionary), compression_params=params)


def cache_key(count: int, seed: int, dictionary: bytes) -> str:
    """Names a data set: everything its bytes depend on."""
    import sys
    import zstandard

    with open(__file__, "rb") as f:
        source = hashlib.sha256(f.read()).hexdigest()  # any change to the generator makes new data
    text = json.dumps([source, count, seed, hashlib.sha256(dictionary).hexdigest(),
                       list(sys.version_info[:2]), zstandard.__version__])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def build(directory: str, count: int, seed: int, dictionary: bytes) -> dict:
    """Writes the data set into `directory` (reused when meta.json says it is complete)."""
    meta_path = os.path.join(directory, "meta.json")
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            return json.load(f)
    os.makedirs(directory, exist_ok=True)
    generator = Generator(seed)
    compress = compressor(dictionary).compress
    digest = hashlib.sha256()
    json_bytes = zstd_bytes = 0
    kinds: dict[str, int] = {}
    with open(os.path.join(directory, "events.jsonl"), "wb") as events, \
            open(os.path.join(directory, "text.frames"), "wb") as text, \
            open(os.path.join(directory, "zstd.frames"), "wb") as zstd:
        for _ in range(count):
            payload = generator.next()
            packed = compress(payload)
            line = payload + b"\n"
            events.write(line)
            digest.update(line)
            text.write(frame_header(0x1, len(payload)) + payload)
            zstd.write(frame_header(0x2, len(packed)) + packed)
            json_bytes += len(payload)
            zstd_bytes += len(packed)
            kind = payload[payload.index(b'"kind":"') + 8:].split(b'"', 1)[0].decode()
            if kind == "commit":
                kind = payload[payload.index(b'"collection":"') + 14:].split(b'"', 1)[0].decode()
                if b'"operation":"delete"' in payload:
                    kind = "delete"
            kinds[kind] = kinds.get(kind, 0) + 1
    meta = {
        "count": count, "seed": seed, "sha256": digest.hexdigest(),
        "json_bytes": json_bytes, "zstd_bytes": zstd_bytes,
        "average_json": json_bytes / count, "average_zstd": zstd_bytes / count,
        "text_frames_bytes": os.path.getsize(os.path.join(directory, "text.frames")),
        "zstd_frames_bytes": os.path.getsize(os.path.join(directory, "zstd.frames")),
        "mix": dict(sorted(kinds.items(), key=lambda item: -item[1])),
    }
    with open(meta_path + ".tmp", "w") as f:
        json.dump(meta, f, indent=1)
    os.replace(meta_path + ".tmp", meta_path)
    return meta


def iterate(seed: int, count: int) -> Iterator[bytes]:
    """The first `count` events of `seed`, without writing anything (for looking at the mix)."""
    generator = Generator(seed)
    for _ in range(count):
        yield generator.next()
