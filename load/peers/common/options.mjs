// The settings both peers take, with src/WsFast.Server's (and load/WsFast.Kestrel's) defaults, so that a
// comparison holds every server to the same limits. From the command line (--port 18082) or the environment
// (PORT, HOST; WSFAST_PUBLISH_TOKEN as src/WsFast.Server reads it). With --tls-port, a TLS listener serves the
// same endpoints beside the plain one, as src/WsFast.Server's --port and --tls-port do.

const FLAGS = {
  '--host': ['host', String],
  '--port': ['port', Number],
  '--history-size': ['historySize', Number],
  '--max-topics': ['maxTopics', Number],
  '--max-queued-messages': ['maxQueuedMessages', Number],
  '--max-queued-bytes': ['maxQueuedBytes', Number],
  '--max-publish-bytes': ['maxPublishBytes', Number],
  '--max-message-size': ['maxMessageSize', Number],
  '--long-poll-timeout': ['longPollTimeoutSeconds', Number],
  '--ping-interval': ['pingIntervalSeconds', Number],
  '--ping-timeout': ['pingTimeoutSeconds', Number],
  '--publish-token': ['publishToken', String],
  '--deflate': ['deflate', String],
  '--tls-port': ['tlsPort', Number],
  '--tls-cert': ['tlsCert', String],
  '--tls-key': ['tlsKey', String],
};

export const USAGE = `Options (each also as --name=value):
  --host H                  address to listen on (env HOST; default 127.0.0.1)
  --port N                  port to listen on, 0 for any free one (env PORT; default 8082)
  --history-size N          messages each topic keeps for SSE resumes and polls (100)
  --max-topics N            most topics at once; a new one beyond it gets 404 (10000)
  --max-queued-messages N   messages an event stream may have waiting; beyond it the stream ends (1024)
  --max-queued-bytes N      bytes a socket may have waiting; beyond it a broadcast skips it (1048576)
  --max-publish-bytes N     largest POST /publish body; larger gets 413 (1048576)
  --max-message-size N      largest WebSocket message; larger closes with 1009 (16777216)
  --long-poll-timeout S     longest wait of a long poll, and the default one (25)
  --ping-interval S         WebSocket pings and SSE keep-alive comments after S seconds of silence; 0: none (30)
  --ping-timeout S          seconds a WebSocket ping may go unanswered (20)
  --publish-token T         bearer token POST /publish requires (env WSFAST_PUBLISH_TOKEN; default none)
  --deflate MODE            permessage-deflate (env PEER_DEFLATE): off (the default), on (the library's own
                            defaults), no-context (on, the server resetting its compressor after each message)
  --tls-port N              also serve every endpoint over TLS (https://, wss://) on this port, beside the plain
                            one; 0 for any free one (env TLS_PORT; default: no TLS listener)
  --tls-cert FILE           the TLS listener's certificate, PEM (env TLS_CERT; e.g. load/tls/make-cert.sh's server.pem)
  --tls-key FILE            its private key, PEM (env TLS_KEY)`;

/** Reads the settings from argv and env; throws an Error whose message says what is wrong. */
export function parseOptions(argv, env) {
  const options = {
    host: env.HOST || '127.0.0.1',
    port: env.PORT !== undefined && env.PORT !== '' ? Number(env.PORT) : 8082,
    historySize: 100,
    maxTopics: 10_000,
    maxQueuedMessages: 1024,
    maxQueuedBytes: 1024 * 1024,
    maxPublishBytes: 1024 * 1024,
    maxMessageSize: 16 * 1024 * 1024,
    longPollTimeoutSeconds: 25,
    pingIntervalSeconds: 30,
    pingTimeoutSeconds: 20,
    publishToken: env.WSFAST_PUBLISH_TOKEN || null,
    deflate: env.PEER_DEFLATE || 'off',
    tlsPort: env.TLS_PORT !== undefined && env.TLS_PORT !== '' ? Number(env.TLS_PORT) : null,
    tlsCert: env.TLS_CERT || null,
    tlsKey: env.TLS_KEY || null,
    help: false,
  };

  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      options.help = true;
      continue;
    }

    let value;
    const equals = arg.indexOf('=');
    if (arg.startsWith('--') && equals > 0) {
      value = arg.slice(equals + 1);
      arg = arg.slice(0, equals);
    }

    const flag = FLAGS[arg];
    if (!flag) {
      throw new Error(`unknown option ${arg}`);
    }

    if (value === undefined) {
      if (i + 1 >= argv.length) {
        throw new Error(`${arg} needs a value`);
      }

      value = argv[++i];
    }

    const [key, type] = flag;
    options[key] = type === Number ? Number(value) : value;
    if (type === Number && (value.trim() === '' || !Number.isFinite(options[key]))) {
      throw new Error(`${arg} takes a number, not '${value}'`);
    }
  }

  const whole = ['port', 'historySize', 'maxTopics', 'maxQueuedMessages', 'maxQueuedBytes', 'maxPublishBytes', 'maxMessageSize'];
  for (const key of whole) {
    if (!Number.isInteger(options[key]) || options[key] < 0) {
      throw new Error(`${key} must be a whole number, at least 0`);
    }
  }

  if (options.port > 65535 || options.maxTopics < 1 || options.maxQueuedMessages < 1 || options.maxQueuedBytes < 1
    || options.maxPublishBytes < 1 || options.maxMessageSize < 1) {
    throw new Error('the port must be at most 65535, and the limits positive');
  }

  if (!['off', 'on', 'no-context'].includes(options.deflate)) {
    throw new Error(`--deflate is off, on or no-context, not '${options.deflate}'`);
  }

  if (options.tlsPort !== null && (!Number.isInteger(options.tlsPort) || options.tlsPort < 0 || options.tlsPort > 65535)) {
    throw new Error('--tls-port must be a port, 0 to 65535');
  }

  if ((options.tlsPort !== null) !== (options.tlsCert !== null && options.tlsKey !== null)
    || (options.tlsCert !== null) !== (options.tlsKey !== null)) {
    throw new Error('--tls-port, --tls-cert and --tls-key go together');
  }

  if (options.longPollTimeoutSeconds < 0 || options.pingIntervalSeconds < 0 || options.pingTimeoutSeconds < 0) {
    throw new Error('timeouts must not be negative');
  }

  return options;
}
