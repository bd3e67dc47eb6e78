using System.Collections.Concurrent;
using System.Net.WebSockets;
using WsFast.Protocol;
using WsFast.Server;
using WebSocketMessageType = System.Net.WebSockets.WebSocketMessageType;

namespace WsFast.Tests.Server;

/// <summary>
/// Many clients at once: every echo goes back to the connection it came from, whole, and connection objects
/// reused for new clients never carry anything of their previous client.
/// </summary>
public class ConcurrencyTests
{
    [Fact]
    public async Task A_thousand_concurrent_clients_each_get_back_exactly_their_own_messages()
    {
        const int Clients = 1000;
        const int MessagesEach = 5;

        // A thousand clients of one address, connecting at once: over the per-address limits, which are not
        // what this tests (tests/Limits does).
        await using TestServer server = await TestServer.StartAsync(options =>
        {
            options.ClientLimits.MaxConnectionsPerAddress = 0;
            options.ClientLimits.HandshakesPerSecond = 0;
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var clients = new ClientWebSocket[Clients];
        try
        {
            // Handshakes in bounded parallelism, so that a burst of 1,000 SYNs does not outrun the accept backlog.
            await Parallel.ForAsync(0, Clients, new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = timeout.Token },
                async (i, _) => clients[i] = await server.ConnectAsync());
            // The 101 leaves before the connection joins its endpoint's count: the last ones may still be joining.
            await ClientSupport.WaitUntilAsync(() => server.Server.Endpoints["/echo"].ConnectionCount == Clients, timeout.Token);

            // All of them at once: each sends its messages and checks each echo, with text and binary mixed.
            await Task.WhenAll(Enumerable.Range(0, Clients).Select(i => Task.Run(async () =>
            {
                ClientWebSocket client = clients[i];
                for (int m = 0; m < MessagesEach; m++)
                {
                    if (m % 2 == 0)
                    {
                        string text = $"client {i} message {m}";
                        await client.SendTextAsync(text, timeout.Token);
                        Assert.Equal(text, await client.ReceiveTextAsync(timeout.Token));
                    }
                    else
                    {
                        byte[] payload = EchoTests.RandomBytes(100 + (i % 300), seed: i * MessagesEach + m);
                        await client.SendAsync(payload, WebSocketMessageType.Binary, true, timeout.Token);
                        (WebSocketMessageType type, byte[] echoed) = await client.ReceiveMessageAsync(timeout.Token);
                        Assert.Equal(WebSocketMessageType.Binary, type);
                        Assert.Equal(payload, echoed);
                    }
                }

                await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
                Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
            })));

            Assert.Equal(Clients * MessagesEach, server.Server.Counters.MessagesIn);
            Assert.Equal(Clients * MessagesEach, server.Server.Counters.MessagesOut);
            await ClientSupport.WaitUntilAsync(() => server.Server.ConnectionCount == 0, timeout.Token);
        }
        finally
        {
            foreach (ClientWebSocket? client in clients)
            {
                client?.Dispose();
            }
        }
    }

    [Fact]
    public async Task Sends_from_many_threads_to_one_connection_each_arrive_whole()
    {
        var recorder = new TestServer.Recorder();
        await using TestServer server = await TestServer.StartAsync(map: s => s.Map("/recorded", recorder));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using ClientWebSocket client = await server.ConnectAsync("/recorded");
        await ClientSupport.WaitUntilAsync(() => recorder.Last is not null, timeout.Token);
        WsFast.WebSocketConnection connection = recorder.Last!;

        // Eight threads, each sending its own numbered messages: frames may interleave by message, never inside one.
        const int Threads = 8;
        const int PerThread = 200;
        Task receiving = Task.Run(async () =>
        {
            var next = new int[Threads];
            for (int n = 0; n < Threads * PerThread; n++)
            {
                string[] parts = (await client.ReceiveTextAsync(timeout.Token)).Split(':');
                int thread = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
                Assert.Equal(next[thread]++, int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
                Assert.Equal(new string((char)('a' + thread), 1000), parts[2]);
            }
        });

        await Task.WhenAll(Enumerable.Range(0, Threads).Select(t => Task.Run(async () =>
        {
            for (int i = 0; i < PerThread; i++)
            {
                Assert.True(await connection.SendTextAsync($"{t}:{i}:{new string((char)('a' + t), 1000)}"));
            }
        })));

        await receiving.WaitAsync(timeout.Token);
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
    }

    /// <summary>
    /// Close timeouts during accept churn. Every connection is closed by its handler and never answers, so each
    /// ends at the close timeout and its pooled connection object goes straight to a new client, while the
    /// endpoint broadcasts every few milliseconds and, as a late timer would, something keeps calling the
    /// deadlines of connections that have already ended. Every client must get well-formed frames meant for it
    /// (its own id, broadcasts that name no one, then our close frame and nothing after it), and every
    /// connection object must go back to its pool.
    /// </summary>
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task Connections_ending_at_the_close_timeout_while_new_ones_arrive_never_reach_the_clients_that_reuse_their_objects()
    {
        var churn = new CloseAtOnce();
        await using TestServer server = await TestServer.StartAsync(options =>
        {
            // At the close timeout an unanswered connection is aborted, which resets it: a client the machine leaves
            // unscheduled for longer than that gets the reset before it has read our close frame. 500 ms keeps that
            // out of reach of a busy CI machine (200 ms did not, once in a full parallel run with a browser test).
            options.CloseTimeout = CloseTimeout;
            options.PingInterval = TimeSpan.Zero;
            options.ShutdownTimeout = TimeSpan.FromSeconds(1);
        }, s => s.Map("/churn", churn));
        WebSocketEndpoint endpoint = server.Server.Endpoints["/churn"];
        var failures = new ConcurrentQueue<string>();
        int clients = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));

        // The endpoint broadcasts all along: a frame that names no client.
        Task broadcasting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                endpoint.Broadcast("tick");
                await Task.Delay(2);
            }
        });

        // A late timer: the deadlines of connections that ended a moment ago are called again and again, long past
        // their close timeout, while their connection objects serve new clients.
        Task lateTimer = Task.Run(async () =>
        {
            var ended = new List<(IServerConnection Connection, long At)>();
            while (!stop.IsCancellationRequested)
            {
                long now = Environment.TickCount64;
                while (churn.Ended.TryDequeue(out WebSocketConnection? connection))
                {
                    ended.Add((connection, now));
                }

                ended.RemoveAll(e => now - e.At > 1000);
                foreach ((IServerConnection connection, _) in ended)
                {
                    connection.OnTick(now + 60_000);
                }

                await Task.Delay(1);
            }
        });

        // Forty clients at a time, each replaced as soon as it is done.
        await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                int id = Interlocked.Increment(ref clients);
                string? failure = await RunChurnClientAsync(server.Port, id);
                if (failure is not null)
                {
                    failures.Enqueue($"client {id}: {failure}");
                }
            }
        })));
        await Task.WhenAll(broadcasting, lateTimer);

        Assert.True(failures.IsEmpty, $"{failures.Count} of {clients} clients: {string.Join("; ", failures.Take(5))}");
        Assert.True(clients > 100, $"only {clients} clients came and went");
        using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await ClientSupport.WaitUntilAsync(() => server.Server.ConnectionCount == 0, drain.Token);
        WsFast.Transport.SocketConnectionPool pool = server.Server.ConnectionPool!;
        await ClientSupport.WaitUntilAsync(() => pool.InUse == 0, drain.Token);
        Assert.Equal(server.Server.Counters.Accepted, pool.ReturnedCount);
    }

    // One client's life: upgrade, frames until our close frame, EOF right after it, then silence (no close frame,
    // no FIN) past the close timeout. Returns what went wrong, or null.
    private static async Task<string?> RunChurnClientAsync(int port, int id)
    {
        try
        {
            await using RawClient client = await RawClient.ConnectAsync(port);
            await client.UpgradeAsync($"/churn?client={id}");
            bool named = false;
            while (true)
            {
                ServerFrame frame = await client.ReadFrameAsync();
                if (!frame.Fin || frame.Rsv != 0)
                {
                    return $"a malformed frame: {frame}";
                }

                if (frame.Opcode == Opcode.Close)
                {
                    if (frame.CloseCode != 1000 || frame.CloseReason != "bye" || !named)
                    {
                        return $"the close frame {frame} came {(named ? "" : "before the client's own id")}";
                    }

                    break;
                }

                if (frame.Opcode != Opcode.Text)
                {
                    return $"an unexpected frame: {frame}";
                }

                if (frame.Text == $"you:{id}" && !named)
                {
                    named = true;
                }
                else if (frame.Text != "tick")
                {
                    return $"a frame meant for someone else: \"{frame.Text}\"";
                }
            }

            (byte[] rest, TcpEnd end) = await client.ReadToEndAsync();
            if (rest.Length > 0 || end != TcpEnd.Fin)
            {
                return $"{rest.Length} bytes and a {end} after the close frame";
            }

            // Never answer the close: the server's close timeout ends the connection.
            await Task.Delay(CloseTimeout + TimeSpan.FromMilliseconds(100));
            return null;
        }
        catch (Exception e)
        {
            return $"{e.GetType().Name}: {e.Message}";
        }
    }

    /// <summary>Sends each client its id (from <c>?client=</c>), then closes it with 1000 "bye" a moment later.</summary>
    private sealed class CloseAtOnce : WebSocketHandler
    {
        /// <summary>Connections that have ended, for the test's late timer.</summary>
        public ConcurrentQueue<WebSocketConnection> Ended { get; } = new();

        public override async ValueTask OnConnectedAsync(WebSocketConnection connection)
        {
            string id = connection.Query.StartsWith("client=", StringComparison.Ordinal) ? connection.Query[7..] : "?";
            await connection.SendTextAsync($"you:{id}");
            _ = Task.Run(async () =>
            {
                await Task.Delay(Random.Shared.Next(0, 20));
                connection.Close(CloseCode.NormalClosure, "bye");
            });
        }

        public override ValueTask OnDisconnectedAsync(WebSocketConnection connection, CloseCode code, string reason)
        {
            Ended.Enqueue(connection);
            return default;
        }
    }
}
