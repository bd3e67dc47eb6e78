using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using WsFast.Protocol;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Messages;

/// <summary>
/// Sends take the payload as the application holds it: <see cref="ReadOnlyMemory{T}"/>, or a
/// <see cref="ReadOnlySequence{T}"/> in pieces (a pipe's buffer), for text and binary, in the order they are made.
/// </summary>
public class SendOverloadTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Memory_and_sequence_sends_of_text_and_binary_arrive_whole_and_in_order(bool deflate)
    {
        var captured = new Captured();
        await using TestServer server = await TestServer.StartAsync(
            o => o.PerMessageDeflate = deflate ? new PerMessageDeflateOptions() : null,
            s => s.Map("/captured", captured));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using ClientWebSocket client = await server.ConnectAsync("/captured", o =>
        {
            if (deflate)
            {
                o.DangerousDeflateOptions = new WebSocketDeflateOptions();
            }
        });
        WebSocketConnection connection = await captured.NextAsync();
        Assert.Equal(deflate, connection.Extensions is not null);

        byte[] text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("memory text, ", 20)));
        byte[] binary = MessageKit.Payload(1, 0, 5_000);
        byte[] piecesText = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("sequence text € ", 300)));
        byte[] piecesBinary = MessageKit.Payload(2, 0, 150_000);
        Assert.True(await connection.SendTextAsync(text.AsMemory()));
        Assert.True(await connection.SendBinaryAsync(new ReadOnlyMemory<byte>(binary)));
        // Cut inside the € (E2 82 AC): only the whole payload is UTF-8.
        int euro = Array.IndexOf(piecesText, (byte)0xE2);
        Assert.True(await connection.SendTextAsync(Sequences.SplitAt(piecesText, euro + 1, euro + 2, 3_000)));
        Assert.True(await connection.SendBinaryAsync(Sequences.SplitAt(piecesBinary, 1, 70_000, 140_000)));
        Assert.True(await connection.SendBinaryAsync(new ReadOnlySequence<byte>(binary)));

        await AssertReceivesAsync(client, WebSocketMessageType.Text, text, timeout.Token);
        await AssertReceivesAsync(client, WebSocketMessageType.Binary, binary, timeout.Token);
        await AssertReceivesAsync(client, WebSocketMessageType.Text, piecesText, timeout.Token);
        await AssertReceivesAsync(client, WebSocketMessageType.Binary, piecesBinary, timeout.Token);
        await AssertReceivesAsync(client, WebSocketMessageType.Binary, binary, timeout.Token);
        if (deflate)
        {
            Assert.True(server.Server.Counters.CompressedMessagesOut >= 4);
        }

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
    }

    [Fact]
    public async Task Memory_and_sequence_sends_are_refused_once_the_connection_is_closing()
    {
        var captured = new Captured();
        await using TestServer server = await TestServer.StartAsync(map: s => s.Map("/captured", captured));
        await using RawClient client = await RawClient.OpenAsync(server.Port, "/captured");
        WebSocketConnection connection = await captured.NextAsync();

        connection.Close();
        Assert.False(await connection.SendTextAsync("late"u8.ToArray().AsMemory()));
        Assert.False(await connection.SendBinaryAsync(Sequences.Of([1, 2], [3])));
        Assert.Equal(Opcode.Close, (await client.ReadFrameAsync()).Opcode);
        await client.SendAsync(ClientFrames.Close(1000));
        await client.AssertEndsCleanlyAsync();
    }

    private static async Task AssertReceivesAsync(ClientWebSocket client, WebSocketMessageType type, byte[] payload, CancellationToken cancel)
    {
        (WebSocketMessageType receivedType, byte[] received) = await client.ReceiveMessageAsync(cancel);
        Assert.Equal(type, receivedType);
        Assert.Equal(payload, received);
    }
}
