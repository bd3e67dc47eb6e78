using System.Net.WebSockets;

namespace WsFast.Tests.Server;

/// <summary>Many clients at once: every echo goes back to the connection it came from, whole.</summary>
public class ConcurrencyTests
{
    [Fact]
    public async Task A_thousand_concurrent_clients_each_get_back_exactly_their_own_messages()
    {
        const int Clients = 1000;
        const int MessagesEach = 5;
        await using TestServer server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var clients = new ClientWebSocket[Clients];
        try
        {
            // Handshakes in bounded parallelism, so that a burst of 1,000 SYNs does not outrun the accept backlog.
            await Parallel.ForAsync(0, Clients, new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = timeout.Token },
                async (i, _) => clients[i] = await server.ConnectAsync());
            Assert.Equal(Clients, server.Server.Endpoints["/echo"].ConnectionCount);

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
        WsFast.Server.WebSocketConnection connection = recorder.Last!;

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
}
