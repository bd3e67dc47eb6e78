"""Interop check: drives a WsFast echo endpoint with Python's `websockets` (10.4, asyncio API).

Usage: /usr/bin/python3 websockets_client.py <url>
Prints one JSON line; exit code 0 on success, 1 on any failure or timeout.
"""
import asyncio
import json
import os
import sys

TEXT = "héllo wörld ✓ 😀"
# 70000 bytes needs the 64-bit payload length form (> 65535), not just the 16-bit one.
BINARY = os.urandom(70000)
TIMEOUT_S = 10


class CheckFailed(Exception):
    pass


async def run(url, result):
    import websockets  # imported here so a missing package is reported as JSON too

    async with websockets.connect(url) as ws:
        await ws.send(TEXT)
        got = await ws.recv()
        if not isinstance(got, str):
            raise CheckFailed("expected a text echo, got binary")
        if got != TEXT:
            raise CheckFailed(f"text echo mismatch: {got!r}")
        result["text"] = True

        await ws.send(BINARY)
        got = await ws.recv()
        if not isinstance(got, bytes):
            raise CheckFailed("expected a binary echo, got text")
        if got != BINARY:
            raise CheckFailed(f"binary echo mismatch (got {len(got)} bytes)")
        result["binary"] = True

        # close() waits for the server's close frame; close_code is the code it sent
        # (1006 if it never sent one).
        await ws.close(code=1000, reason="bye")
        result["closeCode"] = ws.close_code
        if ws.close_code != 1000:
            raise CheckFailed(f"server close code {ws.close_code}, expected 1000")


def main():
    if len(sys.argv) != 2:
        print(json.dumps({"ok": False, "error": "usage: websockets_client.py <url>"}))
        return 1
    result = {"ok": False, "text": False, "binary": False, "closeCode": None}
    try:
        asyncio.run(asyncio.wait_for(run(sys.argv[1], result), TIMEOUT_S))
    except asyncio.TimeoutError:
        print(json.dumps({"ok": False, "error": f"timeout after {TIMEOUT_S} s"}))
        return 1
    except Exception as e:  # any failure must still yield one JSON line
        print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"}))
        return 1
    result["ok"] = True
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
