// Interop check: drives a WsFast echo endpoint with the Node.js `ws` client.
// Usage: node ws_client.mjs <url>
// Prints one JSON line; exit code 0 on success, 1 on any failure or timeout.
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';

const TEXT = 'héllo wörld ✓ 😀';
// 70000 bytes needs the 64-bit payload length form (> 65535), not just the 16-bit one.
const BINARY = randomBytes(70000);
const TIMEOUT_MS = 10_000;

const url = process.argv[2];
const result = { ok: false, text: false, binary: false, closeCode: null };
let finished = false;
let ws;

function finish(error) {
  if (finished) return;
  finished = true;
  clearTimeout(timer);
  if (error) {
    console.log(JSON.stringify({ ok: false, error: String(error) }));
    // Don't leave a half-open socket keeping the process alive.
    if (ws) ws.terminate();
    process.exit(1);
  }
  result.ok = true;
  console.log(JSON.stringify(result));
  process.exit(0);
}

const timer = setTimeout(() => finish('timeout after 10 s'), TIMEOUT_MS);

if (!url) {
  finish('usage: node ws_client.mjs <url>');
} else {
  run();
}

function run() {
  // Sent text first, then binary; the echo must come back in the same order.
  let step = 'text';
  ws = new WebSocket(url);

  ws.on('open', () => ws.send(TEXT));

  ws.on('message', (data, isBinary) => {
    if (step === 'text') {
      if (isBinary) return finish('expected a text echo, got binary');
      const got = data.toString('utf8');
      if (got !== TEXT) return finish(`text echo mismatch: ${JSON.stringify(got)}`);
      result.text = true;
      step = 'binary';
      ws.send(BINARY, { binary: true });
    } else if (step === 'binary') {
      if (!isBinary) return finish('expected a binary echo, got text');
      const got = Buffer.isBuffer(data) ? data : Buffer.concat(data);
      if (!got.equals(BINARY)) return finish(`binary echo mismatch (got ${got.length} bytes)`);
      result.binary = true;
      step = 'closing';
      ws.close(1000, 'bye');
    } else {
      finish(`unexpected message after ${step}`);
    }
  });

  ws.on('close', (code, reason) => {
    result.closeCode = code;
    if (step !== 'closing') return finish(`closed early in step ${step}: ${code} ${reason}`);
    if (code !== 1000) return finish(`server close code ${code}, expected 1000`);
    finish();
  });

  ws.on('error', (err) => finish(err.message || err));
}
