"""The benchmark's Python peer: a Jetstream reader on the `websockets` library (asyncio API).

Written the way such a script usually is: `connect`, then one `recv()` per event (text
messages decoded to `str`, as the library does by default, so their UTF-8 is checked), each
written to stdout as UTF-8 plus "\\n" through a buffered binary stream; compressed messages are
decoded with `zstandard` and the dictionary. It exits after `-n` messages or when the server
closes.

Usage: python_client.py URL [-n N] [--cacert PEM] [--zstd-dict FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import ssl
import sys

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedOK


async def run(args: argparse.Namespace) -> None:
    context = None
    if args.url.startswith("wss://"):
        context = ssl.create_default_context(cafile=args.cacert)
    decompress = None
    if args.zstd_dict:
        import zstandard

        with open(args.zstd_dict, "rb") as f:
            dictionary = zstandard.ZstdCompressionDict(f.read())
        decompress = zstandard.ZstdDecompressor(dict_data=dictionary).decompress
    out = sys.stdout.buffer
    async with connect(args.url, ssl=context, compression=None, max_size=4 << 20) as ws:
        count = 0
        while not args.n or count < args.n:
            try:
                message = await ws.recv()
            except ConnectionClosedOK:
                break
            if decompress is not None:
                out.write(decompress(message))
            else:
                out.write(message.encode())
            out.write(b"\n")
            count += 1
    out.flush()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("-n", type=int, default=0, help="messages to read (0: until the server closes)")
    parser.add_argument("--cacert", help="PEM file of CA certificates to trust")
    parser.add_argument("--zstd-dict", help="zstd dictionary: messages are compressed")
    asyncio.run(run(parser.parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
