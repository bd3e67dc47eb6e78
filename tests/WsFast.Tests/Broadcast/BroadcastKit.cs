using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using WsFast.Server;
using WsFast.Tests.Server;
using WsFast.Tests.Support;
using WebSocketMessageType = System.Net.WebSockets.WebSocketMessageType;
using WebSocketState = System.Net.WebSockets.WebSocketState;

namespace WsFast.Tests.Broadcast;

/// <summary>
/// The tests of this folder that measure the whole process (the shared buffer pool, the managed heap, the
/// meter) or that load the machine on purpose run one at a time, after the others, so that they neither
/// disturb nor are disturbed by the rest of the suite.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialBroadcastCollection
{
    public const string Name = "Broadcast, alone in the process";
}

/// <summary>Client-side helpers for the broadcast tests: subscribers, messages, waiting with a deadline.</summary>
internal static class BroadcastKit
{
    /// <summary>The longest any single network wait of these tests may take.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>A server whose <c>/broadcast</c> is the broadcast endpoint (topics, publish, SSE, poll).</summary>
    public static Task<TestServer> StartAsync(Action<WsFastServerOptions>? configure = null, Action<WsFastServer>? map = null) =>
        TestServer.StartAsync(options =>
        {
            // No heartbeat traffic: only what a test publishes reaches its clients.
            options.PingInterval = TimeSpan.Zero;
            // A test that fails leaves clients that do not answer the shutdown's close: do not wait long for them.
            options.ShutdownTimeout = TimeSpan.FromSeconds(1);
            configure?.Invoke(options);
        }, map, broadcastTopics: true);

    /// <summary>
    /// Connects <paramref name="count"/> clients to <paramref name="path"/> and waits until the server has
    /// subscribed all of them to <paramref name="topic"/>: the 101 leaves before the subscription is made, so
    /// a message published right after the handshake could otherwise miss a client.
    /// </summary>
    public static async Task<ClientWebSocket[]> SubscribeAsync(TestServer server, string path, string topic, int count)
    {
        int before = server.Server.Topics.SubscriberCount(topic);
        var clients = new ClientWebSocket[count];
        // A few at a time: a shared two-core machine answers a burst of 100 handshakes slowly, not wrongly.
        for (int start = 0; start < count; start += 25)
        {
            int end = Math.Min(count, start + 25);
            ClientWebSocket[] batch = await Task.WhenAll(Enumerable.Range(start, end - start).Select(_ => server.ConnectAsync(path)));
            batch.CopyTo(clients, start);
        }

        await WaitUntilAsync(() => server.Server.Topics.SubscriberCount(topic) == before + count,
            $"{count} subscribers of '{topic}'");
        return clients;
    }

    /// <summary>
    /// With <paramref name="subscriber"/> the only subscriber of <paramref name="topic"/> and its client not
    /// reading, publishes one message at a time until one stays queued without progress: the kernel buffers
    /// between the server and that client are full, and the server's queue holds exactly that one message.
    /// Kernel buffers absorb megabytes on loopback, so this is how a test gets to the server's own bounds.
    /// Each payload starts with its sequence number (4 bytes, big-endian). Returns how many were published.
    /// </summary>
    public static async Task<int> FillKernelBuffersAsync(TestServer server, string topic, WebSocketConnection subscriber, int payloadSize)
    {
        for (int published = 1; published <= 200; published++)
        {
            long sequence = (server.Server.Topics.Find(topic)?.LastSequence ?? 0) + 1;
            byte[] payload = new byte[payloadSize];
            BinaryPrimitives.WriteInt32BigEndian(payload, (int)sequence);
            Assert.Equal(new PublishResult(sequence, 1), server.Server.Topics.Publish(topic, WsFast.MessageType.Binary, payload).IgnoringEpoch());
            if (await StallsAsync(subscriber))
            {
                Assert.Equal(0, server.Server.Counters.Dropped);
                return published;
            }
        }

        Assert.Fail("The kernel took 200 messages without filling up.");
        return 0;
    }

    // True when the queue keeps the same non-zero size for half a second; false when it empties (the kernel
    // took everything).
    private static async Task<bool> StallsAsync(WebSocketConnection connection)
    {
        var total = Stopwatch.StartNew();
        var unchanged = Stopwatch.StartNew();
        long last = -1;
        while (total.Elapsed < Timeout)
        {
            long queued = connection.QueuedBytes;
            if (queued == 0)
            {
                return false;
            }

            if (queued != last)
            {
                last = queued;
                unchanged.Restart();
            }
            else if (unchanged.Elapsed > TimeSpan.FromMilliseconds(500))
            {
                return true;
            }

            await Task.Delay(10);
        }

        Assert.Fail("The queue neither emptied nor stalled.");
        return false;
    }

    /// <summary>The event id of message <paramref name="sequence"/> of <paramref name="topic"/>: its epoch, a colon, the sequence number.</summary>
    public static string EventId(TestServer server, string topic, long sequence) => $"{server.Server.Topics.Find(topic)!.Epoch}:{sequence}";

    /// <summary>Polls <paramref name="condition"/> every few milliseconds; fails the test after <paramref name="timeout"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        DateTime until = DateTime.UtcNow + (timeout ?? Timeout);
        while (!condition())
        {
            if (DateTime.UtcNow > until)
            {
                Assert.Fail($"Timed out waiting for {what}.");
            }

            await Task.Delay(5);
        }
    }

    /// <summary>The next whole message, fragments joined; fails the test after <paramref name="timeout"/>.</summary>
    public static async Task<(WebSocketMessageType Type, byte[] Payload)> ReceiveAsync(
        ClientWebSocket client, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? Timeout);
        var payload = new MemoryStream();
        byte[] buffer = new byte[16 * 1024];
        while (true)
        {
            ValueWebSocketReceiveResult result = await client.ReceiveAsync(buffer.AsMemory(), cancel.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                Assert.Fail($"The server closed the connection ({client.CloseStatus} {client.CloseStatusDescription}) instead of sending a message.");
            }

            payload.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return (result.MessageType, payload.ToArray());
            }
        }
    }

    /// <summary>The next message, which must be text.</summary>
    public static async Task<string> ReceiveTextAsync(ClientWebSocket client, TimeSpan? timeout = null)
    {
        (WebSocketMessageType type, byte[] payload) = await ReceiveAsync(client, timeout);
        Assert.Equal(WebSocketMessageType.Text, type);
        return Encoding.UTF8.GetString(payload);
    }

    /// <summary>The next <paramref name="count"/> text messages, all within <paramref name="timeout"/>.</summary>
    public static async Task<List<string>> ReceiveTextsAsync(ClientWebSocket client, int count, TimeSpan? timeout = null)
    {
        DateTime until = DateTime.UtcNow + (timeout ?? Timeout);
        var texts = new List<string>(count);
        while (texts.Count < count)
        {
            TimeSpan left = until - DateTime.UtcNow;
            texts.Add(await ReceiveTextAsync(client, left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1)));
        }

        return texts;
    }

    /// <summary>Sends a text message from a client.</summary>
    public static async Task SendTextAsync(ClientWebSocket client, string text)
    {
        using var cancel = new CancellationTokenSource(Timeout);
        await client.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, cancel.Token);
    }

    /// <summary>Closes every client with 1000 (each within the timeout) and disposes it.</summary>
    public static async Task CloseAllAsync(IEnumerable<ClientWebSocket> clients)
    {
        await Task.WhenAll(clients.Select(async client =>
        {
            using var cancel = new CancellationTokenSource(Timeout);
            try
            {
                if (client.State == WebSocketState.Open)
                {
                    await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cancel.Token);
                }
            }
            finally
            {
                client.Dispose();
            }
        }));
    }

    /// <summary>An HTTP client for the server's plain HTTP routes, every request under the timeout.</summary>
    public static HttpClient HttpClient(TestServer server) =>
        new() { BaseAddress = server.Http("/"), Timeout = Timeout };

    /// <summary><c>POST /publish/{topic}</c> with a body of the given content type.</summary>
    public static Task<HttpResponseMessage> PostAsync(HttpClient http, string topic, byte[] body, string contentType, string? token = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/publish/{topic}") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        if (token is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        return http.SendAsync(request);
    }

    /// <summary><c>POST /publish/{topic}</c> of UTF-8 text.</summary>
    public static Task<HttpResponseMessage> PostTextAsync(HttpClient http, string topic, string text, string? token = null) =>
        PostAsync(http, topic, Encoding.UTF8.GetBytes(text), "text/plain; charset=utf-8", token);
}
