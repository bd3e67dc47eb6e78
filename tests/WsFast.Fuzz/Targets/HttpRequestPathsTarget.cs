using System.Buffers;
using System.Numerics;
using System.Text.Unicode;
using WsFast.Protocol;
using WsFast.Server;

namespace WsFast.Fuzz.Targets;

/// <summary>
/// <c>http-request-paths</c>: a plain HTTP request (head and body) on the broadcast paths, decided as the router and
/// the routes decide it before anything is served: <c>POST /publish/{topic}</c> (method, topic name, bearer token,
/// <c>Content-Length</c> and its bound, the body read in pieces into a <see cref="RequestBody"/>, UTF-8 for
/// <c>text/*</c>), <c>GET /sse/{topic}</c> (<c>Last-Event-ID</c> or <c>?after=</c>) and <c>GET /poll/{topic}</c>
/// (<c>?after=E:N&amp;wait=S</c>). Every request ends in a status of the defined set or a valid parsed request within
/// the limits, and the body is read the same whatever the split.
/// </summary>
public static class HttpRequestPathsTarget
{
    /// <summary>A small publish bound, so that 413 and bodies at the bound are reachable.</summary>
    public const int MaxPublishBytes = 1024;

    /// <summary>The publish token the seeds carry (<c>Authorization: Bearer s3cret</c>).</summary>
    public const string PublishToken = "s3cret";

    private static readonly BroadcastOptions Options = new() { MaxPublishBytes = MaxPublishBytes, PublishToken = PublishToken };

    /// <summary>Decides <paramref name="input"/>; throws <see cref="ContractViolationException"/> on a breach.</summary>
    public static void Run(ReadOnlySpan<byte> input) => Decide(input);

    /// <summary>What the server makes of <paramref name="input"/>: a status and reason, or the parsed request.</summary>
    public static string Decide(ReadOnlySpan<byte> input)
    {
        byte[] data = input.ToArray();
        var reader = new HandshakeReader(HandshakeTarget.MaxHeaderBytes, HandshakeTarget.MaxHeaderCount);
        var buffer = new ReadOnlySequence<byte>(data);
        HandshakeStatus status;
        SequencePosition consumed;
        HandshakeRequest? request;
        try
        {
            status = reader.TryRead(buffer, out consumed, out _, out request, out _);
        }
        catch (Exception e)
        {
            throw new ContractViolationException($"the request reader threw {e}");
        }

        // Refusals of the head itself, and upgrades, are the handshake target's; here the plain requests.
        if (status != HandshakeStatus.PlainRequest)
        {
            return status.ToString();
        }

        byte[] body = buffer.Slice(consumed).ToArray();
        try
        {
            return Route(request!, body, input);
        }
        catch (Exception e) when (e is not ContractViolationException)
        {
            throw new ContractViolationException($"deciding {request!.Method} {request.Path}?{request.Query} threw {e}");
        }
    }

    // The order of HttpRouter.ServeAsync: publish first (any method), then only a plain GET for the others.
    private static string Route(HandshakeRequest request, byte[] body, ReadOnlySpan<byte> input)
    {
        if (HttpRouter.TopicOf(request.Path, Options.PublishPath) is { } publishTopic)
        {
            return Publish(request, publishTopic, body, input);
        }

        bool isStream = HttpRouter.TopicOf(request.Path, Options.EventStreamPath) is not null;
        bool isPoll = HttpRouter.TopicOf(request.Path, Options.PollPath) is not null;
        if (!isStream && !isPoll)
        {
            return "not a broadcast path";
        }

        if (HttpRouter.PlainGetRefusal(request) is { } refusal)
        {
            CheckRefusal(refusal, 405, 400);
            ContractViolationException.Check(
                refusal.Status == 405 ? request.Method != "GET" : request.ContentLength > 0,
                $"{refusal.Status} for {request.Method} with Content-Length {request.ContentLength}");
            return Describe(refusal);
        }

        if (isStream)
        {
            string topic = HttpRouter.TopicOf(request.Path, Options.EventStreamPath)!;
            if (EventStreamRoute.Check(request, topic, out TopicCursor? cursor) is { } streamRefusal)
            {
                CheckRefusal(streamRefusal, 400);
                return Describe(streamRefusal);
            }

            CheckTopic(topic);
            CheckCursor(cursor, request.GetHeader("Last-Event-ID") ?? HttpRouter.QueryValue(request.Query, "after"));
            return $"event stream of {topic} from {cursor?.ToString() ?? "now"}";
        }

        string pollTopic = HttpRouter.TopicOf(request.Path, Options.PollPath)!;
        if (PollRoute.Check(request, pollTopic, Options.LongPollTimeout, out TopicCursor? after, out TimeSpan wait) is { } pollRefusal)
        {
            CheckRefusal(pollRefusal, 400);
            return Describe(pollRefusal);
        }

        CheckTopic(pollTopic);
        CheckCursor(after, HttpRouter.QueryValue(request.Query, "after"));
        ContractViolationException.Check(wait >= TimeSpan.Zero && wait <= Options.LongPollTimeout, $"a poll waits {wait}");
        return $"poll of {pollTopic} after {after?.ToString() ?? "the latest"} waiting {wait.TotalMilliseconds} ms";
    }

    private static string Publish(HandshakeRequest request, string topic, byte[] received, ReadOnlySpan<byte> input)
    {
        if ((PublishRoute.CheckTarget(request, topic) ?? HttpRouter.TokenRefusal(request, PublishToken)) is { } refusal)
        {
            CheckRefusal(refusal, 405, 400, 401, 403);
            return Describe(refusal);
        }

        CheckTopic(topic);
        if (PublishRoute.CheckLength(request, MaxPublishBytes, out int length) is { } lengthRefusal)
        {
            CheckRefusal(lengthRefusal, 411, 413);
            return Describe(lengthRefusal);
        }

        ContractViolationException.Check(length >= 0 && length <= MaxPublishBytes && length == request.ContentLength, $"a body of {length} bytes to read");

        // As HttpConnection.ReadBodyAsync: each read adds what it brings up to the declared length.
        string whole = ReadBody(request, received, length, [Math.Max(1, received.Length)]);
        string pieces = ReadBody(request, received, length, Splits.Sizes(input));
        ContractViolationException.Check(whole == pieces, $"split changed the body\nwhole:  {whole}\npieces: {pieces}");
        return $"publish to {topic}: {whole}";
    }

    private static string ReadBody(HandshakeRequest request, byte[] received, int length, int[] sizes)
    {
        using var body = new RequestBody();
        int offset = 0;
        int call = 0;
        while (body.Length < length)
        {
            if (offset == received.Length)
            {
                return "the client left mid-body"; // no answer: the connection is gone
            }

            int size = Math.Min(sizes[Math.Min(call, sizes.Length - 1)], received.Length - offset);
            int take = Math.Min(size, length - body.Length);
            body.Append(new ReadOnlySequence<byte>(received, offset, take), length);
            offset += take;
            call++;

            // The body never reserves more than its declared length (rounded up to the pool's size class).
            ContractViolationException.Check(
                body.Length <= length && body.Capacity <= Math.Max(16, (int)BitOperations.RoundUpToPowerOf2((uint)length)),
                $"a body of {body.Length} of {length} bytes holds {body.Capacity}");
        }

        ContractViolationException.Check(body.Span.SequenceEqual(received.AsSpan(0, length)), "the body read is not the bytes received");
        if (PublishRoute.CheckBody(request, body.Span, out MessageType type) is { } refusal)
        {
            CheckRefusal(refusal, 400);
            return Describe(refusal);
        }

        ContractViolationException.Check(type is MessageType.Text or MessageType.Binary, $"a message of type {type}");
        ContractViolationException.Check(type != MessageType.Text || Utf8.IsValid(body.Span), "a text message of invalid UTF-8 published");
        return $"{type} message of {length} bytes {Convert.ToHexString(body.Span)}";
    }

    private static void CheckRefusal(HttpRefusal refusal, params int[] allowed)
    {
        ContractViolationException.Check(Array.IndexOf(allowed, refusal.Status) >= 0, $"status {refusal.Status} ({refusal.Reason}) not one of {string.Join(", ", allowed)}");
        ContractViolationException.Check(refusal.Reason.Length > 0 && !refusal.Reason.AsSpan().ContainsAny('\r', '\n'), $"reason {refusal.Reason}");
    }

    // TopicRegistry.NameRule, written out independently: 1 to 64 of letters, digits, '-', '_', '.', ':', not only dots.
    private static void CheckTopic(string topic)
    {
        bool valid = topic.Length is >= 1 and <= 64 && topic.Trim('.').Length > 0;
        foreach (char c in topic)
        {
            valid &= c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '-' or '_' or '.' or ':';
        }

        ContractViolationException.Check(valid, $"topic name {topic} accepted");
    }

    // An accepted cursor is one the server could have written: non-negative numbers of at most 18 digits, the
    // epoch 0 only for the bare form, and it reads back as itself.
    private static void CheckCursor(TopicCursor? cursor, string? text)
    {
        ContractViolationException.Check(cursor.HasValue == (text is not null), $"cursor {cursor} from {text}");
        if (cursor is not { } value)
        {
            return;
        }

        ContractViolationException.Check(
            value.Epoch is >= 0 and < 1_000_000_000_000_000_000 && value.Sequence is >= 0 and < 1_000_000_000_000_000_000
            && (value.Epoch != 0 || !text!.Contains(':'))
            && TopicCursor.TryParse(value.ToString(), out TopicCursor again) && again == value,
            $"cursor {value} accepted from {text}");
    }

    private static string Describe(HttpRefusal refusal) => $"{refusal.Status} {refusal.Reason}";
}
