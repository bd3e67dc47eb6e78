// What the Bun and Node.js peers share: topics with per-topic sequence numbers and a bounded history (for
// Server-Sent Events resumes and polls), the counters of /healthz, and the wire formats of load/WsFast.Kestrel
// and src/WsFast (event-stream framing, the poll and publish JSON, one-line plain-text errors). Plain ES module
// JavaScript, run as it is by both runtimes. Each peer fans a publish out to its WebSockets its own way (Bun:
// server.publish, framed once by uWebSockets; Node: one ws frame written to every subscriber) through the hook
// a topic is given.

import { Buffer } from 'node:buffer';
import { timingSafeEqual } from 'node:crypto';

export const NO_SUCH_TOPIC = 'no such topic: invalid name, or the topic limit is reached';

/** The start of every event stream: how long a client waits before reconnecting (src/WsFast's value). */
export const STREAM_HEAD = Buffer.from('retry: 2000\n\n');

/** What an event stream gets after a silence, to keep it alive through proxies. */
export const KEEP_ALIVE = Buffer.from(': keep-alive\n\n');

/** The headers of an event stream, as load/WsFast.Kestrel sends them. */
export const STREAM_HEADERS = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-store',
  'X-Accel-Buffering': 'no',
};

/** The counters /healthz reports. */
export class Stats {
  started = performance.now();
  messagesIn = 0; // WebSocket messages received
  messagesOut = 0; // echo replies sent, and deliveries a publish reached: one per subscriber
  dropped = 0; // messages a WebSocket subscriber skipped for being too far behind (where the runtime tells)
  slowConsumerDisconnects = 0; // event streams ended for not keeping up
}

/** The /healthz answer: src/WsFast's keys (allocatedBytes left out: a JavaScript runtime has no such counter). */
export function healthJson(stats, connections, stopping) {
  return JSON.stringify({
    status: stopping ? 'stopping' : 'ok',
    connections,
    uptimeSeconds: Math.round((performance.now() - stats.started) / 100) / 10,
    messagesIn: stats.messagesIn,
    messagesOut: stats.messagesOut,
    dropped: stats.dropped,
    slowConsumerDisconnects: stats.slowConsumerDisconnects,
  });
}

/**
 * One message published to a topic. Immutable: the history, every subscriber and every poll answer share it.
 * Text is kept as a string, binary as a Buffer.
 */
export class TopicMessage {
  #bytes = null;
  #event = null;

  constructor(sequence, data, publishedMs) {
    this.sequence = sequence;
    this.data = data;
    this.publishedMs = publishedMs;
  }

  get isText() {
    return typeof this.data === 'string';
  }

  /** The payload's bytes (text as UTF-8), made once. */
  get bytes() {
    return (this.#bytes ??= this.isText ? Buffer.from(this.data) : this.data);
  }

  /**
   * The message as a Server-Sent Event, made the first time a stream needs it and shared by all: "id: N", then
   * "data: line" per line of the text (or "event: binary" and "data: <base64>"), then a blank line.
   */
  get eventBytes() {
    if (this.#event === null) {
      let event = `id: ${this.sequence}\n`;
      if (this.isText) {
        // A line break inside the text starts a new data line; the client joins them back with '\n'.
        for (let line of this.data.split('\n')) {
          if (line.endsWith('\r')) {
            line = line.slice(0, -1);
          }

          event += `data: ${line}\n`;
        }
      } else {
        event += `event: binary\ndata: ${this.data.toString('base64')}\n`;
      }

      this.#event = Buffer.from(event + '\n');
    }

    return this.#event;
  }
}

/** The event that tells a resuming stream which messages the history no longer holds. */
export function gapEvent(first, last) {
  return Buffer.from(`event: gap\ndata: {"first":${first},"last":${last}}\n\n`);
}

/**
 * A named stream of messages with sequence numbers, its event-stream subscribers, its waiting long polls and a
 * bounded history. JavaScript runs one thing at a time, so a publish, a subscription and a poll never
 * interleave: every subscriber sees the messages once and in order.
 */
export class Topic {
  sequence = 0;
  history = [];
  streams = new Set(); // { offer(message) -> bool, gap(first, last) }
  waiters = new Set(); // functions called once by the next publish

  constructor(name, historySize, fanOut) {
    this.name = name;
    this.historySize = historySize;
    this.fanOut = fanOut; // (topic, message) -> WebSockets reached
  }

  /**
   * Gives the message the next sequence number, keeps it in the history, sends it to the WebSockets (through
   * the peer's hook) and the event streams, and wakes the waiting long polls (which count as reached, as in
   * src/WsFast). Returns { sequence, subscribers }.
   */
  publish(data) {
    const message = new TopicMessage(this.sequence + 1, data, Date.now());
    this.sequence = message.sequence;
    if (this.historySize > 0) {
      if (this.history.length === this.historySize) {
        this.history.shift();
      }

      this.history.push(message);
    }

    let reached = this.fanOut(this, message);
    for (const stream of this.streams) {
      if (stream.offer(message)) {
        reached++;
      }
    }

    if (this.waiters.size > 0) {
      const waiters = this.waiters;
      this.waiters = new Set();
      reached += waiters.size;
      for (const wake of waiters) {
        wake();
      }
    }

    return { sequence: message.sequence, subscribers: reached };
  }

  /**
   * Offers the stream the history after `after` (announcing a gap first when the history no longer reaches
   * back to it), then adds it.
   */
  subscribe(stream, after) {
    if (this.#isTruncated(after)) {
      stream.gap(after + 1, this.#oldestHeld() - 1);
    }

    for (const message of this.history) {
      if (message.sequence > after) {
        stream.offer(message);
      }
    }

    this.streams.add(stream);
  }

  unsubscribe(stream) {
    this.streams.delete(stream);
  }

  /** The messages after `after`, with the cursor's state: { messages, last, truncated, oldest }. */
  poll(after) {
    const messages = this.history.filter((m) => m.sequence > after);
    return { messages, last: this.sequence, truncated: this.#isTruncated(after), oldest: this.#oldestHeld() };
  }

  #oldestHeld() {
    return this.history.length === 0 ? this.sequence + 1 : this.history[0].sequence;
  }

  // A cursor is older than the history when messages after it have already left it.
  #isTruncated(after) {
    return after < this.sequence && this.#oldestHeld() > after + 1;
  }
}

/** The topics, created on first use (a subscription, a publish, a stream or a poll) up to a bound. */
export class TopicRegistry {
  topics = new Map();

  constructor(options, fanOut) {
    this.options = options;
    this.fanOut = fanOut;
  }

  /** The topic, created if needed; null for an invalid name or when the topic limit is reached. */
  getOrCreate(name) {
    let topic = this.topics.get(name);
    if (topic === undefined) {
      if (!isValidName(name) || this.topics.size >= this.options.maxTopics) {
        return null;
      }

      topic = new Topic(name, this.options.historySize, this.fanOut);
      this.topics.set(name, topic);
    }

    return topic;
  }
}

/** 1 to 64 ASCII letters, digits, '-', '_' and '.': the rule of src/WsFast. */
export function isValidName(name) {
  return typeof name === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(name);
}

/** A topic name from a path segment, percent-decoded as ASP.NET Core's routing does; null when malformed. */
export function decodeSegment(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** An integer as .NET's long.TryParse reads one (sign and surrounding spaces allowed); null otherwise. */
export function parseSequence(text) {
  if (!/^\s*[+-]?\d{1,19}\s*$/.test(text)) {
    return null;
  }

  const value = Number(text.trim());
  return Number.isSafeInteger(value) ? value : null;
}

/** A number of seconds as .NET's double.TryParse reads one; null otherwise. */
export function parseSeconds(text) {
  if (!/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(text)) {
    return null;
  }

  return Number(text.trim());
}

/**
 * The poll answer: {"topic","last","truncated",("oldest" when truncated),"messages":[{"sequence","type",
 * "data","time"}]}, text as a string and binary as base64.
 */
export function pollJson(name, result) {
  const messages = result.messages.map((m) => ({
    sequence: m.sequence,
    type: m.isText ? 'text' : 'binary',
    data: m.isText ? m.data : m.data.toString('base64'),
    time: new Date(m.publishedMs).toISOString(),
  }));
  const answer = {
    topic: name,
    last: messages.length > 0 ? messages[messages.length - 1].sequence : result.last,
    truncated: result.truncated,
  };
  if (result.truncated) {
    answer.oldest = result.oldest;
  }

  answer.messages = messages;
  return JSON.stringify(answer);
}

/** The publish answer. */
export function publishJson(name, result) {
  return JSON.stringify({ topic: name, sequence: result.sequence, subscribers: result.subscribers });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as the UTF-8 text it must be; null when it is not UTF-8. */
export function decodeUtf8(bytes) {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/**
 * Checks the Authorization header against the publish token: null when allowed, else [status, reason, headers]
 * for the refusal (401 without a bearer token, 403 with the wrong one), compared in constant time.
 */
export function checkPublishToken(token, authorization) {
  if (token === null) {
    return null;
  }

  if (typeof authorization !== 'string' || !authorization.toLowerCase().startsWith('bearer ')) {
    return [401, 'a bearer token is required', { 'WWW-Authenticate': 'Bearer' }];
  }

  const expected = Buffer.from(token);
  const given = Buffer.from(authorization.slice('Bearer '.length).trim());
  // timingSafeEqual needs equal lengths: compare with itself when they differ, so that the time taken does
  // not depend on how much of a guess was right.
  const same = given.length === expected.length ? timingSafeEqual(given, expected) : !timingSafeEqual(expected, expected);
  return same ? null : [403, 'wrong token', {}];
}
