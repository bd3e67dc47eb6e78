using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using WsFast.Load.Client;
using WsFast.Load.Client.Http;
using WsFast.Load.Engine;

namespace WsFast.Load.Scenarios.Feed;

/// <summary>
/// <c>poll-long</c> and <c>poll-short</c>: each client asks <c>GET /poll/{topic}?after=N</c> over one
/// keep-alive connection, N being the <c>last</c> of the previous answer, while the scenario publishes. A
/// long poll asks again as soon as an answer arrives (the server holds a request until there is news); a
/// short poll adds <c>wait=0</c> and asks once per interval. Every request counts as a message sent with its
/// bytes, every response's bytes (head and chunked framing included) as received, every message in an answer
/// as a delivery whose latency ends when the whole answer has arrived.
/// </summary>
public sealed class PollScenario : IPublishingScenario
{
    // A short poller that falls further behind than this skips polls rather than polling back to back.
    private static readonly TimeSpan MaxLag = TimeSpan.FromMilliseconds(100);

    // The golden ratio's fractional part: client i starts its interval at frac(i * this) of it, which spreads
    // any number of clients evenly over the interval without knowing how many there are.
    private static readonly double Spread = (Math.Sqrt(5) - 1) / 2;

    private readonly FeedSettings _settings;
    private readonly FeedPublisher _publisher;
    private readonly bool _long;

    /// <summary>Creates the scenario: long polls when <paramref name="longPoll"/>, else short polls every <see cref="FeedSettings.PollInterval"/>.</summary>
    public PollScenario(FeedSettings settings, bool longPoll)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        _long = longPoll;
        _publisher = new FeedPublisher(settings);
    }

    /// <inheritdoc/>
    public string Name => _long ? "poll-long" : "poll-short";

    /// <inheritdoc/>
    public Task RunClientAsync(ClientContext context) =>
        HttpFeedClient.RunAsync(context, _settings, connection => PollAsync(connection, context));

    /// <inheritdoc/>
    public Task StartFeedAsync(RunClock clock) => _publisher.StartAsync(clock);

    /// <inheritdoc/>
    public Task<WorkerStats> StopFeedAsync() => _publisher.StopAsync();

    private async Task PollAsync(HttpConnection connection, ClientContext context)
    {
        WorkerStats stats = context.Stats;
        var feed = new FeedTracker(stats);
        var body = new ArrayBufferWriter<byte>(4096);
        byte[] scratch = new byte[256];

        // The first poll, without a cursor, answers at once with the topic's last sequence number: from there on.
        long cursor = await PollOnceAsync(connection, $"/poll/{_settings.Topic}?wait=0", body, stats, context.Stopping).ConfigureAwait(false);
        context.MarkReady();

        RateController? pace = null;
        if (!_long)
        {
            double perSecond = 1 / _settings.PollInterval.TotalSeconds;
            long offset = (long)(Stopwatch.Frequency * _settings.PollInterval.TotalSeconds * (context.ClientIndex * Spread % 1));
            pace = new RateController(perSecond, Stopwatch.GetTimestamp() + offset, MaxLag);
        }

        string query = _long ? "" : "&wait=0";
        while (!context.Stopping.IsCancellationRequested)
        {
            if (pace is not null)
            {
                if (!pace.TryTake(RunClock.Now, out _, out long missed))
                {
                    await pace.WaitAsync(context.Stopping).ConfigureAwait(false);
                    continue;
                }

                stats.RecordMissed(missed);
            }

            cursor = await PollOnceAsync(connection, $"/poll/{_settings.Topic}?after={cursor}{query}", body, stats, context.Stopping).ConfigureAwait(false);
            ReadMessages(body.WrittenSpan, feed, ref scratch);
        }
    }

    // Sends one poll and reads its whole answer into `body`; returns the answer's "last", the next cursor.
    private async Task<long> PollOnceAsync(HttpConnection connection, string pathAndQuery, ArrayBufferWriter<byte> body, WorkerStats stats, CancellationToken stopping)
    {
        stats.RecordSent(await connection.SendAsync(HttpFeedClient.Get(_settings, pathAndQuery, "application/json")).ConfigureAwait(false));
        body.ResetWrittenCount();
        HttpResponseHead head = await connection.ReadResponseAsync(body, stopping).ConfigureAwait(false);
        if (head.Status != 200)
        {
            throw new WsClientException(ErrorKind.HttpFailed, $"GET {pathAndQuery} answered {head.Status} {head.Reason}.");
        }

        if (!head.KeepAlive)
        {
            throw new WsClientException(ErrorKind.ClosedByServer, "The server closed a keep-alive poll connection.");
        }

        return ReadLast(body.WrittenSpan);
    }

    // {"topic":..,"last":N,"truncated":..,"messages":[{"sequence":..,"type":"text","data":"..","time":".."}]}
    private static long ReadLast(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("last"u8))
            {
                reader.Read();
                return reader.GetInt64();
            }
        }

        throw new WsClientException(ErrorKind.HttpFailed, "A poll answer without \"last\".");
    }

    // Delivers each message's data to the tracker.
    private static void ReadMessages(ReadOnlySpan<byte> json, FeedTracker feed, ref byte[] scratch)
    {
        var reader = new Utf8JsonReader(json);
        while (reader.Read())
        {
            // Properties of the objects in "messages" are at depth 3: root object, array, message object.
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 3 && reader.ValueTextEquals("data"u8))
            {
                reader.Read();
                if (scratch.Length < reader.ValueSpan.Length)
                {
                    scratch = new byte[reader.ValueSpan.Length * 2];
                }

                int length = reader.CopyString(scratch);
                feed.Receive(scratch.AsSpan(0, length));
            }
        }
    }
}
