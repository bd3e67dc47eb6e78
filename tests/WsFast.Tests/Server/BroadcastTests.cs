using System.Net.Sockets;
using System.Net.WebSockets;
using WsFast.Server;
using WebSocketMessageType = System.Net.WebSockets.WebSocketMessageType;

namespace WsFast.Tests.Server;

/// <summary>One message framed once and queued to every connection of an endpoint.</summary>
public class BroadcastTests
{
    [Fact]
    public async Task Every_message_a_client_sends_to_broadcast_reaches_all_100_clients_and_the_sender_in_order()
    {
        const int Listeners = 100;
        const int Messages = 200;
        await using TestServer server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var clients = new List<ClientWebSocket>();
        try
        {
            for (int i = 0; i < Listeners + 1; i++)
            {
                clients.Add(await server.ConnectAsync("/broadcast"));
            }

            // A client's 101 can reach it a moment before the server adds it to the endpoint: wait until all are in.
            await ClientSupport.WaitUntilAsync(() => server.Server.Endpoints["/broadcast"].ConnectionCount == Listeners + 1, timeout.Token);

            ClientWebSocket sender = clients[^1];
            Task<List<string>>[] receiving = [.. clients.Select(client => ReceiveAsync(client, Messages, timeout.Token))];
            for (int i = 0; i < Messages; i++)
            {
                await sender.SendTextAsync($"message {i}", timeout.Token);
            }

            string[] expected = [.. Enumerable.Range(0, Messages).Select(i => $"message {i}")];
            for (int c = 0; c < receiving.Length; c++)
            {
                List<string> received = await receiving[c];
                Assert.True(expected.SequenceEqual(received), $"Client {c} received {received.Count} messages, not all {Messages} in order.");
            }

            Assert.Equal(0, server.Server.Endpoints["/broadcast"].DroppedMessages);
            await Task.WhenAll(clients.Select(client => client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token)));
        }
        finally
        {
            foreach (ClientWebSocket client in clients)
            {
                client.Dispose();
            }
        }
    }

    [Fact]
    public async Task A_broadcast_reaches_only_the_connections_of_its_own_endpoint()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using ClientWebSocket listener = await server.ConnectAsync("/broadcast");
        using ClientWebSocket bystander = await server.ConnectAsync("/echo");
        await ClientSupport.WaitUntilAsync(() => server.Server.Endpoints["/broadcast"].ConnectionCount == 1, timeout.Token);

        Assert.Equal(1, server.Server.Endpoints["/broadcast"].Broadcast("to broadcast only"));
        Assert.Equal("to broadcast only", await listener.ReceiveTextAsync(timeout.Token));

        // The bystander's next message is its own echo: nothing from the broadcast came before it.
        await bystander.SendTextAsync("own echo", timeout.Token);
        Assert.Equal("own echo", await bystander.ReceiveTextAsync(timeout.Token));
        await listener.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
        await bystander.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
    }

    [Fact]
    public async Task A_binary_broadcast_from_outside_any_handler_arrives_byte_for_byte()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using ClientWebSocket first = await server.ConnectAsync("/broadcast");
        using ClientWebSocket second = await server.ConnectAsync("/broadcast");
        await ClientSupport.WaitUntilAsync(() => server.Server.Endpoints["/broadcast"].ConnectionCount == 2, timeout.Token);

        byte[] payload = EchoTests.RandomBytes(70_000);
        Assert.Equal(2, server.Server.Endpoints["/broadcast"].Broadcast(WsFast.MessageType.Binary, payload));

        foreach (ClientWebSocket client in new[] { first, second })
        {
            (WebSocketMessageType type, byte[] received) = await client.ReceiveMessageAsync(timeout.Token);
            Assert.Equal(WebSocketMessageType.Binary, type);
            Assert.Equal(payload, received);
            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
        }
    }

    [Fact]
    public async Task A_client_that_does_not_read_misses_broadcasts_under_the_Drop_policy_while_the_others_get_them_all()
    {
        await SlowConsumerAsync(SlowConsumerPolicy.Drop);
    }

    [Fact]
    public async Task A_client_that_does_not_read_is_closed_with_1008_under_the_Disconnect_policy_while_the_others_get_every_broadcast()
    {
        await SlowConsumerAsync(SlowConsumerPolicy.Disconnect);
    }

    /// <summary>
    /// Broadcasts 20 MiB while one client reads along and another reads nothing (with a small socket receive
    /// buffer, so that the kernel cannot absorb it all): the server's queue for the slow one fills up.
    /// </summary>
    private static async Task SlowConsumerAsync(SlowConsumerPolicy policy)
    {
        const int Messages = 640;
        const int MessageSize = 32 * 1024;
        var recorder = new TestServer.Recorder();
        WebSocketEndpoint? endpoint = null;
        await using TestServer server = await TestServer.StartAsync(
            options => options.MaxQueuedOutboundBytes = 64 * 1024,
            s => (endpoint = s.Map("/slow", recorder)).SlowConsumerPolicy = policy);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using ClientWebSocket slow = await ClientSupport.ConnectWithSmallReceiveBufferAsync(server.Ws("/slow"), timeout.Token);
        await ClientSupport.WaitUntilAsync(() => recorder.Last is not null, timeout.Token);
        WebSocketConnection slowConnection = recorder.Last!;
        using ClientWebSocket fast = await server.ConnectAsync("/slow");
        await ClientSupport.WaitUntilAsync(() => endpoint!.ConnectionCount == 2, timeout.Token);

        // The fast client reads each message before the next is broadcast, so only the slow client falls behind.
        for (int i = 0; i < Messages; i++)
        {
            endpoint!.Broadcast(WsFast.MessageType.Binary, Numbered(i, MessageSize));
            (WebSocketMessageType type, byte[] received) = await fast.ReceiveMessageAsync(timeout.Token);
            Assert.Equal(WebSocketMessageType.Binary, type);
            Assert.Equal(i, NumberOf(received, MessageSize));
        }

        Assert.True(endpoint!.DroppedMessages > 0, "The slow client's queue never filled.");

        // A direct send waits for room instead of being dropped, so it arrives after whatever was queued.
        Task<bool> end = slowConnection.SendTextAsync("end").AsTask();

        // The slow client now reads: what it gets is whole and in order, with gaps where messages were dropped.
        int previous = -1;
        int count = 0;
        while (true)
        {
            (WebSocketMessageType type, byte[] received) = await slow.ReceiveMessageAsync(timeout.Token);
            if (type != WebSocketMessageType.Binary)
            {
                if (policy == SlowConsumerPolicy.Disconnect)
                {
                    Assert.Equal(WebSocketMessageType.Close, type);
                    Assert.Equal(WebSocketCloseStatus.PolicyViolation, slow.CloseStatus);
                    Assert.Equal("slow consumer: outbound queue full", slow.CloseStatusDescription);
                    Assert.False(await end);
                    await slow.CloseOutputAsync(WebSocketCloseStatus.PolicyViolation, "", timeout.Token);
                }
                else
                {
                    Assert.Equal(WebSocketMessageType.Text, type);
                    Assert.Equal("end", System.Text.Encoding.UTF8.GetString(received));
                    Assert.True(await end);
                }

                break;
            }

            int index = NumberOf(received, MessageSize);
            Assert.True(index > previous, $"Message {index} arrived after message {previous}.");
            previous = index;
            count++;
        }

        Assert.True(count < Messages, "The slow client received every message although its queue was full.");
        if (policy == SlowConsumerPolicy.Disconnect)
        {
            await ClientSupport.WaitUntilAsync(() => endpoint.ConnectionCount == 1, timeout.Token);
        }
        else
        {
            Assert.Equal(Messages - count, endpoint.DroppedMessages);
            Assert.Equal(System.Net.WebSockets.WebSocketState.Open, slow.State);
            Assert.Equal(2, endpoint.ConnectionCount);
        }
    }

    /// <summary>A payload that says which message it is: its number, then that number's low byte throughout.</summary>
    private static byte[] Numbered(int number, int size)
    {
        var payload = new byte[size];
        payload.AsSpan(4).Fill((byte)number);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(payload, number);
        return payload;
    }

    private static int NumberOf(byte[] payload, int size)
    {
        Assert.Equal(size, payload.Length);
        int number = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(payload);
        Assert.True(payload.AsSpan(4).IndexOfAnyExcept((byte)number) < 0, $"Message {number} arrived damaged.");
        return number;
    }

    private static async Task<List<string>> ReceiveAsync(ClientWebSocket client, int count, CancellationToken cancellationToken)
    {
        var received = new List<string>(count);
        while (received.Count < count)
        {
            received.Add(await client.ReceiveTextAsync(cancellationToken));
        }

        return received;
    }
}
