// The Node.js peer of src/WsFast.Server, with the npm `ws` package: the same endpoints and wire formats as
// load/WsFast.Kestrel (/echo, /broadcast[/{topic}], POST /publish/{topic}, GET /sse/{topic},
// GET /poll/{topic}?after=N&wait=S, /healthz), written the way a Node application would be: an `http` server,
// and a `WebSocketServer({ noServer: true })` that takes its upgrades.
//
//   node load/peers/node-ws/server.mjs --port 18083
//
// Listens on 127.0.0.1 unless told otherwise, logs nothing per message, and stops on SIGTERM or SIGINT.

import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { Sender, WebSocket, WebSocketServer } from 'ws';
import { parseOptions, USAGE } from '../common/options.mjs';
import {
  checkPublishToken, decodeSegment, decodeUtf8, gapEvent, healthJson, KEEP_ALIVE, NO_SUCH_TOPIC, parseSeconds,
  parseSequence, pollJson, publishJson, Stats, STREAM_HEAD, STREAM_HEADERS, TopicRegistry,
} from '../common/topics.mjs';

let options;
try {
  options = parseOptions(process.argv.slice(2), process.env);
} catch (e) {
  console.error(`wsfast-peer-node: ${e.message}\n${USAGE}`);
  process.exit(2);
}

if (options.help) {
  console.log(`The Node.js (ws) peer of WsFast.\n${USAGE}`);
  process.exit(0);
}

const DEFAULT_TOPIC = 'default';
const stats = new Stats();
let stopping = false;
let connections = 0;

// The WebSocket subscribers of each topic, by topic name.
const subscribers = new Map();

// ws frames a message with Sender.frame (public); a broadcast frames it once, as one buffer, and
// hands that to every subscriber's sender (sendFrame: the step ws.send() ends with, for a frame that is ready),
// rather than framing it again per client. A subscriber with more than maxQueuedBytes unsent skips the message
// (counted as dropped), as src/WsFast's broadcast does.
const OPEN = WebSocket.OPEN;
function fanOut(topic, message) {
  const set = subscribers.get(topic.name);
  if (set === undefined || set.size === 0) {
    return 0;
  }

  if (deflate !== false) {
    return fanOutCompressed(set, message);
  }

  const parts = Sender.frame(message.bytes, {
    fin: true,
    rsv1: false,
    opcode: message.isText ? 1 : 2,
    mask: false,
    readOnly: false,
  });
  const frame = [parts.length === 1 ? parts[0] : Buffer.concat(parts)];
  let reached = 0;
  for (const ws of set) {
    if (ws.readyState !== OPEN) {
      continue;
    }

    if (ws.bufferedAmount > options.maxQueuedBytes) {
      stats.dropped++;
      continue;
    }

    ws._sender.sendFrame(frame);
    reached++;
  }

  return reached;
}

// With --deflate, a broadcast is what a ws application writes: ws.send() to each subscriber, which compresses
// the message for that socket (ws's PerMessageDeflate, on Node's zlib thread pool, at most 10 at once); a frame
// made once with Sender.frame would go out uncompressed. --deflate on is ws's own defaults (perMessageDeflate:
// true: the server keeps its context between messages, zlib's default level and memory, messages under 1 KiB
// sent as they are); no-context adds serverNoContextTakeover: true.
const deflate = options.deflate === 'off' ? false : options.deflate === 'on' ? true : { serverNoContextTakeover: true };
function fanOutCompressed(set, message) {
  let reached = 0;
  for (const ws of set) {
    if (ws.readyState !== OPEN) {
      continue;
    }

    if (ws.bufferedAmount > options.maxQueuedBytes) {
      stats.dropped++;
      continue;
    }

    ws.send(message.bytes, { binary: !message.isText, compress: true });
    reached++;
  }

  return reached;
}

const topics = new TopicRegistry(options, fanOut);

const wss = new WebSocketServer({
  noServer: true,
  perMessageDeflate: deflate,
  maxPayload: options.maxMessageSize,
});

// With --tls-port, an https server beside the plain one, with the same handlers: its WebSockets join the same
// WebSocketServer and topics, so a publish on either reaches the subscribers of both. TLS is Node's (OpenSSL),
// each socket encrypting what is written to it: a broadcast's frame is made once and encrypted per subscriber.
const server = http.createServer(handleRequest);
const tlsServer = options.tlsPort === null
  ? null
  : https.createServer({ cert: readFileSync(options.tlsCert), key: readFileSync(options.tlsKey) }, handleRequest);
for (const listener of [server, tlsServer]) {
  listener?.on('connection', (socket) => {
    connections++;
    socket.once('close', () => connections--);
  });
  listener?.on('upgrade', handleUpgrade);
}

// --- HTTP -------------------------------------------------------------------------------------------------

function text(res, status, reason, headers = {}) {
  const body = reason + '\n';
  res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function json(res, body) {
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function handleRequest(req, res) {
  const url = new URL(req.url, 'http://localhost');
  const path = url.pathname;
  const [, first, second, extra] = path.split('/');
  if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
    return json(res, healthJson(stats, connections, stopping));
  }

  if (first === 'echo' || first === 'broadcast') {
    // A plain request on a WebSocket path: 426 with the protocol to upgrade to.
    if ((first === 'echo' && path === '/echo') || (first === 'broadcast' && extra === undefined)) {
      return text(res, 426, 'WebSocket upgrade required', { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Version': '13' });
    }
  } else if (second !== undefined && second !== '' && extra === undefined) {
    const name = decodeSegment(second);
    if (first === 'publish') {
      return req.method === 'POST' ? publish(req, res, name) : text(res, 405, 'publish with POST', { Allow: 'POST' });
    }

    if (first === 'sse' && req.method === 'GET') {
      return eventStream(req, res, name);
    }

    if (first === 'poll' && req.method === 'GET') {
      return poll(req, res, name, url.searchParams);
    }
  }

  res.writeHead(404, { 'Content-Length': 0 });
  res.end();
}

// POST /publish/{topic}: the body becomes a message, text for text/* content types and binary otherwise.
function publish(req, res, name) {
  const refusal = checkPublishToken(options.publishToken, req.headers.authorization);
  if (refusal !== null) {
    return text(res, ...refusal);
  }

  const tooBig = () => {
    res.shouldKeepAlive = false; // the rest of the body is not read
    text(res, 413, `body over ${options.maxPublishBytes} bytes`);
  };
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > options.maxPublishBytes) {
    return tooBig();
  }

  const chunks = [];
  let length = 0;
  let refused = false;
  req.on('data', (chunk) => {
    length += chunk.length;
    if (length > options.maxPublishBytes && !refused) {
      refused = true;
      tooBig();
    } else if (!refused) {
      chunks.push(chunk);
    }
  });
  req.on('end', () => {
    if (refused) {
      return;
    }

    const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length);
    let data = body;
    if ((req.headers['content-type'] ?? '').trimStart().toLowerCase().startsWith('text/')) {
      data = decodeUtf8(body);
      if (data === null) {
        return text(res, 400, 'a text/* body must be UTF-8');
      }
    }

    const topic = topics.getOrCreate(name);
    if (topic === null) {
      return text(res, 404, NO_SUCH_TOPIC);
    }

    const result = topic.publish(data);
    stats.messagesOut += result.subscribers;
    json(res, publishJson(topic.name, result));
  });
}

// GET /sse/{topic}: an event stream whose event ids are sequence numbers; a client that reconnects with
// Last-Event-ID (or ?after=N) first gets what it missed from the history.
function eventStream(req, res, name) {
  const topic = topics.getOrCreate(name);
  if (topic === null) {
    return text(res, 404, NO_SUCH_TOPIC);
  }

  const cursor = req.headers['last-event-id'] ?? new URL(req.url, 'http://localhost').searchParams.get('after');
  let after = topic.sequence;
  if (cursor !== null && cursor !== undefined) {
    after = parseSequence(cursor);
    if (after === null) {
      return text(res, 400, 'Last-Event-ID and after are sequence numbers');
    }
  }

  res.writeHead(200, STREAM_HEADERS);
  res.write(STREAM_HEAD);
  const stream = {
    lastWrite: performance.now(),
    // A stream whose socket has more than maxQueuedBytes unsent cannot keep up: it is ended (its client
    // reconnects with Last-Event-ID and catches up from the history) rather than made to skip events.
    offer(message) {
      if (res.writableEnded) {
        return false;
      }

      if (res.writableLength > options.maxQueuedBytes) {
        stats.slowConsumerDisconnects++;
        end();
        return false;
      }

      res.write(message.eventBytes);
      this.lastWrite = performance.now();
      return true;
    },
    gap(first, last) {
      res.write(gapEvent(first, last));
    },
    keepAlive(now) {
      if (now - this.lastWrite >= options.pingIntervalSeconds * 1000 && !res.writableEnded) {
        res.write(KEEP_ALIVE);
        this.lastWrite = now;
      }
    },
    end,
  };

  function end() {
    topic.unsubscribe(stream);
    streams.delete(stream);
    if (!res.writableEnded) {
      res.end();
    }
  }

  topic.subscribe(stream, after);
  streams.add(stream);
  res.on('close', end);
}

// Every open event stream, for keep-alive comments and shutdown.
const streams = new Set();

// GET /poll/{topic}?after=N&wait=S: the messages after N as JSON; with none yet, waits up to S seconds (at most,
// and by default, the long-poll timeout) for one. wait=0 is a short poll.
function poll(req, res, name, query) {
  const topic = topics.getOrCreate(name);
  if (topic === null) {
    return text(res, 404, NO_SUCH_TOPIC);
  }

  const afterText = query.get('after');
  const waitText = query.get('wait');
  let cursor = topic.sequence;
  let seconds = options.longPollTimeoutSeconds;
  if (afterText !== null) {
    cursor = parseSequence(afterText);
  }

  if (waitText !== null) {
    seconds = parseSeconds(waitText);
  }

  if (cursor === null || cursor < 0 || seconds === null || !(seconds >= 0)) {
    return text(res, 400, 'after is a sequence number and wait a number of seconds');
  }

  const result = topic.poll(cursor);
  const wait = Math.min(seconds, options.longPollTimeoutSeconds) * 1000;
  if (result.messages.length > 0 || wait <= 0 || cursor < topic.sequence || stopping) {
    return json(res, pollJson(topic.name, result));
  }

  let timer;
  const answer = () => {
    clearTimeout(timer);
    topic.waiters.delete(answer);
    polls.delete(answer);
    res.off('close', left);
    if (!res.writableEnded) {
      json(res, pollJson(topic.name, topic.poll(cursor)));
    }
  };
  const left = () => {
    clearTimeout(timer);
    topic.waiters.delete(answer);
    polls.delete(answer);
  };
  timer = setTimeout(answer, wait);
  topic.waiters.add(answer);
  polls.add(answer);
  res.on('close', left);
}

// Every waiting long poll, answered at once on shutdown.
const polls = new Set();

// --- WebSockets ---------------------------------------------------------------------------------------------

function handleUpgrade(req, socket, head) {
  const path = req.url.split('?', 1)[0];
  let topic = null;
  if (path === '/broadcast' || path.startsWith('/broadcast/')) {
    const name = path === '/broadcast' ? DEFAULT_TOPIC : decodeSegment(path.slice('/broadcast/'.length));
    topic = topics.getOrCreate(name);
    if (topic === null) {
      return refuseUpgrade(socket, 404, NO_SUCH_TOPIC);
    }
  } else if (path !== '/echo') {
    return refuseUpgrade(socket, 404, 'not found');
  }

  wss.handleUpgrade(req, socket, head, (ws) => (topic === null ? echo(ws) : subscribe(ws, topic)));
}

function refuseUpgrade(socket, status, reason) {
  const body = reason + '\n';
  socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

// Every message goes back to its sender, as it came (text or binary).
function echo(ws) {
  watch(ws);
  ws.on('message', (data, isBinary) => {
    stats.messagesIn++;
    ws.send(data, { binary: isBinary });
    stats.messagesOut++;
  });
}

// The WebSocket receives the topic; what it sends is published to the topic, so it reaches every subscriber,
// the sender included.
function subscribe(ws, topic) {
  watch(ws);
  let set = subscribers.get(topic.name);
  if (set === undefined) {
    set = new Set();
    subscribers.set(topic.name, set);
  }

  set.add(ws);
  ws.on('close', () => set.delete(ws));
  ws.on('message', (data, isBinary) => {
    stats.messagesIn++;
    // The topic keeps the payload (history, subscribers' queues): a copy, not a view of a receive buffer.
    const result = topic.publish(isBinary ? Buffer.from(data) : data.toString());
    stats.messagesOut += result.subscribers;
  });
}

// The heartbeat of ws's README: every ping interval, a connection that has not answered the last ping is
// dropped, and the others are pinged.
function watch(ws) {
  ws.isAlive = true;
  ws.on('pong', () => {
    ws.isAlive = true;
  });
  ws.on('error', () => {});
}

if (options.pingIntervalSeconds > 0) {
  setInterval(() => {
    for (const ws of wss.clients) {
      if (!ws.isAlive) {
        ws.terminate();
        continue;
      }

      ws.isAlive = false;
      ws.ping();
    }

    const now = performance.now();
    for (const stream of streams) {
      stream.keepAlive(now);
    }
  }, options.pingIntervalSeconds * 1000).unref();
}

// --- Start and stop -----------------------------------------------------------------------------------------

server.listen(options.port, options.host, () => {
  const { address, port } = server.address();
  console.log(`wsfast-peer-node (Node ${process.versions.node}, ws) listening on http://${address}:${port}`);
});
tlsServer?.listen(options.tlsPort, options.host, () => {
  const { address, port } = tlsServer.address();
  console.log(`wsfast-peer-node listening on https://${address}:${port} (wss://)`);
});

// Graceful stop: 1001 to every WebSocket, every event stream ended, every waiting poll answered; then exit
// once the connections are gone, or after a second.
function stop() {
  if (stopping) {
    return;
  }

  stopping = true;
  server.close();
  tlsServer?.close();
  for (const ws of wss.clients) {
    ws.close(1001, 'server shutting down');
  }

  for (const stream of [...streams]) {
    stream.end();
  }

  for (const answer of [...polls]) {
    answer();
  }

  server.closeIdleConnections();
  tlsServer?.closeIdleConnections();
  const deadline = setTimeout(() => process.exit(0), 1000);
  const check = setInterval(() => {
    if (connections === 0) {
      clearTimeout(deadline);
      process.exit(0);
    }
  }, 20);
  check.unref();
}

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
