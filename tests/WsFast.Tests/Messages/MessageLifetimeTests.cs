using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Threading.Channels;
using WsFast.Tests.Server;

namespace WsFast.Tests.Messages;

/// <summary>
/// A received message points into receive memory the server reuses for every client once the handler is done:
/// <see cref="WebSocketMessage.Detach"/> is the copy to keep, and <see cref="WsFastServerOptions.PoisonReceiveBuffers"/>
/// makes a message kept without it fail loudly instead of reading another client's bytes.
/// </summary>
public class MessageLifetimeTests
{
    private const int Kept = 30;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Detached_messages_kept_in_a_channel_are_intact_after_other_clients_messages_went_through_the_receive_memory(bool poison)
    {
        Channel<WebSocketMessage> kept = Channel.CreateUnbounded<WebSocketMessage>();
        var keeper = new Captured((_, message) =>
        {
            kept.Writer.TryWrite(message.Detach());
            return default;
        });
        await using TestServer server = await TestServer.StartAsync(o => o.PoisonReceiveBuffers = poison, s => s.Map("/keep", keeper));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using ClientWebSocket client = await server.ConnectAsync("/keep");
        WebSocketConnection serverSide = await keeper.NextAsync();

        // In one frame (handed on from the receive pipe) and in two (assembled), text and binary, small and large.
        var sent = new List<(MessageType Type, byte[] Payload)>();
        for (int i = 0; i < Kept; i++)
        {
            byte[] payload = MessageKit.Payload(0, i, i % 3 == 0 ? 10_000 : 50 + i);
            MessageType type = i % 2 == 0 ? MessageType.Text : MessageType.Binary;
            WebSocketMessageType clientType = type == MessageType.Text ? WebSocketMessageType.Text : WebSocketMessageType.Binary;
            if (i % 5 == 0)
            {
                await client.SendAsync(payload.AsMemory(0, payload.Length / 2), clientType, endOfMessage: false, timeout.Token);
                await client.SendAsync(payload.AsMemory(payload.Length / 2), clientType, endOfMessage: true, timeout.Token);
            }
            else
            {
                await client.SendAsync(payload, clientType, endOfMessage: true, timeout.Token);
            }

            sent.Add((type, payload));
        }

        await ClientSupport.WaitUntilAsync(() => kept.Reader.Count == Kept, timeout.Token);
        await Task.WhenAll(Enumerable.Range(1, 3).Select(c => MessageKit.EchoTrafficAsync(server, c, 40, timeout.Token)));

        var detached = new List<WebSocketMessage>();
        foreach ((MessageType type, byte[] payload) in sent)
        {
            Assert.True(kept.Reader.TryRead(out WebSocketMessage message));
            Assert.Equal(type, message.Type);
            Assert.Equal(payload, message.Payload.ToArray());
            detached.Add(message);
        }

        // The copy is the caller's to send later, to the connection and to the endpoint's everyone.
        Assert.True(await serverSide.SendAsync(detached[3]));
        Assert.Equal(1, serverSide.Endpoint.Broadcast(detached[6]));
        Assert.Equal(sent[3].Payload, (await client.ReceiveMessageAsync(timeout.Token)).Payload);
        Assert.Equal(sent[6].Payload, (await client.ReceiveMessageAsync(timeout.Token)).Payload);
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
    }

    [Fact]
    public async Task With_PoisonReceiveBuffers_a_message_kept_past_its_handler_refuses_its_payload_and_its_memory_reads_the_poison_not_another_clients_bytes()
    {
        var kept = new ConcurrentQueue<(WebSocketMessage Message, ReadOnlyMemory<byte> Memory, byte[] SeenInHandler)>();
        var keeper = new Captured(async (_, message) =>
        {
            // Valid for the whole handler call, awaits included.
            await Task.Delay(5);
            kept.Enqueue((message, message.Payload.First, message.Payload.ToArray()));
        });
        await using TestServer server = await TestServer.StartAsync(o => o.PoisonReceiveBuffers = true, s => s.Map("/keep", keeper));
        Assert.True(server.Log.Contains("PoisonReceiveBuffers is on"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using ClientWebSocket client = await server.ConnectAsync("/keep");

        // One frame, handed on from the receive pipe; one in fragments, assembled; one spanning receive blocks.
        byte[] whole = MessageKit.Payload(0, 1, 300);
        byte[] fragmented = MessageKit.Payload(0, 2, 3_000);
        byte[] large = MessageKit.Payload(0, 3, 200_000);
        await client.SendAsync(whole, WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
        await client.SendAsync(fragmented.AsMemory(0, 1_000), WebSocketMessageType.Binary, endOfMessage: false, timeout.Token);
        await client.SendAsync(fragmented.AsMemory(1_000), WebSocketMessageType.Binary, endOfMessage: true, timeout.Token);
        await client.SendAsync(large, WebSocketMessageType.Binary, endOfMessage: true, timeout.Token);
        await ClientSupport.WaitUntilAsync(() => kept.Count == 3, timeout.Token);
        await Task.WhenAll(Enumerable.Range(1, 3).Select(c => MessageKit.EchoTrafficAsync(server, c, 40, timeout.Token)));

        Assert.Equal(new[] { whole, fragmented, large }, kept.Select(k => k.SeenInHandler));
        foreach ((WebSocketMessage message, ReadOnlyMemory<byte> memory, _) in kept)
        {
            Assert.Throws<ObjectDisposedException>(() => message.Payload);
            Assert.Throws<ObjectDisposedException>(() => message.GetText());
            Assert.Throws<ObjectDisposedException>(() => message.Detach());
            Assert.False(memory.IsEmpty);
            Assert.All(memory.ToArray(), b => Assert.Equal(0xDD, b));
        }

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
    }

    [Fact]
    public void PoisonReceiveBuffers_is_off_by_default()
    {
        Assert.False(new WsFastServerOptions().PoisonReceiveBuffers);
    }
}
