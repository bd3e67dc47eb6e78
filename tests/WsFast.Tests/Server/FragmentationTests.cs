using System.Net.WebSockets;
using System.Text;

namespace WsFast.Tests.Server;

/// <summary>RFC 6455 section 5.4: a message sent as several frames reaches the handler as one message.</summary>
public class FragmentationTests
{
    [Fact]
    public async Task Section_5_4_a_text_message_in_three_fragments_is_echoed_as_one_message()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using ClientWebSocket client = await server.ConnectAsync();

        await SendFragmentsAsync(client, WebSocketMessageType.Text, timeout.Token,
            Encoding.UTF8.GetBytes("Hello, "), Encoding.UTF8.GetBytes("fragmented "), Encoding.UTF8.GetBytes("world"));

        Assert.Equal("Hello, fragmented world", await client.ReceiveTextAsync(timeout.Token));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
    }

    [Fact]
    public async Task Section_5_4_the_handler_receives_a_fragmented_message_once_with_all_its_fragments_joined()
    {
        var recorder = new TestServer.Recorder();
        await using TestServer server = await TestServer.StartAsync(map: s => s.Map("/recorded", recorder));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using ClientWebSocket client = await server.ConnectAsync("/recorded");

        await SendFragmentsAsync(client, WebSocketMessageType.Text, timeout.Token,
            Encoding.UTF8.GetBytes("one "), Encoding.UTF8.GetBytes("two "), Encoding.UTF8.GetBytes("three"));
        await client.SendTextAsync("after", timeout.Token);
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
        await recorder.Disconnected.Task.WaitAsync(timeout.Token);

        Assert.Equal(["connected", "text:one two three", "text:after", "disconnected:1000:"], recorder.Events);
    }

    [Fact]
    public async Task Section_5_4_a_binary_message_in_large_fragments_is_echoed_byte_for_byte()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using ClientWebSocket client = await server.ConnectAsync();

        // Fragments of every length encoding, the middle ones far larger than one socket read.
        byte[][] fragments = [EchoTests.RandomBytes(100, 1), EchoTests.RandomBytes(300_000, 2), EchoTests.RandomBytes(70_000, 3), EchoTests.RandomBytes(126, 4)];
        Task<(WebSocketMessageType Type, byte[] Payload)> receiving = client.ReceiveMessageAsync(timeout.Token);
        await SendFragmentsAsync(client, WebSocketMessageType.Binary, timeout.Token, fragments);

        (WebSocketMessageType type, byte[] payload) = await receiving;
        Assert.Equal(WebSocketMessageType.Binary, type);
        Assert.Equal(fragments.SelectMany(f => f).ToArray(), payload);
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
    }

    [Fact]
    public async Task Section_5_4_empty_fragments_at_the_start_middle_and_end_are_allowed()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using ClientWebSocket client = await server.ConnectAsync();

        await SendFragmentsAsync(client, WebSocketMessageType.Text, timeout.Token,
            [], Encoding.UTF8.GetBytes("ab"), [], Encoding.UTF8.GetBytes("cd"), []);

        Assert.Equal("abcd", await client.ReceiveTextAsync(timeout.Token));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
    }

    [Fact]
    public async Task Section_8_1_a_code_point_split_across_text_fragments_is_valid_utf8_and_is_echoed_whole()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using ClientWebSocket client = await server.ConnectAsync();

        // "€" is E2 82 AC and "😀" is F0 9F 98 80: each is cut after every one of its bytes. Only the whole
        // message has to be valid UTF-8, not each fragment.
        byte[] text = Encoding.UTF8.GetBytes("price: €5 😀!");
        int euro = Array.IndexOf(text, (byte)0xE2);
        int emoji = Array.IndexOf(text, (byte)0xF0);
        int[] cuts = [euro + 1, euro + 2, emoji + 1, emoji + 2, emoji + 3];
        var fragments = new List<byte[]>();
        int start = 0;
        foreach (int cut in cuts)
        {
            fragments.Add(text[start..cut]);
            start = cut;
        }

        fragments.Add(text[start..]);
        await SendFragmentsAsync(client, WebSocketMessageType.Text, timeout.Token, [.. fragments]);

        (WebSocketMessageType type, byte[] payload) = await client.ReceiveMessageAsync(timeout.Token);
        Assert.Equal(WebSocketMessageType.Text, type);
        Assert.Equal(text, payload);
        Assert.Equal("price: €5 😀!", Encoding.UTF8.GetString(payload));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
    }

    [Fact]
    public async Task Section_5_4_fragmented_messages_of_two_clients_are_reassembled_independently()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using ClientWebSocket first = await server.ConnectAsync();
        using ClientWebSocket second = await server.ConnectAsync();

        // The fragments of the two messages interleave in time.
        await first.SendAsync(Encoding.UTF8.GetBytes("first-"), WebSocketMessageType.Text, false, timeout.Token);
        await second.SendAsync(Encoding.UTF8.GetBytes("second-"), WebSocketMessageType.Text, false, timeout.Token);
        await first.SendAsync(Encoding.UTF8.GetBytes("a"), WebSocketMessageType.Text, true, timeout.Token);
        await second.SendAsync(Encoding.UTF8.GetBytes("b"), WebSocketMessageType.Text, true, timeout.Token);

        Assert.Equal("first-a", await first.ReceiveTextAsync(timeout.Token));
        Assert.Equal("second-b", await second.ReceiveTextAsync(timeout.Token));
        await first.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
        await second.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
    }

    /// <summary>One SendAsync per fragment: ClientWebSocket sends each as its own frame, FIN only on the last.</summary>
    private static async Task SendFragmentsAsync(ClientWebSocket client, WebSocketMessageType type,
        CancellationToken cancellationToken, params byte[][] fragments)
    {
        for (int i = 0; i < fragments.Length; i++)
        {
            await client.SendAsync(fragments[i], type, endOfMessage: i == fragments.Length - 1, cancellationToken);
        }
    }
}
