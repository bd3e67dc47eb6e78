using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Unicode;
using System.Threading.Channels;

namespace WsFast.Kestrel;

/// <summary>
/// The plain HTTP routes, as minimal APIs: publishing, Server-Sent Events, polling and the health check. Error
/// answers are one line of plain text with src/WsFast's status codes and wording.
/// </summary>
public static class HttpRoutes
{
    public const string NoSuchTopic = "no such topic: invalid name, or the topic limit is reached";

    // The start of every event stream: how long a client waits before reconnecting (src/WsFast's value).
    private static readonly byte[] StreamHead = "retry: 2000\n\n"u8.ToArray();

    public static void MapHttpRoutes(this IEndpointRouteBuilder app)
    {
        app.MapPost("/publish/{topic}", PublishAsync);
        app.MapGet("/sse/{topic}", EventStreamAsync);
        app.MapGet("/poll/{topic}", PollAsync);

        // Not the health checks middleware: the answer carries src/WsFast's keys, so a load tool reads both alike.
        app.MapGet("/healthz", (ServerStats stats, IHostApplicationLifetime lifetime, HttpContext context) =>
        {
            context.Response.Headers.CacheControl = "no-store";
            return TypedResults.Json(
                new HealthResponse(
                    lifetime.ApplicationStopping.IsCancellationRequested ? "stopping" : "ok",
                    stats.Connections,
                    Math.Round(stats.Uptime.TotalSeconds, 1),
                    stats.MessagesIn,
                    stats.MessagesOut,
                    GC.GetTotalAllocatedBytes(precise: false),
                    stats.Dropped,
                    stats.SlowConsumerDisconnects),
                AppJsonContext.Default.HealthResponse);
        });
    }

    /// <summary>Writes a one-line plain-text answer, as src/WsFast's errors are.</summary>
    public static Task TextAsync(HttpContext context, int status, string reason) =>
        Results.Text(reason + "\n", "text/plain; charset=utf-8", statusCode: status).ExecuteAsync(context);

    private static IResult Text(int status, string reason) =>
        Results.Text(reason + "\n", "text/plain; charset=utf-8", statusCode: status);

    /// <summary>
    /// <c>POST /publish/{topic}</c>: the body becomes a message on the topic, text for <c>text/*</c> content types
    /// and binary otherwise; the answer names its sequence number and the subscribers it reached.
    /// </summary>
    private static async Task<IResult> PublishAsync(string topic, HttpContext context, TopicRegistry topics, ServerStats stats, ServerOptions options)
    {
        HttpRequest request = context.Request;
        if (options.PublishToken is { } token)
        {
            string? authorization = request.Headers.Authorization;
            if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
                return Text(StatusCodes.Status401Unauthorized, "a bearer token is required");
            }

            // Constant time, so that the comparison does not reveal how much of a guess was right.
            if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(authorization["Bearer ".Length..].Trim())))
            {
                return Text(StatusCodes.Status403Forbidden, "wrong token");
            }
        }

        if (request.ContentLength > options.MaxPublishBytes)
        {
            return Text(StatusCodes.Status413PayloadTooLarge, $"body over {options.MaxPublishBytes} bytes");
        }

        byte[] body;
        try
        {
            body = await ReadBodyAsync(request);
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's MaxRequestBodySize (set to MaxPublishBytes) stopped a chunked body: 413. Or the body ended early.
            return Text(e.StatusCode, e.StatusCode == StatusCodes.Status413PayloadTooLarge ? $"body over {options.MaxPublishBytes} bytes" : "incomplete body");
        }

        bool isText = request.ContentType?.TrimStart().StartsWith("text/", StringComparison.OrdinalIgnoreCase) == true;
        if (isText && !Utf8.IsValid(body))
        {
            return Text(StatusCodes.Status400BadRequest, "a text/* body must be UTF-8");
        }

        if (topics.GetOrCreate(topic) is not { } target)
        {
            return Text(StatusCodes.Status404NotFound, NoSuchTopic);
        }

        PublishResult result = target.Publish(isText ? WebSocketMessageType.Text : WebSocketMessageType.Binary, body);
        stats.OnSent(result.Subscribers);
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Json(new PublishResponse(target.Name, result.Sequence, result.Subscribers), AppJsonContext.Default.PublishResponse);
    }

    // The body into one array of its exact size when the length is declared, else through a growing copy.
    private static async Task<byte[]> ReadBodyAsync(HttpRequest request)
    {
        if (request.ContentLength is { } length)
        {
            var body = new byte[length];
            int read = await request.Body.ReadAtLeastAsync(body, body.Length, throwOnEndOfStream: false);
            return read == body.Length ? body : throw new BadHttpRequestException("incomplete body");
        }

        using var copy = new MemoryStream();
        await request.Body.CopyToAsync(copy);
        return copy.ToArray();
    }

    /// <summary>
    /// <c>GET /sse/{topic}</c>: a Server-Sent Events stream whose event ids are sequence numbers. A client that
    /// reconnects with <c>Last-Event-ID</c> (or <c>?after=N</c>) first gets what it missed from the history, after
    /// an <c>event: gap</c> naming what the history no longer holds.
    /// </summary>
    private static async Task EventStreamAsync(string topic, HttpContext context, TopicRegistry topics, ServerStats stats, ServerOptions options, IHostApplicationLifetime lifetime)
    {
        if (topics.GetOrCreate(topic) is not { } source)
        {
            await TextAsync(context, StatusCodes.Status404NotFound, NoSuchTopic);
            return;
        }

        string? cursor = context.Request.Headers["Last-Event-ID"].FirstOrDefault() ?? context.Request.Query["after"].FirstOrDefault();
        long after = source.LastSequence;
        if (cursor is not null && !long.TryParse(cursor, NumberStyles.Integer, CultureInfo.InvariantCulture, out after))
        {
            await TextAsync(context, StatusCodes.Status400BadRequest, "Last-Event-ID and after are sequence numbers");
            return;
        }

        HttpResponse response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-store";
        response.Headers["X-Accel-Buffering"] = "no"; // tells nginx-style proxies not to buffer the stream
        PipeWriter body = response.BodyWriter;
        body.Write(StreamHead);
        await body.FlushAsync(context.RequestAborted);

        // The stream ends when the client leaves or the server stops (the client then reconnects elsewhere
        // with its Last-Event-ID).
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var subscriber = new EventStreamSubscriber(options.MaxQueuedMessages, stats);
        source.Subscribe(subscriber, after);
        try
        {
            await subscriber.WriteLoopAsync(body, options.PingInterval, ended.Token);
        }
        catch (OperationCanceledException) when (ended.IsCancellationRequested)
        {
        }
        finally
        {
            source.Unsubscribe(subscriber);
        }
    }

    /// <summary>
    /// <c>GET /poll/{topic}?after=N&amp;wait=S</c>: the messages after sequence N as JSON. With none yet, a long
    /// poll waits up to S seconds (at most, and by default, the long-poll timeout) for one; <c>wait=0</c> is a
    /// short poll. Without <c>after</c>, the cursor is the latest message. A cursor older than the history gets
    /// what remains, with <c>"truncated": true</c> and the oldest sequence number held.
    /// </summary>
    private static async Task<IResult> PollAsync(string topic, string? after, string? wait, HttpContext context, TopicRegistry topics, ServerOptions options, IHostApplicationLifetime lifetime)
    {
        if (topics.GetOrCreate(topic) is not { } source)
        {
            return Text(StatusCodes.Status404NotFound, NoSuchTopic);
        }

        long cursor = source.LastSequence;
        double seconds = options.LongPollTimeoutSeconds;
        if ((after is not null && (!long.TryParse(after, NumberStyles.Integer, CultureInfo.InvariantCulture, out cursor) || cursor < 0))
            || (wait is not null && (!double.TryParse(wait, NumberStyles.Float, CultureInfo.InvariantCulture, out seconds) || !(seconds >= 0))))
        {
            return Text(StatusCodes.Status400BadRequest, "after is a sequence number and wait a number of seconds");
        }

        TimeSpan longest = TimeSpan.FromSeconds(Math.Min(seconds, options.LongPollTimeoutSeconds));
        PollResult result = source.Poll(cursor, wait: longest > TimeSpan.Zero, out Task? next);
        if (next is not null)
        {
            using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
            try
            {
                await next.WaitAsync(longest, ended.Token);
            }
            catch (TimeoutException)
            {
            }
            catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
            {
                // Shutting down: answer now with what there is.
            }
            catch (OperationCanceledException)
            {
                return Results.Empty; // the client left
            }
            finally
            {
                source.StopWaiting(next);
            }

            result = source.Poll(cursor, wait: false, out _);
        }

        var messages = new List<PolledMessage>(result.Messages.Count);
        foreach (TopicMessage message in result.Messages)
        {
            bool text = message.Type == WebSocketMessageType.Text;
            messages.Add(new PolledMessage(
                message.Sequence,
                text ? "text" : "binary",
                text ? Encoding.UTF8.GetString(message.Payload) : Convert.ToBase64String(message.Payload),
                message.PublishedUtc));
        }

        context.Response.Headers.CacheControl = "no-store";
        long last = messages.Count > 0 ? messages[^1].Sequence : result.LastSequence;
        return TypedResults.Json(
            new PollResponse(source.Name, last, result.Truncated, result.Truncated ? result.Oldest : null, messages),
            AppJsonContext.Default.PollResponse);
    }
}

/// <summary>
/// An event stream's subscription to a topic: a bounded queue of ready-made event bytes, written out by the
/// request's own loop. A stream that cannot keep up is ended instead of skipping events: its client reconnects
/// with Last-Event-ID and gets what it missed from the history, as src/WsFast does.
/// </summary>
public sealed class EventStreamSubscriber(int capacity, ServerStats stats) : ITopicSubscriber
{
    private static readonly byte[] KeepAlive = ": keep-alive\n\n"u8.ToArray();

    private readonly Channel<byte[]> _queue = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(capacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait, // TryWrite answers false when full
    });

    public bool TryOffer(TopicMessage message)
    {
        if (_queue.Writer.TryWrite(message.EventBytes))
        {
            return true;
        }

        if (_queue.Writer.TryComplete())
        {
            stats.OnSlowConsumerDisconnected();
        }

        return false;
    }

    public void OnGap(long first, long last) =>
        _queue.Writer.TryWrite(Encoding.ASCII.GetBytes($"event: gap\ndata: {{\"first\":{first},\"last\":{last}}}\n\n"));

    /// <summary>
    /// Writes events as they come, a flush per batch; after <paramref name="keepAlive"/> of silence a comment line
    /// keeps the stream alive through proxies and finds clients that are gone.
    /// </summary>
    public async Task WriteLoopAsync(PipeWriter body, TimeSpan keepAlive, CancellationToken ended)
    {
        ChannelReader<byte[]> reader = _queue.Reader;
        var idle = CancellationTokenSource.CreateLinkedTokenSource(ended);
        try
        {
            while (true)
            {
                if (keepAlive > TimeSpan.Zero)
                {
                    idle.CancelAfter(keepAlive);
                }

                bool more;
                try
                {
                    more = await reader.WaitToReadAsync(idle.Token);
                }
                catch (OperationCanceledException) when (!ended.IsCancellationRequested)
                {
                    // A canceled source cannot be reused: the next silence gets a new one.
                    idle.Dispose();
                    idle = CancellationTokenSource.CreateLinkedTokenSource(ended);
                    body.Write(KeepAlive);
                    if ((await body.FlushAsync(ended)).IsCompleted)
                    {
                        return;
                    }

                    continue;
                }

                if (!more)
                {
                    return; // ended for not keeping up
                }

                while (reader.TryRead(out byte[]? item))
                {
                    body.Write(item);
                }

                if ((await body.FlushAsync(ended)).IsCompleted)
                {
                    return;
                }
            }
        }
        finally
        {
            idle.Dispose();
        }
    }
}
