"""Interop check of permessage-deflate (RFC 7692): drives a WsFast echo endpoint with Python's `websockets`
(10.4, asyncio API; compression is on by default) and reports what went over the wire.

Usage: /usr/bin/python3 websockets_deflate_client.py <url> [offer as JSON]
The offer, when given, holds ClientPerMessageDeflateFactory's parameters (server_no_context_takeover,
client_no_context_takeover, server_max_window_bits, client_max_window_bits); without it the client offers its
default. Sends a 10 KiB JSON text twice, a 16 KiB binary, the text again in three fragments and a 13-byte text,
each waiting for its echo, then closes with 1000. Prints one JSON line: the Sec-WebSocket-Extensions of the 101 response, and per message its size, the TCP
bytes written and read for it, and the server's data frames with their RSV1 bit. Exit code 0 when every echo
came back equal and the close was 1000; the caller judges the wire figures.
"""
import asyncio
import json
import struct
import sys

TIMEOUT_S = 10


def json_text(size):
    """Records of the kind a JSON API sends: compressible as real traffic is, not a run of one byte."""
    records = []
    while len(json.dumps(records, separators=(",", ":"))) < size:
        i = len(records)
        records.append({"id": i, "name": f"sensor-{i % 17}", "status": "ok" if i % 3 == 0 else "degraded",
                        "reading": (i * 7919) % 1000 / 10})
    return json.dumps(records, separators=(",", ":"))


def binary_records(size):
    """16-byte records (a tag, a sequence number, a kind, padding): binary that deflate shrinks."""
    return b"".join(struct.pack("<4sIH6x", b"WSFT", i, i % 4) for i in range(size // 16))


TEXT = json_text(10 * 1024)
BINARY = binary_records(16 * 1024)
# "fragmented" goes as three frames, compressed as one message (RSV1 on the first frame only, RFC 7692
# section 6.1); "short" is below what the server compresses.
SHORT = '{"ping":true}'
STEPS = [("text", TEXT, 1), ("text again", TEXT, 1), ("binary", BINARY, 1), ("fragmented", TEXT, 3), ("short", SHORT, 1)]


class CheckFailed(Exception):
    pass


class Wire:
    """Counts the TCP bytes each way and splits what the server sends after its 101 into frames."""

    def __init__(self):
        self.read = 0
        self.written = 0
        self.frames = []
        self._pending = b""
        self._upgraded = False

    def received(self, data):
        self.read += len(data)
        self._pending += data
        if not self._upgraded:
            end = self._pending.find(b"\r\n\r\n")
            if end < 0:
                return
            self._pending = self._pending[end + 4:]
            self._upgraded = True
        # A server's frames are never masked (RFC 6455 section 5.1).
        while len(self._pending) >= 2:
            first, second = self._pending[0], self._pending[1]
            length, offset = second & 0x7F, 2
            if length == 126:
                if len(self._pending) < 4:
                    return
                length, offset = struct.unpack_from(">H", self._pending, 2)[0], 4
            elif length == 127:
                if len(self._pending) < 10:
                    return
                length, offset = struct.unpack_from(">Q", self._pending, 2)[0], 10
            if len(self._pending) < offset + length:
                return
            self.frames.append({"opcode": first & 0x0F, "rsv1": bool(first & 0x40), "length": length})
            self._pending = self._pending[offset + length:]


class CountingTransport:
    """The asyncio transport, with the bytes written counted."""

    def __init__(self, transport, wire):
        self._transport = transport
        self._wire = wire

    def write(self, data):
        self._wire.written += len(data)
        self._transport.write(data)

    def __getattr__(self, name):
        return getattr(self._transport, name)


async def run(url, offer, result):
    # imported here so a missing package is reported as JSON too
    import websockets
    from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

    wire = Wire()

    class WiretappedProtocol(websockets.WebSocketClientProtocol):
        def connection_made(self, transport):
            super().connection_made(CountingTransport(transport, wire))

        def data_received(self, data):
            wire.received(data)
            super().data_received(data)

    options = {}
    if offer is not None:
        options = {"compression": None, "extensions": [ClientPerMessageDeflateFactory(**offer)]}

    async with websockets.connect(url, create_protocol=WiretappedProtocol, **options) as ws:
        result["responseExtensions"] = ws.response_headers.get("Sec-WebSocket-Extensions")
        result["extensions"] = ", ".join(extension.name for extension in ws.extensions)
        for name, data, fragments in STEPS:
            read, written, frames = wire.read, wire.written, len(wire.frames)
            piece = -(-len(data) // fragments)
            # A list is sent as the fragments of one message.
            await ws.send(data if fragments == 1 else [data[i:i + piece] for i in range(0, len(data), piece)])
            got = await ws.recv()
            if type(got) is not type(data):
                raise CheckFailed(f"{name}: echo came back as {type(got).__name__}")
            if got != data:
                raise CheckFailed(f"{name}: echo differs ({len(got)} bytes)")
            result["messages"].append({
                "name": name,
                "size": len(data.encode() if isinstance(data, str) else data),
                "wireWritten": wire.written - written,
                "wireRead": wire.read - read,
                "serverFrames": [f for f in wire.frames[frames:] if f["opcode"] < 8],
            })

        # close() waits for the server's close frame; close_code is the code it sent (1006 if none).
        await ws.close(code=1000, reason="bye")
        result["closeCode"] = ws.close_code
        if ws.close_code != 1000:
            raise CheckFailed(f"server close code {ws.close_code}, expected 1000")


def main():
    if len(sys.argv) not in (2, 3):
        print(json.dumps({"ok": False, "error": "usage: websockets_deflate_client.py <url> [offer JSON]"}))
        return 1
    offer = json.loads(sys.argv[2]) if len(sys.argv) == 3 else None
    result = {"ok": False, "extensions": None, "responseExtensions": None, "messages": [], "closeCode": None}
    try:
        asyncio.run(asyncio.wait_for(run(sys.argv[1], offer, result), TIMEOUT_S))
    except asyncio.TimeoutError:
        print(json.dumps({**result, "ok": False, "error": f"timeout after {TIMEOUT_S} s"}))
        return 1
    except Exception as e:  # any failure must still yield one JSON line
        print(json.dumps({**result, "ok": False, "error": f"{type(e).__name__}: {e}"}))
        return 1
    result["ok"] = True
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
