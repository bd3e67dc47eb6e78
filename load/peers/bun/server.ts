// The Bun peer of src/WsFast.Server: the same endpoints and wire formats as load/WsFast.Kestrel (/echo,
// /broadcast[/{topic}], POST /publish/{topic}, GET /sse/{topic}, GET /poll/{topic}?after=N&wait=S, /healthz),
// written the way a Bun application would be: Bun.serve with its routes, its native WebSockets (uWebSockets
// underneath) and their pub/sub, so that a broadcast is server.publish(topic, data): framed once, written to
// every subscriber by uWebSockets.
//
//   load/peers/node_modules/.bin/bun load/peers/bun/server.ts --port 18082
//   ... --port 18082 --tls-port 18442 --tls-cert server.pem --tls-key server.key    (plain and TLS side by side)
//
// Listens on 127.0.0.1 unless told otherwise, logs nothing per message, and stops on SIGTERM or SIGINT.

import type { BunFile, Server, ServerWebSocket } from 'bun';
import { parseOptions, USAGE } from '../common/options.mjs';
import {
  checkPublishToken, decodeSegment, decodeUtf8, gapEvent, healthJson, KEEP_ALIVE, NO_SUCH_TOPIC, parseSeconds,
  parseSequence, pollJson, publishJson, Stats, STREAM_HEAD, STREAM_HEADERS, Topic, TopicMessage, TopicRegistry,
} from '../common/topics.mjs';

let options: ReturnType<typeof parseOptions>;
try {
  options = parseOptions(process.argv.slice(2), process.env);
} catch (e) {
  console.error(`wsfast-peer-bun: ${(e as Error).message}\n${USAGE}`);
  process.exit(2);
}

if (options.help) {
  console.log(`The Bun peer of WsFast.\n${USAGE}`);
  process.exit(0);
}

const DEFAULT_TOPIC = 'default';
const stats = new Stats();
let stopping = false;

type SocketData = { topic: Topic | null };

// With --deflate on, Bun.serve's perMessageDeflate: true, which is uWebSockets' SHARED_COMPRESSOR: one compressor
// for the whole server, reset after every message, so that its responses carry server_no_context_takeover (the
// load tool's reports record what was agreed) and a publish is compressed once for every subscriber. Bun compresses only what it is asked to (publish's and
// send's `compress`, false by default), so the peer asks for every message when deflate is on.
const compress = options.deflate !== 'off';

// uWebSockets frames the message once and writes it to every subscriber of the topic. It skips a subscriber
// whose unsent data is past backpressureLimit (set to maxQueuedBytes, as src/WsFast's broadcast skips a client
// past its bound), without saying which: those skips are not counted as dropped.
// With --tls-port there are two servers (Bun.serve listens on one port, plain or TLS), each with its own pub/sub:
// a publish goes to both, so that a message posted over plain HTTP reaches the subscribers over TLS. Over TLS,
// uWebSockets still frames once; each subscriber's socket encrypts what it is given.
function fanOut(topic: Topic, message: TopicMessage): number {
  let reached = 0;
  for (const server of servers) {
    const subscribers = server.subscriberCount(topic.name);
    if (subscribers > 0) {
      server.publish(topic.name, message.isText ? message.data : message.bytes, compress);
      reached += subscribers;
    }
  }

  return reached;
}

function pending(): number {
  let count = 0;
  for (const server of servers) {
    count += server.pendingRequests + server.pendingWebSockets;
  }

  return count;
}

const topics = new TopicRegistry(options, fanOut);

// Every open WebSocket, every event stream and every waiting poll: closed, ended and answered on shutdown.
const sockets = new Set<ServerWebSocket<SocketData>>();
const streams = new Set<EventStream>();
const polls = new Set<() => void>();

function text(status: number, reason: string, headers: Record<string, string> = {}): Response {
  return new Response(reason + '\n', { status, headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' } });
}

function json(body: string): Response {
  return new Response(body, { headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' } });
}

// A plain request on a WebSocket path gets 426 with the protocol to upgrade to.
function upgrade(req: Request, server: Server, name: string | null): Response | undefined {
  let topic: Topic | null = null;
  if (name !== null) {
    topic = topics.getOrCreate(name);
    if (topic === null) {
      return text(404, NO_SUCH_TOPIC);
    }
  }

  if (server.upgrade(req, { data: { topic } })) {
    return undefined;
  }

  return text(426, 'WebSocket upgrade required', { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Version': '13' });
}

// POST /publish/{topic}: the body becomes a message, text for text/* content types and binary otherwise.
async function publish(req: Request, name: string | null): Promise<Response> {
  const refusal = checkPublishToken(options.publishToken, req.headers.get('authorization'));
  if (refusal !== null) {
    return text(...(refusal as [number, string, Record<string, string>]));
  }

  const declared = req.headers.get('content-length');
  if (declared !== null && Number(declared) > options.maxPublishBytes) {
    return text(413, `body over ${options.maxPublishBytes} bytes`);
  }

  const body = Buffer.from(await req.arrayBuffer());
  if (body.length > options.maxPublishBytes) {
    return text(413, `body over ${options.maxPublishBytes} bytes`);
  }

  let data: string | Buffer = body;
  if ((req.headers.get('content-type') ?? '').trimStart().toLowerCase().startsWith('text/')) {
    const decoded = decodeUtf8(body);
    if (decoded === null) {
      return text(400, 'a text/* body must be UTF-8');
    }

    data = decoded;
  }

  const topic = topics.getOrCreate(name);
  if (topic === null) {
    return text(404, NO_SUCH_TOPIC);
  }

  const result = topic.publish(data);
  stats.messagesOut += result.subscribers;
  return json(publishJson(topic.name, result));
}

type EventStream = { lastWrite: number; offer(m: TopicMessage): boolean; gap(first: number, last: number): void; keepAlive(now: number): void; end(): void };

// GET /sse/{topic}: an event stream whose event ids are sequence numbers; a client that reconnects with
// Last-Event-ID (or ?after=N) first gets what it missed from the history.
function eventStream(req: Request, name: string | null): Response {
  const topic = topics.getOrCreate(name);
  if (topic === null) {
    return text(404, NO_SUCH_TOPIC);
  }

  const cursor = req.headers.get('last-event-id') ?? new URL(req.url).searchParams.get('after');
  let after: number | null = topic.sequence;
  if (cursor !== null) {
    after = parseSequence(cursor);
    if (after === null) {
      return text(400, 'Last-Event-ID and after are sequence numbers');
    }
  }

  let stream: EventStream;
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        let ended = false;
        stream = {
          lastWrite: performance.now(),
          // A stream with more than maxQueuedBytes waiting cannot keep up: it is ended (its client reconnects
          // with Last-Event-ID and catches up from the history) rather than made to skip events.
          offer(message) {
            if (ended) {
              return false;
            }

            if ((controller.desiredSize ?? 0) <= 0) {
              stats.slowConsumerDisconnects++;
              this.end();
              return false;
            }

            controller.enqueue(message.eventBytes);
            this.lastWrite = performance.now();
            return true;
          },
          gap(first, last) {
            controller.enqueue(gapEvent(first, last));
          },
          keepAlive(now) {
            if (!ended && now - this.lastWrite >= options.pingIntervalSeconds * 1000) {
              controller.enqueue(KEEP_ALIVE);
              this.lastWrite = now;
            }
          },
          end() {
            if (!ended) {
              ended = true;
              topic.unsubscribe(stream);
              streams.delete(stream);
              controller.close();
            }
          },
        };
        controller.enqueue(STREAM_HEAD);
        topic.subscribe(stream, after);
        streams.add(stream);
      },
      cancel() {
        // The client left.
        topic.unsubscribe(stream);
        streams.delete(stream);
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: options.maxQueuedBytes }),
  );
  return new Response(body, { headers: STREAM_HEADERS });
}

// GET /poll/{topic}?after=N&wait=S: the messages after N as JSON; with none yet, waits up to S seconds (at most,
// and by default, the long-poll timeout) for one. wait=0 is a short poll.
function poll(req: Request, name: string | null): Response | Promise<Response> {
  const topic = topics.getOrCreate(name);
  if (topic === null) {
    return text(404, NO_SUCH_TOPIC);
  }

  const query = new URL(req.url).searchParams;
  const afterText = query.get('after');
  const waitText = query.get('wait');
  const cursor = afterText === null ? topic.sequence : parseSequence(afterText);
  const seconds = waitText === null ? options.longPollTimeoutSeconds : parseSeconds(waitText);
  if (cursor === null || cursor < 0 || seconds === null || !(seconds >= 0)) {
    return text(400, 'after is a sequence number and wait a number of seconds');
  }

  const result = topic.poll(cursor);
  const wait = Math.min(seconds, options.longPollTimeoutSeconds) * 1000;
  if (result.messages.length > 0 || wait <= 0 || cursor < topic.sequence || stopping) {
    return json(pollJson(topic.name, result));
  }

  return new Promise<Response>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      topic.waiters.delete(answer);
      polls.delete(answer);
      req.signal.removeEventListener('abort', left);
    };
    const answer = () => {
      done();
      resolve(json(pollJson(topic.name, topic.poll(cursor))));
    };
    const left = () => {
      done();
      resolve(new Response(null, { status: 499 })); // nobody reads it: the client is gone
    };
    const timer = setTimeout(answer, wait);
    topic.waiters.add(answer);
    polls.add(answer);
    req.signal.addEventListener('abort', left);
  });
}

// One server on `port`, over TLS when `tls` has the certificate and key.
function serve(port: number, tls?: { cert: BunFile; key: BunFile }): Server {
  return Bun.serve<SocketData, {}>({
    hostname: options.host,
    port,
    tls,
    // No idle timeout on HTTP connections: a long poll waits up to 25 s and an event stream may be silent for
    // longer, as on the other servers (Bun's default would drop them after 10 s).
    idleTimeout: 0,
    maxRequestBodySize: options.maxPublishBytes,
    development: false,
    routes: {
      '/healthz': () => json(healthJson(stats, pending(), stopping)),
      '/echo': (req, server) => upgrade(req, server, null),
      '/broadcast': (req, server) => upgrade(req, server, DEFAULT_TOPIC),
      '/broadcast/:topic': (req, server) => upgrade(req, server, decodeSegment(req.params.topic)),
      '/publish/:topic': {
        POST: (req) => publish(req, decodeSegment(req.params.topic)),
      },
      '/sse/:topic': {
        GET: (req) => eventStream(req, decodeSegment(req.params.topic)),
      },
      '/poll/:topic': {
        GET: (req) => poll(req, decodeSegment(req.params.topic)),
      },
    },
    fetch(req) {
      if (new URL(req.url).pathname.startsWith('/publish/')) {
        return text(405, 'publish with POST', { Allow: 'POST' });
      }

      return new Response(null, { status: 404 });
    },
    websocket: {
      perMessageDeflate: compress,
      maxPayloadLength: options.maxMessageSize,
      backpressureLimit: options.maxQueuedBytes,
      closeOnBackpressureLimit: false,
      // Bun's heartbeat: a ping after a silence, and the connection dropped when nothing comes back in time.
      sendPings: options.pingIntervalSeconds > 0,
      idleTimeout: options.pingIntervalSeconds > 0 ? Math.min(960, Math.round(options.pingIntervalSeconds + options.pingTimeoutSeconds)) : 0,
      open(ws) {
        sockets.add(ws);
        if (ws.data.topic !== null) {
          ws.subscribe(ws.data.topic.name);
        }
      },
      message(ws, message) {
        stats.messagesIn++;
        const topic = ws.data.topic;
        if (topic === null) {
          // Echo: back to the sender as it came (a string for text, a Buffer for binary).
          if (ws.send(message, compress) !== 0) {
            stats.messagesOut++;
          }

          return;
        }

        // What a subscriber sends is published to its topic: every subscriber gets it, the sender included.
        const result = topic.publish(typeof message === 'string' ? message : Buffer.from(message));
        stats.messagesOut += result.subscribers;
      },
      close(ws) {
        sockets.delete(ws);
      },
    },
  });
}

const servers: Server[] = [serve(options.port)];
if (options.tlsPort !== null) {
  servers.push(serve(options.tlsPort, { cert: Bun.file(options.tlsCert), key: Bun.file(options.tlsKey) }));
}

if (options.pingIntervalSeconds > 0) {
  setInterval(() => {
    const now = performance.now();
    for (const stream of streams) {
      stream.keepAlive(now);
    }
  }, options.pingIntervalSeconds * 1000).unref();
}

console.log(`wsfast-peer-bun (Bun ${Bun.version}) listening on http://${servers[0].hostname}:${servers[0].port}`);
if (servers.length > 1) {
  console.log(`wsfast-peer-bun listening on https://${servers[1].hostname}:${servers[1].port} (wss://)`);
}

// Graceful stop: 1001 to every WebSocket, every event stream ended, every waiting poll answered; then exit
// once the connections are gone, or after a second.
function stop() {
  if (stopping) {
    return;
  }

  stopping = true;
  for (const ws of sockets) {
    ws.close(1001, 'server shutting down');
  }

  for (const stream of [...streams]) {
    stream.end();
  }

  for (const answer of [...polls]) {
    answer();
  }

  for (const server of servers) {
    server.stop();
  }

  const deadline = setTimeout(() => process.exit(0), 1000);
  setInterval(() => {
    if (pending() === 0) {
      clearTimeout(deadline);
      process.exit(0);
    }
  }, 20);
}

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
