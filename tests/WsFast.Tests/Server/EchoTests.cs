using System.Net.WebSockets;
using System.Text;

namespace WsFast.Tests.Server;

/// <summary>The echo endpoint over loopback with .NET's own client.</summary>
public class EchoTests
{
    private const int DefaultMaxMessageSize = 16 * 1024 * 1024;

    /// <summary>
    /// Payload lengths at the edges of the three length encodings of RFC 6455 section 5.2: 7 bits (0-125),
    /// 16 bits (126-65535), 64 bits (65536 and up).
    /// </summary>
    public static TheoryData<int> LengthEdges => [0, 125, 126, 65535, 65536];

    [Fact]
    public async Task A_text_message_comes_back_unchanged()
    {
        await using TestServer server = await TestServer.StartAsync();
        using ClientWebSocket client = await server.ConnectAsync();
        byte[] hello = Encoding.UTF8.GetBytes("héllo, κόσμε 😀");
        await client.SendAsync(hello, WebSocketMessageType.Text, true, CancellationToken.None);

        var buffer = new byte[1024];
        WebSocketReceiveResult result = await client.ReceiveAsync(buffer, CancellationToken.None);
        Assert.Equal(WebSocketMessageType.Text, result.MessageType);
        Assert.True(result.EndOfMessage);
        Assert.Equal(hello, buffer[..result.Count]);

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
    }

    [Theory]
    [MemberData(nameof(LengthEdges))]
    public async Task Section_5_2_text_messages_at_each_payload_length_edge_come_back_byte_for_byte(int length)
    {
        await EchoOnceAsync(WebSocketMessageType.Text, Utf8Text(length), TimeSpan.FromSeconds(10));
    }

    [Theory]
    [MemberData(nameof(LengthEdges))]
    public async Task Section_5_2_binary_messages_at_each_payload_length_edge_come_back_byte_for_byte(int length)
    {
        await EchoOnceAsync(WebSocketMessageType.Binary, RandomBytes(length), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_text_message_of_exactly_the_default_max_message_size_of_16_MiB_comes_back_byte_for_byte()
    {
        await EchoOnceAsync(WebSocketMessageType.Text, Utf8Text(DefaultMaxMessageSize), TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task A_binary_message_of_exactly_the_default_max_message_size_of_16_MiB_comes_back_byte_for_byte()
    {
        await EchoOnceAsync(WebSocketMessageType.Binary, RandomBytes(DefaultMaxMessageSize), TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Messages_of_alternating_types_and_sizes_on_one_connection_come_back_in_order()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using ClientWebSocket client = await server.ConnectAsync();
        var sent = new List<(WebSocketMessageType Type, byte[] Payload)>();
        for (int i = 0; i < 40; i++)
        {
            // Sizes cycle through all three length encodings, so that frames of each follow one another.
            int length = (i % 4) switch { 0 => i, 1 => 126 + i, 2 => 70_000 + i, _ => 3 };
            (WebSocketMessageType, byte[]) message = i % 2 == 0
                ? (WebSocketMessageType.Text, Utf8Text(length))
                : (WebSocketMessageType.Binary, RandomBytes(length, seed: i));
            sent.Add(message);
        }

        // Sending and receiving at once: the echoes of 40 messages need not fit the socket buffers.
        Task sending = Task.Run(async () =>
        {
            foreach ((WebSocketMessageType type, byte[] payload) in sent)
            {
                await client.SendAsync(payload, type, endOfMessage: true, timeout.Token);
            }
        });

        foreach ((WebSocketMessageType type, byte[] payload) in sent)
        {
            (WebSocketMessageType receivedType, byte[] received) = await client.ReceiveMessageAsync(timeout.Token);
            Assert.Equal(type, receivedType);
            Assert.Equal(payload, received);
        }

        await sending;
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
    }

    [Fact]
    public async Task A_server_listening_on_both_loopbacks_echoes_over_IPv4_and_IPv6()
    {
        await using TestServer server = await TestServer.StartAsync(options =>
            options.Endpoints.Add(new System.Net.IPEndPoint(System.Net.IPAddress.IPv6Loopback, 0)));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        Assert.Equal(2, server.Server.EndPoints.Count);

        foreach (System.Net.IPEndPoint endPoint in server.Server.EndPoints)
        {
            string host = endPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "[::1]" : "127.0.0.1";
            using var client = new ClientWebSocket();
            await client.ConnectAsync(new Uri($"ws://{host}:{endPoint.Port}/echo"), timeout.Token);
            await client.SendTextAsync($"over {host}", timeout.Token);
            Assert.Equal($"over {host}", await client.ReceiveTextAsync(timeout.Token));
            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
        }
    }

    private static async Task EchoOnceAsync(WebSocketMessageType type, byte[] payload, TimeSpan limit)
    {
        await using TestServer server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(limit);
        using ClientWebSocket client = await server.ConnectAsync();

        // Receive while sending: a large echo can come back before the whole message has been sent.
        Task<(WebSocketMessageType Type, byte[] Payload)> receiving = client.ReceiveMessageAsync(timeout.Token);
        await client.SendAsync(payload, type, endOfMessage: true, timeout.Token);
        (WebSocketMessageType receivedType, byte[] received) = await receiving;

        Assert.Equal(type, receivedType);
        Assert.Equal(payload.Length, received.Length);
        Assert.True(payload.AsSpan().SequenceEqual(received), "The echoed payload differs from the one sent.");

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
    }

    /// <summary>
    /// Exactly <paramref name="length"/> bytes of valid UTF-8 mixing 1-, 2-, 3- and 4-byte code points, so
    /// that the server's validator sees sequences cut by every read boundary.
    /// </summary>
    internal static byte[] Utf8Text(int length)
    {
        byte[] pattern = Encoding.UTF8.GetBytes("aé€😀 κόσμε ");
        var text = new byte[length];
        int written = 0;
        while (length - written >= pattern.Length)
        {
            pattern.CopyTo(text, written);
            written += pattern.Length;
        }

        // The tail is ASCII, so that the cut cannot fall inside a code point.
        text.AsSpan(written).Fill((byte)'x');
        return text;
    }

    internal static byte[] RandomBytes(int length, int seed = 6455)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
