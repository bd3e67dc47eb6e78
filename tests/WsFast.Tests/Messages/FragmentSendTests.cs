using System.Net.WebSockets;
using System.Text;
using WsFast.Protocol;
using WsFast.Tests.Deflate;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Messages;

/// <summary>
/// RFC 6455 section 5.4: a server streams a message as fragments (<see cref="WebSocketConnection.SendFragmentAsync"/>),
/// a first frame and continuations with FIN on the last only; no other data frame goes between them, while
/// control frames may; a client that does not read holds the sender back within the outbound bounds.
/// </summary>
public class FragmentSendTests
{
    [Fact]
    public async Task Section_5_4_fragments_reach_a_ClientWebSocket_frame_by_frame_as_one_message_and_a_broadcast_sent_meanwhile_follows_it()
    {
        var captured = new Captured();
        await using TestServer server = await TestServer.StartAsync(map: s => s.Map("/captured", captured));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using ClientWebSocket client = await server.ConnectAsync("/captured");
        WebSocketConnection connection = await captured.NextAsync();

        // "€" (E2 82 AC) cut across two fragments: only the whole message is UTF-8.
        byte[] euro = Encoding.UTF8.GetBytes("€");
        Assert.True(await connection.SendFragmentAsync(MessageType.Text, Encoding.UTF8.GetBytes("price: 5").Concat(euro[..1]).ToArray(), endOfMessage: false));
        Assert.Equal(1, connection.Endpoint.Broadcast("broadcast"));
        Assert.True(await connection.SendFragmentAsync(MessageType.Text, euro[1..], endOfMessage: false));
        Assert.True(await connection.SendFragmentAsync(MessageType.Text, Encoding.UTF8.GetBytes(", paid"), endOfMessage: true));

        byte[] buffer = new byte[1024];
        var message = new List<byte>();
        var ends = new List<bool>();
        do
        {
            ValueWebSocketReceiveResult result = await client.ReceiveAsync(buffer.AsMemory(), timeout.Token);
            Assert.Equal(WebSocketMessageType.Text, result.MessageType);
            message.AddRange(buffer[..result.Count]);
            ends.Add(result.EndOfMessage);
        }
        while (!ends[^1]);

        Assert.Equal(new[] { false, false, true }, ends);
        Assert.Equal("price: 5€, paid", Encoding.UTF8.GetString(message.ToArray()));
        Assert.Equal("broadcast", await client.ReceiveTextAsync(timeout.Token));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
    }

    [Fact]
    public async Task Section_5_4_a_fragmented_message_is_a_first_frame_then_continuations_with_FIN_on_the_last_only()
    {
        var captured = new Captured();
        await using TestServer server = await TestServer.StartAsync(map: s => s.Map("/captured", captured));
        await using RawClient client = await RawClient.OpenAsync(server.Port, "/captured");
        WebSocketConnection connection = await captured.NextAsync();

        Assert.True(await connection.SendFragmentAsync(MessageType.Binary, new byte[] { 1, 2 }, endOfMessage: false));
        Assert.Throws<ArgumentException>(() => connection.SendFragmentAsync(MessageType.Text, new byte[] { 3 }, endOfMessage: false));
        Assert.True(await connection.SendFragmentAsync(MessageType.Binary, new byte[200], endOfMessage: false));
        Assert.True(await connection.SendFragmentAsync(MessageType.Binary, ReadOnlyMemory<byte>.Empty, endOfMessage: true));
        Assert.True(await connection.SendFragmentAsync(MessageType.Text, "whole"u8.ToArray(), endOfMessage: true));

        Assert.Equal(new ServerFrame(false, 0, Opcode.Binary, [1, 2]), await client.ReadFrameAsync(), FrameComparer.Instance);
        Assert.Equal(new ServerFrame(false, 0, Opcode.Continuation, new byte[200]), await client.ReadFrameAsync(), FrameComparer.Instance);
        Assert.Equal(new ServerFrame(true, 0, Opcode.Continuation, []), await client.ReadFrameAsync(), FrameComparer.Instance);
        Assert.Equal(new ServerFrame(true, 0, Opcode.Text, "whole"u8.ToArray()), await client.ReadFrameAsync(), FrameComparer.Instance);
    }

    [Fact]
    public async Task Section_5_4_a_send_and_a_broadcast_arriving_mid_message_wait_behind_it_while_a_pong_goes_between_its_fragments()
    {
        var captured = new Captured();
        await using TestServer server = await TestServer.StartAsync(map: s => s.Map("/captured", captured));
        await using RawClient client = await RawClient.OpenAsync(server.Port, "/captured");
        WebSocketConnection connection = await captured.NextAsync();

        Assert.True(await connection.SendFragmentAsync(MessageType.Text, "first "u8.ToArray(), endOfMessage: false));
        Assert.Equal(Opcode.Text, (await client.ReadFrameAsync()).Opcode);
        Assert.Equal(1, connection.Endpoint.Broadcast("broadcast"));
        Assert.True(await connection.SendTextAsync("direct"));

        // Held behind the message, and counted against the outbound bounds meanwhile.
        Assert.True(connection.QueuedBytes >= "broadcast".Length + "direct".Length);

        // A control frame may go between fragments (section 5.4): the ping's pong is the next frame.
        await client.SendAsync(ClientFrames.Frame(Opcode.Ping, "mid-message"u8));
        ServerFrame pong = await client.ReadFrameAsync();
        Assert.Equal(Opcode.Pong, pong.Opcode);
        Assert.Equal("mid-message", pong.Text);

        Assert.True(await connection.SendFragmentAsync(MessageType.Text, "last"u8.ToArray(), endOfMessage: true));
        Assert.Equal(new ServerFrame(true, 0, Opcode.Continuation, "last"u8.ToArray()), await client.ReadFrameAsync(), FrameComparer.Instance);
        Assert.Equal("broadcast", (await client.ReadFrameAsync()).Text);
        Assert.Equal("direct", (await client.ReadFrameAsync()).Text);
    }

    [Fact]
    public async Task Sends_arriving_mid_message_past_the_outbound_bound_wait_for_the_message_to_end_and_then_follow_in_order()
    {
        var captured = new Captured();
        await using TestServer server = await TestServer.StartAsync(o => o.MaxQueuedOutboundMessages = 2, s => s.Map("/captured", captured));
        await using RawClient client = await RawClient.OpenAsync(server.Port, "/captured");
        WebSocketConnection connection = await captured.NextAsync();
        Assert.True(await connection.SendFragmentAsync(MessageType.Text, "one "u8.ToArray(), endOfMessage: false));
        Assert.Equal(Opcode.Text, (await client.ReadFrameAsync()).Opcode);

        // Two wait behind the message, which is the bound; the third send waits, and a broadcast is dropped.
        Assert.True(await connection.SendTextAsync("a"));
        Assert.True(await connection.SendTextAsync("b"));
        Task<bool> third = connection.SendTextAsync("c").AsTask();
        Assert.Equal(0, connection.Endpoint.Broadcast("dropped"));
        await Task.Delay(50);
        Assert.False(third.IsCompleted);

        // What waits behind the message does not hold its own fragments back.
        Assert.True(await connection.SendFragmentAsync(MessageType.Text, "two"u8.ToArray(), endOfMessage: true));
        Assert.True(await third.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal("two", (await client.ReadFrameAsync()).Text);
        Assert.Equal(["a", "b", "c"], [(await client.ReadFrameAsync()).Text, (await client.ReadFrameAsync()).Text, (await client.ReadFrameAsync()).Text]);
    }

    [Fact]
    public async Task A_client_that_does_not_read_makes_fragment_sends_wait_within_the_outbound_bounds_and_they_resume_when_it_reads()
    {
        const long Bound = 256 * 1024;
        const int Fragment = 32 * 1024;
        const int Frame = Fragment + 4;
        var captured = new Captured();
        await using TestServer server = await TestServer.StartAsync(o => o.MaxQueuedOutboundBytes = Bound, s => s.Map("/captured", captured));
        await using RawClient client = await RawClient.OpenAsync(server.Port, "/captured");
        WebSocketConnection connection = await captured.NextAsync();
        byte[] payload = MessageKit.Payload(3, 0, Fragment);

        // The kernel's buffers take a few MB first; then the queue fills to its bound and a send waits.
        Task<bool>? waiting = null;
        int sent = 0;
        while (waiting is null && sent < 2_000)
        {
            Task<bool> send = connection.SendFragmentAsync(MessageType.Binary, payload, endOfMessage: false).AsTask();
            sent++;
            Assert.True(connection.QueuedBytes <= Bound + Frame, $"{connection.QueuedBytes} bytes queued");
            if (!send.IsCompleted && await Task.WhenAny(send, Task.Delay(300)) != send)
            {
                waiting = send;
            }
            else
            {
                Assert.True(await send);
            }
        }

        Assert.NotNull(waiting);
        Assert.True(connection.QueuedBytes <= Bound + Frame);
        Assert.Throws<InvalidOperationException>(() => connection.SendFragmentAsync(MessageType.Binary, payload, endOfMessage: false));

        // A broadcast meanwhile meets a full queue: the slow-consumer policy (drop) applies, nothing grows.
        Assert.Equal(0, connection.Endpoint.Broadcast(MessageType.Binary, payload));
        Assert.Equal(1, server.Server.Counters.Dropped);

        Task<long> reading = ReadMessageAsync(client);
        Assert.True(await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(await connection.SendFragmentAsync(MessageType.Binary, payload, endOfMessage: true));
        Assert.Equal((sent + 1L) * Fragment, await reading.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_message_left_unfinished_when_the_server_closes_ends_with_the_close_frame_and_what_waited_behind_it_is_dropped()
    {
        var captured = new Captured();
        await using TestServer server = await TestServer.StartAsync(map: s => s.Map("/captured", captured));
        await using RawClient client = await RawClient.OpenAsync(server.Port, "/captured");
        WebSocketConnection connection = await captured.NextAsync();

        Assert.True(await connection.SendFragmentAsync(MessageType.Binary, new byte[100], endOfMessage: false));
        Assert.Equal(1, connection.Endpoint.Broadcast("never sent"));
        connection.Close(CloseCode.GoingAway, "leaving");
        Assert.False(await connection.SendFragmentAsync(MessageType.Binary, new byte[100], endOfMessage: true));

        Assert.Equal(new ServerFrame(false, 0, Opcode.Binary, new byte[100]), await client.ReadFrameAsync(), FrameComparer.Instance);
        ServerFrame close = await client.ReadFrameAsync();
        Assert.Equal((ushort)1001, close.CloseCode);
        await client.SendAsync(ClientFrames.Close(1001));
        await client.AssertEndsCleanlyAsync();
        await client.DisposeAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await ClientSupport.WaitUntilAsync(() => connection.State == ConnectionState.Closed, timeout.Token);
        Assert.True(connection.ConnectionClosed.IsCancellationRequested);
    }

    [Fact]
    public async Task With_permessage_deflate_fragments_go_uncompressed_between_compressed_messages_and_decode()
    {
        var captured = new Captured();
        await using TestServer server = await TestServer.StartAsync(
            o => o.PerMessageDeflate = new PerMessageDeflateOptions(), s => s.Map("/captured", captured));
        string compressible = string.Concat(Enumerable.Repeat("compress me ", 50));
        byte[] part = Encoding.UTF8.GetBytes(compressible);

        // On the wire: RSV1 on the compressed messages only (RFC 7692 section 6.1), never on a fragment.
        (RawClient raw, string? extensions) = await DeflateClient.OpenAsync(server.Port, "/captured");
        await using (raw)
        {
            Assert.NotNull(extensions);
            WebSocketConnection connection = await captured.NextAsync();
            await SendCompressedFragmentedCompressedAsync(connection, compressible, part);
            int[] rsv = new int[4];
            for (int i = 0; i < rsv.Length; i++)
            {
                rsv[i] = (await raw.ReadFrameAsync()).Rsv;
            }

            Assert.Equal(new[] { 4, 0, 0, 4 }, rsv);
        }

        // And a client that inflates with context taken over decodes all three.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using ClientWebSocket client = await server.ConnectAsync("/captured", o => o.DangerousDeflateOptions = new WebSocketDeflateOptions());
        WebSocketConnection second = await captured.NextAsync();
        await SendCompressedFragmentedCompressedAsync(second, compressible, part);
        Assert.Equal(compressible, await client.ReceiveTextAsync(timeout.Token));
        Assert.Equal(compressible + compressible, await client.ReceiveTextAsync(timeout.Token));
        Assert.Equal(compressible, await client.ReceiveTextAsync(timeout.Token));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
    }

    private static async Task SendCompressedFragmentedCompressedAsync(WebSocketConnection connection, string text, byte[] part)
    {
        Assert.True(await connection.SendTextAsync(text));
        Assert.True(await connection.SendFragmentAsync(MessageType.Text, part, endOfMessage: false));
        Assert.True(await connection.SendFragmentAsync(MessageType.Text, part, endOfMessage: true));
        Assert.True(await connection.SendTextAsync(text));
    }

    // Reads one fragmented binary message and returns its length, checking the opcodes and FIN on the way.
    private static async Task<long> ReadMessageAsync(RawClient client)
    {
        long length = 0;
        for (int frames = 0; ; frames++)
        {
            ServerFrame frame = await client.ReadFrameAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(frames == 0 ? Opcode.Binary : Opcode.Continuation, frame.Opcode);
            length += frame.Payload.Length;
            if (frame.Fin)
            {
                return length;
            }
        }
    }

    private sealed class FrameComparer : IEqualityComparer<ServerFrame>
    {
        public static readonly FrameComparer Instance = new();

        public bool Equals(ServerFrame? x, ServerFrame? y) =>
            x!.Fin == y!.Fin && x.Rsv == y.Rsv && x.Opcode == y.Opcode && x.Payload.AsSpan().SequenceEqual(y.Payload);

        public int GetHashCode(ServerFrame frame) => frame.Opcode.GetHashCode();
    }
}
