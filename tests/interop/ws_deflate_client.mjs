// Interop check of permessage-deflate (RFC 7692): drives a WsFast echo endpoint with the Node.js `ws` client,
// compression on, and reports what went over the wire.
// Usage: node ws_deflate_client.mjs <url> [perMessageDeflate options as JSON, default true]
// Sends a 10 KiB JSON text twice, a 16 KiB binary, the text again in three fragments and a 13-byte text, each
// waiting for its echo, then closes with 1000.
// Prints one JSON line: the Sec-WebSocket-Extensions of the 101 response, and per message its size, the TCP
// bytes written and read for it, and the server's data frames with their RSV1 bit. Exit code 0 when every echo
// came back equal and the close was 1000; the caller judges the wire figures.
import WebSocket from 'ws';

const TIMEOUT_MS = 10_000;

// Records of the kind a JSON API sends: compressible as real traffic is, not a run of one byte.
function jsonText(size) {
  const records = [];
  for (let id = 0; JSON.stringify(records).length < size; id++) {
    records.push({ id, name: `sensor-${id % 17}`, status: id % 3 === 0 ? 'ok' : 'degraded', reading: (id * 7919) % 1000 / 10 });
  }
  return JSON.stringify(records);
}

// 16-byte records (a tag, a sequence number, a kind, padding): binary that deflate shrinks.
function records(size) {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i + 16 <= size; i += 16) {
    bytes.write('WSFT', i, 'ascii');
    bytes.writeUInt32LE(i >>> 4, i + 4);
    bytes.writeUInt16LE((i >>> 4) % 4, i + 8);
  }
  return bytes;
}

const TEXT = jsonText(10 * 1024);
const BINARY = records(16 * 1024);
// "fragmented" goes as three frames, compressed as one message (RSV1 on the first frame only, RFC 7692
// section 6.1); "short" is below what the server compresses and above nothing the client must.
const SHORT = '{"ping":true}';
const STEPS = [
  { name: 'text', data: TEXT, binary: false },
  { name: 'text again', data: TEXT, binary: false },
  { name: 'binary', data: BINARY, binary: true },
  { name: 'fragmented', data: TEXT, binary: false, fragments: 3 },
  { name: 'short', data: SHORT, binary: false },
];

const url = process.argv[2];
const offer = process.argv[3] ? JSON.parse(process.argv[3]) : true;
const result = { ok: false, extensions: null, responseExtensions: null, messages: [], closeCode: null };
let finished = false;
let ws;

function finish(error) {
  if (finished) return;
  finished = true;
  clearTimeout(timer);
  if (error) {
    console.log(JSON.stringify({ ...result, ok: false, error: String(error) }));
    if (ws) ws.terminate();
    process.exit(1);
  }
  result.ok = true;
  console.log(JSON.stringify(result));
  process.exit(0);
}

const timer = setTimeout(() => finish('timeout after 10 s'), TIMEOUT_MS);

if (!url) {
  finish('usage: node ws_deflate_client.mjs <url> [perMessageDeflate JSON]');
} else {
  run();
}

// The server's frames as they arrive on the socket (a server's frames are never masked, RFC 6455 section 5.1).
function frameWatcher(socket) {
  const frames = [];
  let pending = Buffer.alloc(0);
  socket.prependListener('data', (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      if (pending.length < 2) return;
      let length = pending[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (pending.length < 4) return;
        length = pending.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (pending.length < 10) return;
        length = Number(pending.readBigUInt64BE(2));
        offset = 10;
      }
      if (pending.length < offset + length) return;
      frames.push({ opcode: pending[0] & 0x0f, rsv1: (pending[0] & 0x40) !== 0, length });
      pending = pending.subarray(offset + length);
    }
  });
  return frames;
}

function run() {
  let step = 0;
  let frames = [];
  let mark = null;

  ws = new WebSocket(url, { perMessageDeflate: offer });

  ws.on('upgrade', (response) => {
    result.responseExtensions = response.headers['sec-websocket-extensions'] ?? null;
  });

  ws.on('open', () => {
    result.extensions = ws.extensions;
    frames = frameWatcher(ws._socket);
    sendStep();
  });

  function sendStep() {
    const { data, binary, fragments = 1 } = STEPS[step];
    mark = { read: ws._socket.bytesRead, written: ws._socket.bytesWritten, frames: frames.length };
    const piece = Math.ceil(data.length / fragments);
    for (let i = 0; i < fragments; i++) {
      ws.send(data.slice(i * piece, (i + 1) * piece), { binary, fin: i === fragments - 1 });
    }
  }

  ws.on('message', (data, isBinary) => {
    if (step >= STEPS.length) return finish('unexpected message after the last echo');
    const { name, data: sent, binary } = STEPS[step];
    if (isBinary !== binary) return finish(`${name}: echo came back as ${isBinary ? 'binary' : 'text'}`);
    const got = isBinary ? data : data.toString('utf8');
    const equal = isBinary ? Buffer.compare(got, sent) === 0 : got === sent;
    if (!equal) return finish(`${name}: echo differs (${got.length} bytes)`);
    result.messages.push({
      name,
      size: Buffer.byteLength(sent),
      wireWritten: ws._socket.bytesWritten - mark.written,
      wireRead: ws._socket.bytesRead - mark.read,
      serverFrames: frames.slice(mark.frames).filter((f) => f.opcode < 8).map(({ opcode, rsv1, length }) => ({ opcode, rsv1, length })),
    });
    step++;
    if (step < STEPS.length) sendStep();
    else ws.close(1000, 'bye');
  });

  ws.on('close', (code, reason) => {
    result.closeCode = code;
    if (step < STEPS.length) return finish(`closed early at ${STEPS[step].name}: ${code} ${reason}`);
    if (code !== 1000) return finish(`server close code ${code}, expected 1000`);
    finish();
  });

  ws.on('error', (err) => finish(err.message || err));
}
